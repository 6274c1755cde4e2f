import Foundation

/// The rate card: prices per minute of source video, per stage, optionally per engine.
///
/// Stage keys: `transcribe` (once per job), `translate`, `speak`, `mix` (mix and assemble) and
/// `lip_sync` (each per target language). An engine key `stage.engine` (`translate.http`)
/// overrides its stage's price for that engine. Dubbing is transcribe + translate + speak + mix.
/// The defaults reproduce the HTTP API's example: dubbing $1.00 and lip sync $0.75 per minute
/// per language, so 180 s into 3 languages with lip sync is $9.00 + $6.75 = $15.75 ($5.25 per
/// language).
public struct RateCard: Sendable, Equatable {
    public static let stages = ["transcribe", "translate", "speak", "mix", "lip_sync"]
    public static let defaults: [String: Int64] = [
        "transcribe": 0, "translate": 250_000, "speak": 500_000, "mix": 250_000, "lip_sync": 750_000,
    ]
    public static let help: [String: String] = [
        "transcribe": "speech recognition, per minute, once per job",
        "translate": "translation, per minute per language",
        "speak": "speech synthesis and fitting, per minute per language",
        "mix": "mixing and assembling, per minute per language",
        "lip_sync": "lip sync, per minute per language (only with --lip-sync)",
    ]

    static func engines(_ stage: String) -> [String] {
        switch stage {
        case "transcribe": return EngineFactory.transcribers + ["subtitles"]
        case "translate": return EngineFactory.translators
        case "speak": return EngineFactory.speakers
        case "lip_sync": return ["command"]
        default: return []
        }
    }

    /// Every key a rate may be set for.
    public static var knownKeys: [String] { stages.flatMap { s in [s] + engines(s).map { "\(s).\($0)" } } }

    /// Checks a key; an unknown one is a usage error (64) with suggestions.
    public static func validateKey(_ key: String) throws -> String {
        let k = key.trimmingCharacters(in: .whitespaces).lowercased()
        if knownKeys.contains(k) { return k }
        let near = Suggest.closest(k, among: knownKeys)
        throw OlleeyError.usage("unknown rate '\(key)'",
                                hint: (near.isEmpty ? "" : "did you mean \(near.map { "'\($0)'" }.joined(separator: " or "))? ") + "rates: \(stages.joined(separator: ", ")), or STAGE.ENGINE")
    }

    /// Stored overrides of the defaults.
    public var stored: [String: Int64]

    public init(stored: [String: Int64] = [:]) { self.stored = stored }

    /// Micros per minute for a stage run with an engine.
    public func rate(_ stage: String, engine: String?) -> Int64 {
        if let e = engine, let v = stored["\(stage).\(e)"] { return v }
        return stored[stage] ?? RateCard.defaults[stage] ?? 0
    }
}
