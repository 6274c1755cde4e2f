import Foundation
import OlleeyKit

/// olleey worker: the long-running form of `job run --all` (parse, call `JobRunner` in its worker
/// mode, render its summary).
enum WorkerCommand {
    static let spec: CommandSpec = CommandSpec(
        "worker", "claim and run queued work as jobs arrive, until SIGTERM or SIGINT",
        discussion: "Runs every queued job of the workspace, and every job created while it runs (it polls the database every 250 ms), like 'olleey job run --all' that does not stop when the work is done. Several workers and 'job run' processes may share a workspace: each unit (a job's preparation, one language, the finish) is claimed with a lease. It logs one line on stderr when a unit starts and when it finishes, and the stage lines of 'job run'. SIGTERM or SIGINT stops it: no new unit starts, running subprocesses are stopped, the units in flight are left resumable (the next worker or 'olleey job run' continues them), leases are released, and it exits 0 within seconds: stopping is how a worker ends. A second signal exits at once (143 or 130). With --json it prints one summary document when it stops (the jobs it touched, what it interrupted), as 'job run --json' does. Failed jobs do not change its exit code; see 'olleey job list --status failed'.",
        examples: ["olleey worker", "olleey worker --parallel 4 2>worker.log &", "olleey worker --json > worker-summary.json"],
        options: [.option("parallel", short: "p", "N", "units run at once (default: config job.parallel)", type: .int)]
    ) { ctx in
        let ws = try ctx.workspace()
        let db = try ctx.database()
        let (parallel, lease) = try JobRunner.settings(db, parallel: ctx.args.int("parallel"))
        let quiet = ctx.quiet
        let err = ctx.stderr
        let runner = JobRunner(workspace: ws, jobs: nil, parallel: parallel, leaseSeconds: lease, waitForWork: true,
                               environment: ctx.environment) { line in
            if !quiet { err.line(line) }
        }
        let wsDir = ws.dir
        let signals = StopSignals(atExit: { StageCache.removeTemporaries(under: wsDir, pid: getpid()) }) { sig in
            runner.stop(reason: StopSignals.name(sig))
        }
        if !quiet { err.line("worker: waiting for work (\(parallel) at once); SIGTERM or Ctrl-C stops it") }
        let outcome = Result { try runner.run() }
        signals.remove()
        let summary = try outcome.get()
        let store = JobStore(db)
        if let why = summary.interrupted, !quiet {
            let what = summary.stopped.map { "\(store.printedId($0.job))\($0.language.map { " " + $0 } ?? "")\($0.stage.map { " at " + $0 } ?? "")" }
            err.line("worker: stopped by \(why)" + (what.isEmpty ? "" : "; left resumable: \(what.joined(separator: ", "))"))
        }
        let json = JSON.object(summary.json)
        try ctx.emit(json) {
            summary.jobs.map { "\($0.id)  \($0.status)\($0.error.map { "  " + $0 } ?? "")" }.joined(separator: "\n")
        }
        return 0
    }
}
