import Testing
import WebVTT

// Cue text typed by a person, cue alignment for re-translation, and SRT round trips of what
// people put in SRT files (<font color>, {\anN}).

@Suite("cue text validation, alignment, SRT font and position")
struct TrustTextTests {
    @Test("validate: a bare & or <, a blank line or --> in one cue's text is reported with line:column")
    func validate() {
        #expect(CueText.validate("Tom &amp; Jerry &lt;3").isEmpty)
        #expect(CueText.validate("<i>Hi</i>\n<v Bob>there</v>").isEmpty)
        let amp = CueText.validate("Tom & Jerry")
        #expect(amp.first?.code == "unescaped_ampersand")
        #expect(amp.first?.line == 1 && amp.first?.column == 5)
        let lt = CueText.validate("ok\nI <3 you")
        #expect(lt.contains { $0.line == 2 && $0.severity == .error })
        #expect(CueText.validate("a\n\nb").contains { $0.code == "blank_line_in_cue" && $0.line == 2 })
        #expect(CueText.validate("a --> b").contains { $0.code == "arrow_in_cue_text" && $0.column == 3 })
    }

    @Test("align: by id, by time across languages, added and removed cues")
    func align() {
        let a = WebVTTParser.parse("WEBVTT\n\n1\n00:00:01.000 --> 00:00:02.000\nOne\n\n2\n00:00:03.000 --> 00:00:04.000\nTwo\n\n3\n00:00:05.000 --> 00:00:06.000\nThree\n").document
        // a translation with no ids: aligned by time
        let t = WebVTTParser.parse("WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nUno\n\n00:00:03.000 --> 00:00:04.000\nDos\n\n00:00:05.000 --> 00:00:06.000\nTres\n").document
        #expect(CueDiff.align(a, t).aForB == [0, 1, 2])
        // cue 2 deleted, a cue added at the end
        let b = WebVTTParser.parse("WEBVTT\n\n1\n00:00:01.000 --> 00:00:02.000\nOne\n\n3\n00:00:05.000 --> 00:00:06.000\nThree, changed\n\n4\n00:00:08.000 --> 00:00:09.000\nFour\n").document
        let r = CueDiff.align(a, b)
        #expect(r.aForB == [0, 2, nil])
        #expect(r.bForA == [0, nil, 1])
        // the diff reports the same alignment
        #expect(CueDiff.diff(a, b).alignedCount == 2)
    }

    @Test("SRT <font color> survives SRT to SRT, as a class span in WebVTT")
    func fontColor() {
        let srt = "1\n00:00:01,000 --> 00:00:02,000\n<font color=\"#ff0000\">Red</font> and <font color=yellow>yellow</font>\n"
        let (doc, diags) = SRT.parse(srt)
        #expect(doc.cues[0].text == "<c.font-color-xff0000>Red</c> and <c.font-color-yellow>yellow</c>")
        #expect(!diags.contains { $0.code == "font_tag_dropped" })
        #expect(SRT.serialize(doc).contains("<font color=\"#ff0000\">Red</font> and <font color=\"yellow\">yellow</font>"))
        // a font tag left open closes with the cue; a face without colour is dropped with a warning
        let open = SRT.parse("1\n00:00:01,000 --> 00:00:02,000\n<font color=\"blue\">Blue\nstill\n\n2\n00:00:03,000 --> 00:00:04,000\n<font face=\"Arial\">Plain</font>\n")
        #expect(open.document.cues[0].text == "<c.font-color-blue>Blue\nstill</c>")
        #expect(open.document.cues[1].text == "Plain")
        #expect(open.diagnostics.contains { $0.code == "font_tag_dropped" })
        #expect(CueText.validate(open.document.cues[0].text).isEmpty)
    }

    @Test("SRT {\\an8} becomes a line: setting, never text, and comes back as {\\an8}")
    func anTags() {
        let srt = "1\n00:00:01,000 --> 00:00:02,000\n{\\an8}Top\n\n2\n00:00:03,000 --> 00:00:04,000\n{\\an1}Bottom left\n\n3\n00:00:05,000 --> 00:00:06,000\nPlain\n"
        let (doc, _) = SRT.parse(srt)
        #expect(doc.cues[0].text == "Top")
        #expect(doc.cues[0].settingsText.contains("line:0"))
        let out = SRT.serialize(doc)
        #expect(out.contains("{\\an8}Top"))
        #expect(out.contains("{\\an1}Bottom left"))
        #expect(out.contains("\nPlain\n"))
        // and through WebVTT text and back
        let vtt = WebVTTSerializer.serialize(doc)
        let again = SRT.serialize(WebVTTParser.parse(vtt, mode: .browser).document)
        #expect(again.contains("{\\an8}Top"))
    }
}
