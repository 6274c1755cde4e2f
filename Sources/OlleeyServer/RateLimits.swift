import OlleeyHTTP
import OlleeyKit

/// Rate-limit counters in the workspace store (OlleeyKit's RateLimiter: one upsert per hit), so
/// that every server process on one workspace counts against the same limits. The counting runs
/// on the writer connection, so the middleware that uses it belongs in route groups (pool
/// threads), never in `router.use` (the event loop).
struct StoreRateLimits: RateLimitStore {
    let env: ServerEnvironment

    func hit(key: String, limit: Int, window: Int) throws -> RateLimitDecision {
        let c = try env.write { db in try RateLimiter(db).hit(key: key, limit: limit, window: Int64(window)) }
        return RateLimitDecision(limit: c.limit, remaining: c.remaining, resetAt: Int(c.resetEpochSeconds),
                                 retryAfter: Int(c.retryAfter), allowed: c.allowed)
    }
}

/// The root spec's limits, read from the `ratelimit.*` settings when the router is built: auth
/// routes 10 a minute per client IP, other authenticated routes 100 a minute per user, uploads
/// 10 an hour per user. Each factory returns OlleeyHTTP's RateLimitMiddleware (the one place
/// that writes `X-RateLimit-*` and the 429 with `Retry-After`).
public struct RateLimits: Sendable {
    public var auth: RateLimitRule
    public var standard: RateLimitRule
    public var upload: RateLimitRule
    let store: any RateLimitStore

    /// With the workspace's settings and the store-backed counters.
    public init(env: ServerEnvironment) throws {
        let rules = try env.read { db in
            let c = ConfigStore(db)
            return (RateLimitRule.auth(c), RateLimitRule.standard(c), RateLimitRule.upload(c))
        }
        (auth, standard, upload) = rules
        store = StoreRateLimits(env: env)
    }

    /// The spec's defaults (when the settings cannot be read).
    init(defaultsFor env: ServerEnvironment) {
        auth = .auth(nil); standard = .standard(nil); upload = .upload(nil)
        store = StoreRateLimits(env: env)
    }

    /// Per client IP (auth routes: login, register, refresh, sign-in).
    public func authMiddleware() -> RateLimitMiddleware {
        RateLimitMiddleware.perIP(auth.name, store: store, limit: auth.limit, window: Int(auth.window))
    }

    /// Per authenticated user (after AuthMiddleware); a request without a principal is not counted.
    public func standardMiddleware() -> RateLimitMiddleware { perUser(standard) }

    /// Per authenticated user, for upload routes.
    public func uploadMiddleware() -> RateLimitMiddleware { perUser(upload) }

    func perUser(_ rule: RateLimitRule) -> RateLimitMiddleware {
        let name = rule.name
        return RateLimitMiddleware(store: store, limit: rule.limit, window: Int(rule.window)) { _, ctx in
            (try? ctx.principal()).map { "\(name):user:\($0.user.id)" }
        }
    }
}

/// Maps OlleeyKit's errors to HTTPError inside a group, so that middleware around it (rate-limit
/// headers) sees an HTTPError and can add its fields.
struct MapErrorsMiddleware: HTTPMiddleware {
    func handle(_ request: HTTPRequest, _ context: HTTPContext, next: HTTPNext) throws -> HTTPResponse {
        do { return try next(request, context) } catch let e as OlleeyError {
            throw ServerErrors.map(e) ?? HTTPError(500, "internal error", code: "internal")
        }
    }
}
