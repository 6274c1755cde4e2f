import Foundation

/// SQL for jobs and their languages. Rules live in JobService and the pipeline.
///
/// With an organisation, every lookup (get, prefix, list, stats, short ids) sees that
/// organisation's jobs only: another's job is "not found", like one that does not exist.
/// Without one (`JobStore(db)`), it sees every organisation's: the worker and the runner act as
/// the system, and updates by job id come after a scoped lookup.
public struct JobStore {
    public let db: Database
    /// The organisation whose jobs this store sees; nil: every organisation (the system).
    public let org: String?

    public init(_ db: Database, org: String? = nil) { self.db = db; self.org = org }

    static let jobColumns = "id, source, source_name, source_lang, video_id, status, stage, options, project_id, channel_id, error, error_stage, paused, cancel_requested, created_at, updated_at, started_at, completed_at, org_id"

    /// " AND org_id = ?" and its argument when scoped.
    var orgClause: (sql: String, args: [SQLValue]) { org.map { (" AND org_id = ?", [.text($0)]) } ?? ("", []) }

    /// The error for a job that does not exist or that this organisation may not see: one message.
    public static func notFound(_ ref: String, hint: String? = nil) -> OlleeyError {
        OlleeyError.notFound("job \(ref) not found", hint: hint, next: [.command("job list")])
    }

    static func job(_ r: Row) throws -> Job {
        Job(id: try r["id"], source: try r["source"], sourceName: try r["source_name"], sourceLang: try r["source_lang"], videoId: try r["video_id"],
            status: JobStatus(rawValue: try r["status"]) ?? .failed, stage: try r["stage"],
            options: JobOptions(json: try r.json("options") ?? .object([])),
            projectId: try r["project_id"], channelId: try r["channel_id"], error: try r["error"], errorStage: try r["error_stage"],
            paused: try r["paused"], cancelRequested: try r["cancel_requested"], createdAt: try r["created_at"], updatedAt: try r["updated_at"],
            startedAt: try r["started_at"], completedAt: try r["completed_at"], orgId: try r["org_id"])
    }

    static let languageColumns = "job_id, language, status, stage, error, error_stage, failed_cues, outputs, fit_report, render_key, source_sha, approval, approval_reason, updated_at, audio_key"

    static func language(_ r: Row) throws -> JobLanguage {
        JobLanguage(jobId: try r["job_id"], language: try r["language"], status: LanguageStatus(rawValue: try r["status"]) ?? .failed,
                    stage: try r["stage"], error: try r["error"], errorStage: try r["error_stage"],
                    failedCues: (try r["failed_cues"] as String?).map { $0.split(separator: ",").map(String.init) } ?? [],
                    outputs: try r.json("outputs") ?? .object([]),
                    fitReport: try r.json("fit_report"), renderKey: try r["render_key"], sourceSHA: try r["source_sha"],
                    audioKey: try r["audio_key"], approval: try r["approval"], approvalReason: try r["approval_reason"], updatedAt: try r["updated_at"])
    }

    public func insert(_ job: Job) throws {
        try db.transaction {
            try db.run("INSERT INTO jobs(\(JobStore.jobColumns)) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", [
                .text(job.id), .text(job.source), .text(job.sourceName), .text(job.sourceLang), job.videoId.sqlValue,
                .text(job.status.rawValue), job.stage.sqlValue, .text(job.options.json.encoded()), job.projectId.sqlValue,
                job.channelId.sqlValue, job.error.sqlValue, job.errorStage.sqlValue, .int(job.paused ? 1 : 0),
                .int(job.cancelRequested ? 1 : 0), .text(job.createdAt), .text(job.updatedAt), job.startedAt.sqlValue, job.completedAt.sqlValue, .text(job.orgId),
            ])
            for lang in job.options.targetLanguages {
                try db.run("INSERT INTO job_languages(job_id, language, status, updated_at) VALUES (?, ?, ?, ?)",
                           [.text(job.id), .text(lang), .text(LanguageStatus.queued.rawValue), .text(job.createdAt)])
            }
        }
    }

    public func get(_ id: String) throws -> Job? {
        try db.queryOne("SELECT \(JobStore.jobColumns) FROM jobs WHERE id = ?" + orgClause.sql, [.text(id)] + orgClause.args, JobStore.job)
    }

    /// Finds a job by id or unique prefix (4+ characters).
    public func resolve(_ idOrPrefix: String) throws -> Job {
        if let j = try get(idOrPrefix) { return j }
        guard idOrPrefix.count >= 4 else {
            throw JobStore.notFound(idOrPrefix, hint: "give at least 4 characters of the id")
        }
        let ids = try db.query("SELECT id FROM jobs WHERE id >= ? AND id < ?\(orgClause.sql) ORDER BY id LIMIT 3",
                               [.text(idOrPrefix), .text(idOrPrefix + "\u{FFFF}")] + orgClause.args) { $0.string(0) }
        if ids.count > 1 {
            throw OlleeyError.usage("job id prefix '\(idOrPrefix)' is ambiguous (\(ids.joined(separator: ", "))...)", hint: "give more characters")
        }
        guard let id = ids.first, let j = try get(id) else { throw JobStore.notFound(idOrPrefix) }
        return j
    }

    /// The shortest prefix of `id` that names only that job among the jobs stored now, and at
    /// least `minimum` characters long (as git abbreviates commits): what olleey prints for a
    /// person to copy. UUIDv7 ids of jobs created in the same minute share their first 8
    /// characters, so those get longer prefixes. A prefix never ends at a `-`.
    ///
    /// Unlike git's, a printed prefix also stays unique: ids begin with their creation time in
    /// milliseconds, so a prefix is extended until the time span it covers has passed, and no
    /// job created later can share it (`job create` three times in a row prints three prefixes
    /// that all still resolve after the third).
    public func shortId(_ id: String, minimum: Int = 8) throws -> String {
        // the ids next to `id` in sorted order share the longest prefixes with it
        let before = try db.queryOne("SELECT id FROM jobs WHERE id < ?\(orgClause.sql) ORDER BY id DESC LIMIT 1", [.text(id)] + orgClause.args) { $0.string(0) }
        let after = try db.queryOne("SELECT id FROM jobs WHERE id > ?\(orgClause.sql) ORDER BY id LIMIT 1", [.text(id)] + orgClause.args) { $0.string(0) }
        return JobStore.shortestUniquePrefix(id, neighbours: [before, after].compactMap { $0 }, minimum: minimum, nowMs: Clock.nowMillis())
    }

    /// `shortId` for a line a person reads (a progress line, a hint): the whole id when the
    /// database cannot be read.
    public func printedId(_ id: String) -> String { (try? shortId(id)) ?? id }

    /// `shortId` without the database: the shortest prefix of `id`, at least `minimum` long,
    /// that is not a prefix of any of `neighbours` and (for a UUIDv7, given `nowMs`) whose span
    /// of creation times has ended by `nowMs`.
    public static func shortestUniquePrefix(_ id: String, neighbours: [String], minimum: Int = 8, nowMs: Int64? = nil) -> String {
        let chars = Array(id)
        var n = min(chars.count, max(1, minimum))
        for other in neighbours where other != id {
            let o = Array(other)
            var common = 0
            while common < chars.count && common < o.count && chars[common] == o[common] { common += 1 }
            n = max(n, min(chars.count, common + 1))
        }
        // the 12 hex digits of a UUIDv7's millisecond timestamp: "01a24ce3-5a3b-..."
        let stamp = chars.count >= 13 && chars[8] == "-" ? Int64(String(chars[0..<8] + chars[9..<13]), radix: 16) : nil
        func spanOpen(_ n: Int) -> Bool {
            guard let now = nowMs, let stamp else { return false }
            let digits = min(12, chars[0..<n].filter { $0 != "-" }.count)
            let shift = Int64(4 * (12 - digits))
            return now < ((stamp >> shift) + 1) << shift
        }
        while n < chars.count && (chars[n - 1] == "-" || (n < 13 && spanOpen(n))) { n += 1 }
        return String(chars[0..<n])
    }

    public func languages(_ jobId: String) throws -> [JobLanguage] {
        try db.query("SELECT \(JobStore.languageColumns) FROM job_languages WHERE job_id = ? ORDER BY rowid", [.text(jobId)], JobStore.language)
    }

    public func language(_ jobId: String, _ lang: String) throws -> JobLanguage? {
        try db.queryOne("SELECT \(JobStore.languageColumns) FROM job_languages WHERE job_id = ? AND language = ?", [.text(jobId), .text(lang)], JobStore.language)
    }

    // MARK: listing

    public struct Filter: Sendable {
        public var statuses: [String] = []
        public var project: String?
        public var channel: String?
        public var language: String?
        public var createdAfter: String?
        public var createdBefore: String?
        public var sortBy = "created_at"
        public var sortOrder = "desc"
        public var page = 1
        public var pageSize = 50
        /// A list's jobs need their target languages only: `options` is read as those (by
        /// SQLite's json_each), not parsed whole. The server's list routes ask for this.
        public var targetLanguagesOnly = false
        public init() {}
    }

    /// The job columns with `options` replaced by its target languages (a JSON array):
    /// json_extract costs ~30 us a page where parsing whole options cost ~200 (json_each and
    /// group_concat cost more still).
    static let leanJobColumns = jobColumns.replacingOccurrences(of: "options,", with:
        "json_extract(options, '$.target_languages') AS target_languages,")

    /// A job row of `leanJobColumns`: options hold the target languages only.
    static func leanJob(_ r: Row) throws -> Job {
        Job(id: try r["id"], source: try r["source"], sourceName: try r["source_name"], sourceLang: try r["source_lang"], videoId: try r["video_id"],
            status: JobStatus(rawValue: try r["status"]) ?? .failed, stage: try r["stage"],
            options: JobOptions(targetLanguages: JobStore.stringArray(try r["target_languages"])),
            projectId: try r["project_id"], channelId: try r["channel_id"], error: try r["error"], errorStage: try r["error_stage"],
            paused: try r["paused"], cancelRequested: try r["cancel_requested"], createdAt: try r["created_at"], updatedAt: try r["updated_at"],
            startedAt: try r["started_at"], completedAt: try r["completed_at"], orgId: try r["org_id"])
    }

    /// A JSON array of strings as SQLite's json_extract gives it (`["es","fr"]`): split directly
    /// when no string has an escape, else through the JSON parser.
    public static func stringArray(_ text: String?) -> [String] {
        guard let text else { return [] }
        var t = text
        return t.withUTF8 { b -> [String]? in
            guard b.count >= 2, b.first == UInt8(ascii: "["), b.last == UInt8(ascii: "]"), !b.contains(UInt8(ascii: "\\")) else { return nil }
            var out: [String] = []
            out.reserveCapacity(4)
            var i = 1
            let end = b.count - 1
            while i < end {
                let c = b[i]
                if c == UInt8(ascii: "\"") {
                    var j = i + 1
                    while j < end, b[j] != UInt8(ascii: "\"") { j += 1 }
                    guard j < end else { return nil }
                    out.append(String(decoding: UnsafeBufferPointer(rebasing: b[(i + 1)..<j]), as: UTF8.self))
                    i = j + 1
                } else if c == UInt8(ascii: ",") || c == UInt8(ascii: " ") {
                    i += 1
                } else {
                    return nil
                }
            }
            return out
        } ?? ((try? JSON.parse(text))?.arrayValue?.compactMap(\.stringValue) ?? [])
    }

    public static let sortable = ["created_at", "updated_at", "status", "source_name"]

    public func list(_ f: Filter) throws -> (jobs: [Job], total: Int) {
        try list(f) { $0 }
    }

    /// `list`, each job handed to `make` as it is read (moved, not copied: a copy of a `Job`
    /// retains each of its fields).
    public func list<T>(_ f: Filter, _ make: (consuming Job) -> T) throws -> (jobs: [T], total: Int) {
        let q = try listQuery(f)
        let lean = f.targetLanguagesOnly
        let jobs = try db.query(q.sql, q.args) { r in try make(lean ? JobStore.leanJob(r) : JobStore.job(r)) }
        return (jobs, q.total)
    }

    /// `list`'s jobs lent one at a time to `visit` as each row is read: no array and no copy of
    /// a job, for a page written straight out (the server's list routes). Returns the total.
    public func forEach(_ f: Filter, _ visit: (borrowing Job) throws -> Void) throws -> Int {
        let q = try listQuery(f)
        let lean = f.targetLanguagesOnly
        try db.forEach(q.sql, q.args) { r in
            let job = try lean ? JobStore.leanJob(r) : JobStore.job(r)
            try visit(job)
        }
        return q.total
    }

    /// A page's query and its total (the maintained count when only statuses filter).
    private func listQuery(_ f: Filter) throws -> (sql: String, args: [SQLValue], total: Int) {
        var clauses: [String] = []
        var args: [SQLValue] = []
        if let org { clauses.append("org_id = ?"); args.append(.text(org)) }
        if !f.statuses.isEmpty {
            clauses.append("status IN (" + f.statuses.map { _ in "?" }.joined(separator: ",") + ")")
            args += f.statuses.map { .text($0) }
        }
        if let p = f.project { clauses.append("project_id = ?"); args.append(.text(p)) }
        if let c = f.channel { clauses.append("channel_id = ?"); args.append(.text(c)) }
        if let l = f.language { clauses.append("id IN (SELECT job_id FROM job_languages WHERE language = ?)"); args.append(.text(l)) }
        if let a = f.createdAfter { clauses.append("created_at >= ?"); args.append(.text(a)) }
        if let b = f.createdBefore { clauses.append("created_at < ?"); args.append(.text(b)) }
        let whereSQL = clauses.isEmpty ? "" : " WHERE " + clauses.joined(separator: " AND ")
        let sort = JobStore.sortable.contains(f.sortBy) ? f.sortBy : "created_at"
        let order = f.sortOrder.lowercased() == "asc" ? "ASC" : "DESC"
        let countable = f.project == nil && f.channel == nil && f.language == nil && f.createdAfter == nil && f.createdBefore == nil
        let total = countable ? try maintainedCount(statuses: f.statuses) : Int(try db.scalarInt("SELECT count(*) FROM jobs" + whereSQL, args) ?? 0)
        return ("SELECT \(f.targetLanguagesOnly ? JobStore.leanJobColumns : JobStore.jobColumns) FROM jobs\(whereSQL) ORDER BY \(sort) \(order), id \(order) LIMIT ? OFFSET ?",
                args + [.int(Int64(f.pageSize)), .int(Int64((f.page - 1) * f.pageSize))], total)
    }

    /// How many jobs (of the organisation, or of all) have one of `statuses` (any status when
    /// empty), from `job_counts`, which triggers keep (migration 10): a lookup, not a scan.
    public func maintainedCount(statuses: [String] = []) throws -> Int {
        var clauses: [String] = []
        var args: [SQLValue] = []
        if let org { clauses.append("org_id = ?"); args.append(.text(org)) }
        if !statuses.isEmpty {
            clauses.append("status IN (" + statuses.map { _ in "?" }.joined(separator: ",") + ")")
            args += statuses.map { .text($0) }
        }
        let whereSQL = clauses.isEmpty ? "" : " WHERE " + clauses.joined(separator: " AND ")
        return Int(try db.scalarInt("SELECT coalesce(sum(n), 0) FROM job_counts" + whereSQL, args) ?? 0)
    }

    /// The same number counted from `jobs` (what `maintainedCount` must always equal).
    public func countedTotal(statuses: [String] = []) throws -> Int {
        var sql = "SELECT count(*) FROM jobs WHERE TRUE" + orgClause.sql
        var args = orgClause.args
        if !statuses.isEmpty {
            sql += " AND status IN (" + statuses.map { _ in "?" }.joined(separator: ",") + ")"
            args += statuses.map { .text($0) }
        }
        return Int(try db.scalarInt(sql, args) ?? 0)
    }

    // MARK: updates

    public func setFlags(_ id: String, paused: Bool? = nil, cancelRequested: Bool? = nil) throws {
        if let p = paused { try db.run("UPDATE jobs SET paused = ?, updated_at = ? WHERE id = ?", [.int(p ? 1 : 0), .text(Clock.nowISO()), .text(id)]) }
        if let c = cancelRequested { try db.run("UPDATE jobs SET cancel_requested = ?, updated_at = ? WHERE id = ?", [.int(c ? 1 : 0), .text(Clock.nowISO()), .text(id)]) }
    }

    public func setVideo(_ id: String, videoId: String) throws {
        try db.run("UPDATE jobs SET video_id = ?, updated_at = ? WHERE id = ?", [.text(videoId), .text(Clock.nowISO()), .text(id)])
    }

    public func setLanguage(_ jobId: String, _ lang: String, status: LanguageStatus, stage: String? = nil,
                            error: String? = nil, errorStage: String? = nil, failedCues: [String] = []) throws {
        try db.run("""
            UPDATE job_languages SET status = ?, stage = coalesce(?, stage), error = ?, error_stage = ?, failed_cues = ?, updated_at = ?
            WHERE job_id = ? AND language = ?
            """, [.text(status.rawValue), stage.sqlValue, error.sqlValue, errorStage.sqlValue,
                  failedCues.isEmpty ? .null : .text(failedCues.joined(separator: ",")), .text(Clock.nowISO()), .text(jobId), .text(lang)])
    }

    /// A job that failed as a whole (preparation, or finishing): each language still queued or
    /// processing fails with the job's reason and stage. `job retry` queues them again.
    public func failUnrenderedLanguages(_ jobId: String, error: String, errorStage: String) throws {
        try db.run("UPDATE job_languages SET status = 'failed', error = ?, error_stage = ?, updated_at = ? WHERE job_id = ? AND status IN ('queued','processing','not-started')",
                   [.text(error), .text(errorStage), .text(Clock.nowISO()), .text(jobId)])
    }

    /// Records (or clears, with nil) that a language's mixed audio and subtitles are in place.
    public func setLanguageAudio(_ jobId: String, _ lang: String, outputs: JSON?, audioKey: String?) throws {
        try db.run("UPDATE job_languages SET outputs = coalesce(?, outputs), audio_key = ?, updated_at = ? WHERE job_id = ? AND language = ?",
                   [outputs.map { .text($0.encoded()) } ?? .null, audioKey.sqlValue, .text(Clock.nowISO()), .text(jobId), .text(lang)])
    }

    public func setLanguageResult(_ jobId: String, _ lang: String, outputs: JSON, fitReport: JSON?, renderKey: String) throws {
        try db.run("UPDATE job_languages SET outputs = ?, fit_report = ?, render_key = ?, updated_at = ? WHERE job_id = ? AND language = ?",
                   [.text(outputs.encoded()), fitReport.map { .text($0.encoded()) } ?? .null, .text(renderKey), .text(Clock.nowISO()), .text(jobId), .text(lang)])
    }

    /// Sets some keys of a language's outputs object (the others are kept), in one transaction.
    public func mergeLanguageOutputs(_ jobId: String, _ lang: String, _ pairs: [(String, JSON)]) throws {
        try db.transaction {
            let text = try db.scalarText("SELECT outputs FROM job_languages WHERE job_id = ? AND language = ?", [.text(jobId), .text(lang)])
            var fields = (text.flatMap { try? JSON.parse($0) }?.objectValue) ?? []
            for (k, v) in pairs {
                if let i = fields.firstIndex(where: { $0.0 == k }) { fields[i].1 = v } else { fields.append((k, v)) }
            }
            try db.run("UPDATE job_languages SET outputs = ?, updated_at = ? WHERE job_id = ? AND language = ?",
                       [.text(JSON.object(fields).encoded()), .text(Clock.nowISO()), .text(jobId), .text(lang)])
        }
    }

    public func delete(_ id: String) throws {
        try db.run("DELETE FROM jobs WHERE id = ?", [.text(id)])
    }

    /// Forgets the ingested video (a retry from ingest).
    public func clearVideo(_ id: String) throws {
        try db.run("UPDATE jobs SET video_id = NULL WHERE id = ?", [.text(id)])
    }

    /// The source track a language was translated from (nil: translate it again).
    public func setSourceSHA(_ jobId: String, _ lang: String, _ sha: String?) throws {
        try db.run("UPDATE job_languages SET source_sha = ? WHERE job_id = ? AND language = ?", [sha.sqlValue, .text(jobId), .text(lang)])
    }

    /// Records a language's approval ("approved" or "rejected") and its reason.
    public func setApproval(_ jobId: String, _ lang: String, _ approval: String, reason: String?) throws {
        try db.run("UPDATE job_languages SET approval = ?, approval_reason = ?, updated_at = ? WHERE job_id = ? AND language = ?",
                   [.text(approval), reason.sqlValue, .text(Clock.nowISO()), .text(jobId), .text(lang)])
    }

    /// Whether a worker holds an unexpired lease on one of the job's languages.
    public func hasLiveLanguageLease(_ jobId: String) throws -> Bool {
        (try db.scalarInt("SELECT count(*) FROM job_languages WHERE job_id = ? AND lease_owner IS NOT NULL AND lease_expires_ms > ?",
                          [.text(jobId), .int(Clock.nowMillis())]) ?? 0) > 0
    }

    // MARK: leases

    /// Claims the job-level lease; true when this worker holds it. Only a job still in progress
    /// can be claimed. An expired lease, or one held by a process of this host that no longer
    /// exists, is taken over.
    public func claimJob(_ id: String, worker: String, leaseMs: Int64) throws -> Bool {
        try claim(table: "jobs", key: "id = ?", args: [.text(id)],
                  claimable: "status NOT IN ('completed','failed','cancelled','paused','waiting_approval')", worker: worker, leaseMs: leaseMs)
    }

    /// Readies this connection for claims: both claim statements run once on a key no unit has
    /// (they change nothing), so they are parsed and planned, and the tables' catalog read, here
    /// and not inside a worker's first claim, when every worker starting with it competes.
    public func prepareClaims(worker: String) throws {
        _ = try claimJob("", worker: worker, leaseMs: 0)
        _ = try claimLanguage("", "", worker: worker, leaseMs: 0)
    }

    public func releaseJob(_ id: String, worker: String) throws {
        try db.run("UPDATE jobs SET lease_owner = NULL, lease_expires_ms = NULL WHERE id = ? AND lease_owner = ?", [.text(id), .text(worker)])
    }

    /// Claims one language's lease; only a language still to render (queued or processing) can be claimed.
    public func claimLanguage(_ jobId: String, _ lang: String, worker: String, leaseMs: Int64) throws -> Bool {
        try claim(table: "job_languages", key: "job_id = ? AND language = ?", args: [.text(jobId), .text(lang)],
                  claimable: "status IN ('queued','processing')", worker: worker, leaseMs: leaseMs)
    }

    public func releaseLanguage(_ jobId: String, _ lang: String, worker: String) throws {
        try db.run("UPDATE job_languages SET lease_owner = NULL, lease_expires_ms = NULL WHERE job_id = ? AND language = ? AND lease_owner = ?",
                   [.text(jobId), .text(lang), .text(worker)])
    }

    /// True while `worker` still holds the job's lease (checked before a stage runs and before a result is written).
    public func holdsJob(_ id: String, worker: String) throws -> Bool {
        try db.scalarText("SELECT lease_owner FROM jobs WHERE id = ?", [.text(id)]) == worker
    }

    /// True while `worker` still holds the language's lease.
    public func holdsLanguage(_ jobId: String, _ lang: String, worker: String) throws -> Bool {
        try db.scalarText("SELECT lease_owner FROM job_languages WHERE job_id = ? AND language = ?", [.text(jobId), .text(lang)]) == worker
    }

    /// Extends every lease this worker holds.
    public func renewLeases(worker: String, leaseMs: Int64) throws {
        let exp = Clock.nowMillis() + leaseMs
        try db.run("UPDATE jobs SET lease_expires_ms = ? WHERE lease_owner = ?", [.int(exp), .text(worker)])
        try db.run("UPDATE job_languages SET lease_expires_ms = ? WHERE lease_owner = ?", [.int(exp), .text(worker)])
    }

    /// One compare-and-set (`UPDATE ... WHERE ... RETURNING`): the lease is written only while the
    /// unit is still `claimable` and its lease is free, expired or this worker's. What the caller
    /// read before (the unit's status, the lease) may be stale by now; this statement is not. A
    /// lease of a dead process of this host (which SQL cannot tell) is taken by a second
    /// compare-and-set on that very owner, so two workers cannot both take it over. On
    /// PostgreSQL the row is chosen `FOR UPDATE SKIP LOCKED`: a row another machine is claiming
    /// right now is passed over at once instead of waited for.
    private func claim(table: String, key: String, args: [SQLValue], claimable: String, worker: String, leaseMs: Int64) throws -> Bool {
        let now = Clock.nowMillis()
        let set = "UPDATE \(table) SET lease_owner = ?, lease_expires_ms = ? WHERE \(key) AND \(claimable) AND "
        let lease: [SQLValue] = [.text(worker), .int(now + leaseMs)]
        let freeLease = "(lease_owner IS NULL OR lease_owner = ? OR lease_expires_ms IS NULL OR lease_expires_ms <= ?)"
        let sql = db.isPostgres
            ? "UPDATE \(table) SET lease_owner = ?, lease_expires_ms = ? WHERE ctid IN (SELECT ctid FROM \(table) WHERE \(key) AND \(claimable) AND \(freeLease) FOR UPDATE SKIP LOCKED) RETURNING 1"
            : set + freeLease + " RETURNING 1"
        let free = try db.query(sql, lease + args + [.text(worker), .int(now)]) { $0.int(0) }
        if !free.isEmpty { return true }
        guard let owner = try db.scalarText("SELECT lease_owner FROM \(table) WHERE \(key)", args), !WorkerID.isAlive(owner) else { return false }
        return try !db.query(set + "lease_owner = ? RETURNING 1", lease + args + [.text(owner)]) { $0.int(0) }.isEmpty
    }
}

/// Worker identities: `host:pid:n`. A lease of a dead process on this host is free at once.
public enum WorkerID {
    public static let host: String = {
        var buf = [CChar](repeating: 0, count: 256)
        gethostname(&buf, 255)
        return buf.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }()

    public static func make(_ n: Int) -> String { "\(host):\(getpid()):\(n)" }

    public static func isAlive(_ owner: String) -> Bool {
        let parts = owner.split(separator: ":")
        guard parts.count >= 3, String(parts[0]) == host, let pid = Int32(parts[1]) else { return true }
        if pid == getpid() { return true }
        return kill(pid, 0) == 0 || errno == EPERM
    }
}

extension JobStore {
    /// Output paths (`job_languages.outputs`) starting with `prefix` lose it (`storage
    /// migrate`: paths relative to the workspace root become relative to the storage). Returns
    /// how many changed.
    public func rewriteOutputPaths(dropping prefix: String) throws -> Int {
        var n = 0
        let rows = try db.query("SELECT job_id, language, outputs FROM job_languages") { ($0.string(0), $0.string(1), $0.string(2)) }
        for (job, lang, text) in rows {
            guard let outputs = try? JSON.parse(text), let fields = outputs.objectValue else { continue }
            var changed = false
            let new: [(String, JSON)] = fields.map { k, v in
                guard let s = v.stringValue, s.hasPrefix(prefix) else { return (k, v) }
                changed = true
                n += 1
                return (k, .string(String(s.dropFirst(prefix.count))))
            }
            if changed {
                try db.run("UPDATE job_languages SET outputs = ? WHERE job_id = ? AND language = ?", [.text(JSON.object(new).encoded()), .text(job), .text(lang)])
            }
        }
        return n
    }
}
