import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
import OlleeyCLI
import OlleeyKit
import OlleeyTestSupport

// `olleey vtt` on files and standard input: output and exit code of every command, run in-process.

/// Fixtures shared by the tests below.
enum VTTFixtures {
    static let a = "WEBVTT\n\n1\n00:00:01.000 --> 00:00:02.500 align:start\nHello world\n\n2\n00:00:03.000 --> 00:00:04.000\nSecond cue\n"
    static let b = "WEBVTT\n\n1\n00:00:01.000 --> 00:00:02.500 align:start\nHello there world\n\n2\n00:00:03.200 --> 00:00:04.200\nSecond cue\n\n3\n00:00:05.000 --> 00:00:06.000\nNew\n"
    static let three = "WEBVTT\n\n1\n00:00:01.000 --> 00:00:02.000\none\n\n2\n00:00:05.000 --> 00:00:06.000\ntwo\n\n3\n00:00:10.000 --> 00:00:11.000 line:0\nthree\n"
    static let rich = """
        WEBVTT - rich

        STYLE
        ::cue { color: yellow }

        REGION
        id:top width:60% lines:3 regionanchor:0%,0% viewportanchor:20%,10% scroll:up

        NOTE keep me

        intro
        00:00:01.000 --> 00:00:02.500 region:top align:start
        <v Anna>Hello</v> &amp; welcome

        00:00:03.000 --> 00:00:04.000 vertical:rl line:90% position:10%,line-left size:80%
        Second

        3
        00:00:05.000 --> 00:00:06.000 line:-2,end align:end
        Third

        """
    static let badSignature = "WEBVTTX\n\n00:00.000 --> 00:01.000\nx\n"
    /// Two problems a browser silently drops: an invalid align value (line 3, column 37) and a
    /// two-digit millisecond field (line 6, column 12) which drops the second cue.
    static let sloppy = "WEBVTT\n\n00:00:01.000 --> 00:00:02.000 align:bogus\nx\n\n00:00:03.00 --> 00:00:04.000\ny\n"
    static let srt = "1\r\n00:00:01,000 --> 00:00:02,000\r\nFrom <font color=\"red\">SRT</font>\r\n\r\n2\r\n00:00:03,500 --> 00:00:04,000\r\nSecond\r\n\r\n"
    static let cps19 = "WEBVTT\n\n00:00:01.000 --> 00:00:03.000\nHello there, this is nineteen per sec.\n"
    static let cps21 = "WEBVTT\n\n00:00:01.000 --> 00:00:03.000\nHello there, this is twenty-one per second\n"

    /// The timing lines of a WebVTT output, in order.
    static func timings(_ out: String) -> [String] {
        out.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).map(String.init).filter { $0.contains("-->") }
    }

    /// Names in a directory that look like an abandoned temporary file.
    static func tempLeftovers(_ dir: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter { $0.contains("olleey-tmp") }
    }
}

@Suite("olleey vtt parse")
struct VTTCLIParseTests {
    static let cueKeys = ["id", "start_ms", "end_ms", "text", "vertical", "snap_to_lines", "line", "line_align",
                          "position", "position_align", "size", "align", "region_id"]
    static let regionKeys = ["id", "width", "lines", "region_anchor_x", "region_anchor_y", "viewport_anchor_x",
                             "viewport_anchor_y", "scroll"]
    static let diagnosticKeys = ["line", "column", "severity", "code", "message"]

    @Test("--json follows the contract: cue, region and diagnostic fields exactly, VTTCue values")
    func jsonContract() throws {
        let t = TempDir()
        t.write("rich.vtt", VTTFixtures.rich)
        let r = olleey(["vtt", "parse", "rich.vtt", "--json"], cwd: t.path)
        #expect(r.exit == 0)
        #expect(r.stderr.isEmpty)
        #expect(r.stdout.hasSuffix("}\n"))
        let j = try r.json()
        let top = j.objectValue?.map(\.0) ?? []
        for k in ["cues", "regions", "styles", "diagnostics"] { #expect(top.contains(k), "missing top-level \(k)") }
        #expect(Set(top).subtracting(["cues", "regions", "styles", "diagnostics"]).isSubset(of: ["rejected"]))
        #expect(j["rejected"] == .bool(false))

        let cues = j["cues"]?.arrayValue ?? []
        try #require(cues.count == 3)
        for c in cues { #expect(c.objectValue?.map(\.0) == Self.cueKeys) }
        let c0 = cues[0], c1 = cues[1], c2 = cues[2]
        #expect(c0["id"] == "intro" && c0["start_ms"] == .int(1000) && c0["end_ms"] == .int(2500))
        #expect(c0["text"] == "<v Anna>Hello</v> &amp; welcome")
        #expect(c0["region_id"] == "top" && c0["align"] == "start" && c0["line"] == "auto" && c0["position"] == "auto")
        #expect(c0["snap_to_lines"] == .bool(true) && c0["size"] == .int(100) && c0["vertical"] == "" && c0["position_align"] == "auto")
        #expect(c1["id"] == "" && c1["vertical"] == "rl" && c1["snap_to_lines"] == .bool(false))
        #expect(c1["line"] == .int(90) && c1["position"] == .int(10) && c1["position_align"] == "line-left")
        #expect(c1["size"] == .int(80) && c1["align"] == "center" && c1["region_id"] == "")
        #expect(c2["line"] == .int(-2) && c2["line_align"] == "end" && c2["align"] == "end" && c2["snap_to_lines"] == .bool(true))

        let regions = j["regions"]?.arrayValue ?? []
        try #require(regions.count == 1)
        #expect(regions[0].objectValue?.map(\.0) == Self.regionKeys)
        #expect(regions[0]["id"] == "top" && regions[0]["width"] == .int(60) && regions[0]["lines"] == .int(3))
        #expect(regions[0]["viewport_anchor_x"] == .int(20) && regions[0]["viewport_anchor_y"] == .int(10) && regions[0]["scroll"] == "up")
        #expect(j["styles"] == .array(["::cue { color: yellow }"]))
        #expect(j["diagnostics"] == .array([]))
    }

    @Test("without --json: a one-line summary on stdout")
    func summary() {
        let t = TempDir()
        t.write("a.vtt", VTTFixtures.a)
        let r = olleey(["vtt", "parse", "a.vtt"], cwd: t.path)
        #expect(r.exit == 0)
        #expect(r.stdout == "2 cues, 0 regions, 0 styles, 0 diagnostics\n")
        #expect(r.stderr.isEmpty)
    }

    @Test("a bad signature exits 65 with file:line:col on stderr (and the rejection in --json)")
    func badSignature() throws {
        let t = TempDir()
        t.write("bad.vtt", VTTFixtures.badSignature)
        let r = olleey(["vtt", "parse", "bad.vtt"], cwd: t.path)
        #expect(r.exit == 65)
        #expect(r.stdout.isEmpty)
        #expect(r.stderr.hasPrefix("bad.vtt:1:1: error: "))
        #expect(r.stderr.contains("error: bad.vtt is not a WebVTT file"))

        let j = olleey(["vtt", "parse", "bad.vtt", "--json"], cwd: t.path)
        #expect(j.exit == 65)
        let doc = try j.json()
        #expect(doc["rejected"] == .bool(true))
        #expect(doc["cues"] == .array([]))
        let d = try #require(doc["diagnostics"]?.arrayValue?.first)
        #expect(d.objectValue?.map(\.0) == Self.diagnosticKeys)
        #expect(d["line"] == .int(1) && d["column"] == .int(1) && d["severity"] == "error" && d["code"] == "bad_signature")
        #expect(j.stderr.contains("bad.vtt:1:1: "))
        #expect(j.stderr.contains(#"{"error":{"code":"invalid""#))
        #expect(j.stderr.contains(#""exit_code":65"#))
    }

    @Test("a missing file exits 66; a directory exits 65")
    func missingFile() {
        let t = TempDir()
        let r = olleey(["vtt", "parse", "nope.vtt"], cwd: t.path)
        #expect(r.exit == 66)
        #expect(r.stdout.isEmpty)
        #expect(r.stderr.hasPrefix("error: no such file: "))
        #expect(r.stderr.contains("nope.vtt"))
        let j = olleey(["vtt", "parse", "nope.vtt", "--json"], cwd: t.path)
        #expect(j.exit == 66 && ErrorEnvelope(stderr: j.stderr)?.code == "not_found")
        try? FileManager.default.createDirectory(atPath: t.file("dir.vtt"), withIntermediateDirectories: true)
        #expect(olleey(["vtt", "parse", "dir.vtt"], cwd: t.path).exit == 65)
    }

    @Test("--strict exits 65 with a file:line:col: line per problem; browser mode drops them silently")
    func strict() throws {
        let t = TempDir()
        t.write("s.vtt", VTTFixtures.sloppy)
        let s = olleey(["vtt", "parse", "s.vtt", "--strict"], cwd: t.path)
        #expect(s.exit == 65)
        let lines = s.stderr.split(separator: "\n").map(String.init)
        let located = lines.filter { $0.hasPrefix("s.vtt:") }
        #expect(located.count == 2)
        #expect(located.first?.hasPrefix("s.vtt:3:37: error: ") == true)
        #expect(located.first?.contains("align") == true)
        #expect(located.last?.hasPrefix("s.vtt:6:12: error: ") == true)
        #expect(located.last?.contains("milliseconds") == true)
        for l in located {
            // file:line:col: message, with numeric line and column
            let parts = l.split(separator: ":", maxSplits: 3)
            #expect(parts.count == 4 && Int(parts[1]) != nil && Int(parts[2]) != nil)
        }
        #expect(s.stdout == "1 cues, 0 regions, 0 styles, 2 diagnostics\n")

        let sj = olleey(["vtt", "parse", "s.vtt", "--strict", "--json"], cwd: t.path)
        #expect(sj.exit == 65)
        let diags = try sj.json()["diagnostics"]?.arrayValue ?? []
        #expect(diags.map { $0["line"] } == [.int(3), .int(6)])
        #expect(diags.map { $0["column"] } == [.int(37), .int(12)])

        // browser mode: the cues a browser shows (the bad cue dropped, the bad setting ignored), and
        // the same problems as warnings; exit 0
        let browser = olleey(["vtt", "parse", "s.vtt", "--json"], cwd: t.path)
        #expect(browser.exit == 0)
        #expect(browser.stderr.isEmpty)
        let b = try browser.json()
        #expect(b["cues"]?.arrayValue?.count == 1)
        #expect(b["cues"]?.arrayValue?.first?["align"] == "center")
        let warnings = b["diagnostics"]?.arrayValue ?? []
        #expect(warnings.map { $0["severity"] } == ["warning", "warning"])
        #expect(warnings.map { $0["line"] } == [.int(3), .int(6)])
        let text = olleey(["vtt", "parse", "s.vtt"], cwd: t.path)
        #expect(text.exit == 0)
        #expect(text.stdout == "1 cues, 0 regions, 0 styles, 2 diagnostics\n")
        #expect(text.stderr.hasPrefix("s.vtt:3:37: warning: "))
        #expect(text.stderr.contains("\ns.vtt:6:12: warning: "))

        let clean = olleey(["vtt", "parse", "-", "--strict"], cwd: t.path, stdin: VTTFixtures.a)
        #expect(clean.exit == 0 && clean.stderr.isEmpty)
    }

    @Test("- reads standard input; errors name <stdin>")
    func stdin() throws {
        let t = TempDir()
        let r = olleey(["vtt", "parse", "-", "--json"], cwd: t.path, stdin: VTTFixtures.a)
        #expect(r.exit == 0)
        let cues = try r.json()["cues"]?.arrayValue ?? []
        #expect(cues.map { $0["start_ms"] } == [.int(1000), .int(3000)])
        let bad = olleey(["vtt", "parse", "-"], cwd: t.path, stdin: VTTFixtures.badSignature)
        #expect(bad.exit == 65)
        #expect(bad.stderr.hasPrefix("<stdin>:1:1: error: "))
        let empty = olleey(["vtt", "parse", "-"], cwd: t.path, stdin: "")
        #expect(empty.exit == 65)
    }

    @Test("binary garbage is refused with 65, not a crash")
    func garbage() {
        let t = TempDir()
        var bytes = [UInt8](repeating: 0, count: 100_000)
        var x: UInt64 = 0x9E37_79B9_7F4A_7C15
        for i in bytes.indices { x ^= x << 13; x ^= x >> 7; x ^= x << 17; bytes[i] = UInt8(truncatingIfNeeded: x) }
        #expect(FileManager.default.createFile(atPath: t.file("g.vtt"), contents: Data(bytes)))
        let r = olleey(["vtt", "parse", "g.vtt"], cwd: t.path)
        #expect(r.exit == 65)
        let s = olleey(["vtt", "parse", "g.vtt", "--strict", "--json"], cwd: t.path)
        #expect(s.exit == 65)
    }
}

@Suite("olleey vtt fmt")
struct VTTCLIFmtTests {
    static let roundTrips: [(String, String)] = [
        ("a.vtt", VTTFixtures.a),
        ("rich.vtt", VTTFixtures.rich),
        ("crlf.vtt", "WEBVTT\r\n\r\n1\r\n00:00:01.000 --> 00:00:02.000 line:10%\r\nCRLF text\r\nsecond line\r\n\r\n"),
        ("bom.vtt", "\u{FEFF}WEBVTT\n\n00:01.000 --> 00:02.000\nno hours, BOM\n"),
        ("spacing.vtt", "WEBVTT header text\nKind: captions\n\n\n\nNOTE\nmulti\nline note\n\nc1\n00:00:01.000   -->   00:00:02.000   align:end\nwide\n\n\n00:00:03.000 --> 00:00:04.000\nno trailing newline"),
    ]

    @Test("a canonical file comes back byte for byte (stdout, -o, stdin)")
    func roundTrip() throws {
        let t = TempDir()
        for (name, text) in Self.roundTrips {
            t.write(name, text)
            let r = olleey(["vtt", "fmt", name], cwd: t.path)
            #expect(r.exit == 0, "\(name)")
            #expect(r.stdout == text, "\(name) did not round-trip")
            #expect(Array(r.stdout.utf8) == Array(text.utf8), "\(name) bytes differ")
            let o = olleey(["vtt", "fmt", name, "-o", "out-" + name], cwd: t.path)
            #expect(o.exit == 0 && o.stdout.isEmpty)
            #expect(FileManager.default.contents(atPath: t.file("out-" + name)) == Data(text.utf8), "\(name) via -o")
            let s = olleey(["vtt", "fmt", "-"], cwd: t.path, stdin: text)
            #expect(s.stdout == text, "\(name) via stdin")
        }
        #expect(VTTFixtures.tempLeftovers(t.path).isEmpty)
    }

    @Test("options normalize only what they name")
    func options() {
        let t = TempDir()
        let src = "WEBVTT\n\nNOTE a note\n\n\n\nc1\n00:01.000   -->   00:02.000 align:start\nHello\n\n00:03.000 --> 00:04.000\nWorld\n"
        t.write("f.vtt", src)
        func fmt(_ opts: String...) -> CLIResult { olleey(["vtt", "fmt", "f.vtt"] + opts, cwd: t.path) }

        let hours = fmt("--hours")
        #expect(hours.exit == 0)
        #expect(VTTFixtures.timings(hours.stdout) == ["00:00:01.000 --> 00:00:02.000 align:start", "00:00:03.000 --> 00:00:04.000"])
        #expect(hours.stdout.contains("NOTE a note\n\n\n\nc1\n"))  // blank lines untouched

        let canonical = fmt("--canonical")
        #expect(VTTFixtures.timings(canonical.stdout) == ["00:01.000 --> 00:02.000 align:start", "00:03.000 --> 00:04.000"])

        let crlf = fmt("--line-ending", "crlf")
        #expect(crlf.stdout == src.replacingOccurrences(of: "\n", with: "\r\n"))

        let renumber = fmt("--renumber")
        #expect(renumber.stdout.contains("\n1\n00:01.000   -->   00:02.000 align:start\nHello\n\n2\n00:03.000 --> 00:04.000\n"))
        #expect(!renumber.stdout.contains("c1"))

        let noNotes = fmt("--strip-notes")
        #expect(!noNotes.stdout.contains("NOTE"))
        #expect(noNotes.stdout.contains("c1\n00:01.000   -->   00:02.000 align:start\nHello\n"))

        let normalized = fmt("--normalize")
        #expect(normalized.stdout == "WEBVTT\n\nNOTE a note\n\nc1\n00:01.000   -->   00:02.000 align:start\nHello\n\n00:03.000 --> 00:04.000\nWorld\n")

        let all = fmt("--hours", "--canonical", "--line-ending", "lf", "--renumber", "--strip-notes", "--normalize")
        #expect(all.stdout == "WEBVTT\n\n1\n00:00:01.000 --> 00:00:02.000 align:start\nHello\n\n2\n00:00:03.000 --> 00:00:04.000\nWorld\n")

        #expect(fmt("--line-ending", "mac").exit == 64)
        #expect(olleey(["vtt", "fmt", "missing.vtt"], cwd: t.path).exit == 66)
    }

    @Test("fmt reads SRT too (by name or content): SRT stays SRT, --to vtt or -o x.vtt writes WebVTT")
    func srtInput() {
        let t = TempDir()
        t.write("c.srt", VTTFixtures.srt)
        let same = olleey(["vtt", "fmt", "c.srt"], cwd: t.path)
        #expect(same.exit == 0)
        #expect(same.stdout.hasPrefix("1\r\n00:00:01,000 --> 00:00:02,000\r\n"))
        #expect(olleey(["vtt", "fmt", "c.srt", "-o", "c.vtt"], cwd: t.path).exit == 0)
        #expect((t.read("c.vtt") ?? "").hasPrefix("WEBVTT\r\n"))
        let r = olleey(["vtt", "fmt", "c.srt", "--to", "vtt"], cwd: t.path)
        #expect(r.exit == 0 && r.stdout == t.read("c.vtt"))
        #expect(r.stdout.hasPrefix("WEBVTT\r\n"))   // the SRT's CRLF line ends are kept
        #expect(VTTFixtures.timings(r.stdout) == ["00:00:01.000 --> 00:00:02.000", "00:00:03.500 --> 00:00:04.000"])
    }
}

@Suite("olleey vtt lint")
struct VTTCLILintTests {
    @Test("netflix en: 19 characters per second passes, 21 fails with exit 1")
    func readingSpeed() {
        let t = TempDir()
        t.write("cps19.vtt", VTTFixtures.cps19)
        t.write("cps21.vtt", VTTFixtures.cps21)
        let ok = olleey(["vtt", "lint", "cps19.vtt", "--profile", "netflix", "--lang", "en"], cwd: t.path)
        #expect(ok.exit == 0)
        #expect(ok.stdout.isEmpty)
        #expect(ok.stderr == "0 error(s), 0 warning(s) (profile netflix, en)\n")
        let bad = olleey(["vtt", "lint", "cps21.vtt", "--profile", "netflix", "--lang", "en"], cwd: t.path)
        #expect(bad.exit == 1)
        #expect(bad.stdout.hasPrefix("cps21.vtt:3: error: reading speed 21 characters/s"))
        #expect(bad.stdout.hasSuffix("[reading_speed]\n"))
        #expect(bad.stderr.contains("1 error(s), 0 warning(s) (profile netflix, en)"))
        // the default profile allows 25 cps
        #expect(olleey(["vtt", "lint", "cps21.vtt", "--profile", "default"], cwd: t.path).exit == 0)
        // --quiet keeps the summary off stderr
        #expect(olleey(["vtt", "lint", "cps21.vtt", "--profile", "netflix", "--lang", "en", "-q"], cwd: t.path).stderr.isEmpty)
    }

    @Test("JSON and CSV outputs")
    func formats() throws {
        let t = TempDir()
        t.write("cps21.vtt", VTTFixtures.cps21)
        let j = olleey(["vtt", "lint", "cps21.vtt", "--profile", "netflix", "--lang", "en", "--json"], cwd: t.path)
        #expect(j.exit == 1)
        let doc = try j.json()
        #expect(doc.objectValue?.map(\.0) == ["profile", "lang", "errors", "warnings", "findings"])
        #expect(doc["profile"] == "netflix" && doc["lang"] == "en" && doc["errors"] == .int(1) && doc["warnings"] == .int(0))
        let f = try #require(doc["findings"]?.arrayValue?.first)
        #expect(f.objectValue?.map(\.0) == ["cue", "cue_id", "line", "start_ms", "end_ms", "severity", "rule", "message", "value", "limit"])
        #expect(f["cue"] == .int(1) && f["line"] == .int(3) && f["start_ms"] == .int(1000) && f["end_ms"] == .int(3000))
        #expect(f["severity"] == "error" && f["rule"] == "reading_speed" && f["value"] == .int(21) && f["limit"] == .int(20))
        // --format json is the same document
        let fj = olleey(["vtt", "lint", "cps21.vtt", "--profile", "netflix", "--lang", "en", "--format", "json"], cwd: t.path)
        #expect(fj.exit == 1 && fj.stdout == j.stdout)

        let c = olleey(["vtt", "lint", "cps21.vtt", "--profile", "netflix", "--lang", "en", "--format", "csv"], cwd: t.path)
        #expect(c.exit == 1)
        let rows = c.stdout.split(separator: "\n").map(String.init)
        #expect(rows.count == 2)
        #expect(rows.first == "cue,cue_id,line,start,end,severity,rule,message,value,limit")
        #expect(rows.last?.hasPrefix("1,,3,00:00:01.000,00:00:03.000,error,reading_speed,\"reading speed 21") == true)
        #expect(rows.last?.hasSuffix(",21,20") == true)

        t.write("clean.vtt", VTTFixtures.cps19)
        let empty = olleey(["vtt", "lint", "clean.vtt", "--profile", "netflix", "--lang", "en", "--json"], cwd: t.path)
        #expect(empty.exit == 0)
        #expect(try empty.json()["findings"] == .array([]))
    }

    @Test("--set overrides a limit; an unknown profile or a bad --set is a usage error (64)")
    func overrides() {
        let t = TempDir()
        t.write("cps21.vtt", VTTFixtures.cps21)
        let raised = olleey(["vtt", "lint", "cps21.vtt", "--profile", "netflix", "--lang", "en", "--set", "max_cps=25"], cwd: t.path)
        #expect(raised.exit == 0)
        // the default profile reports limits as warnings (exit 0) unless severity=error is set
        let lowered = olleey(["vtt", "lint", "cps21.vtt", "--profile", "default", "--set", "max_cps=15", "--json"], cwd: t.path)
        #expect(lowered.exit == 0)
        #expect(lowered.stdout.contains(#""severity":"warning","rule":"reading_speed""#) && lowered.stdout.contains(#""limit":15"#))
        let strictLimits = olleey(["vtt", "lint", "cps21.vtt", "--profile", "default", "--set", "max_cps=15", "--set", "severity=error"], cwd: t.path)
        #expect(strictLimits.exit == 1)
        #expect(strictLimits.stdout.contains("over the limit of 15"))
        let unknown = olleey(["vtt", "lint", "cps21.vtt", "--profile", "bogus"], cwd: t.path)
        #expect(unknown.exit == 64)
        #expect(unknown.stderr.contains("netflix, captions, default"))
        let badKey = olleey(["vtt", "lint", "cps21.vtt", "--set", "foo=1"], cwd: t.path)
        #expect(badKey.exit == 64)
        #expect(badKey.stderr.contains("foo=1") && badKey.stderr.contains("hint: keys: max_chars_per_line"))
        #expect(olleey(["vtt", "lint", "cps21.vtt", "--set", "max_cps=abc"], cwd: t.path).exit == 64)
        #expect(olleey(["vtt", "lint", "cps21.vtt", "--set", "max_cps"], cwd: t.path).exit == 64)
        // usage is checked before the file is read
        #expect(olleey(["vtt", "lint", "missing.vtt", "--set", "foo=1"], cwd: t.path).exit == 64)
        #expect(olleey(["vtt", "lint", "missing.vtt"], cwd: t.path).exit == 66)
    }

    @Test("--fix -o writes a fixed file (order, overlaps) and exits by what is left")
    func fix() throws {
        let t = TempDir()
        t.write("ov.vtt", "WEBVTT\n\n1\n00:00:03.000 --> 00:00:05.000\nsecond\n\n2\n00:00:01.000 --> 00:00:03.500\nfirst overlaps\n")
        let before = olleey(["vtt", "lint", "ov.vtt", "--json"], cwd: t.path)
        #expect(before.exit == 1)
        #expect(before.stdout.contains(#""rule":"out_of_order""#))
        let f = olleey(["vtt", "lint", "ov.vtt", "--fix", "-o", "fixed.vtt"], cwd: t.path)
        #expect(f.exit == 0)
        #expect(f.stdout.isEmpty)
        #expect(f.stderr.contains("fixed "))
        let fixed = try #require(t.read("fixed.vtt"))
        #expect(VTTFixtures.timings(fixed) == ["00:00:01.000 --> 00:00:03.000", "00:00:03.000 --> 00:00:05.000"])
        #expect(fixed.contains("first overlaps") && fixed.contains("second"))
        #expect(olleey(["vtt", "lint", "fixed.vtt"], cwd: t.path).exit == 0)
        // the input is untouched
        #expect(t.read("ov.vtt")?.contains("00:00:03.000 --> 00:00:05.000\nsecond\n\n2\n") == true)
        // without -o, the fixed file goes to stdout
        let out = olleey(["vtt", "lint", "ov.vtt", "--fix"], cwd: t.path)
        #expect(out.exit == 0 && out.stdout == fixed)
        #expect(VTTFixtures.tempLeftovers(t.path).isEmpty)
    }

    @Test("stdin, and findings named <stdin>")
    func stdin() {
        let t = TempDir()
        let r = olleey(["vtt", "lint", "-", "--profile", "netflix", "--lang", "en"], cwd: t.path, stdin: VTTFixtures.cps21)
        #expect(r.exit == 1)
        #expect(r.stdout.hasPrefix("<stdin>:3: error: "))
    }
}

@Suite("olleey vtt shift, scale, sync")
struct VTTCLITimingTests {
    @Test("shift --by moves every cue and keeps ids and settings")
    func shiftAll() {
        let t = TempDir()
        t.write("t.vtt", VTTFixtures.three)
        let r = olleey(["vtt", "shift", "t.vtt", "--by", "1.5s"], cwd: t.path)
        #expect(r.exit == 0)
        #expect(r.stderr.isEmpty)
        #expect(r.stdout == "WEBVTT\n\n1\n00:00:02.500 --> 00:00:03.500\none\n\n2\n00:00:06.500 --> 00:00:07.500\ntwo\n\n3\n00:00:11.500 --> 00:00:12.500 line:0\nthree\n")
        let back = olleey(["vtt", "shift", "t.vtt", "--by", "-500ms"], cwd: t.path)
        #expect(VTTFixtures.timings(back.stdout) == ["00:00:00.500 --> 00:00:01.500", "00:00:04.500 --> 00:00:05.500", "00:00:09.500 --> 00:00:10.500 line:0"])
        let clamped = olleey(["vtt", "shift", "t.vtt", "--by", "-00:00:05.500"], cwd: t.path)
        // cue 1 (1-2 s) vanishes: dropped with a warning, never written as 0 --> 0; cue 2 is clamped
        #expect(VTTFixtures.timings(clamped.stdout).prefix(2) == ["00:00:00.000 --> 00:00:00.500", "00:00:04.500 --> 00:00:05.500 line:0"])
        #expect(clamped.stderr.contains("cue 1 (1)"))
        // the issue's example, on the issue's fixture
        t.write("a.vtt", VTTFixtures.a)
        #expect(olleey(["vtt", "shift", "a.vtt", "--by", "-500ms"], cwd: t.path).stdout.contains("00:00:00.500 --> 00:00:02.000 align:start\n"))
    }

    @Test("shift a time range (--from/--to) or a cue range (--cues N-M)")
    func shiftRanges() {
        let t = TempDir()
        t.write("t.vtt", VTTFixtures.three)
        let range = olleey(["vtt", "shift", "t.vtt", "--by", "1s", "--from", "4s", "--to", "9s"], cwd: t.path)
        #expect(range.exit == 0)
        #expect(VTTFixtures.timings(range.stdout) == ["00:00:01.000 --> 00:00:02.000", "00:00:06.000 --> 00:00:07.000", "00:00:10.000 --> 00:00:11.000 line:0"])
        let from = olleey(["vtt", "shift", "t.vtt", "--by", "1s", "--from", "00:00:05.000"], cwd: t.path)
        #expect(VTTFixtures.timings(from.stdout) == ["00:00:01.000 --> 00:00:02.000", "00:00:06.000 --> 00:00:07.000", "00:00:11.000 --> 00:00:12.000 line:0"])
        let cues = olleey(["vtt", "shift", "t.vtt", "--by", "-500ms", "--cues", "2-3"], cwd: t.path)
        #expect(VTTFixtures.timings(cues.stdout) == ["00:00:01.000 --> 00:00:02.000", "00:00:04.500 --> 00:00:05.500", "00:00:09.500 --> 00:00:10.500 line:0"])
        let one = olleey(["vtt", "shift", "t.vtt", "--by", "2s", "--cues", "1"], cwd: t.path)
        #expect(VTTFixtures.timings(one.stdout).first == "00:00:03.000 --> 00:00:04.000")
        let pastEnd = olleey(["vtt", "shift", "t.vtt", "--by", "1s", "--cues", "2-99"], cwd: t.path)
        #expect(pastEnd.exit == 0)
        #expect(VTTFixtures.timings(pastEnd.stdout).last == "00:00:11.000 --> 00:00:12.000 line:0")
    }

    @Test("shift usage errors exit 64, before the file is read")
    func shiftErrors() {
        let t = TempDir()
        t.write("t.vtt", VTTFixtures.three)
        for args in [["--by", "nonsense"], [], ["--by", "1s", "--cues", "3-1"], ["--by", "1s", "--cues", "abc"],
                     ["--by", "1s", "--cues", "0"], ["--by", "1s", "--cues", "-3"], ["--by", "1s", "--cues", "7-9"],
                     ["--by", "1s", "--from", "9s", "--to", "4s"]] {
            let r = olleey(["vtt", "shift", "t.vtt"] + args, cwd: t.path)
            #expect(r.exit == 64, "\(args)")
            #expect(r.stdout.isEmpty)
            #expect(r.stderr.hasPrefix("error: "), "\(args)")
        }
        #expect(olleey(["vtt", "shift", "t.vtt", "--by", "1s", "--cues", "7-9"], cwd: t.path).stderr.contains("3 cues"))
        #expect(olleey(["vtt", "shift", "missing.vtt", "--by", "1s"], cwd: t.path).exit == 66)
        t.write("bad.vtt", VTTFixtures.badSignature)
        #expect(olleey(["vtt", "shift", "bad.vtt", "--by", "1s"], cwd: t.path).exit == 65)
    }

    @Test("shift -o writes atomically: the whole file or nothing, no temporary left behind")
    func shiftOutputFile() throws {
        let t = TempDir()
        t.write("a.vtt", VTTFixtures.a)
        t.write("out.vtt", "previous content\n")
        let r = olleey(["vtt", "shift", "a.vtt", "--by", "1.5s", "-o", "out.vtt"], cwd: t.path)
        #expect(r.exit == 0 && r.stdout.isEmpty && r.stderr.isEmpty)
        #expect(t.read("out.vtt") == "WEBVTT\n\n1\n00:00:02.500 --> 00:00:04.000 align:start\nHello world\n\n2\n00:00:04.500 --> 00:00:05.500\nSecond cue\n")
        #expect(VTTFixtures.tempLeftovers(t.path).isEmpty)
        // a failed run leaves the previous file as it was
        t.write("bad.vtt", VTTFixtures.badSignature)
        let bad = olleey(["vtt", "shift", "bad.vtt", "--by", "1s", "-o", "out.vtt"], cwd: t.path)
        #expect(bad.exit == 65)
        #expect(t.read("out.vtt")?.contains("00:00:02.500 --> 00:00:04.000") == true)
        // the output may be the input
        let inPlace = olleey(["vtt", "shift", "a.vtt", "--by", "1s", "-o", "a.vtt"], cwd: t.path)
        #expect(inPlace.exit == 0)
        #expect(t.read("a.vtt")?.contains("00:00:02.000 --> 00:00:03.500 align:start") == true)
        // a directory that does not exist: cannot create output (73)
        let nowhere = olleey(["vtt", "shift", "out.vtt", "--by", "1s", "-o", "no/such/dir/x.vtt"], cwd: t.path)
        #expect(nowhere.exit == 73)
        #expect(nowhere.stderr.hasPrefix("error: cannot write "))
        // -o - is standard output
        let dash = olleey(["vtt", "shift", "a.vtt", "--by", "0s", "-o", "-"], cwd: t.path)
        #expect(dash.stdout == t.read("a.vtt"))
        #expect(VTTFixtures.tempLeftovers(t.path).isEmpty)
    }

    @Test("shift from standard input")
    func shiftStdin() {
        let t = TempDir()
        let r = olleey(["vtt", "shift", "-", "--by", "250ms"], cwd: t.path, stdin: VTTFixtures.a)
        #expect(r.exit == 0)
        #expect(VTTFixtures.timings(r.stdout) == ["00:00:01.250 --> 00:00:02.750 align:start", "00:00:03.250 --> 00:00:04.250"])
        let o = olleey(["vtt", "shift", "-", "--by", "250ms", "-o", "s.vtt"], cwd: t.path, stdin: VTTFixtures.a)
        #expect(o.exit == 0 && t.read("s.vtt") == r.stdout)
    }

    @Test("scale --fps 25:23.976 and --factor; neither is a usage error")
    func scale() {
        let t = TempDir()
        t.write("t.vtt", VTTFixtures.three)
        let fps = olleey(["vtt", "scale", "t.vtt", "--fps", "25:23.976"], cwd: t.path)
        #expect(fps.exit == 0)
        // 25 / (24000/1001) = 1.04270833...: 1000 -> 1043, 2000 -> 2085, 10000 -> 10427
        #expect(VTTFixtures.timings(fps.stdout) == ["00:00:01.043 --> 00:00:02.085", "00:00:05.214 --> 00:00:06.256", "00:00:10.427 --> 00:00:11.470 line:0"])
        let factor = olleey(["vtt", "scale", "t.vtt", "--factor", "2"], cwd: t.path)
        #expect(VTTFixtures.timings(factor.stdout) == ["00:00:02.000 --> 00:00:04.000", "00:00:10.000 --> 00:00:12.000", "00:00:20.000 --> 00:00:22.000 line:0"])
        let o = olleey(["vtt", "scale", "t.vtt", "--factor", "0.5", "-o", "half.vtt"], cwd: t.path)
        #expect(o.exit == 0 && t.read("half.vtt")?.contains("00:00:00.500 --> 00:00:01.000\none") == true)
        let stdin = olleey(["vtt", "scale", "-", "--factor", "2"], cwd: t.path, stdin: VTTFixtures.three)
        #expect(stdin.stdout == factor.stdout)

        let none = olleey(["vtt", "scale", "t.vtt"], cwd: t.path)
        #expect(none.exit == 64)
        #expect(none.stderr.contains("--factor") && none.stderr.contains("--fps"))
        #expect(olleey(["vtt", "scale", "missing.vtt"], cwd: t.path).exit == 64)  // usage first
        for bad in [["--fps", "25"], ["--fps", "25:0"], ["--fps", "a:b"], ["--factor", "0"], ["--factor", "-1"], ["--factor", "x"]] {
            #expect(olleey(["vtt", "scale", "t.vtt"] + bad, cwd: t.path).exit == 64, "\(bad)")
        }
    }

    @Test("sync to several anchors, piecewise linear; bad or non-monotonic anchors are usage errors")
    func sync() {
        let t = TempDir()
        t.write("t.vtt", VTTFixtures.three)
        let r = olleey(["vtt", "sync", "t.vtt", "--map", "1s=2s", "--map", "10s=20s"], cwd: t.path)
        #expect(r.exit == 0)
        // between the anchors the slope is (20-2)/(10-1) = 2
        #expect(VTTFixtures.timings(r.stdout) == ["00:00:02.000 --> 00:00:04.000", "00:00:10.000 --> 00:00:12.000", "00:00:20.000 --> 00:00:21.000 line:0"])
        let three = olleey(["vtt", "sync", "t.vtt", "--map", "00:00:01.000=00:00:01.000", "--map", "00:00:05.000=00:00:07.000",
                            "--map", "00:00:10.000=00:00:12.000"], cwd: t.path)
        // 2 s lies between the anchors 1 s -> 1 s and 5 s -> 7 s (slope 1.5): 2.5 s
        #expect(VTTFixtures.timings(three.stdout) == ["00:00:01.000 --> 00:00:02.500", "00:00:07.000 --> 00:00:08.000", "00:00:12.000 --> 00:00:13.000 line:0"])
        let one = olleey(["vtt", "sync", "t.vtt", "--map", "1s=1.5s"], cwd: t.path)
        #expect(VTTFixtures.timings(one.stdout).first == "00:00:01.500 --> 00:00:02.500")

        for bad in [["--map", "1s"], ["--map", "1s=x"], ["--map", "=2s"], [], ["--map", "1s=5s", "--map", "2s=3s"],
                    ["--map", "1s=2s", "--map", "1s=3s"]] {
            let e = olleey(["vtt", "sync", "t.vtt"] + bad, cwd: t.path)
            #expect(e.exit == 64, "\(bad)")
            #expect(e.stdout.isEmpty && e.stderr.hasPrefix("error: "))
        }
        #expect(olleey(["vtt", "sync", "t.vtt", "--map", "1s=5s", "--map", "2s=3s"], cwd: t.path).stderr.contains("order"))
    }
}

@Suite("olleey vtt convert, diff, cat")
struct VTTCLIConvertDiffCatTests {
    @Test("srt -> vtt and vtt -> srt; SRT warnings on stderr")
    func srt() {
        let t = TempDir()
        t.write("c.srt", VTTFixtures.srt)
        t.write("a.vtt", VTTFixtures.a)
        let toVTT = olleey(["vtt", "convert", "c.srt", "--to", "vtt"], cwd: t.path)
        #expect(toVTT.exit == 0)
        #expect(toVTT.stdout.hasPrefix("WEBVTT"))
        #expect(VTTFixtures.timings(toVTT.stdout.replacingOccurrences(of: "\r", with: "")) == ["00:00:01.000 --> 00:00:02.000", "00:00:03.500 --> 00:00:04.000"])
        #expect(toVTT.stdout.contains("From <c.font-color-red>SRT</c>") && !toVTT.stdout.contains("<font"))
        #expect(toVTT.stderr.isEmpty)
        // SRT to SRT keeps the colour
        #expect(olleey(["vtt", "convert", "c.srt", "--to", "srt"], cwd: t.path).stdout.contains("From <font color=\"red\">SRT</font>"))

        let toSRT = olleey(["vtt", "convert", "a.vtt", "--to", "srt"], cwd: t.path)
        #expect(toSRT.exit == 0 && toSRT.stderr.isEmpty)
        #expect(toSRT.stdout == "1\n00:00:01,000 --> 00:00:02,500\n{\\an1}Hello world\n\n2\n00:00:03,000 --> 00:00:04,000\nSecond cue\n")
        // content sniffing: an SRT under another name, and --from
        t.write("srt.txt", VTTFixtures.srt)
        #expect(olleey(["vtt", "convert", "srt.txt", "--to", "vtt"], cwd: t.path).stdout.contains("00:00:01.000 --> 00:00:02.000"))
        #expect(olleey(["vtt", "convert", "-", "--from", "srt", "--to", "vtt"], cwd: t.path, stdin: VTTFixtures.srt).stdout.contains("From <c.font-color-red>SRT"))
        let o = olleey(["vtt", "convert", "a.vtt", "--to", "srt", "-o", "a.srt"], cwd: t.path)
        #expect(o.exit == 0 && t.read("a.srt") == toSRT.stdout)
    }

    @Test("imsc1 and ebu-tt-d are well-formed XML in the TTML namespace; lossy parts warn on stderr")
    func ttml() throws {
        let t = TempDir()
        t.write("rich.vtt", VTTFixtures.rich)
        for profile in ["imsc1", "ebu-tt-d", "ttml"] {
            let r = olleey(["vtt", "convert", "rich.vtt", "--to", profile, "--lang", "en"], cwd: t.path)
            #expect(r.exit == 0, "\(profile)")
            #expect(r.stdout.hasPrefix("<?xml"))
            let xml = try XMLDocument(xmlString: r.stdout)
            let root = try #require(xml.rootElement())
            #expect(root.localName == "tt")
            #expect(root.uri == "http://www.w3.org/ns/ttml", "\(profile)")
            #expect(root.attribute(forName: "xml:lang")?.stringValue == "en")
            let ps = try xml.nodes(forXPath: "//*[local-name()='p']")
            #expect(ps.count == 3, "\(profile)")
            #expect(r.stdout.contains("begin=\"00:00:01.000\"") && r.stdout.contains("end=\"00:00:02.500\""))
        }
        let imsc = olleey(["vtt", "convert", "rich.vtt", "--to", "imsc1"], cwd: t.path)
        #expect(imsc.stdout.contains("http://www.w3.org/ns/ttml/profile/imsc1/text"))
        let ebu = olleey(["vtt", "convert", "rich.vtt", "--to", "ebu-tt-d"], cwd: t.path)
        #expect(ebu.stdout.contains("urn:ebu:tt:distribution"))
        // EBU-TT-D cannot say vertical text or voices: warnings, on stderr only
        #expect(ebu.stderr.contains("warning: ") && ebu.stderr.contains("vertical"))
        #expect(!ebu.stdout.contains("warning"))
        let o = olleey(["vtt", "convert", "rich.vtt", "--to", "imsc1", "-o", "out.ttml"], cwd: t.path)
        #expect(o.exit == 0 && t.read("out.ttml") == imsc.stdout)

        #expect(olleey(["vtt", "convert", "rich.vtt"], cwd: t.path).exit == 64)
        #expect(olleey(["vtt", "convert", "rich.vtt", "--to", "xml"], cwd: t.path).exit == 64)
        #expect(olleey(["vtt", "convert", "missing.vtt", "--to", "srt"], cwd: t.path).exit == 66)
    }

    @Test("diff: identical exits 0; different exits 1 with a JSON summary")
    func diff() throws {
        let t = TempDir()
        t.write("a.vtt", VTTFixtures.a)
        t.write("b.vtt", VTTFixtures.b)
        let same = olleey(["vtt", "diff", "a.vtt", "a.vtt"], cwd: t.path)
        #expect(same.exit == 0 && same.stdout == "no differences\n")
        let sameJSON = olleey(["vtt", "diff", "a.vtt", "a.vtt", "--json"], cwd: t.path)
        #expect(sameJSON.exit == 0)
        #expect(try sameJSON.json()["identical"] == .bool(true))

        let d = olleey(["vtt", "diff", "a.vtt", "b.vtt", "--json"], cwd: t.path)
        #expect(d.exit == 1)
        let j = try d.json()
        #expect(j["identical"] == .bool(false))
        #expect(j["summary"] == .object([("added", .int(1)), ("removed", .int(0)), ("text_changed", .int(1)),
                                         ("timing_changed", .int(1)), ("settings_changed", .int(0))]))
        let changes = j["changes"]?.arrayValue ?? []
        #expect(changes.map { $0["kind"] } == ["text_changed", "timing_changed", "added"])
        #expect(changes[1]["start_delta_ms"] == .int(200) && changes[1]["end_delta_ms"] == .int(200))
        #expect(changes[0]["words"]?.arrayValue?.contains(.object([("op", "insert"), ("text", "there")])) == true)

        let human = olleey(["vtt", "diff", "a.vtt", "b.vtt"], cwd: t.path)
        #expect(human.exit == 1)
        #expect(human.stdout.contains("{+there+}"))
        #expect(human.stdout.contains("start +200 ms"))
        #expect(human.stdout.hasSuffix("1 added, 0 removed, 1 text changed, 1 timing changed, 0 settings changed\n"))
        #expect(olleey(["vtt", "diff", "a.vtt", "b.vtt", "-q"], cwd: t.path).stdout.isEmpty)

        let reversed = olleey(["vtt", "diff", "b.vtt", "a.vtt", "--json"], cwd: t.path)
        #expect(try reversed.json()["summary"]?["removed"] == .int(1))
        // a file against standard input
        #expect(olleey(["vtt", "diff", "a.vtt", "-"], cwd: t.path, stdin: VTTFixtures.a).exit == 0)
        #expect(olleey(["vtt", "diff", "a.vtt"], cwd: t.path).exit == 64)
        #expect(olleey(["vtt", "diff", "a.vtt", "missing.vtt"], cwd: t.path).exit == 66)
        t.write("bad.vtt", VTTFixtures.badSignature)
        #expect(olleey(["vtt", "diff", "a.vtt", "bad.vtt"], cwd: t.path).exit == 65)
    }

    @Test("cat merges files (VTT and SRT) in start-time order")
    func cat() {
        let t = TempDir()
        t.write("x.vtt", "WEBVTT\n\nx1\n00:00:02.000 --> 00:00:03.000\nfrom x at 2\n\nx2\n00:00:06.000 --> 00:00:07.000 align:end\nfrom x at 6\n")
        t.write("y.srt", "1\n00:00:04,000 --> 00:00:05,000\nfrom y at 4\n\n2\n00:00:00,500 --> 00:00:01,000\nfrom y at 0.5\n")
        let r = olleey(["vtt", "cat", "x.vtt", "y.srt"], cwd: t.path)
        #expect(r.exit == 0)
        #expect(r.stdout.hasPrefix("WEBVTT"))
        #expect(VTTFixtures.timings(r.stdout) == ["00:00:00.500 --> 00:00:01.000", "00:00:02.000 --> 00:00:03.000",
                                                  "00:00:04.000 --> 00:00:05.000", "00:00:06.000 --> 00:00:07.000 align:end"])
        let texts = r.stdout.split(separator: "\n").filter { $0.hasPrefix("from") }.map(String.init)
        #expect(texts == ["from y at 0.5", "from x at 2", "from y at 4", "from x at 6"])
        #expect(r.stdout.contains("x1\n00:00:02.000"))   // named ids kept
        #expect(r.stdout.contains("\n1\n00:00:00.500") && r.stdout.contains("\n3\n00:00:04.000"))   // numbers renumbered
        // the merge is symmetric in order of the arguments for distinct start times
        let swapped = olleey(["vtt", "cat", "y.srt", "x.vtt", "--to", "vtt"], cwd: t.path)
        #expect(VTTFixtures.timings(swapped.stdout) == VTTFixtures.timings(r.stdout))
        let o = olleey(["vtt", "cat", "x.vtt", "y.srt", "-o", "all.vtt"], cwd: t.path)
        #expect(o.exit == 0 && t.read("all.vtt") == r.stdout)
        let withStdin = olleey(["vtt", "cat", "x.vtt", "-"], cwd: t.path, stdin: "WEBVTT\n\n00:00:01.000 --> 00:00:01.500\nstdin\n")
        #expect(VTTFixtures.timings(withStdin.stdout).first == "00:00:01.000 --> 00:00:01.500")
        #expect(olleey(["vtt", "cat"], cwd: t.path).exit == 64)
        #expect(olleey(["vtt", "cat", "x.vtt", "missing.vtt"], cwd: t.path).exit == 66)
    }
}
