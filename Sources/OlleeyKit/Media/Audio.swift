import Foundation

extension FFmpeg {
    public enum AudioTarget: Sendable {
        /// 16 kHz mono 16-bit WAV: what ASR engines expect.
        case speech
        /// 48 kHz stereo 16-bit WAV: the mixing format.
        case mix
        /// 48 kHz 16-bit WAV with the source's channels, mono or stereo (more are downmixed to
        /// stereo): the background of a segmented mix.
        case mixNative(channels: Int)

        var args: [String] {
            switch self {
            case .speech: return ["-ac", "1", "-ar", "16000", "-c:a", "pcm_s16le"]
            case .mix: return ["-ac", "2", "-ar", "48000", "-c:a", "pcm_s16le"]
            case .mixNative(let n): return ["-ac", n == 1 ? "1" : "2", "-ar", "48000", "-c:a", "pcm_s16le"]
            }
        }
    }

    /// Extracts an audio stream of `input` (the first by default; `audioIndex` counts audio
    /// streams only) to a WAV file. A file without audio is `.invalid`.
    public func extractAudio(from input: String, to output: String, target: AudioTarget, audioIndex: Int = 0) throws {
        try requireInputFile(input, "media file")
        try FFmpeg.writing(output) { tmp in
            do {
                try run(["-i", input, "-map", "0:a:\(audioIndex)", "-vn", "-sn", "-dn"] + target.args + ["-f", "wav", tmp],
                        what: "extracting audio from \((input as NSString).lastPathComponent)", progress: progress)
            } catch let e as OlleeyError where e.message.contains("matches no streams") || e.message.contains("Stream map") {
                throw OlleeyError(.invalid, "\((input as NSString).lastPathComponent) has no audio stream\(audioIndex > 0 ? " #\(audioIndex)" : "")")
            }
        }
    }

    /// The `atempo` filter chain for a tempo factor (> 1 is faster). Each stage stays within
    /// [0.5, 2.0], where atempo blends samples instead of skipping them, so any factor > 0 works.
    public static func atempoChain(_ factor: Double) -> [String] {
        guard factor.isFinite, factor > 0, abs(factor - 1) > 1e-6 else { return [] }
        var f = factor
        var stages: [String] = []
        while f > 2.0 { stages.append("atempo=2.0"); f /= 2.0 }
        while f < 0.5 { stages.append("atempo=0.5"); f /= 0.5 }
        if abs(f - 1) > 1e-6 { stages.append("atempo=\(String(format: "%.6f", f))") }
        return stages
    }

    /// Time-stretches `input` by `factor` (1.25 = 25 % faster, shorter) without changing pitch.
    public func stretch(_ input: String, to output: String, factor: Double) throws {
        guard factor.isFinite, factor > 0 else { throw OlleeyError(.invalid, "time-stretch factor must be positive (got \(factor))") }
        try fitClip(input, to: output, factor: factor)
    }

    /// Pads `input` with silence, or trims it, to exactly `durationMs`.
    public func padOrTrim(_ input: String, to output: String, durationMs: Int) throws {
        try fitClip(input, to: output, factor: 1, exactDurationMs: durationMs)
    }

    /// Prepares one cue's speech for the timeline: tempo `factor` (atempo chain), then
    /// resampled to the mix format (48 kHz stereo s16 WAV); optionally cut at `maxDurationMs`
    /// (with a 10 ms fade so the cut does not click) or padded/trimmed to `exactDurationMs`.
    public func fitClip(_ input: String, to output: String, factor: Double, maxDurationMs: Int? = nil,
                        exactDurationMs: Int? = nil, format: WAVFormat = .mix) throws {
        try requireInputFile(input, "audio clip")
        var filters = FFmpeg.atempoChain(factor)
        filters.append("aresample=\(format.sampleRate)")
        var args = ["-i", input, "-vn"]
        if let exact = exactDurationMs {
            filters.append("apad=whole_dur=\(FFmpeg.seconds(max(0, exact)))")
            args += ["-af", filters.joined(separator: ","), "-t", FFmpeg.seconds(max(0, exact))]
        } else if let maxMs = maxDurationMs {
            let fadeStart = max(0, maxMs - 10)
            filters.append("afade=t=out:st=\(FFmpeg.seconds(fadeStart)):d=0.010")
            args += ["-af", filters.joined(separator: ","), "-t", FFmpeg.seconds(max(0, maxMs))]
        } else {
            args += ["-af", filters.joined(separator: ",")]
        }
        args += ["-ac", String(format.channels), "-ar", String(format.sampleRate), "-c:a", format.bitsPerSample == 16 ? "pcm_s16le" : "pcm_f32le", "-f", "wav"]
        try FFmpeg.writing(output) { tmp in
            try run(args + [tmp], what: "fitting audio clip \((input as NSString).lastPathComponent)")
        }
    }

    /// `fitClip` (tempo `factor`, then `format`) for many clips, `batch` per ffmpeg process: a
    /// job with 3,000 cues would otherwise start 3,000 processes. Each output is written to its
    /// temporary sibling and renamed, so the outputs equal `fitClip`'s. When a batch fails, its
    /// clips are done one by one, so the error names the clip that failed.
    public func fitClips(_ items: [(input: String, output: String, factor: Double)], format: WAVFormat = .mix, batch: Int = 40) throws {
        var start = 0
        while start < items.count {
            try cancel.check()
            let chunk = Array(items[start..<min(items.count, start + max(1, batch))])
            start += chunk.count
            if chunk.count == 1 {
                try fitClip(chunk[0].input, to: chunk[0].output, factor: chunk[0].factor, format: format)
                continue
            }
            for c in chunk { try requireInputFile(c.input, "audio clip") }
            let tmps = chunk.map { FFmpeg.temporarySibling(of: $0.output) }
            defer { for t in tmps { unlink(t) } }
            var args: [String] = []
            var graph: [String] = []
            for (i, c) in chunk.enumerated() {
                args += ["-i", c.input]
                graph.append("[\(i):a:0]" + (FFmpeg.atempoChain(c.factor) + ["aresample=\(format.sampleRate)"]).joined(separator: ",") + "[o\(i)]")
            }
            args += ["-filter_complex", graph.joined(separator: ";")]
            for (i, t) in tmps.enumerated() {
                args += ["-map", "[o\(i)]", "-ac", String(format.channels), "-ar", String(format.sampleRate),
                         "-c:a", format.bitsPerSample == 16 ? "pcm_s16le" : "pcm_f32le", "-f", "wav", t]
            }
            do {
                try run(args, what: "fitting \(chunk.count) audio clips")
            } catch let e as OlleeyError where e.code != .interrupted {
                for c in chunk { try fitClip(c.input, to: c.output, factor: c.factor, format: format) }
                continue
            }
            for (i, c) in chunk.enumerated() where rename(tmps[i], c.output) != 0 {
                throw OlleeyError(.cannotCreate, "cannot create \(c.output): \(String(cString: strerror(errno)))")
            }
        }
    }

    /// Converts any audio file to a WAV of `format`.
    public func convertAudio(_ input: String, to output: String, format: WAVFormat) throws {
        try fitClip(input, to: output, factor: 1, format: format)
    }
}
