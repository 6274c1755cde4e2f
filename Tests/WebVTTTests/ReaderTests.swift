import Testing
import WebVTT

/// The import readers (TTML, ASS/SSA, SBV), SRT as people have it, the encodings, the XML
/// reader's depth bound and the sniffing of each format, from literals.
@Suite struct ReaderTests {
    func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }
    func codes(_ d: [Diagnostic]) -> [String] { d.map(\.code) }

    // MARK: TTML

    @Test func ttmlReadsBackWhatTheWriterWrites() throws {
        let vtt = "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nOne &amp; <i>two</i>\nthree\n\n00:00:03.500 --> 00:00:04.000\n<v Anna>Hi</v>\n"
        let doc = WebVTTParser.parse(vtt).document
        for profile in TTMLExport.Profile.allCases {
            let xml = TTMLExport.export(doc, profile: profile, lang: "en").xml
            let (back, diags) = TTMLImport.parse(bytes(xml))
            #expect(back.cues.map(\.startMs) == [1000, 3500])
            #expect(back.cues.map(\.endMs) == [2000, 4000])
            #expect(back.cues[0].text == "One &amp; <i>two</i>\nthree")
            if profile == .imsc1 { #expect(back.cues[1].text == "<v Anna>Hi</v>") }
            #expect(codes(diags).contains("regions_dropped"))
        }
    }

    @Test func ttmlRealWorldShapes() {
        let xml = """
        <?xml version="1.0" encoding="UTF-8"?>
        <tt:tt xmlns:tt="http://www.w3.org/ns/ttml" xmlns:tts="http://www.w3.org/ns/ttml#styling" xmlns:ttp="http://www.w3.org/ns/ttml#parameter" ttp:frameRate="25" ttp:tickRate="10">
          <tt:head><tt:styling><tt:style xml:id="it" tts:fontStyle="italic"/></tt:styling>
            <tt:layout><tt:region xml:id="bottom" tts:origin="10% 80%" tts:extent="80% 20%"/></tt:layout></tt:head>
          <tt:body><tt:div begin="10s">
            <tt:p begin="00:00:01.500" end="00:00:02:12" region="bottom">Hello
               <tt:br/>  <tt:span tts:fontStyle="italic">world</tt:span></tt:p>
            <tt:p begin="12.5s" dur="500ms"><tt:span style="it">styled</tt:span> &lt;x&gt;</tt:p>
            <tt:p begin="30t" end="1m">ticks</tt:p>
            <tt:p>untimed</tt:p>
          </tt:div></tt:body>
        </tt:tt>
        """
        #expect(SubtitleFormat.sniff(bytes(xml)) == .ttml)
        let (doc, diags) = TTMLImport.parse(bytes(xml))
        #expect(doc.cues.map(\.startMs) == [11_500, 22_500, 13_000])
        #expect(doc.cues.map(\.endMs) == [12_480, 23_000, 70_000])
        #expect(doc.cues.map(\.text) == ["Hello\n<i>world</i>", "<i>styled</i> &lt;x&gt;", "ticks"])
        #expect(codes(diags).contains("regions_dropped"))
        #expect(codes(diags).contains("untimed_paragraph"))
    }

    @Test func ttmlMalformedAndForeignXMLAreErrorsWithTheLine() {
        let (d1, g1) = TTMLImport.parse(bytes("<tt>\n<body><p begin='1s' end='2s'>x</body></tt>"))
        #expect(d1.cues.isEmpty && g1.first?.code == "malformed_xml" && g1.first?.line == 2)
        let (d2, g2) = TTMLImport.parse(bytes("<html/>"))
        #expect(d2.cues.isEmpty && g2.first?.code == "not_ttml")
        let (d3, g3) = TTMLImport.parse(bytes("<tt><body><p begin='soon' end='2s'>x</p></body></tt>"))
        #expect(d3.cues.isEmpty && codes(g3).contains("invalid_time"))
    }

    // MARK: ASS / SSA

    static let ass = """
    [Script Info]
    ScriptType: v4.00+

    [V4+ Styles]
    Format: Name, Fontname, Fontsize
    Style: Default,Arial,20

    [Events]
    Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text
    Comment: 0,0:00:00.00,0:00:01.00,Default,,0,0,0,,not shown
    Dialogue: 0,0:00:01.00,0:00:02.50,Default,Anna,0,0,0,,Hello, {\\i1}world{\\i0}!
    Dialogue: 0,0:00:03.00,0:00:04.00,Default,,0,0,0,,{\\pos(10,20)\\b1}Second\\Nline\\hend & <3
    """

    @Test func assFormatLineDecidesTheColumns() {
        #expect(SubtitleFormat.sniff(bytes(Self.ass)) == .ass)
        let (doc, diags) = ASS.parse(bytes(Self.ass))
        #expect(doc.cues.map(\.startMs) == [1000, 3000])
        #expect(doc.cues.map(\.endMs) == [2500, 4000])
        #expect(doc.cues[0].text == "<v Anna>Hello, <i>world</i>!")
        #expect(doc.cues[1].text == "<b>Second\nline end &amp; &lt;3</b>")
        #expect(codes(diags).contains("override_tag_dropped"))
        #expect(codes(diags).contains("styles_dropped"))
        // SSA: another column order (Marked, no Layer), and Text first would still be last
        let ssa = "[Script Info]\n\n[Events]\nFormat: Marked, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text\nDialogue: Marked=0,0:01:02.03,0:01:03.00,*Default,NTP,0000,0000,0000,,a, b\n"
        let (d2, _) = ASS.parse(bytes(ssa))
        #expect(d2.cues.map(\.startMs) == [62_030])
        #expect(d2.cues.first?.text == "<v NTP>a, b")
    }

    @Test func assBadDialogueIsDroppedWithTheLine() {
        let (doc, diags) = ASS.parse(bytes("[Events]\nFormat: Start, End, Text\nDialogue: 0:00:01.00\nDialogue: x,0:00:02.00,t\n"))
        #expect(doc.cues.isEmpty)
        #expect(diags.filter { $0.severity == .error }.map(\.line) == [3, 4])
    }

    // MARK: SBV

    @Test func sbvReads() {
        let sbv = "0:00:01.000,0:00:02.000\nFirst & <b>\n\n0:00:03.5,0:00:04.000\nSecond[br]line\n\nnot a time\ntext\n"
        #expect(SubtitleFormat.sniff(bytes(sbv)) == .sbv)
        let (doc, diags) = SBV.parse(bytes(sbv))
        #expect(doc.cues.map(\.startMs) == [1000, 3500])
        #expect(doc.cues.map(\.text) == ["First &amp; &lt;b&gt;", "Second\nline"])
        #expect(diags.map(\.line) == [7])
    }

    // MARK: SRT as people have it

    func utf16(_ s: String, bigEndian: Bool) -> [UInt8] {
        (bigEndian ? [0xFE, 0xFF] : [0xFF, 0xFE]) + s.utf16.flatMap { bigEndian ? [UInt8($0 >> 8), UInt8($0 & 0xFF)] : [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
    }

    func utf32(_ s: String, bigEndian: Bool) -> [UInt8] {
        let units = [UInt32(0xFEFF)] + s.unicodeScalars.map(\.value)
        return units.flatMap { v in
            let b = [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)]
            return bigEndian ? b : b.reversed()
        }
    }

    @Test func aByteOrderMarkDecidesTheEncoding() {
        let srt = "1\n00:00:01,000 --> 00:00:02,000\nHéllo 🎬\n\n2\n00:00:03,000 --> 00:00:04,000\nline one\\Nline two\n"
        for input in [utf16(srt, bigEndian: false), utf16(srt, bigEndian: true), utf32(srt, bigEndian: false), utf32(srt, bigEndian: true)] {
            #expect(SubtitleFormat.sniff(input, fileName: "x.txt") == .srt)
            let (doc, diags) = SRT.parse(input)
            #expect(doc.cues.map(\.text) == ["Héllo 🎬", "line one\nline two"])
            #expect(!codes(diags).contains("not_utf8"))
        }
        #expect(TextEncoding.utf8Bytes([0x41, 0xE9], forced: .latin1).bytes == Array("Aé".utf8))
        #expect(TextEncoding.utf8Bytes([0x80], forced: .windows1252).bytes == Array("€".utf8))
        #expect(TextEncoding(name: "UTF16-LE") == .utf16le && TextEncoding(name: "klingon") == nil)
    }

    @Test func srtTagsAsPlayersShowThem() {
        let srt = "1\n00:00:01,000 --> 00:00:02,000\n<s>struck</s> <blink>on</blink> <i>i</i> a<b\n{y:i}line italic\n\n2\n00:00:03,000 --> 00:00:04,000\n{Y:i}whole\ncue {c:$0000FF}x\n\n3\n"
        let (doc, diags) = SRT.parse(bytes(srt))
        #expect(doc.cues.count == 2)
        #expect(doc.cues[0].text == "struck on <i>i</i> a&lt;b\n<i>line italic</i>")
        #expect(doc.cues[1].text == "<i>whole\ncue x</i>")
        #expect(codes(diags).contains("trailing_index"))
        #expect(codes(diags).contains("override_tag_dropped"))
    }

    @Test func srtNulIsWrittenAsWhatTheParserReads() {
        let (doc, _) = SRT.parse([UInt8]("1\n00:00:01,000 --> 00:00:02,000\na".utf8) + [0] + [UInt8]("b\n".utf8))
        #expect(doc.cues.first?.text == "a\u{FFFD}b")
        let once = WebVTTSerializer.serialize(doc)
        #expect(WebVTTSerializer.serialize(WebVTTParser.parse(once).document) == once)
    }

    @Test func srtEmptyLinesFromBreaksDoNotSplitTheCue() {
        let (doc, _) = SRT.parse(bytes("1\n00:00:01,000 --> 00:00:02,000\na\\N\\Nb\\N\n"))
        #expect(doc.cues.first?.text == "a\nb")
    }

    // MARK: regions, XML depth

    @Test func regionLinesKeepAnyNonNegativeInteger() {
        let vtt = "WEBVTT\n\nREGION\nid:r\nlines:4294967296\n\nREGION\nid:s\nlines:99999999999999999999999\n"
        let regions = WebVTTParser.parse(vtt).document.regions
        #expect(regions.map(\.lines) == [4_294_967_296, Int.max])
    }

    @Test func xmlNestingIsBoundedWithAnError() {
        let deep = "<a>" + String(repeating: "<b>", count: 100_000)
        do { _ = try XMLReader.parse(bytes(deep)); Issue.record("parsed") } catch let e as XMLSyntaxError {
            #expect(e.message.contains("nested more than \(XMLReader.maxDepth)"))
        } catch { Issue.record("\(error)") }
        let ok = String(repeating: "<b>", count: XMLReader.maxDepth) + String(repeating: "</b>", count: XMLReader.maxDepth)
        #expect((try? XMLReader.parse(bytes(ok))) != nil)
    }

    @Test func sniffByExtensionWhenTheContentDoesNotSay() {
        #expect(SubtitleFormat.sniff(bytes(""), fileName: "a.ASS") == .ass)
        #expect(SubtitleFormat.sniff(bytes(""), fileName: "a.ssa") == .ass)
        #expect(SubtitleFormat.sniff(bytes(""), fileName: "a.sbv") == .sbv)
        #expect(SubtitleFormat.sniff(bytes(""), fileName: "a.dfxp") == .ttml)
        #expect(SubtitleFormat.sniff(bytes("WEBVTT\n"), fileName: "a.ttml") == .webvtt)
        #expect(SubtitleFormat.sniff(bytes("<!-- c --><tt xmlns='x'/>"), fileName: nil) == .ttml)
        #expect(SubtitleFormat.sniff(bytes("<html/>"), fileName: nil) == .webvtt)
    }
}
