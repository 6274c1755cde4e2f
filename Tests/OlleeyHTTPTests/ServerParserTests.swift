import Foundation
import OlleeyHTTP
import Testing

/// The server's head parser, targets, ranges, the router and OpenAPI, from literals.
@Suite struct ServerParserTests {
    func parse(_ s: String, maxHead: Int = 32 << 10, maxFields: Int = 100) -> HTTPServerParser.Outcome {
        Array(s.utf8).withUnsafeBytes { HTTPServerParser.parse($0, maxHeadBytes: maxHead, maxFields: maxFields) }
    }

    func status(_ s: String) -> Int? {
        if case let .error(st, _) = parse(s) { return st }
        return nil
    }

    @Test("a valid head: method, target, fields in order; what it consumed; pipelined bytes stay")
    func valid() throws {
        let text = "\r\nPOST /a?b=1 HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nX-A:  v v \r\n\r\nabcGET / HTTP/1.1\r\n"
        guard case let .head(h, consumed) = parse(text) else { Issue.record("not parsed: \(parse(text))"); return }
        #expect(h.method == "POST" && h.target == "/a?b=1" && h.version == "HTTP/1.1")
        #expect(h.headers.fields.map(\.name) == ["Host", "Content-Length", "X-A"])
        #expect(h.headers["x-a"] == "v v")
        #expect(String(decoding: Array(text.utf8)[consumed...], as: UTF8.self) == "abcGET / HTTP/1.1\r\n")
    }

    @Test("an unfinished head is incomplete, at every split point")
    func incomplete() {
        let text = "GET /x HTTP/1.1\r\nHost: x\r\n\r\n"
        for i in 0..<(text.utf8.count - 1) {
            let part = String(decoding: Array(text.utf8)[0...i], as: UTF8.self)
            #expect(parse(part) == .incomplete, "at \(i)")
        }
    }

    @Test("hostile heads: 400", arguments: [
        "GET / HTTP/1.1\nHost: x\r\n\r\n",                  // bare LF ends a line
        "GET / HTTP/1.1\r\nHost: x\nX: y\r\n\r\n",           // bare LF inside the fields
        "GET / HTTP/1.1\r\nHost: x\r\nX: a\n\r\n",           // bare LF as the last line
        "GET / HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n",      // obs-fold
        "GET / HTTP/1.1\r\nHost : x\r\n\r\n",                // space before colon
        "GET / HTTP/1.1\r\nHost: x\r\nX: a\rb\r\n\r\n",      // bare CR in a value
        "GET / HTTP/1.1\r\n\r\n",                            // no Host
        "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",      // two Hosts
        "\u{16}\u{03}\u{01} nonsense\r\n\r\n",               // TLS / garbage
        "GET /a b HTTP/1.1\r\nHost: x\r\n\r\n",
        "GET / HTTP/2.0\r\nHost: x\r\n\r\n",
        "GET  / HTTP/1.1\r\nHost: x\r\n\r\n",
        "GET / http/1.1\r\nHost: x\r\n\r\n",
        "GET\t/ HTTP/1.1\r\nHost: x\r\n\r\n",
        "GET / HTTP/1.1\r\nX\u{0}: y\r\nHost: x\r\n\r\n",
    ])
    func hostile(_ text: String) {
        #expect(status(text) == 400, "\(text.debugDescription): \(parse(text))")
    }

    @Test("a bare LF never splits one request into two: the smuggled second request is never seen")
    func bareLFSmuggling() {
        let text = "GET /a HTTP/1.1\r\nHost: x\r\nX: y\nGET /admin HTTP/1.1\r\nHost: x\r\n\r\n"
        #expect(status(text) == 400)
    }

    @Test("limits: a head over 32 KiB and more than 100 fields are 431, also before the head ends")
    func limits() {
        let big = "GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + String(repeating: "a", count: 33 << 10) + "\r\n\r\n"
        #expect(status(big) == 431)
        let unfinished = "GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + String(repeating: "a", count: 33 << 10)
        #expect(status(unfinished) == 431)
        let many = "GET / HTTP/1.1\r\nHost: x\r\n" + (0..<100).map { "X-\($0): v\r\n" }.joined() + "\r\n"
        #expect(status(many) == 431)
        let hundred = "GET / HTTP/1.1\r\nHost: x\r\n" + (0..<99).map { "X-\($0): v\r\n" }.joined() + "\r\n"
        if case .head = parse(hundred) {} else { Issue.record("100 fields refused") }
    }

    @Test("targets: origin, absolute and asterisk forms; percent-decoding per segment; queries")
    func targets() throws {
        let t = try HTTPTarget.parse("/a%20b/c%2Fd?x=1&y=a+b%26c&flag", method: "GET")
        #expect(t.path == "/a b/c/d" && t.segments == ["a b", "c/d"])
        #expect(t.query.map(\.name) == ["x", "y", "flag"] && t.query.map(\.value) == ["1", "a b&c", ""])
        #expect(t.rawQuery == "x=1&y=a+b%26c&flag")
        let abs = try HTTPTarget.parse("http://example.org:8000/health?q=1", method: "GET")
        #expect(abs.path == "/health" && abs.query.first?.value == "1")
        #expect(try HTTPTarget.parse("http://example.org", method: "GET").path == "/")
        #expect(try HTTPTarget.parse("*", method: "OPTIONS").path == "*")
        #expect(try HTTPTarget.parse("/caf%C3%A9", method: "GET").path == "/café")
    }

    @Test("bad targets are refused", arguments: [
        ("*", "GET"), ("/a%zz", "GET"), ("/a%2", "GET"), ("/%C3%28", "GET"), ("/a?x=%FF", "GET"), ("/a%00b", "GET"),
        ("/a/../b", "GET"), ("/%2e%2e/etc", "GET"), ("example.org:443", "CONNECT"), ("ftp://x/y", "GET"), ("/a#frag", "GET"),
    ])
    func badTargets(_ c: (String, String)) {
        #expect(throws: HTTPTarget.Failure.self) { try HTTPTarget.parse(c.0, method: c.1) }
    }

    @Test("Range: bytes=a-b, a-, -n; unsatisfiable; several ranges or junk serve the whole file")
    func ranges() {
        #expect(HTTPRange.parse("bytes=0-9", size: 100) == .range(0, 9))
        #expect(HTTPRange.parse("bytes=90-", size: 100) == .range(90, 99))
        #expect(HTTPRange.parse("bytes=-10", size: 100) == .range(90, 99))
        #expect(HTTPRange.parse("bytes=50-500", size: 100) == .range(50, 99))
        #expect(HTTPRange.parse("bytes=100-", size: 100) == .unsatisfiable)
        #expect(HTTPRange.parse("bytes=-0", size: 100) == .unsatisfiable)
        #expect(HTTPRange.parse("bytes=0-1,5-6", size: 100) == HTTPRange.none)
        #expect(HTTPRange.parse("bytes=9-1", size: 100) == HTTPRange.none)
        #expect(HTTPRange.parse("items=0-1", size: 100) == HTTPRange.none)
        #expect(HTTPRange.parse("bytes=a-b", size: 100) == HTTPRange.none)
    }

    @Test("router: static and :param / {param} routes, groups with prefix and middleware, 405 with Allow, HEAD from GET")
    func router() throws {
        let r = HTTPRouter()
        let tag = HTTPMiddlewareFunction { req, ctx, next in
            var resp = try next(req, ctx); resp.headers.set("X-Group", "v1"); return resp
        }
        r.on("GET", "/jobs") { _, _ in .text("list") }
        r.on("POST", "/jobs") { _, _ in .text("create") }
        let g = r.group("/api/v1", middleware: [tag], tags: ["v1"])
        g.on("GET", "/jobs/{id}/languages/:lang") { _, ctx in .text(try ctx.parameter("id") + "/" + (try ctx.parameter("lang"))) }
        func run(_ m: String, _ path: String) throws -> HTTPResponse {
            let req = try HTTPRequest(method: m, target: path)
            return try r.respond(req, HTTPContext(), match: r.match(method: m, path: req.path, segments: req.segments))
        }
        #expect(try bodyText(run("GET", "/jobs")) == "list")
        #expect(try bodyText(run("HEAD", "/jobs")) == "list")
        let v1 = try run("GET", "/api/v1/jobs/j1/languages/es")
        #expect(bodyText(v1) == "j1/es" && v1.headers["X-Group"] == "v1")
        #expect(r.routes.last?.tags == ["v1"] && r.routes.last?.openAPIPath == "/api/v1/jobs/{id}/languages/{lang}")
        guard case let .methodNotAllowed(allow) = r.match(method: "DELETE", path: "/jobs", segments: ["jobs"]) else { Issue.record("no 405"); return }
        #expect(allow == ["GET", "HEAD", "POST"])
        #expect(throws: HTTPError.self) { try run("DELETE", "/jobs") }
        do { _ = try run("GET", "/nope") } catch let e as HTTPError { #expect(e.status == 404) }
        do { _ = try run("PUT", "/jobs") } catch let e as HTTPError { #expect(e.status == 405 && e.headers["Allow"] == "GET, HEAD, POST") }
    }

    @Test("router: a literal segment wins over a parameter whatever the order; {rest...} and *rest match the rest of the path")
    func routerSpecificityAndRest() throws {
        let r = HTTPRouter()
        // the parameter route is added first: the literal one must still win
        r.on("GET", "/jobs/{id}/versions/{lang}/{version_id}") { _, ctx in .text("version " + (try ctx.parameter("version_id"))) }
        r.on("GET", "/jobs/{id}/versions/{lang}/diff") { _, ctx in .text("diff " + (try ctx.parameter("lang"))) }
        r.on("GET", "/files/{job_id}/{path...}") { _, ctx in .text((try ctx.parameter("job_id")) + ":" + (try ctx.parameter("path"))) }
        r.on("GET", "/raw/*rest") { _, ctx in .text(try ctx.parameter("rest")) }
        r.on("GET", "/files/{job_id}/fixed/{x}") { _, ctx in .text("fixed " + (try ctx.parameter("x"))) }
        func run(_ m: String, _ path: String) throws -> HTTPResponse {
            let req = try HTTPRequest(method: m, target: path)
            return try r.respond(req, HTTPContext(), match: r.match(method: m, path: req.path, segments: req.segments))
        }
        #expect(try bodyText(run("GET", "/jobs/j/versions/es/diff")) == "diff es")
        #expect(try bodyText(run("GET", "/jobs/j/versions/es/3")) == "version 3")
        #expect(try bodyText(run("GET", "/files/j1/es/talk.es.mp4")) == "j1:es/talk.es.mp4")
        #expect(try bodyText(run("GET", "/files/j1/a.vtt")) == "j1:a.vtt")
        #expect(try bodyText(run("GET", "/files/j1/fixed/y")) == "fixed y")
        #expect(try bodyText(run("GET", "/raw/a/b/c")) == "a/b/c")
        // the rest needs one segment at least, and no empty ones
        #expect(throws: HTTPError.self) { try run("GET", "/files/j1") }
        #expect(throws: HTTPError.self) { try run("GET", "/files/j1/a//b") }
        // dot segments never reach a route
        #expect(throws: (any Error).self) { try HTTPRequest(method: "GET", target: "/files/j1/../../etc/passwd") }
        let paths = r.routes.map(\.openAPIPath)
        #expect(paths.contains("/files/{job_id}/{path}") && paths.contains("/raw/{rest}"))
        #expect(r.routes.first { $0.path == "/files/{job_id}/{path...}" }?.parameterNames == ["job_id", "path"])
    }

    @Test("OpenAPI 3.1 from the route table: paths in {param} form, operations, security, schemas referenced")
    func openAPI() throws {
        let r = HTTPRouter()
        r.on("GET", "/health", summary: "health", tags: ["meta"], responseSchema: "Health") { _, _ in .text("") }
        r.on("GET", "/jobs/:id", summary: "a job", requiresAuth: true) { _, _ in .text("") }
        r.on("POST", "/jobs", requiresAuth: true, requestSchema: "JobCreate", responseSchema: "Job") { _, _ in .text("") }
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(OpenAPIDocument.generate(r, title: "t", version: "1"))) as? [String: Any])
        #expect(doc["openapi"] as? String == "3.1.0")
        let paths = try #require(doc["paths"] as? [String: Any])
        #expect(Set(paths.keys) == ["/health", "/jobs/{id}", "/jobs"])
        let get = try #require((paths["/jobs/{id}"] as? [String: Any])?["get"] as? [String: Any])
        #expect((get["parameters"] as? [[String: Any]])?.first?["name"] as? String == "id")
        #expect(get["security"] != nil)
        let schemas = try #require((doc["components"] as? [String: Any])?["schemas"] as? [String: Any])
        #expect(Set(schemas.keys).isSuperset(of: ["Health", "JobCreate", "Job", "Error"]))
    }

    @Test("the in-memory rate-limit store: a fixed window per key, remaining, reset, then allowed again")
    func rateLimitStore() {
        let clock = TestClock()
        let s = InMemoryRateLimitStore(clock: { clock.now })
        let d = (0..<3).map { _ in s.hit(key: "a", limit: 2, window: 60) }
        #expect(d.map(\.allowed) == [true, true, false])
        #expect(d.map(\.remaining) == [1, 0, 0])
        #expect(d[2].retryAfter == 60 && d[2].resetAt == clock.now + 60)
        #expect(s.hit(key: "b", limit: 2, window: 60).allowed)
        clock.now += 61
        #expect(s.hit(key: "a", limit: 2, window: 60).allowed)
    }

    @Test("metrics: Prometheus text with requests by route and status, a cumulative histogram, gauges")
    func metrics() {
        let m = HTTPMetrics()
        m.observe(method: "GET", route: "/jobs/:id", status: 200, nanos: 2_000_000)
        m.observe(method: "GET", route: "/jobs/:id", status: 200, nanos: 200_000_000)
        m.addGauge("olleey_jobs", help: "Jobs by status.") { [(labels: [("status", "queued")], value: 3)] }
        let text = m.render()
        #expect(text.contains("http_requests_total{method=\"GET\",route=\"/jobs/:id\",status=\"200\"} 2"))
        #expect(text.contains("http_request_duration_seconds_bucket{route=\"/jobs/:id\",le=\"0.0025\"} 1"))
        #expect(text.contains("http_request_duration_seconds_bucket{route=\"/jobs/:id\",le=\"+Inf\"} 2"))
        #expect(text.contains("# TYPE http_open_connections gauge"))
        #expect(text.contains("olleey_jobs{status=\"queued\"} 3"))
    }

    @Test("JSON writer: escapes quotes, backslashes and control characters")
    func jsonWriter() throws {
        var w = JSONWriter()
        w.object { o in o.field("a", "q\"b\\n\n\u{1}é"); o.key("n"); o.value(fixed: 1234, decimals: 3); o.field("t", true) }
        let back = try #require(try JSONSerialization.jsonObject(with: Data(w.bytes)) as? [String: Any])
        #expect(back["a"] as? String == "q\"b\\n\n\u{1}é")
        #expect(back["n"] as? Double == 1.234)
        #expect(String(decoding: w.bytes, as: UTF8.self).contains("1.234"))
    }
}

func bodyText(_ r: HTTPResponse) -> String {
    if case let .bytes(b) = r.body { return String(decoding: b, as: UTF8.self) }
    return ""
}

final class TestClock: @unchecked Sendable {
    var now = 1000
}

/// What handlers use to read requests: JSON bodies, bearer tokens, cookies.
@Suite struct RequestHelperTests {
    struct Login: Decodable, Equatable { var email: String; var password: String }

    func request(_ headers: [(String, String)], body: String = "") throws -> HTTPRequest {
        try HTTPRequest(method: "POST", target: "/auth/login", headers: HTTPHeaders(headers), body: Array(body.utf8))
    }

    @Test("a JSON body decodes; malformed JSON is 400 invalid_json without the decoder's text; another media type is 415")
    func json() throws {
        let ok = try request([("Content-Type", "application/json; charset=utf-8")], body: #"{"email":"a@b","password":"p"}"#)
        #expect(try ok.decodeJSON(Login.self) == Login(email: "a@b", password: "p"))
        do {
            _ = try request([("Content-Type", "application/json")], body: "{not json").decodeJSON(Login.self)
            Issue.record("accepted")
        } catch let error as HTTPError {
            #expect(error.status == 400 && error.code == "invalid_json" && !error.detail.contains("not json"))
        }
        do {
            _ = try request([("Content-Type", "text/plain")], body: "{}").decodeJSON(Login.self)
            Issue.record("accepted")
        } catch let error as HTTPError {
            #expect(error.status == 415)
        }
        #expect(try request([("Content-Type", "application/problem+json")], body: #"{"email":"x","password":"y"}"#).decodeJSON(Login.self).email == "x")
    }

    @Test("bearer tokens: the scheme is case-insensitive; other schemes and empty tokens are nil; cookies by name")
    func bearerAndCookies() throws {
        #expect(try request([("Authorization", "Bearer abc.def")]).bearerToken == "abc.def")
        #expect(try request([("Authorization", "bearer abc")]).bearerToken == "abc")
        #expect(try request([("authorization", "BEARER  abc ")]).bearerToken == "abc")
        #expect(try request([("Authorization", "Basic abc")]).bearerToken == nil)
        #expect(try request([("Authorization", "Bearer")]).bearerToken == nil)
        #expect(try request([]).bearerToken == nil)
        let c = try request([("Cookie", "a=1; refresh_token=xyz"), ("Cookie", "b=2")])
        #expect(c.cookie("refresh_token") == "xyz" && c.cookie("b") == "2" && c.cookie("none") == nil)
    }
}
