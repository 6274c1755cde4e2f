#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#elseif canImport(Musl)
import Musl
#endif

// Timing operations: shift, scale, frame-rate conversion and anchor sync. Every operation keeps
// the cues in their order, clamps times at zero, and moves the timestamp tags inside cue text
// (`<00:01:02.500>`) together with the cue. Changed timestamps are written canonically; untouched
// ones keep their spelling.

/// Errors of the timing operations.
public enum TimingError: Error, Equatable, CustomStringConvertible {
    case noAnchors
    case duplicateAnchor(fromMs: Int64)
    case anchorsOutOfOrder(fromMs: Int64)
    case invalidFactor(Double)
    case invalidFrameRate(Double)

    public var description: String {
        switch self {
        case .noAnchors: return "sync needs at least one anchor"
        case .duplicateAnchor(let f): return "two anchors start from the same time \(Timestamp.format(f))"
        case .anchorsOutOfOrder(let f):
            return "anchor at \(Timestamp.format(f)) maps before the previous anchor; anchors must keep their order"
        case .invalidFactor(let v): return "scale factor must be a positive finite number, not \(v)"
        case .invalidFrameRate(let v): return "frame rate must be a positive finite number, not \(v)"
        }
    }
}

/// A sync anchor: the time `fromMs` in the file should become `toMs`.
public struct SyncAnchor: Hashable, Sendable {
    public var fromMs: Int64
    public var toMs: Int64
    public init(fromMs: Int64, toMs: Int64) {
        self.fromMs = fromMs
        self.toMs = toMs
    }
}

/// Timing operations on documents.
public enum Timing {
    /// How `sync` maps times before the first and after the last anchor.
    public enum Extrapolation: String, Sendable, CaseIterable {
        /// Keep the offset of the nearest anchor (slope 1): right for ad breaks and cuts.
        case slopeOne = "offset"
        /// Continue the nearest segment's line (its slope): right for a drifting clock.
        case nearestSegment = "segment"
    }

    /// What `shiftReporting` did besides moving times.
    public struct ShiftResult: Sendable {
        /// The shifted document.
        public var document: WebVTTDocument
        /// How many cues were pushed before zero and had their start clamped to zero (they keep
        /// the part of their time that is still after zero).
        public var clamped: Int
        /// The cues that vanished (they ended at or before zero once shifted): dropped, never
        /// written as zero-length or negative cues. Their id, 1-based number in the input, and
        /// their times before the shift.
        public var dropped: [DroppedCue]
    }

    /// A cue `shiftReporting` left out.
    public struct DroppedCue: Hashable, Sendable {
        public var number: Int
        public var id: String
        public var startMs: Int64
        public var endMs: Int64

        public init(number: Int, id: String, startMs: Int64, endMs: Int64) {
            self.number = number
            self.id = id
            self.startMs = startMs
            self.endMs = endMs
        }
    }

    /// Shifts cues by `byMs` (negative moves earlier). With `range`, only cues starting in it
    /// move; with `cues`, only those indices (0-based, clamped to the document). Times are
    /// clamped at zero; a cue that had a duration and has none left once clamped (it ends at
    /// or before zero) is dropped. See `shiftReporting` for what was clamped and dropped.
    public static func shift(_ doc: consuming WebVTTDocument, byMs: Int64, range: TimeRange? = nil,
                             cues: ClosedRange<Int>? = nil) -> WebVTTDocument {
        shiftReporting(consume doc, byMs: byMs, range: range, cues: cues).document
    }

    /// `shift`, saying which cues were clamped at zero and which were dropped.
    public static func shiftReporting(_ doc: consuming WebVTTDocument, byMs: Int64, range: TimeRange? = nil,
                                      cues: ClosedRange<Int>? = nil) -> ShiftResult {
        var out = consume doc
        if byMs == 0 || out.cues.isEmpty { return ShiftResult(document: out, clamped: 0, dropped: []) }
        let lo = max(cues?.lowerBound ?? 0, 0)
        let hi = min(cues?.upperBound ?? (out.cues.count - 1), out.cues.count - 1)
        if lo > hi { return ShiftResult(document: out, clamped: 0, dropped: []) }
        let tagged = out.cuesWithTimestampTags()
        var clamped = 0
        var vanished: [Int] = []
        out.cues.withUnsafeMutableBufferPointer { buf in
            for i in lo...hi {
                let s = buf[i].startMs
                let e = buf[i].endMs
                if let r = range, !r.contains(s) { continue }
                let ns = clampAdd(s, byMs)
                let ne = clampAdd(e, byMs)
                if e > s && ne <= ns { vanished.append(i); continue }
                if byMs < 0, s.addingReportingOverflow(byMs).partialValue < 0 || s.addingReportingOverflow(byMs).overflow { clamped += 1 }
                if ns != s { buf[i].startMs = ns }
                if ne != e { buf[i].endMs = ne }
                if tagged.contains(i) { buf[i].retimeTextTimestamps { clampAdd($0, byMs) } }
            }
        }
        let dropped = vanished.map { i in
            DroppedCue(number: i + 1, id: out.cues[i].id, startMs: out.cues[i].startMs, endMs: out.cues[i].endMs)
        }
        if !vanished.isEmpty { out.removeCues(at: vanished) }
        return ShiftResult(document: out, clamped: clamped, dropped: dropped)
    }

    /// Multiplies every time by `factor` around `originMs` (times before the origin scale too).
    public static func scale(_ doc: consuming WebVTTDocument, factor: Double, originMs: Int64 = 0) throws -> WebVTTDocument {
        guard factor.isFinite, factor > 0 else { throw TimingError.invalidFactor(factor) }
        return apply(consume doc) { t in
            let v = (Double(t - originMs) * factor).rounded() + Double(originMs)
            return clampDouble(v)
        }
    }

    /// Converts timings made for `from` frames per second to `to` (e.g. 25 -> 23.976 for a PAL
    /// speed-up: every time is multiplied by from/to). 23.976, 29.97 and 59.94 are taken as the
    /// exact NTSC rates 24000/1001, 30000/1001 and 60000/1001.
    public static func convertFPS(_ doc: consuming WebVTTDocument, from: Double, to: Double) throws -> WebVTTDocument {
        guard from.isFinite, from > 0 else { throw TimingError.invalidFrameRate(from) }
        guard to.isFinite, to > 0 else { throw TimingError.invalidFrameRate(to) }
        let f = exactFrameRate(from)
        let t = exactFrameRate(to)
        return try scale(consume doc, factor: f / t)
    }

    /// The exact rate for the usual rounded NTSC spellings.
    public static func exactFrameRate(_ fps: Double) -> Double {
        let table: [(Double, Double)] = [(23.976, 24000.0 / 1001), (23.98, 24000.0 / 1001), (29.97, 30000.0 / 1001),
                                         (59.94, 60000.0 / 1001), (47.952, 48000.0 / 1001), (119.88, 120000.0 / 1001)]
        for (rounded, exact) in table where abs(fps - rounded) < 0.0005 {
            return exact
        }
        return fps
    }

    /// Syncs to anchors: piecewise linear between consecutive anchors; outside them, per
    /// `extrapolation`. One anchor is a plain shift. Anchors are sorted by `fromMs`; they must not
    /// share a `fromMs`, and their `toMs` must increase with `fromMs` (else the order would flip).
    public static func sync(_ doc: consuming WebVTTDocument, anchors: [SyncAnchor],
                            extrapolation: Extrapolation = .slopeOne) throws -> WebVTTDocument {
        let map = try anchorMap(anchors, extrapolation: extrapolation)
        return apply(consume doc, map)
    }

    /// Convenience for tuples `(from, to)` in milliseconds.
    public static func sync(_ doc: consuming WebVTTDocument, anchors: [(from: Int64, to: Int64)],
                            extrapolation: Extrapolation = .slopeOne) throws -> WebVTTDocument {
        try sync(consume doc, anchors: anchors.map { SyncAnchor(fromMs: $0.from, toMs: $0.to) }, extrapolation: extrapolation)
    }

    /// The time mapping `sync` applies (exposed for previews).
    public static func anchorMap(_ anchorsIn: [SyncAnchor], extrapolation: Extrapolation = .slopeOne) throws
        -> @Sendable (Int64) -> Int64 {
        guard !anchorsIn.isEmpty else { throw TimingError.noAnchors }
        let anchors = anchorsIn.sorted { $0.fromMs < $1.fromMs }
        for k in 1..<max(anchors.count, 1) {
            if anchors[k].fromMs == anchors[k - 1].fromMs { throw TimingError.duplicateAnchor(fromMs: anchors[k].fromMs) }
            if anchors[k].toMs <= anchors[k - 1].toMs { throw TimingError.anchorsOutOfOrder(fromMs: anchors[k].fromMs) }
        }
        if anchors.count == 1 {
            let off = anchors[0].toMs - anchors[0].fromMs
            return { t in clampAdd(t, off) }
        }
        let froms = anchors.map { Double($0.fromMs) }
        let tos = anchors.map { Double($0.toMs) }
        let n = anchors.count
        return { t in
            let x = Double(t)
            var seg: Int
            if x < froms[0] {
                if extrapolation == .slopeOne { return clampAdd(t, anchors[0].toMs - anchors[0].fromMs) }
                seg = 0
            } else if x >= froms[n - 1] {
                if extrapolation == .slopeOne { return clampAdd(t, anchors[n - 1].toMs - anchors[n - 1].fromMs) }
                seg = n - 2
            } else {
                // binary search: largest k with froms[k] <= x
                var lo = 0
                var hi = n - 1
                while hi - lo > 1 {
                    let mid = (lo + hi) / 2
                    if froms[mid] <= x { lo = mid } else { hi = mid }
                }
                seg = lo
            }
            let slope = (tos[seg + 1] - tos[seg]) / (froms[seg + 1] - froms[seg])
            return clampDouble((tos[seg] + (x - froms[seg]) * slope).rounded())
        }
    }

    /// Applies a time mapping to every cue (start, end, and timestamp tags in the text).
    public static func apply(_ doc: consuming WebVTTDocument, _ f: (Int64) -> Int64) -> WebVTTDocument {
        var out = consume doc
        let tagged = out.cuesWithTimestampTags()
        out.cues.withUnsafeMutableBufferPointer { buf in
            for i in 0..<buf.count {
                let s = buf[i].startMs
                let e = buf[i].endMs
                let ns = max(0, f(s))
                let ne = max(0, f(e))
                if ns != s { buf[i].startMs = ns }
                if ne != e { buf[i].endMs = ne }
                if tagged.contains(i) { buf[i].retimeTextTimestamps { max(0, f($0)) } }
            }
        }
        return out
    }

    @inline(__always) static func clampAdd(_ a: Int64, _ b: Int64) -> Int64 {
        let (r, o) = a.addingReportingOverflow(b)
        if o { return b > 0 ? Int64.max / 2 : 0 }
        return r < 0 ? 0 : r
    }

    @inline(__always) static func clampDouble(_ v: Double) -> Int64 {
        if !(v > 0) { return 0 }
        if v >= 4e18 { return 4_000_000_000_000_000_000 }
        return Int64(v)
    }
}

extension WebVTTDocument {
    /// Removes the cues at `indices` (sorted, 0-based); blocks keep their place among the cues
    /// that are left.
    mutating func removeCues(at indices: [Int]) {
        guard !indices.isEmpty else { return }
        let gone = Set(indices)
        var kept: [Cue] = []
        kept.reserveCapacity(cues.count - gone.count)
        for i in cues.indices where !gone.contains(i) { kept.append(cues[i]) }
        cues = kept
        for b in blocks.indices {
            let before = indices.reduce(0) { $0 + ($1 < blocks[b].cueIndex ? 1 : 0) }
            blocks[b].cueIndex -= before
        }
    }

    /// Indices of the cues whose text may hold a timestamp tag (`<` followed by a digit).
    func cuesWithTimestampTags() -> Set<Int> {
        var out = Set<Int>()
        forEachCueText { i, p in
            guard p.count > 1, let base = p.baseAddress else { return }
            var k = 0
            while k < p.count - 1, let hit = memchr(base + k, 0x3C, p.count - 1 - k) {
                let at = base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
                if isDigit(p[at + 1]) { out.insert(i); return }
                k = at + 1
            }
        }
        return out
    }

    /// Calls `body` with each cue's index and text bytes, reading parsed texts straight from the
    /// source bytes (no per-cue reference counting).
    func forEachCueText(_ body: (Int, UnsafeBufferPointer<UInt8>) -> Void) {
        let src: SourceBytes = source ?? SourceBytes([])
        let srcAddress = Unmanaged.passUnretained(src).toOpaque()
        src.bytes.withUnsafeBufferPointer { sb in
            cues.withUnsafeBufferPointer { cues in
                for i in 0..<cues.count {
                    if cues[i].overrides == nil, cues[i].sourceAddress == srcAddress, let sbase = sb.baseAddress {
                        let s = Int(cues[i].textStart), e = Int(cues[i].textEnd)
                        body(i, UnsafeBufferPointer(start: sbase + s, count: max(0, e - s)))
                    } else {
                        cues[i].withTextBytes { p, _ in body(i, p) }
                    }
                }
            }
        }
    }
}

extension Cue {
    /// Whether the text may hold a timestamp tag (`<` followed by a digit).
    var hasTimestampTags: Bool {
        withTextBytes { p, _ in
            guard p.count > 1 else { return false }
            for i in 0..<(p.count - 1) where p[i] == 0x3C && isDigit(p[i + 1]) { return true }
            return false
        }
    }

    /// Rewrites valid timestamp tags in the text with `f` (canonical `hh:mm:ss.ttt` spelling).
    mutating func retimeTextTimestamps(_ f: (Int64) -> Int64) {
        var changed = false
        let newText: [UInt8] = withTextBytes { p, _ in
            var out: [UInt8] = []
            out.reserveCapacity(p.count + 16)
            var i = 0
            let n = p.count
            var noCloseFrom = n + 1 // no '>' at or after this index
            while i < n {
                if p[i] == 0x3C, i + 1 < n, isDigit(p[i + 1]), i < noCloseFrom {
                    var j = i + 1
                    while j < n, p[j] != 0x3E { j += 1 }
                    if j >= n { noCloseFrom = i }
                    if j < n {
                        var pos = i + 1
                        if case .success(let scan) = Timestamp.collect(UnsafeBufferPointer(rebasing: p[0..<j]), &pos), pos == j {
                            out.append(0x3C)
                            Timestamp.append(f(scan.ms), hourDigits: 2, to: &out)
                            out.append(0x3E)
                            changed = true
                            i = j + 1
                            continue
                        }
                    }
                }
                out.append(p[i])
                i += 1
            }
            return out
        }
        if changed { text = String(decoding: newText, as: UTF8.self) }
    }
}
