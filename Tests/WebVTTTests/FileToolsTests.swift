import Foundation
import Testing
import WebVTT

// The logic behind the subtitle file commands: the output format rule, shift's clamp and drop,
// cat's offsets and unique ids, lint's order/overlap/duplicate-id checks and cue numbers.

@Suite("File tools: output format, shift drops, cat ids and offsets, lint order and ids")
struct FileToolsTests {
    func doc(_ body: String) -> WebVTTDocument { WebVTTParser.parse("WEBVTT\n\n" + body).document }

    @Test("the output format: --to, else -o's extension, else the input's format, else WebVTT")
    func outputFormat() {
        #expect(SubtitleOutputFormat.choose(override: nil, outputPath: "/x/b.srt", input: .webvtt) == .srt)
        #expect(SubtitleOutputFormat.choose(override: nil, outputPath: "b.SRT", input: .webvtt) == .srt)
        #expect(SubtitleOutputFormat.choose(override: nil, outputPath: "b.vtt", input: .srt) == .vtt)
        #expect(SubtitleOutputFormat.choose(override: nil, outputPath: "b.ttml", input: .srt) == .imsc1)
        #expect(SubtitleOutputFormat.choose(override: nil, outputPath: nil, input: .srt) == .srt)
        #expect(SubtitleOutputFormat.choose(override: nil, outputPath: "notes.txt", input: .srt) == .srt)
        #expect(SubtitleOutputFormat.choose(override: nil, outputPath: "dir.srt/out", input: .webvtt) == .vtt)
        #expect(SubtitleOutputFormat.choose(override: nil, outputPath: nil, input: .webvtt) == .vtt)
        #expect(SubtitleOutputFormat.choose(override: .vtt, outputPath: "b.srt", input: .srt) == .vtt)
        #expect(SubtitleOutputFormat(name: "ttml") == .imsc1 && SubtitleOutputFormat(name: "EBU-TT-D") == .ebuttd)
        #expect(SubtitleOutputFormat(name: "ass") == nil)
        for n in SubtitleOutputFormat.names { #expect(SubtitleOutputFormat(name: n) != nil) }
    }

    @Test("shift never leaves a zero-length or negative cue; a NOTE keeps its place")
    func shiftDrops() {
        let d = doc("a\n00:00:01.000 --> 00:00:02.000\ngone\n\nNOTE before b\n\nb\n00:00:03.000 --> 00:00:05.000\nclamped\n\nc\n00:00:07.000 --> 00:00:08.000\nstays\n")
        let r = Timing.shiftReporting(d, byMs: -4000)
        #expect(r.document.cues.map { [$0.startMs, $0.endMs] } == [[0, 1000], [3000, 4000]])
        #expect(r.dropped.map(\.id) == ["a"] && r.dropped.map(\.number) == [1])
        #expect(r.clamped == 1)
        let out = WebVTTSerializer.serialize(r.document)
        #expect(!out.contains("gone"))
        #expect(out.contains("NOTE before b\n\nb\n00:00:00.000 --> 00:00:01.000"))
        for c in Timing.shift(d, byMs: -7500).cues { #expect(c.endMs > c.startMs) }
        // a shift to exactly zero is not a clamp; a cue that was empty already is left alone
        #expect(Timing.shiftReporting(d, byMs: -1000).clamped == 0)
        let z = doc("00:00:05.000 --> 00:00:05.000\nzero\n")
        #expect(Timing.shiftReporting(z, byMs: -1000).document.cues.count == 1)
    }

    @Test("concatenate: numbers renumbered, named ids kept or suffixed, offsets per part")
    func concatenateIds() {
        let a = doc("1\n00:00:01.000 --> 00:00:02.000\na1\n\nintro\n00:00:03.000 --> 00:00:04.000\na-intro\n\n00:00:05.000 --> 00:00:06.000\nno id\n")
        let b = doc("1\n00:00:01.000 --> 00:00:02.000\nb1\n\nintro\n00:00:03.000 --> 00:00:04.000\nb-intro\n\nintro-2\n00:00:04.000 --> 00:00:04.500\nb-intro-2\n")
        let r = concatenate([a, b], offsets: [0, 10_000])
        #expect(r.document.cues.map(\.text) == ["a1", "a-intro", "no id", "b1", "b-intro", "b-intro-2"])
        #expect(r.document.cues.map(\.id) == ["1", "intro", "3", "4", "intro-3", "intro-2"])
        #expect(r.document.cues.map(\.startMs) == [1000, 3000, 5000, 11_000, 13_000, 14_000])
        #expect(r.renamed.count == 1)
        #expect(r.renamed.first.map { [String($0.part), String($0.cue), $0.from, $0.to] } == ["2", "5", "intro", "intro-3"])
        let ids = WebVTTParser.parse(WebVTTSerializer.serialize(r.document)).document.cues.map(\.id)
        #expect(Set(ids).count == 6 && !ids.contains(""))
        // without offsets the parts interleave by start time; ids still unique
        let same = concatenate([a, a])
        #expect(Set(same.document.cues.map(\.id)).count == 6)
        // a negative offset clamps and drops like shift
        let early = concatenate([a], offsets: [-2000])
        #expect(early.dropped.count == 1 && early.clamped == 0 && early.document.cues.first?.text == "a-intro")
    }

    @Test("lint: out-of-order cues are not overlaps; a real overlap is found in start order; cue numbers from 1")
    func lintOrder() throws {
        let p = try #require(LintProfile.named("default"))
        // 10-12, then 1-2 and 3-4: out of order, but no two cues share any time
        let d = doc("00:00:10.000 --> 00:00:12.000\nlate cue here\n\n00:00:01.000 --> 00:00:02.500\nearly cue one\n\n00:00:03.000 --> 00:00:04.500\nearly cue two\n")
        let f = Lint.lint(d, profile: p)
        #expect(f.filter { $0.rule == .outOfOrder }.map(\.cueNumber) == [2])
        #expect(f.filter { $0.rule == .overlap }.isEmpty)
        // out of order and overlapping: cue 3 (5-11) overlaps cue 1 (10-12) by 1 s
        let o = doc("00:00:10.000 --> 00:00:12.000\nlate cue here\n\n00:00:01.000 --> 00:00:02.500\nearly cue one\n\n00:00:05.000 --> 00:00:11.000\nlong cue\n")
        let ov = try #require(Lint.lint(o, profile: p).first { $0.rule == .overlap })
        #expect(ov.cueNumber == 1 && ov.related == 2 && ov.value == 1000)
        #expect(ov.message == "cue overlaps cue 3 by 1000 ms")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(Lint.json([ov], profile: p).utf8)) as? [String: Any])
        #expect((json["findings"] as? [[String: Any]])?.first?["cue"] as? Int == 1)
    }

    @Test("lint and parse --strict report duplicate cue ids")
    func duplicateIds() throws {
        let text = "a\n00:00:01.000 --> 00:00:02.500\nfirst cue\n\nb\n00:00:03.000 --> 00:00:04.500\nsecond cue\n\na\n00:00:05.000 --> 00:00:06.500\nthird cue\n\n00:00:07.000 --> 00:00:08.500\nno id\n\n00:00:09.000 --> 00:00:10.500\nno id\n"
        let p = try #require(LintProfile.named("default"))
        let f = Lint.lint(doc(text), profile: p).filter { $0.rule == .duplicateId }
        #expect(f.map(\.cueNumber) == [3])
        #expect(f.first?.severity == .error)
        #expect(f.first?.message == "cue id 'a' is already used by cue 1")
        let strict = WebVTTParser.parse("WEBVTT\n\n" + text, mode: .strict)
        let dup = strict.diagnostics.filter { $0.code == "duplicate_cue_id" }
        #expect(dup.map(\.line) == [11])
        #expect(dup.first?.severity == .error)
        #expect(WebVTTParser.parse("WEBVTT\n\n" + text, mode: .browser).diagnostics.isEmpty)
        #expect(Lint.duplicateIds(doc("x\n00:01.000 --> 00:02.000\nt\n\ny\n00:03.000 --> 00:04.000\nu\n")).isEmpty)
    }

    /// What `Lint.duplicateIds` answers, by the definition: a dictionary of the ids as strings.
    func duplicateIdsByStrings(_ d: WebVTTDocument) -> [Int: Int] {
        var first: [String: Int] = [:], out: [Int: Int] = [:]
        for i in d.cues.indices where !d.cues[i].id.isEmpty {
            if let f = first[d.cues[i].id] { out[i] = f } else { first[d.cues[i].id] = i }
        }
        return out
    }

    @Test("duplicate ids by bytes agree with string comparison: many cues, ids set in code, non-ASCII ids")
    func duplicateIdsAgreeWithStrings() throws {
        // 5,000 cues whose ids repeat in a pattern (numbers, names, empty), some ids replaced in code
        var g = SystemRandomNumberGenerator()
        var text = ""
        for i in 0..<5_000 {
            let id = switch Int.random(in: 0..<4, using: &g) {
            case 0: String(i)
            case 1: String(Int.random(in: 0..<2_000, using: &g))
            case 2: "scene-" + String(Int.random(in: 0..<300, using: &g))
            default: ""
            }
            text += (id.isEmpty ? "" : id + "\n") + "00:00:01.000 --> 00:00:02.000\nt\n\n"
        }
        var d = doc(text)
        #expect(d.cues.count == 5_000)
        for k in stride(from: 7, to: 5_000, by: 97) { d.cues[k].id = k % 2 == 0 ? "scene-1" : "" }
        let expected = duplicateIdsByStrings(d)
        #expect(!expected.isEmpty)
        #expect(Lint.duplicateIds(d) == expected)
        // precomposed and decomposed é are the same string: still a duplicate
        let accents = doc("caf\u{E9}\n00:01.000 --> 00:02.000\nt\n\ncafe\u{301}\n00:03.000 --> 00:04.000\nu\n\nx\n00:05.000 --> 00:06.000\nv\n")
        #expect(Lint.duplicateIds(accents) == [1: 0])
        #expect(Lint.duplicateIds(accents) == duplicateIdsByStrings(accents))
    }
}
