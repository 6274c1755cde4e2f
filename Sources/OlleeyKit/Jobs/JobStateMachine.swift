import Foundation

/// What moves a job from one status to another.
public enum JobEvent: String, Sendable, CaseIterable {
    /// A job is created (in one of `JobStateMachine.initial`).
    case create
    /// A worker starts (or moves on to) a stage: the job shows the stage's status.
    case start
    /// Every language rendered; some still need a person's approval.
    case awaitApproval = "await_approval"
    /// The last language needing approval was approved: the job is queued to finish.
    case approve
    /// The job finished (published or drafted every language).
    case complete
    /// A job-level stage failed, or finishing found failed languages.
    case fail
    /// A person paused it, or a worker settled a paused job it was running.
    case pause
    case resume
    case cancel
    /// Failed or cancelled languages (or a given stage onward) queued again.
    case retry
    /// A worker was stopped by a signal: the job goes back to the queue.
    case interrupt
    /// A track changed (an edit, a restore, a new source): the job is queued to render again.
    case revise
}

/// The job state machine: every change of a job's status goes through `transition` here, which
/// checks it against `rules`, writes the status (with stage, error and timestamps) and records
/// the event, in one transaction. This file holds the only SQL that writes `jobs.status`.
/// (Per-language statuses stay with `JobStore.setLanguage`.)
public struct JobStateMachine {
    /// The statuses a worker shows while a stage runs (`Stage.jobStatus`, but for the approval wait).
    public static let running: [JobStatus] = [.downloading, .transcribing, .translating, .voiceCloning, .dubbing, .lipSync, .syncing, .assembling, .uploading]
    /// Not settled: a worker may still move it.
    public static let open: [JobStatus] = [.pending, .queued] + running
    /// The statuses a job may be created in.
    public static let initial: [JobStatus] = [.pending, .queued]

    /// The allowed transitions, as data: each event, the statuses it applies to, and the
    /// statuses it may lead to. `table` is the same, read from each status.
    public static let rules: [(event: JobEvent, from: [JobStatus], to: [JobStatus])] = [
        (.start, open + [.waitingApproval], running),
        (.awaitApproval, open, [.waitingApproval]),
        (.approve, [.waitingApproval], [.queued]),
        (.complete, open, [.completed]),
        (.fail, open, [.failed]),
        (.pause, JobStatus.allCases.filter { $0 != .completed && $0 != .cancelled }, [.paused]),
        (.resume, [.paused], [.queued]),
        (.cancel, JobStatus.allCases.filter { $0 != .completed && $0 != .cancelled }, [.cancelled]),
        (.retry, JobStatus.allCases, [.queued]),
        (.interrupt, [.pending] + running, [.queued]),
        (.revise, JobStatus.allCases.filter { $0 != .paused && $0 != .cancelled }, [.queued]),
    ]

    /// From each status: the statuses it may go to, and the event that takes it there.
    public static let table: [JobStatus: [(to: JobStatus, event: JobEvent)]] = {
        var t: [JobStatus: [(to: JobStatus, event: JobEvent)]] = [:]
        for s in JobStatus.allCases { t[s] = [] }
        for r in rules { for f in r.from { for to in r.to { t[f, default: []].append((to, r.event)) } } }
        return t
    }()

    public static func allows(_ event: JobEvent, from: JobStatus, to: JobStatus) -> Bool {
        rules.contains { $0.event == event && $0.from.contains(from) && $0.to.contains(to) }
    }

    /// The events possible from `status`, in the rules' order, once each.
    public static func events(from status: JobStatus) -> [JobEvent] {
        var seen: [JobEvent] = []
        for (_, e) in table[status] ?? [] where !seen.contains(e) { seen.append(e) }
        return seen
    }

    public let db: Database
    public init(_ db: Database) { self.db = db }

    /// Inserts a new job (and its languages) after checking its initial status.
    public func create(_ job: Job) throws {
        guard JobStateMachine.initial.contains(job.status) else {
            throw OlleeyError.conflict("a job cannot be created \(job.status.rawValue); it starts as one of: "
                                       + JobStateMachine.initial.map(\.rawValue).joined(separator: ", "))
        }
        try JobStore(db).insert(job)
    }

    /// Moves job `id` to `status` by `event`: refused with a conflict (409, exit 1) naming the
    /// current status and what it allows, and then nothing is written. Otherwise the status,
    /// stage (kept when nil), error, timestamps and the event (`record`, by default a
    /// `job.status` event) are written in one transaction.
    public func transition(_ id: String, to status: JobStatus, by event: JobEvent, stage: String? = nil,
                           error: String? = nil, errorStage: String? = nil, record: (kind: String, data: JSON)? = nil) throws {
        try db.transaction {
            let current = try currentStatus(id)
            guard JobStateMachine.allows(event, from: current, to: status) else {
                let possible = JobStateMachine.events(from: current).map(\.rawValue).joined(separator: ", ")
                throw OlleeyError.conflict("job \(id) is \(current.rawValue): it cannot \(event.rawValue.replacingOccurrences(of: "_", with: " ")) (to \(status.rawValue)); "
                                           + (possible.isEmpty ? "nothing changes it now" : "possible now: \(possible)"))
            }
            try write(id, status, stage: stage, error: error, errorStage: errorStage)
            let r = record ?? ("job.status", .object([("status", .string(status.rawValue))] + (stage.map { [("stage", JSON.string($0))] } ?? [])))
            try EventStore(db).append(r.kind, job: id, r.data)
        }
    }

    /// `transition` for a worker settling after the fact (the job may have moved on meanwhile,
    /// e.g. a person paused or cancelled it): false, and nothing written, when not allowed now.
    @discardableResult
    public func transitionIfAllowed(_ id: String, to status: JobStatus, by event: JobEvent, stage: String? = nil,
                                    error: String? = nil, errorStage: String? = nil, record: (kind: String, data: JSON)? = nil) throws -> Bool {
        try db.transaction {
            guard JobStateMachine.allows(event, from: try currentStatus(id), to: status) else { return false }
            try transition(id, to: status, by: event, stage: stage, error: error, errorStage: errorStage, record: record)
            return true
        }
    }

    func currentStatus(_ id: String) throws -> JobStatus {
        guard let raw = try db.scalarText("SELECT status FROM jobs WHERE id = ?", [.text(id)]) else {
            throw OlleeyError.notFound("job \(id) not found")
        }
        return JobStatus(rawValue: raw) ?? .failed
    }

    /// The one statement that writes a job's status.
    private func write(_ id: String, _ status: JobStatus, stage: String?, error: String?, errorStage: String?) throws {
        let now = Clock.nowISO()
        try db.run("""
            UPDATE jobs SET status = ?, stage = coalesce(?, stage), error = ?, error_stage = ?, updated_at = ?,
              started_at = CASE WHEN started_at IS NULL AND ? NOT IN ('pending','queued') THEN ? ELSE started_at END,
              completed_at = CASE WHEN ? IN ('completed','failed','cancelled') THEN ? ELSE NULL END
            WHERE id = ?
            """, [.text(status.rawValue), stage.sqlValue, error.sqlValue, errorStage.sqlValue, .text(now),
                  .text(status.rawValue), .text(now), .text(status.rawValue), .text(now), .text(id)])
    }
}
