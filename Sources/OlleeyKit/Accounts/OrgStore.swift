import Foundation

/// SQL for organisations and memberships.
public struct OrgStore {
    let db: Database

    public init(_ db: Database) { self.db = db }

    static func org(_ r: Row) -> Organization { Organization(id: r.string(0), name: r.string(1), createdAt: r.string(2)) }

    public func get(_ idOrName: String) throws -> Organization? {
        try db.queryOne("SELECT id, name, created_at FROM organizations WHERE id = ? OR name = ? ORDER BY id = ? DESC LIMIT 1",
                        [.text(idOrName), .text(idOrName), .text(idOrName)], OrgStore.org)
    }

    public func list() throws -> [Organization] {
        try db.query("SELECT id, name, created_at FROM organizations ORDER BY created_at, name", [], OrgStore.org)
    }

    /// The organisations `userId` is a member of.
    public func list(member userId: String) throws -> [Organization] {
        try db.query("SELECT o.id, o.name, o.created_at FROM organizations o JOIN memberships m ON m.org_id = o.id WHERE m.user_id = ? ORDER BY o.created_at, o.name",
                     [.text(userId)], OrgStore.org)
    }

    public func insert(_ o: Organization) throws {
        try db.run("INSERT INTO organizations(id, name, created_at) VALUES (?, ?, ?)", [.text(o.id), .text(o.name), .text(o.createdAt)])
    }

    /// The role of `userId` in `orgId`, nil when not a member.
    public func role(org orgId: String, user userId: String) throws -> Role? {
        try db.scalarText("SELECT role FROM memberships WHERE org_id = ? AND user_id = ?", [.text(orgId), .text(userId)]).flatMap(Role.init(rawValue:))
    }

    public func members(_ orgId: String) throws -> [Membership] {
        try db.query("SELECT m.org_id, m.role, m.created_at, \(UserStore.columns.split(separator: ",").map { "u." + $0.trimmingCharacters(in: .whitespaces) }.joined(separator: ", ")) FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.org_id = ? ORDER BY u.email",
                     [.text(orgId)]) { r in
            Membership(orgId: r.string(0), user: User(id: r.string(3), email: r.string(4), name: r.string(5), role: Role(rawValue: r.string(1)) ?? .client,
                                                      disabled: r.bool(7), createdAt: r.string(8), updatedAt: r.string(9)),
                       role: Role(rawValue: r.string(1)) ?? .client, createdAt: r.string(2))
        }
    }

    public func memberCount(_ orgId: String) throws -> Int {
        Int(try db.scalarInt("SELECT count(*) FROM memberships WHERE org_id = ?", [.text(orgId)]) ?? 0)
    }

    /// Adds the membership, or changes its role.
    public func setMembership(org orgId: String, user userId: String, role: Role) throws {
        try db.run("INSERT INTO memberships(org_id, user_id, role, created_at) VALUES (?, ?, ?, ?) ON CONFLICT(org_id, user_id) DO UPDATE SET role = excluded.role",
                   [.text(orgId), .text(userId), .text(role.rawValue), .text(Clock.nowISO())])
    }

    public func removeMembership(org orgId: String, user userId: String) throws {
        try db.run("DELETE FROM memberships WHERE org_id = ? AND user_id = ?", [.text(orgId), .text(userId)])
    }
}
