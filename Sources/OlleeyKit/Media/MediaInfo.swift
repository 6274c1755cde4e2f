import Foundation

/// One stream of a media file, as ffprobe reports it.
public struct MediaStream: Sendable, Equatable {
    public enum Kind: String, Sendable { case video, audio, subtitle, data, attachment, other }
    public var index: Int
    public var kind: Kind
    public var codec: String
    /// ISO 639-2 language tag when the file has one (`eng`); nil for `und` or none.
    public var language: String?
    public var title: String?
    public var sampleRate: Int?
    public var channels: Int?
    public var width: Int?
    public var height: Int?
    /// Frames per second (average frame rate, else the real base frame rate).
    public var frameRate: Double?
    public var durationMs: Int?
    public var isDefault: Bool
    /// Cover art and thumbnails are video streams with this flag.
    public var isAttachedPicture: Bool

    public var json: JSON {
        var o: [(String, JSON)] = [("index", .int(Int64(index))), ("type", .string(kind.rawValue)), ("codec", .string(codec))]
        o.append(("language", JSON(language)))
        o.append(("title", JSON(title)))
        if kind == .audio {
            o.append(("sample_rate", JSON(sampleRate)))
            o.append(("channels", JSON(channels)))
        }
        if kind == .video {
            o.append(("width", JSON(width)))
            o.append(("height", JSON(height)))
            o.append(("frame_rate", frameRate.map { JSON.double(($0 * 1000).rounded() / 1000) } ?? .null))
        }
        o.append(("duration_ms", JSON(durationMs)))
        o.append(("default", .bool(isDefault)))
        return .object(o)
    }
}

/// What ffprobe says about a file.
public struct MediaInfo: Sendable, Equatable {
    public var path: String
    public var formatName: String
    /// Container duration in milliseconds (rounded).
    public var durationMs: Int
    /// Container duration in seconds, as precise as ffprobe reports it.
    public var durationSeconds: Double
    public var sizeBytes: Int?
    public var bitRate: Int?
    public var streams: [MediaStream]

    public var videoStreams: [MediaStream] { streams.filter { $0.kind == .video && !$0.isAttachedPicture } }
    public var audioStreams: [MediaStream] { streams.filter { $0.kind == .audio } }
    public var subtitleStreams: [MediaStream] { streams.filter { $0.kind == .subtitle } }
    /// The main video stream.
    public var video: MediaStream? { videoStreams.first }
    public var audio: MediaStream? { audioStreams.first }
    public var hasVideo: Bool { video != nil }

    public var json: JSON {
        .object([
            ("format", .string(formatName)),
            ("duration_ms", .int(Int64(durationMs))),
            ("size_bytes", JSON(sizeBytes)),
            ("bit_rate", JSON(bitRate)),
            ("streams", .array(streams.map(\.json))),
        ])
    }
}

extension FFmpeg {
    /// Probes `path`. A missing file is `.notFound`; a file ffprobe cannot read, or (with
    /// `requireVideo`) one without a video stream, is `.invalid` with a plain reason.
    ///
    /// Results are cached per process, keyed by the ffprobe program, the path and the file's
    /// identity (device, inode, size, mtime with nanoseconds); with `metadataCacheDirectory`
    /// also on disk, as ffprobe's raw JSON in `DIR/<sha256 of path NUL identity>.json`, so a
    /// later process does not start ffprobe again for an unchanged file. A cache entry that
    /// does not parse (or has no streams) is ignored: ffprobe runs and its result replaces it.
    /// Failed probes are never cached.
    public func probe(_ path: String, requireVideo: Bool = false) throws -> MediaInfo {
        try requireInputFile(path, "media file")
        let identity = fileIdentity(path)
        let key = identity.map { path + "\u{0}" + $0 }
        // a file probed before in this process, unchanged since
        let memoryKey = key.map { ffprobePath + "\u{0}" + $0 }
        if let memoryKey, let hit = FFmpeg.probeCache.get(memoryKey) {
            try FFmpeg.checkProbe(hit, path: path, requireVideo: requireVideo)
            return hit
        }
        // probed by an earlier process, unchanged since
        let diskFile = key.flatMap { k in metadataCacheDirectory.map { $0 + "/" + Digest.sha256(k) + ".json" } }
        if let diskFile, let memoryKey, let bytes = try? FileIO.read(diskFile),
           let info = try? FFmpeg.parseProbe(json: String(decoding: bytes, as: UTF8.self), path: path),
           (try? FFmpeg.checkProbe(info, path: path, requireVideo: false)) != nil {
            FFmpeg.probeCache.set(memoryKey, info)
            try FFmpeg.checkProbe(info, path: path, requireVideo: requireVideo)
            return info
        }
        let json = try runFFprobe(path)
        let info = try FFmpeg.parseProbe(json: json, path: path)
        try FFmpeg.checkProbe(info, path: path, requireVideo: false)
        // a valid probe (with or without video: `requireVideo` is checked on every use);
        // kept only when the file did not change while ffprobe read it
        if let key, let memoryKey, fileIdentity(path).map({ path + "\u{0}" + $0 }) == key {
            FFmpeg.probeCache.set(memoryKey, info)
            if let diskFile { FFmpeg.writeMetadataCache(json, to: diskFile) }
        }
        try FFmpeg.checkProbe(info, path: path, requireVideo: requireVideo)
        return info
    }

    static let probeCache = ProbeCache()

    /// Runs ffprobe on `path` and returns its JSON output (`-show_format -show_streams`).
    func runFFprobe(_ path: String) throws -> String {
        let r = try subprocess(ffprobePath, ["-v", "error", "-print_format", "json", "-show_format", "-show_streams", path]).run()
        if r.cancelled { throw OlleeyError(.interrupted, "probing \(path) was cancelled") }
        guard r.succeeded else {
            let tail = r.stderrTail(lines: 1, maxChars: 300)
                .replacingOccurrences(of: path + ": ", with: "")
            throw OlleeyError(.invalid, "\((path as NSString).lastPathComponent) is not a readable media file\(tail.isEmpty ? "" : " (\(tail))")")
        }
        return r.stdoutString
    }

    /// The checks every probe result passes (fresh, or from a cache): at least one stream, and
    /// a video stream when `requireVideo`.
    static func checkProbe(_ info: MediaInfo, path: String, requireVideo: Bool) throws {
        if info.streams.isEmpty {
            throw OlleeyError(.invalid, "\((path as NSString).lastPathComponent) has no audio or video streams")
        }
        if requireVideo && !info.hasVideo {
            throw OlleeyError(.invalid, "\((path as NSString).lastPathComponent) has no video stream",
                              hint: "give a video file (an audio-only file cannot be dubbed into a video)")
        }
    }

    /// Parses `ffprobe -print_format json -show_format -show_streams` output.
    public static func parseProbe(json text: String, path: String) throws -> MediaInfo {
        let doc: JSON
        do { doc = try JSON.parse(text) } catch {
            throw OlleeyError(.invalid, "ffprobe output for \(path) is not JSON: \(error)")
        }
        guard let format = doc["format"] else {
            throw OlleeyError(.invalid, "\((path as NSString).lastPathComponent) is not a readable media file (no container format)")
        }
        func num(_ v: JSON?) -> Double? {
            if let d = v?.doubleValue { return d }
            if let s = v?.stringValue { return Double(s) }
            return nil
        }
        func int(_ v: JSON?) -> Int? { num(v).flatMap { $0.isFinite ? Int($0) : nil } }
        func rate(_ v: JSON?) -> Double? {
            guard let s = v?.stringValue else { return nil }
            let p = s.split(separator: "/")
            if p.count == 2, let a = Double(p[0]), let b = Double(p[1]), b != 0, a != 0 { return a / b }
            if p.count == 1, let a = Double(p[0]), a != 0 { return a }
            return nil
        }
        var streams: [MediaStream] = []
        for s in doc["streams"]?.arrayValue ?? [] {
            let type = s["codec_type"]?.stringValue ?? "other"
            let tags = s["tags"]
            var lang = tags?["language"]?.stringValue
            if lang == "und" || lang?.isEmpty == true { lang = nil }
            let disp = s["disposition"]
            let stream = MediaStream(
                index: int(s["index"]) ?? streams.count,
                kind: MediaStream.Kind(rawValue: type) ?? .other,
                codec: s["codec_name"]?.stringValue ?? "unknown",
                language: lang,
                title: tags?["title"]?.stringValue ?? tags?["handler_name"].flatMap { h -> String? in
                    // ffmpeg writes handler names like "SoundHandler"; only keep real titles.
                    guard let v = h.stringValue, !v.hasSuffix("Handler") else { return nil }
                    return v
                },
                sampleRate: int(s["sample_rate"]),
                channels: int(s["channels"]),
                width: int(s["width"]),
                height: int(s["height"]),
                frameRate: rate(s["avg_frame_rate"]) ?? rate(s["r_frame_rate"]),
                durationMs: num(s["duration"]).map { Int(($0 * 1000).rounded()) },
                isDefault: int(disp?["default"]) == 1,
                isAttachedPicture: int(disp?["attached_pic"]) == 1)
            streams.append(stream)
        }
        var dur = num(format["duration"]) ?? 0
        if dur <= 0 { dur = (streams.compactMap(\.durationMs).max().map { Double($0) / 1000 }) ?? 0 }
        return MediaInfo(
            path: path,
            formatName: format["format_name"]?.stringValue ?? "unknown",
            durationMs: Int((dur * 1000).rounded()),
            durationSeconds: dur,
            sizeBytes: int(format["size"]),
            bitRate: int(format["bit_rate"]),
            streams: streams)
    }
}

/// Probe results of this process, keyed by the ffprobe program, the path and the file identity (bounded).
final class ProbeCache: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [String: MediaInfo] = [:]
    func get(_ k: String) -> MediaInfo? { lock.lock(); defer { lock.unlock() }; return items[k] }
    func set(_ k: String, _ v: MediaInfo) {
        lock.lock(); defer { lock.unlock() }
        if items.count > 256 { items.removeAll() }
        items[k] = v
    }
}
