import Foundation
import OlleeyKit
import OlleeyTestSupport
import Testing
import WebVTT

/// The one subtitle loader (`SubtitleLoader`, `SubtitleImport` for job create, the timing
/// check): one sniffing rule, whatever the caller.
@Suite struct SubtitleLoaderTests {
    static let srt = "1\r\n00:00:01,000 --> 00:00:02,500\r\nHello\r\n\r\n2\r\n00:00:03,000 --> 00:00:04,000\r\nWorld\r\n"
    static let vtt = "WEBVTT\n\n00:01.000 --> 00:02.500\nHello\n"

    @Test("an SRT file without the .srt extension is read as SRT, by the loader and by job create's import")
    func srtWithoutExtension() throws {
        let t = TempDir()
        let p = t.write("subs.txt", Self.srt)
        let (loaded, _) = try SubtitleLoader.load(path: p)
        #expect(loaded.format == .srt)
        #expect(loaded.document.cues.map(\.startMs) == [1000, 3000])
        let imported = try SubtitleImport.load(p)
        #expect(imported.hasPrefix("WEBVTT"))
        #expect(WebVTTParser.parse(imported).document.cues.map(\.endMs) == [2500, 4000])
        #expect(try SubtitleCheck.timing(path: p).map(\.startMs) == [1000, 3000])
    }

    @Test("a WebVTT file named .srt is WebVTT (the signature wins), kept as given by the import")
    func vttNamedSRT() throws {
        let t = TempDir()
        let p = t.write("talk.srt", "\u{FEFF}" + Self.vtt)
        #expect(try SubtitleLoader.load(path: p).loaded.format == .webvtt)
        #expect(try SubtitleImport.load(p) == "\u{FEFF}" + Self.vtt)
        #expect(try SubtitleCheck.timing(path: p).map(\.endMs) == [2500])
    }

    @Test("an empty file and one that is neither format are bad input (65) naming file:line:col")
    func emptyOrNeither() throws {
        let t = TempDir()
        for (name, text) in [("empty.vtt", ""), ("notes.txt", "just some notes\n")] {
            let p = t.write(name, text)
            do { _ = try SubtitleImport.load(p); Issue.record("\(name) was accepted") } catch let e as OlleeyError {
                #expect(e.code == .invalid && e.message.hasPrefix("\(name):1:1: "), "\(e.message)")
            }
        }
        // an empty .srt is SRT with no cues
        let empty = t.write("empty.srt", "")
        do { _ = try SubtitleImport.load(empty); Issue.record("empty.srt was accepted") } catch let e as OlleeyError {
            #expect(e.code == .invalid && e.message.hasPrefix("empty.srt: ") && e.message.contains("no cues"), "\(e.message)")
        }
    }

    @Test("a format given overrides the sniffing; standard input is named <stdin>")
    func forcedFormat() throws {
        let bytes = Array(Self.srt.utf8)
        #expect(try SubtitleLoader.parse(bytes, name: nil).format == .srt)
        do { _ = try SubtitleLoader.parse(bytes, name: nil, format: .webvtt); Issue.record("accepted") } catch let e as OlleeyError {
            #expect(e.message.hasPrefix("<stdin>:1:1: ") && e.hint?.contains("WEBVTT") == true)
        }
    }
}
