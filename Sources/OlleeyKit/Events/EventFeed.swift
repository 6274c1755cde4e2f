import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The live feed of the event log for a long-lived process (the server): ONE poller thread
/// for all subscribers reads the workspace's `events` table, so it sees what any process
/// appends (an `olleey worker`, a CLI command), and hands each new event to the subscribers
/// whose filter (organisation, job) it passes. The poll is cheap when nothing changed: it
/// wakes every `pollMs` (100 ms) and asks SQLite's `PRAGMA data_version` first; only when
/// another connection committed does it read the events after the last one seen, and the
/// jobs they belong to (once per job per batch). The thread runs only while someone is
/// subscribed.
///
/// Subscribers must not block: they are called on the poller thread (a network subscriber
/// queues bytes and returns). Every `pingSeconds` each subscriber's `ping` runs (a heartbeat).
public final class EventFeed: @unchecked Sendable {
    /// Which events a subscriber gets: those of `org`'s jobs and/or of one job.
    public struct Filter: Sendable, Equatable {
        public var org: String?
        public var job: String?
        public init(org: String?, job: String? = nil) { self.org = org; self.job = job }

        public func admits(_ item: Item) -> Bool {
            if let org, item.orgId != org { return false }
            if let job, item.event.jobId != job { return false }
            return true
        }
    }

    /// One event as the feed hands it out: the event, its job's organisation, the job as it is
    /// now (nil once deleted), and its API types. Rendered bytes can be kept on it (`memo`) so
    /// that a thousand subscribers share one rendering.
    public final class Item: @unchecked Sendable {
        public let event: Event
        public let orgId: String?
        public let job: Job?
        public let sseType: LiveEventType?
        public let socketType: LiveSocketType?
        let lock = NSLock()
        var memos: [Int: [UInt8]] = [:]

        init(event: Event, orgId: String?, job: Job?) {
            self.event = event; self.orgId = orgId; self.job = job
            self.sseType = LiveEventMapping.sseType(event)
            self.socketType = LiveEventMapping.socketType(event)
        }

        /// The bytes `make` renders for `key`, rendered once.
        public func memo(_ key: Int, _ make: () -> [UInt8]) -> [UInt8] {
            lock.lock(); defer { lock.unlock() }
            if let b = memos[key] { return b }
            let b = make()
            memos[key] = b
            return b
        }
    }

    final class Subscriber: @unchecked Sendable {
        let id: Int
        let filter: Filter
        let deliver: @Sendable ([Item]) -> Void
        let ping: @Sendable () -> Void
        init(id: Int, filter: Filter, deliver: @escaping @Sendable ([Item]) -> Void, ping: @escaping @Sendable () -> Void) {
            self.id = id; self.filter = filter; self.deliver = deliver; self.ping = ping
        }
    }

    let open: @Sendable () throws -> Database
    let pollMicros: UInt32
    /// A backlog (resume) longer than this is cut to its newest events.
    public let maxBacklog: Int
    let lock = NSRecursiveLock()
    var subscribers: [Int: Subscriber] = [:]
    var nextId = 1
    var db: Database?
    var last: Int64 = -1
    var dataVersion: Int64 = -1
    var running = false
    var pingNanos: UInt64
    var nextPing: UInt64 = 0
    var polls = 0
    var reads = 0

    /// `open` opens a connection of the workspace for the poller (its own: `data_version`
    /// changes only for other connections' commits).
    public init(open: @escaping @Sendable () throws -> Database, pollMs: Int = 100, pingSeconds: Double = 15, maxBacklog: Int = 1000) {
        self.open = open
        self.pollMicros = UInt32(max(5, min(pollMs, 10_000))) * 1000
        self.pingNanos = UInt64(max(0.01, pingSeconds) * 1e9)
        self.maxBacklog = max(1, maxBacklog)
    }

    public convenience init(workspace: Workspace, pollMs: Int = 100, pingSeconds: Double = 15) {
        self.init(open: { try workspace.open() }, pollMs: pollMs, pingSeconds: pingSeconds)
    }

    /// The heartbeat interval (tests shorten it).
    public var pingSeconds: Double {
        get { lock.lock(); defer { lock.unlock() }; return Double(pingNanos) / 1e9 }
        set { lock.lock(); pingNanos = UInt64(max(0.01, newValue) * 1e9); nextPing = 0; lock.unlock() }
    }

    public var subscriberCount: Int { lock.lock(); defer { lock.unlock() }; return subscribers.count }

    /// Polls made and polls that found a change (read the table), since the feed was made.
    public var stats: (polls: Int, reads: Int) { lock.lock(); defer { lock.unlock() }; return (polls, reads) }

    /// Subscribes: events after `after` (a resume: `Last-Event-ID`) are read from the table and
    /// handed to `deliver` at once (at most `maxBacklog`, the newest), then every new event the
    /// filter admits, in order, without gaps or repeats. Without `after`, only new events.
    /// Returns the subscription's id (for `unsubscribe`).
    @discardableResult
    public func subscribe(_ filter: Filter, after: Int64? = nil, deliver: @escaping @Sendable ([Item]) -> Void,
                          ping: @escaping @Sendable () -> Void = {}) throws -> Int {
        lock.lock(); defer { lock.unlock() }
        let db = try connection()
        if last < 0 { last = try EventStore(db).lastId() }
        if let after, after < last {
            let backlog = try read(db, after: after, upTo: last, filter: filter, limit: maxBacklog)
            if !backlog.isEmpty { deliver(backlog) }
        }
        let id = nextId
        nextId += 1
        subscribers[id] = Subscriber(id: id, filter: filter, deliver: deliver, ping: ping)
        if !running {
            running = true
            if nextPing == 0 { nextPing = monotonicNow() + pingNanos }
            let t = Thread { [self] in run() }
            t.name = "olleey-event-feed"
            t.stackSize = 512 << 10
            t.start()
        }
        return id
    }

    /// Ends a subscription (safe from a subscriber's own callback, and more than once).
    public func unsubscribe(_ id: Int) {
        lock.lock(); subscribers[id] = nil; lock.unlock()
    }

    func connection() throws -> Database {
        if let db { return db }
        let d = try open()
        db = d
        dataVersion = -1
        return d
    }

    func monotonicNow() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
    }

    func run() {
        // on PostgreSQL, the feed sleeps on LISTEN/NOTIFY: an event from any machine wakes it at
        // once; it still looks every `pollMs` (one index lookup of the newest id), because under
        // a loaded test run notifications were seen not to arrive for seconds (cause not found),
        // and the event must reach its watchers within 250 ms anyway. On SQLite it polls (cheaply).
        let listener = (try? open()).flatMap { $0.isPostgres ? try? EventNotifications(db: $0) : nil }
        while true {
            if let listener { _ = listener.wait(timeoutMs: Int(pollMicros / 1000)) } else { usleep(pollMicros) }
            lock.lock()
            if subscribers.isEmpty {
                // nobody listens: the thread ends and the connection closes; a subscribe starts again
                running = false
                db = nil
                last = -1
                nextPing = 0
                lock.unlock()
                return
            }
            var batch: [Item] = []
            do { batch = try poll() } catch {
                // a busy or broken read: the connection is reopened on the next poll
                db = nil
            }
            let now = monotonicNow()
            let pingDue = now >= nextPing
            if pingDue { nextPing = now + pingNanos }
            let subs = Array(subscribers.values)
            lock.unlock()
            if !batch.isEmpty {
                for s in subs {
                    let mine = batch.filter { s.filter.admits($0) }
                    if !mine.isEmpty { s.deliver(mine) }
                }
            }
            if pingDue { for s in subs { s.ping() } }
        }
    }

    /// The events after the last one seen, when another connection committed since the last
    /// poll. Called with the lock held.
    func poll() throws -> [Item] {
        polls += 1
        let db = try connection()
        let v = try EventStore(db).dataVersion()
        if v == dataVersion { return [] }
        dataVersion = v
        reads += 1
        let items = try read(db, after: last, upTo: nil, filter: nil, limit: 10_000)
        if let e = items.last { last = e.event.id }
        return items
    }

    /// Events in (after, upTo], with their jobs' organisations and the jobs as they are now; the
    /// newest `limit` of them when there are more.
    func read(_ db: Database, after: Int64, upTo: Int64?, filter: Filter?, limit: Int) throws -> [Item] {
        // a backlog keeps its newest events; a poll reads oldest first
        let rows = try EventStore(db).listWithOrg(after: after, upTo: upTo, org: filter?.org, job: filter?.job, limit: limit, newest: upTo != nil)
        var jobs: [String: Job?] = [:]
        let store = JobStore(db)
        return try rows.map { e, org in
            var job: Job?
            if let id = e.jobId {
                if let j = jobs[id] { job = j } else { job = try store.get(id); jobs[id] = job }
            }
            return Item(event: e, orgId: org, job: job)
        }
    }
}
