/// "Did you mean" suggestions by edit distance.
public enum Suggest {
    /// Candidates within a small edit distance (or sharing a prefix), best first.
    public static func closest(_ word: String, among candidates: [String], max: Int = 2) -> [String] {
        let w = Array(word.lowercased().unicodeScalars)
        guard !w.isEmpty else { return [] }
        var scored: [(String, Int)] = []
        for c in candidates {
            let cs = Array(c.lowercased().unicodeScalars)
            let d = distance(w, cs)
            let limit = Swift.max(1, Swift.min(3, cs.count / 3 + 1))
            if d <= limit || (w.count >= 3 && c.lowercased().hasPrefix(word.lowercased())) { scored.append((c, d)) }
        }
        return scored.sorted { $0.1 != $1.1 ? $0.1 < $1.1 : $0.0 < $1.0 }.prefix(max).map(\.0)
    }

    /// Damerau-Levenshtein (optimal string alignment) distance.
    public static func distance(_ a: [Unicode.Scalar], _ b: [Unicode.Scalar]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var prev2 = [Int](repeating: 0, count: b.count + 1)
        var prev = Array(0...b.count)
        var cur = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            cur[0] = i
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                cur[j] = Swift.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] { cur[j] = Swift.min(cur[j], prev2[j - 2] + 1) }
            }
            prev2 = prev; prev = cur
        }
        return prev[b.count]
    }
}
