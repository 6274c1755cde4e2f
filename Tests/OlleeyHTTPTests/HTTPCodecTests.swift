import OlleeyHTTP
import Testing

/// The HTTP/1.1 message codec, from literal bytes (no sockets).
@Suite struct HTTPCodecTests {
    func requestReader(_ text: String, piece: Int = .max, options: HTTPParseOptions = .server) -> HTTPMessageReader<HTTPBytesSource> {
        HTTPMessageReader(HTTPBytesSource(text, piece: piece), options: options)
    }

    func parseError(_ text: String, options: HTTPParseOptions = .server, response: Bool = false) -> HTTPParseError? {
        var r = requestReader(text, options: options)
        do {
            if response { _ = try r.readResponseHead() } else { _ = try r.readRequestHead() }
            return nil
        } catch let e as HTTPParseError { return e } catch { return nil }
    }

    @Test("a request head: line, fields in order, names case-insensitive; partial reads give the same head")
    func requestHead() throws {
        let text = "POST /jobs?x=1 HTTP/1.1\r\nHost: example.org\r\ncontent-type: application/json\r\nX-A: 1\r\nx-a:  2 \r\n\r\n"
        for piece in [1, 3, 1000] {
            var r = requestReader(text, piece: piece)
            let h = try #require(try r.readRequestHead())
            #expect(h.method == "POST" && h.target == "/jobs?x=1" && h.version == "HTTP/1.1")
            #expect(h.headers["CONTENT-TYPE"] == "application/json")
            #expect(h.headers.all("x-A") == ["1", "2"])
            #expect(h.headers.fields.map(\.name) == ["Host", "content-type", "X-A", "x-a"])
            #expect(try r.readRequestHead() == nil)
        }
    }

    @Test("pipelined requests: bytes after one message stay for the next")
    func pipelined() throws {
        var r = requestReader("GET /a HTTP/1.1\r\nHost: h\r\n\r\nPOST /b HTTP/1.1\r\nContent-Length: 3\r\n\r\nabcGET /c HTTP/1.0\r\n\r\n", piece: 5)
        #expect(try r.readRequestHead()?.target == "/a")
        let b = try #require(try r.readRequestHead())
        var sink = HTTPMemorySink()
        try r.readBody(try HTTPBodyFraming.of(b), into: &sink)
        #expect(sink.bytes == Array("abc".utf8))
        #expect(try r.readRequestHead()?.version == "HTTP/1.0")
    }

    @Test("malformed request lines are refused", arguments: [
        "GET /\r\n\r\n", "GET  / HTTP/1.1\r\n\r\n", "GET / HTTP/2.0\r\n\r\n", "GET / HTTP/1.1 x\r\n\r\n",
        "G(T / HTTP/1.1\r\n\r\n", "GET / http/1.1\r\n\r\n", "GET /a b HTTP/1.1\r\n\r\n",
    ])
    func badRequestLine(_ text: String) {
        guard case .badStartLine = parseError(text) else { Issue.record("accepted: \(text.debugDescription)"); return }
    }

    @Test("malformed field lines are refused by a server", arguments: [
        "NoColon\r\n", ": empty name\r\n", "Sp ace: v\r\n", "Name : v\r\n", "Bad\u{01}: v\r\n", "X: a\u{01}b\r\n",
    ])
    func badField(_ line: String) {
        guard case .badField = parseError("GET / HTTP/1.1\r\n" + line + "\r\n") else { Issue.record("accepted: \(line.debugDescription)"); return }
    }

    @Test("obs-fold: refused in a request, unfolded to one space in a response (RFC 9112 5.2)")
    func obsFold() throws {
        #expect(parseError("GET / HTTP/1.1\r\nX-Long: a\r\n b\r\n\r\n") == .obsFold)
        #expect(parseError("GET / HTTP/1.1\r\nX-Long: a\r\n\tb\r\n\r\n") == .obsFold)
        var r = requestReader("HTTP/1.1 200 OK\r\nX-Long: a\r\n   b\r\nY: c\r\n\r\n", options: .client)
        let h = try r.readResponseHead()
        #expect(h.headers["x-long"] == "a b")
        #expect(h.headers["y"] == "c")
    }

    @Test("limits: an oversize head, too many fields, an overlong line")
    func limits() {
        let small = HTTPParseOptions(maxLineBytes: 64, maxHeadBytes: 100, maxFields: 3, strict: true)
        #expect(parseError("GET / HTTP/1.1\r\nA: \(String(repeating: "x", count: 50))\r\nB: \(String(repeating: "y", count: 50))\r\n\r\n", options: small) == .headTooLarge(limit: 100))
        #expect(parseError("GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n", options: small) == .tooManyFields(limit: 3))
        #expect(parseError("GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", options: small) == nil)
        #expect(parseError("GET /\(String(repeating: "a", count: 70)) HTTP/1.1\r\n\r\n", options: small) == .lineTooLong(limit: 64))
        // a line that never ends is refused once it passes the limit, not read forever
        #expect(parseError("GET /" + String(repeating: "a", count: 200), options: small) == .lineTooLong(limit: 64))
        // the server defaults: 32 KiB, 100 fields
        let many = (0..<101).map { "F\($0): v\r\n" }.joined()
        #expect(parseError("GET / HTTP/1.1\r\n" + many + "\r\n") == .tooManyFields(limit: 100))
        #expect(parseError("GET / HTTP/1.1\r\nA: \(String(repeating: "x", count: 33 << 10))\r\n\r\n") == .lineTooLong(limit: 32 << 10))
    }

    @Test("a stream that ends inside a head")
    func truncatedHead() {
        #expect(parseError("GET / HTTP/1.1\r\nHost: h\r\n") == .closedInHead)
        #expect(parseError("HTTP/1.1 200 OK\r\n", options: .client, response: true) == .closedInHead)
    }

    @Test("status lines: interim responses skipped, reason optional, garbage refused")
    func responseHead() throws {
        var r = requestReader("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201\r\nLocation: /x\r\n\r\n", options: .client)
        let h = try r.readResponseHead()
        #expect(h.status == 201 && h.reason == "" && h.headers["location"] == "/x")
        for bad in ["SSH-2.0-OpenSSH\r\n\r\n", "HTTP/1.1 20 OK\r\n\r\n", "HTTP/1.1 abc OK\r\n\r\n", "HTTP/1.1 099 x\r\n\r\n"] {
            guard case .badStartLine = parseError(bad, options: .client, response: true) else { Issue.record("accepted \(bad.debugDescription)"); continue }
        }
    }

    @Test("heads serialize to what they parse from; CR or LF in a field is refused")
    func serialize() throws {
        var headers = HTTPHeaders([("Host", "h"), ("X-Y", "a b")])
        let req = HTTPRequestHead(method: "GET", target: "/p?q=1", headers: headers)
        #expect(String(decoding: try req.serialized(), as: UTF8.self) == "GET /p?q=1 HTTP/1.1\r\nHost: h\r\nX-Y: a b\r\n\r\n")
        var r = requestReader(String(decoding: try req.serialized(), as: UTF8.self))
        #expect(try r.readRequestHead() == req)
        let resp = HTTPResponseHead(status: 404, reason: "Not Found", headers: headers)
        #expect(String(decoding: try resp.serialized(), as: UTF8.self) == "HTTP/1.1 404 Not Found\r\nHost: h\r\nX-Y: a b\r\n\r\n")
        headers.add("Evil", "a\r\nInjected: 1")
        #expect(throws: HTTPParseError.self) { _ = try HTTPRequestHead(method: "GET", target: "/", headers: headers).serialized() }
        #expect(throws: HTTPParseError.self) { _ = try HTTPRequestHead(method: "GET", target: "/", headers: HTTPHeaders([("Bad Name", "v")])).serialized() }
        #expect(throws: HTTPParseError.self) { _ = try HTTPRequestHead(method: "GE T", target: "/").serialized() }
    }

    @Test("headers: set replaces every field of a name, remove removes them all")
    func headerEdits() {
        var h = HTTPHeaders([("A", "1"), ("a", "2"), ("B", "3")])
        h.set("A", "9")
        #expect(h.fields.map(\.name) == ["B", "A"] && h["a"] == "9")
        h.remove("b")
        #expect(h.count == 1 && !h.contains("B"))
    }

    @Test("chunked bodies decode, with extensions and trailers; split reads give the same bytes")
    func chunkedDecode() throws {
        let text = "4\r\nWiki\r\n5;name=v\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\nExpires: never\r\n\r\n"
        #expect(String(decoding: try HTTPChunked.decode(Array(text.utf8)), as: UTF8.self) == "Wikipedia in\r\n\r\nchunks.")
        var r = HTTPMessageReader(HTTPBytesSource(text, piece: 1), options: .server)
        var sink = HTTPMemorySink()
        try r.readBody(.chunked, into: &sink)
        #expect(String(decoding: sink.bytes, as: UTF8.self) == "Wikipedia in\r\n\r\nchunks.")
    }

    @Test("bad chunk sizes are refused", arguments: ["", "-1", "+1", "0x10", "g", "1 2", "1000000000000000", " "])
    func badChunkSize(_ size: String) {
        #expect(throws: HTTPParseError.badChunkSize(size)) { _ = try HTTPChunked.decode(Array("\(size)\r\nabc\r\n0\r\n\r\n".utf8)) }
    }

    @Test("chunk framing: data not followed by CRLF, and a body cut short")
    func chunkFraming() {
        #expect(throws: HTTPParseError.badChunkFraming) { _ = try HTTPChunked.decode(Array("3\r\nabcX\r\n0\r\n\r\n".utf8)) }
        #expect(throws: HTTPParseError.closedInBody) { _ = try HTTPChunked.decode(Array("5\r\nab".utf8)) }
        #expect(throws: HTTPParseError.closedInBody) { _ = try HTTPChunked.decode(Array("3\r\nabc\r\n".utf8)) }
    }

    @Test("chunked encoding round-trips, the empty chunk only at the end")
    func chunkedEncode() throws {
        let body = (0..<1000).map { UInt8($0 % 251) }
        let enc = HTTPChunked.encode(body: body, chunkSize: 300)
        #expect(String(decoding: enc.prefix(5), as: UTF8.self) == "12c\r\n")
        #expect(try HTTPChunked.decode(enc) == body)
        #expect(HTTPChunked.encode([]) == [])
        #expect(HTTPChunked.encode(body: []) == Array("0\r\n\r\n".utf8))
    }

    @Test("framing: Content-Length, chunked, none, until close; conflicting lengths and TE+CL refused")
    func framing() throws {
        func req(_ h: [(String, String)]) -> HTTPRequestHead { HTTPRequestHead(method: "POST", target: "/", headers: HTTPHeaders(h)) }
        #expect(try HTTPBodyFraming.of(req([("content-length", "12")])) == .length(12))
        #expect(try HTTPBodyFraming.of(req([("Content-Length", "5, 5")])) == .length(5))
        #expect(try HTTPBodyFraming.of(req([])) == .none)
        #expect(try HTTPBodyFraming.of(req([("Transfer-Encoding", "gzip, Chunked")])) == .chunked)
        #expect(throws: HTTPParseError.self) { _ = try HTTPBodyFraming.of(req([("Content-Length", "5"), ("Content-Length", "6")])) }
        #expect(throws: HTTPParseError.self) { _ = try HTTPBodyFraming.of(req([("Content-Length", "-1")])) }
        #expect(throws: HTTPParseError.self) { _ = try HTTPBodyFraming.of(req([("Content-Length", "1e3")])) }
        #expect(throws: HTTPParseError.self) { _ = try HTTPBodyFraming.of(req([("Transfer-Encoding", "chunked"), ("Content-Length", "3")])) }
        #expect(throws: HTTPParseError.self) { _ = try HTTPBodyFraming.of(req([("Transfer-Encoding", "gzip")])) }
        let ok = HTTPResponseHead(status: 200)
        #expect(try HTTPBodyFraming.of(ok, requestMethod: "GET") == .untilClose)
        #expect(try HTTPBodyFraming.of(ok, requestMethod: "HEAD") == HTTPBodyFraming.none)
        #expect(try HTTPBodyFraming.of(HTTPResponseHead(status: 204, headers: HTTPHeaders([("Content-Length", "9")])), requestMethod: "GET") == HTTPBodyFraming.none)
    }

    @Test("a content-length body stops at its length; a sink over its limit stops reading")
    func lengthBody() throws {
        var r = HTTPMessageReader(HTTPBytesSource("abcdefgh"), options: .client)
        var sink = HTTPMemorySink()
        try r.readBody(.length(3), into: &sink)
        #expect(sink.bytes == Array("abc".utf8) && r.buffered == 5)
        var small = HTTPMemorySink(limit: 2)
        try r.readBody(.untilClose, into: &small)
        #expect(small.overflowed && small.bytes.isEmpty)
        var r2 = HTTPMessageReader(HTTPBytesSource("ab"), options: .client)
        #expect(throws: HTTPParseError.closedInBody) { try r2.readBody(.length(3), into: &sink) }
    }
}
