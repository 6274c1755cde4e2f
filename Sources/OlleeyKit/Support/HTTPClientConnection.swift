import COpenSSL
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import OlleeyHTTP

// MARK: connections

final class HTTPTLSContext: @unchecked Sendable {
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

final class HTTPClientConnection {
    let fd: Int32
    var ssl: OpaquePointer?
    /// The current exchange's limits (a pooled connection serves several exchanges).
    var timeout: Double
    var deadline: UInt64?
    var cancel: CancelToken
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

/// Idle keep-alive connections of clients that reuse them (`HTTPClient.reuseConnections`: the
/// object store's client), by scheme, host, port and CA file, process-wide. A connection goes
/// back only after a whole response framed by its length or chunks, with no `Connection:
/// close`; it is dropped after `idleSeconds`, or when it has become readable while idle (the
/// server closed it, or sent something unasked). At most `maxIdlePerKey` wait per key.
final class HTTPConnectionPool: @unchecked Sendable {
    static let shared = HTTPConnectionPool()
    /// Below the 20 s or so after which object stores close an idle connection themselves.
    static let idleSeconds: Double = 15
    static let maxIdlePerKey = 16
    private let lock = NSLock()
    private var idle: [String: [(conn: HTTPClientConnection, since: UInt64)]] = [:]

    static func key(_ url: HTTPURL, caFile: String?) -> String { "\(url.scheme)://\(url.host):\(url.port)#\(caFile ?? "")" }

    /// The most recently used idle connection of `key` still open, or nil.
    func take(_ key: String) -> HTTPClientConnection? {
        let now = Clock.monotonicNanos()
        while true {
            lock.lock()
            guard let (conn, since) = idle[key]?.popLast() else { lock.unlock(); return nil }
            lock.unlock()
            if Double(now - since) / 1e9 < HTTPConnectionPool.idleSeconds, HTTPConnectionPool.quiet(conn.fd) { return conn }
            conn.close()
        }
    }

    /// Keeps `conn` for the next exchange with `key` (the oldest idle one closes when full).
    func put(_ conn: HTTPClientConnection, _ key: String) {
        lock.lock()
        var list = idle[key] ?? []
        list.append((conn, Clock.monotonicNanos()))
        let dropped = list.count > HTTPConnectionPool.maxIdlePerKey ? list.removeFirst().conn : nil
        idle[key] = list
        lock.unlock()
        dropped?.close()
    }

    /// Nothing to read and no hang-up: a connection still usable.
    static func quiet(_ fd: Int32) -> Bool {
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        return poll(&p, 1, 0) == 0
    }
}
