import OlleeyHTTP
import OlleeyKit

/// Bearer tokens: `Authorization: Bearer TOKEN` (scheme case-insensitive) checked by
/// `AuthService.authenticate`, which re-reads the user and their membership from the store (the
/// signing key is cached by ServerEnvironment for a few seconds; a verified token's principal
/// for one second). The
/// principal is kept in the request context for the handler; without a valid token the request
/// is 401. `allowQueryToken` (SSE and WebSocket routes only) also accepts `?token=`.
struct AuthMiddleware: HTTPMiddleware {
    static let key = "principal"
    let env: ServerEnvironment
    var allowQueryToken = false

    func handle(_ request: HTTPRequest, _ context: HTTPContext, next: HTTPNext) throws -> HTTPResponse {
        guard let token = request.bearerToken ?? (allowQueryToken ? request.queryValue("token") : nil), !token.isEmpty else {
            throw HTTPError(401, "not authenticated: send Authorization: Bearer <access token>", code: "unauthenticated",
                            headers: HTTPHeaders([("WWW-Authenticate", "Bearer")]))
        }
        // no settings load and a cached key; the user and membership are re-read at most once a
        // second per token (PrincipalCache)
        let principal = try env.principals.principal(token) {
            try env.read { db in try AuthService(db, settings: AuthSettings()).authenticate(token, key: try env.accessTokenKey(db)) }
        }
        context.values[Self.key] = principal
        return try next(request, context)
    }
}

extension HTTPContext {
    /// The authenticated caller (set by AuthMiddleware); 401 on a route that has none.
    func principal() throws -> Principal {
        guard let p = values[AuthMiddleware.key] as? Principal else {
            throw HTTPError(401, "not authenticated", code: "unauthenticated")
        }
        return p
    }
}
