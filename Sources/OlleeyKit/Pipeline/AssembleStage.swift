import Foundation
import WebVTT

/// assemble: the language's VTT, SRT, audio and MP4 under outputs/. Its side file (its dub and
/// subtitles, tagged) is made first and its audio recorded, so the master may be built while
/// this language's MP4 is muxed. A slowed video (`--fit-mode video`): the subtitles follow it
/// (the stored track stays in source time), the MP4 uses the slowed video, and the outputs say
/// `"in_master": false`.
struct AssembleStage: PipelineStage {
    var stage: Stage { .assemble }
    let translation: TrackVersion
    /// The translation, parsed.
    let document: WebVTTDocument
    let dub: DubResult
    let mixed: (path: String, key: String)
    let voice: String?
    let speakerName: String

    func run(_ context: StageContext) throws -> StageResult<Bool> {
        guard let lang = context.language else { throw OlleeyError.failure("assemble runs per language") }
        let (job, workspace, media, cache) = (context.job, context.workspace, context.media, context.cache)
        let video = try context.videoRecord()
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
            let map = dub.map
            let mapped = Timing.apply(document) { Int64(map.map(Int($0))) }
            try FileIO.writeAtomically(WebVTTSerializer.serialize(mapped), to: vttPath)
            try FileIO.writeAtomically(SRT.serialize(mapped), to: srtPath)
        } else {
            try FileIO.writeAtomically(translation.content, to: vttPath)
            try FileIO.writeAtomically(SRT.serialize(document), to: srtPath)
        }
        // --captions: the captions (SDH) beside the subtitles, in the same time line
        var captionsPath: String?
        if job.options.captions {
            let map = dub.map
            let captions = Captions.sdh(slowed ? Timing.apply(document) { Int64(map.map(Int($0))) } : document)
            try FileIO.writeAtomically(WebVTTSerializer.serialize(captions), to: stem + ".captions.vtt")
            try FileIO.writeAtomically(SRT.serialize(captions), to: stem + ".captions.srt")
            captionsPath = stem + ".captions.vtt"
        }
        try placeOutput(mixed.path, at: audioPath)
        let rel = { (p: String) in Paths.relative(p, to: workspace.filesRoot) }
        let outputs: JSON = .object([("mp4", .string(rel(mp4Path))), ("vtt", .string(rel(vttPath))), ("srt", .string(rel(srtPath))),
                                     ("audio", .string(rel(audioPath)))]
                                    + (captionsPath.map { [("captions_vtt", .string(rel($0))), ("captions_srt", .string(rel(stem + ".captions.srt")))] } ?? [])
                                    // a slowed video cannot share the master's video stream: its own MP4 is the deliverable
                                    + (slowed ? [("in_master", .bool(false))] : []))
        // this language's side file (its dub and subtitles, tagged) is made first, then the
        // master's inputs are in place: it may be built while this language's MP4 is muxed
        let mp4s = MP4Cache(context)
        let audioKey = StageCache.key(["audio+subtitles", mixed.key, translation.sha256])
        let burn = job.options.burnIn == lang
        let sidePath = burn ? nil : try mp4s.side(lang, key: slowed ? StageCache.key([audioKey, dub.map.key]) : audioKey, audio: mixed.path, subtitles: vttPath)
        try context.jobs.setLanguageAudio(job.id, lang, outputs: outputs, audioKey: audioKey)
        var videoPath = video.path
        var videoKey = video.sha256
        if slowed {
            // re-encodes only the keyframe-aligned stretches around the slowed cues; shared by
            // every job and language asking for the same ranges on the same video
            videoKey = StageCache.key(["slowvideo", video.sha256, dub.map.key])
            let dub = self.dub
            videoPath = try cache.produce("video", videoKey, "mp4") { tmp in
                let applied = try media.slowVideo(video.path, ranges: dub.slow, output: tmp, scratchDir: nil)
                guard applied == dub.map else {
                    throw OlleeyError.failure("the slowed video's time map (\(applied.key)) differs from the planned one (\(dub.map.key))")
                }
            }.path
        }
        // a burn-in is of the captions when the job asks for them (in the readable style of `FFmpeg.burnInStyle`)
        let burnSource = captionsPath ?? vttPath
        let mkey = StageCache.key(["mp4", videoKey, mixed.key, translation.sha256, burn ? "burn" : "soft"]
                                  + (burn ? ["style=" + FFmpeg.burnInStyle] : []) + (burn && captionsPath != nil ? ["captions"] : []))
        // ffmpeg muxes the video with the side file (shared with the master); an edit then
        // updates that MP4 in place (MP4Layout)
        let tracks = sidePath.map { [MP4Layout.Track(path: videoPath, kind: .video), MP4Layout.Track(path: $0, kind: .audio), MP4Layout.Track(path: $0, kind: .subtitle)] } ?? []
        let mixedPath = mixed.path
        let durationMs = dub.durationMs
        let mp4 = try mp4s.deliverable("mp4", mkey, at: mp4Path, tracks: tracks) { tmp, reserve in
            // the mux (or burn-in) by seconds of media is the stage's progress
            let media = context.media(reporting: .assemble, durationMs: durationMs).media
            if let sidePath {
                try media.assemble(video: videoPath, audio: [AudioTrackSpec(path: sidePath, language: lang)],
                                   subtitles: [SubtitleTrackSpec(path: sidePath, language: lang)], to: tmp, burnIn: nil, probed: nil, moovReserve: reserve)
            } else {
                try media.assembleLanguage(video: videoPath, output: LanguageOutput(language: lang, audio: mixedPath, subtitles: burnSource), to: tmp, burnIn: burn)
            }
        }
        try cache.placeReplacing(mp4.path, at: mp4Path, stage: "mp4")
        try context.jobs.setLanguageResult(job.id, lang, outputs: outputs, fitReport: fitReport(job, slowed: slowed), renderKey: mkey)
        return StageResult(true, cached: mp4.cached)
    }

    /// The language's fit report: voice, engine, tempo cap, fit mode, (video mode) the slowed
    /// ranges, and each cue's fit.
    func fitReport(_ job: Job, slowed: Bool) -> JSON {
        let videoMode = job.options.fitMode == "video"
        var fitPairs: [(String, JSON)] = [("voice", JSON(voice)), ("engine", .string(speakerName)),
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
        if !dub.cast.members.isEmpty {
            fitPairs.append(("speakers", .array(dub.cast.members.map(\.json))))
            if !dub.cast.notes.isEmpty { fitPairs.append(("voice_notes", .array(dub.cast.notes.map { .string($0) }))) }
        }
        fitPairs.append(("cues", .array(dub.cues)))
        return .object(fitPairs)
    }
}
