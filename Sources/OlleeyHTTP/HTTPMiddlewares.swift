import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `X-Request-Id`: the client's when it is sane (1-128 of `A-Za-z0-9-_.:`), else a new one; set
/// on the context and echoed on the response.
public struct RequestIDMiddleware: HTTPMiddleware {
    let prefix: String
    let counter = RequestCounter()

    public init() {
        var r = SystemRandomNumberGenerator()
        prefix = String(UInt32.random(in: 0x1000_0000...UInt32.max, using: &r), radix: 16)
    }

    public static func isSane(_ id: String) -> Bool {
        let u = id.utf8
        return !u.isEmpty && u.count <= 128 && u.allSatisfy { c in
            (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c == 45 || c == 95 || c == 46 || c == 58
        }
    }

    public func handle(_ request: HTTPRequest, _ context: HTTPContext, next: HTTPNext) throws -> HTTPResponse {
        if let given = request.headers["X-Request-Id"], Self.isSane(given) {
            context.requestId = given
        } else {
            context.requestId = prefix + "-" + String(counter.next(), radix: 16)
        }
        var r = try next(request, context)
        r.headers.set("X-Request-Id", context.requestId)
        return r
    }
}

final class RequestCounter: @unchecked Sendable {
    let lock = NSLock()
    var n: UInt64 = 0
    func next() -> UInt64 { lock.lock(); n &+= 1; let v = n; lock.unlock(); return v }
}

/// Lines to stderr (or any descriptor) without a syscall per line: a buffer flushed by a
/// background thread every 50 ms, or at once past 64 KiB, and by `flush()`.
public final class HTTPLogSink: @unchecked Sendable {
    let fd: Int32
    let lock = NSLock()
    var buffer: [UInt8] = []
    var started = false

    public init(fd: Int32 = 2) { self.fd = fd }

    public static let stderr = HTTPLogSink(fd: 2)

    public func write(_ line: [UInt8]) {
        lock.lock()
        buffer += line
        buffer.append(10)
        let big = buffer.count > 64 << 10
        if !started {
            started = true
            let t = Thread { [self] in
                while true { usleep(50_000); flush() }
            }
            t.name = "olleey-log"
            t.start()
        }
        lock.unlock()
        if big { flush() }
    }

    public func flush() {
        lock.lock()
        let b = buffer
        buffer.removeAll(keepingCapacity: true)
        lock.unlock()
        guard !b.isEmpty else { return }
        b.withUnsafeBytes { p in
            var off = 0
            while off < p.count, let base = p.baseAddress {
                let n = Glibc.write(fd, base + off, p.count - off)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { return }
                off += n
            }
        }
    }
}

/// The access log: one JSON line per request on stderr (method, the path without its query
/// string, status, bytes, duration in ms, request id, route). Query strings can hold tokens, so
/// they are never logged, nor are header fields.
public struct AccessLogMiddleware: HTTPMiddleware {
    let sink: HTTPLogSink
    public init(sink: HTTPLogSink = .stderr) { self.sink = sink }

    public func handle(_ request: HTTPRequest, _ context: HTTPContext, next: HTTPNext) throws -> HTTPResponse {
        let r = try next(request, context)
        let micros = Int((monotonicNanos() &- context.started) / 1000)
        var w = JSONWriter(capacity: 160)
        w.object { o in
            o.field("method", request.method)
            o.field("path", request.path)
            o.field("route", context.routePattern)
            o.field("status", r.status)
            o.key("bytes")
            switch r.body {
            case let .bytes(b): o.value(b.count)
            case let .file(f): o.value(f.length)
            case .stream, .live, .webSocket: o.null()
            }
            o.key("duration_ms"); o.value(fixed: micros, decimals: 3)
            o.field("request_id", context.requestId)
        }
        sink.write(w.bytes)
        return r
    }
}

/// Thrown errors -> JSON responses. `HTTPError` is sent as it is; `map` can turn other errors
/// (the application's own) into an `HTTPError`; anything else is a 500 whose text goes only to
/// the log, with the request id.
public struct ErrorMiddleware: HTTPMiddleware {
    let map: @Sendable (any Error) -> HTTPError?
    let sink: HTTPLogSink

    public init(sink: HTTPLogSink = .stderr, map: @escaping @Sendable (any Error) -> HTTPError? = { _ in nil }) {
        self.map = map; self.sink = sink
    }

    public func handle(_ request: HTTPRequest, _ context: HTTPContext, next: HTTPNext) throws -> HTTPResponse {
        do {
            return try next(request, context)
        } catch let e as HTTPError {
            return e.response
        } catch {
            if let e = map(error) {
                if e.status >= 500 { log(error, context) }
                return e.response
            }
            log(error, context)
            return HTTPError(500, "internal server error", code: "internal").response
        }
    }

    func log(_ error: any Error, _ context: HTTPContext) {
        var w = JSONWriter()
        w.object { o in
            o.field("level", "error"); o.field("request_id", context.requestId); o.field("route", context.routePattern)
            o.field("error", String(describing: error))
        }
        sink.write(w.bytes)
    }
}

/// Header fields on every response: `X-Content-Type-Options: nosniff` (and any others given).
public struct SecurityHeadersMiddleware: HTTPMiddleware {
    let fields: [(String, String)]
    public init(_ extra: [(String, String)] = []) { fields = [("X-Content-Type-Options", "nosniff")] + extra }
    public func handle(_ request: HTTPRequest, _ context: HTTPContext, next: HTTPNext) throws -> HTTPResponse {
        var r = try next(request, context)
        for (k, v) in fields where !r.headers.contains(k) { r.headers.add(k, v) }
        return r
    }
}

/// CORS for the configured origins (`*` allows any): preflight requests (OPTIONS with
/// `Access-Control-Request-Method`) are answered here with 204; other requests from an allowed
/// origin get `Access-Control-Allow-Origin` and `Vary: Origin`. Unknown origins get no CORS
/// fields (the browser then refuses).
public struct CORSMiddleware: HTTPMiddleware {
    let origins: Set<String>
    let methods: String
    let headers: String
    let maxAge: Int

    public init(origins: [String], methods: [String] = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
                headers: [String] = ["Authorization", "Content-Type", "X-Request-Id", "Last-Event-ID"], maxAge: Int = 600) {
        self.origins = Set(origins); self.methods = methods.joined(separator: ", "); self.headers = headers.joined(separator: ", ")
        self.maxAge = maxAge
    }

    func allowed(_ origin: String) -> String? {
        if origins.contains("*") { return "*" }
        return origins.contains(origin) ? origin : nil
    }

    public func handle(_ request: HTTPRequest, _ context: HTTPContext, next: HTTPNext) throws -> HTTPResponse {
        guard let origin = request.headers["Origin"] else { return try next(request, context) }
        if request.method == "OPTIONS", request.headers.contains("Access-Control-Request-Method") {
            var h = HTTPHeaders([("Vary", "Origin")])
            if let allow = allowed(origin) {
                h.add("Access-Control-Allow-Origin", allow)
                h.add("Access-Control-Allow-Methods", methods)
                h.add("Access-Control-Allow-Headers", headers)
                h.add("Access-Control-Max-Age", String(maxAge))
                if allow != "*" { h.add("Access-Control-Allow-Credentials", "true") }
            }
            return HTTPResponse(status: 204, headers: h)
        }
        var r = try next(request, context)
        if let allow = allowed(origin) {
            r.headers.set("Access-Control-Allow-Origin", allow)
            if allow != "*" { r.headers.set("Access-Control-Allow-Credentials", "true") }
            r.headers.add("Vary", "Origin")
            r.headers.set("Access-Control-Expose-Headers", "X-Request-Id, X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset, Retry-After")
        }
        return r
    }
}

/// A counter behind a rate limit: one hit on `key` within a window of `window` seconds.
public struct RateLimitDecision: Sendable, Equatable {
    public var limit: Int
    public var remaining: Int
    /// When the window ends, in seconds since the epoch (`X-RateLimit-Reset`).
    public var resetAt: Int
    /// Seconds until the window ends, at least 1 (`Retry-After` when refused).
    public var retryAfter: Int
    public var allowed: Bool
    public init(limit: Int, remaining: Int, resetAt: Int, retryAfter: Int, allowed: Bool) {
        self.limit = limit; self.remaining = remaining; self.resetAt = resetAt; self.retryAfter = retryAfter; self.allowed = allowed
    }
}

/// Where rate-limit counters live: in memory (one process) or in the store (several processes).
public protocol RateLimitStore: Sendable {
    /// Counts one hit on `key` and says whether it is within `limit` per `window` seconds.
    func hit(key: String, limit: Int, window: Int) throws -> RateLimitDecision
}

/// Fixed-window counters in memory, swept as windows end.
public final class InMemoryRateLimitStore: RateLimitStore, @unchecked Sendable {
    let lock = NSLock()
    var windows: [String: (start: Int, count: Int)] = [:]
    let clock: @Sendable () -> Int
    var lastSweep = 0

    public init(clock: @escaping @Sendable () -> Int = { Int(time(nil)) }) { self.clock = clock }

    public func hit(key: String, limit: Int, window: Int) -> RateLimitDecision {
        let now = clock()
        lock.lock(); defer { lock.unlock() }
        if now - lastSweep > 60 {
            windows = windows.filter { now - $0.value.start < 3600 }
            lastSweep = now
        }
        var w = windows[key] ?? (start: now, count: 0)
        if now - w.start >= window { w = (start: now, count: 0) }
        w.count += 1
        windows[key] = w
        return RateLimitDecision(limit: limit, remaining: max(0, limit - w.count), resetAt: w.start + window,
                                 retryAfter: max(1, w.start + window - now), allowed: w.count <= limit)
    }
}

/// A rate limit: `limit` hits per `window` seconds per key (`key` picks it from the request and
/// context, e.g. the client IP or the user id; nil skips the limit). Sets X-RateLimit-Limit,
/// -Remaining and -Reset (epoch seconds, as the root spec's example), and answers 429 with
/// Retry-After (seconds) when over.
public struct RateLimitMiddleware: HTTPMiddleware {
    let store: any RateLimitStore
    let limit: Int
    let window: Int
    let key: @Sendable (HTTPRequest, HTTPContext) -> String?

    public init(store: any RateLimitStore, limit: Int, window: Int, key: @escaping @Sendable (HTTPRequest, HTTPContext) -> String?) {
        self.store = store; self.limit = limit; self.window = window; self.key = key
    }

    /// By client IP, under a name (`auth`).
    public static func perIP(_ name: String, store: any RateLimitStore, limit: Int, window: Int) -> RateLimitMiddleware {
        RateLimitMiddleware(store: store, limit: limit, window: window) { req, _ in "\(name):ip:\(req.remoteAddress)" }
    }

    public func handle(_ request: HTTPRequest, _ context: HTTPContext, next: HTTPNext) throws -> HTTPResponse {
        guard let k = key(request, context) else { return try next(request, context) }
        let d = try store.hit(key: k, limit: limit, window: window)
        let fields = [("X-RateLimit-Limit", String(d.limit)), ("X-RateLimit-Remaining", String(d.remaining)), ("X-RateLimit-Reset", String(d.resetAt))]
        guard d.allowed else {
            throw HTTPError(429, "rate limit exceeded; retry in \(d.retryAfter) s", code: "rate_limited",
                            headers: HTTPHeaders(fields + [("Retry-After", String(d.retryAfter))]))
        }
        var r: HTTPResponse
        do { r = try next(request, context) } catch var e as HTTPError {
            for (n, v) in fields { e.headers.set(n, v) }
            throw e
        }
        for (n, v) in fields { r.headers.set(n, v) }
        return r
    }
}

/// Counts requests by route pattern and status and observes latency.
public struct MetricsMiddleware: HTTPMiddleware {
    let registry: HTTPMetrics
    public init(_ registry: HTTPMetrics) { self.registry = registry }
    public func handle(_ request: HTTPRequest, _ context: HTTPContext, next: HTTPNext) throws -> HTTPResponse {
        let r = try next(request, context)
        registry.observe(method: request.method, route: context.routePattern, status: r.status, nanos: monotonicNanos() &- context.started)
        return r
    }
}
