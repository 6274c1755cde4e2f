import Foundation

/// Writes the description of what a stretch of video shows (audio description, `--describe`),
/// from frames ffmpeg extracted in a gap of the speech.
public protocol Describer: Sendable {
    var name: String { get }
    func version() throws -> String
    func preflight() throws
    /// The description (plain text) of the frames of one gap, in `language`. `frame` is the
    /// middle frame (PNG); `framesDir` holds frames from the start, middle and end of the gap.
    func describe(frame: String, framesDir: String, startMs: Int, endMs: Int, language: String, cancel: CancelToken) throws -> String
}

/// `engines.describe command` with `engines.describe.command 'TOOL {input} {output}'`: `{input}`
/// is the gap's middle frame (PNG), `{output}` the file to write the description to (plain
/// text, one paragraph). Also: `{frames}` a directory of the gap's frames (start, middle, end),
/// `{start}` and `{end}` the gap in seconds, `{lang}` the language to write in.
public struct CommandDescriber: Describer {
    public let name = "command"
    public var template: CommandTemplate
    public var timeout: Double

    public init(template: CommandTemplate, timeout: Double = 300) throws {
        guard template.uses("input"), template.uses("output") else {
            throw OlleeyError(.config, "engines.describe.command must contain {input} and {output}",
                              next: [.setting("engines.describe.command", example: "'my-describer {input} {output}'")])
        }
        self.template = template; self.timeout = timeout
    }

    public func version() throws -> String { "command \(template.fingerprint)" }

    public func preflight() throws {
        guard let exe = template.words.first else { throw OlleeyError(.config, "engines.describe.command is empty") }
        _ = try Subprocess.require(exe, purpose: "engines.describe.command")
    }

    public func describe(frame: String, framesDir: String, startMs: Int, endMs: Int, language: String, cancel: CancelToken) throws -> String {
        try requireInputFile(frame, "frame")
        let out = temporaryPath(ext: "txt", dir: framesDir)
        defer { unlink(out) }
        _ = try template.run(["input": frame, "output": out, "frames": framesDir, "start": FFmpeg.seconds(startMs), "end": FFmpeg.seconds(endMs), "lang": language],
                             timeout: timeout, cancel: cancel, what: "describer command")
        guard let bytes = try? FileIO.read(out) else {
            throw OlleeyError(.failure, "the describer command wrote no {output} file for the gap \(FFmpeg.seconds(startMs))-\(FFmpeg.seconds(endMs)) s")
        }
        let text = String(decoding: bytes, as: UTF8.self).split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }.joined(separator: " ")
        guard !text.isEmpty else {
            throw OlleeyError(.failure, "the describer command returned nothing for the gap \(FFmpeg.seconds(startMs))-\(FFmpeg.seconds(endMs)) s")
        }
        return text
    }
}

/// `engines.describe http`: an OpenAI-compatible vision chat model (`/v1/chat/completions`). One
/// request per gap: a system prompt saying what audio description is and how long it may be (the
/// gap's length at a speaking rate), and a user message with the gap's frames (start, middle,
/// end, PNG) as base64 `image_url` content parts. The answer (`choices[0].message.content`) is
/// plain text; an empty one is an error. Retries, timeouts and keys are `HTTPEndpoint`'s
/// (`engines.describe.base_url`/`api_key`, else `engines.http.*`).
public struct HTTPVisionDescriber: Describer {
    public let name = "http"
    public var endpoint: HTTPEndpoint
    public var model: String
    public var temperature: Double
    /// Words a second a description may take (its length limit: the gap at this rate).
    public static let wordsPerSecond = 2.5

    public init(endpoint: HTTPEndpoint, model: String = "gpt-4o-mini", temperature: Double = 0) {
        self.endpoint = endpoint; self.model = model; self.temperature = temperature
    }

    public func version() throws -> String { "http \(endpoint.fingerprint) \(model) t=\(temperature)" }

    public func preflight() throws { try endpoint.preflight(setting: "engines.describe") }

    /// At most this many words for a gap of `ms` (never fewer than 3).
    public static func maxWords(_ ms: Int) -> Int { max(3, Int(Double(ms) / 1000 * wordsPerSecond)) }

    static func systemPrompt(language: String, words: Int) -> String {
        let l = Language.find(language)?.name ?? language
        return """
        You write audio description for blind and low-vision viewers of a video. You receive frames from the start, \
        middle and end of a pause in the dialogue. In \(l), describe what matters visually in that moment: who or what \
        is on screen, actions, setting, on-screen text. Present tense, plain words, no "we see", no guessing at what \
        cannot be seen, nothing about sound. At most \(words) words: it is read aloud in the pause. Reply with the \
        description only, one paragraph, no quotes or labels.
        """
    }

    /// The frames of the gap (PNG files of `framesDir`, in name order; `frame` when there are none).
    static func frames(frame: String, framesDir: String) -> [String] {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: framesDir)) ?? []).filter { $0.lowercased().hasSuffix(".png") }.sorted()
        return names.isEmpty ? [frame] : names.map { framesDir + "/" + $0 }
    }

    public func requestBody(frames: [String], startMs: Int, endMs: Int, language: String) throws -> JSON {
        var parts: [JSON] = [.object([("type", "text"), ("text", .string("Frames at \(FFmpeg.seconds(startMs)) s to \(FFmpeg.seconds(endMs)) s of the video."))])]
        for f in frames {
            let bytes = try FileIO.read(f)
            parts.append(.object([("type", "image_url"),
                                  ("image_url", .object([("url", .string("data:image/png;base64," + Data(bytes).base64EncodedString()))]))]))
        }
        return .object([
            ("model", .string(model)),
            ("temperature", .double(temperature)),
            ("messages", .array([
                .object([("role", "system"), ("content", .string(HTTPVisionDescriber.systemPrompt(language: language, words: HTTPVisionDescriber.maxWords(endMs - startMs))))]),
                .object([("role", "user"), ("content", .array(parts))]),
            ])),
        ])
    }

    public func describe(frame: String, framesDir: String, startMs: Int, endMs: Int, language: String, cancel: CancelToken) throws -> String {
        try requireInputFile(frame, "frame")
        let gap = "\(FFmpeg.seconds(startMs))-\(FFmpeg.seconds(endMs)) s"
        let body = try requestBody(frames: HTTPVisionDescriber.frames(frame: frame, framesDir: framesDir), startMs: startMs, endMs: endMs, language: language)
        let response = try endpoint.postJSON("chat/completions", body, cancel: cancel, what: "description request for the gap \(gap)")
        let doc: JSON
        do { doc = try response.json() } catch {
            throw OlleeyError(.failure, "the describer server answered the gap \(gap) with something that is not JSON")
        }
        guard let content = doc["choices"]?.arrayValue?.first?["message"]?["content"] else {
            throw OlleeyError(.failure, "the describer server answered the gap \(gap) without choices[0].message.content")
        }
        // content is a string, or (some servers) an array of text parts
        let raw = content.stringValue ?? (content.arrayValue ?? []).compactMap { $0["text"]?.stringValue }.joined(separator: " ")
        let text = raw.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }.joined(separator: " ")
        guard !text.isEmpty else {
            throw OlleeyError(.failure, "the describer server returned nothing for the gap \(gap)")
        }
        return text
    }
}

extension EngineFactory {
    public static let describers = ["none", "command", "http"]

    /// The describer of `engines.describe` (`command` or `http`); nil when none is set (`none` or
    /// unset): a person writes the descriptions (`vtt edit --kind descriptions`).
    public func describer() throws -> (any Describer)? {
        let n = (settings["engines.describe"] ?? "none").lowercased()
        switch n {
        case "none", "":
            return nil
        case "command":
            return try CommandDescriber(template: try template("engines.describe.command", example: "my-describer {input} {output}"),
                                        timeout: try settings.double("engines.describe.timeout", default: 300))
        case "http":
            return HTTPVisionDescriber(endpoint: try endpoint("describe"),
                                       model: settings.first(["engines.describe.model", "engines.http.describe_model"]) ?? "gpt-4o-mini",
                                       temperature: try settings.double("engines.describe.temperature", default: 0))
        default:
            throw unknown("describe", n, EngineFactory.describers)
        }
    }
}
