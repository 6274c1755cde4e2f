import Foundation
import OlleeyKit
import WebVTT

/// olleey vtt parse|fmt|lint|shift|scale|sync|convert|cat: commands on subtitle files.
extension VTTCommands {
    // MARK: file commands

    static let parse: CommandSpec = CommandSpec(
        "parse", "parse a WebVTT file as a browser would (or --strict) and print its cues",
        discussion: "Browser mode follows the W3C WebVTT parser algorithm: the cues are exactly the ones a browser exposes, and what a browser would silently drop is reported as warnings (file:line:col on stderr, severity \"warning\" in --json); the exit status is 0. --strict reports every deviation as an error and exits 65 when there is any. A file without the WEBVTT signature exits 65 in both modes.",
        examples: ["olleey vtt parse in.vtt --json", "olleey vtt parse in.vtt --strict", "cat in.vtt | olleey vtt parse - --json"],
        arguments: [fileArg],
        options: [.flag("strict", "report every deviation from the spec as an error; exit 65 on errors"), encodingOption]
    ) { ctx in
        let p = ctx.args.positionals[0]
        let bytes = TextEncoding.utf8Bytes(try read(ctx, p), forced: try encoding(ctx)).bytes
        let strict = ctx.args.has("strict")
        // The strict parser gives the same document as the browser one, plus a diagnostic for each
        // deviation; in browser mode those are warnings (a browser drops them and goes on). The
        // other formats are read by the loader (imported into the WebVTT model).
        let format = SubtitleFormat.sniff(bytes, fileName: p == "-" ? nil : p)
        let r: (document: WebVTTDocument, diagnostics: [Diagnostic], rejected: Bool)
        if format == .webvtt {
            let parsed = WebVTTParser.parse(bytes, mode: .strict)
            r = (parsed.document, parsed.diagnostics, parsed.rejected)
        } else {
            let loaded = try SubtitleLoader.parse(bytes, name: p == "-" ? nil : p, format: format)
            r = (loaded.document, loaded.diagnostics, false)
        }
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
        discussion: formatDiscussion,
        examples: ["olleey vtt fmt in.vtt | cmp - in.vtt", "olleey vtt fmt in.vtt --hours --canonical --line-ending lf -o out.vtt", "olleey vtt fmt in.vtt --renumber --strip-notes",
                   "olleey vtt fmt in.srt --to vtt -o out.vtt --json"],
        arguments: [fileArg],
        options: [output, toOption,
                  .flag("hours", "write every timestamp with hours (hh:mm:ss.ttt)"),
                  .flag("canonical", "canonical timing lines: start --> end with one space around the arrow (settings are kept as written)"),
                  .option("line-ending", "EOL", "line terminator", type: .choice(["lf", "crlf", "cr"])),
                  .flag("renumber", "renumber cue ids 1, 2, 3..."),
                  .flag("strip-notes", "leave out NOTE blocks"),
                  .flag("drop-ignored", "leave out blocks a browser ignores"),
                  .flag("normalize", "one blank line between blocks, one newline at the end"), encodingOption]
    ) { ctx in
        let p = ctx.args.positionals[0]
        var loaded = try loadFile(ctx, p)
        var o = FormatOptions()
        o.timestampsWithHours = ctx.args.has("hours")
        o.canonicalTimingLines = ctx.args.has("canonical")
        o.lineEnding = ctx.args.string("line-ending").flatMap(LineEnding.init(rawValue:))
        o.renumberIds = ctx.args.has("renumber")
        o.stripNotes = ctx.args.has("strip-notes")
        o.dropIgnoredBlocks = ctx.args.has("drop-ignored")
        o.normalizeBlankLines = ctx.args.has("normalize")
        let warnings = warningLines(p, loaded.diagnostics)
        try writeResult(ctx, loaded.takeDocument(), format: outputFormat(ctx, input: loaded.format), input: loaded.format, options: o,
                        warnings: warnings)
        return 0
    }

    static let lint: CommandSpec = CommandSpec(
        "lint", "check timing and readability against a profile (netflix, captions, default); exit 1 on errors",
        discussion: "Cues are numbered from 1 (the cue field of --json and --format csv), as --cue, diff and vtt show count them. Checks order (a cue that starts before the one above it), overlap (in start-time order: cues that are only out of order do not overlap), duplicate cue ids, empty cues, line count, line length, reading speed (characters per second), minimum and maximum duration, the gap between cues, and invalid settings. The netflix profile follows the Netflix Timed Text Style Guide per language (--lang). The captions profile is for captions (SDH): 32 characters a line, 2 lines, 1-6 s, 20 characters a second, errors. --set overrides a limit (keys: max_chars_per_line, max_lines, min_duration_ms, max_duration_ms, max_cps, min_gap_frames, frame_rate; severity=error|warning says how limits are reported: the netflix profile reports errors, the default profile warnings). --fix repairs the safe ones (order, overlaps, gaps) and writes the file, in -o's format or the input's.",
        examples: ["olleey vtt lint in.vtt --profile netflix --lang en --json", "olleey vtt lint in.vtt --format csv > findings.csv",
                   "olleey vtt lint in.vtt --profile netflix --lang de --set max_cps=15", "olleey vtt lint in.vtt --fix -o fixed.vtt",
                   "olleey vtt lint talk.es.captions.vtt --profile captions"],
        arguments: [fileArg],
        options: [.option("profile", "NAME", "netflix, captions or default (default: config lint.profile)", type: .choice(["netflix", "captions", "default"])),
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
        let loaded = try loadFile(ctx, p)
        let doc = loaded.document
        if ctx.args.has("fix") {
            let (fixed, n) = Lint.fix(doc, profile: profile, overrides: overrides)
            let after = Lint.report(fixed, profile: profile, overrides: overrides)
            try writeResult(ctx, fixed, format: outputFormat(ctx, input: loaded.format), input: loaded.format,
                            warnings: warningLines(p, loaded.diagnostics),
                            extra: [("fixed", .int(Int64(n))), ("errors", .int(Int64(after.errors))), ("warnings_left", .int(Int64(after.warnings)))])
            if !ctx.json { ctx.note("fixed \(n) finding(s); \(after.errors) error(s), \(after.warnings) warning(s) left") }
            return after.errors > 0 ? 1 : 0
        }
        let report = Lint.report(doc, profile: profile, overrides: overrides)
        let format = ctx.json ? "json" : (ctx.args.string("format") ?? "text")
        switch format {
        case "json":
            Lint.withJSON(report.findings, profile: report.profile) { ctx.stdout.write(bytes: UnsafeRawBufferPointer($0)) }
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

    static func timeRange(_ ctx: Context, to: Int64?) throws -> WebVTT.TimeRange? {
        let from = ctx.args.duration("from")
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
        discussion: "A cue pushed before zero starts at zero; one that ends at or before zero once moved is dropped with a warning (never written as a zero-length or negative cue), and counted in --json (clamped, dropped, dropped_cues). --to takes a TIME (the end of the range) or, as in the other commands, an output format (vtt, srt, ttml, imsc1, ebu-tt-d). " + formatDiscussion,
        examples: ["olleey vtt shift in.vtt --by -1.5s -o out.vtt", "cat in.vtt | olleey vtt shift - --by 250ms",
                   "olleey vtt shift in.vtt --by 2s --from 10:00 --to 20:00", "olleey vtt shift in.vtt --by -300ms --cues 5-12",
                   "olleey vtt shift in.srt --by 1s -o out.srt --json"],
        arguments: [fileArg],
        options: [.option("by", "DURATION", "how much (1.5s, -250ms, 00:00:01.200)", type: .duration),
                  .option("from", "TIME", "only cues starting at or after TIME", type: .duration),
                  .option("to", "TIME|FORMAT", "only cues starting before TIME; or the output format (vtt, srt, ttml, imsc1, ebu-tt-d)"),
                  .option("cues", "N-M", "only cues N to M (1-based)"),
                  output]
    ) { ctx in
        guard let by = ctx.args.duration("by") else { throw OlleeyError.usage("'olleey vtt shift' needs --by DURATION", hint: "e.g. --by -1.5s") }
        var toTime: Int64?, toFormat: String?
        if let t = ctx.args.string("to") {
            if SubtitleOutputFormat(name: t) != nil { toFormat = t } else if let ms = Values.duration(t) { toTime = ms } else {
                throw OlleeyError.usage("--to takes a TIME (e.g. 20:00) or an output format (\(SubtitleOutputFormat.names.joined(separator: ", "))), got '\(t)'")
            }
        }
        let range = try timeRange(ctx, to: toTime)
        let p = ctx.args.positionals[0]
        var loaded = try loadFile(ctx, p)
        let cues = try cueRange(ctx, count: loaded.document.cues.count)
        // the document is moved, not copied: shifting a copy would copy every cue first
        var r = Timing.shiftReporting(loaded.takeDocument(), byMs: by, range: range, cues: cues)
        let shifted = r.document
        r.document = WebVTTDocument()
        var warnings = warningLines(p, loaded.diagnostics)
        for d in r.dropped {
            warnings.append("\(name(p)): cue \(d.number)\(d.id.isEmpty ? "" : " (\(d.id))") at \(Timestamp.format(d.startMs)) --> \(Timestamp.format(d.endMs)) ends at or before zero once shifted; dropped")
        }
        let dropped: [JSON] = r.dropped.map { .object([("cue", .int(Int64($0.number))), ("id", .string($0.id)),
                                                       ("start_ms", .int($0.startMs)), ("end_ms", .int($0.endMs))]) }
        try writeResult(ctx, consume shifted, format: outputFormat(ctx, input: loaded.format, override: toFormat), input: loaded.format, warnings: warnings,
                        extra: [("clamped", .int(Int64(r.clamped))), ("dropped", .int(Int64(r.dropped.count))), ("dropped_cues", .array(dropped))])
        return 0
    }

    static let scale: CommandSpec = CommandSpec(
        "scale", "stretch timings linearly (--factor) or convert frame rates (--fps FROM:TO)",
        discussion: formatDiscussion,
        examples: ["olleey vtt scale in.vtt --fps 25:23.976", "olleey vtt scale in.vtt --factor 1.001 -o out.vtt", "olleey vtt scale in.srt --fps 25:23.976 -o out.srt --json"],
        arguments: [fileArg],
        options: [.option("factor", "F", "multiply every time by F", type: .double),
                  .option("fps", "FROM:TO", "frame-rate conversion, e.g. 25:23.976"),
                  output, toOption]
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
        let p = ctx.args.positionals[0]
        let loaded = try loadFile(ctx, p)
        let out: WebVTTDocument
        do {
            switch how {
            case let .fps(a, b): out = try Timing.convertFPS(loaded.document, from: a, to: b)
            case let .factor(f): out = try Timing.scale(loaded.document, factor: f)
            }
        } catch let e as TimingError { throw OlleeyError.usage(e.description) }
        try writeResult(ctx, out, format: outputFormat(ctx, input: loaded.format), input: loaded.format, warnings: warningLines(p, loaded.diagnostics))
        return 0
    }

    static let sync: CommandSpec = CommandSpec(
        "sync", "retime to anchor points, piecewise linear between them (fixes ad breaks and cuts)",
        discussion: formatDiscussion,
        examples: ["olleey vtt sync in.vtt --map 00:10:00.000=00:10:02.500 --map 00:40:00.000=00:42:31.000",
                   "olleey vtt sync in.vtt --map 1s=2s -o out.vtt"],
        arguments: [fileArg],
        options: [.option("map", "T=T'", "an anchor: time in the file = time it should be (repeatable)", repeatable: true), output, toOption]
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
        let p = ctx.args.positionals[0]
        let loaded = try loadFile(ctx, p)
        let out: WebVTTDocument
        do { out = try Timing.sync(loaded.document, anchors: anchors) } catch let e as TimingError { throw OlleeyError.usage(e.description) }
        try writeResult(ctx, out, format: outputFormat(ctx, input: loaded.format), input: loaded.format, warnings: warningLines(p, loaded.diagnostics))
        return 0
    }

    static let convert: CommandSpec = CommandSpec(
        "convert", "convert between WebVTT, SRT, TTML (IMSC1) and EBU-TT-D; import ASS/SSA and SBV",
        discussion: "Reads WebVTT, SRT, TTML (IMSC1, EBU-TT-D), ASS/SSA and YouTube SBV (detected from the content or the name, or --from); what the WebVTT model cannot carry (ASS styles and override tags, TTML regions) is dropped with a warning on stderr (in --json: warnings). Writes --to FORMAT, else the format -o's extension names (.vtt, .srt, .ttml, .dfxp, .xml); one of them is needed. TTML output keeps regions and positions where the target can express them, and warns where it cannot.",
        examples: ["olleey vtt convert in.srt --to vtt", "olleey vtt convert in.vtt -o out.srt", "olleey vtt convert episode.ass -o episode.vtt",
                   "olleey vtt convert in.vtt --to imsc1 --lang en -o out.ttml", "olleey vtt convert in.srt -o out.vtt --json"],
        arguments: [fileArg],
        options: [.option("to", "FORMAT", "output format (default: -o's extension)", type: .choice(SubtitleOutputFormat.names)),
                  .option("from", "FORMAT", "input format (default: detected)", type: .choice(["vtt", "srt", "ttml", "ass", "ssa", "sbv"])),
                  .option("lang", "LANG", "document language for TTML (xml:lang)"),
                  encodingOption, output]
    ) { ctx in
        guard ctx.args.string("to") != nil || outputPath(ctx).flatMap(SubtitleOutputFormat.fromExtension) != nil else {
            throw OlleeyError.usage("'olleey vtt convert' needs --to FORMAT, or -o FILE with a subtitle extension (.vtt, .srt, .ttml)", hint: "vtt, srt, ttml, imsc1, ebu-tt-d")
        }
        let p = ctx.args.positionals[0]
        let loaded = try loadFile(ctx, p, format: ctx.args.string("from"))
        try writeResult(ctx, loaded.document, format: outputFormat(ctx, input: loaded.format), input: loaded.format,
                        options: .preserve, warnings: warningLines(p, loaded.diagnostics))
        return 0
    }

    static let cat: CommandSpec = CommandSpec(
        "cat", "merge files into one, cues ordered by start time, every cue id unique",
        discussion: "Cue ids: a cue whose id is a number, or that has none, is numbered by its place in the joined file (1, 2, 3...); a named id (intro) is kept, and one an earlier cue already has gets the first free -2, -3... suffix (intro-2), with a warning. --offset moves a part before joining (for the parts of a split video): give it once per file, in the files' order. " + formatDiscussion,
        examples: ["olleey vtt cat part1.vtt part2.vtt -o all.vtt", "olleey vtt cat a.vtt b.srt",
                   "olleey vtt cat part1.vtt part2.vtt --offset 0 --offset 10:00 -o all.vtt --json"],
        arguments: [ArgumentSpec("FILES", "files to merge", variadic: true, completion: .files(["vtt", "srt"]))],
        options: [output, toOption,
                  .option("offset", "TIME", "move the cues of the Nth file by TIME (10:00, 1.5s, -250ms); once per file, in order", repeatable: true)]
    ) { ctx in
        let files = ctx.args.positionals
        var offsets: [Int64] = []
        for o in ctx.args.all("offset") {
            guard let ms = Values.duration(o) else { throw OlleeyError.usage("--offset takes a time like 10:00, 1.5s or -250ms (got '\(o)')") }
            offsets.append(ms)
        }
        guard offsets.isEmpty || offsets.count == files.count else {
            throw OlleeyError.usage("--offset is given \(offsets.count) time(s) for \(files.count) file(s)", hint: "give one --offset per file, in the files' order (0 for none)")
        }
        let loaded = try files.map { try loadFile(ctx, $0) }
        let r = concatenate(loaded.map(\.document), offsets: offsets)
        var warnings = zip(files, loaded).flatMap { warningLines($0, $1.diagnostics) }
        for x in r.renamed { warnings.append("\(name(files[x.part - 1])): cue id '\(x.from)' is already used; the cue is now \(x.to)") }
        for (part, d) in r.dropped {
            warnings.append("\(name(files[part - 1])): cue \(d.number) ends at or before zero once moved by its --offset; dropped")
        }
        let renamed: [JSON] = r.renamed.map { .object([("file", .string(files[$0.part - 1])), ("cue", .int(Int64($0.cue))), ("from", .string($0.from)), ("to", .string($0.to))]) }
        try writeResult(ctx, r.document, format: outputFormat(ctx, input: loaded.first?.format), input: loaded.first?.format, warnings: warnings,
                        extra: [("inputs", .array(files.map { .string($0) })), ("renamed_ids", .array(renamed)),
                                ("clamped", .int(Int64(r.clamped))), ("dropped", .int(Int64(r.dropped.count)))])
        return 0
    }

    /// How the file commands pick the format they write.
    static let formatDiscussion = "Output format: --to FORMAT, else -o's extension (.vtt, .srt, .ttml), else the input's format (an SRT file stays SRT; standard input as detected). --json prints {output, format, input_format, cues, warnings, ...} instead of the usual messages (with no -o, the written text is its content field)."
}
