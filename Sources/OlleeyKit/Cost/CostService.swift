import Foundation
import WebVTT

/// One priced stage of an estimate or of what a job spent.
public struct CostLine: Sendable, Equatable {
    public var stage: String
    public var engine: String
    public var rateMicros: Int64       // per minute
    public var languages: Int          // 0 for a once-per-job stage
    public var micros: Int64

    public var json: JSON {
        .object([("stage", .string(stage)), ("engine", .string(engine)), ("rate_micros_per_minute", .int(rateMicros)),
                 ("languages", .int(Int64(languages))), ("micros", .int(micros)), ("cost", Money.dollars(micros))])
    }
}

public struct CostEstimate: Sendable, Equatable {
    public var durationMs: Int64
    public var languages: [String]
    public var lipSync: Bool
    public var lines: [CostLine]

    public var totalMicros: Int64 { lines.reduce(0) { $0 + $1.micros } }
    public var lipSyncMicros: Int64 { lines.filter { $0.stage == "lip_sync" }.reduce(0) { $0 + $1.micros } }
    public var dubbingMicros: Int64 { totalMicros - lipSyncMicros }
    public var perLanguageMicros: Int64 { languages.isEmpty ? totalMicros : (totalMicros + Int64(languages.count) / 2) / Int64(languages.count) }

    /// The HTTP API's estimate fields (dollars), plus the exact micros and a formatted total.
    public var json: JSON {
        .object([
            ("estimated_cost", Money.dollars(totalMicros)),
            ("breakdown", .object([("dubbing", Money.dollars(dubbingMicros)), ("lip_sync", Money.dollars(lipSyncMicros)),
                                   ("per_language", Money.dollars(perLanguageMicros))])),
            ("currency", .string(Money.currency)),
            ("estimated_cost_micros", .int(totalMicros)),
            ("breakdown_micros", .object([("dubbing", .int(dubbingMicros)), ("lip_sync", .int(lipSyncMicros)), ("per_language", .int(perLanguageMicros))])),
            ("formatted", .string(Money.format(totalMicros))),
            ("video_duration_seconds", .double(Double(durationMs) / 1000)),
            ("duration_ms", .int(durationMs)),
            ("target_languages", .array(languages.map { .string($0) })),
            ("include_lip_sync", .bool(lipSync)),
            ("stages", .array(lines.map(\.json))),
        ])
    }

    static func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s + " " : s + String(repeating: " ", count: n - s.count) }

    public var human: String {
        let secs = durationMs % 1000 == 0 ? String(durationMs / 1000) : String(Double(durationMs) / 1000)
        var s = "estimate for \(secs) s into \(languages.count) language\(languages.count == 1 ? "" : "s") (\(languages.joined(separator: ", ")))\(lipSync ? " with lip sync" : "")\n"
        for l in lines {
            let per = l.languages > 0 ? " x \(l.languages) lang" : " once"
            s += "  " + CostEstimate.pad(l.stage, 11) + CostEstimate.pad(l.engine, 13) + CostEstimate.pad("\(Money.format(l.rateMicros))/min\(per)", 22) + Money.format(l.micros) + "\n"
        }
        s += "  dubbing \(Money.format(dubbingMicros)), lip sync \(Money.format(lipSyncMicros)), per language \(Money.format(perLanguageMicros))\n"
        s += "total \(Money.format(totalMicros)) \(Money.currency)"
        return s
    }
}

/// One recorded cost of a job's stage.
public struct CostEntry: Sendable {
    public var jobId: String
    public var projectId: String?
    public var stage: String
    public var language: String
    public var engine: String
    public var micros: Int64
    public var usage: JSON
    public var createdAt: String

    public var json: JSON {
        .object([("stage", .string(stage)), ("language", language.isEmpty ? .null : .string(language)), ("engine", .string(engine)),
                 ("micros", .int(micros)), ("cost", Money.dollars(micros)), ("usage", usage), ("created_at", .string(createdAt))])
    }
}

/// Rules of costs: the rate card, estimates, the budget cap, and what jobs actually spent
/// (recorded per job, stage and language as the pipeline runs).
public struct CostService {
    public let db: Database

    public init(_ db: Database) { self.db = db }

    /// Longest video an estimate accepts.
    public static let maxDurationMs: Int64 = 48 * 3_600_000

    // MARK: rates

    public func rateCard() throws -> RateCard {
        RateCard(stored: try CostStore(db).storedRates())
    }

    public struct RateRow: Sendable {
        public var key: String
        public var micros: Int64
        public var isDefault: Bool
        public var help: String
        public var json: JSON {
            .object([("key", .string(key)), ("micros_per_minute", .int(micros)), ("per_minute", Money.dollars(micros)),
                     ("formatted", .string(Money.format(micros))), ("is_default", .bool(isDefault)), ("description", .string(help))])
        }
    }

    /// The stage rates, and every engine rate that is set.
    public func rates() throws -> [RateRow] {
        let card = try rateCard()
        var rows: [RateRow] = []
        for s in RateCard.stages {
            rows.append(RateRow(key: s, micros: card.stored[s] ?? RateCard.defaults[s] ?? 0, isDefault: card.stored[s] == nil, help: RateCard.help[s] ?? ""))
            for e in RateCard.engines(s) {
                if let v = card.stored["\(s).\(e)"] { rows.append(RateRow(key: "\(s).\(e)", micros: v, isDefault: false, help: "\(s) with the \(e) engine")) }
            }
        }
        return rows
    }

    /// Sets rates (`key` -> dollars per minute) in one transaction: an unknown key is 64, a value
    /// that is not a non-negative amount is 65, and nothing changes then.
    public func setRates(_ pairs: [(String, String)], actor: String? = nil) throws {
        var parsed: [(String, Int64)] = []
        for (k, v) in pairs {
            let key = try RateCard.validateKey(k)
            let micros = try Money.parse(v, what: "rate for \(key)")
            guard micros <= 1_000 * Money.perDollar else {
                throw OlleeyError.invalid("rate for \(key) of \(Money.format(micros)) per minute is absurd (the limit is $1,000.00)")
            }
            parsed.append((key, micros))
        }
        try db.transaction {
            for (k, m) in parsed {
                try CostStore(db).setRate(k, micros: m)
                try AuditLog(db).record(actor: actor, action: "cost.rate.set", subject: k, detail: ["micros": .int(m)])
            }
        }
    }

    public func resetRates(_ keys: [String], actor: String? = nil) throws {
        let valid = try keys.map(RateCard.validateKey)
        try db.transaction {
            for k in valid {
                try CostStore(db).deleteRate(k)
                try AuditLog(db).record(actor: actor, action: "cost.rate.reset", subject: k)
            }
        }
    }

    // MARK: estimates

    public static func validateDuration(_ ms: Int64) throws {
        guard ms > 0 else { throw OlleeyError.invalid("the duration must be positive (got \(ms) ms)") }
        guard ms <= maxDurationMs else {
            throw OlleeyError.invalid("a duration of \(ms / 3_600_000) hours is absurd (the limit is \(maxDurationMs / 3_600_000) hours)")
        }
    }

    /// Engines by stage from the workspace config, with overrides (`stage` -> engine).
    public func engines(overrides: [String: String] = [:], hasSubtitles: Bool = false) throws -> [String: String] {
        let cfg = ConfigStore(db)
        var e: [String: String] = [
            "transcribe": hasSubtitles ? "subtitles" : (try cfg.value("engines.transcribe") ?? "pocketsphinx"),
            "translate": try cfg.value("engines.translate") ?? "apertium",
            "speak": try cfg.value("engines.speak") ?? "espeak-ng",
            "mix": "ffmpeg", "lip_sync": "command",
        ]
        for (k, v) in overrides where e[k] != nil { e[k] = v }
        if hasSubtitles { e["transcribe"] = "subtitles" }
        return e
    }

    public func estimate(durationMs: Int64, languages: [String], lipSync: Bool, engines: [String: String]? = nil) throws -> CostEstimate {
        try CostService.estimate(durationMs: durationMs, languages: languages, lipSync: lipSync, card: try rateCard(), engines: try engines ?? self.engines())
    }

    /// The default engines by stage (no workspace config).
    public static let defaultEngines: [String: String] = [
        "transcribe": "pocketsphinx", "translate": "apertium", "speak": "espeak-ng", "mix": "ffmpeg", "lip_sync": "command",
    ]

    /// An estimate from a given rate card (the defaults when there is no workspace).
    public static func estimate(durationMs: Int64, languages: [String], lipSync: Bool, card: RateCard = RateCard(),
                                engines eng: [String: String] = defaultEngines) throws -> CostEstimate {
        try CostService.validateDuration(durationMs)
        guard !languages.isEmpty else { throw OlleeyError.usage("no target languages", next: [.input("lang", example: "es,fr")]) }
        var langs: [String] = []
        for l in languages {
            let code = try Language.validate(l).code
            if langs.contains(code) { throw OlleeyError.invalid("language \(code) is listed twice") }
            langs.append(code)
        }
        var lines: [CostLine] = []
        let n = Int64(langs.count)
        let t = eng["transcribe"] ?? "pocketsphinx"
        let tr = card.rate("transcribe", engine: t)
        lines.append(CostLine(stage: "transcribe", engine: t, rateMicros: tr, languages: 0, micros: Money.perMinute(tr, durationMs: durationMs)))
        for s in ["translate", "speak", "mix"] + (lipSync ? ["lip_sync"] : []) {
            let e = eng[s] ?? "-"
            let r = card.rate(s, engine: e)
            lines.append(CostLine(stage: s, engine: e, rateMicros: r, languages: langs.count, micros: Money.perMinute(r, durationMs: durationMs) * n))
        }
        return CostEstimate(durationMs: durationMs, languages: langs, lipSync: lipSync, lines: lines)
    }

    /// The duration of a local video (ffprobe).
    public static func durationMs(ofVideo path: String) throws -> Int64 {
        Int64(try FFmpeg().probe(path, requireVideo: false).durationMs)
    }

    /// The estimate of a job: from its ingested video, else by probing its local source; nil
    /// when the duration cannot be known yet (a URL not yet downloaded).
    public func estimate(for job: Job) throws -> CostEstimate? {
        var ms: Int64?
        if let vid = job.videoId { ms = try CostStore(db).videoDurationMs(vid) }
        if ms == nil, !job.source.contains("://"), FileManager.default.fileExists(atPath: job.source) {
            ms = try? CostService.durationMs(ofVideo: job.source)
        }
        guard let d = ms, d > 0 else { return nil }
        let sourceTrack = try TrackStore(db).current(job: job.id, language: job.sourceLang, kind: .source)
        let hasSubs = job.options.subtitlesPath != nil || (sourceTrack.map { !$0.author.hasPrefix("olleey/") } ?? false)
        return try estimate(durationMs: min(d, CostService.maxDurationMs), languages: job.options.targetLanguages, lipSync: job.options.lipSync,
                            engines: engines(overrides: job.options.engines, hasSubtitles: hasSubs))
    }

    /// `job create --max-cost`: refuses (1, nothing created) a job whose estimate exceeds the cap.
    public func enforceBudget(_ job: Job, hasSubtitles: Bool) throws {
        guard let cap = job.options.maxCostMicros else { return }
        guard !job.source.contains("://") || job.source.hasPrefix("file://") else {
            throw OlleeyError.usage("a budget cap needs the video's duration before the job is created: give a local file",
                                    hint: "or estimate the cost first", next: [.command("cost estimate", options: ["duration": "3m", "lang": job.options.targetLanguages.joined(separator: ",")])])
        }
        let path = job.source.hasPrefix("file://") ? String(job.source.dropFirst(7)).removingPercentEncoding ?? job.source : job.source
        let e = try estimate(durationMs: min(try CostService.durationMs(ofVideo: path), CostService.maxDurationMs), languages: job.options.targetLanguages,
                             lipSync: job.options.lipSync, engines: engines(overrides: job.options.engines, hasSubtitles: hasSubtitles))
        if e.totalMicros > cap {
            var options = ["video": job.source, "lang": job.options.targetLanguages.joined(separator: ",")]
            if job.options.lipSync { options["lip-sync"] = "" }
            throw OlleeyError.conflict("the estimated cost \(Money.format(e.totalMicros)) exceeds the budget cap of \(Money.format(cap)); no job was created",
                                       hint: "see the estimate, or raise the cap", next: [.command("cost estimate", options: options), .input("max-cost")])
        }
    }

    // MARK: actual costs

    func upsert(job: Job, stage: String, language: String, engine: String, micros: Int64, usage: JSON) throws {
        try CostStore(db).upsert(job: job, stage: stage, language: language, engine: engine, micros: micros, usage: usage)
    }

    func videoDuration(_ job: Job) throws -> Int64? {
        guard let vid = job.videoId else { return nil }
        return try CostStore(db).videoDurationMs(vid)
    }

    static func characters(_ track: TrackVersion?) -> Int {
        guard let t = track else { return 0 }
        return WebVTTParser.parse(t.content, mode: .browser).document.cues.reduce(0) { $0 + CueText.plainText($1.text).count }
    }

    /// Records what rendering one language cost (translate, speak, mix, and lip sync when asked),
    /// from the rate card and the video's duration. Rendering a language again replaces its entries.
    public func recordLanguage(_ job: Job, language: String, translateEngine: String, speakEngine: String) throws {
        guard let d = try videoDuration(job) else { return }
        let card = try rateCard()
        let tracks = TrackStore(db)
        let srcChars = CostService.characters(try tracks.current(job: job.id, language: job.sourceLang, kind: .source))
        let dstChars = CostService.characters(try tracks.current(job: job.id, language: language, kind: .translation))
        var stages: [(String, String, JSON)] = [
            ("translate", translateEngine, ["duration_ms": .int(d), "characters": .int(Int64(srcChars))]),
            ("speak", speakEngine, ["duration_ms": .int(d), "characters": .int(Int64(dstChars))]),
            ("mix", "ffmpeg", ["duration_ms": .int(d)]),
        ]
        if job.options.lipSync { stages.append(("lip_sync", "command", ["duration_ms": .int(d)])) }
        try db.transaction {
            for (s, e, usage) in stages {
                try upsert(job: job, stage: s, language: language, engine: e, micros: Money.perMinute(card.rate(s, engine: e), durationMs: d), usage: usage)
            }
        }
    }

    /// Records the job-level costs (transcription) when a job finishes.
    public func recordJob(_ job: Job) throws {
        guard let d = try videoDuration(job) else { return }
        let author = try TrackStore(db).versions(job: job.id, language: job.sourceLang, kind: .source).first?.author ?? ""
        let engine = author.hasPrefix("olleey/") ? String(author.dropFirst("olleey/".count)) : "subtitles"
        let card = try rateCard()
        try upsert(job: job, stage: "transcribe", language: "", engine: engine,
                   micros: Money.perMinute(card.rate("transcribe", engine: engine), durationMs: d), usage: ["duration_ms": .int(d)])
    }

    public func entries(job: String) throws -> [CostEntry] {
        try CostStore(db).entries(job: job)
    }

    /// `cost job`: the estimate, what was spent, by service and by entry.
    public func jobCost(_ job: Job) throws -> JSON {
        let est = try estimate(for: job)
        let entries = try entries(job: job.id)
        let actual = entries.reduce(0) { $0 + $1.micros }
        let lip = entries.filter { $0.stage == "lip_sync" }.reduce(0) { $0 + $1.micros }
        return .object([
            ("job_id", .string(job.id)),
            ("estimated_cost", est.map { Money.dollars($0.totalMicros) } ?? .null),
            ("actual_cost", Money.dollars(actual)),
            ("cost_breakdown", .object([("dubbing", Money.dollars(actual - lip)), ("lip_sync", Money.dollars(lip))])),
            ("currency", .string(Money.currency)),
            ("estimated_cost_micros", JSON(est?.totalMicros)),
            ("actual_cost_micros", .int(actual)),
            ("formatted_estimate", est.map { .string(Money.format($0.totalMicros)) } ?? .null),
            ("formatted_actual", .string(Money.format(actual))),
            ("status", .string(job.status.rawValue)),
            ("entries", .array(entries.map(\.json))),
        ])
    }

    /// `cost summary`: spent in total, this month and last month (UTC), by service and stage.
    /// `org`: one organisation's jobs only (the server's caller's); nil: every job (the CLI).
    public func summary(sinceISO: String? = nil, projectId: String? = nil, org: String? = nil, now: Int64 = Clock.nowMillis()) throws -> JSON {
        let rows = try CostStore(db).summaryRows(sinceISO: sinceISO, projectId: projectId, org: org)
        let today = Clock.iso8601(millis: now)
        let y = Int(today.prefix(4)) ?? 1970, m = Int(today.dropFirst(5).prefix(2)) ?? 1
        func monthStart(_ y: Int, _ m: Int) -> String { String(format: "%04d-%02d-01T00:00:00.000Z", y, m) }
        let thisMonth = monthStart(y, m)
        let lastMonth = m == 1 ? monthStart(y - 1, 12) : monthStart(y, m - 1)
        var total: Int64 = 0, current: Int64 = 0, previous: Int64 = 0, lip: Int64 = 0
        var byStage: [String: Int64] = [:]
        var jobs: Set<String> = []
        for (stage, micros, at, job) in rows {
            total += micros
            if at >= thisMonth { current += micros } else if at >= lastMonth { previous += micros }
            if stage == "lip_sync" { lip += micros }
            byStage[stage, default: 0] += micros
            jobs.insert(job)
        }
        return .object([
            ("total_spent", Money.dollars(total)),
            ("current_month", Money.dollars(current)),
            ("last_month", Money.dollars(previous)),
            ("currency", .string(Money.currency)),
            ("breakdown_by_service", .object([("dubbing", Money.dollars(total - lip)), ("lip_sync", Money.dollars(lip))])),
            ("total_spent_micros", .int(total)), ("current_month_micros", .int(current)), ("last_month_micros", .int(previous)),
            ("by_stage_micros", .object(RateCard.stages.compactMap { s in byStage[s].map { (s, .int($0)) } })),
            ("formatted_total", .string(Money.format(total))),
            ("jobs", .int(Int64(jobs.count))),
            ("since", JSON(sinceISO)), ("project_id", JSON(projectId)),
        ])
    }
}
