import Foundation
import WebVTT

/// What the dub stage made for a language: the dub track (every cue synthesized, fitted to its
/// slot and placed on the timeline) and the fit report.
struct DubResult {
    var trackPath: String
    var trackKey: String
    /// Where the dub speaks, on the language's timeline.
    var speech: [TimeRange]
    var report: [FitResult]
    var slow: [SlowRange]
    /// Where source times land in this language's video (empty unless `--fit-mode video`
    /// slowed it).
    var map: VideoTimeMap
    /// That video's length.
    var durationMs: Int
    /// The per-cue fit report.
    var cues: [JSON]
    /// The voices of the language's speakers.
    var cast: VoiceCast
}

/// dub: each cue synthesized (several at once), its fit planned (borrow the silence after it,
/// then a tempo up to the cap), the clips fitted and placed on the timeline. Every artefact is
/// cached by its inputs; the stage is cached when all of them were.
///
/// `--fit-mode video`: cues still overflowing at the cap keep that tempo, and the video under
/// their slots plays slower instead (`FitPlanner.slowRanges`, `VideoTimeMap.frameExact`); the
/// clips are placed on the slowed timeline.
struct DubStage: PipelineStage {
    var stage: Stage { .dub }
    /// The translation, parsed.
    let document: WebVTTDocument
    let speaker: any Speaker
    /// The language's voices (`VoiceStage`), and the speaker of each cue of `document`.
    let cast: VoiceCast
    let speakers: [String?]

    /// Cues synthesized (and clip batches fitted) at once within one language.
    static let synthesisWidth = max(2, min(4, ProcessInfo.processInfo.activeProcessorCount))

    func run(_ context: StageContext) throws -> StageResult<DubResult> {
        guard let lang = context.language else { throw OlleeyError.failure("dub runs per language") }
        let job = context.job
        let video = try context.videoRecord()
        let media = context.media
        let doc = document
        let speakVersion = try speaker.version(language: lang)
        let videoMode = job.options.fitMode == "video"
        var inputs: [FitInput] = []
        var clips: [(key: String, path: String)] = []
        var allCached = true
        let keys = JobPipeline.cueKeys(doc.cues)
        var spoken: [(Int, String)] = []  // cue index, text
        for (i, c) in doc.cues.enumerated() {
            let text = SpeechText.of(c.text)  // no markup, speaker labels, [sound tags] or dashes
            if !text.isEmpty { spoken.append((i, text)) }
        }
        // each cue's voice: its speaker's, else the language's (the key of a cue without a
        // speaker is what it was before the registry)
        let choices = spoken.map { cast.choice(for: $0.0 < speakers.count ? speakers[$0.0] : nil) }
        // synthesis, several cues at once (engines are separate processes or servers)
        let speakKeys = zip(spoken, choices).map { StageCache.key(["speak", speaker.name, speakVersion, lang, $1.cacheKey, $0.1]) }
        let (cache, cancel, engine, texts) = (context.cache, context.cancel, speaker, spoken.map(\.1))
        let count = context.progress(.dub, total: texts.count, unit: "cues")
        let wavs = try concurrentMap(texts.count, width: DubStage.synthesisWidth) { n -> (path: String, cached: Bool) in
            try cancel.check()
            defer { count.tick() }
            return try cache.produce("speak", speakKeys[n], "wav") { tmp in
                try engine.synthesize(texts[n], language: lang, choice: choices[n], to: tmp, cancel: cancel)
            }
        }
        for (n, (i, _)) in spoken.enumerated() {
            let c = doc.cues[i]
            let wav = wavs[n]
            if !wav.cached { allCached = false }
            let natural = try WAVHeader.read(wav.path)?.durationMs ?? media.audioDurationMs(wav.path)
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
            let v = try media.probe(video.path, requireVideo: true).video
            guard let v, FFmpeg.slowableVideoCodecs.contains(v.codec) else {
                throw OlleeyError(.unavailable, "fit mode 'video' needs an H.264 or HEVC source (this one is \(v?.codec ?? "unknown")); \(slow.count) cue(s) overflow",
                                  hint: "create the job fitting by audio, or convert the source to H.264 first", next: [.input("fit-mode", example: "audio")])
            }
            map = try VideoTimeMap.frameExact(slow, durationMs: video.durationMs, frameRate: v.frameRate)
        }
        let durationMs = video.durationMs + map.addedMs
        let fitKeys0 = plan.enumerated().map { k, r in StageCache.key(["fit", "mono48k", clips[k].key, String(format: "%.4f", r.factor)]) }
        if try fit(plan, clips: clips, keys: fitKeys0, context) { allCached = false }
        var dubClips: [DubClip] = []
        var speech: [TimeRange] = []
        var fitKeys: [String] = []
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
            try media.buildDubTrack(clips: dubClips, durationSeconds: Double(durationMs) / 1000, output: tmp, format: .dub)
        }
        var cues = videoMode ? zip(inputs, plan).map { FitPlanner.videoReport($0, $1, map: map) } : plan.map(\.json)
        if !cast.members.isEmpty {
            // each cue's speaker and voice
            for k in cues.indices where k < spoken.count {
                guard case .object(var pairs) = cues[k] else { continue }
                let who = spoken[k].0 < speakers.count ? speakers[spoken[k].0] : nil
                pairs.append(("speaker", JSON(who)))
                pairs.append(("voice", .string(choices[k].label)))
                cues[k] = .object(pairs)
            }
        }
        return StageResult(DubResult(trackPath: track.path, trackKey: tkey, speech: speech, report: plan, slow: slow, map: map, durationMs: durationMs, cues: cues, cast: cast),
                           cached: allCached && track.cached)
    }

    /// Fits the clips not in the cache: no tempo change is converted in process; the others go
    /// to ffmpeg's atempo in batches (one process per 40 clips, not per clip), several batches at
    /// once. Returns whether any clip was fitted.
    func fit(_ plan: [FitResult], clips: [(key: String, path: String)], keys: [String], _ context: StageContext) throws -> Bool {
        let (cache, media) = (context.cache, context.media)
        var fitted = false
        var stretch: [(input: String, output: String, factor: Double)] = []
        for (k, r) in plan.enumerated() where !cache.has("fit", keys[k], "wav") {
            fitted = true
            if abs(r.factor - 1) < 0.0005 {
                _ = try cache.produce("fit", keys[k], "wav") { tmp in
                    if try PCMResample.convert(clips[k].path, to: tmp, format: .dub) { return }
                    try media.fitClip(clips[k].path, to: tmp, factor: 1, maxDurationMs: nil, exactDurationMs: nil, format: .dub)
                }
            } else {
                let out = cache.path("fit", keys[k], "wav")
                try FileIO.createDirectory((out as NSString).deletingLastPathComponent)
                stretch.append((clips[k].path, out, r.factor))
            }
        }
        if !stretch.isEmpty {
            let batch = 40
            let parts = stride(from: 0, to: stretch.count, by: batch).map { Array(stretch[$0..<min(stretch.count, $0 + batch)]) }
            _ = try concurrentMap(parts.count, width: DubStage.synthesisWidth) { n in try media.fitClips(parts[n], format: .dub, batch: batch) }
        }
        return fitted
    }
}
