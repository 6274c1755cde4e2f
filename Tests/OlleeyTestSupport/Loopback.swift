import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Raw TCP to a test server on 127.0.0.1: connect, send everything, read to the end. Server
/// tests use it to send exactly the bytes they mean (hostile ones included).
public enum Loopback {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
        public init(_ d: String) { description = d }
    }

    /// A connected socket with a receive timeout of `timeout` seconds.
    public static func connect(port: Int, timeout: Double = 10) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let r = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard r == 0 else { let e = errno; close(fd); throw Failure("connect to 127.0.0.1:\(port) failed: errno \(e)") }
        setTimeout(fd, timeout)
        return fd
    }

    public static func setTimeout(_ fd: Int32, _ t: Double) {
        var tv = timeval(tv_sec: Int(t), tv_usec: Int((t - Double(Int(t))) * 1e6))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    }

    /// Sends all of `bytes` (false when the peer stopped taking them).
    @discardableResult
    public static func send(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        var off = 0
        while off < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress.map { $0 + off }, bytes.count - off, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { return false }
            off += n
        }
        return true
    }

    /// Everything until the peer closes or the timeout.
    public static func readToEnd(_ fd: Int32) -> [UInt8] {
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = recv(fd, &buf, buf.count, 0)
            if n <= 0 { break }
            out += buf[0..<n]
        }
        return out
    }

    /// One exchange on a fresh connection: send `bytes`, read until the server closes.
    public static func exchange(port: Int, _ bytes: [UInt8], timeout: Double = 10) throws -> [UInt8] {
        let fd = try connect(port: port, timeout: timeout)
        defer { close(fd) }
        guard send(fd, bytes) else { throw Failure("send failed") }
        return readToEnd(fd)
    }
}
