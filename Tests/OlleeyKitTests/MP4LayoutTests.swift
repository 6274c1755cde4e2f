import Foundation
import Testing
import OlleeyKit
import OlleeyTestSupport

/// In-place updates of MP4 deliverables (`MP4Layout.update`) on real files made by ffmpeg.
@Suite("MP4 in-place update (real ffmpeg)", .serialized, .enabled(if: MediaFixtures.hasFFmpeg, "ffmpeg/ffprobe not installed (apt-get install ffmpeg)"))
struct MP4LayoutTests {
    /// A video (4 s) and two side files whose audio differs in its second half only (AAC encoded
    /// in two 2 s segments, as the pipeline does) and whose subtitles differ in one cue's text.
    struct Sides {
        let dir: TempDir
        let video: String
        let a: String
        let b: String
        let ff: FFmpeg

        init() throws {
            let dir = TempDir(), ff = try FFmpeg()
            func segment(_ name: String, _ freq: Int) throws -> String {
                let p = dir.file(name)
                try MediaFixtures.ffmpeg(["-f", "lavfi", "-i", "sine=frequency=\(freq):duration=2:sample_rate=48000",
                                          "-c:a", "aac", "-b:a", "96k", "-f", "adts", p])
                return p
            }
            func m4a(_ name: String, _ parts: [String]) throws -> String {
                let joined = dir.file(name + ".aac")
                var bytes: [UInt8] = []
                for p in parts { bytes += try FileIO.read(p) }
                try Data(bytes).write(to: URL(fileURLWithPath: joined))
                let out = dir.file(name + ".m4a")
                try MediaFixtures.ffmpeg(["-f", "aac", "-i", joined, "-c:a", "copy", "-bsf:a", "aac_adtstoasc", "-f", "mp4", out])
                return out
            }
            let first = try segment("s1.aac", 440), second = try segment("s2.aac", 440), changed = try segment("s3.aac", 660)
            let vttA = dir.write("a.vtt", MediaFixtures.webVTT([(200, 1500, "Hola."), (2200, 3500, "Adiós.")]))
            let vttB = dir.write("b.vtt", MediaFixtures.webVTT([(200, 1500, "Hola."), (2200, 3500, "Hasta mañana.")]))
            let a = dir.file("side-a.mp4"), b = dir.file("side-b.mp4")
            try ff.muxSide(audio: [AudioTrackSpec(path: try m4a("a", [first, second]), language: "es")], subtitles: [SubtitleTrackSpec(path: vttA, language: "es")], to: a)
            try ff.muxSide(audio: [AudioTrackSpec(path: try m4a("b", [first, changed]), language: "es")], subtitles: [SubtitleTrackSpec(path: vttB, language: "es")], to: b)
            self.dir = dir; self.ff = ff; self.a = a; self.b = b
            video = try MediaFixtures.shared.video()
        }

        func tracks(_ side: String) -> [MP4Layout.Track] {
            [MP4Layout.Track(path: video, kind: .video), MP4Layout.Track(path: side, kind: .audio), MP4Layout.Track(path: side, kind: .subtitle)]
        }

        /// What the pipeline does the first time: ffmpeg muxes the video with a side file.
        func mux(_ side: String, to name: String) throws -> String {
            let out = dir.file(name)
            try ff.assemble(video: video, audio: [AudioTrackSpec(path: side, language: "es")], subtitles: [SubtitleTrackSpec(path: side, language: "es")],
                            to: out, moovReserve: try MP4Layout.moovReserve(tracks(side)))
            return out
        }
    }

    /// MD5 of each stream's packets, and what ffprobe says of each stream.
    static func streams(_ path: String) throws -> [String] {
        let probe = try Subprocess.run("ffprobe", ["-v", "error", "-show_entries",
                                                   "stream=index,codec_name,duration,nb_frames:stream_tags=language,handler_name:stream_disposition=default",
                                                   "-of", "compact", path]).stdoutString
        var out = probe.split(separator: "\n").map(String.init)
        for i in 0..<out.count {
            out[i] += " " + (try Subprocess.run("ffmpeg", ["-v", "error", "-i", path, "-map", "0:\(i)", "-c", "copy", "-f", "md5", "-"]).stdoutString)
        }
        return out
    }

    @Test("an update rewrites only the changed samples, and the file equals a fresh mux stream by stream")
    func updateEqualsFreshMux() throws {
        let s = try Sides()
        let out = try s.mux(s.a, to: "out.mp4")
        let freshA = try Self.streams(out)
        let sizeBefore = try #require(fileSize(out))
        let inode = try #require(inodeOf(out))

        let r = try MP4Layout.update(out, from: s.tracks(s.a), to: s.tracks(s.b))
        guard case .updated(let rewritten) = r else { Issue.record("not updated: \(r)"); return }
        let audioB = try FileIO.read(s.b).count
        #expect(rewritten > 0 && rewritten < audioB / 2, "only the second half's audio and one cue: \(rewritten) of \(audioB)")
        #expect(try #require(fileSize(out)) == sizeBefore + 8 + rewritten, "the changed samples are appended, nothing else grows")
        #expect(inodeOf(out) == inode)
        let fresh = try Self.streams(try s.mux(s.b, to: "fresh-b.mp4"))
        #expect(try Self.streams(out) == fresh)
        let srt = try Subprocess.run("ffmpeg", ["-v", "error", "-i", out, "-map", "0:s:0", "-f", "srt", "-"]).stdoutString
        #expect(srt.contains("Hasta mañana.") && !srt.contains("Adiós."))
        // no stale samples left: the old cue's text is gone from the file's bytes
        #expect(!(try FileIO.read(out)).containsSequence(Array("Adiós.".utf8)))

        // and back: the moov moves into the other free box
        #expect(try MP4Layout.update(out, from: s.tracks(s.b), to: s.tracks(s.a)).applied)
        #expect(try Self.streams(out) == freshA)
        // nothing to do
        #expect(try MP4Layout.update(out, from: s.tracks(s.a), to: s.tracks(s.a)) == .unchanged)
        // several edits in a row keep working
        for k in 0..<6 {
            let (from, to) = k % 2 == 0 ? (s.a, s.b) : (s.b, s.a)
            #expect(try MP4Layout.update(out, from: s.tracks(from), to: s.tracks(to)).applied, "update \(k)")
        }
        #expect(try Self.streams(out) == freshA)

        // a cue added before the others: samples are matched by time, so only the new ones are written
        let vttC = s.dir.write("c.vtt", MediaFixtures.webVTT([(0, 150, "¡Eh!"), (200, 1500, "Hola."), (2200, 3500, "Adiós.")]))
        let c = s.dir.file("side-c.mp4")
        try s.ff.muxSide(audio: [AudioTrackSpec(path: s.a, language: "es")], subtitles: [SubtitleTrackSpec(path: vttC, language: "es")], to: c)
        let toC = try MP4Layout.update(out, from: s.tracks(s.a), to: s.tracks(c))
        guard case .updated(let small) = toC else { Issue.record("not updated: \(toC)"); return }
        #expect(small > 0 && small < 40, "the new cue and the gap before the next one: \(small) bytes")
        #expect(try Self.streams(out) == Self.streams(try s.mux(c, to: "fresh-c.mp4")))
    }

    @Test("a process killed at any step of an update leaves the old movie or the new one")
    func interruptedUpdatesLeaveAValidMovie() throws {
        let s = try Sides()
        let original = try s.mux(s.a, to: "orig.mp4")
        let old = try Self.streams(original)
        let new = try Self.streams(try s.mux(s.b, to: "fresh-b.mp4"))
        // the first update writes its moov after the current one; the next, into the box before it
        let once = s.dir.file("once.mp4")
        try FileManager.default.copyItem(atPath: original, toPath: once)
        #expect(try MP4Layout.update(once, from: s.tracks(s.a), to: s.tracks(s.b)).applied)
        for (start, from, to) in [(original, s.a, s.b), (once, s.b, s.a)] {
            for step in MP4Layout.Step.allCases {
                let copy = s.dir.file("step-\(step.rawValue)-\(from == s.a ? "ab" : "ba").mp4")
                try FileManager.default.copyItem(atPath: start, toPath: copy)
                _ = try MP4Layout.update(copy, from: s.tracks(from), to: s.tracks(to), stoppingAfter: step)
                let now = try Self.streams(copy)
                #expect(now == old || now == new, "after \(step)")
                #expect(try Subprocess.run("ffmpeg", ["-v", "error", "-i", copy, "-f", "null", "-"]).stderrString.isEmpty, "decodes cleanly after \(step)")
            }
        }
    }

    @Test("declines, leaving the file untouched: other tracks, a missing side file, a file ffmpeg made without room")
    func declines() throws {
        let s = try Sides()
        let out = try s.mux(s.a, to: "out.mp4")
        let bytes = try FileIO.read(out)
        #expect(!(try MP4Layout.update(out, from: s.tracks(s.a), to: Array(s.tracks(s.b).prefix(2))).applied))
        #expect(!(try MP4Layout.update(out, from: s.tracks(s.a), to: s.tracks(s.b) + [MP4Layout.Track(path: s.b, kind: .audio)]).applied))
        var missing = s.tracks(s.a)
        missing[1].path = s.dir.file("gone.mp4")
        #expect(!(try MP4Layout.update(out, from: missing, to: s.tracks(s.b)).applied))
        // the recorded side file is not the one the file was made from
        #expect(!(try MP4Layout.update(out, from: [s.tracks(s.a)[0], MP4Layout.Track(path: s.video, kind: .audio), s.tracks(s.a)[2]], to: s.tracks(s.b)).applied))
        #expect(try FileIO.read(out) == bytes)
        // +faststart leaves no room for a second moov
        let tight = s.dir.file("tight.mp4")
        try s.ff.assemble(video: s.video, audio: [AudioTrackSpec(path: s.a, language: "es")], subtitles: [SubtitleTrackSpec(path: s.a, language: "es")], to: tight)
        let tightBytes = try FileIO.read(tight)
        let r = try MP4Layout.update(tight, from: s.tracks(s.a), to: s.tracks(s.b))
        #expect(!r.applied, "\(r)")
        #expect(try FileIO.read(tight) == tightBytes)
    }
}

func fileSize(_ path: String) -> Int? {
    (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? nil
}

func inodeOf(_ path: String) -> UInt64? {
    var st = stat()
    return stat(path, &st) == 0 ? UInt64(st.st_ino) : nil
}

extension Array where Element == UInt8 {
    func containsSequence(_ needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, needle.count <= count else { return false }
        for i in 0...(count - needle.count) where self[i] == needle[0] && Array(self[i..<(i + needle.count)]) == needle { return true }
        return false
    }
}
