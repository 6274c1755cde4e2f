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

extension RateLimitCount {
    /// `total` hits counted in the window of `window` seconds that starts at `windowStart`.
    init(limit: Int, total: Int64, windowStart: Int64, window: Int64, now: Int64) {
        let reset = windowStart + window
        self.init(limit: limit, remaining: Int(max(0, Int64(limit) - min(total, Int64(limit)))), resetEpochSeconds: reset,
                  allowed: total <= Int64(limit), retryAfter: max(1, reset - now))
    }

    /// The start of the fixed window of `window` seconds (at least 1) holding `now`: windows are
    /// aligned to the epoch, so every process computes the same one.
    static func windowStart(_ now: Int64, _ window: Int64) -> Int64 {
        let w = max(1, window)
        return now - ((now % w) + w) % w
    }
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
        let (ws, count) = try RateLimitCounterStore(db).hit(key: key, windowStart: RateLimitCount.windowStart(now, window))
        return RateLimitCount(limit: limit, total: count, windowStart: ws, window: max(1, window), now: now)
    }

    /// Counts a hit under a rule: the key is `rule.name + ":" + subject`.
    public func hit(_ rule: RateLimitRule, subject: String, now: Int64 = Clock.nowMillis() / 1000) throws -> RateLimitCount {
        try hit(key: rule.name + ":" + subject, limit: rule.limit, window: rule.window, now: now)
    }

    /// Drops counters older than a day (a server calls it now and then).
    @discardableResult
    public func prune(now: Int64 = Clock.nowMillis() / 1000) throws -> Int { try RateLimitCounterStore(db).prune(before: now - 86_400) }
}

/// The store's counters with the hot path kept off the writer: a server process counts hits in
/// memory and adds them to the store's counter in batches, so a busy route does not write SQLite
/// per request, while processes on one store still share one count.
///
/// The rule per key and window: a process knows the store's count as of its last sync (`known`)
/// and the hits it has not written yet (`pending`). It syncs (adds `pending + 1` with one upsert
/// and learns the new total) when its unsynced hits would exceed 1/16 of what the limit has left
/// (so with up to 16 processes the limit holds; near the limit every hit is written, exactly as
/// `RateLimiter` does), or when its last sync is older than `maxAge`. Once the known count has
/// reached the limit, further hits in that window are refused without writing: a count only
/// rises within a window, so the refusal is right for every process.
public final class BatchedRateLimiter: @unchecked Sendable {
    /// Adds `n` hits to `key`'s counter for the window starting at `windowStart`; returns the
    /// store's window start and total (the store's RateLimitCounterStore.hit).
    public typealias Counter = @Sendable (_ key: String, _ windowStart: Int64, _ n: Int64) throws -> (windowStart: Int64, count: Int64)

    struct Slot { var windowStart: Int64; var known: Int64; var pending: Int64; var syncedAtMs: Int64 }

    let counter: Counter
    let maxAgeMs: Int64
    let lock = NSLock()
    var slots: [String: Slot] = [:]
    var lastSweepWindow: Int64 = 0

    public init(maxAgeMs: Int64 = 250, counter: @escaping Counter) { self.counter = counter; self.maxAgeMs = maxAgeMs }

    /// Counts a hit of `key` against `limit` per `window` seconds.
    public func hit(key: String, limit: Int, window: Int64, nowMs: Int64 = Clock.nowMillis()) throws -> RateLimitCount {
        let now = nowMs / 1000
        let w = max(1, window)
        let start = RateLimitCount.windowStart(now, w)
        let lim = Int64(limit)
        func count(_ total: Int64) -> RateLimitCount {
            RateLimitCount(limit: limit, total: total, windowStart: start, window: w, now: now)
        }
        lock.lock()
        if start != lastSweepWindow { slots = slots.filter { $0.value.windowStart + w >= start }; lastSweepWindow = start }
        var s = slots[key] ?? Slot(windowStart: start, known: 0, pending: 0, syncedAtMs: 0)
        if s.windowStart != start { s = Slot(windowStart: start, known: 0, pending: 0, syncedAtMs: 0) }
        if s.known >= lim {
            // refused without a write: the store's count for this window is already over
            s.pending += 1
            slots[key] = s
            lock.unlock()
            return count(s.known + s.pending)
        }
        let budget = (lim - s.known) / 16
        if s.syncedAtMs > 0, s.pending + 1 <= budget, nowMs - s.syncedAtMs < maxAgeMs {
            s.pending += 1
            slots[key] = s
            lock.unlock()
            return count(s.known + s.pending)
        }
        let n = s.pending + 1
        s.pending = 0
        slots[key] = s
        lock.unlock()
        let total: Int64
        do {
            let r = try counter(key, start, n)
            total = r.windowStart == start ? r.count : n
        } catch {
            lock.lock(); if var back = slots[key], back.windowStart == start { back.pending += n; slots[key] = back }; lock.unlock()
            throw error
        }
        lock.lock()
        if var t = slots[key], t.windowStart == start {
            t.known = max(t.known, total); t.syncedAtMs = nowMs
            slots[key] = t
        }
        lock.unlock()
        return count(total)
    }
}
