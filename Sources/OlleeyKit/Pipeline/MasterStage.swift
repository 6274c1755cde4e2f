import Foundation

/// What the master MP4 is made of: the video, the source track, and each language whose
/// mixed audio and subtitles are in place (failed and cancelled ones left out, and those
/// whose video `--fit-mode video` slowed: the master has the original video stream only,
/// which their audio and subtitles no longer follow; their outputs say `"in_master": false`).
struct MasterPlan {
    var key: String
    var video: JobPipeline.VideoRecord
    var source: TrackVersion
    var languages: [LanguageOutput]
    /// Each language's audio key (the key of its side file).
    var audioKeys: [String]
    /// Every language counted is settled or has its audio in place (none still mixing).
    var complete: Bool

    /// The plan for `job` now; nil when no language has its audio in place.
    static func of(_ job: Job, db: Database, workspace: Workspace) throws -> MasterPlan? {
        let langs = try JobStore(db).languages(job.id)
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
            if slowedVideo(l) { continue }
            guard let audio = l.outputs["audio"]?.stringValue, let vtt = l.outputs["vtt"]?.stringValue else { continue }
            outs.append(LanguageOutput(language: l.language, audio: workspace.root + "/" + audio, subtitles: workspace.root + "/" + vtt))
            parts += [l.language, key]
            keys.append(key)
        }
        guard !outs.isEmpty, let source = try TrackStore(db).current(job: job.id, language: job.sourceLang, kind: .source) else { return nil }
        guard let vid = job.videoId, let video = try VideoStore(db).get(vid, workspace: workspace) else { throw OlleeyError.failure("job \(job.id) has no ingested video") }
        return MasterPlan(key: StageCache.key(["master", video.sha256, job.sourceLang, source.sha256] + parts), video: video, source: source,
                          languages: outs, audioKeys: keys, complete: complete)
    }

    /// A language whose own video was slowed (`--fit-mode video`): left out of the master.
    /// Only the outputs of its current render say so (set with its audio, before the MP4).
    static func slowedVideo(_ l: JobLanguage) -> Bool { l.outputs["in_master"]?.boolValue == false }
}

/// master: one MP4 with the original audio first, then every language's dub, and every
/// language's subtitles, made from side files (the original audio and source subtitles, and
/// each language's, the ones its own MP4 was made from), so an edit updates it in place.
struct MasterStage: PipelineStage {
    var stage: Stage { .master }
    let plan: MasterPlan

    func run(_ context: StageContext) throws -> StageResult<Bool> {
        let (job, workspace, media, cache) = (context.job, context.workspace, context.media, context.cache)
        let plan = self.plan
        let srcVTT = OutputLayout.sourceVTT(outputsDir: workspace.outputsDir, job: job)
        try FileIO.createDirectory((srcVTT as NSString).deletingLastPathComponent)
        try FileIO.writeAtomically(plan.source.content, to: srcVTT)
        let masterPath = OutputLayout.master(outputsDir: workspace.outputsDir, job: job)
        let sourceSide = try cache.produce("side", StageCache.key(["side-source", plan.video.sha256, job.sourceLang, plan.source.sha256]), "mp4") { tmp in
            try media.muxSide(audio: plan.video.hasAudio ? [AudioTrackSpec(path: plan.video.path, language: job.sourceLang, title: FFmpeg.originalTitle(job.sourceLang))] : [],
                              subtitles: [SubtitleTrackSpec(path: srcVTT, language: job.sourceLang)], to: tmp)
        }.path
        let mp4s = MP4Cache(context)
        let sides = try zip(plan.languages, plan.audioKeys).map { l, key -> LanguageOutput in
            guard let subtitles = l.subtitles else { throw OlleeyError.failure("language \(l.language) has no subtitles for the master") }
            let side = try mp4s.side(l.language, key: key, audio: l.audio, subtitles: subtitles)
            return LanguageOutput(language: l.language, audio: side, subtitles: side)
        }
        let tracks = [MP4Layout.Track(path: plan.video.path, kind: .video)]
            + (plan.video.hasAudio ? [MP4Layout.Track(path: sourceSide, kind: .audio)] : [])
            + sides.map { MP4Layout.Track(path: $0.audio, kind: .audio) }
            + [MP4Layout.Track(path: sourceSide, kind: .subtitle)]
            + sides.map { MP4Layout.Track(path: $0.audio, kind: .subtitle) }
        let m = try mp4s.deliverable("master", plan.key, at: masterPath, tracks: tracks) { tmp, reserve in
            let media = context.media(reporting: .master, durationMs: plan.video.durationMs).media
            try media.assembleMaster(video: plan.video.path, sourceLanguage: job.sourceLang, sourceSubtitles: sourceSide, languages: sides,
                                     to: tmp, originalAudio: sourceSide, moovReserve: reserve)
        }
        try cache.placeReplacing(m.path, at: masterPath, stage: "master")
        return StageResult(true, cached: m.cached)
    }
}
