import Foundation

/// A stretch of the source video to play slower (`--fit-mode video`): the time from `startMs`
/// to `endMs` lasts `factor` times longer (factor >= 1).
public struct SlowRange: Sendable, Equatable {
    public var startMs: Int
    public var endMs: Int
    public var factor: Double
    public init(startMs: Int, endMs: Int, factor: Double) { self.startMs = startMs; self.endMs = endMs; self.factor = factor }
    public var extraMs: Double { Double(max(0, endMs - startMs)) * (factor - 1) }
}

/// Maps times of the source to times of the slowed video (piecewise linear).
public struct VideoTimeMap: Sendable, Equatable {
    /// Sorted, non-overlapping, frame-exact slow ranges actually applied.
    public var ranges: [SlowRange]

    public init(ranges: [SlowRange]) { self.ranges = ranges }

    /// Where source time `ms` lands in the slowed video.
    public func map(_ ms: Int) -> Int {
        var shift = 0.0
        for r in ranges {
            if ms <= r.startMs { break }
            if ms >= r.endMs { shift += r.extraMs } else { shift += Double(ms - r.startMs) * (r.factor - 1) }
        }
        return ms + Int(shift.rounded())
    }

    /// Total added duration.
    public var addedMs: Int { Int(ranges.reduce(0) { $0 + $1.extraMs }.rounded()) }

    /// The frame rate `slowVideo` re-encodes at: the stream's, else 25.
    public static func effectiveFrameRate(_ frameRate: Double?) -> Double {
        let f = frameRate ?? 25
        return f.isFinite && f > 0 ? f : 25
    }

    /// The map `FFmpeg.slowVideo` applies for `ranges` on a video of `durationMs` at `frameRate`,
    /// computed without touching the file (so a pipeline can place cues before the video is
    /// re-encoded): ranges clamped to the video, sorted, overlapping ones merged (largest
    /// factor), and each range's added time rounded to whole frames (ranges adding less than
    /// half a frame are dropped). Factors must be in 1.0...4.0.
    public static func frameExact(_ ranges: [SlowRange], durationMs: Int, frameRate: Double?) throws -> VideoTimeMap {
        let frameMs = 1000 / effectiveFrameRate(frameRate)
        var clean: [SlowRange] = []
        for r in ranges.sorted(by: { $0.startMs < $1.startMs }) {
            guard r.factor.isFinite, r.factor >= 1, r.factor <= 4 else {
                throw OlleeyError(.invalid, "video slow-down factor must be between 1.0 and 4.0 (got \(r.factor))")
            }
            let s = max(0, min(durationMs, r.startMs)), e = max(0, min(durationMs, r.endMs))
            if e - s < 1 || r.factor <= 1.0001 { continue }
            if let last = clean.last, s < last.endMs {
                clean[clean.count - 1] = SlowRange(startMs: last.startMs, endMs: max(last.endMs, e), factor: max(last.factor, r.factor))
            } else {
                clean.append(SlowRange(startMs: s, endMs: e, factor: r.factor))
            }
        }
        clean = clean.compactMap { r in
            let frames = (r.extraMs / frameMs).rounded()
            if frames < 1 { return nil }
            return SlowRange(startMs: r.startMs, endMs: r.endMs, factor: 1 + frames * frameMs / Double(r.endMs - r.startMs))
        }
        return VideoTimeMap(ranges: clean)
    }

    /// The slow-down factor applied at source time `ms` (1.0 outside every range).
    public func factor(at ms: Int) -> Double {
        ranges.first { $0.startMs <= ms && ms < $0.endMs }?.factor ?? 1
    }

    /// A stable text form of the ranges, for cache keys.
    public var key: String {
        ranges.map { "\($0.startMs)-\($0.endMs)x\(String(format: "%.9f", $0.factor))" }.joined(separator: ",")
    }

    public var json: JSON {
        .array(ranges.map { .object([("start_ms", .int(Int64($0.startMs))), ("end_ms", .int(Int64($0.endMs))),
                                     ("factor", .double(($0.factor * 10000).rounded() / 10000))]) })
    }
}

extension FFmpeg {
    /// Video codecs `slowVideo` can re-encode parts of.
    public static let slowableVideoCodecs: Set<String> = ["h264", "hevc"]

    /// Keyframe times (seconds) of the first video stream, from packet flags (no decoding).
    public func keyframeTimes(_ path: String) throws -> [Double] {
        var p = subprocess(ffprobePath, ["-v", "error", "-select_streams", "v:0", "-show_entries", "packet=pts_time,flags", "-of", "csv=p=0", path])
        p.stdout = .capture(limit: 256 << 20)
        let r = try p.run()
        guard r.succeeded else { throw FFmpeg.error(for: r, what: "reading keyframes of \((path as NSString).lastPathComponent)") }
        var out: [Double] = []
        for line in r.stdoutString.split(separator: "\n") {
            let f = line.split(separator: ",")
            if f.count >= 2, f[1].contains("K"), let t = Double(f[0]) { out.append(t) }
        }
        return out.sorted()
    }

    /// `--fit-mode video`: slows the video down under `ranges` so long lines fit, re-encoding only
    /// the stretches that change.
    ///
    /// Approach ("smart cut"): each range is widened to the keyframes around it; those segments
    /// are re-encoded with a piecewise `setpts` (1x outside the range, `factor` inside) followed by
    /// `fps` (constant frame rate); everything between is stream-copied. Segments go through
    /// MPEG-TS (Annex B, parameter sets in-band) and are joined with the concat demuxer into an MP4
    /// without touching the copied packets. Each range's added time is rounded to whole frames, so
    /// the returned time map is frame-exact; use it to move cues, and `retimeAudio` for the
    /// original audio. The output has the video stream only.
    ///
    /// Limits: H.264 and HEVC sources (the re-encoded parts use libx264/libx265 with the source's
    /// profile family and pixel format); sources with B-frames cut at keyframes may show a frame
    /// of judder at a joint; ranges are at most 4x.
    @discardableResult
    public func slowVideo(_ input: String, ranges: [SlowRange], output: String, scratchDir: String? = nil) throws -> VideoTimeMap {
        let info = try probe(input, requireVideo: true)
        guard let v = info.video else { throw OlleeyError(.invalid, "no video stream in \(input)") }
        let encoder: [String]
        switch v.codec {
        case "h264": encoder = ["-c:v", "libx264", "-preset", "veryfast", "-crf", "18"]
        case "hevc": encoder = ["-c:v", "libx265", "-preset", "veryfast", "-crf", "20", "-tag:v", "hvc1"]
        default:
            throw OlleeyError(.unavailable, "fit mode 'video' needs an H.264 or HEVC source (this one is \(v.codec))",
                              hint: "fit by audio instead, or convert the source to H.264 first", next: [.input("fit-mode", example: "audio")])
        }
        let durationMs = info.durationMs

        // 1. clean the ranges: clamp, sort, merge overlaps, frame-exact extra time
        let map = try VideoTimeMap.frameExact(ranges, durationMs: durationMs, frameRate: v.frameRate)
        let clean = map.ranges
        let fps = VideoTimeMap.effectiveFrameRate(v.frameRate)

        // 2. keyframe-aligned segments
        let keys = try keyframeTimes(input).map { Int(($0 * 1000).rounded()) }
        var cuts: [(start: Int, end: Int, slow: [SlowRange])] = []
        for r in clean {
            let a = keys.last(where: { $0 <= r.startMs }) ?? 0
            let b = keys.first(where: { $0 >= r.endMs }) ?? durationMs
            if let last = cuts.last, a < last.end {
                cuts[cuts.count - 1].end = max(last.end, b)
                cuts[cuts.count - 1].slow.append(r)
            } else {
                cuts.append((a, b, [r]))
            }
        }
        var plan: [(start: Int, end: Int, slow: [SlowRange])] = []
        var t = 0
        for c in cuts {
            if c.start > t { plan.append((t, c.start, [])) }
            plan.append(c)
            t = c.end
        }
        if t < durationMs { plan.append((t, durationMs, [])) }

        let scratch = scratchDir ?? (output as NSString).deletingLastPathComponent
        let work = (scratch.isEmpty ? "." : scratch) + "/.slow-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: work) }

        let pixFmt = ["-pix_fmt", "yuv420p"]
        let annexB = v.codec == "h264" ? "h264_mp4toannexb" : "hevc_mp4toannexb"

        var list = "ffconcat version 1.0\n"
        for (k, seg) in plan.enumerated() {
            try cancel.check()
            let file = work + "/seg\(k).ts"
            let span = ["-ss", FFmpeg.seconds(seg.start), "-t", FFmpeg.seconds(seg.end - seg.start), "-i", input, "-map", "0:v:0", "-an", "-sn", "-dn"]
            if seg.slow.isEmpty {
                try run(span + ["-c:v", "copy", "-bsf:v", annexB, "-f", "mpegts", file], what: "cutting the video")
            } else {
                // piecewise time in seconds relative to the segment start
                var shiftBefore = 0.0
                var pieces: [(a: Double, b: Double, f: Double, shift: Double)] = []
                for r in seg.slow {
                    let a = Double(r.startMs - seg.start) / 1000, b = Double(r.endMs - seg.start) / 1000
                    pieces.append((a, b, r.factor, shiftBefore))
                    shiftBefore += (b - a) * (r.factor - 1)
                }
                // build from the last piece backwards: if(lt(R,a), <earlier>, if(lt(R,b), inside, after))
                var expr = "R+\(FFmpeg.seconds(shiftBefore))"
                for p in pieces.reversed() {
                    let inside = "\(FFmpeg.seconds(p.a))+\(FFmpeg.seconds(p.shift))+(R-\(FFmpeg.seconds(p.a)))*\(String(format: "%.6f", p.f))"
                    expr = "if(lt(R,\(FFmpeg.seconds(p.b))),\(inside),\(expr))"
                    expr = "if(lt(R,\(FFmpeg.seconds(p.a))),R+\(FFmpeg.seconds(p.shift)),\(expr))"
                }
                let setpts = "setpts='(\(expr.replacingOccurrences(of: "R", with: "(T-STARTT)")))/TB',fps=\(String(format: "%.6f", fps))"
                try run(span + ["-vf", setpts] + encoder + pixFmt + ["-bsf:v", annexB, "-f", "mpegts", file], what: "re-encoding a slowed video segment")
            }
            list += "file 'seg\(k).ts'\n"
        }
        let listFile = work + "/list.ffconcat"
        guard FileManager.default.createFile(atPath: listFile, contents: Data(list.utf8)) else {
            throw OlleeyError(.cannotCreate, "cannot write \(listFile)")
        }
        try FFmpeg.writing(output) { tmp in
            try run(["-f", "concat", "-safe", "0", "-i", listFile, "-map", "0:v:0", "-c", "copy", "-movflags", "+faststart", "-f", "mp4", tmp],
                    what: "joining the video segments")
        }
        return map
    }

    /// Retimes an audio track to match `slowVideo`: the parts under the map's ranges are
    /// time-stretched (atempo, pitch kept) by their factor, the rest untouched. Output: 16-bit
    /// WAV at 48 kHz with `channels` channels (1 or 2; stereo, the mix format, by default).
    public func retimeAudio(_ input: String, map: VideoTimeMap, output: String, channels: Int = 2) throws {
        try requireInputFile(input, "audio")
        var graph = ""
        var labels: [String] = []
        var t = 0
        var k = 0
        func piece(_ a: Int, _ b: Int?, tempo: Double) {
            let end = b.map { ":end=\(FFmpeg.seconds($0))" } ?? ""
            let chain = FFmpeg.atempoChain(tempo)
            graph += "[0:a:0]atrim=start=\(FFmpeg.seconds(a))\(end),asetpts=PTS-STARTPTS\(chain.isEmpty ? "" : "," + chain.joined(separator: ","))[p\(k)];\n"
            labels.append("[p\(k)]")
            k += 1
        }
        for r in map.ranges {
            if r.startMs > t { piece(t, r.startMs, tempo: 1) }
            piece(r.startMs, r.endMs, tempo: 1 / r.factor)
            t = r.endMs
        }
        piece(t, nil, tempo: 1)
        graph += labels.joined() + "concat=n=\(labels.count):v=0:a=1[out]\n"
        let dir = (output as NSString).deletingLastPathComponent
        let script = (dir.isEmpty ? "." : dir) + "/.retime-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).txt"
        guard FileManager.default.createFile(atPath: script, contents: Data(graph.utf8)) else { throw OlleeyError(.cannotCreate, "cannot write \(script)") }
        defer { unlink(script) }
        try FFmpeg.writing(output) { tmp in
            try run(["-i", input, "-filter_complex_script", script, "-map", "[out]", "-ac", channels == 1 ? "1" : "2", "-ar", "48000", "-c:a", "pcm_s16le", "-f", "wav", tmp],
                    what: "retiming the audio")
        }
    }
}

extension FitPlanner {
    /// Largest video slow-down `--fit-mode video` asks for (what `slowVideo` accepts).
    public static let maxVideoFactor = 4.0

    /// `--fit-mode video`: where the video must play slower so that speech still overflowing at
    /// the tempo cap fits. One range per overflowing cue, over its slot (`start ..< start + slot`,
    /// the cue plus the silence it borrowed), with factor `fitted / slot` (at most
    /// `maxVideoFactor`): stretched by it, the slot lasts as long as the (capped-tempo) speech.
    /// Cues with an empty slot cannot be slowed and keep their overflow. The ranges are as
    /// requested; `VideoTimeMap.frameExact` rounds them to whole frames.
    public static func slowRanges(_ inputs: [FitInput], _ results: [FitResult]) -> [SlowRange] {
        zip(inputs, results).compactMap { slowRange($0, $1) }
    }

    /// The slow range one cue asks for (see `slowRanges`), nil when it fits.
    public static func slowRange(_ input: FitInput, _ result: FitResult) -> SlowRange? {
        guard result.overflowMs > 0, result.slotMs > 0 else { return nil }
        let factor = min(maxVideoFactor, Double(result.fittedMs) / Double(result.slotMs))
        return SlowRange(startMs: input.startMs, endMs: input.startMs + result.slotMs, factor: factor)
    }

    /// The fit report of one cue in `--fit-mode video`: the audio fit (`FitResult.json`), plus
    /// `video_factor` (the frame-exact slow-down of the video where the cue starts, 1.0 when
    /// none) and
    /// `overflow_after_video_ms` (what still runs past the slot once it is slowed: a slow-down
    /// capped at `maxVideoFactor`, an empty slot, or under half a frame of rounding).
    public static func videoReport(_ input: FitInput, _ result: FitResult, map: VideoTimeMap) -> JSON {
        let factor = map.factor(at: input.startMs)
        let slowedSlot = map.map(input.startMs + result.slotMs) - map.map(input.startMs)
        let left = result.overflowMs > 0 ? max(0, result.fittedMs - slowedSlot) : result.overflowMs
        return .object((result.json.objectValue ?? []) + [
            ("video_factor", .double((factor * 10000).rounded() / 10000)),
            ("overflow_after_video_ms", .int(Int64(left))),
        ])
    }
}
