import Foundation
import WebVTT

/// One stage of the pipeline (ingest, transcribe, translate, voice, dub, lip_sync, mix,
/// assemble, master, publish): a value holding the stage's inputs, whose `run` does the work or
/// finds it done (cached by a hash of those inputs). `StageRunner` does the bookkeeping around
/// every stage the same way: leases, pause and cancel, the job's status, stage_runs, events,
/// timing and the mapping of failures to the stage.
protocol PipelineStage {
    associatedtype Output
    /// Its name in stage_runs, events and the job's status.
    var stage: Stage { get }
    /// The output, and whether it was already there (a cache hit: no engine or media work).
    func run(_ context: StageContext) throws -> StageResult<Output>
}

/// A stage's output and whether it came from the cache.
struct StageResult<Output> {
    var output: Output
    var cached: Bool
    init(_ output: Output, cached: Bool) { self.output = output; self.cached = cached }
}

/// What the stages of one unit of work (a job's preparation, one language, the master, the
/// finish) share: the job, the language, the pipeline's services, and what was read on the way,
/// so the video record is read and each subtitle version parsed once per run.
final class StageContext {
    let pipeline: JobPipeline
    var job: Job
    /// nil for job-level stages.
    let language: String?
    private var video: JobPipeline.VideoRecord?
    private var documents: [String: WebVTTDocument] = [:]

    init(_ pipeline: JobPipeline, job: Job, language: String?) {
        self.pipeline = pipeline; self.job = job; self.language = language
    }

    var db: Database { pipeline.db }
    var cache: StageCache { pipeline.cache }
    var media: any MediaToolkit { pipeline.media }
    var workspace: Workspace { pipeline.workspace }
    var cancel: CancelToken { pipeline.cancel }
    var jobs: JobStore { JobStore(pipeline.db) }
    func log(_ line: String) { pipeline.log(line) }

    /// The job's ingested video, read once per run.
    func videoRecord() throws -> JobPipeline.VideoRecord {
        if let video, video.id == job.videoId { return video }
        let v = try pipeline.videoRecord(job)
        video = v
        return v
    }

    /// A subtitle version's document, parsed once per run (by content hash).
    func document(_ version: TrackVersion) -> WebVTTDocument {
        if let d = documents[version.sha256] { return d }
        let d = pipeline.parse(version.content)
        documents[version.sha256] = d
        return d
    }

    /// For a stage whose amount of work is known (`total` `unit`s): a function to call as each
    /// one is done, from any thread, that reports the count to a person watching. Does nothing
    /// when nobody watches.
    func ticker(_ stage: Stage, total: Int, unit: String) -> @Sendable () -> Void {
        guard pipeline.progress != nil, total > 0 else { return {} }
        let (runner, id, printed, language) = (pipeline.runner, job.id, jobs.printedId(job.id), self.language)
        let count = TickCounter()
        return {
            let n = count.next()
            runner.report(id, printed, language, stage, .advanced(done: n, total: total, unit: unit))
        }
    }

    /// Keeps a document a stage made (so it is not parsed from its stored text again).
    func remember(_ document: WebVTTDocument, for sha256: String) { documents[sha256] = document }
}

/// A count shared by threads.
final class TickCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var n = 0
    func next() -> Int { lock.lock(); defer { lock.unlock() }; n += 1; return n }
}
