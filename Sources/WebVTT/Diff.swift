// Cue diff: align the cues of two documents, then report what changed per aligned pair.
//
// Alignment, in passes (each pass only looks at cues not yet aligned):
// 1. by identifier: non-numeric ids that are unique in both files are trusted; numeric ids
//    ("1", "2", ...) are renumbered by many tools, so a numeric-id pair is only taken when the cues
//    overlap in time or their texts are similar;
// 2. by time: pairs whose times overlap (or lie within 2 s) are scored by overlap and word
//    similarity and taken best-first;
// 3. by identical text, anywhere, keeping the order (a moved cue).
// Everything left is removed (only in A) or added (only in B). Work is bounded: at most 64
// candidates per cue in pass 2, word diffs capped in size.

/// One word of a word-level diff.
public struct WordChange: Hashable, Sendable {
    public enum Op: String, Sendable { case equal, insert, delete }
    public var op: Op
    public var text: String
    public init(op: Op, text: String) {
        self.op = op
        self.text = text
    }
}

/// One difference between two documents.
public struct CueChange: Hashable, Sendable {
    public enum Kind: String, Sendable, CaseIterable {
        case added
        case removed
        case textChanged = "text_changed"
        case timingChanged = "timing_changed"
        case settingsChanged = "settings_changed"
    }

    public var kind: Kind
    /// 0-based index in A (nil for `added`).
    public var aIndex: Int?
    /// 0-based index in B (nil for `removed`).
    public var bIndex: Int?
    public var aId: String?
    public var bId: String?
    public var aStartMs: Int64?
    public var aEndMs: Int64?
    public var bStartMs: Int64?
    public var bEndMs: Int64?
    public var aText: String?
    public var bText: String?
    public var aSettings: String?
    public var bSettings: String?
    /// B minus A, for aligned pairs.
    public var startDeltaMs: Int64?
    public var endDeltaMs: Int64?
    /// Word-level change of the text (for `text_changed`).
    public var words: [WordChange]
}

/// The result of `CueDiff.diff`.
public struct DiffResult: Sendable {
    public var changes: [CueChange]
    /// Number of aligned pairs.
    public var alignedCount: Int

    public var identical: Bool { changes.isEmpty }

    public func count(_ kind: CueChange.Kind) -> Int { changes.reduce(0) { $0 + ($1.kind == kind ? 1 : 0) } }

    /// JSON: `{"identical", "summary": {"added","removed","text_changed","timing_changed",
    /// "settings_changed"}, "changes": [{"kind","a_id","b_id","a_index","b_index","a_start_ms",
    /// "a_end_ms","b_start_ms","b_end_ms","start_delta_ms","end_delta_ms","a_text","b_text",
    /// "a_settings","b_settings","words":[{"op","text"}]}]}` (indices 0-based; null when absent).
    public func json() -> String {
        var w = JSONWriter(capacity: 256 + changes.count * 256)
        w.raw("{\"identical\":")
        w.bool(identical)
        w.raw(",\"summary\":{\"added\":")
        w.int(count(.added))
        w.raw(",\"removed\":")
        w.int(count(.removed))
        w.raw(",\"text_changed\":")
        w.int(count(.textChanged))
        w.raw(",\"timing_changed\":")
        w.int(count(.timingChanged))
        w.raw(",\"settings_changed\":")
        w.int(count(.settingsChanged))
        w.raw("},\"changes\":[")
        for (k, c) in changes.enumerated() {
            if k > 0 { w.byte(0x2C) }
            w.raw("{\"kind\":")
            w.string(c.kind.rawValue)
            func optString(_ key: StaticString, _ v: String?) {
                w.byte(0x2C); w.key(key)
                if let v = v { w.string(v) } else { w.raw("null") }
            }
            func optInt(_ key: StaticString, _ v: Int64?) {
                w.byte(0x2C); w.key(key)
                if let v = v { w.int(v) } else { w.raw("null") }
            }
            optString("a_id", c.aId)
            optString("b_id", c.bId)
            optInt("a_index", c.aIndex.map(Int64.init))
            optInt("b_index", c.bIndex.map(Int64.init))
            optInt("a_start_ms", c.aStartMs)
            optInt("a_end_ms", c.aEndMs)
            optInt("b_start_ms", c.bStartMs)
            optInt("b_end_ms", c.bEndMs)
            optInt("start_delta_ms", c.startDeltaMs)
            optInt("end_delta_ms", c.endDeltaMs)
            optString("a_text", c.aText)
            optString("b_text", c.bText)
            optString("a_settings", c.aSettings)
            optString("b_settings", c.bSettings)
            w.raw(",\"words\":[")
            for (j, word) in c.words.enumerated() {
                if j > 0 { w.byte(0x2C) }
                w.raw("{\"op\":")
                w.string(word.op.rawValue)
                w.raw(",\"text\":")
                w.string(word.text)
                w.byte(0x7D)
            }
            w.raw("]}")
        }
        w.raw("]}")
        return w.string
    }

    /// A human view, one block per change. With `color`, ANSI colors mark deletions (red) and
    /// insertions (green).
    public func humanReadable(color: Bool = false) -> String {
        if changes.isEmpty { return "no differences\n" }
        let red = color ? "\u{1B}[31m" : ""
        let green = color ? "\u{1B}[32m" : ""
        let yellow = color ? "\u{1B}[33m" : ""
        let reset = color ? "\u{1B}[0m" : ""
        var out = ""
        func label(_ index: Int?, _ id: String?) -> String {
            guard let i = index else { return "-" }
            if let id = id, !id.isEmpty { return "#\(i + 1) (\(id))" }
            return "#\(i + 1)"
        }
        func flat(_ s: String?) -> String { (s ?? "").split(separator: "\n", omittingEmptySubsequences: false).joined(separator: " / ") }
        for c in changes {
            switch c.kind {
            case .added:
                out += "\(green)+ added   \(label(c.bIndex, c.bId)) \(Timestamp.format(c.bStartMs ?? 0)) --> \(Timestamp.format(c.bEndMs ?? 0))\(reset)\n"
                out += "\(green)    \(flat(c.bText))\(reset)\n"
            case .removed:
                out += "\(red)- removed \(label(c.aIndex, c.aId)) \(Timestamp.format(c.aStartMs ?? 0)) --> \(Timestamp.format(c.aEndMs ?? 0))\(reset)\n"
                out += "\(red)    \(flat(c.aText))\(reset)\n"
            case .textChanged:
                out += "\(yellow)~ text    \(label(c.aIndex, c.aId)) -> \(label(c.bIndex, c.bId))\(reset)\n    "
                for wd in c.words {
                    switch wd.op {
                    case .equal: out += wd.text + " "
                    case .delete: out += color ? "\(red)\(wd.text)\(reset) " : "[-\(wd.text)-] "
                    case .insert: out += color ? "\(green)\(wd.text)\(reset) " : "{+\(wd.text)+} "
                    }
                }
                out += "\n"
            case .timingChanged:
                out += "\(yellow)~ timing  \(label(c.aIndex, c.aId)) -> \(label(c.bIndex, c.bId)): "
                out += "\(Timestamp.format(c.aStartMs ?? 0)) --> \(Timestamp.format(c.aEndMs ?? 0)) => "
                out += "\(Timestamp.format(c.bStartMs ?? 0)) --> \(Timestamp.format(c.bEndMs ?? 0)) "
                out += "(start \(signed(c.startDeltaMs ?? 0)) ms, end \(signed(c.endDeltaMs ?? 0)) ms)\(reset)\n"
            case .settingsChanged:
                out += "\(yellow)~ settings \(label(c.aIndex, c.aId)) -> \(label(c.bIndex, c.bId)): '\(c.aSettings ?? "")' => '\(c.bSettings ?? "")'\(reset)\n"
            }
        }
        out += "\(count(.added)) added, \(count(.removed)) removed, \(count(.textChanged)) text changed, "
        out += "\(count(.timingChanged)) timing changed, \(count(.settingsChanged)) settings changed\n"
        return out
    }

    func signed(_ v: Int64) -> String { v > 0 ? "+\(v)" : "\(v)" }
}

/// Which cue of A each cue of B is (and the reverse): the alignment `CueDiff.diff` reports on.
public struct CueAlignment: Sendable, Equatable {
    /// For each cue of A, the index of its cue in B, or nil (removed).
    public var bForA: [Int?]
    /// For each cue of B, the index of its cue in A, or nil (added).
    public var aForB: [Int?]
}

/// Cue-level diff of two documents.
public enum CueDiff {
    /// Aligns the cues of two documents: by id, then by time overlap and text similarity, then by
    /// identical text anywhere in order. This is the alignment `diff` reports; the pipeline uses it
    /// to carry a translation's cues across an edit of its source.
    public static func align(_ a: WebVTTDocument, _ b: WebVTTDocument) -> CueAlignment {
        let (matchA, matchB) = match(a, b)
        return CueAlignment(bForA: matchA.map { $0 < 0 ? nil : $0 }, aForB: matchB.map { $0 < 0 ? nil : $0 })
    }

    public static func diff(_ a: WebVTTDocument, _ b: WebVTTDocument) -> DiffResult {
        let (matchA, matchB) = match(a, b)
        let na = a.cues.count
        let nb = b.cues.count
        let textA = a.cues.map { $0.text }
        let textB = b.cues.map { $0.text }
        func words(_ isA: Bool, _ i: Int) -> [Substring] {
            (isA ? textA[i] : textB[i]).split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" })
        }
        // Changes.
        var changes: [(key: Int64, order: Int, change: CueChange)] = []
        var aligned = 0
        for i in 0..<na {
            let ca = a.cues[i]
            let j = matchA[i]
            if j < 0 {
                changes.append((ca.startMs, 0, CueChange(kind: .removed, aIndex: i, bIndex: nil, aId: ca.id, bId: nil,
                                                          aStartMs: ca.startMs, aEndMs: ca.endMs, bStartMs: nil, bEndMs: nil,
                                                          aText: textA[i], bText: nil, aSettings: ca.settingsText, bSettings: nil,
                                                          startDeltaMs: nil, endDeltaMs: nil, words: [])))
                continue
            }
            aligned += 1
            let cb = b.cues[j]
            func make(_ kind: CueChange.Kind, words: [WordChange] = []) -> CueChange {
                CueChange(kind: kind, aIndex: i, bIndex: j, aId: ca.id, bId: cb.id, aStartMs: ca.startMs, aEndMs: ca.endMs,
                          bStartMs: cb.startMs, bEndMs: cb.endMs, aText: textA[i], bText: textB[j],
                          aSettings: ca.settingsText, bSettings: cb.settingsText,
                          startDeltaMs: cb.startMs - ca.startMs, endDeltaMs: cb.endMs - ca.endMs, words: words)
            }
            if textA[i] != textB[j] {
                changes.append((cb.startMs, 1, make(.textChanged, words: wordDiff(words(true, i), words(false, j)))))
            }
            if ca.startMs != cb.startMs || ca.endMs != cb.endMs {
                changes.append((cb.startMs, 2, make(.timingChanged)))
            }
            if ca.settings != cb.settings {
                changes.append((cb.startMs, 3, make(.settingsChanged)))
            }
        }
        for j in 0..<nb where matchB[j] < 0 {
            let cb = b.cues[j]
            changes.append((cb.startMs, 0, CueChange(kind: .added, aIndex: nil, bIndex: j, aId: nil, bId: cb.id,
                                                      aStartMs: nil, aEndMs: nil, bStartMs: cb.startMs, bEndMs: cb.endMs,
                                                      aText: nil, bText: textB[j], aSettings: nil, bSettings: cb.settingsText,
                                                      startDeltaMs: nil, endDeltaMs: nil, words: [])))
        }
        let sorted = changes.enumerated().sorted { x, y in
            let l = x.element, r = y.element
            if l.key != r.key { return l.key < r.key }
            if l.order != r.order { return l.order < r.order }
            return x.offset < y.offset
        }.map { $0.element.change }
        return DiffResult(changes: sorted, alignedCount: aligned)
    }

    /// The matching passes: for each cue of A its index in B (or -1), and the reverse.
    static func match(_ a: WebVTTDocument, _ b: WebVTTDocument) -> ([Int], [Int]) {
        let na = a.cues.count
        let nb = b.cues.count
        var matchA = [Int](repeating: -1, count: na)
        var matchB = [Int](repeating: -1, count: nb)
        let textA = a.cues.map { $0.text }
        let textB = b.cues.map { $0.text }
        var wordsA: [[Substring]?] = Array(repeating: nil, count: na)
        var wordsB: [[Substring]?] = Array(repeating: nil, count: nb)
        func words(_ isA: Bool, _ i: Int) -> [Substring] {
            if isA {
                if let w = wordsA[i] { return w }
                let w = textA[i].split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" })
                wordsA[i] = w
                return w
            } else {
                if let w = wordsB[i] { return w }
                let w = textB[i].split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" })
                wordsB[i] = w
                return w
            }
        }
        func similarity(_ i: Int, _ j: Int) -> Double {
            if textA[i] == textB[j] { return 1 }
            return dice(words(true, i), words(false, j))
        }
        func overlap(_ i: Int, _ j: Int) -> Int64 {
            let s = max(a.cues[i].startMs, b.cues[j].startMs)
            let e = min(a.cues[i].endMs, b.cues[j].endMs)
            return e - s
        }

        // Pass 1: identifiers.
        let idsA = a.cues.map { $0.id }
        let idsB = b.cues.map { $0.id }
        var countA: [String: Int] = [:]
        var countB: [String: Int] = [:]
        var indexB: [String: Int] = [:]
        for id in idsA where !id.isEmpty { countA[id, default: 0] += 1 }
        for (j, id) in idsB.enumerated() where !id.isEmpty {
            countB[id, default: 0] += 1
            indexB[id] = j
        }
        for i in 0..<na {
            let id = idsA[i]
            guard !id.isEmpty, countA[id] == 1, countB[id] == 1, let j = indexB[id], matchB[j] < 0 else { continue }
            let numeric = id.utf8.allSatisfy { isDigit($0) }
            if numeric {
                guard overlap(i, j) > 0 || similarity(i, j) >= 0.5 else { continue }
            }
            matchA[i] = j
            matchB[j] = i
        }

        // Pass 2: time proximity and text similarity, best pairs first.
        struct Pair { var i: Int; var j: Int; var score: Double }
        var pairs: [Pair] = []
        let orderB = (0..<nb).filter { matchB[$0] < 0 }.sorted { b.cues[$0].startMs < b.cues[$1].startMs }
        let startsB = orderB.map { b.cues[$0].startMs }
        let window: Int64 = 2000
        for i in 0..<na where matchA[i] < 0 {
            let s = a.cues[i].startMs
            let e = max(a.cues[i].endMs, s)
            // first b with start >= s - 60 s (cues longer than a minute are rare)
            var lo = lowerBound(startsB, s - 10_000 - window)
            var seen = 0
            while lo < orderB.count, startsB[lo] <= e + window, seen < 64 {
                let j = orderB[lo]
                lo += 1
                seen += 1
                let ov = overlap(i, j)
                let near = ov > 0 || ov > -window
                guard near else { continue }
                let sim = similarity(i, j)
                let lenA = max(1, a.cues[i].endMs - a.cues[i].startMs)
                let lenB = max(1, b.cues[j].endMs - b.cues[j].startMs)
                let ovRatio = ov > 0 ? Double(ov) / Double(max(lenA, lenB)) : 0
                let accept = (ov > 0 && (sim >= 0.3 || ovRatio >= 0.5)) || sim >= 0.8
                if accept { pairs.append(Pair(i: i, j: j, score: sim + ovRatio)) }
            }
        }
        pairs.sort { $0.score != $1.score ? $0.score > $1.score : ($0.i != $1.i ? $0.i < $1.i : $0.j < $1.j) }
        for p in pairs where matchA[p.i] < 0 && matchB[p.j] < 0 {
            matchA[p.i] = p.j
            matchB[p.j] = p.i
        }

        // Pass 3: identical text anywhere, in order (each list is walked once: linear).
        var queue: [String: [Int]] = [:]
        var cursor: [String: Int] = [:]
        for j in 0..<nb where matchB[j] < 0 { queue[textB[j], default: []].append(j) }
        var lastJ = -1
        for i in 0..<na where matchA[i] < 0 {
            guard let q = queue[textA[i]] else { continue }
            var c = cursor[textA[i]] ?? 0
            while c < q.count, q[c] <= lastJ || matchB[q[c]] >= 0 { c += 1 }
            cursor[textA[i]] = c
            guard c < q.count else { continue }
            let j = q[c]
            cursor[textA[i]] = c + 1
            matchA[i] = j
            matchB[j] = i
            lastJ = j
        }
        return (matchA, matchB)
    }

    static func lowerBound(_ a: [Int64], _ v: Int64) -> Int {
        var lo = 0
        var hi = a.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if a[mid] < v { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    /// Dice coefficient of two word multisets.
    static func dice(_ x: [Substring], _ y: [Substring]) -> Double {
        if x.isEmpty && y.isEmpty { return 1 }
        if x.isEmpty || y.isEmpty { return 0 }
        var counts: [Substring: Int] = [:]
        for w in x { counts[w, default: 0] += 1 }
        var common = 0
        for w in y {
            if let c = counts[w], c > 0 {
                counts[w] = c - 1
                common += 1
            }
        }
        return Double(2 * common) / Double(x.count + y.count)
    }

    /// Word-level diff (longest common subsequence). Beyond a million word pairs the middle is
    /// reported as one deletion and one insertion, keeping the work bounded.
    public static func wordDiff(_ a: String, _ b: String) -> [WordChange] {
        let sep: (Character) -> Bool = { $0 == " " || $0 == "\n" || $0 == "\t" }
        return wordDiff(a.split(whereSeparator: sep), b.split(whereSeparator: sep))
    }

    static func wordDiff(_ a: [Substring], _ b: [Substring]) -> [WordChange] {
        // common prefix / suffix
        var pre = 0
        while pre < a.count, pre < b.count, a[pre] == b[pre] { pre += 1 }
        var suf = 0
        while suf < a.count - pre, suf < b.count - pre, a[a.count - 1 - suf] == b[b.count - 1 - suf] { suf += 1 }
        var out: [WordChange] = a[0..<pre].map { WordChange(op: .equal, text: String($0)) }
        let ma = Array(a[pre..<(a.count - suf)])
        let mb = Array(b[pre..<(b.count - suf)])
        if ma.count * mb.count > 1_000_000 || ma.isEmpty || mb.isEmpty {
            if !ma.isEmpty { out.append(WordChange(op: .delete, text: ma.joined(separator: " "))) }
            if !mb.isEmpty { out.append(WordChange(op: .insert, text: mb.joined(separator: " "))) }
        } else {
            let n = ma.count, m = mb.count
            // LCS table (n+1) x (m+1), row-major
            var t = [Int32](repeating: 0, count: (n + 1) * (m + 1))
            for i in stride(from: n - 1, through: 0, by: -1) {
                for j in stride(from: m - 1, through: 0, by: -1) {
                    t[i * (m + 1) + j] = ma[i] == mb[j] ? t[(i + 1) * (m + 1) + j + 1] + 1
                        : max(t[(i + 1) * (m + 1) + j], t[i * (m + 1) + j + 1])
                }
            }
            var i = 0, j = 0
            while i < n || j < m {
                if i < n, j < m, ma[i] == mb[j] {
                    out.append(WordChange(op: .equal, text: String(ma[i]))); i += 1; j += 1
                } else if i < n, j == m || t[(i + 1) * (m + 1) + j] >= t[i * (m + 1) + j + 1] {
                    out.append(WordChange(op: .delete, text: String(ma[i]))); i += 1
                } else {
                    out.append(WordChange(op: .insert, text: String(mb[j]))); j += 1
                }
            }
        }
        out.append(contentsOf: a[(a.count - suf)...].map { WordChange(op: .equal, text: String($0)) })
        return out
    }
}
