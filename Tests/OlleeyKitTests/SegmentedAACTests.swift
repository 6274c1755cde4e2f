import Foundation
import Testing
import OlleeyKit
import WebVTT
import OlleeyTestSupport

@Suite("Segmented AAC", .enabled(if: Subprocess.which("ffmpeg") != nil, "needs ffmpeg"))
struct SegmentedAACTests {
    /// 16-bit stereo 48 kHz WAV of a tone whose frequency depends on `variant` inside [from, to) seconds.
    func tone(_ path: String, seconds: Int, changeFrom: Int = 0, changeTo: Int = 0) throws {
        let n = seconds * 48_000
        var b = WAVHeader.bytes(format: .mix, frames: n)
        b.reserveCapacity(b.count + n * 4)
        for i in 0..<n {
            let t = Double(i) / 48_000
            let f = (t >= Double(changeFrom) && t < Double(changeTo)) ? 660.0 : 440.0
            let v = Int16((sin(2 * .pi * f * t) * 12_000).rounded())
            for _ in 0..<2 { b.append(UInt8(truncatingIfNeeded: v)); b.append(UInt8(truncatingIfNeeded: v >> 8)) }
        }
        try FileIO.writeAtomically(b, to: path)
    }

    func decode(_ path: String) throws -> [Int16] {
        let r = try Subprocess.run("ffmpeg", ["-v", "error", "-i", path, "-f", "s16le", "-ac", "2", "-ar", "48000", "-"])
        return r.stdout.withUnsafeBytes { Array($0.bindMemory(to: Int16.self)) }
    }

    @Test func segmentsJoinIntoOneStreamAndAnEditReencodesOneSegment() throws {
        let t = TempDir()
        let ff = try FFmpeg()
        let cache = StageCache(root: t.file("cache"))
        let calls = Locked(0)
        let encode = { (pcm: String, out: String) in
            try SegmentedAAC.encode(pcm: pcm, to: out, aac: AACSettings(bitrate: "192k"), ffmpeg: ff) { key, make in
                let r = try cache.produce("aacseg", key, "aac", make)
                if !r.cached { calls.set(calls.get() + 1) }
                return r.path
            }
        }
        try tone(t.file("a.wav"), seconds: 70)
        try encode(t.file("a.wav"), t.file("a.m4a"))
        #expect(calls.get() == 3)   // 70 s = three segments of ~30 s
        let seg = try decode(t.file("a.m4a"))
        #expect(abs(seg.count / 2 - 70 * 48_000) < 1024, "length within one AAC frame")
        // against one continuous encode: the same signal, no gap or shift at the joints
        _ = try ff.run(["-i", t.file("a.wav")] + AACSettings(bitrate: "192k").args + [t.file("c.m4a")], what: "reference")
        let ref = try decode(t.file("c.m4a"))
        var sig = 0.0, err = 0.0
        let joint = SegmentedAAC.segmentFrames * SegmentedAAC.frame * 2
        for i in stride(from: joint - 20_000, to: joint + 20_000, by: 1) where i < min(seg.count, ref.count) {
            sig += Double(ref[i]) * Double(ref[i]); err += pow(Double(seg[i]) - Double(ref[i]), 2)
        }
        #expect(10 * log10(sig / max(err, 1)) > 20, "around the first joint the two encodings agree")
        // change 2 s in the middle segment: only that segment is encoded again
        try tone(t.file("b.wav"), seconds: 70, changeFrom: 40, changeTo: 42)
        try encode(t.file("b.wav"), t.file("b.m4a"))
        #expect(calls.get() == 4)
    }

    /// 16-bit mono 48 kHz WAV: `f` Hz at amplitude `amp` inside [from, to) seconds, silence elsewhere.
    func mono(_ path: String, seconds: Double, f: Double, amp: Double, from: Double = 0, to: Double = .infinity,
              also: (Double, Double)? = nil) throws {
        let n = Int(seconds * 48_000)
        var b = WAVHeader.bytes(format: .dub, frames: n)
        b.reserveCapacity(b.count + n * 2)
        for i in 0..<n {
            let t = Double(i) / 48_000
            let on = (t >= from && t < to) || also.map { t >= $0.0 && t < $0.1 } == true
            let v = on ? Int16((sin(2 * .pi * f * t) * amp).rounded()) : 0
            b.append(UInt8(truncatingIfNeeded: v)); b.append(UInt8(truncatingIfNeeded: v >> 8))
        }
        try FileIO.writeAtomically(b, to: path)
    }

    func decodeMono(_ path: String) throws -> [Int16] {
        let r = try Subprocess.run("ffmpeg", ["-v", "error", "-i", path, "-f", "s16le", "-ac", "1", "-ar", "48000", "-"])
        return r.stdout.withUnsafeBytes { Array($0.bindMemory(to: Int16.self)) }
    }

    func rms(_ s: ArraySlice<Int16>) -> Double {
        (s.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(max(1, s.count))).squareRoot()
    }

    @Test func segmentedMixDucksTheOriginalKeepsMonoAndAnEditRemixesOneSegment() throws {
        let t = TempDir()
        let ff = try FFmpeg()
        let cache = StageCache(root: t.file("cache"))
        let calls = Locked(0)
        var opts = MixOptions()
        opts.duckGain = 0.25
        opts.dubGain = 0   // measure the ducked background alone
        let mix = { (dub: String, speech: [TimeRange], out: String) in
            try ff.mixSegmented(MixSources(dub: dub, background: t.file("orig.wav"), backgroundKey: "orig", duck: true, speech: speech, durationMs: 70_000),
                                output: out, options: opts) { key, make in
                let r = try cache.produce("aacseg", key, "aac", make)
                if !r.cached { calls.set(calls.get() + 1) }
                return r.path
            }
        }
        try mono(t.file("orig.wav"), seconds: 70, f: 300, amp: 8000)
        try mono(t.file("dub1.wav"), seconds: 70, f: 1000, amp: 8000, from: 10, to: 12)
        try mix(t.file("dub1.wav"), [TimeRange(startMs: 10_000, endMs: 12_000)], t.file("a.m4a"))
        #expect(calls.get() == 3)
        let info = try ff.probe(t.file("a.m4a"))
        #expect(info.audio?.codec == "aac")
        #expect(info.audio?.channels == 1, "a mono dub over a mono original stays mono")
        let s = try decodeMono(t.file("a.m4a"))
        #expect(abs(s.count - 70 * 48_000) < 1024, "length within one AAC frame")
        let before = rms(s[(5 * 48_000)..<(9 * 48_000)])
        let during = rms(s[(10_200 * 48)..<(11_800 * 48)])
        let after = rms(s[(13 * 48_000)..<(20 * 48_000)])
        #expect(before > 4000)
        #expect(abs(during / before - 0.25) < 0.03, "ducked to \(during / before)")
        #expect(abs(after / before - 1) < 0.05)
        // the same mix again: nothing encoded
        try mix(t.file("dub1.wav"), [TimeRange(startMs: 10_000, endMs: 12_000)], t.file("b.m4a"))
        #expect(calls.get() == 3)
        // one line moved inside the second segment (30-60 s): only that segment is mixed again
        try mono(t.file("dub2.wav"), seconds: 70, f: 1000, amp: 8000, from: 10, to: 12, also: (40, 42))
        try mix(t.file("dub2.wav"), [TimeRange(startMs: 10_000, endMs: 12_000), TimeRange(startMs: 40_000, endMs: 42_000)], t.file("c.m4a"))
        #expect(calls.get() == 4)
        let c = try decodeMono(t.file("c.m4a"))
        #expect(abs(rms(c[(40_200 * 48)..<(41_800 * 48)]) / before - 0.25) < 0.03)
        #expect(abs(rms(c[(13 * 48_000)..<(20 * 48_000)]) / before - 1) < 0.05)
    }
}
