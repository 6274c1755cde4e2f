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

    var store: JobStatisticsStore { JobStatisticsStore(db: db, org: org, projectId: projectId) }

    public struct Counts: Sendable, Equatable {
        public var videos = 0, jobs = 0, active = 0, completed = 0, failed = 0, languages = 0
    }

    /// The running states and those waiting to run (the dashboard's "active").
    static let active: [JobStatus] = [.pending, .queued, .downloading, .transcribing, .translating, .voiceCloning, .dubbing, .lipSync, .syncing,
                                      .assembling, .uploading, .waitingApproval, .paused]

    public func counts() throws -> Counts {
        var c = Counts()
        for (st, n) in try store.statusCounts() {
            c.jobs += Int(n)
            guard let js = JobStatus(rawValue: st) else { continue }
            if js == .completed { c.completed += Int(n) }
            if js == .failed { c.failed += Int(n) }
            if JobStatistics.active.contains(js) { c.active += Int(n) }
        }
        c.videos = try store.distinctVideos()
        c.languages = try store.distinctLanguages()
        return c
    }

    /// Jobs completed since `since`, and target languages first asked for since then.
    public func weekly(since: String) throws -> (completed: Int, languages: Int) {
        (try store.completed(since: since), try store.languagesFirstAsked(since: since))
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
        let avg = try store.averageProcessingSeconds()
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
        return try store.failures(since: since, limit: limit).map { r in
            Failure(jobId: r.id, type: r.stage.map { "\($0)_failed" } ?? "failed", message: r.error ?? "", at: r.at)
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
        try store.languages().map { r in
            LanguageRow(code: r.code, name: Language.find(r.code)?.name, jobs: Int(r.n), completionRate: r.n == 0 ? 0 : Double(r.done) / Double(r.n))
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
        return try store.events(limit: limit).map { r in
            let (type, message) = JobStatistics.describe(r.event.kind, data: r.event.data, language: r.event.language, name: r.name)
            return Activity(id: r.event.id, type: type, message: message, at: r.event.at, jobId: r.event.jobId, projectId: r.projectId,
                            language: r.event.language, data: r.event.data)
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
