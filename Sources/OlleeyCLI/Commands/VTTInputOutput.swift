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
        let r = try loadFile(ctx, p, mode: mode, format: format)
        return (r.document, r.diagnostics)
    }

    /// `load`, also saying which format the file was read as.
    static func loadFile(_ ctx: Context, _ p: String, mode: ParseMode = .browser, format: String? = nil) throws -> SubtitleLoader.Loaded {
        let bytes = try read(ctx, p)
        let forced: SubtitleFormat? = format.map { SubtitleFormat.fromExtension("." + $0) ?? .webvtt }
        return try SubtitleLoader.parse(bytes, name: p == "-" ? nil : p, mode: mode, format: forced, encoding: try encoding(ctx))
    }

    // MARK: the output format and the --json result of the file commands

    /// `--to FORMAT` of the file commands that write subtitles.
    static let toOption = OptionSpec.option("to", "FORMAT", "output format: vtt, srt, ttml (imsc1) or ebu-tt-d (default: -o's extension, else the input's format)",
                                            type: .choice(SubtitleOutputFormat.names))

    /// The format to write: `--to` (or `override`), else `-o`'s extension, else the input's.
    static func outputFormat(_ ctx: Context, input: SubtitleFormat?, override: String? = nil) -> SubtitleOutputFormat {
        let forced = (override ?? ctx.args.string("to")).flatMap(SubtitleOutputFormat.init(name:))
        return SubtitleOutputFormat.choose(override: forced, outputPath: outputPath(ctx), input: input)
    }

    /// Reader diagnostics as warning lines (`file:line:col: message`).
    static func warningLines(_ p: String, _ diagnostics: [Diagnostic]) -> [String] {
        diagnostics.filter { $0.severity == .warning }.map { location(p, $0) + $0.message }
    }

    /// Writes `doc` in `format` to `-o` or standard output, then reports: with --json, one JSON
    /// result `{"output", "format", "input_format", "cues", "warnings", ...extra}` (with no -o,
    /// the written text is its `"content"` instead of going to standard output); without, the
    /// warnings on standard error.
    static func writeResult(_ ctx: Context, _ doc: consuming WebVTTDocument, format: SubtitleOutputFormat, input: SubtitleFormat?,
                            options: FormatOptions = .preserve, warnings: [String], extra: [(String, JSON)] = []) throws {
        let count = doc.cues.count
        var warnings = warnings
        var text: String?
        switch format {
        case .vtt:
            if ctx.json && outputPath(ctx) == nil { text = WebVTTSerializer.serialize(doc, options: options) } else { try writeDoc(ctx, consume doc, options: options) }
        case .srt: text = SRT.serialize(doc, lineEnding: options.lineEnding)
        case .imsc1, .ebuttd:
            let (xml, w) = TTMLExport.export(doc, profile: format == .ebuttd ? .ebuttd : .imsc1, lang: ctx.args.string("lang") ?? "und")
            warnings += w
            text = xml
        }
        let content = ctx.json && outputPath(ctx) == nil
        if let t = text, !content { try write(ctx, t) }
        guard ctx.json else {
            for w in warnings { ctx.warn(w) }
            return
        }
        var fields: [(String, JSON)] = [("output", ctx.args.string("output").flatMap { $0 == "-" ? nil : JSON.string($0) } ?? .null),
                                        ("format", .string(format.rawValue)),
                                        ("input_format", input.map { .string($0 == .webvtt ? "vtt" : $0.rawValue) } ?? .null),
                                        ("cues", .int(Int64(count))),
                                        ("warnings", .array(warnings.map { .string($0) }))]
        fields += extra
        if content { fields.append(("content", .string(text ?? ""))) }
        try ctx.printJSON(.object(fields))
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
