import Foundation
import WebVTT

/// The engines a job runs with, resolved before any work.
public struct PipelineEngines: Sendable {
    public var transcriber: (any Transcriber)?
    public var translator: any Translator
    public var speaker: any Speaker
    public var separator: (any Separator)?
    public var lipsync: CommandTemplate?
    /// `--describe`: who writes the descriptions (nil: a person, through `vtt edit --kind descriptions`).
    public var describer: (any Describer)?
    /// `engines.diarize`: who speaks when, for the cues the subtitles do not name (nil: none).
    public var diarizer: (any Diarizer)?

    public init(transcriber: (any Transcriber)?, translator: any Translator, speaker: any Speaker,
                separator: (any Separator)? = nil, lipsync: CommandTemplate? = nil, describer: (any Describer)? = nil,
                diarizer: (any Diarizer)? = nil) {
        self.transcriber = transcriber; self.translator = translator; self.speaker = speaker
        self.separator = separator; self.lipsync = lipsync; self.describer = describer; self.diarizer = diarizer
    }
}

/// Thrown by a stage when the job was paused or cancelled between stages.
struct StopRequested: Error { let cancelled: Bool }

/// Thrown when this worker no longer holds the lease of the unit it runs (the job's, or one
/// language's): it must neither run the next stage nor write a result.
struct LeaseLost: Error { let unit: String }

/// A failure of one stage, kept with its stage for `job show`.
struct StageFailure: Error {
    let stage: Stage
    let error: OlleeyError
    var failedCues: [String] = []
}

/// The stages of a job, each a function of its inputs, cached by a hash of them: this type
/// runs them in order (one file per stage, `PipelineStage`), `StageRunner` does the bookkeeping.
/// One instance per worker thread (it holds that thread's database connection).
public final class JobPipeline: @unchecked Sendable {
    public let workspace: Workspace
    public let db: Database
    public let cache: StageCache
    let worker: String
    let cancel: CancelToken
    let media: any MediaToolkit
    let log: @Sendable (String) -> Void
    var runner: StageRunner
    /// A person watching: stage starts, ends and the numbers of long stages (`ProgressView`).
    public var progress: (@Sendable (ProgressEvent) -> Void)? {
        get { runner.progress }
        set { runner.progress = newValue }
    }
    private let parses = ParseCounter()
    /// The object store's folders this pipeline (one unit) has pulled (`pullFiles`).
    private let pulled = PulledFolders()
    /// Where stages' `stage.progress` events are written from any thread.
    let progressEvents: ProgressEventWriter
    /// The object store's local copies, when media live in one (`ObjectMirror`): stages pull
    /// what they read and push what they wrote (`StageRunner`).
    let mirror: ObjectMirror?

    /// With ffmpeg for the media work; with stand-ins and their own cache instead when
    /// `environment` has `OLLEEY_STANDIN_MS` (benchmarks only, `StandIn`).
    /// `progressEvents`: the writer of `stage.progress` events to share (a runner's worker keeps
    /// one, and its connection, for every unit it runs); nil: one of this pipeline's own.
    public convenience init(workspace: Workspace, db: Database, worker: String, cancel: CancelToken,
                            environment: [String: String] = ProcessInfo.processInfo.environment, log: @escaping @Sendable (String) -> Void,
                            progressEvents: ProgressEventWriter? = nil) throws {
        if let standIn = try StandIn.from(environment) {
            try self.init(workspace: workspace, db: db, worker: worker, cancel: cancel, media: StandInMedia(standIn: standIn, cancel: cancel), log: log,
                      cacheRoot: standIn.cacheRoot(workspace), progressEvents: progressEvents)
            return
        }
        var ffmpeg = try FFmpeg(cancel: cancel)
        ffmpeg.metadataCacheDirectory = workspace.cacheDir + "/probe"  // probes and the version survive the process
        try self.init(workspace: workspace, db: db, worker: worker, cancel: cancel, media: ffmpeg, log: log, progressEvents: progressEvents)
    }

    /// `cacheRoot`: the stage cache's directory (nil: the workspace's).
    public init(workspace: Workspace, db: Database, worker: String, cancel: CancelToken, media: any MediaToolkit, log: @escaping @Sendable (String) -> Void,
                cacheRoot: String? = nil, progressEvents: ProgressEventWriter? = nil) throws {
        self.mirror = try ObjectMirror.of(workspace)
        self.workspace = workspace
        self.db = db
        self.cache = StageCache(root: cacheRoot ?? workspace.cacheDir)
        self.worker = worker
        self.cancel = cancel
        self.media = media
        self.log = log
        self.runner = StageRunner(db: db, worker: worker, cancel: cancel, log: log)
        self.progressEvents = progressEvents ?? ProgressEventWriter(like: db)
    }

    var jobs: JobStore { JobStore(db) }

    /// Subtitle documents this pipeline parsed (each version once per run).
    public var subtitleParses: Int { parses.value }

    func parse(_ content: String) -> WebVTTDocument {
        parses.increment()
        return WebVTTParser.parse(content, mode: .browser).document
    }

    func checkLease(_ jobId: String, _ language: String?) throws { try runner.checkLease(jobId, language) }

    // MARK: files in an object store

    /// With an object store: what a stage of `context` reads, made local: the job's video and
    /// its output folder (a language's stage: the source language's and its own). A pipeline
    /// runs one unit, and lists each folder once, before the unit's first stage that reads it:
    /// what the unit reads and did not write itself, earlier units pushed before they were
    /// recorded done, so it is in the store at that first listing; what the unit writes is
    /// under its lease and local. (A listing per stage cost 2 requests a stage for nothing.)
    func pullFiles(_ context: StageContext) throws {
        guard let mirror else { return }
        let job = context.job
        if job.videoId != nil { try mirror.fetch(try context.videoRecord().path) }
        let dir = "outputs/" + job.id
        let dirs = context.language.map { l in [dir + "/" + job.sourceLang] + (l == job.sourceLang ? [] : [dir + "/" + l]) } ?? [dir]
        for d in dirs where pulled.insert(d) {
            do { try mirror.pull(d) } catch { pulled.remove(d); throw error }
        }
    }

    /// With an object store: what a stage wrote in the job's output folder, uploaded before the
    /// stage is recorded done (so the next stage, on any machine, finds it); then the scratch
    /// directory is brought under its limit.
    func pushFiles(_ context: StageContext) throws {
        guard let mirror else { return }
        try mirror.push("outputs/" + context.job.id)
        mirror.trim()
    }

    // MARK: job-level stages

    /// ingest + transcribe: the video in media/ and the source track.
    public func prepare(_ job: Job, transcriber: (any Transcriber)?) throws -> Job {
        let context = StageContext(self, job: job, language: nil)
        context.job.videoId = try runner.run(IngestStage(), context)
        try runner.run(TranscribeStage(transcriber: transcriber), context)
        return context.job
    }

    public struct VideoRecord: Sendable {
        public var id: String
        public var sha256: String
        public var path: String
        public var durationMs: Int
        public var hasAudio: Bool
    }

    public func videoRecord(_ job: Job) throws -> VideoRecord {
        guard let vid = job.videoId, let v = try VideoStore(db).get(vid, workspace: workspace) else { throw OlleeyError.failure("job \(job.id) has no ingested video") }
        return v
    }

    // MARK: per-language stages

    /// Cue keys sent to translators: the cue's id when ids are unique, else its position.
    static func cueKeys(_ cues: [Cue]) -> [String] {
        let ids = cues.map(\.id)
        if !ids.contains(""), Set(ids).count == ids.count { return ids }
        return (1...max(1, cues.count)).prefix(cues.count).map(String.init)
    }

    /// translate .. assemble for one language: its track, voice, dub, mix and outputs. The
    /// source and the translation are parsed once for the run (`StageContext.document`).
    ///
    /// `--fit-mode video` (job option `fit_mode`): cues whose speech still overflows at the tempo
    /// cap keep that capped tempo, and the video under each one's slot (the cue plus the silence it
    /// borrowed) is slowed by `fitted / slot` (at most 4x, rounded to whole frames:
    /// `FitPlanner.slowRanges`, `VideoTimeMap.frameExact`). Per language, since languages
    /// overflow differently: the dub clips are placed at their mapped times on a timeline
    /// `addedMs` longer; the background (original audio or stem) is retimed under the same ranges;
    /// the language's VTT and SRT outputs are mapped (its stored track stays in source time); its
    /// MP4 uses the slowed video (cached by video and map; only the keyframe-aligned stretches
    /// around the ranges are re-encoded). Such a language cannot share the master's video stream,
    /// so its outputs say `"in_master": false` and the master leaves it out (no master when every
    /// language is slowed). The fit report adds `video` (ranges, added_ms, in_master) and, per
    /// cue, `video_factor` and `overflow_after_video_ms`. When nothing overflows, every artefact
    /// and cache key is the same as in audio mode.
    ///
    /// `--describe` (job option `describe`): then the describe stage (`DescribeStage`), voiced by
    /// the narrator the voice stage cast (`describe.narrator`, a registry speaker). Returns
    /// false when the language waits for a person to write its descriptions (no describer).
    @discardableResult
    public func renderLanguage(_ job: Job, _ lang: String, engines: PipelineEngines, config: ConfigStore) throws -> Bool {
        let context = StageContext(self, job: job, language: lang)
        _ = try context.videoRecord()
        try jobs.setLanguageAudio(job.id, lang, outputs: nil, audioKey: nil)  // this render's audio is not in place yet
        guard let source = try TrackStore(db).current(job: job.id, language: job.sourceLang, kind: .source) else {
            throw StageFailure(stage: .transcribe, error: .failure("job \(job.id) has no source track"))
        }
        let translation = try runner.run(TranslateStage(source: source, translator: engines.translator), context)
        let document = context.document(translation)
        // each cue's speaker; the source is read (and parsed) only when it has voice spans the
        // translation may have lost
        let speakers = VoiceStage.speakers(document, source: source.content.contains("<v") ? context.document(source) : nil)
        // --describe: the descriptions' narrator is a registry speaker, cast with the video's
        let narrator = job.options.describe ? try config.value("describe.narrator") ?? VoiceRegistry.narrator : nil
        let voices = try runner.run(VoiceStage(document: document, speakers: speakers, speaker: engines.speaker, diarizer: engines.diarizer,
                                               narrator: narrator), context)
        let voice = voices.cast.defaultVoice
        let dub = try runner.run(DubStage(document: document, speaker: engines.speaker, cast: voices.cast, speakers: voices.speakers), context)
        try runner.run(LipSyncStage(hook: engines.lipsync), context)
        let duck = Double(try config.value("mix.duck_volume") ?? "0.25") ?? 0.25
        let mixed = try runner.run(MixStage(dub: dub, separator: engines.separator, duck: duck), context)
        try runner.run(AssembleStage(translation: translation, document: document, dub: dub, mixed: mixed, voice: voice,
                                     speakerName: engines.speaker.name), context)
        guard job.options.describe else { return true }
        let minGap = Int(try config.value("describe.min_gap_ms") ?? "1500") ?? 1500
        let narratorVoice = voices.narrator ?? CastMember(speaker: narrator ?? VoiceRegistry.narrator, choice: VoiceChoice(voice: voice), source: .default)
        return try runner.run(DescribeStage(subtitles: document, mixed: mixed, translator: engines.translator, speaker: engines.speaker,
                                            describer: engines.describer, narrator: narratorVoice, duck: duck, minGapMs: minGap), context)
    }

    // MARK: finishing

    func masterPlan(_ job: Job) throws -> MasterPlan? { try MasterPlan.of(job, db: db, workspace: workspace) }

    /// True when every language's audio is in place and the master for them is not built yet:
    /// the master can be built now, while the last languages' own MP4s are still being muxed.
    public func masterPending(_ job: Job) throws -> Bool {
        guard let plan = try masterPlan(job), plan.complete else { return false }
        if cache.has("master", plan.key, "mp4") { return false }
        return try !masterInPlace(job, plan)
    }

    /// Whether the master in place is this plan's: the job's last master run (on any machine:
    /// each one's stage cache is its own) made it and finished, and the file is there (here, or
    /// in the object store). The finish after an early master then builds nothing again.
    func masterInPlace(_ job: Job, _ plan: MasterPlan) throws -> Bool {
        guard try StageRunStore(db).lastDone(job: job.id, language: "", stage: .master, inputHash: plan.key) else { return false }
        let path = OutputLayout.master(outputsDir: workspace.outputsDir, job: job)
        if let mirror { return try mirror.exists(path) }
        return FileManager.default.fileExists(atPath: path)
    }

    /// The master MP4: the original audio first, then every language's dub and subtitles.
    public func buildMaster(_ job: Job) throws {
        guard let plan = try masterPlan(job) else {
            // every language that rendered has a slowed video: there is no master, and one left
            // by an earlier render (before an edit made a cue overflow) is out of date
            let langs = try jobs.languages(job.id)
            if langs.contains(where: { $0.status != .failed && $0.status != .cancelled && MasterPlan.slowedVideo($0) }) {
                let path = OutputLayout.master(outputsDir: workspace.outputsDir, job: job)
                unlink(path)
                try mirror?.delete(path)
            }
            return
        }
        if try masterInPlace(job, plan) { return }
        try runner.run(MasterStage(plan: plan), StageContext(self, job: job, language: nil))
    }

    /// The master MP4 with every finished language, then approval and publish.
    public func finish(_ job: Job) throws {
        let langs = try jobs.languages(job.id)
        let failed = langs.filter { $0.status == .failed }
        try buildMaster(job)
        try checkLease(job.id, nil)  // the job's result is written only under its lease
        if !failed.isEmpty {
            let summary = failed.map { "\($0.language) (\($0.errorStage ?? "?")): \($0.error ?? "failed")" }.joined(separator: "; ")
            try runner.settle(job.id, to: .failed, by: .fail, stage: failed.first?.errorStage, error: "\(failed.count) of \(langs.count) language(s) failed: \(summary)",
                              errorStage: failed.first?.errorStage)
            return
        }
        // --describe without a describer: languages wait for a person's descriptions script
        let scripts = langs.filter { $0.status == .waitingApproval && $0.stage == Stage.describe.rawValue }
        if !scripts.isEmpty {
            try runner.settle(job.id, to: .waitingApproval, by: .awaitApproval, stage: Stage.describe.rawValue)
            return
        }
        if job.options.requireApproval {
            let waiting = langs.filter { $0.approval != "approved" }
            if !waiting.isEmpty {
                for l in waiting where l.status != .waitingApproval { try jobs.setLanguage(job.id, l.language, status: .waitingApproval, stage: Stage.approval.rawValue) }
                try runner.settle(job.id, to: .waitingApproval, by: .awaitApproval, stage: Stage.approval.rawValue)
                return
            }
        }
        // issue 5 (channels): publish to the job's channel through its publisher hook; a paused
        // channel, or a language without a channel or hook, stays a draft
        var published: Set<String> = []
        if job.channelId != nil {
            published = try runner.run(PublishStage(), StageContext(self, job: job, language: nil))
        }
        for l in langs where l.status != .draft && l.status != .published && !published.contains(l.language) {
            try jobs.setLanguage(job.id, l.language, status: .draft, stage: Stage.publish.rawValue)
        }
        try CostService(db).recordJob(job)  // issue 5 (cost): the job-level actual cost (transcription)
        try runner.settle(job.id, to: .completed, by: .complete, stage: Stage.publish.rawValue)
    }
}

/// A thread-safe count (of parsed subtitle documents).
private final class ParseCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var n = 0
    var value: Int { lock.lock(); defer { lock.unlock() }; return n }
    func increment() { lock.lock(); n += 1; lock.unlock() }
}

/// The folders a pipeline has pulled from the object store; `insert` is true the first time.
private final class PulledFolders: @unchecked Sendable {
    private let lock = NSLock()
    private var dirs: Set<String> = []
    func insert(_ dir: String) -> Bool { lock.lock(); defer { lock.unlock() }; return dirs.insert(dir).inserted }
    /// Forgets a folder whose pull failed, so that the next stage lists it again.
    func remove(_ dir: String) { lock.lock(); dirs.remove(dir); lock.unlock() }
}
