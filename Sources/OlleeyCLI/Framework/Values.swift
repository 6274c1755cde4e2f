import OlleeyKit
import WebVTT

/// Parsing of typed command-line values.
public enum Values {
    /// Parses a duration to milliseconds: `1.5s`, `-250ms`, `3m`, `1h30m`, `2m3.5s`, `90` (seconds),
    /// `00:01:02.500`, `01:02.5`, `01:02,500`, `-00:00:01.000`. The one rule is WebVTT's
    /// (`Timestamp.parseDuration`).
    public static func duration(_ raw: String) -> Int64? { Timestamp.parseDuration(raw.trimmedBlanks) }

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
