import COpenSSL
import Foundation

/// SHA-256 through libcrypto (never hand-rolled).
public struct SHA256Hasher: ~Copyable {
    private let ctx: OpaquePointer

    public init() {
        ctx = EVP_MD_CTX_new()
        EVP_DigestInit_ex(ctx, EVP_sha256(), nil)
    }

    deinit { EVP_MD_CTX_free(ctx) }

    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        if let base = bytes.baseAddress, bytes.count > 0 { EVP_DigestUpdate(ctx, base, bytes.count) }
    }

    public mutating func update(_ s: String) {
        var s = s
        s.withUTF8 { update(UnsafeRawBufferPointer($0)) }
    }

    public mutating func update(_ bytes: [UInt8]) { bytes.withUnsafeBytes { update($0) } }

    public consuming func finalizeHex() -> String {
        var out = [UInt8](repeating: 0, count: 32)
        var len: UInt32 = 0
        EVP_DigestFinal_ex(ctx, &out, &len)
        return Hex.encode(out)
    }
}

public enum Hex {
    public static func encode(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8](); out.reserveCapacity(bytes.count * 2)
        for b in bytes { out.append(digits[Int(b >> 4)]); out.append(digits[Int(b & 0xF)]) }
        return String(decoding: out, as: UTF8.self)
    }
}

public enum Digest {
    public static func sha256(_ s: String) -> String {
        var h = SHA256Hasher(); h.update(s); return h.finalizeHex()
    }

    public static func sha256(_ bytes: [UInt8]) -> String {
        var h = SHA256Hasher(); h.update(bytes); return h.finalizeHex()
    }

    /// Streams a file through SHA-256 in 1 MiB blocks.
    public static func sha256(file path: String) throws -> String {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw OlleeyError.notFound("cannot read \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var h = SHA256Hasher()
        var buf = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 { if errno == EINTR { continue }; throw OlleeyError.failure("read error on \(path): \(String(cString: strerror(errno)))") }
            if n == 0 { break }
            buf.withUnsafeBytes { h.update(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
        }
        return h.finalizeHex()
    }
}
