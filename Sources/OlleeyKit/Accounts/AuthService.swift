import Foundation

/// `auth.registration`: who may create an account through the API.
public enum RegistrationMode: String, Sendable, CaseIterable {
    /// Anyone: a registrant without an invitation gets a new organisation, as its ADMIN.
    case open
    /// Only with an invitation (the default).
    case invite
    /// Nobody through the API: accounts are made by `olleey user create`.
    case off
}

/// The settings of the accounts services, read from the workspace (`AuthSettings.load`) or
/// given (tests lower the work factor here, never through a setting).
public struct AuthSettings: Sendable {
    public var registration: RegistrationMode
    public var passwordIterations: Int
    /// Seconds a refresh token lives (30 days).
    public var refreshTTL: Int64
    /// Seconds an invitation lives (7 days).
    public var invitationTTL: Int64

    public init(registration: RegistrationMode = .invite, passwordIterations: Int = PasswordHasher.productionIterations,
                refreshTTL: Int64 = 30 * 86_400, invitationTTL: Int64 = 7 * 86_400) {
        self.registration = registration; self.passwordIterations = passwordIterations
        self.refreshTTL = refreshTTL; self.invitationTTL = invitationTTL
    }

    public static func load(_ config: ConfigStore) throws -> AuthSettings {
        var s = AuthSettings()
        if let r = try config.value("auth.registration").flatMap(RegistrationMode.init(rawValue:)) { s.registration = r }
        if let i = try config.value("auth.password_iterations").flatMap({ Int($0) }) { s.passwordIterations = i }
        if let d = try config.value("auth.refresh_days").flatMap({ Int64($0) }) { s.refreshTTL = d * 86_400 }
        return s
    }
}

/// The server's secret keys, generated on first use (or at `olleey init`) and kept in the store
/// so that every server process on the workspace shares them.
public struct SigningKeys {
    let db: Database

    public init(_ db: Database) { self.db = db }

    /// The HMAC key of access tokens (32 random bytes).
    public func tokenKey() throws -> [UInt8] { try AccountStore(db).signingKey("token") { try Crypto.randomBytes(32) } }
    /// The HMAC key of signed download URLs (32 random bytes).
    public func urlKey() throws -> [UInt8] { try AccountStore(db).signingKey("url") { try Crypto.randomBytes(32) } }
}

/// The authenticated caller of a request: the account, re-read from the store, with its role in
/// the token's organisation (the token's own `role` claim is not trusted).
public struct Principal: Sendable, Equatable {
    public var user: User
    public var org: String
    public var instanceOwner: Bool

    public var role: Role { user.role }
    /// The actor every OlleeyKit service takes.
    public var actor: Actor { Actor(email: user.email, org: org, author: user.email) }
}

/// The user read model of `/auth/me` and `/api/v1/users/me`.
public struct SessionUser: Sendable, Equatable {
    public var user: User
    public var org: Organization
    public var instanceOwner: Bool
    public var authProvider: String

    public var json: JSON {
        .object([("id", .string(user.id)), ("user_id", .string(user.id)), ("email", .string(user.email)), ("name", .string(user.name)),
                 ("role", .string(user.role.rawValue)), ("org_id", .string(org.id)), ("org_name", .string(org.name)),
                 ("instance_owner", .bool(instanceOwner)), ("auth_provider", .string(authProvider)), ("disabled", .bool(user.disabled)),
                 ("created_at", .string(user.createdAt))])
    }
}

/// What a login, registration, refresh or sign-in returns: the root spec's body, plus `user`
/// (the second spec's login response). The server also sets `refreshToken` as a cookie for
/// `/api/v1`.
public struct TokenPair: Sendable, Equatable {
    public var accessToken: String
    public var refreshToken: String
    public var expiresIn: Int64
    public var user: SessionUser

    public var json: JSON {
        .object([("access_token", .string(accessToken)), ("refresh_token", .string(refreshToken)), ("token_type", "bearer"),
                 ("expires_in", .int(expiresIn)), ("user", user.json)])
    }
}

/// The outcome of a password check (`AuthService.checkCredentials`); only that method makes one.
public struct CheckedCredentials: Sendable {
    let email: String
    let user: User?
}

/// Registration, login, refresh-token rotation, logout, the current user, password changes and
/// OIDC sign-in. Every failure of a credential is 401 `unauthenticated` with a message that does
/// not say which part was wrong; every state change is in the audit log.
public struct AuthService {
    public let db: Database
    public let settings: AuthSettings
    /// Seconds since the epoch (tests move it).
    public var now: @Sendable () -> Int64 = { Clock.nowMillis() / 1000 }

    public init(_ db: Database, settings: AuthSettings) { self.db = db; self.settings = settings }

    /// With the workspace's settings.
    public init(_ db: Database) throws { self.init(db, settings: try AuthSettings.load(ConfigStore(db))) }

    var hasher: PasswordHasher { PasswordHasher(iterations: settings.passwordIterations) }
    var store: AccountStore { AccountStore(db) }

    static let badLogin = OlleeyError(.unauthenticated, "wrong email or password")
    static let badRefresh = OlleeyError(.unauthenticated, "the refresh token is invalid or expired", hint: "log in again")

    static func tokenHash(_ token: String) -> String { Hex.encode(Crypto.sha256(Array(token.utf8))) }

    // MARK: tokens

    /// Issues an access token and a new refresh token (of `family`, or a new family).
    func issue(user: User, org: String, family: String? = nil, provider: String = "email") throws -> TokenPair {
        let t = now()
        let signer = AccessTokenSigner(key: try SigningKeys(db).tokenKey())
        let access = try signer.sign(user: user.id, org: org, role: user.role, now: t)
        let refresh = Crypto.base64url(try Crypto.randomBytes(32))
        try store.insertRefresh(RefreshTokenRecord(tokenHash: AuthService.tokenHash(refresh), familyId: family ?? ID.uuid7(), userId: user.id,
                                                   orgId: org, expiresAt: t + settings.refreshTTL, rotatedAt: nil, revokedAt: nil))
        return TokenPair(accessToken: access.token, refreshToken: refresh, expiresIn: signer.ttl,
                         user: try session(user: user, org: org, provider: provider))
    }

    func session(user: User, org: String, provider: String = "email") throws -> SessionUser {
        guard let o = try OrgStore(db).get(org) else { throw AuthService.badRefresh }
        return SessionUser(user: user, org: o, instanceOwner: try store.isOwner(user: user.id), authProvider: provider)
    }

    /// The organisation a login lands in: `org` (id or name) when given and the user is a member,
    /// else the user's first organisation.
    func landing(_ user: User, org: String?) throws -> (User, String) {
        let orgs = try OrgStore(db).list(member: user.id)
        let chosen: Organization?
        if let org { chosen = orgs.first { $0.id == org || $0.name == org } } else { chosen = orgs.first }
        guard let o = chosen, let role = try OrgStore(db).role(org: o.id, user: user.id) else {
            throw OlleeyError.permission("\(user.email) is not a member of \(org == nil ? "any organisation" : "this organisation")",
                                         hint: "an ADMIN of an organisation invites members")
        }
        var u = user
        u.role = role
        return (u, o.id)
    }

    // MARK: login, registration

    /// Email and password to tokens. An unknown email spends one hash, as a wrong password does.
    public func login(email: String, password: String, org: String? = nil) throws -> TokenPair {
        try completeLogin(checkCredentials(email: email, password: password), org: org)
    }

    /// The slow half of a login (the password hash), without writing: a server runs it on a
    /// reader connection so that the writer is not held for the hash, then `completeLogin` on
    /// the writer. Only this method makes a `CheckedCredentials`.
    public func checkCredentials(email: String, password: String) throws -> CheckedCredentials {
        let e = String(email.trimmingCharacters(in: .whitespaces).lowercased().prefix(254))
        guard let user = try UserStore(db).find(email: e), let stored = try store.passwordHash(user: user.id) else {
            hasher.spendOneVerification(password)
            return CheckedCredentials(email: e, user: nil)
        }
        guard hasher.verify(password, against: stored), !user.disabled else { return CheckedCredentials(email: e, user: nil) }
        return CheckedCredentials(email: e, user: user)
    }

    /// The writing half of a login: a failure is audited and 401; a success lands in `org`
    /// (or the user's first organisation) and issues tokens.
    public func completeLogin(_ checked: CheckedCredentials, org: String? = nil) throws -> TokenPair {
        guard let user = checked.user else {
            try AuditLog(db).record(actor: checked.email, action: "auth.login_failed", subject: checked.email)
            throw AuthService.badLogin
        }
        let (u, orgId) = try landing(user, org: org)
        return try db.transaction {
            let pair = try issue(user: u, org: orgId)
            try AuditLog(db).record(actor: u.email, action: "auth.login", subject: u.email, org: orgId)
            return pair
        }
    }

    /// Creates an account per `auth.registration` and logs it in. With a valid invitation the
    /// account joins the invitation's organisation with its role (the emails must match);
    /// without one, `open` creates an organisation with the registrant as its ADMIN.
    public func register(email: String, password: String, name: String = "", invitation: String? = nil) throws -> TokenPair {
        if settings.registration == .off {
            throw OlleeyError.permission("registration is closed", hint: "an administrator creates accounts")
        }
        let e = try UserService.normalizeEmail(email)
        try PasswordHasher.validate(password)
        let invite = try invitation.map { try validInvitation($0, email: e) }
        if invite == nil && settings.registration == .invite {
            throw OlleeyError.permission("registration needs an invitation", hint: "ask an ADMIN of your organisation to invite you", next: [.input("invitation")])
        }
        if try UserStore(db).find(email: e) != nil { throw OlleeyError(.alreadyExists, "an account with this email already exists", hint: "log in instead") }
        let hash = try hasher.hash(password)
        return try db.transaction {
            let (user, org) = try createAccount(email: e, name: name, invitation: invite)
            try store.setPasswordHash(user: user.id, hash)
            try AuditLog(db).record(actor: e, action: "auth.register", subject: e, detail: ["role": .string(user.role.rawValue)], org: org)
            return try issue(user: user, org: org)
        }
    }

    /// An unexpired, unaccepted invitation for `email` (401 otherwise, one message for all).
    func validInvitation(_ token: String, email: String) throws -> Invitation {
        guard let i = try store.invitation(tokenHash: AuthService.tokenHash(token)), i.acceptedAt == nil, i.expiresAt > now(), i.email == email else {
            throw OlleeyError(.unauthenticated, "the invitation is invalid, used or expired", hint: "ask for a new invitation")
        }
        return i
    }

    /// Inserts a user and its membership (in a transaction of the caller).
    func createAccount(email: String, name: String, invitation: Invitation?) throws -> (User, String) {
        let t = Clock.nowISO()
        var user = User(id: ID.uuid7(), email: email, name: name, role: invitation?.role ?? .admin, disabled: false, createdAt: t, updatedAt: t)
        try UserStore(db).insert(user)
        let org: String
        if let invitation {
            guard try store.acceptInvitation(invitation.id) else { throw OlleeyError(.unauthenticated, "the invitation is invalid, used or expired") }
            org = invitation.orgId
        } else {
            var orgName = email
            var n = 1
            while try OrgStore(db).get(orgName) != nil { n += 1; orgName = "\(email) (\(n))" }
            let o = Organization(id: ID.uuid7(), name: orgName, createdAt: t)
            try OrgStore(db).insert(o)
            try AuditLog(db).record(actor: email, action: "org.create", subject: o.id, detail: ["name": .string(orgName)], org: o.id)
            org = o.id
        }
        try OrgStore(db).setMembership(org: org, user: user.id, role: invitation?.role ?? .admin)
        user.role = invitation?.role ?? .admin
        return (user, org)
    }

    /// An existing account accepts an invitation (the emails must match): it joins the
    /// invitation's organisation with its role.
    public func accept(invitation token: String, principal: Principal) throws -> Membership {
        let i = try validInvitation(token, email: principal.user.email)
        try db.transaction {
            guard try store.acceptInvitation(i.id) else { throw OlleeyError(.unauthenticated, "the invitation is invalid, used or expired") }
            try OrgStore(db).setMembership(org: i.orgId, user: principal.user.id, role: i.role)
            try AuditLog(db).record(actor: principal.user.email, action: "org.join", subject: "\(i.orgId)/\(principal.user.email)",
                                    detail: ["role": .string(i.role.rawValue)], org: i.orgId)
        }
        guard let m = try OrgStore(db).members(i.orgId).first(where: { $0.user.id == principal.user.id }) else { throw OlleeyError.failure("membership not stored") }
        return m
    }

    // MARK: refresh, logout

    enum RefreshOutcome { case ok(TokenPair), reused(String), invalid }

    /// Rotates a refresh token: the presented one is spent, a new one of the same family is
    /// returned with a new access token. Presenting a spent token again revokes its family (a
    /// stolen token and its legitimate successor both stop working).
    public func refresh(_ token: String) throws -> TokenPair {
        let h = AuthService.tokenHash(token)
        let outcome: RefreshOutcome = try db.transaction {
            guard let r = try store.refresh(hash: h), r.revokedAt == nil else { return .invalid }
            if r.rotatedAt != nil {
                try store.revokeFamily(r.familyId)
                try AuditLog(db).record(actor: nil, action: "auth.refresh_reused", subject: r.userId, detail: ["family": .string(r.familyId)], org: r.orgId)
                return .reused(r.familyId)
            }
            guard r.expiresAt > now() else { return .invalid }
            guard let user = try UserStore(db).get(id: r.userId), !user.disabled,
                  let role = try OrgStore(db).role(org: r.orgId, user: user.id) else {
                try store.revokeFamily(r.familyId)
                return .invalid
            }
            guard try store.markRotated(hash: h) else { return .invalid }
            var u = user
            u.role = role
            try AuditLog(db).record(actor: u.email, action: "auth.refresh", subject: u.email, detail: ["family": .string(r.familyId)], org: r.orgId)
            return .ok(try issue(user: u, org: r.orgId, family: r.familyId))
        }
        switch outcome {
        case let .ok(pair): return pair
        case .reused, .invalid: throw AuthService.badRefresh
        }
    }

    /// Revokes the family of `refreshToken` (when it is the caller's, if a caller is known);
    /// without one, every refresh token of the caller. Unknown tokens are ignored (logout
    /// always succeeds).
    public func logout(refreshToken: String?, principal: Principal?) throws {
        try db.transaction {
            if let refreshToken, let r = try store.refresh(hash: AuthService.tokenHash(refreshToken)), principal == nil || principal?.user.id == r.userId {
                try store.revokeFamily(r.familyId)
                try AuditLog(db).record(actor: principal?.user.email, action: "auth.logout", subject: r.userId, org: r.orgId)
            } else if let principal {
                try store.revokeAll(user: principal.user.id)
                try AuditLog(db).record(actor: principal.user.email, action: "auth.logout", subject: principal.user.id, detail: ["all": true], org: principal.org)
            }
        }
    }

    // MARK: the caller

    /// The caller of a bearer token: signature, algorithm and times checked, then the user
    /// re-read (a disabled or deleted user, or a removed membership, is 401).
    public func authenticate(_ accessToken: String) throws -> Principal {
        try authenticate(accessToken, key: try SigningKeys(db).tokenKey())
    }

    /// The same with the token key given (the server caches it; `SigningKeys.tokenKey` reads it).
    public func authenticate(_ accessToken: String, key: [UInt8]) throws -> Principal {
        let claims = try AccessTokenSigner(key: key).verify(accessToken, now: now())
        guard var user = try UserStore(db).get(id: claims.sub), !user.disabled,
              let role = try OrgStore(db).role(org: claims.org, user: user.id) else {
            throw OlleeyError(.unauthenticated, "the access token is no longer valid", hint: "log in again")
        }
        user.role = role
        return Principal(user: user, org: claims.org, instanceOwner: try store.isOwner(user: user.id))
    }

    /// `/auth/me`, `/api/v1/users/me`.
    public func me(_ principal: Principal) throws -> SessionUser {
        try session(user: principal.user, org: principal.org, provider: try store.passwordHash(user: principal.user.id) == nil ? "oidc" : "email")
    }

    /// Changes the caller's password (the current one must match: 403 otherwise); every refresh
    /// token of the caller is revoked, and a new pair is returned.
    public func changePassword(_ principal: Principal, current: String, new: String) throws -> TokenPair {
        guard let stored = try store.passwordHash(user: principal.user.id), hasher.verify(current, against: stored) else {
            try AuditLog(db).record(actor: principal.user.email, action: "auth.password_change_failed", subject: principal.user.email, org: principal.org)
            throw OlleeyError.permission("the current password is wrong")
        }
        try PasswordHasher.validate(new)
        let hash = try hasher.hash(new)
        return try db.transaction {
            try store.setPasswordHash(user: principal.user.id, hash)
            try store.revokeAll(user: principal.user.id)
            try AuditLog(db).record(actor: principal.user.email, action: "auth.password_change", subject: principal.user.email, org: principal.org)
            return try issue(user: principal.user, org: principal.org)
        }
    }

    /// Sets a user's password (`olleey user create --password-stdin`, `olleey user passwd`): the
    /// actor must be allowed to manage the user's account (the rules of `UserService`).
    public func setPassword(_ emailOrId: String, password: String, actor: Actor) throws {
        try PasswordHasher.validate(password)
        let u = try UserService(db).resolve(emailOrId)
        let role = try OrgStore(db).role(org: actor.org, user: u.id) ?? u.role
        try UserService(db).authorizeManage(actor, role: role, action: "set the password of")
        let hash = try hasher.hash(password)
        try db.transaction { try storePassword(u, hash: hash, actor: actor) }
    }

    func storePassword(_ u: User, hash: String, actor: Actor) throws {
        try store.setPasswordHash(user: u.id, hash)
        try store.revokeAll(user: u.id)
        try AuditLog(db).record(actor: actor.email, action: "user.password", subject: u.email, org: actor.org)
    }

    /// `olleey user create`: the account (the rules of `UserService.create`), with a password and
    /// the instance-owner flag when given, in one transaction (the hash is made before it).
    public func createUser(email: String, name: String = "", role: Role, password: String?, owner: Bool, actor: Actor) throws -> User {
        if let password { try PasswordHasher.validate(password) }
        let hash = try password.map { try hasher.hash($0) }
        return try db.transaction {
            let u = try UserService(db).create(email: email, name: name, role: role, actor: actor)
            if let hash { try storePassword(u, hash: hash, actor: actor) }
            if owner { try setOwner(u.id, actor: actor) }
            return u
        }
    }

    /// Makes a user an instance owner (who lists and creates organisations). The actor must be
    /// an owner already, or the local operator (no acting user, or no owner yet).
    public func setOwner(_ emailOrId: String, actor: Actor) throws {
        let u = try UserService(db).resolve(emailOrId)
        if let email = actor.email, let a = try UserStore(db).find(email: email), a.id != u.id, try !store.isOwner(user: a.id) {
            throw OlleeyError.permission("\(a.email) is not an instance owner", hint: "an instance owner makes other owners")
        }
        try db.transaction {
            try store.setOwner(user: u.id, true)
            try AuditLog(db).record(actor: actor.email, action: "user.owner", subject: u.email, org: actor.org)
        }
    }

    // MARK: OIDC

    /// Signs in with a Google or Microsoft ID token: the user linked to (provider, subject), else
    /// the user of the token's verified email (then linked), else a new account per
    /// `auth.registration` (`open`: a new organisation, as its ADMIN).
    public func signIn(_ provider: OIDCProvider, idToken: String) throws -> TokenPair {
        try signIn(try OIDCVerifier(provider).verify(idToken, now: now()))
    }

    /// Signs in with an identity from `OIDCVerifier.verify` (a server verifies outside the
    /// writer connection: the JWKS may be fetched over the network).
    public func signIn(_ id: OIDCIdentity) throws -> TokenPair {
        if let uid = try store.identity(provider: id.provider, subject: id.subject), let u = try UserStore(db).get(id: uid) {
            guard !u.disabled else { throw OlleeyError(.unauthenticated, "this account is disabled") }
            let (user, org) = try landing(u, org: nil)
            return try db.transaction {
                try AuditLog(db).record(actor: user.email, action: "auth.login", subject: user.email, detail: ["provider": .string(id.provider)], org: org)
                return try issue(user: user, org: org, provider: id.provider)
            }
        }
        guard let email = id.email, (try? UserService.normalizeEmail(email)) != nil else {
            throw OlleeyError(.unauthenticated, "the ID token has no email address")
        }
        if let u = try UserStore(db).find(email: email) {
            guard id.emailVerified else {
                throw OlleeyError(.alreadyExists, "an account with this email exists; log in with its password to link this sign-in")
            }
            guard !u.disabled else { throw OlleeyError(.unauthenticated, "this account is disabled") }
            let (user, org) = try landing(u, org: nil)
            return try db.transaction {
                try store.linkIdentity(provider: id.provider, subject: id.subject, user: user.id)
                try AuditLog(db).record(actor: user.email, action: "auth.link", subject: user.email, detail: ["provider": .string(id.provider)], org: org)
                return try issue(user: user, org: org, provider: id.provider)
            }
        }
        guard settings.registration == .open else {
            throw OlleeyError.permission("there is no account for this email", hint: "ask an ADMIN of your organisation to invite you")
        }
        return try db.transaction {
            let (user, org) = try createAccount(email: email, name: id.name ?? "", invitation: nil)
            try store.linkIdentity(provider: id.provider, subject: id.subject, user: user.id)
            try AuditLog(db).record(actor: email, action: "auth.register", subject: email, detail: ["provider": .string(id.provider)], org: org)
            return try issue(user: user, org: org, provider: id.provider)
        }
    }
}
