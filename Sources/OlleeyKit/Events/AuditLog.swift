/// The audit log: who did what.
public struct AuditLog {
    let db: Database

    public init(_ db: Database) { self.db = db }

    public func record(actor: String?, action: String, subject: String?, detail: JSON = .object([])) throws {
        try db.run("INSERT INTO audit_log(at, actor, action, subject, detail) VALUES (?, ?, ?, ?, ?)",
                   [.text(Clock.nowISO()), actor.sqlValue, .text(action), subject.sqlValue, .text(detail.encoded())])
    }
}
