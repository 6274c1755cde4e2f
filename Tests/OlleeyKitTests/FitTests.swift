import Testing
import OlleeyKit
import WebVTT

@Suite("Fit planner")
struct FitTests {
    func one(_ start: Int, _ end: Int, natural: Int, next: Int?, cap: Double = 1.3) -> FitResult {
        let r = FitPlanner.plan([FitInput(id: "c", startMs: start, endMs: end, naturalMs: natural, nextStartMs: next)],
                                options: FitOptions(cap: cap))
        return r[0]
    }

    @Test("speech shorter than its slot is never slowed down: factor 1, silence left")
    func shortLine() {
        let r = one(0, 3000, natural: 1200, next: 5000)
        #expect(r.factor == 1.0)
        #expect(r.slotMs == 3000)
        #expect(r.borrowedMs == 0)
        #expect(r.fittedMs == 1200)
        #expect(r.overflowMs == 0)
        #expect(r.fits)
    }

    @Test("silence after the slot is borrowed before any speed-up")
    func borrowsSilence() {
        // slot 2000, speech 2500, next cue at 3000: 900 ms may be borrowed (gap 100), 500 are needed
        let r = one(0, 2000, natural: 2500, next: 3000)
        #expect(r.factor == 1.0)
        #expect(r.slotMs == 2500)
        #expect(r.borrowedMs == 500)
        #expect(r.overflowMs == 0)
    }

    @Test("borrowing stops a gap before the next cue, then the tempo rises")
    func borrowThenStretch() {
        // slot 2000 + borrow 400 (next at 2500, gap 100) = 2400; speech 2880 needs 1.2
        let r = one(0, 2000, natural: 2880, next: 2500)
        #expect(r.slotMs == 2400)
        #expect(abs(r.factor - 1.2) < 1e-9)
        #expect(r.fittedMs == 2400)
        #expect(r.borrowedMs == 400)
        #expect(r.overflowMs == 0)
    }

    @Test("past the cap, the rest is reported as overflow")
    func overflow() {
        // slot 1000, no borrowing; speech 2600 at cap 1.3 -> 2000 ms, 1000 over
        let r = one(0, 1000, natural: 2600, next: 1000)
        #expect(r.factor == 1.3)
        #expect(r.fittedMs == 2000)
        #expect(r.overflowMs == 1000)
        #expect(!r.fits)
    }

    @Test("the cap is configurable")
    func capConfigurable() {
        let r = one(0, 1000, natural: 2000, next: 1000, cap: 2.0)
        #expect(r.factor == 2.0)
        #expect(r.overflowMs == 0)
        #expect(throws: OlleeyError.self) { _ = try FitOptions(cap: 0.9).validated() }
        #expect(throws: OlleeyError.self) { _ = try FitOptions(cap: .nan).validated() }
        #expect((try? FitOptions(cap: 1.35).validated()) != nil)
    }

    @Test("no next cue: no borrowing past the end")
    func noNext() {
        let r = one(0, 1000, natural: 1100, next: nil)
        #expect(r.borrowedMs == 0)
        #expect(r.slotMs == 1000)
        #expect(abs(r.factor - 1.1) < 1e-9)
    }

    @Test("zero-length slots and empty speech are handled")
    func degenerate() {
        let empty = one(0, 1000, natural: 0, next: 2000)
        #expect(empty.factor == 1.0 && empty.fittedMs == 0 && empty.overflowMs == 0)
        let zero = one(500, 500, natural: 1000, next: 500)
        #expect(zero.factor == 1.3)
        #expect(zero.overflowMs == 770)
        let inverted = one(500, 400, natural: 100, next: 2000)
        #expect(inverted.factor == 1.0)
        #expect(inverted.overflowMs == 0)
    }

    @Test("factors are smoothed between neighbouring cues, never below what a cue needs")
    func smoothing() {
        let cues = [
            FitInput(id: "a", startMs: 0, endMs: 1000, naturalMs: 900, nextStartMs: 1000),      // needs 1.0
            FitInput(id: "b", startMs: 1000, endMs: 2000, naturalMs: 1300, nextStartMs: 2000),  // needs 1.3
            FitInput(id: "c", startMs: 2000, endMs: 3000, naturalMs: 800, nextStartMs: 3000),   // needs 1.0
            FitInput(id: "d", startMs: 3000, endMs: 4000, naturalMs: 800, nextStartMs: 4000),   // needs 1.0
            FitInput(id: "e", startMs: 4000, endMs: 5000, naturalMs: 800, nextStartMs: nil),    // needs 1.0
        ]
        let r = FitPlanner.plan(cues, options: FitOptions(cap: 1.3, maxStep: 0.1))
        let f = r.map(\.factor)
        #expect(abs(f[1] - 1.3) < 1e-9)
        #expect(abs(f[0] - 1.2) < 1e-9)
        #expect(abs(f[2] - 1.2) < 1e-9)
        #expect(abs(f[3] - 1.1) < 1e-9)
        #expect(abs(f[4] - 1.0) < 1e-9)
        for k in 1..<f.count { #expect(abs(f[k] - f[k - 1]) <= 0.1 + 1e-9) }
        for x in r { #expect(x.factor >= 1.0 && x.factor <= 1.3) }
        #expect(r.allSatisfy { $0.fits })
    }

    @Test("cues far apart are not smoothed against each other")
    func smoothingWindow() {
        let cues = [
            FitInput(id: "a", startMs: 0, endMs: 1000, naturalMs: 1300, nextStartMs: 1000),
            FitInput(id: "b", startMs: 10_000, endMs: 11_000, naturalMs: 500, nextStartMs: nil),
        ]
        let r = FitPlanner.plan(cues, options: FitOptions(maxStep: 0.1, smoothingWindowMs: 2000))
        #expect(abs(r[0].factor - 1.3) < 1e-9)
        #expect(r[1].factor == 1.0)
    }

    @Test("a zero step forces one tempo across a run of neighbours")
    func zeroStep() {
        let cues = (0..<4).map { k in
            FitInput(id: "\(k)", startMs: k * 1000, endMs: k * 1000 + 1000, naturalMs: k == 2 ? 1200 : 500, nextStartMs: k * 1000 + 1000)
        }
        let r = FitPlanner.plan(cues, options: FitOptions(maxStep: 0))
        #expect(r.allSatisfy { abs($0.factor - 1.2) < 1e-9 })
    }

    @Test("inputs() orders cues by time and links each to the next start")
    func inputsLinking() {
        let ins = FitPlanner.inputs([("b", 2000, 3000, 100), ("a", 0, 1000, 100), ("c", 5000, 6000, 100)], timelineEndMs: 8000)
        #expect(ins.map(\.id) == ["a", "b", "c"])
        #expect(ins.map(\.nextStartMs) == [2000, 5000, 8000])
    }

    @Test("3,000 cues plan quickly and every result is within bounds")
    func scale() {
        var cues: [(id: String, startMs: Int, endMs: Int, naturalMs: Int)] = []
        var seed: UInt64 = 42
        func rnd(_ n: Int) -> Int { seed = seed &* 6364136223846793005 &+ 1442695040888963407; return Int((seed >> 33) % UInt64(n)) }
        var t = 0
        for k in 0..<3000 {
            let len = 800 + rnd(4000)
            cues.append(("\(k)", t, t + len, 300 + rnd(6000)))
            t += len + rnd(1500)
        }
        let r = FitPlanner.plan(FitPlanner.inputs(cues, timelineEndMs: t + 1000))
        #expect(r.count == 3000)
        for x in r {
            #expect(x.factor >= 1.0 && x.factor <= 1.3)
            #expect(x.overflowMs == max(0, x.fittedMs - x.slotMs))
            #expect(x.fittedMs <= x.naturalMs)
        }
    }

    @Test("speech ranges: where the fitted speech sounds")
    func speechRanges() {
        let ins = [FitInput(id: "a", startMs: 1000, endMs: 2000, naturalMs: 1500, nextStartMs: 5000),
                   FitInput(id: "b", startMs: 5000, endMs: 6000, naturalMs: 0, nextStartMs: nil)]
        let r = FitPlanner.plan(ins)
        #expect(FitPlanner.speechRanges(ins, r) == [TimeRange(startMs: 1000, endMs: 2500)])
    }

    @Test("fit report JSON uses snake_case millisecond keys")
    func json() {
        let r = one(0, 2000, natural: 2880, next: 2500)
        let text = r.json.encoded()
        #expect(text == #"{"id":"c","natural_ms":2880,"slot_ms":2400,"borrowed_ms":400,"factor":1.2,"fitted_ms":2400,"overflow_ms":0}"#)
    }

    @Test("speaking-rate prediction counts characters with collapsed whitespace")
    func prediction() {
        #expect(FitPlanner.characterCount("  Hello   world \n") == 11)
        #expect(FitPlanner.predictedNaturalMs(text: "Hello world", charsPerSecond: 11) == 1000)
        #expect(FitPlanner.predictedNaturalMs(text: "x", charsPerSecond: 0) == 0)
    }
}
