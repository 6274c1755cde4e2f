import Testing
import WebVTT

/// Browser-conformance cases in the style of the web-platform-tests WebVTT file-parsing suite:
/// what a conforming browser exposes for each input (cue count, ids, text, attribute values).
@Suite("Browser conformance")
struct ConformanceTests {
    func cues(_ s: String) -> [Cue] { WebVTTParser.parse(s).document.cues }

    func block(_ timing: String, _ text: String = "x") -> String { "00:00:00.000 --> 00:00:01.000 \(timing)\n\(text)\n\n" }

    @Test("settings, line: valid, invalid, percentages and alignments")
    func settingsLine() {
        let valid = ["-1", "0", "-0", "1", "100", "101", "65536", "4294967296", "18446744073709552000",
                     "10000000000000000000000000000000000", "1.5"]
        let expected: [Double] = [-1, 0, 0, 1, 100, 101, 65536, 4_294_967_296, 18_446_744_073_709_552_000, 1e34, 1.5]
        let invalid = ["65536%", "4294967296%", "18446744073709552000%", "10000000000000000000000000000000000%", "-0%",
                       "101%", "1%-", "1-", "%1", "1%%", "0%0", " 0%", "0%x", "-", "%", "1..5", ".5", "5."]
        let extra = ["0%", "00%", "100%", "100%,start", "100%,center", "100%,end", "100%,middle"]
        var file = "WEBVTT\n\n"
        for v in valid + invalid + extra { file += block("line:" + v) }
        let c = cues(file)
        #expect(c.count == 36)
        for (k, e) in expected.enumerated() {
            #expect(c[k].settings.line == e, "cue \(k)")
            #expect(c[k].settings.snapToLines, "cue \(k)")
        }
        for k in valid.count..<(valid.count + invalid.count) {
            #expect(c[k].settings.line == nil, "cue \(k): \(invalid[k - valid.count])")
            #expect(c[k].settings.snapToLines)
        }
        let x = valid.count + invalid.count
        let lines: [Double?] = [0, 0, 100, 100, 100, 100, nil]
        let aligns: [CueSettings.LineAlign] = [.start, .start, .start, .start, .center, .end, .start]
        for k in 0..<6 {
            #expect(c[x + k].settings.line == lines[k], "extra \(k)")
            #expect(!c[x + k].settings.snapToLines, "extra \(k)")
            #expect(c[x + k].settings.lineAlign == aligns[k], "extra \(k)")
        }
        // "100%,middle": the whole setting is dropped
        #expect(c[x + 6].settings.line == nil)
        #expect(c[x + 6].settings.lineAlign == .start)
        // JSON: line 10% -> 10 with snap_to_lines false; -1 -> -1 with true
        let json = WebVTTJSON.encode(WebVTTParser.parse("WEBVTT\n\n" + block("line:10%") + block("line:-1")))
        #expect(json.contains("\"snap_to_lines\":false,\"line\":10,"))
        #expect(json.contains("\"snap_to_lines\":true,\"line\":-1,"))
    }

    @Test("settings, region: last region with the id; invalid references give none")
    func settingsRegion() {
        var file = "WEBVTT\n\nREGION\nid:foo\n\nREGION\nid:bar\n\nREGION\nid:foo\n\nREGION\nwidth:10%\n\n"
        for s in ["region:foo", "region:bar", "region:foo region:bar", "region:invalid", "region:invalid region:foo",
                  "region:", "region: ", "region: foo", "region :foo"] {
            file += block(s)
        }
        let c = cues(file)
        #expect(c.count == 9)
        #expect(c.map(\.settings.regionId) == ["foo", "bar", "bar", "", "foo", "", "", "", ""])
        let doc = WebVTTParser.parse(file).document
        #expect(doc.regions.count == 4)
    }

    @Test("settings, multiple")
    func settingsMultiple() {
        let c = cues("WEBVTT\n\nid1\n00:00:00.000 --> 00:00:01.000 align:start line:1% vertical:lr size:50% position:25%\ntext1\n\nid2\n00:00:00.000 --> 00:00:01.000 align:center line:1 vertical:rl size:0% position:100%\ntext2")
        #expect(c.count == 2)
        #expect(c[0].id == "id1")
        #expect(c[0].text == "text1")
        #expect(c[0].settings.align == .start)
        #expect(c[0].settings.line == 1)
        #expect(!c[0].settings.snapToLines)
        #expect(c[0].settings.vertical == .lr)
        #expect(c[0].settings.size == 50)
        #expect(c[0].settings.position == 25)
        #expect(c[1].id == "id2")
        #expect(c[1].settings.align == .center)
        #expect(c[1].settings.line == 1)
        #expect(c[1].settings.vertical == .rl)
        #expect(c[1].settings.size == 0)
        #expect(c[1].settings.position == 100)
    }

    @Test("arrows in ids and text lines")
    func arrows() {
        let c = cues("WEBVTT\n\n-->\n00:00:00.000 --> 00:00:01.000\ntext1\nfoo-->\n00:00:00.000 --> 00:00:01.000\ntext2\n-->foo\n00:00:00.000 --> 00:00:01.000\ntext3\n--->\n00:00:00.000 --> 00:00:01.000\ntext4\n-->-->\n00:00:00.000 --> 00:00:01.000\ntext5\n00:00:00.000 --> 00:00:01.000\ntext6\n\n00:00:00.000 -a -->\n\n00:00:00.000 --a -->\n\n00:00:00.000 - -->\n\n00:00:00.000 -- -->\n")
        #expect(c.count == 6)
        #expect(c.map(\.text) == ["text1", "text2", "text3", "text4", "text5", "text6"])
        #expect(c.allSatisfy { $0.id.isEmpty })
    }

    @Test("ids keep their whitespace")
    func ids() {
        let c = cues("WEBVTT\n\n leading space\n00:00:00.000 --> 00:00:01.000\ntext1\n\ntrailing space \n00:00:00.000 --> 00:00:01.000\ntext2\n\n-- >\n00:00:00.000 --> 00:00:01.000\ntext3\n\n->\n00:00:00.000 --> 00:00:01.000\ntext4\n\n \n00:00:00.000 --> 00:00:01.000\ntext5")
        #expect(c.map(\.id) == [" leading space", "trailing space ", "-- >", "->", " "])
    }

    @Test("timings, too long and too short fields")
    func timingsLengths() {
        let tooLong = "WEBVTT\n\n000:00:00.000 --> 00:00:01.000\ntext1\n\n00::00:00.000 --> 00:00:01.000\ninvalid\n\n00:000:00.000 --> 00:00:01.000\ninvalid\n\n00:00::00.000 --> 00:00:01.000\ninvalid\n\n00:00:000.000 --> 00:00:01.000\ninvalid\n\n00:00:00..000 --> 00:00:01.000\ninvalid\n\n00:00:00.0000 --> 00:00:01.000\ninvalid\n\n00:00.0000 --> 00:00:01.000\ninvalid\n\n000:00.000 --> 00:01.000\ninvalid\n\n00::00.000 --> 00:01.000\ninvalid\n\n00:000.000 --> 00:01.000\ninvalid\n\n00:00..000 --> 00:01.000\ninvalid\n\n00:00.0000 --> 00:01.000\ninvalid\n\n00:00.000 --> 000:01.000\ninvalid\n\n00:00:00.000 --> 000:00:01.000\ntext2\n"
        #expect(cues(tooLong).map(\.text) == ["text1", "text2"])
        var tooShort = "WEBVTT\n\n0:00:00.000 --> 00:00:01.000\ntext1\n\n"
        for t in ["0000:00.000", "00:0:00.000", "00:0000.000", "00:00:0.000", "00:00:00000", "00:00:00.00", "00:00:00.0",
                  "00:00:00.", "00:00:00", "00:00:0", "00:00:", "00:00", "00:0", "00:", "00", "0", ""] {
            tooShort += "\(t) --> 00:00:01.000\ninvalid\n\n"
        }
        for t in ["0:00.000", "0000.000", "00:0.000", "00:00000", "00:00.00", "00:00.0", "00:00.", "0:00.", ":00.", "00.", "0.", "."] {
            tooShort += "\(t) --> 00:01.000\ninvalid\n\n"
        }
        tooShort += "00:00.000 --> 0:01.000\ninvalid\n\n00:00:00.000 --> 0:00:01.000\ntext2\n"
        #expect(cues(tooShort).map(\.text) == ["text1", "text2"])
    }

    @Test("timings: omitted hours, 60, end before start")
    func timingsOther() {
        let omitted = cues("WEBVTT\n\n00:00.000 --> 00:00:01.000\ntext1\n\n00:00:00.000 --> 00:01.000\ntext2\n\n00:00.000 --> 00:01.000\ntext3\n")
        #expect(omitted.map(\.endMs) == [1000, 1000, 1000])
        let negative = cues("WEBVTT\n\n00:00:00.000 --> 00:00:00.000\ntext1\n\n00:00:01.000 --> 00:00:00.999\ntext2\n\n00:01:00.000 --> 00:00:59.999\ntext3\n\n01:00:00.000 --> 00:59:59.999\ntext4\n")
        #expect(negative.count == 4)
        #expect(negative.map(\.endMs) == [0, 999, 59_999, 3_599_999])
        let sixty = cues("WEBVTT\n\n00:00:60.000 --> 00:00:01.000\nx\n\n00:60:00.000 --> 01:00:01.000\nx\n\n60:00:00.000 --> 60:00:01.000\nok\n\n00:00.000 --> 00:60.000\nx\n")
        #expect(sixty.map(\.text) == ["ok"])
    }

    @Test("whitespace characters: spaces, tabs and form feed skip; vertical tab does not")
    func whitespaceChars() {
        let c = cues("WEBVTT\n\nspaces\n   00:00:00.000    -->  00:00:01.000 \n   text1\n\ntabs\n\t\t\t00:00:00.000\t\t\t\t-->\t\t00:00:01.000\t\ntext2\n\nform feed\n\u{0C}00:00:00.000\u{0C}-->\u{0C}00:00:01.000\u{0C}\ntext3\n\nvertical tab\n\u{0B}00:00:00.000\u{0B}-->\u{0B}00:00:01.000\u{0B}\ntext4\n")
        #expect(c.map(\.id) == ["spaces", "tabs", "form feed"])
        #expect(c.map(\.text) == ["   text1", "text2", "text3"])
    }

    @Test("newlines: CR, LF, CRLF and LF CR")
    func newlines() {
        let c = cues("WEBVTT\n\ncr\r00:00:00.000 --> 00:00:01.000\rtext1\r\rlf\n00:00:00.000 --> 00:00:01.000\ntext2\n\ncrlf\r\n00:00:00.000 --> 00:00:01.000\r\ntext3\r\n\r\nlfcr\n00:00:00.000 --> 00:00:01.000\ntext4\n\r")
        #expect(c.map(\.id) == ["cr", "lf", "crlf", "lfcr"])
        #expect(c.map(\.text) == ["text1", "text2", "text3", "text4"])
    }

    @Test("nulls become U+FFFD everywhere, including settings")
    func nulls() {
        let file = "WEBVTT \u{0}\n\n00:00:00.000 --> 00:00:01.000\ntext1\n\n\u{0} (null in id)\n00:00:00.000 --> 00:00:01.000\ntext2\n\n\u{0} (null in cue data)\n00:00:00.000 --> 00:00:01.000\n\u{0}text\u{0}3\n\n00:00:00.000 --> 00:00:01.000 align:\u{0}end\ntext4\n\n00:00:00.000 --> 00:00:01.000 align:end\u{0}\ntext5\n\n00:00:00.000 --> 00:00:01.000 \u{0}align:end\ntext6\n\n00:00:00.000 --> 00:00:01.000 align:end \u{0}\ntext7\n"
        let c = cues(file)
        #expect(c.count == 7)
        #expect(c[1].id == "\u{FFFD} (null in id)")
        #expect(c[2].text == "\u{FFFD}text\u{FFFD}3")
        #expect(c.map(\.settings.align) == [.center, .center, .center, .center, .center, .center, .end])
    }

    @Test("header variants")
    func header() {
        // timings on the line after the signature
        let t = cues("WEBVTT\n00:00:00.000 --> 00:00:01.000\ntext\n")
        #expect(t.count == 1)
        #expect(t[0].endMs == 1000)
        // garbage in the header block is ignored
        #expect(cues("WEBVTT\nfoo\nbar\n\n00:00:00.000 --> 00:00:01.000\ntext\n").count == 1)
        // legacy "Region:" header lines define nothing
        let d = WebVTTParser.parse("WEBVTT\nRegion: id=fred width=40%\n\n00:00:00.000 --> 00:00:01.000 region:fred\ntext\n").document
        #expect(d.regions.isEmpty)
        #expect(d.cues[0].settings.regionId == "")
        // signature without newline, with space, with tab
        #expect(cues("WEBVTT").isEmpty)
        #expect(!WebVTTParser.parse("WEBVTT ").rejected)
        #expect(!WebVTTParser.parse("WEBVTT\t").rejected)
    }
}
