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
/// 4. Each description voiced by the speak engine and fitted into its gap (the tempo cap of the
///    job); the described audio: the language's programme mix ducked under the descriptions that
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
    let voice: String?
    /// Gain of the programme while a description speaks (`mix.duck_volume`).
    let duck: Double
    let minGapMs: Int

    /// A description overflowing its gap by no more than this still fits (the margin kept
    /// around speech when finding gaps).
    static let toleranceMs = 120

    func run(_ context: StageContext) throws -> StageResult<Bool> {
        guard let lang = context.language else { throw OlleeyError.failure("describe runs per language") }
        let (job, cache, media, cancel, db) = (context.job, context.cache, context.media, context.cancel, context.db)
        let video = try context.videoRecord()
        let ff = try FFmpeg(cancel: cancel)  // analyses, frames and AD renders run ffmpeg itself
        let store = TrackStore(db)
        guard let source = try store.current(job: job.id, language: job.sourceLang, kind: .source) else {
            throw OlleeyError.failure("job \(job.id) has no source track")
        }
        // 1. the gaps
        let sourceDoc = context.document(source)
        let speech = sourceDoc.cues.map { TimeRange(startMs: Int($0.startMs), endMs: Int($0.endMs)) }
        var options = SpeechGaps.Options()
        options.minGapMs = minGapMs
        let gkey = StageCache.key(["gaps1", video.sha256, source.sha256, String(minGapMs)])
        let gapsJSON = try JSON.parse(try cache.text("gaps", gkey, "json") {
            try ff.speechGaps(video.path, hasAudio: video.hasAudio, speech: speech, durationMs: video.durationMs, options: options).json.encoded()
        })
        let gaps = (gapsJSON["gaps"]?.arrayValue ?? []).compactMap { g -> TimeRange? in
            guard let s = g["start_ms"]?.intValue, let e = g["end_ms"]?.intValue else { return nil }
            return TimeRange(startMs: Int(s), endMs: Int(e))
        }
        var allCached = true

        // 2. the source language's script
        var script = try store.current(job: job.id, language: job.sourceLang, kind: .descriptions)
        if script == nil {
            guard let describer else {
                try context.jobs.mergeLanguageOutputs(job.id, lang, [("descriptions", waitingReport(job, gapsJSON))])
                return StageResult(false, cached: false)
            }
            guard !gaps.isEmpty else {
                throw OlleeyError(.invalid, "no gap in the speech is long enough for a description (\(minGapMs) ms or more)",
                                  hint: "lower describe.min_gap_ms, or write the descriptions with 'olleey vtt edit \(job.id) --lang \(job.sourceLang) --kind descriptions --file FILE' (descriptions that do not fit freeze the picture in the extended-AD video)")
            }
            let dv = try describer.version()
            var doc = WebVTTDocument()
            for (k, g) in gaps.enumerated() {
                try cancel.check()
                let key = StageCache.key(["describe", describer.name, dv, video.sha256, String(g.startMs), String(g.endMs), job.sourceLang])
                if !cache.has("describe", key, "txt") { allCached = false }
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
            script = try store.current(job: job.id, language: job.sourceLang, kind: .descriptions)
        }
        guard let script else { throw OlleeyError.failure("the descriptions track of job \(job.id) was not stored") }

        // 3. this language's script
        let langScript = try self.languageScript(context, source: script, language: lang)
        let doc = context.document(langScript)

        // 4. voiced and fitted into the gaps
        let speakVersion = try speaker.version(language: lang)
        let frameRate = try media.probe(video.path, requireVideo: true).video?.frameRate
        let frameMs = max(1, Int((1000 / VideoTimeMap.effectiveFrameRate(frameRate)).rounded()))
        struct Voiced { var cue: Cue; var id: String; var natural: Int; var factor: Double; var fitted: Int; var overflow: Int; var fitKey: String; var path: String }
        var voiced: [Voiced] = []
        for (k, c) in doc.cues.enumerated() {
            try cancel.check()
            let text = SpeechText.of(c.text)
            if text.isEmpty { continue }
            let skey = StageCache.key(["speak", speaker.name, speakVersion, lang, voice ?? "", text])  // the dub's key: shared with it
            let (speaker, chosen) = (self.speaker, voice)
            let wav = try cache.produce("speak", skey, "wav") { tmp in try speaker.synthesize(text, language: lang, voice: chosen, to: tmp, cancel: cancel) }
            if !wav.cached { allCached = false }
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
        let fits = { (v: Voiced) in v.overflow <= DescribeStage.toleranceMs }
        // the described audio: the descriptions that fit their gaps, over the ducked programme
        let placed = voiced.filter(fits)
        let spans = placed.map { TimeRange(startMs: Int($0.cue.startMs), endMs: Int($0.cue.startMs) + $0.fitted) }
        let timeline = try self.timeline(context, placed.map { DubClip(id: $0.id, startMs: Int($0.cue.startMs), path: $0.path) },
                                         keys: placed.map { $0.fitKey + "@" + String($0.cue.startMs) }, durationMs: video.durationMs)
        if !timeline.cached { allCached = false }
        let dkey = StageCache.key(["described1", mixed.key, timeline.key, String(duck), lang])
        let described = try cache.produce("described", dkey, "m4a") { tmp in
            try ff.mixDescribed(programme: mixed.path, descriptions: timeline.path, spans: spans, duck: duck, language: lang, output: tmp)
        }
        if !described.cached { allCached = false }
        let stem = OutputLayout.languageStem(outputsDir: context.workspace.outputsDir, job: job, language: lang)
        let vttPath = stem + ".vtt"  // the language's subtitles, written by assemble
        let subtitlesKey = Digest.sha256(WebVTTSerializer.serialize(subtitles))
        let mkey = StageCache.key(["describedmp4", video.sha256, mixed.key, dkey, subtitlesKey])
        let describedMP4 = try cache.produce("describedmp4", mkey, "mp4") { tmp in
            try ff.muxDescribed(video: video.path, programme: mixed.path, described: described.path,
                                subtitles: fileExists(vttPath) ? vttPath : nil, language: lang, output: tmp)
            try MP4Disposition.disableRedundantSubtitles(tmp)  // no subtitles shown over speech in their own language
        }
        if !describedMP4.cached { allCached = false }

        // 5. extended AD: the picture held where a description does not fit
        let freezes = voiced.filter { !fits($0) }.map { Freeze(atMs: Int($0.cue.endMs), holdMs: Freeze.wholeFrames($0.overflow, frameMs: frameMs)) }
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
        let extended = try cache.produce("extended", ekey, "mp4") { tmp in
            try ff.renderExtended(video: video.path, programme: mixed.path, descriptions: extTimeline.path, spans: extSpans, freezes: freezes, duck: duck,
                                  subtitles: subtitles.cues.isEmpty ? nil : extVTT.path, language: lang, output: tmp)
            try MP4Disposition.disableRedundantSubtitles(tmp)
        }
        if !extended.cached { allCached = false }

        // the outputs
        let rel = { (p: String) in Paths.relative(p, to: context.workspace.root) }
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
        let outs: [(String, String, String)] = [("described_audio", described.path, ".described.m4a"), ("described_mp4", describedMP4.path, ".described.mp4"),
                                                ("extended_mp4", extended.path, ".extended.mp4"), ("extended_vtt", extVTT.path, ".extended.vtt")]
        for (name, path, suffix) in outs {
            try placeOutput(path, at: stem + suffix)
            pairs.append((name, .string(rel(stem + suffix))))
        }
        let cues: [JSON] = voiced.map { v in
            .object([("id", .string(v.id)), ("start_ms", .int(v.cue.startMs)), ("end_ms", .int(v.cue.endMs)), ("natural_ms", .int(Int64(v.natural))),
                     ("factor", .double((v.factor * 1000).rounded() / 1000)), ("fitted_ms", .int(Int64(v.fitted))), ("overflow_ms", .int(Int64(v.overflow))),
                     ("in_described_audio", .bool(fits(v))), ("extended_start_ms", .int(Int64(map.map(Int(v.cue.startMs)))))])
        }
        let report: JSON = .object([
            ("status", .string("ready")),
            ("engine", describer.map { .string($0.name) } ?? .null),
            ("script_version", .int(Int64(langScript.version))), ("script_author", .string(langScript.author)),
            ("speech", gapsJSON),
            ("cues", .array(cues)),
            ("extended", .object([("freezes", .array(freezes.map(\.json))), ("added_ms", .int(Int64(addedMs))),
                                  ("duration_ms", .int(Int64(video.durationMs + addedMs))), ("in_master", .bool(false))])),
            ("note", voiced.isEmpty ? .string("the descriptions track has no cue to voice") :
                freezes.isEmpty ? .null : .string("\(freezes.count) description(s) do not fit their gap: they are only in the extended-AD video, which holds the picture for \(addedMs) ms")),
        ])
        pairs.append(("descriptions", report))
        try context.jobs.mergeLanguageOutputs(job.id, lang, pairs)
        return StageResult(true, cached: allCached)
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
