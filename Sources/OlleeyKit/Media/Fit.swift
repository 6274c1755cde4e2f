import WebVTT

/// Fitting synthesized speech into subtitle slots: a pure planner (no I/O).
///
/// Per cue: borrow the silence after the slot (up to the next cue's start minus a small gap),
/// then speed the speech up with a tempo factor up to a cap, and report what still does not
/// fit as overflow. A factor is never below 1.0: speech is never slowed down (a short line
/// leaves silence). Factors are smoothed so that neighbouring lines do not jump in tempo: the
/// result is the smallest sequence with `factor[i] >= needed[i]` and
/// `|factor[i] - factor[i-1]| <= maxStep` between cues closer than `smoothingWindowMs`,
/// never above the cap.
public struct FitInput: Sendable, Equatable {
    public var id: String
    public var startMs: Int
    public var endMs: Int
    /// Length of the synthesized speech at tempo 1.0.
    public var naturalMs: Int
    /// When the speech must have ended by: the next cue's start (or the end of the video for the
    /// last cue). nil: no borrowing past `endMs`.
    public var nextStartMs: Int?

    public init(id: String, startMs: Int, endMs: Int, naturalMs: Int, nextStartMs: Int?) {
        self.id = id; self.startMs = startMs; self.endMs = endMs; self.naturalMs = naturalMs; self.nextStartMs = nextStartMs
    }
}

public struct FitOptions: Sendable, Equatable {
    /// Highest tempo factor (1.3 = 30 % faster).
    public var cap: Double = 1.3
    /// Silence kept before the next cue when borrowing.
    public var gapMs: Int = 100
    /// Largest change of factor between neighbouring cues.
    public var maxStep: Double = 0.1
    /// Cues further apart than this are not smoothed against each other.
    public var smoothingWindowMs: Int = 2_000

    public init(cap: Double = 1.3, gapMs: Int = 100, maxStep: Double = 0.1, smoothingWindowMs: Int = 2_000) {
        self.cap = cap; self.gapMs = gapMs; self.maxStep = maxStep; self.smoothingWindowMs = smoothingWindowMs
    }

    /// Validates user-given values (`--fit-cap`): the cap must be in 1.0...4.0.
    public func validated() throws -> FitOptions {
        guard cap.isFinite, cap >= 1.0, cap <= 4.0 else {
            throw OlleeyError(.invalid, "fit cap must be between 1.0 and 4.0 (got \(cap))", next: [.input("max-tempo", example: "1.3")])
        }
        guard gapMs >= 0, maxStep.isFinite, maxStep >= 0, smoothingWindowMs >= 0 else {
            throw OlleeyError(.invalid, "fit options must not be negative")
        }
        return self
    }
}

public struct FitResult: Sendable, Equatable {
    public var id: String
    public var naturalMs: Int
    /// The cue's own slot plus the silence borrowed after it (only what the speech needs).
    public var slotMs: Int
    /// Silence borrowed after the cue's end.
    public var borrowedMs: Int
    /// Tempo factor (>= 1.0; 1.25 = 25 % faster).
    public var factor: Double
    /// Length of the speech after the tempo change.
    public var fittedMs: Int
    /// How far the fitted speech runs past its slot (0 when it fits).
    public var overflowMs: Int

    public var fits: Bool { overflowMs == 0 }

    public var json: JSON {
        .object([
            ("id", .string(id)),
            ("natural_ms", .int(Int64(naturalMs))),
            ("slot_ms", .int(Int64(slotMs))),
            ("borrowed_ms", .int(Int64(borrowedMs))),
            ("factor", .double((factor * 1000).rounded() / 1000)),
            ("fitted_ms", .int(Int64(fittedMs))),
            ("overflow_ms", .int(Int64(overflowMs))),
        ])
    }
}

public enum FitPlanner {
    /// Builds planner inputs from cues in any order: each cue's `nextStartMs` is the next cue's
    /// start (by time), and the last one's is `timelineEndMs`.
    public static func inputs(_ cues: [(id: String, startMs: Int, endMs: Int, naturalMs: Int)], timelineEndMs: Int?) -> [FitInput] {
        let sorted = cues.enumerated().sorted { a, b in
            a.element.startMs != b.element.startMs ? a.element.startMs < b.element.startMs : a.offset < b.offset
        }.map(\.element)
        return sorted.enumerated().map { k, c in
            let next = k + 1 < sorted.count ? sorted[k + 1].startMs : timelineEndMs
            return FitInput(id: c.id, startMs: c.startMs, endMs: c.endMs, naturalMs: c.naturalMs, nextStartMs: next)
        }
    }

    /// Plans the fit of every cue (in the given order, which should be by start time).
    public static func plan(_ cues: [FitInput], options: FitOptions = FitOptions()) -> [FitResult] {
        let cap = max(1.0, options.cap.isFinite ? options.cap : 1.0)
        let step = max(0, options.maxStep.isFinite ? options.maxStep : 0)

        // 1. slots (own + borrowed silence, only what is needed) and the factor each needs.
        var slots: [Int] = []
        var needed: [Double] = []
        for c in cues {
            let natural = max(0, c.naturalMs)
            let base = max(0, c.endMs - c.startMs)
            let maxBorrow = c.nextStartMs.map { max(0, $0 - options.gapMs - max(c.endMs, c.startMs)) } ?? 0
            let slot = natural <= base ? base : min(base + maxBorrow, natural)
            slots.append(slot)
            if natural == 0 { needed.append(1.0) } else if slot <= 0 { needed.append(cap) } else {
                needed.append(min(cap, max(1.0, Double(natural) / Double(slot))))
            }
        }

        // 2. smoothing: the least sequence >= needed whose neighbours differ by at most `step`
        //    (two passes of f[i] = max(f[i], f[j] - step) propagate each requirement outwards).
        var f = needed
        func close(_ a: Int, _ b: Int) -> Bool {
            // cues a < b are neighbours when the gap between a's end and b's start is small
            cues[b].startMs - max(cues[a].endMs, cues[a].startMs) <= options.smoothingWindowMs
        }
        if cues.count > 1 {
            for i in 1..<cues.count where close(i - 1, i) { f[i] = max(f[i], f[i - 1] - step) }
            for i in stride(from: cues.count - 2, through: 0, by: -1) where close(i, i + 1) { f[i] = max(f[i], f[i + 1] - step) }
        }

        // 3. results
        return cues.enumerated().map { i, c in
            let natural = max(0, c.naturalMs)
            let factor = min(cap, max(1.0, f[i]))
            let fitted = natural == 0 ? 0 : Int((Double(natural) / factor - 1e-6).rounded(.up)) // tolerate float noise
            let base = max(0, c.endMs - c.startMs)
            let slot = slots[i]
            return FitResult(id: c.id, naturalMs: natural, slotMs: slot,
                             borrowedMs: max(0, min(fitted, slot) - base),
                             factor: factor, fittedMs: fitted, overflowMs: max(0, fitted - slot))
        }
    }

    /// Where each cue's fitted speech sounds on the timeline (for ducking the original).
    public static func speechRanges(_ inputs: [FitInput], _ results: [FitResult]) -> [TimeRange] {
        zip(inputs, results).compactMap { i, r in
            r.fittedMs > 0 ? TimeRange(startMs: i.startMs, endMs: i.startMs + r.fittedMs) : nil
        }
    }

    /// Predicts natural speech length from text and an engine's measured speaking rate.
    public static func predictedNaturalMs(text: String, charsPerSecond: Double) -> Int {
        let chars = characterCount(text)
        guard charsPerSecond > 0 else { return 0 }
        return Int((Double(chars) / charsPerSecond * 1000).rounded())
    }

    /// The characters a speaking rate counts: characters with whitespace runs collapsed to one
    /// and trimmed at both ends (the same count the engines' rate measurement uses).
    public static func characterCount(_ text: String) -> Int {
        var n = 0
        var pendingSpace = false
        for ch in text {
            if ch.isWhitespace { pendingSpace = n > 0; continue }
            if pendingSpace { n += 1; pendingSpace = false }
            n += 1
        }
        return n
    }
}
