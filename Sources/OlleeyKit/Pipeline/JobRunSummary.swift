import Foundation

extension JobRunner {
    public struct Summary: Sendable {
        public var jobs: [(id: String, status: String, error: String?)]
        /// Why the run stopped before its work was done (`SIGTERM`, `SIGINT`), nil when it ran to the end.
        public var interrupted: String?
        /// What a stop interrupted: each unit in flight, left resumable.
        public var stopped: [(job: String, language: String?, stage: String?)] = []
        public var failed: Int { jobs.filter { $0.status == "failed" }.count }

        /// What a run or a worker did, as `job run --json` and `worker --json` print it (the
        /// command adds its timings).
        public var json: [(String, JSON)] {
            [("jobs", .array(jobs.map { .object([("id", .string($0.id)), ("status", .string($0.status)), ("error", JSON($0.error))]) })),
             ("completed", .int(Int64(jobs.filter { $0.status == "completed" }.count))),
             ("failed", .int(Int64(failed))),
             ("incomplete", .int(Int64(incomplete))),
             ("interrupted", JSON(interrupted)),
             ("stopped", .array(stopped.map { .object([("id", .string($0.job)), ("language", JSON($0.language)), ("stage", JSON($0.stage))]) }))]
        }
        /// Jobs that ended neither completed nor failed (paused, cancelled, waiting for approval, or
        /// left queued by a stop).
        public var incomplete: Int { jobs.filter { $0.status != "completed" && $0.status != "failed" }.count }

        /// The exit code of `job run`: 2 when a job failed, else 3 when a job did not complete,
        /// else 0. A stop by a signal exits 128 + the signal instead (`StopSignals.exitCode`).
        public var exitCode: Int32 {
            if failed > 0 { return ExitCodes.jobsFailed }
            if incomplete > 0 { return ExitCodes.jobsIncomplete }
            return 0
        }
    }
}
