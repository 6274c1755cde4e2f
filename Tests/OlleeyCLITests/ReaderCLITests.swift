import Foundation
import Testing
import OlleeyCLI
import OlleeyKit
import OlleeyTestSupport

/// `vtt convert` (and the other file commands) on the import formats, `--encoding`, and the
/// errors: a file with no cues (65, with its path), an unknown encoding (64).
@Suite("olleey vtt convert: import formats")
struct ReaderCLITests {
    static let ass = "[Script Info]\n\n[V4+ Styles]\nFormat: Name, Fontname\nStyle: Default,Arial\n\n[Events]\nFormat: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text\nDialogue: 0,0:00:01.00,0:00:02.50,Default,Anna,0,0,0,,Hello, {\\i1}world{\\i0}!\nDialogue: 0,0:00:03.00,0:00:04.00,Default,,0,0,0,,Second\\Nline\n"

    @Test("an ASS file converts to WebVTT by -o's extension, with warnings for what it cannot carry")
    func assToVTT() {
        let t = TempDir()
        t.write("t.ass", Self.ass)
        let r = olleey(["vtt", "convert", "t.ass", "-o", "t.vtt"], cwd: t.path)
        #expect(r.exit == 0, "\(r.stderr)")
        #expect(t.read("t.vtt") == "WEBVTT\n\n00:00:01.000 --> 00:00:02.500\n<v Anna>Hello, <i>world</i>!\n\n00:00:03.000 --> 00:00:04.000\nSecond\nline\n")
        #expect(r.stderr.contains("styles"))
        let s = olleey(["vtt", "convert", "t.ass", "--to", "srt"], cwd: t.path)
        #expect(s.exit == 0 && s.stdout.contains("00:00:01,000 --> 00:00:02,500\nHello, <i>world</i>!"), "\(s.stdout)")
    }

    @Test("--encoding overrides; an unknown one is a usage error (64)")
    func encoding() {
        let t = TempDir()
        let latin = Array("1\n00:00:01,000 --> 00:00:02,000\nCaf".utf8) + [0xE9, 0x0A]
        FileManager.default.createFile(atPath: t.file("l.srt"), contents: Data(latin))
        let r = olleey(["vtt", "convert", "l.srt", "--to", "vtt", "--encoding", "iso-8859-1"], cwd: t.path)
        #expect(r.exit == 0 && r.stdout.contains("Café"), "\(r.stdout)\(r.stderr)")
        let bad = olleey(["vtt", "convert", "l.srt", "--to", "vtt", "--encoding", "ebcdic"], cwd: t.path)
        #expect(bad.exit == 64 && bad.stderr.contains("utf-16le"), "\(bad.stderr)")
    }

    @Test("an SRT file that yields no cues is bad input (65) naming the file")
    func noCues() {
        let t = TempDir()
        t.write("empty.srt", "no subtitles here\n")
        let r = olleey(["vtt", "convert", "empty.srt", "--to", "vtt"], cwd: t.path)
        #expect(r.exit == 65 && r.stderr.contains("empty.srt") && r.stderr.contains("no cues"), "\(r.stderr)")
        #expect(r.stdout.isEmpty)
    }
}
