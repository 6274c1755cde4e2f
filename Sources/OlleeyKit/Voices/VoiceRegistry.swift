import Foundation

/// The workspace's voice registry: which voice each speaker of an organisation's videos has per
/// language, so one person keeps one voice across jobs and channels.
///
/// A job speaking a cue of speaker S in language L takes, strongest first: the job's own
/// `--voice-for S=VOICE` (or `S:L=VOICE`); a person's registry entry for (S, L); a person's
/// entry for (S, `*`); an automatic entry for (S, L) that an earlier job recorded; else a voice
/// chosen now (espeak-ng: a variant, then a pitch step, not used by another speaker of the same
/// video, preferring one no other speaker of the organisation has in L) and recorded as an
/// automatic entry (author `olleey`). An automatic entry never replaces an existing one; a
/// person's entry replaces an automatic one. Entries of another engine than the job's speech
/// engine are passed over, with a note in the cast.
///
/// Rows are scoped to one organisation (the actor's; a job's for the pipeline).
public struct VoiceRegistry {
    public let db: Database
    public let org: String
    /// Who writes (`created_by`/`updated_by`, the audit log).
    public let author: String
    let auditActor: String?

    public init(_ db: Database, actor: Actor?) {
        self.db = db; self.org = actor?.org ?? Actor.defaultOrg; self.author = actor?.author ?? "local"; self.auditActor = actor?.email
    }

    /// The system acting for a job of `org` (automatic entries).
    public init(_ db: Database, org: String, author: String = VoiceRegistry.automaticAuthor) {
        self.db = db; self.org = org; self.author = author; self.auditActor = nil
    }

    public static let automaticAuthor = "olleey"
    /// The registry speaker who voices audio descriptions (`--describe`) unless the setting
    /// `describe.narrator` names another: `olleey voice set Narrator --lang es --voice es+f2`.
    public static let narrator = "Narrator"
    /// Speech engines a registry entry may name (`espeak` is taken for `espeak-ng`).
    public static let engines = ["espeak-ng", "http", "command"]
    /// espeak-ng's pitch (0-99) and rate (words per minute) ranges.
    public static let pitchRange = 0...99
    public static let rateRange = 80...450

    var store: VoiceStore { VoiceStore(db, org: org) }

    public static func engineName(_ raw: String) throws -> String {
        let e = raw.trimmingCharacters(in: .whitespaces).lowercased()
        if e == "espeak" || e == "espeak-ng" { return "espeak-ng" }
        guard engines.contains(e) else {
            throw OlleeyError.usage("unknown speech engine '\(raw)' for a voice", hint: "engines: espeak (espeak-ng), http, command", next: [.input("engine", example: "espeak")])
        }
        return e
    }

    static func speakerName(_ raw: String) throws -> (display: String, key: String) {
        let d = SpeakerName.display(raw)
        guard !d.isEmpty, d.count <= 100, !d.contains(where: { $0 == ":" || $0 == "=" || $0 == "<" || $0 == ">" }) else {
            throw OlleeyError.usage("a speaker name must be 1-100 characters without ':', '=', '<' or '>' (got '\(raw)')", hint: "the name as the subtitles write it: <v Ana> is 'Ana'")
        }
        return (d, d.lowercased())
    }

    static func languageOrAll(_ raw: String?) throws -> String {
        guard let raw, raw != "*" else { return "*" }
        return try Language.validate(raw).code
    }

    // MARK: commands

    /// Sets a speaker's voice for a language (`nil` or `*`: every language without its own
    /// entry). espeak-ng voices are checked against espeak-ng's list for the language (65 when
    /// unknown; for `*` only a variant such as `+f3` fits every language); pitch 0-99 and rate
    /// 80-450 are espeak-ng's only. Replaces the entry there was, automatic or not.
    public func set(speaker: String, language: String?, engine: String = "espeak-ng", voice: String, pitch: Int? = nil, rate: Int? = nil) throws -> VoiceEntry {
        let (given, key) = try VoiceRegistry.speakerName(speaker)
        let name = try store.list(speakerKey: key).first?.speaker ?? given  // one person, one spelling: the first
        let lang = try VoiceRegistry.languageOrAll(language)
        let eng = try VoiceRegistry.engineName(engine)
        let v = voice.trimmingCharacters(in: .whitespaces)
        guard !v.isEmpty, !v.contains(where: { $0.isNewline }) else { throw OlleeyError.usage("a voice name is needed", next: [.input("voice", example: "es+f3")]) }
        if let pitch, !VoiceRegistry.pitchRange.contains(pitch) { throw OlleeyError.usage("pitch \(pitch) is out of range (0-99, espeak-ng's default 50)") }
        if let rate, !VoiceRegistry.rateRange.contains(rate) { throw OlleeyError.usage("rate \(rate) is out of range (80-450 words per minute, espeak-ng's default 175)") }
        if eng != "espeak-ng" && (pitch != nil || rate != nil) {
            throw OlleeyError.usage("--pitch and --rate are espeak-ng's; the \(eng) engine's voice is only its name", next: [.input("engine", example: "espeak")])
        }
        if eng == "espeak-ng" {
            do { try checkEspeak(v, language: lang) } catch let e as OlleeyError {
                // the same message and hint, with what to pass to this command
                throw OlleeyError(e.code, e.message, hint: e.hint, next: [.input("voice", example: lang == "*" ? "+f3" : "\(lang)+f3"), .command("engines", options: ["lang": lang == "*" ? "en" : lang])])
            }
        }
        let now = Clock.nowISO()
        let old = try store.get(speakerKey: key, language: lang)
        let e = VoiceEntry(speaker: name, speakerKey: key, language: lang, engine: eng, choice: VoiceChoice(voice: v, pitch: pitch, rate: rate), automatic: false,
                           createdBy: old?.createdBy ?? author, updatedBy: author, createdAt: old?.createdAt ?? now, updatedAt: now)
        try db.transaction {
            try store.upsert(e)
            try AuditLog(db).record(actor: auditActor ?? author, action: "voice.set", subject: name,
                                    detail: .object([("language", .string(lang)), ("engine", .string(eng)), ("voice", .string(v)),
                                                     ("replaced", old.map { .string($0.choice.label + ($0.automatic ? " (automatic)" : "")) } ?? .null)]), org: org)
        }
        return try store.get(speakerKey: key, language: lang) ?? e
    }

    /// espeak-ng's voice for the language; for `*` a variant (a named voice is one language's).
    func checkEspeak(_ v: String, language lang: String) throws {
        let espeak = EspeakSpeaker()
        if lang == "*" {
            guard v.hasPrefix("+") else {
                throw OlleeyError.invalid("espeak-ng's voice '\(v)' belongs to one language; for every language ('*') give a variant such as +f3",
                                          hint: "give --lang LANG for a language's voice")
            }
            try espeak.checkVoice(v, language: "en")
        } else {
            try espeak.checkVoice(v, language: lang)
        }
    }

    /// Entries, optionally of one speaker or one language (`*` for the every-language entries).
    public func list(speaker: String? = nil, language: String? = nil) throws -> [VoiceEntry] {
        let key = try speaker.map { try VoiceRegistry.speakerName($0).key }
        let lang = try language.map { $0 == "*" ? "*" : try Language.validate($0).code }
        return try store.list(speakerKey: key, language: lang)
    }

    /// A speaker's entries (66 when the registry has none).
    public func show(_ speaker: String) throws -> [VoiceEntry] {
        let (name, key) = try VoiceRegistry.speakerName(speaker)
        let rows = try store.list(speakerKey: key)
        guard !rows.isEmpty else { throw notFound(name) }
        return rows
    }

    func notFound(_ name: String) -> OlleeyError {
        let near = Suggest.closest(name, among: ((try? store.list()) ?? []).map(\.speaker))
        return OlleeyError.notFound("no voice registered for speaker '\(name)'",
                                    hint: near.isEmpty ? "set one with 'olleey voice set \(name) --lang es --voice es+f3'" : "did you mean \(near.map { "'\($0)'" }.joined(separator: " or "))?",
                                    next: [.command("voice list")])
    }

    /// Removes a speaker's entries (one language's, or all); 66 when there is none to remove.
    public func remove(_ speaker: String, language: String? = nil) throws -> [VoiceEntry] {
        let (name, key) = try VoiceRegistry.speakerName(speaker)
        let lang = try language.map { try VoiceRegistry.languageOrAll($0) }
        let rows = try store.list(speakerKey: key, language: lang)
        guard !rows.isEmpty else {
            if let lang, !(try store.list(speakerKey: key)).isEmpty {
                throw OlleeyError.notFound("speaker '\(name)' has no voice for \(lang)", next: [.command("voice show", [name])])
            }
            throw notFound(name)
        }
        try db.transaction {
            _ = try store.delete(speakerKey: key, language: lang)
            try AuditLog(db).record(actor: auditActor ?? author, action: "voice.rm", subject: name,
                                    detail: .object([("languages", .array(rows.map { .string($0.language) }))]), org: org)
        }
        return rows
    }

    // MARK: a job's cast

    /// espeak-ng voices a new speaker may be given automatically, in the order they are tried:
    /// the language's voice with each male and female variant espeak-ng has (`+m1`, `+f1`,
    /// `+m2`, ...), then each of those with a lower and a higher pitch.
    public static func automaticCandidates(variants: [String]) -> [VoiceChoice] {
        let have = Set(variants.map { $0.lowercased() })
        var order: [String] = []
        for n in 1...9 {
            for v in ["m\(n)", "f\(n)"] where have.contains(v) { order.append("+" + v) }
        }
        var out = order.map { VoiceChoice(voice: $0) }
        for pitch in [30, 70] { out += order.map { VoiceChoice(voice: $0, pitch: pitch) } }
        return out
    }

    /// How two espeak-ng choices are told apart: the voice espeak-ng is given, pitch and rate.
    static func identity(_ c: VoiceChoice, language: String, engine: String, engineDefault: String?) -> String {
        if engine == "espeak-ng" {
            return EspeakSpeaker.voiceArgument(language: language, voice: c.voice ?? engineDefault).lowercased() + "|\(c.pitch ?? -1)|\(c.rate ?? -1)"
        }
        return (c.voice ?? engineDefault ?? "").lowercased() + "|\(c.pitch ?? -1)|\(c.rate ?? -1)"
    }

    /// The voices of one language of a job: for each speaker (in order of appearance), by the
    /// precedence above. New automatic choices are recorded (if another job recorded one for the
    /// speaker meanwhile, that one is used). With no candidates (engines other than espeak-ng),
    /// a speaker without an entry speaks with the default voice.
    ///
    /// `overrides`: the job's `--voice-for`, keyed by `SpeakerName.key` or `key:LANG`.
    /// `defaultVoice`: the job's voice for the language; `engineDefault`: the engine's own
    /// (setting `engines.speak.voice`), used only to tell voices apart.
    public func cast(speakers: [String], language: String, engine: String, defaultVoice: String?, engineDefault: String? = nil,
                     overrides: [String: String] = [:], candidates: [VoiceChoice]) throws -> VoiceCast {
        var names: [String] = []
        for s in speakers {
            let d = SpeakerName.display(s)
            if !d.isEmpty, !names.contains(where: { $0.lowercased() == d.lowercased() }) { names.append(d) }
        }
        var cast = VoiceCast(language: language, engine: engine, defaultVoice: defaultVoice, members: [])
        let rows = try store.list().filter { $0.language == language || $0.language == "*" }
        var pending: [String] = []
        var resolved: [String: CastMember] = [:]
        for name in names {
            let key = name.lowercased()
            if let v = overrides["\(key):\(language)"] ?? overrides[key] {
                resolved[key] = CastMember(speaker: name, choice: VoiceChoice(voice: v), source: .job)
                continue
            }
            let mine = rows.filter { $0.speakerKey == key }
            for e in mine where e.engine != engine {
                cast.notes.append("\(name): the registry's \(e.language) voice \(e.choice.label) is for \(e.engine), not \(engine); passed over")
            }
            let usable = mine.filter { $0.engine == engine }
            if let e = usable.first(where: { !$0.automatic && $0.language == language }) ?? usable.first(where: { !$0.automatic && $0.language == "*" }) {
                resolved[key] = CastMember(speaker: name, choice: e.choice, source: .registry, entryLanguage: e.language)
            } else if let e = usable.first(where: { $0.automatic && $0.language == language }) {
                resolved[key] = CastMember(speaker: name, choice: e.choice, source: .automatic, entryLanguage: e.language)
            } else {
                pending.append(name)
            }
        }
        // new speakers: a voice no other speaker of this video has, preferring one no speaker
        // of the organisation has in this language
        let id = { (c: VoiceChoice) in VoiceRegistry.identity(c, language: language, engine: engine, engineDefault: engineDefault) }
        var used = Set(resolved.values.map { id($0.choice) })
        used.insert(id(VoiceChoice(voice: defaultVoice)))
        let taken = Set(rows.filter { $0.engine == engine }.map { id($0.choice) })
        for name in pending {
            let key = name.lowercased()
            guard let pick = candidates.first(where: { !used.contains(id($0)) && !taken.contains(id($0)) }) ?? candidates.first(where: { !used.contains(id($0)) })
                    ?? candidates.first else {
                resolved[key] = CastMember(speaker: name, choice: VoiceChoice(voice: defaultVoice), source: .default)
                continue
            }
            let now = Clock.nowISO()
            let e = VoiceEntry(speaker: rows.first { $0.speakerKey == key }?.speaker ?? name, speakerKey: key, language: language, engine: engine, choice: pick, automatic: true,
                               createdBy: author, updatedBy: author, createdAt: now, updatedAt: now)
            let stored: VoiceEntry = try db.transaction {
                if try store.insertAutomatic(e) {
                    try AuditLog(db).record(actor: author, action: "voice.assign", subject: name,
                                            detail: .object([("language", .string(language)), ("engine", .string(engine)), ("voice", .string(pick.label))]), org: org)
                }
                return try store.get(speakerKey: key, language: language) ?? e
            }
            // another job may have got there first (or a person, meanwhile): the stored row wins
            let member = stored.engine == engine
                ? CastMember(speaker: name, choice: stored.choice, source: stored.automatic ? .automatic : .registry, entryLanguage: language)
                : CastMember(speaker: name, choice: pick, source: .automatic, entryLanguage: nil)
            resolved[key] = member
            used.insert(id(member.choice))
        }
        cast.members = names.compactMap { resolved[$0.lowercased()] }
        return cast
    }
}
