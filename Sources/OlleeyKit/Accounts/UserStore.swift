import Foundation

/// SQL for users.
public struct UserStore {
    let db: Database

    public init(_ db: Database) { self.db = db }

    static let columns = "id, email, name, role, disabled, created_at, updated_at"

    static func user(_ r: Row) throws -> User {
        User(id: try r["id"], email: try r["email"], name: try r["name"], role: Role(rawValue: try r["role"]) ?? .client,
             disabled: try r["disabled"], createdAt: try r["created_at"], updatedAt: try r["updated_at"])
    }

    public func get(id: String) throws -> User? {
        try db.queryOne("SELECT \(UserStore.columns) FROM users WHERE id = ?", [.text(id)], UserStore.user)
    }

    public func find(email: String) throws -> User? {
        try db.queryOne("SELECT \(UserStore.columns) FROM users WHERE email = ?", [.text(email.lowercased())], UserStore.user)
    }

    public func list(role: Role? = nil) throws -> [User] {
        if let role {
            return try db.query("SELECT \(UserStore.columns) FROM users WHERE role = ? ORDER BY email", [.text(role.rawValue)], UserStore.user)
        }
        return try db.query("SELECT \(UserStore.columns) FROM users ORDER BY email", [], UserStore.user)
    }

    public func count() throws -> Int { Int(try db.scalarInt("SELECT count(*) FROM users") ?? 0) }

    public func insert(_ u: User) throws {
        try db.run("INSERT INTO users(\(UserStore.columns)) VALUES (?, ?, ?, ?, ?, ?, ?)",
                   [.text(u.id), .text(u.email), .text(u.name), .text(u.role.rawValue), .int(u.disabled ? 1 : 0), .text(u.createdAt), .text(u.updatedAt)])
    }

    public func update(_ u: User) throws {
        // `role` is not written: the role is the membership's (`users.role` is the role at creation)
        try db.run("UPDATE users SET email = ?, name = ?, disabled = ?, updated_at = ? WHERE id = ?",
                   [.text(u.email), .text(u.name), .int(u.disabled ? 1 : 0), .text(u.updatedAt), .text(u.id)])
    }
}
