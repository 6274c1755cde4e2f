import Foundation

/// Rules of local users: validated emails and roles, who may manage whom, and the acting user.
///
/// On the command line, whoever can write the workspace owns it: with no acting user (no `--as`,
/// no `user.email`), or while no user exists yet, user management is allowed. An acting user
/// must be an ADMIN, or a PM managing CLIENT, REVIEWER and LINGUIST accounts (else 77).
public struct UserService {
    public let db: Database

    public init(_ db: Database) { self.db = db }

    var store: UserStore { UserStore(db) }

    public static func normalizeEmail(_ raw: String) throws -> String {
        let v = raw.trimmingCharacters(in: .whitespaces).lowercased()
        let parts = v.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[1].contains("."), !parts[1].hasPrefix("."), !parts[1].hasSuffix("."),
              !v.contains(where: { $0.isWhitespace }) else {
            throw OlleeyError.usage("'\(raw)' is not an email address", hint: "e.g. ana@example.com")
        }
        return v
    }

    /// A user by email or id (66 when unknown).
    public func resolve(_ emailOrId: String) throws -> User {
        if let u = try store.find(email: emailOrId) ?? store.get(id: emailOrId) { return u }
        throw OlleeyError.notFound("user \(emailOrId) not found", hint: "list the users, or create this one", next: [.command("user list"), .command("user create", options: ["email": emailOrId, "role": "LINGUIST"])])
    }

    /// The acting user for an action that needs one, with their role in `org`: nil email is 77
    /// with a hint; an unknown email is 66; a disabled user, or one who is not a member of `org`,
    /// is 77.
    public func actor(_ email: String?, org: String = Actor.defaultOrg, action: String) throws -> User {
        guard let email, !email.isEmpty else {
            throw OlleeyError.permission("\(action) needs a user", hint: "say who acts, or set the workspace's user", next: [.input("as", example: "EMAIL"), .setting("user.email", example: "EMAIL")])
        }
        var u = try resolve(email)
        if u.disabled { throw OlleeyError.permission("user \(u.email) is disabled") }
        guard let role = try OrgStore(db).role(org: org, user: u.id) else {
            throw OlleeyError.permission("\(u.email) is not a member of organisation '\(try OrgStore(db).get(org)?.name ?? org)'",
                                         hint: "an ADMIN or a PM of the organisation adds members",
                                         next: [.command("org add", [org, u.email], options: ["role": "ROLE"])])
        }
        u.role = role
        return u
    }

    /// A member of `org` by email or id, with their role there (66 when unknown or not a member).
    public func member(_ emailOrId: String, org: String) throws -> User {
        var u = try resolve(emailOrId)
        guard let role = try OrgStore(db).role(org: org, user: u.id) else {
            throw OlleeyError.notFound("user \(emailOrId) not found in this organisation", hint: "add them to it", next: [.command("org add", [org, u.email], options: ["role": "LINGUIST"])])
        }
        u.role = role
        return u
    }

    /// The members of the actor's organisation (with `role`, those with that role there), each
    /// with their role there.
    public func list(actor: Actor, role: Role? = nil) throws -> [User] {
        try OrgStore(db).members(actor.org).map(\.user).filter { role == nil || $0.role == role }
    }

    /// Checks that `actor` may create or change an account (or a membership) with `role` in the
    /// actor's organisation.
    func authorizeManage(_ actor: Actor, role: Role, action: String) throws {
        guard actor.email != nil, try store.count() > 0 else { return }
        let a = try self.actor(actor.email, org: actor.org, action: action)
        if a.role == .admin { return }
        if a.role == .pm && !role.isManager { return }
        throw OlleeyError.permission("\(a.email) (\(a.role.rawValue)) may not \(action) \(role == .admin ? "an" : "a") \(role.rawValue) account",
                                     hint: "an ADMIN manages every account; a PM manages CLIENT, REVIEWER and LINGUIST accounts")
    }

    /// Creates an account and its membership of the actor's organisation.
    public func create(email: String, name: String = "", role: Role, actor: Actor) throws -> User {
        let e = try UserService.normalizeEmail(email)
        try authorizeManage(actor, role: role, action: "create")
        let exists = OlleeyError(.alreadyExists, "user \(e) already exists", hint: "change it instead, or add it to this organisation", next: [.command("user update", [e], options: ["role": "ROLE"]), .command("org add", [actor.org, e], options: ["role": role.rawValue])])
        if try store.find(email: e) != nil { throw exists }
        let now = Clock.nowISO()
        let u = User(id: ID.uuid7(), email: e, name: name, role: role, disabled: false, createdAt: now, updatedAt: now)
        do {
            try db.transaction {
                try store.insert(u)
                try OrgStore(db).setMembership(org: actor.org, user: u.id, role: role)
                try AuditLog(db).record(actor: actor.email, action: "user.create", subject: u.email, detail: ["role": .string(role.rawValue)], org: actor.org)
            }
        } catch DatabaseError.SQLITE_CONSTRAINT_UNIQUE {
            // another connection created the same email between the check and the insert
            throw exists
        }
        return u
    }

    /// Changes an account of the actor's organisation; a role is the role in that organisation.
    public func update(_ emailOrId: String, email: String? = nil, name: String? = nil, role: Role? = nil, disabled: Bool? = nil,
                       actor: Actor) throws -> User {
        var u = try member(emailOrId, org: actor.org)
        try authorizeManage(actor, role: u.role, action: "change")
        if let role { try authorizeManage(actor, role: role, action: "make") }
        var changes: [(String, JSON)] = []
        if let email {
            let e = try UserService.normalizeEmail(email)
            if e != u.email {
                if try store.find(email: e) != nil { throw OlleeyError(.alreadyExists, "user \(e) already exists") }
                changes.append(("email", .string(e))); u.email = e
            }
        }
        if let name, name != u.name { changes.append(("name", .string(name))); u.name = name }
        let newRole = role.flatMap { $0 != u.role ? $0 : nil }
        if let newRole { changes.append(("role", .string(newRole.rawValue))); u.role = newRole }
        if let disabled, disabled != u.disabled { changes.append(("disabled", .bool(disabled))); u.disabled = disabled }
        guard !changes.isEmpty else { return u }
        if (newRole != nil && newRole != .admin) || u.disabled, let org = try OrgStore(db).get(actor.org) {
            try OrgService.keepsAnAdmin(OrgStore(db), org: org, losing: u.id, action: u.disabled ? "disabled" : "demoted")
        }
        u.updatedAt = Clock.nowISO()
        let changed = u
        try db.transaction {
            try store.update(changed)
            if let newRole { try OrgStore(db).setMembership(org: actor.org, user: changed.id, role: newRole) }
            try AuditLog(db).record(actor: actor.email, action: "user.update", subject: changed.email, detail: .object(changes), org: actor.org)
        }
        return u
    }
}
