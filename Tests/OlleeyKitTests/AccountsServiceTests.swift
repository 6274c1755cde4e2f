import Foundation
import OlleeyKit
import OlleeyTestSupport
import Testing

/// A workspace with the accounts services at a test work factor (1,000 PBKDF2 iterations).
final class AccountsFixture: @unchecked Sendable {
    let dir = TempDir("olleey-accounts")
    let ws: Workspace
    let db: Database
    var settings = AuthSettings(registration: .open, passwordIterations: 1000)

    init() throws {
        ws = try TestStore.initialize(at: dir.path).0
        db = try ws.open()
    }

    func auth(_ mode: RegistrationMode? = nil, now: Int64? = nil) -> AuthService {
        var s = settings
        if let mode { s.registration = mode }
        var a = AuthService(db, settings: s)
        if let now { a.now = { now } }
        return a
    }

    var admin: AccountAdmin { AccountAdmin(db, settings: settings) }

    /// A user with a password and a role in `org`, made as `olleey user create --password-stdin` does.
    @discardableResult
    func user(_ email: String, _ role: Role, org: String = Actor.defaultOrg, password: String = "a long passphrase") throws -> User {
        let u = try UserService(db).create(email: email, role: role, actor: Actor(email: nil, org: org))
        try auth().setPassword(email, password: password, actor: Actor(email: nil, org: org))
        return u
    }

    func principal(_ email: String, _ password: String = "a long passphrase") throws -> Principal {
        try auth().authenticate(try auth().login(email: email, password: password).accessToken)
    }

    func audit(_ action: String) throws -> Int {
        Int(try db.scalarInt("SELECT count(*) FROM audit_log WHERE action = ?", [.text(action)]) ?? 0)
    }
}

func code(_ body: () throws -> Void) -> OlleeyError.Code? {
    do { try body(); return nil } catch let e as OlleeyError { return e.code } catch { return .failure }
}

@Suite("accounts: login, registration, refresh rotation, OIDC, organisations, rate limits")
struct AccountsServiceTests {
    @Test("login: right password gives a 900 s access token and a refresh token; wrong password and unknown email are the same 401; disabled is refused")
    func login() throws {
        let f = try AccountsFixture()
        try f.user("admin@example.com", .admin)
        let pair = try f.auth().login(email: "Admin@Example.com", password: "a long passphrase")
        #expect(pair.expiresIn == 900 && pair.user.user.role == .admin && pair.user.org.id == Actor.defaultOrg)
        #expect(pair.json["token_type"] == "bearer" && pair.json["expires_in"] == 900)
        #expect(Crypto.base64urlDecode(pair.refreshToken)?.count == 32)
        let p = try f.auth().authenticate(pair.accessToken)
        #expect(p.user.email == "admin@example.com" && p.role == .admin && p.org == Actor.defaultOrg)
        #expect(try f.auth().me(p).json["email"] == "admin@example.com")
        var messages: Set<String> = []
        for (e, pw) in [("admin@example.com", "wrong password"), ("nobody@example.com", "a long passphrase")] {
            do { _ = try f.auth().login(email: e, password: pw); Issue.record("accepted") } catch let err as OlleeyError {
                #expect(err.code == .unauthenticated); messages.insert(err.message)
            }
        }
        #expect(messages.count == 1, "one message for a wrong password and an unknown email")
        #expect(try f.db.scalarText("SELECT password_hash FROM users WHERE email = 'admin@example.com'")?.hasPrefix("pbkdf2-sha256$1000$") == true)
        // a user without a password (made without --password-stdin) cannot log in
        _ = try UserService(f.db).create(email: "nopw@example.com", role: .client, actor: Actor(email: nil))
        #expect(code { _ = try f.auth().login(email: "nopw@example.com", password: "") } == .unauthenticated)
        // disabled: login refused; a token issued before is refused on its next use
        try f.user("ana@example.com", .linguist)
        let anaToken = try f.auth().login(email: "ana@example.com", password: "a long passphrase")
        _ = try UserService(f.db).update("ana@example.com", disabled: true, actor: Actor(email: "admin@example.com"))
        #expect(code { _ = try f.auth().login(email: "ana@example.com", password: "a long passphrase") } == .unauthenticated)
        #expect(code { _ = try f.auth().authenticate(anaToken.accessToken) } == .unauthenticated)
        #expect(try f.audit("auth.login") == 2 && f.audit("auth.login_failed") >= 3)
    }

    @Test("verification re-reads the membership: the token's role claim is not trusted, a removed membership is refused")
    func roleFromStore() throws {
        let f = try AccountsFixture()
        try f.user("admin@example.com", .admin)
        try f.user("pm@example.com", .pm)
        let t = try f.auth().login(email: "pm@example.com", password: "a long passphrase").accessToken
        _ = try UserService(f.db).update("pm@example.com", role: .client, actor: Actor(email: "admin@example.com"))
        #expect(try f.auth().authenticate(t).role == .client)
        _ = try OrgService(f.db).remove(Actor.defaultOrg, email: "pm@example.com", actor: Actor(email: "admin@example.com"))
        #expect(code { _ = try f.auth().authenticate(t) } == .unauthenticated)
        // an expired token (15 minutes + leeway later)
        let t2 = try f.auth().login(email: "admin@example.com", password: "a long passphrase").accessToken
        #expect(code { _ = try f.auth(now: Clock.nowMillis() / 1000 + 900 + 60).authenticate(t2) } == .unauthenticated)
    }

    @Test("refresh: rotated on every use; the spent token used again revokes the whole family; logout revokes; expiry")
    func refreshRotation() throws {
        let f = try AccountsFixture()
        try f.user("admin@example.com", .admin)
        let first = try f.auth().login(email: "admin@example.com", password: "a long passphrase")
        let second = try f.auth().refresh(first.refreshToken)
        #expect(second.refreshToken != first.refreshToken)
        #expect(try f.auth().authenticate(second.accessToken).user.email == "admin@example.com")
        let third = try f.auth().refresh(second.refreshToken)
        // replaying the first (spent) token: refused, and the live third one dies with it
        #expect(code { _ = try f.auth().refresh(first.refreshToken) } == .unauthenticated)
        #expect(code { _ = try f.auth().refresh(third.refreshToken) } == .unauthenticated)
        #expect(try f.audit("auth.refresh_reused") == 1)
        // another login is another family, untouched
        let other = try f.auth().login(email: "admin@example.com", password: "a long passphrase")
        let otherNext = try f.auth().refresh(other.refreshToken)
        #expect(code { _ = try f.auth().refresh("not-a-token") } == .unauthenticated)
        // only the hash is stored
        #expect(try f.db.scalarInt("SELECT count(*) FROM refresh_tokens WHERE token_hash = ?", [.text(otherNext.refreshToken)]) == 0)
        // logout revokes the family of the token given
        let p = try f.auth().authenticate(otherNext.accessToken)
        try f.auth().logout(refreshToken: otherNext.refreshToken, principal: p)
        #expect(code { _ = try f.auth().refresh(otherNext.refreshToken) } == .unauthenticated)
        // expired (30 days later)
        let late = try f.auth().login(email: "admin@example.com", password: "a long passphrase")
        #expect(code { _ = try f.auth(now: Clock.nowMillis() / 1000 + 31 * 86_400).refresh(late.refreshToken) } == .unauthenticated)
        // logout without a token revokes every refresh token of the caller
        let a = try f.auth().login(email: "admin@example.com", password: "a long passphrase")
        try f.auth().logout(refreshToken: nil, principal: try f.auth().authenticate(a.accessToken))
        #expect(code { _ = try f.auth().refresh(a.refreshToken) } == .unauthenticated)
    }

    @Test("change password: the current one must match (403); then the old password and the old refresh tokens stop working")
    func changePassword() throws {
        let f = try AccountsFixture()
        try f.user("admin@example.com", .admin)
        let pair = try f.auth().login(email: "admin@example.com", password: "a long passphrase")
        let p = try f.auth().authenticate(pair.accessToken)
        #expect(code { _ = try f.auth().changePassword(p, current: "wrong one!", new: "another long one") } == .permission)
        #expect(code { _ = try f.auth().changePassword(p, current: "a long passphrase", new: "short") } == .invalid)
        let fresh = try f.auth().changePassword(p, current: "a long passphrase", new: "another long one")
        #expect(code { _ = try f.auth().login(email: "admin@example.com", password: "a long passphrase") } == .unauthenticated)
        _ = try f.auth().login(email: "admin@example.com", password: "another long one")
        #expect(code { _ = try f.auth().refresh(pair.refreshToken) } == .unauthenticated)
        _ = try f.auth().refresh(fresh.refreshToken)
        #expect(try f.audit("auth.password_change") == 1)
    }

    @Test("registration: open creates an organisation with the registrant as ADMIN; invite needs a valid invitation for that email; off refuses")
    func registration() throws {
        let f = try AccountsFixture()
        let open = try f.auth(.open).register(email: "Founder@Example.com", password: "a long passphrase", name: "F")
        #expect(open.user.user.role == .admin && open.user.org.id != Actor.defaultOrg && open.user.org.name == "founder@example.com")
        #expect(code { _ = try f.auth(.open).register(email: "founder@example.com", password: "a long passphrase") } == .alreadyExists)
        #expect(code { _ = try f.auth(.open).register(email: "x@example.com", password: "short") } == .invalid)
        #expect(code { _ = try f.auth(.open).register(email: "not an email", password: "a long passphrase") } == .usage)
        #expect(code { _ = try f.auth(.off).register(email: "y@example.com", password: "a long passphrase") } == .permission)
        #expect(code { _ = try f.auth(.invite).register(email: "y@example.com", password: "a long passphrase") } == .permission)
        // the founder invites a LINGUIST into their organisation
        let founder = try f.auth().authenticate(open.accessToken)
        let (inv, token) = try f.admin.invite(founder.org, email: "ling@example.com", role: .linguist, founder)
        #expect(inv.role == .linguist && token.count >= 43)
        #expect(code { _ = try f.auth(.invite).register(email: "other@example.com", password: "a long passphrase", invitation: token) } == .unauthenticated)
        #expect(code { _ = try f.auth(.invite).register(email: "ling@example.com", password: "a long passphrase", invitation: "bogus") } == .unauthenticated)
        let ling = try f.auth(.invite).register(email: "ling@example.com", password: "a long passphrase", invitation: token)
        #expect(ling.user.user.role == .linguist && ling.user.org.id == founder.org)
        #expect(code { _ = try f.auth(.invite).register(email: "ling2@example.com", password: "a long passphrase", invitation: token) } == .unauthenticated)
        // an expired invitation
        let (_, t2) = try f.admin.invite(founder.org, email: "late@example.com", role: .client, founder)
        #expect(code { _ = try f.auth(.invite, now: Clock.nowMillis() / 1000 + 8 * 86_400).register(email: "late@example.com", password: "a long passphrase", invitation: t2) } == .unauthenticated)
        #expect(try f.audit("auth.register") == 2 && f.audit("org.invite") == 2)
        // an existing account accepts an invitation to a second organisation (its own email only)
        let other = try f.auth(.open).register(email: "other@example.com", password: "a long passphrase")
        let otherP = try f.auth().authenticate(other.accessToken)
        let (_, t3) = try f.admin.invite(founder.org, email: "other@example.com", role: .reviewer, founder)
        #expect(code { _ = try f.auth().accept(invitation: t3, principal: try f.auth().authenticate(ling.accessToken)) } == .unauthenticated)
        #expect(try f.auth().accept(invitation: t3, principal: otherP).role == .reviewer)
        #expect(code { _ = try f.auth().accept(invitation: t3, principal: otherP) } == .unauthenticated, "used")
        #expect(try f.auth().login(email: "other@example.com", password: "a long passphrase", org: founder.org).user.user.role == .reviewer)
        #expect(code { _ = try f.admin.invite(founder.org, email: "other@example.com", role: .client, founder) } == .alreadyExists)
    }

    @Test("organisations and admin: an ADMIN is confined to its own organisation (another's user or organisation is 404); a CLIENT gets 403; the owner lists and creates")
    func crossOrg() throws {
        let f = try AccountsFixture()
        try f.user("owner@example.com", .admin)
        try f.auth().setOwner("owner@example.com", actor: Actor(email: nil))
        try f.user("client@example.com", .client)
        let owner = try f.principal("owner@example.com")
        #expect(owner.instanceOwner)
        let beta = try f.admin.createOrganization(name: "beta", owner)
        try f.user("adminb@example.com", .admin, org: beta.id)
        try f.user("pmb@example.com", .pm, org: beta.id)
        let adminB = try f.principal("adminb@example.com"), client = try f.principal("client@example.com"), pmB = try f.principal("pmb@example.com")
        #expect(adminB.org == beta.id)
        // lists
        #expect(try f.admin.organizations(owner).map(\.name) == ["default", "beta"])
        #expect(try f.admin.organizations(adminB).map(\.name) == ["beta"])
        #expect(code { _ = try f.admin.createOrganization(name: "gamma", adminB) } == .permission)
        #expect(code { _ = try f.admin.createOrganization(name: "beta", owner) } == .alreadyExists)
        // admin users: own organisation only
        #expect(try f.admin.users(adminB).map(\.email) == ["adminb@example.com", "owner@example.com", "pmb@example.com"], "the owner became ADMIN of what it created")
        #expect(code { _ = try f.admin.users(client) } == .permission)
        #expect(code { _ = try f.admin.users(pmB) } == .permission)
        let clientUser = try UserService(f.db).resolve("client@example.com")
        #expect(code { _ = try f.admin.patchUser(clientUser.id, disabled: true, adminB) } == .notFound)
        #expect(code { _ = try f.admin.patchUser(clientUser.id, role: .admin, client) } == .permission)
        let pmUser = try UserService(f.db).resolve("pmb@example.com")
        let pmPair = try f.auth().login(email: "pmb@example.com", password: "a long passphrase")
        let patched = try f.admin.patchUser(pmUser.id, role: .linguist, disabled: true, adminB)
        #expect(patched.role == .linguist && patched.disabled)
        #expect(code { _ = try f.auth().refresh(pmPair.refreshToken) } == .unauthenticated, "disabling revokes refresh tokens")
        #expect(code { _ = try f.admin.patchUser(adminB.user.id, disabled: true, adminB) } == .conflict)
        // members, invite, remove: another organisation is 404, a non-manager 403
        #expect(code { _ = try f.admin.members(Actor.defaultOrg, adminB) } == .notFound)
        let gamma = try f.admin.createOrganization(name: "gamma", owner)
        // its only ADMIN stays until another ADMIN joins
        #expect(code { _ = try f.admin.removeMember(gamma.id, user: owner.user.id, owner) } == .conflict)
        _ = try OrgService(f.db).add("gamma", email: "pmb@example.com", role: .admin, actor: Actor(email: nil))
        _ = try UserService(f.db).update("pmb@example.com", disabled: false, actor: Actor(email: nil, org: gamma.id))
        _ = try f.admin.removeMember(gamma.id, user: owner.user.id, owner)
        #expect(code { _ = try f.admin.members(gamma.id, owner) } == .notFound, "an owner that left is no member")
        #expect(try f.admin.organizations(owner).map(\.name) == ["default", "beta", "gamma"], "but still lists every organisation")
        #expect(code { _ = try f.admin.members(Actor.defaultOrg, client) } == .permission)
        #expect(try f.admin.members(beta.id, adminB).count == 3)
        #expect(code { _ = try f.admin.invite(Actor.defaultOrg, email: "z@example.com", role: .client, adminB) } == .notFound)
        #expect(code { _ = try f.admin.removeMember(Actor.defaultOrg, user: clientUser.id, adminB) } == .notFound)
        #expect(code { _ = try f.admin.removeMember(beta.id, user: clientUser.id, adminB) } == .notFound)
        #expect(try f.admin.removeMember(beta.id, user: pmUser.id, adminB).user.email == "pmb@example.com")
        // audit log: B's ADMIN reads B's entries only
        let entries = try f.admin.auditLog(adminB)
        #expect(!entries.isEmpty && entries.allSatisfy { $0.orgId == beta.id })
        #expect(entries.contains { $0.action == "org.remove" } && entries.contains { $0.action == "user.update" })
        #expect(code { _ = try f.admin.auditLog(client) } == .permission)
        #expect(code { _ = try f.admin.auditLog(adminB, everything: true) } == .permission)
        #expect(try f.admin.auditLog(owner, everything: true).count > entries.count)
        // a PM invites no ADMIN
        try f.user("pm@example.com", .pm)
        #expect(code { _ = try f.admin.invite(Actor.defaultOrg, email: "boss@example.com", role: .admin, try f.principal("pm@example.com")) } == .permission)
    }

    @Test("rate limiter: counts to the limit, refuses with Retry-After, resets in the next window; two connections on one file agree")
    func rateLimiter() throws {
        let f = try AccountsFixture()
        let other = try f.ws.open()
        let t: Int64 = 1_800_000_030 // 30 s into a minute
        var last: RateLimitCount?
        for i in 0..<10 {
            let db = i % 2 == 0 ? f.db : other
            last = try RateLimiter(db).hit(key: "auth:ip:203.0.113.5", limit: 10, window: 60, now: t + Int64(i))
            #expect(last?.allowed == true && last?.remaining == 9 - i)
        }
        #expect(last?.resetEpochSeconds == 1_800_000_060)
        let refused = try RateLimiter(other).hit(key: "auth:ip:203.0.113.5", limit: 10, window: 60, now: t + 12)
        #expect(!refused.allowed && refused.remaining == 0 && refused.retryAfter == 18)
        // another key is counted apart; the next window starts again
        #expect(try RateLimiter(f.db).hit(key: "auth:ip:203.0.113.6", limit: 10, window: 60, now: t + 12).remaining == 9)
        let next = try RateLimiter(f.db).hit(key: "auth:ip:203.0.113.5", limit: 10, window: 60, now: 1_800_000_061)
        #expect(next.allowed && next.remaining == 9 && next.resetEpochSeconds == 1_800_000_120)
        // rules from the settings
        #expect(RateLimitRule.auth(ConfigStore(f.db)) == RateLimitRule("auth", limit: 10, window: 60))
        #expect(RateLimitRule.upload(ConfigStore(f.db)) == RateLimitRule("upload", limit: 10, window: 3600))
        _ = try ConfigService(f.db).set("ratelimit.standard_per_minute", "5")
        #expect(RateLimitRule.standard(ConfigStore(f.db)).limit == 5)
    }

    @Test("batched rate limiter: two processes on one store hold the limit, write once per batch, and refuse over the limit without writing")
    func batchedRateLimiter() throws {
        let f = try AccountsFixture()
        let writes = Locked(0)
        func limiter(_ db: Database) -> BatchedRateLimiter {
            BatchedRateLimiter(maxAgeMs: 250) { key, start, n in
                writes.mutate { $0 += 1 }
                return try RateLimitCounterStore(db).hit(key: key, windowStart: start, count: n)
            }
        }
        let a = limiter(f.db), b = limiter(try f.ws.open())
        let t: Int64 = 1_800_000_000_000
        var allowed = 0
        for i in 0..<300 {
            let d = try (i % 2 == 0 ? a : b).hit(key: "standard:user:u1", limit: 100, window: 60, nowMs: t + Int64(i))
            if d.allowed { allowed += 1 }
            #expect(d.resetEpochSeconds == 1_800_000_060, "windows are aligned to the minute")
        }
        // the limit holds across both (an overshoot is bounded by the unsynced 1/16 of what was left)
        #expect(allowed >= 100 && allowed <= 106, "allowed \(allowed) of 300")
        let afterLimit = writes.value
        #expect(afterLimit < 150, "hits far from the limit are batched: \(afterLimit) writes for 300 hits")
        for i in 0..<50 { #expect(try a.hit(key: "standard:user:u1", limit: 100, window: 60, nowMs: t + 400 + Int64(i)).allowed == false) }
        #expect(writes.value == afterLimit, "over the limit, a process refuses without writing")
        // a large limit: one write per maxAge, not per hit
        let before = writes.value
        for i in 0..<1000 { _ = try a.hit(key: "standard:user:u2", limit: 1_000_000, window: 60, nowMs: t + Int64(i / 10)) }
        #expect(writes.value - before <= 2, "1000 hits within 100 ms: at most two syncs")
        // the next window starts from zero
        #expect(try b.hit(key: "standard:user:u1", limit: 100, window: 60, nowMs: t + 60_000).remaining == 99)
    }

    @Test("rate limiter: two processes' worth of connections hitting one key concurrently count every hit exactly once")
    func rateLimiterConcurrent() throws {
        let f = try AccountsFixture()
        let counts = Locked<[Int64]>([])
        DispatchQueue.concurrentPerform(iterations: 4) { _ in
            guard let db = try? f.ws.open() else { return }
            for _ in 0..<25 {
                if let d = try? RateLimiter(db).hit(key: "standard:user:u1", limit: 1000, window: 3600, now: 1_800_000_000) {
                    counts.withLock { $0.append(Int64(1000 - d.remaining)) }
                }
            }
        }
        let seen = counts.withLock { $0 }
        #expect(seen.count == 100)
        #expect(Set(seen).count == 100, "every hit saw its own count: \(seen.sorted())")
        #expect(seen.max() == 100)
    }

    @Test("signing keys: made at init, kept in the store, the same for every connection")
    func signingKeys() throws {
        let f = try AccountsFixture()
        let k = try SigningKeys(f.db).tokenKey()
        let again = try SigningKeys(try f.ws.open()).tokenKey()
        #expect(k.count == 32 && again == k)
        #expect(try SigningKeys(f.db).urlKey() != k)
        #expect(try f.db.scalarInt("SELECT count(*) FROM signing_keys") == 2)
    }
}


@Suite("accounts: OIDC ID tokens (RS256, key pair made in the test, JWKS file)")
struct OIDCTests {
    final class Env: @unchecked Sendable {
        let f: AccountsFixture
        let key: TestRSAKey
        let provider: OIDCProvider
        let now = Clock.nowMillis() / 1000

        init() throws {
            f = try AccountsFixture()
            key = try TestRSAKey()
            let other = try TestRSAKey()
            let jwks = JSON.object([("keys", .array([try other.jwk(kid: "other"), try key.jwk(kid: "k1")]))])
            let path = f.dir.write("jwks.json", jwks.encoded())
            provider = OIDCProvider(name: "google", issuers: ["https://accounts.google.com"], audience: "client-123", jwks: path)
        }

        func claims(_ changes: [(String, JSON)] = [], drop: String? = nil) -> JSON {
            var c: [(String, JSON)] = [("iss", "https://accounts.google.com"), ("aud", "client-123"), ("sub", "g-42"),
                                       ("email", "sam@example.com"), ("email_verified", true), ("name", "Sam"),
                                       ("iat", .int(now)), ("exp", .int(now + 3600))]
            for (k, v) in changes { if let i = c.firstIndex(where: { $0.0 == k }) { c[i].1 = v } else { c.append((k, v)) } }
            if let drop { c.removeAll { $0.0 == drop } }
            return .object(c)
        }
    }

    @Test("a valid ID token verifies; wrong issuer, audience, signature, algorithm, kid, expiry are 401")
    func verify() throws {
        let e = try Env()
        let v = OIDCVerifier(e.provider)
        let id = try v.verify(try e.key.token(e.claims(), kid: "k1"))
        #expect(id.subject == "g-42" && id.email == "sam@example.com" && id.emailVerified)
        #expect(try v.verify(try e.key.token(e.claims([("aud", ["x", "client-123"])]), kid: nil)).subject == "g-42", "aud array; no kid tries every key")
        func refused(_ token: String, _ why: String) {
            do { _ = try v.verify(token); Issue.record("accepted: \(why)") } catch let err as OlleeyError {
                #expect(err.code == .unauthenticated, "\(why): \(err)")
            } catch { Issue.record("\(error)") }
        }
        refused(try e.key.token(e.claims([("iss", "https://evil.example.com")]), kid: "k1"), "issuer")
        refused(try e.key.token(e.claims([("aud", "someone-else")]), kid: "k1"), "audience")
        refused(try e.key.token(e.claims([("exp", .int(e.now - 120))]), kid: "k1"), "expired")
        refused(try e.key.token(e.claims(drop: "exp"), kid: "k1"), "no exp")
        refused(try e.key.token(e.claims(), kid: "other"), "signed by k1, named other")
        refused(try TestRSAKey().token(e.claims(), kid: "k1"), "a key not in the JWKS")
        refused(try e.key.token(e.claims(), kid: "k1", alg: "HS256"), "alg HS256")
        let t = try e.key.token(e.claims(), kid: "k1").split(separator: ".").map(String.init)
        refused("\(t[0]).\(Crypto.base64url(Array(e.claims([("sub", "admin")]).encoded().utf8))).\(t[2])", "tampered payload")
        // a JWKS that cannot be read is 69, not a silent pass
        let missing = OIDCVerifier(OIDCProvider(name: "google", issuers: ["https://accounts.google.com"], audience: "client-123", jwks: e.f.dir.file("nope.json")))
        #expect(code { _ = try missing.verify(try e.key.token(e.claims(), kid: "k1")) } == .unavailable)
    }

    @Test("sign-in: open registration creates the user and links the identity; a verified email links an existing user; invite mode refuses strangers")
    func signIn() throws {
        let e = try Env()
        let first = try e.f.auth(.open).signIn(e.provider, idToken: try e.key.token(e.claims(), kid: "k1"))
        #expect(first.user.user.email == "sam@example.com" && first.user.user.role == .admin && first.user.authProvider == "google")
        // again, by (provider, subject), even with another email in the token
        let again = try e.f.auth(.off).signIn(e.provider, idToken: try e.key.token(e.claims([("email", "changed@example.com")]), kid: "k1"))
        #expect(again.user.user.id == first.user.user.id)
        // an existing password account with a verified email gets linked
        try e.f.user("pat@example.com", .linguist)
        let pat = try e.f.auth(.invite).signIn(e.provider, idToken: try e.key.token(e.claims([("sub", "g-7"), ("email", "pat@example.com")]), kid: "k1"))
        #expect(pat.user.user.email == "pat@example.com" && pat.user.org.id == Actor.defaultOrg)
        // unverified email of an existing account: refused
        try e.f.user("kim@example.com", .linguist)
        #expect(code { _ = try e.f.auth(.open).signIn(e.provider, idToken: try e.key.token(e.claims([("sub", "g-8"), ("email", "kim@example.com"), ("email_verified", false)]), kid: "k1")) } == .alreadyExists)
        // a stranger in invite mode
        #expect(code { _ = try e.f.auth(.invite).signIn(e.provider, idToken: try e.key.token(e.claims([("sub", "g-9"), ("email", "new@example.com")]), kid: "k1")) } == .permission)
        #expect(try e.f.db.scalarInt("SELECT count(*) FROM oidc_identities") == 2)
    }

    @Test("providers come from the settings: none without a client id and JWKS")
    func configured() throws {
        let f = try AccountsFixture()
        #expect(try OIDCProvider.configured("google", config: ConfigStore(f.db)) == nil)
        _ = try ConfigService(f.db).set("auth.google.client_id", "abc")
        _ = try ConfigService(f.db).set("auth.google.jwks", "/etc/jwks.json")
        #expect(try OIDCProvider.configured("google", config: ConfigStore(f.db))?.audience == "abc")
        #expect(try OIDCProvider.configured("microsoft", config: ConfigStore(f.db)) == nil)
    }
}
