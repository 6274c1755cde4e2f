import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import OlleeyHTTP

/// A small HTTP/1.1 client over POSIX sockets (and libssl for https): one connection per
/// request, Content-Length / chunked / read-to-close bodies, redirects, timeouts, size caps,
/// cancellation. Also reads `file://` URLs.
public struct HTTPClient: Sendable {
    /// Seconds allowed for connecting and for each wait on the network.
    public var timeout: Double = 30
    /// Seconds for the whole exchange (nil: no overall limit).
    public var totalTimeout: Double? = 600
    public var maxResponseBytes: Int = 64 << 20
    public var maxRedirects: Int = 5
    public var userAgent: String = "olleey"
    public var cancel: CancelToken = .never
    /// PEM file of trusted CAs for https (default: the system store).
    public var caFile: String?
    /// Keep connections open between requests and reuse them (`HTTPConnectionPool`), as an
    /// object store's client should: a TCP (and TLS) handshake per request otherwise. A
    /// request that finds its reused connection closed by the server before any answer is sent
    /// again once on a new one. Off: one connection per request, `Connection: close`.
    public var reuseConnections = false

    public init(timeout: Double = 30) { self.timeout = timeout }

    // MARK: convenience

    public func get(_ url: String, headers: [(String, String)] = []) throws -> HTTPClientResponse {
        try send(method: "GET", url: url, headers: headers, body: nil)
    }

    public func postJSON(_ url: String, _ json: JSON, headers: [(String, String)] = []) throws -> HTTPClientResponse {
        try send(method: "POST", url: url, headers: headers + [("Content-Type", "application/json")],
                 body: Array(json.encoded().utf8))
    }

    public func postMultipart(_ url: String, _ form: MultipartForm, headers: [(String, String)] = []) throws -> HTTPClientResponse {
        try send(method: "POST", url: url, headers: headers + [("Content-Type", form.contentType)], body: form.body)
    }

    /// Sends a request, following redirects for GET/HEAD (and 303 for any method).
    public func send(method: String, url: String, headers: [(String, String)] = [], body: [UInt8]?) throws -> HTTPClientResponse {
        var current = try HTTPURL(url)
        var method = method
        var body = body
        let deadline = totalTimeout.map { Clock.monotonicNanos() + UInt64($0 * 1e9) }
        for _ in 0...maxRedirects {
            if current.scheme == "file" {
                let data = try readWholeFile(current.target)
                if data.count > maxResponseBytes { throw tooLarge(current) }
                return HTTPClientResponse(status: 200, reason: "OK", headers: [("Content-Length", String(data.count))], body: data, url: current.description)
            }
            var sink = HTTPMemorySink(limit: maxResponseBytes)
            let r = try exchange(url: current, method: method, headers: headers, body: body, deadline: deadline, sink: &sink)
            if [301, 302, 303, 307, 308].contains(r.status), let loc = r.header("Location") {
                let next = try current.resolving(loc)
                if r.status == 303 || ((r.status == 301 || r.status == 302) && method == "POST") { method = "GET"; body = nil }
                if method != "GET" && method != "HEAD" && r.status != 303 { return r.with(body: sink.bytes) }
                current = next
                continue
            }
            if sink.overflowed { throw tooLarge(current) }
            return r.with(body: sink.bytes)
        }
        throw OlleeyError(.failure, "too many redirects fetching \(url)")
    }

    /// Fetches `url` (http, https or file) into `path` without holding it in memory; writes to
    /// a temporary file and renames it into place, so a failed download leaves nothing behind.
    /// Returns the response with an empty body.
    @discardableResult
    public func download(_ url: String, to path: String, headers: [(String, String)] = []) throws -> HTTPClientResponse {
        var current = try HTTPURL(url)
        let deadline = totalTimeout.map { Clock.monotonicNanos() + UInt64($0 * 1e9) }
        let tmp = path + ".part-\(getpid())"
        defer { unlink(tmp) }
        for _ in 0...maxRedirects {
            if current.scheme == "file" {
                var st = stat()
                guard stat(current.target, &st) == 0 else { throw OlleeyError(.notFound, "no such file: \(current.target)") }
                if Int(st.st_size) > maxResponseBytes { throw tooLarge(current) }
                try copyFile(current.target, tmp)
                try renameInto(tmp, path)
                return HTTPClientResponse(status: 200, reason: "OK", headers: [("Content-Length", String(st.st_size))], body: [], url: current.description)
            }
            var sink = try HTTPFileSink(path: tmp, limit: maxResponseBytes)
            let r: HTTPClientResponse
            do {
                r = try exchange(url: current, method: "GET", headers: headers, body: nil, deadline: deadline, sink: &sink)
                sink.close()
            } catch { sink.close(); throw error }
            if [301, 302, 303, 307, 308].contains(r.status), let loc = r.header("Location") {
                current = try current.resolving(loc)
                continue
            }
            if sink.overflowed { throw tooLarge(current) }
            guard r.isSuccess else {
                throw OlleeyError(r.status == 404 || r.status == 410 ? .notFound : .failure,
                                  "fetching \(current) failed: HTTP \(r.status) \(r.reason)")
            }
            try renameInto(tmp, path)
            return r
        }
        throw OlleeyError(.failure, "too many redirects fetching \(url)")
    }

    private func tooLarge(_ u: HTTPURL) -> OlleeyError {
        OlleeyError(.invalid, "response from \(u) is larger than \(maxResponseBytes) bytes")
    }

    private func copyFile(_ from: String, _ to: String) throws {
        let src = open(from, O_RDONLY | O_CLOEXEC)
        guard src >= 0 else { throw OlleeyError(.notFound, "cannot read \(from): \(String(cString: strerror(errno)))") }
        defer { close(src) }
        var sink = try HTTPFileSink(path: to, limit: Int.max)
        defer { sink.close() }
        var buf = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            try cancel.check()
            let n = buf.withUnsafeMutableBytes { read(src, $0.baseAddress, $0.count) }
            if n < 0 { if errno == EINTR { continue }; throw OlleeyError(.failure, "read error on \(from)") }
            if n == 0 { break }
            try buf.withUnsafeBytes { try sink.write(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
        }
    }

    private func renameInto(_ tmp: String, _ path: String) throws {
        if rename(tmp, path) != 0 {
            throw OlleeyError(.cannotCreate, "cannot create \(path): \(String(cString: strerror(errno)))")
        }
    }

    // MARK: one exchange

    /// One request and its answer, no redirect followed, the body into `sink`: internal so
    /// that the S3 client can stream a signed GET through its own sink (hashing as it writes)
    /// and read the XML of an error answer.
    func exchange<S: HTTPBodySink>(url: HTTPURL, method: String, headers: [(String, String)], body: [UInt8]?,
                                   deadline: UInt64?, sink: inout S) throws -> HTTPClientResponse {
        try cancel.check()
        // only a client that reuses connections has a pool key (the others close every one)
        let poolKey = reuseConnections ? HTTPConnectionPool.key(url, caFile: caFile) : nil
        if let poolKey, let conn = HTTPConnectionPool.shared.take(poolKey) {
            conn.timeout = timeout; conn.deadline = deadline; conn.cancel = cancel
            do {
                return try exchange(on: conn, reused: true, poolKey: poolKey, url: url, method: method, headers: headers, body: body, sink: &sink)
            } catch is StaleConnection {
                // the server closed it while it was idle, before reading this request: a new one
            }
        }
        let conn = try HTTPClientConnection.open(url: url, timeout: timeout, deadline: deadline, cancel: cancel, caFile: caFile)
        return try exchange(on: conn, reused: false, poolKey: poolKey, url: url, method: method, headers: headers, body: body, sink: &sink)
    }

    /// A reused connection that was closed before any byte of the answer came.
    struct StaleConnection: Error {}

    /// One exchange on `conn`, which goes back to the pool after it when it can be reused, and
    /// is closed otherwise.
    private func exchange<S: HTTPBodySink>(on conn: HTTPClientConnection, reused: Bool, poolKey: String?, url: HTTPURL, method: String,
                                           headers: [(String, String)], body: [UInt8]?, sink: inout S) throws -> HTTPClientResponse {
        let answer: (response: HTTPClientResponse, keep: Bool)
        do { answer = try talk(on: conn, reused: reused, url: url, method: method, headers: headers, body: body, sink: &sink) } catch {
            conn.close()
            throw error
        }
        if answer.keep, let poolKey { HTTPConnectionPool.shared.put(conn, poolKey) } else { conn.close() }
        return answer.response
    }

    /// Sends the request and reads the answer; says whether the connection can be used again.
    private func talk<S: HTTPBodySink>(on conn: HTTPClientConnection, reused: Bool, url: HTTPURL, method: String,
                                       headers: [(String, String)], body: [UInt8]?, sink: inout S) throws -> (response: HTTPClientResponse, keep: Bool) {
        var head = HTTPRequestHead(method: method, target: url.target)
        head.headers.add("Host", url.hostHeader)
        if !headers.contains(where: { HTTPHeaders.same($0.0, "User-Agent") }) { head.headers.add("User-Agent", userAgent) }
        if !headers.contains(where: { HTTPHeaders.same($0.0, "Accept") }) { head.headers.add("Accept", "*/*") }
        if !reuseConnections { head.headers.add("Connection", "close") }
        for (k, v) in headers {
            guard !k.contains("\r") && !k.contains("\n") && !v.contains("\r") && !v.contains("\n") else {
                throw OlleeyError(.invalid, "header \(k) contains a line break")
            }
            head.headers.add(k, v)
        }
        if let body { head.headers.add("Content-Length", String(body.count)) } else if method == "POST" || method == "PUT" { head.headers.add("Content-Length", "0") }
        let serialized: [UInt8]
        do { serialized = try head.serialized() } catch {
            throw OlleeyError(.invalid, "cannot send the request to \(url.hostHeader): \(error)")
        }
        do {
            try conn.writeAll(serialized)
            if let body, !body.isEmpty { try conn.writeAll(body) }
        } catch let e as OlleeyError {
            // the server closed a reused connection while it was idle
            if reused && e.code == .failure { throw StaleConnection() }
            throw e
        }
        var reader = HTTPMessageReader(HTTPConnectionSource(conn: conn), options: .client)
        // the head's error is taken out of the catch and judged after it: a throw from inside
        // that catch crashed the Swift 6.3 compiler (SIL ownership verifier) in release builds
        var h = HTTPResponseHead(status: 0)
        var broken: HTTPParseError?
        do { h = try reader.readResponseHead() } catch let e as HTTPParseError { broken = e }
        if let broken {
            if reused && reader.source.received == 0 && broken == .closedInHead { throw StaleConnection() }
            throw Self.failure(broken, from: url)
        }
        let response = HTTPClientResponse(status: h.status, reason: h.reason, headers: h.headers.fields.map { ($0.name, $0.value) }, body: [], url: url.description)
        do {
            let framing = try HTTPBodyFraming.of(h, requestMethod: method)
            var keep = false
            if case .length(let cl) = framing, cl > maxResponseBytes { sink.markOverflow() } else {
                try reader.readBody(framing, into: &sink)
                keep = reuseConnections && framing != .untilClose && !sink.overflowed && reader.buffered == 0 && h.version == "HTTP/1.1"
                    && !h.headers.hasToken("Connection", "close")
            }
            return (response, keep)
        } catch let e as HTTPParseError {
            throw Self.failure(e, from: url)
        }
    }

    /// A broken answer as the error the engines report (the host, then what was wrong).
    static func failure(_ e: HTTPParseError, from url: HTTPURL) -> OlleeyError {
        let host = url.hostHeader
        switch e {
        case .badStartLine(let line): return OlleeyError(.failure, "\(host) did not answer with HTTP (got '\(String(line.prefix(80)))')")
        case .headTooLarge, .tooManyFields: return OlleeyError(.failure, "\(host) sent too many headers")
        case .lineTooLong: return OlleeyError(.failure, "\(url.host) sent a line longer than 64 KiB")
        case .closedInHead: return OlleeyError(.failure, "\(url.host) closed the connection early")
        case .closedInBody: return OlleeyError(.failure, "\(url.host) closed the connection before the end of the body")
        case .badChunkSize: return OlleeyError(.failure, "bad chunk size from \(host)")
        case .badChunkFraming: return OlleeyError(.failure, "bad chunk framing from \(host)")
        case .badField, .obsFold, .badContentLength: return OlleeyError(.failure, "\(host) sent a malformed response: \(e)")
        }
    }
}

/// The connection as the codec's byte source.
struct HTTPConnectionSource: HTTPByteSource {
    let conn: HTTPClientConnection
    /// Bytes read so far (none: a reused connection closed before answering).
    var received = 0
    mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let n = try conn.read(into: buffer)
        received += n
        return n
    }
}


func readWholeFile(_ path: String) throws -> [UInt8] {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else {
        let e = errno
        throw OlleeyError(e == ENOENT ? .notFound : .failure, "cannot read \(path): \(String(cString: strerror(e)))")
    }
    defer { close(fd) }
    var out: [UInt8] = []
    var buf = [UInt8](repeating: 0, count: 1 << 16)
    while true {
        let n = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if n < 0 { if errno == EINTR { continue }; throw OlleeyError(.failure, "read error on \(path): \(String(cString: strerror(errno)))") }
        if n == 0 { break }
        out.append(contentsOf: buf[0..<n])
    }
    return out
}

struct HTTPFileSink: HTTPBodySink {
    var fd: Int32
    let limit: Int
    var written = 0
    var overflowed = false
    let path: String
    init(path: String, limit: Int) throws {
        self.path = path
        self.limit = limit
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        if fd < 0 { throw OlleeyError(.cannotCreate, "cannot create \(path): \(String(cString: strerror(errno)))") }
    }
    mutating func write(_ b: UnsafeRawBufferPointer) throws {
        if written + b.count > limit { overflowed = true; return }
        var off = 0
        while off < b.count {
            let n = Foundation.write(fd, b.baseAddress.map { $0 + off }, b.count - off)
            if n < 0 {
                if errno == EINTR { continue }
                let e = errno
                throw OlleeyError(.cannotCreate, e == ENOSPC ? "no space left on device writing \(path)" : "cannot write \(path): \(String(cString: strerror(e)))")
            }
            off += n
        }
        written += b.count
    }
    mutating func markOverflow() { overflowed = true }
    mutating func close() { if fd >= 0 { Foundation.close(fd); fd = -1 } }
}
