import Foundation
import WebVTT

/// voice: the language's voices. Cues without a speaker take the job's voice for the language
/// (`--voice`, else the engine's default); each speaker named in the cues (`<v Name>` spans,
/// or `NAME:` labels; read from the translation, else from the source cue with the same key;
/// else from the diarizer, `engines.diarize` `command` or `http`, when one is set)
/// takes its voice through the voice registry (`VoiceRegistry.cast`: the job's `--voice-for`, a
/// person's registry entry, an earlier job's automatic choice, else a new choice recorded for
/// the next job). The voices are part of each cue's speech cache key (`DubStage`), so changing
/// a speaker's entry re-synthesizes only that speaker's cues.
struct VoiceStage: PipelineStage {
    var stage: Stage { .voice }
    /// The translation, parsed, and the speaker of each of its cues (`speakers(_:source:)`).
    let document: WebVTTDocument
    let speakers: [String?]
    let speaker: any Speaker
    /// The diarizer (`engines.diarize`): names the speakers of the cues that name none.
    var diarizer: (any Diarizer)?

    /// The language's voices, and each cue's speaker (diarized where the cues named none).
    struct Output {
        var cast: VoiceCast
        var speakers: [String?]
    }

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

    /// The diarizer's turns for the job's video: asked once per video and diarizer (the cache
    /// holds its turns as `START END SPEAKER` lines, written only when its answer was readable).
    func turns(_ context: StageContext, _ diarizer: any Diarizer) throws -> [Diarization.Turn] {
        let v = try context.videoRecord()
        guard v.hasAudio else { return [] }
        let (media, cancel) = (context.media, context.cancel)
        let wav = try context.cache.produce("audio", StageCache.key(["speech16k", v.sha256]), "wav") { tmp in
            try media.extractAudio(from: v.path, to: tmp, target: .speech, audioIndex: 0)
        }
        let out = try context.cache.produce("diarize", StageCache.key(["diarize", v.sha256, diarizer.fingerprint]), "txt") { tmp in
            try FileIO.writeAtomically(Diarization.serialize(try diarizer.diarize(wav.path, cancel: cancel)), to: tmp)
        }
        let text = try String(contentsOfFile: out.path, encoding: .utf8)
        return try Diarization.parse(text).map { var t = $0; t.speaker = Diarization.name(t.speaker, video: v.sha256); return t }
    }

    func run(_ context: StageContext) throws -> StageResult<Output> {
        guard let lang = context.language else { throw OlleeyError.failure("voice runs per language") }
        let job = context.job
        var speakers = self.speakers
        if let diarizer, speakers.contains(where: { $0 == nil }) {
            let found = Diarization.assign(document.cues.map { (Int($0.startMs), Int($0.endMs)) }, turns: try turns(context, diarizer))
            for i in speakers.indices where speakers[i] == nil && i < found.count { speakers[i] = found[i] }
        }
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
        return StageResult(Output(cast: cast, speakers: speakers), cached: !recorded)
    }
}
