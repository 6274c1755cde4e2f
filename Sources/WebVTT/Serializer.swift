// Writing WebVTT: with `.preserve` a parsed canonical file comes back byte for byte; the options
// normalize only what they name.

/// What `WebVTTSerializer` normalizes. The default (`.preserve`) changes nothing.
public struct FormatOptions: Hashable, Sendable {
    /// Write every timestamp as `hh:mm:ss.ttt` (hours always present).
    public var timestampsWithHours: Bool = false
    /// Write every timing line canonically: `start --> end settings` with single spaces.
    public var canonicalTimingLines: Bool = false
    /// Line terminator to write; `nil` keeps the document's.
    public var lineEnding: LineEnding? = nil
    /// Renumber cue identifiers 1, 2, 3, ...
    public var renumberIds: Bool = false
    /// Leave out `NOTE` blocks.
    public var stripNotes: Bool = false
    /// Leave out blocks a browser ignores (text without a timing line, broken cues, ...).
    public var dropIgnoredBlocks: Bool = false
    /// Exactly one blank line between blocks and one line terminator at the end.
    public var normalizeBlankLines: Bool = false
    /// Leave out the legacy header metadata lines after `WEBVTT`.
    public var stripHeaderMetadata: Bool = false
    /// Whether to write a BOM: `nil` keeps the document's choice.
    public var byteOrderMark: Bool? = nil

    public init(timestampsWithHours: Bool = false, canonicalTimingLines: Bool = false,
                lineEnding: LineEnding? = nil, renumberIds: Bool = false, stripNotes: Bool = false,
                dropIgnoredBlocks: Bool = false, normalizeBlankLines: Bool = false,
                stripHeaderMetadata: Bool = false, byteOrderMark: Bool? = nil) {
        self.timestampsWithHours = timestampsWithHours
        self.canonicalTimingLines = canonicalTimingLines
        self.lineEnding = lineEnding
        self.renumberIds = renumberIds
        self.stripNotes = stripNotes
        self.dropIgnoredBlocks = dropIgnoredBlocks
        self.normalizeBlankLines = normalizeBlankLines
        self.stripHeaderMetadata = stripHeaderMetadata
        self.byteOrderMark = byteOrderMark
    }

    /// Change nothing: a parsed file is written back as it was read.
    public static let preserve = FormatOptions()

    /// A tidy file: hours in every timestamp, canonical timing lines, LF, single blank lines,
    /// ignored blocks dropped, no BOM (ids, notes and header metadata kept).
    public static let canonical = FormatOptions(timestampsWithHours: true, canonicalTimingLines: true,
                                                lineEnding: .lf, dropIgnoredBlocks: true,
                                                normalizeBlankLines: true, byteOrderMark: false)
}

/// Writes WebVTT documents.
public enum WebVTTSerializer {
    /// The document as a string.
    public static func serialize(_ doc: WebVTTDocument, options: FormatOptions = .preserve) -> String {
        var w = Writer(doc: doc, options: options)
        w.write()
        return w.out.toString()
    }

    /// The document as UTF-8 bytes.
    public static func serializeBytes(_ doc: WebVTTDocument, options: FormatOptions = .preserve) -> [UInt8] {
        var w = Writer(doc: doc, options: options)
        w.write()
        return w.out.toArray()
    }

    /// Calls `body` with the serialized bytes without copying them into an array (for writing a
    /// file directly).
    public static func withSerializedBytes<R>(_ doc: WebVTTDocument, options: FormatOptions = .preserve,
                                              _ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        var w = Writer(doc: doc, options: options)
        w.write()
        return try body(w.out.buffer)
    }

    /// Streams the serialized bytes to `sink` in chunks of about `chunkSize` bytes, so that a
    /// large file is written with a small, reused buffer (the fastest way to write to a file).
    public static func write(_ doc: WebVTTDocument, options: FormatOptions = .preserve, chunkSize: Int = 1 << 18,
                             to sink: (UnsafeBufferPointer<UInt8>) -> Void) {
        var w = Writer(doc: doc, options: options, capacity: max(chunkSize, 4096) + 4096)
        w.write(flushAt: max(chunkSize, 4096), sink: sink)
    }

    /// Writes a single timing line the way the serializer would.
    public static func timingLine(_ cue: Cue, options: FormatOptions = .preserve) -> String {
        var w = Writer(doc: WebVTTDocument(), options: options)
        w.writeTiming(cue)
        return w.out.toString()
    }

    struct Writer: ~Copyable {
        let doc: WebVTTDocument
        let options: FormatOptions
        let le: LineEnding
        var out: ByteWriter

        init(doc: WebVTTDocument, options: FormatOptions, capacity: Int? = nil) {
            self.doc = doc
            self.options = options
            self.le = options.lineEnding ?? doc.lineEnding
            if let c = capacity {
                self.out = ByteWriter(capacity: c)
            } else {
                var estimate = 64 + doc.cues.count * 48
                for i in doc.cues.indices { estimate &+= doc.cues[i].textByteCount &+ doc.cues[i].settingsByteCount }
                self.out = ByteWriter(capacity: estimate + estimate / 8)
            }
        }

        @inline(__always) mutating func newline() {
            switch le {
            case .lf: out.append(0x0A)
            case .crlf: out.append(0x0D, 0x0A)
            case .cr: out.append(0x0D)
            }
        }

        /// Writes the document; with a sink, hands over the bytes whenever `flushAt` is reached
        /// (and at the end), reusing the buffer.
        mutating func write(flushAt: Int = Int.max, sink: (UnsafeBufferPointer<UInt8>) -> Void = { _ in }) {
            let streaming = flushAt != Int.max
            if options.byteOrderMark ?? doc.hasBOM { out.append(0xEF); out.append(0xBB); out.append(0xBF) }
            out.append("WEBVTT" as StaticString)
            appendSingleLine(doc.header)
            if let hb = doc.headerBlock, !options.stripHeaderMetadata, !hb.isEmpty {
                newline()
                appendLines(hb, dropArrows: true)
            }
            // Interleave blocks with cues by their anchors.
            var blocks = doc.blocks
            var sorted = true
            for k in 1..<max(blocks.count, 1) where blocks[k].cueIndex < blocks[k - 1].cueIndex { sorted = false; break }
            if !sorted {
                blocks = blocks.enumerated().sorted { a, b in
                    a.element.cueIndex != b.element.cueIndex ? a.element.cueIndex < b.element.cueIndex : a.offset < b.offset
                }.map { $0.element }
            }
            var bi = 0
            var number = 0
            let fastPossible = le == .lf && !options.renumberIds && !options.canonicalTimingLines
                && !options.timestampsWithHours
            let src: SourceBytes = doc.source ?? SourceBytes([])
            let srcAddress = Unmanaged.passUnretained(src).toOpaque()
            src.bytes.withUnsafeBufferPointer { sb in
                guard let sbase = sb.baseAddress ?? UnsafePointer<UInt8>(bitPattern: 1) else { return }
                doc.cues.withUnsafeBufferPointer { cues in
                    for ci in 0..<cues.count {
                        while bi < blocks.count, blocks[bi].cueIndex <= ci {
                            writeBlock(blocks[bi])
                            bi += 1
                        }
                        number += 1
                        if streaming, out.count >= flushAt {
                            sink(out.buffer)
                            out.reset()
                        }
                        if fastPossible, cues[ci].overrides == nil, cues[ci].sourceAddress == srcAddress {
                            // Fast path: a parsed cue, untouched apart from its times.
                            let idS = Int(cues[ci].idStart), idE = Int(cues[ci].idEnd)
                            separator(Int(cues[ci].blankLinesBefore), safeWithoutBlank: idE <= idS)
                            if idE > idS {
                                out.append(UnsafeBufferPointer(start: sbase + idS, count: idE - idS))
                                out.append(0x0A)
                            }
                            out.appendTimestamp(cues[ci].startMs,
                                                hourDigits: cues[ci].startEdited ? 2 : Int(cues[ci].startHourDigits))
                            out.append(" --> " as StaticString)
                            out.appendTimestamp(cues[ci].endMs,
                                                hourDigits: cues[ci].endEdited ? 2 : Int(cues[ci].endHourDigits))
                            let ss = Int(cues[ci].settingsStart), se = Int(cues[ci].settingsEnd)
                            if se > ss {
                                out.append(0x20)
                                out.append(UnsafeBufferPointer(start: sbase + ss, count: se - ss))
                            }
                            let ts = Int(cues[ci].textStart), te = Int(cues[ci].textEnd)
                            if te > ts {
                                out.append(0x0A)
                                out.append(UnsafeBufferPointer(start: sbase + ts, count: te - ts))
                            }
                            continue
                        }
                        separator(Int(cues[ci].blankLinesBefore), safeWithoutBlank: cues[ci].idIsEmpty && !options.renumberIds)
                        writeCue(cues[ci], number: number)
                    }
                }
            }
            while bi < blocks.count {
                writeBlock(blocks[bi])
                bi += 1
            }
            let trailing = options.normalizeBlankLines ? 1 : doc.trailingLineBreaks
            for _ in 0..<max(0, trailing) { newline() }
            if streaming, out.count > 0 {
                sink(out.buffer)
                out.reset()
            }
        }

        mutating func separator(_ blankIn: Int, safeWithoutBlank: Bool) {
            var blank = options.normalizeBlankLines ? 1 : blankIn
            if blank < 1 && !safeWithoutBlank { blank = 1 }
            newline()
            for _ in 0..<max(0, blank) { newline() }
        }

        mutating func writeBlock(_ b: Block) {
            switch b.kind {
            case .note: if options.stripNotes { return }
            case .ignored: if options.dropIgnoredBlocks { return }
            case .region, .style: break
            }
            separator(Int(b.blankLinesBefore), safeWithoutBlank: false)
            appendLines(b.raw, dropArrows: b.kind != .ignored)
        }

        mutating func writeCue(_ cue: Cue, number: Int) {
            if options.renumberIds {
                out.appendDecimal(Int64(number))
                newline()
            } else if !cue.idIsEmpty {
                cue.withIDBytes { appendSingleLine($0) }
                newline()
            }
            writeTiming(cue)
            cue.withTextBytes { p, clean in
                guard p.count > 0 else { return }
                newline()
                if clean && le == .lf {
                    out.append(p)
                } else {
                    appendCueText(p)
                }
            }
        }

        mutating func writeTiming(_ cue: Cue) {
            let untouched = !cue.startEdited && !cue.endEdited
            if untouched, !options.canonicalTimingLines, !options.timestampsWithHours, let raw = cue.rawTimingLine {
                out.append(raw)
                return
            }
            out.appendTimestamp(cue.startMs, hourDigits: hourDigits(cue.startEdited, cue.startHourDigits))
            out.append(" --> " as StaticString)
            out.appendTimestamp(cue.endMs, hourDigits: hourDigits(cue.endEdited, cue.endHourDigits))
            cue.withSettingsBytes { p in
                guard p.count > 0 else { return }
                out.append(0x20)
                appendSingleLine(p)
            }
        }

        @inline(__always)
        func hourDigits(_ edited: Bool, _ written: UInt8) -> Int {
            if edited { return 2 }
            if options.timestampsWithHours { return max(2, Int(written)) }
            return Int(written)
        }

        /// A value that must stay on one line (id, header, settings): line breaks become spaces.
        mutating func appendSingleLine(_ s: String) {
            var str = s
            str.withUTF8 { p in appendSingleLine(p) }
        }

        mutating func appendSingleLine(_ p: UnsafeBufferPointer<UInt8>) {
            guard let base = p.baseAddress, p.count > 0 else { return }
            if memchr(base, 0x0A, p.count) == nil && memchr(base, 0x0D, p.count) == nil {
                out.append(p)
                return
            }
            for b in p { out.append(b == 0x0A || b == 0x0D ? 0x20 : b) }
        }

        mutating func appendLines(_ s: String, dropArrows: Bool) {
            var str = s
            str.withUTF8 { p in appendLines(p, dropArrows: dropArrows) }
        }

        /// Multi-line text with `\n` written as the chosen line terminator. With `dropArrows`,
        /// `-->` is defused (`--&gt;`) and empty lines are left out so the block stays one block.
        mutating func appendLines(_ p: UnsafeBufferPointer<UInt8>, dropArrows: Bool) {
            let n = p.count
            guard n > 0 else { return }
            var lineStart = 0
            var first = true
            while lineStart <= n {
                var e = lineStart
                while e < n, p[e] != 0x0A, p[e] != 0x0D { e += 1 }
                let isEmpty = e == lineStart
                if !(dropArrows && isEmpty) {
                    if !first { newline() }
                    first = false
                    if dropArrows, arrowIndex(p, lineStart, e) >= 0 {
                        var k = lineStart
                        while k < e {
                            if k + 2 < e, p[k] == 0x2D, p[k + 1] == 0x2D, p[k + 2] == 0x3E {
                                out.append("--&gt;" as StaticString)
                                k += 3
                            } else {
                                out.append(p[k]); k += 1
                            }
                        }
                    } else {
                        out.append(UnsafeBufferPointer(rebasing: p[lineStart..<e]))
                    }
                }
                if e >= n { break }
                lineStart = e + ((p[e] == 0x0D && e + 1 < n && p[e + 1] == 0x0A) ? 2 : 1)
                if lineStart >= n { break }
            }
        }

        mutating func appendCueText(_ p: UnsafeBufferPointer<UInt8>) {
            appendLines(p, dropArrows: true)
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#elseif canImport(Musl)
import Musl
#endif
