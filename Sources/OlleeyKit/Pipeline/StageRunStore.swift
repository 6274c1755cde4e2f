import Foundation

/// The stage_runs table: one row per stage run (its state, whether it was cached, its error and
/// timing), written by `StageRunner`.
struct StageRunStore {
    let db: Database
    init(_ db: Database) { self.db = db }

    /// A running stage's row; returns its id.
    func start(job: String, language: String, stage: Stage, worker: String) throws -> Int64 {
        try db.scalarInt("INSERT INTO stage_runs(job_id, language, stage, state, worker, started_at) VALUES (?, ?, ?, 'running', ?, ?) RETURNING id",
                         [.text(job), .text(language), .text(stage.rawValue), .text(worker), .text(Clock.nowISO())]) ?? 0
    }

    func done(_ id: Int64, cached: Bool, durationMs: Int64) throws {
        try db.run("UPDATE stage_runs SET state = 'done', cached = ?, finished_at = ?, duration_ms = ? WHERE id = ?",
                   [.int(cached ? 1 : 0), .text(Clock.nowISO()), .int(durationMs), .int(id)])
    }

    /// `stopped` (paused or cancelled) or `abandoned` (the lease was lost); errors ignored.
    func end(_ id: Int64, state: String) {
        _ = try? db.run("UPDATE stage_runs SET state = ?, finished_at = ? WHERE id = ?", [.text(state), .text(Clock.nowISO()), .int(id)])
    }

    /// Failed with `error`; errors ignored.
    func failed(_ id: Int64, error: String) {
        _ = try? db.run("UPDATE stage_runs SET state = 'failed', error = ?, finished_at = ? WHERE id = ?", [.text(error), .text(Clock.nowISO()), .int(id)])
    }
}
