import Foundation

/// A cue's id and text: what translators receive and return, in order.
public struct TextCue: Sendable, Equatable, Hashable {
    public var id: String
    public var text: String
    public init(id: String, text: String) { self.id = id; self.text = text }
}

/// A timed cue produced by a transcriber.
public struct TimedCue: Sendable, Equatable {
    public var startMs: Int
    public var endMs: Int
    public var text: String
    public init(startMs: Int, endMs: Int, text: String) { self.startMs = startMs; self.endMs = endMs; self.text = text }
}

/// Machine translation of ordered cues. Implementations return the same ids in the same order;
/// `TranslationCheck.translate` validates that and re-asks failing cues.
public protocol Translator: Sendable {
    /// The engine name as configured (`apertium`, `command`, `http`, `pseudo`).
    var name: String { get }
    /// Everything that changes the output for this language pair (engine, data and model
    /// versions, settings), for stage cache keys.
    func version(from source: String, to target: String) throws -> String
    /// Fails before any work with `OlleeyError(.unavailable)` naming what to install, or
    /// `.config` naming the setting to set.
    func preflight(sourceLang: String, targetLangs: [String]) throws
    func translate(_ cues: [TextCue], from source: String, to target: String, cancel: CancelToken) throws -> [TextCue]
    /// True for a rule-based engine that gives back the words it does not know as they are
    /// (apertium): a cue of such words comes back a copy of the source, and a few such cues
    /// are kept (and reported), not a failure. False by default: from any other engine a copy
    /// is a failure.
    var copiesUnknownWords: Bool { get }
}

extension Translator {
    public var copiesUnknownWords: Bool { false }
}

/// Text to speech into a WAV file.
public protocol Speaker: Sendable {
    var name: String { get }
    func version(language: String) throws -> String
    func preflight(languages: [String]) throws
    /// Writes `text` spoken in `language` (optionally a `voice`) to the WAV file `output`
    /// (atomically: a failure leaves nothing there).
    func synthesize(_ text: String, language: String, voice: String?, to output: String, cancel: CancelToken) throws
    /// The same with a registry voice: its name and, where the engine has them (espeak-ng),
    /// pitch and rate. Engines without pitch and rate use the name only.
    func synthesize(_ text: String, language: String, choice: VoiceChoice, to output: String, cancel: CancelToken) throws
}

extension Speaker {
    public func synthesize(_ text: String, language: String, choice: VoiceChoice, to output: String, cancel: CancelToken) throws {
        try synthesize(text, language: language, voice: choice.voice, to: output, cancel: cancel)
    }
}

/// Speech recognition of a 16 kHz mono WAV into timed cues.
public protocol Transcriber: Sendable {
    var name: String { get }
    func version(language: String) throws -> String
    func preflight(language: String) throws
    func transcribe(_ audio: String, language: String, cancel: CancelToken) throws -> [TimedCue]
}

/// Produces a music-and-effects stem (speech removed) from an audio file.
public protocol Separator: Sendable {
    var name: String { get }
    func version() throws -> String
    func preflight() throws
    func separate(_ input: String, to output: String, cancel: CancelToken) throws
}

// MARK: speaking rate

/// Sentences used to measure a voice's speaking rate.
public enum Calibration {
    static let sentences: [String: String] = [
        "en": "The quick brown fox jumps over the lazy dog, and then it runs back home before the rain starts.",
        "es": "El veloz murciélago hindú comía feliz cardillo y kiwi, mientras la cigüeña tocaba el saxofón.",
        "ca": "El ràpid guineu marró salta sobre el gos mandrós, i després torna a casa abans que plogui.",
        "eo": "La rapida bruna vulpo saltas super la maldiligenta hundo, kaj poste revenas hejmen antaŭ la pluvo.",
        "fr": "Le renard brun rapide saute par-dessus le chien paresseux, puis il rentre avant la pluie.",
        "de": "Der schnelle braune Fuchs springt über den faulen Hund und läuft dann vor dem Regen nach Hause.",
        "it": "La veloce volpe marrone salta sopra il cane pigro, e poi torna a casa prima della pioggia.",
        "pt": "A rápida raposa marrom salta sobre o cão preguiçoso, e depois volta para casa antes da chuva.",
    ]

    public static func sentence(for language: String) -> String {
        let base = language.split(whereSeparator: { $0 == "-" || $0 == "_" }).first.map { String($0).lowercased() } ?? language
        return sentences[base] ?? sentences["en"] ?? ""
    }
}

extension Speaker {
    /// The voice's speaking rate in characters per second (as `FitPlanner.characterCount`
    /// counts them) at its default speed, measured by synthesizing a calibration sentence.
    /// It costs one synthesis: measure once per (engine, language, voice) and cache it.
    public func measureCharsPerSecond(language: String, voice: String?, scratchDir: String, cancel: CancelToken = .never) throws -> Double {
        let text = Calibration.sentence(for: language)
        let out = scratchDir + "/.calibrate-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).wav"
        defer { unlink(out) }
        try synthesize(text, language: language, voice: voice, to: out, cancel: cancel)
        let ms: Int
        if let h = try WAVHeader.read(out) { ms = h.durationMs } else { ms = try FFmpeg(cancel: cancel).audioDurationMs(out) }
        guard ms > 0 else { throw OlleeyError(.failure, "\(name) produced no audio for the calibration sentence") }
        return Double(FitPlanner.characterCount(text)) / (Double(ms) / 1000)
    }
}

// MARK: settings

/// Engine settings: config keys (`engines.translate.command`, ...) with environment fallbacks.
public struct EngineSettings: Sendable {
    public var values: [String: String]
    public var environment: [String: String]

    public init(_ values: [String: String] = [:], environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.values = values
        self.environment = environment
    }

    public subscript(_ key: String) -> String? {
        guard let v = values[key]?.trimmingCharacters(in: .whitespaces), !v.isEmpty else { return nil }
        return v
    }

    /// The first set key among `keys`, else the first set environment variable among `env`.
    public func first(_ keys: [String], env: [String] = []) -> String? {
        for k in keys { if let v = self[k] { return v } }
        for e in env { if let v = environment[e]?.trimmingCharacters(in: .whitespaces), !v.isEmpty { return v } }
        return nil
    }

    public func double(_ key: String, default d: Double) throws -> Double {
        guard let s = self[key] else { return d }
        guard let v = Double(s), v.isFinite else { throw OlleeyError(.config, "\(key) must be a number (got '\(s)')") }
        return v
    }

    public func int(_ key: String, default d: Int) throws -> Int {
        guard let s = self[key] else { return d }
        guard let v = Int(s) else { throw OlleeyError(.config, "\(key) must be a whole number (got '\(s)')") }
        return v
    }

    public func bool(_ key: String, default d: Bool) throws -> Bool {
        guard let s = self[key]?.lowercased() else { return d }
        switch s {
        case "1", "true", "yes", "on": return true
        case "0", "false", "no", "off": return false
        default: throw OlleeyError(.config, "\(key) must be true or false (got '\(s)')")
        }
    }
}

// MARK: command templates

/// A command template such as `my-mt {input} {output} {src} {tgt}`: split into words like a
/// shell would (whitespace, 'single' and "double" quotes, backslash escapes), then each
/// `{placeholder}` is replaced inside its word, so a value with spaces stays one argument. No
/// shell runs unless the template itself says `sh -c '...'`. Unknown `{words}` stay as they are.
public struct CommandTemplate: Sendable, Equatable {
    public let text: String
    public let words: [String]

    public init(_ text: String, setting: String) throws {
        self.text = text
        words = try CommandTemplate.split(text, setting: setting)
        if words.isEmpty { throw OlleeyError(.config, "\(setting) is empty") }
    }

    public func uses(_ placeholder: String) -> Bool { words.contains { $0.contains("{\(placeholder)}") } }

    public func render(_ values: [String: String]) -> [String] {
        words.map { w in
            var out = w
            for (k, v) in values { out = out.replacingOccurrences(of: "{\(k)}", with: v) }
            return out
        }
    }

    /// A short stable fingerprint of the template, for cache keys.
    public var fingerprint: String { String(Digest.sha256(text).prefix(12)) }

    static func split(_ s: String, setting: String) throws -> [String] {
        var words: [String] = []
        var cur = ""
        var inWord = false
        var quote: Character?
        var escaped = false
        for ch in s {
            if escaped { cur.append(ch); escaped = false; inWord = true; continue }
            if let q = quote {
                if ch == q { quote = nil } else if ch == "\\" && q == "\"" { escaped = true } else { cur.append(ch) }
                continue
            }
            if ch == "\\" { escaped = true; continue }
            if ch == "'" || ch == "\"" { quote = ch; inWord = true; continue }
            if ch.isWhitespace {
                if inWord { words.append(cur); cur = ""; inWord = false }
                continue
            }
            cur.append(ch)
            inWord = true
        }
        if quote != nil { throw OlleeyError(.config, "unbalanced quote in \(setting): \(s)") }
        if escaped { cur.append("\\") }
        if inWord { words.append(cur) }
        return words
    }

    /// Runs the rendered command; throws on failure with the tail of its stderr.
    func run(_ values: [String: String], stdin: Subprocess.Input = .none, timeout: Double?, cancel: CancelToken,
             what: String) throws -> Subprocess.Result {
        let argv = render(values)
        guard let exe = argv.first else { throw OlleeyError(.config, "empty command for \(what)") }
        var p = Subprocess(exe, Array(argv.dropFirst()))
        p.input = stdin
        p.timeout = timeout
        p.cancel = cancel
        p.stdout = .capture(limit: 64 << 20)
        let r: Subprocess.Result
        do { r = try p.run() } catch let e as OlleeyError where e.code == .unavailable {
            throw OlleeyError(.unavailable, "\(what): \(e.message)", hint: "check the command in your engine settings")
        }
        if !r.succeeded { throw r.error(what) }
        return r
    }
}

// MARK: tool versions

/// Caches the output of version commands (`espeak-ng --version`, `dpkg-query ...`) for the
/// life of the process.
enum ToolVersions {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var cache: [String: String] = [:]

    static func get(_ key: String, _ compute: () throws -> String) rethrows -> String {
        lock.lock()
        if let v = cache[key] { lock.unlock(); return v }
        lock.unlock()
        let v = try compute()
        lock.lock(); cache[key] = v; lock.unlock()
        return v
    }

    /// `dpkg-query -W -f '${Version}' PKG`, or nil when dpkg does not know it.
    static func debianPackage(_ pkg: String) -> String? {
        let v = get("dpkg:" + pkg) {
            guard Subprocess.which("dpkg-query") != nil,
                  let r = try? Subprocess("dpkg-query", ["-W", "-f", "${Version}", pkg]).run(), r.succeeded else { return "" }
            return r.stdoutString.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        return v.isEmpty ? nil : v
    }

    /// The Debian package that owns `path` (`dpkg -S`), or nil.
    static func owningPackage(_ path: String) -> String? {
        let v = get("dpkg-S:" + path) {
            guard Subprocess.which("dpkg") != nil, let r = try? Subprocess("dpkg", ["-S", path]).run(), r.succeeded else { return "" }
            return r.stdoutString.split(separator: ":").first.map { String($0).trimmingCharacters(in: .whitespaces) } ?? ""
        }
        return v.isEmpty ? nil : v
    }
}

/// Writes `text` to a new temporary file in `dir` and returns its path.
func writeTempFile(_ text: String, dir: String = NSTemporaryDirectory(), ext: String) throws -> String {
    let path = (dir.hasSuffix("/") ? dir : dir + "/") + "olleey-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).\(ext)"
    guard FileManager.default.createFile(atPath: path, contents: Data(text.utf8)) else {
        throw OlleeyError(.cannotCreate, "cannot create temporary file \(path)")
    }
    return path
}

func temporaryPath(ext: String, dir: String = NSTemporaryDirectory()) -> String {
    (dir.hasSuffix("/") ? dir : dir + "/") + "olleey-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).\(ext)"
}
