import Foundation
import Testing
import OlleeyKit

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
        let calls = LockedBox(0)
        let encode = { (pcm: String, out: String) in
            try SegmentedAAC.encode(pcm: pcm, to: out, bitrate: "192k", ffmpeg: ff) { key, make in
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
        _ = try ff.run(["-i", t.file("a.wav"), "-c:a", "aac", "-b:a", "192k", t.file("c.m4a")], what: "reference")
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
}
