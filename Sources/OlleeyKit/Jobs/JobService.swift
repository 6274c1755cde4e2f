import Foundation
import WebVTT

/// What `job create` is given.
public struct JobCreateRequest: Sendable {
    public var source: String                 // path (absolute) or URL
    public var sourceLang: String = "en"
    public var targetLanguages: [String] = []
    public var subtitlesPath: String?
    public var project: String?
    public var channel: String?
    public var voices: [String: String] = [:]
    /// `--voice-for`: a speaker's voice in this job: `SPEAKER` or `SPEAKER:LANG` -> voice.
    public var speakerVoices: [String: String] = [:]
    public var engines: [String: String] = [:]
    public var requireApproval = false
    public var burnIn: String?
    public var lipSync = false
    public var fitMode: String?
    public var maxTempo: Double?
    public var glossary: String?
    public var maxCostMicros: Int64?
    /// Audio description: a descriptions track, a described audio track and an extended-AD video per language.
    public var describe = false
    /// Captions (SDH) as well as subtitles.
    public var captions = false
    public var actor: String?
    /// The organisation the job is created in (the actor's); its project, channel and glossary
    /// are looked up there.
    public var org: String = Actor.defaultOrg
    /// The job's title (the source file's name when nil).
    public var sourceName: String?
    /// An uploaded source video (`SourceVideoService`) the source is the file of: the job is
    /// ingested from it (its ingest is done).
    public var videoId: String?

    public init(source: String) { self.source = source }
}

/// Rules of jobs: creation with validation and engine preflight, the dry-run plan, and the
/// controls (pause, resume, cancel, retry, approve, reject, delete).
public struct JobService {
    public let db: Database
    public let workspace: Workspace
    public let environment: [String: String]

    public init(db: Database, workspace: Workspace, environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.db = db; self.workspace = workspace; self.environment = environment
    }

    public static let engineStages = ["transcribe", "translate", "speak", "separate"]

    // MARK: engines

    /// Engine settings: workspace config, with a job's `--engine stage=name` overrides.
    public func engineSettings(overrides: [String: String] = [:]) throws -> [String: String] {
        let cfg = ConfigStore(db)
        var s: [String: String] = [:]
        for k in ConfigKeys.all { if let v = try cfg.value(k.name) { s[k.name] = v } }
        for (k, v) in try cfg.allStored() where k.hasPrefix("engines.") { s[k] = v }  // per-language voices
        if let sep = s["engines.separate"] { s["engines.separate.command"] = sep }
        s.removeValue(forKey: "engines.separate")
        for (stage, name) in overrides { s["engines.\(stage)"] = name }
        return s
    }

    /// The engines a language unit of `job run` needs, for `languages` only (a language whose pair
    /// went missing fails alone, at the stage of the engine that failed: a `StageFailure`).
    func enginesForRun(_ job: Job, languages: [String]) throws -> PipelineEngines {
        try enginesByStage(sourceLang: job.sourceLang, targets: languages, overrides: job.options.engines,
                           needsTranscriber: false, lipSync: job.options.lipSync)
    }

    /// What a job's preparation needs: ffmpeg, and a transcriber when it has no source track yet.
    func transcriberForRun(_ job: Job) throws -> (any Transcriber)? {
        _ = try JobService.at(.ingest) { try FFmpeg() }
        guard try TrackStore(db).current(job: job.id, language: job.sourceLang, kind: .source) == nil else { return nil }
        let settings = try engineSettings(overrides: job.options.engines)
        return try transcriber(EngineFactory(settings: settings, environment: environment), settings, sourceLang: job.sourceLang)
    }

    /// `body`, its error labelled with the stage whose engine failed.
    static func at<T>(_ stage: Stage, _ body: () throws -> T) throws -> T {
        do { return try body() } catch let e as OlleeyError { throw StageFailure(stage: stage, error: e) }
    }

    /// The configured transcriber, preflighted (a failure is a `StageFailure` at transcribe).
    func transcriber(_ f: EngineFactory, _ settings: [String: String], sourceLang: String) throws -> any Transcriber {
        try JobService.at(.transcribe) {
            let t = try f.transcriber(settings["engines.transcribe"] == "subtitles" ? nil : settings["engines.transcribe"])
            try t.preflight(language: sourceLang)
            return t
        }
    }

    /// The job's translator for `language`, preflighted.
    public func translator(for job: Job, language: String) throws -> any Translator {
        let settings = try engineSettings(overrides: job.options.engines)
        let t = try EngineFactory(settings: settings, environment: environment).translator(settings["engines.translate"])
        try t.preflight(sourceLang: job.sourceLang, targetLangs: [language])
        return t
    }

    /// `vtt retranslate`: translates the named cues (1-based positions or ids), or every stale
    /// cue, of a language again with the job's engine, even a person's, together with any cue
    /// whose source changed since the last translation. A new version, as for any edit; the
    /// language is queued to render again. Returns the version and the cues translated.
    public func retranslate(job: Job, language: String, cues: [String], stale: Bool, author: String, reopen: Bool) throws -> (version: Int, translated: [String]) {
        let tracks = TrackService(db)
        guard try tracks.kind(job: job, language: language) == .translation else {
            throw OlleeyError.invalid("\(language) is the source language of job \(job.id): there is nothing to translate it from",
                                      hint: "edit the source track, or re-translate a target language", next: [.command("vtt edit", [JobStore(db).printedId(job.id)], options: ["lang": language])])
        }
        guard let source = try TrackStore(db).current(job: job.id, language: job.sourceLang, kind: .source) else {
            throw OlleeyError.notFound("job \(job.id) has no source track yet", next: [.command("job run", [job.id])])
        }
        let (cur, meta) = try tracks.currentCues(job: job, language: language)
        let doc = WebVTTParser.parse(cur.content, mode: .browser).document
        var positions = Set<Int>()
        for c in cues {
            guard let i = doc.cues.firstIndex(where: { $0.id == c }) ?? Int(c).flatMap({ $0 >= 1 && $0 <= doc.cues.count ? $0 - 1 : nil }) else {
                throw OlleeyError.notFound("no cue '\(c)' in the \(language) track (\(doc.cues.count) cues)", hint: "cues are addressed by id or by position 1...\(doc.cues.count)")
            }
            positions.insert(i)
        }
        if stale { for (i, m) in meta.enumerated() where m.stale { positions.insert(i) } }
        guard !positions.isEmpty || !stale else {
            throw OlleeyError.invalid("the \(language) track of job \(job.id) has no stale cues", hint: "name cues to re-translate instead")
        }
        let translator = try translator(for: job, language: language)
        let r = try TrackTranslation(db).translate(job: job, language: language, source: source, translator: translator, force: .positions(positions))
        if !r.failures.isEmpty {
            throw OlleeyError.failure("\(translator.name) failed on cue(s) \(r.failedKeys.prefix(10).joined(separator: ", ")): \(r.failures.first?.message ?? "")",
                                      hint: "edit them by hand", next: [.command("vtt edit", [JobStore(db).printedId(job.id)], options: ["lang": language])])
        }
        let version = try translator.version(from: job.sourceLang, to: language)
        let v = try db.transaction { () -> Int in
            let v = try tracks.commit(job: job, language: language, content: r.content, author: author,
                                      message: "re-translated on request by \(author): " + TrackTranslation.message(r, engine: translator.name, version: version),
                                      reopen: reopen, cues: r.cues, dropped: r.dropped)
            try JobStore(db).setSourceSHA(job.id, language, source.sha256)
            return v
        }
        return (v, r.translated)
    }

    public func engines(sourceLang: String, targets: [String], overrides: [String: String], needsTranscriber: Bool, lipSync: Bool) throws -> PipelineEngines {
        do {
            return try enginesByStage(sourceLang: sourceLang, targets: targets, overrides: overrides, needsTranscriber: needsTranscriber, lipSync: lipSync)
        } catch let f as StageFailure { throw f.error }
    }

    /// `engines`, but a failure names the stage whose engine failed (a `StageFailure`), so a
    /// language whose engine went missing after `job create` fails at that stage.
    func enginesByStage(sourceLang: String, targets: [String], overrides: [String: String], needsTranscriber: Bool, lipSync: Bool) throws -> PipelineEngines {
        _ = try JobService.at(.ingest) { try FFmpeg() }
        let settings = try engineSettings(overrides: overrides)
        let f = EngineFactory(settings: settings, environment: environment)
        let translator = try JobService.at(.translate) { () -> any Translator in
            let t = try f.translator(settings["engines.translate"])
            try t.preflight(sourceLang: sourceLang, targetLangs: targets)
            return t
        }
        let speaker = try JobService.at(.dub) { () -> any Speaker in
            let s = try f.speaker(settings["engines.speak"])
            try s.preflight(languages: targets)
            return s
        }
        let transcriber = needsTranscriber ? try self.transcriber(f, settings, sourceLang: sourceLang) : nil
        let separator = try JobService.at(.mix) { () -> (any Separator)? in
            let s = try f.separator()
            try s?.preflight()
            return s
        }
        let lipsync = try JobService.at(.lipSync) { () -> CommandTemplate? in
            var l: CommandTemplate?
            if let t = settings["engines.lipsync.command"] { l = try CommandTemplate(t, setting: "engines.lipsync.command") }
            if lipSync && l == nil {
                throw OlleeyError.unavailable("lip sync needs a lip-sync hook, and engines.lipsync.command is not set",
                                              next: [.setting("engines.lipsync.command", example: "'my-lipsync {video} {audio} {output}'")])
            }
            return l
        }
        let describer = try JobService.at(.describe) { () -> (any Describer)? in
            let d = try f.describer()
            try d?.preflight()
            return d
        }
        let diarizer = try JobService.at(.voice) { () -> (any Diarizer)? in
            let d = try f.diarizer()
            try d?.preflight()
            return d
        }
        return PipelineEngines(transcriber: transcriber, translator: translator, speaker: speaker, separator: separator, lipsync: lipsync,
                               describer: describer, diarizer: diarizer)
    }

    // MARK: create

    /// Validates the request; returns the job to insert (not yet stored) and the parsed subtitles.
    public func validate(_ r: JobCreateRequest) throws -> (Job, subtitles: String?) {
        let src = try Language.validate(r.sourceLang).code
        guard !r.targetLanguages.isEmpty else { throw OlleeyError.usage("no target languages", next: [.input("lang", example: "es,ca")]) }
        var targets: [String] = []
        for t in r.targetLanguages {
            let l = try Language.validate(t).code
            if l == src { throw OlleeyError.usage("target language \(l) is the source language") }
            if !targets.contains(l) { targets.append(l) }
        }
        let isURL = r.source.hasPrefix("http://") || r.source.hasPrefix("https://") || r.source.hasPrefix("file://")
        if !isURL {
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: r.source, isDirectory: &isDir) else {
                throw OlleeyError.notFound("no such file: \(r.source)", hint: "give the path of a video file or an http(s) URL")
            }
            if isDir.boolValue { throw OlleeyError.invalid("\(r.source) is a directory, not a video") }
        }
        // issue 10: a file that is not media is refused now, not at the end of a run
        let media = isURL ? nil : try probeSource(r.source)
        let mediaDurationMs = media?.durationMs
        if let media, media.audio == nil, r.subtitlesPath == nil {
            let name = (r.source as NSString).lastPathComponent
            throw OlleeyError.invalid("\(name) has no audio stream to transcribe", hint: "give its subtitles (a video without audio can still be dubbed from them)", next: [.input("subtitles", example: "FILE")])
        }
        for (stage, name) in r.engines {
            guard JobService.engineStages.contains(stage) else {
                throw OlleeyError.usage("unknown engine stage '\(stage)'", hint: "stages: \(JobService.engineStages.joined(separator: ", "))", next: [.input("engine", example: "translate=apertium")])
            }
            let names = stage == "translate" ? EngineFactory.translators : stage == "speak" ? EngineFactory.speakers : stage == "transcribe" ? EngineFactory.transcribers + ["subtitles"] : ["command"]
            guard names.contains(name) else {
                throw OlleeyError.usage("unknown \(stage) engine '\(name)'", hint: "choose one of: \(names.joined(separator: ", "))")
            }
        }
        var voices: [String: String] = [:]
        for (l, v) in r.voices {
            let code = try Language.validate(l).code
            guard targets.contains(code) else { throw OlleeyError.usage("a voice for \(l) (\(v)), which is not a target language", next: [.input("voice", example: "\(targets.first ?? "es")=VOICE")]) }
            voices[code] = v
        }
        var speakerVoices: [String: String] = [:]
        for (k, v) in r.speakerVoices {
            let parts = k.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            let name = SpeakerName.display(parts[0])
            let voice = v.trimmingCharacters(in: .whitespaces)
            guard !name.isEmpty, !voice.isEmpty else {
                throw OlleeyError.usage("--voice-for takes SPEAKER=VOICE or SPEAKER:LANG=VOICE (got '\(k)=\(v)')", next: [.input("voice-for", example: "Ana=+f3")])
            }
            var key = name.lowercased()
            if parts.count == 2 {
                let code = try Language.validate(parts[1]).code
                guard targets.contains(code) else { throw OlleeyError.usage("a voice for \(name) in \(parts[1]), which is not a target language", next: [.input("voice-for", example: "\(name):\(targets.first ?? "es")=VOICE")]) }
                key += ":" + code
            }
            speakerVoices[key] = voice
        }
        if let b = r.burnIn {
            let code = try Language.validate(b).code
            guard targets.contains(code) else { throw OlleeyError.usage("subtitles to burn in for \(b), which is not a target language", next: [.input("burn-in", example: targets.first ?? "es")]) }
        }
        var subtitles: String?
        if let p = r.subtitlesPath {
            // issue 10: timing that does not parse, inverted or out-of-order cues, and cues far
            // too long for their slot are refused here (65, file:line:col)
            let cues = try SubtitleCheck.timing(path: p)
            subtitles = try SubtitleImport.load(p)
            let wpm = Int(try engineSettings(overrides: r.engines)["engines.speak.rate"] ?? "") ?? 175
            let name = (p as NSString).lastPathComponent
            try SubtitleCheck.refuse(SubtitleCheck.farTooLong(cues, mediaDurationMs: mediaDurationMs, wordsPerMinute: wpm), file: name,
                                     hint: "split the cue or shorten its text: speech up to \(String(format: "%g", SubtitleCheck.farTooLongFactor))x its slot is sped up (fit.max_tempo) and the rest reported as overflow; more is refused")
        }
        // issue 5: project, channel and glossary by id or name (unknown: 66); the job stores ids
        let inOrg = Actor(email: r.actor, org: r.org)
        let projectId = try r.project.map { try ProjectService(db, actor: inOrg).resolve($0).id }
        let channelId = try r.channel.map { try ChannelService(db, actor: inOrg).resolve($0).id }
        let glossaryId = try r.glossary.map { try GlossaryStore(db, org: r.org).resolve($0).id }
        let cfg = ConfigStore(db)
        let maxTempo = try r.maxTempo ?? Double(cfg.value("fit.max_tempo") ?? "1.3") ?? 1.3
        let fitMode = try r.fitMode ?? cfg.value("fit.mode") ?? "audio"
        if r.describe && fitMode == "video" {
            // a slowed language video and the extended-AD video would each retime the picture
            throw OlleeyError.usage("--describe cannot be combined with --fit-mode video",
                                    hint: "descriptions that do not fit their gap already hold the picture in the extended-AD video; fit the dub by audio",
                                    next: [.input("fit-mode", example: "audio")])
        }
        var opts = JobOptions(targetLanguages: targets, subtitlesPath: r.subtitlesPath, engines: r.engines, voices: voices,
                              lipSync: r.lipSync, burnIn: try r.burnIn.map { try Language.validate($0).code }, requireApproval: r.requireApproval,
                              fitMode: fitMode, maxTempo: maxTempo, glossary: glossaryId, maxCostMicros: r.maxCostMicros, describe: r.describe)
        opts.captions = r.captions
        opts.speakerVoices = speakerVoices
        let now = Clock.nowISO()
        let given = r.sourceName?.trimmingCharacters(in: .whitespacesAndNewlines)
        let name = (given?.isEmpty == false ? given : nil)
            ?? (isURL ? (URL(string: r.source)?.lastPathComponent ?? "video") : (r.source as NSString).lastPathComponent)
        var job = Job(id: ID.uuid7(), source: r.source, sourceName: name.isEmpty ? "video" : name, sourceLang: src, videoId: r.videoId,
                      status: .queued, stage: nil, options: opts, projectId: projectId, channelId: channelId, error: nil, errorStage: nil,
                      paused: false, cancelRequested: false, createdAt: now, updatedAt: now, startedAt: nil, completedAt: nil)
        job.orgId = r.org
        return (job, subtitles)
    }

    /// The path of a local source (a path or a `file://` URL), nil for a URL to fetch.
    static func localSource(_ source: String) -> String? {
        if source.hasPrefix("http://") || source.hasPrefix("https://") { return nil }
        if source.hasPrefix("file://") { return String(source.dropFirst("file://".count)).removingPercentEncoding ?? String(source.dropFirst(7)) }
        return source
    }

    /// Probes a local source with ffprobe (the result is cached for ingest): a file that is not
    /// media, or has no video stream, is bad input (65).
    func probeSource(_ path: String) throws -> MediaInfo {
        var ff = try FFmpeg()
        ff.metadataCacheDirectory = workspace.cacheDir + "/probe"
        do { return try ff.probe(path, requireVideo: true) } catch let e as OlleeyError where e.code == .invalid {
            throw OlleeyError(.invalid, e.message, hint: e.hint ?? "give a video file that ffprobe can read (check it with: ffprobe \((path as NSString).lastPathComponent))")
        }
    }

    /// Refuses a `--voice` the speech engine does not have (65), with the voices it has; only
    /// engines that can list their voices (espeak-ng) are checked.
    public func checkVoices(_ job: Job, speaker: any Speaker) throws {
        guard let espeak = speaker as? EspeakSpeaker else { return }
        for (lang, voice) in job.options.voices.sorted(by: { $0.key < $1.key }) { try espeak.checkVoice(voice, language: lang) }
        // --voice-for: for its language, else for every target language
        for (key, voice) in job.options.speakerVoices.sorted(by: { $0.key < $1.key }) {
            let parts = key.split(separator: ":", maxSplits: 1).map(String.init)
            for lang in parts.count == 2 ? [parts[1]] : job.options.targetLanguages { try espeak.checkVoice(voice, language: lang) }
        }
    }

    /// Creates a job (after validation and engine preflight): one transaction.
    public func create(_ r: JobCreateRequest) throws -> Job {
        var (job, subtitles) = try validate(r)
        try CostService(db).enforceBudget(job, hasSubtitles: subtitles != nil)  // issue 5: --max-cost (exit 1, nothing created)
        let engines = try engines(sourceLang: job.sourceLang, targets: job.options.targetLanguages, overrides: job.options.engines,
                                  needsTranscriber: subtitles == nil, lipSync: job.options.lipSync)
        try checkVoices(job, speaker: engines.speaker)
        if job.videoId == nil, workspace.location.storage != nil, let local = JobService.localSource(job.source), FileManager.default.fileExists(atPath: local) {
            // many machines: a local source is stored now, where a worker on any machine finds it
            job.videoId = try IngestStage.store(local, name: job.sourceName, db: db, workspace: workspace, mirror: try ObjectMirror.of(workspace)) {
                try probeSource($0)
            }
        }
        try db.transaction {
            try JobStateMachine(db).create(job)
            if let s = subtitles {
                try TrackStore(db).add(job: job.id, language: job.sourceLang, kind: .source, content: s,
                                       author: try LocalAuthor.resolve(explicit: r.actor, environment: environment, config: ConfigStore(db)), message: "imported from \((r.subtitlesPath ?? "") as NSString).lastPathComponent)")
            }
            try EventStore(db).append("job.created", job: job.id, ["languages": .array(job.options.targetLanguages.map { .string($0) })])
            try AuditLog(db).record(actor: r.actor, action: "job.create", subject: job.id)
        }
        return job
    }

    // MARK: controls

    public func pause(_ job: Job) throws -> Job {
        guard ![.completed, .cancelled].contains(job.status) else { throw OlleeyError.conflict("job \(job.id) is \(job.status.rawValue); nothing to pause") }
        try db.transaction {
            try JobStore(db).setFlags(job.id, paused: true)
            try JobStateMachine(db).transition(job.id, to: .paused, by: .pause, error: job.error, errorStage: job.errorStage)
        }
        return try JobStore(db).resolve(job.id)
    }

    public func resume(_ job: Job) throws -> Job {
        guard job.status == .paused || job.paused else { throw OlleeyError.conflict("job \(job.id) is not paused (it is \(job.status.rawValue))") }
        try db.transaction {
            try JobStore(db).setFlags(job.id, paused: false)
            try JobStateMachine(db).transition(job.id, to: .queued, by: .resume)
        }
        return try JobStore(db).resolve(job.id)
    }

    public func cancel(_ job: Job) throws -> Job {
        guard ![.completed, .cancelled].contains(job.status) else { throw OlleeyError.conflict("job \(job.id) is already \(job.status.rawValue)") }
        try db.transaction {
            let store = JobStore(db)
            try store.setFlags(job.id, cancelRequested: true)
            for l in try store.languages(job.id) where !l.status.isFinished || l.status == .waitingApproval {
                try store.setLanguage(job.id, l.language, status: .cancelled)
            }
            try JobStateMachine(db).transition(job.id, to: .cancelled, by: .cancel)
        }
        return try JobStore(db).resolve(job.id)
    }

    /// Puts failed (or all, with a stage) languages back in the queue. `stage` forces that stage
    /// and the ones after it to run again (translate: a new machine translation).
    public func retry(_ job: Job, stage: Stage?) throws -> Job {
        let store = JobStore(db)
        let langs = try store.languages(job.id)
        guard job.status == .failed || stage != nil || langs.contains(where: { $0.status == .failed }) || job.status == .cancelled else {
            throw OlleeyError.conflict("job \(job.id) has nothing to retry (it is \(job.status.rawValue))", hint: "name a stage to run it again", next: [.input("stage", example: "STAGE")])
        }
        try db.transaction {
            try store.setFlags(job.id, paused: false, cancelRequested: false)
            if stage == .ingest { try store.clearVideo(job.id) }
            for l in langs where l.status == .failed || l.status == .cancelled || stage != nil {
                try store.setLanguage(job.id, l.language, status: .queued)
                if let s = stage, s <= .translate {
                    try store.setSourceSHA(job.id, l.language, nil)
                }
            }
            try JobStateMachine(db).transition(job.id, to: .queued, by: .retry, record: ("job.retry", ["stage": JSON(stage?.rawValue)]))
        }
        return try store.resolve(job.id)
    }

    /// Records a language's approval or rejection; a job waiting for approval is queued again
    /// once every language is approved. Not public: every approval goes through
    /// `QCService.decide`, which checks who may decide first.
    func review(_ job: Job, language: String, approve: Bool, reason: String?, actor: String?) throws -> Job {
        let store = JobStore(db)
        guard let l = try store.language(job.id, language) else {
            throw OlleeyError.notFound("job \(job.id) has no language \(language)", hint: "its languages: \(job.options.targetLanguages.joined(separator: ", "))")
        }
        if approve && l.approval == "approved" { throw OlleeyError.conflict("\(language) of job \(job.id) is already approved") }
        let why: String? = approve ? reason : try JobService.rejectionReason(reason, job: job, language: language)
        // the same rejection again records nothing new
        if !approve && l.approval == "rejected" && l.approvalReason == why { return try store.resolve(job.id) }
        try db.transaction {
            try store.setApproval(job.id, language, approve ? "approved" : "rejected", reason: why)
            if approve {
                try TrackStore(db).setLocked(job: job.id, language: language, true)
                let all = try store.languages(job.id)
                if job.status == .waitingApproval, all.allSatisfy({ $0.approval == "approved" || $0.status == .failed || $0.status == .cancelled }) {
                    try JobStateMachine(db).transitionIfAllowed(job.id, to: .queued, by: .approve)  // not if it was paused or cancelled meanwhile
                }
            } else {
                try store.setLanguage(job.id, language, status: .waitingApproval, stage: Stage.approval.rawValue,
                                      error: "rejected" + (why.map { ": " + $0 } ?? ""), errorStage: Stage.approval.rawValue)
            }
            try EventStore(db).append(approve ? "language.approved" : "language.rejected", job: job.id, language: language, ["reason": JSON(why)])
            try AuditLog(db).record(actor: actor, action: approve ? "language.approve" : "language.reject", subject: "\(job.id)/\(language)",
                                    detail: ["reason": JSON(why)])
        }
        return try store.resolve(job.id)
    }

    /// A rejection's reason, trimmed; a usage error (64) when there is none.
    public static func rejectionReason(_ reason: String?, job: Job, language: String) throws -> String {
        guard let why = reason?.trimmingCharacters(in: .whitespacesAndNewlines), !why.isEmpty else {
            throw OlleeyError.usage("rejecting \(language) of job \(job.id) needs a reason",
                                    hint: "say what to fix", next: [.input("reason", example: "'wrong product names'")])
        }
        return why
    }

    public func delete(_ job: Job, force: Bool) throws {
        let running = try JobStore(db).hasLiveLanguageLease(job.id)
        if running && !force { throw OlleeyError.conflict("job \(job.id) is running", hint: "cancel it first, or force it", next: [.command("job cancel", [job.id]), .input("force")]) }
        try db.transaction {
            try JobStore(db).delete(job.id)
            try EventStore(db).append("job.deleted", job: job.id)
            try AuditLog(db).record(actor: nil, action: "job.delete", subject: job.id)
        }
        try? FileManager.default.removeItem(atPath: workspace.outputsDir + "/" + job.id)
        // in an object store, its objects too (the job is gone already: a failure here leaves files, not a job)
        try? ObjectMirror.of(workspace)?.remove("outputs/" + job.id)
    }
}
