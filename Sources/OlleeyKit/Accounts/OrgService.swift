import Foundation

/// Rules of organisations: who may create one, see its members, add and remove them. The rules
/// of `UserService` apply within an organisation: an ADMIN of it manages every membership, a PM
/// manages CLIENT, REVIEWER and LINGUIST ones; with no acting user, or while no user exists, the
/// local operator (whoever can write the workspace) may.
public struct OrgService {
    public let db: Database

    public init(_ db: Database) { self.db = db }

    var store: OrgStore { OrgStore(db) }

    /// An organisation by id or name (66 when unknown).
    public func resolve(_ ref: String) throws -> Organization {
        if let o = try store.get(ref) { return o }
        throw OlleeyError.notFound("organisation '\(ref)' not found", hint: "list the organisations", next: [.command("org list")])
    }

    static func validName(_ raw: String) throws -> String {
        let n = raw.trimmingCharacters(in: .whitespaces)
        guard !n.isEmpty, n.count <= 100, !n.contains(where: { $0.isNewline || $0 == "/" }) else {
            throw OlleeyError.usage("an organisation name must be 1-100 characters on one line, without '/'")
        }
        return n
    }

    /// The organisations the actor may see: all of them for the local operator (no acting user,
    /// or no user yet), else those the actor is a member of.
    public func list(actor: Actor) throws -> [Organization] {
        guard let email = actor.email, try UserStore(db).count() > 0 else { return try store.list() }
        let u = try UserService(db).resolve(email)
        return try store.list(member: u.id)
    }

    /// Creates an organisation; the acting user (an ADMIN of their organisation) becomes its ADMIN.
    public func create(name: String, actor: Actor) throws -> Organization {
        let n = try OrgService.validName(name)
        var creator: User?
        if actor.email != nil, try UserStore(db).count() > 0 {
            let u = try actor.user(db, action: "org create")
            guard u.role == .admin else {
                throw OlleeyError.permission("\(u.email) (\(u.role.rawValue)) may not create an organisation", hint: "an ADMIN creates organisations")
            }
            creator = u
        }
        if try store.get(n) != nil { throw OlleeyError(.alreadyExists, "organisation '\(n)' already exists") }
        let o = Organization(id: ID.uuid7(), name: n, createdAt: Clock.nowISO())
        try db.transaction {
            try store.insert(o)
            if let creator { try store.setMembership(org: o.id, user: creator.id, role: .admin) }
            try AuditLog(db).record(actor: actor.email, action: "org.create", subject: o.id, detail: ["name": .string(n)], org: o.id)
        }
        return o
    }

    /// The members of an organisation the actor belongs to (a non-member gets "not found", as for
    /// an organisation that does not exist).
    public func members(_ ref: String, actor: Actor) throws -> (Organization, [Membership]) {
        let o = try visible(ref, actor: actor)
        return (o, try store.members(o.id))
    }

    /// Adds a user (who must exist) to an organisation with a role, or changes their role there.
    public func add(_ ref: String, email: String, role: Role, actor: Actor) throws -> Membership {
        let o = try visible(ref, actor: actor)
        let user = try UserService(db).resolve(email)
        let inOrg = Actor(email: actor.email, org: o.id, author: actor.author)
        let svc = UserService(db)
        if let old = try store.role(org: o.id, user: user.id) { try svc.authorizeManage(inOrg, role: old, action: "change") }
        try svc.authorizeManage(inOrg, role: role, action: "make")
        try db.transaction {
            try store.setMembership(org: o.id, user: user.id, role: role)
            try AuditLog(db).record(actor: actor.email, action: "org.add", subject: "\(o.id)/\(user.email)", detail: ["role": .string(role.rawValue)], org: o.id)
        }
        guard let m = try store.members(o.id).first(where: { $0.user.id == user.id }) else { throw OlleeyError.failure("membership not stored") }
        return m
    }

    /// Removes a user from an organisation (their account stays).
    public func remove(_ ref: String, email: String, actor: Actor) throws -> Membership {
        let o = try visible(ref, actor: actor)
        let user = try UserService(db).resolve(email)
        guard let m = try store.members(o.id).first(where: { $0.user.id == user.id }) else {
            throw OlleeyError.notFound("\(user.email) is not a member of organisation '\(o.name)'", next: [.command("org members", [o.name])])
        }
        try UserService(db).authorizeManage(Actor(email: actor.email, org: o.id, author: actor.author), role: m.role, action: "remove")
        try OrgService.keepsAnAdmin(store, org: o, losing: m.user.id, action: "removed")
        try db.transaction {
            try store.removeMembership(org: o.id, user: user.id)
            try AuditLog(db).record(actor: actor.email, action: "org.remove", subject: "\(o.id)/\(user.email)", org: o.id)
        }
        return m
    }

    /// Refuses a change that would leave `org` with no active ADMIN (`losing` is the member
    /// who would stop being one): a conflict naming what to do first.
    static func keepsAnAdmin(_ store: OrgStore, org: Organization, losing userId: String, action: String) throws {
        let admins = try store.members(org.id).filter { $0.role == .admin && !$0.user.disabled }
        guard admins.contains(where: { $0.user.id == userId }), admins.count == 1 else { return }
        throw OlleeyError.conflict("\(admins[0].user.email) is the last ADMIN of organisation '\(org.name)' and cannot be \(action)",
                                   hint: "make another member ADMIN first", next: [.command("user update", ["EMAIL"], options: ["role": "ADMIN"])])
    }

    /// An organisation the actor may act in: any for the local operator, else one they are a
    /// member of; any other is "not found" (its existence is not revealed).
    func visible(_ ref: String, actor: Actor) throws -> Organization {
        let o = try resolve(ref)
        guard let email = actor.email, try UserStore(db).count() > 0 else { return o }
        let u = try UserService(db).resolve(email)
        guard try store.role(org: o.id, user: u.id) != nil else {
            throw OlleeyError.notFound("organisation '\(ref)' not found", hint: "list the organisations", next: [.command("org list")])
        }
        return o
    }
}
