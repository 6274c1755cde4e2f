import Foundation

// MARK: espeak-ng

/// Offline speech with espeak-ng: `espeak-ng -v LANG[+variant] -s RATE -w out.wav`, text on
/// stdin (so no text is ever taken for an option). Output: 22.05 kHz mono WAV.
public struct EspeakSpeaker: Speaker {
    public let name = "espeak-ng"
    /// Words per minute (espeak's default is 175; setting `engines.speak.rate`).
    public var rate: Int
    /// Default voice or variant when a cue gives none (setting `engines.speak.voice`), e.g.
    /// `+f3` (a variant of the language's voice) or `es-419` (a voice name).
    public var defaultVoice: String?
    public var timeout: Double = 120

    public init(rate: Int = 175, defaultVoice: String? = nil) {
        self.rate = rate; self.defaultVoice = defaultVoice
    }

    static let aliases: [String: String] = ["zh": "cmn", "no": "nb", "he": "he", "fil": "tl"]

    /// espeak-ng's voice argument for a language and an optional voice/variant.
    public static func voiceArgument(language: String, voice: String?) -> String {
        let lang = language.replacingOccurrences(of: "_", with: "-").lowercased()
        let base = aliases[lang] ?? lang
        guard let v = voice?.trimmingCharacters(in: .whitespaces), !v.isEmpty else { return base }
        if v.hasPrefix("+") { return base + v }
        return v
    }

    /// Languages espeak-ng has voices for (`espeak-ng --voices`), lower case.
    public func languages() throws -> Set<String> {
        let exe = try Subprocess.require("espeak-ng", purpose: "the espeak-ng speech engine")
        let text = try ToolVersions.get("espeak-voices") { try Subprocess.run(exe, ["--voices"], timeout: 30).stdoutString }
        var out = Set<String>()
        for v in EspeakSpeaker.parseVoices(text, mbrola: true) { out.insert(v.language); out.formUnion(v.otherLanguages) }
        return out
    }

    /// One line of `espeak-ng --voices`.
    public struct Voice: Sendable, Equatable {
        /// The voice's language code (`es`, `es-419`), lower case.
        public var language: String
        /// Its name (`Spanish_(Spain)`) and data file (`roa/es`).
        public var name: String
        public var file: String
        /// Other language codes it serves (`es-mx`, `es`).
        public var otherLanguages: [String]
    }

    /// The voices `espeak-ng --voices` lists. MBROLA voices are left out when `mbrola` is not
    /// installed (espeak-ng lists them, then fails to use them).
    public func voiceList() throws -> [Voice] {
        let exe = try Subprocess.require("espeak-ng", purpose: "the espeak-ng speech engine")
        let text = try ToolVersions.get("espeak-voices") { try Subprocess.run(exe, ["--voices"], timeout: 30).stdoutString }
        return EspeakSpeaker.parseVoices(text, mbrola: Subprocess.which("mbrola") != nil)
    }

    /// Parses `espeak-ng --voices` (columns: Pty Language Age/Gender VoiceName File Other Languages).
    public static func parseVoices(_ text: String, mbrola: Bool) -> [Voice] {
        var out: [Voice] = []
        for line in text.split(separator: "\n").dropFirst() {
            let cols = line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
            guard cols.count >= 5 else { continue }
            if cols[4].hasPrefix("mb/") && !mbrola { continue }
            // "Other Languages" after the file: "(es-mx 6)(es 6)" (a name may hold "(" too)
            let others = cols.dropFirst(5).joined(separator: " ").split(separator: "(").compactMap { $0.split(separator: " ").first.map { String($0).lowercased() } }
            out.append(Voice(language: cols[1].lowercased(), name: cols[3], file: cols[4], otherLanguages: others))
        }
        return out
    }

    /// The variants a voice takes after `+` (`espeak-ng --voices=variant`: `f3`, `m1`, `klatt`).
    public func variants() throws -> [String] {
        let exe = try Subprocess.require("espeak-ng", purpose: "the espeak-ng speech engine")
        let text = try ToolVersions.get("espeak-variants") { try Subprocess.run(exe, ["--voices=variant"], timeout: 30).stdoutString }
        return EspeakSpeaker.parseVariants(text)
    }

    public static func parseVariants(_ text: String) -> [String] {
        text.split(separator: "\n").dropFirst().compactMap { line in
            let cols = line.split(separator: " ", omittingEmptySubsequences: true)
            guard cols.count >= 5, cols[4].hasPrefix("!v/") else { return nil }
            return String(cols[4].dropFirst(3))
        }
    }

    /// The voices for a language: its own codes (`es`, `es-419`) first, as `--voice` takes them.
    public func voices(for language: String) throws -> [String] {
        let base = EspeakSpeaker.voiceArgument(language: language, voice: nil)
        let list = try voiceList()
        var out: [String] = []
        for v in list where v.language == base || v.language.hasPrefix(base + "-") || v.otherLanguages.contains(base) {
            let arg = v.file.hasPrefix("mb/") ? String(v.file.dropFirst(3)) : v.language
            if !out.contains(arg) { out.append(arg) }
        }
        return out
    }

    /// Refuses (`.invalid`, 65) a `--voice` that is not one of espeak-ng's voices for that
    /// language, before a run reads the language with some other voice: `es`, `es-419`, `roa/es`,
    /// a voice's name, `+f3` (the language's voice with a variant), `es+f3`. A voice of another
    /// language (`--voice es=klingon`, espeak-ng's piqd voice) is refused too: it would read the
    /// text with the wrong language's rules. A variant must exist (espeak-ng ignores an unknown one).
    public func checkVoice(_ voice: String, language: String) throws {
        let parts = voice.split(separator: "+", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        let base = parts[0].lowercased(), variant = parts.count > 1 ? parts[1] : nil
        let lang = EspeakSpeaker.voiceArgument(language: language, voice: nil)
        let list = try voiceList()
        func names(_ v: Voice) -> Bool {
            v.language == base || v.otherLanguages.contains(base) || v.name.lowercased() == base || v.file.lowercased() == base
                || (v.file.hasPrefix("mb/") && String(v.file.dropFirst(3)).lowercased() == base)
        }
        func serves(_ v: Voice) -> Bool {
            ([v.language] + v.otherLanguages).contains { $0 == lang || $0.hasPrefix(lang + "-") }
        }
        let variants = try variants()
        var problem: String?
        if !base.isEmpty && !list.contains(where: { names($0) && serves($0) }) {
            if let other = list.first(where: names) {
                problem = "espeak-ng's voice '\(parts[0])' is a voice for \(other.language), not \(language)"
            } else {
                problem = "espeak-ng has no voice '\(parts[0])'"
            }
        } else if let v = variant, !variants.contains(where: { $0.lowercased() == v.lowercased() }) {
            problem = "espeak-ng has no variant '+\(v)'"
        }
        guard let problem else { return }
        let mine = (try? voices(for: language)) ?? []
        throw OlleeyError(.invalid, "\(problem) (voice \(language)=\(voice))",
                          hint: "voices for \(language): \(mine.isEmpty ? "none" : mine.joined(separator: ", ")); variants: +"
                              + variants.filter { $0.count == 2 && ($0.hasPrefix("f") || $0.hasPrefix("m")) }.sorted().joined(separator: ", +")
                              + ", ... (e.g. \(mine.first ?? language)+f3)", next: [.input("voice", example: "\(language)=\(mine.first ?? language)"), .command("engines", options: ["lang": language])])
    }

    public func supports(_ language: String) throws -> Bool {
        let langs = try languages()
        let l = EspeakSpeaker.voiceArgument(language: language, voice: nil)
        let base = l.split(separator: "-").first.map(String.init) ?? l
        return langs.contains(l) || langs.contains(base) || langs.contains { $0.hasPrefix(base + "-") }
    }

    public func preflight(languages: [String]) throws {
        _ = try Subprocess.require("espeak-ng", purpose: "the espeak-ng speech engine")
        let missing = try languages.filter { try !supports($0) }
        guard missing.isEmpty else {
            throw OlleeyError(.unavailable, "espeak-ng has no voice for \(missing.joined(separator: ", "))",
                              hint: "see the voices installed, or choose another engine", next: [.command("engines"), .setting("engines.speak", example: "http")])
        }
    }

    public func version(language: String) throws -> String {
        let exe = try Subprocess.require("espeak-ng", purpose: "the espeak-ng speech engine")
        let v = ToolVersions.get("espeak-version") {
            let out = (try? Subprocess.run(exe, ["--version"], timeout: 30))?.stdoutString ?? ""
            // "eSpeak NG text-to-speech: 1.51  Data at: ..."
            if let r = out.range(of: "text-to-speech: ") {
                return String(out[r.upperBound...].prefix(while: { !$0.isWhitespace }))
            }
            return out.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        return "espeak-ng \(v) rate=\(rate) voice=\(EspeakSpeaker.voiceArgument(language: language, voice: defaultVoice))"
    }

    public func synthesize(_ text: String, language: String, voice: String?, to output: String, cancel: CancelToken) throws {
        try synthesize(text, language: language, choice: VoiceChoice(voice: voice), to: output, cancel: cancel)
    }

    /// `-p PITCH` and `-s RATE` from the choice when it has them (a registry voice's variant).
    public func synthesize(_ text: String, language: String, choice: VoiceChoice, to output: String, cancel: CancelToken) throws {
        let v = EspeakSpeaker.voiceArgument(language: language, voice: choice.voice ?? defaultVoice)
        try FFmpeg.writing(output) { tmp in
            var args = ["-v", v, "-s", String(choice.rate ?? rate)]
            if let pitch = choice.pitch { args += ["-p", String(pitch)] }
            var p = Subprocess("espeak-ng", args + ["-w", tmp])
            p.input = .bytes(Array(text.utf8))
            p.timeout = timeout
            p.cancel = cancel
            let r = try p.run()
            if !r.succeeded { throw r.error("espeak-ng") }
            // espeak-ng exits 0 with a message when the voice does not exist
            if r.stderrString.contains("Failed to read voice") || r.stderrString.contains("Unknown voice") {
                throw OlleeyError(.unavailable, "espeak-ng has no voice '\(v)'", hint: "see 'espeak-ng --voices'")
            }
            guard (fileSize(tmp) ?? 0) > 44 else { throw OlleeyError(.failure, "espeak-ng wrote no audio for voice \(v)") }
        }
    }
}

// MARK: command

/// Any TTS program through a template (setting `engines.speak.command`), e.g.
/// `piper --model {voice} --output_file {output}` or `my-tts {text_file} {output} {lang}`.
/// Placeholders: `{output}` (required: the audio file to write; WAV, or anything ffmpeg reads,
/// which is then converted), `{text}` (the text as one argument), `{text_file}` (a UTF-8 file
/// with the text), `{lang}`, `{voice}`. Without `{text}`/`{text_file}` the text comes on stdin.
public struct CommandSpeaker: Speaker {
    public let name = "command"
    public var template: CommandTemplate
    public var defaultVoice: String?
    public var timeout: Double

    public init(template: CommandTemplate, defaultVoice: String? = nil, timeout: Double = 300) throws {
        guard template.uses("output") else {
            throw OlleeyError(.config, "engines.speak.command must contain {output} (the WAV file to write)")
        }
        self.template = template; self.defaultVoice = defaultVoice; self.timeout = timeout
    }

    public func version(language: String) throws -> String { "command \(template.fingerprint) voice=\(defaultVoice ?? "")" }

    public func preflight(languages: [String]) throws {
        guard let exe = template.words.first else { throw OlleeyError(.config, "engines.speak.command is empty") }
        _ = try Subprocess.require(exe, purpose: "engines.speak.command")
    }

    public func synthesize(_ text: String, language: String, voice: String?, to output: String, cancel: CancelToken) throws {
        var values = ["lang": language, "voice": voice ?? defaultVoice ?? "", "text": text]
        var cleanup: [String] = []
        defer { for f in cleanup { unlink(f) } }
        if template.uses("text_file") {
            let f = try writeTempFile(text, ext: "txt")
            cleanup.append(f)
            values["text_file"] = f
        }
        let stdin: Subprocess.Input = (template.uses("text") || template.uses("text_file")) ? .none : .bytes(Array(text.utf8))
        let raw = temporaryPath(ext: "audio", dir: (output as NSString).deletingLastPathComponent.isEmpty ? "." : (output as NSString).deletingLastPathComponent)
        cleanup.append(raw)
        values["output"] = raw
        _ = try template.run(values, stdin: stdin, timeout: timeout, cancel: cancel, what: "speech command")
        guard (fileSize(raw) ?? 0) > 0 else {
            throw OlleeyError(.failure, "speech command wrote no audio to {output}")
        }
        try storeAudio(raw, as: output, cancel: cancel, what: "speech command")
    }
}

/// Moves `raw` to `output` when it is a PCM WAV, else converts it with ffmpeg.
func storeAudio(_ raw: String, as output: String, cancel: CancelToken, what: String) throws {
    if (try? WAVHeader.read(raw)) != nil {
        try FFmpeg.writing(output) { tmp in
            if rename(raw, tmp) != 0 { throw OlleeyError(.cannotCreate, "cannot create \(output): \(String(cString: strerror(errno)))") }
        }
        return
    }
    let ff = try FFmpeg(cancel: cancel)
    let info: MediaInfo
    do { info = try ff.probe(raw) } catch { throw OlleeyError(.invalid, "\(what) produced audio that ffmpeg cannot read") }
    let format = WAVFormat(channels: min(2, max(1, info.audio?.channels ?? 1)), sampleRate: info.audio?.sampleRate ?? 24_000)
    try ff.convertAudio(raw, to: output, format: format)
}

// MARK: http (OpenAI-compatible /v1/audio/speech)

/// Speech from an OpenAI-compatible server: `POST {base}/v1/audio/speech` with
/// `{"model","input","voice","response_format":"wav"}`; a non-WAV answer is converted.
public struct HTTPSpeechSpeaker: Speaker {
    public let name = "http"
    public var endpoint: HTTPEndpoint
    public var model: String
    public var defaultVoice: String
    /// Per-language voices (`engines.speak.voice.es`), else `defaultVoice`.
    public var voices: [String: String]
    public var speed: Double?

    public init(endpoint: HTTPEndpoint, model: String = "tts-1", defaultVoice: String = "alloy", voices: [String: String] = [:], speed: Double? = nil) {
        self.endpoint = endpoint; self.model = model; self.defaultVoice = defaultVoice; self.voices = voices; self.speed = speed
    }

    public func version(language: String) throws -> String {
        "http \(endpoint.fingerprint) \(model) voice=\(voices[language] ?? defaultVoice)\(speed.map { " speed=\($0)" } ?? "")"
    }

    public func preflight(languages: [String]) throws { try endpoint.preflight(setting: "engines.speak") }

    public func synthesize(_ text: String, language: String, voice: String?, to output: String, cancel: CancelToken) throws {
        var body: [(String, JSON)] = [
            ("model", .string(model)), ("input", .string(text)),
            ("voice", .string(voice ?? voices[language] ?? defaultVoice)), ("response_format", "wav"),
        ]
        if let s = speed { body.append(("speed", .double(s))) }
        let r = try endpoint.postJSON("audio/speech", .object(body), cancel: cancel, what: "speech request")
        guard !r.body.isEmpty else { throw OlleeyError(.failure, "speech server answered with no audio") }
        let dir = (output as NSString).deletingLastPathComponent
        let raw = temporaryPath(ext: "audio", dir: dir.isEmpty ? "." : dir)
        defer { unlink(raw) }
        guard FileManager.default.createFile(atPath: raw, contents: Data(r.body)) else {
            throw OlleeyError(.cannotCreate, "cannot write \(raw)")
        }
        try storeAudio(raw, as: output, cancel: cancel, what: "speech server")
    }
}
