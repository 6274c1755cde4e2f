import Foundation
import OlleeyKit

/// A stand-in for ffmpeg in tests of pipeline logic: records every call (its name and the file it
/// wrote) and writes small deterministic files instead of media: WAVs of silence of the asked
/// length where the pipeline reads WAV headers, a few bytes elsewhere. `probe` answers for a
/// video of `durationMs` with an H.264 stream and, when `hasAudio`, an AAC stream. Set
/// `failing` to a call's name to make that call throw. A copy from `reporting` shares the calls
/// and reports half of `durationMs`, then all of it, from each call that reports progress.
public final class FakeMedia: MediaToolkit, @unchecked Sendable {
    public struct Call: Sendable, Equatable {
        public var name: String
        public var output: String?
    }

    public let durationMs: Int
    public let hasAudio: Bool
    private final class Shared: @unchecked Sendable {
        let lock = NSLock()
        var recorded: [Call] = []
        var failingCall: String?
        var hook: (@Sendable (String) -> Void)?
    }
    private let shared: Shared
    private var lock: NSLock { shared.lock }
    private var recorded: [Call] { get { shared.recorded } set { shared.recorded = newValue } }
    private var failingCall: String? { get { shared.failingCall } set { shared.failingCall = newValue } }
    private var hook: (@Sendable (String) -> Void)? { get { shared.hook } set { shared.hook = newValue } }
    private let progress: MediaProgress?

    public init(durationMs: Int = 20_000, hasAudio: Bool = true) {
        self.durationMs = durationMs
        self.hasAudio = hasAudio
        shared = Shared()
        progress = nil
    }

    private init(sharing other: FakeMedia, progress: MediaProgress?) {
        durationMs = other.durationMs
        hasAudio = other.hasAudio
        shared = other.shared
        self.progress = progress
    }

    public func reporting(_ progress: MediaProgress?) -> any MediaToolkit { FakeMedia(sharing: self, progress: progress) }

    /// Half the media, then all of it (for a call that reports progress).
    private func report() {
        progress?(Double(durationMs) / 2000)
        progress?(Double(durationMs) / 1000)
    }

    /// Every call so far, in order.
    public var calls: [Call] { lock.lock(); defer { lock.unlock() }; return recorded }
    public var callNames: [String] { calls.map(\.name) }
    public func count(_ name: String) -> Int { calls.filter { $0.name == name }.count }
    public func reset() { lock.lock(); recorded = []; lock.unlock() }

    /// The name of a call that throws from now on (nil: none).
    public var failing: String? {
        get { lock.lock(); defer { lock.unlock() }; return failingCall }
        set { lock.lock(); failingCall = newValue; lock.unlock() }
    }

    /// Called with each call's name before it does anything (e.g. to pause a job mid-stage).
    public var onCall: (@Sendable (String) -> Void)? {
        get { lock.lock(); defer { lock.unlock() }; return hook }
        set { lock.lock(); hook = newValue; lock.unlock() }
    }

    private func record(_ name: String, _ output: String?) throws {
        lock.lock()
        recorded.append(Call(name: name, output: output))
        let fail = failingCall == name
        let hook = self.hook
        lock.unlock()
        hook?(name)
        if fail { throw OlleeyError.failure("FakeMedia: \(name) failed as asked") }
    }

    /// A WAV of silence, `ms` long, in `format`.
    public static func writeSilence(_ path: String, ms: Int, format: WAVFormat = .dub) throws {
        let frames = format.sampleRate * max(0, ms) / 1000
        var bytes = WAVHeader.bytes(format: format, frames: frames)
        bytes += [UInt8](repeating: 0, count: frames * format.bytesPerFrame)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    private func writeStub(_ path: String, _ what: String) throws {
        try Data("fake \(what)\n".utf8).write(to: URL(fileURLWithPath: path))
    }

    public func probe(_ path: String, requireVideo: Bool) throws -> MediaInfo {
        try record("probe", nil)
        let audio = hasAudio ? #",{"index":1,"codec_type":"audio","codec_name":"aac","sample_rate":"48000","channels":1}"# : ""
        let json = #"{"format":{"format_name":"mov,mp4","duration":"\#(Double(durationMs) / 1000)"},"streams":[{"index":0,"codec_type":"video","codec_name":"h264","width":64,"height":36,"avg_frame_rate":"25/1"}\#(audio)]}"#
        return try FFmpeg.parseProbe(json: json, path: path)
    }

    public func extractAudio(from input: String, to output: String, target: FFmpeg.AudioTarget, audioIndex: Int) throws {
        try record("extractAudio", output)
        let format: WAVFormat
        switch target {
        case .speech: format = .speech
        case .mix: format = .mix
        case .mixNative(let ch): format = WAVFormat(channels: ch == 1 ? 1 : 2, sampleRate: 48_000)
        }
        try FakeMedia.writeSilence(output, ms: durationMs, format: format)
        report()
    }

    public func audioDurationMs(_ path: String) throws -> Int {
        try record("audioDurationMs", nil)
        return try WAVHeader.read(path)?.durationMs ?? 0
    }

    public func fitClip(_ input: String, to output: String, factor: Double, maxDurationMs: Int?, exactDurationMs: Int?, format: WAVFormat) throws {
        try record("fitClip", output)
        let natural = try WAVHeader.read(input)?.durationMs ?? 0
        try FakeMedia.writeSilence(output, ms: exactDurationMs ?? Int(Double(natural) / factor), format: format)
    }

    public func fitClips(_ items: [(input: String, output: String, factor: Double)], format: WAVFormat, batch: Int) throws {
        for i in items {
            try record("fitClips", i.output)
            let natural = try WAVHeader.read(i.input)?.durationMs ?? 0
            try FakeMedia.writeSilence(i.output, ms: Int(Double(natural) / i.factor), format: format)
        }
    }

    public func buildDubTrack(clips: [DubClip], durationSeconds: Double, output: String, format: WAVFormat) throws -> DubTrackReport {
        try record("buildDubTrack", output)
        try FakeMedia.writeSilence(output, ms: Int(durationSeconds * 1000), format: format)
        return DubTrackReport(clips: clips.count, durationMs: Int(durationSeconds * 1000))
    }

    public func retimeAudio(_ input: String, map: VideoTimeMap, output: String, channels: Int) throws {
        try record("retimeAudio", output)
        try FakeMedia.writeSilence(output, ms: durationMs + map.addedMs, format: WAVFormat(channels: channels, sampleRate: 48_000))
    }

    public func mixSegmented(_ src: MixSources, output: String, options: MixOptions,
                             cache: @escaping @Sendable (String, (String) throws -> Void) throws -> String) throws {
        try record("mixSegmented", output)
        try writeStub(output, "mix of \(src.speech.count) speech ranges over \(src.backgroundKey)")
        report()
    }

    public func slowVideo(_ input: String, ranges: [SlowRange], output: String, scratchDir: String?) throws -> VideoTimeMap {
        try record("slowVideo", output)
        try writeStub(output, "slowed video")
        return try VideoTimeMap.frameExact(ranges, durationMs: durationMs, frameRate: 25)
    }

    public func assemble(video: String, audio: [AudioTrackSpec], subtitles: [SubtitleTrackSpec], to path: String,
                         burnIn: String?, probed: MediaInfo?, moovReserve: Int?) throws {
        try record("assemble", path)
        try writeStub(path, "mp4 with \(audio.count) audio and \(subtitles.count) subtitle tracks")
        report()
    }

    public func assembleLanguage(video: String, output: LanguageOutput, to path: String, burnIn: Bool) throws {
        try record("assembleLanguage", path)
        try writeStub(path, "mp4 in \(output.language)")
        report()
    }

    public func assembleMaster(video: String, sourceLanguage: String, sourceSubtitles: String?,
                               languages: [LanguageOutput], to path: String, originalAudio: String?, moovReserve: Int?) throws {
        try record("assembleMaster", path)
        try writeStub(path, "master with \(languages.map(\.language).joined(separator: ","))")
        report()
    }

    public func muxSide(audio: [AudioTrackSpec], subtitles: [SubtitleTrackSpec], to path: String) throws {
        try record("muxSide", path)
        try writeStub(path, "side file")
    }
}

/// A speech engine stand-in: writes silence as long as the text at 15 characters a second, and
/// counts its calls.
public final class FakeSpeaker: Speaker, @unchecked Sendable {
    public let name = "fake-speaker"
    private let lock = NSLock()
    private var n = 0
    public init() {}
    public var syntheses: Int { lock.lock(); defer { lock.unlock() }; return n }
    public func version(language: String) throws -> String { "1" }
    public func preflight(languages: [String]) throws {}
    public func synthesize(_ text: String, language: String, voice: String?, to output: String, cancel: CancelToken) throws {
        lock.lock(); n += 1; lock.unlock()
        try FakeMedia.writeSilence(output, ms: 200 + text.count * 1000 / 15, format: WAVFormat(channels: 1, sampleRate: 22_050))
    }
}
