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
///
/// With `--describe`, the narrator of the audio descriptions (setting `describe.narrator`,
/// default `Narrator`) is cast in the same call, after the video's speakers: a registry speaker
/// like any other (`olleey voice set Narrator --lang es ...` pins it across jobs), given
/// automatically a voice no speaker of the video has (nor the job's voice) when there is one to
/// give. It is not one of the dub's speakers (`Output.narrator`, not `Output.cast`) unless the
/// subtitles name a speaker of that name.
struct VoiceStage: PipelineStage {
    var stage: Stage { .voice }
    /// The translation, parsed, and the speaker of each of its cues (`speakers(_:source:)`).
    let document: WebVTTDocument
    let speakers: [String?]
    let speaker: any Speaker
    /// The diarizer (`engines.diarize`): names the speakers of the cues that name none.
    var diarizer: (any Diarizer)?
    /// The registry name of the descriptions' narrator (`describe.narrator`), with `--describe`.
    var narrator: String?

    /// The language's voices, each cue's speaker (diarized where the cues named none), and the
    /// narrator's voice (with `--describe`).
    struct Output {
        var cast: VoiceCast
        var speakers: [String?]
        var narrator: CastMember?
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

    /// The narrator's registry name, checked (a bad `describe.narrator` is a configuration error).
    static func narratorName(_ raw: String) throws -> String {
        do { return try VoiceRegistry.speakerName(raw).display } catch let e as OlleeyError {
            throw OlleeyError(.config, "describe.narrator: \(e.message)", next: [.setting("describe.narrator", example: "Narrator")])
        }
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
        let narrator = try self.narrator.map(VoiceStage.narratorName)
        let all = names + (narrator.map { [$0] } ?? [])  // the narrator last: the video's speakers choose first
        var candidates: [VoiceChoice] = []
        var engineDefault: String?
        if let es = speaker as? EspeakSpeaker, !all.isEmpty {
            candidates = VoiceRegistry.automaticCandidates(variants: try es.variants())
            engineDefault = es.defaultVoice
        }
        let registry = VoiceRegistry(context.db, org: job.orgId)
        let before = try VoiceStore(context.db, org: job.orgId).list(language: lang).count
        var cast = try registry.cast(speakers: all, language: lang, engine: speaker.name, defaultVoice: job.options.voices[lang],
                                     engineDefault: engineDefault, overrides: job.options.speakerVoices, candidates: candidates)
        let recorded = try VoiceStore(context.db, org: job.orgId).list(language: lang).count > before
        var narratorMember: CastMember?
        if let narrator {
            let key = SpeakerName.key(narrator)
            narratorMember = cast.members.first { SpeakerName.key($0.speaker) == key }
            if !names.contains(where: { SpeakerName.key($0) == key }) { cast.members.removeAll { SpeakerName.key($0.speaker) == key } }
        }
        if !cast.members.isEmpty || narratorMember != nil {
            var event = cast.json
            if case .object(var pairs) = event, let n = narratorMember { pairs.append(("narrator", n.json)); event = .object(pairs) }
            try EventStore(context.db).append("voice.cast", job: job.id, language: lang, event)
        }
        return StageResult(Output(cast: cast, speakers: speakers, narrator: narratorMember), cached: !recorded)
    }
}
