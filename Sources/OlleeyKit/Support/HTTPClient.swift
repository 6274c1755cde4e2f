import COpenSSL
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A parsed `scheme://host[:port]/path?query` URL (http, https, file).
public struct HTTPURL: Sendable, Equatable, CustomStringConvertible {
    public var scheme: String
    public var host: String
    public var port: Int
    /// Path and query, starting with "/" (for file URLs: the file path).
    public var target: String

    public init(_ text: String) throws {
        guard let sep = text.range(of: "://") else { throw OlleeyError(.invalid, "not a URL: \(text)") }
        let scheme = text[..<sep.lowerBound].lowercased()
        let rest = String(text[sep.upperBound...])
        self.scheme = scheme
        if scheme == "file" {
            // file:///abs/path or file://localhost/abs/path
            var path = rest
            if path.hasPrefix("localhost/") { path.removeFirst("localhost".count) }
            guard path.hasPrefix("/") else { throw OlleeyError(.invalid, "file URL must be absolute: \(text)") }
            host = ""
            port = 0
            target = path.removingPercentEncoding ?? path
            return
        }
        guard scheme == "http" || scheme == "https" else {
            throw OlleeyError(.invalid, "unsupported URL scheme '\(scheme)' in \(text)", hint: "use http://, https:// or file://")
        }
        let hostEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) ?? rest.endIndex
        var authority = String(rest[..<hostEnd])
        if let at = authority.lastIndex(of: "@") { authority = String(authority[authority.index(after: at)...]) }
        var path = String(rest[hostEnd...])
        if let hash = path.firstIndex(of: "#") { path = String(path[..<hash]) }
        if path.isEmpty || path.hasPrefix("?") { path = "/" + path }
        var h = authority
        var p = scheme == "https" ? 443 : 80
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { throw OlleeyError(.invalid, "bad IPv6 host in \(text)") }
            h = String(authority[authority.index(after: authority.startIndex)..<close])
            let after = authority[authority.index(after: close)...]
            if after.hasPrefix(":") { guard let n = Int(after.dropFirst()) else { throw OlleeyError(.invalid, "bad port in \(text)") }; p = n }
        } else if let colon = authority.lastIndex(of: ":") {
            h = String(authority[..<colon])
            guard let n = Int(authority[authority.index(after: colon)...]), (1...65535).contains(n) else {
                throw OlleeyError(.invalid, "bad port in \(text)")
            }
            p = n
        }
        guard !h.isEmpty else { throw OlleeyError(.invalid, "URL has no host: \(text)") }
        host = h
        port = p
        target = path
    }

    public var isDefaultPort: Bool { (scheme == "http" && port == 80) || (scheme == "https" && port == 443) }
    public var hostHeader: String {
        let h = host.contains(":") ? "[\(host)]" : host
        return isDefaultPort ? h : "\(h):\(port)"
    }
    public var description: String { scheme == "file" ? "file://\(target)" : "\(scheme)://\(hostHeader)\(target)" }

    /// Resolves a redirect `Location` against this URL.
    public func resolving(_ location: String) throws -> HTTPURL {
        if location.contains("://") { return try HTTPURL(location) }
        if location.hasPrefix("//") { return try HTTPURL("\(scheme):\(location)") }
        if location.hasPrefix("/") { return try HTTPURL("\(scheme)://\(hostHeader)\(location)") }
        var base = target
        if let q = base.firstIndex(of: "?") { base = String(base[..<q]) }
        if let slash = base.lastIndex(of: "/") { base = String(base[...slash]) }
        return try HTTPURL("\(scheme)://\(hostHeader)\(base)\(location)")
    }
}

public struct HTTPResponse: Sendable {
    public var status: Int
    public var reason: String
    public var headers: [(String, String)]
    public var body: [UInt8]
    /// The URL that answered (after redirects).
    public var url: String

    public func header(_ name: String) -> String? {
        headers.first(where: { $0.0.caseInsensitiveCompare(name) == .orderedSame })?.1
    }
    public var text: String { String(decoding: body, as: UTF8.self) }
    public var isSuccess: Bool { (200..<300).contains(status) }
    /// The body parsed as JSON, or `OlleeyError(.invalid)`.
    public func json() throws -> JSON {
        do { return try JSON.parse(bytes: body) } catch {
            throw OlleeyError(.invalid, "\(url) answered with invalid JSON (\(error)): \(String(text.prefix(200)))")
        }
    }
}

/// A multipart/form-data body.
public struct MultipartForm: Sendable {
    public let boundary: String
    private var parts: [[UInt8]] = []

    public init(boundary: String = "olleey-" + ID.uuid7().replacingOccurrences(of: "-", with: "")) {
        self.boundary = boundary
    }

    public var contentType: String { "multipart/form-data; boundary=\(boundary)" }

    private static func quoted(_ s: String) -> String {
        s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\r", with: " ").replacingOccurrences(of: "\n", with: " ")
    }

    public mutating func addField(_ name: String, _ value: String) {
        var p = Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(Self.quoted(name))\"\r\n\r\n".utf8)
        p += Array(value.utf8)
        p += Array("\r\n".utf8)
        parts.append(p)
    }

    public mutating func addFile(_ name: String, filename: String, contentType: String, data: [UInt8]) {
        var p = Array(("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(Self.quoted(name))\"; " +
                       "filename=\"\(Self.quoted(filename))\"\r\nContent-Type: \(contentType)\r\n\r\n").utf8)
        p += data
        p += Array("\r\n".utf8)
        parts.append(p)
    }

    public mutating func addFile(_ name: String, path: String, contentType: String) throws {
        let data = try readWholeFile(path)
        addFile(name, filename: (path as NSString).lastPathComponent, contentType: contentType, data: data)
    }

    public var body: [UInt8] {
        var out: [UInt8] = []
        for p in parts { out += p }
        out += Array("--\(boundary)--\r\n".utf8)
        return out
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

    public init(timeout: Double = 30) { self.timeout = timeout }

    // MARK: convenience

    public func get(_ url: String, headers: [(String, String)] = []) throws -> HTTPResponse {
        try send(method: "GET", url: url, headers: headers, body: nil)
    }

    public func postJSON(_ url: String, _ json: JSON, headers: [(String, String)] = []) throws -> HTTPResponse {
        try send(method: "POST", url: url, headers: headers + [("Content-Type", "application/json")],
                 body: Array(json.encoded().utf8))
    }

    public func postMultipart(_ url: String, _ form: MultipartForm, headers: [(String, String)] = []) throws -> HTTPResponse {
        try send(method: "POST", url: url, headers: headers + [("Content-Type", form.contentType)], body: form.body)
    }

    /// Sends a request, following redirects for GET/HEAD (and 303 for any method).
    public func send(method: String, url: String, headers: [(String, String)] = [], body: [UInt8]?) throws -> HTTPResponse {
        var current = try HTTPURL(url)
        var method = method
        var body = body
        let deadline = totalTimeout.map { Clock.monotonicNanos() + UInt64($0 * 1e9) }
        for _ in 0...maxRedirects {
            if current.scheme == "file" {
                let data = try readWholeFile(current.target)
                if data.count > maxResponseBytes { throw tooLarge(current) }
                return HTTPResponse(status: 200, reason: "OK", headers: [("Content-Length", String(data.count))], body: data, url: current.description)
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
    public func download(_ url: String, to path: String, headers: [(String, String)] = []) throws -> HTTPResponse {
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
                return HTTPResponse(status: 200, reason: "OK", headers: [("Content-Length", String(st.st_size))], body: [], url: current.description)
            }
            var sink = try HTTPFileSink(path: tmp, limit: maxResponseBytes)
            let r: HTTPResponse
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

    private func exchange<S: HTTPBodySink>(url: HTTPURL, method: String, headers: [(String, String)], body: [UInt8]?,
                                       deadline: UInt64?, sink: inout S) throws -> HTTPResponse {
        try cancel.check()
        let conn = try HTTPClientConnection.open(url: url, timeout: timeout, deadline: deadline, cancel: cancel, caFile: caFile)
        defer { conn.close() }
        var head = "\(method) \(url.target) HTTP/1.1\r\nHost: \(url.hostHeader)\r\n"
        let names = Set(headers.map { $0.0.lowercased() })
        if !names.contains("user-agent") { head += "User-Agent: \(userAgent)\r\n" }
        if !names.contains("accept") { head += "Accept: */*\r\n" }
        head += "Connection: close\r\n"
        for (k, v) in headers {
            guard !k.contains("\r") && !k.contains("\n") && !v.contains("\r") && !v.contains("\n") else {
                throw OlleeyError(.invalid, "header \(k) contains a line break")
            }
            head += "\(k): \(v)\r\n"
        }
        if let body { head += "Content-Length: \(body.count)\r\n" } else if method == "POST" || method == "PUT" { head += "Content-Length: 0\r\n" }
        head += "\r\n"
        try conn.writeAll(Array(head.utf8))
        if let body, !body.isEmpty { try conn.writeAll(body) }

        var reader = HTTPLineReader(conn: conn)
        // status line; skip 1xx interim responses
        var status = 0
        var reason = ""
        var respHeaders: [(String, String)] = []
        while true {
            let line = try reader.line()
            let parts = line.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), let code = Int(parts[1]) else {
                throw OlleeyError(.failure, "\(url.hostHeader) did not answer with HTTP (got '\(String(line.prefix(80)))')")
            }
            status = code
            reason = parts.count > 2 ? String(parts[2]) : ""
            respHeaders = []
            var headerBytes = 0
            while true {
                let h = try reader.line()
                if h.isEmpty { break }
                headerBytes += h.utf8.count
                if headerBytes > 64 << 10 || respHeaders.count > 200 { throw OlleeyError(.failure, "\(url.hostHeader) sent too many headers") }
                guard let c = h.firstIndex(of: ":") else { continue }
                respHeaders.append((String(h[..<c]).trimmingCharacters(in: .whitespaces), String(h[h.index(after: c)...]).trimmingCharacters(in: .whitespaces)))
            }
            if status >= 100 && status < 200 && status != 101 { continue }
            break
        }
        var response = HTTPResponse(status: status, reason: reason, headers: respHeaders, body: [], url: url.description)
        if method == "HEAD" || status == 204 || status == 304 { return response }

        let te = response.header("Transfer-Encoding")?.lowercased() ?? ""
        if te.contains("chunked") {
            while true {
                let sizeLine = try reader.line()
                let hex = sizeLine.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
                guard let size = Int(hex, radix: 16), size >= 0 else { throw OlleeyError(.failure, "bad chunk size from \(url.hostHeader)") }
                if size == 0 {
                    while try !reader.line().isEmpty {} // trailers
                    break
                }
                try reader.copy(count: size, into: &sink)
                if sink.overflowed { break }
                guard try reader.line().isEmpty else { throw OlleeyError(.failure, "bad chunk framing from \(url.hostHeader)") }
            }
        } else if let cl = response.header("Content-Length").flatMap({ Int($0) }) {
            if cl > maxResponseBytes { sink.markOverflow() } else { try reader.copy(count: cl, into: &sink) }
        } else {
            try reader.copyToEnd(into: &sink)
        }
        response.body = []
        return response
    }
}

extension HTTPResponse {
    func with(body: [UInt8]) -> HTTPResponse { var r = self; r.body = body; return r }
}

// MARK: body sinks

protocol HTTPBodySink {
    mutating func write(_ bytes: UnsafeRawBufferPointer) throws
    var overflowed: Bool { get }
    mutating func markOverflow()
}

struct HTTPMemorySink: HTTPBodySink {
    var bytes: [UInt8] = []
    let limit: Int
    var overflowed = false
    init(limit: Int) { self.limit = limit }
    mutating func write(_ b: UnsafeRawBufferPointer) throws {
        if bytes.count + b.count > limit { overflowed = true; return }
        bytes.append(contentsOf: b)
    }
    mutating func markOverflow() { overflowed = true }
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

// MARK: connections

private final class HTTPTLSContext: @unchecked Sendable {
    let ctx: OpaquePointer
    init(caFile: String?) throws {
        guard let method = TLS_client_method(), let c = SSL_CTX_new(method) else {
            throw OlleeyError(.unavailable, "cannot initialise TLS (libssl)")
        }
        ctx = c
        SSL_CTX_ctrl(c, SSL_CTRL_SET_MIN_PROTO_VERSION, Int(TLS1_2_VERSION), nil)
        SSL_CTX_set_verify(c, SSL_VERIFY_PEER, nil)
        if let caFile {
            if SSL_CTX_load_verify_locations(c, caFile, nil) != 1 {
                SSL_CTX_free(c)
                throw OlleeyError(.config, "cannot load CA file \(caFile)")
            }
        } else {
            SSL_CTX_set_default_verify_paths(c)
        }
    }
    deinit { SSL_CTX_free(ctx) }

    private static let lock = NSLock()
    nonisolated(unsafe) private static var cache: [String: HTTPTLSContext] = [:]
    static func shared(caFile: String?) throws -> HTTPTLSContext {
        lock.lock(); defer { lock.unlock() }
        let key = caFile ?? ""
        if let c = cache[key] { return c }
        let c = try HTTPTLSContext(caFile: caFile)
        cache[key] = c
        return c
    }
}

private final class HTTPClientConnection {
    let fd: Int32
    var ssl: OpaquePointer?
    let timeout: Double
    let deadline: UInt64?
    let cancel: CancelToken
    let host: String
    var tlsContext: HTTPTLSContext?

    init(fd: Int32, timeout: Double, deadline: UInt64?, cancel: CancelToken, host: String) {
        self.fd = fd; self.timeout = timeout; self.deadline = deadline; self.cancel = cancel; self.host = host
    }

    static func open(url: HTTPURL, timeout: Double, deadline: UInt64?, cancel: CancelToken, caFile: String?) throws -> HTTPClientConnection {
        Subprocess.ignoreSIGPIPE()
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var res: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(url.host, String(url.port), &hints, &res)
        guard rc == 0, let first = res else {
            throw OlleeyError(.unavailable, "cannot resolve \(url.host): \(String(cString: gai_strerror(rc)))",
                              hint: "check the URL and the network")
        }
        defer { freeaddrinfo(res) }
        var lastError = "no address"
        var ai: UnsafeMutablePointer<addrinfo>? = first
        while let a = ai {
            ai = a.pointee.ai_next
            let fd = socket(a.pointee.ai_family, a.pointee.ai_socktype | Int32(SOCK_CLOEXEC.rawValue), a.pointee.ai_protocol)
            if fd < 0 { lastError = String(cString: strerror(errno)); continue }
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            var one: Int32 = 1
            setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            let c = connect(fd, a.pointee.ai_addr, a.pointee.ai_addrlen)
            if c != 0 && errno != EINPROGRESS { lastError = String(cString: strerror(errno)); Foundation.close(fd); continue }
            let conn = HTTPClientConnection(fd: fd, timeout: timeout, deadline: deadline, cancel: cancel, host: url.host)
            if c != 0 {
                do { try conn.wait(events: Int16(POLLOUT), what: "connecting to \(url.hostHeader)") } catch {
                    Foundation.close(fd); throw error
                }
                var err: Int32 = 0
                var len = socklen_t(MemoryLayout<Int32>.size)
                getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len)
                if err != 0 { lastError = String(cString: strerror(err)); Foundation.close(fd); continue }
            }
            if url.scheme == "https" {
                do { try conn.startTLS(caFile: caFile) } catch { conn.close(); throw error }
            }
            return conn
        }
        throw OlleeyError(.unavailable, "cannot connect to \(url.hostHeader): \(lastError)",
                          hint: "is the server running? check the URL (engines.http.base_url)")
    }

    func startTLS(caFile: String?) throws {
        let ctx = try HTTPTLSContext.shared(caFile: caFile)
        tlsContext = ctx
        guard let s = SSL_new(ctx.ctx) else { throw OlleeyError(.failure, "cannot create a TLS session") }
        ssl = s
        SSL_set_fd(s, fd)
        _ = host.withCString { SSL_ctrl(s, SSL_CTRL_SET_TLSEXT_HOSTNAME, Int(TLSEXT_NAMETYPE_host_name), UnsafeMutableRawPointer(mutating: $0)) }
        SSL_set1_host(s, host)
        while true {
            let r = SSL_connect(s)
            if r == 1 { return }
            let e = SSL_get_error(s, r)
            if e == SSL_ERROR_WANT_READ { try wait(events: Int16(POLLIN), what: "TLS handshake with \(host)"); continue }
            if e == SSL_ERROR_WANT_WRITE { try wait(events: Int16(POLLOUT), what: "TLS handshake with \(host)"); continue }
            let verify = SSL_get_verify_result(s)
            if verify != X509_V_OK {
                let why = String(cString: X509_verify_cert_error_string(verify))
                throw OlleeyError(.failure, "TLS certificate of \(host) not trusted: \(why)")
            }
            throw OlleeyError(.failure, "TLS handshake with \(host) failed: \(HTTPClientConnection.sslErrorText())")
        }
    }

    static func sslErrorText() -> String {
        let code = ERR_get_error()
        if code == 0 { return "connection closed" }
        var buf = [UInt8](repeating: 0, count: 256)
        buf.withUnsafeMutableBytes { ERR_error_string_n(code, $0.baseAddress?.assumingMemoryBound(to: CChar.self), $0.count) }
        return String(decoding: buf.prefix(while: { $0 != 0 }), as: UTF8.self)
    }

    func wait(events: Int16, what: String) throws {
        let start = Clock.monotonicNanos()
        while true {
            try cancel.check()
            let now = Clock.monotonicNanos()
            if now - start > UInt64(timeout * 1e9) { throw OlleeyError(.failure, "timed out \(what) (\(Int(timeout)) s)") }
            if let d = deadline, now > d { throw OlleeyError(.failure, "timed out \(what) (overall limit)") }
            var p = pollfd(fd: fd, events: events, revents: 0)
            let n = poll(&p, 1, 100)
            if n > 0 { return }
            if n < 0 && errno != EINTR { throw OlleeyError(.failure, "poll failed \(what): \(String(cString: strerror(errno)))") }
        }
    }

    func writeAll(_ bytes: [UInt8]) throws {
        var off = 0
        while off < bytes.count {
            let n: Int = bytes.withUnsafeBytes { b in
                let p = b.baseAddress.map { $0 + off }
                let len = min(b.count - off, 1 << 20)
                if let ssl { return Int(SSL_write(ssl, p, Int32(len))) }
                return send(fd, p, len, Int32(MSG_NOSIGNAL))
            }
            if n > 0 { off += n; continue }
            if let ssl {
                let e = SSL_get_error(ssl, Int32(n))
                if e == SSL_ERROR_WANT_WRITE { try wait(events: Int16(POLLOUT), what: "sending to \(host)"); continue }
                if e == SSL_ERROR_WANT_READ { try wait(events: Int16(POLLIN), what: "sending to \(host)"); continue }
                throw OlleeyError(.failure, "sending to \(host) failed: \(HTTPClientConnection.sslErrorText())")
            }
            if errno == EAGAIN || errno == EINTR { try wait(events: Int16(POLLOUT), what: "sending to \(host)"); continue }
            throw OlleeyError(.failure, "sending to \(host) failed: \(String(cString: strerror(errno)))")
        }
    }

    /// Reads some bytes; 0 at end of stream.
    func read(into buf: UnsafeMutableRawBufferPointer) throws -> Int {
        while true {
            if let ssl {
                let n = SSL_read(ssl, buf.baseAddress, Int32(buf.count))
                if n > 0 { return Int(n) }
                let e = SSL_get_error(ssl, n)
                if e == SSL_ERROR_ZERO_RETURN { return 0 }
                if e == SSL_ERROR_WANT_READ { try wait(events: Int16(POLLIN), what: "waiting for \(host)"); continue }
                if e == SSL_ERROR_WANT_WRITE { try wait(events: Int16(POLLOUT), what: "waiting for \(host)"); continue }
                if e == SSL_ERROR_SYSCALL { return 0 } // peer closed without close_notify
                throw OlleeyError(.failure, "reading from \(host) failed: \(HTTPClientConnection.sslErrorText())")
            }
            let n = recv(fd, buf.baseAddress, buf.count, 0)
            if n >= 0 { return n }
            if errno == EAGAIN || errno == EINTR { try wait(events: Int16(POLLIN), what: "waiting for \(host)"); continue }
            if errno == ECONNRESET { return 0 }
            throw OlleeyError(.failure, "reading from \(host) failed: \(String(cString: strerror(errno)))")
        }
    }

    func close() {
        if let ssl { SSL_shutdown(ssl); SSL_free(ssl); self.ssl = nil }
        Foundation.close(fd)
    }
}

private struct HTTPLineReader {
    let conn: HTTPClientConnection
    var buf = [UInt8](repeating: 0, count: 65536)
    var start = 0
    var end = 0

    init(conn: HTTPClientConnection) { self.conn = conn }

    mutating func fill() throws -> Bool {
        if start > 0 && start == end { start = 0; end = 0 }
        if end == buf.count {
            if start > 0 { buf.replaceSubrange(0..<(end - start), with: buf[start..<end]); end -= start; start = 0 } else { buf += [UInt8](repeating: 0, count: buf.count) }
        }
        let e = end
        let n = try buf.withUnsafeMutableBytes { try conn.read(into: UnsafeMutableRawBufferPointer(rebasing: $0[e...])) }
        end += n
        return n > 0
    }

    /// One CRLF- (or LF-) terminated line, without the terminator.
    mutating func line() throws -> String {
        while true {
            if let nl = buf[start..<end].firstIndex(of: 10) {
                var lineEnd = nl
                if lineEnd > start, buf[lineEnd - 1] == 13 { lineEnd -= 1 }
                let s = String(decoding: buf[start..<lineEnd], as: UTF8.self)
                start = nl + 1
                return s
            }
            if end - start > 64 << 10 { throw OlleeyError(.failure, "\(conn.host) sent a line longer than 64 KiB") }
            guard try fill() else { throw OlleeyError(.failure, "\(conn.host) closed the connection early") }
        }
    }

    mutating func copy<S: HTTPBodySink>(count: Int, into sink: inout S) throws {
        var left = count
        while left > 0 {
            if start == end { guard try fill() else { throw OlleeyError(.failure, "\(conn.host) closed the connection before the end of the body") } }
            let take = min(left, end - start)
            let s = start
            try buf.withUnsafeBytes { try sink.write(UnsafeRawBufferPointer(rebasing: $0[s..<(s + take)])) }
            start += take
            left -= take
            if sink.overflowed { return }
        }
    }

    mutating func copyToEnd<S: HTTPBodySink>(into sink: inout S) throws {
        while true {
            if start < end {
                let s = start, e = end
                try buf.withUnsafeBytes { try sink.write(UnsafeRawBufferPointer(rebasing: $0[s..<e])) }
                start = end
                if sink.overflowed { return }
            }
            guard try fill() else { return }
        }
    }
}
