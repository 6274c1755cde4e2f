import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
import WebVTT

@Suite("SRT")
struct SRTTests {
    @Test("standard SRT")
    func standard() {
        let (doc, diags) = SRT.parse("1\r\n00:00:01,000 --> 00:00:02,500\r\nHello\r\n<i>world</i>\r\n\r\n2\r\n00:00:03,000 --> 00:00:04,000\r\nBye\r\n")
        #expect(diags.isEmpty)
        #expect(doc.cues.count == 2)
        #expect(doc.cues[0].id == "1")
        #expect(doc.cues[0].startMs == 1000)
        #expect(doc.cues[0].endMs == 2500)
        #expect(doc.cues[0].text == "Hello\n<i>world</i>")
        #expect(doc.lineEnding == .crlf)
    }

    @Test("dialects: dot millis, missing index, BOM, short millis, no hours, coordinates")
    func dialects() {
        let bytes: [UInt8] = [0xEF, 0xBB, 0xBF] + Array("00:00:01.5 --> 00:00:02.000 X1:10 X2:20 Y1:1 Y2:2\nno index\n\n7\n01:02,300 --> 01:03,000\nno hours\n".utf8)
        let (doc, diags) = SRT.parse(bytes)
        #expect(doc.cues.count == 2)
        #expect(doc.cues[0].startMs == 1500)
        #expect(doc.cues[0].id == "")
        #expect(doc.cues[1].startMs == 62_300)
        #expect(doc.cues[1].id == "7")
        let codes = diags.map(\.code)
        #expect(codes.contains("missing_index"))
        #expect(codes.contains("dot_milliseconds"))
    }

    @Test("font colours kept as class spans; bare & and < escaped; {\\an8} becomes line:0")
    func tags() {
        let (doc, diags) = SRT.parse("1\n00:00:01,000 --> 00:00:02,000\n{\\an8}<font color=\"red\">Tom & Jerry</font> <3\n")
        #expect(doc.cues[0].text == "<c.font-color-red>Tom &amp; Jerry</c> &lt;3")
        #expect(doc.cues[0].settings.line == 0)
        #expect(!diags.map(\.code).contains("font_tag_dropped"))
        #expect(CueText.plainText(doc.cues[0].text) == "Tom & Jerry <3")
    }

    @Test("no blank line between cues; stray text joins the previous cue")
    func lenient() {
        let (doc, diags) = SRT.parse("1\n00:00:01,000 --> 00:00:02,000\na\n2\n00:00:03,000 --> 00:00:04,000\nb\n\nmore b\n")
        #expect(doc.cues.map(\.text) == ["a", "b\nmore b"])
        #expect(diags.map(\.code).contains("text_without_timing"))
    }

    @Test("Windows-1252 input")
    func cp1252() {
        let bytes = Array("1\n00:00:01,000 --> 00:00:02,000\nCaf".utf8) + [0xE9, 0x20, 0x93, 0x78, 0x94, 0x0A]
        let (doc, diags) = SRT.parse(bytes)
        #expect(doc.cues.first?.text == "Café “x”")
        #expect(diags.map(\.code).contains("not_utf8"))
    }

    @Test("write SRT")
    func write() {
        let doc = WebVTTParser.parse("WEBVTT\n\nx\n00:01.000 --> 00:02.500 align:start\n<v Bob><i>Hi</i> &amp; <c.y>bye</c>\nline <00:01.500>two\n\n00:01:00.000 --> 00:01:01.000\n<ruby>漢<rt>kan</rt></ruby>\n").document
        let srt = SRT.serialize(doc)
        #expect(srt == "1\n00:00:01,000 --> 00:00:02,500\n{\\an1}<i>Hi</i> & bye\nline two\n\n2\n00:01:00,000 --> 00:01:01,000\n漢(kan)\n")
        // and back
        let (again, _) = SRT.parse(srt)
        #expect(again.cues.count == 2)
        #expect(again.cues[0].startMs == 1000)
        #expect(SRT.serialize(doc, lineEnding: .crlf).contains("1\r\n00:00:01,000"))
    }
}

@Suite("TTML export")
struct TTMLTests {
    static let source = """
    WEBVTT

    REGION
    id:top width:60% lines:2 regionanchor:0%,0% viewportanchor:20%,10% scroll:up

    STYLE
    ::cue { color: red }

    00:00:01.000 --> 00:00:02.000
    Hello <i>world</i> &amp; <b>bold</b> <u>u</u>
    <c.yellow.bg_blue>colored</c> <c.unknown>x</c>

    00:00:02.000 --> 00:00:03.000 region:top
    <v Anna>In the region</v>

    00:00:03.000 --> 00:00:04.000 line:10% position:20%,line-left size:50% align:start
    Positioned <lang fr>bonjour</lang>

    00:00:04.000 --> 00:00:05.000 vertical:rl
    <ruby>漢<rt>kan</rt></ruby> <00:00:04.500>late

    00:00:06.000 --> 00:00:05.000
    backwards

    """

    final class Checker: NSObject, XMLParserDelegate {
        var root: String?
        var rootNamespace: String?
        var elements: [String] = []
        var pCount = 0
        func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?,
                    qualifiedName qName: String?, attributes attributeDict: [String: String] = [:]) {
            if root == nil { root = elementName; rootNamespace = namespaceURI }
            elements.append(qName ?? elementName)
            if elementName == "p" { pCount += 1 }
        }
    }

    func check(_ xml: String) -> Checker? {
        let parser = XMLParser(data: Data(xml.utf8))
        parser.shouldProcessNamespaces = true
        let checker = Checker()
        parser.delegate = checker
        guard parser.parse() else { return nil }
        return checker
    }

    @Test("IMSC1 output is well-formed TTML with regions, styles and agents")
    func imsc1() throws {
        let doc = WebVTTParser.parse(Self.source).document
        let (xml, warnings) = TTMLExport.export(doc, profile: .imsc1, lang: "en")
        let c = try #require(check(xml), "not well-formed:\n\(xml)")
        #expect(c.root == "tt")
        #expect(c.rootNamespace == "http://www.w3.org/ns/ttml")
        #expect(c.pCount == 4)
        #expect(xml.contains("ttp:profile=\"http://www.w3.org/ns/ttml/profile/imsc1/text\""))
        #expect(xml.contains("xml:lang=\"en\""))
        #expect(xml.contains("tts:fontStyle=\"italic\""))
        #expect(xml.contains("tts:color=\"#FFFF00\""))
        #expect(xml.contains("tts:backgroundColor=\"#0000FF\""))
        #expect(xml.contains("ttm:agent"))
        #expect(xml.contains("<ttm:name type=\"full\">Anna</ttm:name>"))
        #expect(xml.contains("tts:writingMode=\"tbrl\""))
        #expect(xml.contains("xml:lang=\"fr\""))
        #expect(xml.contains("tts:origin=\"20% 10%\" tts:extent=\"60% 12%\""))
        #expect(xml.contains("tts:origin=\"20% 10%\" tts:extent=\"50% 5.33%\""))
        #expect(xml.contains("Hello <span style="))
        #expect(xml.contains("&amp;"))
        #expect(xml.contains("begin=\"00:00:01.000\" end=\"00:00:02.000\""))
        for w in ["scroll", "STYLE", "unknown", "ruby", "timestamp", "skipped"] {
            #expect(warnings.contains { $0.contains(w) }, "warning about \(w): \(warnings)")
        }
    }

    @Test("EBU-TT-D output is well-formed and declares conformance")
    func ebuttd() throws {
        let doc = WebVTTParser.parse(Self.source).document
        let (xml, warnings) = TTMLExport.export(doc, profile: .ebuttd, lang: "en")
        let c = try #require(check(xml), "not well-formed:\n\(xml)")
        #expect(c.root == "tt")
        #expect(c.rootNamespace == "http://www.w3.org/ns/ttml")
        #expect(xml.contains("urn:ebu:tt:distribution:2018-04"))
        #expect(xml.contains("ttp:timeBase=\"media\""))
        #expect(!xml.contains("ttm:agent"))
        #expect(!xml.contains("writingMode"))
        #expect(warnings.contains { $0.contains("vertical") })
        #expect(warnings.contains { $0.contains("voice") })
        // every p has a region (EBU-TT-D shows nothing outside regions)
        #expect(xml.components(separatedBy: "<p ").dropFirst().allSatisfy { $0.contains("region=\"r") })
    }

    @Test("hostile text stays well-formed")
    func hostile() throws {
        let doc = WebVTTDocument(cues: [Cue(startMs: 0, endMs: 1000, text: "<v a\"b&c>]]> \u{1}\u{FFFE} &lt;/p&gt;")])
        for profile in TTMLExport.Profile.allCases {
            let (xml, _) = TTMLExport.export(doc, profile: profile, lang: "x\"y")
            #expect(check(xml) != nil, "\(profile): \(xml)")
        }
    }
}
