import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A request as a handler sees it: the head, the decoded target, and the body (in memory, or in a
/// file for routes that stream their body).
public struct HTTPRequest: Sendable {
    public var method: String
    /// The request target as sent.
    public var target: String
    public var version: String
    public var headers: HTTPHeaders
    /// Decoded path (`/a%20b` -> `/a b`).
    public var path: String
    public var segments: [String]
    public var rawQuery: String?
    public var query: [(name: String, value: String)]
    /// The body of a route that buffers (at most the JSON body limit).
    public var body: [UInt8]
    /// The body of a route that streams its body: a file the server removes after the handler
    /// returns (move it to keep it).
    public var bodyFile: String?
    public var bodyLength: Int
    /// The peer's address (`127.0.0.1`), for rate limits by IP.
    public var remoteAddress: String

    public init(method: String, target: String, version: String = "HTTP/1.1", headers: HTTPHeaders = HTTPHeaders(),
                body: [UInt8] = [], remoteAddress: String = "127.0.0.1") throws(HTTPError) {
        let t: HTTPTarget
        do { t = try HTTPTarget.parse(target, method: method) } catch { throw HTTPError(400, "invalid request target", code: "bad_request") }
        self.init(method: method, target: target, version: version, headers: headers, parsed: t, body: body, remoteAddress: remoteAddress)
    }

    init(method: String, target: String, version: String, headers: HTTPHeaders, parsed t: HTTPTarget, body: [UInt8], remoteAddress: String) {
        self.method = method; self.target = target; self.version = version; self.headers = headers
        self.path = t.path; self.segments = t.segments; self.rawQuery = t.rawQuery; self.query = t.query
        self.body = body; self.bodyFile = nil; self.bodyLength = body.count; self.remoteAddress = remoteAddress
    }

    /// The first query parameter called `name`.
    public func queryValue(_ name: String) -> String? { query.first(where: { $0.name == name })?.value }
}

/// Per-request state that middleware fills in for the ones after it and the handler: the
/// request id, the matched route and its path parameters, and values by key (the caller's
/// identity, set by an auth middleware). Used by one thread at a time.
public final class HTTPContext: @unchecked Sendable {
    public internal(set) var requestId: String = ""
    /// The matched route (nil for 404/405 and server-level answers).
    public internal(set) var route: HTTPRoute?
    /// Path parameters of the matched route (`/jobs/:id` -> `["id": "..."]`).
    public internal(set) var parameters: [String: String] = [:]
    /// Values middleware shares with handlers (an authenticated user, an organisation).
    public var values: [String: any Sendable] = [:]
    /// When the request head was complete.
    public let started: UInt64

    public init(started: UInt64 = monotonicNanos()) { self.started = started }

    /// The route pattern for logs and metrics (`/jobs/:id`), or `unmatched`.
    public var routePattern: String { route?.path ?? "unmatched" }

    public func parameter(_ name: String) throws(HTTPError) -> String {
        guard let v = parameters[name] else { throw HTTPError(500, "route has no parameter \(name)", code: "internal") }
        return v
    }
}

/// A response: status, header fields and a body (bytes, a stream written over time, or a file
/// region sent with sendfile).
public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: HTTPHeaders
    public var body: Body

    public enum Body: Sendable {
        case bytes([UInt8])
        /// Chunked; the closure runs on a pool thread and may write for as long as it likes.
        case stream(@Sendable (HTTPResponseWriter) throws -> Void)
        /// `length` bytes of an open file from `offset`.
        case file(HTTPFileRegion)
        /// A long-lived response kept by the connection on the event loop (no thread held);
        /// see `HTTPLiveWriter`.
        case live(HTTPLiveWriter)
        /// A 101 answer: the connection becomes this WebSocket (see `WebSocket.upgrade`).
        case webSocket(WebSocket)
    }

    public init(status: Int = 200, headers: HTTPHeaders = HTTPHeaders(), body: Body = .bytes([])) {
        self.status = status; self.headers = headers; self.body = body
    }

    /// JSON bytes with `Content-Type: application/json`.
    public static func json(_ bytes: [UInt8], status: Int = 200) -> HTTPResponse {
        HTTPResponse(status: status, headers: HTTPHeaders([("Content-Type", "application/json")]), body: .bytes(bytes))
    }

    public static func text(_ s: String, status: Int = 200, contentType: String = "text/plain; charset=utf-8") -> HTTPResponse {
        HTTPResponse(status: status, headers: HTTPHeaders([("Content-Type", contentType)]), body: .bytes(Array(s.utf8)))
    }

    /// A chunked stream (Server-Sent Events: `contentType: "text/event-stream"`).
    public static func stream(contentType: String, _ write: @escaping @Sendable (HTTPResponseWriter) throws -> Void) -> HTTPResponse {
        HTTPResponse(status: 200, headers: HTTPHeaders([("Content-Type", contentType), ("Cache-Control", "no-store")]), body: .stream(write))
    }

    /// A file, honouring a single `Range: bytes=` of `request` (206 with Content-Range, 416 when
    /// unsatisfiable), with `ETag` and `Last-Modified` from its size and time, and
    /// `If-None-Match` (304). Throws 404 when the file cannot be opened.
    public static func file(_ path: String, request: HTTPRequest, contentType: String = "application/octet-stream") throws(HTTPError) -> HTTPResponse {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw HTTPError(404, "not found", code: "not_found") }
        var st = stat()
        guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { close(fd); throw HTTPError(404, "not found", code: "not_found") }
        let size = Int(st.st_size)
        let mtime = Int(st.st_mtim.tv_sec)
        let etag = "\"\(String(size, radix: 16))-\(String(mtime, radix: 16))\""
        var h = HTTPHeaders([("Content-Type", contentType), ("Accept-Ranges", "bytes"), ("ETag", etag),
                             ("Last-Modified", HTTPDate.format(mtime))])
        if let inm = request.headers["If-None-Match"], inm.split(separator: ",").contains(where: { $0.trimmingHTTPWhitespace() == etag || $0.trimmingHTTPWhitespace() == "*" }) {
            close(fd)
            return HTTPResponse(status: 304, headers: h, body: .bytes([]))
        }
        var status = 200
        var offset = 0, length = size
        if let range = request.headers["Range"], request.headers["If-Range"].map({ $0 == etag }) ?? true {
            switch HTTPRange.parse(range, size: size) {
            case .none: break
            case .unsatisfiable:
                close(fd)
                h.remove("ETag"); h.remove("Last-Modified")
                h.set("Content-Range", "bytes */\(size)")
                h.set("Content-Type", "application/json")
                return HTTPResponse(status: 416, headers: h, body: .bytes(HTTPError(416, "range not satisfiable", code: "range_not_satisfiable").jsonBody))
            case let .range(a, b):
                status = 206; offset = a; length = b - a + 1
                h.set("Content-Range", "bytes \(a)-\(b)/\(size)")
            }
        }
        return HTTPResponse(status: status, headers: h, body: .file(HTTPFileRegion(fd: fd, offset: offset, length: length)))
    }
}

/// An open file and the part of it to send; the descriptor is closed when the region goes.
public final class HTTPFileRegion: @unchecked Sendable {
    public let fd: Int32
    public let offset: Int
    public let length: Int
    public init(fd: Int32, offset: Int, length: Int) { self.fd = fd; self.offset = offset; self.length = length }
    deinit { close(fd) }
}

/// `Range: bytes=a-b`, `a-`, `-n` (one range; several ranges are served whole).
public enum HTTPRange: Equatable {
    case none
    case unsatisfiable
    case range(Int, Int)

    public static func parse(_ value: String, size: Int) -> HTTPRange {
        let v = value.trimmingHTTPWhitespace()
        guard v.hasPrefix("bytes=") else { return .none }
        let spec = v.dropFirst(6)
        if spec.contains(",") { return .none }
        let parts = spec.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2 else { return .none }
        let a = parts[0].trimmingHTTPWhitespace(), b = parts[1].trimmingHTTPWhitespace()
        func num(_ s: String) -> Int? { s.isEmpty || s.utf8.count > 18 || !s.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) ? nil : Int(s) }
        if a.isEmpty {
            guard let n = num(b) else { return .none }
            if n == 0 || size == 0 { return .unsatisfiable }
            return .range(max(0, size - n), size - 1)
        }
        guard let first = num(a) else { return .none }
        let last: Int
        if b.isEmpty { last = size - 1 } else {
            guard let l = num(b) else { return .none }
            guard l >= first else { return .none }
            last = min(l, size - 1)
        }
        if first >= size { return .unsatisfiable }
        return .range(first, last)
    }
}

/// What a streaming handler writes to. Each `write` is one chunk; it blocks while more than the
/// server's stream buffer is waiting to be sent, and throws once the client has gone.
public final class HTTPResponseWriter: @unchecked Sendable {
    let lock = NSCondition()
    var queued = 0
    var closed = false
    let limit: Int
    /// False for an HTTP/1.0 client: the body is delimited by the close, not by chunks.
    let chunked: Bool
    let push: @Sendable ([UInt8]) -> Void

    init(limit: Int, chunked: Bool = true, push: @escaping @Sendable ([UInt8]) -> Void) {
        self.limit = limit; self.chunked = chunked; self.push = push
    }

    public struct Gone: Error {}

    /// True once the client closed the connection (or the server is stopping it).
    public var isClosed: Bool { lock.lock(); defer { lock.unlock() }; return closed }

    public func write(_ bytes: [UInt8]) throws {
        guard !bytes.isEmpty else { return }
        let chunk = chunked ? HTTPChunked.encode(bytes) : bytes
        lock.lock()
        while queued > limit && !closed { lock.wait() }
        if closed { lock.unlock(); throw Gone() }
        queued += chunk.count
        lock.unlock()
        push(chunk)
    }

    public func write(_ s: String) throws { try write(Array(s.utf8)) }

    func sent(_ n: Int) {
        lock.lock(); queued -= n; lock.broadcast(); lock.unlock()
    }

    func close() {
        lock.lock(); closed = true; lock.broadcast(); lock.unlock()
    }
}

/// An error a handler or middleware throws to answer with a status: the body is
/// `{"detail": ..., "code": ...}`; `detail` is sent to the client, so it must not carry internals.
public struct HTTPError: Error, Sendable, Equatable {
    public var status: Int
    public var detail: String
    public var code: String
    public var headers: HTTPHeaders

    public init(_ status: Int, _ detail: String, code: String, headers: HTTPHeaders = HTTPHeaders()) {
        self.status = status; self.detail = detail; self.code = code; self.headers = headers
    }

    public var jsonBody: [UInt8] {
        var w = JSONWriter()
        w.object { o in o.field("detail", detail); o.field("code", code) }
        return w.bytes
    }

    public var response: HTTPResponse {
        var r = HTTPResponse.json(jsonBody, status: status)
        for (k, v) in headers { r.headers.set(k, v) }
        return r
    }

    public static func notFound() -> HTTPError { HTTPError(404, "not found", code: "not_found") }
}

/// Small, fast JSON output (no Foundation): objects, arrays, strings, numbers.
public struct JSONWriter {
    /// The JSON written so far.
    public var bytes: [UInt8] { out }
    // inlinable, with what it touches: the server's routes write pages of rows through it
    @usableFromInline var out: [UInt8] = []
    @usableFromInline var needsComma = false

    public init(capacity: Int = 64) { out.reserveCapacity(capacity) }

    public mutating func object(_ body: (inout JSONWriter) -> Void) {
        beginObject(); body(&self); endObject()
    }

    /// `{` ... `}` without a closure (a closure capturing a large value copies it).
    @inlinable public mutating func beginObject() { comma(); out.append(123); needsComma = false }
    @inlinable public mutating func endObject() { out.append(125); needsComma = true }

    /// A key already written as JSON with its colon (`"name":`, `JSONWriter.encodedKey`).
    @inlinable public mutating func key(encoded k: [UInt8]) { comma(); out.append(contentsOf: k); needsComma = false }

    /// `"k":` as JSON bytes, to write a key that recurs (a field of every row) without escaping it each time.
    public static func encodedKey(_ k: String) -> [UInt8] {
        var w = JSONWriter(capacity: k.utf8.count + 3)
        w.key(k)
        return w.out
    }

    /// `[` ... `]` without a closure.
    @inlinable public mutating func beginArray() { comma(); out.append(91); needsComma = false }
    @inlinable public mutating func endArray() { out.append(93); needsComma = true }

    public mutating func array(_ body: (inout JSONWriter) -> Void) {
        comma(); out.append(91); needsComma = false; body(&self); out.append(93); needsComma = true
    }

    public mutating func key(_ k: String) { comma(); string(k); out.append(58); needsComma = false }

    public mutating func field(_ k: String, _ v: String) { key(k); value(v) }
    public mutating func field(_ k: String, _ v: Int) { key(k); value(v) }
    public mutating func field(_ k: String, _ v: Bool) { key(k); comma(); out += v ? Array("true".utf8) : Array("false".utf8); needsComma = true }

    @inlinable public mutating func value(_ s: String) { comma(); string(s); needsComma = true }
    @inlinable public mutating func value(_ n: Int) { comma(); out.append(contentsOf: String(n).utf8); needsComma = true }
    /// A fixed-point number with `decimals` digits after the point, from an integer count of
    /// 10^-decimals units (`milli(1234, 3)` -> 1.234), without floating-point formatting.
    public mutating func value(fixed units: Int, decimals: Int) {
        comma()
        var p = 1
        for _ in 0..<decimals { p *= 10 }
        let whole = units / p, frac = abs(units % p)
        if units < 0 && whole == 0 { out.append(45) }
        out.append(contentsOf: String(whole).utf8)
        out.append(46)
        let f = String(frac)
        for _ in 0..<(decimals - f.utf8.count) { out.append(48) }
        out.append(contentsOf: f.utf8)
        needsComma = true
    }
    public mutating func value(_ d: Double) {
        comma()
        out += Array((d.isFinite ? (d == d.rounded() && abs(d) < 1e15 ? String(Int(d)) : String(d)) : "null").utf8)
        needsComma = true
    }
    @inlinable public mutating func null() { comma(); out += Array("null".utf8); needsComma = true }
    /// Bytes that are already JSON.
    @inlinable public mutating func raw(_ json: [UInt8]) { comma(); out += json; needsComma = true }

    @inlinable mutating func comma() { if needsComma { out.append(44) } }

    @inlinable mutating func string(_ s: String) {
        out.append(34)
        // one pass over the contiguous UTF-8 (a closure per byte cost 4% of a jobs page)
        var str = s
        let clean = str.withUTF8 { u -> Bool in
            for c in u where c < 32 || c == 34 || c == 92 || c == 127 { return false }
            out.append(contentsOf: u)
            return true
        }
        if clean { out.append(34); return }
        escaped(s)
    }

    /// The rest of `string` for text with a character to escape (not inlined: rare).
    @usableFromInline mutating func escaped(_ s: String) {
        for c in s.utf8 {
            switch c {
            case 34: out += [92, 34]
            case 92: out += [92, 92]
            case 10: out += [92, 110]
            case 13: out += [92, 114]
            case 9: out += [92, 116]
            case 0..<32, 127:
                let hex: [UInt8] = Array("0123456789abcdef".utf8)
                out += [92, 117, 48, 48, hex[Int(c >> 4)], hex[Int(c & 15)]]
            default: out.append(c)
            }
        }
        out.append(34)
    }
}

/// IMF-fixdate (RFC 9110 5.6.7), cached per second.
public enum HTTPDate {
    public static func format(_ t: Int) -> String {
        var tt = time_t(t)
        var tmv = tm()
        gmtime_r(&tt, &tmv)
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ n: Int32) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(days[Int(tmv.tm_wday)]), \(two(tmv.tm_mday)) \(months[Int(tmv.tm_mon)]) \(tmv.tm_year + 1900) \(two(tmv.tm_hour)):\(two(tmv.tm_min)):\(two(tmv.tm_sec)) GMT"
    }
}

/// CLOCK_MONOTONIC in nanoseconds.
public func monotonicNanos() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
}

enum HTTPStatus {
    static func reason(_ s: Int) -> String {
        switch s {
        case 100: return "Continue"
        case 101: return "Switching Protocols"
        case 426: return "Upgrade Required"
        case 200: return "OK"
        case 201: return "Created"
        case 202: return "Accepted"
        case 204: return "No Content"
        case 206: return "Partial Content"
        case 301: return "Moved Permanently"
        case 302: return "Found"
        case 303: return "See Other"
        case 304: return "Not Modified"
        case 307: return "Temporary Redirect"
        case 308: return "Permanent Redirect"
        case 400: return "Bad Request"
        case 401: return "Unauthorized"
        case 403: return "Forbidden"
        case 404: return "Not Found"
        case 405: return "Method Not Allowed"
        case 408: return "Request Timeout"
        case 409: return "Conflict"
        case 410: return "Gone"
        case 411: return "Length Required"
        case 412: return "Precondition Failed"
        case 413: return "Content Too Large"
        case 415: return "Unsupported Media Type"
        case 416: return "Range Not Satisfiable"
        case 417: return "Expectation Failed"
        case 422: return "Unprocessable Content"
        case 429: return "Too Many Requests"
        case 431: return "Request Header Fields Too Large"
        case 500: return "Internal Server Error"
        case 501: return "Not Implemented"
        case 502: return "Bad Gateway"
        case 503: return "Service Unavailable"
        case 504: return "Gateway Timeout"
        default: return "Status"
        }
    }

    /// `HTTP/1.1 200 OK\r\n` for the common statuses, precomputed.
    static let lines: [Int: [UInt8]] = {
        var d: [Int: [UInt8]] = [:]
        for s in [100, 200, 201, 202, 204, 206, 301, 302, 303, 304, 307, 308, 400, 401, 403, 404, 405, 408, 409, 410, 411, 412,
                  413, 415, 416, 417, 422, 429, 431, 500, 501, 502, 503, 504] {
            d[s] = Array("HTTP/1.1 \(s) \(reason(s))\r\n".utf8)
        }
        return d
    }()

    static func line(_ s: Int) -> [UInt8] { lines[s] ?? Array("HTTP/1.1 \(s) \(reason(s))\r\n".utf8) }
}
