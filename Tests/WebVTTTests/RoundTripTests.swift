import Testing
import WebVTT

/// Parsing then serializing with `.preserve` gives back the same bytes.
@Suite("Round trip")
struct RoundTripTests {
    static let fixtures: [String] = [
        // canonical, every block kind
        """
        WEBVTT - Demo file

        STYLE
        ::cue { color: white; }
        ::cue(.yellow) { color: yellow; }

        REGION
        id:fred width:40% lines:3 regionanchor:0%,100% viewportanchor:10%,90% scroll:up

        NOTE This file shows every block kind

        1
        00:00:00.000 --> 00:00:01.500 region:fred align:left
        <v Fred>Hi, my name is Fred

        intro
        00:00:01.500 --> 00:00:03.000 line:0 position:20%,line-left size:60% align:start
        <c.yellow>Yellow</c> &amp; <i>italic</i>
        second line

        00:00:03.000 --> 00:00:05.000 vertical:rl line:-1,end
        <ruby>漢<rt>kan</rt></ruby> <00:00:04.000>karaoke

        NOTE
        a note between cues

        00:00:05.000 --> 00:00:06.000

        """,
        // minutes-only timestamps, header metadata, no trailing newline
        "WEBVTT\nKind: captions\nLanguage: en\n\n00:01.000 --> 00:02.000\nshort form\n\n01:00:00.000 --> 01:00:01.000\nhours",
        // CRLF
        "WEBVTT\r\n\r\n1\r\n00:00:01.000 --> 00:00:02.000\r\none\r\ntwo\r\n\r\n2\r\n00:00:03.000 --> 00:00:04.000\r\nthree\r\n",
        // CR only
        "WEBVTT\r\r00:01.000 --> 00:02.000\rx\r",
        // odd but valid spacing is kept
        "WEBVTT\n\n\n\n00:01.000   -->\t00:02.000   align:start  \ntext\n\n\n",
        // cue directly after signature, cues without blank lines between them
        "WEBVTT\n00:01.000 --> 00:02.000\na\n00:02.000 --> 00:03.000\nb\n",
        // blocks a browser ignores are kept for fmt
        "WEBVTT\n\nstray text\n\n00:01.000 --> oops\nbroken\n\n00:02.000 --> 00:03.000\nok\n\nSTYLE\n::cue {}\n",
        // one-digit and long hours, end before start, huge hour values
        "WEBVTT\n\n1:00:00.000 --> 0001:00:01.000\nx\n\n00:05.000 --> 00:01.000\nbackwards\n\n9999:00:00.000 --> 10000:00:00.000\nlate\n",
        // empty file variants
        "WEBVTT", "WEBVTT\n", "WEBVTT\n\n\n", "WEBVTT - title only\n",
        // whitespace-only lines inside cues, tabs
        "WEBVTT\n\n00:01.000 --> 00:02.000\n  \n\tindented\n",
    ]

    @Test("fixtures round-trip byte for byte", arguments: fixtures)
    func roundTrip(_ text: String) {
        let r = WebVTTParser.parse(text)
        #expect(!r.rejected)
        #expect(WebVTTSerializer.serialize(r.document) == text)
        // and the re-parse gives the same document
        let again = WebVTTParser.parse(WebVTTSerializer.serialize(r.document)).document
        #expect(again == r.document)
    }

    @Test("streaming write gives the same bytes as serializeBytes")
    func streaming() {
        var s = "WEBVTT\n\nNOTE x\n\n"
        for i in 0..<3000 { s += "\(i)\n\(Timestamp.format(Int64(i) * 1000)) --> \(Timestamp.format(Int64(i) * 1000 + 500)) align:start\nline \(i)\n\n" }
        let doc = WebVTTParser.parse(s).document
        var chunks: [[UInt8]] = []
        WebVTTSerializer.write(doc, chunkSize: 4096) { chunks.append(Array($0)) }
        #expect(chunks.count > 10)
        #expect(chunks.flatMap { $0 } == WebVTTSerializer.serializeBytes(doc))
        #expect(chunks.flatMap { $0 } == Array(s.utf8))
        let crlf = FormatOptions(lineEnding: .crlf)
        var all: [UInt8] = []
        WebVTTSerializer.write(doc, options: crlf, chunkSize: 1000) { all.append(contentsOf: $0) }
        #expect(all == WebVTTSerializer.serializeBytes(doc, options: crlf))
    }

    @Test("BOM round-trips")
    func bom() {
        let bytes: [UInt8] = [0xEF, 0xBB, 0xBF] + Array("WEBVTT\n\n00:01.000 --> 00:02.000\nx\n".utf8)
        let r = WebVTTParser.parse(bytes)
        #expect(WebVTTSerializer.serializeBytes(r.document) == bytes)
        #expect(WebVTTSerializer.serializeBytes(r.document, options: FormatOptions(byteOrderMark: false)) == Array(bytes.dropFirst(3)))
    }

    @Test("a changed timestamp is written canonically, the untouched one keeps its spelling")
    func editedTimestamp() {
        var doc = WebVTTParser.parse("WEBVTT\n\n00:01.000 --> 00:02.000\nx\n").document
        doc.cues[0].endMs = 2500
        #expect(WebVTTSerializer.serialize(doc) == "WEBVTT\n\n00:01.000 --> 00:00:02.500\nx\n")
    }

    @Test("an edited odd timing line becomes canonical")
    func editedOddLine() {
        var doc = WebVTTParser.parse("WEBVTT\n\n00:01.000\t-->   00:02.000   line:0\nx\n").document
        #expect(WebVTTSerializer.serialize(doc) == "WEBVTT\n\n00:01.000\t-->   00:02.000   line:0\nx\n")
        doc.cues[0].startMs = 500
        #expect(WebVTTSerializer.serialize(doc) == "WEBVTT\n\n00:00:00.500 --> 00:02.000 line:0\nx\n")
    }

    @Test("edited text, id and settings are written")
    func editedFields() {
        var doc = WebVTTParser.parse("WEBVTT\n\n1\n00:01.000 --> 00:02.000\nx\n").document
        doc.cues[0].text = "new\ntext"
        doc.cues[0].id = "a"
        doc.cues[0].setSettingsText("align:end", regions: [])
        #expect(WebVTTSerializer.serialize(doc) == "WEBVTT\n\na\n00:01.000 --> 00:02.000 align:end\nnew\ntext\n")
    }

    @Test("text that would break the file is made safe")
    func unsafeText() {
        var doc = WebVTTDocument()
        var c = Cue(startMs: 0, endMs: 1000, text: "a\n\nb --> c\n")
        c.id = "x\ny"
        doc.cues = [c]
        let out = WebVTTSerializer.serialize(doc)
        #expect(out == "WEBVTT\n\nx y\n00:00:00.000 --> 00:00:01.000\na\nb --&gt; c\n")
        let back = WebVTTParser.parse(out).document
        #expect(back.cues.count == 1)
    }

    @Test("a document built in code serializes canonically")
    func built() {
        var doc = WebVTTDocument()
        doc.cues = [Cue(id: "1", startMs: 0, endMs: 1500, text: "Hello"),
                    Cue(startMs: 3_600_000, endMs: 3_601_000, text: "Later", settings: "align:start")]
        doc.blocks = [Block.note("made in code", cueIndex: 1), Block.region(Region(id: "r", width: 50))]
        let out = WebVTTSerializer.serialize(doc)
        #expect(out == """
        WEBVTT

        REGION
        id:r width:50% lines:3 regionanchor:0%,100% viewportanchor:0%,100%

        1
        00:00:00.000 --> 00:00:01.500
        Hello

        NOTE made in code

        01:00:00.000 --> 01:00:01.000 align:start
        Later

        """)
        let back = WebVTTParser.parse(out).document
        #expect(back.regions.first?.width == 50)
        #expect(back.cues.count == 2)
    }
}

@Suite("Format options")
struct FormatOptionsTests {
    static let messy = "\u{FEFF}WEBVTT\r\nKind: captions\r\n\r\n\r\nNOTE hi\r\n\r\nstray\r\n\r\nold\r\n00:01.000   -->  00:02.000  align:start\r\nx\r\n\r\n\r\n1:00:00.000 --> 1:00:01.000\r\ny\r\n\r\n\r\n"

    @Test("each option normalizes only its own aspect")
    func separately() {
        let doc = WebVTTParser.parse(Self.messy).document
        #expect(WebVTTSerializer.serialize(doc) == Self.messy)
        let lf = WebVTTSerializer.serialize(doc, options: FormatOptions(lineEnding: .lf))
        #expect(lf == Self.messy.replacingAll("\r\n", "\n"))
        let hours = WebVTTSerializer.serialize(doc, options: FormatOptions(timestampsWithHours: true, lineEnding: .lf))
        #expect(hours.contains("00:00:01.000 --> 00:00:02.000 align:start\nx"))
        #expect(hours.contains("01:00:00.000 --> 01:00:01.000\ny"))
        let renumber = WebVTTSerializer.serialize(doc, options: FormatOptions(lineEnding: .lf, renumberIds: true))
        #expect(renumber.contains("\n1\n00:01.000   -->  00:02.000  align:start\nx\n"))
        #expect(renumber.contains("\n2\n1:00:00.000 --> 1:00:01.000\ny\n"))
        let noNotes = WebVTTSerializer.serialize(doc, options: FormatOptions(lineEnding: .lf, stripNotes: true))
        #expect(!noNotes.contains("NOTE"))
        #expect(noNotes.contains("stray"))
    }

    @Test("canonical preset")
    func canonical() {
        let doc = WebVTTParser.parse(Self.messy).document
        let out = WebVTTSerializer.serialize(doc, options: .canonical)
        #expect(out == """
        WEBVTT
        Kind: captions

        NOTE hi

        old
        00:00:01.000 --> 00:00:02.000 align:start
        x

        01:00:00.000 --> 01:00:01.000
        y

        """)
        // canonical output is stable
        let again = WebVTTSerializer.serialize(WebVTTParser.parse(out).document, options: .canonical)
        #expect(again == out)
        #expect(WebVTTSerializer.serialize(WebVTTParser.parse(out).document) == out)
    }
}

extension String {
    func replacingAll(_ a: String, _ b: String) -> String {
        self.split(separator: a, omittingEmptySubsequences: false).joined(separator: b)
    }
}
