import Foundation
import OlleeyHTTP
import OlleeyTestSupport
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
        do { fd = try Loopback.connect(port: port, timeout: timeout) } catch { throw TestFailure("\(error)") }
    }

    func setTimeout(_ t: Double) { Loopback.setTimeout(fd, t) }

    deinit { close(fd) }

    func send(_ s: String) { send(Array(s.utf8)) }

    func send(_ b: [UInt8]) { Loopback.send(fd, b) }

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
    func readAll() -> String { String(decoding: Loopback.readToEnd(fd), as: UTF8.self) }

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
