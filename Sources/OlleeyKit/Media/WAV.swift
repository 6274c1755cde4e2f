import Foundation

/// The format of a PCM WAV file's samples.
public struct WAVFormat: Sendable, Equatable {
    /// 1 = integer PCM, 3 = IEEE float.
    public var audioFormat: UInt16
    public var channels: Int
    public var sampleRate: Int
    public var bitsPerSample: Int
    public var bytesPerFrame: Int { channels * bitsPerSample / 8 }

    public static let mix = WAVFormat(audioFormat: 1, channels: 2, sampleRate: 48_000, bitsPerSample: 16)
    /// 48 kHz mono 16-bit: the dub's clips and track (speech is mono).
    public static let dub = WAVFormat(audioFormat: 1, channels: 1, sampleRate: 48_000, bitsPerSample: 16)
    public static let speech = WAVFormat(audioFormat: 1, channels: 1, sampleRate: 16_000, bitsPerSample: 16)

    public init(audioFormat: UInt16 = 1, channels: Int, sampleRate: Int, bitsPerSample: Int = 16) {
        self.audioFormat = audioFormat; self.channels = channels; self.sampleRate = sampleRate; self.bitsPerSample = bitsPerSample
    }
}

/// The header of a WAV file: its format and where its sample data lies.
public struct WAVHeader: Sendable {
    public var format: WAVFormat
    public var dataOffset: Int
    /// Bytes of sample data (clamped to the file size: streaming writers leave 0 or 0xFFFFFFFF).
    public var dataBytes: Int
    public var frames: Int { format.bytesPerFrame > 0 ? dataBytes / format.bytesPerFrame : 0 }
    public var durationSeconds: Double { format.sampleRate > 0 ? Double(frames) / Double(format.sampleRate) : 0 }
    public var durationMs: Int { Int((durationSeconds * 1000).rounded()) }

    /// Reads the RIFF header of `path`; nil when it is not a PCM/float WAV this code understands.
    public static func read(_ path: String) throws -> WAVHeader? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw OlleeyError(.notFound, "cannot read \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var st = stat()
        fstat(fd, &st)
        let fileBytes = Int(st.st_size)
        var head = [UInt8](repeating: 0, count: 12)
        guard preadFully(fd, &head, offset: 0) == 12, head[0..<4] == [0x52, 0x49, 0x46, 0x46], head[8..<12] == [0x57, 0x41, 0x56, 0x45] else { return nil }
        var off = 12
        var format: WAVFormat?
        var chunk = [UInt8](repeating: 0, count: 8)
        while off + 8 <= fileBytes {
            guard preadFully(fd, &chunk, offset: off) == 8 else { return nil }
            let id = String(decoding: chunk[0..<4], as: UTF8.self)
            let size = Int(le32(chunk, 4))
            if id == "fmt " {
                var f = [UInt8](repeating: 0, count: min(max(size, 16), 64))
                guard preadFully(fd, &f, offset: off + 8) >= 16 else { return nil }
                var tag = le16(f, 0)
                if tag == 0xFFFE, f.count >= 26 { tag = le16(f, 24) } // WAVE_FORMAT_EXTENSIBLE: sub-format GUID
                format = WAVFormat(audioFormat: tag, channels: Int(le16(f, 2)), sampleRate: Int(le32(f, 4)), bitsPerSample: Int(le16(f, 14)))
            } else if id == "data" {
                guard let fmt = format, fmt.audioFormat == 1 || fmt.audioFormat == 3, fmt.channels > 0, fmt.bitsPerSample > 0 else { return nil }
                let avail = fileBytes - (off + 8)
                let bytes = (size == 0 || size == 0xFFFF_FFFF || size > avail) ? avail : size
                return WAVHeader(format: fmt, dataOffset: off + 8, dataBytes: bytes)
            }
            off += 8 + size + (size & 1)
        }
        return nil
    }

    /// The 44-byte canonical header for `frames` frames of `format`.
    public static func bytes(format: WAVFormat, frames: Int) -> [UInt8] {
        let dataBytes = frames * format.bytesPerFrame
        var h: [UInt8] = []
        h.reserveCapacity(44)
        h += Array("RIFF".utf8); put32(&h, UInt32(truncatingIfNeeded: 36 + dataBytes))
        h += Array("WAVE".utf8)
        h += Array("fmt ".utf8); put32(&h, 16)
        put16(&h, format.audioFormat); put16(&h, UInt16(format.channels))
        put32(&h, UInt32(format.sampleRate)); put32(&h, UInt32(format.sampleRate * format.bytesPerFrame))
        put16(&h, UInt16(format.bytesPerFrame)); put16(&h, UInt16(format.bitsPerSample))
        h += Array("data".utf8); put32(&h, UInt32(truncatingIfNeeded: dataBytes))
        return h
    }
}

func le16(_ b: [UInt8], _ o: Int) -> UInt16 { UInt16(b[o]) | UInt16(b[o + 1]) << 8 }
func le32(_ b: [UInt8], _ o: Int) -> UInt32 { UInt32(b[o]) | UInt32(b[o + 1]) << 8 | UInt32(b[o + 2]) << 16 | UInt32(b[o + 3]) << 24 }
func put16(_ b: inout [UInt8], _ v: UInt16) { b.append(UInt8(v & 0xFF)); b.append(UInt8(v >> 8)) }
func put32(_ b: inout [UInt8], _ v: UInt32) { for k in 0..<4 { b.append(UInt8((v >> (8 * UInt32(k))) & 0xFF)) } }

/// pread until `buf` is full or the end of file; returns bytes read.
func preadFully(_ fd: Int32, _ buf: inout [UInt8], offset: Int) -> Int {
    var got = 0
    let count = buf.count
    while got < count {
        let n = buf.withUnsafeMutableBytes { pread(fd, $0.baseAddress.map { $0 + got }, count - got, off_t(offset + got)) }
        if n < 0 { if errno == EINTR { continue }; return got }
        if n == 0 { break }
        got += n
    }
    return got
}

/// pwrite all of `bytes[range]` at `offset`, mapping ENOSPC to `.cannotCreate`.
func pwriteFully(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, offset: Int, path: String) throws {
    var done = 0
    while done < bytes.count {
        let n = pwrite(fd, bytes.baseAddress.map { $0 + done }, bytes.count - done, off_t(offset + done))
        if n < 0 {
            if errno == EINTR { continue }
            let e = errno
            throw OlleeyError(.cannotCreate, e == ENOSPC ? "no space left on device writing \(path)" : "cannot write \(path): \(String(cString: strerror(e)))",
                              hint: e == ENOSPC ? "free disk space, then run again" : nil)
        }
        done += n
    }
}

extension FFmpeg {
    /// Duration of an audio file in milliseconds: from the WAV header when it is a PCM WAV
    /// (no subprocess), else from ffprobe.
    public func audioDurationMs(_ path: String) throws -> Int {
        try requireInputFile(path, "audio file")
        if let h = try WAVHeader.read(path) { return h.durationMs }
        return try probe(path).durationMs
    }
}
