import Foundation
import OlleeyKit
import Testing
import OlleeyTestSupport

/// Issue 10: with two workers, a failing job's preparation ran twice (duplicate stage runs,
/// `stage.finished` and `job.failed`). A unit runs once per lease: the claim is a compare-and-set
/// on the unit's state, and a worker re-checks its lease before a stage and before its result.
@Suite struct ClaimRaceTests {
    /// A job whose source is gone (so ingest fails at once) and whose source track is given (so
    /// no transcriber is needed).
    func failingJob(_ ws: Workspace, _ db: Database, source: String) throws -> Job {
        let now = Clock.nowISO()
        let job = Job(id: ID.uuid7(), source: source, sourceName: "gone.mp4", sourceLang: "en", videoId: nil, status: .queued, stage: nil,
                      options: JobOptions(targetLanguages: ["es"]), projectId: nil, channelId: nil, error: nil, errorStage: nil,
                      paused: false, cancelRequested: false, createdAt: now, updatedAt: now, startedAt: nil, completedAt: nil)
        try JobStore(db).insert(job)
        _ = try TrackStore(db).add(job: job.id, language: "en", kind: .source, content: "WEBVTT\n\n1\n00:00.000 --> 00:01.000\nHello\n",
                                   author: "test", message: "given")
        return job
    }

    @Test func aFailingPreparationRunsOnceWithTwoWorkers() throws {
        let t = TempDir()
        let (ws, _) = try TestStore.initialize(at: t.path)
        let db = try ws.open()
        // the delay at the claim (test-only hook) makes the second worker claim a unit it read
        // as claimable before the first worker failed it; several rounds, as the window is timing
        for round in 0..<4 {
            let job = try failingJob(ws, db, source: t.file("gone-\(round).mp4"))
            let runner = JobRunner(workspace: ws, jobs: [job.id], parallel: 2, environment: ["OLLEEY_TEST_CLAIM_DELAY_MS": "150"], log: { _ in })
            let summary = try runner.run()
            #expect(summary.jobs.map(\.status) == ["failed"])
            let ingests = try db.scalarInt("SELECT count(*) FROM stage_runs WHERE job_id = ? AND stage = 'ingest'", [.text(job.id)])
            let failures = try db.scalarInt("SELECT count(*) FROM events WHERE job_id = ? AND kind = 'job.failed'", [.text(job.id)])
            #expect(ingests == 1, "round \(round): ingest ran \(ingests ?? 0) times")
            #expect(failures == 1, "round \(round): \(failures ?? 0) job.failed events")
        }
    }

    @Test func aClaimIsRefusedOnceTheUnitIsSettled() throws {
        let t = TempDir()
        let (ws, _) = try TestStore.initialize(at: t.path)
        let db = try ws.open()
        let job = try failingJob(ws, db, source: t.file("gone.mp4"))
        let store = JobStore(db)
        let me = WorkerID.make(0)
        #expect(try store.claimJob(job.id, worker: me, leaseMs: 60_000))
        try store.releaseJob(job.id, worker: me)
        try JobStateMachine(db).transition(job.id, to: .failed, by: .fail, error: "x")
        // the lease is free, but the job is settled: nothing to claim
        #expect(try !store.claimJob(job.id, worker: me, leaseMs: 60_000))
        try store.setLanguage(job.id, "es", status: .draft)
        #expect(try !store.claimLanguage(job.id, "es", worker: me, leaseMs: 60_000))
    }
}
