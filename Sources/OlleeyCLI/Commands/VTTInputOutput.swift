import Foundation
import OlleeyKit
import WebVTT

/// Reading subtitle files and standard input, and writing results, for the vtt commands.
extension VTTCommands {
    // MARK: reading and writing

    /// Reads a file argument with a size limit (a 2 GB file is refused with a clear error). The
    /// bytes are read straight into the array the parser shares (no staging copy).
    static func read(_ ctx: Context, _ p: String) throws -> [UInt8] {
        if p != "-" {
            var st = stat()
            if stat(ctx.path(p), &st) == 0, (st.st_mode & S_IFMT) == S_IFREG {
                if st.st_size > maxInputBytes {
                    throw OlleeyError.invalid("\(p) is \(Int(st.st_size) / (1 << 20)) MiB; olleey reads subtitle files up to \(maxInputBytes >> 20) MiB")
                }
                prepareHeapForLargeInput(bytes: Int(st.st_size))
            }
        }
        let b = try ctx.readInput(p)
        if b.count > maxInputBytes { throw OlleeyError.invalid("input is larger than \(maxInputBytes >> 20) MiB") }
        return b
    }

    typealias Mallopt = @Sendable @convention(c) (Int32, Int32) -> Int32

    /// Prepares the heap of a short-lived process that is about to read and parse an input of
    /// `bytes` (a multi-megabyte subtitle file): large blocks then come from one pre-grown part of
    /// the heap that asks the kernel for transparent huge pages, so building a document of
    /// 100,000s of cues takes one page fault per 2 MiB instead of one per 4 KiB (about 10 ms less
    /// per 20 MB). glibc on Linux only; a no-op below 8 MiB, elsewhere, or when THP is off. It
    /// changes the process's malloc settings for good (big blocks are not given back to the
    /// system until exit), which suits a command that exits when it is done.
    static func prepareHeapForLargeInput(bytes: Int) {
        #if os(Linux)
        guard bytes >= 8 << 20, bytes < 1 << 30,
              let sym = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") else { return }
        let mallopt = unsafeBitCast(sym, to: Mallopt.self)
        let pad = Int32(min(bytes * 4 + (16 << 20), Int(Int32.max / 2)))
        // M_MMAP_MAX = -4, M_TRIM_THRESHOLD = -1, M_TOP_PAD = -2
        guard mallopt(-4, 0) == 1 else { return }
        _ = mallopt(-1, Int32.max)
        _ = mallopt(-2, pad)
        guard let before = sbrk(0) else { return }
        // One allocation larger than what is left on top grows the heap by it plus the pad. It is
        // made through the looked-up symbols: the optimizer removes a visible malloc+free pair.
        guard let m = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc"),
              let f = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "free") else { return }
        let allocate = unsafeBitCast(m, to: (@convention(c) (Int) -> UnsafeMutableRawPointer?).self)
        let release = unsafeBitCast(f, to: (@convention(c) (UnsafeMutableRawPointer?) -> Void).self)
        guard let probe = allocate(1 << 20) else { return }
        release(probe)
        guard let after = sbrk(0) else { return }
        let huge = 2 << 20
        let start = (Int(bitPattern: before) + huge - 1) & ~(huge - 1)
        let end = Int(bitPattern: after) & ~(huge - 1)
        guard end > start, let p = UnsafeMutableRawPointer(bitPattern: start) else { return }
        _ = madvise(p, end - start, 14) // MADV_HUGEPAGE
        #endif
    }

    static func name(_ p: String) -> String { p == "-" ? "<stdin>" : p }

    /// Parses a subtitle file in any format olleey reads (WebVTT, SRT, TTML, ASS/SSA, SBV) by the
    /// one sniffing rule (`SubtitleFormat.sniff`), or as `format` (`vtt`, `srt`, `ttml`, `ass`,
    /// `ssa`, `sbv`) when given; in the encoding `--encoding` names, when the command has it.
    static func load(_ ctx: Context, _ p: String, mode: ParseMode = .browser, format: String? = nil) throws -> (WebVTTDocument, [Diagnostic]) {
        let bytes = try read(ctx, p)
        let forced: SubtitleFormat? = format.map { SubtitleFormat.fromExtension("." + $0) ?? .webvtt }
        let r = try SubtitleLoader.parse(bytes, name: p == "-" ? nil : p, mode: mode, format: forced, encoding: try encoding(ctx))
        return (r.document, r.diagnostics)
    }

    /// `--encoding NAME`: the input's character encoding, over its byte-order mark.
    static let encodingOption = OptionSpec.option("encoding", "NAME", "the input's character encoding, over its byte-order mark (utf-8, utf-16le, utf-16be, utf-32le, utf-32be, windows-1252, iso-8859-1)")

    /// The encoding `--encoding` names, or nil; an unknown name is a usage error (64).
    static func encoding(_ ctx: Context) throws -> TextEncoding? {
        guard let n = ctx.args.string("encoding") else { return nil }
        guard let e = TextEncoding(name: n) else {
            throw OlleeyError.usage("unknown encoding '\(n)'", hint: "one of: " + TextEncoding.names.joined(separator: ", "))
        }
        return e
    }

    /// Where output goes: the absolute path of `-o FILE`, or nil for standard output.
    static func outputPath(_ ctx: Context) -> String? {
        guard let o = ctx.args.string("output"), o != "-" else { return nil }
        return ctx.path(o)
    }

    /// Streams what `produce` hands to its sink, chunk by chunk, to `-o FILE` (a temporary file
    /// renamed over it at the end: atomic) or to standard output.
    static func stream(_ ctx: Context, _ produce: (_ sink: (UnsafeRawBufferPointer) -> Void) throws -> Void) throws {
        if let path = outputPath(ctx) {
            try FileIO.writeAtomically(path) { write in try withoutActuallyEscaping(write) { try produce($0) } }
        } else {
            try produce { ctx.stdout.write(bytes: $0) }
        }
    }

    static func write(_ ctx: Context, _ bytes: [UInt8]) throws {
        try stream(ctx) { sink in bytes.withUnsafeBytes { sink($0) } }
    }

    static func write(_ ctx: Context, _ text: String) throws {
        var t = text
        try stream(ctx) { sink in t.withUTF8 { sink(UnsafeRawBufferPointer($0)) } }
    }

    /// Serializes with the library's streaming writer: a small reused buffer, flushed in chunks,
    /// so a large file never exists twice in memory. Once written, a large document is freed on a
    /// background thread while the output file is synced and renamed (a CLI process then does not
    /// wait for 100,000s of cues to be released before it exits).
    static func writeDoc(_ ctx: Context, _ doc: consuming WebVTTDocument, options: FormatOptions = .preserve) throws {
        let large = doc.cues.count >= 20_000
        let held = Disposable(consume doc)
        try stream(ctx) { sink in
            if let d = held.value {
                WebVTTSerializer.write(d, options: options) { chunk in sink(UnsafeRawBufferPointer(chunk)) }
            }
            if large { held.freeInBackground() }
        }
    }

    /// `file:line:col: ` (or `file:line: `, or `file: ` for a diagnostic about the whole file).
    static func location(_ file: String, _ d: Diagnostic) -> String {
        guard d.line > 0 else { return name(file) + ": " }
        return d.column > 0 ? "\(name(file)):\(d.line):\(d.column): " : "\(name(file)):\(d.line): "
    }
}
