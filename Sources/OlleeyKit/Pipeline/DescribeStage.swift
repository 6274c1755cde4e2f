import Foundation
import WebVTT

/// describe (`--describe`, per language, after the language's own outputs): audio description.
///
/// 1. The gaps in the speech (`SpeechGaps`: the transcript's cues, and ffmpeg `silencedetect`
///    at a threshold set relative to the measured speech level), cached per video and transcript.
/// 2. The source language's descriptions track (`kind=descriptions`, versioned like any track):
///    a person's (`vtt edit --kind descriptions`) when there is one, else the describer engine's,
///    one cue per gap, from frames ffmpeg extracts there. No describer and no script: the stage
///    returns `false` and the language waits for a person (`waiting_approval` at `describe`).
/// 3. The language's descriptions: the source's, translated by the job's translator (a script a
///    person edited in that language is kept as it is).
/// 4. Each description voiced by the speak engine with the narrator's voice (a voice registry
///    speaker, `describe.narrator`, cast by the voice stage: its choice is in the speech cache
///    key, so a changed narrator voice re-voices the descriptions) and fitted into its gap (the
///    tempo cap of the job); the described audio: the language's programme mix ducked under the descriptions that
///    fit, with them over it, tagged `visual_impaired+descriptions`; a described MP4 (the
///    programme audio, the described audio, the subtitles).
/// 5. Extended AD: a description that does not fit its gap holds the picture (and pauses the
///    programme) at the end of the gap for the missing time, in whole frames; the extended-AD
///    MP4 has every description, and its captions retimed by the same time map
///    (`Freeze.timeMap`, the `--fit-mode video` map). It is not in the master.
///
/// The outputs join the language's: `descriptions_vtt`, `descriptions_srt`,
/// `source_descriptions_vtt`, `described_audio`, `described_mp4`, `extended_mp4`, `extended_vtt`,
/// and the report `descriptions` (status, gaps, per cue its fit, the freezes).
struct DescribeStage: PipelineStage {
    var stage: Stage { .describe }
    /// The language's subtitles (the captions of the described and extended MP4s).
    let subtitles: WebVTTDocument
    let mixed: (path: String, key: String)
    let translator: any Translator
    let speaker: any Speaker
    let describer: (any Describer)?
    /// The narrator and its voice in this language (`VoiceStage.Output.narrator`).
    let narrator: CastMember
    /// Gain of the programme while a description speaks (`mix.duck_volume`).
    let duck: Double
    let minGapMs: Int

    /// A description overflowing its gap by no more than this still fits (the margin kept
    /// around speech when finding gaps).
    static let toleranceMs = 120

    /// A description voiced and fitted into its gap.
    struct Voiced {
        var cue: Cue
        var id: String
        var natural: Int
        var factor: Double
        var fitted: Int
        var overflow: Int
        var fitKey: String
        var path: String
        /// Within the tolerance of its gap: in the described audio.
        var fits: Bool { overflow <= DescribeStage.toleranceMs }
    }

    /// Where this render's files are, and whether all came from the cache.
    struct Rendered {
        var described: String
        /// The described audio's cache key (the master's side file follows it).
        var describedKey: String
        var describedMP4: String
        var extended: String
        var extendedVTT: String
        var freezes: [Freeze]
        var map: VideoTimeMap
        var cached: Bool
    }

    func run(_ context: StageContext) throws -> StageResult<Bool> {
        guard let lang = context.language else { throw OlleeyError.failure("describe runs per language") }
        let job = context.job
        let video = try context.videoRecord()
        let ff = try FFmpeg(cancel: context.cancel)  // analyses, frames and AD renders run ffmpeg itself
        // 1. the gaps; 2. the source language's script (nil: a person has to write it)
        let (gapsJSON, gaps) = try findGaps(context, ff)
        var allCached = true
        guard let script = try sourceScript(context, ff, gaps: gaps, cached: &allCached) else {
            try context.jobs.mergeLanguageOutputs(job.id, lang, [("descriptions", waitingReport(job, gapsJSON))])
            return StageResult(false, cached: false)
        }
        // 3. this language's script; 4. voiced and fitted; 5. the described and extended renders
        let langScript = try self.languageScript(context, source: script, language: lang)
        let doc = context.document(langScript)
        let frameRate = try context.media.probe(video.path, requireVideo: true).video?.frameRate
        let frameMs = max(1, Int((1000 / VideoTimeMap.effectiveFrameRate(frameRate)).rounded()))
        let voiced = try voice(context, doc, language: lang, cached: &allCached)
        let r = try render(context, ff, voiced, frameMs: frameMs)
        try publish(context, r, voiced: voiced, script: script, langScript: langScript, doc: doc, gapsJSON: gapsJSON)
        return StageResult(true, cached: allCached && r.cached)
    }

    /// The gaps in the speech (cached per video, transcript and minimum), as their JSON report and ranges.
    func findGaps(_ context: StageContext, _ ff: FFmpeg) throws -> (JSON, [TimeRange]) {
        let (job, store) = (context.job, TrackStore(context.db))
        let video = try context.videoRecord()
        guard let source = try store.current(job: job.id, language: job.sourceLang, kind: .source) else {
            throw OlleeyError.failure("job \(job.id) has no source track")
        }
        let speech = context.document(source).cues.map { TimeRange(startMs: Int($0.startMs), endMs: Int($0.endMs)) }
        var options = SpeechGaps.Options()
        options.minGapMs = minGapMs
        let gkey = StageCache.key(["gaps1", video.sha256, source.sha256, String(minGapMs)])
        let json = try JSON.parse(try context.cache.text("gaps", gkey, "json") {
            try ff.speechGaps(video.path, hasAudio: video.hasAudio, speech: speech, durationMs: video.durationMs, options: options).json.encoded()
        })
        let gaps = (json["gaps"]?.arrayValue ?? []).compactMap { g -> TimeRange? in
            guard let s = g["start_ms"]?.intValue, let e = g["end_ms"]?.intValue else { return nil }
            return TimeRange(startMs: Int(s), endMs: Int(e))
        }
        return (json, gaps)
    }

    /// The source language's script: a person's, else the describer's (one cue per gap, from
    /// frames at the gap), stored as a new version; nil when there is neither.
    func sourceScript(_ context: StageContext, _ ff: FFmpeg, gaps: [TimeRange], cached: inout Bool) throws -> TrackVersion? {
        let (job, cache, cancel, store) = (context.job, context.cache, context.cancel, TrackStore(context.db))
        if let script = try store.current(job: job.id, language: job.sourceLang, kind: .descriptions) { return script }
        guard let describer else { return nil }
        guard !gaps.isEmpty else {
            throw OlleeyError(.invalid, "no gap in the speech is long enough for a description (\(minGapMs) ms or more)",
                              hint: "lower describe.min_gap_ms, or write the descriptions with 'olleey vtt edit \(job.id) --lang \(job.sourceLang) --kind descriptions --file FILE' (descriptions that do not fit freeze the picture in the extended-AD video)")
        }
        let video = try context.videoRecord()
        let dv = try describer.version()
        var doc = WebVTTDocument()
        for (k, g) in gaps.enumerated() {
            try cancel.check()
            let key = StageCache.key(["describe", describer.name, dv, video.sha256, String(g.startMs), String(g.endMs), job.sourceLang])
            if !cache.has("describe", key, "txt") { cached = false }
            let text = try cache.text("describe", key, "txt") {
                let dir = NSTemporaryDirectory() + "olleey-frames-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
                defer { try? FileManager.default.removeItem(atPath: dir) }
                let mid = (g.startMs + g.endMs) / 2
                let frames = try ff.extractFrames(video.path, times: [g.startMs + 40, mid, max(g.startMs, g.endMs - 80)], dir: dir)
                return try describer.describe(frame: frames[1], framesDir: dir, startMs: g.startMs, endMs: g.endMs, language: job.sourceLang, cancel: cancel)
            }
            doc.cues.append(Cue(id: "d\(k + 1)", startMs: Int64(g.startMs), endMs: Int64(g.endMs), text: CueText.escape(text)))
        }
        try store.add(job: job.id, language: job.sourceLang, kind: .descriptions, content: WebVTTSerializer.serialize(doc),
                      author: "olleey/describe-" + describer.name, message: "descriptions of \(gaps.count) gap(s)", document: doc)
        guard let script = try store.current(job: job.id, language: job.sourceLang, kind: .descriptions) else {
            throw OlleeyError.failure("the descriptions track of job \(job.id) was not stored")
        }
        return script
    }

    /// Each description synthesized by the speak engine in the narrator's voice (the dub's cache
    /// keys: shared with it) and fitted into its gap at up to the job's tempo cap.
    func voice(_ context: StageContext, _ doc: WebVTTDocument, language lang: String, cached: inout Bool) throws -> [Voiced] {
        let (job, cache, media, cancel) = (context.job, context.cache, context.media, context.cancel)
        let speakVersion = try speaker.version(language: lang)
        var voiced: [Voiced] = []
        for (k, c) in doc.cues.enumerated() {
            try cancel.check()
            let text = SpeechText.of(c.text)
            if text.isEmpty { continue }
            let skey = StageCache.key(["speak", speaker.name, speakVersion, lang, narrator.choice.cacheKey, text])
            let (speaker, chosen) = (self.speaker, narrator.choice)
            let wav = try cache.produce("speak", skey, "wav") { tmp in try speaker.synthesize(text, language: lang, choice: chosen, to: tmp, cancel: cancel) }
            if !wav.cached { cached = false }
            let natural = try WAVHeader.read(wav.path)?.durationMs ?? media.audioDurationMs(wav.path)
            let slot = max(1, Int(c.endMs - c.startMs))
            let factor = natural > slot ? min(job.options.maxTempo, Double(natural) / Double(slot)) : 1
            let fitted = Int((Double(natural) / factor).rounded(.up))
            let fkey = StageCache.key(["fit", "mono48k", skey, String(format: "%.4f", factor)])
            let fit = try cache.produce("fit", fkey, "wav") { tmp in
                if abs(factor - 1) < 0.0005, try PCMResample.convert(wav.path, to: tmp, format: .dub) { return }
                try media.fitClip(wav.path, to: tmp, factor: factor, maxDurationMs: nil, exactDurationMs: nil, format: .dub)
            }
            voiced.append(Voiced(cue: c, id: c.id.isEmpty ? String(k + 1) : c.id, natural: natural, factor: factor, fitted: fitted,
                                 overflow: max(0, fitted - slot), fitKey: fkey, path: fit.path))
        }
        return voiced
    }

    /// The described audio and MP4 (the descriptions that fit), and the extended-AD MP4 (all of
    /// them, the picture held where one does not fit) with its retimed captions.
    func render(_ context: StageContext, _ ff: FFmpeg, _ voiced: [Voiced], frameMs: Int) throws -> Rendered {
        guard let lang = context.language else { throw OlleeyError.failure("describe runs per language") }
        let (job, cache, mixed, duck) = (context.job, context.cache, self.mixed, self.duck)
        let video = try context.videoRecord()
        var allCached = true
        let placed = voiced.filter(\.fits)
        let spans = placed.map { TimeRange(startMs: Int($0.cue.startMs), endMs: Int($0.cue.startMs) + $0.fitted) }
        let timeline = try self.timeline(context, placed.map { DubClip(id: $0.id, startMs: Int($0.cue.startMs), path: $0.path) },
                                         keys: placed.map { $0.fitKey + "@" + String($0.cue.startMs) }, durationMs: video.durationMs)
        let dkey = StageCache.key(["described1", mixed.key, timeline.key, String(duck), lang])
        let described = try cache.produce("described", dkey, "m4a") { tmp in
            try ff.mixDescribed(programme: mixed.path, descriptions: timeline.path, spans: spans, duck: duck, language: lang, output: tmp)
        }
        let vttPath = OutputLayout.languageStem(outputsDir: context.workspace.outputsDir, job: job, language: lang) + ".vtt"  // written by assemble
        let subtitlesKey = Digest.sha256(WebVTTSerializer.serialize(subtitles))
        let mkey = StageCache.key(["describedmp4", video.sha256, mixed.key, dkey, subtitlesKey])
        let describedMP4 = try cache.produce("describedmp4", mkey, "mp4") { tmp in
            try ff.muxDescribed(video: video.path, programme: mixed.path, described: described.path,
                                subtitles: fileExists(vttPath) ? vttPath : nil, language: lang, output: tmp)
            try MP4Disposition.disableRedundantSubtitles(tmp)  // no subtitles shown over speech in their own language
        }
        // extended AD: the picture held where a description does not fit
        let freezes = voiced.filter { !$0.fits }.map { Freeze(atMs: Int($0.cue.endMs), holdMs: Freeze.wholeFrames($0.overflow, frameMs: frameMs)) }
        let map = Freeze.timeMap(freezes, frameMs: frameMs)
        let addedMs = freezes.reduce(0) { $0 + $1.holdMs }
        let extSpans = voiced.map { TimeRange(startMs: map.map(Int($0.cue.startMs)), endMs: map.map(Int($0.cue.startMs)) + $0.fitted) }
        let extTimeline = try self.timeline(context, voiced.map { DubClip(id: $0.id, startMs: map.map(Int($0.cue.startMs)), path: $0.path) },
                                            keys: voiced.map { $0.fitKey + "@" + String(map.map(Int($0.cue.startMs))) }, durationMs: video.durationMs + addedMs)
        let retimed = WebVTTSerializer.serialize(Timing.apply(subtitles) { Int64(map.map(Int($0))) })
        let extVTTKey = StageCache.key(["extendedvtt", subtitlesKey, map.key])
        let extVTT = try cache.produce("extendedvtt", extVTTKey, "vtt") { tmp in try FileIO.writeAtomically(retimed, to: tmp) }
        let ekey = StageCache.key(["extended1", video.sha256, mixed.key, extTimeline.key, map.key, String(duck), extVTTKey, lang]
                                  + freezes.map { "\($0.atMs)+\($0.holdMs)" })
        let hasSubtitles = !subtitles.cues.isEmpty
        let extended = try cache.produce("extended", ekey, "mp4") { tmp in
            try ff.renderExtended(video: video.path, programme: mixed.path, descriptions: extTimeline.path, spans: extSpans, freezes: freezes, duck: duck,
                                  subtitles: hasSubtitles ? extVTT.path : nil, language: lang, output: tmp)
            try MP4Disposition.disableRedundantSubtitles(tmp)
        }
        for c in [timeline.cached, described.cached, describedMP4.cached, extTimeline.cached, extended.cached] where !c { allCached = false }
        return Rendered(described: described.path, describedKey: dkey, describedMP4: describedMP4.path, extended: extended.path, extendedVTT: extVTT.path,
                        freezes: freezes, map: map, cached: allCached)
    }

    /// Places the files under outputs/ and adds them, with the report, to the language's outputs.
    func publish(_ context: StageContext, _ r: Rendered, voiced: [Voiced], script: TrackVersion, langScript: TrackVersion, doc: WebVTTDocument, gapsJSON: JSON) throws {
        guard let lang = context.language else { throw OlleeyError.failure("describe runs per language") }
        let job = context.job
        let video = try context.videoRecord()
        let stem = OutputLayout.languageStem(outputsDir: context.workspace.outputsDir, job: job, language: lang)
        let rel = { (p: String) in Paths.relative(p, to: context.workspace.filesRoot) }
        let descVTT = stem + ".descriptions.vtt", descSRT = stem + ".descriptions.srt"
        try FileIO.writeAtomically(langScript.content, to: descVTT)
        try FileIO.writeAtomically(SRT.serialize(doc), to: descSRT)
        var pairs: [(String, JSON)] = [("descriptions_vtt", .string(rel(descVTT))), ("descriptions_srt", .string(rel(descSRT)))]
        if lang != job.sourceLang {
            let srcVTT = OutputLayout.languageStem(outputsDir: context.workspace.outputsDir, job: job, language: job.sourceLang) + ".descriptions.vtt"
            try FileIO.createDirectory((srcVTT as NSString).deletingLastPathComponent)
            try FileIO.writeAtomically(script.content, to: srcVTT)
            pairs.append(("source_descriptions_vtt", .string(rel(srcVTT))))
        }
        for (name, path, suffix) in [("described_audio", r.described, ".described.m4a"), ("described_mp4", r.describedMP4, ".described.mp4"),
                                     ("extended_mp4", r.extended, ".extended.mp4"), ("extended_vtt", r.extendedVTT, ".extended.vtt")] {
            try placeOutput(path, at: stem + suffix)
            pairs.append((name, .string(rel(stem + suffix))))
        }
        let map = r.map
        let addedMs = r.freezes.reduce(0) { $0 + $1.holdMs }
        let cues: [JSON] = voiced.map { v in
            .object([("id", .string(v.id)), ("start_ms", .int(v.cue.startMs)), ("end_ms", .int(v.cue.endMs)), ("natural_ms", .int(Int64(v.natural))),
                     ("factor", .double((v.factor * 1000).rounded() / 1000)), ("fitted_ms", .int(Int64(v.fitted))), ("overflow_ms", .int(Int64(v.overflow))),
                     ("in_described_audio", .bool(v.fits)), ("extended_start_ms", .int(Int64(map.map(Int(v.cue.startMs)))))])
        }
        let report: JSON = .object([
            ("status", .string("ready")),
            ("engine", describer.map { .string($0.name) } ?? .null),
            ("script_version", .int(Int64(langScript.version))), ("script_author", .string(langScript.author)),
            ("narrator", narrator.json),
            ("described_key", .string(r.describedKey)),
            ("speech", gapsJSON),
            ("cues", .array(cues)),
            ("extended", .object([("freezes", .array(r.freezes.map(\.json))), ("added_ms", .int(Int64(addedMs))),
                                  ("duration_ms", .int(Int64(video.durationMs + addedMs))), ("in_master", .bool(false))])),
            ("note", voiced.isEmpty ? .string("the descriptions track has no cue to voice") :
                r.freezes.isEmpty ? .null : .string("\(r.freezes.count) description(s) do not fit their gap: they are only in the extended-AD video, which holds the picture for \(addedMs) ms")),
        ])
        pairs.append(("descriptions", report))
        try context.jobs.mergeLanguageOutputs(job.id, lang, pairs)
    }

    /// What the language waits for when there is no describer and no script.
    func waitingReport(_ job: Job, _ gaps: JSON) -> JSON {
        .object([("status", .string("waiting_for_script")),
                 ("message", .string("no describer engine (engines.describe): write the descriptions with 'olleey vtt edit \(job.id) --lang \(job.sourceLang) --kind descriptions --file FILE', timed in the gaps below, then run the job again")),
                 ("speech", gaps)])
    }

    /// The language's script: the source's (for the source language), a person's edit of it in
    /// this language (kept), else the source's translated, cue by cue, timings kept.
    func languageScript(_ context: StageContext, source: TrackVersion, language lang: String) throws -> TrackVersion {
        let job = context.job
        if lang == job.sourceLang { return source }
        let store = TrackStore(context.db)
        if let cur = try store.current(job: job.id, language: lang, kind: .descriptions),
           try store.cues(job: job.id, language: lang, kind: .descriptions, version: cur).contains(where: \.human) {
            return cur  // a person's script in this language is never overwritten
        }
        let srcDoc = context.document(source)
        let (translator, cancel) = (self.translator, context.cancel)
        let key = StageCache.key(["describe-translate", translator.name, try translator.version(from: job.sourceLang, to: lang), source.sha256, lang])
        let content = try context.cache.text("descriptions", key, "vtt") {
            let keys = JobPipeline.cueKeys(srcDoc.cues)
            let texts = zip(keys, srcDoc.cues).map { TextCue(id: $0, text: SpeechText.of($1.text)) }.filter { !$0.text.isEmpty }
            let out = texts.isEmpty ? [] : try translator.translate(texts, from: job.sourceLang, to: lang, cancel: cancel)
            let byId = Dictionary(out.map { ($0.id, $0.text) }, uniquingKeysWith: { a, _ in a })
            var doc = WebVTTDocument()
            for (k, c) in zip(keys, srcDoc.cues) {
                guard let t = byId[k] else { continue }
                doc.cues.append(Cue(id: c.id, startMs: c.startMs, endMs: c.endMs, text: CueText.escape(t)))
            }
            return WebVTTSerializer.serialize(doc)
        }
        try store.add(job: job.id, language: lang, kind: .descriptions, content: content, author: "olleey/" + translator.name,
                      message: "descriptions translated from \(job.sourceLang)")
        guard let v = try store.current(job: job.id, language: lang, kind: .descriptions) else {
            throw OlleeyError.failure("the \(lang) descriptions track of job \(job.id) was not stored")
        }
        return v
    }

    /// The descriptions placed on a silent timeline of `durationMs` (mono 48 kHz WAV).
    func timeline(_ context: StageContext, _ clips: [DubClip], keys: [String], durationMs: Int) throws -> (path: String, key: String, cached: Bool) {
        let media = context.media
        let key = StageCache.key(["adtrack", "mono48k", String(durationMs)] + keys)
        let t = try context.cache.produce("adtrack", key, "wav") { tmp in
            _ = try media.buildDubTrack(clips: clips, durationSeconds: Double(durationMs) / 1000, output: tmp, format: .dub)
        }
        return (t.path, key, t.cached)
    }
}
