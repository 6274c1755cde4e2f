// A growable output buffer for the writers (serializer, JSON, SRT, TTML): plain memory, no
// uniqueness checks per byte, one copy at the end (or none, with `withBytes`).

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#elseif canImport(Musl)
import Musl
#endif

struct ByteWriter: ~Copyable {
    private(set) var base: UnsafeMutablePointer<UInt8>
    private(set) var count: Int = 0
    private(set) var capacity: Int

    init(capacity: Int = 256) {
        let cap = max(capacity, 64)
        base = UnsafeMutablePointer<UInt8>.allocate(capacity: cap)
        self.capacity = cap
    }

    deinit { base.deallocate() }

    @inline(__always) mutating func reserve(_ extra: Int) {
        if count &+ extra > capacity { grow(extra) }
    }

    mutating func grow(_ extra: Int) {
        var newCap = capacity &* 2
        if newCap < count + extra { newCap = count + extra + 64 }
        let nb = UnsafeMutablePointer<UInt8>.allocate(capacity: newCap)
        nb.update(from: base, count: count)
        base.deallocate()
        base = nb
        capacity = newCap
    }

    @inline(__always) mutating func append(_ b: UInt8) {
        if count == capacity { grow(1) }
        base[count] = b
        count &+= 1
    }

    @inline(__always) mutating func append(_ a: UInt8, _ b: UInt8) {
        reserve(2)
        base[count] = a
        base[count &+ 1] = b
        count &+= 2
    }

    @inline(__always) mutating func append(_ p: UnsafeBufferPointer<UInt8>) {
        let n = p.count
        guard n > 0, let src = p.baseAddress else { return }
        reserve(n)
        (base + count).update(from: src, count: n)
        count &+= n
    }

    mutating func append(_ s: StaticString) {
        append(UnsafeBufferPointer(start: s.utf8Start, count: s.utf8CodeUnitCount))
    }

    mutating func append(_ s: String) {
        var str = s
        str.withUTF8 { append($0) }
    }

    mutating func append(_ bytes: [UInt8]) {
        bytes.withUnsafeBufferPointer { append($0) }
    }

    /// Appends a timestamp (see `Timestamp.write`).
    @inline(__always) mutating func appendTimestamp(_ ms: Int64, hourDigits: Int, separator: UInt8 = 0x2E) {
        reserve(48)
        count &+= Timestamp.write(ms, hourDigits: hourDigits, separator: separator, into: base + count)
    }

    mutating func appendDecimal(_ v: Int64) {
        reserve(24)
        count &+= Timestamp.writeDecimal(v, into: base + count)
    }

    /// Forgets the content, keeping the memory.
    mutating func reset() { count = 0 }

    /// Overwrites a byte already written.
    @inline(__always) mutating func set(_ index: Int, _ b: UInt8) { base[index] = b }

    func byte(at index: Int) -> UInt8 { base[index] }

    var buffer: UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(start: base, count: count) }

    /// The bytes as an array (one copy).
    func toArray() -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: count) { buf, n in
            if let dst = buf.baseAddress, count > 0 { dst.update(from: base, count: count) }
            n = count
        }
    }

    func toString() -> String {
        String(decoding: buffer, as: UTF8.self)
    }
}
