import Foundation
import OlleeyKit
import WebVTT

/// olleey vtt import|show|edit|versions|retranslate|restore|diff: commands on a job's versioned tracks.
extension VTTCommands {
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

    /// `--kind descriptions`: the language's audio-description script instead of its subtitles.
    static let kindOption = OptionSpec.option("kind", "KIND", "which track: subtitles (the transcript or translation, default) or descriptions (the audio-description script of --describe)",
                                              type: .choice(["subtitles", "descriptions"]))

    static func kind(_ ctx: Context) -> TrackKind? { ctx.args.string("kind") == "descriptions" ? .descriptions : nil }

    static let asOption = OptionSpec.option("as", "NAME", "who is writing (default: $OLLEEY_USER, the vtt.author or user.email setting, the login name)")

    /// The job's id as printed for a person to copy (its shortest unique prefix).
    static func printed(_ ctx: Context, _ job: Job) -> String { (try? JobStore(ctx.database()).printedId(job.id)) ?? job.id }

    static func versionJSON(_ job: Job, _ lang: String, _ v: Int) -> JSON {
        .object([("job_id", .string(job.id)), ("language", .string(lang)), ("version", .int(Int64(v)))])
    }

    static let importTrack: CommandSpec = CommandSpec(
        "import", "import a subtitle file as a new version of a job's track",
        discussion: "Every cue of an imported track is the importer's: a later re-translation never overwrites it (a cue whose source changes is marked stale instead; see 'olleey vtt retranslate').",
        examples: ["olleey vtt import fixed.es.vtt --job 0193a1b2 --lang es", "olleey vtt import talk.srt --job 0193a1b2 --lang en --json", "olleey vtt import episode.ass --job 0193a1b2 --lang en"],
        arguments: [fileArg],
        options: [.option("job", "JOB", "the job"), langOption, .option("message", short: "m", "TEXT", "what changed"),
                  .flag("reopen", "edit an approved (locked) track; it goes back to review"), asOption, encodingOption]
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
        examples: ["olleey vtt show 0193a1b2 --lang es", "olleey vtt show 0193a1b2 --lang es --version 1 --json", "olleey vtt show 0193a1b2 --lang en --kind descriptions"],
        arguments: [JobCommands.jobArg],
        options: [langOption, .option("version", "N", "an earlier version", type: .int), kindOption]
    ) { ctx in
        let (job, lang) = try track(ctx)
        let svc = TrackService(try ctx.database())
        let k = try svc.kind(job: job, language: lang, requested: kind(ctx))
        let v: TrackVersion
        if let n = ctx.args.int("version") {
            guard let old = try TrackStore(ctx.database()).version(job: job.id, language: lang, kind: k, n) else {
                throw OlleeyError.notFound("no version \(n) of the \(lang) track", hint: "run 'olleey vtt versions \(printed(ctx, job)) --lang \(lang)'")
            }
            v = old
        } else { v = try svc.current(job: job, language: lang, kind: kind(ctx)) }
        let meta = try TrackStore(ctx.database()).cues(job: job.id, language: lang, kind: k, version: v)
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
        examples: ["olleey vtt edit 0193a1b2 --lang es --cue 3 --text \"Nuevo texto\"", "olleey vtt edit 0193a1b2 --lang es --cue 2 --plain --text 'Tom & Jerry <3'", "olleey vtt edit 0193a1b2 --lang es --file fixed.vtt -m 'names'",
                   "olleey vtt edit 0193a1b2 --lang en --kind descriptions --file script.vtt"],
        arguments: [JobCommands.jobArg],
        options: [langOption, .option("cue", "ID", "the cue (id or 1-based position)"),
                  .option("text", "TEXT", "its new text: WebVTT cue text (markup kept; write &amp; &lt; &gt;), checked strictly"),
                  .flag("plain", "--text is plain text: '&', '<' and '>' are escaped for you"),
                  .option("file", "FILE", "replace the track with this file", type: .path, completion: .files(["vtt", "srt"])),
                  .option("message", short: "m", "TEXT", "what changed"), .flag("reopen", "edit an approved (locked) track; it goes back to review"),
                  kindOption, asOption]
    ) { ctx in
        let (job, lang) = try track(ctx)
        let svc = TrackService(try ctx.database())
        let v: Int
        if let cue = ctx.args.string("cue") {
            guard let text = ctx.args.string("text") else { throw OlleeyError.usage("--cue needs --text") }
            v = try svc.editCue(job: job, language: lang, cue: cue, text: text, plain: ctx.args.has("plain"), author: author(ctx),
                                message: ctx.args.string("message"), reopen: ctx.args.has("reopen"), kind: kind(ctx))
        } else if let f = ctx.args.string("file") {
            let (doc, _) = try load(ctx, f)
            v = try svc.commit(job: job, language: lang, content: WebVTTSerializer.serialize(doc), author: author(ctx),
                               message: ctx.args.string("message") ?? "edited", reopen: ctx.args.has("reopen"), kind: kind(ctx))  // changed cues become the editor's
        } else {
            throw OlleeyError.usage("'olleey vtt edit' needs --cue ID --text TEXT, or --file FILE")
        }
        let what = kind(ctx) == .descriptions ? "\(lang) descriptions track" : "\(lang) track"
        try ctx.emit(versionJSON(job, lang, v)) { "\(what) of job \(job.id): version \(v); run 'olleey job run \(printed(ctx, job))' to render it" }
        return 0
    }

    static let versions: CommandSpec = CommandSpec(
        "versions", "list the versions of a job's track (who wrote them, time, message, stale cues)",
        discussion: "'author' is who made the version (a person, or olleey/ENGINE for a machine translation); 'cue_authors' counts the cues by who wrote each last; 'stale_cues' counts cues a person wrote whose source changed since.",
        examples: ["olleey vtt versions 0193a1b2 --lang es", "olleey vtt versions 0193a1b2 --lang es --json", "olleey vtt versions 0193a1b2 --lang es --kind descriptions"],
        arguments: [JobCommands.jobArg], options: [langOption, kindOption]
    ) { ctx in
        let (job, lang) = try track(ctx)
        let rows = try TrackService(ctx.database()).history(job: job, language: lang, kind: kind(ctx))
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
        examples: ["olleey vtt restore 0193a1b2 --lang es --version 1", "olleey vtt restore 0193a1b2 --lang es --version 2 --json",
                   "olleey vtt restore 0193a1b2 --lang en --kind descriptions --version 1"],
        arguments: [JobCommands.jobArg],
        options: [langOption, .option("version", "N", "the version to restore", type: .int), .flag("reopen", "restore an approved (locked) track"), kindOption, asOption]
    ) { ctx in
        let (job, lang) = try track(ctx)
        guard let n = ctx.args.int("version") else { throw OlleeyError.usage("'olleey vtt restore' needs --version N") }
        let v = try TrackService(ctx.database()).restore(job: job, language: lang, version: n, author: author(ctx), reopen: ctx.args.has("reopen"), kind: kind(ctx))
        let what = kind(ctx) == .descriptions ? "\(lang) descriptions track" : "\(lang) track"
        try ctx.emit(versionJSON(job, lang, v)) { "\(what) of job \(job.id): version \(v) (= version \(n))" }
        return 0
    }

    static let diff: CommandSpec = CommandSpec(
        "diff", "compare two files, or two versions of a job's track; exit 1 when different",
        discussion: "Aligns cues by id, then by time overlap and text similarity, and reports added, removed, text-changed (word by word), timing-changed (with the delta) and settings-changed cues. On a job: olleey vtt diff JOB --lang L [--from V] [--to V] (default: the previous version against the current one).",
        examples: ["olleey vtt diff a.vtt b.vtt", "olleey vtt diff a.vtt b.vtt --json", "olleey vtt diff 0193a1b2 --lang es --from 1 --to 3",
                   "olleey vtt diff 0193a1b2 --lang en --kind descriptions"],
        arguments: [ArgumentSpec("A", "a file, or a job"), ArgumentSpec("B", "a file (not with --lang)", optional: true)],
        options: [langOption, .option("from", "V", "older version (job tracks)", type: .int), .option("to", "V", "newer version (job tracks)", type: .int), kindOption]
    ) { ctx in
        let r: DiffResult
        if ctx.args.string("lang") != nil {
            let (job, lang) = try track(ctx)
            r = try TrackService(ctx.database()).compare(job: job, language: lang, from: ctx.args.int("from"), to: ctx.args.int("to"), kind: kind(ctx)).diff
        } else {
            guard ctx.args.positionals.count == 2 else { throw OlleeyError.usage("'olleey vtt diff' needs two files, or a job and --lang") }
            if ctx.args.string("kind") != nil { throw OlleeyError.usage("--kind names a job's track: use it with a job and --lang") }
            r = CueDiff.diff(try load(ctx, ctx.args.positionals[0]).0, try load(ctx, ctx.args.positionals[1]).0)
        }
        if ctx.json { ctx.stdout.write(r.json() + "\n") } else if !ctx.quiet { ctx.stdout.write(r.humanReadable(color: ctx.stdout.isTTY && ctx.color)) }
        return r.identical ? 0 : 1
    }
}
