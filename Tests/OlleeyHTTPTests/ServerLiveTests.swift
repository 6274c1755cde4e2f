import Foundation
import OlleeyHTTP
import OlleeyTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The server on 127.0.0.1 port 0: HTTP/1.1 behaviour, limits, hostile clients.
@Suite("HTTP server, live", .serialized)
struct ServerLiveTests {
    func text(_ b: [UInt8]) -> String { String(decoding: b, as: UTF8.self) }

    @Test("keep-alive: several requests on one connection; nosniff, request id and Date on every response")
    func keepAlive() throws {
        let s = try LiveServer.standard()
        defer { s.stop() }
        let c = try RawClient(port: s.port)
        for i in 0..<3 {
            c.send("GET /items/\(i)?q=%C3%A9 HTTP/1.1\r\nHost: x\r\n\r\n")
            let r = try c.response()
            #expect(r.head.status == 200 && text(r.body) == "item \(i) q=é")
            #expect(r.head.headers["X-Content-Type-Options"] == "nosniff")
            #expect(r.head.headers["X-Request-Id"] != nil && r.head.headers["Date"] != nil)
            #expect(r.head.headers["Connection"] == nil)
        }
        c.send("GET /health HTTP/1.1\r\nHost: x\r\nX-Request-Id: abc-123\r\nConnection: close\r\n\r\n")
        let last = try c.response()
        #expect(last.head.headers["X-Request-Id"] == "abc-123" && last.head.headers["Connection"] == "close")
        #expect(c.isClosedByPeer())
        // an insane request id is replaced
        let d = try RawClient(port: s.port)
        d.send("GET /health HTTP/1.1\r\nHost: x\r\nX-Request-Id: a b<script>\r\n\r\n")
        #expect(try d.response().head.headers["X-Request-Id"] != "a b<script>")
    }

    @Test("HTTP/1.0: closed after the response unless keep-alive is asked for")
    func http10() throws {
        let s = try LiveServer.standard()
        defer { s.stop() }
        let c = try RawClient(port: s.port)
        c.send("GET /health HTTP/1.0\r\n\r\n")
        #expect(try c.response().head.status == 200)
        #expect(c.isClosedByPeer())
        let k = try RawClient(port: s.port)
        k.send("GET /health HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        #expect(try k.response().head.headers["Connection"] == "keep-alive")
        k.send("GET /health HTTP/1.0\r\n\r\n")
        #expect(try k.response().head.status == 200)
    }

    @Test("pipelining: responses in request order, a slow pool request first, a loop request after it")
    func pipelining() throws {
        let s = try LiveServer.standard()
        defer { s.stop() }
        let c = try RawClient(port: s.port)
        c.send("GET /slow?ms=300 HTTP/1.1\r\nHost: x\r\n\r\nGET /health HTTP/1.1\r\nHost: x\r\n\r\nPOST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhelloGET /items/7 HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(text(try c.response().body) == "slow")
        #expect(text(try c.response().body) == #"{"status":"healthy"}"#)
        #expect(text(try c.response().body) == "hello")
        #expect(text(try c.response().body) == "item 7 q=-")
    }

    @Test("a slow handler on the pool does not stall the loop: /health answers meanwhile")
    func slowHandlerDoesNotBlock() throws {
        let s = try LiveServer.standard()
        defer { s.stop() }
        let slow = try RawClient(port: s.port)
        slow.send("GET /slow?ms=1500 HTTP/1.1\r\nHost: x\r\n\r\n")
        usleep(50_000)
        let t0 = Date()
        let c = try RawClient(port: s.port)
        c.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try c.response().head.status == 200)
        #expect(Date().timeIntervalSince(t0) < 0.5)
        #expect(text(try slow.response().body) == "slow")
    }

    @Test("chunked request bodies (with extensions and trailers); Expect: 100-continue answered before the body")
    func chunkedAndContinue() throws {
        let s = try LiveServer.standard()
        defer { s.stop() }
        let c = try RawClient(port: s.port)
        c.send("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n")
        #expect(text(try c.response().body) == "hello world")
        c.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n")
        var buf = [UInt8](repeating: 0, count: 64)
        let n = recv(c.fd, &buf, 64, 0)
        #expect(n > 0 && text(Array(buf[0..<max(0, n)])) == "HTTP/1.1 100 Continue\r\n\r\n")
        c.send("data")
        #expect(text(try c.response().body) == "data")
        // an expectation the server does not know
        let e = try RawClient(port: s.port)
        e.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nExpect: teapot\r\n\r\nx")
        #expect(try e.response().head.status == 417)
        // bad chunk sizes
        let b = try RawClient(port: s.port)
        b.send("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n")
        #expect(try b.response().head.status == 400)
    }

    @Test("HEAD: the GET route's head with Content-Length and no body; 405 with Allow")
    func headAnd405() throws {
        let s = try LiveServer.standard()
        defer { s.stop() }
        let c = try RawClient(port: s.port)
        c.send("HEAD /health HTTP/1.1\r\nHost: x\r\n\r\nGET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        let h = try c.response(method: "HEAD")
        #expect(h.head.status == 200 && h.body.isEmpty && h.head.headers["Content-Length"] == "20")
        #expect(text(try c.response().body) == #"{"status":"healthy"}"#)  // the HEAD wrote no body bytes
        c.send("DELETE /health HTTP/1.1\r\nHost: x\r\n\r\n")
        let r = try c.response()
        #expect(r.head.status == 405 && r.head.headers["Allow"] == "GET, HEAD")
        let j = try #require(try JSONSerialization.jsonObject(with: Data(r.body)) as? [String: String])
        #expect(j["code"] == "method_not_allowed" && j["detail"] != nil)
        c.send("GET /nope HTTP/1.1\r\nHost: x\r\n\r\n")
        let nf = try c.response()
        #expect(nf.head.status == 404 && nf.head.headers["Content-Type"] == "application/json")
        c.send("OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n")
        let star = try c.response()
        #expect(star.head.status == 200 && star.head.headers["Allow"]?.contains("GET") == true)
        c.send("GET http://example.org/items/5 HTTP/1.1\r\nHost: example.org\r\n\r\n")
        #expect(text(try c.response().body) == "item 5 q=-")
    }

    @Test("431 for a head over 32 KiB or over 100 fields, sent before a lingering close so the client reads it")
    func headLimits() throws {
        let s = try LiveServer.standard()
        defer { s.stop() }
        let c = try RawClient(port: s.port)
        c.send("GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + String(repeating: "a", count: 65536) + "\r\n\r\n")
        let out = c.readAll()
        #expect(out.hasPrefix("HTTP/1.1 431 "), "\(out.prefix(80))")
        #expect(out.contains("\"code\":\"head_too_large\"") && out.contains("Connection: close"))
        let f = try RawClient(port: s.port)
        f.send("GET /health HTTP/1.1\r\nHost: x\r\n" + (0..<150).map { "X-\($0): v\r\n" }.joined() + "\r\n")
        #expect(f.readAll().hasPrefix("HTTP/1.1 431 "))
    }

    @Test("413 for a JSON body over 2 MiB (by Content-Length, and by chunks), while the client is still sending")
    func bodyLimits() throws {
        let s = try LiveServer.standard()
        defer { s.stop() }
        let c = try RawClient(port: s.port)
        c.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3145728\r\n\r\n" + String(repeating: " ", count: 1024))
        #expect(c.readAll().hasPrefix("HTTP/1.1 413 "))
        let k = try RawClient(port: s.port)
        k.send("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
        let chunk = HTTPChunked.encode([UInt8](repeating: 97, count: 1 << 20))
        for _ in 0..<3 { k.send(chunk) }
        #expect(k.readAll().hasPrefix("HTTP/1.1 413 "))
    }

    @Test("slowloris: one deadline for the whole head; a byte at a time cannot hold the connection (408)")
    func slowloris() throws {
        let s = try LiveServer.standard({ $0.readTimeout = 0.5 })
        defer { s.stop() }
        let c = try RawClient(port: s.port)
        let t0 = Date()
        let bytes = Array("GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n".utf8)
        var got408 = false
        c.setTimeout(0.05)
        var out = ""
        for b in bytes {
            c.send([b])
            out += c.readAll()   // waits up to 50 ms for an answer
            if !out.isEmpty || Date().timeIntervalSince(t0) > 3 { break }
        }
        c.setTimeout(2)
        out += c.readAll()
        got408 = out.hasPrefix("HTTP/1.1 408 ")
        #expect(got408, "\(out.prefix(60))")
        // the head was still unfinished (60 bytes at 20 a second take 3 s): the deadline, not the end, closed it
        #expect(Date().timeIntervalSince(t0) < 1.5)
        #expect(eventually { s.server.openConnections == 0 })
    }

    @Test("idle keep-alive connections close after the idle timeout; the connection cap refuses more")
    func idleAndCap() throws {
        let s = try LiveServer.standard({ $0.idleTimeout = 0.3; $0.maxConnections = 3 })
        defer { s.stop() }
        let cs = try (0..<3).map { _ in try RawClient(port: s.port) }
        #expect(eventually { s.server.openConnections == 3 })
        let extra = try RawClient(port: s.port)
        #expect(extra.isClosedByPeer())
        #expect(cs.allSatisfy { $0.isClosedByPeer() })
        #expect(eventually { s.server.openConnections == 0 })
    }

    @Test("request smuggling: Transfer-Encoding with Content-Length is 400 and the connection closes; unknown codings refused")
    func smuggling() throws {
        let s = try LiveServer.standard()
        defer { s.stop() }
        let c = try RawClient(port: s.port)
        c.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /items/smuggled HTTP/1.1\r\nHost: x\r\n\r\n")
        let out = c.readAll()
        #expect(out.hasPrefix("HTTP/1.1 400 ") && !out.contains("smuggled"))
        for te in ["gzip", "chunked, gzip", "identity", "chunked, chunked"] {
            let d = try RawClient(port: s.port)
            d.send("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: \(te)\r\n\r\n0\r\n\r\n")
            let o = d.readAll()
            #expect(o.hasPrefix("HTTP/1.1 400 ") || o.hasPrefix("HTTP/1.1 501 "), "\(te): \(o.prefix(40))")
        }
        let two = try RawClient(port: s.port)
        two.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nContent-Length: 5\r\n\r\nabcde")
        #expect(two.readAll().hasPrefix("HTTP/1.1 400 "))
        let lf = try RawClient(port: s.port)
        lf.send("GET /health HTTP/1.1\r\nHost: x\nGET /items/smuggled HTTP/1.1\r\nHost: x\r\n\r\n")
        let o = lf.readAll()
        #expect(o.hasPrefix("HTTP/1.1 400 ") && !o.contains("smuggled"))
        let enc = try RawClient(port: s.port)
        enc.send("GET /path/%FF HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(enc.readAll().hasPrefix("HTTP/1.1 400 "))
    }

    @Test("half-closed: a client that shuts down its writing side still gets every answer, then the close")
    func halfClosed() throws {
        let s = try LiveServer.standard()
        defer { s.stop() }
        let c = try RawClient(port: s.port)
        c.send("GET /slow?ms=100 HTTP/1.1\r\nHost: x\r\n\r\nGET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        c.shutdownWrite()
        let out = c.readAll()
        #expect(out.components(separatedBy: "HTTP/1.1 200").count == 3, "\(out)")
        // half a head, then the close: no answer, no leak
        let p = try RawClient(port: s.port)
        p.send("GET /heal")
        p.shutdownWrite()
        #expect(p.readAll() == "")
        #expect(eventually { s.server.openConnections == 0 })
    }

    @Test("files with Range: 200 whole, 206 with Content-Range, suffix ranges, 416, If-None-Match 304")
    func ranges() throws {
        let dir = TempDir("olleey-http")
        let content = String((0..<1000).map { Character(UnicodeScalar(UInt8(97 + $0 % 26))) })
        let path = dir.write("f.txt", content)
        let s = try LiveServer.standard(extra: { r in
            r.on("GET", "/file") { req, _ in try HTTPResponse.file(path, request: req, contentType: "text/plain") }
            r.on("GET", "/missing") { req, _ in try HTTPResponse.file(dir.file("none"), request: req) }
        })
        defer { s.stop() }
        let c = try RawClient(port: s.port)
        c.send("GET /file HTTP/1.1\r\nHost: x\r\n\r\n")
        let whole = try c.response()
        #expect(whole.head.status == 200 && text(whole.body) == content && whole.head.headers["Accept-Ranges"] == "bytes")
        let etag = try #require(whole.head.headers["ETag"])
        c.send("GET /file HTTP/1.1\r\nHost: x\r\nRange: bytes=10-19\r\n\r\n")
        let part = try c.response()
        #expect(part.head.status == 206 && text(part.body) == String(Array(content)[10...19]))
        #expect(part.head.headers["Content-Range"] == "bytes 10-19/1000")
        c.send("GET /file HTTP/1.1\r\nHost: x\r\nRange: bytes=-5\r\n\r\n")
        #expect(text(try c.response().body) == String(content.suffix(5)))
        c.send("GET /file HTTP/1.1\r\nHost: x\r\nRange: bytes=5000-\r\n\r\n")
        let bad = try c.response()
        #expect(bad.head.status == 416 && bad.head.headers["Content-Range"] == "bytes */1000")
        c.send("GET /file HTTP/1.1\r\nHost: x\r\nIf-None-Match: \(etag)\r\n\r\n")
        let nm = try c.response()
        #expect(nm.head.status == 304 && nm.body.isEmpty)
        c.send("HEAD /file HTTP/1.1\r\nHost: x\r\nRange: bytes=0-1\r\n\r\n")
        let hd = try c.response(method: "HEAD")
        #expect(hd.head.status == 206 && hd.head.headers["Content-Length"] == "2" && hd.body.isEmpty)
        c.send("GET /missing HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try c.response().head.status == 404)
    }

    @Test("a streamed upload goes to a file up to the route's own limit; the file is removed after the handler")
    func streamedUpload() throws {
        let dir = TempDir("olleey-upload")
        let seen = Box<String>("")
        let s = try LiveServer.standard({ $0.uploadDirectory = dir.path }, extra: { r in
            r.on("PUT", "/upload", body: .streamed(maxBytes: 4 << 20)) { req, _ in
                let file = try #require(req.bodyFile)
                let data = try Data(contentsOf: URL(fileURLWithPath: file))
                seen.set(file)
                return .text("\(req.bodyLength) \(data.count) \(data.first ?? 0)")
            }
        })
        defer { s.stop() }
        let c = try RawClient(port: s.port)
        let size = 3 << 20
        c.send("PUT /upload HTTP/1.1\r\nHost: x\r\nContent-Length: \(size)\r\n\r\n")
        c.send([UInt8](repeating: 66, count: size))
        #expect(text(try c.response().body) == "\(size) \(size) 66")
        #expect(!seen.get().isEmpty && !FileManager.default.fileExists(atPath: seen.get()))
        let big = try RawClient(port: s.port)
        big.send("PUT /upload HTTP/1.1\r\nHost: x\r\nContent-Length: \(5 << 20)\r\n\r\n")
        #expect(big.readAll().hasPrefix("HTTP/1.1 413 "))
        #expect(eventually { ((try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? ["x"]).isEmpty })
    }

    @Test("a streaming response: chunks written over time arrive in order; HEAD gets no body")
    func streamingResponse() throws {
        let s = try LiveServer.standard(extra: { r in
            r.on("GET", "/events", execution: .loop) { _, _ in
                .stream(contentType: "text/event-stream") { w in
                    for i in 0..<5 { try w.write("data: \(i)\n\n"); usleep(20_000) }
                }
            }
        })
        defer { s.stop() }
        let c = try RawClient(port: s.port)
        c.send("GET /events HTTP/1.1\r\nHost: x\r\n\r\n")
        let r = try c.response()
        #expect(r.head.headers["Transfer-Encoding"] == "chunked" && r.head.headers["Content-Type"] == "text/event-stream")
        #expect(text(r.body) == (0..<5).map { "data: \($0)\n\n" }.joined())
        c.send("HEAD /events HTTP/1.1\r\nHost: x\r\n\r\n")
        let h = try c.response(method: "HEAD")
        #expect(h.head.status == 200 && h.body.isEmpty)
        c.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        let after = try c.response()
        #expect(after.head.status == 200 && text(after.body) == #"{"status":"healthy"}"#)
    }

    @Test("a stream to an HTTP/1.0 client: no chunked coding, the body ends with the connection")
    func streamHTTP10() throws {
        let s = try LiveServer.standard(extra: { r in
            r.on("GET", "/events") { _, _ in
                .stream(contentType: "text/plain") { w in for i in 0..<3 { try w.write("line \(i)\n") } }
            }
        })
        defer { s.stop() }
        let c = try RawClient(port: s.port)
        c.send("GET /events HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        let out = c.readAll()
        #expect(out.hasPrefix("HTTP/1.1 200 ") && !out.contains("Transfer-Encoding") && out.contains("Connection: close"), "\(out)")
        #expect(out.hasSuffix("\r\n\r\nline 0\nline 1\nline 2\n"), "\(out)")
    }

    @Test("a stream whose client goes away: write throws and the handler ends")
    func streamClientGone() throws {
        let ended = Box<Bool>(false)
        let s = try LiveServer.standard(extra: { r in
            r.on("GET", "/forever") { _, _ in
                .stream(contentType: "text/plain") { w in
                    defer { ended.set(true) }
                    for _ in 0..<10_000 { try w.write(String(repeating: "x", count: 1000)); usleep(1000) }
                }
            }
        })
        defer { s.stop() }
        do {
            let c = try RawClient(port: s.port)
            c.send("GET /forever HTTP/1.1\r\nHost: x\r\n\r\n")
            var buf = [UInt8](repeating: 0, count: 100)
            _ = recv(c.fd, &buf, 100, 0)
        }
        #expect(eventually(5) { ended.get() })
        #expect(eventually { s.server.openConnections == 0 })
    }

    @Test("errors: thrown HTTPError is JSON; any other error is a 500 without its text")
    func errors() throws {
        struct Secret: Error, CustomStringConvertible { var description: String { "SQLITE_BUSY at /secret/path.swift" } }
        let s = try LiveServer.standard(extra: { r in
            r.on("GET", "/boom") { _, _ in throw Secret() }
            r.on("GET", "/teapot") { _, _ in throw HTTPError(418, "short and stout", code: "teapot") }
        })
        defer { s.stop() }
        let c = try RawClient(port: s.port)
        c.send("GET /boom HTTP/1.1\r\nHost: x\r\n\r\n")
        let r = try c.response()
        #expect(r.head.status == 500 && !text(r.body).contains("SQLITE") && !text(r.body).contains("secret"))
        #expect(text(r.body) == #"{"detail":"internal server error","code":"internal"}"#)
        c.send("GET /teapot HTTP/1.1\r\nHost: x\r\n\r\n")
        let t = try c.response()
        #expect(t.head.status == 418 && text(t.body) == #"{"detail":"short and stout","code":"teapot"}"#)
    }

    @Test("CORS: preflight answered for a configured origin; other origins get no CORS fields")
    func cors() throws {
        let s = try LiveServer { _ in } routes: { r, _ in
            r.use(CORSMiddleware(origins: ["https://app.example"]))
            r.on("GET", "/health", execution: .loop) { _, _ in .text("ok") }
        }
        defer { s.stop() }
        let c = try RawClient(port: s.port)
        c.send("OPTIONS /health HTTP/1.1\r\nHost: x\r\nOrigin: https://app.example\r\nAccess-Control-Request-Method: GET\r\n\r\n")
        let p = try c.response()
        #expect(p.head.status == 204 && p.head.headers["Access-Control-Allow-Origin"] == "https://app.example")
        #expect(p.head.headers["Access-Control-Allow-Methods"]?.contains("GET") == true)
        c.send("GET /health HTTP/1.1\r\nHost: x\r\nOrigin: https://evil.example\r\n\r\n")
        let e = try c.response()
        #expect(e.head.status == 200 && e.head.headers["Access-Control-Allow-Origin"] == nil)
        c.send("GET /health HTTP/1.1\r\nHost: x\r\nOrigin: https://app.example\r\n\r\n")
        #expect(try c.response().head.headers["Access-Control-Allow-Origin"] == "https://app.example")
    }

    @Test("rate limits: X-RateLimit headers, then 429 with Retry-After, per key, on a group only")
    func rateLimit() throws {
        let store = InMemoryRateLimitStore()
        let s = try LiveServer { _ in } routes: { r, _ in
            r.use(ErrorMiddleware(sink: HTTPLogSink(fd: -1)))
            r.group("/auth", middleware: [RateLimitMiddleware.perIP("auth", store: store, limit: 3, window: 60)])
                .on("POST", "/login") { _, _ in throw HTTPError(401, "bad credentials", code: "unauthorized") }
            r.on("GET", "/free") { _, _ in .text("ok") }
        }
        defer { s.stop() }
        let c = try RawClient(port: s.port)
        var statuses: [Int] = []
        for _ in 0..<5 {
            c.send("POST /auth/login HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
            let r = try c.response()
            statuses.append(r.head.status)
            #expect(r.head.headers["X-RateLimit-Limit"] == "3" && r.head.headers["X-RateLimit-Reset"] != nil)
            if r.head.status == 429 { #expect(r.head.headers["Retry-After"] != nil) }
        }
        #expect(statuses == [401, 401, 401, 429, 429])
        c.send("GET /free HTTP/1.1\r\nHost: x\r\n\r\n")
        let f = try c.response()
        #expect(f.head.status == 200 && f.head.headers["X-RateLimit-Limit"] == nil)
    }

    @Test("graceful stop: a request in flight finishes, idle connections close, new connections are refused, wait returns")
    func gracefulStop() throws {
        let s = try LiveServer.standard()
        let idle = try RawClient(port: s.port)
        let busy = try RawClient(port: s.port)
        busy.send("GET /slow?ms=500 HTTP/1.1\r\nHost: x\r\n\r\n")
        usleep(100_000)
        let t0 = Date()
        s.server.stop()
        #expect(idle.isClosedByPeer())
        let r = try busy.response()
        #expect(r.head.status == 200 && text(r.body) == "slow" && r.head.headers["Connection"] == "close")
        s.server.wait()
        #expect(Date().timeIntervalSince(t0) < 3)
        #expect(throws: (any Error).self) { _ = try RawClient(port: s.port).response() }
    }

    @Test("fuzz: random and mutated requests for a few seconds; then /health answers and no connection is left")
    func fuzz() throws {
        let s = try LiveServer.standard({ $0.readTimeout = 0.5; $0.idleTimeout = 0.5; $0.lingerTimeout = 0.2 })
        defer { s.stop() }
        var rng = SeededGenerator(seed: 0x5eed)
        let seeds = [
            "GET /items/1?q=2 HTTP/1.1\r\nHost: x\r\n\r\n",
            "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello",
            "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
            "HEAD /health HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n\r\n",
            "OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n",
        ].map { Array($0.utf8) }
        let deadline = Date().addingTimeInterval(4)
        var sent = 0
        while Date() < deadline {
            let c = try RawClient(port: s.port, timeout: 0.3)
            var payload: [UInt8] = []
            for _ in 0..<Int.random(in: 1...3, using: &rng) {
                var m = seeds[Int.random(in: 0..<seeds.count, using: &rng)]
                switch Int.random(in: 0..<4, using: &rng) {
                case 0: m = (0..<Int.random(in: 1...200, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
                case 1:
                    for _ in 0..<Int.random(in: 1...8, using: &rng) where !m.isEmpty { m[Int.random(in: 0..<m.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng) }
                case 2:
                    if !m.isEmpty { m = Array(m[0..<Int.random(in: 0..<m.count, using: &rng)]) }
                default:
                    let i = Int.random(in: 0...m.count, using: &rng)
                    m.insert(contentsOf: [13, 10, 10, 0, 32, 58, 37].shuffled(using: &rng).prefix(Int.random(in: 1...4, using: &rng)), at: i)
                }
                payload += m
            }
            c.send(payload)
            if Bool.random(using: &rng) { c.shutdownWrite() }
            _ = c.readAll()
            sent += 1
        }
        #expect(sent > 20)
        let h = try RawClient(port: s.port)
        h.send("GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        #expect(try h.response().head.status == 200)
        #expect(eventually(3) { s.server.openConnections == 0 }, "open: \(s.server.openConnections)")
    }
}

final class Box<T: Sendable>: @unchecked Sendable {
    let lock = NSLock()
    var value: T
    init(_ v: T) { value = v }
    func get() -> T { lock.lock(); defer { lock.unlock() }; return value }
    func set(_ v: T) { lock.lock(); value = v; lock.unlock() }
}

struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
