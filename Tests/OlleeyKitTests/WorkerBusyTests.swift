import Foundation
import Testing
import OlleeyKit
import OlleeyTestSupport

/// `olleey worker` outlives a busy database: another connection holding the write lock longer
/// than the worker's busy timeout makes it back off and try again, not stop.
@Suite("worker: a busy database")
struct WorkerBusyTests {
    @Test func aWorkerCarriesOnAfterTheDatabaseWasLockedByAnotherConnection() throws {
        let t = TempDir()
        let (ws, _) = try TestStore.initialize(at: t.path)
        let db = try ws.open()
        let lines = LogLines()
        // a busy timeout far shorter than the lock is held: every claim meets SQLITE_BUSY meanwhile
        let runner = JobRunner(workspace: ws, jobs: nil, parallel: 1, waitForWork: true, pollMs: 20, busyTimeoutMs: 20, log: { lines.add($0) })
        let done = DispatchSemaphore(value: 0)
        let box = SummaryBox()
        // queued before the lock: the worker's claim of it is a write, refused while the lock is held
        let j = try EventCursorTests().job(db, source: t.file("gone.mp4"), withTrack: true)
        let holder = try ws.open()
        // SQLite: the write lock; PostgreSQL: a lock on the jobs table that lets reads through
        try holder.execute(ws.usesPostgres ? "BEGIN; LOCK TABLE jobs IN EXCLUSIVE MODE" : "BEGIN IMMEDIATE")
        let th = Thread { box.set(Result { try runner.run() }); done.signal() }
        th.start()
        usleep(800_000)
        #expect(done.wait(timeout: .now()) == .timedOut, "the worker stopped on a busy database: \(String(describing: box.get()))")
        #expect(lines.all.contains { $0.contains("busy") && $0.contains("trying again") }, "\(lines.all)")
        #expect(try JobStore(db).get(j.id)?.status == .queued)
        try holder.execute("COMMIT")
        // once the lock is released, it takes the job (its ingest fails at once: no such file)
        var status = ""
        for _ in 0..<200 {
            status = try JobStore(db).get(j.id)?.status.rawValue ?? ""
            if status == "failed" { break }
            usleep(25_000)
        }
        #expect(status == "failed", "the worker did not carry on after the lock: \(status)")
        runner.stop(reason: "SIGTERM")
        #expect(done.wait(timeout: .now() + 5) == .success)
        let summary = try box.get()?.get()
        #expect(summary?.interrupted == "SIGTERM")
    }
}

final class LogLines: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []
    func add(_ s: String) { lock.lock(); lines.append(s); lock.unlock() }
    var all: [String] { lock.lock(); defer { lock.unlock() }; return lines }
}
