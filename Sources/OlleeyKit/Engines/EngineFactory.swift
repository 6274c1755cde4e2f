import Foundation

/// Builds engines from their names and the settings (`olleey config` keys, with environment
/// fallbacks). The keys:
///
/// | key | meaning | default |
/// |---|---|---|
/// | `engines.translate` | `apertium`, `command`, `http`, `pseudo` | `apertium` |
/// | `engines.speak` | `espeak-ng`, `command`, `http` | `espeak-ng` |
/// | `engines.transcribe` | `pocketsphinx`, `command`, `http` | `pocketsphinx` |
/// | `engines.translate.command` | template, see `CommandTranslator` | |
/// | `engines.translate.command_format` | `json` or `lines` | `json` |
/// | `engines.speak.command` | template, see `CommandSpeaker` | |
/// | `engines.transcribe.command` | template, see `CommandTranscriber` | |
/// | `engines.separate.command` | template, see `CommandSeparator` (unset: no separation) | |
/// | `engines.describe` | `none`, `command`, `http` (`Describers.swift`) | `none` |
/// | `engines.diarize` | `none`, `command`, `http` (`Diarizers.swift`) | `command` when `engines.diarize.command` is set, else `none` |
/// | `engines.diarize.command` | template, see `CommandDiarizer` | |
/// | `engines.diarize.url`, `.api_key`, `.upload`, `.retries` | the `http` diarizer's whole URL, bearer key (its own only), `multipart` or `wav`, retries | , , `multipart`, 2 |
/// | `engines.<kind>.timeout` | seconds per call of that engine | 600 / 300 / 3600 |
/// | `engines.http.base_url` | OpenAI-compatible server (env `OLLEEY_HTTP_BASE_URL`, `OPENAI_BASE_URL`) | |
/// | `engines.http.api_key` | bearer key (env `OLLEEY_HTTP_API_KEY`, `OPENAI_API_KEY`) | |
/// | `engines.http.timeout`, `engines.http.retries` | per request | 120, 2 |
/// | `engines.<kind>.base_url`, `engines.<kind>.api_key` | per-kind override of the above | |
/// | `engines.translate.model` | chat model (else `engines.http.translate_model`, the `olleey config` key) | `gpt-4o-mini` |
/// | `engines.translate.batch_size` | cues per chat request | 40 |
/// | `engines.translate.json_mode` | send `response_format: json_object` | true |
/// | `engines.translate.apertium.datadir` | apertium `-d` | |
/// | `engines.speak.model` | TTS model (else `engines.http.speech_model`) | `tts-1` |
/// | `engines.speak.voice` | default voice (espeak: `+f3` or `es-419`; http: `alloy`) | |
/// | `engines.speak.voice.<lang>` | voice for one language (http) | |
/// | `engines.speak.rate` | espeak-ng words per minute | 175 |
/// | `engines.speak.speed` | http TTS speed | |
/// | `engines.transcribe.model` | ASR model (else `engines.http.transcribe_model`) | `whisper-1` |
/// | `engines.transcribe.response_format` | http ASR format | `verbose_json` |
/// | `engines.transcribe.pocketsphinx.hmm` / `.lm` / `.dict` | model overrides | Debian en-us |
///
/// With `OLLEEY_STANDIN_MS` in the environment (benchmarks only, `StandIn`), every translate,
/// speak, transcribe and (configured) separate engine is a stand-in, whatever is configured.
public struct EngineFactory: Sendable {
    public var settings: EngineSettings

    public static let translators = ["apertium", "command", "http", "pseudo"]
    public static let speakers = ["espeak-ng", "command", "http"]
    public static let transcribers = ["pocketsphinx", "command", "http"]

    public init(settings: [String: String], environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.settings = EngineSettings(settings, environment: environment)
    }

    public init(settings: EngineSettings) { self.settings = settings }

    func unknown(_ kind: String, _ name: String, _ names: [String]) -> OlleeyError {
        let near = Suggest.closest(name, among: names)
        return OlleeyError(.config, "unknown \(kind) engine '\(name)'",
                           hint: (near.isEmpty ? "" : "did you mean \(near.joined(separator: " or "))? ") + "engines: \(names.joined(separator: ", "))")
    }

    func template(_ key: String, example: String) throws -> CommandTemplate {
        guard let t = settings[key] else {
            throw OlleeyError(.config, "\(key) is not set", next: [.setting(key, example: "'\(example)'")])
        }
        return try CommandTemplate(t, setting: key)
    }

    /// The OpenAI-compatible server for an engine kind (`translate`, `speak`, `transcribe`).
    public func endpoint(_ kind: String) throws -> HTTPEndpoint {
        guard let base = settings.first(["engines.\(kind).base_url", "engines.http.base_url"], env: ["OLLEEY_HTTP_BASE_URL", "OPENAI_BASE_URL"]) else {
            throw OlleeyError(.config, "engines.http.base_url is not set (the \(kind) engine is 'http')",
                              hint: "or set OLLEEY_HTTP_BASE_URL", next: [.setting("engines.http.base_url", example: "http://127.0.0.1:8080")])
        }
        let key = settings.first(["engines.\(kind).api_key", "engines.http.api_key"], env: ["OLLEEY_HTTP_API_KEY", "OPENAI_API_KEY"])
        let timeout = try settings.double("engines.http.timeout", default: 120)
        let retries = try settings.int("engines.http.retries", default: 2)
        let e = HTTPEndpoint(baseURL: base, apiKey: key, timeout: timeout, retries: max(0, retries))
        try e.preflight(setting: "engines.\(kind)")
        return e
    }

    /// The translator named `name` (else `engines.translate`, else apertium).
    public func translator(_ name: String? = nil) throws -> any Translator {
        if let s = try StandIn.from(settings.environment) { return StandInTranslator(standIn: s) }
        let n = (name ?? settings["engines.translate"] ?? "apertium").lowercased()
        let timeout = try settings.double("engines.translate.timeout", default: 600)
        switch n {
        case "apertium":
            var t = ApertiumTranslator(dataDir: settings["engines.translate.apertium.datadir"])
            t.timeout = timeout
            return t
        case "command":
            let fmt = settings["engines.translate.command_format"] ?? "json"
            guard let f = CommandTranslator.Format(rawValue: fmt) else {
                throw OlleeyError(.config, "engines.translate.command_format must be json or lines (got '\(fmt)')")
            }
            return CommandTranslator(template: try template("engines.translate.command", example: "my-mt {input} {output} {src} {tgt}"),
                                     format: f, timeout: timeout)
        case "http":
            return HTTPChatTranslator(endpoint: try endpoint("translate"),
                                      model: settings.first(["engines.translate.model", "engines.http.translate_model"]) ?? "gpt-4o-mini",
                                      batchSize: try settings.int("engines.translate.batch_size", default: 40),
                                      temperature: try settings.double("engines.translate.temperature", default: 0),
                                      jsonMode: try settings.bool("engines.translate.json_mode", default: true))
        case "pseudo":
            return PseudoTranslator()
        default:
            throw unknown("translate", n, EngineFactory.translators)
        }
    }

    /// The speaker named `name` (else `engines.speak`, else espeak-ng).
    public func speaker(_ name: String? = nil) throws -> any Speaker {
        if let s = try StandIn.from(settings.environment) { return StandInSpeaker(standIn: s) }
        let n = (name ?? settings["engines.speak"] ?? "espeak-ng").lowercased()
        switch n {
        case "espeak-ng", "espeak":
            let rate = try settings.int("engines.speak.rate", default: 175)
            guard (80...500).contains(rate) else { throw OlleeyError(.config, "engines.speak.rate must be 80-500 words per minute (got \(rate))") }
            var s = EspeakSpeaker(rate: rate, defaultVoice: settings["engines.speak.voice"])
            s.timeout = try settings.double("engines.speak.timeout", default: 300)
            return s
        case "command":
            return try CommandSpeaker(template: try template("engines.speak.command", example: "my-tts {text_file} {output} {lang}"),
                                      defaultVoice: settings["engines.speak.voice"],
                                      timeout: try settings.double("engines.speak.timeout", default: 300))
        case "http":
            var voices: [String: String] = [:]
            for (k, v) in settings.values where k.hasPrefix("engines.speak.voice.") && !v.isEmpty {
                voices[String(k.dropFirst("engines.speak.voice.".count))] = v
            }
            return HTTPSpeechSpeaker(endpoint: try endpoint("speak"),
                                     model: settings.first(["engines.speak.model", "engines.http.speech_model"]) ?? "tts-1",
                                     defaultVoice: settings["engines.speak.voice"] ?? "alloy",
                                     voices: voices,
                                     speed: settings["engines.speak.speed"] == nil ? nil : try settings.double("engines.speak.speed", default: 1))
        default:
            throw unknown("speak", n, EngineFactory.speakers)
        }
    }

    /// The transcriber named `name` (else `engines.transcribe`, else pocketsphinx).
    public func transcriber(_ name: String? = nil) throws -> any Transcriber {
        if let s = try StandIn.from(settings.environment) { return StandInTranscriber(standIn: s) }
        let n = (name ?? settings["engines.transcribe"] ?? "pocketsphinx").lowercased()
        switch n {
        case "pocketsphinx":
            var t = PocketsphinxTranscriber(hmm: settings["engines.transcribe.pocketsphinx.hmm"],
                                            lm: settings["engines.transcribe.pocketsphinx.lm"],
                                            dict: settings["engines.transcribe.pocketsphinx.dict"])
            t.timeout = try settings.double("engines.transcribe.timeout", default: 3600)
            return t
        case "command":
            return CommandTranscriber(template: try template("engines.transcribe.command", example: "my-asr {input} {output} {lang}"),
                                      timeout: try settings.double("engines.transcribe.timeout", default: 3600))
        case "http":
            return HTTPTranscriber(endpoint: try endpoint("transcribe"),
                                   model: settings.first(["engines.transcribe.model", "engines.http.transcribe_model"]) ?? "whisper-1",
                                   responseFormat: settings["engines.transcribe.response_format"] ?? "verbose_json")
        default:
            throw unknown("transcribe", n, EngineFactory.transcribers)
        }
    }

    /// The separator when `engines.separate.command` is set, else nil (mix over the ducked original).
    public func separator() throws -> (any Separator)? {
        guard settings["engines.separate.command"] != nil else { return nil }
        if let s = try StandIn.from(settings.environment) { return StandInSeparator(standIn: s) }
        return try CommandSeparator(template: try template("engines.separate.command", example: "my-separator {input} {output}"),
                                    timeout: try settings.double("engines.separate.timeout", default: 7200))
    }
}

/// The engines one job uses, checked together before any work starts.
public struct EngineSet: Sendable {
    public var translator: any Translator
    public var speaker: any Speaker
    /// nil when the job brings its own source subtitles.
    public var transcriber: (any Transcriber)?
    /// nil unless `engines.separate.command` is set.
    public var separator: (any Separator)?

    public init(translator: any Translator, speaker: any Speaker, transcriber: (any Transcriber)?, separator: (any Separator)?) {
        self.translator = translator; self.speaker = speaker; self.transcriber = transcriber; self.separator = separator
    }

    /// Fails before any work: ffmpeg/ffprobe present, every engine able to do what the job
    /// asks (`.unavailable` naming what to install, `.config` naming the setting).
    public func preflight(sourceLang: String, targetLangs: [String]) throws {
        _ = try FFmpeg()
        if let t = transcriber { try t.preflight(language: sourceLang) }
        try translator.preflight(sourceLang: sourceLang, targetLangs: targetLangs)
        try speaker.preflight(languages: targetLangs)
        if let s = separator { try s.preflight() }
    }
}

extension EngineFactory {
    /// The engines for a job: names given per job override the configured ones.
    public func engines(translate: String? = nil, speak: String? = nil, transcribe: String? = nil,
                        needsTranscription: Bool) throws -> EngineSet {
        EngineSet(translator: try translator(translate), speaker: try speaker(speak),
                  transcriber: needsTranscription ? try transcriber(transcribe) : nil, separator: try separator())
    }
}
