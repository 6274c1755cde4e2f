import Foundation
import WebVTT

/// The engines a job runs with, resolved before any work.
public struct PipelineEngines: Sendable {
    public var transcriber: (any Transcriber)?
    public var translator: any Translator
    public var speaker: any Speaker
    public var separator: (any Separator)?
    public var lipsync: CommandTemplate?

    public init(transcriber: (any Transcriber)?, translator: any Translator, speaker: any Speaker,
                separator: (any Separator)? = nil, lipsync: CommandTemplate? = nil) {
        self.transcriber = transcriber; self.translator = translator; self.speaker = speaker
        self.separator = separator; self.lipsync = lipsync
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

/// The stages of a job, each a function of its inputs, cached by a hash of them.
/// One instance per worker thread (it holds that thread's database connection).
public final class JobPipeline: @unchecked Sendable {
    public let workspace: Workspace
    public let db: Database
    public let cache: StageCache
    let worker: String
    let cancel: CancelToken
    let ffmpeg: FFmpeg
    let log: @Sendable (String) -> Void

    public init(workspace: Workspace, db: Database, worker: String, cancel: CancelToken, log: @escaping @Sendable (String) -> Void) throws {
        self.workspace = workspace
        self.db = db
        self.cache = StageCache(root: workspace.cacheDir)
        self.worker = worker
        self.cancel = cancel
        var ffmpeg = try FFmpeg(cancel: cancel)
        ffmpeg.metadataCacheDirectory = workspace.cacheDir + "/probe"  // probes and the version survive the process
        self.ffmpeg = ffmpeg
        self.log = log
    }

    var jobs: JobStore { JobStore(db) }

    /// Cues synthesized (and clip batches fitted) at once within one language.
    static let synthesisWidth = max(2, min(4, ProcessInfo.processInfo.activeProcessorCount))
    var events: EventStore { EventStore(db) }

    // MARK: stage bookkeeping

    /// Runs one stage: records it in stage_runs and the event log, maps failures to the stage.
    @discardableResult
    func stage<T>(_ s: Stage, job: Job, language: String?, _ body: () throws -> (T, cached: Bool)) throws -> T {
        try checkStop(job.id)
        try checkLease(job.id, language)
        let started = Clock.monotonicNanos()
        let lang = language ?? ""
        if let language {
            try jobs.setLanguage(job.id, language, status: .processing, stage: s.rawValue)
        }
        try refreshJobStatus(job.id, running: s)
        try db.run("INSERT INTO stage_runs(job_id, language, stage, state, worker, started_at) VALUES (?, ?, ?, 'running', ?, ?)",
                   [.text(job.id), .text(lang), .text(s.rawValue), .text(worker), .text(Clock.nowISO())])
        let runId = db.lastInsertRowID
        do {
            let (r, cached) = try body()
            try checkLease(job.id, language)  // the result is recorded only under the lease
            let ms = Int64((Clock.monotonicNanos() - started) / 1_000_000)
            try db.run("UPDATE stage_runs SET state = 'done', cached = ?, finished_at = ?, duration_ms = ? WHERE id = ?",
                       [.int(cached ? 1 : 0), .text(Clock.nowISO()), .int(ms), .int(runId)])
            if !cached {
                try events.append("stage.finished", job: job.id, language: language, ["stage": .string(s.rawValue), "duration_ms": .int(ms)])
                log("\(jobs.printedId(job.id)) \(language.map { $0 + " " } ?? "")\(s.rawValue) done in \(ms) ms")
            }
            return r
        } catch let stop as StopRequested {
            _ = try? db.run("UPDATE stage_runs SET state = 'stopped', finished_at = ? WHERE id = ?", [.text(Clock.nowISO()), .int(runId)])
            throw stop
        } catch let lost as LeaseLost {
            _ = try? db.run("UPDATE stage_runs SET state = 'abandoned', finished_at = ? WHERE id = ?", [.text(Clock.nowISO()), .int(runId)])
            throw lost
        } catch {
            let e: OlleeyError
            var cues: [String] = []
            if let f = error as? StageFailure { e = f.error; cues = f.failedCues } else { e = OlleeyError.from(error) }
            if cancel.isCancelled {
                // the subprocess was stopped because the job was paused or cancelled: not a failure
                do { try checkStop(job.id) } catch let stop as StopRequested {
                    _ = try? db.run("UPDATE stage_runs SET state = 'stopped', finished_at = ? WHERE id = ?", [.text(Clock.nowISO()), .int(runId)])
                    throw stop
                } catch {}
            }
            _ = try? db.run("UPDATE stage_runs SET state = 'failed', error = ?, finished_at = ? WHERE id = ?", [.text(e.message), .text(Clock.nowISO()), .int(runId)])
            throw StageFailure(stage: s, error: e, failedCues: cues)
        }
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

    // MARK: job-level stages

    /// ingest + transcribe: the video in media/ and the source track.
    public func prepare(_ job: Job, transcriber: (any Transcriber)?) throws -> Job {
        var job = job
        let video = try stage(.ingest, job: job, language: nil) { () -> (String, cached: Bool) in
            if let vid = job.videoId { return (vid, true) }
            let vid = try ingest(job)
            try jobs.setVideo(job.id, videoId: vid)
            return (vid, false)
        }
        job.videoId = video
        _ = try stage(.transcribe, job: job, language: nil) { () -> (Int, cached: Bool) in
            if try TrackStore(db).current(job: job.id, language: job.sourceLang, kind: .source) != nil { return (0, true) }
            guard let asr = transcriber else {
                throw OlleeyError.invalid("job has no subtitles and no transcription engine", hint: "give subtitles, or choose a transcriber", next: [.input("subtitles", example: "FILE.vtt"), .setting("engines.transcribe", example: "pocketsphinx")])
            }
            let v = try videoRecord(job)
            guard v.hasAudio else {
                throw OlleeyError.invalid("\(job.sourceName) has no audio stream and no subtitles were given: nothing to transcribe or dub",
                                          hint: "create the job with subtitles, or use a video with sound", next: [.input("subtitles", example: "FILE.vtt")])
            }
            let key = StageCache.key(["speech16k", v.sha256])
            let wav = try cache.produce("audio", key, "wav") { tmp in try ffmpeg.extractAudio(from: v.path, to: tmp, target: .speech) }
            let cues = try asr.transcribe(wav.path, language: job.sourceLang, cancel: cancel)
            guard !cues.isEmpty else { throw OlleeyError.invalid("\(asr.name) heard no speech in \(job.sourceName)") }
            var doc = WebVTTDocument()
            doc.cues = cues.enumerated().map { i, c in Cue(id: String(i + 1), startMs: Int64(c.startMs), endMs: Int64(c.endMs), text: CueText.escape(c.text)) }  // plain text becomes cue text here
            let version = try asr.version(language: job.sourceLang)
            try TrackStore(db).add(job: job.id, language: job.sourceLang, kind: .source, content: WebVTTSerializer.serialize(doc),
                                   author: "olleey/\(asr.name)", message: "transcribed by \(asr.name) \(version)")
            return (cues.count, false)
        }
        return job
    }

    public struct VideoRecord: Sendable {
        public var id: String
        public var sha256: String
        public var path: String
        public var durationMs: Int
        public var hasAudio: Bool
    }

    public func videoRecord(_ job: Job) throws -> VideoRecord {
        guard let vid = job.videoId, let v = try db.queryOne("SELECT id, sha256, path, duration_ms, has_audio FROM videos WHERE id = ?", [.text(vid)], {
            VideoRecord(id: $0.string(0), sha256: $0.string(1), path: workspace.dir + "/" + $0.string(2), durationMs: $0.int(3), hasAudio: $0.bool(4))
        }) else { throw OlleeyError.failure("job \(job.id) has no ingested video") }
        return v
    }

    /// Copies or hard-links the source into media/ by SHA-256 and probes it.
    func ingest(_ job: Job) throws -> String {
        var local = job.source
        var downloaded: String?
        defer { if let d = downloaded { unlink(d) } }
        if job.source.hasPrefix("http://") || job.source.hasPrefix("https://") {
            let tmp = workspace.mediaDir + "/.download-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
            downloaded = tmp
            _ = try HTTPClient(timeout: 300).download(job.source, to: tmp)
            local = tmp
        } else if job.source.hasPrefix("file://") {
            local = String(job.source.dropFirst("file://".count)).removingPercentEncoding ?? String(job.source.dropFirst(7))
        }
        guard FileManager.default.fileExists(atPath: local) else {
            throw OlleeyError.notFound("the source \(job.source) no longer exists", hint: "restore it, or create the job again")
        }
        let sha = try Digest.sha256(file: local)
        if let id = try db.scalarText("SELECT id FROM videos WHERE sha256 = ?", [.text(sha)]) { return id }
        let info = try ffmpeg.probe(local, requireVideo: true)
        let ext = (job.sourceName as NSString).pathExtension.lowercased()
        let rel = "media/\(sha).\(ext.isEmpty ? "bin" : ext)"
        let dest = workspace.dir + "/" + rel
        if !FileManager.default.fileExists(atPath: dest) { try placeOutput(local, at: dest) }
        let id = ID.uuid7()
        let size = (try? FileManager.default.attributesOfItem(atPath: dest)[.size] as? Int) ?? 0
        try db.run("INSERT OR IGNORE INTO videos(id, sha256, path, original_name, size_bytes, duration_ms, has_audio, info, created_at) VALUES (?,?,?,?,?,?,?,?,?)",
                   [.text(id), .text(sha), .text(rel), .text(job.sourceName), .int(Int64(size)), .int(Int64(info.durationMs)),
                    .int(info.audio == nil ? 0 : 1), .text(info.json.encoded()), .text(Clock.nowISO())])
        return try db.scalarText("SELECT id FROM videos WHERE sha256 = ?", [.text(sha)]) ?? id
    }

    // MARK: per-language stages

    /// Cue keys sent to translators: the cue's id when ids are unique, else its position.
    static func cueKeys(_ cues: [Cue]) -> [String] {
        let ids = cues.map(\.id)
        if !ids.contains(""), Set(ids).count == ids.count { return ids }
        return (1...max(1, cues.count)).prefix(cues.count).map(String.init)
    }

    /// translate .. assemble for one language. Returns the language's outputs.
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
    public func renderLanguage(_ job: Job, _ lang: String, engines: PipelineEngines, config: ConfigStore) throws {
        let tracks = TrackStore(db)
        let video = try videoRecord(job)
        try jobs.setLanguageAudio(job.id, lang, outputs: nil, audioKey: nil)  // this render's audio is not in place yet
        guard let source = try tracks.current(job: job.id, language: job.sourceLang, kind: .source) else {
            throw StageFailure(stage: .transcribe, error: .failure("job \(job.id) has no source track"))
        }

        // translate
        let translation: TrackVersion = try stage(.translate, job: job, language: lang) {
            let jl = try jobs.language(job.id, lang)
            if let cur = try tracks.current(job: job.id, language: lang, kind: .translation), jl?.sourceSHA == source.sha256 {
                return (cur, true)
            }
            // only what changed is translated; a person's cue is never overwritten (stale instead)
            let r = try TrackTranslation(db).translate(job: job, language: lang, source: source, translator: engines.translator, cancel: cancel)
            if !r.failures.isEmpty {
                let ids = r.failedKeys
                throw StageFailure(stage: .translate, error: .failure(
                    "\(engines.translator.name) failed on \(ids.count) cue(s) (\(ids.prefix(10).joined(separator: ", "))): \(r.failures.first?.message ?? "")",
                    hint: "edit them by hand or import a track, then retry the job",
                    next: [.command("vtt edit", [jobs.printedId(job.id)], options: ["lang": lang, "cue": "ID", "text": "TEXT"]), .command("job retry", [jobs.printedId(job.id)])]),
                    failedCues: ids)
            }
            let version = try engines.translator.version(from: job.sourceLang, to: lang)
            try tracks.add(job: job.id, language: lang, kind: .translation, content: r.content,
                           author: "olleey/\(engines.translator.name)", message: TrackTranslation.message(r, engine: engines.translator.name, version: version),
                           cues: r.cues, dropped: r.dropped)
            if !r.dropped.isEmpty || !r.stale.isEmpty {
                try events.append("track.stale", job: job.id, language: lang, ["stale": .array(r.stale.map { .string($0) }),
                                                                               "dropped": .array(r.dropped.map(\.json))])
            }
            try db.run("UPDATE job_languages SET source_sha = ? WHERE job_id = ? AND language = ?", [.text(source.sha256), .text(job.id), .text(lang)])
            guard let cur = try tracks.current(job: job.id, language: lang, kind: .translation) else { throw OlleeyError.failure("translation not stored") }
            return (cur, false)
        }

        // voice
        let voice: String? = try stage(.voice, job: job, language: lang) { (job.options.voices[lang], true) }

        // dub: synthesize each cue, plan the fit, build the timeline
        let doc = WebVTTParser.parse(translation.content, mode: .browser).document
        let speakVersion = try engines.speaker.version(language: lang)
        /// `map`: where source times land in this language's video (empty unless `--fit-mode video`
        /// slowed it); `durationMs`: that video's length; `cues`: the per-cue fit report.
        struct Dub { var trackPath: String; var trackKey: String; var speech: [TimeRange]; var report: [FitResult]
                     var slow: [SlowRange]; var map: VideoTimeMap; var durationMs: Int; var cues: [JSON] }
        let videoMode = job.options.fitMode == "video"
        let dub: Dub = try stage(.dub, job: job, language: lang) {
            var inputs: [FitInput] = []
            var clips: [(key: String, path: String)] = []
            var allCached = true
            let keys = JobPipeline.cueKeys(doc.cues)
            var spoken: [(Int, String)] = []  // cue index, text
            for (i, c) in doc.cues.enumerated() {
                let text = SpeechText.of(c.text)  // no markup, speaker labels, [sound tags] or dashes
                if !text.isEmpty { spoken.append((i, text)) }
            }
            // synthesis, several cues at once (engines are separate processes or servers)
            let speakKeys = spoken.map { StageCache.key(["speak", engines.speaker.name, speakVersion, lang, voice ?? "", $0.1]) }
            let (cache, cancel, speaker, texts) = (self.cache, self.cancel, engines.speaker, spoken.map(\.1))
            let wavs = try concurrentMap(texts.count, width: JobPipeline.synthesisWidth) { n -> (path: String, cached: Bool) in
                try cancel.check()
                return try cache.produce("speak", speakKeys[n], "wav") { tmp in
                    try speaker.synthesize(texts[n], language: lang, voice: voice, to: tmp, cancel: cancel)
                }
            }
            for (n, (i, _)) in spoken.enumerated() {
                let c = doc.cues[i]
                let wav = wavs[n]
                if !wav.cached { allCached = false }
                let natural = try WAVHeader.read(wav.path)?.durationMs ?? ffmpeg.audioDurationMs(wav.path)
                let next = n + 1 < spoken.count ? Int(doc.cues[spoken[n + 1].0].startMs) : video.durationMs
                inputs.append(FitInput(id: keys[i], startMs: Int(c.startMs), endMs: Int(c.endMs), naturalMs: natural, nextStartMs: next))
                clips.append((speakKeys[n], wav.path))
            }
            let plan = FitPlanner.plan(inputs, options: try FitOptions(cap: job.options.maxTempo).validated())
            // --fit-mode video: speech still overflowing at the cap keeps that tempo, and the video
            // under its slot plays slower instead; cues are placed on the slowed timeline
            let slow = videoMode ? FitPlanner.slowRanges(inputs, plan) : []
            var map = VideoTimeMap(ranges: [])
            if !slow.isEmpty {
                let v = try ffmpeg.probe(video.path, requireVideo: true).video
                guard let v, FFmpeg.slowableVideoCodecs.contains(v.codec) else {
                    throw OlleeyError(.unavailable, "fit mode 'video' needs an H.264 or HEVC source (this one is \(v?.codec ?? "unknown")); \(slow.count) cue(s) overflow",
                                      hint: "create the job fitting by audio, or convert the source to H.264 first", next: [.input("fit-mode", example: "audio")])
                }
                map = try VideoTimeMap.frameExact(slow, durationMs: video.durationMs, frameRate: v.frameRate)
            }
            let durationMs = video.durationMs + map.addedMs
            var dubClips: [DubClip] = []
            var speech: [TimeRange] = []
            var fitKeys: [String] = []
            // fitted clips: no tempo change is converted in process; the others go to ffmpeg's
            // atempo in batches (one process per 40 clips, not per clip), several batches at once
            let fitKeys0 = plan.enumerated().map { k, r in StageCache.key(["fit", "mono48k", clips[k].key, String(format: "%.4f", r.factor)]) }
            var stretch: [(input: String, output: String, factor: Double)] = []
            for (k, r) in plan.enumerated() where !cache.has("fit", fitKeys0[k], "wav") {
                allCached = false
                if abs(r.factor - 1) < 0.0005 {
                    _ = try cache.produce("fit", fitKeys0[k], "wav") { tmp in
                        if try PCMResample.convert(clips[k].path, to: tmp, format: .dub) { return }
                        try ffmpeg.fitClip(clips[k].path, to: tmp, factor: 1, format: .dub)
                    }
                } else {
                    let out = cache.path("fit", fitKeys0[k], "wav")
                    try FileIO.createDirectory((out as NSString).deletingLastPathComponent)
                    stretch.append((clips[k].path, out, r.factor))
                }
            }
            if !stretch.isEmpty {
                let batch = 40
                let parts = stride(from: 0, to: stretch.count, by: batch).map { Array(stretch[$0..<min(stretch.count, $0 + batch)]) }
                let ffmpeg = self.ffmpeg
                _ = try concurrentMap(parts.count, width: JobPipeline.synthesisWidth) { n in try ffmpeg.fitClips(parts[n], format: .dub, batch: batch) }
            }
            for (k, r) in plan.enumerated() {
                let fkey = fitKeys0[k]
                let fitted = cache.path("fit", fkey, "wav")
                guard FileManager.default.fileExists(atPath: fitted) else { throw OlleeyError.failure("fitting cue \(r.id) produced no audio") }
                let start = map.map(inputs[k].startMs)  // on the slowed timeline (the source time when nothing is slowed)
                dubClips.append(DubClip(id: r.id, startMs: start, path: fitted))
                speech.append(TimeRange(startMs: start, endMs: start + r.fittedMs))
                fitKeys.append(fkey + "@" + String(start))
            }
            let tkey = StageCache.key(["dubtrack", "mono48k", String(durationMs)] + fitKeys)
            let track = try cache.produce("dubtrack", tkey, "wav") { tmp in
                try ffmpeg.buildDubTrack(clips: dubClips, durationSeconds: Double(durationMs) / 1000, output: tmp, format: .dub)
            }
            let cues = videoMode ? zip(inputs, plan).map { FitPlanner.videoReport($0, $1, map: map) } : plan.map(\.json)
            return (Dub(trackPath: track.path, trackKey: tkey, speech: speech, report: plan, slow: slow, map: map, durationMs: durationMs, cues: cues),
                    allCached && track.cached)
        }

        // lip sync: a command hook, only when asked and configured
        _ = try stage(.lipSync, job: job, language: lang) { () -> (Bool, cached: Bool) in
            if job.options.lipSync && engines.lipsync == nil {
                throw OlleeyError.unavailable("lip sync was asked but engines.lipsync.command is not set",
                                              next: [.setting("engines.lipsync.command", example: "'my-lipsync {video} {audio} {output}'")])
            }
            return (false, true)
        }

        // mix: the dub over the ducked original (or a music-and-effects stem)
        let duck = Double(try config.value("mix.duck_volume") ?? "0.25") ?? 0.25
        let mixed: (path: String, key: String) = try stage(.mix, job: job, language: lang) {
            // the background, decoded once per video (or separated) as 48 kHz PCM, shared by languages
            var background: String?
            var bgKey = "none"
            var duckIt = false
            if video.hasAudio {
                let akey = StageCache.key(["audio48k-native", video.sha256])
                let orig = try cache.produce("audio", akey, "wav") { tmp in
                    let ch = try ffmpeg.probe(video.path).audio?.channels ?? 2
                    try ffmpeg.extractAudio(from: video.path, to: tmp, target: .mixNative(channels: ch))
                }
                if let sep = engines.separator {
                    let sv = try sep.version()
                    let skey = StageCache.key(["stem", sep.name, sv, video.sha256])
                    let stem = try cache.produce("stem", skey, "wav") { tmp in try sep.separate(orig.path, to: tmp, cancel: cancel) }
                    bgKey = StageCache.key(["stem48k", skey])
                    background = try cache.produce("audio", bgKey, "wav") { tmp in
                        let ch = try ffmpeg.probe(stem.path).audio?.channels ?? 2
                        try ffmpeg.extractAudio(from: stem.path, to: tmp, target: .mixNative(channels: ch))
                    }.path
                } else {
                    background = orig.path
                    bgKey = akey
                    duckIt = true
                }
            }
            // a slowed video: the background is stretched under the same ranges (the original
            // audio is kept in sync with the picture, pitch kept)
            if let bg = background, !dub.map.ranges.isEmpty {
                let channels = try WAVHeader.read(bg)?.format.channels ?? 2
                bgKey = StageCache.key(["retimed48k", bgKey, String(channels), dub.map.key])
                background = try cache.produce("audio", bgKey, "wav") { tmp in
                    try ffmpeg.retimeAudio(bg, map: dub.map, output: tmp, channels: channels)
                }.path
            }
            var opts = MixOptions()
            opts.duckGain = duck
            opts.language = lang  // the .m4a is tagged with its language (its key says so: entries before were `und`)
            let key = StageCache.key(["mix2", dub.trackKey, bgKey, String(duck), String(dub.durationMs)] + dub.speech.map { "\($0.startMs)-\($0.endMs)" } + ["lang=" + lang])
            let out = try cache.produce("mix", key, "m4a") { tmp in
                // mixed and AAC-encoded in cached 30 s segments: an edit re-does one
                let stageCache = cache
                try ffmpeg.mixSegmented(MixSources(dub: dub.trackPath, background: background, backgroundKey: bgKey, duck: duckIt,
                                                   speech: dub.speech, durationMs: dub.durationMs),
                                        output: tmp, options: opts) { key, make in
                    try stageCache.produce("aacseg", key, "aac", make).path
                }
            }
            return ((out.path, key), out.cached)
        }

        // assemble: VTT, SRT, audio and MP4 for this language
        try stage(.assemble, job: job, language: lang) { () -> (Bool, cached: Bool) in
            let stem = OutputLayout.languageStem(outputsDir: workspace.outputsDir, job: job, language: lang)
            let dir = (stem as NSString).deletingLastPathComponent
            let vttPath = stem + ".vtt"
            let srtPath = stem + ".srt"
            let audioPath = stem + ".m4a"
            let mp4Path = stem + ".mp4"
            try FileIO.createDirectory(dir)
            let slowed = !dub.map.ranges.isEmpty
            if slowed {
                // this language's subtitles follow its slowed video; the stored track stays in source time
                let mapped = Timing.apply(doc) { Int64(dub.map.map(Int($0))) }
                try FileIO.writeAtomically(WebVTTSerializer.serialize(mapped), to: vttPath)
                try FileIO.writeAtomically(SRT.serialize(mapped), to: srtPath)
            } else {
                try FileIO.writeAtomically(translation.content, to: vttPath)
                try FileIO.writeAtomically(SRT.serialize(doc), to: srtPath)
            }
            try placeOutput(mixed.path, at: audioPath)
            let rel = { (p: String) in Paths.relative(p, to: self.workspace.root) }
            let outputs: JSON = .object([("mp4", .string(rel(mp4Path))), ("vtt", .string(rel(vttPath))), ("srt", .string(rel(srtPath))),
                                         ("audio", .string(rel(audioPath)))]
                                        // a slowed video cannot share the master's video stream: its own MP4 is the deliverable
                                        + (slowed ? [("in_master", .bool(false))] : []))
            // this language's side file (its dub and subtitles, tagged) is made first, then the
            // master's inputs are in place: it may be built while this language's MP4 is muxed
            let audioKey = StageCache.key(["audio+subtitles", mixed.key, translation.sha256])
            let burn = job.options.burnIn == lang
            let sidePath = burn ? nil : try side(lang, key: slowed ? StageCache.key([audioKey, dub.map.key]) : audioKey, audio: mixed.path, subtitles: vttPath)
            try jobs.setLanguageAudio(job.id, lang, outputs: outputs, audioKey: audioKey)
            var videoPath = video.path
            var videoKey = video.sha256
            if slowed {
                // re-encodes only the keyframe-aligned stretches around the slowed cues; shared by
                // every job and language asking for the same ranges on the same video
                videoKey = StageCache.key(["slowvideo", video.sha256, dub.map.key])
                videoPath = try cache.produce("video", videoKey, "mp4") { tmp in
                    let applied = try ffmpeg.slowVideo(video.path, ranges: dub.slow, output: tmp)
                    guard applied == dub.map else {
                        throw OlleeyError.failure("the slowed video's time map (\(applied.key)) differs from the planned one (\(dub.map.key))")
                    }
                }.path
            }
            let mkey = StageCache.key(["mp4", videoKey, mixed.key, translation.sha256, burn ? "burn" : "soft"])
            // ffmpeg muxes the video with the side file (shared with the master); an edit then
            // updates that MP4 in place (MP4Layout)
            let tracks = sidePath.map { [MP4Layout.Track(path: videoPath, kind: .video), MP4Layout.Track(path: $0, kind: .audio), MP4Layout.Track(path: $0, kind: .subtitle)] } ?? []
            let mp4 = try deliverable("mp4", mkey, at: mp4Path, tracks: tracks) { tmp, reserve in
                if let sidePath {
                    try ffmpeg.assemble(video: videoPath, audio: [AudioTrackSpec(path: sidePath, language: lang)],
                                        subtitles: [SubtitleTrackSpec(path: sidePath, language: lang)], to: tmp, moovReserve: reserve)
                } else {
                    try ffmpeg.assembleLanguage(video: videoPath, output: LanguageOutput(language: lang, audio: mixed.path, subtitles: vttPath), to: tmp, burnIn: burn)
                }
            }
            try cache.placeReplacing(mp4.path, at: mp4Path, stage: "mp4")
            var fitPairs: [(String, JSON)] = [("voice", JSON(voice)), ("engine", .string(engines.speaker.name)),
                                              ("max_tempo", .double(job.options.maxTempo)), ("fit_mode", .string(videoMode ? "video" : "audio"))]
            if videoMode {
                fitPairs.append(("video", .object([
                    ("slowed_cues", .int(Int64(dub.slow.count))),
                    ("ranges", dub.map.json),
                    ("added_ms", .int(Int64(dub.map.addedMs))),
                    ("duration_ms", .int(Int64(dub.durationMs))),
                    ("in_master", .bool(!slowed)),
                    ("note", slowed ? .string("the video is slowed under \(dub.slow.count) cue(s) (+\(dub.map.addedMs) ms), so this language is not in the master MP4: its own MP4 is the deliverable") : .null),
                ])))
            }
            fitPairs.append(("cues", .array(dub.cues)))
            try jobs.setLanguageResult(job.id, lang, outputs: outputs, fitReport: .object(fitPairs), renderKey: mkey)
            return (true, mp4.cached)
        }
    }

    /// A language's side file for `MP4Layout` (its dub and subtitles, tagged, no video), by the
    /// key of its audio and subtitles; shared by its own MP4 and the master.
    func side(_ language: String, key: String, audio: String, subtitles: String) throws -> String {
        try cache.produce("side", StageCache.key(["side", language, key]), "mp4") { tmp in
            try ffmpeg.muxSide(audio: [AudioTrackSpec(path: audio, language: language, codec: "aac")],  // a mix: always AAC
                               subtitles: [SubtitleTrackSpec(path: subtitles, language: language)], to: tmp)
        }.path
    }

    /// An MP4 carrying the whole video, for the output path `dest`: when `dest` links the
    /// superseded entry of this stage and only some tracks changed, that file is updated in place
    /// (`MP4Layout.update`, writing only the changed samples); otherwise `make(tmp, moovReserve)`
    /// has ffmpeg mux it from `tracks` (empty: no update possible, no reserve). Each entry records
    /// the tracks it was made from beside it (`KEY.mp4.tracks`) for the next update.
    func deliverable(_ stage: String, _ key: String, at dest: String, tracks: [MP4Layout.Track],
                     make: (String, Int?) throws -> Void) throws -> (path: String, cached: Bool) {
        var consumed: String?
        let r = try cache.produce(stage, key, "mp4", updating: dest, update: { work, old in
            guard !tracks.isEmpty, let data = FileManager.default.contents(atPath: old + ".tracks"),
                  let recorded = try? JSONDecoder().decode([MP4Layout.Track].self, from: data) else { return false }
            let result = try MP4Layout.update(work, from: recorded, to: tracks)
            if case .declined(let why) = result { log("\(stage): muxing anew (\(why))") }
            if result.applied { consumed = old }
            return result.applied
        }, make: { tmp in
            try make(tmp, tracks.isEmpty ? nil : try MP4Layout.moovReserve(tracks))
        })
        if !r.cached {
            if let consumed { unlink(consumed + ".tracks") }
            // no fsync: a sidecar lost to a power cut only means the next edit muxes anew (and an
            // fsync here would wait for the MP4's own writeback)
            if !tracks.isEmpty, let data = try? JSONEncoder().encode(tracks) {
                let tmp = r.path + ".tracks.tmp-\(getpid())"
                try FileIO.writeScratch(Array(data), to: tmp)
                guard rename(tmp, r.path + ".tracks") == 0 else { let e = errno; unlink(tmp); throw FileIO.createError(r.path + ".tracks", e) }
            }
        }
        return r
    }

    // MARK: finishing


    /// What the master MP4 is made of: the video, the source track, and each language whose
    /// mixed audio and subtitles are in place (failed and cancelled ones left out, and those
    /// whose video `--fit-mode video` slowed: the master has the original video stream only,
    /// which their audio and subtitles no longer follow; their outputs say `"in_master": false`).
    struct MasterPlan {
        var key: String
        var video: VideoRecord
        var source: TrackVersion
        var languages: [LanguageOutput]
        /// Each language's audio key (the key of its side file).
        var audioKeys: [String]
        /// Every language counted is settled or has its audio in place (none still mixing).
        var complete: Bool
    }

    func masterPlan(_ job: Job) throws -> MasterPlan? {
        let langs = try jobs.languages(job.id)
        var parts: [String] = []
        var outs: [LanguageOutput] = []
        var keys: [String] = []
        var complete = true
        for l in langs where l.status != .failed && l.status != .cancelled {
            let running = l.status == .queued || l.status == .processing
            // a running language counts once this render's audio is in place; a settled one by
            // its last render (audio_key, or render_key for languages rendered before it existed)
            guard let key = running ? l.audioKey : (l.audioKey ?? l.renderKey) else {
                if running { complete = false }
                continue
            }
            // its video is slowed (read only once this render's outputs are in place, with its audio key)
            if JobPipeline.slowedVideo(l) { continue }
            guard let audio = l.outputs["audio"]?.stringValue, let vtt = l.outputs["vtt"]?.stringValue else { continue }
            outs.append(LanguageOutput(language: l.language, audio: workspace.root + "/" + audio, subtitles: workspace.root + "/" + vtt))
            parts += [l.language, key]
            keys.append(key)
        }
        guard !outs.isEmpty, let source = try TrackStore(db).current(job: job.id, language: job.sourceLang, kind: .source) else { return nil }
        let video = try videoRecord(job)
        return MasterPlan(key: StageCache.key(["master", video.sha256, job.sourceLang, source.sha256] + parts), video: video, source: source,
                          languages: outs, audioKeys: keys, complete: complete)
    }

    /// A language whose own video was slowed (`--fit-mode video`): left out of the master.
    /// Only the outputs of its current render say so (set with its audio, before the MP4).
    static func slowedVideo(_ l: JobLanguage) -> Bool { l.outputs["in_master"]?.boolValue == false }

    /// True when every language's audio is in place and the master for them is not built yet:
    /// the master can be built now, while the last languages' own MP4s are still being muxed.
    public func masterPending(_ job: Job) throws -> Bool {
        guard let plan = try masterPlan(job), plan.complete else { return false }
        return !cache.has("master", plan.key, "mp4")
    }

    /// The master MP4: the original audio first, then every language's dub and subtitles.
    public func buildMaster(_ job: Job) throws {
        guard let plan = try masterPlan(job) else {
            // every language that rendered has a slowed video: there is no master, and one left
            // by an earlier render (before an edit made a cue overflow) is out of date
            let langs = try jobs.languages(job.id)
            if langs.contains(where: { $0.status != .failed && $0.status != .cancelled && JobPipeline.slowedVideo($0) }) {
                unlink(OutputLayout.master(outputsDir: workspace.outputsDir, job: job))
            }
            return
        }
        try stage(.master, job: job, language: nil) { () -> (Bool, cached: Bool) in
            let srcVTT = OutputLayout.sourceVTT(outputsDir: workspace.outputsDir, job: job)
            try FileIO.createDirectory((srcVTT as NSString).deletingLastPathComponent)
            try FileIO.writeAtomically(plan.source.content, to: srcVTT)
            let masterPath = OutputLayout.master(outputsDir: workspace.outputsDir, job: job)
            // from side files: the original audio and source subtitles, and each language's (the
            // ones its own MP4 was made from); an edit then updates the master in place
            let sourceSide = try cache.produce("side", StageCache.key(["side-source", plan.video.sha256, job.sourceLang, plan.source.sha256]), "mp4") { tmp in
                try ffmpeg.muxSide(audio: plan.video.hasAudio ? [AudioTrackSpec(path: plan.video.path, language: job.sourceLang, title: FFmpeg.originalTitle(job.sourceLang))] : [],
                                   subtitles: [SubtitleTrackSpec(path: srcVTT, language: job.sourceLang)], to: tmp)
            }.path
            let sides = try zip(plan.languages, plan.audioKeys).map { l, key -> LanguageOutput in
                guard let subtitles = l.subtitles else { throw OlleeyError.failure("language \(l.language) has no subtitles for the master") }
                let side = try side(l.language, key: key, audio: l.audio, subtitles: subtitles)
                return LanguageOutput(language: l.language, audio: side, subtitles: side)
            }
            let tracks = [MP4Layout.Track(path: plan.video.path, kind: .video)]
                + (plan.video.hasAudio ? [MP4Layout.Track(path: sourceSide, kind: .audio)] : [])
                + sides.map { MP4Layout.Track(path: $0.audio, kind: .audio) }
                + [MP4Layout.Track(path: sourceSide, kind: .subtitle)]
                + sides.map { MP4Layout.Track(path: $0.audio, kind: .subtitle) }
            let m = try deliverable("master", plan.key, at: masterPath, tracks: tracks) { tmp, reserve in
                try ffmpeg.assembleMaster(video: plan.video.path, sourceLanguage: job.sourceLang, sourceSubtitles: sourceSide, languages: sides,
                                          to: tmp, originalAudio: sourceSide, moovReserve: reserve)
            }
            try cache.placeReplacing(m.path, at: masterPath, stage: "master")
            return (true, m.cached)
        }
    }

    /// The master MP4 with every finished language, then approval and publish.
    public func finish(_ job: Job) throws {
        let langs = try jobs.languages(job.id)
        let failed = langs.filter { $0.status == .failed }
        try buildMaster(job)
        try checkLease(job.id, nil)  // the job's result is written only under its lease
        if !failed.isEmpty {
            let summary = failed.map { "\($0.language) (\($0.errorStage ?? "?")): \($0.error ?? "failed")" }.joined(separator: "; ")
            try settle(job.id, to: .failed, by: .fail, stage: failed.first?.errorStage, error: "\(failed.count) of \(langs.count) language(s) failed: \(summary)",
                       errorStage: failed.first?.errorStage)
            return
        }
        if job.options.requireApproval {
            let waiting = langs.filter { $0.approval != "approved" }
            if !waiting.isEmpty {
                for l in waiting where l.status != .waitingApproval { try jobs.setLanguage(job.id, l.language, status: .waitingApproval, stage: Stage.approval.rawValue) }
                try settle(job.id, to: .waitingApproval, by: .awaitApproval, stage: Stage.approval.rawValue)
                return
            }
        }
        // issue 5 (channels): publish to the job's channel through its publisher hook; a paused
        // channel, or a language without a channel or hook, stays a draft
        var published: Set<String> = []
        if job.channelId != nil {
            published = try stage(.publish, job: job, language: nil) { (try ChannelPublisher(db: db, workspace: workspace, cancel: cancel).publish(job, log: log), false) }
        }
        for l in langs where l.status != .draft && l.status != .published && !published.contains(l.language) {
            try jobs.setLanguage(job.id, l.language, status: .draft, stage: Stage.publish.rawValue)
        }
        try CostService(db).recordJob(job)  // issue 5 (cost): the job-level actual cost (transcription)
        try settle(job.id, to: .completed, by: .complete, stage: Stage.publish.rawValue)
    }
}


/// Where a job's outputs live: `outputs/JOB/NAME.master.mp4`, `outputs/JOB/LANG/NAME.LANG.EXT`,
/// NAME being the source's file name without extension, made safe for a path. The pipeline,
/// `job outputs`, the dry-run plan and the demo all use this one layout.
public enum OutputLayout {
    public static func base(_ job: Job) -> String {
        let name = ((job.sourceName as NSString).lastPathComponent as NSString).deletingPathExtension
        let safe = String(name.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." ? $0 : "_" })
        return safe.isEmpty ? "video" : safe
    }

    public static func dir(outputsDir: String, jobId: String) -> String { outputsDir + "/" + jobId }

    public static func master(outputsDir: String, job: Job) -> String {
        dir(outputsDir: outputsDir, jobId: job.id) + "/" + base(job) + ".master.mp4"
    }

    /// `outputs/JOB/LANG/NAME.LANG` (add the extension).
    public static func languageStem(outputsDir: String, job: Job, language: String) -> String {
        dir(outputsDir: outputsDir, jobId: job.id) + "/" + language + "/" + base(job) + "." + language
    }

    public static func sourceVTT(outputsDir: String, job: Job) -> String {
        languageStem(outputsDir: outputsDir, job: job, language: job.sourceLang) + ".vtt"
    }
}
