import Foundation

/// Updates an MP4 that carries the whole video (a language's MP4 or the master) in place when
/// only some of its tracks changed, so that a one-cue edit of a 2-hour video does not rewrite
/// gigabytes of unchanged video.
///
/// ffmpeg writes such a file the first time, by stream copy from "side" files (each holding
/// tracks ffmpeg has muxed and tagged: a language's dub and subtitles, or the original audio and
/// source subtitles), with `-moov_size` reserving room after the `moov` for a second one:
///
///     ftyp | moov | free ... | mdat (every track, interleaved) | [mdat (appended samples)] ...
///
/// `update` is told which side file each track came from and which it comes from now:
/// - a track whose side file is the same (same file, unchanged) keeps its `trak` as it is;
/// - in a changed track, each sample whose bytes are the same as before (compared between the
///   two side files, which are small) stays where it is in the file; the others are appended in
///   a new `mdat` at the end. The track's `trak` keeps what ffmpeg wrote (ids, flags, language,
///   title) and takes its sample tables and durations from the new side file.
/// - the new `moov` is written into a `free` box before the first `mdat`, still typed `free`;
///   then two 4-byte writes swap the types: first the one after which the file is still the old
///   movie (or already the new one), then the other. Readers take the first `moov`, so a process
///   killed at any point leaves the old movie or the new one, never a mix. The old `moov` and
///   the replaced samples are then zeroed (no stale audio or text left in the file).
/// - It declines (the caller has ffmpeg write a new file) when the tracks differ in number or
///   kind, the new `moov` fits no free box, or the appended samples would add up to more than a
///   twentieth of the file (at least 32 MB allowed): a fresh file is laid out better.
public enum MP4Layout {
    /// One track of an output: the `index`-th track of `kind` in the MP4 at `path`.
    public struct Track: Sendable, Equatable, Codable {
        public enum Kind: String, Sendable, Codable { case video, audio, subtitle }
        public var path: String
        public var kind: Kind
        public var index: Int
        public init(path: String, kind: Kind, index: Int = 0) {
            self.path = path; self.kind = kind; self.index = index
        }
    }

    /// What `update` did.
    public enum Update: Sendable, Equatable {
        /// The file now holds the new tracks; `rewritten` bytes of samples were appended.
        case updated(rewritten: Int)
        /// The file already held exactly the new tracks.
        case unchanged
        /// Not done, the file untouched; the reason says why.
        case declined(String)

        /// The file now holds the tracks asked for.
        public var applied: Bool { if case .declined = self { return false }; return true }
    }

    /// Bytes to reserve with ffmpeg's `-moov_size` for an output of these tracks: room for its
    /// `moov` twice over, so that `update` can write the next one beside it. A track's `moov`
    /// part is its source's `trak` with the chunk tables rebuilt, each sample at most in a chunk
    /// of its own (an 8-byte offset and a 12-byte chunk entry). nil when a source is not an MP4
    /// it can read.
    public static func moovReserve(_ tracks: [Track]) throws -> Int? {
        var bytes = 0
        var files: [String: MP4File] = [:]
        for t in tracks {
            guard let file = try files[t.path] ?? MP4File.open(t.path) else { return nil }
            files[t.path] = file
            guard let track = file.track(t), let stbl = track.trak.find(["mdia", "minf", "stbl"]) else { return nil }
            let chunkTables = (stbl.children ?? []).filter { ["stsc", "stco", "co64"].contains($0.type) }.reduce(0) { $0 + $1.size }
            bytes += track.trak.size - chunkTables + 20 * track.sizes.count + 1024
        }
        return 2 * bytes + (64 << 10)
    }

    /// The writes of an update, in order (for tests of a process killed in between).
    public enum Step: Int, Sendable, CaseIterable { case appended = 1, moovWritten, firstSwap }

    /// Turns `file` (written by ffmpeg from `old`, maybe updated since) into the same output
    /// made from `new`, in place. `stoppingAfter` leaves the file as a process killed after that
    /// step would (tests only; the result is then `.declined`).
    public static func update(_ file: String, from old: [Track], to new: [Track], stoppingAfter stop: Step? = nil) throws -> Update {
        guard old.count == new.count, !new.isEmpty else { return .declined("the number of tracks changed") }
        guard let out = try MP4File.open(file, writable: true) else { return .declined("not a plain MP4") }
        guard out.tracks.count == new.count else { return .declined("the file has \(out.tracks.count) tracks, not \(new.count)") }
        guard let firstData = out.boxes.firstIndex(where: { $0.type == "mdat" }),
              out.boxes[firstData...].allSatisfy({ $0.type == "mdat" }),
              let active = out.boxes[..<firstData].first(where: { $0.type == "moov" }) else { return .declined("not a moov-first MP4") }
        let large = out.tracks.contains { $0.trak.find(["mdia", "minf", "stbl", "co64"]) != nil }
        let movieScale = out.movieTimescale
        guard movieScale > 0 else { return .declined("no movie timescale") }

        var files: [String: MP4File] = [:]
        func open(_ t: Track) throws -> MP4Track? {
            guard FileManager.default.fileExists(atPath: t.path), let f = try files[t.path] ?? MP4File.open(t.path) else { return nil }
            files[t.path] = f
            return f.track(t)
        }
        struct Changed { var k: Int; var source: MP4Track; var fd: Int32; var offsets: [Int] }
        var changed: [Changed] = []
        var stale: [(offset: Int, length: Int)] = []
        var spill: [(k: Int, c: Int, sample: Int)] = []  // c: the track's entry in `changed`
        for k in new.indices {
            let current = out.tracks[k]
            guard current.handler == (new[k].kind == .video ? "vide" : new[k].kind == .audio ? "soun" : current.handler),
                  new[k].kind != .subtitle || current.isSubtitle else { return .declined("track \(k + 1) changed kind") }
            if old[k] == new[k], FileManager.default.fileExists(atPath: new[k].path) { continue }  // the same side file (cache entries do not change)
            guard let was = try open(old[k]), let now = try open(new[k]), let nowFile = files[new[k].path], let wasFile = files[old[k].path] else {
                return .declined("a side file of track \(k + 1) is missing or not a plain MP4")
            }
            guard was.sizes == current.sizes, was.timescale == now.timescale else {
                return .declined("track \(k + 1) is not the one its side file describes")
            }
            // compare the two side files' samples; both are small and read whole
            let wasBytes = try MP4Layout.samples(was, in: wasFile)
            let nowBytes = try MP4Layout.samples(now, in: nowFile)
            let m = MP4Layout.match(was, wasBytes, to: now, nowBytes, in: current)
            spill += m.spilled.map { (k: k, c: changed.count, sample: $0) }
            stale += m.stale
            let offsets = m.offsets
            changed.append(Changed(k: k, source: now, fd: nowFile.fd, offsets: offsets))
        }
        if changed.isEmpty { return .unchanged }

        // appended samples: by second, then track, so a player streaming the file finds them together
        spill.sort { a, b in
            let ta = changed[a.c].source.seconds(a.sample), tb = changed[b.c].source.seconds(b.sample)
            return Int(ta) != Int(tb) ? ta < tb : (a.k != b.k ? a.k < b.k : a.sample < b.sample)
        }
        let spillBytes = spill.reduce(0) { $0 + Int(changed[$1.c].source.sizes[$1.sample]) }
        let appended = out.boxes[(firstData + 1)...].reduce(0) { $0 + $1.size }
        if appended + spillBytes > max(32 << 20, out.size / 20) { return .declined("too much changed (\(spillBytes) bytes)") }
        let spillStart = out.size
        if !large, spillStart + 16 + spillBytes > Int(UInt32.max) { return .declined("the file would need 64-bit chunk offsets") }
        var at = spillStart + 8
        for s in spill {
            changed[s.c].offsets[s.sample] = at
            at += Int(changed[s.c].source.sizes[s.sample])
        }

        // the new moov: the current one with the changed traks rebuilt
        let moov = out.moov.copy()
        var traks = (moov.children ?? []).enumerated().filter { $0.element.type == "trak" }.map(\.offset)
        guard traks.count == new.count else { return .declined("unexpected moov") }
        for c in changed {
            guard let trak = MP4Layout.rebuild(out.tracks[c.k].trak, from: c.source, offsets: c.offsets, large: large, movieScale: movieScale) else {
                return .declined("cannot rebuild track \(c.k + 1)")
            }
            moov.children?[traks[c.k]] = trak
        }
        traks.removeAll()
        MP4Layout.setMovieDuration(moov)
        var bytes = moov.serialize()

        // where it goes: a free box before the first mdat, exactly its size or larger by 8+
        guard let slot = out.boxes[..<firstData].first(where: { $0.type == "free" && $0.header == 8 && ($0.size == bytes.count || $0.size >= bytes.count + 8) }) else {
            return .declined("no room for the new moov (\(bytes.count) bytes)")
        }

        // 1. the changed samples, in a new mdat at the end
        if !spill.isEmpty {
            let w = BlockWriter(fd: out.fd, path: file, position: spillStart)
            var header: [UInt8] = []
            putBE32(&header, 0, UInt32(8 + spillBytes), append: true)
            header += Array("mdat".utf8)
            try w.append(header)
            for s in spill {
                let c = changed[s.c]
                try w.copy(from: c.fd, offset: c.source.offsets[s.sample], length: Int(c.source.sizes[s.sample]))
            }
            try w.flush()
        }
        if stop == .appended { return .declined("stopped after \(Step.appended)") }
        // 2. the new moov in the free box, typed free (the rest of that box stays a free box)
        if slot.size > bytes.count {
            var rest: [UInt8] = []
            putBE32(&rest, 0, UInt32(slot.size - bytes.count), append: true)
            rest += Array("free".utf8)
            try rest.withUnsafeBytes { try pwriteFully(out.fd, $0, offset: slot.offset + bytes.count, path: file) }
        }
        bytes.replaceSubrange(4..<8, with: Array("free".utf8))
        try bytes.withUnsafeBytes { try pwriteFully(out.fd, $0, offset: slot.offset, path: file) }
        if stop == .moovWritten { return .declined("stopped after \(Step.moovWritten)") }
        // 3. the swap: every state in between is the old movie or the new one
        try Array("moov".utf8).withUnsafeBytes { try pwriteFully(out.fd, $0, offset: slot.offset + 4, path: file) }
        if stop == .firstSwap { return .declined("stopped after \(Step.firstSwap)") }
        try Array("free".utf8).withUnsafeBytes { try pwriteFully(out.fd, $0, offset: active.offset + 4, path: file) }
        // 4. no stale samples or moov left behind
        try MP4Layout.zero(out.fd, file, stale + [(active.offset + 8, active.size - 8)])
        return .updated(rewritten: spillBytes)
    }

    /// Matches a track's new samples to its current ones: samples are matched by decode time,
    /// so a cue added or removed before others does not shift them (both in decode order: one
    /// walk). Returns each new sample's offset in the file (-1: to be appended), the new samples
    /// to append, and the file's samples no longer used.
    static func match(_ was: MP4Track, _ wasBytes: [UInt8], to now: MP4Track, _ nowBytes: [UInt8], in current: MP4Track)
        -> (offsets: [Int], spilled: [Int], stale: [(offset: Int, length: Int)]) {
        var spilled: [Int] = []
        var stale: [(offset: Int, length: Int)] = []
        var offsets = [Int](repeating: -1, count: now.sizes.count)
        var kept = [Bool](repeating: false, count: current.sizes.count)
        var j = 0, wasAt = 0, nowAt = 0
        for i in 0..<now.sizes.count {
            let n = Int(now.sizes[i])
            while j < was.sizes.count, was.dts[j] < now.dts[i] { wasAt += Int(was.sizes[j]); j += 1 }
            if j < was.sizes.count, was.dts[j] == now.dts[i], was.sizes[j] == now.sizes[i],
               n == 0 || wasBytes.withUnsafeBytes({ w in nowBytes.withUnsafeBytes { v in
                   guard let a = w.baseAddress, let b = v.baseAddress else { return false }
                   return memcmp(a + wasAt, b + nowAt, n) == 0 } }) {
                offsets[i] = current.offsets[j]
                kept[j] = true
                wasAt += n; j += 1
            } else {
                spilled.append(i)
            }
            nowAt += n
        }
        for i in current.sizes.indices where !kept[i] { stale.append((current.offsets[i], Int(current.sizes[i]))) }
        return (offsets, spilled, stale)
    }

    // MARK: - parts

    /// All of a track's sample bytes, in order.
    static func samples(_ t: MP4Track, in file: MP4File) throws -> [UInt8] {
        let total = t.sizes.reduce(0) { $0 + Int($1) }
        var out = [UInt8](repeating: 0, count: total)
        var at = 0, i = 0
        while i < t.sizes.count {
            // runs of samples that are contiguous in the file: one read each
            let start = t.offsets[i]
            var length = Int(t.sizes[i]); i += 1
            while i < t.sizes.count, t.offsets[i] == start + length { length += Int(t.sizes[i]); i += 1 }
            let got = out.withUnsafeMutableBytes { buf -> Int in
                var done = 0
                while done < length {
                    let r = pread(file.fd, buf.baseAddress! + at + done, length - done, off_t(start + done))
                    if r < 0 { if errno == EINTR { continue }; return -1 }
                    if r == 0 { break }
                    done += r
                }
                return done
            }
            guard got == length else { throw OlleeyError.failure("cannot read the samples of \(file.path)") }
            at += length
        }
        return out
    }

    /// A track's `trak` with `source`'s samples: every box ffmpeg wrote is kept (ids, flags,
    /// language, title, handler), the sample tables and durations come from `source`, and the
    /// chunks are the runs of samples that are contiguous at `offsets`.
    static func rebuild(_ template: MP4Box, from source: MP4Track, offsets: [Int], large: Bool, movieScale: Int64) -> MP4Box? {
        let trak = template.copy()
        guard let stbl = trak.find(["mdia", "minf", "stbl"]), let srcStbl = source.trak.find(["mdia", "minf", "stbl"]),
              let mdhd = trak.find(["mdia", "mdhd"]), let srcMdhd = source.trak.find(["mdia", "mdhd"]),
              mdhd.payload.count == srcMdhd.payload.count, mdhd.payload.count >= 24,
              let tkhd = trak.find(["tkhd"]), tkhd.payload.count >= 32 else { return nil }
        // sample tables: the source's, with new chunks
        var stsc: [UInt8] = [0, 0, 0, 0, 0, 0, 0, 0]
        var co: [UInt8] = [0, 0, 0, 0, 0, 0, 0, 0]
        var chunks = 0, entries = 0, previous = -1
        var i = 0
        while i < offsets.count {
            let start = i
            var end = offsets[i] + Int(source.sizes[i]); i += 1
            while i < offsets.count, offsets[i] == end { end += Int(source.sizes[i]); i += 1 }
            chunks += 1
            if large { putBE64(&co, 0, UInt64(offsets[start]), append: true) } else { putBE32(&co, 0, UInt32(offsets[start]), append: true) }
            if i - start != previous {
                putBE32(&stsc, 0, UInt32(chunks), append: true)
                putBE32(&stsc, 0, UInt32(i - start), append: true)
                putBE32(&stsc, 0, source.descriptionIndex, append: true)
                entries += 1; previous = i - start
            }
        }
        putBE32(&stsc, 4, UInt32(entries))
        putBE32(&co, 4, UInt32(chunks))
        var kids: [MP4Box] = []
        for b in srcStbl.children ?? [] {
            switch b.type {
            case "stsc": kids.append(MP4Box(type: "stsc", payload: stsc))
            case "stco", "co64": kids.append(MP4Box(type: large ? "co64" : "stco", payload: co))
            default: kids.append(b.copy())
            }
        }
        stbl.children = kids
        // durations: the media's from the source; the track's (and its edit list) in this movie's timescale
        let v1 = srcMdhd.payload[0] == 1
        guard mdhd.payload[0] == srcMdhd.payload[0],
              (v1 ? be32(mdhd.payload[...], 20) : be32(mdhd.payload[...], 12)) == (v1 ? be32(srcMdhd.payload[...], 20) : be32(srcMdhd.payload[...], 12)) else { return nil }
        let durAt = v1 ? 24 : 16
        mdhd.payload.replaceSubrange(durAt..<(durAt + (v1 ? 8 : 4)), with: srcMdhd.payload[durAt..<(durAt + (v1 ? 8 : 4))])
        let sourceScale = source.movieTimescale
        guard sourceScale > 0, let srcTkhd = source.trak.find(["tkhd"]), srcTkhd.payload.count >= 32 else { return nil }
        let scale = Double(movieScale) / Double(sourceScale)
        let sv1 = srcTkhd.payload[0] == 1, tv1 = tkhd.payload[0] == 1
        let srcDur = sv1 ? Int64(be64(srcTkhd.payload[...], 28)) : Int64(be32(srcTkhd.payload[...], 20))
        let dur = Int64((Double(srcDur) * scale).rounded())
        if tv1 { putBE64(&tkhd.payload, 28, UInt64(dur)) } else { putBE32(&tkhd.payload, 20, UInt32(clamping: dur)) }
        if let srcElst = source.trak.find(["edts", "elst"]) {
            let elst = srcElst.copy()
            let ev1 = elst.payload.first == 1
            let n = elst.payload.count >= 8 ? Int(be32(elst.payload[...], 4)) : 0
            let entry = ev1 ? 20 : 12
            guard elst.payload.count >= 8 + n * entry else { return nil }
            for k in 0..<n {
                let at = 8 + k * entry
                if ev1 { putBE64(&elst.payload, at, UInt64((Double(be64(elst.payload[...], at)) * scale).rounded())) }
                else { putBE32(&elst.payload, at, UInt32(clamping: Int64((Double(be32(elst.payload[...], at)) * scale).rounded()))) }
            }
            if let edts = trak.find(["edts"]) { edts.children = [elst] } else {
                let at = min(1, trak.children?.count ?? 0)
                trak.children?.insert(MP4Box(type: "edts", children: [elst]), at: at)
            }
        } else {
            trak.children?.removeAll { $0.type == "edts" }
        }
        return trak
    }

    /// mvhd's duration: the longest track's.
    static func setMovieDuration(_ moov: MP4Box) {
        guard let mvhd = moov.find(["mvhd"]) else { return }
        var longest: Int64 = 0
        for t in moov.children ?? [] where t.type == "trak" {
            guard let tkhd = t.find(["tkhd"]), tkhd.payload.count >= 32 else { continue }
            longest = max(longest, tkhd.payload[0] == 1 ? Int64(be64(tkhd.payload[...], 28)) : Int64(be32(tkhd.payload[...], 20)))
        }
        if mvhd.payload.first == 1, mvhd.payload.count >= 32 { putBE64(&mvhd.payload, 24, UInt64(longest)) }
        else if mvhd.payload.count >= 20 { putBE32(&mvhd.payload, 16, UInt32(clamping: longest)) }
    }

    static func zero(_ fd: Int32, _ path: String, _ ranges: [(offset: Int, length: Int)]) throws {
        let zeros = [UInt8](repeating: 0, count: 1 << 20)
        for r in ranges {
            var done = 0
            while done < r.length {
                let n = min(zeros.count, r.length - done)
                try zeros.withUnsafeBytes { try pwriteFully(fd, UnsafeRawBufferPointer(rebasing: $0[0..<n]), offset: r.offset + done, path: path) }
                done += n
            }
        }
    }
}

extension MP4File {
    func track(_ t: MP4Layout.Track) -> MP4Track? {
        let ofKind = tracks.filter {
            switch t.kind { case .video: $0.handler == "vide"; case .audio: $0.handler == "soun"; case .subtitle: $0.isSubtitle }
        }
        guard t.index < ofKind.count else { return nil }
        var track = ofKind[t.index]
        track.movieTimescale = movieTimescale
        return track
    }
}

/// Sequential writes through one buffer from a starting position; source ranges are read
/// straight into it.
final class BlockWriter {
    let fd: Int32
    let path: String
    let capacity = 8 << 20
    let buffer: UnsafeMutableRawPointer
    var fill = 0
    private(set) var position: Int

    init(fd: Int32, path: String, position: Int) {
        self.fd = fd; self.path = path; self.position = position
        buffer = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 4096)
    }

    deinit { buffer.deallocate() }

    func flush() throws {
        guard fill > 0 else { return }
        try pwriteFully(fd, UnsafeRawBufferPointer(start: buffer, count: fill), offset: position, path: path)
        position += fill
        fill = 0
    }

    func append(_ bytes: [UInt8]) throws {
        var done = 0
        while done < bytes.count {
            if fill == capacity { try flush() }
            let n = min(bytes.count - done, capacity - fill)
            bytes.withUnsafeBytes { (buffer + fill).copyMemory(from: $0.baseAddress! + done, byteCount: n) }
            fill += n; done += n
        }
    }

    func copy(from src: Int32, offset: Int, length: Int) throws {
        var done = 0
        while done < length {
            if fill == capacity { try flush() }
            let want = min(length - done, capacity - fill)
            let r = pread(src, buffer + fill, want, off_t(offset + done))
            if r < 0 {
                if errno == EINTR { continue }
                throw OlleeyError.failure("cannot read the samples to append: \(String(cString: strerror(errno)))")
            }
            if r == 0 { throw OlleeyError.failure("the samples to append end early") }
            fill += r; done += r
        }
    }
}
