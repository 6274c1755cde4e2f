import Foundation
import OlleeyHTTP
import OlleeyKit

/// What every route handler shares: the workspace and its database pool (one writer, a few
/// readers, safe to use from the server's worker threads).
public struct ServerEnvironment: Sendable {
    public let workspace: Workspace
    public let pool: DatabasePool

    public init(workspace: Workspace, pool: DatabasePool) { self.workspace = workspace; self.pool = pool }

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
        let openapi = OpenAPIBox()
        router.on("GET", "/openapi.json", summary: "this document", tags: ["meta"], execution: .loop) { _, _ in
            .json(openapi.bytes)
        }
        openapi.bytes = OpenAPIDocument.generate(router, title: "olleey", version: OlleeyVersion.string,
                                                 description: "Video localization: subtitles, translation, dubbing, review.",
                                                 schemas: MetaRoutes.schemas)
        return router
    }
}

/// The OpenAPI document, made once the route table is complete.
final class OpenAPIBox: @unchecked Sendable {
    var bytes: [UInt8] = []
}
