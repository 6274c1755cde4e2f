import Foundation

// ISO base media file format (MP4) boxes, as much as olleey's own muxer (`MP4Layout`) needs:
// the `moov` tree, each track's sample tables, and the top-level box list of a file.

/// A box of the `moov` tree: containers hold children, other boxes their payload.
final class MP4Box {
    var type: String
    var payload: [UInt8]
    var children: [MP4Box]?

    static let containers: Set<String> = ["moov", "trak", "mdia", "minf", "stbl", "edts"]

    init(type: String, payload: [UInt8] = [], children: [MP4Box]? = nil) {
        self.type = type; self.payload = payload; self.children = children
    }

    func copy() -> MP4Box { MP4Box(type: type, payload: payload, children: children?.map { $0.copy() }) }

    /// Parses the boxes of `bytes`; nil when they do not add up.
    static func parse(_ bytes: ArraySlice<UInt8>) -> [MP4Box]? {
        var out: [MP4Box] = []
        var i = bytes.startIndex
        while i + 8 <= bytes.endIndex {
            var size = Int(be32(bytes, i))
            let type = String(decoding: bytes[(i + 4)..<(i + 8)], as: UTF8.self)
            var header = 8
            if size == 1 {
                guard i + 16 <= bytes.endIndex else { return nil }
                size = Int(be64(bytes, i + 8)); header = 16
            } else if size == 0 { size = bytes.endIndex - i }
            guard size >= header, i + size <= bytes.endIndex else { return nil }
            let body = bytes[(i + header)..<(i + size)]
            if containers.contains(type) {
                guard let kids = parse(body) else { return nil }
                out.append(MP4Box(type: type, children: kids))
            } else {
                out.append(MP4Box(type: type, payload: Array(body)))
            }
            i += size
        }
        return i == bytes.endIndex ? out : nil
    }

    func serialize() -> [UInt8] {
        var out: [UInt8] = []
        serialize(into: &out)
        return out
    }

    func serialize(into out: inout [UInt8]) {
        let start = out.count
        out += [0, 0, 0, 0] + Array(type.utf8)
        if let children { for c in children { c.serialize(into: &out) } } else { out += payload }
        putBE32(&out, start, UInt32(out.count - start))
    }

    /// Serialized size without serializing.
    var size: Int { 8 + (children?.reduce(0) { $0 + $1.size } ?? payload.count) }

    func find(_ path: [String]) -> MP4Box? {
        var node: MP4Box? = self
        for p in path { node = node?.children?.first { $0.type == p } }
        return node
    }
}

/// One track of a parsed MP4: its `trak` box and where its samples are.
struct MP4Track {
    var trak: MP4Box
    /// `vide`, `soun`, `sbtl`/`text`/`subt`, ...
    var handler: String
    /// Media timescale (mdhd).
    var timescale: Int64
    /// Per sample: byte offset in the file, size, decode time (media timescale).
    var offsets: [Int]
    var sizes: [Int32]
    var dts: [Int64]
    /// The sample description index every chunk uses (olleey's muxer re-chunks a track, so it
    /// takes only tracks with one).
    var descriptionIndex: UInt32
    /// The movie timescale of the file it is in (mvhd), for its tkhd and edit list durations.
    var movieTimescale: Int64 = 0

    var isSubtitle: Bool { handler == "sbtl" || handler == "text" || handler == "subt" }

    /// Reads a `trak`'s sample tables; nil when they are not simple (several sample
    /// descriptions in use, inconsistent tables, track references).
    init?(_ trak: MP4Box) {
        guard trak.find(["tref"]) == nil,
              let hdlr = trak.find(["mdia", "hdlr"]), hdlr.payload.count >= 12,
              let mdhd = trak.find(["mdia", "mdhd"]), mdhd.payload.count >= 24,
              let stbl = trak.find(["mdia", "minf", "stbl"]),
              let stsc = stbl.find(["stsc"]), let stsz = stbl.find(["stsz"]), let stts = stbl.find(["stts"]),
              stsc.payload.count >= 8, stsz.payload.count >= 12, stts.payload.count >= 8 else { return nil }
        self.trak = trak
        handler = String(decoding: hdlr.payload[8..<12], as: UTF8.self)
        timescale = Int64(mdhd.payload[0] == 1 ? be32(mdhd.payload[...], 20) : be32(mdhd.payload[...], 12))
        guard timescale > 0 else { return nil }
        // chunk offsets
        var chunkOffsets: [Int] = []
        if let stco = stbl.find(["stco"]), stco.payload.count >= 8 {
            let n = Int(be32(stco.payload[...], 4)); guard stco.payload.count >= 8 + 4 * n else { return nil }
            chunkOffsets = (0..<n).map { Int(be32(stco.payload[...], 8 + 4 * $0)) }
        } else if let co64 = stbl.find(["co64"]), co64.payload.count >= 8 {
            let n = Int(be32(co64.payload[...], 4)); guard co64.payload.count >= 8 + 8 * n else { return nil }
            chunkOffsets = (0..<n).map { Int(be64(co64.payload[...], 8 + 8 * $0)) }
        } else { return nil }
        // sample sizes
        let fixed = Int(be32(stsz.payload[...], 4)), count = Int(be32(stsz.payload[...], 8))
        guard fixed != 0 || stsz.payload.count >= 12 + 4 * count else { return nil }
        sizes = fixed != 0 ? [Int32](repeating: Int32(clamping: fixed), count: count)
                           : (0..<count).map { Int32(bitPattern: be32(stsz.payload[...], 12 + 4 * $0)) }
        // decode times
        var dts: [Int64] = []
        dts.reserveCapacity(count)
        let ne = Int(be32(stts.payload[...], 4))
        guard stts.payload.count >= 8 + 8 * ne else { return nil }
        var t: Int64 = 0
        for e in 0..<ne {
            let n = Int(be32(stts.payload[...], 8 + 8 * e)), d = Int64(be32(stts.payload[...], 12 + 8 * e))
            for _ in 0..<n where dts.count < count { dts.append(t); t += d }
        }
        guard dts.count == count else { return nil }
        self.dts = dts
        // samples to chunks
        let nsc = Int(be32(stsc.payload[...], 4))
        guard stsc.payload.count >= 8 + 12 * nsc else { return nil }
        var offsets: [Int] = []
        offsets.reserveCapacity(count)
        var description: UInt32?
        for e in 0..<nsc {
            let first = Int(be32(stsc.payload[...], 8 + 12 * e)) - 1
            let per = Int(be32(stsc.payload[...], 12 + 12 * e))
            let sdi = be32(stsc.payload[...], 16 + 12 * e)
            let last = e + 1 < nsc ? Int(be32(stsc.payload[...], 8 + 12 * (e + 1))) - 1 : chunkOffsets.count
            guard first >= 0, first <= last, last <= chunkOffsets.count, per > 0 else { return nil }
            if first < last {
                guard description == nil || description == sdi else { return nil }
                description = sdi
            }
            for c in first..<last {
                guard offsets.count + per <= count else { return nil }
                var at = chunkOffsets[c]
                for s in offsets.count..<(offsets.count + per) {
                    offsets.append(at)
                    at += Int(sizes[s])
                }
            }
        }
        guard offsets.count == count else { return nil }
        self.offsets = offsets
        descriptionIndex = description ?? 1
    }

    /// Start time of sample `i` in seconds.
    func seconds(_ i: Int) -> Double { Double(dts[i]) / Double(timescale) }
}

/// The top level of an MP4 file: its boxes in order, and its parsed `moov`.
final class MP4File {
    struct TopBox { var type: String; var offset: Int; var size: Int; var header: Int }

    let path: String
    let fd: Int32
    let size: Int
    let boxes: [TopBox]
    let moov: MP4Box
    let tracks: [MP4Track]

    var movieTimescale: Int64 {
        guard let m = moov.find(["mvhd"]), m.payload.count >= 24 else { return 0 }
        return Int64(be32(m.payload[...], m.payload[0] == 1 ? 20 : 12))
    }

    private init(path: String, fd: Int32, size: Int, boxes: [TopBox], moov: MP4Box, tracks: [MP4Track]) {
        self.path = path; self.fd = fd; self.size = size; self.boxes = boxes; self.moov = moov; self.tracks = tracks
    }

    deinit { close(fd) }

    /// nil when the file is not a plain (unfragmented) MP4/MOV with one `moov` whose tracks all
    /// have simple sample tables; throws when it cannot be opened.
    static func open(_ path: String, writable: Bool = false) throws -> MP4File? {
        let fd = Glibc.open(path, (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC)
        guard fd >= 0 else { throw OlleeyError.notFound("cannot read \(path): \(String(cString: strerror(errno)))") }
        var st = stat()
        guard fstat(fd, &st) == 0 else { close(fd); return nil }
        let total = Int(st.st_size)
        var at = 0
        var boxes: [TopBox] = []
        var moov: MP4Box?
        while at + 8 <= total {
            var h = [UInt8](repeating: 0, count: 16)
            guard preadFully(fd, &h, offset: at) >= 8 else { close(fd); return nil }
            var size = Int(be32(h[...], 0)); var header = 8
            let type = String(decoding: h[4..<8], as: UTF8.self)
            if size == 1 { size = Int(be64(h[...], 8)); header = 16 } else if size == 0 { size = total - at }
            guard size >= header, at + size <= total else { close(fd); return nil }
            switch type {
            case "moov":
                guard moov == nil, size < 1 << 30 else { close(fd); return nil }
                var b = [UInt8](repeating: 0, count: size - header)
                guard preadFully(fd, &b, offset: at + header) == b.count, let kids = MP4Box.parse(b[...]) else { close(fd); return nil }
                moov = MP4Box(type: "moov", children: kids)
            case "moof", "mfra", "sidx": close(fd); return nil
            default: break
            }
            boxes.append(TopBox(type: type, offset: at, size: size, header: header))
            at += size
        }
        guard at == total, let moov else { close(fd); return nil }
        var tracks: [MP4Track] = []
        for t in moov.children ?? [] where t.type == "trak" {
            guard let track = MP4Track(t) else { close(fd); return nil }
            tracks.append(track)
        }
        return MP4File(path: path, fd: fd, size: total, boxes: boxes, moov: moov, tracks: tracks)
    }
}

/// Big-endian reads at index `i` of the slice's own index space (a whole array's `[...]` starts at 0).
func be32(_ b: ArraySlice<UInt8>, _ i: Int) -> UInt32 {
    UInt32(b[i]) << 24 | UInt32(b[i + 1]) << 16 | UInt32(b[i + 2]) << 8 | UInt32(b[i + 3])
}
func be64(_ b: ArraySlice<UInt8>, _ i: Int) -> UInt64 { UInt64(be32(b, i)) << 32 | UInt64(be32(b, i + 4)) }
/// Writes (or with `append`, appends) a big-endian value.
func putBE32(_ b: inout [UInt8], _ i: Int, _ v: UInt32, append: Bool = false) {
    let bytes = [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)]
    if append { b += bytes } else { for k in 0..<4 { b[i + k] = bytes[k] } }
}
func putBE64(_ b: inout [UInt8], _ i: Int, _ v: UInt64, append: Bool = false) {
    putBE32(&b, i, UInt32(v >> 32), append: append)
    putBE32(&b, i + 4, UInt32(v & 0xFFFF_FFFF), append: append)
}
