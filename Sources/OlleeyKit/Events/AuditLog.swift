/// The audit log: who did what.
public struct AuditLog {
    let db: Database

    public init(_ db: Database) { self.db = db }

    /// `org`: the organisation the change belongs to (what an ADMIN of it reads back).
    public func record(actor: String?, action: String, subject: String?, detail: JSON = .object([]), org: String? = nil) throws {
        try db.run("INSERT INTO audit_log(at, actor, action, subject, detail, org_id) VALUES (?, ?, ?, ?, ?, ?)",
                   [.text(Clock.nowISO()), actor.sqlValue, .text(action), subject.sqlValue, .text(detail.encoded()), org.sqlValue])
    }
}
