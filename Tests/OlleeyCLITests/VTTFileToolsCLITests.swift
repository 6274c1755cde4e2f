import Foundation
import Testing
import OlleeyCLI
import OlleeyKit
import OlleeyTestSupport

// The subtitle file commands keep the format and the cues: the output format rule, --json
// results, shift's clamp and drop, cat's unique ids and offsets, lint's order and duplicate ids.

@Suite("olleey vtt file commands: format kept, JSON results, safe shift and cat")
struct VTTFileToolsCLITests {
    static let srt = "1\r\n00:00:02,000 --> 00:00:03,000\r\nHello.\r\n\r\n"
    static let early = "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nGone.\n\n00:00:07.000 --> 00:00:08.000\nStays.\n"
    static let part = "WEBVTT\n\n1\n00:00:01.000 --> 00:00:02.000\nOne.\n\n2\n00:00:03.000 --> 00:00:04.000\nTwo.\n"

    @Test("an SRT stays SRT (to -o x.srt and to standard output); -o x.vtt and --to vtt write WebVTT; a bad --to is 64")
    func formatFollowsOutput() {
        let t = TempDir()
        t.write("a.srt", Self.srt)
        #expect(olleey(["vtt", "shift", "a.srt", "--by", "1s", "-o", "b.srt"], cwd: t.path).exit == 0)
        #expect(t.read("b.srt") == "1\r\n00:00:03,000 --> 00:00:04,000\r\nHello.\r\n")
        #expect(olleey(["vtt", "shift", "a.srt", "--by", "1s"], cwd: t.path).stdout == t.read("b.srt"))
        #expect(olleey(["vtt", "shift", "a.srt", "--by", "1s", "-o", "b.vtt"], cwd: t.path).exit == 0)
        #expect((t.read("b.vtt") ?? "").hasPrefix("WEBVTT"))
        let forced = olleey(["vtt", "shift", "a.srt", "--by", "1s", "--to", "vtt", "-o", "c.srt"], cwd: t.path)
        #expect(forced.exit == 0 && (t.read("c.srt") ?? "").hasPrefix("WEBVTT"))
        // shift's --to is still the end of a time range when it is a time
        #expect(olleey(["vtt", "shift", "a.srt", "--by", "1s", "--to", "1s"], cwd: t.path).stdout.contains("00:00:02,000 --> 00:00:03,000"))
        #expect(olleey(["vtt", "scale", "a.srt", "--factor", "2"], cwd: t.path).stdout.contains("00:00:04,000 --> 00:00:06,000"))
        #expect(olleey(["vtt", "sync", "a.srt", "--map", "0=1s", "-o", "s.srt"], cwd: t.path).exit == 0)
        #expect((t.read("s.srt") ?? "").contains("00:00:03,000 --> 00:00:04,000"))
        #expect(olleey(["vtt", "convert", "a.srt", "-o", "x.vtt"], cwd: t.path).exit == 0 && (t.read("x.vtt") ?? "").hasPrefix("WEBVTT"))
        #expect(olleey(["vtt", "convert", "a.srt", "-o", "x.ttml"], cwd: t.path).exit == 0 && (t.read("x.ttml") ?? "").contains("http://www.w3.org/ns/ttml"))
        for args in [["shift", "a.srt", "--by", "1s", "--to", "docx"], ["fmt", "a.srt", "--to", "docx"], ["cat", "a.srt", "--to", "ass"],
                     ["convert", "a.srt"], ["convert", "a.srt", "-o", "out.txt"]] {
            let r = olleey(["vtt"] + args, cwd: t.path)
            #expect(r.exit == 64, "\(args)")
            #expect(r.stderr.hasPrefix("error: ") && r.stdout.isEmpty, "\(args)")
        }
    }

    @Test("--json and --fields: output, format, input_format, cues, warnings; with no -o the text is the content")
    func jsonResults() throws {
        let t = TempDir()
        t.write("a.srt", Self.srt)
        t.write("p.vtt", Self.part)
        let j = olleey(["vtt", "shift", "a.srt", "--by", "1s", "-o", "c.srt", "--json"], cwd: t.path)
        #expect(j.exit == 0)
        let d = try j.json()
        #expect(d.objectValue?.map(\.0) == ["output", "format", "input_format", "cues", "warnings", "clamped", "dropped", "dropped_cues"])
        #expect(d["output"] == "c.srt" && d["format"] == "srt" && d["input_format"] == "srt" && d["cues"] == .int(1))
        #expect((t.read("c.srt") ?? "").contains("00:00:03,000"))
        let stdout = try olleey(["vtt", "fmt", "p.vtt", "--json"], cwd: t.path).json()
        #expect(stdout["output"] == .null && stdout["content"] == .string(Self.part) && stdout["cues"] == .int(2))
        let fields = olleey(["vtt", "scale", "p.vtt", "--factor", "2", "-o", "q.srt", "--fields", "format,cues"], cwd: t.path)
        #expect(try fields.json() == .object([("format", "srt"), ("cues", .int(2))]))
        let conv = try olleey(["vtt", "convert", "p.vtt", "--to", "ebu-tt-d", "-o", "p.ttml", "--json"], cwd: t.path).json()
        #expect(conv["format"] == "ebu-tt-d" && conv["input_format"] == "vtt")
        let cat = try olleey(["vtt", "cat", "p.vtt", "a.srt", "-o", "all.vtt", "--json"], cwd: t.path).json()
        #expect(cat["cues"] == .int(3) && cat["inputs"] == .array(["p.vtt", "a.srt"]))
        #expect(olleey(["vtt", "fmt", "p.vtt", "--fields", "nope"], cwd: t.path).exit == 64)
    }

    @Test("shift past zero clamps, drops what vanishes with a warning, and counts it in --json")
    func shiftPastZero() throws {
        let t = TempDir()
        t.write("early.vtt", Self.early)
        let r = olleey(["vtt", "shift", "early.vtt", "--by", "-5s", "-o", "s.vtt"], cwd: t.path)
        #expect(r.exit == 0)
        #expect(t.read("s.vtt") == "WEBVTT\n\n00:00:02.000 --> 00:00:03.000\nStays.\n")
        #expect(r.stderr.contains("warning: early.vtt: cue 1 at 00:00:01.000 --> 00:00:02.000") && r.stderr.contains("dropped"))
        let j = try olleey(["vtt", "shift", "early.vtt", "--by", "-1500ms", "--json", "-o", "c.vtt"], cwd: t.path).json()
        #expect(j["clamped"] == .int(1) && j["dropped"] == .int(0) && j["cues"] == .int(2))
        let k = try olleey(["vtt", "shift", "early.vtt", "--by", "-7500ms", "--json", "-o", "d.vtt"], cwd: t.path).json()
        #expect(k["dropped"] == .int(1) && k["clamped"] == .int(1) && k["cues"] == .int(1))
        #expect(k["dropped_cues"]?.arrayValue?.first?["cue"] == .int(1))
        #expect(k["warnings"]?.arrayValue?.count == 1)
        #expect(!(t.read("d.vtt") ?? "").contains("00:00:00.000 --> 00:00:00.000") && (t.read("d.vtt") ?? "").contains("00:00:00.000 --> 00:00:00.500"))
    }

    @Test("cat: unique ids (numbers renumbered, named ids suffixed), --offset per part; a bad --offset is 64")
    func catIdsAndOffsets() throws {
        let t = TempDir()
        t.write("part.vtt", Self.part)
        t.write("named.vtt", "WEBVTT\n\nintro\n00:00:00.500 --> 00:00:00.900\nHi\n")
        #expect(olleey(["vtt", "cat", "part.vtt", "part.vtt", "-o", "joined.vtt"], cwd: t.path).exit == 0)
        let ids = try olleey(["vtt", "parse", "joined.vtt", "--json"], cwd: t.path).json()["cues"]?.arrayValue?.compactMap { $0["id"]?.stringValue }
        #expect(ids == ["1", "2", "3", "4"])
        let off = olleey(["vtt", "cat", "part.vtt", "part.vtt", "named.vtt", "named.vtt", "--offset", "0", "--offset", "10:00", "--offset", "0", "--offset", "1s"], cwd: t.path)
        #expect(off.exit == 0)
        #expect(VTTFixtures.timings(off.stdout) == ["00:00:00.500 --> 00:00:00.900", "00:00:01.000 --> 00:00:02.000", "00:00:01.500 --> 00:00:01.900",
                                                    "00:00:03.000 --> 00:00:04.000", "00:10:01.000 --> 00:10:02.000", "00:10:03.000 --> 00:10:04.000"])
        #expect(off.stdout.contains("intro\n00:00:00.500") && off.stdout.contains("intro-2\n00:00:01.500"))
        #expect(off.stderr.contains("named.vtt: cue id 'intro' is already used; the cue is now intro-2"))
        let j = try olleey(["vtt", "cat", "named.vtt", "named.vtt", "--json"], cwd: t.path).json()
        #expect(j["renamed_ids"]?.arrayValue?.first?["to"] == "intro-2")
        for args in [["--offset", "soon", "--offset", "0"], ["--offset", "0"], ["--offset", "0", "--offset", "1s", "--offset", "2s"]] {
            let r = olleey(["vtt", "cat", "part.vtt", "part.vtt"] + args, cwd: t.path)
            #expect(r.exit == 64, "\(args)")
            #expect(r.stderr.contains("--offset") && r.stdout.isEmpty, "\(args)")
        }
    }

    @Test("lint: order without a false overlap, duplicate ids, cues numbered from 1; parse --strict reports duplicate ids")
    func lintOrderAndIds() throws {
        let t = TempDir()
        t.write("o.vtt", "WEBVTT\n\n00:00:10.000 --> 00:00:12.000\nlate cue here\n\n00:00:01.000 --> 00:00:02.500\nearly cue one\n\n00:00:03.000 --> 00:00:04.500\nearly cue two\n")
        let r = olleey(["vtt", "lint", "o.vtt", "--json"], cwd: t.path)
        #expect(r.exit == 1)
        let rules = try r.json()["findings"]?.arrayValue?.map { [$0["rule"]?.stringValue ?? "", String($0["cue"]?.intValue ?? -1)] }
        #expect(rules == [["out_of_order", "2"]])
        t.write("d.vtt", "WEBVTT\n\nx\n00:00:01.000 --> 00:00:02.500\nfirst cue\n\nx\n00:00:03.000 --> 00:00:04.500\nsecond cue\n")
        let d = olleey(["vtt", "lint", "d.vtt"], cwd: t.path)
        #expect(d.exit == 1)
        #expect(d.stdout.contains("d.vtt:8: error: cue id 'x' is already used by cue 1 [duplicate_id]"))
        let s = olleey(["vtt", "parse", "d.vtt", "--strict"], cwd: t.path)
        #expect(s.exit == 65)
        #expect(s.stderr.contains("d.vtt:7:1: error: cue id 'x' is already used by cue 1"))
        #expect(olleey(["vtt", "parse", "d.vtt"], cwd: t.path).exit == 0)
        // lint --fix keeps an SRT an SRT, with a JSON result
        t.write("o.srt", "1\n00:00:05,000 --> 00:00:06,500\nlater\n\n2\n00:00:01,000 --> 00:00:02,500\nearlier\n")
        let f = try olleey(["vtt", "lint", "o.srt", "--fix", "-o", "f.srt", "--json"], cwd: t.path).json()
        #expect(f["format"] == "srt" && f["fixed"]?.intValue ?? 0 > 0)
        #expect((t.read("f.srt") ?? "").hasPrefix("1\n00:00:01,000 --> 00:00:02,500\nearlier"))
    }
}
