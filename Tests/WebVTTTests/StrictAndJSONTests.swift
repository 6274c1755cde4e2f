import Foundation
import Testing
import WebVTT

@Suite("Strict mode")
struct StrictModeTests {
    func codes(_ s: String) -> [String] {
        WebVTTParser.parse(s, mode: .strict).diagnostics.map(\.code)
    }

    func diag(_ s: String, _ code: String) -> Diagnostic? {
        WebVTTParser.parse(s, mode: .strict).diagnostics.first { $0.code == code }
    }

    @Test("a valid file has no diagnostics")
    func valid() {
        let s = """
        WEBVTT

        REGION
        id:r width:40% lines:2

        STYLE
        ::cue { color: red }

        NOTE ok

        1
        00:00:01.000 --> 00:00:02.000 region:r align:start
        <v Bob>Hello &amp; <i>bye</i></v>

        00:00:02.000 --> 00:00:03.000 line:-1 position:10%,line-left size:50%
        <ruby>漢<rt>kan</rt></ruby> <00:00:02.500><c.yellow>x</c>

        """
        #expect(codes(s) == [])
        // browser mode never reports deviations
        #expect(WebVTTParser.parse("WEBVTT\n\n00:01.000-->00:02.000 foo:bar\n<zzz>x\n", mode: .browser).diagnostics.isEmpty)
    }

    @Test("bad signature is an error in both modes")
    func signature() {
        for mode in ParseMode.allCases {
            let r = WebVTTParser.parse("WEBVTX\n", mode: mode)
            #expect(r.rejected)
            #expect(r.diagnostics.map(\.code) == ["bad_signature"])
        }
    }

    @Test("timing problems with line and column")
    func timing() throws {
        let s = "WEBVTT\n\n00:01.000 --> 00:0x.000\ntext\n"
        let d = try #require(diag(s, "invalid_timestamp"))
        #expect(d.line == 3)
        #expect(d.column == 19) // at the "x"
        #expect(d.severity == .error)
        #expect(diag("WEBVTT\n\n00:01.000-->00:02.000\nx\n", "timing_whitespace")?.column == 10)
        #expect(diag("WEBVTT\n\n00:02.000 --> 00:01.000\nx\n", "end_not_after_start")?.line == 3)
        #expect(diag("WEBVTT\n\n1:00:00.000 --> 01:00:01.000\nx\n", "timestamp_hours_digits") != nil)
        #expect(diag("WEBVTT\n\n00:05.000 --> 00:06.000\nx\n\n00:01.000 --> 00:02.000\ny\n", "cue_out_of_order")?.line == 6)
    }

    @Test("settings problems")
    func settings() {
        let c = codes("WEBVTT\n\nREGION\nid:r\n\n00:01.000 --> 00:02.000 align:middle line:x foo:1 region:zz size:50 position:10%,left vertical:up bad\nx\n")
        for code in ["invalid_setting_value", "unknown_setting", "region_not_found", "invalid_setting"] {
            #expect(c.contains(code), "\(code) in \(c)")
        }
        #expect(c.filter { $0 == "invalid_setting_value" }.count == 5)
        #expect(codes("WEBVTT\n\n00:01.000 --> 00:02.000 align:start align:end\nx\n") == ["duplicate_setting"])
        #expect(codes("WEBVTT\n\nREGION\nid:r\n\n00:01.000 --> 00:02.000 region:r line:0\nx\n") == ["region_ignored"])
    }

    @Test("column counts characters, not bytes")
    func columns() throws {
        let d = try #require(diag("WEBVTT\n\n00:01.000 --> 00:02.000 ü:x align:nope\nx\n", "invalid_setting_value"))
        // "00:01.000 --> 00:02.000 ü:x align:" is 34 characters (35 bytes)
        #expect(d.column == 35)
    }

    @Test("blocks a browser ignores")
    func blocks() {
        #expect(codes("WEBVTT\n\nstray\n\n00:01.000 --> 00:02.000\nx\n") == ["orphan_text"])
        #expect(codes("WEBVTT\n\n00:01.000 --> 00:02.000\nx\n\nSTYLE\n::cue {}\n") == ["style_after_cue"])
        #expect(codes("WEBVTT\n\n00:01.000 --> 00:02.000\nx\n\nREGION\nid:a\n") == ["region_after_cue"])
        #expect(codes("WEBVTT\n\n00:01.000 --> 00:02.000\nx\n00:02.000 --> 00:03.000\ny\n") == ["missing_blank_line"])
        #expect(codes("WEBVTT\n00:01.000 --> 00:02.000\nx\n") == ["missing_blank_line"])
        #expect(codes("WEBVTT\nKind: captions\n\n00:01.000 --> 00:02.000\nx\n") == ["header_metadata"])
    }

    @Test("cue text problems")
    func cueText() {
        let c = codes("WEBVTT\n\n00:01.000 --> 00:02.000\n<font>a</font> & <i>b</b> <00:0x> <rt>r</rt> <i>open\n")
        for code in ["unknown_tag", "unescaped_ampersand", "mismatched_end_tag", "invalid_timestamp_tag", "misplaced_tag", "unclosed_tag"] {
            #expect(c.contains(code), "\(code) in \(c)")
        }
        #expect(codes("WEBVTT\n\n00:01.000 --> 00:02.000\n<v Bob>lone voice needs no end tag\n") == [])
        #expect(codes("WEBVTT\n\n00:01.000 --> 00:02.000\n<v>no name</v>\n") == ["missing_annotation"])
    }

    @Test("diagnostics are capped")
    func capped() {
        var s = "WEBVTT\n\n"
        for _ in 0..<100 { s += "stray\n\n" }
        let r = WebVTTParser.parse(s, mode: .strict, maxDiagnostics: 10)
        #expect(r.diagnostics.count == 11)
        #expect(r.diagnostics.last?.code == "too_many_diagnostics")
    }
}

@Suite("JSON")
struct JSONTests {
    func object(_ s: String, mode: ParseMode = .browser) throws -> [String: Any] {
        let json = WebVTTJSON.encode(WebVTTParser.parse(s, mode: mode))
        let obj = try JSONSerialization.jsonObject(with: Data(json.utf8))
        return try #require(obj as? [String: Any])
    }

    @Test("cue fields follow the contract")
    func cueFields() throws {
        let o = try object("WEBVTT\n\nREGION\nid:r width:50% regionanchor:10%,20% viewportanchor:30%,40% scroll:up\n\nSTYLE\n::cue {}\n\nc1\n00:00:01.000 --> 00:00:02.000 line:10% position:20%,line-left size:30% align:start\nA \"quoted\"\ttab\n\n00:03.000 --> 00:04.000 line:-1 region:r vertical:lr\nB\n\n00:05.000 --> 00:06.000 region:r\nC\n")
        let cues = try #require(o["cues"] as? [[String: Any]])
        #expect(cues.count == 3)
        let a = cues[0]
        #expect(a["id"] as? String == "c1")
        #expect(a["start_ms"] as? Int == 1000)
        #expect(a["end_ms"] as? Int == 2000)
        #expect(a["text"] as? String == "A \"quoted\"\ttab")
        #expect(a["vertical"] as? String == "")
        #expect(a["snap_to_lines"] as? Bool == false)
        #expect(a["line"] as? Double == 10)
        #expect(a["line_align"] as? String == "start")
        #expect(a["position"] as? Double == 20)
        #expect(a["position_align"] as? String == "line-left")
        #expect(a["size"] as? Double == 30)
        #expect(a["align"] as? String == "start")
        #expect(a["region_id"] as? String == "")
        let b = cues[1]
        #expect(b["line"] as? Double == -1)
        #expect(b["snap_to_lines"] as? Bool == true)
        #expect(b["vertical"] as? String == "lr")
        #expect(b["region_id"] as? String == "")
        #expect(b["position"] as? String == "auto")
        #expect(b["position_align"] as? String == "auto")
        #expect(b["size"] as? Double == 100)
        #expect(b["align"] as? String == "center")
        let c = cues[2]
        #expect(c["line"] as? String == "auto")
        #expect(c["region_id"] as? String == "r")
        let regions = try #require(o["regions"] as? [[String: Any]])
        let r = try #require(regions.first)
        #expect(r["id"] as? String == "r")
        #expect(r["width"] as? Double == 50)
        #expect(r["lines"] as? Int == 3)
        #expect(r["region_anchor_x"] as? Double == 10)
        #expect(r["region_anchor_y"] as? Double == 20)
        #expect(r["viewport_anchor_x"] as? Double == 30)
        #expect(r["viewport_anchor_y"] as? Double == 40)
        #expect(r["scroll"] as? String == "up")
        #expect(o["styles"] as? [String] == ["::cue {}"])
        #expect((o["diagnostics"] as? [Any])?.isEmpty == true)
        #expect(o["rejected"] as? Bool == false)
    }

    @Test("rejected file")
    func rejected() throws {
        let o = try object("not a vtt file")
        #expect(o["rejected"] as? Bool == true)
        #expect((o["cues"] as? [Any])?.isEmpty == true)
        let d = try #require((o["diagnostics"] as? [[String: Any]])?.first)
        #expect(d["severity"] as? String == "error")
        #expect(d["code"] as? String == "bad_signature")
        #expect(d["line"] as? Int == 1)
        #expect(d["column"] as? Int == 1)
        #expect(d["message"] is String)
    }

    @Test("control characters and non-ASCII are valid JSON")
    func escaping() throws {
        let o = try object("WEBVTT\n\n00:01.000 --> 00:02.000\n\u{1}\u{1F}\\é漢\u{1F600}\n")
        let cues = try #require(o["cues"] as? [[String: Any]])
        #expect(cues.first?["text"] as? String == "\u{1}\u{1F}\\é漢\u{1F600}")
    }

    @Test("fractional numbers")
    func fractions() throws {
        let o = try object("WEBVTT\n\n00:01.000 --> 00:02.000 line:33.25% position:12.5%\nx\n")
        let c = try #require((o["cues"] as? [[String: Any]])?.first)
        #expect(c["line"] as? Double == 33.25)
        #expect(c["position"] as? Double == 12.5)
    }
}
