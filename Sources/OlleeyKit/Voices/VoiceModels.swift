import Foundation

/// A voice as a speech engine is asked for it: the engine's voice name (espeak-ng: `es`,
/// `es+f3`, `+m2`; http: `alloy`) and, for espeak-ng, a pitch (0-99) and a rate (words per
/// minute) that make variants of one voice.
public struct VoiceChoice: Sendable, Equatable, Hashable {
    public var voice: String?
    public var pitch: Int?
    public var rate: Int?

    public init(voice: String?, pitch: Int? = nil, rate: Int? = nil) {
        self.voice = voice; self.pitch = pitch; self.rate = rate
    }

    /// What goes into the speech cache key: just the voice when there is no pitch or rate, so a
    /// cue spoken by the job's voice keeps the key it had before the registry.
    public var cacheKey: String {
        var s = voice ?? ""
        if let pitch { s += " pitch=\(pitch)" }
        if let rate { s += " rate=\(rate)" }
        return s
    }

    /// `es+f3`, `+m1 pitch 30`, `+f2 rate 190`.
    public var label: String {
        var s = voice ?? "(default)"
        if let pitch { s += " pitch \(pitch)" }
        if let rate { s += " rate \(rate)" }
        return s
    }

    public var json: JSON {
        .object([("voice", JSON(voice)), ("pitch", pitch.map { .int(Int64($0)) } ?? .null), ("rate", rate.map { .int(Int64($0)) } ?? .null)])
    }
}

/// One row of the voice registry: the voice a speaker of the organisation's videos has in a
/// language (`*`: every language without its own row).
public struct VoiceEntry: Sendable, Equatable {
    /// The speaker's name as first written (`Ana`); rows are keyed by `SpeakerName.key`.
    public var speaker: String
    public var speakerKey: String
    /// A language code, or `*`.
    public var language: String
    /// The speech engine the voice belongs to (`espeak-ng`, `http`, `command`).
    public var engine: String
    public var choice: VoiceChoice
    /// Chosen by a job (author `olleey`), not by a person: a person's entry replaces it.
    public var automatic: Bool
    public var createdBy: String
    public var updatedBy: String
    public var createdAt: String
    public var updatedAt: String

    public var json: JSON {
        .object([
            ("speaker", .string(speaker)), ("language", .string(language)), ("engine", .string(engine)),
            ("voice", JSON(choice.voice)), ("pitch", choice.pitch.map { .int(Int64($0)) } ?? .null), ("rate", choice.rate.map { .int(Int64($0)) } ?? .null),
            ("automatic", .bool(automatic)), ("created_by", .string(createdBy)), ("updated_by", .string(updatedBy)),
            ("created_at", .string(createdAt)), ("updated_at", .string(updatedAt)),
        ])
    }
}

/// Where a speaker's voice in a job came from, strongest first.
public enum VoiceSource: String, Sendable {
    /// `job create --voice-for SPEAKER=VOICE`.
    case job
    /// A person's registry entry for the speaker and the language, or for `*`.
    case registry
    /// Chosen for this speaker by a job, recorded in the registry.
    case automatic
    /// No entry and no voice to choose from (engines other than espeak-ng): the job's voice.
    case `default`
}

/// One speaker of a job's language and its voice.
public struct CastMember: Sendable, Equatable {
    public var speaker: String
    public var choice: VoiceChoice
    public var source: VoiceSource
    /// The registry row's language (`es` or `*`) when the voice came from the registry.
    public var entryLanguage: String?

    public var json: JSON {
        .object([("speaker", .string(speaker)), ("voice", JSON(choice.voice)), ("pitch", choice.pitch.map { .int(Int64($0)) } ?? .null),
                 ("rate", choice.rate.map { .int(Int64($0)) } ?? .null), ("source", .string(source.rawValue)), ("registry_language", JSON(entryLanguage))])
    }
}

/// The voices of one language of a job: the voice of cues without a speaker, and each
/// speaker's.
public struct VoiceCast: Sendable, Equatable {
    public var language: String
    public var engine: String
    /// The job's voice for the language (`--voice`), else the engine's default (nil).
    public var defaultVoice: String?
    public var members: [CastMember]
    /// Registry entries that could not be used with this job's engine, as notes.
    public var notes: [String] = []

    public init(language: String, engine: String, defaultVoice: String?, members: [CastMember], notes: [String] = []) {
        self.language = language; self.engine = engine; self.defaultVoice = defaultVoice; self.members = members; self.notes = notes
    }

    /// The voice for a cue of `speaker` (nil: no speaker, the default voice).
    public func choice(for speaker: String?) -> VoiceChoice {
        if let speaker {
            let k = SpeakerName.key(speaker)
            if let m = members.first(where: { SpeakerName.key($0.speaker) == k }) { return m.choice }
        }
        return VoiceChoice(voice: defaultVoice)
    }

    public var json: JSON {
        .object([("language", .string(language)), ("engine", .string(engine)), ("default_voice", JSON(defaultVoice)),
                 ("speakers", .array(members.map(\.json))), ("notes", .array(notes.map { .string($0) }))])
    }
}

/// Speaker names in cue text.
public enum SpeakerName {
    /// The registry key of a name: trimmed, inner white space collapsed to one space, lower case
    /// (`<v  Ana >`, `ANA` and `ana` are one person).
    public static func key(_ name: String) -> String {
        display(name).lowercased()
    }

    /// The name trimmed, with inner white space collapsed.
    public static func display(_ name: String) -> String {
        name.split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
    }

    /// The speaker of a cue: the first `<v Name>` voice span's name (WebVTT, and what ASS's Name
    /// column and TTML's agents are imported as), else a speaker label at the start of the cue
    /// (`ANA:`, one to three words in capitals then a colon: the SRT convention). Nil when the
    /// cue names nobody.
    public static func of(_ cueText: String) -> String? {
        var rest = Substring(cueText)
        while let open = rest.range(of: "<v") {
            let after = rest[open.upperBound...]
            guard let first = after.first, first == " " || first == "." || first == "\t", let close = after.firstIndex(of: ">") else {
                rest = after
                continue
            }
            let name = after[..<close].drop { $0 != " " && $0 != "\t" }
            let d = display(String(name))
            if !d.isEmpty { return d }
            rest = after[close...]
        }
        // a label: `ANA:` or `- ANA:` at the start of the cue's first line
        let plain = cueText.split(separator: "\n", omittingEmptySubsequences: true).first.map(String.init) ?? ""
        var t = Substring(plain).drop(while: { $0 == " " })
        if let d = t.first, d == "-" || d == "–", t.dropFirst().first == " " { t = t.dropFirst(2) }
        guard let colon = t.firstIndex(of: ":") else { return nil }
        let label = t[..<colon]
        let words = label.split(separator: " ")
        guard !words.isEmpty, words.count <= 3, label.contains(where: \.isLetter), !label.contains(where: { $0.isLowercase }),
              !label.contains("<"), label.allSatisfy({ $0.isLetter || $0 == " " || $0 == "." || $0 == "'" || $0 == "-" || $0.isNumber }) else { return nil }
        let name = display(String(label))
        return name.isEmpty ? nil : name
    }
}
