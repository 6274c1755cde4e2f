/// SQL for costs: the stored rate card, a video's duration, and the recorded cost entries.
/// Rules (rates, estimates, the budget cap, what a stage cost) live in CostService.
public struct CostStore {
    let db: Database

    public init(_ db: Database) { self.db = db }

    /// The rates set in this workspace, by key (`translate`, `translate.apertium`).
    public func storedRates() throws -> [String: Int64] {
        var stored: [String: Int64] = [:]
        for (k, v) in try db.query("SELECT key, micros FROM cost_rates", [], { (try $0["key"] as String, try $0["micros"] as Int64) }) { stored[k] = v }
        return stored
    }

    public func setRate(_ key: String, micros: Int64) throws {
        try db.run("INSERT INTO cost_rates(key, micros, updated_at) VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE SET micros = excluded.micros, updated_at = excluded.updated_at",
                   [.text(key), .int(micros), .text(Clock.nowISO())])
    }

    public func deleteRate(_ key: String) throws {
        try db.run("DELETE FROM cost_rates WHERE key = ?", [.text(key)])
    }

    /// The ingested video's duration, if the video is known.
    public func videoDurationMs(_ videoId: String) throws -> Int64? {
        try db.scalarInt("SELECT duration_ms FROM videos WHERE id = ?", [.text(videoId)])
    }

    /// Records (or replaces) what a job's stage cost for a language.
    func upsert(job: Job, stage: String, language: String, engine: String, micros: Int64, usage: JSON) throws {
        try db.run("""
            INSERT INTO cost_entries(job_id, project_id, stage, language, engine, micros, usage, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT(job_id, stage, language) DO UPDATE SET engine = excluded.engine, micros = excluded.micros, usage = excluded.usage,
              project_id = excluded.project_id
            """, [.text(job.id), job.projectId.sqlValue, .text(stage), .text(language), .text(engine), .int(micros), .text(usage.encoded()), .text(Clock.nowISO())])
    }

    public func entries(job: String) throws -> [CostEntry] {
        try db.query("SELECT job_id, project_id, stage, language, engine, micros, usage, created_at FROM cost_entries WHERE job_id = ? ORDER BY id",
                     [.text(job)]) { r in
            CostEntry(jobId: try r["job_id"], projectId: try r["project_id"], stage: try r["stage"], language: try r["language"], engine: try r["engine"],
                      micros: try r["micros"], usage: try r.json("usage") ?? .object([]), createdAt: try r["created_at"])
        }
    }

    /// Every entry since `sinceISO` and of `projectId` (each when given): stage, cost, time, job.
    /// `org`: only that organisation's jobs.
    func summaryRows(sinceISO: String?, projectId: String?, org: String? = nil) throws -> [(stage: String, micros: Int64, createdAt: String, jobId: String)] {
        var clauses: [String] = []
        var args: [SQLValue] = []
        if let o = org { clauses.append("job_id IN (SELECT id FROM jobs WHERE org_id = ?)"); args.append(.text(o)) }
        if let s = sinceISO { clauses.append("created_at >= ?"); args.append(.text(s)) }
        if let p = projectId { clauses.append("project_id = ?"); args.append(.text(p)) }
        let whereSQL = clauses.isEmpty ? "" : " WHERE " + clauses.joined(separator: " AND ")
        return try db.query("SELECT stage, micros, created_at, job_id FROM cost_entries" + whereSQL, args) {
            (try $0["stage"] as String, try $0["micros"] as Int64, try $0["created_at"] as String, try $0["job_id"] as String)
        }
    }
}
