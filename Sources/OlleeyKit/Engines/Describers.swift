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

extension EngineFactory {
    public static let describers = ["none", "command"]

    /// The describer of `engines.describe` (`command`); nil when none is set (`none` or unset):
    /// a person writes the descriptions (`vtt edit --kind descriptions`).
    public func describer() throws -> (any Describer)? {
        let n = (settings["engines.describe"] ?? "none").lowercased()
        switch n {
        case "none", "":
            return nil
        case "command":
            return try CommandDescriber(template: try template("engines.describe.command", example: "my-describer {input} {output}"),
                                        timeout: try settings.double("engines.describe.timeout", default: 300))
        default:
            throw unknown("describe", n, EngineFactory.describers)
        }
    }
}
