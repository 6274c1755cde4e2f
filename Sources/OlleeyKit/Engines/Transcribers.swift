import Foundation

/// A recognised word with its times.
public struct TimedWord: Sendable, Equatable {
    public var word: String
    public var startMs: Int
    public var endMs: Int
    public init(word: String, startMs: Int, endMs: Int) { self.word = word; self.startMs = startMs; self.endMs = endMs }
}

public enum CueGrouping {
    /// Groups words into cues of at most `maxMs` and `maxChars`, also breaking at pauses
    /// longer than `pauseMs`.
    public static func group(_ words: [TimedWord], maxMs: Int = 7_000, maxChars: Int = 42, pauseMs: Int = 700) -> [TimedCue] {
        var cues: [TimedCue] = []
        var cur: [TimedWord] = []
        func flush() {
            guard let first = cur.first, let last = cur.last else { return }
            cues.append(TimedCue(startMs: first.startMs, endMs: max(last.endMs, first.startMs), text: cur.map(\.word).joined(separator: " ")))
            cur = []
        }
        for w in words where !w.word.isEmpty {
            if let first = cur.first, let last = cur.last {
                let chars = cur.reduce(0) { $0 + $1.word.count + 1 } + w.word.count - 1
                if w.startMs - last.endMs > pauseMs || w.endMs - first.startMs > maxMs || chars > maxChars { flush() }
            }
            cur.append(w)
        }
        flush()
        return cues
    }
}

// MARK: pocketsphinx

/// Offline English ASR with CMU PocketSphinx. Debian 12 ships the 0.8 command line
/// (`pocketsphinx_continuous -infile F.wav -time yes`, word lines `word start end conf`); the
/// 5.x CLI (`pocketsphinx single F.wav`, JSON lines) is used instead when installed. Only the
/// en-us model is packaged, so only English is supported. Words become cues of <= 7 s and
/// <= 42 characters, broken at pauses.
public struct PocketsphinxTranscriber: Transcriber {
    public let name = "pocketsphinx"
    /// Model overrides (settings `engines.transcribe.pocketsphinx.hmm|lm|dict`).
    public var hmm: String?
    public var lm: String?
    public var dict: String?
    public var timeout: Double = 3600
    public static let modelDir = "/usr/share/pocketsphinx/model/en-us"

    public init(hmm: String? = nil, lm: String? = nil, dict: String? = nil) { self.hmm = hmm; self.lm = lm; self.dict = dict }

    enum CLI { case continuous(String), five(String) }

    func cli() throws -> CLI {
        if let p = Subprocess.which("pocketsphinx_continuous") { return .continuous(p) }
        if let p = Subprocess.which("pocketsphinx") { return .five(p) }
        throw OlleeyError(.unavailable, "pocketsphinx not found on PATH (needed for the pocketsphinx transcription engine)",
                          hint: "install it: apt-get install pocketsphinx pocketsphinx-en-us (or run scripts/bootstrap)")
    }

    public func preflight(language: String) throws {
        _ = try cli()
        guard Language.find(language)?.code == "en" else {
            throw OlleeyError(.unavailable, "pocketsphinx has only an English model; cannot transcribe '\(language)'",
                              hint: "give the source subtitles, or use another transcriber", next: [.input("subtitles", example: "FILE"), .setting("engines.transcribe", example: "http")])
        }
        let model = hmm ?? PocketsphinxTranscriber.modelDir + "/en-us"
        guard fileExists(model) else {
            throw OlleeyError(.unavailable, "pocketsphinx English model not found at \(model)", hint: "install it: apt-get install pocketsphinx-en-us")
        }
    }

    public func version(language: String) throws -> String {
        let v = ToolVersions.debianPackage("pocketsphinx") ?? "unknown"
        let m = ToolVersions.debianPackage("pocketsphinx-en-us") ?? "local"
        return "pocketsphinx \(v) en-us \(m) \(hmm ?? "") \(lm ?? "") \(dict ?? "")"
    }

    public func transcribe(_ audio: String, language: String, cancel: CancelToken) throws -> [TimedCue] {
        try preflight(language: language)
        try requireInputFile(audio, "audio file")
        var args: [String]
        let exe: String
        switch try cli() {
        case .continuous(let p):
            exe = p
            args = ["-infile", audio, "-time", "yes", "-logfn", "/dev/null"]
            if let h = hmm { args += ["-hmm", h] }
            if let l = lm { args += ["-lm", l] }
            if let d = dict { args += ["-dict", d] }
        case .five(let p):
            exe = p
            args = []
            if let h = hmm { args += ["-hmm", h] }
            if let l = lm { args += ["-lm", l] }
            if let d = dict { args += ["-dict", d] }
            args += ["single", audio]
        }
        var p = Subprocess(exe, args)
        p.timeout = timeout
        p.cancel = cancel
        p.stderr = .capture(limit: 16 << 10)
        let r = try p.run()
        if !r.succeeded { throw r.error("pocketsphinx") }
        let words: [TimedWord]
        if case .five = try cli() { words = PocketsphinxTranscriber.parseJSONLines(r.stdoutString) } else {
            words = PocketsphinxTranscriber.parseTimeLines(r.stdoutString)
        }
        return CueGrouping.group(words)
    }

    static func isFiller(_ w: String) -> Bool {
        w.isEmpty || w.hasPrefix("<") || w.hasPrefix("[") || w.hasPrefix("++") || w == "(NULL)"
    }

    /// `word(2)` -> `word`
    static func cleanWord(_ w: String) -> String {
        if w.hasSuffix(")"), let open = w.lastIndex(of: "("), w[w.index(after: open)..<w.index(before: w.endIndex)].allSatisfy(\.isNumber) {
            return String(w[..<open])
        }
        return w
    }

    /// Parses `-time yes` output: lines `word start end confidence` (seconds).
    public static func parseTimeLines(_ text: String) -> [TimedWord] {
        var out: [TimedWord] = []
        for line in text.split(separator: "\n") {
            let f = line.split(separator: " ", omittingEmptySubsequences: true)
            guard f.count == 4, let s = Double(f[1]), let e = Double(f[2]), Double(f[3]) != nil else { continue }
            let w = String(f[0])
            if isFiller(w) { continue }
            out.append(TimedWord(word: cleanWord(w), startMs: Int((s * 1000).rounded()), endMs: Int((e * 1000).rounded())))
        }
        return out
    }

    /// Parses pocketsphinx 5 JSON lines: `{"b":0.0,"d":1.2,"t":"text","w":[{"b":..,"d":..,"t":"word"}]}`.
    public static func parseJSONLines(_ text: String) -> [TimedWord] {
        var out: [TimedWord] = []
        for line in text.split(separator: "\n") {
            guard let j = try? JSON.parse(String(line)) else { continue }
            for w in j["w"]?.arrayValue ?? [] {
                guard let t = w["t"]?.stringValue, let b = w["b"]?.doubleValue, let d = w["d"]?.doubleValue, !isFiller(t) else { continue }
                out.append(TimedWord(word: cleanWord(t), startMs: Int((b * 1000).rounded()), endMs: Int(((b + d) * 1000).rounded())))
            }
        }
        return out
    }
}

// MARK: command

/// Any ASR program through a template (setting `engines.transcribe.command`), e.g.
/// `whisper-cli -m model.bin -f {input} -ovtt -of {output_base}` or `my-asr {input} {output} {lang}`.
/// Placeholders: `{input}` (16 kHz mono WAV), `{output}` (the file to write), `{output_base}`
/// (`{output}` without its `.vtt` extension, for tools that add it), `{lang}`. Without
/// `{output}`/`{output_base}` the answer is read from stdout. The answer may be WebVTT, SRT, or
/// JSON: `[{"start_ms","end_ms","text"}]` or `{"segments":[{"start","end","text"}]}` (seconds).
public struct CommandTranscriber: Transcriber {
    public let name = "command"
    public var template: CommandTemplate
    public var timeout: Double

    public init(template: CommandTemplate, timeout: Double = 3600) { self.template = template; self.timeout = timeout }

    public func version(language: String) throws -> String { "command \(template.fingerprint)" }

    public func preflight(language: String) throws {
        guard let exe = template.words.first else { throw OlleeyError(.config, "engines.transcribe.command is empty") }
        _ = try Subprocess.require(exe, purpose: "engines.transcribe.command")
    }

    public func transcribe(_ audio: String, language: String, cancel: CancelToken) throws -> [TimedCue] {
        try requireInputFile(audio, "audio file")
        let base = temporaryPath(ext: "asr")
        let out = base + ".vtt"
        defer { unlink(out); unlink(base) }
        let values = ["input": audio, "output": out, "output_base": base, "lang": language]
        let r = try template.run(values, timeout: timeout, cancel: cancel, what: "transcription command")
        let text: String
        if template.uses("output") || template.uses("output_base") {
            guard let data = FileManager.default.contents(atPath: out) ?? FileManager.default.contents(atPath: base) else {
                throw OlleeyError(.failure, "transcription command did not write its {output} file")
            }
            text = String(decoding: data, as: UTF8.self)
        } else {
            text = r.stdoutString
        }
        return try TranscriptParser.parse(text, what: "transcription command")
    }
}

// MARK: http (OpenAI-compatible /v1/audio/transcriptions)

/// Transcription by an OpenAI-compatible server (`POST {base}/v1/audio/transcriptions`,
/// multipart: file, model, language, `response_format=verbose_json`); segments become cues.
/// Servers that answer VTT or SRT instead are understood too.
public struct HTTPTranscriber: Transcriber {
    public let name = "http"
    public var endpoint: HTTPEndpoint
    public var model: String
    public var responseFormat: String

    public init(endpoint: HTTPEndpoint, model: String = "whisper-1", responseFormat: String = "verbose_json") {
        self.endpoint = endpoint; self.model = model; self.responseFormat = responseFormat
    }

    public func version(language: String) throws -> String { "http \(endpoint.fingerprint) \(model) \(responseFormat)" }
    public func preflight(language: String) throws { try endpoint.preflight(setting: "engines.transcribe") }

    public func transcribe(_ audio: String, language: String, cancel: CancelToken) throws -> [TimedCue] {
        var form = MultipartForm()
        try form.addFile("file", path: audio, contentType: "audio/wav")
        form.addField("model", model)
        form.addField("language", Language.find(language)?.code ?? language)
        form.addField("response_format", responseFormat)
        let r = try endpoint.postMultipart("audio/transcriptions", form, cancel: cancel, what: "transcription request")
        return try TranscriptParser.parse(r.text, what: "transcription server")
    }
}

// MARK: answers

/// Reads transcripts in the forms ASR tools produce: WebVTT, SRT, or JSON.
public enum TranscriptParser {
    public static func parse(_ text: String, what: String) throws -> [TimedCue] {
        let t = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if t.hasPrefix("{") || t.hasPrefix("[") {
            let doc: JSON
            do { doc = try JSON.parse(t) } catch { throw OlleeyError(.invalid, "\(what) answered invalid JSON: \(error)") }
            let items = doc.arrayValue ?? doc["segments"]?.arrayValue ?? doc["cues"]?.arrayValue
            guard let list = items else {
                if let only = doc["text"]?.stringValue, let d = doc["duration"]?.doubleValue {
                    return only.isEmpty ? [] : [TimedCue(startMs: 0, endMs: Int(d * 1000), text: only.trimmingCharacters(in: .whitespaces))]
                }
                throw OlleeyError(.invalid, "\(what) answer has no segments")
            }
            return try list.compactMap { s in
                let text = (s["text"]?.stringValue ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
                let start = s["start_ms"]?.intValue.map(Int.init) ?? s["start"]?.doubleValue.map { Int(($0 * 1000).rounded()) }
                let end = s["end_ms"]?.intValue.map(Int.init) ?? s["end"]?.doubleValue.map { Int(($0 * 1000).rounded()) }
                guard let a = start, let b = end else { throw OlleeyError(.invalid, "\(what) answer has a segment without times") }
                return text.isEmpty ? nil : TimedCue(startMs: a, endMs: b, text: text)
            }
        }
        return try parseSubtitles(t, what: what)
    }

    /// Minimal WebVTT/SRT cue reader: timing lines `A --> B`, text lines until a blank line.
    static func parseSubtitles(_ text: String, what: String) throws -> [TimedCue] {
        var cues: [TimedCue] = []
        let lines = text.replacingOccurrences(of: "\r\n", with: "\n").split(separator: "\n", omittingEmptySubsequences: false)
        var k = 0
        while k < lines.count {
            let line = lines[k]
            if let arrow = line.range(of: "-->") {
                let a = line[..<arrow.lowerBound].trimmingCharacters(in: .whitespaces)
                let b = line[arrow.upperBound...].trimmingCharacters(in: .whitespaces).split(separator: " ").first.map(String.init) ?? ""
                guard let s = timestamp(a), let e = timestamp(b) else { throw OlleeyError(.invalid, "\(what): bad timing line '\(line)'") }
                var body: [String] = []
                k += 1
                while k < lines.count, !lines[k].trimmingCharacters(in: .whitespaces).isEmpty { body.append(String(lines[k])); k += 1 }
                let t = body.joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
                if !t.isEmpty { cues.append(TimedCue(startMs: s, endMs: e, text: t)) }
            } else {
                k += 1
            }
        }
        if cues.isEmpty && !text.hasPrefix("WEBVTT") && !text.isEmpty {
            throw OlleeyError(.invalid, "\(what) answer is not WebVTT, SRT or JSON")
        }
        return cues
    }

    /// `hh:mm:ss.mmm`, `mm:ss.mmm`, `hh:mm:ss,mmm` -> ms
    static func timestamp(_ s: String) -> Int? {
        let parts = s.replacingOccurrences(of: ",", with: ".").split(separator: ":")
        guard parts.count == 2 || parts.count == 3 else { return nil }
        let secParts = parts[parts.count - 1].split(separator: ".")
        guard let sec = Int(secParts[0]), let min = Int(parts[parts.count - 2]) else { return nil }
        let hours = parts.count == 3 ? Int(parts[0]) : 0
        guard let h = hours else { return nil }
        var ms = 0
        if secParts.count > 1 {
            let frac = String(secParts[1].prefix(3))
            guard let f = Int(frac) else { return nil }
            ms = f * (frac.count == 1 ? 100 : frac.count == 2 ? 10 : 1)
        }
        return ((h * 60 + min) * 60 + sec) * 1000 + ms
    }
}

// MARK: separation

/// Music-and-effects separation through a command (setting `engines.separate.command`, e.g.
/// `demucs-mne {input} {output}`): `{input}` is the source audio (48 kHz stereo WAV), `{output}`
/// the stem file to write (WAV, or anything ffmpeg reads).
public struct CommandSeparator: Separator {
    public let name = "command"
    public var template: CommandTemplate
    public var timeout: Double

    public init(template: CommandTemplate, timeout: Double = 7200) throws {
        guard template.uses("input"), template.uses("output") else {
            throw OlleeyError(.config, "engines.separate.command must contain {input} and {output}")
        }
        self.template = template; self.timeout = timeout
    }

    public func version() throws -> String { "command \(template.fingerprint)" }

    public func preflight() throws {
        guard let exe = template.words.first else { throw OlleeyError(.config, "engines.separate.command is empty") }
        _ = try Subprocess.require(exe, purpose: "engines.separate.command")
    }

    public func separate(_ input: String, to output: String, cancel: CancelToken) throws {
        try requireInputFile(input, "audio file")
        let dir = (output as NSString).deletingLastPathComponent
        let raw = temporaryPath(ext: "wav", dir: dir.isEmpty ? "." : dir)
        defer { unlink(raw) }
        _ = try template.run(["input": input, "output": raw], timeout: timeout, cancel: cancel, what: "separation command")
        guard (fileSize(raw) ?? 0) > 0 else { throw OlleeyError(.failure, "separation command wrote no {output} file") }
        try storeAudio(raw, as: output, cancel: cancel, what: "separation command")
    }
}
