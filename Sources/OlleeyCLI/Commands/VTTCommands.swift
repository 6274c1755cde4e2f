import Foundation
import OlleeyKit
import WebVTT

/// olleey vtt ...: parse, fix, retime, compare and convert subtitles, on files and on job tracks.
enum VTTCommands {
    static let fileArg = ArgumentSpec("FILE", "a WebVTT file, or - for standard input", completion: .files(["vtt", "srt"]))
    static let output = OptionSpec.option("output", short: "o", "FILE", "write here (atomically) instead of standard output", type: .path)
    static let maxInputBytes = 1 << 30

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

    /// Parses a subtitle file: WebVTT, or SRT when the name or the content says so.
    static func load(_ ctx: Context, _ p: String, mode: ParseMode = .browser, format: String? = nil) throws -> (WebVTTDocument, [Diagnostic]) {
        let bytes = try read(ctx, p)
        let isSRT = format == "srt" || (format == nil && (p.lowercased().hasSuffix(".srt") || looksLikeSRT(bytes)))
        if isSRT {
            let r = SRT.parse(bytes)
            return (r.document, r.diagnostics)
        }
        let r = WebVTTParser.parse(bytes, mode: mode)
        if r.rejected {
            let d = r.diagnostics.first(where: { $0.severity == .error }) ?? r.diagnostics.first
            throw OlleeyError.invalid("\(name(p)):\(d?.line ?? 1):\(d?.column ?? 1): \(d?.message ?? "not a WebVTT file")",
                                      hint: "a WebVTT file starts with the line WEBVTT")
        }
        return (r.document, r.diagnostics)
    }

    static func looksLikeSRT(_ b: [UInt8]) -> Bool {
        var i = 0
        if b.count >= 3, b[0] == 0xEF, b[1] == 0xBB, b[2] == 0xBF { i = 3 }
        if b.count >= i + 6, Array(b[i..<(i + 6)]) == Array("WEBVTT".utf8) { return false }
        // an index line or a timing line with a comma
        let head = String(decoding: b.prefix(i + 200).dropFirst(i), as: UTF8.self)
        return head.contains(",") && head.contains("-->")
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

    // MARK: file commands

    static let parse: CommandSpec = CommandSpec(
        "parse", "parse a WebVTT file as a browser would (or --strict) and print its cues",
        discussion: "Browser mode follows the W3C WebVTT parser algorithm: the cues are exactly the ones a browser exposes, and what a browser would silently drop is reported as warnings (file:line:col on stderr, severity \"warning\" in --json); the exit status is 0. --strict reports every deviation as an error and exits 65 when there is any. A file without the WEBVTT signature exits 65 in both modes.",
        examples: ["olleey vtt parse in.vtt --json", "olleey vtt parse in.vtt --strict", "cat in.vtt | olleey vtt parse - --json"],
        arguments: [fileArg],
        options: [.flag("strict", "report every deviation from the spec as an error; exit 65 on errors")]
    ) { ctx in
        let p = ctx.args.positionals[0]
        let bytes = try read(ctx, p)
        let strict = ctx.args.has("strict")
        // The strict parser gives the same document as the browser one, plus a diagnostic for each
        // deviation; in browser mode those are warnings (a browser drops them and goes on).
        let r = WebVTTParser.parse(bytes, mode: .strict)
        var diagnostics = r.diagnostics
        if !strict && !r.rejected {
            for i in diagnostics.indices { diagnostics[i].severity = .warning }
        }
        let errors = diagnostics.reduce(0) { $0 + ($1.severity == .error ? 1 : 0) }
        if ctx.json {
            ctx.stdout.write(WebVTTJSON.encodeBytes(r.document, diagnostics: diagnostics, rejected: r.rejected))
            ctx.stdout.write("\n")
        } else if !r.rejected {
            ctx.stdout.write("\(r.document.cues.count) cues, \(r.document.regions.count) regions, \(r.document.styles.count) styles, \(diagnostics.count) diagnostics\n")
        }
        for d in diagnostics where !ctx.json || d.severity == .error {
            ctx.stderr.line(location(p, d) + "\(d.severity.rawValue): \(d.message)")
        }
        if r.rejected {
            throw OlleeyError.invalid("\(name(p)) is not a WebVTT file", hint: "a WebVTT file starts with the line WEBVTT")
        }
        if errors > 0 {
            throw OlleeyError.invalid("\(name(p)): \(errors) error(s) in strict mode", hint: "without --strict, a browser would still show \(r.document.cues.count) cue(s)")
        }
        return 0
    }

    static let fmt: CommandSpec = CommandSpec(
        "fmt", "write a file back, byte for byte, normalizing only what is asked",
        examples: ["olleey vtt fmt in.vtt | cmp - in.vtt", "olleey vtt fmt in.vtt --hours --canonical --lf -o out.vtt", "olleey vtt fmt in.vtt --renumber --strip-notes"],
        arguments: [fileArg],
        options: [output,
                  .flag("hours", "write every timestamp with hours (hh:mm:ss.ttt)"),
                  .flag("canonical", "canonical timing lines: start --> end with one space around the arrow (settings are kept as written)"),
                  .option("line-ending", "EOL", "line terminator", type: .choice(["lf", "crlf", "cr"])),
                  .flag("renumber", "renumber cue ids 1, 2, 3..."),
                  .flag("strip-notes", "leave out NOTE blocks"),
                  .flag("drop-ignored", "leave out blocks a browser ignores"),
                  .flag("normalize", "one blank line between blocks, one newline at the end")]
    ) { ctx in
        let p = ctx.args.positionals[0]
        let (doc, _) = try load(ctx, p)
        var o = FormatOptions()
        o.timestampsWithHours = ctx.args.has("hours")
        o.canonicalTimingLines = ctx.args.has("canonical")
        o.lineEnding = ctx.args.string("line-ending").flatMap(LineEnding.init(rawValue:))
        o.renumberIds = ctx.args.has("renumber")
        o.stripNotes = ctx.args.has("strip-notes")
        o.dropIgnoredBlocks = ctx.args.has("drop-ignored")
        o.normalizeBlankLines = ctx.args.has("normalize")
        try writeDoc(ctx, consume doc, options: o)
        return 0
    }

    static let lint: CommandSpec = CommandSpec(
        "lint", "check timing and readability against a profile (netflix, default); exit 1 on errors",
        discussion: "Checks order, overlap, empty cues, line count, line length, reading speed (characters per second), minimum and maximum duration, the gap between cues, and invalid settings. The netflix profile follows the Netflix Timed Text Style Guide per language (--lang). --set overrides a limit (keys: max_chars_per_line, max_lines, min_duration_ms, max_duration_ms, max_cps, min_gap_frames, frame_rate; severity=error|warning says how limits are reported: the netflix profile reports errors, the default profile warnings). --fix repairs the safe ones (order, overlaps, gaps) and writes the file.",
        examples: ["olleey vtt lint in.vtt --profile netflix --lang en --json", "olleey vtt lint in.vtt --format csv > findings.csv",
                   "olleey vtt lint in.vtt --profile netflix --lang de --set max_cps=15", "olleey vtt lint in.vtt --fix -o fixed.vtt"],
        arguments: [fileArg],
        options: [.option("profile", "NAME", "netflix or default (default: config lint.profile)", type: .choice(["netflix", "default"])),
                  .option("lang", "LANG", "language of the subtitles (picks the profile's limits)"),
                  .flag("children", "children's reading speed (netflix)"),
                  .option("fps", "RATE", "frame rate for the gap rule", type: .double),
                  .option("set", "KEY=VALUE", "override a limit (repeatable)", repeatable: true),
                  .option("format", "FORMAT", "text, json or csv", type: .choice(["text", "json", "csv"])),
                  .flag("fix", "fix the safe findings and write the result (stdout or -o)"),
                  output]
    ) { ctx in
        let p = ctx.args.positionals[0]
        let profileName = ctx.args.string("profile") ?? (try? ConfigStore(ctx.database()).value("lint.profile")) ?? "default"
        let lang = ctx.args.string("lang")
        guard let profile = LintProfile.named(profileName, lang: lang, children: ctx.args.has("children"), frameRate: ctx.args.double("fps") ?? 24) else {
            throw OlleeyError.usage("unknown lint profile '\(profileName)'", hint: "profiles: netflix, default")
        }
        let overrides: LintOverrides
        do { overrides = try LintOverrides.parse(ctx.args.all("set")) } catch { throw OlleeyError.usage("\(error)", hint: "keys: \(LintOverrides.keys.joined(separator: ", "))") }
        let (doc, _) = try load(ctx, p)
        if ctx.args.has("fix") {
            let (fixed, n) = Lint.fix(doc, profile: profile, overrides: overrides)
            let after = Lint.report(fixed, profile: profile, overrides: overrides)
            try writeDoc(ctx, fixed)
            ctx.note("fixed \(n) finding(s); \(after.errors) error(s), \(after.warnings) warning(s) left")
            return after.errors > 0 ? 1 : 0
        }
        let report = Lint.report(doc, profile: profile, overrides: overrides)
        let format = ctx.json ? "json" : (ctx.args.string("format") ?? "text")
        switch format {
        case "json":
            ctx.stdout.write(Lint.json(report.findings, profile: report.profile))
            ctx.stdout.write("\n")
        case "csv": ctx.stdout.write(Lint.csv(report.findings))
        default:
            for f in report.findings {
                ctx.stdout.write("\(name(p)):\(f.line): \(f.severity.rawValue): \(f.message) [\(f.rule.rawValue)]\n")
            }
            if !ctx.quiet { ctx.stderr.line("\(report.errors) error(s), \(report.warnings) warning(s) (profile \(profile.name)\(lang.map { ", " + $0 } ?? ""))") }
        }
        return report.errors > 0 ? 1 : 0
    }

    static func timeRange(_ ctx: Context) throws -> WebVTT.TimeRange? {
        let from = ctx.args.duration("from"), to = ctx.args.duration("to")
        if from == nil && to == nil { return nil }
        let a = from ?? 0, b = to ?? Int64.max
        guard b > a else { throw OlleeyError.usage("--to must be after --from") }
        return WebVTT.TimeRange(startMs: a, endMs: b)
    }

    /// `--cues N` or `--cues N-M` (1-based, inclusive) as 0-based indices. M past the last cue
    /// means "to the end"; N past it is an error (there is nothing to move).
    static func cueRange(_ ctx: Context, count: Int) throws -> ClosedRange<Int>? {
        guard let s = ctx.args.string("cues") else { return nil }
        let parts = s.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false).map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard let a = parts.first ?? nil, a >= 1, parts.count == 1 || parts[1] != nil else {
            throw OlleeyError.usage("--cues takes N or N-M (1-based), got '\(s)'", hint: "e.g. --cues 5-12")
        }
        let b = parts.count > 1 ? (parts[1] ?? a) : a
        guard b >= a else { throw OlleeyError.usage("--cues takes N or N-M with M >= N, got '\(s)'") }
        guard a <= count else {
            throw OlleeyError.usage("--cues \(s): the file has \(count == 0 ? "no cues" : count == 1 ? "1 cue" : "\(count) cues")")
        }
        return (a - 1)...(min(b, count) - 1)
    }

    static let shift: CommandSpec = CommandSpec(
        "shift", "move cues earlier or later (all, a time range, or a cue range); clamps at zero",
        examples: ["olleey vtt shift in.vtt --by -1.5s -o out.vtt", "cat in.vtt | olleey vtt shift - --by 250ms",
                   "olleey vtt shift in.vtt --by 2s --from 10:00 --to 20:00", "olleey vtt shift in.vtt --by -300ms --cues 5-12"],
        arguments: [fileArg],
        options: [.option("by", "DURATION", "how much (1.5s, -250ms, 00:00:01.200)", type: .duration),
                  .option("from", "TIME", "only cues starting at or after TIME", type: .duration),
                  .option("to", "TIME", "only cues starting before TIME", type: .duration),
                  .option("cues", "N-M", "only cues N to M (1-based)"),
                  output]
    ) { ctx in
        guard let by = ctx.args.duration("by") else { throw OlleeyError.usage("'olleey vtt shift' needs --by DURATION", hint: "e.g. --by -1.5s") }
        let range = try timeRange(ctx)
        let (doc, _) = try load(ctx, ctx.args.positionals[0])
        let cues = try cueRange(ctx, count: doc.cues.count)
        // consume: the cue array is moved into the shift, not copied
        try writeDoc(ctx, Timing.shift(consume doc, byMs: by, range: range, cues: cues))
        return 0
    }

    static let scale: CommandSpec = CommandSpec(
        "scale", "stretch timings linearly (--factor) or convert frame rates (--fps FROM:TO)",
        examples: ["olleey vtt scale in.vtt --fps 25:23.976", "olleey vtt scale in.vtt --factor 1.001 -o out.vtt"],
        arguments: [fileArg],
        options: [.option("factor", "F", "multiply every time by F", type: .double),
                  .option("fps", "FROM:TO", "frame-rate conversion, e.g. 25:23.976"),
                  output]
    ) { ctx in
        // the options are checked before the file is read: a usage error is 64 whatever the input
        enum How { case fps(Double, Double), factor(Double) }
        let how: How
        if let f = ctx.args.string("fps") {
            let p = f.split(separator: ":", omittingEmptySubsequences: false).map { Double($0) }
            guard p.count == 2, let a = p[0], let b = p[1], a.isFinite, b.isFinite, a > 0, b > 0 else {
                throw OlleeyError.usage("--fps takes FROM:TO, e.g. 25:23.976 (got '\(f)')")
            }
            how = .fps(a, b)
        } else if let factor = ctx.args.double("factor") {
            guard factor > 0 else { throw OlleeyError.usage("--factor must be a positive number (got \(formatNumber(factor)))") }
            how = .factor(factor)
        } else {
            throw OlleeyError.usage("'olleey vtt scale' needs --factor F or --fps FROM:TO", hint: "e.g. --fps 25:23.976")
        }
        let (doc, _) = try load(ctx, ctx.args.positionals[0])
        let out: WebVTTDocument
        do {
            switch how {
            case let .fps(a, b): out = try Timing.convertFPS(consume doc, from: a, to: b)
            case let .factor(f): out = try Timing.scale(consume doc, factor: f)
            }
        } catch let e as TimingError { throw OlleeyError.usage(e.description) }
        try writeDoc(ctx, out)
        return 0
    }

    static let sync: CommandSpec = CommandSpec(
        "sync", "retime to anchor points, piecewise linear between them (fixes ad breaks and cuts)",
        examples: ["olleey vtt sync in.vtt --map 00:10:00.000=00:10:02.500 --map 00:40:00.000=00:42:31.000",
                   "olleey vtt sync in.vtt --map 1s=2s -o out.vtt"],
        arguments: [fileArg],
        options: [.option("map", "T=T'", "an anchor: time in the file = time it should be (repeatable)", repeatable: true), output]
    ) { ctx in
        let maps = ctx.args.all("map")
        guard !maps.isEmpty else { throw OlleeyError.usage("'olleey vtt sync' needs at least one --map T=T'") }
        var anchors: [(from: Int64, to: Int64)] = []
        for m in maps {
            let p = m.split(separator: "=", maxSplits: 1).map(String.init)
            guard p.count == 2, let a = Values.duration(p[0]), let b = Values.duration(p[1]) else {
                throw OlleeyError.usage("--map takes TIME=TIME, e.g. 00:10:00.000=00:10:02.500 (got '\(m)')")
            }
            anchors.append((a, b))
        }
        let (doc, _) = try load(ctx, ctx.args.positionals[0])
        do { try writeDoc(ctx, try Timing.sync(doc, anchors: anchors)) } catch let e as TimingError { throw OlleeyError.usage(e.description) }
        return 0
    }

    static let convert: CommandSpec = CommandSpec(
        "convert", "convert between WebVTT, SRT, TTML (IMSC1) and EBU-TT-D",
        discussion: "Reads WebVTT or SRT (detected from the name or content, or --from). TTML output keeps regions and positions where the target can express them, and warns on stderr where it cannot.",
        examples: ["olleey vtt convert in.srt --to vtt", "olleey vtt convert in.vtt --to srt -o out.srt", "olleey vtt convert in.vtt --to imsc1 --lang en -o out.ttml"],
        arguments: [fileArg],
        options: [.option("to", "FORMAT", "output format", type: .choice(["vtt", "srt", "ttml", "imsc1", "ebu-tt-d"])),
                  .option("from", "FORMAT", "input format (default: detected)", type: .choice(["vtt", "srt"])),
                  .option("lang", "LANG", "document language for TTML (xml:lang)"),
                  output]
    ) { ctx in
        guard let to = ctx.args.string("to") else { throw OlleeyError.usage("'olleey vtt convert' needs --to FORMAT", hint: "vtt, srt, ttml, imsc1, ebu-tt-d") }
        let p = ctx.args.positionals[0]
        let (doc, diags) = try load(ctx, p, format: ctx.args.string("from"))
        for d in diags where d.severity == .warning { ctx.warn(location(p, d) + d.message) }
        switch to {
        case "vtt": try writeDoc(ctx, doc)
        case "srt": try write(ctx, SRT.serialize(doc))
        default:
            let (xml, warnings) = TTMLExport.export(doc, profile: to == "ebu-tt-d" ? .ebuttd : .imsc1, lang: ctx.args.string("lang") ?? "und")
            for w in warnings { ctx.warn(w) }
            try write(ctx, xml)
        }
        return 0
    }

    static let cat: CommandSpec = CommandSpec(
        "cat", "merge files into one, cues ordered by start time",
        examples: ["olleey vtt cat part1.vtt part2.vtt -o all.vtt", "olleey vtt cat a.vtt b.srt"],
        arguments: [ArgumentSpec("FILES", "files to merge", variadic: true, completion: .files(["vtt", "srt"]))],
        options: [output]
    ) { ctx in
        let docs = try ctx.args.positionals.map { try load(ctx, $0).0 }
        try writeDoc(ctx, mergeDocuments(docs))
        return 0
    }

    // MARK: job tracks

    static let langOption = OptionSpec.option("lang", short: "l", "LANG", "the track's language")

    static func track(_ ctx: Context) throws -> (Job, String) {
        guard let l = ctx.args.string("lang") else { throw OlleeyError.usage("'\(ctx.commandLine)' needs --lang LANG", hint: "e.g. \(ctx.commandLine) \(ctx.args.positional(0) ?? "JOB") --lang es") }
        let job = try JobCommands.resolve(ctx, ctx.args.positionals[0])
        return (job, try Language.validate(l).code)
    }

    static func author(_ ctx: Context) throws -> String {
        try LocalAuthor.resolve(explicit: ctx.args.string("as"), environment: ctx.environment, config: ConfigStore(try ctx.database()))
    }

    static let asOption = OptionSpec.option("as", "NAME", "who is writing (default: $OLLEEY_USER, the vtt.author or user.email setting, the login name)")

    /// The job's id as printed for a person to copy (its shortest unique prefix).
    static func printed(_ ctx: Context, _ job: Job) -> String { (try? JobStore(ctx.database()).printedId(job.id)) ?? job.id }

    static func versionJSON(_ job: Job, _ lang: String, _ v: Int) -> JSON {
        .object([("job_id", .string(job.id)), ("language", .string(lang)), ("version", .int(Int64(v)))])
    }

    static let importTrack: CommandSpec = CommandSpec(
        "import", "import a subtitle file as a new version of a job's track",
        discussion: "Every cue of an imported track is the importer's: a later re-translation never overwrites it (a cue whose source changes is marked stale instead; see 'olleey vtt retranslate').",
        examples: ["olleey vtt import fixed.es.vtt --job 0193a1b2 --lang es", "olleey vtt import talk.srt --job 0193a1b2 --lang en --json"],
        arguments: [fileArg],
        options: [.option("job", "JOB", "the job"), langOption, .option("message", short: "m", "TEXT", "what changed"),
                  .flag("reopen", "edit an approved (locked) track; it goes back to review"), asOption]
    ) { ctx in
        guard let jid = ctx.args.string("job"), let l = ctx.args.string("lang") else { throw OlleeyError.usage("'olleey vtt import' needs --job JOB and --lang LANG") }
        let job = try JobCommands.resolve(ctx, jid)
        let lang = try Language.validate(l).code
        let p = ctx.args.positionals[0]
        let (doc, _) = try load(ctx, p)
        let v = try TrackService(ctx.database()).importTrack(job: job, language: lang, document: doc, author: author(ctx),
                                                             message: ctx.args.string("message") ?? "imported \(name(p))", reopen: ctx.args.has("reopen"))
        try ctx.emit(versionJSON(job, lang, v)) { "\(lang) track of job \(job.id): version \(v)" }
        return 0
    }

    static let show: CommandSpec = CommandSpec(
        "show", "print a job's track (current or --version)",
        discussion: "Prints the WebVTT. Cues whose source changed since a person wrote them (stale) are listed on standard error. With --json: the parsed track, each cue with its author, whether a person wrote it, and whether it is stale.",
        examples: ["olleey vtt show 0193a1b2 --lang es", "olleey vtt show 0193a1b2 --lang es --version 1 --json"],
        arguments: [JobCommands.jobArg],
        options: [langOption, .option("version", "N", "an earlier version", type: .int)]
    ) { ctx in
        let (job, lang) = try track(ctx)
        let svc = TrackService(try ctx.database())
        let v: TrackVersion
        if let n = ctx.args.int("version") {
            guard let old = try TrackStore(ctx.database()).version(job: job.id, language: lang, kind: try svc.kind(job: job, language: lang), n) else {
                throw OlleeyError.notFound("no version \(n) of the \(lang) track", hint: "run 'olleey vtt versions \(printed(ctx, job)) --lang \(lang)'")
            }
            v = old
        } else { v = try svc.current(job: job, language: lang) }
        let meta = try TrackStore(ctx.database()).cues(job: job.id, language: lang, kind: try svc.kind(job: job, language: lang), version: v)
        let parsed = WebVTTParser.parse(v.content, mode: .browser)
        if ctx.json {
            var doc = try JSON.parse(WebVTTJSON.encode(parsed))
            if case .object(var fields) = doc, let i = fields.firstIndex(where: { $0.0 == "cues" }), case .array(let cues) = fields[i].1 {
                fields[i].1 = .array(cues.enumerated().map { k, c in
                    guard case .object(var f) = c, k < meta.count else { return c }
                    f += [("author", .string(meta[k].author)), ("human", .bool(meta[k].human)), ("stale", .bool(meta[k].stale))]
                    return .object(f)
                })
                fields.append(("version", .int(Int64(v.version))))
                fields.append(("stale_cues", .int(Int64(meta.filter(\.stale).count))))
                doc = .object(fields)
            }
            try ctx.printJSON(doc)
        } else { ctx.stdout.write(v.content) }
        let stale = zip(parsed.document.cues.indices, meta).filter { $0.1.stale }.map { k, _ in parsed.document.cues[k].id.isEmpty ? String(k + 1) : parsed.document.cues[k].id }
        if !stale.isEmpty && !ctx.json {
            ctx.warn("\(stale.count) stale cue\(stale.count == 1 ? "" : "s") (the source changed since a person wrote \(stale.count == 1 ? "it" : "them")): \(stale.prefix(20).joined(separator: ", "))"
                     + "; edit \(stale.count == 1 ? "it" : "them"), or run 'olleey vtt retranslate \(printed(ctx, job)) --lang \(lang) --stale'")
        }
        return 0
    }

    static let edit: CommandSpec = CommandSpec(
        "edit", "change a job's track: one cue's text, or the whole file; creates a new version",
        discussion: "--cue takes a cue id, or a position (1-based) when no cue has that id. --text is WebVTT cue text, kept byte for byte (<i>, <v Name>, line breaks) and checked strictly (a bare '&' or '<' exits 65 with line:column); --plain takes plain text and escapes it. The edited cue is then yours: a later re-translation never overwrites it. The language is queued to render again: 'olleey job run' re-synthesizes only the changed cues and rebuilds that language.",
        examples: ["olleey vtt edit 0193a1b2 --lang es --cue 3 --text \"Nuevo texto\"", "olleey vtt edit 0193a1b2 --lang es --cue 2 --plain --text 'Tom & Jerry <3'", "olleey vtt edit 0193a1b2 --lang es --file fixed.vtt -m 'names'"],
        arguments: [JobCommands.jobArg],
        options: [langOption, .option("cue", "ID", "the cue (id or 1-based position)"),
                  .option("text", "TEXT", "its new text: WebVTT cue text (markup kept; write &amp; &lt; &gt;), checked strictly"),
                  .flag("plain", "--text is plain text: '&', '<' and '>' are escaped for you"),
                  .option("file", "FILE", "replace the track with this file", type: .path, completion: .files(["vtt", "srt"])),
                  .option("message", short: "m", "TEXT", "what changed"), .flag("reopen", "edit an approved (locked) track; it goes back to review"),
                  asOption]
    ) { ctx in
        let (job, lang) = try track(ctx)
        let svc = TrackService(try ctx.database())
        let v: Int
        if let cue = ctx.args.string("cue") {
            guard let text = ctx.args.string("text") else { throw OlleeyError.usage("--cue needs --text") }
            v = try svc.editCue(job: job, language: lang, cue: cue, text: text, plain: ctx.args.has("plain"), author: author(ctx),
                                message: ctx.args.string("message"), reopen: ctx.args.has("reopen"))
        } else if let f = ctx.args.string("file") {
            let (doc, _) = try load(ctx, f)
            v = try svc.commit(job: job, language: lang, content: WebVTTSerializer.serialize(doc), author: author(ctx),
                               message: ctx.args.string("message") ?? "edited", reopen: ctx.args.has("reopen"))  // changed cues become the editor's
        } else {
            throw OlleeyError.usage("'olleey vtt edit' needs --cue ID --text TEXT, or --file FILE")
        }
        try ctx.emit(versionJSON(job, lang, v)) { "\(lang) track of job \(job.id): version \(v); run 'olleey job run \(printed(ctx, job))' to render it" }
        return 0
    }

    static let versions: CommandSpec = CommandSpec(
        "versions", "list the versions of a job's track (who wrote them, time, message, stale cues)",
        discussion: "'author' is who made the version (a person, or olleey/ENGINE for a machine translation); 'cue_authors' counts the cues by who wrote each last; 'stale_cues' counts cues a person wrote whose source changed since.",
        examples: ["olleey vtt versions 0193a1b2 --lang es", "olleey vtt versions 0193a1b2 --lang es --json"],
        arguments: [JobCommands.jobArg], options: [langOption]
    ) { ctx in
        let (job, lang) = try track(ctx)
        let rows = try TrackService(ctx.database()).history(job: job, language: lang)
        try ctx.emit(list: .array(rows.map(\.json)),
                     table: Table(["version", "author", "created", "stale", "message"],
                                  rows.map { [String($0.version.version), $0.version.author, $0.version.createdAt, String($0.stale), $0.version.message] }))
        return 0
    }

    static let retranslate: CommandSpec = CommandSpec(
        "retranslate", "translate cues of a job's track again with its engine (even a person's), as a new version",
        discussion: "A re-run of a job never overwrites a cue a person wrote: when its source cue changes it is kept and marked stale (vtt show, job show, qc status). This command is the explicit request: it translates the named cues (id or 1-based position), or every stale cue, again; cues whose source changed since the last translation are translated too. The language is queued to render again.",
        examples: ["olleey vtt retranslate 0193a1b2 --lang es --stale", "olleey vtt retranslate 0193a1b2 --lang es --cue 3 --cue 7 --json"],
        arguments: [JobCommands.jobArg],
        options: [langOption, .option("cue", "ID", "a cue to translate again (repeatable)", repeatable: true), .flag("stale", "every stale cue"),
                  .flag("reopen", "change an approved (locked) track; it goes back to review"), asOption]
    ) { ctx in
        let (job, lang) = try track(ctx)
        let cues = ctx.args.all("cue")
        guard !cues.isEmpty || ctx.args.has("stale") else { throw OlleeyError.usage("'olleey vtt retranslate' needs --cue ID or --stale", hint: "e.g. olleey vtt retranslate \(printed(ctx, job)) --lang \(lang) --stale") }
        let svc = JobService(db: try ctx.database(), workspace: try ctx.workspace(), environment: ctx.environment)
        let r = try svc.retranslate(job: job, language: lang, cues: cues, stale: ctx.args.has("stale"), author: author(ctx), reopen: ctx.args.has("reopen"))
        var out = versionJSON(job, lang, r.version)
        if case .object(var f) = out { f.append(("translated", .array(r.translated.map { .string($0) }))); out = .object(f) }
        try ctx.emit(out) { "\(lang) track of job \(job.id): version \(r.version), \(r.translated.count) cue\(r.translated.count == 1 ? "" : "s") translated again (\(r.translated.prefix(10).joined(separator: ", "))); run 'olleey job run \(printed(ctx, job))' to render it" }
        return 0
    }

    static let restore: CommandSpec = CommandSpec(
        "restore", "make an old version current again (as a new version)",
        examples: ["olleey vtt restore 0193a1b2 --lang es --version 1", "olleey vtt restore 0193a1b2 --lang es --version 2 --json"],
        arguments: [JobCommands.jobArg],
        options: [langOption, .option("version", "N", "the version to restore", type: .int), .flag("reopen", "restore an approved (locked) track"), asOption]
    ) { ctx in
        let (job, lang) = try track(ctx)
        guard let n = ctx.args.int("version") else { throw OlleeyError.usage("'olleey vtt restore' needs --version N") }
        let v = try TrackService(ctx.database()).restore(job: job, language: lang, version: n, author: author(ctx), reopen: ctx.args.has("reopen"))
        try ctx.emit(versionJSON(job, lang, v)) { "\(lang) track of job \(job.id): version \(v) (= version \(n))" }
        return 0
    }

    static let diff: CommandSpec = CommandSpec(
        "diff", "compare two files, or two versions of a job's track; exit 1 when different",
        discussion: "Aligns cues by id, then by time overlap and text similarity, and reports added, removed, text-changed (word by word), timing-changed (with the delta) and settings-changed cues. On a job: olleey vtt diff JOB --lang L [--from V] [--to V] (default: the previous version against the current one).",
        examples: ["olleey vtt diff a.vtt b.vtt", "olleey vtt diff a.vtt b.vtt --json", "olleey vtt diff 0193a1b2 --lang es --from 1 --to 3"],
        arguments: [ArgumentSpec("A", "a file, or a job"), ArgumentSpec("B", "a file (not with --lang)", optional: true)],
        options: [langOption, .option("from", "V", "older version (job tracks)", type: .int), .option("to", "V", "newer version (job tracks)", type: .int)]
    ) { ctx in
        let a: WebVTTDocument, b: WebVTTDocument
        if ctx.args.string("lang") != nil {
            let (job, lang) = try track(ctx)
            let store = TrackStore(try ctx.database())
            let k = try TrackService(ctx.database()).kind(job: job, language: lang)
            guard let cur = try store.current(job: job.id, language: lang, kind: k) else { throw OlleeyError.notFound("the \(lang) track does not exist yet") }
            let to = ctx.args.int("to") ?? cur.version
            let from = ctx.args.int("from") ?? max(1, to - 1)
            guard let va = try store.version(job: job.id, language: lang, kind: k, from), let vb = try store.version(job: job.id, language: lang, kind: k, to) else {
                throw OlleeyError.notFound("no such version (the track has 1...\(cur.version))")
            }
            a = WebVTTParser.parse(va.content, mode: .browser).document
            b = WebVTTParser.parse(vb.content, mode: .browser).document
        } else {
            guard ctx.args.positionals.count == 2 else { throw OlleeyError.usage("'olleey vtt diff' needs two files, or a job and --lang") }
            a = try load(ctx, ctx.args.positionals[0]).0
            b = try load(ctx, ctx.args.positionals[1]).0
        }
        let r = CueDiff.diff(a, b)
        if ctx.json { ctx.stdout.write(r.json() + "\n") } else if !ctx.quiet { ctx.stdout.write(r.humanReadable(color: ctx.stdout.isTTY && ctx.color)) }
        return r.identical ? 0 : 1
    }

    static let spec: CommandSpec = CommandSpec(
        "vtt", "read, fix, retime, compare and convert subtitles (files, or a job's versioned tracks)",
        discussion: "File commands take a path or - for standard input and write to standard output or -o FILE (atomically). Track commands (import, show, edit, versions, restore, retranslate, diff with --lang) work on a job's tracks in the workspace; every change is a new version.",
        examples: ["olleey vtt parse in.vtt --json", "olleey vtt shift in.vtt --by -1.5s -o out.vtt", "olleey vtt edit JOB --lang es --cue 3 --text 'Nuevo texto'"],
        subcommands: [parse, fmt, lint, shift, scale, sync, convert, diff, cat, importTrack, show, edit, versions, restore, retranslate])
}

/// A large value owned by one reference, so that the last release (which frees it) can be moved
/// to a background thread.
final class Disposable<T: Sendable>: @unchecked Sendable {
    private(set) var value: T?

    init(_ value: consuming T) { self.value = value }

    /// Releases the value on a new thread; the caller must not read `value` afterwards.
    func freeInBackground() {
        guard value != nil else { return }
        Thread.detachNewThread { self.value = nil }
    }
}
