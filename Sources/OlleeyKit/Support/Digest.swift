import Foundation

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
