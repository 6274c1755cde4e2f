import Foundation

/// Follows the event log: the events of one job, or of the whole workspace, after an event id.
/// `job events` (with `--follow`) and `job watch` render what it reads; the server's SSE stream
/// (`Last-Event-ID` is `after`) will render the same. It polls the `events` table, so it sees what
/// any process appends (a worker, another `job run`, the server).
public struct EventCursor {
    public enum Scope: Sendable, Equatable {
        case job(String)
        /// Every event of the workspace (the system's view).
        case workspace
        /// The events of one organisation's jobs (what a person of that organisation may follow).
        case organization(String)
    }

    /// When `follow` stops.
    public enum Until: Sendable, Equatable {
        /// Read what is there now, then stop.
        case caughtUp
        /// Keep reading until the job settles (completed, failed, cancelled, paused, waiting for
        /// approval) and its last events are read; for the workspace, until no job is in progress.
        case settled
        /// Keep reading until `shouldStop` says so (an interrupted command, a closed connection).
        case stopped
    }

    let db: Database
    public let scope: Scope
    /// The id of the last event read (the `after` of the next read).
    public private(set) var last: Int64
    /// Events read at once; a longer backlog is read in several batches without waiting.
    let batch: Int
    let pollMicros: UInt32

    public init(db: Database, scope: Scope, after: Int64 = 0, pollMs: Int = 200, batch: Int = 10_000) {
        self.db = db
        self.scope = scope
        self.last = after
        self.batch = max(1, batch)
        self.pollMicros = UInt32(max(1, min(pollMs, 60_000))) * 1000
    }

    var jobId: String? {
        if case let .job(id) = scope { return id }
        return nil
    }

    /// The events after `last` (at most one batch), and moves past them.
    public mutating func next() throws -> [Event] {
        var org: String?
        if case let .organization(o) = scope { org = o }
        let evs = try EventStore(db).list(job: jobId, org: org, after: last, limit: batch)
        if let e = evs.last { last = e.id }
        return evs
    }

    /// Whether the followed job (or every job of the workspace) is settled.
    public func isSettled() throws -> Bool {
        switch scope {
        case let .job(id):
            // a job deleted while followed is settled too: nothing more will come
            return try JobStore(db).get(id)?.status.isSettled ?? true
        case .workspace:
            return try JobStore(db).openCount() == 0
        case let .organization(org):
            return try JobStore(db, org: org).openCount() == 0
        }
    }

    /// Reads events in order and hands each batch to `body`, until `until` (or `shouldStop`)
    /// ends it. Waits `pollMs` between reads that found nothing new. A backlog longer than a
    /// batch is read to its end before a `caughtUp` follow returns.
    public mutating func follow(until: Until, shouldStop: () -> Bool = { false }, _ body: ([Event]) throws -> Void) throws {
        while true {
            let evs = try next()
            if !evs.isEmpty { try body(evs) }
            if evs.count >= batch { continue }
            if until == .caughtUp || shouldStop() { return }
            // settled and nothing new in this read: the job's last events have been read
            if until == .settled, evs.isEmpty, try isSettled() { return }
            usleep(pollMicros)
            if shouldStop() { return }
        }
    }
}
