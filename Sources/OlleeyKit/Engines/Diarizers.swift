import Foundation

/// Says who speaks when in a video's audio (`engines.diarize`), so the voice stage can name the
/// speakers of cues the subtitles do not name (`Diarization.assign`).
public protocol Diarizer: Sendable {
    /// `command` or `http`.
    var name: String { get }
    /// What its answers depend on besides the audio, for the cache key: the template's
    /// fingerprint (`command`), or the kind, the URL and the upload form (`http`).
    var fingerprint: String { get }
    /// Fails before any work: the command's program missing (69), the URL unusable (78).
    func preflight() throws
    /// The turns in `wav` (the source's audio, 16 kHz mono WAV), labels as the diarizer wrote them.
    func diarize(_ wav: String, cancel: CancelToken) throws -> [Diarization.Turn]
}

/// `engines.diarize command` (what `engines.diarize.command` alone selects):
/// `engines.diarize.command 'TOOL {input} {output}'`, `{input}` the audio, `{output}` the file
/// it writes: RTTM, `START END SPEAKER` lines, or the JSON segments of `HTTPDiarizer`.
public struct CommandDiarizer: Diarizer {
    public let name = "command"
    public var template: CommandTemplate
    public var timeout: Double

    public init(template: CommandTemplate, timeout: Double = 3600) throws {
        guard template.uses("input"), template.uses("output") else {
            throw OlleeyError(.config, "engines.diarize.command must contain {input} and {output}",
                              next: [.setting("engines.diarize.command", example: "'my-diarizer {input} {output}'")])
        }
        self.template = template; self.timeout = timeout
    }

    /// The template's fingerprint alone: the key the hook's answers were cached under before
    /// the `http` kind existed (a `command` key cannot equal an `http` one, which starts `http `).
    public var fingerprint: String { template.fingerprint }

    public func preflight() throws {
        guard let exe = template.words.first else { throw OlleeyError(.config, "engines.diarize.command is empty") }
        _ = try Subprocess.require(exe, purpose: "engines.diarize.command")
    }

    public func diarize(_ wav: String, cancel: CancelToken) throws -> [Diarization.Turn] {
        try requireInputFile(wav, "audio file")
        let dir = (wav as NSString).deletingLastPathComponent
        let out = temporaryPath(ext: "txt", dir: dir.isEmpty ? "." : dir)
        defer { unlink(out) }
        _ = try template.run(["input": wav, "output": out], timeout: timeout, cancel: cancel, what: "diarization command")
        guard let bytes = try? FileIO.read(out) else { throw OlleeyError(.failure, "the diarization command wrote nothing to {output}") }
        return try Diarization.parseAnswer(String(decoding: bytes, as: UTF8.self), what: "the diarization command's output")
    }
}

/// `engines.diarize http`: a diarization service at `engines.diarize.url` (the whole URL, e.g. a
/// pyannote wrapper's `http://127.0.0.1:9000/diarize`). One POST per video with the audio (16 kHz
/// mono WAV): by default as `multipart/form-data` with the file in the part `file` (`audio.wav`,
/// `audio/wav`), what FastAPI/Flask wrappers of pyannote and whisperX take; with
/// `engines.diarize.upload wav`, as the whole request body (`Content-Type: audio/wav`). An
/// `engines.diarize.api_key` goes as `Authorization: Bearer KEY` (never the http engines' key: it
/// is another server). The answer: JSON segments (`{"segments": [{"start": 0.5, "end": 2.0,
/// "speaker": "SPEAKER_00"}]}`, or a bare array) or RTTM / `START END SPEAKER` text
/// (`Diarization.parseAnswer`). 429 and 5xx are retried (`engines.diarize.retries`); another
/// status, a timeout (`engines.diarize.timeout`, per wait on the network), an empty or
/// unreadable answer is an error naming the URL, failing the voice stage of the language.
public struct HTTPDiarizer: Diarizer {
    public let name = "http"
    public enum Upload: String, Sendable, CaseIterable { case multipart, wav }
    public var url: String
    public var apiKey: String?
    public var timeout: Double
    public var retries: Int
    public var upload: Upload
    /// Seconds of the first back-off between retries.
    public var backoff: Double = 1

    public init(url: String, apiKey: String? = nil, timeout: Double = 3600, retries: Int = 2, upload: Upload = .multipart) {
        self.url = url; self.apiKey = apiKey; self.timeout = timeout; self.retries = retries; self.upload = upload
    }

    public var fingerprint: String { "http \(url) \(upload.rawValue)" }

    public func preflight() throws {
        guard let u = try? HTTPURL(url), u.scheme == "http" || u.scheme == "https" else {
            throw OlleeyError(.config, "engines.diarize.url must be an http:// or https:// URL (got \(url))",
                              next: [.setting("engines.diarize.url", example: "http://127.0.0.1:9000/diarize")])
        }
    }

    /// The request's content type and body for the audio `bytes`.
    public func request(_ bytes: [UInt8]) -> (contentType: String, body: [UInt8]) {
        switch upload {
        case .multipart:
            var form = MultipartForm()
            form.addFile("file", filename: "audio.wav", contentType: "audio/wav", data: bytes)
            return (form.contentType, form.body)
        case .wav:
            return ("audio/wav", bytes)
        }
    }

    public func diarize(_ wav: String, cancel: CancelToken) throws -> [Diarization.Turn] {
        try requireInputFile(wav, "audio file")
        let (contentType, body) = request(try FileIO.read(wav))
        let endpoint = HTTPEndpoint(baseURL: url, apiKey: apiKey, timeout: timeout, retries: max(0, retries), backoff: backoff)
        let what = "diarization request to \(url)"
        let r: HTTPClientResponse
        do {
            r = try endpoint.post(url: url, contentType: contentType, body: body, cancel: cancel, what: what, setting: "engines.diarize")
        } catch let e as OlleeyError where !e.message.contains(url) {
            // the network's own errors (refused, timed out) name the host, not the URL
            throw OlleeyError(e.code, "\(what) failed: \(e.message)", hint: e.hint ?? "check engines.diarize.url and that the service is running", next: e.next)
        }
        guard !r.text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw OlleeyError(.invalid, "the diarization service at \(url) answered HTTP \(r.status) with an empty body",
                              hint: "it should answer JSON segments, RTTM, or 'START END SPEAKER' lines ({\"segments\": []} for no speech)")
        }
        return try Diarization.parseAnswer(r.text, what: "the diarization service at \(url)")
    }
}

extension EngineFactory {
    public static let diarizers = ["none", "command", "http"]

    /// The diarizer of `engines.diarize`; unset: `command` when `engines.diarize.command` is set
    /// (as before the `http` kind), else none (nil: cues the subtitles do not name take the
    /// job's voice).
    public func diarizer() throws -> (any Diarizer)? {
        let n = (settings["engines.diarize"] ?? (settings["engines.diarize.command"] == nil ? "none" : "command")).lowercased()
        let timeout = try settings.double("engines.diarize.timeout", default: 3600)
        switch n {
        case "none", "":
            return nil
        case "command":
            return try CommandDiarizer(template: try template("engines.diarize.command", example: "my-diarizer {input} {output}"), timeout: timeout)
        case "http":
            guard let url = settings["engines.diarize.url"], !url.isEmpty else {
                throw OlleeyError(.config, "engines.diarize.url is not set (the diarize engine is 'http')",
                                  next: [.setting("engines.diarize.url", example: "http://127.0.0.1:9000/diarize")])
            }
            let raw = settings["engines.diarize.upload"] ?? "multipart"
            guard let upload = HTTPDiarizer.Upload(rawValue: raw) else {
                throw OlleeyError(.config, "engines.diarize.upload must be multipart or wav (got '\(raw)')")
            }
            return HTTPDiarizer(url: url, apiKey: settings["engines.diarize.api_key"], timeout: timeout,
                                retries: try settings.int("engines.diarize.retries", default: 2), upload: upload)
        default:
            throw unknown("diarize", n, EngineFactory.diarizers)
        }
    }
}
