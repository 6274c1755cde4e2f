import Testing
import WebVTT

/// Tests written from the W3C "WebVTT parser algorithm", step by step.
@Suite("Parser: signature and header")
struct SignatureTests {
    @Test("input shorter than six characters is rejected")
    func tooShort() {
        for s in ["", "W", "WEBVT", "WEBV\n"] {
            let r = WebVTTParser.parse(s)
            #expect(r.rejected, "\(s.debugDescription)")
            #expect(r.diagnostics.first?.code == "bad_signature")
            #expect(r.diagnostics.first?.severity == .error)
            #expect(r.document.cues.isEmpty)
        }
    }

    @Test("exactly WEBVTT is accepted with no cues")
    func exactlySix() {
        let r = WebVTTParser.parse("WEBVTT")
        #expect(!r.rejected)
        #expect(r.document.cues.isEmpty)
        #expect(r.diagnostics.isEmpty)
    }

    @Test("the seventh character must be space, tab or a line terminator")
    func seventhCharacter() {
        #expect(!WebVTTParser.parse("WEBVTT \n").rejected)
        #expect(!WebVTTParser.parse("WEBVTT\t- title\n").rejected)
        #expect(!WebVTTParser.parse("WEBVTT\n").rejected)
        #expect(!WebVTTParser.parse("WEBVTT\r\n").rejected)
        #expect(!WebVTTParser.parse("WEBVTT\r").rejected)
        #expect(WebVTTParser.parse("WEBVTTX\n").rejected)
        #expect(WebVTTParser.parse("WEBVTT-\n").rejected)
        #expect(WebVTTParser.parse("webvtt\n").rejected)
        #expect(WebVTTParser.parse(" WEBVTT\n").rejected)
        #expect(WebVTTParser.parse("WEBVTTFILE").rejected)
    }

    @Test("a leading BOM is skipped and remembered")
    func bom() {
        let bytes: [UInt8] = [0xEF, 0xBB, 0xBF] + Array("WEBVTT\n\n00:01.000 --> 00:02.000\nhi\n".utf8)
        let r = WebVTTParser.parse(bytes)
        #expect(!r.rejected)
        #expect(r.document.hasBOM)
        #expect(r.document.cues.count == 1)
        // Two BOMs: the second is a character before WEBVTT.
        let two: [UInt8] = [0xEF, 0xBB, 0xBF, 0xEF, 0xBB, 0xBF] + Array("WEBVTT\n".utf8)
        #expect(WebVTTParser.parse(two).rejected)
    }

    @Test("text after the signature is the header")
    func headerText() {
        let r = WebVTTParser.parse("WEBVTT - This file has cues.\n\n00:01.000 --> 00:02.000\nx\n")
        #expect(r.document.header == " - This file has cues.")
        #expect(r.document.cues.count == 1)
    }

    @Test("header metadata lines run to the first blank line")
    func headerBlock() {
        let r = WebVTTParser.parse("WEBVTT\nKind: captions\nLanguage: en\n\n00:01.000 --> 00:02.000\nx\n")
        #expect(r.document.headerBlock == "Kind: captions\nLanguage: en")
        #expect(r.document.cues.count == 1)
        #expect(r.document.cues[0].id == "")
    }

    @Test("a cue right after the signature line (no blank line) is still a cue")
    func cueRightAfterSignature() {
        let r = WebVTTParser.parse("WEBVTT\n00:01.000 --> 00:02.000\nhello\n")
        #expect(r.document.cues.count == 1)
        #expect(r.document.cues[0].text == "hello")
        #expect(r.document.headerBlock == nil)
    }

    @Test("a header block ends at a line with an arrow, which starts a cue")
    func headerEndsAtArrow() {
        let r = WebVTTParser.parse("WEBVTT\nKind: captions\n00:01.000 --> 00:02.000\nhello\n")
        #expect(r.document.headerBlock == "Kind: captions")
        #expect(r.document.cues.count == 1)
        #expect(r.document.cues[0].id == "")
        #expect(r.document.cues[0].text == "hello")
    }

    @Test("file with only a signature and blank lines has no cues")
    func onlyBlankLines() {
        let r = WebVTTParser.parse("WEBVTT\n\n\n\n")
        #expect(!r.rejected)
        #expect(r.document.cues.isEmpty)
    }
}

@Suite("Parser: blocks")
struct BlockTests {
    @Test("cue with identifier, settings and multi-line text")
    func fullCue() throws {
        let r = WebVTTParser.parse("WEBVTT\n\nintro-1\n00:00:01.500 --> 00:00:04.250 align:start line:10%\nHello\n<i>world</i>\n")
        let c = try #require(r.document.cues.first)
        #expect(c.id == "intro-1")
        #expect(c.startMs == 1500)
        #expect(c.endMs == 4250)
        #expect(c.text == "Hello\n<i>world</i>")
        #expect(c.settingsText == "align:start line:10%")
        #expect(c.settings.align == .start)
        #expect(c.settings.line == 10)
        #expect(c.settings.snapToLines == false)
        #expect(c.line == 4)
    }

    @Test("an arrow only counts on the first or second line of a block")
    func arrowOnThirdLine() {
        // Line 3 holds an arrow: the cue ends before it and a new block starts there.
        let r = WebVTTParser.parse("WEBVTT\n\n00:01.000 --> 00:02.000\nfirst\n00:03.000 --> 00:04.000\nsecond\n")
        #expect(r.document.cues.count == 2)
        #expect(r.document.cues[0].text == "first")
        #expect(r.document.cues[1].text == "second")
        #expect(r.document.cues[1].startMs == 3000)
    }

    @Test("an id line followed by an id line then a timing line: the block is dropped")
    func twoLinesBeforeArrow() {
        // line count 3 with an arrow: the block (two text lines) ends, the arrow line starts a cue.
        let r = WebVTTParser.parse("WEBVTT\n\na\nb\n00:01.000 --> 00:02.000\nx\n")
        #expect(r.document.cues.count == 1)
        #expect(r.document.cues[0].id == "")
        #expect(r.document.cues[0].text == "x")
        #expect(r.document.blocks.count == 1)
        #expect(r.document.blocks[0].kind == .ignored)
        #expect(r.document.blocks[0].raw == "a\nb")
    }

    @Test("a second arrow line right after the timing line ends the cue (empty text)")
    func consecutiveTimingLines() {
        let r = WebVTTParser.parse("WEBVTT\n\n00:01.000 --> 00:02.000\n00:03.000 --> 00:04.000\ntext\n")
        #expect(r.document.cues.count == 2)
        #expect(r.document.cues[0].text == "")
        #expect(r.document.cues[1].text == "text")
    }

    @Test("a failed timing line drops the block")
    func badTiming() {
        let r = WebVTTParser.parse("WEBVTT\n\n00:01.000 --> nope\ntext\n\n00:03.000 --> 00:04.000\nok\n")
        #expect(r.document.cues.count == 1)
        #expect(r.document.cues[0].text == "ok")
        #expect(r.document.blocks.first?.kind == .ignored)
    }

    @Test("a failed first-line timing does not swallow a following timing line")
    func failedThenGood() {
        let r = WebVTTParser.parse("WEBVTT\n\n00:01.000 --> bad\n00:03.000 --> 00:04.000\nok\n")
        #expect(r.document.cues.count == 1)
        #expect(r.document.cues[0].startMs == 3000)
        #expect(r.document.cues[0].text == "ok")
    }

    @Test("a line of spaces is not a blank line")
    func whitespaceLine() {
        let r = WebVTTParser.parse("WEBVTT\n\n00:01.000 --> 00:02.000\none\n   \ntwo\n")
        #expect(r.document.cues.count == 1)
        #expect(r.document.cues[0].text == "one\n   \ntwo")
    }

    @Test("cues whose end precedes their start are kept, as a browser keeps them")
    func endBeforeStart() {
        let r = WebVTTParser.parse("WEBVTT\n\n00:05.000 --> 00:01.000\nbackwards\n")
        #expect(r.document.cues.count == 1)
        #expect(r.document.cues[0].startMs == 5000)
        #expect(r.document.cues[0].endMs == 1000)
    }

    @Test("NOTE blocks are comments")
    func notes() {
        let r = WebVTTParser.parse("WEBVTT\n\nNOTE This is a comment\nover two lines\n\nNOTE\nalone\n\n00:01.000 --> 00:02.000\nx\n\nNOTE after\n")
        #expect(r.document.cues.count == 1)
        #expect(r.document.notes == ["This is a comment\nover two lines", "alone", "after"])
        #expect(r.document.blocks.map(\.cueIndex) == [0, 0, 1])
    }

    @Test("NOTE followed by a timing line on line 2 is a cue with id NOTE")
    func noteAsID() {
        let r = WebVTTParser.parse("WEBVTT\n\nNOTE\n00:01.000 --> 00:02.000\nx\n")
        #expect(r.document.cues.count == 1)
        #expect(r.document.cues[0].id == "NOTE")
    }

    @Test("STYLE blocks before the first cue are style sheets")
    func styleBlock() {
        let r = WebVTTParser.parse("WEBVTT\n\nSTYLE\n::cue { color: red }\n::cue(b) { color: blue }\n\n00:01.000 --> 00:02.000\nx\n")
        #expect(r.document.styles == ["::cue { color: red }\n::cue(b) { color: blue }"])
    }

    @Test("STYLE followed by spaces is still a style block; STYLEX is not")
    func styleKeyword() {
        let r1 = WebVTTParser.parse("WEBVTT\n\nSTYLE  \n::cue {}\n\n00:01.000 --> 00:02.000\nx\n")
        #expect(r1.document.styles == ["::cue {}"])
        let r2 = WebVTTParser.parse("WEBVTT\n\nSTYLEX\n::cue {}\n\n00:01.000 --> 00:02.000\nx\n")
        #expect(r2.document.styles.isEmpty)
    }

    @Test("STYLE after a cue is ignored")
    func styleAfterCue() {
        let r = WebVTTParser.parse("WEBVTT\n\n00:01.000 --> 00:02.000\nx\n\nSTYLE\n::cue {}\n")
        #expect(r.document.styles.isEmpty)
        #expect(r.document.blocks.first?.kind == .ignored)
    }

    @Test("a STYLE block whose second line holds an arrow is a cue with id STYLE")
    func styleWithArrow() {
        let r = WebVTTParser.parse("WEBVTT\n\nSTYLE\n00:01.000 --> 00:02.000\n::cue {}\n")
        #expect(r.document.styles.isEmpty)
        #expect(r.document.cues.count == 1)
        #expect(r.document.cues[0].id == "STYLE")
        #expect(r.document.cues[0].text == "::cue {}")
    }

    @Test("a style sheet ends at a line with an arrow")
    func styleCutByArrow() {
        let r = WebVTTParser.parse("WEBVTT\n\nSTYLE\n::cue {}\n00:01.000 --> 00:02.000\nx\n")
        #expect(r.document.styles == ["::cue {}"])
        #expect(r.document.cues.count == 1)
    }

    @Test("a failed timing in a cue does not make a later cue's id STYLE")
    func seenCueOnlyAfterSuccess() {
        // seen cue is only set by a successful cue; a REGION after a broken cue still counts.
        let r = WebVTTParser.parse("WEBVTT\n\n00:01.000 --> broken\n\nREGION\nid:r1\n\n00:01.000 --> 00:02.000 region:r1\nx\n")
        #expect(r.document.regions.map(\.id) == ["r1"])
        #expect(r.document.cues.first?.settings.regionId == "r1")
    }

    @Test("CR, LF and CRLF are all line terminators")
    func lineEndings() {
        for le in ["\n", "\r", "\r\n"] {
            let s = ["WEBVTT", "", "1", "00:01.000 --> 00:02.000", "a", "b", "", "00:03.000 --> 00:04.000", "c", ""].joined(separator: le)
            let r = WebVTTParser.parse(s)
            #expect(r.document.cues.count == 2, "\(le.debugDescription)")
            #expect(r.document.cues.first?.text == "a\nb")
            #expect(r.document.cues.first?.id == "1")
            #expect(r.document.cues.last?.text == "c")
        }
        #expect(WebVTTParser.parse("WEBVTT\r\n").document.lineEnding == .crlf)
        #expect(WebVTTParser.parse("WEBVTT\r").document.lineEnding == .cr)
        #expect(WebVTTParser.parse("WEBVTT\n").document.lineEnding == .lf)
    }

    @Test("NUL is replaced by U+FFFD")
    func nul() {
        let bytes = Array("WEBVTT\n\nid\u{0}x\n00:01.000 --> 00:02.000\na\u{0}b\n".utf8)
        let r = WebVTTParser.parse(bytes)
        #expect(r.document.cues.count == 1)
        #expect(r.document.cues[0].id == "id\u{FFFD}x")
        #expect(r.document.cues[0].text == "a\u{FFFD}b")
        let strict = WebVTTParser.parse(bytes, mode: .strict)
        #expect(strict.diagnostics.filter { $0.code == "nul_character" }.count == 2)
    }

    @Test("invalid UTF-8 becomes U+FFFD")
    func invalidUTF8() {
        let bytes = Array("WEBVTT\n\n00:01.000 --> 00:02.000\n".utf8) + [0x61, 0xFF, 0x62, 0x0A]
        let r = WebVTTParser.parse(bytes)
        #expect(r.document.cues.first?.text == "a\u{FFFD}b")
        let strict = WebVTTParser.parse(bytes, mode: .strict)
        #expect(strict.diagnostics.contains { $0.code == "invalid_utf8" && $0.line == 4 && $0.column == 2 })
    }

    @Test("no final newline")
    func noFinalNewline() {
        let r = WebVTTParser.parse("WEBVTT\n\n00:01.000 --> 00:02.000\nlast")
        #expect(r.document.cues.first?.text == "last")
        #expect(r.document.trailingLineBreaks == 0)
    }
}

@Suite("Parser: timestamps")
struct TimestampTests {
    func cue(_ timing: String) -> Cue? {
        WebVTTParser.parse("WEBVTT\n\n\(timing)\nx\n").document.cues.first
    }

    @Test("minutes form and hours form")
    func forms() {
        #expect(cue("00:01.000 --> 00:02.500")?.startMs == 1000)
        #expect(cue("00:01.000 --> 00:02.500")?.endMs == 2500)
        #expect(cue("01:02:03.004 --> 01:02:03.005")?.startMs == 3_723_004)
        #expect(cue("123:00:00.000 --> 124:00:00.000")?.startMs == 442_800_000)
        #expect(cue("1:00:00.000 --> 2:00:00.000")?.startMs == 3_600_000) // one-digit hours parse
    }

    @Test("a first field over 59 or not two digits means hours")
    func hoursByValue() {
        // "60:00.000" would be hours 60, then it needs ":ss" -> fails.
        #expect(cue("60:00.000 --> 61:00.000") == nil)
        #expect(cue("100:00:00.000 --> 100:00:01.000")?.startMs == 360_000_000)
    }

    @Test("exact digit counts")
    func digits() {
        #expect(cue("0:01.000 --> 00:02.000") == nil) // one-digit minutes without hours: hours then fails
        #expect(cue("00:1.000 --> 00:02.000") == nil)
        #expect(cue("00:01.00 --> 00:02.000") == nil)
        #expect(cue("00:01.0000 --> 00:02.000") == nil)
        #expect(cue("00:01:001.000 --> 00:02.000") == nil)
        #expect(cue("00:01,000 --> 00:02.000") == nil)
        #expect(cue("00:00:60.000 --> 00:02.000") == nil)
        #expect(cue("00:60:00.000 --> 01:02.000") == nil)
        #expect(cue("00:59:59.999 --> 01:00:00.000")?.startMs == 3_599_999)
    }

    @Test("whitespace around the arrow is optional for the parser")
    func arrowWhitespace() {
        #expect(cue("00:01.000-->00:02.000")?.endMs == 2000)
        #expect(cue("00:01.000\t-->\t00:02.000")?.endMs == 2000)
        #expect(cue("   00:01.000   -->   00:02.000   ")?.endMs == 2000)
        #expect(cue("00:01.000 -> 00:02.000") == nil)
        #expect(cue("00:01.000 - -> 00:02.000") == nil)
    }

    @Test("trailing characters after the end timestamp are settings (ignored)")
    func trailing() {
        let c = cue("00:01.000 --> 00:02.000foo")
        #expect(c?.endMs == 2000)
        #expect(c?.settings == CueSettings())
    }

    @Test("Timestamp helpers")
    func helpers() {
        #expect(Timestamp.parse("00:01.000") == 1000)
        #expect(Timestamp.parse("01:00:01.001") == 3_601_001)
        #expect(Timestamp.parse("00:01.000 ") == nil)
        #expect(Timestamp.parse("1:2.3") == nil)
        #expect(Timestamp.format(0) == "00:00:00.000")
        #expect(Timestamp.format(3_723_004) == "01:02:03.004")
        #expect(Timestamp.format(61_000, alwaysHours: false) == "01:01.000")
        #expect(Timestamp.format(360_000_000) == "100:00:00.000")
        #expect(Timestamp.format(-5) == "00:00:00.000")
        #expect(Timestamp.formatSRT(1_500) == "00:00:01,500")
        #expect(Timestamp.parseDuration("1.5s") == 1500)
        #expect(Timestamp.parseDuration("-200ms") == -200)
        #expect(Timestamp.parseDuration("2m") == 120_000)
        #expect(Timestamp.parseDuration("1h2m3.5s") == 3_723_500)
        #expect(Timestamp.parseDuration("90") == 90_000)
        #expect(Timestamp.parseDuration("-1:02.5") == -62_500)
        #expect(Timestamp.parseDuration("00:01:02.500") == 62_500)
        #expect(Timestamp.parseDuration("01:02,500") == 62_500)
        #expect(Timestamp.parseDuration("abc") == nil)
        #expect(Timestamp.parseDuration("") == nil)
    }
}
