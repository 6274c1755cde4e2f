import Foundation

/// What the master MP4 is made of: the video, the source track, and each language whose
/// mixed audio and subtitles are in place (failed and cancelled ones left out, and those
/// whose video `--fit-mode video` slowed: the master has the original video stream only,
/// which their audio and subtitles no longer follow; their outputs say `"in_master": false`).
/// A language's captions (`--captions`) and described audio (`--describe`) are soft tracks of
/// the master too; its extended-AD video is not (its time line is longer). With `--describe`
/// the master waits for every language's descriptions (it is built once, when the job finishes).
struct MasterPlan {
    var key: String
    var video: JobPipeline.VideoRecord
    var source: TrackVersion
    var languages: [LanguageOutput]
    /// Each language's audio key (the key of its side file).
    var audioKeys: [String]
    /// Each language's captions and described audio, as a key ("" when it has neither).
    var accessKeys: [String]
    /// Every language counted is settled or has its audio in place (none still mixing).
    var complete: Bool

    /// The plan for `job` now; nil when no language has its audio in place.
    static func of(_ job: Job, db: Database, workspace: Workspace) throws -> MasterPlan? {
        let langs = try JobStore(db).languages(job.id)
        var parts: [String] = []
        var outs: [LanguageOutput] = []
        var keys: [String] = []
        var access: [String] = []
        var complete = true
        for l in langs where l.status != .failed && l.status != .cancelled {
            let running = l.status == .queued || l.status == .processing
            // --describe: the described audio joins the master, so it is built once the language is settled
            if running && job.options.describe { complete = false }
            // a running language counts once this render's audio is in place; a settled one by
            // its last render (audio_key, or render_key for languages rendered before it existed)
            guard let key = running ? l.audioKey : (l.audioKey ?? l.renderKey) else {
                if running { complete = false }
                continue
            }
            // its video is slowed (read only once this render's outputs are in place, with its audio key)
            if slowedVideo(l) { continue }
            guard let audio = l.outputs["audio"]?.stringValue, let vtt = l.outputs["vtt"]?.stringValue else { continue }
            var out = LanguageOutput(language: l.language, audio: workspace.filesRoot + "/" + audio, subtitles: workspace.filesRoot + "/" + vtt)
            parts += [l.language, key]
            var accessParts: [String] = []
            if let c = l.outputs["captions_vtt"]?.stringValue, let sha = try? Digest.sha256(file: workspace.filesRoot + "/" + c) {
                out.captions = workspace.filesRoot + "/" + c
                accessParts += ["captions", sha]
            }
            // the described audio of this render (its key is in the report: the file itself is replaced in place)
            if !running, let d = l.outputs["described_audio"]?.stringValue, let dkey = l.outputs["descriptions"]?["described_key"]?.stringValue,
               fileExists(workspace.filesRoot + "/" + d) {
                out.described = workspace.filesRoot + "/" + d
                accessParts += ["described", dkey]
            }
            parts += accessParts
            access.append(accessParts.isEmpty ? "" : StageCache.key(["access", l.language] + accessParts))
            outs.append(out)
            keys.append(key)
        }
        guard !outs.isEmpty, let source = try TrackStore(db).current(job: job.id, language: job.sourceLang, kind: .source) else { return nil }
        guard let vid = job.videoId, let video = try VideoStore(db).get(vid, workspace: workspace) else { throw OlleeyError.failure("job \(job.id) has no ingested video") }
        return MasterPlan(key: StageCache.key(["master", video.sha256, job.sourceLang, source.sha256] + parts), video: video, source: source,
                          languages: outs, audioKeys: keys, accessKeys: access, complete: complete)
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
    var inputHash: String? { plan.key }

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
        let sides = try zip(zip(plan.languages, plan.audioKeys), plan.accessKeys).map { lk, accessKey -> LanguageOutput in
            let (l, key) = lk
            guard let subtitles = l.subtitles else { throw OlleeyError.failure("language \(l.language) has no subtitles for the master") }
            let side = try mp4s.side(l.language, key: key, audio: l.audio, subtitles: subtitles)
            // captions and described audio: a side file of their own, tagged as in the master
            var out = LanguageOutput(language: l.language, audio: side, subtitles: side)
            if l.captions != nil || l.described != nil {
                let access = try cache.produce("side", StageCache.key(["side-access", accessKey]), "mp4") { tmp in
                    let (a, s) = FFmpeg.accessTracks([l])
                    try media.muxSide(audio: a, subtitles: s, to: tmp)
                }.path
                if l.captions != nil { out.captions = access }
                if l.described != nil { out.described = access }
            }
            return out
        }
        let tracks = [MP4Layout.Track(path: plan.video.path, kind: .video)]
            + (plan.video.hasAudio ? [MP4Layout.Track(path: sourceSide, kind: .audio)] : [])
            + sides.map { MP4Layout.Track(path: $0.audio, kind: .audio) }
            + sides.compactMap { $0.described.map { MP4Layout.Track(path: $0, kind: .audio) } }
            + [MP4Layout.Track(path: sourceSide, kind: .subtitle)]
            + sides.map { MP4Layout.Track(path: $0.audio, kind: .subtitle) }
            + sides.compactMap { $0.captions.map { MP4Layout.Track(path: $0, kind: .subtitle) } }
        let m = try mp4s.deliverable("master", plan.key, at: masterPath, tracks: tracks) { tmp, reserve in
            let media = context.media(reporting: .master, durationMs: plan.video.durationMs).media
            try media.assembleMaster(video: plan.video.path, sourceLanguage: job.sourceLang, sourceSubtitles: sourceSide, languages: sides,
                                     to: tmp, originalAudio: sourceSide, moovReserve: reserve)
        }
        try cache.placeReplacing(m.path, at: masterPath, stage: "master")
        return StageResult(true, cached: m.cached)
    }
}
