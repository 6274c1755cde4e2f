import Foundation
import OlleeyKit
import OlleeyTestSupport
import Testing
import WebVTT

/// Every format olleey reads goes through the one loader: job create's import and timing check
/// read ASS, SBV, TTML and UTF-16 SRT; a file of those formats that yields no cues is bad input.
@Suite struct SubtitleFormatsLoaderTests {
    static let ass = "[Script Info]\n\n[Events]\nFormat: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text\nDialogue: 0,0:00:01.00,0:00:02.50,Default,,0,0,0,,Hello\\Nthere\nDialogue: 0,0:00:03.00,0:00:04.00,Default,,0,0,0,,Bye\n"
    static let sbv = "0:00:01.000,0:00:02.500\nHello\n\n0:00:03.000,0:00:04.000\nBye\n"
    static let ttml = "<tt xmlns='http://www.w3.org/ns/ttml'><body><div><p begin='1s' end='2.5s'>Hello</p><p begin='00:00:03.000' end='00:00:04.000'>Bye</p></div></body></tt>"

    @Test("job create's import and timing check read ASS, SBV, TTML and a UTF-16 SRT, by content")
    func everyFormat() throws {
        let t = TempDir()
        let srt16: [UInt8] = [0xFF, 0xFE] + "1\n00:00:01,000 --> 00:00:02,500\nHello\n\n2\n00:00:03,000 --> 00:00:04,000\nBye\n".utf16.flatMap { u -> [UInt8] in [UInt8(u & 0xFF), UInt8(u >> 8)] }
        let p16 = t.file("u16.txt")
        try Data(srt16).write(to: URL(fileURLWithPath: p16))
        for (p, format) in [(t.write("a.txt", Self.ass), SubtitleFormat.ass), (t.write("b.txt", Self.sbv), .sbv), (t.write("c.txt", Self.ttml), .ttml), (p16, .srt)] {
            #expect(try SubtitleLoader.load(path: p).loaded.format == format)
            let vtt = try SubtitleImport.load(p)
            #expect(WebVTTParser.parse(vtt).document.cues.map(\.startMs) == [1000, 3000], "\(format)")
            #expect(try SubtitleCheck.timing(path: p).map(\.endMs) == [2500, 4000], "\(format)")
        }
    }

    @Test("a file of another format with no cues is bad input (65) naming the file and its first error")
    func noCues() throws {
        let t = TempDir()
        for (name, text, expected) in [("x.ass", "[Events]\nFormat: Start, End, Text\nDialogue: soon,later,hi\n", "x.ass:3: "),
                                       ("x.ttml", "<tt><body>\n<p>unclosed</body></tt>", "x.ttml:2: "),
                                       ("x.srt", "just text\n", "x.srt:1: ")] {
            let p = t.write(name, text)
            do { _ = try SubtitleLoader.load(path: p); Issue.record("\(name) accepted") } catch let e as OlleeyError {
                #expect(e.code == .invalid && e.message.hasPrefix(expected) && e.message.contains("no cues"), "\(e.message)")
            }
        }
        // a WebVTT file with only its header stays valid
        #expect(try SubtitleLoader.parse(Array("WEBVTT\n".utf8), name: "h.vtt").document.cues.isEmpty)
    }

    @Test("an encoding given overrides the byte-order mark")
    func encodingOverride() throws {
        let latin = Array("1\n00:00:01,000 --> 00:00:02,000\nCaf".utf8) + [0xE9, 0x0A]
        let r = try SubtitleLoader.parse(latin, name: "l.srt", encoding: .latin1)
        #expect(r.document.cues.first?.text == "Café" && r.encoding == .latin1)
    }
}
