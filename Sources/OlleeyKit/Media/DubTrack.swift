import Foundation

/// One fitted cue clip to place on the dub timeline.
public struct DubClip: Sendable, Equatable {
    public var id: String
    public var startMs: Int
    /// A WAV file; best already in the timeline format (48 kHz stereo s16, as `fitClip` makes),
    /// otherwise it is converted first.
    public var path: String

    public init(id: String, startMs: Int, path: String) {
        self.id = id; self.startMs = startMs; self.path = path
    }
}

public struct DubTrackReport: Sendable, Equatable {
    public var clips: Int
    public var durationMs: Int
    /// Milliseconds where two clips overlapped (they are mixed, not cut).
    public var overlapMs: Int
    /// Clips (ids) that ran past the end of the timeline and were cut there.
    public var cutAtEnd: [String]
    /// Samples that had to be clamped after mixing overlaps.
    public var clampedSamples: Int

    public init(clips: Int, durationMs: Int, overlapMs: Int = 0, cutAtEnd: [String] = [], clampedSamples: Int = 0) {
        self.clips = clips; self.durationMs = durationMs; self.overlapMs = overlapMs; self.cutAtEnd = cutAtEnd; self.clampedSamples = clampedSamples
    }
}

extension FFmpeg {
    /// Builds the dub track: a WAV of exactly `durationSeconds` (the video's duration) with each
    /// clip placed at its start time, silence elsewhere.
    ///
    /// Approach: sample-exact placement in Swift instead of one giant ffmpeg graph. The output
    /// file is created at its final size (a sparse, zero-filled file = silence), then each clip's
    /// samples are copied in at `start * rate`; where clips overlap they are summed with
    /// clamping. Work is O(total clip samples), memory is one 64 K-frame block, so 3,000 cues
    /// cost no more than their audio, and no offset accumulates as it would with a concat list
    /// of rounded silences. Clips not in the timeline format are converted by ffmpeg first.
    @discardableResult
    public func buildDubTrack(clips: [DubClip], durationSeconds: Double, output: String,
                              format: WAVFormat = .mix) throws -> DubTrackReport {
        guard format.audioFormat == 1, format.bitsPerSample == 16 else {
            throw OlleeyError(.invalid, "the dub timeline is 16-bit PCM")
        }
        guard durationSeconds.isFinite, durationSeconds >= 0 else { throw OlleeyError(.invalid, "bad timeline duration \(durationSeconds)") }
        let totalFrames = Int((durationSeconds * Double(format.sampleRate)).rounded())
        let bpf = format.bytesPerFrame
        let ordered = clips.sorted { $0.startMs != $1.startMs ? $0.startMs < $1.startMs : $0.id < $1.id }
        var report = DubTrackReport(clips: 0, durationMs: Int((durationSeconds * 1000).rounded()), overlapMs: 0, cutAtEnd: [], clampedSamples: 0)
        let scratchDir = (output as NSString).deletingLastPathComponent

        try FFmpeg.writing(output) { tmp in
            let fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
            guard fd >= 0 else { throw OlleeyError(.cannotCreate, "cannot create \(output): \(String(cString: strerror(errno)))") }
            defer { close(fd) }
            let header = WAVHeader.bytes(format: format, frames: totalFrames)
            try header.withUnsafeBytes { try pwriteFully(fd, $0, offset: 0, path: output) }
            let dataStart = header.count
            if ftruncate(fd, off_t(dataStart + totalFrames * bpf)) != 0 {
                let e = errno
                throw OlleeyError(.cannotCreate, e == ENOSPC ? "no space left on device writing \(output)" : "cannot size \(output): \(String(cString: strerror(e)))")
            }
            var writtenUpTo = 0 // frames: everything before may hold clip samples
            var block = [UInt8](repeating: 0, count: 65_536 * bpf)

            for clip in ordered {
                try cancel.check()
                var source = clip.path
                var converted: String?
                defer { if let c = converted { unlink(c) } }
                var header = try WAVHeader.read(source)
                if header?.format != format {
                    let c = (scratchDir.isEmpty ? "." : scratchDir) + "/.dubclip-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).wav"
                    try convertAudio(clip.path, to: c, format: format)
                    converted = c
                    source = c
                    header = try WAVHeader.read(c)
                }
                guard let h = header else { throw OlleeyError(.invalid, "cannot read the audio of cue \(clip.id): \(clip.path)") }
                let sfd = open(source, O_RDONLY | O_CLOEXEC)
                guard sfd >= 0 else { throw OlleeyError(.notFound, "clip for cue \(clip.id) not found: \(clip.path)") }
                defer { close(sfd) }

                let startFrame = max(0, Int((Double(clip.startMs) * Double(format.sampleRate) / 1000).rounded()))
                var frames = h.frames
                if startFrame + frames > totalFrames {
                    frames = max(0, totalFrames - startFrame)
                    report.cutAtEnd.append(clip.id)
                }
                if startFrame < writtenUpTo {
                    report.overlapMs += (min(writtenUpTo, startFrame + frames) - startFrame) * 1000 / format.sampleRate
                }
                var done = 0
                while done < frames {
                    let n = min(65_536, frames - done)
                    let bytes = n * bpf
                    if block.count != bytes { block = [UInt8](repeating: 0, count: bytes) }
                    let got = preadFully(sfd, &block, offset: h.dataOffset + done * bpf)
                    if got < bytes { for k in got..<bytes { block[k] = 0 } }
                    let at = startFrame + done
                    if at < writtenUpTo {
                        // Overlap with an earlier clip: sum the overlapping part, clamped.
                        let overlapFrames = min(n, writtenUpTo - at)
                        var ex = [UInt8](repeating: 0, count: overlapFrames * bpf)
                        _ = preadFully(fd, &ex, offset: dataStart + at * bpf)
                        report.clampedSamples += FFmpeg.addSamples(ex, into: &block, samples: overlapFrames * format.channels)
                    }
                    try block.withUnsafeBytes {
                        try pwriteFully(fd, UnsafeRawBufferPointer(rebasing: $0[0..<bytes]), offset: dataStart + at * bpf, path: output)
                    }
                    done += n
                }
                writtenUpTo = max(writtenUpTo, startFrame + frames)
                report.clips += 1
            }
        }
        return report
    }

    /// Adds 16-bit little-endian samples of `a` into `b` (first `samples`), clamping; returns
    /// how many were clamped.
    static func addSamples(_ a: [UInt8], into b: inout [UInt8], samples: Int) -> Int {
        var clamped = 0
        for k in 0..<samples {
            let i = 2 * k
            let x = Int32(Int16(bitPattern: UInt16(a[i]) | UInt16(a[i + 1]) << 8))
            let y = Int32(Int16(bitPattern: UInt16(b[i]) | UInt16(b[i + 1]) << 8))
            var s = x + y
            if s > Int32(Int16.max) { s = Int32(Int16.max); clamped += 1 } else if s < Int32(Int16.min) { s = Int32(Int16.min); clamped += 1 }
            let u = UInt16(bitPattern: Int16(s))
            b[i] = UInt8(u & 0xFF)
            b[i + 1] = UInt8(u >> 8)
        }
        return clamped
    }
}
