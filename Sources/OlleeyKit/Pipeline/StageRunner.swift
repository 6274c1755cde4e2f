import Foundation

/// The bookkeeping around every stage, done once here: a stage runs, and records its result,
/// only while this worker holds its unit's lease and the job is neither paused nor cancelled;
/// the language and the job show the stage; stage_runs gets a row (running, then done with its
/// timing and whether it was cached, or stopped, abandoned or failed with its error); a stage
/// that did work appends `stage.finished` and logs its time; a failure becomes a `StageFailure`
/// of that stage.
struct StageRunner {
    let db: Database
    let worker: String
    let cancel: CancelToken
    let log: @Sendable (String) -> Void
    /// A person watching (`job run` on a terminal): stage starts and ends are reported here,
    /// and then not logged.
    var progress: (@Sendable (ProgressEvent) -> Void)?

    var jobs: JobStore { JobStore(db) }

    /// Runs `s` for `context`'s job and language.
    @discardableResult
    func run<S: PipelineStage>(_ s: S, _ context: StageContext) throws -> S.Output {
        let job = context.job, language = context.language, stage = s.stage
        try checkStop(job.id)
        try checkLease(job.id, language)
        let started = Clock.monotonicNanos()
        if let language {
            try jobs.setLanguage(job.id, language, status: .processing, stage: stage.rawValue)
        }
        try refreshJobStatus(job.id, running: stage)
        let runs = StageRunStore(db)
        let runId = try runs.start(job: job.id, language: language ?? "", stage: stage, worker: worker, inputHash: s.inputHash)
        let printed = progress == nil ? "" : jobs.printedId(job.id)
        report(job.id, printed, language, stage, .started)
        _ = context.cache.takeUsed()
        do {
            let r: StageResult<S.Output>
            do {
                try context.pipeline.pullFiles(context)
                r = try s.run(context)
            } catch { context.flushProgress(); throw error }
            context.flushProgress()  // where a long stage's count ended, before it is reported done
            try checkLease(job.id, language)  // the result is recorded only under the lease
            try context.pipeline.pushFiles(context)  // an object store has the stage's files before it is recorded done
            let ms = Int64((Clock.monotonicNanos() - started) / 1_000_000)
            try runs.done(runId, cached: r.cached, durationMs: ms)
            // which cache entries this version of the job uses (what `cache prune` keeps)
            let used = context.cache.takeUsed()
            if !used.isEmpty { try CacheRefStore(db).replace(job: job.id, language: language ?? "", stage: stage.rawValue, entries: used) }
            if !r.cached {
                try EventStore(db).append("stage.finished", job: job.id, language: language, ["stage": .string(stage.rawValue), "duration_ms": .int(ms)])
                if progress == nil { log("\(jobs.printedId(job.id)) \(language.map { $0 + " " } ?? "")\(stage.rawValue) done in \(ms) ms") }
            }
            report(job.id, printed, language, stage, .finished(cached: r.cached, durationMs: ms))
            return r.output
        } catch let stop as StopRequested {
            runs.end(runId, state: "stopped")
            throw stop
        } catch let lost as LeaseLost {
            runs.end(runId, state: "abandoned")
            throw lost
        } catch where JobRunner.isStoreBusy(error) {
            // the store, not the stage: the unit is tried again (`JobRunner`), the run left as interrupted
            runs.end(runId, state: "interrupted")
            throw error
        } catch {
            let e: OlleeyError
            var cues: [String] = []
            if let f = error as? StageFailure { e = f.error; cues = f.failedCues } else { e = OlleeyError.from(error) }
            if cancel.isCancelled {
                // the subprocess was stopped because the job was paused or cancelled: not a failure
                do { try checkStop(job.id) } catch let stop as StopRequested {
                    runs.end(runId, state: "stopped")
                    throw stop
                } catch {}
            }
            runs.failed(runId, error: e.message)
            report(job.id, printed, language, stage, .failed(e.message))
            throw StageFailure(stage: stage, error: e, failedCues: cues)
        }
    }

    func report(_ jobId: String, _ printed: String, _ language: String?, _ stage: Stage, _ kind: ProgressEvent.Kind) {
        progress?(ProgressEvent(job: jobId, printed: printed, language: language, stage: stage.rawValue, kind: kind, atMs: Int64(Clock.monotonicNanos() / 1_000_000)))
    }

    /// A stage runs, and records its result, only while this worker holds its unit's lease: the
    /// job's for job-level stages, the language's for per-language ones.
    func checkLease(_ jobId: String, _ language: String?) throws {
        let held = try language.map { try jobs.holdsLanguage(jobId, $0, worker: worker) } ?? jobs.holdsJob(jobId, worker: worker)
        if !held { throw LeaseLost(unit: language ?? "job") }
    }

    /// Stops between stages when the job was paused or cancelled.
    func checkStop(_ jobId: String) throws {
        guard let j = try jobs.get(jobId) else { throw StopRequested(cancelled: true) }
        if j.cancelRequested || j.status == .cancelled { throw StopRequested(cancelled: true) }
        if j.paused { throw StopRequested(cancelled: false) }
        if cancel.isCancelled { throw StopRequested(cancelled: false) }
    }

    /// The job's status follows its least advanced running stage.
    func refreshJobStatus(_ jobId: String, running: Stage? = nil) throws {
        guard let j = try jobs.get(jobId), !j.status.isSettled || j.status == .waitingApproval else { return }
        let langs = try jobs.languages(jobId)
        var stages = langs.filter { $0.status == .processing }.compactMap { $0.stage.flatMap(Stage.init(rawValue:)) }
        if let running { stages.append(running) }
        guard let first = stages.min() else { return }
        if j.status != first.jobStatus || j.stage != first.rawValue {
            try settle(jobId, to: first.jobStatus, by: .start, stage: first.rawValue)
        }
    }

    /// A worker's status change: when the job was paused or cancelled meanwhile (so the state
    /// machine refuses it), the worker stops as it would between stages.
    func settle(_ jobId: String, to status: JobStatus, by event: JobEvent, stage: String?, error: String? = nil, errorStage: String? = nil) throws {
        if try JobStateMachine(db).transitionIfAllowed(jobId, to: status, by: event, stage: stage, error: error, errorStage: errorStage) { return }
        try checkStop(jobId)
        try JobStateMachine(db).transition(jobId, to: status, by: event, stage: stage, error: error, errorStage: errorStage)  // the refusal, as a conflict
    }
}
