import Foundation
import Testing
import OlleeyHTTP
import OlleeyKit
import OlleeyServer
import OlleeyTestSupport

@Suite struct AuthRoutesTests {
    @Test("root login: the pair in the body, no-store, expires_in 900; /auth/me with it; lowercase bearer works")
    func rootLoginAndMe() throws {
        let s = try AppServer()
        try s.user("admin@example.com", .admin)
        let r = try s.request("POST", "/auth/login", json: loginJSON("admin@example.com"))
        #expect(r.status == 200)
        #expect(r.header("Cache-Control") == "no-store")
        #expect(r.json["expires_in"] as? Int == 900 && r.json["token_type"] as? String == "bearer")
        #expect((r.json["refresh_token"] as? String)?.isEmpty == false)
        let token = r.json["access_token"] as? String
        let me = try s.request("GET", "/auth/me", headers: bearer(token))
        #expect(me.status == 200 && me.json["email"] as? String == "admin@example.com" && me.json["role"] as? String == "ADMIN")
        #expect(me.header("X-RateLimit-Limit") == "100")
        let lower = try s.request("GET", "/auth/me", headers: [("Authorization", "bearer \(token ?? "")")])
        #expect(lower.status == 200)
        let v1me = try s.request("GET", "/api/v1/users/me", headers: bearer(token))
        #expect(v1me.status == 200 && v1me.json["user_id"] as? String == me.json["user_id"] as? String)
    }

    @Test("v1 login: access token and user in the body, refresh token only as an HttpOnly Secure SameSite=Strict cookie")
    func v1Login() throws {
        let s = try AppServer()
        try s.user("admin@example.com", .admin)
        let r = try s.request("POST", "/api/v1/auth/login", json: loginJSON("admin@example.com"))
        #expect(r.status == 200)
        #expect(r.json["refresh_token"] == nil)
        #expect((r.json["user"] as? [String: Any])?["email"] as? String == "admin@example.com")
        #expect(r.json["expires_in"] as? Int == 900)
        let cookie = r.all("Set-Cookie").first ?? ""
        for part in ["refresh_token=", "HttpOnly", "Secure", "SameSite=Strict", "Path=/api/v1/auth"] { #expect(cookie.contains(part), "\(part) in \(cookie)") }
        #expect(r.header("Cache-Control") == "no-store")
        #expect(r.refreshCookie?.count ?? 0 >= 40)
    }

    @Test("refresh via the body rotates; presenting the rotated-from token again revokes the family (both 401)")
    func refreshRotationAndReuseViaBody() throws {
        let s = try AppServer()
        try s.user("a@example.com", .pm)
        let first = try s.request("POST", "/auth/login", json: loginJSON("a@example.com")).json["refresh_token"] as? String ?? ""
        let r1 = try s.request("POST", "/auth/refresh", json: #"{"refresh_token":"\#(first)"}"#)
        #expect(r1.status == 200 && r1.header("Cache-Control") == "no-store")
        let second = r1.json["refresh_token"] as? String ?? ""
        #expect(!second.isEmpty && second != first)
        #expect(try s.request("GET", "/auth/me", headers: bearer(r1.json["access_token"] as? String)).status == 200)
        let reuse = try s.request("POST", "/auth/refresh", json: #"{"refresh_token":"\#(first)"}"#)
        #expect(reuse.status == 401 && reuse.code == "unauthenticated")
        let newest = try s.request("POST", "/auth/refresh", json: #"{"refresh_token":"\#(second)"}"#)
        #expect(newest.status == 401)
        let actions = try AccountStore(s.db).audit(org: nil, before: nil, limit: 50).map(\.action)
        #expect(actions.contains("auth.refresh") && actions.contains("auth.refresh_reused") && actions.contains("auth.login"))
    }

    @Test("refresh via the cookie rotates the cookie; reuse of the old cookie revokes the family; no cookie is 401")
    func refreshRotationViaCookie() throws {
        let s = try AppServer()
        try s.user("a@example.com", .linguist)
        let login = try s.request("POST", "/api/v1/auth/login", json: loginJSON("a@example.com"))
        let c1 = try #require(login.refreshCookie)
        let r1 = try s.request("POST", "/api/v1/auth/refresh", headers: [("Cookie", "refresh_token=\(c1)")])
        #expect(r1.status == 200 && r1.json["access_token"] as? String != nil && r1.json["refresh_token"] == nil)
        let c2 = try #require(r1.refreshCookie)
        #expect(c2 != c1)
        #expect(try s.request("POST", "/api/v1/auth/refresh", headers: [("Cookie", "other=1; refresh_token=\(c1)")]).status == 401)
        #expect(try s.request("POST", "/api/v1/auth/refresh", headers: [("Cookie", "refresh_token=\(c2)")]).status == 401)
        let none = try s.request("POST", "/api/v1/auth/refresh")
        #expect(none.status == 401 && none.json["detail"] != nil)
    }

    @Test("logout: v1 revokes the cookie's family and clears the cookie; root revokes the body's token; logout needs a bearer")
    func logout() throws {
        let s = try AppServer()
        try s.user("a@example.com", .admin)
        let login = try s.request("POST", "/api/v1/auth/login", json: loginJSON("a@example.com"))
        let cookie = try #require(login.refreshCookie)
        let token = login.json["access_token"] as? String
        #expect(try s.request("POST", "/api/v1/auth/logout").status == 401)
        let out = try s.request("POST", "/api/v1/auth/logout", headers: bearer(token) + [("Cookie", "refresh_token=\(cookie)")])
        #expect(out.status == 200)
        #expect(out.all("Set-Cookie").contains { $0.hasPrefix("refresh_token=;") && $0.contains("Max-Age=0") })
        #expect(try s.request("POST", "/api/v1/auth/refresh", headers: [("Cookie", "refresh_token=\(cookie)")]).status == 401)

        let root = try s.request("POST", "/auth/login", json: loginJSON("a@example.com"))
        let rt = root.json["refresh_token"] as? String ?? ""
        let rootOut = try s.request("POST", "/auth/logout", json: #"{"refresh_token":"\#(rt)"}"#, headers: bearer(root.json["access_token"] as? String))
        #expect(rootOut.status == 200 && rootOut.json["message"] as? String == "Logged out successfully")
        #expect(try s.request("POST", "/auth/refresh", json: #"{"refresh_token":"\#(rt)"}"#).status == 401)
        #expect(try AccountStore(s.db).audit(org: nil, before: nil, limit: 50).map(\.action).filter { $0 == "auth.logout" }.count == 2)
    }

    @Test("change-password: a wrong current password is 403; then the old password fails, the new one works, old refresh tokens are revoked")
    func changePassword() throws {
        let s = try AppServer()
        try s.user("a@example.com", .reviewer)
        let login = try s.request("POST", "/auth/login", json: loginJSON("a@example.com"))
        let token = login.json["access_token"] as? String
        let oldRefresh = login.json["refresh_token"] as? String ?? ""
        let wrong = try s.request("POST", "/api/v1/auth/change-password", json: #"{"current_password":"not it at all","new_password":"another passphrase"}"#, headers: bearer(token))
        #expect(wrong.status == 403)
        let short = try s.request("POST", "/auth/change-password", json: #"{"current_password":"a long passphrase","new_password":"short"}"#, headers: bearer(token))
        #expect(short.status == 400)
        let ok = try s.request("POST", "/api/v1/auth/change-password", json: #"{"current_password":"a long passphrase","new_password":"another passphrase"}"#, headers: bearer(token))
        #expect(ok.status == 200 && ok.refreshCookie != nil && ok.header("Cache-Control") == "no-store")
        #expect(try s.request("POST", "/auth/refresh", json: #"{"refresh_token":"\#(oldRefresh)"}"#).status == 401)
        #expect(try s.request("POST", "/auth/login", json: loginJSON("a@example.com")).status == 401)
        #expect(try s.request("POST", "/auth/login", json: loginJSON("a@example.com", "another passphrase")).status == 200)
    }

    @Test("tampered, expired, alg:none, wrong-key and garbage tokens are 401 with a detail")
    func badTokens() throws {
        let s = try AppServer()
        let u = try s.user("a@example.com", .admin)
        let token = try #require(s.request("POST", "/auth/login", json: loginJSON("a@example.com")).json["access_token"] as? String)
        let parts = token.split(separator: ".").map(String.init)
        func b64(_ j: String) -> String { Crypto.base64url(Array(j.utf8)) }
        let payload = String(decoding: try #require(Crypto.base64urlDecode(parts[1])), as: UTF8.self)
        let tampered = parts[0] + "." + b64(payload.replacingOccurrences(of: "\"ADMIN\"", with: "\"PM\"")) + "." + parts[2]
        let none = b64(#"{"alg":"none","typ":"JWT"}"#) + "." + parts[1] + "."
        let key = try SigningKeys(s.db).tokenKey()
        let expired = try AccessTokenSigner(key: key).sign(user: u.id, org: "default", role: .admin, now: Clock.nowMillis() / 1000 - 3600).token
        let wrongKey = try AccessTokenSigner(key: Array(repeating: 7, count: 32)).sign(user: u.id, org: "default", role: .admin, now: Clock.nowMillis() / 1000).token
        let hs512 = b64(#"{"alg":"HS512","typ":"JWT"}"#) + "." + parts[1] + "." + parts[2]
        for (name, t) in [("tampered", tampered), ("none", none), ("expired", expired), ("wrong key", wrongKey), ("HS512", hs512), ("garbage", "abc")] {
            let r = try s.request("GET", "/auth/me", headers: bearer(t))
            #expect(r.status == 401, "\(name)")
            #expect(r.json["detail"] is String && r.code == "unauthenticated", "\(name)")
        }
        let noHeader = try s.request("GET", "/api/v1/users/me")
        #expect(noHeader.status == 401 && noHeader.header("WWW-Authenticate") == "Bearer")
        #expect(try s.request("GET", "/auth/me", headers: [("Authorization", "Basic \(token)")]).status == 401)
    }

    @Test("brute-force login: 429 with Retry-After and X-RateLimit-* (Reset in epoch seconds) after the per-IP limit")
    func bruteForce() throws {
        let s = try AppServer(settings: [("ratelimit.auth_per_minute", "5")])
        try s.user("a@example.com", .admin)
        var statuses: [Int] = []
        var last: Reply?
        for _ in 0..<7 {
            let r = try s.request("POST", "/auth/login", json: loginJSON("a@example.com", "wrong password"))
            statuses.append(r.status)
            #expect(r.header("X-RateLimit-Limit") == "5")
            last = r
        }
        #expect(statuses == [401, 401, 401, 401, 401, 429, 429])
        let r = try #require(last)
        let retry = Int(r.header("Retry-After") ?? "") ?? 0
        #expect(retry >= 1 && retry <= 60)
        let reset = Int(r.header("X-RateLimit-Reset") ?? "") ?? 0
        let now = Int(Clock.nowMillis() / 1000)
        #expect(reset > now && reset <= now + 61)
        #expect(r.code == "rate_limited" && r.header("X-RateLimit-Remaining") == "0")
        // the right password is refused too while the window lasts: the limit is per IP
        #expect(try s.request("POST", "/api/v1/auth/login", json: loginJSON("a@example.com")).status == 429)
        // the counter is in the store (another process on the workspace sees it)
        #expect(try RateLimiter(s.db).hit(key: "auth:ip:127.0.0.1", limit: 5, window: 60).allowed == false)
    }

    @Test("the standard limit counts per user on authenticated routes")
    func standardLimitPerUser() throws {
        let s = try AppServer(settings: [("ratelimit.standard_per_minute", "3")])
        try s.user("a@example.com", .admin)
        try s.user("b@example.com", .admin)
        let ta = try s.request("POST", "/auth/login", json: loginJSON("a@example.com")).json["access_token"] as? String
        let tb = try s.request("POST", "/auth/login", json: loginJSON("b@example.com")).json["access_token"] as? String
        let codes = try (0..<4).map { _ in try s.request("GET", "/api/v1/users/me", headers: bearer(ta)).status }
        #expect(codes == [200, 200, 200, 429])
        #expect(try s.request("GET", "/api/v1/users/me", headers: bearer(tb)).status == 200)
    }

    @Test("malformed JSON and a body missing fields are 400 invalid_json; a wrong Content-Type is 415; no internals in errors")
    func badBodies() throws {
        let s = try AppServer()
        let bad = try s.request("POST", "/auth/login", json: "{not json")
        #expect(bad.status == 400 && bad.code == "invalid_json")
        #expect(try s.request("POST", "/auth/login", json: #"{"email":"a@example.com"}"#).status == 400)
        #expect(try s.request("POST", "/auth/login", json: "x", contentType: "text/plain").status == 415)
        let wrong = try s.request("POST", "/auth/login", json: loginJSON("nobody@example.com", "whatever it is"))
        #expect(wrong.status == 401)
        for r in [bad, wrong] {
            let t = r.text.lowercased()
            #expect(!t.contains("sqlite") && !t.contains(s.dir.path.lowercased()) && !t.contains(".swift"))
        }
    }

    @Test("Google and Microsoft sign-in not configured: 404 not_configured JSON")
    func oidcNotConfigured() throws {
        let s = try AppServer()
        let g = try s.request("POST", "/auth/google", json: #"{"id_token":"x.y.z"}"#)
        #expect(g.status == 404 && g.code == "not_configured")
        let m = try s.request("GET", "/api/v1/auth/microsoft/login")
        #expect(m.status == 404 && m.code == "not_configured")
        let cb = try s.request("POST", "/api/v1/auth/microsoft/callback", json: "id_token=x.y.z", contentType: "application/x-www-form-urlencoded")
        #expect(cb.status == 404)
    }

    @Test("Microsoft login redirects to the tenant's authorize URL when configured")
    func microsoftRedirect() throws {
        let s = try AppServer(settings: [("auth.microsoft.client_id", "client-123"),
                                         ("auth.microsoft.issuer", "https://login.microsoftonline.com/tenant-1/v2.0"),
                                         ("auth.microsoft.jwks", "/nonexistent/jwks.json")])
        let r = try s.request("GET", "/api/v1/auth/microsoft/login")
        #expect(r.status == 302)
        let loc = r.header("Location") ?? ""
        #expect(loc.hasPrefix("https://login.microsoftonline.com/tenant-1/oauth2/v2.0/authorize?client_id=client-123&response_type=id_token"))
        #expect(loc.contains("redirect_uri=https%3A%2F%2F127.0.0.1%2Fapi%2Fv1%2Fauth%2Fmicrosoft%2Fcallback"))
        // a token that is no JWT is refused (401), not a crash or a 500
        let cb = try s.request("POST", "/api/v1/auth/microsoft/callback", json: "id_token=not-a-jwt", contentType: "application/x-www-form-urlencoded")
        #expect(cb.status == 401)
    }
}
