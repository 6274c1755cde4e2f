import Foundation

// The engines of a run with stand-ins (`StandIn`, `OLLEEY_STANDIN_MS`): `EngineFactory` returns
// these for every translate, speak, transcribe and separate engine when the variable is set.
// Each call sleeps the stand-in's milliseconds and answers with labelled placeholders. Their
// name is `stand-in` and their version names the variable (in tracks' messages, fit reports,
// cost lines and cache keys).

/// Translation: each cue's text, labelled `[stand-in es, OLLEEY_STANDIN_MS] `.
struct StandInTranslator: Translator {
    let standIn: StandIn
    var name: String { "stand-in" }
    func version(from source: String, to target: String) throws -> String { standIn.setting }
    func preflight(sourceLang: String, targetLangs: [String]) throws {}
    static func label(_ target: String) -> String { "[stand-in \(target), \(StandIn.variable)] " }
    func translate(_ cues: [TextCue], from source: String, to target: String, cancel: CancelToken) throws -> [TextCue] {
        try standIn.sleep(cancel)
        return cues.map { TextCue(id: $0.id, text: $0.text.isEmpty ? "" : StandInTranslator.label(target) + $0.text) }
    }
}

/// Speech: silence as long as the text spoken at 16 characters a second (plus 100 ms), in the
/// dub's format, labelled in the WAV.
struct StandInSpeaker: Speaker {
    let standIn: StandIn
    var name: String { "stand-in" }
    func version(language: String) throws -> String { standIn.setting }
    func preflight(languages: [String]) throws {}
    func synthesize(_ text: String, language: String, voice: String?, to output: String, cancel: CancelToken) throws {
        try standIn.sleep(cancel)
        let ms = min(30_000, 100 + text.count * 1000 / 16)
        try StandInMedia.writeSilence(output, ms: ms, format: .dub, note: standIn.note)
    }
}

/// Speech recognition: one cue every 3 s of the audio, saying it is a stand-in.
struct StandInTranscriber: Transcriber {
    let standIn: StandIn
    var name: String { "stand-in" }
    func version(language: String) throws -> String { standIn.setting }
    func preflight(language: String) throws {}
    func transcribe(_ audio: String, language: String, cancel: CancelToken) throws -> [TimedCue] {
        try standIn.sleep(cancel)
        let ms = StandInMedia.durationMs(audio) ?? 10_000
        return (0..<min(1000, max(1, ms / 3000))).map { k in
            TimedCue(startMs: k * 3000 + 200, endMs: k * 3000 + 2600,
                     text: "Stand-in transcript \(k + 1) (\(StandIn.variable)): no speech recognition ran.")
        }
    }
}

/// Separation: a stem of silence as long as the input, in its format.
struct StandInSeparator: Separator {
    let standIn: StandIn
    var name: String { "stand-in" }
    func version() throws -> String { standIn.setting }
    func preflight() throws {}
    func separate(_ input: String, to output: String, cancel: CancelToken) throws {
        try standIn.sleep(cancel)
        let h = try WAVHeader.read(input)
        try StandInMedia.writeSilence(output, ms: h?.durationMs ?? 10_000, format: h?.format ?? .mix, note: standIn.note)
    }
}
