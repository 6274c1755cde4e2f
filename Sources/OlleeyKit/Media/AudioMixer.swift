import Foundation
import WebVTT

public struct MixOptions: Sendable, Equatable {
    /// Gain of the original audio while the dub speaks (0.2 = -14 dB).
    public var duckGain: Double = 0.2
    /// Length of the fade down before and back up after each speech interval.
    public var rampMs: Int = 80
    /// Intervals closer than this are merged, so the background does not pump between lines.
    public var mergeGapMs: Int = 400
    /// Gain of the dub itself.
    public var dubGain: Double = 1.0
    /// Gain of a music-and-effects stem (no ducking: it has no speech).
    public var stemGain: Double = 1.0
    /// AAC bit rate when the output is `.m4a`/`.mp4`/`.aac` (stereo; a mono mix gets half).
    public var aacBitrate: String = "192k"
    /// ffmpeg's fast AAC coder (see `AACSettings.fast`).
    public var fastAAC: Bool = true
    /// The language the `.m4a` is tagged with (ISO 639-1 or 639-2; nil: `und`).
    public var language: String?
    public init() {}

    /// The AAC settings for a mix of `channels` channels.
    public func aac(channels: Int) -> AACSettings {
        var rate = aacBitrate
        if channels == 1, rate.hasSuffix("k"), let n = Int(rate.dropLast()) { rate = "\(max(64, n / 2))k" }
        return AACSettings(bitrate: rate, fast: fastAAC)
    }
}

/// What a segmented mix (`AudioMixer.mix`) is made of.
public struct MixSources: Sendable, Equatable {
    /// The dub track: a 16-bit PCM WAV at 48 kHz, 1 or 2 channels.
    public var dub: String
    /// The background: a 16-bit PCM WAV at 48 kHz (1 or 2 channels), or nil for the dub alone.
    public var background: String?
    /// What the background is, for cache keys (e.g. a hash of its source).
    public var backgroundKey: String
    /// true: the original audio, ducked while the dub speaks; false: a music-and-effects stem, as is.
    public var duck: Bool
    /// Where the dub speaks.
    public var speech: [TimeRange]
    /// Length of the mix (the video's duration).
    public var durationMs: Int

    public init(dub: String, background: String?, backgroundKey: String, duck: Bool, speech: [TimeRange], durationMs: Int) {
        self.dub = dub; self.background = background; self.backgroundKey = backgroundKey; self.duck = duck
        self.speech = speech; self.durationMs = durationMs
    }
}

/// The in-process mixer: the dub over its background (ducked while the dub speaks, or a stem as
/// is), mixed sample by sample in Swift; only the AAC encoding of its segments runs ffmpeg.
public struct AudioMixer: Sendable {
    /// Encodes the mixed segments (`SegmentedAAC`).
    public let encoder: FFmpeg

    public init(encoder: FFmpeg) { self.encoder = encoder }

    /// The mix as AAC (`.m4a`), made in cached segments of about 30 s: each segment is mixed in
    /// process (the background times the ducking envelope, plus the dub), limited and encoded by
    /// ffmpeg (`SegmentedAAC`). A segment's key covers the dub's samples, the background's
    /// identity and range, and the envelope's values over it, so after a one-cue edit only the
    /// segment under that cue is mixed and encoded again. Output channels: stereo when the dub or
    /// the background is stereo, else mono.
    public func mix(_ src: MixSources, output: String, options: MixOptions = MixOptions(),
                    cache: @escaping @Sendable (String, (String) throws -> Void) throws -> String) throws {
        let rate = 48_000
        let dub = try PCMReader(src.dub)
        let bg = try src.background.map { try PCMReader($0) }
        for r in [dub] + (bg.map { [$0] } ?? []) where r.format.sampleRate != rate || r.format.channels > 2 {
            throw OlleeyError.failure("mix inputs must be 48 kHz mono or stereo WAVs: \(r.path)")
        }
        guard src.durationMs > 0 else { throw OlleeyError.invalid("the mix is empty (duration 0)") }
        let channels = max(dub.format.channels, bg?.format.channels ?? 1)
        let total = Int((Double(src.durationMs) * Double(rate) / 1000).rounded())
        let gainAt = src.duck ? AudioMixer.duckGains(speech: src.speech, durationMs: src.durationMs + 1, options: options) : nil
        let bgGain = Float(src.duck ? 1 : options.stemGain)
        let dubGain = Float(options.dubGain)
        let settings = ["mix2", String(channels), String(options.dubGain), String(bgGain), src.duck ? "duck" : "flat",
                        src.backgroundKey, String(bg?.format.channels ?? 0)].joined(separator: "|")
        /// The envelope per millisecond over a segment (one value past its end, to interpolate).
        let envelope: @Sendable (SegmentedAAC.Segment) -> [Float] = { g in
            guard let gainAt else { return [] }
            let m0 = g.start * 1000 / rate, m1 = g.end * 1000 / rate + 1
            return (m0...m1).map { Float(gainAt($0)) }
        }
        let limiter = "alimiter=limit=0.98:level=0:attack=5:release=50:latency=1"
        try SegmentedAAC.encode(totalFrames: total, to: output, aac: options.aac(channels: channels), filter: limiter, language: options.language, sampleRate: rate, ffmpeg: encoder, key: { g in
            var h = SHA256Hasher()
            h.update(settings)
            h.update(try dub.bytes(g.start, g.end))
            if bg != nil { h.update("|bg \(g.start)-\(g.end)|") }
            let env = envelope(g)
            env.withUnsafeBytes { h.update(Array($0)) }
            return h.finalizeHex()
        }, render: { g, path in
            var out = try dub.floats(g.start, g.end, channels: channels)
            if dubGain != 1 { for i in out.indices { out[i] *= dubGain } }
            if let bg {
                let b = try bg.floats(g.start, g.end, channels: channels)
                let env = envelope(g)
                let m0 = g.start * 1000 / rate
                for f in 0..<g.frames {
                    var gain = bgGain
                    if !env.isEmpty {
                        // linear between the envelope's millisecond points
                        let pos = Double(g.start + f) * 1000 / Double(rate) - Double(m0)
                        let i = Int(pos), t = Float(pos - Double(i))
                        gain = env[i] + (env[min(i + 1, env.count - 1)] - env[i]) * t
                    }
                    for c in 0..<channels { out[f * channels + c] += b[f * channels + c] * gain }
                }
            }
            var file = WAVHeader.bytes(format: WAVFormat(audioFormat: 3, channels: channels, sampleRate: rate, bitsPerSample: 32), frames: g.frames)
            out.withUnsafeBytes { file.append(contentsOf: $0) }
            try FileIO.writeScratch(file, to: path)
        }, cache: cache)
    }

    /// Merges sorted-or-not speech intervals closer than `gapMs`.
    public static func mergeIntervals(_ ranges: [TimeRange], gapMs: Int) -> [TimeRange] {
        let sorted = ranges.filter { $0.endMs > $0.startMs }.sorted { $0.startMs < $1.startMs }
        var out: [TimeRange] = []
        for r in sorted {
            if let last = out.last, r.startMs - last.endMs < gapMs {
                out[out.count - 1].endMs = max(last.endMs, r.endMs)
            } else {
                out.append(r)
            }
        }
        return out
    }

    /// The ducking gain at each millisecond: 1.0, ramping linearly down to `duckGain` over
    /// `rampMs` before each merged interval and back up over `rampMs` after it.
    public static func duckGains(speech: [TimeRange], durationMs: Int, options: MixOptions) -> @Sendable (Int) -> Double {
        let merged = mergeIntervals(speech, gapMs: options.mergeGapMs)
        let ramp = max(1, options.rampMs)
        let low = min(1, max(0, options.duckGain))
        return { t in
            // binary search the first interval ending after t - ramp
            var lo = 0, hi = merged.count
            while lo < hi { let mid = (lo + hi) / 2; if merged[mid].endMs + ramp <= t { lo = mid + 1 } else { hi = mid } }
            var g = 1.0
            var k = lo
            while k < merged.count, merged[k].startMs - ramp <= t {
                let r = merged[k]
                let depth: Double
                if t < r.startMs { depth = Double(t - (r.startMs - ramp)) / Double(ramp) }
                else if t <= r.endMs { depth = 1 }
                else { depth = 1 - Double(t - r.endMs) / Double(ramp) }
                g = min(g, low + (1 - low) * (1 - min(1, max(0, depth))))
                k += 1
            }
            return g
        }
    }
}
