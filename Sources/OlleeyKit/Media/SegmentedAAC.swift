import Foundation

/// AAC encoding in cached segments, so re-rendering a mix after a one-cue edit re-encodes only
/// the segment that changed (ffmpeg's AAC encoder is the slowest step of a job: ~30x realtime).
///
/// The PCM timeline is cut at multiples of 1024 samples (one AAC frame). Each segment is encoded
/// on its own with 2048 samples of context before and after it, and only the packets whose
/// frames belong to the segment are kept: packet j of an ADTS stream decodes, after the
/// encoder's 1024-sample delay, to input samples [(j-1)*1024, j*1024). The kept packets of all
/// segments, in order, form one continuous AAC stream; the overlap-add at a joint combines two
/// encodings of the same signal, so there is no gap, shift or click. The first segment's
/// priming packet is dropped, so the stream starts at the first sample (no delay to mark).
public enum SegmentedAAC {
    public static let frame = 1024
    public static let context = 2048
    /// About 30 s at 48 kHz.
    public static let segmentFrames = 1400

    /// Encodes a 16-bit PCM WAV into an MP4 audio file (`.m4a`). `cache(key, make)` returns the
    /// path of a cached entry holding a segment's kept ADTS packets, producing it when missing.
    public static func encode(pcm: String, to output: String, bitrate: String, ffmpeg: FFmpeg,
                              cache: @escaping @Sendable (String, (String) throws -> Void) throws -> String) throws {
        guard let h = try WAVHeader.read(pcm), h.format.audioFormat == 1, h.format.bitsPerSample == 16 else {
            throw OlleeyError.failure("segmented AAC needs a 16-bit PCM WAV: \(pcm)")
        }
        let bpf = h.format.bytesPerFrame
        let total = h.frames
        let s = segmentFrames * frame
        let fd = open(pcm, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw OlleeyError.notFound("cannot read \(pcm)") }
        defer { close(fd) }
        let version = (try? ffmpeg.version()) ?? "ffmpeg"
        let dir = (output as NSString).deletingLastPathComponent
        // keys first (reading and hashing), then the encodes, several at once
        struct Segment: Sendable { var k: Int; var a: Int; var b: Int; var key: String }
        var segments: [Segment] = []
        var k = 0
        while k * s < total {
            let a = max(0, k * s - context), b = min(total, (k + 1) * s + context)
            var bytes = [UInt8](repeating: 0, count: (b - a) * bpf)
            let got = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, off_t(h.dataOffset + a * bpf)) }
            if got < bytes.count { throw OlleeyError.failure("short read of \(pcm)") }
            var hasher = SHA256Hasher()
            hasher.update(["aacseg", bitrate, version, String(h.format.sampleRate), String(h.format.channels),
                           String(k == 0), String(a - k * s), String(min(total, (k + 1) * s) - k * s)].joined(separator: "|"))
            hasher.update(bytes)
            segments.append(Segment(k: k, a: a, b: b, key: hasher.finalizeHex()))
            k += 1
        }
        guard !segments.isEmpty else { throw OlleeyError.invalid("the mix is empty") }
        let format = h.format, dataOffset = h.dataOffset
        let segs = segments
        let results = SegmentResults(count: segments.count)
        let width = max(1, min(ProcessInfo.processInfo.activeProcessorCount, 4))
        let gate = DispatchSemaphore(value: width)
        DispatchQueue.concurrentPerform(iterations: segments.count) { i in
            gate.wait(); defer { gate.signal() }
            if results.failed { return }
            let g = segs[i]
            do {
                let path = try cache(g.key) { tmp in
                    let rfd = open(pcm, O_RDONLY | O_CLOEXEC)
                    guard rfd >= 0 else { throw OlleeyError.notFound("cannot read \(pcm)") }
                    defer { close(rfd) }
                    var file = WAVHeader.bytes(format: format, frames: g.b - g.a)
                    let headerCount = file.count
                    file.append(contentsOf: [UInt8](repeating: 0, count: (g.b - g.a) * bpf))
                    _ = file.withUnsafeMutableBytes { pread(rfd, $0.baseAddress.map { $0 + headerCount }, (g.b - g.a) * bpf, off_t(dataOffset + g.a * bpf)) }
                    let base = (dir.isEmpty ? "." : dir) + "/.seg-\(getpid())-\(g.k)-\(UInt32.random(in: 0...UInt32.max))"
                    defer { unlink(base + ".wav"); unlink(base + ".aac") }
                    try FileIO.writeAtomically(file, to: base + ".wav")
                    _ = try ffmpeg.run(["-i", base + ".wav", "-c:a", "aac", "-b:a", bitrate, "-f", "adts", base + ".aac"], what: "encoding audio segment \(g.k + 1)")
                    let packets = try adtsPackets(FileIO.read(base + ".aac"))
                    let first = g.k == 0 ? 1 : (g.k * s - g.a) / frame + 1
                    let own = min(total, (g.k + 1) * s) - g.k * s
                    let count = (own + frame - 1) / frame
                    guard first + count <= packets.count else {
                        throw OlleeyError.failure("the AAC encoder returned \(packets.count) packets for segment \(g.k + 1), expected \(first + count)")
                    }
                    try FileIO.writeAtomically(Array(packets[first..<(first + count)].joined()), to: tmp)
                }
                results.set(i, path)
            } catch { results.fail(error) }
        }
        if let e = results.error { throw e }
        let parts = results.paths
        let adts = (dir.isEmpty ? "." : dir) + "/.joined-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).aac"
        defer { unlink(adts) }
        var joined: [UInt8] = []
        for p in parts { joined.append(contentsOf: try FileIO.read(p)) }
        try FileIO.writeAtomically(joined, to: adts)
        try FFmpeg.writing(output) { tmp in
            _ = try ffmpeg.run(["-f", "aac", "-i", adts, "-c:a", "copy", "-bsf:a", "aac_adtstoasc", "-f", "mp4", tmp], what: "muxing the encoded audio")
        }
    }

    /// Splits an ADTS stream into its packets (each with its 7- or 9-byte header).
    public static func adtsPackets(_ raw: [UInt8]) throws -> [ArraySlice<UInt8>] {
        var out: [ArraySlice<UInt8>] = []
        var i = 0
        while i + 7 <= raw.count {
            guard raw[i] == 0xFF, raw[i + 1] & 0xF0 == 0xF0 else { throw OlleeyError.failure("not an ADTS stream at byte \(i)") }
            let len = (Int(raw[i + 3] & 3) << 11) | (Int(raw[i + 4]) << 3) | (Int(raw[i + 5]) >> 5)
            guard len >= 7, i + len <= raw.count else { throw OlleeyError.failure("truncated ADTS packet at byte \(i)") }
            out.append(raw[i..<(i + len)])
            i += len
        }
        return out
    }
}

/// Results of the parallel segment encodes.
final class SegmentResults: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [String?]
    private(set) var error: Error?

    init(count: Int) { items = Array(repeating: nil, count: count) }

    var failed: Bool { lock.lock(); defer { lock.unlock() }; return error != nil }
    var paths: [String] { lock.lock(); defer { lock.unlock() }; return items.compactMap { $0 } }
    func set(_ i: Int, _ p: String) { lock.lock(); items[i] = p; lock.unlock() }
    func fail(_ e: Error) { lock.lock(); if error == nil { error = e }; lock.unlock() }
}
