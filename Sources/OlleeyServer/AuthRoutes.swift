import Foundation
import OlleeyHTTP
import OlleeyKit

/// The authentication routes of both specs, each a thin mapping onto AuthService:
///
/// - root (`/auth/...`): register, login, google, me, refresh, logout, change-password; the
///   refresh token travels in the JSON body.
/// - `/api/v1/auth/...`: login, refresh, logout, change-password, microsoft/login and
///   microsoft/callback, and `/api/v1/users/me`; the refresh token travels only in the
///   `refresh_token` cookie (`HttpOnly; Secure; SameSite=Strict; Path=/api/v1/auth`).
///
/// Credential routes are rate limited per client IP (`ratelimit.auth_per_minute`), the others
/// per user (`ratelimit.standard_per_minute`). Token responses carry `Cache-Control: no-store`.
enum AuthRoutes {
    static let cookieName = "refresh_token"
    static let cookiePath = "/api/v1/auth"

    static func register(_ router: HTTPRouter, env: ServerEnvironment, limits: RateLimits) {
        let credential: [any HTTPMiddleware] = [limits.authMiddleware(), MapErrorsMiddleware()]
        let authenticated: [any HTTPMiddleware] = [AuthMiddleware(env: env), limits.standardMiddleware(), MapErrorsMiddleware()]

        // MARK: root API
        let open = router.group("/auth", middleware: credential, tags: ["auth"])
        open.on("POST", "/register", summary: "create an account (auth.registration: open, invite or off) and log in",
                requestSchema: "RegisterRequest", responseSchema: "TokenPair") { req, _ in
            let b = try req.decodeJSON(RegisterBody.self)
            let pair = try env.write { db in
                try env.auth(db).register(email: b.email, password: b.password, name: b.name ?? "", invitation: b.invitation)
            }
            return tokenResponse(pair.json)
        }
        open.on("POST", "/login", summary: "email and password to an access and a refresh token",
                requestSchema: "LoginRequest", responseSchema: "TokenPair") { req, _ in
            let b = try req.decodeJSON(LoginBody.self)
            let pair = try login(b, env: env)
            return tokenResponse(pair.json)
        }
        open.on("POST", "/google", summary: "sign in with a Google ID token", requestSchema: "IDTokenRequest", responseSchema: "TokenPair") { req, _ in
            let b = try req.decodeJSON(IDTokenBody.self)
            let pair = try signIn("google", idToken: b.idToken, env: env)
            return tokenResponse(pair.json)
        }
        open.on("POST", "/refresh", summary: "rotate a refresh token (body refresh_token); reuse revokes its family",
                requestSchema: "RefreshRequest", responseSchema: "TokenPair") { req, _ in
            let b = try req.decodeJSON(RefreshBody.self)
            let pair = try env.write { db in try env.auth(db).refresh(b.refreshToken) }
            return tokenResponse(pair.json)
        }
        let me = router.group("/auth", middleware: authenticated, tags: ["auth"])
        me.on("GET", "/me", summary: "the current user", requiresAuth: true, responseSchema: "SessionUser") { _, ctx in
            let p = try ctx.principal()
            return jsonResponse(try env.read { db in try env.auth(db).me(p) }.json)
        }
        me.on("POST", "/logout", summary: "revoke the refresh token given in the body, or every refresh token of the caller",
              requiresAuth: true, responseSchema: "Message") { req, ctx in
            let p = try ctx.principal()
            let token = req.body.isEmpty ? nil : try req.decodeJSON(OptionalRefreshBody.self).refreshToken
            try env.write { db in try env.auth(db).logout(refreshToken: token, principal: p) }
            return jsonResponse(.object([("message", "Logged out successfully")]))
        }
        me.on("POST", "/change-password", summary: "change the caller's password; every refresh token is revoked, a new pair returned",
              requiresAuth: true, requestSchema: "ChangePasswordRequest", responseSchema: "TokenPair") { req, ctx in
            let p = try ctx.principal()
            let b = try req.decodeJSON(ChangePasswordBody.self)
            let pair = try env.write { db in try env.auth(db).changePassword(p, current: b.currentPassword, new: b.newPassword) }
            return tokenResponse(pair.json)
        }

        // MARK: /api/v1
        let v1open = router.group("/api/v1/auth", middleware: credential, tags: ["auth"])
        v1open.on("POST", "/login", summary: "email and password to an access token (body) and a refresh token (HttpOnly cookie)",
                  requestSchema: "LoginRequest", responseSchema: "AccessToken") { req, _ in
            let b = try req.decodeJSON(LoginBody.self)
            let pair = try login(b, env: env)
            let ttl = try env.read { db in try env.authSettings(db).refreshTTL }
            return v1TokenResponse(pair, ttl: ttl)
        }
        v1open.on("POST", "/refresh", summary: "rotate the refresh cookie: a new access token and a new cookie",
                  responseSchema: "AccessToken") { req, _ in
            guard let token = req.cookie(cookieName), !token.isEmpty else {
                throw HTTPError(401, "no refresh token: log in first", code: "unauthenticated")
            }
            let (pair, ttl) = try env.write { db in
                let a = try env.auth(db)
                return (try a.refresh(token), a.settings.refreshTTL)
            }
            return v1TokenResponse(pair, ttl: ttl)
        }
        v1open.on("GET", "/microsoft/login", summary: "redirect to Microsoft's sign-in page (404 when not configured)") { req, _ in
            let provider = try env.read { db in try OIDCProvider.configured("microsoft", config: ConfigStore(db)) }
            guard let provider, let url = microsoftAuthorizeURL(provider, request: req) else { throw notConfigured("Microsoft") }
            return HTTPResponse(status: 302, headers: HTTPHeaders([("Location", url), ("Cache-Control", "no-store")]))
        }
        v1open.on("POST", "/microsoft/callback", summary: "sign in with a Microsoft ID token (JSON or form field id_token)",
                  requestSchema: "IDTokenRequest", responseSchema: "AccessToken") { req, _ in
            let idToken = try idTokenField(req)
            let pair = try signIn("microsoft", idToken: idToken, env: env)
            let ttl = try env.read { db in try env.authSettings(db).refreshTTL }
            return v1TokenResponse(pair, ttl: ttl)
        }
        let v1 = router.group("/api/v1", middleware: authenticated, tags: ["auth"])
        v1.on("POST", "/auth/logout", summary: "revoke the refresh cookie's family (or every refresh token of the caller) and clear the cookie",
              requiresAuth: true, responseSchema: "Message") { req, ctx in
            let p = try ctx.principal()
            try env.write { db in try env.auth(db).logout(refreshToken: req.cookie(cookieName), principal: p) }
            var r = jsonResponse(.object([("message", "Logged out successfully")]))
            r.headers.add("Set-Cookie", cookie("", maxAge: 0))
            r.headers.set("Cache-Control", "no-store")
            return r
        }
        v1.on("POST", "/auth/change-password", summary: "change the caller's password; every refresh token is revoked, a new cookie set",
              requiresAuth: true, requestSchema: "ChangePasswordRequest", responseSchema: "AccessToken") { req, ctx in
            let p = try ctx.principal()
            let b = try req.decodeJSON(ChangePasswordBody.self)
            let (pair, ttl) = try env.write { db in
                let a = try env.auth(db)
                return (try a.changePassword(p, current: b.currentPassword, new: b.newPassword), a.settings.refreshTTL)
            }
            return v1TokenResponse(pair, ttl: ttl)
        }
        v1.on("GET", "/users/me", summary: "the current user", tags: ["users"], requiresAuth: true, responseSchema: "SessionUser") { _, ctx in
            let p = try ctx.principal()
            return jsonResponse(try env.read { db in try env.auth(db).me(p) }.json)
        }
    }

    // MARK: helpers

    /// The password hash on a reader connection, then the tokens on the writer (the writer is
    /// never held for PBKDF2).
    static func login(_ b: LoginBody, env: ServerEnvironment) throws -> TokenPair {
        let checked = try env.read { db in try env.auth(db).checkCredentials(email: b.email, password: b.password) }
        return try env.write { db in try env.auth(db).completeLogin(checked, org: b.org) }
    }

    /// The ID token verified outside the writer (the JWKS may be fetched), then the sign-in.
    static func signIn(_ name: String, idToken: String, env: ServerEnvironment) throws -> TokenPair {
        let provider = try env.read { db in try OIDCProvider.configured(name, config: ConfigStore(db)) }
        guard let provider else { throw notConfigured(name == "google" ? "Google" : "Microsoft") }
        let identity = try OIDCVerifier(provider).verify(idToken, now: Clock.nowMillis() / 1000)
        return try env.write { db in try env.auth(db).signIn(identity) }
    }

    static func notConfigured(_ who: String) -> HTTPError {
        HTTPError(404, "\(who) sign-in is not configured on this server", code: "not_configured")
    }

    /// `https://login.microsoftonline.com/TENANT/oauth2/v2.0/authorize?...` from the configured
    /// issuer (`.../TENANT/v2.0`): an ID token posted back to the callback.
    static func microsoftAuthorizeURL(_ p: OIDCProvider, request: HTTPRequest) -> String? {
        guard let iss = p.issuers.first, iss.hasSuffix("/v2.0"), let nonce = try? Crypto.randomBytes(16) else { return nil }
        let base = String(iss.dropLast("/v2.0".count)) + "/oauth2/v2.0/authorize"
        var q: [(String, String)] = [("client_id", p.audience), ("response_type", "id_token"), ("scope", "openid email profile"),
                                     ("response_mode", "form_post"), ("nonce", Crypto.base64url(nonce))]
        if let host = request.headers["Host"], !host.isEmpty, host.allSatisfy({ $0.isLetter || $0.isNumber || ".-:[]".contains($0) }) {
            q.append(("redirect_uri", "https://\(host)/api/v1/auth/microsoft/callback"))
        }
        return base + "?" + q.map { "\($0.0)=\(percentEncode($0.1))" }.joined(separator: "&")
    }

    static func percentEncode(_ s: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return s.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
    }

    /// `id_token` from a JSON body or an `application/x-www-form-urlencoded` one (form_post).
    static func idTokenField(_ req: HTTPRequest) throws -> String {
        let ct = req.headers["Content-Type"]?.lowercased() ?? ""
        if ct.hasPrefix("application/x-www-form-urlencoded") {
            for pair in String(decoding: req.body, as: UTF8.self).split(separator: "&") {
                let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                if kv.count == 2, kv[0] == "id_token",
                   let v = String(kv[1]).replacingOccurrences(of: "+", with: " ").removingPercentEncoding, !v.isEmpty { return v }
            }
            throw HTTPError(400, "the form has no id_token", code: "invalid_request")
        }
        return try req.decodeJSON(IDTokenBody.self).idToken
    }

    static func cookie(_ value: String, maxAge: Int64) -> String {
        "\(cookieName)=\(value); HttpOnly; Secure; SameSite=Strict; Path=\(cookiePath); Max-Age=\(maxAge)"
    }

    /// The root API's token response: the whole pair in the body.
    static func tokenResponse(_ json: JSON) -> HTTPResponse {
        var r = jsonResponse(json)
        r.headers.set("Cache-Control", "no-store")
        r.headers.set("Pragma", "no-cache")
        return r
    }

    /// `/api/v1`'s token response: the access token and the user in the body, the refresh token
    /// only in the cookie.
    static func v1TokenResponse(_ pair: TokenPair, ttl: Int64) -> HTTPResponse {
        var r = tokenResponse(.object([("access_token", .string(pair.accessToken)), ("token_type", "bearer"),
                                       ("expires_in", .int(pair.expiresIn)), ("user", pair.user.json)]))
        r.headers.add("Set-Cookie", cookie(pair.refreshToken, maxAge: ttl))
        return r
    }

    static var schemas: [String: Any] {
        let s: [String: Any] = ["type": "string"]
        func obj(_ required: [String], _ props: [String: Any]) -> [String: Any] { ["type": "object", "required": required, "properties": props] }
        return [
            "LoginRequest": obj(["email", "password"], ["email": s, "password": s, "org": s]),
            "RegisterRequest": obj(["email", "password"], ["email": s, "password": s, "name": s, "invitation": s]),
            "IDTokenRequest": obj(["id_token"], ["id_token": s]),
            "RefreshRequest": obj(["refresh_token"], ["refresh_token": s]),
            "ChangePasswordRequest": obj(["current_password", "new_password"], ["current_password": s, "new_password": s]),
            "TokenPair": strictObject(["access_token": s, "refresh_token": s, "token_type": s, "expires_in": ["type": "integer"],
                                       "user": ["$ref": "#/components/schemas/SessionUser"]]),
            "AccessToken": strictObject(["access_token": s, "token_type": s, "expires_in": ["type": "integer"],
                                         "user": ["$ref": "#/components/schemas/SessionUser"]]),
            "SessionUser": strictObject(["id": s, "user_id": s, "email": s, "name": s, "role": s, "org_id": s, "org_name": s,
                                         "instance_owner": ["type": "boolean"], "auth_provider": s, "disabled": ["type": "boolean"], "created_at": s]),
            "Message": strictObject(["message": s]),
        ]
    }
}

/// A JSON response from a read model.
func jsonResponse(_ json: JSON, status: Int = 200) -> HTTPResponse {
    .json(Array(json.encoded().utf8), status: status)
}

struct LoginBody: Decodable {
    let email: String
    let password: String
    let org: String?
}

struct RegisterBody: Decodable {
    let email: String
    let password: String
    let name: String?
    let invitation: String?
}

struct IDTokenBody: Decodable {
    let idToken: String
    enum CodingKeys: String, CodingKey { case idToken = "id_token" }
}

struct RefreshBody: Decodable {
    let refreshToken: String
    enum CodingKeys: String, CodingKey { case refreshToken = "refresh_token" }
}

struct OptionalRefreshBody: Decodable {
    let refreshToken: String?
    enum CodingKeys: String, CodingKey { case refreshToken = "refresh_token" }
}

struct ChangePasswordBody: Decodable {
    let currentPassword: String
    let newPassword: String
    enum CodingKeys: String, CodingKey { case currentPassword = "current_password", newPassword = "new_password" }
}
