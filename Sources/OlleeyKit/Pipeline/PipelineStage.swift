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
    /// What the run makes, as a key, recorded in its stage_runs row (`input_hash`) when the
    /// stage says: another machine then knows it was made (`StageRunStore.lastDone`).
    var inputHash: String? { get }
}

extension PipelineStage {
    var inputHash: String? { nil }
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
    private var trackers: [StageProgress] = []

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

    /// For a stage whose amount of work is known (`total` `unit`s): where its count goes, from
    /// any thread, to a person watching and to the events table (`StageProgress`). Flushed when
    /// the stage ends.
    func progress(_ stage: Stage, total: Int, unit: String) -> StageProgress {
        let (runner, id, language) = (pipeline.runner, job.id, self.language)
        let printed = runner.progress == nil ? "" : jobs.printedId(job.id)
        var watcher: (@Sendable (ProgressEvent.Kind) -> Void)?
        if runner.progress != nil {
            watcher = { @Sendable kind in runner.report(id, printed, language, stage, kind) }
        }
        let p = StageProgress(stage: stage, total: total, unit: unit, job: id, language: language, watcher: watcher, events: pipeline.progressEvents)
        trackers.append(p)
        return p
    }

    /// The stage's media toolkit, reporting the milliseconds of media its long ffmpeg work has
    /// processed (of `durationMs`) as the stage's progress.
    func media(reporting stage: Stage, durationMs: Int) -> (media: any MediaToolkit, progress: StageProgress) {
        let p = progress(stage, total: durationMs, unit: "ms")
        return (media.reporting(p.media()), p)
    }

    /// Writes where each stage's count ended (`StageRunner`, when the stage ends).
    func flushProgress() {
        for t in trackers { t.flush() }
        trackers.removeAll()
    }

    /// Keeps a document a stage made (so it is not parsed from its stored text again).
    func remember(_ document: WebVTTDocument, for sha256: String) { documents[sha256] = document }
}
