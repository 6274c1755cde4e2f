import Foundation
import Testing
import WebVTT

@Suite("Cue diff")
struct DiffTests {
    func doc(_ s: String) -> WebVTTDocument { WebVTTParser.parse("WEBVTT\n\n" + s).document }

    @Test("identical documents")
    func identical() {
        let a = doc("1\n00:01.000 --> 00:02.000\nhello\n")
        let r = CueDiff.diff(a, a)
        #expect(r.identical)
        #expect(r.changes.isEmpty)
        #expect(r.humanReadable() == "no differences\n")
    }

    @Test("added, removed, text, timing and settings changes")
    func kinds() throws {
        let a = doc("""
        intro
        00:01.000 --> 00:02.000
        Hello there world

        00:03.000 --> 00:04.000 align:start
        Same text

        00:10.000 --> 00:11.000
        Gone soon

        """)
        let b = doc("""
        intro
        00:01.000 --> 00:02.000
        Hello big world

        00:03.200 --> 00:04.100 align:end
        Same text

        00:20.000 --> 00:21.000
        Brand new

        """)
        let r = CueDiff.diff(a, b)
        #expect(!r.identical)
        #expect(r.count(.textChanged) == 1)
        #expect(r.count(.timingChanged) == 1)
        #expect(r.count(.settingsChanged) == 1)
        #expect(r.count(.added) == 1)
        #expect(r.count(.removed) == 1)
        let text = try #require(r.changes.first { $0.kind == .textChanged })
        #expect(text.aId == "intro")
        #expect(text.words == [WordChange(op: .equal, text: "Hello"), WordChange(op: .delete, text: "there"),
                               WordChange(op: .insert, text: "big"), WordChange(op: .equal, text: "world")])
        let timing = try #require(r.changes.first { $0.kind == .timingChanged })
        #expect(timing.startDeltaMs == 200)
        #expect(timing.endDeltaMs == 100)
        #expect(timing.aIndex == 1)
        #expect(timing.bIndex == 1)
        let json = try JSONSerialization.jsonObject(with: Data(r.json().utf8)) as? [String: Any]
        let summary = try #require(json?["summary"] as? [String: Int])
        #expect(summary == ["added": 1, "removed": 1, "text_changed": 1, "timing_changed": 1, "settings_changed": 1])
        #expect(json?["identical"] as? Bool == false)
        let changes = try #require(json?["changes"] as? [[String: Any]])
        #expect(changes.count == 5)
        let words = try #require(changes.first { $0["kind"] as? String == "text_changed" }?["words"] as? [[String: String]])
        #expect(words.first == ["op": "equal", "text": "Hello"])
        #expect(r.humanReadable().contains("[-there-] {+big+}"))
    }

    @Test("renumbered numeric ids do not mislead the alignment")
    func renumbered() {
        let a = doc("1\n00:01.000 --> 00:02.000\nfirst\n\n2\n00:05.000 --> 00:06.000\nsecond\n")
        let b = doc("1\n00:00.000 --> 00:00.500\ninserted\n\n2\n00:01.000 --> 00:02.000\nfirst\n\n3\n00:05.000 --> 00:06.000\nsecond\n")
        let r = CueDiff.diff(a, b)
        #expect(r.count(.added) == 1)
        #expect(r.count(.removed) == 0)
        #expect(r.count(.textChanged) == 0)
        #expect(r.count(.timingChanged) == 0)
        #expect(r.changes.first?.bText == "inserted")
    }

    @Test("a whole-file shift shows as timing changes, not removals")
    func shifted() {
        let a = doc("00:01.000 --> 00:02.000\nalpha\n\n00:05.000 --> 00:06.000\nbeta\n")
        let b = Timing.shift(a, byMs: 30_000)
        let r = CueDiff.diff(a, b)
        #expect(r.count(.timingChanged) == 2)
        #expect(r.changes.allSatisfy { $0.startDeltaMs == 30_000 })
    }

    @Test("word diff is bounded")
    func bounded() {
        let a = (0..<3000).map { "w\($0)" }.joined(separator: " ")
        let b = (0..<3000).map { "v\($0)" }.joined(separator: " ")
        let w = CueDiff.wordDiff(a, b)
        #expect(w.count == 2)
    }
}

@Suite("Lint")
struct LintTests {
    func doc(_ s: String) -> WebVTTDocument { WebVTTParser.parse("WEBVTT\n\n" + s).document }

    func rules(_ f: [LintFinding]) -> [String] { f.map(\.rule.rawValue) }

    @Test("netflix en reading speed: 19 cps passes, 21 cps fails")
    func readingSpeed() throws {
        let p = try #require(LintProfile.named("netflix", lang: "en"))
        let ok = doc("00:00:01.000 --> 00:00:03.000\n" + String(repeating: "a", count: 19) + "\n<i>" + String(repeating: "b", count: 19) + "</i>\n")
        #expect(Lint.lint(ok, profile: p).isEmpty)
        let bad = doc("00:00:01.000 --> 00:00:03.000\n" + String(repeating: "a", count: 21) + "\n" + String(repeating: "b", count: 21) + "\n")
        let f = Lint.lint(bad, profile: p)
        #expect(rules(f) == ["reading_speed"])
        #expect(f.first?.value == 21)
        #expect(f.first?.limit == 20)
        #expect(f.first?.severity == .error)
        // children's speed is 17
        let kids = try #require(LintProfile.named("netflix", lang: "en", children: true))
        #expect(rules(Lint.lint(ok, profile: kids)) == ["reading_speed"])
    }

    @Test("netflix table per language")
    func table() throws {
        let fr = try #require(LintProfile.named("netflix", lang: "fr-FR"))
        #expect(fr.maxCharsPerLine == 42)
        #expect(fr.maxCharsPerSecond == 17)
        let ja = try #require(LintProfile.named("netflix", lang: "ja"))
        #expect(ja.maxCharsPerLine == 13)
        #expect(ja.maxCharsPerSecond == 4)
        let zh = try #require(LintProfile.named("netflix", lang: "zh-Hant"))
        #expect(zh.maxCharsPerLine == 16)
        #expect(zh.maxCharsPerSecond == 9)
        let ko = try #require(LintProfile.named("netflix", lang: "ko"))
        #expect(ko.maxCharsPerLine == 16)
        #expect(ko.maxCharsPerSecond == 12)
        let en = try #require(LintProfile.named("netflix"))
        #expect(en.minDurationMs == 833)
        #expect(en.maxDurationMs == 7000)
        #expect(en.minGapMs == 83)
        #expect(try #require(LintProfile.named("netflix", frameRate: 25)).minGapMs == 80)
        let d = try #require(LintProfile.named("default"))
        #expect(d.maxCharsPerLine == 43)
        #expect(d.minDurationMs == 1000)
        #expect(d.maxDurationMs == 8000)
        #expect(d.maxCharsPerSecond == 25)
        #expect(LintProfile.named("nope") == nil)
    }

    @Test("structural and limit rules")
    func rulesFire() throws {
        let p = try #require(LintProfile.named("netflix", lang: "en"))
        let d = doc("""
        00:00:01.000 --> 00:00:03.000
        ok line

        00:00:02.500 --> 00:00:04.000
        overlaps the first

        00:00:04.050 --> 00:00:06.000
        too close to the previous one

        00:00:06.500 --> 00:00:06.700
        short

        00:00:07.000 --> 00:00:15.000
        way too long on screen

        00:00:16.000 --> 00:00:18.000
        this line is far far far longer than forty-two characters

        00:00:19.000 --> 00:00:21.000
        one
        two
        three

        00:00:22.000 --> 00:00:24.000
        <i></i>

        00:00:21.000 --> 00:00:20.000 align:middle
        back

        """)
        let f = Lint.lint(d, profile: p)
        let got = Set(rules(f))
        for r in ["overlap", "gap", "min_duration", "max_duration", "line_length", "line_count", "empty_cue",
                  "out_of_order", "end_before_start", "invalid_setting"] {
            #expect(got.contains(r), "\(r) in \(got)")
        }
        let overlap = try #require(f.first { $0.rule == .overlap })
        #expect(overlap.cueIndex == 1)
        #expect(overlap.value == 500)
        let gap = try #require(f.first { $0.rule == .gap })
        #expect(gap.cueIndex == 2)
        #expect(gap.value == 50)
        #expect(gap.limit == 83)
    }

    @Test("overrides change any limit")
    func overrides() throws {
        let p = try #require(LintProfile.named("netflix", lang: "en"))
        let d = doc("00:00:01.000 --> 00:00:03.000\n" + String(repeating: "a", count: 42) + "\n")
        #expect(rules(Lint.lint(d, profile: p)) == ["reading_speed"])
        #expect(Lint.lint(d, profile: p, overrides: LintOverrides(maxCharsPerSecond: 22)).isEmpty)
        let o = try LintOverrides.parse(["max_cps=22", "max-chars-per-line=30", "min_duration=1.2s", "severity=warning"])
        #expect(o.maxCharsPerSecond == 22)
        #expect(o.maxCharsPerLine == 30)
        #expect(o.minDurationMs == 1200)
        let f = Lint.lint(d, profile: p, overrides: o)
        #expect(rules(f) == ["line_length"])
        #expect(f.first?.severity == .warning)
        #expect(throws: LintOverrideError.self) { try LintOverrides.parse(["bogus=1"]) }
        #expect(throws: LintOverrideError.self) { try LintOverrides.parse(["max_cps=abc"]) }
    }

    @Test("fix: order, overlap, gap")
    func fix() throws {
        let p = try #require(LintProfile.named("netflix", lang: "en"))
        let d = doc("""
        00:00:05.000 --> 00:00:06.000
        second

        00:00:01.000 --> 00:00:05.500
        first overlaps

        00:00:06.050 --> 00:00:07.000
        third too close

        """)
        let (fixed, count) = Lint.fix(d, profile: p)
        #expect(count >= 3)
        #expect(fixed.cues.map(\.text) == ["first overlaps", "second", "third too close"])
        #expect(fixed.cues[0].endMs == 5000 - 83)
        #expect(fixed.cues[1].endMs == 6050 - 83)
        let after = Lint.lint(fixed, profile: p).filter { [.overlap, .gap, .outOfOrder].contains($0.rule) }
        #expect(after.isEmpty)
        // the result is valid WebVTT
        let out = WebVTTSerializer.serialize(fixed)
        #expect(WebVTTParser.parse(out).document.cues.count == 3)
    }

    @Test("JSON and CSV output")
    func output() throws {
        let p = try #require(LintProfile.named("default"))
        let d = doc("id,1\n00:00:01.000 --> 00:00:01.500\nok\n")
        let f = Lint.lint(d, profile: p)
        let obj = try #require(try JSONSerialization.jsonObject(with: Data(Lint.json(f, profile: p).utf8)) as? [String: Any])
        #expect(obj["profile"] as? String == "default")
        #expect(obj["warnings"] as? Int == 1)
        #expect(obj["errors"] as? Int == 0)
        let first = try #require((obj["findings"] as? [[String: Any]])?.first)
        #expect(first["cue"] as? Int == 1)   // cues count from 1
        #expect(first["cue_id"] as? String == "id,1")
        #expect(first["line"] as? Int == 4)
        #expect(first["rule"] as? String == "min_duration")
        #expect(first["value"] as? Int == 500)
        #expect(first["limit"] as? Int == 1000)
        #expect(first["start_ms"] as? Int == 1000)
        #expect(first["severity"] as? String == "warning")
        let csv = Lint.csv(f)
        let lines = csv.split(separator: "\n")
        #expect(lines.first == "cue,cue_id,line,start,end,severity,rule,message,value,limit")
        #expect(lines[1].hasPrefix("1,\"id,1\",4,00:00:01.000,00:00:01.500,warning,min_duration,"))
    }
}
