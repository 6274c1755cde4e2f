import Foundation
import OlleeyKit

/// olleey job ...: create, run, inspect and control dubbing jobs.
enum JobCommands {
    static let statusValues = JobStatus.allCases.map(\.rawValue)
    static let stageValues = Stage.allCases.map(\.rawValue)
    static let jobArg = ArgumentSpec("JOB", "a job id or a unique prefix of 4+ characters")

    /// A job of the acting organisation (another's is "not found").
    static func resolve(_ ctx: Context, _ id: String) throws -> Job { try queries(ctx).job(id) }

    static func service(_ ctx: Context) throws -> JobService {
        JobService(db: try ctx.database(), workspace: try ctx.workspace(), environment: ctx.environment)
    }

    static func queries(_ ctx: Context) throws -> JobQueries {
        JobQueries(db: try ctx.database(), workspace: try ctx.workspace(), actor: try ReviewOptions.actor(ctx))
    }

    // MARK: human renderings (the JSON is the read models' own: JobSummary, JobDetail, JobPage, JobOutputs, JobStats)

    static func humanDetail(_ d: JobDetail, printedId: String) -> String {
        let j = d.job, languages = d.languages, fit = d.includeFit, attention = d.attention
        var s = "job \(j.id)\n  status   \(j.status.rawValue)\(j.stage.map { " (stage \($0))" } ?? "")\n  source   \(j.sourceName) [\(j.sourceLang)]\n  created  \(j.createdAt)\n"
        if let e = j.error { s += "  error    \(j.errorStage.map { "at \($0): " } ?? "")\(e)\n" }
        for l in languages {
            s += "  \(l.language.padding(4)) \(l.status.rawValue)\(l.stage.map { " (\($0))" } ?? "")"
            if !l.approval.isEmpty { s += " [\(l.approval)\(l.approvalReason.map { ": " + $0 } ?? "")]" }
            if let e = l.error { s += "\n         \(l.errorStage.map { "failed at \($0): " } ?? "")\(e)" }
            if !l.failedCues.isEmpty { s += "\n         cues: \(l.failedCues.joined(separator: ", "))" }
            if let a = attention[l.language], !a.stale.isEmpty {
                s += "\n         stale cues (source changed since a person wrote them): \(a.stale.prefix(20).joined(separator: ", "))"
            }
            if let a = attention[l.language], !a.dropped.isEmpty {
                s += "\n         \(a.dropped.count) cue(s) by a person left out (their source cue was deleted): see 'olleey qc status'"
            }
            s += "\n"
            // --fit-mode video: a slowed video leaves the language out of the master
            if let v = l.fitReport?["video"], v["in_master"]?.boolValue == false {
                s += "         video slowed under \(v["slowed_cues"]?.intValue ?? 0) cue(s) (+\(v["added_ms"]?.intValue ?? 0) ms): "
                    + "not in the master MP4; its own MP4 is the deliverable\n"
            }
            if fit, let speakers = l.fitReport?["speakers"]?.arrayValue, !speakers.isEmpty {
                // the voice registry's cast: who spoke with which voice, and why
                s += "         voices: " + speakers.map { m in
                    var v = (m["voice"]?.stringValue ?? "(default)")
                    if let p = m["pitch"]?.intValue { v += " pitch \(p)" }
                    if let r = m["rate"]?.intValue { v += " rate \(r)" }
                    return "\(m["speaker"]?.stringValue ?? "?") \(v) (\(m["source"]?.stringValue ?? ""))"
                }.joined(separator: ", ") + "\n"
            }
            if fit, let cues = l.fitReport?["cues"]?.arrayValue {
                let video = l.fitReport?["fit_mode"]?.stringValue == "video"
                s += "         cue        natural   slot      factor  overflow" + (video ? "  video" : "") + "\n"
                for c in cues {
                    s += "         " + (c["id"]?.stringValue ?? "").padding(10) + " " + "\(c["natural_ms"]?.intValue ?? 0)ms".padding(9) + " "
                        + "\(c["slot_ms"]?.intValue ?? 0)ms".padding(9) + " " + String(format: "%.3f", c["factor"]?.doubleValue ?? 1).padding(7) + " "
                    let overflow = "\(c["overflow_ms"]?.intValue ?? 0)ms"
                    if video {
                        let vf = c["video_factor"]?.doubleValue ?? 1
                        s += overflow.padding(9) + " " + (vf > 1 ? String(format: "x%.3f", vf) : "-")
                        if let left = c["overflow_after_video_ms"]?.intValue, left > 0 { s += " (still \(left)ms over)" }
                    } else {
                        s += overflow
                    }
                    s += "\n"
                }
            }
        }
        if j.status == .failed { s += "hint: fix the cause, then 'olleey job retry \(printedId)'\n" }
        return s
    }

    // MARK: commands

    static let create: CommandSpec = CommandSpec(
        "create", "create a dubbing job for a video (a file path or an http(s)/file URL)",
        discussion: "Validates everything and checks the engines before creating anything: a missing engine or language pair exits 69 and says what to install. Bad input is refused here, not at the end of a run, with exit 65, file:line:col and a hint (the same with --dry-run): a source that is not a video ffprobe can read, or has no audio and no --subtitles (nothing to transcribe); in --subtitles, a timing line that does not parse, a cue that ends before it starts, cues out of start-time order (refused, never sorted: put them in order yourself), and a cue far too long for its slot (speech predicted from its text at engines.speak.rate words per minute longer than 4x the cue's time plus the silence after it; below 4x the speech is sped up and any overflow reported); an unknown --voice (the voices are listed by 'olleey engines'). The id printed is the shortest unique prefix (8+ characters). --dry-run prints the plan (stages per language, engines, outputs, and the predicted fit when subtitles are given) and creates nothing.",
        examples: ["olleey job create talk.mp4 --subtitles talk.en.vtt --source-lang en --lang es,ca --json",
                   "olleey job create https://example.com/v.mp4 --lang es --dry-run",
                   "olleey job create talk.mp4 --lang eo --engine translate=http --voice eo=eo+f3",
                   "olleey job create talk.mp4 --subtitles talk.en.vtt --lang es --voice-for 'Ana=+f2' --voice-for 'Ben:es=es+m3'",
                   "olleey job create talk.mp4 --subtitles talk.en.vtt --lang es --require-approval --glossary brand --max-cost 5",
                   "olleey job create talk.mp4 --subtitles talk.en.vtt --lang es --describe --json",
                   "olleey job create talk.mp4 --subtitles talk.en.vtt --lang es --captions --burn-in es --describe"],
        arguments: [ArgumentSpec("SOURCE", "the video: a path, or an http(s)/file URL", completion: .files(["mp4", "mkv", "mov", "webm"]))],
        options: [
            .option("lang", short: "l", "LIST", "target languages (ISO 639-1), comma-separated or repeated", type: .list),
            .option("source-lang", "LANG", "language spoken in the video", default: "en"),
            .option("subtitles", "FILE", "source subtitles (WebVTT, SRT, TTML, ASS/SSA or SBV); else the video is transcribed", type: .path, completion: .files(["vtt", "srt", "ttml", "dfxp", "ass", "ssa", "sbv"])),
            .option("project", "ID", "project the job belongs to"),
            .option("channel", "ID", "channel the job publishes to"),
            .option("voice", "LANG=VOICE", "voice for a language (repeatable; espeak-ng: es-419, +f3, es+f3; see 'olleey engines --lang LANG')", repeatable: true),
            .option("voice-for", "SPEAKER=VOICE", "a speaker's voice in this job, over the voice registry (repeatable; SPEAKER:LANG=VOICE for one language; speakers are <v Name> spans); see 'olleey voice'", repeatable: true),
            .option("engine", "STAGE=NAME", "engine for a stage: transcribe, translate, speak (repeatable)", repeatable: true),
            .flag("require-approval", "wait for QC approval of every language before publishing"),
            .option("burn-in", "LANG", "burn this language's subtitles (its captions with --captions) into its video, in a readable boxed style (re-encodes it)"),
            .flag("lip-sync", "run the lip-sync hook (engines.lipsync.command)"),
            .option("fit-mode", "MODE", "absorb overflow by speeding up audio, or by slowing the video", type: .choice(["audio", "video"])),
            .option("max-tempo", "FACTOR", "largest speed-up to fit speech (default: config fit.max_tempo)", type: .double),
            .option("glossary", "NAME", "glossary to apply (protects do-not-translate terms, enforces required translations)"),
            .option("max-cost", "AMOUNT", "refuse to create the job when its estimated cost exceeds AMOUNT (USD, e.g. 20 or 12.50)"),
            .flag("captions", "captions (SDH) as well as subtitles: per language a captions VTT and SRT naming the speakers (<v> voice spans) and keeping sound tags; --burn-in then burns the captions"),
            .flag("describe", "audio description: a descriptions track in the gaps of the speech (engines.describe, else written by a person with 'vtt edit --kind descriptions'), a described audio track and an extended-AD video per language"),
            .flag("dry-run", "print the plan and create nothing"),
        ]
    ) { ctx in
        let a = ctx.args
        guard !a.list("lang").isEmpty else { throw OlleeyError.usage("'olleey job create' needs --lang", hint: "e.g. --lang es,ca") }
        let raw = a.positionals[0]
        let isURL = raw.contains("://")
        var r = JobCreateRequest(source: isURL ? raw : ctx.path(raw))
        r.sourceLang = a.string("source-lang") ?? "en"
        r.targetLanguages = a.list("lang")
        r.subtitlesPath = a.string("subtitles").map(ctx.path)
        r.project = a.string("project")
        r.channel = a.string("channel")
        r.voices = try pairs(a.all("voice"), option: "voice")
        r.engines = try pairs(a.all("engine"), option: "engine")
        for raw in a.all("voice-for") {
            guard let eq = raw.lastIndex(of: "="), eq != raw.startIndex, raw.index(after: eq) != raw.endIndex else {
                throw OlleeyError.usage("--voice-for takes SPEAKER=VOICE or SPEAKER:LANG=VOICE (got '\(raw)')", next: [.input("voice-for", example: "Ana=+f3")])
            }
            r.speakerVoices[String(raw[..<eq])] = String(raw[raw.index(after: eq)...])
        }
        r.requireApproval = a.has("require-approval")
        r.burnIn = a.string("burn-in")
        r.lipSync = a.has("lip-sync")
        r.fitMode = a.string("fit-mode")
        r.describe = a.has("describe")
        r.captions = a.has("captions")
        if let t = a.double("max-tempo") {
            guard t >= 1.0 && t <= 4.0 else { throw OlleeyError.usage("--max-tempo must be between 1.0 and 4.0") }
            r.maxTempo = t
        }
        r.glossary = a.string("glossary")
        r.maxCostMicros = try a.string("max-cost").map { try Money.parse($0, what: "--max-cost") }
        r.actor = try ctx.actingUserEmail()
        r.org = try ReviewOptions.actor(ctx).org
        let svc = try service(ctx)
        if a.has("dry-run") {
            let plan = try JobPlanner(service: svc).plan(r)
            try ctx.emit(plan.json) { plan.human }
            return 0
        }
        let job = try svc.create(r)
        let q = try queries(ctx)
        try ctx.emit(try q.detail(job).json) {
            "Created job \(job.id) (\(job.options.targetLanguages.joined(separator: ", "))); run it with 'olleey job run \(q.printedId(job.id))'"
        }
        return 0
    }

    static func pairs(_ raws: [String], option: String) throws -> [String: String] {
        var d: [String: String] = [:]
        for r in raws.flatMap({ $0.split(separator: ",").map(String.init) }) {
            let p = r.split(separator: "=", maxSplits: 1).map(String.init)
            guard p.count == 2, !p[0].isEmpty, !p[1].isEmpty else { throw OlleeyError.usage("--\(option) takes KEY=VALUE (got '\(r)')") }
            d[p[0]] = p[1]
        }
        return d
    }

    static let run: CommandSpec = CommandSpec(
        "run", "run queued work until done (resumable; several processes may share a workspace)",
        discussion: "Runs the named jobs, or every queued job with --all. Exits 0 only when every job it ran completed; 2 when any failed; 3 when none failed but one ended paused, cancelled or waiting for approval (its outputs are not all there). SIGINT (Ctrl-C) or SIGTERM stops it: no new work starts, running subprocesses are stopped, the stages in flight are left resumable and temporary files removed; it prints what it interrupted and exits 130 (SIGINT) or 143 (SIGTERM). A second signal exits at once. A SIGINT ignored by the caller (a script's background job) stays ignored; SIGTERM always stops it. A killed run loses at most the stage in flight; run again to continue. See 'olleey help exit-codes'.",
        examples: ["olleey job run --all", "olleey job run 0193a1b2 --parallel 3", "olleey job run --all --json || echo \"exit $?: not every job completed\""],
        arguments: [ArgumentSpec("JOB", "jobs to run (ids or prefixes)", optional: true, variadic: true)],
        options: [.flag("all", short: "a", "run every queued job"),
                  .option("parallel", short: "p", "N", "jobs or languages run at once (default: config job.parallel)", type: .int)]
    ) { ctx in
        let ws = try ctx.workspace()
        let db = try ctx.database()
        var ids: [String]?
        if !ctx.args.positionals.isEmpty {
            ids = try ctx.args.positionals.map { try resolve(ctx, $0).id }
        } else if !ctx.args.has("all") {
            throw OlleeyError.usage("'olleey job run' needs JOB ids or --all")
        }
        let (parallel, lease) = try JobRunner.settings(db, parallel: ctx.args.int("parallel"))
        let quiet = ctx.quiet
        let err = ctx.stderr
        // on a terminal: live progress (stderr); else one line per stage as it ends
        let live = ProgressTerminal.wanted(ctx) ? ProgressTerminal(sink: err, color: ctx.color, width: ProgressTerminal.width(ctx.environment)) : nil
        let runner = JobRunner(workspace: ws, jobs: ids, parallel: parallel, leaseSeconds: lease, environment: ctx.environment) { line in
            if quiet { return }
            if let live { live.permanent(line) } else { err.line(line) }
        }
        if let live { runner.progress = { live.handle($0) } }
        // -v: each subprocess's command line
        let observer = ctx.verbose ? SubprocessStats.addObserver { cmd in
            if let live { live.permanent("$ " + cmd) } else { err.line("$ " + cmd) }
        } : nil
        defer { if let observer { SubprocessStats.removeObserver(observer) } }
        // baselines, not a reset: the counters are process-wide (in-process callers share them)
        let t0 = Clock.monotonicNanos()
        let subWall0 = SubprocessStats.wallNanos, subCount0 = SubprocessStats.count
        let wsDir = ws.dir
        let signals = StopSignals(atExit: { StageCache.removeTemporaries(under: wsDir, pid: getpid()) }) { sig in
            runner.stop(reason: StopSignals.name(sig))
        }
        live?.start()
        let outcome = Result { try runner.run() }
        live?.finish()
        signals.remove()
        let summary = try outcome.get()
        let wallMs = Int64((Clock.monotonicNanos() - t0) / 1_000_000)
        let subMs = Int64((SubprocessStats.wallNanos - subWall0) / 1_000_000)
        let json = JSON.object(summary.json + [
            ("wall_ms", .int(wallMs)),
            ("subprocess_wall_ms", .int(subMs)),
            ("subprocesses", .int(Int64(SubprocessStats.count - subCount0))),
            ("own_ms", .int(max(0, wallMs - subMs))),
        ])
        if let why = summary.interrupted {
            let store = JobStore(db)
            let what = summary.stopped.map { "\(store.printedId($0.job))\($0.language.map { " " + $0 } ?? "")\($0.stage.map { " at " + $0 } ?? "")" }
            ctx.warn("interrupted by \(why): " + (what.isEmpty ? "no stage was running" : "stopped \(what.joined(separator: ", "))")
                     + "; run 'olleey job run \(ids == nil ? "--all" : summary.jobs.map { store.printedId($0.id) }.joined(separator: " "))' to resume")
        }
        try ctx.emit(json) {
            summary.jobs.map { "\($0.id)  \($0.status)\($0.error.map { "  " + $0 } ?? "")" }.joined(separator: "\n")
        }
        if let sig = signals.received, summary.interrupted != nil { return StopSignals.exitCode(sig) }
        return summary.exitCode
    }

    static let list: CommandSpec = CommandSpec(
        "list", "list jobs (filters and paging as in the HTTP API)",
        examples: ["olleey job list", "olleey job list --status failed --json", "olleey job list --lang es --sort-by updated_at --page 2"],
        options: [
            .option("status", "LIST", "only these statuses", type: .list, completion: .values(statusValues)),
            .option("project", "ID", "only this project (id or name)"),
            .option("channel", "ID", "only this channel (id or name)"),
            .option("lang", "LANG", "only jobs with this target language"),
            .option("created-after", "TIME", "created at or after (ISO 8601)"),
            .option("created-before", "TIME", "created before (ISO 8601)"),
            .option("sort-by", "FIELD", "sort field", type: .choice(JobStore.sortable), default: "created_at"),
            .option("sort-order", "ORDER", "asc or desc", type: .choice(["asc", "desc"]), default: "desc"),
            .option("page", "N", "page number (from 1)", type: .int, default: "1"),
            .option("page-size", "N", "jobs per page (1-500)", type: .int, default: "50"),
        ]
    ) { ctx in
        let a = ctx.args
        var q = JobListQuery()
        q.statuses = a.list("status")
        q.project = a.string("project")
        q.channel = a.string("channel")
        q.language = a.string("lang")
        q.createdAfter = a.string("created-after")
        q.createdBefore = a.string("created-before")
        q.sortBy = a.string("sort-by") ?? "created_at"
        q.sortOrder = a.string("sort-order") ?? "desc"
        q.page = a.int("page") ?? 1
        q.pageSize = a.int("page-size") ?? 50
        let page = try queries(ctx).page(q)
        // a person reads the table on a TTY: the shortest unique prefix; a pipe gets whole ids
        let tty = ctx.stdout.isTTY
        let store = JobStore(try ctx.database(), org: try ReviewOptions.actor(ctx).org)
        try ctx.emit(list: page.json,
                     table: Table(["id", "status", "languages", "source", "created"], try page.items.map { s in
                         [tty ? try store.shortId(s.job.id) : s.job.id, s.job.status.rawValue,
                          s.languages.map { "\($0.language):\($0.status.rawValue)" }.joined(separator: ","), s.job.sourceName, s.job.createdAt]
                     }))
        return 0
    }

    static let show: CommandSpec = CommandSpec(
        "show", "show a job: status, per-language states, errors and what to do",
        examples: ["olleey job show 0193a1b2", "olleey job show 0193a1b2 --json", "olleey job show 0193a1b2 --fit"],
        arguments: [jobArg],
        options: [.flag("fit", "include the per-cue fit report (natural length, slot, factor, overflow; with --fit-mode video, the video's slow-down)")]
    ) { ctx in
        let j = try resolve(ctx, ctx.args.positionals[0])
        let q = try queries(ctx)
        let d = try q.detail(j, fit: ctx.args.has("fit"))
        try ctx.emit(d.json) { humanDetail(d, printedId: q.printedId(j.id)) }
        return 0
    }

    static let status: CommandSpec = CommandSpec(
        "status", "print a job's status (one line, or JSON)",
        examples: ["olleey job status 0193a1b2", "olleey job status 0193a1b2 --json"],
        arguments: [jobArg]
    ) { ctx in
        let j = try resolve(ctx, ctx.args.positionals[0])
        let sum = try queries(ctx).summary(j)
        try ctx.emit(sum.json) {
            "\(j.status.rawValue)\t" + sum.languages.map { "\($0.language):\($0.status.rawValue)" }.joined(separator: ",")
        }
        return 0
    }

    static let outputs: CommandSpec = CommandSpec(
        "outputs", "print the paths of a job's outputs (master MP4, per-language MP4, VTT, SRT, audio)",
        discussion: "With media in an object store (storage.url s3://...), each output is shown as its object (s3://BUCKET/KEY) with a presigned download URL valid 24 hours (in --json: \"downloads\" and \"urls_expire_at\").",
        examples: ["olleey job outputs 0193a1b2 --json", "olleey job outputs 0193a1b2 | cut -f3"],
        arguments: [jobArg]
    ) { ctx in
        let j = try resolve(ctx, ctx.args.positionals[0])
        let o = try queries(ctx).outputs(j)
        let table = o.objects.isEmpty ? Table(["language", "kind", "path"], o.rows.map { [$0.language, $0.kind, $0.path] })
            : Table(["language", "kind", "object", "url"], o.rows.map { [$0.language, $0.kind, o.shown($0.path), o.objects[$0.path]?.url ?? ""] })
        try ctx.emit(list: o.json, table: table)
        return 0
    }

    static let events: CommandSpec = CommandSpec(
        "events", "print a job's events (NDJSON with --json; --follow keeps printing)",
        examples: ["olleey job events 0193a1b2", "olleey job events 0193a1b2 --follow --json"],
        arguments: [jobArg],
        options: [.flag("follow", short: "f", "keep printing new events until interrupted"),
                  .option("after", "ID", "only events after this event id", type: .int)]
    ) { ctx in
        let j = try resolve(ctx, ctx.args.positionals[0])
        try stream(ctx, job: j, after: Int64(ctx.args.int("after") ?? 0), untilSettled: false, follow: ctx.args.has("follow"))
        return 0
    }

    static let watch: CommandSpec = CommandSpec(
        "watch", "watch a job until it settles (completed, failed, cancelled, paused, waiting_approval): live progress on a terminal, NDJSON events in a pipe",
        discussion: "On a terminal (stdout a TTY, TERM not dumb, no --json) it draws the view 'job run' draws: one line per language with its stage, a bar for the long stages (dub by cues, mix, assemble and master by seconds of media, from stage.progress events) and the elapsed time, redrawn in place, and final lines when the job settles. In a pipe or with --json it prints the job's events as NDJSON (stage.progress among them). Exits 2 when the job failed.",
        examples: ["olleey job watch 0193a1b2", "olleey job watch 0193a1b2 | jq -r .kind"],
        arguments: [jobArg]
    ) { ctx in
        let j = try resolve(ctx, ctx.args.positionals[0])
        if ctx.stdout.isTTY && ctx.environment["TERM"] != "dumb" && !ctx.json {
            try watchLive(ctx, j)
        } else {
            try stream(ctx, job: j, after: 0, untilSettled: true, follow: true, forceJSON: true)
        }
        let final = try resolve(ctx, j.id)
        return final.status == .failed ? 2 : 0
    }

    /// `job watch` on a terminal: the progress view of `job run`, from the job's state polled
    /// every 200 ms, and the bars from its `stage.progress` events, until the job settles.
    static func watchLive(_ ctx: Context, _ j: Job) throws {
        let store = JobStore(try ctx.database(), org: try ReviewOptions.actor(ctx).org)
        let live = ProgressTerminal(sink: ctx.stdout, color: ctx.color, width: ProgressTerminal.width(ctx.environment))
        let printed = store.printedId(j.id)
        var last: ProgressView.Snapshot?
        // the counts from now on: those of stages already over are not drawn
        var events = try queries(ctx).events(j)
        while !(try events.next()).isEmpty {}
        live.start()
        defer { live.finish() }
        while true {
            guard let job = try store.get(j.id) else { return }
            let now = ProgressView.Snapshot(status: job.status.rawValue, stage: job.stage, settled: job.status.isSettled,
                                            languages: try store.languages(j.id).map { ($0.language, $0.status.rawValue, $0.stage) })
            let atMs = Int64(Clock.monotonicNanos() / 1_000_000)
            for e in ProgressView.changes(job: j.id, printed: printed, from: last, to: now, atMs: atMs) { live.handle(e) }
            // after the state: a count of a stage the state has already left is dropped
            for e in try events.next() { if let p = ProgressEvent(e, printed: printed, atMs: atMs) { live.handle(p) } }
            last = now
            if now.settled { return }
            usleep(200_000)
        }
    }

    static func stream(_ ctx: Context, job: Job, after: Int64, untilSettled: Bool, follow: Bool, forceJSON: Bool = false) throws {
        var cursor = try queries(ctx).events(job, after: after)
        try cursor.follow(until: !follow ? .caughtUp : untilSettled ? .settled : .stopped) { evs in
            for e in evs {
                if ctx.json || forceJSON { ctx.stdout.write(e.json.encoded() + "\n") } else {
                    ctx.stdout.write("\(e.at)  \(e.kind)\(e.language.map { " [\($0)]" } ?? "")  \(e.data.encoded())\n")
                }
            }
        }
    }

    static let stats: CommandSpec = CommandSpec(
        "stats", "counts by status and language, failure reasons, average stage durations",
        examples: ["olleey job stats", "olleey job stats --json"]
    ) { ctx in
        let st = try queries(ctx).stats()
        try ctx.emit(st.json) {
            var s = "jobs: \(st.total)\n" + st.byStatus.map { "  \($0.key.padding(18)) \($0.count)" }.joined(separator: "\n")
            s += "\nlanguages:\n" + st.byLanguage.map { "  \($0.language.padding(5)) \($0.status.padding(18)) \($0.count)" }.joined(separator: "\n")
            if !st.failureReasons.isEmpty { s += "\nfailure reasons:\n" + st.failureReasons.map { "  \($0.count)x at \($0.stage): \($0.error)" }.joined(separator: "\n") }
            s += "\naverage stage durations (not cached):\n" + st.stageDurations.map { "  \($0.stage.padding(10)) \($0.avgMs) ms over \($0.runs) runs" }.joined(separator: "\n")
            return s
        }
        return 0
    }

    static func control(_ name: String, _ abstract: String, example: String, options: [OptionSpec] = [],
                        _ body: @escaping @Sendable (Context, JobService, Job) throws -> Job) -> CommandSpec {
        CommandSpec(name, abstract, examples: [example, example + " --json"], arguments: [jobArg], options: options) { ctx in
            let j = try resolve(ctx, ctx.args.positionals[0])
            let svc = try service(ctx)
            let after = try body(ctx, svc, j)
            try ctx.emit(try queries(ctx).detail(after).json) { "job \(after.id): \(after.status.rawValue)" }
            return 0
        }
    }

    static let langOption = OptionSpec.option("lang", short: "l", "LANG", "the language")

    /// job approve|reject: the one approval path (`QCService.decide`), whose permission check
    /// `qc approve|reject` shares; prints the job as the other control verbs do.
    static func decision(_ name: String, _ abstract: String, example: String, options: [OptionSpec],
                         _ decision: @escaping @Sendable (Context) -> QCService.Decision) -> CommandSpec {
        CommandSpec(name, abstract,
                    discussion: "Only the language's assigned LINGUIST or REVIEWER, a PM or an ADMIN may \(name) (else 77). The acting user is --as, else $OLLEEY_USER (an email), else config user.email; once any user account exists one is needed (77 without). On a workspace without user accounts the local operator decides alone. The language must be rendered (waiting for approval, or later) (else 1).",
                    examples: [example, example + " --json"], arguments: [jobArg], options: [langOption] + options + [ReviewOptions.asUser]) { ctx in
            let j = try resolve(ctx, ctx.args.positionals[0])
            _ = try QCCommands.service(ctx).decide(j, language: try requireLang(ctx), decision(ctx), actor: try ReviewOptions.actor(ctx), verb: "job \(name)")
            let after = try resolve(ctx, j.id)
            try ctx.emit(try queries(ctx).detail(after).json) { "job \(after.id): \(after.status.rawValue)" }
            return 0
        }
    }

    static func requireLang(_ ctx: Context) throws -> String {
        guard let l = ctx.args.string("lang") else { throw OlleeyError.usage("'\(ctx.commandLine)' needs --lang LANG") }
        return try Language.validate(l).code
    }

    static let spec: CommandSpec = CommandSpec(
        "job", "dub videos: create jobs, run them, inspect and control them",
        discussion: "A job takes one video and target languages through ingest, transcribe, translate, voice, dub (synthesize and fit), lip_sync, mix, assemble, approval and publish. Every stage is cached by a hash of its inputs: running a finished job again does no work, and editing one cue re-renders only that cue's speech and that language.",
        examples: ["olleey job create talk.mp4 --subtitles talk.en.vtt --lang es,ca --json", "olleey job run --all", "olleey job show JOB --json"],
        subcommands: [
            create, run, list, show, status, watch, outputs, events, stats,
            control("pause", "pause a job between stages (stops a running subprocess cleanly)", example: "olleey job pause 0193a1b2") { _, s, j in try s.pause(j) },
            control("resume", "resume a paused job", example: "olleey job resume 0193a1b2") { _, s, j in try s.resume(j) },
            control("cancel", "cancel a job (stops a running subprocess cleanly)", example: "olleey job cancel 0193a1b2") { _, s, j in try s.cancel(j) },
            control("retry", "queue failed languages again, from their failed stage (or --stage)", example: "olleey job retry 0193a1b2",
                    options: [.option("stage", "STAGE", "run this stage and those after it again", type: .choice(stageValues))]) { ctx, s, j in
                try s.retry(j, stage: ctx.args.string("stage").flatMap(Stage.init(rawValue:)))
            },
            decision("approve", "approve a language of a job waiting for approval (the same rules as 'olleey qc approve')",
                     example: "olleey job approve 0193a1b2 --lang es --as pm@example.com", options: []) { _ in .approve },
            decision("reject", "reject a language (with a reason); it goes back for fixes (the same rules as 'olleey qc reject')",
                     example: "olleey job reject 0193a1b2 --lang es --reason 'wrong names' --as pm@example.com",
                     options: [.option("reason", "TEXT", "what to fix (required)")]) { ctx in .reject(reason: ctx.args.string("reason")) },
            CommandSpec("delete", "delete a job and its outputs (cached artefacts stay for other jobs)",
                        examples: ["olleey job delete 0193a1b2", "olleey job delete 0193a1b2 --force --json"],
                        arguments: [jobArg], options: [.flag("force", "delete even while it runs")]) { ctx in
                let j = try resolve(ctx, ctx.args.positionals[0])
                try service(ctx).delete(j, force: ctx.args.has("force"))
                try ctx.emit(.object([("id", .string(j.id)), ("deleted", .bool(true))])) { "deleted job \(j.id)" }
                return 0
            },
        ])
}
