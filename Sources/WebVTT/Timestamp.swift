// WebVTT timestamps: the spec's "collect a WebVTT timestamp" on bytes, formatting, and a parser
// for human durations used by the timing commands.

/// Timestamp parsing and formatting helpers.
public enum Timestamp {
    /// Parses a whole string as a WebVTT timestamp (`mm:ss.ttt` or `h+:mm:ss.ttt`), following the
    /// spec's "collect a WebVTT timestamp"; `nil` when it is not one or has trailing characters.
    public static func parse(_ string: String) -> Int64? {
        var bytes = Array(string.utf8)
        return bytes.withUnsafeMutableBufferPointer { buf -> Int64? in
            var pos = 0
            switch collect(UnsafeBufferPointer(buf), &pos) {
            case .success(let scan): return pos == buf.count ? scan.ms : nil
            case .failure: return nil
            }
        }
    }

    /// Formats milliseconds as a WebVTT timestamp. With `alwaysHours` (the canonical form) the
    /// result is `hh:mm:ss.ttt`; without, hours are left out when zero (`mm:ss.ttt`).
    /// Negative values are written as zero (WebVTT has no negative times).
    public static func format(_ ms: Int64, alwaysHours: Bool = true) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(16)
        append(ms, hourDigits: alwaysHours ? 2 : 0, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Formats milliseconds as an SRT timestamp `hh:mm:ss,ttt`.
    public static func formatSRT(_ ms: Int64) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(16)
        append(ms, hourDigits: 2, separator: UInt8(ascii: ","), to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Parses a human duration or offset: `1.5s`, `-200ms`, `2m`, `1h2m3.5s`, `1m30` (a last
    /// number without a unit is seconds), `90` (seconds), `-1:02.5`, `00:01:02.500`, and
    /// `01:02,500` (SRT's comma). Returns milliseconds, or `nil` when not understood.
    ///
    /// The clock form follows WebVTT timestamps: every field but the first is at most 59
    /// (`1:75` is refused, as `00:75.000` is not a timestamp), fields before the last are whole
    /// numbers, and only the last has a fraction. The first field may be any size (`90:00`).
    /// No exponents, no `inf` or `nan`. This is the one duration rule: the command line's
    /// duration options use it too.
    public static func parseDuration(_ string: String) -> Int64? {
        var s = Substring(string.trimmingASCIISpaces())
        var sign: Int64 = 1
        if s.hasPrefix("-") { sign = -1; s = s.dropFirst() } else if s.hasPrefix("+") { s = s.dropFirst() }
        guard !s.isEmpty else { return nil }
        if s.contains(":") {
            // clock form: [h:]m:s[.fff]
            let parts = s.replacingCommaWithDot().split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count == 2 || parts.count == 3 else { return nil }
            var total = 0.0
            for (i, part) in parts.enumerated() {
                let last = i == parts.count - 1
                guard isDecimal(part, fraction: last), let v = Double(part), v.isFinite else { return nil }
                if i > 0, v >= 60 { return nil }
                total = total * 60 + v
            }
            guard total < 9e12 else { return nil }
            return sign * Int64((total * 1000).rounded())
        }
        // unit form: sequence of number+unit
        var total = 0.0
        var i = s.startIndex
        var sawAny = false
        while i < s.endIndex {
            var j = i
            while j < s.endIndex, s[j].isASCII, s[j].isNumber || s[j] == "." { j = s.index(after: j) }
            guard j > i, isDecimal(s[i..<j], fraction: true), let v = Double(s[i..<j]) else { return nil }
            var k = j
            while k < s.endIndex, s[k].isLetter { k = s.index(after: k) }
            let unit = s[j..<k]
            let factor: Double
            switch unit {
            case "", "s", "sec", "secs": factor = 1000
            case "ms": factor = 1
            case "m", "min", "mins": factor = 60_000
            case "h", "hr", "hrs": factor = 3_600_000
            default: return nil
            }
            if unit.isEmpty, k != s.endIndex { return nil }
            total += v * factor
            sawAny = true
            i = k
        }
        guard sawAny, total.isFinite, total < 9e15 else { return nil }
        return sign * Int64(total.rounded())
    }

    /// ASCII digits, with (when `fraction`) at most one `.` and a digit somewhere.
    static func isDecimal<S: StringProtocol>(_ s: S, fraction: Bool) -> Bool {
        var digits = 0, dots = 0
        for b in s.utf8 {
            if b >= 48 && b <= 57 { digits += 1 } else if b == 46 && fraction { dots += 1 } else { return false }
        }
        return digits > 0 && dots <= 1
    }

    // MARK: internals

    struct Scan {
        var ms: Int64
        /// Digits of the hours field as written; 0 when there was no hours field.
        var hourDigits: Int
    }

    enum Failure: Error {
        case notADigit
        case missingColon
        case minutesDigits
        case secondsDigits
        case missingDot
        case millisDigits
        case outOfRange
        case tooLarge

        var message: String {
            switch self {
            case .notADigit: return "a timestamp must start with a digit"
            case .missingColon: return "expected ':' in the timestamp"
            case .minutesDigits: return "minutes must be exactly two digits"
            case .secondsDigits: return "seconds must be exactly two digits"
            case .missingDot: return "expected '.' before the milliseconds"
            case .millisDigits: return "milliseconds must be exactly three digits"
            case .outOfRange: return "minutes and seconds must be at most 59"
            case .tooLarge: return "the hours value is too large"
            }
        }
    }

    /// The spec's "collect a WebVTT timestamp" at `pos` in `p`. On success `pos` is after the
    /// timestamp; on failure `pos` is where the problem was found.
    static func collect(_ p: UnsafeBufferPointer<UInt8>, _ pos: inout Int) -> Result<Scan, Failure> {
        let n = p.count
        // Fast path for the canonical "hh:mm:ss.ttt" (same result as the general steps below).
        if pos + 12 <= n, (pos + 12 == n || !isDigit(p[pos + 12])),
           isDigit(p[pos]), isDigit(p[pos + 1]), p[pos + 2] == 0x3A, isDigit(p[pos + 3]), isDigit(p[pos + 4]),
           p[pos + 5] == 0x3A, isDigit(p[pos + 6]), isDigit(p[pos + 7]), p[pos + 8] == 0x2E,
           isDigit(p[pos + 9]), isDigit(p[pos + 10]), isDigit(p[pos + 11]) {
            @inline(__always) func d(_ k: Int) -> Int64 { Int64(p[pos + k] &- 0x30) }
            let h = d(0) * 10 + d(1)
            let m = d(3) * 10 + d(4)
            let s = d(6) * 10 + d(7)
            let f = d(9) * 100 + d(10) * 10 + d(11)
            if m <= 59, s <= 59 {
                pos += 12
                return .success(Scan(ms: ((h * 60 + m) * 60 + s) * 1000 + f, hourDigits: 2))
            }
        }
        var hoursUnits = false
        guard pos < n, isDigit(p[pos]) else { return .failure(.notADigit) }
        // value1
        let s1 = pos
        var v1: Int64 = 0
        while pos < n, isDigit(p[pos]) {
            if pos - s1 < 13 { v1 = v1 * 10 + Int64(p[pos] &- 0x30) }
            pos += 1
        }
        let len1 = pos - s1
        if len1 != 2 || v1 > 59 { hoursUnits = true }
        if len1 > 12 { return .failure(.tooLarge) }
        guard pos < n, p[pos] == UInt8(ascii: ":") else { return .failure(.missingColon) }
        pos += 1
        // value2
        let s2 = pos
        var v2: Int64 = 0
        while pos < n, isDigit(p[pos]) {
            if pos - s2 < 3 { v2 = v2 * 10 + Int64(p[pos] &- 0x30) }
            pos += 1
        }
        guard pos - s2 == 2 else { return .failure(.minutesDigits) }
        var v3: Int64
        var hours: Int64 = 0
        var minutes: Int64
        var hourDigits = 0
        if hoursUnits || (pos < n && p[pos] == UInt8(ascii: ":")) {
            guard pos < n, p[pos] == UInt8(ascii: ":") else { return .failure(.missingColon) }
            pos += 1
            let s3 = pos
            v3 = 0
            while pos < n, isDigit(p[pos]) {
                if pos - s3 < 3 { v3 = v3 * 10 + Int64(p[pos] &- 0x30) }
                pos += 1
            }
            guard pos - s3 == 2 else { return .failure(.secondsDigits) }
            hours = v1
            minutes = v2
            hourDigits = len1
        } else {
            v3 = v2
            minutes = v1
        }
        guard pos < n, p[pos] == UInt8(ascii: ".") else { return .failure(.missingDot) }
        pos += 1
        let s4 = pos
        var v4: Int64 = 0
        while pos < n, isDigit(p[pos]) {
            if pos - s4 < 4 { v4 = v4 * 10 + Int64(p[pos] &- 0x30) }
            pos += 1
        }
        guard pos - s4 == 3 else { return .failure(.millisDigits) }
        guard minutes <= 59, v3 <= 59 else { return .failure(.outOfRange) }
        let ms = ((hours * 60 + minutes) * 60 + v3) * 1000 + v4
        return .success(Scan(ms: ms, hourDigits: hourDigits))
    }

    /// Appends `ms` as a timestamp. `hourDigits` is the minimum width of the hours field; 0 writes
    /// `mm:ss.ttt` when the value is under an hour (and two-digit hours otherwise).
    static func append(_ ms: Int64, hourDigits: Int, separator: UInt8 = UInt8(ascii: "."),
                       to out: inout [UInt8]) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 48) { tmp in
            guard let p = tmp.baseAddress else { return }
            let n = write(ms, hourDigits: hourDigits, separator: separator, into: p)
            out.append(contentsOf: UnsafeBufferPointer(start: p, count: n))
        }
    }

    /// Writes `ms` as a timestamp at `p` (at most 48 bytes) and returns the number of bytes.
    /// Negative values are written as zero. A width above 20 is treated as 20.
    @inline(__always)
    static func write(_ msIn: Int64, hourDigits: Int, separator: UInt8, into p: UnsafeMutablePointer<UInt8>) -> Int {
        let ms = msIn < 0 ? 0 : msIn
        let millis = Int(ms % 1000)
        let totalSeconds = ms / 1000
        let seconds = Int(totalSeconds % 60)
        let totalMinutes = totalSeconds / 60
        let minutes = Int(totalMinutes % 60)
        let hours = totalMinutes / 60
        var i = 0
        if hourDigits > 0 || hours > 0 {
            let width = min(hourDigits > 0 ? hourDigits : 2, 20)
            if width == 2 && hours < 100 {
                p[0] = 0x30 &+ UInt8(hours / 10)
                p[1] = 0x30 &+ UInt8(hours % 10)
                i = 2
            } else {
                var digits = 1
                var v = hours
                while v >= 10 { v /= 10; digits += 1 }
                let total = max(digits, width)
                var k = total - 1
                v = hours
                while k >= 0 {
                    p[k] = 0x30 &+ UInt8(v % 10)
                    v /= 10
                    k -= 1
                }
                i = total
            }
            p[i] = 0x3A
            i += 1
        }
        p[i] = 0x30 &+ UInt8(minutes / 10)
        p[i + 1] = 0x30 &+ UInt8(minutes % 10)
        p[i + 2] = 0x3A
        p[i + 3] = 0x30 &+ UInt8(seconds / 10)
        p[i + 4] = 0x30 &+ UInt8(seconds % 10)
        p[i + 5] = separator
        p[i + 6] = 0x30 &+ UInt8(millis / 100)
        p[i + 7] = 0x30 &+ UInt8((millis / 10) % 10)
        p[i + 8] = 0x30 &+ UInt8(millis % 10)
        return i + 9
    }

    /// Writes a decimal integer at `p` (at most 20 bytes) and returns the number of bytes.
    static func writeDecimal(_ value: Int64, into p: UnsafeMutablePointer<UInt8>) -> Int {
        var v = value
        var i = 0
        if v < 0 {
            p[0] = 0x2D
            i = 1
            if v == Int64.min { v = Int64.max } else { v = -v }
        }
        var digits = 1
        var t = v
        while t >= 10 { t /= 10; digits += 1 }
        var k = i + digits - 1
        while k >= i {
            p[k] = 0x30 &+ UInt8(v % 10)
            v /= 10
            k -= 1
        }
        return i + digits
    }
}

extension String {
    func trimmingASCIISpaces() -> String {
        let bytes = Array(self.utf8)
        return String(decoding: trimASCIIWhitespace(bytes), as: UTF8.self)
    }
}

extension Substring {
    func replacingCommaWithDot() -> String {
        String(self.map { $0 == "," ? "." : $0 })
    }
}
