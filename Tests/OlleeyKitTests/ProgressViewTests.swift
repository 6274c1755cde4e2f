import Foundation
import Testing
import OlleeyKit

/// The progress view model (`ProgressView`), from literal event streams.
@Suite("progress view: the lines a person watches")
struct ProgressViewTests {
    func ev(_ lang: String?, _ stage: String, _ kind: ProgressEvent.Kind, at ms: Int64, job: String = "J1", printed: String = "0193a1b2") -> ProgressEvent {
        ProgressEvent(job: job, printed: printed, language: lang, stage: stage, kind: kind, atMs: ms)
    }

    @Test("one line per job and language, in order of appearance, with the current stage and elapsed time")
    func linesPerUnit() {
        var v = ProgressView()
        v.apply(ev(nil, "ingest", .started, at: 0))
        v.apply(ev(nil, "", .settled("prepared"), at: 500))
        v.apply(ev("es", "translate", .started, at: 600))
        v.apply(ev("ca", "translate", .started, at: 700))
        v.apply(ev("es", "translate", .finished(cached: false, durationMs: 400), at: 1000))
        v.apply(ev("es", "voice", .started, at: 1000))
        let lines = v.lines(nowMs: 2600)
        #expect(lines.map(\.label) == ["0193a1b2", "0193a1b2 es", "0193a1b2 ca"])
        #expect(lines.map(\.stage) == ["ingest", "voice", "translate"])
        #expect(lines.map(\.state) == [.done, .running, .running])
        #expect(lines.map(\.elapsedMs) == [500, 2000, 1900])
        #expect(!v.finished)
        #expect(ProgressView.text(lines[0]).contains("done (prepared) in 0.5s"))
        #expect(ProgressView.text(lines[1]).hasPrefix("0193a1b2 es    voice"))
    }

    @Test("a bar and an estimate where the amount of work is known (dub: cues)")
    func barAndEstimate() {
        var v = ProgressView()
        v.apply(ev("es", "dub", .started, at: 1000))
        v.apply(ev("es", "dub", .advanced(done: 1, total: 4, unit: "cues"), at: 2000))
        v.apply(ev("es", "dub", .advanced(done: 2, total: 4, unit: "cues"), at: 3000))
        let l = v.lines(nowMs: 3000)[0]
        #expect(l.fraction == 0.5)
        #expect(l.detail == "2/4 cues")
        #expect(l.remainingMs == 2000)  // 2 cues in 2 s, 2 left
        let text = ProgressView.text(l)
        #expect(text.contains("[##########----------] 2/4 cues") && text.contains("~2.0s left"), "\(text)")
        // a new stage starts without the old numbers
        v.apply(ev("es", "mix", .started, at: 4000))
        #expect(v.lines(nowMs: 4500)[0].fraction == nil)
    }

    @Test("units settle into final lines: done, failed with the stage and reason; the first printed id is kept")
    func settle() {
        var v = ProgressView()
        v.apply(ev("es", "dub", .started, at: 0))
        v.apply(ev("ca", "dub", .started, at: 0, printed: "0193a1b2-7"))  // the printed id grew meanwhile
        v.apply(ev("ca", "dub", .failed("espeak-ng: exit 1"), at: 800, printed: "0193a1b2-7"))
        v.apply(ev("ca", "", .settled("failed"), at: 900, printed: "0193a1b2-7"))
        v.apply(ev("es", "assemble", .finished(cached: true, durationMs: 5), at: 1500))
        v.apply(ev("es", "", .settled("draft"), at: 1500))
        #expect(v.finished)
        let lines = v.lines(nowMs: 99_999)
        #expect(lines.map(\.label) == ["0193a1b2 es", "0193a1b2 ca"])
        #expect(ProgressView.text(lines[0]) == "0193a1b2 es    done in 1.5s")
        #expect(ProgressView.text(lines[1]) == "0193a1b2 ca    failed at dub: espeak-ng: exit 1 after 0.8s")
        // a line never outgrows the width
        #expect(ProgressView.text(lines[1], width: 20).count == 20)
    }

    @Test("minutes past a minute")
    func longElapsed() {
        var v = ProgressView()
        v.apply(ev(nil, "master", .started, at: 0))
        #expect(ProgressView.text(v.lines(nowMs: 125_000)[0]).hasSuffix("2m05s"))
    }
}

@Suite("progress view: job watch's polls as events")
struct ProgressSnapshotTests {
    typealias Snap = ProgressView.Snapshot

    @Test("stages started, preparation over, languages and the job settled; nothing twice")
    func changes() {
        let s0 = Snap(status: "downloading", stage: "ingest", settled: false, languages: [("es", "queued", nil)])
        let s1 = Snap(status: "dubbing", stage: "dub", settled: false, languages: [("es", "processing", "dub")])
        let s2 = Snap(status: "assembling", stage: "mix", settled: false, languages: [("es", "processing", "mix")])
        let s3 = Snap(status: "completed", stage: "publish", settled: true, languages: [("es", "draft", "assemble")])
        func kinds(_ a: Snap?, _ b: Snap) -> [String] {
            ProgressView.changes(job: "J", printed: "0193", from: a, to: b, atMs: 0).map { "\($0.language ?? "-") \($0.stage) \($0.kind)" }
        }
        #expect(kinds(nil, s0) == ["- ingest started"])
        #expect(kinds(s0, s0) == [])
        #expect(kinds(s0, s1) == ["es dub started", "- ingest settled(\"prepared\")"])
        #expect(kinds(s1, s2) == ["es mix started"])
        #expect(kinds(s2, s3) == ["es assemble settled(\"draft\")", "- publish settled(\"completed\")"])
        #expect(kinds(s3, s3) == [])
        var v = ProgressView()
        for (a, b) in [(nil, s0), (s0, s1), (s1, s2), (s2, s3)] as [(Snap?, Snap)] {
            for e in ProgressView.changes(job: "J", printed: "0193", from: a, to: b, atMs: 0) { v.apply(e) }
        }
        #expect(v.finished)
    }
}
