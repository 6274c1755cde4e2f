import Foundation

/// Runs queued work until done (`job run`), or as it arrives until stopped (`olleey worker`,
/// `waitForWork`): claims units (a job's preparation, one language's render, a
/// job's finish) with leases in SQLite, on N worker threads, each with its own connection.
/// Several runner processes can share a workspace: a unit is never run twice at once, and a
/// dead worker's lease is taken over.
public final class JobRunner: @unchecked Sendable {
    enum Unit {
        case prepare(Job)
        case language(Job, String)
        /// The master MP4, early: every language's audio is in place, some are still muxing their MP4.
        case master(Job)
        case finish(Job)
    }

    let workspace: Workspace
    let only: [String]?
    let parallel: Int
    let log: @Sendable (String) -> Void
    let environment: [String: String]
    let leaseMs: Int64
    /// TEST ONLY (fault injection): `OLLEEY_TEST_CLAIM_DELAY_MS`, read once here, makes a worker
    /// sleep between reading a unit as claimable and writing its lease, which widens the window in
    /// which another worker can settle that unit (the race regression tests use it). Unset in use.
    let testClaimDelayMs: UInt32
    /// `OLLEEY_STANDIN_MS` (benchmarks only, `StandIn`): stand-ins instead of ffmpeg and engines,
    /// said in the log, a `stand_in.used` event per unit and each rendered language's outputs.
    let standIn: StandIn?
    /// `OLLEEY_CLAIM_TIMING=1`: each claim timed and logged (`ClaimTiming`); nil: off.
    let claimTiming: ClaimTiming?
    /// The worker mode: `run()` does not return when no work is left, it waits for new work
    /// (polling the database every `pollMs`, and woken at once by this process's own units or
    /// `wake()`) until `stop(reason:)`.
    let waitForWork: Bool
    let pollMs: Int
    /// How long one statement of a worker waits for another process's write lock.
    let busyTimeoutMs: Int32
    /// A worker whose database stays busy longer than that backs off and tries again, waiting
    /// 50 ms, then twice as long each time, never more than this.
    static let maxBusyBackoffMs = 2_000
    /// A person watching (`job run` on a terminal): every stage's start, end and numbers, and
    /// each unit's end (`ProgressView`). Set before `run()`.
    public var progress: (@Sendable (ProgressEvent) -> Void)?
    private let lock = NSLock()
    private var tokens: [String: (job: String, token: CancelToken)] = [:]
    private var stopping = false
    private var interruptReason: String?
    private var stoppedUnits: [(job: String, language: String?, stage: String?)] = []
    private var firstError: Error?
    /// Signalled (with `generation` bumped) when a worker of this process finishes a unit, so
    /// an idle worker takes the work it unblocked (a job's languages after its preparation, the
    /// master after the last language) at once instead of at its next poll.
    private let finished = NSCondition()
    private var generation = 0

    /// `waitForWork`: the worker mode (see `waitForWork`); `jobs` must then be nil (every job).
    public init(workspace: Workspace, jobs: [String]?, parallel: Int, leaseSeconds: Int = 60, waitForWork: Bool = false, pollMs: Int = 250,
                busyTimeoutMs: Int32 = 30_000,
                environment: [String: String] = ProcessInfo.processInfo.environment, log: @escaping @Sendable (String) -> Void) {
        self.workspace = workspace
        self.busyTimeoutMs = busyTimeoutMs
        self.only = waitForWork ? nil : jobs
        self.waitForWork = waitForWork
        self.pollMs = max(10, min(pollMs, 10_000))
        self.parallel = max(1, parallel)
        self.leaseMs = Int64(leaseSeconds) * 1000
        self.environment = environment
        self.log = log
        self.testClaimDelayMs = environment["OLLEEY_TEST_CLAIM_DELAY_MS"].flatMap { UInt32($0) }.map { min($0, 10_000) } ?? 0
        self.standIn = (try? StandIn.from(environment)) ?? nil  // a bad value fails `run()`
        self.claimTiming = ClaimTiming.from(environment, log: log)
    }

    /// How a run of this workspace runs: `parallel` workers (the caller's request, else config
    /// `job.parallel`, 1 to 64) and the lease length (config `job.lease_seconds`).
    public static func settings(_ db: Database, parallel: Int?) throws -> (parallel: Int, leaseSeconds: Int) {
        let cfg = ConfigStore(db)
        let n = try parallel ?? Int(cfg.value("job.parallel") ?? "2") ?? 2
        guard (1...64).contains(n) else {
            throw OlleeyError(.usage, "parallel must be between 1 and 64 (got \(n))", hint: "jobs or languages run at once: 1 to 64")
        }
        return (n, Int(try cfg.value("job.lease_seconds") ?? "60") ?? 60)
    }

    /// The test-only pause before a claim (see `testClaimDelayMs`).
    func pauseBeforeClaim() {
        if testClaimDelayMs > 0 { usleep(testClaimDelayMs * 1000) }
    }

    /// Stops the run (a SIGINT or SIGTERM): no unit is started any more, the running ones are
    /// cancelled (their subprocesses' groups are terminated) and left resumable: their stage runs
    /// are marked `stopped`, their languages and jobs `queued`. `run()` returns once they have.
    public func stop(reason: String) {
        lock.lock()
        if interruptReason == nil { interruptReason = reason }
        stopping = true
        let running = tokens.values.map(\.token)
        lock.unlock()
        for t in running { t.cancel(reason: reason) }
        finished.lock(); generation += 1; finished.broadcast(); finished.unlock()
    }

    /// Wakes this runner's idle workers to look for work now (a caller in the same process that
    /// has just queued a job: the server); other processes' jobs are found at the next poll.
    public func wake() {
        finished.lock(); generation += 1; finished.broadcast(); finished.unlock()
    }

    /// Waits until a unit of this process finishes, `wake()` or `stop` is called, or `micros` pass.
    func idleWait(since seen: Int, micros: Int) {
        finished.lock()
        if generation == seen { _ = finished.wait(until: Date(timeIntervalSinceNow: Double(micros) / 1e6)) }
        finished.unlock()
    }

    public func run() throws -> Summary {
        // a workspace whose database or cache cannot be written fails here, before any job does
        try workspace.requireWritable()
        if let standIn = try StandIn.from(environment) { log(standIn.banner) }
        let group = DispatchGroup()
        for n in 0..<parallel {
            group.enter()
            let t = Thread { [self] in
                defer { group.leave() }
                do { try self.workerLoop(n) } catch {
                    lock.lock(); if firstError == nil { firstError = error }; stopping = true; lock.unlock()
                }
            }
            t.stackSize = 8 << 20
            t.start()
        }
        // joined before returning: a connection still open at exit leaves -wal and -shm behind,
        // and a workspace published then cannot be read where -shm cannot be created
        let hbDone = DispatchSemaphore(value: 0)
        let hb = Thread { [self] in self.heartbeat(group); hbDone.signal() }
        hb.start()
        // on PostgreSQL, a worker waiting for work wakes when any machine appends an event (a job
        // created, a lease released); its timer remains only for leases that expire
        let listener = waitForWork ? EventNotifications.start(workspace, name: "olleey-worker-listen", stop: { [self] in
            lock.lock(); defer { lock.unlock() }
            return stopping
        }, wake: { [self] in wake() }) : nil
        group.wait()
        _ = listener
        hbDone.wait()
        lock.lock(); stopping = true; let err = firstError; let interrupted = interruptReason; let stopped = stoppedUnits; lock.unlock()
        if let line = claimTiming?.summary { log(line) }
        if let interrupted {
            // what unwinding did not remove (every temporary name carries this process's id)
            StageCache.removeTemporaries(under: workspace.dir, pid: getpid())
            if let err { log("while stopping: \(err)") }
        } else if let err {
            throw err
        }
        let db = try workspace.open()
        let store = JobStore(db)
        let ids = try only ?? store.ids(updatedSince: startedAt)
        return Summary(jobs: try ids.compactMap { try store.get($0) }.map { ($0.id, $0.status.rawValue, $0.error) },
                       interrupted: interrupted, stopped: stopped)
    }

    let startedAt = Clock.nowISO()

    /// Renews this process's leases and stops a running subprocess when its job is paused or cancelled.
    func heartbeat(_ group: DispatchGroup) {
        guard let db = try? workspace.open() else { return }
        let store = JobStore(db)
        var lastRenew = Clock.nowMillis()
        while group.wait(timeout: .now() + .milliseconds(300)) == .timedOut {
            lock.lock(); let current = tokens; lock.unlock()
            for (worker, t) in current {
                if let j = try? store.get(t.job), j.paused || j.cancelRequested { t.token.cancel(reason: j.paused ? "paused" : "cancelled") }
                if Clock.nowMillis() - lastRenew > leaseMs / 3 { try? store.renewLeases(worker: worker, leaseMs: leaseMs) }
            }
            if Clock.nowMillis() - lastRenew > leaseMs / 3 { lastRenew = Clock.nowMillis() }
        }
    }

    func workerLoop(_ n: Int) throws {
        let worker = WorkerID.make(n)
        let db = try workspace.open(busyTimeoutMs: busyTimeoutMs)
        // the system: a worker claims every organisation's jobs (no organisation scope)
        let store = JobStore(db)
        try? store.prepareClaims(worker: worker)  // a warm-up only: a busy store is met again at the first claim
        let progressEvents = ProgressEventWriter(like: db)
        var idle = 0
        var busyMs = 0
        while true {
            lock.lock(); let stop = stopping; lock.unlock()
            if stop { return }
            finished.lock(); let seen = generation; finished.unlock()
            // a worker outlives a busy database (another process holding the write lock longer
            // than the busy timeout): it backs off and tries again instead of stopping; a unit it
            // had claimed keeps its lease and is claimed again by this worker
            let found: (Unit?, Int)?
            do { found = try next(store, db: db, worker: worker) } catch where waitForWork && JobRunner.isBusy(error) {
                busyMs = backOff(busyMs, error)
                continue
            }
            busyMs = 0
            guard let (unit, remaining) = found else {
                // nothing left: done, or (a worker) wait for new jobs
                if !waitForWork { return }
                idleWait(since: seen, micros: pollMs * 1000)
                continue
            }
            guard let unit else {
                // others hold the remaining work: wait for them (or for their leases to expire;
                // other processes' workers are polled)
                if remaining == 0 { return }
                idle += 1
                idleWait(since: seen, micros: min(200_000, 25_000 * idle))
                continue
            }
            idle = 0
            // only the worker logs units (a printed id costs a query)
            let unitName = waitForWork ? "\(store.printedId(unitJob(unit))) \(describe(unit))" : ""
            if waitForWork { log("\(unitName): started") }
            let token = CancelToken()
            lock.lock(); tokens[worker] = (unitJob(unit), token); let reason = interruptReason; lock.unlock()
            // a stop that came between the claim and here
            if let reason { token.cancel(reason: reason) }
            defer { lock.lock(); tokens[worker] = nil; lock.unlock() }
            let pipeline = try JobPipeline(workspace: workspace, db: db, worker: worker, cancel: token, environment: environment, log: log,
                                           progressEvents: progressEvents)
            pipeline.progress = progress
            defer { finished.lock(); generation += 1; finished.broadcast(); finished.unlock() }
            do { try execute(unit, pipeline: pipeline, store: store, db: db, worker: worker) } catch where waitForWork && JobRunner.isBusy(error) {
                busyMs = backOff(busyMs, error)
                continue
            }
            if waitForWork { log("\(unitName): \(isInterrupted ? "stopped" : "finished")") }
            if progress != nil { try reportSettled(unit, store: store) }
        }
    }

    /// Tells a person watching how a unit ended: the language's status, the job's (or `prepared`).
    func reportSettled(_ unit: Unit, store: JobStore) throws {
        let id = unitJob(unit)
        var language: String?
        let status: String
        switch unit {
        case .master: return
        case let .language(_, l):
            language = l
            status = try store.language(id, l)?.status.rawValue ?? "unknown"
        case .prepare:
            guard let job = try store.get(id) else { return }
            status = job.status.isSettled ? job.status.rawValue : (try isPrepared(job, store.db) ? "prepared" : job.status.rawValue)
        case .finish:
            status = try store.get(id)?.status.rawValue ?? "unknown"
        }
        progress?(ProgressEvent(job: id, printed: store.printedId(id), language: language, stage: "", kind: .settled(status), atMs: Int64(Clock.monotonicNanos() / 1_000_000)))
    }

    /// Whether `error` is the database being busy (SQLITE_BUSY, "database is locked").
    static func isBusy(_ error: Error) -> Bool { OlleeyError.from(error).code == .busy }

    /// Whether `error` is the store being busy or unreachable (a write lock held past the busy
    /// timeout, PostgreSQL restarting): the unit is tried again later, never failed for it.
    /// (An engine that answers "busy" is not this: after its retries it fails the stage.)
    static func isStoreBusy(_ error: Error) -> Bool { error is DatabaseError && isBusy(error) }

    /// Waits after a busy database (50 ms, doubling, at most `maxBusyBackoffMs`; a stop ends the
    /// wait); returns the wait to use next time.
    func backOff(_ lastMs: Int, _ error: Error) -> Int {
        let ms = min(JobRunner.maxBusyBackoffMs, lastMs == 0 ? 50 : lastMs * 2)
        log("worker: \((error as? OlleeyError)?.message ?? "the database is busy"); trying again in \(ms) ms")
        finished.lock(); let now = generation; finished.unlock()
        idleWait(since: now, micros: ms * 1000)
        return ms
    }

    func describe(_ u: Unit) -> String {
        switch u {
        case .prepare: return "prepare"
        case let .language(_, l): return l
        case .master: return "master"
        case .finish: return "finish"
        }
    }

    func unitJob(_ u: Unit) -> String {
        switch u { case let .prepare(j), let .master(j), let .finish(j): return j.id; case let .language(j, _): return j.id }
    }

    /// The next unit this worker may run, or (nil, count of jobs still in progress elsewhere);
    /// nil overall when nothing is left. With `claimTiming`, how long finding a unit took is logged.
    func next(_ store: JobStore, db: Database, worker: String) throws -> (Unit?, Int)? {
        guard let timing = claimTiming else { return try findNext(store, db: db, worker: worker) }
        let start = Clock.monotonicNanos()
        let found = try findNext(store, db: db, worker: worker)
        if let (unit, _) = found, unit != nil { timing.found(ms: Double(Clock.monotonicNanos() - start) / 1e6) }
        return found
    }

    /// One claim (`body`: `JobStore.claimJob` or `claimLanguage`), timed when `claimTiming` is on.
    func claim(_ unit: @autoclosure () -> String, _ body: () throws -> Bool) rethrows -> Bool {
        guard let timing = claimTiming else { return try body() }
        return try timing.measure({ unit() }, body)
    }

    func findNext(_ store: JobStore, db: Database, worker: String) throws -> (Unit?, Int)? {
        let ids = try only ?? store.openIds()
        // units other live workers hold are passed over unread (their claims would be lost)
        let held = try store.leasesHeld(notBy: worker)
        var pending = 0
        for id in ids {
            // a job-level lease (preparation, master, finish) held elsewhere: nothing of this
            // job is to be had now (its languages are either unprepared, or held while the
            // master is built); still in progress
            if held.job(id) { pending += 1; continue }
            guard let job = try store.get(id) else { continue }
            if job.cancelRequested && job.status != .cancelled { continue }
            if job.status.isSettled { continue }
            pending += 1
            let prepared = try isPrepared(job, db)
            if !prepared {
                pauseBeforeClaim()
                if try claim("\(job.id) prepare", { try store.claimJob(job.id, worker: worker, leaseMs: leaseMs) }) {
                    // re-read under the lease: what was read above may be stale (another worker
                    // may have prepared the job, or failed it, and released its lease meanwhile)
                    if let fresh = try store.get(job.id), !fresh.status.isSettled, !fresh.cancelRequested, try !isPrepared(fresh, db) {
                        return (.prepare(fresh), pending)
                    }
                    try store.releaseJob(job.id, worker: worker)
                }
                continue
            }
            let langs = try store.languages(job.id)
            for l in langs where (l.status == .queued || l.status == .processing) && !held.language(job.id, l.language) {
                pauseBeforeClaim()
                if try claim("\(job.id) \(l.language)", { try store.claimLanguage(job.id, l.language, worker: worker, leaseMs: leaseMs) }) {
                    // re-read under the lease: another worker may have finished it meanwhile
                    if let fresh = try store.language(job.id, l.language), fresh.status == .queued || fresh.status == .processing {
                        return (.language(job, l.language), pending)
                    }
                    try store.releaseLanguage(job.id, l.language, worker: worker)
                }
            }
            let running = langs.filter { $0.status == .queued || $0.status == .processing }
            if running.isEmpty {
                pauseBeforeClaim()
                if try claim("\(job.id) finish", { try store.claimJob(job.id, worker: worker, leaseMs: leaseMs) }) {
                    if let fresh = try store.get(job.id), !fresh.status.isSettled { return (.finish(fresh), pending) }
                    try store.releaseJob(job.id, worker: worker)
                }
            } else if running.allSatisfy({ $0.status == .processing && $0.audioKey != nil }) {
                // the last languages are muxing their own MP4s: build the master meanwhile
                let probe = try JobPipeline(workspace: workspace, db: db, worker: worker, cancel: CancelToken(), environment: environment, log: log)
                if try probe.masterPending(job), try claim("\(job.id) master", { try store.claimJob(job.id, worker: worker, leaseMs: leaseMs) }) {
                    if let fresh = try store.get(job.id), !fresh.status.isSettled, try probe.masterPending(fresh) { return (.master(fresh), pending) }
                    try store.releaseJob(job.id, worker: worker)
                }
            }
        }
        return pending == 0 ? nil : (nil, pending)
    }

    /// Ingested and transcribed: the job's languages can be rendered.
    func isPrepared(_ job: Job, _ db: Database) throws -> Bool {
        try job.videoId != nil && TrackStore(db).current(job: job.id, language: job.sourceLang, kind: .source) != nil
    }

    /// Runs a unit under its lease. A worker that finds its lease taken over (it expired while
    /// this worker was stalled) stops there and writes nothing more: the unit is the new holder's.
    func execute(_ unit: Unit, pipeline: JobPipeline, store: JobStore, db: Database, worker: String) throws {
        if let standIn, case let .object(pairs) = standIn.json {
            var language: String?
            if case let .language(_, l) = unit { language = l }
            try EventStore(db).append("stand_in.used", job: unitJob(unit), language: language,
                                      .object(pairs + [("worker", .string(worker)), ("unit", .string(describe(unit)))]))
        }
        do {
            try run(unit, pipeline: pipeline, store: store, db: db, worker: worker)
        } catch let lost as LeaseLost {
            log("\(store.printedId(unitJob(unit))) \(lost.unit): lease lost to another worker, left to it")
        }
    }

    func run(_ unit: Unit, pipeline: JobPipeline, store: JobStore, db: Database, worker: String) throws {
        let service = JobService(db: db, workspace: workspace, environment: environment)
        switch unit {
        case let .prepare(job):
            defer { try? store.releaseJob(job.id, worker: worker) }
            do {
                _ = try pipeline.prepare(job, transcriber: try service.transcriberForRun(job))
            } catch let stop as StopRequested {
                try settleStopped(job.id, stop, store: store)
            } catch let f as StageFailure {
                try fail(job: job, stage: f.stage, error: f.error, store: store, worker: worker)
            } catch let error where (error is OlleeyError || error is DatabaseError) && !JobRunner.isStoreBusy(error) {
                let e = OlleeyError.from(error)
                // a subprocess stopped by a signal's stop outside a stage: stopped, not failed
                if isInterrupted { try settleStopped(job.id, StopRequested(cancelled: false), store: store); return }
                try fail(job: job, stage: .ingest, error: e, store: store, worker: worker)
            }
        case let .language(job, lang):
            defer { try? store.releaseLanguage(job.id, lang, worker: worker) }
            do {
                let engines = try service.enginesForRun(job, languages: [lang])
                let complete = try pipeline.renderLanguage(job, lang, engines: engines, config: ConfigStore(db))
                guard try store.holdsLanguage(job.id, lang, worker: worker) else { throw LeaseLost(unit: lang) }
                if let standIn { try store.setStandIn(job.id, lang, standIn.json) }
                if complete {
                    try store.setLanguage(job.id, lang, status: .draft, stage: (job.options.describe ? Stage.describe : Stage.assemble).rawValue)
                } else {
                    // --describe without a describer: a person writes the script (`vtt edit --kind descriptions`)
                    try store.setLanguage(job.id, lang, status: .waitingApproval, stage: Stage.describe.rawValue)
                    try EventStore(db).append("language.waiting", job: job.id, language: lang, ["stage": .string(Stage.describe.rawValue),
                                              "reason": .string("no describer engine: the descriptions script is written by a person")])
                    log("\(store.printedId(job.id)) \(lang) waits for its descriptions script (no describer engine): olleey vtt edit \(store.printedId(job.id)) --lang \(job.sourceLang) --kind descriptions --file FILE")
                }
                // issue 5 (cost): what rendering this language cost, from the rate card
                try CostService(db).recordLanguage(job, language: lang, translateEngine: engines.translator.name, speakEngine: engines.speaker.name)
            } catch let stop as StopRequested {
                try settleStopped(job.id, stop, store: store, language: lang)
            } catch let f as StageFailure {
                guard try store.holdsLanguage(job.id, lang, worker: worker) else { throw LeaseLost(unit: lang) }
                try store.setLanguage(job.id, lang, status: .failed, stage: f.stage.rawValue, error: f.error.message + (f.error.hint.map { " (\($0))" } ?? ""),
                                      errorStage: f.stage.rawValue, failedCues: f.failedCues)
                try EventStore(db).append("language.failed", job: job.id, language: lang, ["stage": .string(f.stage.rawValue), "error": .string(f.error.message)])
                log("\(store.printedId(job.id)) \(lang) failed at \(f.stage.rawValue): \(f.error.message)")
            } catch let error where (error is OlleeyError || error is DatabaseError) && !JobRunner.isStoreBusy(error) {
                let e = OlleeyError.from(error)
                if isInterrupted { try settleStopped(job.id, StopRequested(cancelled: false), store: store, language: lang); return }
                // not a stage's failure (e.g. the database): labelled with the stage the language was at
                let at = try store.language(job.id, lang)?.stage ?? Stage.translate.rawValue
                try store.setLanguage(job.id, lang, status: .failed, error: e.message, errorStage: at)
                log("\(store.printedId(job.id)) \(lang) failed: \(e.message)")
            }
        case let .master(job):
            defer { try? store.releaseJob(job.id, worker: worker) }
            do {
                try pipeline.buildMaster(job)
            } catch let stop as StopRequested {
                try settleStopped(job.id, stop, store: store)
            } catch let f as StageFailure {
                // finish builds it again and reports there; a failure here only loses the head start
                log("\(store.printedId(job.id)) master (early) failed: \(f.error.message)")
            }
        case let .finish(job):
            defer { try? store.releaseJob(job.id, worker: worker) }
            do {
                try pipeline.finish(job)
                if let j = try store.get(job.id) { log("\(store.printedId(job.id)) \(j.status.rawValue)") }
            } catch let stop as StopRequested {
                try settleStopped(job.id, stop, store: store)
            } catch let f as StageFailure {
                try fail(job: job, stage: f.stage, error: f.error, store: store, worker: worker)
            }
        }
    }

    func fail(job: Job, stage: Stage, error: OlleeyError, store: JobStore, worker: String) throws {
        guard try store.holdsJob(job.id, worker: worker) else { throw LeaseLost(unit: "job") }
        let msg = error.message + (error.hint.map { " (\($0))" } ?? "")
        try store.db.transaction {
            try JobStateMachine(store.db).transition(job.id, to: .failed, by: .fail, stage: stage.rawValue, error: msg, errorStage: stage.rawValue,
                                                     record: ("job.failed", ["stage": .string(stage.rawValue), "error": .string(error.message)]))
            // languages that never rendered fail with the job's reason (not left `queued`)
            try store.failUnrenderedLanguages(job.id, error: msg, errorStage: stage.rawValue)
        }
        log("\(store.printedId(job.id)) failed at \(stage.rawValue): \(error.message)")
    }

    var isInterrupted: Bool { lock.lock(); defer { lock.unlock() }; return interruptReason != nil }

    func settleStopped(_ jobId: String, _ stop: StopRequested, store: JobStore, language: String? = nil) throws {
        let at = try language.flatMap { try store.language(jobId, $0)?.stage } ?? store.get(jobId)?.stage
        if let language, let l = try store.language(jobId, language), l.status == .processing {
            try store.setLanguage(jobId, language, status: stop.cancelled ? .cancelled : .queued)
        }
        guard let j = try store.get(jobId) else { return }
        // settled after the fact: a status the job has since left is not written (the state machine refuses it)
        let machine = JobStateMachine(store.db)
        if stop.cancelled && j.status != .cancelled { try machine.transitionIfAllowed(jobId, to: .cancelled, by: .cancel) }
        if !stop.cancelled && j.paused && j.status != .paused { try machine.transitionIfAllowed(jobId, to: .paused, by: .pause) }
        if isInterrupted && !stop.cancelled && !j.paused {
            // stopped by a signal: queued again (not left "syncing"), unless another worker runs one of its languages
            let busy = try store.languages(jobId).contains { $0.status == .processing }
            if !j.status.isSettled && !busy && j.status != .queued { try machine.transitionIfAllowed(jobId, to: .queued, by: .interrupt) }
            lock.lock(); stoppedUnits.append((jobId, language, at)); lock.unlock()
            try EventStore(store.db).append("job.interrupted", job: jobId, language: language, ["stage": at.map { .string($0) } ?? .null])
        }
    }
}
