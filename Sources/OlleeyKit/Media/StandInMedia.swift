import Foundation

/// The media toolkit of a run with stand-ins (`StandIn`, `OLLEEY_STANDIN_MS`): no ffmpeg, no
/// ffprobe, no mixer. Each call sleeps the stand-in's milliseconds (one sleep where the real
/// toolkit starts one process: `fitClips` sleeps once per batch) and writes placeholders the
/// pipeline downstream accepts, atomically (a temporary name, then a rename):
/// - audio (extractions, fitted clips, the dub track, a retimed background) as WAVs of silence of
///   the length and format asked for, the samples left sparse (`ftruncate`), with a `LIST/INFO`
///   comment naming the variable;
/// - MP4s (side files, a language's MP4, the master, a slowed video) and the mixed `.m4a` as a
///   line of text naming the variable (`MP4Layout` and `MP4File` see no MP4 there and mux anew).
/// `probe` reads the MP4's own header in process (duration, each track's kind, codec, size,
/// rate) or a WAV's; anything else is taken as a 10 s video with sound, and says so in its format.
struct StandInMedia: MediaToolkit {
    let standIn: StandIn
    let cancel: CancelToken
    var progress: MediaProgress?

    init(standIn: StandIn, cancel: CancelToken) { self.standIn = standIn; self.cancel = cancel }

    func reporting(_ progress: MediaProgress?) -> any MediaToolkit {
        var copy = self
        copy.progress = progress
        return copy
    }

    /// The work of one process: the stand-in's sleep.
    private func work() throws { try standIn.sleep(cancel) }

    /// All of `ms` done, for a call that reports progress.
    private func reportDone(_ ms: Int) { if ms > 0 { progress?(Double(ms) / 1000) } }

    // MARK: placeholders

    /// A WAV of silence, `ms` long, in `format`, with a comment naming the stand-in.
    static func writeSilence(_ path: String, ms: Int, format: WAVFormat, note: String) throws {
        let frames = format.sampleRate * max(0, ms) / 1000
        var header = WAVHeader.bytes(format: format, frames: frames)
        // a LIST/INFO chunk (ICMT: comment) between "fmt " and "data"; readers skip it
        var text = Array(note.utf8) + [0]
        if text.count % 2 == 1 { text.append(0) }
        var list = Array("LIST".utf8) + le32(UInt32(4 + 8 + text.count)) + Array("INFO".utf8)
        list += Array("ICMT".utf8) + le32(UInt32(text.count)) + text
        let riffSize = UInt32(truncatingIfNeeded: 36 + list.count + frames * format.bytesPerFrame)
        header.replaceSubrange(4..<8, with: le32(riffSize))
        header.insert(contentsOf: list, at: 36)
        try place(header, zeros: frames * format.bytesPerFrame, at: path)
    }

    /// A text file where media would be.
    func writeStub(_ path: String, _ what: String) throws {
        try StandInMedia.place(Array("\(standIn.note): \(what)\n".utf8), zeros: 0, at: path)
    }

    /// `bytes` then `zeros` zero bytes (sparse) at `path`, through a temporary name.
    static func place(_ bytes: [UInt8], zeros: Int, at path: String) throws {
        let tmp = path + ".tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw FileIO.createError(path, errno) }
        var ok = false
        defer { if !ok { unlink(tmp) } }
        do {
            defer { close(fd) }
            try bytes.withUnsafeBytes { raw in
                var off = 0
                while off < raw.count {
                    let n = write(fd, raw.baseAddress! + off, raw.count - off)
                    if n < 0 { if errno == EINTR { continue }; throw FileIO.createError(path, errno) }
                    off += n
                }
            }
            if zeros > 0, ftruncate(fd, off_t(bytes.count + zeros)) != 0 { throw FileIO.createError(path, errno) }
        }
        guard rename(tmp, path) == 0 else { throw FileIO.createError(path, errno) }
        ok = true
    }

    private static func le32(_ v: UInt32) -> [UInt8] { [UInt8(v & 0xFF), UInt8((v >> 8) & 0xFF), UInt8((v >> 16) & 0xFF), UInt8(v >> 24)] }

    // MARK: reading what is there, in process

    /// Milliseconds of a WAV (its header) or an MP4 (its movie header); nil otherwise.
    static func durationMs(_ path: String) -> Int? {
        if let h = try? WAVHeader.read(path) { return h.durationMs }
        if let f = try? MP4File.open(path), let m = f.moov.find(["mvhd"]), f.movieTimescale > 0 {
            let p = m.payload[...]
            let units = p.first == 1 ? (p.count >= 32 ? Int64(bitPattern: be64(p, 24)) : 0) : (p.count >= 20 ? Int64(be32(p, 16)) : 0)
            return Int((Double(units) * 1000 / Double(f.movieTimescale)).rounded())
        }
        return nil
    }

    /// What ffprobe would say, from the file's own header: an MP4's tracks, or a WAV.
    func info(_ path: String) throws -> MediaInfo {
        guard FileManager.default.fileExists(atPath: path) else { throw OlleeyError.notFound("no such file: \(path)") }
        let label = "stand-in (\(standIn.setting); read from the file's header, no ffprobe)"
        var streams: [JSON] = []
        var ms: Int
        if let h = try WAVHeader.read(path) {
            ms = h.durationMs
            streams.append(.object([("index", .int(0)), ("codec_type", .string("audio")), ("codec_name", .string("pcm_s16le")),
                                    ("sample_rate", .string(String(h.format.sampleRate))), ("channels", .int(Int64(h.format.channels)))]))
        } else if let f = try MP4File.open(path), let d = StandInMedia.durationMs(path) {
            ms = d
            for (i, t) in f.tracks.enumerated() {
                let stsd = t.trak.find(["mdia", "minf", "stbl", "stsd"])?.payload ?? []
                let fourcc = stsd.count >= 16 ? String(decoding: stsd[12..<16], as: UTF8.self) : "?"
                let codec = ["avc1": "h264", "avc3": "h264", "hvc1": "hevc", "hev1": "hevc", "mp4a": "aac", "tx3g": "mov_text"][fourcc] ?? fourcc
                var s: [(String, JSON)] = [("index", .int(Int64(i))), ("codec_name", .string(codec))]
                switch t.handler {
                case "vide":
                    let tkhd = t.trak.find(["tkhd"])?.payload ?? []
                    let seconds = t.dts.isEmpty ? 0 : Double(t.dts.last! - t.dts.first!) / Double(t.timescale)
                    let fps = t.dts.count > 1 && seconds > 0 ? Double(t.dts.count - 1) / seconds : 25
                    s.append(("codec_type", .string("video")))
                    if tkhd.count >= 8 {
                        s.append(("width", .int(Int64(be32(tkhd[...], tkhd.count - 8) >> 16))))
                        s.append(("height", .int(Int64(be32(tkhd[...], tkhd.count - 4) >> 16))))
                    }
                    s.append(("avg_frame_rate", .string(String(format: "%.3f", fps))))
                case "soun":
                    s.append(("codec_type", .string("audio")))
                    s.append(("sample_rate", .string(String(t.timescale))))
                    if stsd.count >= 34 { s.append(("channels", .int(Int64(UInt16(stsd[32]) << 8 | UInt16(stsd[33]))))) }
                default:
                    s.append(("codec_type", .string(t.isSubtitle ? "subtitle" : "data")))
                }
                streams.append(.object(s))
            }
        } else {
            // not a file this can read without ffprobe (MKV, WebM, a fragmented MP4): assumed
            ms = 10_000
            streams = [.object([("index", .int(0)), ("codec_type", .string("video")), ("codec_name", .string("unknown")), ("avg_frame_rate", .string("25"))]),
                       .object([("index", .int(1)), ("codec_type", .string("audio")), ("codec_name", .string("unknown")),
                                ("sample_rate", .string("48000")), ("channels", .int(2))])]
            return try MediaInfo.standIn(path, format: "stand-in (\(standIn.setting); not an MP4 or WAV it can read: 10 s of video and sound assumed)", ms: ms, streams: streams)
        }
        return try MediaInfo.standIn(path, format: label, ms: ms, streams: streams)
    }

    // MARK: MediaToolkit

    func probe(_ path: String, requireVideo: Bool) throws -> MediaInfo {
        try work()
        let info = try info(path)
        try FFmpeg.checkProbe(info, path: path, requireVideo: requireVideo)
        return info
    }

    func extractAudio(from input: String, to output: String, target: FFmpeg.AudioTarget, audioIndex: Int) throws {
        try work()
        let format: WAVFormat
        switch target {
        case .speech: format = .speech
        case .mix: format = .mix
        case .mixNative(let ch): format = WAVFormat(channels: ch == 1 ? 1 : 2, sampleRate: 48_000)
        }
        let ms = StandInMedia.durationMs(input) ?? 10_000
        try StandInMedia.writeSilence(output, ms: ms, format: format, note: standIn.note)
        reportDone(ms)
    }

    func audioDurationMs(_ path: String) throws -> Int {
        try work()
        return StandInMedia.durationMs(path) ?? 0
    }

    func fitClip(_ input: String, to output: String, factor: Double, maxDurationMs: Int?, exactDurationMs: Int?, format: WAVFormat) throws {
        try work()
        var ms = exactDurationMs ?? Int(Double(StandInMedia.durationMs(input) ?? 0) / max(factor, 0.01))
        if let cap = maxDurationMs { ms = min(ms, cap) }
        try StandInMedia.writeSilence(output, ms: ms, format: format, note: standIn.note)
    }

    func fitClips(_ items: [(input: String, output: String, factor: Double)], format: WAVFormat, batch: Int) throws {
        for (n, i) in items.enumerated() {
            if n % max(1, batch) == 0 { try work() }  // one process per batch
            let ms = Int(Double(StandInMedia.durationMs(i.input) ?? 0) / max(i.factor, 0.01))
            try StandInMedia.writeSilence(i.output, ms: ms, format: format, note: standIn.note)
        }
    }

    @discardableResult
    func buildDubTrack(clips: [DubClip], durationSeconds: Double, output: String, format: WAVFormat) throws -> DubTrackReport {
        try work()
        let ms = Int((durationSeconds * 1000).rounded())
        try StandInMedia.writeSilence(output, ms: ms, format: format, note: standIn.note)
        return DubTrackReport(clips: clips.count, durationMs: ms)
    }

    func retimeAudio(_ input: String, map: VideoTimeMap, output: String, channels: Int) throws {
        try work()
        let ms = (StandInMedia.durationMs(input) ?? 0) + map.addedMs
        try StandInMedia.writeSilence(output, ms: ms, format: WAVFormat(channels: channels, sampleRate: 48_000), note: standIn.note)
    }

    func mixSegmented(_ src: MixSources, output: String, options: MixOptions,
                      cache: @escaping @Sendable (String, (String) throws -> Void) throws -> String) throws {
        try work()
        try writeStub(output, "the mix of \(src.speech.count) speech range(s) over \(src.background == nil ? "no background" : "the background"), \(src.durationMs) ms")
        reportDone(src.durationMs)
    }

    @discardableResult
    func slowVideo(_ input: String, ranges: [SlowRange], output: String, scratchDir: String?) throws -> VideoTimeMap {
        try work()
        let info = try info(input)
        try writeStub(output, "a slowed video")
        return try VideoTimeMap.frameExact(ranges, durationMs: info.durationMs, frameRate: info.video?.frameRate)
    }

    func assemble(video: String, audio: [AudioTrackSpec], subtitles: [SubtitleTrackSpec], to path: String,
                  burnIn: String?, probed: MediaInfo?, moovReserve: Int?) throws {
        try work()
        try writeStub(path, "an MP4 with \(audio.count) audio and \(subtitles.count) subtitle track(s)")
        reportDone(StandInMedia.durationMs(video) ?? 0)
    }

    func assembleLanguage(video: String, output: LanguageOutput, to path: String, burnIn: Bool) throws {
        try work()
        try writeStub(path, "the \(output.language) MP4")
        reportDone(StandInMedia.durationMs(video) ?? 0)
    }

    func assembleMaster(video: String, sourceLanguage: String, sourceSubtitles: String?,
                        languages: [LanguageOutput], to path: String, originalAudio: String?, moovReserve: Int?) throws {
        try work()
        try writeStub(path, "the master MP4 with \(([sourceLanguage] + languages.map(\.language)).joined(separator: ", "))")
        reportDone(StandInMedia.durationMs(video) ?? 0)
    }

    func muxSide(audio: [AudioTrackSpec], subtitles: [SubtitleTrackSpec], to path: String) throws {
        try work()
        try writeStub(path, "a side file with \(audio.count) audio and \(subtitles.count) subtitle track(s)")
    }
}

extension MediaInfo {
    /// A stand-in's probe, through the parser of ffprobe's JSON.
    static func standIn(_ path: String, format: String, ms: Int, streams: [JSON]) throws -> MediaInfo {
        let doc = JSON.object([("format", .object([("format_name", .string(format)), ("duration", .string(String(format: "%.3f", Double(ms) / 1000)))])),
                               ("streams", .array(streams))])
        return try FFmpeg.parseProbe(json: doc.encoded(), path: path)
    }
}
