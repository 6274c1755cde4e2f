import Foundation

extension JobService {
    /// The statuses a person may set by hand (`PATCH /jobs/{id}/status`): each is one of the
    /// job controls (pause, resume or retry to `queued`, cancel); the others are set by workers
    /// as a job runs and are refused.
    public static let statusesByHand: [JobStatus] = [.paused, .queued, .cancelled]

    /// Sets a job's status by hand through its control: `paused` pauses, `cancelled` cancels,
    /// `queued` resumes a paused job or retries a failed or cancelled one (nothing to do for a
    /// queued one). Another status is a usage error naming the ones allowed; a move the state
    /// machine does not allow is a conflict.
    public func setStatus(_ job: Job, to raw: String) throws -> Job {
        guard let to = JobStatus(rawValue: raw.lowercased()) else {
            throw OlleeyError.usage("unknown status '\(raw)'", hint: "set by hand: \(Self.statusesByHand.map(\.rawValue).joined(separator: ", "))")
        }
        guard Self.statusesByHand.contains(to) else {
            throw OlleeyError.usage("\(to.rawValue) is set by olleey as the job runs, not by hand",
                                    hint: "set by hand: \(Self.statusesByHand.map(\.rawValue).joined(separator: ", "))")
        }
        switch to {
        case .paused: return try pause(job)
        case .cancelled: return try cancel(job)
        default:
            if job.status == .paused || job.paused { return try resume(job) }
            if job.status == .failed || job.status == .cancelled { return try retry(job, stage: nil) }
            if job.status == .queued { return job }
            throw OlleeyError.conflict("job \(job.id) is \(job.status.rawValue): it cannot be queued by hand now")
        }
    }
}
