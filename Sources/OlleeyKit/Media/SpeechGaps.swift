import Foundation
import WebVTT

/// Where an audio description can be spoken: the gaps in the programme's speech.
///
/// A gap is a stretch that the transcript marks as free of speech (its cues, widened by a
/// margin) AND that the audio finds quiet: ffmpeg `silencedetect` at a threshold set relative to
/// the measured speech level (`speechLevelDb - belowSpeechDb`), not at a fixed level, so music or
/// a tone under the speech does not hide every gap. A video without audio has only the
/// transcript's gaps.
public struct SpeechGaps: Sendable, Equatable {
    /// Gaps long enough for a description, in source time, sorted.
    public var gaps: [TimeRange]
    /// Level the loudest speech reaches (dBFS, `parseSpeechLevel`); nil without audio.
    public var speechLevelDb: Double?
    /// The silence threshold used (dBFS); nil without audio.
    public var thresholdDb: Double?
    /// Quiet stretches found by silencedetect (nil without audio).
    public var silences: [TimeRange]?

    public init(gaps: [TimeRange], speechLevelDb: Double?, thresholdDb: Double?, silences: [TimeRange]?) {
        self.gaps = gaps; self.speechLevelDb = speechLevelDb; self.thresholdDb = thresholdDb; self.silences = silences
    }

    public struct Options: Sendable, Equatable {
        /// Shortest gap worth a description.
        public var minGapMs = 1500
        /// Kept clear before and after each cue of speech.
        public var marginMs = 150
        /// The silence threshold, in dB below the speech level.
        public var belowSpeechDb = 14.0
        /// A quiet stretch must last this long to count.
        public var minSilenceMs = 400
        public init() {}
    }

    /// The gaps: the complement of the (widened) speech cues within `[0, durationMs]`,
    /// intersected with `silences` when there are any, keeping stretches of `minGapMs` or more.
    public static func find(speech: [TimeRange], silences: [TimeRange]?, durationMs: Int, options: Options = Options()) -> [TimeRange] {
        let busy = AudioMixer.mergeIntervals(speech.map { TimeRange(startMs: max(0, $0.startMs - options.marginMs), endMs: min(durationMs, $0.endMs + options.marginMs)) }
                                             .filter { $0.endMs > $0.startMs }, gapMs: 0)
        var free: [TimeRange] = []
        var at = 0
        for b in busy {
            if b.startMs > at { free.append(TimeRange(startMs: at, endMs: b.startMs)) }
            at = max(at, b.endMs)
        }
        if durationMs > at { free.append(TimeRange(startMs: at, endMs: durationMs)) }
        if let silences {
            let quiet = silences.sorted { $0.startMs < $1.startMs }
            free = free.flatMap { f in
                quiet.compactMap { q -> TimeRange? in
                    let s = max(f.startMs, q.startMs), e = min(f.endMs, q.endMs)
                    return e > s ? TimeRange(startMs: s, endMs: e) : nil
                }
            }
        }
        return free.filter { $0.endMs - $0.startMs >= options.minGapMs }
    }

    /// Parses ffmpeg's `silencedetect` log: `silence_start: 2.5` ... `silence_end: 5.9 | ...`;
    /// a silence still open at the end runs to `durationMs`.
    public static func parseSilences(_ log: String, durationMs: Int) -> [TimeRange] {
        var out: [TimeRange] = []
        var open: Int?
        for line in log.split(whereSeparator: \.isNewline) {
            if let v = value(after: "silence_start:", in: line) {
                open = max(0, Int((v * 1000).rounded()))
            } else if let v = value(after: "silence_end:", in: line) {
                let end = min(durationMs, Int((v * 1000).rounded()))
                if let s = open, end > s { out.append(TimeRange(startMs: s, endMs: end)) }
                open = nil
            }
        }
        if let s = open, durationMs > s { out.append(TimeRange(startMs: s, endMs: durationMs)) }
        return out
    }

    /// The speech level in ffmpeg's `volumedetect` log: the level that the loudest samples reach
    /// (its histogram stops at the bin where about 1 sample in 1000 is louder: `histogram_15db`
    /// means -15 dBFS), else `max_volume`. A peak-like level: the mean is pulled down by the
    /// pauses between words and up by whatever plays under them.
    public static func parseSpeechLevel(_ log: String) -> Double? {
        var last: Double?
        var maxVolume: Double?
        for line in log.split(whereSeparator: \.isNewline) {
            if let r = line.range(of: "histogram_"), let end = line[r.upperBound...].range(of: "db:") {
                if let v = Double(line[r.upperBound..<end.lowerBound]) { last = -v }
            } else if let v = value(after: "max_volume:", in: line) { maxVolume = v }
        }
        return last ?? maxVolume
    }

    static func value(after key: String, in line: Substring) -> Double? {
        guard let r = line.range(of: key) else { return nil }
        let rest = line[r.upperBound...].drop { $0 == " " }
        let num = rest.prefix { $0.isNumber || $0 == "." || $0 == "-" || $0 == "e" || $0 == "+" }
        guard let v = Double(num), v.isFinite else { return nil }
        return v
    }

    public var json: JSON {
        .object([("gaps", .array(gaps.map { .object([("start_ms", .int(Int64($0.startMs))), ("end_ms", .int(Int64($0.endMs)))]) })),
                 ("speech_level_db", speechLevelDb.map { .double(($0 * 10).rounded() / 10) } ?? .null),
                 ("silence_threshold_db", thresholdDb.map { .double(($0 * 10).rounded() / 10) } ?? .null)])
    }
}

extension FFmpeg {
    /// Runs ffmpeg with its informational log kept (the `volumedetect` and `silencedetect`
    /// filters report there), writing nothing; returns that log.
    func analyse(_ args: [String], what: String) throws -> String {
        var p = subprocess(ffmpegPath, ["-nostdin", "-hide_banner", "-nostats", "-loglevel", "info"] + args + ["-f", "null", "-"])
        p.stderr = .capture(limit: 8 << 20)
        let r = try p.run()
        guard r.succeeded else { throw FFmpeg.error(for: r, what: what) }
        return r.stderrString
    }

    /// The speech level (dBFS, `SpeechGaps.parseSpeechLevel`) of the first audio stream of
    /// `path` within `spans` (all of it when `spans` is empty); nil when ffmpeg measured nothing.
    public func speechLevel(_ path: String, spans: [TimeRange]) throws -> Double? {
        var filters: [String] = []
        if !spans.isEmpty {
            let expr = spans.map { "between(t,\(FFmpeg.seconds($0.startMs)),\(FFmpeg.seconds($0.endMs)))" }.joined(separator: "+")
            filters.append("aselect='\(expr)'")
        }
        filters.append("volumedetect")
        let log = try analyse(["-i", path, "-vn", "-sn", "-map", "0:a:0", "-af", filters.joined(separator: ",")], what: "measuring the speech level")
        return SpeechGaps.parseSpeechLevel(log)
    }

    /// Quiet stretches of the first audio stream of `path`: below `thresholdDb` for `minMs` or more.
    public func silences(_ path: String, thresholdDb: Double, minMs: Int, durationMs: Int) throws -> [TimeRange] {
        let log = try analyse(["-i", path, "-vn", "-sn", "-map", "0:a:0",
                               "-af", "silencedetect=noise=\(String(format: "%.1f", thresholdDb))dB:d=\(FFmpeg.seconds(minMs))"],
                              what: "finding silences")
        return SpeechGaps.parseSilences(log, durationMs: durationMs)
    }

    /// The gaps of `path` (a video or audio file) around the transcript's `speech` cues.
    public func speechGaps(_ path: String, hasAudio: Bool, speech: [TimeRange], durationMs: Int, options: SpeechGaps.Options = SpeechGaps.Options()) throws -> SpeechGaps {
        guard hasAudio else {
            return SpeechGaps(gaps: SpeechGaps.find(speech: speech, silences: nil, durationMs: durationMs, options: options), speechLevelDb: nil, thresholdDb: nil, silences: nil)
        }
        // the level of the speech itself (the whole track when there is no transcript speech)
        let level = try speechLevel(path, spans: speech)
        let threshold = max(-90, (level ?? -20) - options.belowSpeechDb)
        let quiet = try silences(path, thresholdDb: threshold, minMs: options.minSilenceMs, durationMs: durationMs)
        return SpeechGaps(gaps: SpeechGaps.find(speech: speech, silences: quiet, durationMs: durationMs, options: options),
                          speechLevelDb: level, thresholdDb: threshold, silences: quiet)
    }
}
