import Foundation

/// The media work the pipeline asks for, behind one protocol: `FFmpeg` does it with ffmpeg and
/// ffprobe; a test stand-in records the calls and writes small files instead. Every method
/// that writes a file writes it atomically (a failure leaves nothing at the final path).
/// Callers pass every argument: the defaults live on the implementations.
public protocol MediaToolkit: Sendable {
    /// Streams and duration of a media file (`requireVideo`: a file without video is `.invalid`).
    func probe(_ path: String, requireVideo: Bool) throws -> MediaInfo
    /// An audio stream of `input` as a WAV in `target`'s format.
    func extractAudio(from input: String, to output: String, target: FFmpeg.AudioTarget, audioIndex: Int) throws
    /// Length of an audio file.
    func audioDurationMs(_ path: String) throws -> Int
    /// One clip at tempo `factor`, in `format`.
    func fitClip(_ input: String, to output: String, factor: Double, maxDurationMs: Int?, exactDurationMs: Int?, format: WAVFormat) throws
    /// Many clips at their tempo, `batch` per process.
    func fitClips(_ items: [(input: String, output: String, factor: Double)], format: WAVFormat, batch: Int) throws
    /// The dub timeline: each clip at its start, silence elsewhere.
    @discardableResult
    func buildDubTrack(clips: [DubClip], durationSeconds: Double, output: String, format: WAVFormat) throws -> DubTrackReport
    /// An audio track stretched under a slowed video's ranges.
    func retimeAudio(_ input: String, map: VideoTimeMap, output: String, channels: Int) throws
    /// The dub over its background as AAC (`.m4a`), in cached segments (`AudioMixer`).
    func mixSegmented(_ src: MixSources, output: String, options: MixOptions,
                      cache: @escaping @Sendable (String, (String) throws -> Void) throws -> String) throws
    /// The video slowed under `ranges`; returns the time map it applied.
    @discardableResult
    func slowVideo(_ input: String, ranges: [SlowRange], output: String, scratchDir: String?) throws -> VideoTimeMap
    /// An MP4: the video stream copied, then audio and subtitle tracks.
    func assemble(video: String, audio: [AudioTrackSpec], subtitles: [SubtitleTrackSpec], to path: String,
                  burnIn: String?, probed: MediaInfo?, moovReserve: Int?) throws
    /// One language's MP4 (`burnIn`: subtitles rendered into the picture).
    func assembleLanguage(video: String, output: LanguageOutput, to path: String, burnIn: Bool) throws
    /// The master MP4: the original audio, then every language's dub and subtitles.
    func assembleMaster(video: String, sourceLanguage: String, sourceSubtitles: String?,
                        languages: [LanguageOutput], to path: String, originalAudio: String?, moovReserve: Int?) throws
    /// A side MP4 (audio and subtitle tracks, no video) for `MP4Layout`.
    func muxSide(audio: [AudioTrackSpec], subtitles: [SubtitleTrackSpec], to path: String) throws
    /// This toolkit, reporting to `progress` the seconds of media processed by the long work of
    /// `extractAudio`, `mixSegmented` (samples mixed and encoded), `assemble`,
    /// `assembleLanguage` and `assembleMaster` (the MP4 mux, or burn-in) as it goes; nil: none.
    func reporting(_ progress: MediaProgress?) -> any MediaToolkit
}

extension FFmpeg: MediaToolkit {
    public func reporting(_ progress: MediaProgress?) -> any MediaToolkit {
        var copy = self
        copy.progress = progress
        return copy
    }

    /// The in-process mixer, encoding with this ffmpeg.
    public func mixSegmented(_ src: MixSources, output: String, options: MixOptions = MixOptions(),
                             cache: @escaping @Sendable (String, (String) throws -> Void) throws -> String) throws {
        try AudioMixer(encoder: self).mix(src, output: output, options: options, cache: cache)
    }
}
