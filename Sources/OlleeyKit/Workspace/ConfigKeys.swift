import Foundation
/// Typed, validated workspace settings (`olleey config get|set|unset|list`).
public struct ConfigKey: Sendable {
    public enum Kind: Sendable {
        case string
        case int(ClosedRange<Int64>)
        case double(ClosedRange<Double>)
        case bool
        case choice([String])
        case url
        case email
        /// A voice registry speaker's name (`Narrator`).
        case speaker
    }

    public let name: String
    public let kind: Kind
    public let defaultValue: String?
    public let help: String
    public let secret: Bool

    public init(_ name: String, _ kind: Kind, default d: String? = nil, secret: Bool = false, _ help: String) {
        self.name = name; self.kind = kind; self.defaultValue = d; self.help = help; self.secret = secret
    }

    public var typeName: String {
        switch kind {
        case .string: return "string"
        case let .int(r): return "integer \(r.lowerBound)...\(r.upperBound)"
        case let .double(r): return "number \(r.lowerBound)...\(r.upperBound)"
        case .bool: return "bool"
        case let .choice(c): return c.joined(separator: "|")
        case .url: return "url"
        case .email: return "email"
        case .speaker: return "speaker name"
        }
    }

    /// Validates and normalizes a value.
    public func validate(_ raw: String) throws -> String {
        let v = raw.trimmingCharacters(in: .whitespaces)
        func bad(_ why: String) -> OlleeyError {
            .invalid("invalid value '\(raw)' for \(name): \(why)", hint: "\(name) takes \(typeName)")
        }
        switch kind {
        case .string:
            return raw
        case let .int(r):
            guard let i = Int64(v) else { throw bad("not an integer") }
            guard r.contains(i) else { throw bad("out of range") }
            return String(i)
        case let .double(r):
            guard let d = Double(v), d.isFinite else { throw bad("not a number") }
            guard r.contains(d) else { throw bad("out of range") }
            return v
        case .bool:
            switch v.lowercased() {
            case "true", "yes", "on", "1": return "true"
            case "false", "no", "off", "0": return "false"
            default: throw bad("not a boolean (true or false)")
            }
        case let .choice(c):
            guard c.contains(v) else { throw bad("not one of \(c.joined(separator: ", "))") }
            return v
        case .url:
            guard v.hasPrefix("http://") || v.hasPrefix("https://") else { throw bad("not an http(s) URL") }
            return v
        case .email:
            let parts = v.split(separator: "@")
            guard parts.count == 2, !parts[0].isEmpty, parts[1].contains(".") else { throw bad("not an email address") }
            return v.lowercased()
        case .speaker:
            do { return try VoiceRegistry.speakerName(raw).display } catch let e as OlleeyError { throw bad(e.message) }
        }
    }
}

public enum ConfigKeys {
    public static let all: [ConfigKey] = [
        ConfigKey("user.email", .email, "the user the CLI acts as when --as is not given"),
        ConfigKey("user.org", .string, "the organisation the CLI acts in when $OLLEEY_ORG is not set (else 'default')"),
        ConfigKey("engines.transcribe", .choice(["subtitles", "pocketsphinx", "command", "http"]), default: "pocketsphinx",
                  "speech recognition engine (used when a job has no subtitles)"),
        ConfigKey("engines.translate", .choice(["apertium", "command", "http", "pseudo"]), default: "apertium", "translation engine"),
        ConfigKey("engines.speak", .choice(["espeak-ng", "command", "http"]), default: "espeak-ng", "speech synthesis engine"),
        ConfigKey("engines.separate", .string, "command template producing a music-and-effects stem: {input} {output}"),
        ConfigKey("engines.describe", .choice(["none", "command", "http"]), default: "none",
                  "audio-description writer for --describe (none: a person writes the script with 'vtt edit --kind descriptions'; http: an OpenAI-compatible vision chat model)"),
        ConfigKey("engines.describe.command", .string, "command template for the 'command' describer: {input} (a frame, PNG) {output} (text); also {frames} {start} {end} {lang}"),
        ConfigKey("engines.describe.timeout", .double(1.0...86400.0), default: "300", "seconds per description call"),
        ConfigKey("engines.describe.model", .string, default: "gpt-4o-mini", "vision chat model of the http describer (frames sent as image_url parts)"),
        ConfigKey("engines.describe.temperature", .double(0.0...2.0), default: "0", "sampling temperature of the http describer"),
        ConfigKey("engines.describe.base_url", .url, "base URL for the http describer only (else engines.http.base_url)"),
        ConfigKey("engines.describe.api_key", .string, secret: true, "API key for the http describer only"),
        ConfigKey("describe.min_gap_ms", .int(300...60000), default: "1500", "shortest gap in the speech that gets an audio description"),
        ConfigKey("describe.narrator", .speaker, default: "Narrator",
                  "the voice registry speaker who voices audio descriptions ('olleey voice set Narrator --lang es --voice es+f2' pins its voice)"),
        ConfigKey("engines.lipsync.command", .string, "lip-sync hook command template: {video} {audio} {output}"),
        ConfigKey("engines.diarize", .choice(["none", "command", "http"]),
                  "speaker diarization, naming the speakers of cues the subtitles do not name (unset: command when engines.diarize.command is set, else none; http: a service at engines.diarize.url)"),
        ConfigKey("engines.diarize.command", .string, "speaker diarization hook: {input} (the source's audio, 16 kHz mono WAV) {output} (RTTM, START END SPEAKER lines, or JSON segments)"),
        ConfigKey("engines.diarize.url", .url, "the http diarizer's whole URL (e.g. http://127.0.0.1:9000/diarize): POSTed the audio, answers JSON segments, RTTM or START END SPEAKER lines"),
        ConfigKey("engines.diarize.api_key", .string, secret: true, "bearer key for the http diarizer (the http engines' key is never sent to it)"),
        ConfigKey("engines.diarize.upload", .choice(["multipart", "wav"]), default: "multipart",
                  "how the http diarizer is sent the audio: multipart/form-data (part 'file', audio.wav) or the whole body as audio/wav"),
        ConfigKey("engines.diarize.timeout", .double(1.0...86400.0), default: "3600", "seconds per diarization call (http: per wait on the network)"),
        ConfigKey("engines.diarize.retries", .int(0...10), default: "2", "retries of a failed http diarization request (429, 5xx, network)"),
        ConfigKey("engines.transcribe.command", .string, "command template for the 'command' transcriber: {input} {output} {lang}"),
        ConfigKey("engines.translate.command", .string, "command template for the 'command' translator: {input} {output} {src} {tgt}"),
        ConfigKey("engines.speak.command", .string, "command template for the 'command' speaker: {text_file} {output} {lang} {voice}"),
        ConfigKey("engines.http.base_url", .url, "base URL of an OpenAI-compatible server (else $OLLEEY_HTTP_BASE_URL)"),
        ConfigKey("engines.http.api_key", .string, secret: true, "API key for the http engines (else $OPENAI_API_KEY)"),
        ConfigKey("engines.http.translate_model", .string, default: "gpt-4o-mini", "chat model for the http translator"),
        ConfigKey("engines.http.speech_model", .string, default: "tts-1", "model for the http speaker"),
        ConfigKey("engines.http.transcribe_model", .string, default: "whisper-1", "model for the http transcriber"),
        ConfigKey("engines.http.timeout", .double(1.0...3600.0), default: "120", "seconds per http engine request"),
        ConfigKey("engines.http.retries", .int(0...10), default: "2", "retries of a failed http engine request (429, 5xx, network)"),
        ConfigKey("engines.translate.base_url", .url, "base URL for the http translator only (else engines.http.base_url)"),
        ConfigKey("engines.translate.api_key", .string, secret: true, "API key for the http translator only"),
        ConfigKey("engines.speak.base_url", .url, "base URL for the http speaker only (else engines.http.base_url)"),
        ConfigKey("engines.speak.api_key", .string, secret: true, "API key for the http speaker only"),
        ConfigKey("engines.transcribe.base_url", .url, "base URL for the http transcriber only (else engines.http.base_url)"),
        ConfigKey("engines.transcribe.api_key", .string, secret: true, "API key for the http transcriber only"),
        ConfigKey("engines.translate.batch_size", .int(1...500), default: "40", "cues per chat request of the http translator"),
        ConfigKey("engines.translate.json_mode", .choice(["true", "false"]), default: "true",
                  "send response_format json_object (turn off for servers that reject it)"),
        ConfigKey("engines.translate.temperature", .double(0.0...2.0), default: "0", "sampling temperature of the http translator"),
        ConfigKey("engines.separate.timeout", .double(1.0...86400.0), default: "7200", "seconds per separation call"),
        ConfigKey("engines.translate.command_format", .choice(["json", "lines"]), default: "json", "what the 'command' translator reads and writes"),
        ConfigKey("engines.translate.apertium.datadir", .string, "apertium data directory (apertium -d)"),
        ConfigKey("engines.speak.voice", .string, "default voice (espeak-ng: e.g. es-419 or +f3; http: e.g. alloy); per language: engines.speak.voice.LANG"),
        ConfigKey("engines.speak.rate", .int(80...450), default: "175", "espeak-ng words per minute"),
        ConfigKey("engines.speak.speed", .double(0.25...4.0), "http TTS speed"),
        ConfigKey("engines.transcribe.response_format", .choice(["verbose_json", "json", "text", "srt", "vtt"]), default: "verbose_json",
                  "response format asked of the http transcriber"),
        ConfigKey("engines.transcribe.pocketsphinx.hmm", .string, "pocketsphinx acoustic model directory (default: Debian's en-us)"),
        ConfigKey("engines.transcribe.pocketsphinx.lm", .string, "pocketsphinx language model"),
        ConfigKey("engines.transcribe.pocketsphinx.dict", .string, "pocketsphinx dictionary"),
        ConfigKey("engines.transcribe.timeout", .double(1.0...86400.0), default: "3600", "seconds per transcription call"),
        ConfigKey("engines.translate.timeout", .double(1.0...86400.0), default: "600", "seconds per translation call"),
        ConfigKey("engines.speak.timeout", .double(1.0...86400.0), default: "300", "seconds per synthesis call"),
        ConfigKey("fit.max_tempo", .double(1.0...4.0), default: "1.3", "largest speed-up applied to fit speech into its slot"),
        ConfigKey("fit.mode", .choice(["audio", "video"]), default: "audio", "how overflow is absorbed: speed up audio, or slow the video"),
        ConfigKey("mix.duck_volume", .double(0.0...1.0), default: "0.25", "original audio volume while the dub speaks"),
        ConfigKey("job.parallel", .int(1...64), default: "2", "jobs or languages run at once by 'job run'"),
        ConfigKey("job.lease_seconds", .int(5...86400), default: "60", "worker lease length; an expired lease is taken over"),
        ConfigKey("job.max_attempts", .int(1...100), default: "3", "attempts per stage before a language fails"),
        ConfigKey("lint.profile", .choice(["default", "netflix", "captions"]), default: "default", "default profile for 'vtt lint'"),
        ConfigKey("vtt.author", .string, "author recorded on track versions (else user.email, else $USER)"),
        ConfigKey("auth.registration", .choice(["open", "invite", "off"]), default: "invite",
                  "who may register through the API: open (a new organisation each), invite (with an invitation), off"),
        ConfigKey("auth.password_iterations", .int(100_000...10_000_000), default: "600000", "PBKDF2-HMAC-SHA256 iterations of new password hashes"),
        ConfigKey("auth.refresh_days", .int(1...365), default: "30", "days a refresh token lives"),
        ConfigKey("auth.google.client_id", .string, "Google sign-in: the OAuth client id (the ID token's audience)"),
        ConfigKey("auth.google.jwks", .string, "Google sign-in: JWKS file or URL (https://www.googleapis.com/oauth2/v3/certs)"),
        ConfigKey("auth.microsoft.client_id", .string, "Microsoft sign-in: the application (client) id"),
        ConfigKey("auth.microsoft.issuer", .string, "Microsoft sign-in: the issuer, https://login.microsoftonline.com/TENANT/v2.0"),
        ConfigKey("auth.microsoft.jwks", .string, "Microsoft sign-in: JWKS file or URL"),
        ConfigKey("ratelimit.auth_per_minute", .int(1...1_000_000), default: "10", "auth requests a minute per client IP"),
        ConfigKey("ratelimit.standard_per_minute", .int(1...1_000_000), default: "100", "API requests a minute per user"),
        ConfigKey("ratelimit.upload_per_hour", .int(1...1_000_000), default: "10", "uploads an hour per user"),
        ConfigKey("engines.download.command", .string, "command template fetching a video page URL (a YouTube video of a webhook): {url} {output}"),
        ConfigKey("youtube.client_id", .string, "YouTube connections: the OAuth client id"),
        ConfigKey("youtube.client_secret", .string, secret: true, "YouTube connections: the OAuth client secret"),
        ConfigKey("youtube.authorize_url", .url, default: "https://accounts.google.com/o/oauth2/v2/auth", "YouTube connections: the OAuth authorization endpoint"),
        ConfigKey("youtube.token_url", .url, default: "https://oauth2.googleapis.com/token", "YouTube connections: the OAuth token endpoint"),
        ConfigKey("youtube.channels_url", .url, default: "https://www.googleapis.com/youtube/v3/channels?part=snippet&mine=true",
                  "YouTube connections: where the connected account's channel is read (Data API channels.list, mine=true)"),
        ConfigKey("youtube.redirect_url", .url, "YouTube connections: the OAuth redirect URI (else this server's /youtube/connect/callback)"),
        ConfigKey("youtube.frontend_url", .url, "YouTube connections: where the callback sends the browser back (else redirect_to, else /)"),
        ConfigKey("youtube.webhook_secret", .string, secret: true, "feed webhook: the hub.secret; notifications must carry X-Hub-Signature"),
    ]

    /// Keys read by some engines only: for each, the engine settings (stage) and the engines of
    /// that stage that read it. A key shared by several stages' http engines takes effect when
    /// any of them is `http`.
    public static let engineScope: [String: [(setting: String, engines: [String])]] = {
        var d: [String: [(setting: String, engines: [String])]] = [:]
        for stage in ["transcribe", "translate", "speak"] {
            let setting = "engines." + stage
            d["\(setting).command"] = [(setting, ["command"])]
            for k in ["base_url", "api_key"] { d["\(setting).\(k)"] = [(setting, ["http"])] }
        }
        d["engines.describe.command"] = [("engines.describe", ["command"])]
        d["engines.describe.timeout"] = [("engines.describe", ["command"])]
        for k in ["model", "temperature", "base_url", "api_key"] { d["engines.describe.\(k)"] = [("engines.describe", ["http"])] }
        for k in ["url", "api_key", "upload", "retries"] { d["engines.diarize.\(k)"] = [("engines.diarize", ["http"])] }
        d["engines.translate.command_format"] = [("engines.translate", ["command"])]
        for k in ["batch_size", "json_mode", "temperature"] { d["engines.translate.\(k)"] = [("engines.translate", ["http"])] }
        d["engines.translate.apertium.datadir"] = [("engines.translate", ["apertium"])]
        d["engines.http.translate_model"] = [("engines.translate", ["http"])]
        d["engines.http.speech_model"] = [("engines.speak", ["http"])]
        d["engines.speak.speed"] = [("engines.speak", ["http"])]
        d["engines.speak.rate"] = [("engines.speak", ["espeak-ng"])]
        d["engines.http.transcribe_model"] = [("engines.transcribe", ["http"])]
        d["engines.transcribe.response_format"] = [("engines.transcribe", ["http"])]
        for k in ["hmm", "lm", "dict"] { d["engines.transcribe.pocketsphinx.\(k)"] = [("engines.transcribe", ["pocketsphinx"])] }
        for k in ["base_url", "api_key", "timeout", "retries"] {
            d["engines.http.\(k)"] = ["transcribe", "translate", "speak", "describe"].map { ("engines." + $0, ["http"]) }
        }
        return d
    }()

    /// A key by name; `engines.speak.voice.LANG` for any known language code.
    public static func find(_ name: String) -> ConfigKey? {
        if let k = all.first(where: { $0.name == name }) { return k }
        let prefix = "engines.speak.voice."
        if name.hasPrefix(prefix), Language.find(String(name.dropFirst(prefix.count))) != nil {
            return ConfigKey(name, .string, "voice for one language")
        }
        return nil
    }
}
