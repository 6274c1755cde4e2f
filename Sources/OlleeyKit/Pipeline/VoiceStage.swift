import Foundation
import WebVTT

/// voice: the language's voices. Cues without a speaker take the job's voice for the language
/// (`--voice`, else the engine's default); each speaker named in the cues (`<v Name>` spans,
/// or `NAME:` labels; read from the translation, else from the source cue with the same key)
/// takes its voice through the voice registry (`VoiceRegistry.cast`: the job's `--voice-for`, a
/// person's registry entry, an earlier job's automatic choice, else a new choice recorded for
/// the next job). The voices are part of each cue's speech cache key (`DubStage`), so changing
/// a speaker's entry re-synthesizes only that speaker's cues.
struct VoiceStage: PipelineStage {
    var stage: Stage { .voice }
    /// The speaker of each cue of the translation (`speakers(_:source:)`).
    let speakers: [String?]
    let speaker: any Speaker

    /// The speaker of each cue of `doc` (nil: none named), else of the source's cue with the
    /// same key.
    static func speakers(_ doc: WebVTTDocument, source: WebVTTDocument?) -> [String?] {
        let keys = JobPipeline.cueKeys(doc.cues)
        var bySource: [String: String] = [:]
        if let source {
            for (k, c) in zip(JobPipeline.cueKeys(source.cues), source.cues) { if let s = SpeakerName.of(c.text) { bySource[k] = s } }
        }
        return zip(keys, doc.cues).map { k, c in SpeakerName.of(c.text) ?? bySource[k] }
    }

    func run(_ context: StageContext) throws -> StageResult<VoiceCast> {
        guard let lang = context.language else { throw OlleeyError.failure("voice runs per language") }
        let job = context.job
        let names = speakers.compactMap { $0 }
        var candidates: [VoiceChoice] = []
        var engineDefault: String?
        if let es = speaker as? EspeakSpeaker, !names.isEmpty {
            candidates = VoiceRegistry.automaticCandidates(variants: try es.variants())
            engineDefault = es.defaultVoice
        }
        let registry = VoiceRegistry(context.db, org: job.orgId)
        let before = try VoiceStore(context.db, org: job.orgId).list(language: lang).count
        let cast = try registry.cast(speakers: names, language: lang, engine: speaker.name, defaultVoice: job.options.voices[lang],
                                     engineDefault: engineDefault, overrides: job.options.speakerVoices, candidates: candidates)
        let recorded = try VoiceStore(context.db, org: job.orgId).list(language: lang).count > before
        if !cast.members.isEmpty {
            try EventStore(context.db).append("voice.cast", job: job.id, language: lang, cast.json)
        }
        return StageResult(cast, cached: !recorded)
    }
}
