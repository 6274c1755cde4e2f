import Foundation

/// Money is integer micro-dollars (1 USD = 1,000,000 micros); shown as dollars.
public enum Money {
    public static let currency = "USD"
    public static let perDollar: Int64 = 1_000_000

    /// Parses an amount in dollars: `15`, `15.75`, `$0.000125`, `1,250.50`. At most 6 decimals,
    /// not negative, at most $1,000,000,000. Anything else is bad input (65).
    public static func parse(_ raw: String, what: String = "amount") throws -> Int64 {
        var s = raw.trimmingCharacters(in: .whitespaces)
        if s.uppercased().hasSuffix("USD") { s = String(s.dropLast(3)).trimmingCharacters(in: .whitespaces) }
        if s.hasPrefix("$") { s.removeFirst() }
        s = s.replacingOccurrences(of: ",", with: "").replacingOccurrences(of: "_", with: "")
        func bad(_ why: String) -> OlleeyError {
            OlleeyError.invalid("invalid \(what) '\(raw)': \(why)", hint: "give an amount in US dollars, e.g. 0.75 or 20")
        }
        if s.hasPrefix("-") { throw bad("it is negative") }
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        guard !s.isEmpty, parts.count <= 2, parts.allSatisfy({ $0.allSatisfy { $0.isASCII && $0.isNumber } }),
              !(parts[0].isEmpty && (parts.count == 1 || parts[1].isEmpty)) else { throw bad("not a number") }
        let whole = parts[0].isEmpty ? "0" : String(parts[0])
        var frac = parts.count == 2 ? String(parts[1]) : ""
        guard frac.count <= 6 else { throw bad("more than 6 decimals (the smallest unit is $0.000001)") }
        guard whole.count <= 10, let w = Int64(whole), w <= 1_000_000_000 else { throw bad("too large") }
        frac += String(repeating: "0", count: 6 - frac.count)
        guard let f = Int64(frac) else { throw bad("not a number") }
        return w * perDollar + f
    }

    /// `$15.75`, `$0.004167`, `$1,250.00`.
    public static func format(_ micros: Int64) -> String {
        let neg = micros < 0
        let m = micros.magnitude
        let whole = m / UInt64(perDollar)
        var frac = String(m % UInt64(perDollar))
        frac = String(repeating: "0", count: 6 - frac.count) + frac
        while frac.count > 2 && frac.hasSuffix("0") { frac.removeLast() }
        var w = String(whole)
        var grouped = ""
        while w.count > 3 { grouped = "," + w.suffix(3) + grouped; w = String(w.dropLast(3)) }
        return (neg ? "-" : "") + "$" + w + grouped + "." + frac
    }

    /// Dollars as a JSON number (for the HTTP API's fields such as `estimated_cost`).
    public static func dollars(_ micros: Int64) -> JSON { .double(Double(micros) / Double(perDollar)) }

    /// `rate` (micros per minute) applied to `durationMs`, rounded to the nearest micro.
    public static func perMinute(_ rateMicros: Int64, durationMs: Int64) -> Int64 {
        let (p, overflow) = rateMicros.multipliedReportingOverflow(by: durationMs)
        if overflow { return Int64((Double(rateMicros) * Double(durationMs) / 60_000).rounded()) }
        return (p + 30_000) / 60_000
    }
}
