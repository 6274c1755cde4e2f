import Foundation

/// What one counted hit learns: the count against the limit in the current fixed window. The
/// HTTP side (OlleeyHTTP's RateLimitMiddleware) turns it into headers and a 429.
public struct RateLimitCount: Sendable, Equatable {
    public var limit: Int
    public var remaining: Int
    /// When the window ends (seconds since the epoch).
    public var resetEpochSeconds: Int64
    public var allowed: Bool
    /// Seconds until the window ends (at least 1).
    public var retryAfter: Int64
}

/// The limits of the root spec: a class of request, its limit and window.
public struct RateLimitRule: Sendable, Equatable {
    public var name: String
    public var limit: Int
    public var window: Int64

    public init(_ name: String, limit: Int, window: Int64) { self.name = name; self.limit = limit; self.window = window }

    /// Auth routes, per client IP: 10 a minute (`ratelimit.auth_per_minute`).
    public static func auth(_ config: ConfigStore?) -> RateLimitRule { .init("auth", limit: setting(config, "ratelimit.auth_per_minute", 10), window: 60) }
    /// Other routes, per user: 100 a minute (`ratelimit.standard_per_minute`).
    public static func standard(_ config: ConfigStore?) -> RateLimitRule { .init("standard", limit: setting(config, "ratelimit.standard_per_minute", 100), window: 60) }
    /// Uploads, per user: 10 an hour (`ratelimit.upload_per_hour`).
    public static func upload(_ config: ConfigStore?) -> RateLimitRule { .init("upload", limit: setting(config, "ratelimit.upload_per_hour", 10), window: 3600) }

    static func setting(_ config: ConfigStore?, _ key: String, _ d: Int) -> Int {
        (try? config?.value(key)).flatMap { $0.flatMap { Int($0) } } ?? d
    }
}

/// Rate limiting backed by the store, so that every server process on one workspace counts
/// against the same limits. Fixed windows aligned to the epoch (a window of 60 s starts at
/// each whole minute): one upsert per hit, no read-modify-write race. At a window edge a
/// client can get up to twice the limit in a short span; that is the accepted cost of a
/// counter that takes one statement.
public struct RateLimiter {
    let db: Database

    public init(_ db: Database) { self.db = db }

    /// Counts a hit of `key` (e.g. `auth:ip:203.0.113.5`) against `limit` per `window` seconds.
    public func hit(key: String, limit: Int, window: Int64, now: Int64 = Clock.nowMillis() / 1000) throws -> RateLimitCount {
        let w = max(1, window)
        let start = now - ((now % w) + w) % w
        let (ws, count) = try RateLimitCounterStore(db).hit(key: key, windowStart: start)
        let reset = ws + w
        let allowed = count <= Int64(limit)
        return RateLimitCount(limit: limit, remaining: max(0, limit - Int(min(count, Int64(Int32.max)))), resetEpochSeconds: reset,
                              allowed: allowed, retryAfter: max(1, reset - now))
    }

    /// Counts a hit under a rule: the key is `rule.name + ":" + subject`.
    public func hit(_ rule: RateLimitRule, subject: String, now: Int64 = Clock.nowMillis() / 1000) throws -> RateLimitCount {
        try hit(key: rule.name + ":" + subject, limit: rule.limit, window: rule.window, now: now)
    }

    /// Drops counters older than a day (a server calls it now and then).
    @discardableResult
    public func prune(now: Int64 = Clock.nowMillis() / 1000) throws -> Int { try RateLimitCounterStore(db).prune(before: now - 86_400) }
}
