import Foundation
import OlleeyHTTP
import OlleeyKit

/// What every route handler shares: the workspace and its database pool (one writer, a few
/// readers, safe to use from the server's worker threads).
public struct ServerEnvironment: Sendable {
    public let workspace: Workspace
    public let pool: DatabasePool
    /// The access-token key, read from the store at most once per `keyTTL` seconds.
    let tokenKey: CachedValue<[UInt8]>
    /// Principals of access tokens verified in the last `principalTTL` seconds.
    let principals: PrincipalCache
    /// The live feed of the event log for SSE and WebSocket clients: one poller for the
    /// whole server, running while someone listens.
    public let events: EventFeed

    public init(workspace: Workspace, pool: DatabasePool, keyTTL: Double = 5, principalTTL: Double = 1) {
        self.workspace = workspace; self.pool = pool; self.tokenKey = CachedValue(ttl: keyTTL)
        self.principals = PrincipalCache(ttl: principalTTL)
        self.events = EventFeed(workspace: workspace)
    }

    /// The HMAC key of access tokens: cached for a few seconds (a rotated key is seen within
    /// `keyTTL`), else read through `db`. Settings are not read per request at all:
    /// `authenticate` needs none.
    func accessTokenKey(_ db: Database) throws -> [UInt8] {
        try tokenKey.get { try SigningKeys(db).tokenKey() }
    }

    /// Tests only: the PBKDF2 work factor of new password hashes, below the floor of the
    /// `auth.password_iterations` setting (100,000), so that tests hash fast. `olleey serve`
    /// never sets it; the setting cannot reach it.
    public var testPasswordIterations: Int?

    /// The accounts settings of the workspace (with the test work factor when set).
    func authSettings(_ db: Database) throws -> AuthSettings {
        var s = try AuthSettings.load(ConfigStore(db))
        if let i = testPasswordIterations { s.passwordIterations = i }
        return s
    }

    /// AuthService on `db` with the workspace's settings.
    func auth(_ db: Database) throws -> AuthService { AuthService(db, settings: try authSettings(db)) }

    /// AccountAdmin on `db` with the workspace's settings.
    func admin(_ db: Database) throws -> AccountAdmin { AccountAdmin(db, settings: try authSettings(db)) }

    /// A read on one of the pool's reader connections.
    public func read<T>(_ body: (Database) throws -> T) throws -> T { try pool.read(body) }
    /// A state change on the writer connection; services open their own transactions.
    public func write<T>(_ body: (Database) throws -> T) throws -> T { try pool.writeWithoutTransaction(body) }
}

/// The API: the route table of both specs (`../shared/spec/`), each route a thin mapping of HTTP
/// onto an OlleeyKit service and its read model, with the authenticated user as the actor.
public struct ServerApp: Sendable {
    public let env: ServerEnvironment
    public let metrics: HTTPMetrics
    public let corsOrigins: [String]

    public init(env: ServerEnvironment, metrics: HTTPMetrics, corsOrigins: [String] = []) {
        self.env = env; self.metrics = metrics; self.corsOrigins = corsOrigins
    }

    public func router() -> HTTPRouter {
        let router = HTTPRouter()
        router.use(RequestIDMiddleware())
        router.use(SecurityHeadersMiddleware())
        router.use(AccessLogMiddleware())
        router.use(MetricsMiddleware(metrics))
        if !corsOrigins.isEmpty { router.use(CORSMiddleware(origins: corsOrigins)) }
        router.use(ErrorMiddleware(map: ServerErrors.map))
        MetaRoutes.register(router, metrics: metrics)
        let limits: RateLimits
        do { limits = try RateLimits(env: env) } catch {
            // the settings cannot be read: the defaults, still store-backed
            limits = RateLimits(defaultsFor: env)
        }
        AuthRoutes.register(router, env: env, limits: limits)
        AccountRoutes.register(router, env: env, limits: limits)
        JobRoutes.register(router, env: env, limits: limits)
        VTTRoutes.register(router, env: env, limits: limits)
        ReviewRoutes.register(router, env: env, limits: limits)
        FileRoutes.register(router, env: env, limits: limits)
        EventRoutes.register(router, env: env, limits: limits)
        DashboardRoutes.register(router, env: env, limits: limits)
        ChannelRoutes.register(router, env: env, limits: limits)
        CostSettingsRoutes.register(router, env: env, limits: limits)
        VideoRoutes.register(router, env: env, limits: limits)
        let openapi = OpenAPIBox()
        DocsRoutes.register(router, openapi: openapi)
        router.on("GET", "/openapi.json", summary: "this document", tags: ["meta"], execution: .loop) { _, _ in
            .json(openapi.bytes)
        }
        openapi.bytes = OpenAPIDocument.generate(router, title: "olleey", version: OlleeyVersion.string,
                                                 description: "Video localization: subtitles, translation, dubbing, review.",
                                                 schemas: MetaRoutes.schemas.merging(AuthRoutes.schemas) { a, _ in a }.merging(AccountRoutes.schemas) { a, _ in a }
                                                    .merging(JobRoutes.schemas) { a, _ in a }
                                                    .merging(VTTRoutes.schemas) { a, _ in a }
                                                    .merging(ReviewRoutes.schemas) { a, _ in a }
                                                    .merging(FileRoutes.schemas) { a, _ in a }
                                                    .merging(DashboardRoutes.schemas) { a, _ in a }.merging(ProjectRoutes.schemas) { a, _ in a }
                                                    .merging(ChannelRoutes.schemas) { a, _ in a }.merging(CostSettingsRoutes.schemas) { a, _ in a }
                                                    .merging(JobRoutes.detailSchemas) { a, _ in a }.merging(VideoRoutes.schemas) { a, _ in a })
        return router
    }
}

/// The OpenAPI document, made once the route table is complete.
final class OpenAPIBox: @unchecked Sendable {
    var bytes: [UInt8] = []
}

/// A value read from the store and kept for `ttl` seconds (monotonic clock), shared by the
/// server's threads.
final class CachedValue<T: Sendable>: @unchecked Sendable {
    let ttl: Double
    private let lock = NSLock()
    private var value: T?
    private var readAt: UInt64 = 0

    init(ttl: Double) { self.ttl = ttl }

    func get(_ load: () throws -> T) throws -> T {
        let now = DispatchTime.now().uptimeNanoseconds
        lock.lock()
        if let v = value, Double(now &- readAt) < ttl * 1e9 { lock.unlock(); return v }
        lock.unlock()
        let v = try load()
        lock.lock(); value = v; readAt = now; lock.unlock()
        return v
    }
}

/// Access tokens verified in the last `ttl` seconds (1 by default), with their principals: a
/// client sending many requests with one token pays for the signature check and the re-read of
/// its user and membership once a second, not per request. The cost: a disabled user, a removed
/// membership or a changed role is seen within `ttl` seconds instead of at once. Bounded: when it
/// holds `capacity` tokens it starts again empty.
final class PrincipalCache: @unchecked Sendable {
    let ttlNanos: UInt64
    let capacity: Int
    private let lock = NSLock()
    private var entries: [String: (principal: Principal, until: UInt64)] = [:]

    init(ttl: Double, capacity: Int = 10_000) { ttlNanos = UInt64(max(0, ttl) * 1e9); self.capacity = capacity }

    func principal(_ token: String, _ verify: () throws -> Principal) throws -> Principal {
        let now = DispatchTime.now().uptimeNanoseconds
        lock.lock()
        if let e = entries[token], now < e.until { lock.unlock(); return e.principal }
        lock.unlock()
        let p = try verify()
        guard ttlNanos > 0 else { return p }
        lock.lock()
        if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
        entries[token] = (p, now + ttlNanos)
        lock.unlock()
        return p
    }
}
