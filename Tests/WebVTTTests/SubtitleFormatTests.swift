import Testing
import WebVTT

/// The one rule that tells WebVTT from SRT (`SubtitleFormat.sniff`), from literal bytes.
@Suite struct SubtitleFormatTests {
    static let srt = "1\n00:00:01,000 --> 00:00:02,000\nHello\n"
    static let vtt = "WEBVTT\n\n00:01.000 --> 00:02.000\nHello\n"

    func sniff(_ text: String, _ name: String? = nil) -> SubtitleFormat { SubtitleFormat.sniff(Array(text.utf8), fileName: name) }

    @Test("the WebVTT signature wins over the name: a .vtt named .txt or .srt is WebVTT")
    func signatureWins() {
        #expect(sniff(Self.vtt, "talk.txt") == .webvtt)
        #expect(sniff(Self.vtt, "talk.SRT") == .webvtt)
        #expect(sniff(Self.vtt, nil) == .webvtt)
        #expect(sniff("WEBVTT", "a.srt") == .webvtt)
        #expect(sniff("WEBVTT - with a title\n\n", "a.srt") == .webvtt)
        #expect(sniff("WEBVTT\t\n", nil) == .webvtt)
    }

    @Test("a BOM before the signature or the SRT cue number")
    func bom() {
        #expect(SubtitleFormat.sniff([0xEF, 0xBB, 0xBF] + Array(Self.vtt.utf8), fileName: "a.srt") == .webvtt)
        #expect(SubtitleFormat.sniff([0xEF, 0xBB, 0xBF] + Array(Self.srt.utf8), fileName: "a.vtt") == .srt)
        #expect(SubtitleFormat.sniff([0xEF, 0xBB, 0xBF], fileName: "a.vtt") == .webvtt)
    }

    @Test("CRLF line endings")
    func crlf() {
        #expect(sniff("1\r\n00:00:01,000 --> 00:00:02,000\r\nHello\r\n", "x.txt") == .srt)
        #expect(sniff("WEBVTT\r\n\r\n00:01.000 --> 00:02.000\r\nHi\r\n", "x.srt") == .webvtt)
        #expect(sniff("\r\n\r\n2\r\n00:00:01,000 --> 00:00:02,000\r\n", nil) == .srt)
    }

    @Test("SRT content without the .srt extension (a .txt, a .vtt, standard input)")
    func srtWithoutExtension() {
        #expect(sniff(Self.srt, "subs.txt") == .srt)
        #expect(sniff(Self.srt, "subs.vtt") == .srt)
        #expect(sniff(Self.srt, nil) == .srt)
        // no cue number, but SRT's comma in the timing line
        #expect(sniff("00:00:01,000 --> 00:00:02,000\nHi\n", nil) == .srt)
        // leading blank lines are skipped
        #expect(sniff("\n  \n" + Self.srt, nil) == .srt)
    }

    @Test("an empty file, and one that is neither: WebVTT (its parser says what is wrong) unless named .srt")
    func emptyOrNeither() {
        #expect(sniff("", "a.vtt") == .webvtt)
        #expect(sniff("", nil) == .webvtt)
        #expect(sniff("", "a.srt") == .srt)
        #expect(sniff("hello world\n", "notes.txt") == .webvtt)
        // a WebVTT file without its signature is not taken for SRT (no comma, no cue number)
        #expect(sniff("00:01.000 --> 00:02.000\nHi\n", "a.vtt") == .webvtt)
        // WEBVTTX is not the signature
        #expect(sniff("WEBVTTX\n\n", "a.srt") == .srt)
        #expect(sniff("WEBVTTX\n\n", nil) == .webvtt)
        // a cue number followed by text, not a timing line
        #expect(sniff("1\nHello\n", nil) == .webvtt)
    }
}
