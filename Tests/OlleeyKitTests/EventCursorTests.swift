import Foundation
import OlleeyKit
import Testing
import OlleeyTestSupport

/// Issue 11: the event cursor (what `job events`, `job watch` and the server's SSE follow), and
/// the runner's worker mode (what `olleey worker` runs).
@Suite struct EventCursorTests {
    func job(_ db: Database, status: JobStatus = .queued, source: String = "/nonexistent/gone.mp4", withTrack: Bool = false) throws -> Job {
        let now = Clock.nowISO()
        let job = Job(id: ID.uuid7(), source: source, sourceName: "gone.mp4", sourceLang: "en", videoId: nil, status: status, stage: nil,
                      options: JobOptions(targetLanguages: ["es"]), projectId: nil, channelId: nil, error: nil, errorStage: nil,
                      paused: false, cancelRequested: false, createdAt: now, updatedAt: now, startedAt: nil, completedAt: nil)
        try JobStore(db).insert(job)
        if withTrack {
            _ = try TrackStore(db).add(job: job.id, language: "en", kind: .source, content: "WEBVTT\n\n1\n00:00.000 --> 00:01.000\nHello\n",
                                       author: "test", message: "given")
        }
        return job
    }

    @Test func readsAJobsEventsAfterAnIdInBatches() throws {
        let t = TempDir()
        let (ws, _) = try TestStore.initialize(at: t.path)
        let db = try ws.open()
        let a = try job(db), b = try job(db)
        let events = EventStore(db)
        let start = try events.list(job: nil).last?.id ?? 0
        var mine: [Int64] = []
        for i in 0..<7 {
            mine.append(try events.append("test.a", job: a.id, ["i": .int(Int64(i))]))
            try events.append("test.b", job: b.id)
        }
        // after an id: only what follows it, only this job's, in order, across batches of 3
        var c = EventCursor(db: db, scope: .job(a.id), after: mine[1], pollMs: 10, batch: 3)
        var seen: [Int64] = []
        try c.follow(until: .caughtUp) { seen += $0.map(\.id) }
        #expect(seen == Array(mine[2...]))
        #expect(c.last == mine[6])
        #expect(try c.next().isEmpty)
        // the workspace: both jobs' events
        var w = EventCursor(db: db, scope: .workspace, after: start)
        #expect(try w.next().map(\.kind) == Array(repeating: ["test.a", "test.b"], count: 7).flatMap { $0 })
    }

    @Test func followsUntilTheJobSettlesAndSeesEventsWrittenMeanwhile() throws {
        let t = TempDir()
        let (ws, _) = try TestStore.initialize(at: t.path)
        let db = try ws.open()
        let a = try job(db)
        let id = a.id
        // another connection appends two events, then settles the job
        let writer = Thread {
            guard let db2 = try? ws.open() else { return }
            usleep(100_000)
            _ = try? EventStore(db2).append("test.one", job: id)
            usleep(100_000)
            _ = try? EventStore(db2).append("test.two", job: id)
            _ = try? JobStateMachine(db2).transition(id, to: .completed, by: .complete)
        }
        writer.start()
        var c = EventCursor(db: db, scope: .job(id), pollMs: 20)
        var kinds: [String] = []
        let t0 = Date()
        try c.follow(until: .settled) { kinds += $0.map(\.kind) }
        #expect(kinds.filter { $0.hasPrefix("test.") } == ["test.one", "test.two"])
        #expect(Date().timeIntervalSince(t0) < 10)
        #expect(try c.isSettled())
    }

    @Test func followStopsWhenAskedTo() throws {
        let t = TempDir()
        let (ws, _) = try TestStore.initialize(at: t.path)
        let db = try ws.open()
        _ = try job(db)
        var c = EventCursor(db: db, scope: .workspace, pollMs: 10)
        var rounds = 0
        try c.follow(until: .stopped, shouldStop: { rounds += 1; return rounds > 5 }) { _ in }
        #expect(rounds > 5)
        // the workspace has a queued job: not settled
        #expect(try !c.isSettled())
    }

    /// The worker mode does not return when the work is done: a job queued after it started is
    /// run (here its ingest fails at once, no media tool needed), and `stop` ends it.
    @Test func aWaitingRunnerTakesAJobQueuedAfterItStartedAndStopsWhenAsked() throws {
        let t = TempDir()
        let (ws, _) = try TestStore.initialize(at: t.path)
        let db = try ws.open()
        let runner = JobRunner(workspace: ws, jobs: nil, parallel: 2, waitForWork: true, pollMs: 50, log: { _ in })
        let done = DispatchSemaphore(value: 0)
        let box = SummaryBox()
        let th = Thread { box.set(Result { try runner.run() }); done.signal() }
        th.start()
        usleep(300_000)
        #expect(done.wait(timeout: .now()) == .timedOut, "the worker returned with no work instead of waiting")
        let j = try job(db, source: t.file("gone.mp4"), withTrack: true)
        var status = ""
        for _ in 0..<200 {
            status = try JobStore(db).get(j.id)?.status.rawValue ?? ""
            if status == "failed" { break }
            usleep(50_000)
        }
        #expect(status == "failed", "the job queued after the worker started was not taken: \(status)")
        let t0 = Date()
        runner.stop(reason: "SIGTERM")
        #expect(done.wait(timeout: .now() + 5) == .success, "the worker did not stop within 5 s")
        #expect(Date().timeIntervalSince(t0) < 5)
        let summary = try box.get()?.get()
        #expect(summary?.interrupted == "SIGTERM")
        #expect(summary?.jobs.contains { $0.id == j.id && $0.status == "failed" } == true)
        // its leases are released
        #expect(try db.scalarInt("SELECT count(*) FROM jobs WHERE lease_owner IS NOT NULL", []) == 0)
    }
}

final class SummaryBox: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Result<JobRunner.Summary, Error>?
    func set(_ v: Result<JobRunner.Summary, Error>) { lock.lock(); value = v; lock.unlock() }
    func get() -> Result<JobRunner.Summary, Error>? { lock.lock(); defer { lock.unlock() }; return value }
}
