import Foundation

/// UUIDv7 identifiers: time-ordered, so ids sort by creation time.
public enum ID {
    public static func uuid7(millis: Int64 = Clock.nowMillis()) -> String {
        var b = [UInt8](repeating: 0, count: 16)
        var rng = SystemRandomNumberGenerator()
        for k in 6..<16 { b[k] = UInt8.random(in: 0...255, using: &rng) }
        let ms = UInt64(max(0, millis))
        for k in 0..<6 { b[k] = UInt8((ms >> (8 * (5 - UInt64(k)))) & 0xFF) }
        b[6] = 0x70 | (b[6] & 0x0F)
        b[8] = 0x80 | (b[8] & 0x3F)
        let hex = b.map { byte -> String in
            let s = String(byte, radix: 16)
            return s.count == 1 ? "0" + s : s
        }.joined()
        let h = Array(hex)
        return String(h[0..<8]) + "-" + String(h[8..<12]) + "-" + String(h[12..<16]) + "-" + String(h[16..<20]) + "-" + String(h[20..<32])
    }
}
