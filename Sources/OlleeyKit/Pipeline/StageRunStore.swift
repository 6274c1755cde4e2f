import Foundation

/// The stage_runs table: one row per stage run (its state, whether it was cached, its error and
/// timing), written by `StageRunner`.
struct StageRunStore {
    let db: Database
    init(_ db: Database) { self.db = db }

    /// A running stage's row; returns its id.
    /// `inputHash`: what the stage makes, as a key, when it says (`PipelineStage.inputHash`).
    func start(job: String, language: String, stage: Stage, worker: String, inputHash: String? = nil) throws -> Int64 {
        try db.scalarInt("INSERT INTO stage_runs(job_id, language, stage, state, worker, started_at, input_hash) VALUES (?, ?, ?, 'running', ?, ?, ?) RETURNING id",
                         [.text(job), .text(language), .text(stage.rawValue), .text(worker), .text(Clock.nowISO()), inputHash.sqlValue]) ?? 0
    }

    /// Whether the last run of a stage of a job started (on any machine) made `inputHash` and
    /// finished: a later run that started, crashed or failed after it makes this false, as its
    /// output in place may be half of something else.
    func lastDone(job: String, language: String, stage: Stage, inputHash: String) throws -> Bool {
        try db.queryOne("SELECT state, input_hash FROM stage_runs WHERE job_id = ? AND language = ? AND stage = ? ORDER BY id DESC LIMIT 1",
                        [.text(job), .text(language), .text(stage.rawValue)]) { ($0.string(0), $0.optionalString(1)) }
            .map { $0.0 == "done" && $0.1 == inputHash } ?? false
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
