import Foundation
import WebVTT

/// transcribe: the source track. Cached: the job has one (its subtitles, or an earlier
/// transcription); else the ASR engine hears the source's audio (16 kHz mono, cached by video).
struct TranscribeStage: PipelineStage {
    var stage: Stage { .transcribe }
    let transcriber: (any Transcriber)?

    func run(_ context: StageContext) throws -> StageResult<Int> {
        let job = context.job
        if try TrackStore(context.db).current(job: job.id, language: job.sourceLang, kind: .source) != nil { return StageResult(0, cached: true) }
        guard let asr = transcriber else {
            throw OlleeyError.invalid("job has no subtitles and no transcription engine", hint: "give subtitles, or choose a transcriber", next: [.input("subtitles", example: "FILE.vtt"), .setting("engines.transcribe", example: "pocketsphinx")])
        }
        let v = try context.videoRecord()
        guard v.hasAudio else {
            throw OlleeyError.invalid("\(job.sourceName) has no audio stream and no subtitles were given: nothing to transcribe or dub",
                                      hint: "create the job with subtitles, or use a video with sound", next: [.input("subtitles", example: "FILE.vtt")])
        }
        let key = StageCache.key(["speech16k", v.sha256])
        let media = context.media
        let wav = try context.cache.produce("audio", key, "wav") { tmp in try media.extractAudio(from: v.path, to: tmp, target: .speech, audioIndex: 0) }
        let cues = try asr.transcribe(wav.path, language: job.sourceLang, cancel: context.cancel)
        guard !cues.isEmpty else { throw OlleeyError.invalid("\(asr.name) heard no speech in \(job.sourceName)") }
        var doc = WebVTTDocument()
        doc.cues = cues.enumerated().map { i, c in Cue(id: String(i + 1), startMs: Int64(c.startMs), endMs: Int64(c.endMs), text: CueText.escape(c.text)) }  // plain text becomes cue text here
        let version = try asr.version(language: job.sourceLang)
        try TrackStore(context.db).add(job: job.id, language: job.sourceLang, kind: .source, content: WebVTTSerializer.serialize(doc),
                                       author: "olleey/\(asr.name)", message: "transcribed by \(asr.name) \(version)")
        return StageResult(cues.count, cached: false)
    }
}
