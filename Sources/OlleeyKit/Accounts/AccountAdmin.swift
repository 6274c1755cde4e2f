import Foundation

/// The organisation and administration routes of the server, for an authenticated caller:
/// `/api/v1/organizations` (list, create, members, invite, remove), `/api/v1/admin/users`
/// (list, patch) and `/api/v1/admin/audit-log`.
///
/// Tenancy: an ADMIN administers its own organisation only (a user of another organisation is
/// "not found", never "forbidden"); a PM manages CLIENT, REVIEWER and LINGUIST members; an
/// instance owner lists and creates organisations. An organisation the caller is no member of
/// is "not found" (404); a member without the role is "forbidden" (403).
public struct AccountAdmin {
    public let db: Database
    public let settings: AuthSettings

    public init(_ db: Database, settings: AuthSettings = AuthSettings()) { self.db = db; self.settings = settings }

    var orgs: OrgStore { OrgStore(db) }

    static func forbidden(_ what: String, needs: String) -> OlleeyError {
        OlleeyError.permission("\(what) needs the \(needs) role", hint: "ask an ADMIN of your organisation")
    }

    /// The organisations the caller may see: every one for an instance owner, else their own.
    public func organizations(_ p: Principal) throws -> [Organization] {
        p.instanceOwner ? try orgs.list() : try orgs.list(member: p.user.id)
    }

    /// Creates an organisation (instance owner only); the owner becomes its ADMIN.
    public func createOrganization(name: String, _ p: Principal) throws -> Organization {
        guard p.instanceOwner else { throw OlleeyError.permission("creating an organisation needs an instance owner", hint: "an instance owner creates organisations") }
        let n = try OrgService.validName(name)
        if try orgs.get(n) != nil { throw OlleeyError(.alreadyExists, "organisation '\(n)' already exists") }
        let o = Organization(id: ID.uuid7(), name: n, createdAt: Clock.nowISO())
        try db.transaction {
            try orgs.insert(o)
            try orgs.setMembership(org: o.id, user: p.user.id, role: .admin)
            try AuditLog(db).record(actor: p.user.email, action: "org.create", subject: o.id, detail: ["name": .string(n)], org: o.id)
        }
        return o
    }

    /// The caller's role in `orgId` (id or name), requiring a manager (PM or ADMIN): 404 when
    /// the caller is no member (an instance owner too: it manages the organisations it is a
    /// member of, as every ADMIN), 403 when a member without the role.
    func managerRole(_ orgId: String, _ p: Principal, action: String) throws -> (Organization, Role) {
        guard let o = try orgs.get(orgId), let role = try orgs.role(org: o.id, user: p.user.id) else {
            throw OlleeyError.notFound("organisation not found")
        }
        guard role.isManager else { throw AccountAdmin.forbidden(action, needs: "PM or ADMIN") }
        return (o, role)
    }

    /// The members of an organisation (PM or ADMIN of it).
    public func members(_ orgId: String, _ p: Principal) throws -> [Membership] {
        let (o, _) = try managerRole(orgId, p, action: "listing the members")
        return try orgs.members(o.id)
    }

    /// Invites `email` to an organisation with `role` (PM or ADMIN of it; a PM invites CLIENT,
    /// REVIEWER and LINGUIST only). Returns the invitation and its token, shown once (only its
    /// SHA-256 is stored).
    public func invite(_ orgId: String, email: String, role: Role, _ p: Principal) throws -> (invitation: Invitation, token: String) {
        let (o, callerRole) = try managerRole(orgId, p, action: "inviting")
        guard callerRole == .admin || !role.isManager else {
            throw OlleeyError.permission("a PM may not invite \(role == .admin ? "an" : "a") \(role.rawValue)", hint: "an ADMIN invites PMs and ADMINs")
        }
        let e = try UserService.normalizeEmail(email)
        if let u = try UserStore(db).find(email: e), try orgs.role(org: o.id, user: u.id) != nil {
            throw OlleeyError(.alreadyExists, "\(e) is already a member of this organisation")
        }
        let token = Crypto.base64url(try Crypto.randomBytes(32))
        let now = Clock.nowMillis() / 1000
        let i = Invitation(id: ID.uuid7(), orgId: o.id, email: e, role: role, invitedBy: p.user.email, createdAt: Clock.nowISO(),
                           expiresAt: now + settings.invitationTTL, acceptedAt: nil)
        try db.transaction {
            try AccountStore(db).insertInvitation(i, tokenHash: AuthService.tokenHash(token))
            try AuditLog(db).record(actor: p.user.email, action: "org.invite", subject: "\(o.id)/\(e)", detail: ["role": .string(role.rawValue)], org: o.id)
        }
        return (i, token)
    }

    /// Removes a member (by user id or email) from an organisation (PM or ADMIN of it, under the
    /// rules of `UserService`); their account stays.
    public func removeMember(_ orgId: String, user: String, _ p: Principal) throws -> Membership {
        let (o, _) = try managerRole(orgId, p, action: "removing a member")
        guard let m = try orgs.members(o.id).first(where: { $0.user.id == user || $0.user.email == user.lowercased() }) else {
            throw OlleeyError.notFound("user not found in this organisation")
        }
        return try OrgService(db).remove(o.id, email: m.user.id, actor: Actor(email: p.user.email, org: o.id, author: p.user.email))
    }

    /// The users of the caller's organisation (ADMIN only).
    public func users(_ p: Principal, role: Role? = nil) throws -> [User] {
        guard p.role == .admin else { throw AccountAdmin.forbidden("listing users", needs: "ADMIN") }
        return try UserService(db).list(actor: p.actor, role: role)
    }

    /// Changes the role or the disabled flag of a user of the caller's organisation (ADMIN
    /// only; a user of another organisation is not found). Disabling revokes their refresh
    /// tokens; an ADMIN cannot disable or demote themselves (the organisation would lose its
    /// administrator by accident).
    public func patchUser(_ id: String, role: Role? = nil, disabled: Bool? = nil, _ p: Principal) throws -> User {
        guard p.role == .admin else { throw AccountAdmin.forbidden("changing users", needs: "ADMIN") }
        let target: User
        do { target = try UserService(db).member(id, org: p.org) } catch let e as OlleeyError where e.code == .notFound {
            throw OlleeyError.notFound("user not found")
        }
        if target.id == p.user.id && (disabled == true || (role != nil && role != .admin)) {
            throw OlleeyError.conflict("an ADMIN cannot disable or demote themselves", hint: "another ADMIN of the organisation can")
        }
        return try db.transaction {
            let u = try UserService(db).update(target.id, role: role, disabled: disabled, actor: p.actor)
            if disabled == true { try AccountStore(db).revokeAll(user: u.id) }
            return u
        }
    }

    /// The audit log of the caller's organisation, newest first (PM or ADMIN); an instance owner
    /// with `everything` reads every organisation's and the unscoped entries.
    public func auditLog(_ p: Principal, before: Int64? = nil, limit: Int = 100, everything: Bool = false) throws -> [AuditEntry] {
        if everything {
            guard p.instanceOwner else { throw OlleeyError.permission("reading every organisation's audit log needs an instance owner") }
            return try AccountStore(db).audit(org: nil, before: before, limit: min(max(1, limit), 1000))
        }
        guard p.role.isManager else { throw AccountAdmin.forbidden("reading the audit log", needs: "PM or ADMIN") }
        return try AccountStore(db).audit(org: p.org, before: before, limit: min(max(1, limit), 1000))
    }
}
