import Foundation

/// A job's review as `qc status` shows it: each language's review state, approval, glossary
/// findings, history, stale and dropped cues.
public struct QCStatusView: Sendable {
    public var job: Job
    public var languages: [QCLanguageStatus]

    public var json: JSON {
        .object([("job_id", .string(job.id)), ("job_status", .string(job.status.rawValue)),
                 ("require_approval", .bool(job.options.requireApproval)), ("languages", .array(languages.map(\.json)))])
    }
}

/// One language's review after an action (`qc assign|approve|reject`): its qc state, and the
/// language's and the job's status afterwards.
public struct QCEntryView: Sendable {
    public var entry: QCEntry
    public var jobId: String
    public var language: JobLanguage?
    public var jobStatus: JobStatus

    public var json: JSON {
        let jl = language
        return .object([("job_id", .string(jobId)), ("language", .string(entry.language)), ("state", .string(entry.state.rawValue)),
                        ("assignee", JSON(entry.assigneeEmail)), ("language_status", JSON(jl?.status.rawValue)),
                        ("approval", (jl?.approval).flatMap { $0.isEmpty ? nil : JSON.string($0) } ?? .null), ("reason", JSON(jl?.approvalReason)),
                        ("job_status", .string(jobStatus.rawValue))])
    }
}

extension QCService {
    /// The review of a job's languages (one language with `language`; 65/66 for a code the
    /// job does not have). The job is read again after the qc state is brought in line.
    public func statusView(_ job: Job, language: String? = nil) throws -> QCStatusView {
        var rows = try status(job)
        if let l = language {
            let code = try self.language(job, l)
            rows = rows.filter { $0.entry.language == code }
        }
        return QCStatusView(job: try JobStore(db).resolve(job.id), languages: rows)
    }

    /// The view of an entry returned by `assign`, `decide`, `approve`, `reject`.
    public func entryView(_ e: QCEntry) throws -> QCEntryView {
        QCEntryView(entry: e, jobId: e.jobId, language: try JobStore(db).language(e.jobId, e.language), jobStatus: try JobStore(db).resolve(e.jobId).status)
    }
}
