import Foundation

/// Wall-clock helpers; times are ISO-8601 UTC with milliseconds.
public enum Clock {
    public static func nowMillis() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
    }

    public static func monotonicNanos() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }

    /// `2026-11-26T05:58:54.123Z`
    public static func iso8601(millis: Int64) -> String {
        var t = time_t(millis / 1000)
        var tmv = tm()
        gmtime_r(&t, &tmv)
        func p(_ v: Int32, _ w: Int) -> String { let s = String(v); return String(repeating: "0", count: max(0, w - s.count)) + s }
        let ms = Int32(((millis % 1000) + 1000) % 1000)
        return "\(p(tmv.tm_year + 1900, 4))-\(p(tmv.tm_mon + 1, 2))-\(p(tmv.tm_mday, 2))T\(p(tmv.tm_hour, 2)):\(p(tmv.tm_min, 2)):\(p(tmv.tm_sec, 2)).\(p(ms, 3))Z"
    }

    public static func nowISO() -> String { iso8601(millis: nowMillis()) }

    /// Parses `YYYY-MM-DD`, `YYYY-MM-DDTHH:MM[:SS[.mmm]][Z|±HH:MM]` to UTC milliseconds.
    public static func parseISO8601(_ s: String) -> Int64? {
        let c = Array(s.utf8)
        func num(_ from: Int, _ n: Int) -> Int? {
            guard from + n <= c.count else { return nil }
            var v = 0
            for k in from..<(from + n) { guard c[k] >= 48, c[k] <= 57 else { return nil }; v = v * 10 + Int(c[k] - 48) }
            return v
        }
        guard let y = num(0, 4), c.count >= 10, c[4] == 45, let mo = num(5, 2), c[7] == 45, let d = num(8, 2),
              (1...12).contains(mo), (1...31).contains(d) else { return nil }
        var h = 0, mi = 0, sec = 0, ms = 0, offset = 0
        var k = 10
        if k < c.count {
            guard c[k] == UInt8(ascii: "T") || c[k] == UInt8(ascii: " "), let hh = num(k + 1, 2), c.count > k + 3, c[k + 3] == 58,
                  let mm = num(k + 4, 2) else { return nil }
            h = hh; mi = mm; k += 6
            if k < c.count, c[k] == 58 { guard let ss = num(k + 1, 2) else { return nil }; sec = ss; k += 3 }
            if k < c.count, c[k] == 46 {
                k += 1; var digits = 0; var frac = 0
                while k < c.count, c[k] >= 48, c[k] <= 57 { if digits < 3 { frac = frac * 10 + Int(c[k] - 48); digits += 1 }; k += 1 }
                while digits < 3 { frac *= 10; digits += 1 }
                ms = frac
            }
            if k < c.count {
                if c[k] == UInt8(ascii: "Z") { k += 1 } else if c[k] == 43 || c[k] == 45 {
                    guard let oh = num(k + 1, 2), c.count >= k + 6, c[k + 3] == 58, let om = num(k + 4, 2) else { return nil }
                    offset = (oh * 60 + om) * (c[k] == 45 ? -1 : 1); k += 6
                } else { return nil }
            }
            guard k == c.count, h < 24, mi < 60, sec < 61 else { return nil }
        }
        // days from civil (Howard Hinnant's algorithm)
        let yy = mo <= 2 ? y - 1 : y
        let era = (yy >= 0 ? yy : yy - 399) / 400
        let yoe = yy - era * 400
        let doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        let days = era * 146097 + doe - 719468
        let secs = Int64(days) * 86400 + Int64(h * 3600 + mi * 60 + sec) - Int64(offset * 60)
        return secs * 1000 + Int64(ms)
    }
}
