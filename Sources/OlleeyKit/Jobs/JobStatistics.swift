import Foundation

/// Read models of the dashboard and of job statistics, for one organisation (and one project
/// when given): counts, metrics, errors, languages, insights derived from those, and the
/// activity feed (the events table). Every number is counted from the workspace; what the
/// product has no data for (views, credits) is not here (the routes write `null`).
public struct JobStatistics {
    public let db: Database
    public let org: String
    public let projectId: String?

    /// `project`: a project by id, name or prefix (404 when the organisation has none such).
    public init(_ db: Database, actor: Actor, project: String? = nil) throws {
        self.db = db; self.org = actor.org
        self.projectId = try project.map { try ProjectService(db, actor: actor).resolve($0).id }
    }

    var scope: (sql: String, args: [SQLValue]) {
        var sql = "j.org_id = ?"
        var args: [SQLValue] = [.text(org)]
        if let p = projectId { sql += " AND j.project_id = ?"; args.append(.text(p)) }
        return (sql, args)
    }

    public struct Counts: Sendable, Equatable {
        public var videos = 0, jobs = 0, active = 0, completed = 0, failed = 0, languages = 0
    }

    /// The running states and those waiting to run (the dashboard's "active").
    static let active: [JobStatus] = [.pending, .queued, .downloading, .transcribing, .translating, .voiceCloning, .dubbing, .lipSync, .syncing,
                                      .assembling, .uploading, .waitingApproval, .paused]

    public func counts() throws -> Counts {
        let s = scope
        var c = Counts()
        let rows = try db.query("SELECT j.status AS status, count(*) AS n FROM jobs j WHERE \(s.sql) GROUP BY j.status", s.args) { (try $0["status"] as String, try $0["n"] as Int64) }
        for (st, n) in rows {
            c.jobs += Int(n)
            guard let js = JobStatus(rawValue: st) else { continue }
            if js == .completed { c.completed += Int(n) }
            if js == .failed { c.failed += Int(n) }
            if JobStatistics.active.contains(js) { c.active += Int(n) }
        }
        c.videos = Int(try db.scalarInt("SELECT count(DISTINCT j.video_id) FROM jobs j WHERE \(s.sql)", s.args) ?? 0)
        c.languages = Int(try db.scalarInt("SELECT count(DISTINCT l.language) FROM job_languages l JOIN jobs j ON j.id = l.job_id WHERE \(s.sql)", s.args) ?? 0)
        return c
    }

    /// Jobs completed since `since`, and target languages first asked for since then.
    public func weekly(since: String) throws -> (completed: Int, languages: Int) {
        let s = scope
        let done = try db.scalarInt("SELECT count(*) FROM jobs j WHERE \(s.sql) AND j.status = 'completed' AND j.completed_at >= ?", s.args + [.text(since)]) ?? 0
        let langs = try db.scalarInt("""
            SELECT count(*) FROM (SELECT l.language, min(j.created_at) AS first FROM job_languages l JOIN jobs j ON j.id = l.job_id
            WHERE \(s.sql) GROUP BY l.language) WHERE first >= ?
            """, s.args + [.text(since)]) ?? 0
        return (Int(done), Int(langs))
    }

    public struct Metrics: Sendable, Equatable {
        public var total: Int, completed: Int, failed: Int
        /// Mean seconds from start to completion of completed jobs; nil when none completed.
        public var averageProcessingSeconds: Double?
        /// completed / (completed + failed); nil when no job finished either way.
        public var successRate: Double?
    }

    public func metrics() throws -> Metrics {
        let c = try counts()
        let s = scope
        let avg = try db.queryOne("""
            SELECT avg((julianday(j.completed_at) - julianday(j.started_at)) * 86400.0) AS a FROM jobs j
            WHERE \(s.sql) AND j.status = 'completed' AND j.started_at IS NOT NULL AND j.completed_at IS NOT NULL
            """, s.args) { r -> Double? in r.isNull(0) ? nil : r.double(0) } ?? nil
        let finished = c.completed + c.failed
        return Metrics(total: c.jobs, completed: c.completed, failed: c.failed, averageProcessingSeconds: avg.map { ($0 * 10).rounded() / 10 },
                       successRate: finished == 0 ? nil : Double(c.completed) / Double(finished))
    }

    public struct Failure: Sendable, Equatable {
        public var jobId: String
        /// `<stage>_failed` (`transcribe_failed`), or `failed` when the stage is unknown.
        public var type: String
        public var message: String
        public var at: String
    }

    /// Failed jobs of the last `days` days (by their last change), newest first.
    public func errors(days: Int, limit: Int = 100, now: Int64 = Clock.nowMillis()) throws -> [Failure] {
        guard (1...3650).contains(days) else { throw OlleeyError.usage("days must be 1-3650", next: [.input("days", example: "7")]) }
        let since = Clock.iso8601(millis: now - Int64(days) * 86_400_000)
        let s = scope
        return try db.query("""
            SELECT j.id AS id, j.error AS error, j.error_stage AS stage, j.updated_at AS at FROM jobs j
            WHERE \(s.sql) AND j.status = 'failed' AND j.updated_at >= ? ORDER BY j.updated_at DESC, j.id DESC LIMIT ?
            """, s.args + [.text(since), .int(Int64(limit))]) { r in
            let stage: String? = try r["stage"]
            let error: String? = try r["error"]
            return Failure(jobId: try r["id"], type: stage.map { "\($0)_failed" } ?? "failed", message: error ?? "", at: try r["at"])
        }
    }

    public struct LanguageRow: Sendable, Equatable {
        public var code: String
        public var name: String?
        public var jobs: Int
        /// Languages done (draft, live or published) over languages finished or not; 0...1.
        public var completionRate: Double
    }

    /// Per target language: how many jobs asked for it and how many of those are done.
    public func languages() throws -> [LanguageRow] {
        let s = scope
        return try db.query("""
            SELECT l.language AS code, count(*) AS n, sum(l.status IN ('draft','live','published')) AS done
            FROM job_languages l JOIN jobs j ON j.id = l.job_id WHERE \(s.sql) GROUP BY l.language ORDER BY n DESC, code
            """, s.args) { r in
            let n: Int64 = try r["n"]
            let doneOrNil: Int64? = try r["done"]
            let done = doneOrNil ?? 0
            let code: String = try r["code"]
            return LanguageRow(code: code, name: Language.find(code)?.name, jobs: Int(n), completionRate: n == 0 ? 0 : Double(done) / Double(n))
        }
    }

    public struct Insight: Sendable, Equatable {
        public var type: String
        public var message: String
        public var impact: String
    }

    /// Observations computed from the metrics, the failures of the last 30 days and the
    /// languages; empty when there are no jobs. Nothing is said that the numbers do not show.
    public func insights() throws -> [Insight] {
        let m = try metrics()
        guard m.total > 0 else { return [] }
        var out: [Insight] = []
        if let r = m.successRate {
            let pct = Int((r * 100).rounded())
            out.append(Insight(type: r < 0.8 ? "warning" : "info", message: "\(pct)% of finished jobs completed (\(m.completed) of \(m.completed + m.failed))",
                               impact: r < 0.5 ? "high" : r < 0.8 ? "medium" : "low"))
        }
        let errs = try errors(days: 30, limit: 1000)
        if let top = Dictionary(grouping: errs, by: \.type).max(by: { $0.value.count == $1.value.count ? $0.key > $1.key : $0.value.count < $1.value.count }) {
            out.append(Insight(type: "warning", message: "\(top.value.count) job(s) failed with \(top.key) in the last 30 days",
                               impact: top.value.count >= 5 ? "high" : "medium"))
        }
        let langs = try languages()
        if let best = langs.max(by: { $0.jobs == $1.jobs ? $0.code > $1.code : $0.jobs < $1.jobs }) {
            out.append(Insight(type: "info", message: "\(best.name ?? best.code) is the most requested language (\(best.jobs) job(s), \(Int((best.completionRate * 100).rounded()))% done)",
                               impact: "low"))
        }
        return out
    }

    public struct Activity: Sendable, Equatable {
        public var id: Int64
        public var type: String
        public var message: String
        public var at: String
        public var jobId: String?
        public var projectId: String?
        public var language: String?
        public var data: JSON
    }

    /// The organisation's events, newest first (what its jobs did).
    public func activity(limit: Int) throws -> [Activity] {
        guard (1...500).contains(limit) else { throw OlleeyError.usage("limit must be 1-500", next: [.input("limit", example: "20")]) }
        let s = scope
        return try db.query("""
            SELECT e.id AS id, e.at AS at, e.kind AS kind, e.job_id AS job_id, e.language AS language, e.data AS data,
                   j.project_id AS project_id, j.source_name AS name
            FROM events e JOIN jobs j ON j.id = e.job_id WHERE \(s.sql) ORDER BY e.id DESC LIMIT ?
            """, s.args + [.int(Int64(limit))]) { r in
            let kind: String = try r["kind"]
            let data = try r.json("data") ?? .object([])
            let lang: String? = try r["language"]
            let name: String = try r["name"]
            let (type, message) = JobStatistics.describe(kind, data: data, language: lang, name: name)
            return Activity(id: try r["id"], type: type, message: message, at: try r["at"], jobId: try r["job_id"], projectId: try r["project_id"],
                            language: lang, data: data)
        }
    }

    /// An event's type (the live events' words: `job_created`, `job_completed`, `job_failed`,
    /// `job_update`; other kinds with `_` for `.`) and a sentence for people.
    static func describe(_ kind: String, data: JSON, language: String?, name: String) -> (String, String) {
        let lang = language.map { Language.find($0)?.name ?? $0 }
        switch kind {
        case "job.created": return ("job_created", "Job created for \(name)")
        case "job.status":
            let st = data["status"]?.stringValue ?? "updated"
            if st == "completed" { return ("job_completed", "\(name) completed") }
            if st == "failed" { return ("job_failed", "\(name) failed") }
            return ("job_update", "\(name): \(st.replacingOccurrences(of: "_", with: " "))")
        case "language.published": return ("language_published", "\(name) published in \(lang ?? "a language")")
        case "language.approved": return ("language_approved", "\(name) approved in \(lang ?? "a language")")
        case "language.rejected": return ("language_rejected", "\(name) rejected in \(lang ?? "a language")")
        case "language.failed": return ("language_failed", "\(name) failed in \(lang ?? "a language")")
        default:
            let t = kind.replacingOccurrences(of: ".", with: "_")
            return (t, "\(name): \(kind.replacingOccurrences(of: ".", with: " "))\(lang.map { " (\($0))" } ?? "")")
        }
    }
}
