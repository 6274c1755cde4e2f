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
        ConfigKey("engines.lipsync.command", .string, "lip-sync hook command template: {video} {audio} {output}"),
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
        ConfigKey("lint.profile", .choice(["default", "netflix"]), default: "default", "default profile for 'vtt lint'"),
        ConfigKey("vtt.author", .string, "author recorded on track versions (else user.email, else $USER)"),
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
            d["engines.http.\(k)"] = ["transcribe", "translate", "speak"].map { ("engines." + $0, ["http"]) }
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

/// Reads and writes settings in the workspace database.
public struct ConfigStore {
    let db: Database

    public init(_ db: Database) { self.db = db }

    public func stored(_ key: String) throws -> String? {
        try db.scalarText("SELECT value FROM settings WHERE key = ?", [.text(key)])
    }

    /// The stored value, else the default.
    public func value(_ key: String) throws -> String? {
        try stored(key) ?? ConfigKeys.find(key)?.defaultValue
    }

    public func set(_ key: String, _ value: String) throws {
        try db.run("INSERT INTO settings(key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
                   [.text(key), .text(value), .text(Clock.nowISO())])
    }

    @discardableResult
    public func unset(_ key: String) throws -> Bool {
        try db.run("DELETE FROM settings WHERE key = ?", [.text(key)]) > 0
    }

    public func allStored() throws -> [String: String] {
        var d: [String: String] = [:]
        for (k, v) in try db.query("SELECT key, value FROM settings", [], { (try $0["key"] as String, try $0["value"] as String) }) { d[k] = v }
        return d
    }
}

/// Rules of `olleey config`: known keys only, typed values.
public struct ConfigService {
    public let store: ConfigStore

    public init(_ db: Database) { store = ConfigStore(db) }

    public func key(_ name: String) throws -> ConfigKey {
        guard let k = ConfigKeys.find(name) else {
            let near = Suggest.closest(name, among: ConfigKeys.all.map(\.name))
            throw OlleeyError.usage("unknown config key '\(name)'",
                                    hint: near.isEmpty ? nil : "did you mean \(near.map { "'\($0)'" }.joined(separator: " or "))?", next: near.isEmpty ? [.command("config list")] : [])
        }
        return k
    }

    public func get(_ name: String) throws -> (key: ConfigKey, value: String?, isDefault: Bool) {
        let k = try key(name)
        let stored = try store.stored(name)
        return (k, stored ?? k.defaultValue, stored == nil)
    }

    @discardableResult
    public func set(_ name: String, _ raw: String) throws -> String {
        let k = try key(name)
        let v = try k.validate(raw)
        try store.set(name, v)
        return v
    }

    /// A setting that the configured engines do not read: which key, why, and the setting that
    /// would make it count (each front end phrases it: the CLI as a `config set` line).
    public struct NoEffect: Sendable, Equatable {
        public var key: String
        public var message: String
        public var next: NextAction
        public var json: JSON { .object([("key", .string(key)), ("message", .string(message)), ("next", next.json)]) }
    }

    /// What has no effect after `name` was set: the key itself when the engine configured for its
    /// stage does not read it (`engines.translate.command` while `engines.translate` is
    /// `apertium`); for an engine setting, the stored keys the newly chosen engine does not read.
    public func noEffect(afterSetting name: String) throws -> [NoEffect] {
        if ConfigKeys.engineScope[name] != nil { return try noEffect(name).map { [$0] } ?? [] }
        let stored = try store.allStored()
        return try ConfigKeys.engineScope.filter { key, scope in stored[key] != nil && scope.contains { $0.setting == name } }
            .keys.sorted().compactMap { try noEffect($0) }
    }

    func noEffect(_ name: String) throws -> NoEffect? {
        guard let scope = ConfigKeys.engineScope[name] else { return nil }
        var current: [(setting: String, engine: String)] = []
        for s in scope {
            let engine = try store.value(s.setting) ?? ""
            if s.engines.contains(engine) { return nil }
            current.append((s.setting, engine))
        }
        let readers = Set(scope.flatMap(\.engines)).sorted().joined(separator: " or ")
        let now = current.map { "\($0.setting) is \($0.engine.isEmpty ? "unset" : $0.engine)" }.joined(separator: ", ")
        let example = scope[0]
        return NoEffect(key: name, message: "\(name) has no effect while \(now): only the \(readers) engine reads it",
                        next: .setting(example.setting, example: example.engines[0]))
    }

    @discardableResult
    public func unset(_ name: String) throws -> Bool {
        _ = try key(name)
        return try store.unset(name)
    }

    public func list() throws -> [(key: ConfigKey, value: String?, isDefault: Bool)] {
        let stored = try store.allStored()
        return ConfigKeys.all.map { k in (k, stored[k.name] ?? k.defaultValue, stored[k.name] == nil) }
    }
}
