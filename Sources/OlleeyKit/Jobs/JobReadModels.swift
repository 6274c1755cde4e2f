import Foundation

// Typed read models of jobs: what `job list|status|show|outputs|stats` print and what the
// server's routes will return. Each has one `json` encoding (the CLI's field names, the
// contract that scripts and tests read); a front end with other field names maps from here.
// `JobQueries` builds them; no front end queries the database for them.

/// A job in a list: its status and each language's status.
public struct JobSummary: Sendable {
    public var job: Job
    public var languages: [JobLanguage]

    public init(job: Job, languages: [JobLanguage]) { self.job = job; self.languages = languages }

    public var json: JSON {
        let j = job
        return .object([
            ("id", .string(j.id)), ("status", .string(j.status.rawValue)), ("stage", JSON(j.stage)),
            ("source_name", .string(j.sourceName)), ("source_lang", .string(j.sourceLang)),
            ("target_languages", .array(j.options.targetLanguages.map { .string($0) })),
            ("languages", .object(languages.map { ($0.language, .string($0.status.rawValue)) })),
            ("project_id", JSON(j.projectId)), ("channel_id", JSON(j.channelId)),
            ("error", JSON(j.error)), ("created_at", .string(j.createdAt)), ("updated_at", .string(j.updatedAt)),
        ])
    }
}

extension Job {
    /// Percent done (0-100), from the status and the stage: 100 when completed; else the share
    /// of the pipeline's stages (`Stage.allCases`, in order) before the current or last stage
    /// (so a failed or paused job keeps the progress it had); 0 before the first stage runs.
    /// The stage order is the job's whole plan's upper bound: a job that skips stages (no
    /// dubbing, say) jumps ahead when it reaches the next one it runs.
    public var progress: Int {
        if status == .completed { return 100 }
        guard let s = stage.flatMap(Stage.init(rawValue:)) else { return 0 }
        return s.order * 100 / Stage.inOrder.count
    }
}

/// A job in full: options, per-language state with outputs as absolute paths, stale and
/// dropped cues (`TrackService.attention`), and optionally the per-cue fit report.
public struct JobDetail: Sendable {
    public var job: Job
    public var languages: [JobLanguage]
    /// Per language: cues whose source changed since a person wrote them, cues left out.
    public var attention: [String: TrackService.Attention]
    /// The workspace root: stored output paths are relative to it.
    public var root: String
    public var includeFit: Bool

    public init(job: Job, languages: [JobLanguage], attention: [String: TrackService.Attention], root: String, includeFit: Bool) {
        self.job = job; self.languages = languages; self.attention = attention; self.root = root; self.includeFit = includeFit
    }

    public var staleCues: Int { attention.values.reduce(0) { $0 + $1.stale.count } }

    public var json: JSON {
        let j = job
        let langs: [JSON] = languages.map { l in
            var pairs: [(String, JSON)] = [
                ("language", .string(l.language)), ("status", .string(l.status.rawValue)), ("stage", JSON(l.stage)),
                ("error", JSON(l.error)), ("error_stage", JSON(l.errorStage)),
                ("failed_cues", .array(l.failedCues.map { .string($0) })),
                ("approval", l.approval.isEmpty ? .null : .string(l.approval)), ("approval_reason", JSON(l.approvalReason)),
                ("outputs", JobOutputs.absolute(root: root, l.outputs)), ("updated_at", .string(l.updatedAt)),
                ("stale_cues", .int(Int64(attention[l.language]?.stale.count ?? 0))),
                ("dropped_cues", .int(Int64(attention[l.language]?.dropped.count ?? 0))),
            ]
            if includeFit { pairs.append(("fit", l.fitReport ?? .null)) }
            return .object(pairs)
        }
        return .object([
            ("id", .string(j.id)), ("status", .string(j.status.rawValue)), ("stage", JSON(j.stage)),
            ("source", .string(j.source)), ("source_name", .string(j.sourceName)), ("source_lang", .string(j.sourceLang)),
            ("target_languages", .array(j.options.targetLanguages.map { .string($0) })),
            ("project_id", JSON(j.projectId)), ("channel_id", JSON(j.channelId)),
            ("error", JSON(j.error)), ("error_stage", JSON(j.errorStage)),
            ("paused", .bool(j.paused)), ("options", j.options.json),
            ("created_at", .string(j.createdAt)), ("updated_at", .string(j.updatedAt)),
            ("started_at", JSON(j.startedAt)), ("completed_at", JSON(j.completedAt)),
            ("languages", .array(langs)),
            ("stale_cues", .int(Int64(staleCues))),
        ])
    }
}

/// What `job list` asks for, as given (strings): `JobQueries.page` validates it.
public struct JobListQuery: Sendable {
    public var statuses: [String] = []
    /// A project or channel by id or name.
    public var project: String?
    public var channel: String?
    public var language: String?
    /// ISO 8601 times.
    public var createdAfter: String?
    public var createdBefore: String?
    public var sortBy = "created_at"
    public var sortOrder = "desc"
    public var page = 1
    public var pageSize = 50
    /// Whole summaries (each language's status, one more query; the job's whole options), or
    /// lean ones (no languages; options hold the target languages only): the server's list
    /// routes show no more than that.
    public var lean = false

    public init() {}

    public static let sortable = JobStore.sortable
    public static let maxPageSize = 500
}

/// One page of jobs: the summaries, and how many jobs match in all.
public struct JobPage: Sendable {
    public var items: [JobSummary]
    public var total: Int
    public var page: Int
    public var pageSize: Int

    /// The CLI's `job list --json`: the array of summaries.
    public var json: JSON { .array(items.map(\.json)) }
}

/// The paths of a job's outputs (absolute): the master MP4 and the source VTT when they exist,
/// and each language's files by kind (mp4, vtt, srt, audio...).
public struct JobOutputs: Sendable {
    public var jobId: String
    public var status: JobStatus
    public var master: String?
    public var sourceLang: String
    public var sourceVTT: String?
    /// Per language, in the job's order: its outputs object with absolute paths.
    public var languages: [(language: String, outputs: JSON)]
    /// Media in an object store: each output there, by its local path (in the scratch
    /// directory): its object (`s3://BUCKET/KEY`) and a presigned download URL, valid until
    /// `urlsExpire` (seconds since the epoch). Shown instead of the local paths.
    public var objects: [String: (uri: String, url: String)] = [:]
    public var urlsExpire: Int64?

    /// Stored output paths are relative to the workspace root; strings become absolute paths.
    public static func absolute(root: String, _ outputs: JSON) -> JSON {
        .object((outputs.objectValue ?? []).map { k, v in (k, v.stringValue.map { .string(root + "/" + $0) } ?? v) })
    }

    /// (language, kind, path) rows: the master first ("all"), the source VTT last.
    public var rows: [(language: String, kind: String, path: String)] {
        var rows: [(String, String, String)] = []
        if let m = master { rows.append(("all", "master", m)) }
        for (l, o) in languages {
            for (k, v) in o.objectValue ?? [] { if let p = v.stringValue { rows.append((l, k, p)) } }
        }
        if let s = sourceVTT { rows.append((sourceLang, "source_vtt", s)) }
        return rows
    }

    /// A path as shown: its object's URI when the media are in an object store.
    public func shown(_ path: String) -> String { objects[path]?.uri ?? path }

    public var json: JSON {
        var fields: [(String, JSON)] = [("job_id", .string(jobId)), ("status", .string(status.rawValue)),
                                        ("master", JSON(master.map(shown))), ("source_vtt", JSON(sourceVTT.map(shown))),
                                        ("languages", .object(languages.map { l in
                                            (l.language, .object((l.outputs.objectValue ?? []).map { k, v in (k, v.stringValue.map { .string(shown($0)) } ?? v) }))
                                        }))]
        if !objects.isEmpty {
            fields.append(("downloads", .array(rows.compactMap { r in
                objects[r.path].map { .object([("language", .string(r.language)), ("kind", .string(r.kind)), ("object", .string($0.uri)), ("url", .string($0.url))]) }
            })))
            fields.append(("urls_expire_at", urlsExpire.map { .string(Clock.iso8601(millis: $0 * 1000)) } ?? .null))
        }
        return .object(fields)
    }
}

/// Counts by status and language, failure reasons, average stage durations (not cached).
public struct JobStats: Sendable {
    public struct Count: Sendable, Equatable {
        public var key: String; public var count: Int64
        public init(key: String, count: Int64) { self.key = key; self.count = count }
    }
    public struct LanguageCount: Sendable, Equatable {
        public var language: String; public var status: String; public var count: Int64
        public init(language: String, status: String, count: Int64) { self.language = language; self.status = status; self.count = count }
    }
    public struct FailureReason: Sendable, Equatable {
        public var stage: String; public var error: String; public var count: Int64
        public init(stage: String, error: String, count: Int64) { self.stage = stage; self.error = error; self.count = count }
    }
    public struct StageDuration: Sendable, Equatable {
        public var stage: String; public var runs: Int64; public var avgMs: Int64
        public init(stage: String, runs: Int64, avgMs: Int64) { self.stage = stage; self.runs = runs; self.avgMs = avgMs }
    }

    /// Most frequent first.
    public var byStatus: [Count]
    /// By language, then status.
    public var byLanguage: [LanguageCount]
    /// The 20 most frequent (stage, error) of failed languages, and of jobs failed before
    /// their languages started (ingest, transcribe).
    public var failureReasons: [FailureReason]
    /// In pipeline order.
    public var stageDurations: [StageDuration]

    public var total: Int64 { byStatus.reduce(0) { $0 + $1.count } }

    public var json: JSON {
        var langs: [(String, JSON)] = []
        for c in byLanguage {
            if let i = langs.firstIndex(where: { $0.0 == c.language }), case var .object(o) = langs[i].1 {
                o.append((c.status, .int(c.count))); langs[i].1 = .object(o)
            } else {
                langs.append((c.language, .object([(c.status, .int(c.count))])))
            }
        }
        return .object([
            ("total", .int(total)),
            ("by_status", .object(byStatus.map { ($0.key, .int($0.count)) })),
            ("by_language", .object(langs)),
            ("failure_reasons", .array(failureReasons.map { .object([("stage", .string($0.stage)), ("error", .string($0.error)), ("count", .int($0.count))]) })),
            ("stage_durations", .array(stageDurations.map { .object([("stage", .string($0.stage)), ("runs", .int($0.runs)), ("avg_ms", .int($0.avgMs))]) })),
        ])
    }
}

/// The read side of jobs: builds the read models above (the CLI and the server call these), for
/// an actor: only the jobs of the actor's organisation exist for it.
public struct JobQueries {
    public let db: Database
    public let workspace: Workspace
    public let actor: Actor

    public init(db: Database, workspace: Workspace, actor: Actor) { self.db = db; self.workspace = workspace; self.actor = actor }

    var store: JobStore { JobStore(db, org: actor.org) }

    /// A job of the actor's organisation by id or unique prefix (66 otherwise).
    public func job(_ ref: String) throws -> Job { try store.resolve(ref) }

    /// The shortest unique prefix of a job's id among the organisation's jobs.
    public func printedId(_ id: String) -> String { store.printedId(id) }

    /// A cursor on a job's events (66 for a job of another organisation).
    public func events(_ job: Job, after: Int64 = 0, pollMs: Int = 200) throws -> EventCursor {
        try actor.check(job)
        return EventCursor(db: db, scope: .job(job.id), after: after, pollMs: pollMs)
    }

    /// A cursor on the events of every job of the actor's organisation (a dashboard's stream).
    public func events(after: Int64 = 0, pollMs: Int = 200) -> EventCursor {
        EventCursor(db: db, scope: .organization(actor.org), after: after, pollMs: pollMs)
    }

    public func summary(_ job: Job) throws -> JobSummary {
        try actor.check(job)
        return JobSummary(job: job, languages: try store.languages(job.id))
    }

    public func detail(_ job: Job, fit: Bool = false) throws -> JobDetail {
        try actor.check(job)
        return JobDetail(job: job, languages: try store.languages(job.id), attention: try TrackService(db).attention(job: job),
                  root: workspace.filesRoot, includeFit: fit)
    }

    /// A page of jobs. Filters are validated as `job create` validates them: an unknown status
    /// or a bad time or page is a usage error (64), an unknown language 65, an unknown project
    /// or channel 66 (by id or name), never an empty list. Languages are read in one query.
    public func page(_ q: JobListQuery) throws -> JobPage {
        let f = try filter(q)
        if q.lean {
            // the server's lists: each job moved into its summary as it is read
            let (items, total) = try store.list(f) { JobSummary(job: $0, languages: []) }
            return JobPage(items: items, total: total, page: q.page, pageSize: q.pageSize)
        }
        let (jobs, total) = try store.list(f)
        let langs = try store.languages(jobIds: jobs.map(\.id))
        return JobPage(items: jobs.map { JobSummary(job: $0, languages: langs[$0.id] ?? []) }, total: total, page: q.page, pageSize: q.pageSize)
    }

    /// `page` (validated as it is) for a front end that writes each job as it is read: the
    /// page's jobs are lent to `visit` one at a time, in order, lean (target languages only,
    /// whatever `q.lean` says); returns how many jobs match in all. No summary array is built.
    public func eachOfPage(_ q: JobListQuery, _ visit: (borrowing Job) throws -> Void) throws -> Int {
        var f = try filter(q)
        f.targetLanguagesOnly = true
        return try store.forEach(f, visit)
    }

    /// A list query as the store's filter, validated.
    private func filter(_ q: JobListQuery) throws -> JobStore.Filter {
        var f = JobStore.Filter()
        f.statuses = q.statuses
        for s in f.statuses where JobStatus(rawValue: s) == nil {
            throw OlleeyError.usage("unknown status '\(s)'", hint: "statuses: \(JobStatus.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        f.project = try q.project.map { try ProjectService(db, actor: actor).resolve($0).id }
        f.channel = try q.channel.map { try ChannelService(db, actor: actor).resolve($0).id }
        f.language = try q.language.map { try Language.validate($0).code }
        for (opt, val) in [("created-after", q.createdAfter), ("created-before", q.createdBefore)] {
            if let v = val, Clock.parseISO8601(v) == nil { throw OlleeyError.usage("\(opt) '\(v)' is not an ISO 8601 time", hint: "e.g. 2026-12-01T00:00:00Z", next: [.input(opt)]) }
        }
        f.createdAfter = q.createdAfter.flatMap(Clock.parseISO8601).map(Clock.iso8601)
        f.createdBefore = q.createdBefore.flatMap(Clock.parseISO8601).map(Clock.iso8601)
        guard JobStore.sortable.contains(q.sortBy) else {
            throw OlleeyError.usage("cannot sort by '\(q.sortBy)'", hint: "sort fields: \(JobStore.sortable.joined(separator: ", "))")
        }
        guard ["asc", "desc"].contains(q.sortOrder.lowercased()) else { throw OlleeyError.usage("sort order '\(q.sortOrder)' is neither asc nor desc") }
        f.sortBy = q.sortBy
        f.sortOrder = q.sortOrder.lowercased()
        guard q.page >= 1 else { throw OlleeyError.usage("the page starts at 1", next: [.input("page", example: "1")]) }
        guard (1...JobListQuery.maxPageSize).contains(q.pageSize) else { throw OlleeyError.usage("the page size must be between 1 and \(JobListQuery.maxPageSize)", next: [.input("page-size", example: "50")]) }
        f.page = q.page
        f.pageSize = q.pageSize
        f.targetLanguagesOnly = q.lean
        return f
    }

    public func outputs(_ job: Job) throws -> JobOutputs {
        try outputs(job, exists: try JobFiles(db: db, workspace: workspace, actor: actor).existing(job))
    }

    /// `outputs`, with the existence check of the caller (one listing of an object store).
    func outputs(_ job: Job, exists: (String) -> Bool) throws -> JobOutputs {
        try actor.check(job)
        let master = OutputLayout.master(outputsDir: workspace.outputsDir, job: job)
        let srcVTT = OutputLayout.sourceVTT(outputsDir: workspace.outputsDir, job: job)
        var o = JobOutputs(jobId: job.id, status: job.status, master: exists(master) ? master : nil, sourceLang: job.sourceLang,
                           sourceVTT: exists(srcVTT) ? srcVTT : nil,
                           languages: try store.languages(job.id).map { ($0.language, JobOutputs.absolute(root: workspace.filesRoot, $0.outputs)) })
        if let mirror = try ObjectMirror.of(workspace) {
            let seconds = Int(SignedLink.downloadTTL)
            o.urlsExpire = Int64(Date().timeIntervalSince1970) + SignedLink.downloadTTL
            for r in o.rows where exists(r.path) {
                guard let key = try? mirror.key(r.path) else { continue }
                o.objects[r.path] = (mirror.uri(key), mirror.downloadURL(key, seconds: seconds))
            }
        }
        return o
    }

    public func stats() throws -> JobStats {
        let s = try store.stats()
        return JobStats(byStatus: s.byStatus, byLanguage: s.byLanguage, failureReasons: s.reasons,
                        stageDurations: s.stages.sorted { (Stage(rawValue: $0.stage)?.order ?? 99) < (Stage(rawValue: $1.stage)?.order ?? 99) })
    }
}
