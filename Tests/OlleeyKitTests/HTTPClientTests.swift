import Foundation
import Testing
import OlleeyKit
import OlleeyTestSupport

/// A tiny HTTP/1.1 server on 127.0.0.1, port 0: a test stand-in for real servers (OpenAI-compatible
/// engines, file hosts). Each connection is served on its own thread by `handler`.
final class StandInHTTPServer: @unchecked Sendable {
    struct Request: Sendable {
        var method: String
        var path: String
        var headers: [(String, String)]
        var body: [UInt8]
        func header(_ n: String) -> String? { headers.first { $0.0.lowercased() == n.lowercased() }?.1 }
        var text: String { String(decoding: body, as: UTF8.self) }
        var json: JSON? { try? JSON.parse(bytes: body) }
    }

    struct Reply: Sendable {
        var status: Int = 200
        var headers: [(String, String)] = []
        var body: [UInt8] = []
        /// Send the body with chunked transfer encoding.
        var chunked = false
        /// Send no Content-Length and close to end the body.
        var closeDelimited = false
        /// Wait before answering.
        var delay: Double = 0
        /// With `keepAlive`: keep the connection, then close it, unanswered, when the next request
        /// comes on it (a server that closed an idle connection as the request arrived).
        var thenDropNext = false

        static func json(_ j: JSON, status: Int = 200) -> Reply {
            Reply(status: status, headers: [("Content-Type", "application/json")], body: Array(j.encoded().utf8))
        }
        static func text(_ s: String, status: Int = 200) -> Reply { Reply(status: status, body: Array(s.utf8)) }
    }

    let port: Int
    /// Serve several requests per connection (HTTP/1.1 keep-alive) instead of closing after one.
    let keepAlive: Bool
    private var _connections = 0
    /// Connections accepted so far.
    var connections: Int { lock.lock(); defer { lock.unlock() }; return _connections }
    private let listenFD: Int32
    private let handler: @Sendable (Request) -> Reply
    private let lock = NSLock()
    private var _requests: [Request] = []
    var requests: [Request] { lock.lock(); defer { lock.unlock() }; return _requests }
    var baseURL: String { "http://127.0.0.1:\(port)" }

    init(keepAlive: Bool = false, _ handler: @escaping @Sendable (Request) -> Reply) throws {
        self.handler = handler
        self.keepAlive = keepAlive
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw OlleeyError(.failure, "socket failed") }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = 0
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let b = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard b == 0, listen(fd, 64) == 0 else { close(fd); throw OlleeyError(.failure, "bind/listen failed") }
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        port = Int(UInt16(bigEndian: addr.sin_port))
        listenFD = fd
        let me = self
        Thread.detachNewThread { me.acceptLoop() }
    }

    private var stopped = false

    /// Idempotent. Only shuts the socket down: that wakes `accept`, and the accept thread
    /// closes the fd itself, so no thread ever uses a closed (and maybe reused) fd number.
    func stop() {
        lock.lock(); defer { lock.unlock() }
        if stopped { return }
        stopped = true
        shutdown(listenFD, Int32(SHUT_RDWR))
    }
    deinit { stop() }

    private func acceptLoop() {
        while true {
            let c = accept(listenFD, nil, nil)
            if c < 0 {
                if errno == EINTR { continue }
                close(listenFD)
                return
            }
            lock.lock()
            let isStopped = stopped
            lock.unlock()
            if isStopped { close(c); close(listenFD); return }
            _ = fcntl(c, F_SETFD, FD_CLOEXEC) // accept4 is not exported to Swift
            let me = self
            Thread.detachNewThread { me.serve(c) }
        }
    }

    private func serve(_ c: Int32) {
        defer { close(c) }
        lock.lock(); _connections += 1; lock.unlock()
        var buf: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        func more() -> Bool {
            while true {
                let n = chunk.withUnsafeMutableBytes { recv(c, $0.baseAddress, $0.count, 0) }
                if n < 0 && (errno == EINTR || errno == EAGAIN) { continue }
                if n <= 0 { return false }
                buf += chunk[0..<n]
                return true
            }
        }
        var dropNext = false
        while true {
            var headEnd: Int?
            while headEnd == nil {
                if let r = findCRLFCRLF(buf) { headEnd = r; break }
                if !more() { return }
            }
            guard let he = headEnd else { return }
            if dropNext { return }
            let head = String(decoding: buf[0..<he], as: UTF8.self)
            var lines = head.components(separatedBy: "\r\n")
            let requestLine = lines.removeFirst().split(separator: " ")
            guard requestLine.count >= 2 else { return }
            let headers = lines.compactMap { l -> (String, String)? in
                guard let i = l.firstIndex(of: ":") else { return nil }
                return (String(l[..<i]), l[l.index(after: i)...].trimmingCharacters(in: .whitespaces))
            }
            let cl = Int(headers.first { $0.0.lowercased() == "content-length" }?.1 ?? "0") ?? 0
            while buf.count < he + 4 + cl { if !more() { break } }
            let body = Array(buf[(he + 4)..<min(buf.count, he + 4 + cl)])
            buf.removeFirst(min(buf.count, he + 4 + cl))
            let req = Request(method: String(requestLine[0]), path: String(requestLine[1]), headers: headers, body: body)
            lock.lock(); _requests.append(req); lock.unlock()
            let reply = handler(req)
            if reply.delay > 0 { Thread.sleep(forTimeInterval: reply.delay) }
            let closing = !keepAlive || reply.closeDelimited
            var out = "HTTP/1.1 \(reply.status) \(reply.status == 200 ? "OK" : "Status")\r\n"
            for (k, v) in reply.headers { out += "\(k): \(v)\r\n" }
            if reply.chunked { out += "Transfer-Encoding: chunked\r\n" } else if !reply.closeDelimited { out += "Content-Length: \(reply.body.count)\r\n" }
            out += closing ? "Connection: close\r\n\r\n" : "\r\n"
            var bytes = Array(out.utf8)
            if reply.chunked {
                var k = 0
                while k < reply.body.count {
                    let n = min(1000, reply.body.count - k)
                    bytes += Array("\(String(n, radix: 16));ext=1\r\n".utf8) + reply.body[k..<(k + n)] + Array("\r\n".utf8)
                    k += n
                }
                bytes += Array("0\r\nX-Trailer: t\r\n\r\n".utf8)
            } else if !(keepAlive && req.method == "HEAD") {
                bytes += reply.body
            }
            var off = 0
            while off < bytes.count {
                let n = bytes.withUnsafeBytes { send(c, $0.baseAddress.map { $0 + off }, bytes.count - off, Int32(MSG_NOSIGNAL)) }
                if n < 0 && (errno == EINTR || errno == EAGAIN) { continue }
                if n <= 0 { return }
                off += n
            }
            if closing { return }
            dropNext = reply.thenDropNext
        }
    }

    private func findCRLFCRLF(_ b: [UInt8]) -> Int? {
        guard b.count >= 4 else { return nil }
        for i in 0...(b.count - 4) where b[i] == 13 && b[i + 1] == 10 && b[i + 2] == 13 && b[i + 3] == 10 { return i }
        return nil
    }
}

@Suite("HTTP client (against a local stand-in server)")
struct HTTPClientTests {
    @Test("URL parsing: ports, IPv6, queries, file URLs, redirects")
    func urls() throws {
        let u = try HTTPURL("http://example.com:8080/a/b?x=1#frag")
        #expect(u.host == "example.com" && u.port == 8080 && u.target == "/a/b?x=1")
        #expect(try HTTPURL("https://h").port == 443)
        #expect(try HTTPURL("https://h").target == "/")
        #expect(try HTTPURL("http://[::1]:9/x").host == "::1")
        #expect(try HTTPURL("http://user:pw@h.io/").host == "h.io")
        #expect(try HTTPURL("file:///tmp/a%20b.mp4").target == "/tmp/a b.mp4")
        #expect(throws: OlleeyError.self) { _ = try HTTPURL("ftp://x/y") }
        #expect(throws: OlleeyError.self) { _ = try HTTPURL("http://h:99999/") }
        #expect(throws: OlleeyError.self) { _ = try HTTPURL("nonsense") }
        #expect(try u.resolving("/c").description == "http://example.com:8080/c")
        #expect(try u.resolving("d").description == "http://example.com:8080/a/d")
        #expect(try u.resolving("https://o.org/z").description == "https://o.org/z")
    }

    @Test("GET with Content-Length; request line and headers are well formed")
    func getContentLength() throws {
        let server = try StandInHTTPServer { r in .text("hello \(r.path)") }
        defer { server.stop() }
        let r = try HTTPClient().get(server.baseURL + "/x?y=1", headers: [("X-Test", "1")])
        #expect(r.status == 200)
        #expect(r.text == "hello /x?y=1")
        let req = try #require(server.requests.first)
        #expect(req.method == "GET")
        #expect(req.header("Host") == "127.0.0.1:\(server.port)")
        #expect(req.header("X-Test") == "1")
    }

    @Test("chunked and close-delimited bodies, binary bytes intact")
    func bodies() throws {
        let binary = (0..<5000).map { UInt8($0 % 256) }
        let server = try StandInHTTPServer { r in
            r.path == "/chunked" ? .init(body: binary, chunked: true) : .init(body: binary, closeDelimited: true)
        }
        defer { server.stop() }
        #expect(try HTTPClient().get(server.baseURL + "/chunked").body == binary)
        #expect(try HTTPClient().get(server.baseURL + "/close").body == binary)
    }

    @Test("POST JSON and multipart/form-data bodies arrive intact")
    func posts() throws {
        let server = try StandInHTTPServer { r in .init(body: r.body) }
        defer { server.stop() }
        let j: JSON = ["a": "é\n\"", "n": 3]
        let r = try HTTPClient().postJSON(server.baseURL + "/j", j)
        #expect(try r.json() == j)
        #expect(server.requests.last?.header("Content-Type") == "application/json")

        var form = MultipartForm(boundary: "BOUNDARY")
        form.addField("model", "m1")
        form.addFile("file", filename: "a.wav", contentType: "audio/wav", data: [0, 1, 2, 255])
        let r2 = try HTTPClient().postMultipart(server.baseURL + "/m", form)
        let expected = Array("--BOUNDARY\r\nContent-Disposition: form-data; name=\"model\"\r\n\r\nm1\r\n".utf8)
            + Array("--BOUNDARY\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.wav\"\r\nContent-Type: audio/wav\r\n\r\n".utf8)
            + [0, 1, 2, 255] + Array("\r\n--BOUNDARY--\r\n".utf8)
        #expect(r2.body == expected)
        #expect(server.requests.last?.header("Content-Type") == "multipart/form-data; boundary=BOUNDARY")
    }

    @Test("redirects are followed; a 303 turns a POST into a GET")
    func redirects() throws {
        let server = try StandInHTTPServer { r in
            switch r.path {
            case "/old": return .init(status: 302, headers: [("Location", "/new")])
            case "/post": return .init(status: 303, headers: [("Location", "/new")])
            default: return .text("\(r.method) \(r.path)")
            }
        }
        defer { server.stop() }
        #expect(try HTTPClient().get(server.baseURL + "/old").text == "GET /new")
        #expect(try HTTPClient().postJSON(server.baseURL + "/post", ["x": 1]).text == "GET /new")
    }

    @Test("size cap: a larger response is refused")
    func sizeCap() throws {
        let server = try StandInHTTPServer { r in .init(body: [UInt8](repeating: 7, count: 100_000), chunked: r.path == "/c") }
        defer { server.stop() }
        var c = HTTPClient()
        c.maxResponseBytes = 10_000
        for path in ["/l", "/c"] {
            do { _ = try c.get(server.baseURL + path); Issue.record("expected too large") } catch let e as OlleeyError {
                #expect(e.code == .invalid)
                #expect(e.message.contains("larger than"))
            }
        }
    }

    @Test("timeouts end a stalled request")
    func timeout() throws {
        let server = try StandInHTTPServer { _ in .init(body: [1], delay: 3) }
        defer { server.stop() }
        let c = HTTPClient(timeout: 0.3)
        let start = Date()
        do { _ = try c.get(server.baseURL + "/"); Issue.record("expected timeout") } catch let e as OlleeyError {
            #expect(e.message.contains("timed out"))
        }
        #expect(Date().timeIntervalSince(start) < 2)
    }

    @Test("connection refused is unavailable (69)")
    func refused() throws {
        let server = try StandInHTTPServer { _ in .text("") }
        let url = server.baseURL
        server.stop()
        do { _ = try HTTPClient(timeout: 2).get(url); Issue.record("expected error") } catch let e as OlleeyError {
            #expect(e.code == .unavailable)
        }
    }

    @Test("download streams to a file atomically; http errors leave nothing; file:// URLs work")
    func download() throws {
        let dir = TempDir()
        let payload = (0..<300_000).map { UInt8(($0 * 7) % 256) }
        let server = try StandInHTTPServer { r in r.path == "/v.mp4" ? .init(body: payload, chunked: true) : .text("nope", status: 404) }
        defer { server.stop() }
        let out = dir.path + "/v.mp4"
        let r = try HTTPClient().download(server.baseURL + "/v.mp4", to: out)
        #expect(r.status == 200)
        #expect(try FileIO.read(out) == payload)
        do { try HTTPClient().download(server.baseURL + "/missing", to: dir.path + "/m.mp4"); Issue.record("expected 404") } catch let e as OlleeyError {
            #expect(e.code == .notFound)
        }
        #expect(!FileManager.default.fileExists(atPath: dir.path + "/m.mp4"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() == ["v.mp4"])
        let copy = dir.path + "/copy.mp4"
        try HTTPClient().download("file://" + out, to: copy)
        #expect(try FileIO.read(copy) == payload)
        #expect(try HTTPClient().get("file://" + out).body == payload)
        do { _ = try HTTPClient().get("file://" + dir.path + "/none"); Issue.record("expected not found") } catch let e as OlleeyError {
            #expect(e.code == .notFound)
        }
    }

    @Test("a client that asks reuses kept-alive connections; one the server closes as a request comes is replaced without an error; Connection: close is honoured")
    func reusesConnections() throws {
        let server = try StandInHTTPServer(keepAlive: true) { req in
            switch req.path {
            case "/drop": var r = StandInHTTPServer.Reply.text("ok"); r.thenDropNext = true; return r
            case "/close": return StandInHTTPServer.Reply(status: 200, headers: [("Connection", "close")], body: Array("bye".utf8))
            case "/chunked": var r = StandInHTTPServer.Reply.text(String(repeating: "c", count: 3000)); r.chunked = true; return r
            default: return .text("ok \(req.path)")
            }
        }
        defer { server.stop() }
        var client = HTTPClient(timeout: 5)
        client.reuseConnections = true
        for i in 0..<4 { #expect(try client.get(server.baseURL + "/\(i)").text == "ok /\(i)") }
        #expect(try client.get(server.baseURL + "/chunked").body.count == 3000)
        #expect(try client.send(method: "PUT", url: server.baseURL + "/put", body: Array("data".utf8)).text == "ok /put")
        #expect(server.connections == 1)
        #expect(!server.requests.contains { $0.header("Connection")?.lowercased() == "close" })
        // a client that does not ask: one connection per request, and it says so
        let plain = HTTPClient(timeout: 5)
        _ = try plain.get(server.baseURL + "/a")
        _ = try plain.get(server.baseURL + "/b")
        #expect(server.connections == 3)
        #expect(server.requests.last?.header("Connection") == "close")
        // the server closes the kept connection as the next request arrives: that request is
        // sent again on a new connection, once, and answered
        _ = try client.get(server.baseURL + "/drop")
        #expect(try client.get(server.baseURL + "/after").text == "ok /after")
        #expect(server.connections == 4)
        #expect(server.requests.filter { $0.path == "/after" }.count == 1)
        // Connection: close from the server: not kept
        #expect(try client.get(server.baseURL + "/close").text == "bye")
        _ = try client.get(server.baseURL + "/y")
        #expect(server.connections == 5)
    }

    @Test("cancellation stops a request in flight")
    func cancel() throws {
        let server = try StandInHTTPServer { _ in .init(body: [1], delay: 3) }
        defer { server.stop() }
        var c = HTTPClient(timeout: 10)
        let token = CancelToken()
        c.cancel = token
        DispatchQueue.global().asyncAfter(deadline: .now() + 0.2) { token.cancel() }
        do { _ = try c.get(server.baseURL); Issue.record("expected cancel") } catch let e as OlleeyError { #expect(e.code == .interrupted) }
    }

    static let hasOpenSSL = ToolCheck.installed("openssl")

    @Test("https through libssl: trusted with the right CA, refused without it",
          .enabled(if: hasOpenSSL, "openssl command not installed (apt-get install openssl)"))
    func https() throws {
        let dir = TempDir()
        let cert = dir.path + "/cert.pem", key = dir.path + "/key.pem"
        try Subprocess.run("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "1",
                                       "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost"])
        // a free port: bind port 0, read it, release it for s_server
        let probe = try StandInHTTPServer { _ in .text("") }
        let port = probe.port
        probe.stop()
        var p = Subprocess("openssl", ["s_server", "-quiet", "-cert", cert, "-key", key, "-accept", "127.0.0.1:\(port)", "-www"])
        p.timeout = 20
        let token = CancelToken()
        p.cancel = token
        let done = DispatchSemaphore(value: 0)
        let server = p
        DispatchQueue.global().async { _ = try? server.run(); done.signal() }
        defer { token.cancel(); done.wait() }
        var c = HTTPClient(timeout: 5)
        c.caFile = cert
        var response: HTTPClientResponse?
        for _ in 0..<50 {
            if let r = try? c.get("https://localhost:\(port)/") { response = r; break }
            Thread.sleep(forTimeInterval: 0.1)
        }
        let r = try #require(response)
        #expect(r.status == 200)
        #expect(r.text.contains("s_server"))
        do { _ = try HTTPClient(timeout: 5).get("https://localhost:\(port)/"); Issue.record("expected an untrusted certificate") } catch let e as OlleeyError {
            #expect(e.message.contains("not trusted") || e.message.contains("TLS"))
        }
    }
}
