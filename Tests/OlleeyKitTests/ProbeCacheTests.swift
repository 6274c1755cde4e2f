import Foundation
import Testing
import OlleeyKit
import OlleeyTestSupport

/// `FFmpeg.metadataCacheDirectory`: probe results and the ffmpeg version kept across processes.
///
/// The per-process probe cache is keyed by the ffprobe program too, so an `FFmpeg` whose
/// ffprobe does not exist plays "a later process": it can only answer from the directory.
@Suite("Persistent probe and version cache (real ffmpeg)", .enabled(if: MediaFixtures.hasFFmpeg, "ffmpeg/ffprobe not installed (apt-get install ffmpeg)"))
struct ProbeCacheTests {
    /// A sine tone WAV (a fresh path per test, so no earlier probe in this process knows it).
    func tone(_ path: String, seconds: Double, frequency: Int = 440) throws {
        try MediaFixtures.ffmpeg(["-f", "lavfi", "-i", "sine=frequency=\(frequency):duration=\(seconds):sample_rate=48000",
                                  "-c:a", "pcm_s16le", path])
    }

    /// The cache entries (no temporary files) in `dir` ending with `suffix`.
    func entries(_ dir: String, _ suffix: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter { $0.hasSuffix(suffix) && !$0.hasPrefix(".") }.sorted()
    }

    func ffmpeg(cache: String) throws -> FFmpeg {
        var f = try FFmpeg()
        f.metadataCacheDirectory = cache
        return f
    }

    /// An FFmpeg that cannot start ffprobe (`name` makes its per-process cache its own).
    func offline(cache: String, _ t: TempDir, name: String = "no-such-ffprobe") throws -> FFmpeg {
        var f = FFmpeg(ffmpegPath: try FFmpeg().ffmpegPath, ffprobePath: t.file(name))
        f.metadataCacheDirectory = cache
        return f
    }

    @Test("a probe writes ffprobe's JSON to the directory; a process without ffprobe reads it; an unknown file still fails")
    func persists() throws {
        let t = TempDir()
        let cache = t.file("meta/probe")  // created on first use
        let media = t.file("a.wav")
        try tone(media, seconds: 1)
        let info = try ffmpeg(cache: cache).probe(media)
        #expect(abs(info.durationMs - 1000) <= 10)
        let files = entries(cache, ".json")
        #expect(files.count == 1)
        #expect(files.first?.count == 64 + 5, "sha256 hex + .json")
        let raw = try FileIO.readText(cache + "/" + (files.first ?? ""))
        #expect(try FFmpeg.parseProbe(json: raw, path: media) == info, "the entry is ffprobe's JSON")
        #expect(try FileManager.default.contentsOfDirectory(atPath: cache).count == 1, "no temporary file left")

        let later = try offline(cache: cache, t)
        #expect(try later.probe(media) == info)
        do { _ = try later.probe(media, requireVideo: true); Issue.record("an audio file has no video") } catch let e as OlleeyError {
            #expect(e.code == .invalid)
            #expect(e.message.contains("no video stream"))
        }
        let other = t.file("b.wav")
        try tone(other, seconds: 1)
        #expect(throws: (any Error).self) { _ = try later.probe(other) }
        #expect(entries(cache, ".json").count == 1, "a failed probe is not cached")
        // without a directory nothing is written
        let plain = t.file("c.wav")
        try tone(plain, seconds: 1)
        _ = try FFmpeg().probe(plain)
        #expect(entries(cache, ".json").count == 1)
    }

    @Test("a changed file (size or mtime) misses the cache")
    func changedFileMisses() throws {
        let t = TempDir()
        let cache = t.file("meta")
        let media = t.file("a.wav")
        try tone(media, seconds: 1)
        let ff = try ffmpeg(cache: cache)
        _ = try ff.probe(media)
        #expect(entries(cache, ".json").count == 1)
        // the same content, another mtime: unknown to a process without ffprobe
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSince1970: 1_000_000)], ofItemAtPath: media)
        #expect(throws: (any Error).self) { _ = try self.offline(cache: cache, t).probe(media) }
        _ = try ff.probe(media)
        #expect(entries(cache, ".json").count == 2)
        // other content (2 s): a miss, then probed and cached afresh
        try tone(media, seconds: 2, frequency: 880)
        #expect(throws: (any Error).self) { _ = try self.offline(cache: cache, t, name: "no-ffprobe-2").probe(media) }
        let info = try ff.probe(media)
        #expect(abs(info.durationMs - 2000) <= 10)
        #expect(entries(cache, ".json").count == 3)
        #expect(try offline(cache: cache, t, name: "no-ffprobe-3").probe(media) == info)
    }

    @Test("a corrupt entry is never returned: ffprobe runs again and replaces it")
    func corruptEntry() throws {
        let t = TempDir()
        let cache = t.file("meta")
        let media = t.file("a.wav")
        try tone(media, seconds: 1)
        let info = try ffmpeg(cache: cache).probe(media)
        let entry = cache + "/" + (entries(cache, ".json").first ?? "")
        // not JSON: without ffprobe the probe fails rather than answering from it
        try FileIO.writeAtomically("{\"format\": {\"dura", to: entry)
        #expect(throws: (any Error).self) { _ = try self.offline(cache: cache, t).probe(media) }
        // with ffprobe (another path to it, so this process has not cached its answer) it runs again
        let link = t.file("ffprobe-link")
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: try FFmpeg().ffprobePath)
        var viaLink = FFmpeg(ffmpegPath: try FFmpeg().ffmpegPath, ffprobePath: link)
        viaLink.metadataCacheDirectory = cache
        #expect(try viaLink.probe(media) == info)
        #expect(try FFmpeg.parseProbe(json: FileIO.readText(entry), path: media) == info, "the corrupt entry was replaced")
        #expect(try offline(cache: cache, t).probe(media) == info)
        // JSON without streams (ffprobe's answer for no media; olleey never stores it): ignored too
        try FileIO.writeAtomically("{\"format\": {\"format_name\": \"wav\", \"duration\": \"9.0\"}, \"streams\": []}", to: entry)
        #expect(throws: (any Error).self) { _ = try self.offline(cache: cache, t, name: "no-ffprobe-2").probe(media) }
    }

    /// A stand-in for ffmpeg: a script that logs each run and prints `version`.
    func fakeFFmpeg(_ path: String, version: String, log: String) throws {
        let script = "#!/bin/sh\necho run >> '\(log)'\necho 'ffmpeg version \(version) Copyright (c) the test'\n"
        // written with O_CLOEXEC and renamed into place, so no child of a parallel test holds it
        // open for writing (exec would fail with ETXTBSY)
        let tmp = path + ".tmp"
        try FileIO.writeScratch(Array(script.utf8), to: tmp)
        #expect(chmod(tmp, 0o755) == 0)
        #expect(rename(tmp, path) == 0)
    }

    func runs(_ log: String) -> Int {
        ((try? FileIO.readText(log)) ?? "").split(separator: "\n").count
    }

    @Test("the ffmpeg version is kept on disk, keyed by the binary's real path and identity")
    func versionPersists() throws {
        let t = TempDir()
        let cache = t.file("meta")
        let log = t.file("runs.log")
        let bin = t.file("ffmpeg-fake")
        try fakeFFmpeg(bin, version: "7.7.7-fake", log: log)
        func ff(_ path: String, cached: Bool = true) -> FFmpeg {
            var f = FFmpeg(ffmpegPath: path, ffprobePath: t.file("no-such-ffprobe"))
            if cached { f.metadataCacheDirectory = cache }
            return f
        }
        func link(_ name: String) throws -> String {
            try FileManager.default.createSymbolicLink(atPath: t.file(name), withDestinationPath: bin)
            return t.file(name)
        }
        #expect(ff(bin).cachedVersion() == "7.7.7-fake")
        #expect(runs(log) == 1)
        let files = entries(cache, ".txt")
        #expect(files.count == 1 && files.first?.hasPrefix("version-") == true)
        #expect(try FileIO.readText(cache + "/" + (files.first ?? "")).trimmingCharacters(in: .whitespacesAndNewlines) == "7.7.7-fake")
        // another path to the same binary (a new process would be alike): read from disk, not run
        #expect(ff(try link("l1")).cachedVersion() == "7.7.7-fake")
        #expect(runs(log) == 1)
        // the binary replaced (an upgrade): asked again
        try fakeFFmpeg(bin, version: "8.8.8-fake-upgraded", log: log)
        #expect(ff(try link("l2")).cachedVersion() == "8.8.8-fake-upgraded")
        #expect(runs(log) == 2)
        #expect(entries(cache, ".txt").count == 2)
        // an entry that is not a version: ignored, asked again and replaced
        for f in entries(cache, ".txt") { try FileIO.writeAtomically("\n", to: cache + "/" + f) }
        #expect(ff(try link("l3")).cachedVersion() == "8.8.8-fake-upgraded")
        #expect(runs(log) == 3)
        #expect(ff(try link("l4")).cachedVersion() == "8.8.8-fake-upgraded")
        #expect(runs(log) == 3)
        // without a directory: per process only
        #expect(ff(try link("l5"), cached: false).cachedVersion() == "8.8.8-fake-upgraded")
        #expect(runs(log) == 4)
    }
}
