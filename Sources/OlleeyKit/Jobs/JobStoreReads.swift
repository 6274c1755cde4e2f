import Foundation

/// Reads of jobs beyond one row: languages of many jobs at once, the aggregates of `job stats`,
/// the runner's candidates, and one write the publisher makes.
extension JobStore {
    /// The languages of several jobs in one query, by job id (each in the job's order).
    public func languages(jobIds: [String]) throws -> [String: [JobLanguage]] {
        guard !jobIds.isEmpty else { return [:] }
        var out: [String: [JobLanguage]] = [:]
        // chunks stay far below SQLite's limit on bound parameters
        for start in stride(from: 0, to: jobIds.count, by: 500) {
            let chunk = Array(jobIds[start..<min(jobIds.count, start + 500)])
            let marks = chunk.map { _ in "?" }.joined(separator: ",")
            let rows = try db.query("SELECT \(JobStore.languageColumns) FROM job_languages WHERE job_id IN (\(marks)) ORDER BY rowid",
                                    chunk.map { .text($0) }, JobStore.language)
            for l in rows { out[l.jobId, default: []].append(l) }
        }
        return out
    }

    /// Jobs by status (of the organisation, or of every one without): the server's metrics.
    public func countByStatus() throws -> [JobStats.Count] {
        let (own, args) = orgClause
        return try db.query("SELECT status, count(*) AS n FROM jobs WHERE TRUE\(own) GROUP BY status ORDER BY 1", args) {
            JobStats.Count(key: try $0["status"], count: try $0["n"]) }
    }

    /// The aggregates of `job stats`.
    func stats() throws -> (byStatus: [JobStats.Count], byLanguage: [JobStats.LanguageCount], reasons: [JobStats.FailureReason], stages: [JobStats.StageDuration]) {
        // scoped: the organisation's jobs only (`ofOrg` limits a table with a job_id column)
        let (own, args) = orgClause
        let ofOrg = org == nil ? "" : " AND job_id IN (SELECT id FROM jobs WHERE org_id = ?)"
        let byStatus = try db.query("SELECT status, count(*) AS n FROM jobs WHERE TRUE\(own) GROUP BY status ORDER BY 2 DESC, 1", args) {
            JobStats.Count(key: try $0["status"], count: try $0["n"]) }
        let byLang = try db.query("SELECT language, status, count(*) AS n FROM job_languages WHERE TRUE\(ofOrg) GROUP BY language, status ORDER BY language, status", args) {
            JobStats.LanguageCount(language: try $0["language"], status: try $0["status"], count: try $0["n"]) }
        let reasons = try db.query("""
            SELECT coalesce(error_stage, '?') AS stage, error, count(*) AS n FROM job_languages WHERE status = 'failed'\(ofOrg) GROUP BY 1, 2
            UNION ALL SELECT coalesce(error_stage, '?'), error, count(*) FROM jobs WHERE status = 'failed' AND error_stage IN ('ingest', 'transcribe')\(own) GROUP BY 1, 2
            ORDER BY 3 DESC LIMIT 20
            """, args + args) { JobStats.FailureReason(stage: try $0["stage"], error: try $0["error"] ?? "", count: try $0["n"]) }
        let stages = try db.query("SELECT stage, count(*) AS runs, avg(duration_ms) AS avg_ms FROM stage_runs WHERE state = 'done' AND cached = 0\(ofOrg) GROUP BY stage", args) {
            JobStats.StageDuration(stage: try $0["stage"], runs: try $0["runs"], avgMs: Int64((try $0["avg_ms"] as Double).rounded())) }
        return (byStatus, byLang, reasons, stages)
    }

    /// The leases other workers hold now on open jobs and on their languages: unexpired, not
    /// `worker`'s, and not a dead process of this host's (`WorkerID.isAlive`). A worker's scan
    /// passes those units over instead of trying a claim it would lose (with 8 workers, most
    /// attempts were such). Two reads, stale the moment they return: a unit freed since is
    /// found at the next scan, and the claim's compare-and-set stays the only guard.
    public func leasesHeld(notBy worker: String) throws -> HeldLeases {
        let now = Clock.nowMillis()
        let (own, args) = orgClause
        let jobs = try db.query("""
            SELECT id, lease_owner FROM jobs WHERE status NOT IN \(JobStore.settledList)\(own)
            AND lease_owner IS NOT NULL AND lease_owner <> ? AND lease_expires_ms > ?
            """, args + [.text(worker), .int(now)]) { ($0.string(0), $0.string(1)) }
        let langs = try db.query("""
            SELECT l.job_id, l.language, l.lease_owner FROM jobs j JOIN job_languages l ON l.job_id = j.id
            WHERE j.status NOT IN \(JobStore.settledList)\(org == nil ? "" : " AND j.org_id = ?") AND l.status IN ('queued','processing')
            AND l.lease_owner IS NOT NULL AND l.lease_owner <> ? AND l.lease_expires_ms > ?
            """, args + [.text(worker), .int(now)]) { ($0.string(0), $0.string(1), $0.string(2)) }
        return HeldLeases(jobs: Set(jobs.filter { WorkerID.isAlive($0.1) }.map(\.0)),
                          languages: Set(langs.filter { WorkerID.isAlive($0.2) }.map { HeldLeases.key($0.0, $0.1) }))
    }

    /// Ids of jobs not yet settled (the runner's candidates), oldest first.
    public func openIds() throws -> [String] {
        try db.query("SELECT id FROM jobs WHERE status NOT IN \(JobStore.settledList)\(orgClause.sql) ORDER BY created_at", orgClause.args) { try $0["id"] }
    }

    /// How many jobs are not yet settled.
    public func openCount() throws -> Int {
        Int(try db.scalarInt("SELECT count(*) FROM jobs WHERE status NOT IN \(JobStore.settledList)\(orgClause.sql)", orgClause.args) ?? 0)
    }

    /// Ids of jobs changed since a time (ISO 8601), oldest first.
    public func ids(updatedSince: String) throws -> [String] {
        try db.query("SELECT id FROM jobs WHERE updated_at >= ?\(orgClause.sql) ORDER BY created_at", [.text(updatedSince)] + orgClause.args) { try $0["id"] }
    }

    /// Records where a language was published (in its outputs' `published`).
    public func setPublished(_ jobId: String, _ language: String, _ record: JSON) throws {
        try db.run("UPDATE job_languages SET outputs = json_set(outputs, '$.published', json(?)) WHERE job_id = ? AND language = ?",
                   [.text(record.encoded()), .text(jobId), .text(language)])
    }

    /// Marks a language rendered with stand-ins (`StandIn`): `marker` as its outputs' `stand_in`
    /// (an object, so `job outputs` lists no path for it).
    func setStandIn(_ jobId: String, _ language: String, _ marker: JSON) throws {
        try db.run("UPDATE job_languages SET outputs = json_set(outputs, '$.stand_in', json(?)) WHERE job_id = ? AND language = ?",
                   [.text(marker.encoded()), .text(jobId), .text(language)])
    }

    /// The statuses in which a job is settled for the runner (nothing to run until a person acts).
    static let settledList = "('completed','failed','cancelled','paused','waiting_approval')"
}

/// Units whose leases other live workers hold (`JobStore.leasesHeld`).
public struct HeldLeases: Sendable {
    /// Jobs whose job-level lease (preparation, master, finish) is held.
    public var jobs: Set<String> = []
    /// Languages whose lease is held, by `key(job, language)`.
    public var languages: Set<String> = []

    static func key(_ job: String, _ language: String) -> String { job + "\u{0}" + language }
    public func job(_ id: String) -> Bool { jobs.contains(id) }
    public func language(_ job: String, _ language: String) -> Bool { languages.contains(HeldLeases.key(job, language)) }
}
