import Foundation

/// Per-language review states.
public enum QCState: String, Sendable, CaseIterable {
    case unassigned, assigned
    case inReview = "in_review"
    case approved, rejected
}

/// A language's review: state, assignee and the glossary findings of its last translation.
public struct QCEntry: Sendable {
    public var jobId: String
    public var language: String
    public var state: QCState
    public var assigneeId: String?
    public var assigneeEmail: String?
    public var glossaryReport: JSON?
    public var updatedAt: String
}

/// One step of a language's review history.
public struct QCHistoryItem: Sendable {
    public var id: Int64
    public var at: String
    public var language: String
    public var actor: String?
    public var action: String
    public var fromState: String?
    public var toState: String?
    public var message: String?

    public var json: JSON {
        .object([("at", .string(at)), ("language", .string(language)), ("actor", JSON(actor)), ("action", .string(action)),
                 ("from", JSON(fromState)), ("to", JSON(toState)), ("message", JSON(message))])
    }
}

/// SQL for the qc and qc_history tables. Rows are created on first use, so jobs created before
/// review existed (or never reviewed) read as `unassigned`.
public struct QCStore {
    let db: Database

    public init(_ db: Database) { self.db = db }

    public func ensure(job: String, language: String) throws {
        try db.run("INSERT INTO qc(job_id, language, state, updated_at) VALUES (?, ?, 'unassigned', ?) ON CONFLICT DO NOTHING",
                   [.text(job), .text(language), .text(Clock.nowISO())])
    }

    static let select = """
        SELECT q.job_id, q.language, q.state, q.assignee_id, u.email, q.glossary_report, q.updated_at
        FROM qc q LEFT JOIN users u ON u.id = q.assignee_id
        """

    static func entry(_ r: Row) throws -> QCEntry {
        QCEntry(jobId: try r["job_id"], language: try r["language"], state: QCState(rawValue: try r["state"]) ?? .unassigned,
                assigneeId: try r["assignee_id"], assigneeEmail: try r["email"],
                glossaryReport: try r.json("glossary_report"), updatedAt: try r["updated_at"])
    }

    public func get(job: String, language: String) throws -> QCEntry {
        try ensure(job: job, language: language)
        guard let e = try db.queryOne(QCStore.select + " WHERE q.job_id = ? AND q.language = ?", [.text(job), .text(language)], QCStore.entry) else {
            throw OlleeyError.failure("qc row for \(job)/\(language) vanished")
        }
        return e
    }

    public func set(job: String, language: String, state: QCState, assigneeId: String?) throws {
        try ensure(job: job, language: language)
        try db.run("UPDATE qc SET state = ?, assignee_id = ?, updated_at = ? WHERE job_id = ? AND language = ?",
                   [.text(state.rawValue), assigneeId.sqlValue, .text(Clock.nowISO()), .text(job), .text(language)])
    }

    public func setGlossaryReport(job: String, language: String, _ report: JSON) throws {
        try ensure(job: job, language: language)
        try db.run("UPDATE qc SET glossary_report = ?, updated_at = ? WHERE job_id = ? AND language = ?",
                   [.text(report.encoded()), .text(Clock.nowISO()), .text(job), .text(language)])
    }

    public func addHistory(job: String, language: String, actor: String?, action: String, from: QCState?, to: QCState?, message: String? = nil) throws {
        try db.run("INSERT INTO qc_history(job_id, language, at, actor, action, from_state, to_state, message) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                   [.text(job), .text(language), .text(Clock.nowISO()), actor.sqlValue, .text(action), (from?.rawValue).sqlValue,
                    (to?.rawValue).sqlValue, message.sqlValue])
    }

    public func history(job: String, language: String? = nil) throws -> [QCHistoryItem] {
        let sql = "SELECT id, at, language, actor, action, from_state, to_state, message FROM qc_history WHERE job_id = ?"
            + (language == nil ? "" : " AND language = ?") + " ORDER BY id"
        let args: [SQLValue] = [.text(job)] + (language.map { [.text($0)] } ?? [])
        return try db.query(sql, args) { r in
            QCHistoryItem(id: try r["id"], at: try r["at"], language: try r["language"], actor: try r["actor"], action: try r["action"],
                          fromState: try r["from_state"], toState: try r["to_state"], message: try r["message"])
        }
    }

    // the approval recorded on the job's language (set by `JobService.review`)

    /// The language's approval: "", "approved" or "rejected" (nil when the job has no such language).
    public func approval(job: String, language: String) throws -> String? {
        try db.scalarText("SELECT approval FROM job_languages WHERE job_id = ? AND language = ?", [.text(job), .text(language)])
    }

    /// Withdraws a language's approval or rejection (it goes back to review).
    public func withdrawApproval(job: String, language: String) throws {
        try db.run("UPDATE job_languages SET approval = '', approval_reason = NULL WHERE job_id = ? AND language = ?", [.text(job), .text(language)])
    }
}

extension QCStore {
    /// The user id a language's review is assigned to (nil when none); reads only.
    public func assignee(job: String, language: String) throws -> String? {
        try db.queryOne("SELECT assignee_id FROM qc WHERE job_id = ? AND language = ?", [.text(job), .text(language)]) { r in
            try r["assignee_id"] as String?
        } ?? nil
    }
}
