import Testing
import WebVTT

/// The WebVTT cue text tokenizer and parsing rules.
@Suite("Cue text")
struct CueTextTests {
    func el(_ kind: CueElement.Kind, _ children: [CueNode], classes: [String] = [], annotation: String = "",
            language: String? = nil) -> CueNode {
        .element(CueElement(kind: kind, classes: classes, annotation: annotation, language: language, children: children))
    }

    @Test("plain text is one text node")
    func plain() {
        #expect(CueText.parse("hello world") == [.text("hello world")])
        #expect(CueText.parse("") == [])
        #expect(CueText.parse("a\nb") == [.text("a\nb")])
    }

    @Test("i, b, u, c with classes")
    func basicTags() {
        #expect(CueText.parse("<i>a</i><b>b</b><u>c</u>") == [el(.i, [.text("a")]), el(.b, [.text("b")]), el(.u, [.text("c")])])
        #expect(CueText.parse("<c.yellow.bg_blue>x</c>") == [el(.c, [.text("x")], classes: ["yellow", "bg_blue"])])
        #expect(CueText.parse("<i.a..b>x</i>") == [el(.i, [.text("x")], classes: ["a", "b"])])
    }

    @Test("voice with annotation; whitespace collapsed")
    func voice() {
        #expect(CueText.parse("<v Roger Bingham>Hi") == [el(.v, [.text("Hi")], annotation: "Roger Bingham")])
        #expect(CueText.parse("<v.loud   Bob \t Smith  >Hey</v>") ==
                [el(.v, [.text("Hey")], classes: ["loud"], annotation: "Bob Smith")])
        #expect(CueText.parse("<v>x</v>") == [el(.v, [.text("x")])])
    }

    @Test("lang sets the applicable language of nested nodes")
    func lang() {
        let nodes = CueText.parse("<lang en>a<i>b</i></lang><i>c</i>")
        #expect(nodes == [
            // the language object itself gets the language it pushed
            el(.lang, [.text("a"), el(.i, [.text("b")], language: "en")], annotation: "en", language: "en"),
            el(.i, [.text("c")]),
        ])
    }

    @Test("ruby and rt; rt only directly inside ruby; </ruby> closes an open rt")
    func ruby() {
        #expect(CueText.parse("<ruby>漢<rt>kan</rt>字<rt>ji</ruby>!") == [
            el(.ruby, [.text("漢"), el(.rt, [.text("kan")]), .text("字"), el(.rt, [.text("ji")])]),
            .text("!"),
        ])
        #expect(CueText.parse("<rt>x</rt>") == [.text("x")])
    }

    @Test("timestamp tags")
    func timestamps() {
        #expect(CueText.parse("a<00:00:01.500>b") == [.text("a"), .timestamp(1500), .text("b")])
        #expect(CueText.parse("a<00:01.500>b") == [.text("a"), .timestamp(1500), .text("b")])
        #expect(CueText.parse("a<00:01.5>b") == [.text("a"), .text("b")])
        #expect(CueText.parse("a<1x>b") == [.text("a"), .text("b")])
    }

    @Test("unknown tags and mismatched end tags are ignored")
    func unknown() {
        #expect(CueText.parse("<font color=red>x</font>") == [.text("x")])
        #expect(CueText.parse("<i>a</b>b</i>c") == [el(.i, [.text("a"), .text("b")]), .text("c")])
        #expect(CueText.parse("<i>open") == [el(.i, [.text("open")])])
        #expect(CueText.parse("<>x") == [.text("x")])
        #expect(CueText.parse("a<") == [.text("a")])
        #expect(CueText.parse("</i>x") == [.text("x")])
    }

    @Test("character references")
    func entities() {
        #expect(CueText.parse("a &amp; b &lt;i&gt;") == [.text("a & b <i>")])
        #expect(CueText.parse("&nbsp;&lrm;&rlm;") == [.text("\u{A0}\u{200E}\u{200F}")])
        #expect(CueText.parse("&#65;&#x42;&#X43;") == [.text("ABC")])
        #expect(CueText.parse("&#128;") == [.text("\u{20AC}")])
        #expect(CueText.parse("&#0;&#xD800;&#x110000;") == [.text("\u{FFFD}\u{FFFD}\u{FFFD}")])
        #expect(CueText.parse("a & b &c &#; &#x;") == [.text("a & b &c &#; &#x;")])
        #expect(CueText.parse("&amp") == [.text("&")]) // legacy name without semicolon
        #expect(CueText.parse("&notit;") == [.text("¬it;")]) // longest match: "not"
        #expect(CueText.parse("<v Tom &amp; Jerry>x") == [el(.v, [.text("x")], annotation: "Tom & Jerry")])
    }

    @Test("plainText strips tags and decodes references")
    func plainText() {
        #expect(CueText.plainText("<v Bob><i>Hello</i> &amp; <c.x>bye</c>\nnow") == "Hello & bye\nnow")
        #expect(CueText.plainText("plain") == "plain")
        #expect(CueText.escape("a<b & c>") == "a&lt;b &amp; c&gt;")
    }

    @Test("visible length measure")
    func measure() {
        let m = CueText.measure("<i>Hello</i> &amp; bye\nsecond line")
        #expect(m.total == 11 + 11)
        #expect(m.lines == [11, 11])
        #expect(CueText.measure("日本語").total == 3)
        #expect(CueText.measure("").lines == [0])
    }

    @Test("deeply nested tags do not blow the stack")
    func deep() {
        let s = String(repeating: "<i>", count: 50_000) + "x"
        let nodes = CueText.parse(s)
        #expect(nodes.count == 1)
        #expect(CueText.plainText(s) == "x")
    }
}
