import Foundation
import WebVTT

/// Where the extended-AD video holds a frame: at source time `atMs` the picture and the
/// programme audio pause for `holdMs` while a description that does not fit its gap finishes.
public struct Freeze: Sendable, Equatable {
    public var atMs: Int
    public var holdMs: Int
    public init(atMs: Int, holdMs: Int) { self.atMs = atMs; self.holdMs = holdMs }

    public var json: JSON { .object([("at_ms", .int(Int64(atMs))), ("hold_ms", .int(Int64(holdMs)))]) }

    /// The time map of a video with these freezes: the `--fit-mode video` map, each freeze being
    /// the frame before `atMs` slowed to last `frame + hold` (so source times after it land
    /// `holdMs` later, and captions retime with `VideoTimeMap.map`).
    public static func timeMap(_ freezes: [Freeze], frameMs: Int) -> VideoTimeMap {
        let f = max(1, frameMs)
        return VideoTimeMap(ranges: freezes.sorted { $0.atMs < $1.atMs }.filter { $0.holdMs > 0 }.map {
            SlowRange(startMs: max(0, $0.atMs - f), endMs: max(f, $0.atMs), factor: Double(f + $0.holdMs) / Double(f))
        })
    }

    /// `ms` rounded up to whole frames.
    public static func wholeFrames(_ ms: Int, frameMs: Int) -> Int {
        let f = max(1, frameMs)
        return (ms + f - 1) / f * f
    }
}

extension FFmpeg {
    /// Frames of `video` at `times` (ms), as PNG files `frame-1.png`... in `dir`; returns their paths.
    public func extractFrames(_ video: String, times: [Int], dir: String) throws -> [String] {
        try FileIO.createDirectory(dir)
        var out: [String] = []
        for (k, t) in times.enumerated() {
            let path = dir + "/frame-\(k + 1).png"
            try FFmpeg.writing(path) { tmp in
                try run(["-ss", FFmpeg.seconds(t), "-i", video, "-map", "0:v:0", "-frames:v", "1", "-f", "image2", "-c:v", "png", tmp],
                        what: "extracting a frame at \(FFmpeg.seconds(t)) s")
            }
            guard fileExists(path) else { throw OlleeyError(.failure, "no frame of the video at \(FFmpeg.seconds(t)) s") }
            out.append(path)
        }
        return out
    }

    /// `volume=GAIN:enable='between(t,a,b)+...'`: the programme ducked while descriptions speak.
    static func duckFilter(_ spans: [TimeRange], gain: Double) -> String {
        guard !spans.isEmpty else { return "anull" }
        let expr = spans.map { "between(t,\(FFmpeg.seconds($0.startMs)),\(FFmpeg.seconds($0.endMs)))" }.joined(separator: "+")
        return "volume=\(String(format: "%.3f", gain)):enable='\(expr)'"
    }

    /// The described audio: `programme` (the language's mix) ducked under `spans`, with the
    /// descriptions' timeline `descriptions` (a WAV) over it, AAC in an MP4 audio file tagged
    /// with `language` and the disposition `visual_impaired+descriptions`.
    public func mixDescribed(programme: String, descriptions: String, spans: [TimeRange], duck: Double, language: String, output: String) throws {
        let iso = Language.find(language)?.iso639_2 ?? "und"
        try FFmpeg.writing(output) { tmp in
            try run(["-i", programme, "-i", descriptions,
                     "-filter_complex", "[0:a]aformat=channel_layouts=stereo,\(FFmpeg.duckFilter(spans, gain: duck))[bg];[1:a]aformat=channel_layouts=stereo[d];[bg][d]amix=inputs=2:normalize=0:duration=first[a]",
                     "-map", "[a]", "-c:a", "aac", "-b:a", "128k", "-metadata:s:a:0", "language=\(iso)", "-metadata:s:a:0", "title=Audio description",
                     "-disposition:a:0", "default+visual_impaired+descriptions", "-f", "mp4", tmp],
                    what: "mixing the described audio")
        }
    }

    /// The described MP4 of a language: the video (copied), its programme audio (default), the
    /// described audio (tagged `visual_impaired+descriptions`) and its subtitles.
    public func muxDescribed(video: String, programme: String, described: String, subtitles: String?, language: String, output: String) throws {
        let iso = Language.find(language)?.iso639_2 ?? "und"
        var args = ["-i", video, "-i", programme, "-i", described]
        if let subtitles { args += ["-i", subtitles] }
        args += ["-map", "0:v:0", "-map", "1:a:0", "-map", "2:a:0"] + (subtitles != nil ? ["-map", "3:s:0"] : [])
        args += ["-c:v", "copy", "-c:a", "copy"] + (subtitles != nil ? ["-c:s", "mov_text", "-metadata:s:s:0", "language=\(iso)", "-disposition:s:0", "0"] : [])
        args += ["-metadata:s:a:0", "language=\(iso)", "-metadata:s:a:1", "language=\(iso)", "-metadata:s:a:1", "title=Audio description",
                 "-disposition:a:0", "default", "-disposition:a:1", "visual_impaired+descriptions", "-movflags", "+faststart", "-f", "mp4"]
        try FFmpeg.writing(output) { tmp in try run(args + [tmp], what: "muxing the described MP4") }
    }

    /// The extended-AD MP4: `video` with the picture held (its last frame repeated) and the
    /// programme audio paused (silence) at each freeze, the descriptions' timeline (already on
    /// the extended time line) mixed over the ducked programme, and `subtitles` (already retimed)
    /// as a soft track. Its one audio track is tagged `visual_impaired+descriptions`.
    public func renderExtended(video: String, programme: String, descriptions: String, spans: [TimeRange], freezes: [Freeze], duck: Double,
                               subtitles: String?, language: String, output: String) throws {
        let iso = Language.find(language)?.iso639_2 ?? "und"
        let cuts = freezes.sorted { $0.atMs < $1.atMs }.filter { $0.holdMs > 0 }
        var graph: [String] = []
        let n = cuts.count + 1
        if cuts.isEmpty {
            graph.append("[0:v]null[v]")
            graph.append("[1:a]aformat=channel_layouts=stereo[pa]")
        } else {
            graph.append("[0:v]split=\(n)" + (0..<n).map { "[vs\($0)]" }.joined() + "")
            graph.append("[1:a]aformat=channel_layouts=stereo,asplit=\(n)" + (0..<n).map { "[as\($0)]" }.joined())
            var start = 0
            for k in 0..<n {
                let end = k < cuts.count ? cuts[k].atMs : nil
                let range = "start=\(FFmpeg.seconds(start))" + (end.map { ":end=\(FFmpeg.seconds($0))" } ?? "")
                let hold = k < cuts.count ? cuts[k].holdMs : 0
                graph.append("[vs\(k)]trim=\(range),setpts=PTS-STARTPTS" + (hold > 0 ? ",tpad=stop_mode=clone:stop_duration=\(FFmpeg.seconds(hold))" : "") + "[vp\(k)]")
                graph.append("[as\(k)]atrim=\(range),asetpts=PTS-STARTPTS" + (hold > 0 ? ",apad=pad_dur=\(FFmpeg.seconds(hold))" : "") + "[ap\(k)]")
                start = end ?? start
            }
            graph.append((0..<n).map { "[vp\($0)]" }.joined() + "concat=n=\(n):v=1:a=0[v]")
            graph.append((0..<n).map { "[ap\($0)]" }.joined() + "concat=n=\(n):v=0:a=1[pa]")
        }
        graph.append("[pa]\(FFmpeg.duckFilter(spans, gain: duck))[bg]")
        graph.append("[2:a]aformat=channel_layouts=stereo[d]")
        graph.append("[bg][d]amix=inputs=2:normalize=0:duration=first[a]")
        var args = ["-i", video, "-i", programme, "-i", descriptions]
        if let subtitles { args += ["-i", subtitles] }
        args += ["-filter_complex", graph.joined(separator: ";"), "-map", "[v]", "-map", "[a]"] + (subtitles != nil ? ["-map", "3:s:0"] : [])
        args += ["-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "128k"]
        args += subtitles != nil ? ["-c:s", "mov_text", "-metadata:s:s:0", "language=\(iso)", "-disposition:s:0", "0"] : []
        args += ["-metadata:s:a:0", "language=\(iso)", "-metadata:s:a:0", "title=Extended audio description",
                 "-disposition:a:0", "default+visual_impaired+descriptions", "-movflags", "+faststart", "-f", "mp4"]
        try FFmpeg.writing(output) { tmp in try run(args + [tmp], what: "rendering the extended-AD video") }
    }
}
