import OlleeyKit

/// Parsing of typed command-line values.
public enum Values {
    /// Parses a duration to milliseconds: `1.5s`, `-250ms`, `3m`, `1h30m`, `2m3.5s`, `90` (seconds),
    /// `00:01:02.500`, `01:02.5`, `-00:00:01.000`.
    public static func duration(_ raw: String) -> Int64? {
        var s = Substring(raw.trimmedBlanks)
        guard !s.isEmpty else { return nil }
        var sign: Int64 = 1
        if s.first == "-" { sign = -1; s = s.dropFirst() } else if s.first == "+" { s = s.dropFirst() }
        guard !s.isEmpty else { return nil }
        if s.contains(":") {
            let parts = s.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count == 2 || parts.count == 3 else { return nil }
            var total = 0.0
            for (i, p) in parts.enumerated() {
                guard !p.isEmpty, let v = Double(p), v >= 0, v.isFinite else { return nil }
                if i < parts.count - 1 { guard p.allSatisfy(\.isNumber) else { return nil } }
                if i > 0, v >= 60 { return nil }
                total = total * 60 + v
            }
            return sign * Int64((total * 1000).rounded())
        }
        if let v = Double(s), v.isFinite, !s.contains("e"), !s.contains("E") { return sign * Int64((v * 1000).rounded()) }
        // unit sequence: (number unit)+ with units h, m, s, ms
        var total = 0.0
        var i = s.startIndex
        var sawAny = false
        while i < s.endIndex {
            let numStart = i
            while i < s.endIndex, s[i].isNumber || s[i] == "." { i = s.index(after: i) }
            guard numStart < i, let v = Double(s[numStart..<i]), v.isFinite else { return nil }
            let unitStart = i
            while i < s.endIndex, s[i].isLetter { i = s.index(after: i) }
            let unit = s[unitStart..<i].lowercased()
            switch unit {
            case "ms": total += v / 1000
            case "s", "sec", "secs": total += v
            case "m", "min", "mins": total += v * 60
            case "h", "hr", "hrs": total += v * 3600
            default: return nil
            }
            sawAny = true
        }
        guard sawAny, total < 1e12 else { return nil }
        return sign * Int64((total * 1000).rounded())
    }

    /// Splits comma-separated values, trimming blanks.
    public static func list(_ raws: [String]) -> [String] {
        raws.flatMap { $0.split(separator: ",").map { $0.trimmedBlanks } }.filter { !$0.isEmpty }
    }

    /// Checks a value against its type; returns a reason when it does not fit.
    public static func check(_ value: String, _ type: ValueType) -> String? {
        switch type {
        case .string, .path, .list: return nil
        case .int: return Int(value) == nil ? "not an integer" : nil
        case .double: return Double(value).map { $0.isFinite } == true ? nil : "not a number"
        case .duration: return duration(value) == nil ? "not a duration (examples: 1.5s, -250ms, 3m, 00:01:02.500)" : nil
        case let .choice(c): return c.contains(value) ? nil : "must be one of: \(c.joined(separator: ", "))"
        }
    }
}

extension StringProtocol {
    /// Without leading and trailing spaces and tabs.
    var trimmedBlanks: String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" { s = s.dropLast() }
        return String(s)
    }
}
