import Foundation

// MARK: apertium

/// Offline rule-based translation with Apertium (Debian packages `apertium` plus a pair such as
/// `apertium-eng-spa`, `apertium-eng-cat`, `apertium-eo-en`).
///
/// All cues go through ONE apertium call: each cue is a paragraph (cues joined by blank lines,
/// line breaks inside a cue become spaces), which apertium's text format keeps as paragraph
/// breaks. The answer is split on blank lines and its count verified; if the count differs (it
/// should not), the batch is halved and each half retried, down to single cues. `-u` drops the `*` unknown-word marks; `#` and `@`
/// marks (generation and transfer errors) are stripped unless the source itself had them.
public struct ApertiumTranslator: Translator {
    public let name = "apertium"
    /// Words outside its dictionaries come back unchanged ("mm ta ta ta").
    public var copiesUnknownWords: Bool { true }
    /// `-d DIR` for a local data directory (setting `engines.translate.apertium.datadir`).
    public var dataDir: String?
    public var timeout: Double = 600

    public init(dataDir: String? = nil) { self.dataDir = dataDir }

    /// Installed translation modes (`apertium -l`), e.g. `eng-spa`, `en-eo`.
    public func modes() throws -> [String] {
        let exe = try Subprocess.require("apertium", purpose: "the apertium translation engine")
        let key = "apertium-l:" + (dataDir ?? "")
        let text = try ToolVersions.get(key) {
            var args = ["-l"]
            if let d = dataDir { args = ["-d", d, "-l"] }
            return try Subprocess.run(exe, args, timeout: 30).stdoutString
        }
        return text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// The apertium mode for a language pair: `en`→`es` is `eng-spa` (or `en-es`).
    public func mode(from source: String, to target: String) throws -> String? {
        let available = Set(try modes())
        var candidates: [String] = []
        let s2 = Language.find(source)?.code ?? source.lowercased(), t2 = Language.find(target)?.code ?? target.lowercased()
        let s3 = Language.find(source)?.iso639_2 ?? source.lowercased(), t3 = Language.find(target)?.iso639_2 ?? target.lowercased()
        for a in [s3, s2] { for b in [t3, t2] { candidates.append("\(a)-\(b)") } }
        return candidates.first(where: { available.contains($0) })
    }

    public func preflight(sourceLang: String, targetLangs: [String]) throws {
        _ = try Subprocess.require("apertium", purpose: "the apertium translation engine")
        var missing: [String] = []
        for t in targetLangs where try mode(from: sourceLang, to: t) == nil { missing.append(t) }
        guard missing.isEmpty else {
            let s3 = Language.find(sourceLang)?.iso639_2 ?? sourceLang
            let pairs = missing.map { "\(sourceLang)-\($0)" }.joined(separator: ", ")
            let pkgs = missing.map { "apertium-\(s3)-\(Language.find($0)?.iso639_2 ?? $0)" }.joined(separator: " ")
            let src = Language.find(sourceLang)?.code ?? sourceLang
            let there = EngineInventory.apertiumPairs(try modes()).filter { $0.source == src }.map(\.target)
            throw OlleeyError(.unavailable, "apertium has no \(pairs) pair\(missing.count > 1 ? "s" : "") installed (from \(src) it has: \(there.isEmpty ? "none" : there.joined(separator: ", ")); see 'olleey engines')",
                              hint: "install one if Debian has it (apt-cache search apertium; e.g. apt-get install \(pkgs)), or choose another engine",
                              next: [.setting("engines.translate", example: "http")])
        }
    }

    public func version(from source: String, to target: String) throws -> String {
        let exe = try Subprocess.require("apertium", purpose: "the apertium translation engine")
        let core = ToolVersions.get("apertium-V") {
            ((try? Subprocess.run(exe, ["-V"], timeout: 30))?.stdoutString ?? "")
                .trimmingCharacters(in: .whitespacesAndNewlines).replacingOccurrences(of: "Apertium ", with: "")
        }
        guard let m = try mode(from: source, to: target) else { return "apertium \(core)" }
        let modeFile = (dataDir ?? "/usr/share/apertium") + "/modes/\(m).mode"
        let pkg = ToolVersions.owningPackage(modeFile)
        let pkgVersion = pkg.flatMap { ToolVersions.debianPackage($0) }
        return "apertium \(core); \(m) \(pkg ?? "local") \(pkgVersion ?? ToolVersions.get("mtime:" + modeFile) { modificationStamp(modeFile) })"
    }

    public func translate(_ cues: [TextCue], from source: String, to target: String, cancel: CancelToken) throws -> [TextCue] {
        guard let m = try mode(from: source, to: target) else {
            try preflight(sourceLang: source, targetLangs: [target])
            throw OlleeyError(.unavailable, "apertium has no \(source)-\(target) pair")
        }
        let texts = cues.map { ApertiumTranslator.flatten($0.text) }
        let nonEmpty = texts.enumerated().filter { !$0.element.isEmpty }
        var out = texts // empty stay empty
        if nonEmpty.isEmpty { return cues.map { TextCue(id: $0.id, text: "") } }
        let parts = try translateAligned(nonEmpty.map(\.element), mode: m, cancel: cancel)
        for (k, p) in zip(nonEmpty.map(\.offset), parts) { out[k] = ApertiumTranslator.clean(p, source: texts[k]) }
        return zip(cues, out).map { TextCue(id: $0.id, text: $1) }
    }

    /// Translates paragraphs in one call; if apertium's answer has a different number of
    /// paragraphs (it should not), halves the batch and retries each half, down to single cues.
    func translateAligned(_ texts: [String], mode: String, cancel: CancelToken) throws -> [String] {
        if texts.isEmpty { return [] }
        let answer = ApertiumTranslator.paragraphs(try run(mode: mode, input: texts.joined(separator: "\n\n") + "\n", cancel: cancel))
        if answer.count == texts.count { return answer }
        if texts.count == 1 { return [answer.joined(separator: " ")] }
        let mid = texts.count / 2
        return try translateAligned(Array(texts[..<mid]), mode: mode, cancel: cancel)
            + translateAligned(Array(texts[mid...]), mode: mode, cancel: cancel)
    }

    func run(mode: String, input: String, cancel: CancelToken) throws -> String {
        var args = ["-u", "-f", "txt", mode]
        if let d = dataDir { args = ["-d", d] + args }
        var p = Subprocess("apertium", args)
        p.input = .bytes(Array(input.utf8))
        p.timeout = timeout
        p.cancel = cancel
        let r = try p.run()
        if !r.succeeded { throw r.error("apertium \(mode)") }
        return r.stdoutString
    }

    /// One line, single spaces.
    static func flatten(_ s: String) -> String {
        s.split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
    }

    /// Splits on blank lines, trimming each paragraph.
    public static func paragraphs(_ s: String) -> [String] {
        var out: [String] = []
        var cur: [Substring] = []
        for line in s.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.trimmingCharacters(in: .whitespaces).isEmpty {
                if !cur.isEmpty { out.append(cur.joined(separator: " ").trimmingCharacters(in: .whitespaces)); cur = [] }
            } else {
                cur.append(line)
            }
        }
        if !cur.isEmpty { out.append(cur.joined(separator: " ").trimmingCharacters(in: .whitespaces)) }
        return out
    }

    /// Removes apertium's `*` / `#` / `@` marks in front of words (unless the source had that
    /// character) and tidies spaces.
    public static func clean(_ s: String, source: String) -> String {
        var out = ""
        let chars = Array(s)
        for (k, ch) in chars.enumerated() {
            if (ch == "*" || ch == "#" || ch == "@"), !source.contains(ch), k + 1 < chars.count, chars[k + 1].isLetter || chars[k + 1].isNumber,
               k == 0 || chars[k - 1].isWhitespace || chars[k - 1].isPunctuation {
                continue
            }
            out.append(ch)
        }
        return flatten(out)
    }
}

func modificationStamp(_ path: String) -> String {
    var st = stat()
    guard stat(path, &st) == 0 else { return "unknown" }
    return "mtime-\(st.st_mtim.tv_sec)"
}

// MARK: command

/// Any translation program, through a command template (setting `engines.translate.command`):
///
///     my-mt {input} {output} {src} {tgt}
///
/// Placeholders: `{input}` a file olleey writes, `{output}` a file the command must write,
/// `{src}`/`{tgt}` ISO 639-1 codes (`{source}`/`{target}` also work). Without `{input}` the input
/// comes on stdin; without `{output}` the answer is read from stdout.
///
/// Contract, `engines.translate.command_format`:
/// - `json` (default): input `{"source":"en","target":"es","cues":[{"id":"1","text":"Hello"}]}`;
///   answer `{"cues":[{"id":"1","text":"Hola"}]}` (or just the array), same ids, same order.
/// - `lines`: input one cue per line (line breaks inside a cue become spaces); answer one line
///   per cue, same count, same order.
public struct CommandTranslator: Translator {
    public let name = "command"
    public var template: CommandTemplate
    public enum Format: String, Sendable { case json, lines }
    public var format: Format
    public var timeout: Double

    public init(template: CommandTemplate, format: Format = .json, timeout: Double = 600) {
        self.template = template; self.format = format; self.timeout = timeout
    }

    public func version(from source: String, to target: String) throws -> String {
        "command \(template.fingerprint) \(format.rawValue)"
    }

    public func preflight(sourceLang: String, targetLangs: [String]) throws {
        guard let exe = template.words.first else { throw OlleeyError(.config, "engines.translate.command is empty") }
        _ = try Subprocess.require(exe, purpose: "engines.translate.command")
    }

    public func translate(_ cues: [TextCue], from source: String, to target: String, cancel: CancelToken) throws -> [TextCue] {
        let input: String
        switch format {
        case .json:
            input = JSON.object([("source", .string(source)), ("target", .string(target)),
                                 ("cues", .array(cues.map { .object([("id", .string($0.id)), ("text", .string($0.text))]) }))]).encoded()
        case .lines:
            input = cues.map { ApertiumTranslator.flatten($0.text) }.joined(separator: "\n") + "\n"
        }
        var values = ["src": source, "tgt": target, "source": source, "target": target]
        var cleanup: [String] = []
        defer { for f in cleanup { unlink(f) } }
        var stdin: Subprocess.Input = .none
        if template.uses("input") {
            let f = try writeTempFile(input, ext: format == .json ? "json" : "txt")
            cleanup.append(f)
            values["input"] = f
        } else {
            stdin = .bytes(Array(input.utf8))
        }
        var outFile: String?
        if template.uses("output") {
            let f = temporaryPath(ext: format == .json ? "json" : "txt")
            cleanup.append(f)
            values["output"] = f
            outFile = f
        }
        let r = try template.run(values, stdin: stdin, timeout: timeout, cancel: cancel, what: "translation command")
        let answer: String
        if let f = outFile {
            guard let data = FileManager.default.contents(atPath: f) else {
                throw OlleeyError(.failure, "translation command did not write its {output} file", hint: "the command must write its answer to the {output} path")
            }
            answer = String(decoding: data, as: UTF8.self)
        } else {
            answer = r.stdoutString
        }
        switch format {
        case .json:
            return try CommandTranslator.parseJSONAnswer(answer, what: "translation command")
        case .lines:
            var lines = answer.split(separator: "\n", omittingEmptySubsequences: false).map { String($0).trimmingCharacters(in: CharacterSet(charactersIn: "\r")) }
            if lines.last == "" { lines.removeLast() }
            guard lines.count == cues.count else {
                throw OlleeyError(.invalid, "translation command answered \(lines.count) lines for \(cues.count) cues")
            }
            return zip(cues, lines).map { TextCue(id: $0.id, text: $1) }
        }
    }

    /// Parses `{"cues":[{"id","text"}]}`, `{"translations":[...]}` or a bare array.
    static func parseJSONAnswer(_ text: String, what: String) throws -> [TextCue] {
        var t = text.trimmingCharacters(in: .whitespacesAndNewlines)
        // Chat models like to wrap JSON in a Markdown fence.
        if t.hasPrefix("```") {
            if let nl = t.firstIndex(of: "\n") { t = String(t[t.index(after: nl)...]) }
            if let fence = t.range(of: "```", options: .backwards) { t = String(t[..<fence.lowerBound]) }
        }
        if !(t.hasPrefix("{") || t.hasPrefix("[")), let a = t.firstIndex(where: { $0 == "{" || $0 == "[" }),
           let b = t.lastIndex(where: { $0 == "}" || $0 == "]" }), a < b {
            t = String(t[a...b])
        }
        let doc: JSON
        do { doc = try JSON.parse(t) } catch { throw OlleeyError(.invalid, "\(what) answered invalid JSON: \(error)") }
        let list = doc.arrayValue ?? doc["cues"]?.arrayValue ?? doc["translations"]?.arrayValue
        guard let items = list else { throw OlleeyError(.invalid, "\(what) answer has no \"cues\" array") }
        return try items.map { item in
            guard let id = item["id"]?.stringValue ?? item["id"]?.intValue.map({ String($0) }) else {
                throw OlleeyError(.invalid, "\(what) answer has a cue without an id")
            }
            return TextCue(id: id, text: item["text"]?.stringValue ?? item["translation"]?.stringValue ?? "")
        }
    }
}

// MARK: http (OpenAI-compatible chat completions)

/// Translation by an OpenAI-compatible chat completions endpoint (`POST {base}/v1/chat/completions`):
/// cues are sent with their ids as JSON in batches, the answer must be JSON with the same ids.
public struct HTTPChatTranslator: Translator {
    public let name = "http"
    public var endpoint: HTTPEndpoint
    public var model: String
    public var batchSize: Int
    public var temperature: Double
    /// Sends `response_format: {"type":"json_object"}` (servers that reject it: set false).
    public var jsonMode: Bool

    public init(endpoint: HTTPEndpoint, model: String = "gpt-4o-mini", batchSize: Int = 40, temperature: Double = 0, jsonMode: Bool = true) {
        self.endpoint = endpoint; self.model = model; self.batchSize = max(1, batchSize); self.temperature = temperature; self.jsonMode = jsonMode
    }

    public func version(from source: String, to target: String) throws -> String {
        "http \(endpoint.fingerprint) \(model) t=\(temperature)"
    }

    public func preflight(sourceLang: String, targetLangs: [String]) throws { try endpoint.preflight(setting: "engines.translate") }

    static func systemPrompt(source: String, target: String) -> String {
        let s = Language.find(source)?.name ?? source, t = Language.find(target)?.name ?? target
        return """
        You translate video subtitles from \(s) to \(t) for dubbing. You receive JSON \
        {"cues":[{"id":"...","text":"..."}]}. Translate every cue's text into natural, concise \(t) that can be \
        spoken in about the same time as the original. Keep names, numbers and the meaning; do not merge, split, \
        drop or reorder cues. Words such as QJX1 or ZXQ2 stand for formatting and protected terms: keep each exactly once, \
        next to the words it belongs to. Reply with JSON only, exactly {"cues":[{"id":"...","text":"..."}]} with the same ids \
        in the same order.
        """
    }

    public func translate(_ cues: [TextCue], from source: String, to target: String, cancel: CancelToken) throws -> [TextCue] {
        var out: [TextCue] = []
        var start = 0
        while start < cues.count {
            let batch = Array(cues[start..<min(cues.count, start + batchSize)])
            out += try translateBatch(batch, from: source, to: target, cancel: cancel)
            start += batchSize
        }
        return out
    }

    func translateBatch(_ cues: [TextCue], from source: String, to target: String, cancel: CancelToken) throws -> [TextCue] {
        let user = JSON.object([("cues", .array(cues.map { .object([("id", .string($0.id)), ("text", .string($0.text))]) }))]).encoded()
        var body: [(String, JSON)] = [
            ("model", .string(model)),
            ("temperature", .double(temperature)),
            ("messages", .array([
                .object([("role", "system"), ("content", .string(HTTPChatTranslator.systemPrompt(source: source, target: target)))]),
                .object([("role", "user"), ("content", .string(user))]),
            ])),
        ]
        if jsonMode { body.append(("response_format", .object([("type", "json_object")]))) }
        let response = try endpoint.postJSON("chat/completions", .object(body), cancel: cancel, what: "translation request")
        let doc = try response.json()
        guard let content = doc["choices"]?.arrayValue?.first?["message"]?["content"]?.stringValue else {
            throw OlleeyError(.invalid, "translation server answered without choices[0].message.content")
        }
        return try CommandTranslator.parseJSONAnswer(content, what: "translation server")
    }
}

// MARK: pseudo

/// A deterministic stand-in for tests and demos: NOT a translation. Every output cue is the
/// source text prefixed with `[pseudo-LANG] `, so it is visibly labelled wherever it ends up.
public struct PseudoTranslator: Translator {
    public let name = "pseudo"
    public init() {}
    public func version(from source: String, to target: String) throws -> String { "pseudo 1" }
    public func preflight(sourceLang: String, targetLangs: [String]) throws {}
    public static func label(_ target: String) -> String { "[pseudo-\(target)] " }
    public func translate(_ cues: [TextCue], from source: String, to target: String, cancel: CancelToken) throws -> [TextCue] {
        cues.map { TextCue(id: $0.id, text: $0.text.isEmpty ? "" : PseudoTranslator.label(target) + $0.text) }
    }
}
