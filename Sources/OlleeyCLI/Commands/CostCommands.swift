import Foundation
import OlleeyKit

/// olleey cost estimate|job|summary|rates: costs known before spending, and what was spent.
enum CostCommands {
    static let estimate: CommandSpec = CommandSpec(
        "estimate", "estimate what dubbing a video into some languages costs, from the rate card",
        discussion: "Give the video's length with --duration (180s, 3m, 00:03:00) or --video FILE (probed with ffprobe). The JSON has the HTTP API's fields (estimated_cost, breakdown.dubbing, breakdown.lip_sync, breakdown.per_language, currency) in dollars, the same in integer micro-dollars (*_micros), and the priced stages. A duration that is not positive, or longer than 48 hours, exits 65. Outside a workspace the default rate card is used.",
        examples: ["olleey cost estimate --duration 180s --lang es,fr,de --lip-sync --json",
                   "olleey cost estimate --video talk.mp4 --lang es", "olleey cost estimate --duration 3m --lang es --engine translate=http"],
        options: [
            .option("duration", short: "d", "DURATION", "the video's length (180s, 3m, 1h30m, 00:03:00)", type: .duration),
            .option("video", "FILE", "a video to take the length from", type: .path, completion: .files(["mp4", "mkv", "mov", "webm"])),
            .option("lang", short: "l", "LIST", "target languages, comma-separated or repeated", type: .list),
            .flag("lip-sync", "include lip sync"),
            .option("engine", "STAGE=NAME", "price a stage with this engine (repeatable; else the configured engines)", repeatable: true),
        ]
    ) { ctx in
        let a = ctx.args
        let langs = a.list("lang")
        guard !langs.isEmpty else { throw OlleeyError.usage("'olleey cost estimate' needs --lang", hint: "e.g. --lang es,fr,de") }
        let ms: Int64
        switch (a.duration("duration"), a.string("video")) {
        case let (d?, nil): ms = d
        case let (nil, v?): ms = try CostService.durationMs(ofVideo: ctx.path(v))
        case (nil, nil): throw OlleeyError.usage("'olleey cost estimate' needs --duration or --video", hint: "e.g. --duration 3m")
        default: throw OlleeyError.usage("give --duration or --video, not both")
        }
        let overrides = try JobCommands.pairs(a.all("engine"), option: "engine")
        for (k, _) in overrides where !["transcribe", "translate", "speak"].contains(k) {
            throw OlleeyError.usage("unknown stage '\(k)' in --engine", hint: "stages: transcribe, translate, speak")
        }
        let e: CostEstimate
        do {
            let svc = CostService(try ctx.database())
            e = try svc.estimate(durationMs: ms, languages: langs, lipSync: a.has("lip-sync"), engines: try svc.engines(overrides: overrides))
        } catch let err as OlleeyError where err.code == .config && (try? ctx.workspace()) == nil {
            // outside a workspace: the default rate card and engines
            e = try CostService.estimate(durationMs: ms, languages: langs, lipSync: a.has("lip-sync"),
                                         engines: CostService.defaultEngines.merging(overrides) { $1 })
        }
        try ctx.emit(e.json) { e.human }
        return 0
    }

    static let job: CommandSpec = CommandSpec(
        "job", "a job's estimated and actual cost, by service and by stage",
        examples: ["olleey cost job 0193a1b2", "olleey cost job 0193a1b2 --json"],
        arguments: [JobCommands.jobArg]
    ) { ctx in
        let j = try JobCommands.resolve(ctx, ctx.args.positionals[0])
        let json = try CostService(ctx.database()).jobCost(j)
        try ctx.emit(json) {
            var s = "job \(j.id) (\(j.status.rawValue))\n  estimated \(json["formatted_estimate"]?.stringValue ?? "unknown (the video is not ingested yet)")\n  actual    \(json["formatted_actual"]?.stringValue ?? "$0.00")\n"
            for e in json["entries"]?.arrayValue ?? [] {
                let lang = e["language"]?.stringValue ?? "-"
                s += "    \((e["stage"]?.stringValue ?? "").padding(11)) \(lang.padding(4)) \((e["engine"]?.stringValue ?? "").padding(10)) \(Money.format(e["micros"]?.intValue ?? 0))\n"
            }
            return s
        }
        return 0
    }

    /// `--since`: an ISO 8601 date or time, or a number of days back (`30d`).
    static func since(_ raw: String) throws -> String {
        if let t = Clock.parseISO8601(raw) { return Clock.iso8601(millis: t) }
        if raw.hasSuffix("d"), let n = Int(raw.dropLast()), n >= 0, n <= 36_500 {
            return Clock.iso8601(millis: Clock.nowMillis() - Int64(n) * 86_400_000)
        }
        throw OlleeyError.usage("--since '\(raw)' is not a date (2025-01-31, 2025-01-31T12:00Z) or a number of days (30d)")
    }

    static let summary: CommandSpec = CommandSpec(
        "summary", "what was spent: in total, this month, last month, by service and stage",
        examples: ["olleey cost summary", "olleey cost summary --since 30d --json", "olleey cost summary --project Demo --since 2025-01-01"],
        options: [.option("since", "DATE", "only costs since this date (ISO 8601) or this many days (30d)"),
                  .option("project", "PROJECT", "only this project's jobs")]
    ) { ctx in
        let db = try ctx.database()
        let sinceISO = try ctx.args.string("since").map(since)
        let project = try ctx.args.string("project").map { try ProjectService(db, actor: try ReviewOptions.actor(ctx)).resolve($0) }
        let json = try CostService(db).summary(sinceISO: sinceISO, projectId: project?.id)
        try ctx.emit(json) {
            func f(_ k: String) -> String { Money.format(json[k]?.intValue ?? 0) }
            var s = "spent \(f("total_spent_micros"))\(sinceISO.map { " since \($0.prefix(10))" } ?? "")\(project.map { " on project \($0.name)" } ?? "") over \(json["jobs"]?.intValue ?? 0) job(s)\n"
            s += "  this month \(f("current_month_micros")), last month \(f("last_month_micros"))\n"
            for (k, v) in json["by_stage_micros"]?.objectValue ?? [] { s += "  \(k.padding(11)) \(Money.format(v.intValue ?? 0))\n" }
            return s
        }
        return 0
    }

    static let rates: CommandSpec = CommandSpec(
        "rates", "show or change the rate card (dollars per minute of video, per stage and engine)",
        discussion: "Keys: transcribe (once per job), translate, speak, mix and lip_sync (per target language), and STAGE.ENGINE to price one engine differently (translate.http=0.40). An unknown key exits 64, a value that is not a non-negative amount exits 65; nothing changes then. Defaults: translate 0.25, speak 0.50, mix 0.25 (dubbing $1.00 per minute per language), lip_sync 0.75, transcribe 0.",
        examples: ["olleey cost rates", "olleey cost rates --set speak=0.60 --set translate.http=0.40", "olleey cost rates --reset speak --json"],
        options: [.option("set", "KEY=VALUE", "set a rate in dollars per minute (repeatable)", repeatable: true),
                  .option("reset", "KEY", "back to the default (repeatable)", repeatable: true, completion: .values(RateCard.knownKeys))]
    ) { ctx in
        let svc = CostService(try ctx.database())
        let actor = try? ctx.actingUserEmail()
        var pairs: [(String, String)] = []
        for raw in ctx.args.all("set") {
            let p = raw.split(separator: "=", maxSplits: 1).map(String.init)
            guard p.count == 2 else { throw OlleeyError.usage("--set takes KEY=VALUE (got '\(raw)')", hint: "e.g. --set speak=0.60") }
            pairs.append((p[0], p[1]))
        }
        if !pairs.isEmpty { try svc.setRates(pairs, actor: actor) }
        let resets = ctx.args.all("reset")
        if !resets.isEmpty { try svc.resetRates(resets, actor: actor) }
        let rows = try svc.rates()
        try ctx.emit(list: .array(rows.map(\.json)),
                     table: Table(["key", "per_minute", "default", "description"], rows.map { [$0.key, Money.format($0.micros), $0.isDefault ? "yes" : "no", $0.help] }))
        return 0
    }

    static let spec: CommandSpec = CommandSpec(
        "cost", "costs: estimates before the run, what jobs spent, the rate card",
        discussion: "Money is integer micro-dollars internally (*_micros in JSON) and shown in dollars. Actual costs are recorded per job, stage and language as the pipeline runs. 'job create --max-cost AMOUNT' refuses a job whose estimate exceeds AMOUNT.",
        examples: ["olleey cost estimate --duration 3m --lang es,fr,de --json", "olleey cost job JOB", "olleey cost rates --set speak=0.60"],
        subcommands: [estimate, job, summary, rates])
}
