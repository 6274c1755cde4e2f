import Foundation

/// Which tracks of an MP4 a player shows by default (the `tkhd` "enabled" flag, which ffprobe
/// reports as `disposition.default`).
///
/// ffmpeg's MP4 muxer enables the first track of each kind when none is marked default, so a
/// subtitle track muxed with `-disposition:s 0` still comes out enabled: a player would show
/// Spanish subtitles over Spanish audio. `disableRedundantSubtitles` clears, in place, the flag
/// of each enabled subtitle track whose language is that of an enabled audio track (one byte per
/// track, no size change; `MP4Layout.update` keeps the flags of the tracks it rewrites).
public enum MP4Disposition {
    struct TrackHeader {
        var handler: String
        var language: String
        var enabled: Bool
        /// Absolute offset in the file of the low byte of the `tkhd` flags.
        var flagsOffset: Int
    }

    /// Clears the default (enabled) flag of subtitle tracks in the language of a default audio
    /// track; returns how many it cleared. A file that is not a plain MP4 is left as it is (0).
    @discardableResult
    public static func disableRedundantSubtitles(_ path: String) throws -> Int {
        let fd = open(path, O_RDWR | O_CLOEXEC)
        guard fd >= 0 else { throw FileIO.createError(path, errno) }
        defer { close(fd) }
        guard let tracks = try headers(fd) else { return 0 }
        let spoken = Set(tracks.filter { $0.handler == "soun" && $0.enabled }.map(\.language))
        var cleared = 0
        for t in tracks where ["sbtl", "text", "subt"].contains(t.handler) && t.enabled && spoken.contains(t.language) && t.language != "und" {
            var b: UInt8 = 0
            guard pread(fd, &b, 1, off_t(t.flagsOffset)) == 1 else { throw FileIO.createError(path, errno) }
            b &= ~1
            guard pwrite(fd, &b, 1, off_t(t.flagsOffset)) == 1 else { throw FileIO.createError(path, errno) }
            cleared += 1
        }
        return cleared
    }

    /// Each track's handler, language and enabled flag, with where its flag is; nil when the file
    /// has no single readable `moov`.
    static func headers(_ fd: Int32) throws -> [TrackHeader]? {
        var st = stat()
        guard fstat(fd, &st) == 0 else { return nil }
        let total = Int(st.st_size)
        var at = 0
        var moov: (offset: Int, bytes: [UInt8])?
        while at + 8 <= total {
            var h = [UInt8](repeating: 0, count: 16)
            guard pread(fd, &h, 16, off_t(at)) >= 8 else { return nil }
            var size = Int(be32(h[...], 0)), header = 8
            if size == 1 { size = Int(be64(h[...], 8)); header = 16 } else if size == 0 { size = total - at }
            guard size >= header, at + size <= total else { return nil }
            if String(decoding: h[4..<8], as: UTF8.self) == "moov" {
                guard moov == nil, size < 1 << 30 else { return nil }
                var b = [UInt8](repeating: 0, count: size - header)
                guard pread(fd, &b, b.count, off_t(at + header)) == b.count else { return nil }
                moov = (at + header, b)
            }
            at += size
        }
        guard let moov else { return nil }
        var out: [TrackHeader] = []
        for trak in children(moov.bytes[...]) where trak.type == "trak" {
            let kids = children(moov.bytes[trak.body])
            guard let tkhd = kids.first(where: { $0.type == "tkhd" }), tkhd.body.count >= 4,
                  let mdia = kids.first(where: { $0.type == "mdia" }) else { continue }
            let media = children(moov.bytes[mdia.body])
            guard let hdlr = media.first(where: { $0.type == "hdlr" }), hdlr.body.count >= 12,
                  let mdhd = media.first(where: { $0.type == "mdhd" }), mdhd.body.count >= 24 else { continue }
            let b = moov.bytes
            let handler = String(decoding: b[(hdlr.body.lowerBound + 8)..<(hdlr.body.lowerBound + 12)], as: UTF8.self)
            let langAt = mdhd.body.lowerBound + (b[mdhd.body.lowerBound] == 1 ? 32 : 20)
            guard langAt + 2 <= mdhd.body.upperBound else { continue }
            let packed = UInt16(b[langAt]) << 8 | UInt16(b[langAt + 1])
            let language = String(decoding: [10, 5, 0].map { UInt8(((packed >> $0) & 0x1F) + 0x60) }, as: UTF8.self)
            out.append(TrackHeader(handler: handler, language: language, enabled: b[tkhd.body.lowerBound + 3] & 1 == 1,
                                   flagsOffset: moov.offset + tkhd.body.lowerBound + 3))
        }
        return out
    }

    /// The boxes directly inside `bytes` (indices of the `moov` payload), with their bodies' ranges.
    static func children(_ bytes: ArraySlice<UInt8>) -> [(type: String, body: Range<Int>)] {
        var out: [(type: String, body: Range<Int>)] = []
        var i = bytes.startIndex
        while i + 8 <= bytes.endIndex {
            var size = Int(be32(bytes, i)), header = 8
            if size == 1 { guard i + 16 <= bytes.endIndex else { break }; size = Int(be64(bytes, i + 8)); header = 16 } else if size == 0 { size = bytes.endIndex - i }
            guard size >= header, i + size <= bytes.endIndex else { break }
            out.append((String(decoding: bytes[(i + 4)..<(i + 8)], as: UTF8.self), (i + header)..<(i + size)))
            i += size
        }
        return out
    }
}
