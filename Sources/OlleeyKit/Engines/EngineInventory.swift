import Foundation

/// What olleey has installed, said in one place (`olleey engines`): for each engine stage, the
/// engine configured, whether it is installed (usable as configured), its version, and what it
/// offers: language pairs for translation (apertium pairs, each direction on its own), voices
/// per language for speech (espeak-ng), languages for transcription. A typed read model: the CLI
/// renders it as a table, TSV or JSON, and `--voice`/`--lang` errors point to it.
public struct EngineInventory: Sendable {
    public struct Pair: Sendable, Equatable {
        /// ISO 639-1 codes where olleey knows them (`en`, `es`), else the engine's own.
        public var source: String
        public var target: String
        /// The engine's name for it (apertium mode `eng-spa`).
        public var mode: String
        public var name: String { "\(source)-\(target)" }
    }

    public struct Entry: Sendable {
        /// `media`, `transcribe`, `translate`, `speak`, `separate`, `lipsync`, `describe`, `diarize`.
        public var stage: String
        /// The engine configured for it (`none` for an optional hook that is not set).
        public var engine: String
        public var installed: Bool
        public var version: String?
        /// Why it is not usable, or what it needs (a missing tool, an unset setting).
        public var note: String?
        /// Languages it works in (transcription).
        public var languages: [String]?
        public var pairs: [Pair]?
        /// Voices by language (ISO code -> voice names `--voice LANG=VOICE` takes).
        public var voices: [(language: String, voices: [String])]?
        /// Variants any voice takes after `+` (espeak-ng: `f3`, `m1`).
        public var variants: [String]?
        /// The voice registry's rows (speak; `withRegistry`): each speaker's voice per language.
        public var registry: [VoiceEntry]?
        /// What a new speaker may be given automatically (espeak-ng variants, then pitch steps),
        /// in the order a job tries them.
        public var speakerVoices: [VoiceChoice]?
    }

    public var entries: [Entry]

    public init(entries: [Entry]) { self.entries = entries }

    /// The configured engines (workspace config plus environment), probed now. Never throws for
    /// a missing engine: that is reported as `installed: false` with a note.
    public static func gather(settings: [String: String], environment: [String: String]) -> EngineInventory {
        let f = EngineFactory(settings: settings, environment: environment)
        var entries: [Entry] = []

        // media: ffmpeg and ffprobe
        do {
            let ff = try FFmpeg()
            entries.append(Entry(stage: "media", engine: "ffmpeg", installed: true, version: (try? ff.version()).map { "ffmpeg " + $0 }, note: nil))
        } catch let e as OlleeyError {
            entries.append(Entry(stage: "media", engine: "ffmpeg", installed: false, note: e.message + (e.hint.map { "; " + $0 } ?? "")))
        } catch { entries.append(Entry(stage: "media", engine: "ffmpeg", installed: false, note: "\(error)")) }

        // transcribe
        let tName = settings["engines.transcribe"] ?? "pocketsphinx"
        if tName == "subtitles" {
            entries.append(Entry(stage: "transcribe", engine: "subtitles", installed: true, note: "no transcription: every job brings its subtitles (--subtitles FILE)"))
        } else { entries.append(probe(stage: "transcribe", engine: tName) {
            var e = Entry(stage: "transcribe", engine: tName, installed: false)
            let t = try f.transcriber(tName)
            e.engine = t.name
            if t is PocketsphinxTranscriber {
                try t.preflight(language: "en")
                e.languages = ["en"]
            }
            e.version = try? t.version(language: "en").trimmingCharacters(in: .whitespaces)
            e.installed = true
            return e
        }) }

        // translate
        let trName = settings["engines.translate"] ?? "apertium"
        entries.append(probe(stage: "translate", engine: trName) {
            let t = try f.translator(trName)
            var e = Entry(stage: "translate", engine: t.name, installed: true)
            if let a = t as? ApertiumTranslator {
                _ = try Subprocess.require("apertium", purpose: "the apertium translation engine")
                e.pairs = apertiumPairs(try a.modes())
                e.version = ToolVersions.debianPackage("apertium").map { "apertium \($0)" } ?? "apertium"
            } else if t is PseudoTranslator {
                e.note = "a test translator: every cue is labelled [pseudo-LANG]"
                e.version = try? t.version(from: "en", to: "es")
            } else {
                try t.preflight(sourceLang: "en", targetLangs: [])
                e.note = "any language pair the \(t.name) engine accepts"
                e.version = try? t.version(from: "en", to: "es")
            }
            return e
        })

        // speak
        let sName = settings["engines.speak"] ?? "espeak-ng"
        entries.append(probe(stage: "speak", engine: sName) {
            let s = try f.speaker(sName)
            var e = Entry(stage: "speak", engine: s.name, installed: true)
            if let es = s as? EspeakSpeaker {
                let list = try es.voiceList()
                var byLang: [String: [String]] = [:]
                for v in list {
                    let lang = v.language.split(separator: "-").first.map(String.init) ?? v.language
                    let arg = v.file.hasPrefix("mb/") ? String(v.file.dropFirst(3)) : v.language
                    if !(byLang[lang] ?? []).contains(arg) { byLang[lang, default: []].append(arg) }
                }
                e.voices = byLang.keys.sorted().map { ($0, byLang[$0] ?? []) }
                e.variants = try es.variants()
                e.version = try? s.version(language: "en").split(separator: " ").prefix(2).joined(separator: " ")
            } else {
                try s.preflight(languages: [])
                e.note = "voices as the \(s.name) engine names them (--voice LANG=VOICE)"
                e.version = try? s.version(language: "en")
            }
            return e
        })

        entries += optionalEngines(settings: settings, factory: f)
        return EngineInventory(entries: entries)
    }

    /// The optional stages: the separate and lipsync hooks, the describer, the diarizer.
    static func optionalEngines(settings: [String: String], factory f: EngineFactory) -> [Entry] {
        var entries: [Entry] = []
        for (stage, key) in [("separate", "engines.separate.command"), ("lipsync", "engines.lipsync.command")] {
            guard let t = settings[key] ?? (stage == "separate" ? settings["engines.separate"] : nil) else {
                entries.append(Entry(stage: stage, engine: "none", installed: false, note: "optional; set \(key) to use a command"))
                continue
            }
            entries.append(probe(stage: stage, engine: "command") {
                let tpl = try CommandTemplate(t, setting: key)
                guard let exe = tpl.words.first else { throw OlleeyError(.config, "\(key) is empty") }
                _ = try Subprocess.require(exe, purpose: key)
                return Entry(stage: stage, engine: "command", installed: true, version: "command \(tpl.fingerprint)")
            })
        }
        // audio description (--describe): optional, a person writes the script without one
        if let d = settings["engines.describe"].map({ $0.lowercased() }), d != "none", !d.isEmpty {
            entries.append(probe(stage: "describe", engine: d) {
                guard let describer = try f.describer() else { throw OlleeyError(.config, "engines.describe is not set") }
                try describer.preflight()
                return Entry(stage: "describe", engine: describer.name, installed: true, version: try? describer.version(),
                             note: describer is HTTPVisionDescriber ? "a vision chat model, fed each gap's frames (--describe)" : "writes each gap's description from its frames (--describe)")
            })
        } else {
            entries.append(Entry(stage: "describe", engine: "none", installed: false,
                                 note: "optional (--describe): a person writes the script with 'vtt edit --kind descriptions'; set engines.describe to command or http"))
        }

        // speaker diarization: optional, names the speakers of cues the subtitles do not name
        do {
            if let d = try f.diarizer() {
                entries.append(probe(stage: "diarize", engine: d.name) {
                    try d.preflight()
                    if let h = d as? HTTPDiarizer {
                        return Entry(stage: "diarize", engine: "http", installed: true, version: "http \(h.url)",
                                     note: "POSTs the audio (\(h.upload == .multipart ? "multipart, part 'file'" : "audio/wav body")); reads JSON segments, RTTM or START END SPEAKER lines")
                    }
                    return Entry(stage: "diarize", engine: d.name, installed: true, version: "\(d.name) \(d.fingerprint)",
                                 note: "writes RTTM, START END SPEAKER lines or JSON segments to {output}")
                })
            } else {
                entries.append(Entry(stage: "diarize", engine: "none", installed: false,
                                     note: "optional; set engines.diarize.command, or engines.diarize http and engines.diarize.url, to name the speakers of unnamed cues"))
            }
        } catch let e as OlleeyError {
            entries.append(Entry(stage: "diarize", engine: settings["engines.diarize"] ?? "command", installed: false, note: e.message + (e.hint.map { "; " + $0 } ?? "")))
        } catch {
            entries.append(Entry(stage: "diarize", engine: settings["engines.diarize"] ?? "command", installed: false, note: "\(error)"))
        }
        return entries
    }

    static func probe(stage: String, engine: String, _ body: () throws -> Entry) -> Entry {
        do { return try body() } catch let e as OlleeyError {
            return Entry(stage: stage, engine: engine, installed: false, note: e.message + (e.hint.map { "; " + $0 } ?? ""))
        } catch {
            return Entry(stage: stage, engine: engine, installed: false, note: "\(error)")
        }
    }

    /// apertium modes (`apertium -l`) as language pairs: only plain `xxx-yyy` modes (not
    /// `eng-cat_valencia`, `en-eo-bytecode`), each direction its own pair, ISO 639-1 codes.
    public static func apertiumPairs(_ modes: [String]) -> [Pair] {
        var out: [Pair] = []
        for m in modes {
            let parts = m.split(separator: "-").map(String.init)
            guard parts.count == 2, parts.allSatisfy({ p in (2...3).contains(p.count) && p.allSatisfy { $0.isLetter && $0.isLowercase } }) else { continue }
            let s = Language.find(parts[0])?.code ?? parts[0], t = Language.find(parts[1])?.code ?? parts[1]
            if !out.contains(where: { $0.source == s && $0.target == t }) { out.append(Pair(source: s, target: t, mode: m)) }
        }
        return out.sorted { ($0.source, $0.target) < ($1.source, $1.target) }
    }

    /// The speak entry with the voice registry's rows and, for espeak-ng, the voices a new
    /// speaker may be given.
    public func withRegistry(_ rows: [VoiceEntry]) -> EngineInventory {
        EngineInventory(entries: entries.map { e in
            guard e.stage == "speak" else { return e }
            var e = e
            e.registry = rows
            if let v = e.variants { e.speakerVoices = VoiceRegistry.automaticCandidates(variants: v) }
            return e
        })
    }

    /// Only what concerns `language`: pairs from or to it, its voices.
    public func filtered(language: String) -> EngineInventory {
        EngineInventory(entries: entries.map { e in
            var e = e
            e.pairs = e.pairs?.filter { $0.source == language || $0.target == language }
            e.voices = e.voices?.filter { $0.language == language }
            e.registry = e.registry?.filter { $0.language == language || $0.language == "*" }
            return e
        })
    }

    public var json: JSON {
        .array(entries.map { e in
            var o: [(String, JSON)] = [("stage", .string(e.stage)), ("engine", .string(e.engine)), ("installed", .bool(e.installed)),
                                       ("version", JSON(e.version)), ("note", JSON(e.note))]
            if let l = e.languages { o.append(("languages", .array(l.map { .string($0) }))) }
            if let p = e.pairs {
                o.append(("language_pairs", .array(p.map { .object([("pair", .string($0.name)), ("source", .string($0.source)),
                                                                    ("target", .string($0.target)), ("mode", .string($0.mode))]) })))
            }
            if let v = e.voices { o.append(("voices", .object(v.map { ($0.language, .array($0.voices.map { .string($0) })) }))) }
            if let v = e.variants { o.append(("voice_variants", .array(v.map { .string($0) }))) }
            if let v = e.speakerVoices { o.append(("speaker_voices", .array(v.map { .string($0.label) }))) }
            if let r = e.registry { o.append(("voice_registry", .array(r.map(\.json)))) }
            return .object(o)
        })
    }

    /// One line per stage of what it offers, for tables.
    public static func offers(_ e: Entry) -> String {
        if let p = e.pairs { return "pairs: " + (p.isEmpty ? "none" : p.map(\.name).joined(separator: ", ")) }
        if let v = e.voices {
            if v.count == 1, let only = v.first { return "voices for \(only.language): " + only.voices.joined(separator: ", ") + (e.variants.map { $0.isEmpty ? "" : " (+variants, e.g. +f3)" } ?? "") + registryNote(e) }
            return "voices for \(v.count) languages: " + v.map(\.language).joined(separator: ", ") + registryNote(e)
        }
        if let l = e.languages { return "languages: " + l.joined(separator: ", ") }
        return (e.note ?? "") + registryNote(e)
    }

    /// `; registry: Ana es es+f3, Ben * +m2` (the speak entry's registry rows), for tables.
    static func registryNote(_ e: Entry) -> String {
        guard let r = e.registry, !r.isEmpty else { return "" }
        return "; registry: " + r.map { "\($0.speaker) \($0.language) \($0.choice.label)" }.joined(separator: ", ")
    }
}
