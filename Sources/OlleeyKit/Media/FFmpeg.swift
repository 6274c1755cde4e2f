import Foundation

/// Typed access to the `ffmpeg` and `ffprobe` programs. Every method that writes a file writes
/// a temporary file beside it and renames it into place, so a crash or a failure never leaves a
/// half-written output at the final path (stage caches rely on this).
public struct FFmpeg: Sendable {
    public let ffmpegPath: String
    public let ffprobePath: String
    public var cancel: CancelToken
    /// Seconds allowed per ffmpeg call (nil: unlimited).
    public var timeout: Double?
    /// `-threads` for encoders (nil: ffmpeg's default).
    public var threads: Int?
    /// Where probe results and the ffmpeg version are kept across processes (created when
    /// missing), keyed by the identity of the file they describe; nil: per process only.
    public var metadataCacheDirectory: String?
    /// Where the long run of a call (the MP4 mux, the mix's encoding, an audio extraction)
    /// reports the seconds of media it has processed, read from ffmpeg's `-progress` as it goes
    /// (`MediaToolkit.reporting`); nil: not read.
    public var progress: MediaProgress?

    /// Finds ffmpeg and ffprobe on PATH, or throws `OlleeyError(.unavailable)` saying what to install.
    public init(cancel: CancelToken = .never, timeout: Double? = nil) throws {
        ffmpegPath = try Subprocess.require("ffmpeg", purpose: "audio and video processing")
        ffprobePath = try Subprocess.require("ffprobe", purpose: "reading media files")
        self.cancel = cancel
        self.timeout = timeout
    }

    public init(ffmpegPath: String, ffprobePath: String, cancel: CancelToken = .never) {
        self.ffmpegPath = ffmpegPath
        self.ffprobePath = ffprobePath
        self.cancel = cancel
    }

    /// `ffmpeg -version` first line's version (`5.1.9-0+deb12u1`), for cache keys.
    public func version() throws -> String {
        let r = try subprocess(ffmpegPath, ["-hide_banner", "-version"]).check("ffmpeg -version")
        let first = r.stdoutString.split(separator: "\n").first.map(String.init) ?? ""
        let parts = first.split(separator: " ")
        return parts.count >= 3 ? String(parts[2]) : first
    }

    /// `version()`, asked once per process and ffmpeg path (it names cache entries); "ffmpeg"
    /// when it cannot be read. With `metadataCacheDirectory`, also kept on disk in
    /// `DIR/version-<sha256>.txt`, keyed by the binary's real path and identity (device, inode,
    /// size, mtime), so an upgraded ffmpeg is asked again.
    public func cachedVersion() -> String {
        FFmpeg.versionLock.lock(); defer { FFmpeg.versionLock.unlock() }
        if let v = FFmpeg.versions[ffmpegPath] { return v }
        var file: String?
        if let dir = metadataCacheDirectory,
           let resolved = ffmpegPath.contains("/") ? ffmpegPath : Subprocess.which(ffmpegPath),
           let real = realpath(resolved, nil) {
            let path = String(cString: real)
            free(real)
            if let id = fileIdentity(path) { file = dir + "/version-" + Digest.sha256(path + "\u{0}" + id) + ".txt" }
        }
        var v: String?
        if let file, let bytes = try? FileIO.read(file) {
            let text = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            // a version is one short token; anything else is not an entry we wrote
            if !text.isEmpty, text.count <= 200, !text.contains(where: \.isWhitespace) { v = text }
        }
        if v == nil, let got = try? version(), !got.isEmpty {
            v = got
            if let file { FFmpeg.writeMetadataCache(got + "\n", to: file) }
        }
        let value = v ?? "ffmpeg"
        FFmpeg.versions[ffmpegPath] = value
        return value
    }
    nonisolated(unsafe) private static var versions: [String: String] = [:]
    private static let versionLock = NSLock()

    func subprocess(_ exe: String, _ args: [String]) -> Subprocess {
        var p = Subprocess(exe, args)
        p.cancel = cancel
        p.timeout = timeout
        p.stdout = .capture(limit: 32 << 20)
        p.stderr = .capture(limit: 64 << 10)
        return p
    }

    /// Runs ffmpeg with `-nostdin -y -hide_banner -loglevel error` prepended; maps failures to
    /// OlleeyError with a plain reason. With `progress`, ffmpeg also writes `-progress pipe:1`
    /// (stdout), read as it arrives: `progress` gets the seconds of output written (stderr is
    /// captured as without it).
    @discardableResult
    public func run(_ args: [String], what: String, progress: MediaProgress? = nil) throws -> Subprocess.Result {
        var base = ["-nostdin", "-hide_banner", "-loglevel", "error", "-y"]
        if let t = threads { base += ["-threads", String(t)] }
        let sink = progress.map(FFmpegProgressSink.init)
        if sink != nil { base += ["-nostats", "-progress", "pipe:1"] }
        var p = subprocess(ffmpegPath, base + args)
        if let sink { p.onStdout = { sink.feed($0) } }
        let r = try p.run()
        sink?.finish()
        // ffmpeg can exit 0 after failing to write its trailer on a full disk.
        if r.succeeded && !r.stderrString.localizedCaseInsensitiveContains("No space left on device") { return r }
        throw FFmpeg.error(for: r, what: what)
    }

    /// Maps a failed ffmpeg/ffprobe run to an OlleeyError a user can act on.
    public static func error(for r: Subprocess.Result, what: String) -> OlleeyError {
        if r.cancelled { return OlleeyError(.interrupted, "\(what) was cancelled") }
        let err = r.stderrString
        let tail = r.stderrTail(lines: 2, maxChars: 400)
        func has(_ s: String) -> Bool { err.range(of: s, options: .caseInsensitive) != nil }
        if r.timedOut { return OlleeyError(.failure, "\(what): ffmpeg timed out after \(r.durationMs / 1000) s") }
        if has("No space left on device") {
            return OlleeyError(.cannotCreate, "\(what): no space left on device", hint: "free disk space, then run again")
        }
        if has("Permission denied") { return OlleeyError(.permission, "\(what): permission denied (\(tail))") }
        if has("No such file or directory") { return OlleeyError(.notFound, "\(what): file not found (\(tail))") }
        if has("Could not find tag for codec") || has("not currently supported in container") || has("codec not currently supported") {
            return OlleeyError(.invalid, "\(what): a stream's codec cannot be stored in MP4 (\(tail))",
                               hint: "convert the source to H.264/AAC first")
        }
        if has("Invalid data found when processing input") || has("moov atom not found") || has("could not find codec parameters")
            || (has("Invalid argument") && has("Error opening input")) || (has("End of file") && has("Error opening input")) {
            return OlleeyError(.invalid, "\(what): not a readable media file (\(tail))")
        }
        return OlleeyError(.failure, "\(what): ffmpeg failed (\(r.outcome))\(tail.isEmpty ? "" : ": \(tail)")")
    }

    // MARK: atomic outputs

    /// Gives `body` a temporary path with the same extension beside `path`, and renames it over
    /// `path` when `body` succeeds; removes it otherwise.
    @discardableResult
    public static func writing<T>(_ path: String, _ body: (String) throws -> T) throws -> T {
        let tmp = temporarySibling(of: path)
        do {
            let v = try body(tmp)
            if rename(tmp, path) != 0 {
                let e = errno
                unlink(tmp)
                throw OlleeyError(e == ENOSPC ? .cannotCreate : .cannotCreate, "cannot create \(path): \(String(cString: strerror(e)))")
            }
            return v
        } catch {
            unlink(tmp)
            throw error
        }
    }

    /// Writes a metadata cache entry (a temporary file in its directory, then renamed into
    /// place; the directory is created when missing). Errors are ignored: the cache is an
    /// optimisation, never a reason to fail.
    static func writeMetadataCache(_ text: String, to file: String) {
        let dir = (file as NSString).deletingLastPathComponent
        if !dir.isEmpty, !fileExists(dir) { try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
        let tmp = temporarySibling(of: file)
        do {
            try FileIO.writeScratch(Array(text.utf8), to: tmp)
            if rename(tmp, file) != 0 { unlink(tmp) }
        } catch {
            unlink(tmp)
        }
    }

    static func temporarySibling(of path: String) -> String {
        let ns = path as NSString
        let dir = ns.deletingLastPathComponent
        let ext = ns.pathExtension
        let stem = (ns.lastPathComponent as NSString).deletingPathExtension
        let rand = UInt32.random(in: 0...UInt32.max)
        let name = ".\(stem).partial-\(getpid())-\(String(rand, radix: 16))" + (ext.isEmpty ? "" : ".\(ext)")
        return dir.isEmpty ? name : dir + "/" + name
    }

    /// Formats milliseconds as seconds for ffmpeg arguments (`1234` -> `1.234`).
    public static func seconds(_ ms: Int) -> String {
        let sign = ms < 0 ? "-" : ""
        let a = abs(ms)
        let frac = String(a % 1000)
        return "\(sign)\(a / 1000).\(String(repeating: "0", count: 3 - frac.count))\(frac)"
    }

    /// Formats seconds with 6 decimals, never in exponent notation.
    public static func seconds(_ s: Double) -> String {
        let micros = Int64((s * 1_000_000).rounded())
        let sign = micros < 0 ? "-" : ""
        let a = abs(micros)
        let frac = String(a % 1_000_000)
        return "\(sign)\(a / 1_000_000).\(String(repeating: "0", count: 6 - frac.count))\(frac)"
    }
}

func fileExists(_ path: String) -> Bool {
    var st = stat()
    return stat(path, &st) == 0
}

func fileSize(_ path: String) -> Int? {
    var st = stat()
    return stat(path, &st) == 0 ? Int(st.st_size) : nil
}

/// What identifies a file's content without reading it: `dev:ino:size:mtime.ns` (nil when it
/// cannot be stat'ed).
func fileIdentity(_ path: String) -> String? {
    var st = stat()
    guard stat(path, &st) == 0 else { return nil }
    return "\(st.st_dev):\(st.st_ino):\(st.st_size):\(st.st_mtim.tv_sec).\(st.st_mtim.tv_nsec)"
}

func requireInputFile(_ path: String, _ what: String) throws {
    var st = stat()
    guard stat(path, &st) == 0 else { throw OlleeyError(.notFound, "\(what) not found: \(path)") }
    if (st.st_mode & S_IFMT) == S_IFDIR { throw OlleeyError(.invalid, "\(what) is a directory, not a file: \(path)") }
}
