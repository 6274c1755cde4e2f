import Foundation
import OlleeyHTTP
#if canImport(Glibc)
import Glibc
#endif

/// A server on 127.0.0.1 port 0 for one test, with a quiet log; stopped by `stop()`.
final class LiveServer: @unchecked Sendable {
    let server: HTTPServer
    let router: HTTPRouter
    let log = HTTPLogSink(fd: open("/dev/null", O_WRONLY))
    var port: Int { server.port }

    init(_ configure: (inout ServerConfiguration) -> Void = { _ in }, routes: (HTTPRouter, HTTPLogSink) -> Void) throws {
        var c = ServerConfiguration()
        c.port = 0
        c.poolThreads = 4
        configure(&c)
        router = HTTPRouter()
        routes(router, log)
        server = HTTPServer(configuration: c, router: router, log: log)
        try server.start()
    }

    /// The usual middleware and a few routes the tests share.
    static func standard(_ configure: (inout ServerConfiguration) -> Void = { _ in }, extra: (HTTPRouter) -> Void = { _ in }) throws -> LiveServer {
        try LiveServer(configure) { r, log in
            r.use(RequestIDMiddleware())
            r.use(SecurityHeadersMiddleware())
            r.use(AccessLogMiddleware(sink: log))
            r.use(ErrorMiddleware(sink: log))
            r.on("GET", "/health", execution: .loop) { _, _ in .json(Array(#"{"status":"healthy"}"#.utf8)) }
            r.on("POST", "/echo") { req, _ in HTTPResponse(status: 200, headers: HTTPHeaders([("Content-Type", "application/octet-stream")]), body: .bytes(req.body)) }
            r.on("GET", "/slow") { req, _ in
                usleep(UInt32(Int(req.queryValue("ms") ?? "300") ?? 300) * 1000)
                return .text("slow")
            }
            r.on("GET", "/items/:id") { req, ctx in .text("item " + (try ctx.parameter("id")) + " q=" + (req.queryValue("q") ?? "-")) }
            r.on("GET", "/path") { req, _ in .text(req.path) }
            extra(r)
        }
    }

    func stop() {
        server.stop()
        server.wait()
    }
}

/// A raw TCP client for tests: send bytes, read responses with the codec, see closes.
final class RawClient {
    let fd: Int32

    init(port: Int, timeout: Double = 5) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let r = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard r == 0 else { close(fd); throw TestFailure("connect: \(errno)") }
        setTimeout(timeout)
    }

    func setTimeout(_ t: Double) {
        var tv = timeval(tv_sec: Int(t), tv_usec: Int((t - Double(Int(t))) * 1e6))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(fd) }

    func send(_ s: String) { send(Array(s.utf8)) }

    func send(_ b: [UInt8]) {
        var off = 0
        while off < b.count {
            let n = b.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + off, b.count - off, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return }
            off += n
        }
    }

    func shutdownWrite() { shutdown(fd, Int32(SHUT_WR)) }

    lazy var reader = HTTPMessageReader(SocketSource(fd: fd), options: .client)

    /// The next response: head and body (HEAD: pass `method`).
    func response(method: String = "GET") throws -> (head: HTTPResponseHead, body: [UInt8]) {
        let head = try reader.readResponseHead()
        var sink = HTTPMemorySink()
        let framing = try HTTPBodyFraming.of(head, requestMethod: method)
        try reader.readBody(framing, into: &sink)
        return (head, sink.bytes)
    }

    /// Everything until the server closes (or the timeout), as text.
    func readAll() -> String {
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = recv(fd, &buf, buf.count, 0)
            if n <= 0 { break }
            out += buf[0..<n]
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// True when the server closed the connection (recv returns 0) within the timeout.
    func isClosedByPeer() -> Bool {
        var b: UInt8 = 0
        let n = recv(fd, &b, 1, 0)
        return n == 0 || (n < 0 && errno == ECONNRESET)
    }
}

struct SocketSource: HTTPByteSource {
    let fd: Int32
    mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let n = recv(fd, buffer.baseAddress, buffer.count, 0)
        if n < 0 { throw TestFailure("recv: errno \(errno)") }
        return n
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

/// Polls `cond` for up to `seconds`.
func eventually(_ seconds: Double = 3, _ cond: () -> Bool) -> Bool {
    let end = Date().addingTimeInterval(seconds)
    while Date() < end {
        if cond() { return true }
        usleep(20_000)
    }
    return cond()
}
