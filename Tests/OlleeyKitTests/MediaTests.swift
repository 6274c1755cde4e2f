import Foundation
import Testing
import OlleeyKit
import WebVTT
import OlleeyTestSupport

/// Small real media files generated once per test process with ffmpeg (and espeak-ng).
final class MediaFixtures: @unchecked Sendable {
    static let hasFFmpeg = ToolCheck.missing(["ffmpeg", "ffprobe"]).isEmpty
    static let hasEspeak = ToolCheck.installed("espeak-ng")
    static let shared = MediaFixtures()

    let dir: TempDir
    private let lock = NSLock()
    private var made: [String: String] = [:]

    private init() {
        // The directory lives for the whole test process.
        dir = TempDir()
    }

    /// Makes (once) a file named `name` with `make(path)`.
    func file(_ name: String, _ make: (String) throws -> Void) throws -> String {
        lock.lock(); defer { lock.unlock() }
        if let p = made[name] { return p }
        let p = dir.path + "/" + name
        try make(p)
        made[name] = p
        return p
    }

    static func ffmpeg(_ args: [String]) throws {
        try Subprocess.run("ffmpeg", ["-nostdin", "-hide_banner", "-loglevel", "error", "-y"] + args)
    }

    /// 4 s, 320x240 25 fps H.264 + 44.1 kHz AAC sine, English-tagged audio.
    func video() throws -> String {
        try file("video.mp4") { p in
            try MediaFixtures.ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=4",
                                      "-f", "lavfi", "-i", "sine=frequency=440:duration=4:sample_rate=44100",
                                      "-c:v", "libx264", "-preset", "ultrafast", "-g", "25", "-pix_fmt", "yuv420p",
                                      "-c:a", "aac", "-b:a", "96k", "-metadata:s:a:0", "language=eng", "-shortest", p])
        }
    }

    /// A video without audio.
    func silentVideo() throws -> String {
        try file("silent.mp4") { p in
            try MediaFixtures.ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=160x120:rate=25:duration=2",
                                      "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", p])
        }
    }

    /// A sine tone WAV of `ms` milliseconds in the mix format.
    func tone(_ ms: Int, frequency: Int = 1000, name: String? = nil) throws -> String {
        try file(name ?? "tone-\(ms)-\(frequency).wav") { p in
            try MediaFixtures.ffmpeg(["-f", "lavfi", "-i", "sine=frequency=\(frequency):duration=\(FFmpeg.seconds(ms)):sample_rate=48000",
                                      "-ac", "2", "-c:a", "pcm_s16le", p])
        }
    }

    /// espeak-ng speech (22.05 kHz mono WAV).
    func speech(_ text: String, voice: String = "en", name: String) throws -> String {
        try file(name) { p in try Subprocess.run("espeak-ng", ["-v", voice, "-w", p, text]) }
    }

    static func webVTT(_ cues: [(Int, Int, String)]) -> String {
        func ts(_ ms: Int) -> String {
            let h = ms / 3_600_000, m = ms / 60_000 % 60, s = ms / 1000 % 60, f = ms % 1000
            return String(format: "%02d:%02d:%02d.%03d", h, m, s, f)
        }
        return "WEBVTT\n\n" + cues.enumerated().map { k, c in "\(k + 1)\n\(ts(c.0)) --> \(ts(c.1))\n\(c.2)\n" }.joined(separator: "\n")
    }
}

/// 16-bit PCM samples of a WAV file (all channels interleaved).
func readSamples(_ path: String) throws -> (WAVFormat, [Int16]) {
    guard let h = try WAVHeader.read(path) else { throw OlleeyError(.invalid, "not a WAV: \(path)") }
    let data = try FileIO.read(path)
    let end = min(data.count, h.dataOffset + h.dataBytes)
    var out: [Int16] = []
    out.reserveCapacity((end - h.dataOffset) / 2)
    var i = h.dataOffset
    while i + 1 < end { out.append(Int16(bitPattern: UInt16(data[i]) | UInt16(data[i + 1]) << 8)); i += 2 }
    return (h.format, out)
}

func rms(_ s: ArraySlice<Int16>) -> Double {
    guard !s.isEmpty else { return 0 }
    var acc = 0.0
    for v in s { acc += Double(v) * Double(v) }
    return (acc / Double(s.count)).squareRoot()
}

/// MD5 of a file's video packets, to prove a stream was copied, not re-encoded.
func videoPacketsMD5(_ path: String) throws -> String {
    let r = try Subprocess.run("ffmpeg", ["-nostdin", "-hide_banner", "-loglevel", "error", "-i", path, "-map", "0:v:0", "-c", "copy", "-f", "md5", "-"])
    return r.stdoutString.trimmingCharacters(in: .whitespacesAndNewlines)
}

/// The first audio stream of `media` as a 48 kHz stereo 16-bit WAV: the mix's background, as
/// the pipeline extracts it.
func originalAudio(_ fx: MediaFixtures, of media: String, name: String) throws -> String {
    try fx.file(name) { p in try FFmpeg().extractAudio(from: media, to: p, target: .mix) }
}

/// Mixes with `FFmpeg.mixSegmented` (the pipeline's mix) into an AAC `.m4a`; its segments are
/// cached in the fixture directory, as the pipeline caches them in the stage cache.
func mixAAC(_ ff: FFmpeg, dub: String, background: String?, duck: Bool = true, speech: [TimeRange], durationMs: Int,
            output: String, options: MixOptions = MixOptions()) throws {
    let cache = StageCache(root: MediaFixtures.shared.dir.path + "/segment-cache")
    try ff.mixSegmented(MixSources(dub: dub, background: background, backgroundKey: background ?? "none", duck: duck,
                                   speech: speech, durationMs: durationMs),
                        output: output, options: options) { key, make in try cache.produce("aacseg", key, "aac", make).path }
}

/// Decodes an audio file to 48 kHz stereo 16-bit samples (interleaved).
func decodePCM48k(_ path: String) throws -> [Int16] {
    let r = try Subprocess.run("ffmpeg", ["-nostdin", "-v", "error", "-i", path, "-f", "s16le", "-ac", "2", "-ar", "48000", "-"])
    return r.stdout.withUnsafeBytes { Array($0.bindMemory(to: Int16.self)) }
}

@Suite("Media (real ffmpeg)", .enabled(if: MediaFixtures.hasFFmpeg, "ffmpeg/ffprobe not installed (apt-get install ffmpeg)"))
struct MediaTests {
    let fx = MediaFixtures.shared

    @Test("probe reports duration and typed streams")
    func probe() throws {
        let info = try FFmpeg().probe(try fx.video(), requireVideo: true)
        #expect(abs(info.durationMs - 4000) <= 50)
        let v = try #require(info.video)
        #expect(v.codec == "h264")
        #expect(v.width == 320 && v.height == 240)
        #expect(abs((v.frameRate ?? 0) - 25) < 0.01)
        let a = try #require(info.audio)
        #expect(a.codec == "aac")
        #expect(a.sampleRate == 44100)
        #expect(a.channels == 1)
        #expect(a.language == "eng")
        #expect(info.streams.map(\.index) == [0, 1])
        #expect(info.json["duration_ms"]?.intValue == Int64(info.durationMs))
    }

    @Test("probe: a corrupt file and a text file are invalid (65), a missing one not found (66)")
    func probeErrors() throws {
        let ff = try FFmpeg()
        let junk = fx.dir.path + "/junk.mp4"
        var rng = SystemRandomNumberGenerator()
        _ = FileManager.default.createFile(atPath: junk, contents: Data((0..<4000).map { _ in UInt8.random(in: 0...255, using: &rng) }))
        let text = fx.dir.path + "/notes.txt"
        _ = FileManager.default.createFile(atPath: text, contents: Data("hello\n".utf8))
        for p in [junk, text] {
            do { _ = try ff.probe(p); Issue.record("expected invalid for \(p)") } catch let e as OlleeyError {
                #expect(e.code == .invalid)
                #expect(e.message.contains("not a readable media file"))
            }
        }
        do { _ = try ff.probe(fx.dir.path + "/nope.mp4"); Issue.record("expected not found") } catch let e as OlleeyError {
            #expect(e.code == .notFound)
        }
        let audioOnly = try fx.tone(500)
        #expect((try? ff.probe(audioOnly)) != nil)
        do { _ = try ff.probe(audioOnly, requireVideo: true); Issue.record("expected invalid") } catch let e as OlleeyError {
            #expect(e.code == .invalid)
            #expect(e.message.contains("no video stream"))
        }
    }

    @Test("extract audio: 16 kHz mono for ASR, 48 kHz stereo for mixing")
    func extract() throws {
        let ff = try FFmpeg()
        let video = try fx.video()
        let asr = fx.dir.path + "/asr.wav"
        try ff.extractAudio(from: video, to: asr, target: .speech)
        let h = try #require(try WAVHeader.read(asr))
        #expect(h.format == .speech)
        #expect(abs(h.durationMs - 4000) <= 60)
        let mix = fx.dir.path + "/mix.wav"
        try ff.extractAudio(from: video, to: mix, target: .mix)
        #expect(try WAVHeader.read(mix)?.format == .mix)
        #expect(abs(try ff.audioDurationMs(mix) - 4000) <= 60)
        do { try ff.extractAudio(from: try fx.silentVideo(), to: fx.dir.path + "/none.wav", target: .speech); Issue.record("expected error") }
        catch let e as OlleeyError {
            #expect(e.code == .invalid)
            #expect(e.message.contains("no audio"))
        }
        #expect(!FileManager.default.fileExists(atPath: fx.dir.path + "/none.wav"))
    }

    @Test("atempo chains keep every stage within [0.5, 2]")
    func atempoChain() {
        #expect(FFmpeg.atempoChain(1.0).isEmpty)
        #expect(FFmpeg.atempoChain(1.25) == ["atempo=1.250000"])
        #expect(FFmpeg.atempoChain(3.0) == ["atempo=2.0", "atempo=1.500000"])
        #expect(FFmpeg.atempoChain(0.5) == ["atempo=0.500000"])
        #expect(FFmpeg.atempoChain(0.3) == ["atempo=0.5", "atempo=0.600000"])
        #expect(FFmpeg.atempoChain(5) == ["atempo=2.0", "atempo=2.0", "atempo=1.250000"])
    }

    @Test("time-stretch with atempo shortens speech by the factor", .enabled(if: MediaFixtures.hasEspeak, "espeak-ng not installed"))
    func stretch() throws {
        let ff = try FFmpeg()
        let speech = try fx.speech("The quick brown fox jumps over the lazy dog, twice.", name: "fox.wav")
        let natural = try ff.audioDurationMs(speech)
        #expect(natural > 1500)
        for factor in [1.25, 2.5] {
            let out = fx.dir.path + "/fox-\(factor).wav"
            try ff.stretch(speech, to: out, factor: factor)
            let got = try ff.audioDurationMs(out)
            #expect(abs(Double(got) - Double(natural) / factor) < 40, "factor \(factor): \(got) ms from \(natural) ms")
            #expect(try WAVHeader.read(out)?.format == .mix)
        }
        let padded = fx.dir.path + "/fox-pad.wav"
        try ff.padOrTrim(speech, to: padded, durationMs: natural + 1234)
        #expect(abs(try ff.audioDurationMs(padded) - (natural + 1234)) <= 1)
        let trimmed = fx.dir.path + "/fox-trim.wav"
        try ff.padOrTrim(speech, to: trimmed, durationMs: 700)
        #expect(abs(try ff.audioDurationMs(trimmed) - 700) <= 1)
        let capped = fx.dir.path + "/fox-cap.wav"
        try ff.fitClip(speech, to: capped, factor: 1.0, maxDurationMs: 900)
        #expect(abs(try ff.audioDurationMs(capped) - 900) <= 1)
        #expect(throws: OlleeyError.self) { try ff.stretch(speech, to: fx.dir.path + "/x.wav", factor: 0) }
    }

    @Test("dub track: clips land at their exact sample offsets on a timeline of the video's length")
    func dubTrackPlacement() throws {
        let ff = try FFmpeg()
        let a = try fx.tone(300, frequency: 500)
        let b = try fx.tone(200, frequency: 700)
        let out = fx.dir.path + "/dub.wav"
        let rep = try ff.buildDubTrack(clips: [DubClip(id: "2", startMs: 1500, path: b), DubClip(id: "1", startMs: 250, path: a)],
                                       durationSeconds: 2.5, output: out)
        #expect(rep.clips == 2)
        #expect(rep.overlapMs == 0)
        #expect(rep.cutAtEnd.isEmpty)
        let (fmt, s) = try readSamples(out)
        #expect(fmt == .mix)
        #expect(s.count == 2 * 120_000)
        // silence before 250 ms, tone from 250 ms (frame 12000) to 550 ms, silence, tone 1500-1700 ms
        #expect(s[0..<(2 * 12_000)].allSatisfy { $0 == 0 })
        #expect(rms(s[(2 * 12_100)..<(2 * 26_000)]) > 1000)
        #expect(s[(2 * 26_500)..<(2 * 72_000)].allSatisfy { $0 == 0 })
        #expect(rms(s[(2 * 72_100)..<(2 * 81_000)]) > 1000)
        #expect(s[(2 * 81_700)...].allSatisfy { $0 == 0 })
        // the first sample of a clip is exactly at its start frame: a sine starts at 0, so check the next ones
        #expect(s[2 * 12_000 + 2 * 5] != 0)
    }

    @Test("dub track: overlapping clips are summed, clips past the end are cut, other formats converted")
    func dubTrackOverlap() throws {
        let ff = try FFmpeg()
        let a = try fx.tone(400, frequency: 500)
        let mono = try fx.file("mono22k.wav") { p in
            try MediaFixtures.ffmpeg(["-f", "lavfi", "-i", "sine=frequency=300:duration=0.5:sample_rate=22050", "-ac", "1", p])
        }
        let out = fx.dir.path + "/dub-overlap.wav"
        let rep = try ff.buildDubTrack(clips: [DubClip(id: "a", startMs: 0, path: a), DubClip(id: "b", startMs: 200, path: a),
                                               DubClip(id: "c", startMs: 800, path: mono)],
                                       durationSeconds: 1.0, output: out)
        #expect(rep.overlapMs == 200)
        #expect(rep.cutAtEnd == ["c"])
        let (_, s) = try readSamples(out)
        #expect(s.count == 2 * 48_000)
        let single = rms(s[(2 * 1_000)..<(2 * 9_000)])
        let both = rms(s[(2 * 10_000)..<(2 * 19_000)])
        #expect(both > single * 1.5) // same tone in phase offset: louder where they overlap
        #expect(rms(s[(2 * 40_000)..<(2 * 48_000)]) > 500) // the converted mono clip is there until the end
    }

    @Test("dub track scales to 3,000 cues with bounded memory")
    func dubTrackScale() throws {
        let ff = try FFmpeg()
        let clip = try fx.file("blip16k.wav") { p in
            try MediaFixtures.ffmpeg(["-f", "lavfi", "-i", "sine=frequency=800:duration=0.05:sample_rate=16000", "-ac", "1", "-c:a", "pcm_s16le", p])
        }
        let clips = (0..<3000).map { DubClip(id: "\($0)", startMs: $0 * 100, path: clip) }
        let out = fx.dir.path + "/dub-3000.wav"
        let start = Date()
        let rep = try ff.buildDubTrack(clips: clips, durationSeconds: 300.5, output: out, format: .speech)
        let elapsed = Date().timeIntervalSince(start)
        #expect(rep.clips == 3000)
        #expect(rep.overlapMs == 0)
        #expect(elapsed < 10, "3,000 clips took \(elapsed) s")
        let (_, s) = try readSamples(out)
        #expect(s.count == 300 * 16_000 + 8_000)
        // clip 2999 starts at 299.9 s = sample 4_798_400
        #expect(s[4_798_400 - 10..<4_798_400].allSatisfy { $0 == 0 })
        #expect(rms(s[4_798_410..<4_799_000]) > 1000)
    }

    @Test("fitClips: clips fitted in one ffmpeg process equal clips fitted one by one; a bad clip is named")
    func fitClipsBatchEqualsSingle() throws {
        let ff = try FFmpeg()
        let a = try fx.tone(900, frequency: 500, name: "batch-a.wav"), b = try fx.tone(1300, frequency: 700, name: "batch-b.wav")
        let d = fx.dir.path + "/batch-\(UInt32.random(in: 0...UInt32.max))"
        try FileIO.createDirectory(d)
        try ff.fitClips([(a, d + "/a1.wav", 1.2), (b, d + "/b1.wav", 1.27), (a, d + "/a2.wav", 1.05)], format: .dub, batch: 3)
        try ff.fitClip(a, to: d + "/a1-single.wav", factor: 1.2, format: .dub)
        try ff.fitClip(b, to: d + "/b1-single.wav", factor: 1.27, format: .dub)
        #expect(try FileIO.read(d + "/a1.wav") == FileIO.read(d + "/a1-single.wav"))
        #expect(try FileIO.read(d + "/b1.wav") == FileIO.read(d + "/b1-single.wav"))
        #expect(try WAVHeader.read(d + "/a2.wav")?.format == .dub)
        #expect(abs(try ff.audioDurationMs(d + "/b1.wav") - Int(1300 / 1.27)) <= 25)
        // a clip that is not audio: the batch falls back to one by one and the error names it
        try FileIO.writeAtomically("not audio", to: d + "/bad.wav")
        do {
            try ff.fitClips([(a, d + "/x1.wav", 1.1), (d + "/bad.wav", d + "/x2.wav", 1.1)], format: .dub)
            Issue.record("a bad clip must fail")
        } catch let e as OlleeyError {
            #expect(e.message.contains("bad.wav"), "\(e.message)")
        }
        #expect(FileManager.default.fileExists(atPath: d + "/x1.wav"), "the good clip of the failed batch is still fitted")
        #expect(try FileManager.default.contentsOfDirectory(atPath: d).allSatisfy { !$0.contains("partial") }, "no temporary files left")
    }

    @Test("mix: the original is ducked while the dub speaks and kept elsewhere; output has the exact duration")
    func mixDucking() throws {
        let ff = try FFmpeg()
        let original = try originalAudio(fx, of: try fx.video(), name: "video-mix.wav")
        let dubClip = try fx.tone(1000, frequency: 2000)
        let dub = fx.dir.path + "/mixdub.wav"
        try ff.buildDubTrack(clips: [DubClip(id: "1", startMs: 1500, path: dubClip)], durationSeconds: 4.0, output: dub)
        let speech = [TimeRange(startMs: 1500, endMs: 2500)]
        let mixed = fx.dir.path + "/mixed-ducked.m4a"
        var opts = MixOptions()
        opts.dubGain = 0 // measure the ducked background alone
        try mixAAC(ff, dub: dub, background: original, speech: speech, durationMs: 4000, output: mixed, options: opts)
        let info = try ff.probe(mixed)
        #expect(info.audio?.codec == "aac")
        #expect(info.audio?.sampleRate == 48_000 && info.audio?.channels == 2)
        let s = try decodePCM48k(mixed)
        #expect(abs(s.count / 2 - 192_000) < 1024, "4 s within one AAC frame: \(s.count / 2) frames")
        let before = rms(s[(2 * 24_000)..<(2 * 60_000)])  // 0.5-1.25 s
        let during = rms(s[(2 * 76_800)..<(2 * 115_200)]) // 1.6-2.4 s
        let after = rms(s[(2 * 132_000)..<(2 * 180_000)]) // 2.75-3.75 s
        #expect(before > 1000)
        #expect(abs(during / before - 0.2) < 0.03, "ducked to \(during / before)")
        #expect(abs(after / before - 1) < 0.05)

        // with the dub audible, the speech window is louder than the ducked background alone
        let m4a = fx.dir.path + "/mixed.m4a"
        try mixAAC(ff, dub: dub, background: original, speech: speech, durationMs: 4000, output: m4a)
        let info2 = try ff.probe(m4a)
        #expect(info2.audio?.codec == "aac")
        #expect(abs(info2.durationMs - 4000) <= 50)
        let s2 = try decodePCM48k(m4a)
        #expect(rms(s2[(2 * 76_800)..<(2 * 115_200)]) > 2 * during)
        #expect(abs(rms(s2[(2 * 24_000)..<(2 * 60_000)]) / before - 1) < 0.05, "no dub, no change before the speech")
    }

    @Test("mix: thousands of speech intervals, a stem background, and no background")
    func mixVariants() throws {
        let ff = try FFmpeg()
        let original = try originalAudio(fx, of: try fx.video(), name: "video-mix.wav")
        let dub = fx.dir.path + "/mixdub2.wav"
        try ff.buildDubTrack(clips: [], durationSeconds: 4.0, output: dub)
        let ranges = (0..<3000).map { TimeRange(startMs: $0 * 20, endMs: $0 * 20 + 5) }
        #expect(AudioMixer.mergeIntervals(ranges, gapMs: 400).count == 1)
        let out = fx.dir.path + "/mix-many.m4a"
        try mixAAC(ff, dub: dub, background: original, speech: ranges, durationMs: 4000, output: out)
        let s = try decodePCM48k(out)
        #expect(abs(s.count / 2 - 192_000) < 1024)
        // the 3,000 intervals merge into one: the original is ducked all along
        let open = fx.dir.path + "/mix-unducked.m4a"
        try mixAAC(ff, dub: dub, background: original, speech: [], durationMs: 4000, output: open)
        let u = try decodePCM48k(open)
        #expect(rms(u[(2 * 48_000)..<(2 * 144_000)]) > 1000)
        #expect(abs(rms(s[(2 * 48_000)..<(2 * 144_000)]) / rms(u[(2 * 48_000)..<(2 * 144_000)]) - 0.2) < 0.03)

        let stem = try fx.tone(4000, frequency: 300, name: "stem.wav")
        let out2 = fx.dir.path + "/mix-stem.m4a"
        try mixAAC(ff, dub: dub, background: stem, duck: false, speech: ranges, durationMs: 4000, output: out2)
        let s2 = try decodePCM48k(out2)
        let (_, stemSamples) = try readSamples(stem)
        #expect(rms(s2[0..<(2 * 48_000)]) > 1000) // a stem is not ducked
        #expect(abs(rms(s2[(2 * 48_000)..<(2 * 144_000)]) / rms(stemSamples[(2 * 48_000)..<(2 * 144_000)]) - 1) < 0.05)

        let out3 = fx.dir.path + "/mix-none.m4a"
        try mixAAC(ff, dub: dub, background: nil, speech: [], durationMs: 4000, output: out3)
        #expect(abs(try decodePCM48k(out3).count / 2 - 192_000) < 1024)
        // inputs the mix cannot take: not a 48 kHz WAV, or nothing to mix
        let mono22k = try fx.file("mono22k.wav") { p in
            try MediaFixtures.ffmpeg(["-f", "lavfi", "-i", "sine=frequency=300:duration=0.5:sample_rate=22050", "-ac", "1", p])
        }
        #expect(throws: OlleeyError.self) {
            try mixAAC(ff, dub: mono22k, background: nil, speech: [], durationMs: 1000, output: self.fx.dir.path + "/x.m4a")
        }
        #expect(throws: OlleeyError.self) {
            try mixAAC(ff, dub: dub, background: nil, speech: [], durationMs: 0, output: self.fx.dir.path + "/x.m4a")
        }
    }

    @Test("duck envelope ramps down before speech and back up after it")
    func duckEnvelope() {
        var o = MixOptions()
        o.rampMs = 100
        o.duckGain = 0.2
        let g = AudioMixer.duckGains(speech: [TimeRange(startMs: 1000, endMs: 2000)], durationMs: 4000, options: o)
        #expect(g(0) == 1)
        #expect(g(899) == 1 || abs(g(899) - 1) < 0.01)
        #expect(abs(g(950) - 0.6) < 1e-9)
        #expect(g(1000) == 0.2 && g(1500) == 0.2 && g(2000) == 0.2)
        #expect(abs(g(2050) - 0.6) < 1e-9)
        #expect(g(2100) == 1 && g(3000) == 1)
    }

    @Test("per-language MP4: video copied bit-exact, dub and subtitles tagged spa/Spanish")
    func assembleLanguage() throws {
        let ff = try FFmpeg()
        let video = try fx.video()
        let dub = fx.dir.path + "/lang-dub.wav"
        try ff.buildDubTrack(clips: [DubClip(id: "1", startMs: 500, path: try fx.tone(1000))], durationSeconds: 4.0, output: dub)
        let mixed = fx.dir.path + "/lang-mixed.m4a"
        try mixAAC(ff, dub: dub, background: try originalAudio(fx, of: video, name: "video-mix.wav"),
                   speech: [TimeRange(startMs: 500, endMs: 1500)], durationMs: 4000, output: mixed)
        let vtt = fx.dir.path + "/es.vtt"
        try MediaFixtures.webVTT([(500, 1500, "Hola, mundo."), (2000, 3000, "¿Qué tal?")]).write(toFile: vtt, atomically: true, encoding: .utf8)
        let out = fx.dir.path + "/video.es.mp4"
        try ff.assembleLanguage(video: video, output: LanguageOutput(language: "es", audio: mixed, subtitles: vtt), to: out)
        let info = try ff.probe(out)
        #expect(info.streams.map(\.kind) == [.video, .audio, .subtitle])
        #expect(info.audio?.language == "spa" && info.audio?.title == "Spanish")
        #expect(info.subtitleStreams.first?.codec == "mov_text")
        #expect(info.subtitleStreams.first?.language == "spa" && info.subtitleStreams.first?.title == "Spanish")
        #expect(try videoPacketsMD5(out) == videoPacketsMD5(video))
        #expect(abs(info.durationMs - 4000) <= 100)
        // the subtitle text survives
        let text = try Subprocess.run("ffmpeg", ["-nostdin", "-loglevel", "error", "-i", out, "-map", "0:s:0", "-f", "webvtt", "-"]).stdoutString
        #expect(text.contains("Hola, mundo.") && text.contains("¿Qué tal?"))
    }

    @Test("master MP4: original audio first, then each dub; subtitles source first; all tagged ISO 639-2")
    func assembleMaster() throws {
        let ff = try FFmpeg()
        let video = try fx.video()
        let dub = fx.dir.path + "/m-dub.wav"
        try ff.buildDubTrack(clips: [DubClip(id: "1", startMs: 100, path: try fx.tone(300))], durationSeconds: 4.0, output: dub)
        var outs: [LanguageOutput] = []
        for lang in ["es", "ca", "eo"] {
            let m = fx.dir.path + "/m-\(lang).m4a"
            try mixAAC(ff, dub: dub, background: try originalAudio(fx, of: video, name: "video-mix.wav"),
                       speech: [TimeRange(startMs: 100, endMs: 400)], durationMs: 4000, output: m)
            let v = fx.dir.path + "/m-\(lang).vtt"
            try MediaFixtures.webVTT([(100, 400, "text \(lang)")]).write(toFile: v, atomically: true, encoding: .utf8)
            outs.append(LanguageOutput(language: lang, audio: m, subtitles: v))
        }
        let src = fx.dir.path + "/m-en.vtt"
        try MediaFixtures.webVTT([(100, 400, "text en")]).write(toFile: src, atomically: true, encoding: .utf8)
        let out = fx.dir.path + "/master.mp4"
        try ff.assembleMaster(video: video, sourceLanguage: "en", sourceSubtitles: src, languages: outs, to: out)
        let info = try ff.probe(out)
        #expect(info.audioStreams.map { $0.language ?? "-" } == ["eng", "spa", "cat", "epo"])
        #expect(info.audioStreams.map { $0.title ?? "-" } == ["English (original)", "Spanish", "Catalan", "Esperanto"])
        #expect(info.subtitleStreams.map { $0.language ?? "-" } == ["eng", "spa", "cat", "epo"])
        #expect(info.subtitleStreams.map { $0.title ?? "-" } == ["English", "Spanish", "Catalan", "Esperanto"])
        #expect(info.audioStreams.first?.isDefault == true)
        #expect(info.audioStreams.dropFirst().allSatisfy { !$0.isDefault })
        #expect(try videoPacketsMD5(out) == videoPacketsMD5(video))
    }

    @Test("burn-in re-encodes the video (only when asked) and keeps the soft track")
    func burnIn() throws {
        let ff = try FFmpeg()
        let video = try fx.silentVideo()
        let dub = fx.dir.path + "/b-dub.wav"
        try ff.buildDubTrack(clips: [], durationSeconds: 2.0, output: dub)
        let mixed = fx.dir.path + "/b.m4a"
        // a silent video has no original audio: the dub alone
        try mixAAC(ff, dub: dub, background: nil, speech: [], durationMs: 2000, output: mixed)
        let vtt = fx.dir.path + "/b's sub: x.vtt"
        try MediaFixtures.webVTT([(0, 1500, "BURNED")]).write(toFile: vtt, atomically: true, encoding: .utf8)
        let out = fx.dir.path + "/burned.mp4"
        try ff.assembleLanguage(video: video, output: LanguageOutput(language: "fr", audio: mixed, subtitles: vtt), to: out, burnIn: true)
        let info = try ff.probe(out)
        #expect(info.video?.codec == "h264")
        #expect(info.subtitleStreams.first?.language == "fra")
        #expect(try videoPacketsMD5(out) != videoPacketsMD5(video))
    }

    @Test("ffmpeg failures map to plain errors: no space left on device is cannotCreate (73)")
    func errorMapping() throws {
        let ff = try FFmpeg()
        do {
            try ff.run(["-f", "lavfi", "-i", "sine=duration=1", "-f", "wav", "/dev/full"], what: "writing")
            Issue.record("expected an error")
        } catch let e as OlleeyError {
            #expect(e.code == .cannotCreate)
            #expect(e.code.exitCode == 73)
            #expect(e.message.contains("no space left"))
        }
        do {
            try ff.run(["-i", fx.dir.path + "/missing.mp4", "-f", "null", "-"], what: "reading")
            Issue.record("expected an error")
        } catch let e as OlleeyError { #expect(e.code == .notFound) }
        // a failed write leaves nothing at the final path
        let out = fx.dir.path + "/never.wav"
        #expect(throws: OlleeyError.self) { try ff.extractAudio(from: try self.fx.silentVideo(), to: out, target: .mix) }
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: fx.dir.path).filter { $0.contains("never") && $0.contains("partial") }  // other tests share the directory
        #expect(leftovers.isEmpty)
    }

    @Test("cancellation stops a running ffmpeg")
    func cancel() throws {
        let token = CancelToken()
        let ff = try FFmpeg(cancel: token)
        DispatchQueue.global().asyncAfter(deadline: .now() + 0.3) { token.cancel() }
        let start = Date()
        do {
            try ff.run(["-re", "-f", "lavfi", "-i", "sine=duration=30", "-f", "null", "-"], what: "slow")
            Issue.record("expected cancellation")
        } catch let e as OlleeyError { #expect(e.code == .interrupted) }
        #expect(Date().timeIntervalSince(start) < 5)
    }
}

@Suite("Languages")
struct LanguageTests {
    @Test("ISO 639-1 to 639-2 table covers at least 40 languages, codes unique")
    func table() {
        #expect(Language.all.count >= 40)
        #expect(Set(Language.all.map(\.code)).count == Language.all.count)
        #expect(Set(Language.all.map(\.iso639_2)).count == Language.all.count)
        #expect(Language.all.allSatisfy { $0.code.count == 2 && $0.iso639_2.count == 3 && $0.iso639_2B.count == 3 })
    }

    @Test("lookups by 639-1, region variants, 639-2/T and /B, and names")
    func lookups() throws {
        #expect(Language.find("es")?.iso639_2 == "spa")
        #expect(Language.find("ES-mx")?.name == "Spanish")
        #expect(Language.find("pt_BR")?.iso639_2 == "por")
        #expect(Language.find("fra")?.code == "fr")
        #expect(Language.find("fre")?.code == "fr")
        #expect(Language.find("ger")?.iso639_2 == "deu")
        #expect(Language.find("Catalan")?.iso639_2 == "cat")
        #expect(Language.find("eo")?.iso639_2 == "epo")
        #expect(Language.iso639_2("xx") == "und")
        #expect(try Language.validate("de").name == "German")
        #expect(try Language.validateList("es, ca,eo").map(\.code) == ["es", "ca", "eo"])
    }

    @Test("invalid codes are rejected with a suggestion")
    func invalid() {
        do { _ = try Language.validate("spanishh"); Issue.record("expected error") } catch let e as OlleeyError {
            #expect(e.code == .invalid)
            #expect(e.hint?.contains("spanish") == true)
        } catch {}
        #expect(throws: OlleeyError.self) { _ = try Language.validateList("es,es") }
        #expect(throws: OlleeyError.self) { _ = try Language.validateList(" , ") }
    }
}

@Suite("Video fit mode (real ffmpeg)", .enabled(if: MediaFixtures.hasFFmpeg, "ffmpeg/ffprobe not installed (apt-get install ffmpeg)"))
struct VideoFitTests {
    let fx = MediaFixtures.shared

    @Test("time map is piecewise linear")
    func timeMap() {
        let m = VideoTimeMap(ranges: [SlowRange(startMs: 1000, endMs: 2000, factor: 1.5), SlowRange(startMs: 3000, endMs: 3400, factor: 2)])
        #expect(m.map(500) == 500)
        #expect(m.map(1500) == 1750)
        #expect(m.map(2000) == 2500)
        #expect(m.map(2500) == 3000)
        #expect(m.map(3200) == 3900)
        #expect(m.map(5000) == 5900)
        #expect(m.addedMs == 900)
    }

    @Test("slowVideo re-encodes only the slowed segments; durations and the time map agree; audio retimed to match")
    func slowVideo() throws {
        let ff = try FFmpeg()
        let video = try fx.video() // 4 s, 25 fps, keyframe every second
        let out = fx.dir.path + "/slow.mp4"
        let map = try ff.slowVideo(video, ranges: [SlowRange(startMs: 1200, endMs: 1800, factor: 1.5)], output: out)
        #expect(map.ranges.count == 1)
        #expect(map.addedMs == 280 || map.addedMs == 320) // 300 ms rounded to whole 40 ms frames
        let info = try ff.probe(out)
        #expect(info.audio == nil)
        #expect(abs(info.durationMs - (4000 + map.addedMs)) <= 40)
        // frames outside the re-encoded second [1 s, 2 s) are the source's packets, decoded bit-exact
        func frameHashes(_ p: String) throws -> [String] {
            try Subprocess.run("ffmpeg", ["-nostdin", "-v", "error", "-i", p, "-map", "0:v:0", "-f", "framemd5", "-"]).stdoutString
                .split(separator: "\n").filter { !$0.hasPrefix("#") }.compactMap { $0.split(separator: ",").last.map { $0.trimmingCharacters(in: .whitespaces) } }
        }
        let before = try frameHashes(video)
        let after = try frameHashes(out)
        #expect(before.count == 100)
        #expect(after.count == before.count + map.addedMs / 40)
        #expect(Array(after.prefix(25)) == Array(before.prefix(25)))
        #expect(Array(after.suffix(50)) == Array(before.suffix(50)))
        #expect(after[25] != before[25]) // the keyframe-aligned segment around the range was re-encoded
        _ = try Subprocess.run("ffmpeg", ["-nostdin", "-v", "error", "-i", out, "-f", "null", "-"]) // decodes cleanly

        let audio = fx.dir.path + "/slow-audio.wav"
        try ff.retimeAudio(video, map: map, output: audio)
        #expect(abs(try ff.audioDurationMs(audio) - (4000 + map.addedMs)) <= 30)
        #expect(throws: OlleeyError.self) { try ff.slowVideo(video, ranges: [SlowRange(startMs: 0, endMs: 100, factor: 9)], output: self.fx.dir.path + "/x.mp4") }
    }
}
