/// The next step of a middleware chain.
public typealias HTTPNext = (HTTPRequest, HTTPContext) throws -> HTTPResponse
public typealias HTTPHandler = @Sendable (HTTPRequest, HTTPContext) throws -> HTTPResponse

/// A step around a handler (Hummingbird-like): it may answer itself, change the request or the
/// context, call `next`, and change the response.
public protocol HTTPMiddleware: Sendable {
    func handle(_ request: HTTPRequest, _ context: HTTPContext, next: HTTPNext) throws -> HTTPResponse
}

/// A middleware from a closure.
public struct HTTPMiddlewareFunction: HTTPMiddleware {
    let body: @Sendable (HTTPRequest, HTTPContext, HTTPNext) throws -> HTTPResponse
    public init(_ body: @escaping @Sendable (HTTPRequest, HTTPContext, HTTPNext) throws -> HTTPResponse) { self.body = body }
    public func handle(_ request: HTTPRequest, _ context: HTTPContext, next: HTTPNext) throws -> HTTPResponse {
        try body(request, context, next)
    }
}

/// Where a route's handler runs: on the event loop (only for handlers that never block: health,
/// metrics, a cached document) or on the worker pool (the default: SQLite, files).
public enum HTTPExecution: Sendable, Equatable { case loop, pool }

/// How a route takes its body: buffered in memory up to the JSON limit, or streamed to a file up
/// to `maxBytes` (uploads).
public enum HTTPBodyMode: Sendable, Equatable {
    case buffered
    case streamed(maxBytes: Int)
}

/// One route: data (for the router and for OpenAPI) plus its handler and middleware.
public struct HTTPRoute: Sendable {
    public var method: String
    /// `/jobs/:id` or `/jobs/{id}`; a last segment `{name...}` (or `*name`) matches the rest of
    /// the path (one segment or more, joined with `/`).
    public var path: String
    public var summary: String
    public var tags: [String]
    /// True when the route needs an authenticated caller (the auth middleware decides; OpenAPI
    /// shows a bearer security requirement).
    public var requiresAuth: Bool
    public var requestSchema: String?
    public var responseSchema: String?
    public var execution: HTTPExecution
    public var body: HTTPBodyMode
    public var handler: HTTPHandler
    var middleware: [any HTTPMiddleware] = []
    var pattern: [Segment] = []
    var index: Int?

    enum Segment: Sendable, Equatable {
        case literal(String), parameter(String)
        /// The rest of the path (only as the last segment).
        case rest(String)

        /// How specific a segment is: a literal wins over a parameter, a parameter over the rest.
        var rank: Int {
            switch self { case .literal: return 2; case .parameter: return 1; case .rest: return 0 }
        }
    }

    public init(_ method: String, _ path: String, summary: String = "", tags: [String] = [], requiresAuth: Bool = false,
                requestSchema: String? = nil, responseSchema: String? = nil, execution: HTTPExecution = .pool,
                body: HTTPBodyMode = .buffered, handler: @escaping HTTPHandler) {
        self.method = method.uppercased(); self.path = path; self.summary = summary; self.tags = tags
        self.requiresAuth = requiresAuth; self.requestSchema = requestSchema; self.responseSchema = responseSchema
        self.execution = execution; self.body = body; self.handler = handler
        self.pattern = Self.compile(path)
    }

    static func compile(_ path: String) -> [Segment] {
        let parts = Array(path.split(separator: "/", omittingEmptySubsequences: false).dropFirst())
        return parts.enumerated().map { i, s in
            let last = i == parts.count - 1
            if last, s.hasPrefix("*"), s.count > 1 { return .rest(String(s.dropFirst())) }
            if last, s.hasPrefix("{"), s.hasSuffix("...}"), s.count > 5 { return .rest(String(s.dropFirst().dropLast(4))) }
            if s.hasPrefix(":") { return .parameter(String(s.dropFirst())) }
            if s.hasPrefix("{") && s.hasSuffix("}") && s.count > 2 { return .parameter(String(s.dropFirst().dropLast())) }
            return .literal(String(s))
        }
    }

    /// The path in OpenAPI form (`/jobs/{id}`).
    public var openAPIPath: String {
        "/" + pattern.map { seg -> String in
            switch seg {
            case let .parameter(p), let .rest(p): return "{\(p)}"
            case let .literal(l): return l
            }
        }.joined(separator: "/")
    }

    public var parameterNames: [String] {
        pattern.compactMap { seg in
            switch seg { case let .parameter(p), let .rest(p): return p; case .literal: return nil }
        }
    }

    var isStatic: Bool { !pattern.contains(where: { if case .literal = $0 { return false } else { return true } }) }

    func match(_ segments: [String]) -> [String: String]? {
        var params: [String: String] = [:]
        if case let .rest(name)? = pattern.last {
            guard segments.count >= pattern.count else { return nil }
            let tail = segments[(pattern.count - 1)...]
            guard !tail.contains(where: \.isEmpty) else { return nil }
            params[name] = tail.joined(separator: "/")
        } else {
            guard segments.count == pattern.count else { return nil }
        }
        for (p, s) in zip(pattern, segments) {
            switch p {
            case let .literal(l): if l != s { return nil }
            case let .parameter(name): if s.isEmpty { return nil }; params[name] = s
            case .rest: break
            }
        }
        return params
    }

    /// Whether this route's pattern is more specific than `other`'s: at the first segment where
    /// they differ in kind, a literal wins over a parameter and a parameter over the rest of the
    /// path (`/v/{lang}/diff` wins over `/v/{lang}/{version}`, whatever the order they were added).
    func isMoreSpecific(than other: HTTPRoute) -> Bool {
        for (a, b) in zip(pattern, other.pattern) where a.rank != b.rank { return a.rank > b.rank }
        return pattern.count > other.pattern.count
    }
}

/// Routes under a common prefix, with middleware that wraps only them (auth, rate limits).
public final class HTTPRouteGroup: @unchecked Sendable {
    let router: HTTPRouter
    let prefix: String
    let middleware: [any HTTPMiddleware]
    let tags: [String]

    init(router: HTTPRouter, prefix: String, middleware: [any HTTPMiddleware], tags: [String]) {
        self.router = router; self.prefix = prefix; self.middleware = middleware; self.tags = tags
    }

    /// Adds a route under the group's prefix, wrapped in the group's middleware.
    @discardableResult
    public func add(_ route: HTTPRoute) -> HTTPRouteGroup {
        var r = route
        r.path = prefix + (route.path == "/" && !prefix.isEmpty ? "" : route.path)
        r.pattern = HTTPRoute.compile(r.path)
        r.middleware = middleware + route.middleware
        if r.tags.isEmpty { r.tags = tags }
        router.insert(r)
        return self
    }

    @discardableResult
    public func on(_ method: String, _ path: String, summary: String = "", tags: [String] = [], requiresAuth: Bool = false,
                   requestSchema: String? = nil, responseSchema: String? = nil, execution: HTTPExecution = .pool,
                   body: HTTPBodyMode = .buffered, _ handler: @escaping HTTPHandler) -> HTTPRouteGroup {
        add(HTTPRoute(method, path, summary: summary, tags: tags, requiresAuth: requiresAuth, requestSchema: requestSchema,
                      responseSchema: responseSchema, execution: execution, body: body, handler: handler))
    }

    /// A nested group.
    public func group(_ prefix: String, middleware: [any HTTPMiddleware] = [], tags: [String] = []) -> HTTPRouteGroup {
        HTTPRouteGroup(router: router, prefix: self.prefix + prefix, middleware: self.middleware + middleware, tags: tags.isEmpty ? self.tags : tags)
    }
}

/// Method + path pattern -> route. Routes are added before the server starts and only read after.
/// 404 for an unknown path, 405 with `Allow` for a known path and another method, HEAD answered
/// by the GET route (the server drops the body).
public final class HTTPRouter: @unchecked Sendable {
    public private(set) var routes: [HTTPRoute] = []
    /// Middleware around every request, matched or not (request id, log, errors, CORS).
    public private(set) var middleware: [any HTTPMiddleware] = []
    var staticRoutes: [String: [String: Int]] = [:]
    var dynamicRoutes: [Int] = []

    public init() {}

    /// Adds middleware around every request (outermost first).
    public func use(_ m: any HTTPMiddleware) { middleware.append(m); compiled = [] }

    /// The root group (no prefix, no middleware).
    public var root: HTTPRouteGroup { HTTPRouteGroup(router: self, prefix: "", middleware: [], tags: []) }

    public func group(_ prefix: String, middleware: [any HTTPMiddleware] = [], tags: [String] = []) -> HTTPRouteGroup {
        HTTPRouteGroup(router: self, prefix: prefix, middleware: middleware, tags: tags)
    }

    @discardableResult
    public func on(_ method: String, _ path: String, summary: String = "", tags: [String] = [], requiresAuth: Bool = false,
                   requestSchema: String? = nil, responseSchema: String? = nil, execution: HTTPExecution = .pool,
                   body: HTTPBodyMode = .buffered, _ handler: @escaping HTTPHandler) -> HTTPRouter {
        root.on(method, path, summary: summary, tags: tags, requiresAuth: requiresAuth, requestSchema: requestSchema,
                responseSchema: responseSchema, execution: execution, body: body, handler)
        return self
    }

    /// Each route's whole chain (global middleware, its own, its handler), built by `prepare()`.
    var compiled: [HTTPNext] = []

    /// Builds every route's middleware chain once (the server calls it when it starts; routes
    /// and middleware added later are still served, through a chain built per request).
    public func prepare() {
        compiled = routes.map { r in Self.chain(middleware, Self.chain(r.middleware, r.handler)) }
    }

    func insert(_ r: HTTPRoute) {
        let i = routes.count
        var r = r
        r.index = i
        routes.append(r)
        if r.isStatic {
            staticRoutes[r.path, default: [:]][r.method] = i
        } else {
            dynamicRoutes.append(i)
        }
    }

    public enum Match: Sendable {
        case route(HTTPRoute, [String: String])
        case methodNotAllowed(allow: [String])
        case notFound
    }

    public func match(method: String, path: String, segments: [String]) -> Match {
        var allowed: [String] = []
        if let byMethod = staticRoutes[path] {
            if let i = byMethod[method] ?? (method == "HEAD" ? byMethod["GET"] : nil) { return .route(routes[i], [:]) }
            allowed += byMethod.keys
        }
        var best: (route: HTTPRoute, params: [String: String])?
        for i in dynamicRoutes {
            let r = routes[i]
            guard let params = r.match(segments) else { continue }
            if r.method == method || (method == "HEAD" && r.method == "GET" && !hasExplicitHead(path: r.path)) {
                // the most specific pattern wins (a literal segment over a parameter)
                if best.map({ r.isMoreSpecific(than: $0.route) }) ?? true { best = (r, params) }
                continue
            }
            allowed.append(r.method)
        }
        if let best { return .route(best.route, best.params) }
        if allowed.isEmpty { return .notFound }
        if allowed.contains("GET") && !allowed.contains("HEAD") { allowed.append("HEAD") }
        return .methodNotAllowed(allow: Array(Set(allowed)).sorted())
    }

    func hasExplicitHead(path: String) -> Bool { routes.contains { $0.path == path && $0.method == "HEAD" } }

    /// Runs the global middleware, then the matched route's middleware and handler (or a 404/405
    /// error) for one request.
    public func respond(_ request: HTTPRequest, _ context: HTTPContext, match: Match) throws -> HTTPResponse {
        let inner: HTTPNext
        switch match {
        case let .route(route, params):
            context.route = route
            context.parameters = params
            if let i = route.index, i < compiled.count { return try compiled[i](request, context) }
            inner = Self.chain(route.middleware, route.handler)
        case let .methodNotAllowed(allow):
            inner = { _, _ in throw HTTPError(405, "method not allowed", code: "method_not_allowed", headers: HTTPHeaders([("Allow", allow.joined(separator: ", "))])) }
        case .notFound:
            inner = { _, _ in throw HTTPError.notFound() }
        }
        return try Self.chain(middleware, inner)(request, context)
    }

    static func chain(_ middleware: [any HTTPMiddleware], _ handler: @escaping HTTPNext) -> HTTPNext {
        var next = handler
        for m in middleware.reversed() {
            let n = next
            next = { req, ctx in try m.handle(req, ctx, next: n) }
        }
        return next
    }
}
