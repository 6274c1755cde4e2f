import Foundation

/// SQL of the dashboard's and job statistics' counts, for one organisation (and project); the
/// read models and what they mean are JobStatistics'.
struct JobStatisticsStore {
    let db: Database
    let org: String
    let projectId: String?

    var scope: (sql: String, args: [SQLValue]) {
        var sql = "j.org_id = ?"
        var args: [SQLValue] = [.text(org)]
        if let p = projectId { sql += " AND j.project_id = ?"; args.append(.text(p)) }
        return (sql, args)
    }

    func statusCounts() throws -> [(status: String, n: Int64)] {
        let s = scope
        return try db.query("SELECT j.status AS status, count(*) AS n FROM jobs j WHERE \(s.sql) GROUP BY j.status", s.args) { (try $0["status"] as String, try $0["n"] as Int64) }
    }

    func distinctVideos() throws -> Int {
        let s = scope
        return Int(try db.scalarInt("SELECT count(DISTINCT j.video_id) FROM jobs j WHERE \(s.sql)", s.args) ?? 0)
    }

    func distinctLanguages() throws -> Int {
        let s = scope
        return Int(try db.scalarInt("SELECT count(DISTINCT l.language) FROM job_languages l JOIN jobs j ON j.id = l.job_id WHERE \(s.sql)", s.args) ?? 0)
    }

    func completed(since: String) throws -> Int {
        let s = scope
        return Int(try db.scalarInt("SELECT count(*) FROM jobs j WHERE \(s.sql) AND j.status = 'completed' AND j.completed_at >= ?", s.args + [.text(since)]) ?? 0)
    }

    func languagesFirstAsked(since: String) throws -> Int {
        let s = scope
        return Int(try db.scalarInt("""
            SELECT count(*) FROM (SELECT l.language, min(j.created_at) AS first FROM job_languages l JOIN jobs j ON j.id = l.job_id
            WHERE \(s.sql) GROUP BY l.language) WHERE first >= ?
            """, s.args + [.text(since)]) ?? 0)
    }

    func averageProcessingSeconds() throws -> Double? {
        let s = scope
        return try db.queryOne("""
            SELECT avg((julianday(j.completed_at) - julianday(j.started_at)) * 86400.0) AS a FROM jobs j
            WHERE \(s.sql) AND j.status = 'completed' AND j.started_at IS NOT NULL AND j.completed_at IS NOT NULL
            """, s.args) { r -> Double? in r.isNull(0) ? nil : r.double(0) } ?? nil
    }

    func failures(since: String, limit: Int) throws -> [(id: String, error: String?, stage: String?, at: String)] {
        let s = scope
        return try db.query("""
            SELECT j.id AS id, j.error AS error, j.error_stage AS stage, j.updated_at AS at FROM jobs j
            WHERE \(s.sql) AND j.status = 'failed' AND j.updated_at >= ? ORDER BY j.updated_at DESC, j.id DESC LIMIT ?
            """, s.args + [.text(since), .int(Int64(limit))]) { r in
            let error: String? = try r["error"], stage: String? = try r["stage"]
            return (try r["id"], error, stage, try r["at"])
        }
    }

    /// Per target language: how many jobs asked for it, and how many of those are done.
    func languages() throws -> [(code: String, n: Int64, done: Int64)] {
        let s = scope
        return try db.query("""
            SELECT l.language AS code, count(*) AS n, sum(l.status IN ('draft','live','published')) AS done
            FROM job_languages l JOIN jobs j ON j.id = l.job_id WHERE \(s.sql) GROUP BY l.language ORDER BY n DESC, code
            """, s.args) { r in
            let done: Int64? = try r["done"]
            return (try r["code"], try r["n"], done ?? 0)
        }
    }

    /// The events of the scope's jobs, newest first, with the job's project and name.
    func events(limit: Int) throws -> [(event: Event, projectId: String?, name: String)] {
        let s = scope
        return try db.query("""
            SELECT e.id AS id, e.at AS at, e.kind AS kind, e.job_id AS job_id, e.language AS language, e.data AS data,
                   j.project_id AS project_id, j.source_name AS name
            FROM events e JOIN jobs j ON j.id = e.job_id WHERE \(s.sql) ORDER BY e.id DESC LIMIT ?
            """, s.args + [.int(Int64(limit))]) { r in
            let e = Event(id: try r["id"], at: try r["at"], kind: try r["kind"], jobId: try r["job_id"], language: try r["language"],
                          data: try r.json("data") ?? .object([]))
            let project: String? = try r["project_id"]
            return (e, project, try r["name"])
        }
    }
}
