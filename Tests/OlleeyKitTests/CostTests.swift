import Foundation
import Testing
import OlleeyKit
import OlleeyTestSupport

@Suite("Cost: rate card, estimates, budget cap, actual costs")
struct CostTests {
    @Test("the HTTP spec's example: 180 s, 3 languages, lip sync -> 15.75 (dubbing 9.00, lip_sync 6.75, per_language 5.25)")
    func specExample() throws {
        let f = try ReviewFixture()
        let e = try CostService(f.db).estimate(durationMs: 180_000, languages: ["es", "fr", "de"], lipSync: true)
        #expect(e.totalMicros == 15_750_000)
        #expect(e.dubbingMicros == 9_000_000)
        #expect(e.lipSyncMicros == 6_750_000)
        #expect(e.perLanguageMicros == 5_250_000)
        let j = e.json
        #expect(j["estimated_cost"] == .double(15.75))
        #expect(j["breakdown"] == .object([("dubbing", .double(9.0)), ("lip_sync", .double(6.75)), ("per_language", .double(5.25))]))
        #expect(j["currency"] == .string("USD"))
        #expect(j["estimated_cost_micros"] == .int(15_750_000))
        #expect(j["formatted"] == .string("$15.75"))
        #expect(j.encoded().contains(#""estimated_cost":15.75,"breakdown":{"dubbing":9.0,"lip_sync":6.75,"per_language":5.25},"currency":"USD""#))
        // without lip sync
        let n = try CostService(f.db).estimate(durationMs: 180_000, languages: ["es", "fr", "de"], lipSync: false)
        #expect(n.totalMicros == 9_000_000 && n.lipSyncMicros == 0 && n.perLanguageMicros == 3_000_000)
    }

    @Test("arithmetic: per-minute rates on milliseconds, rounded to the micro-dollar")
    func arithmetic() throws {
        #expect(Money.perMinute(1_000_000, durationMs: 1_000) == 16_667)
        #expect(Money.perMinute(1_000_000, durationMs: 60_000) == 1_000_000)
        #expect(Money.perMinute(250_000, durationMs: 90_500) == 377_083)
        #expect(Money.perMinute(0, durationMs: 172_800_000) == 0)
        #expect(Money.perMinute(1_000_000_000, durationMs: 172_800_000) == 2_880_000_000_000)
        let f = try ReviewFixture()
        let e = try CostService(f.db).estimate(durationMs: 61_000, languages: ["es", "ca"], lipSync: false)
        // translate 254167 + speak 508333 + mix 254167 per language
        #expect(e.totalMicros == 2 * (254_167 + 508_333 + 254_167))
        #expect(e.perLanguageMicros == 1_016_667)
    }

    @Test("money: parsing and formatting")
    func money() throws {
        #expect(try Money.parse("15.75") == 15_750_000)
        #expect(try Money.parse("$0.000125") == 125)
        #expect(try Money.parse("1,250.5") == 1_250_500_000)
        #expect(try Money.parse("20 USD") == 20_000_000)
        #expect(try Money.parse(".5") == 500_000)
        for bad in ["abc", "-1", "1.0000001", "", ".", "1e3", "1.2.3", "99999999999"] {
            #expect(errorCode { _ = try Money.parse(bad) } == .invalid, "\(bad)")
        }
        #expect(Money.format(15_750_000) == "$15.75")
        #expect(Money.format(9_000_000) == "$9.00")
        #expect(Money.format(4_167) == "$0.004167")
        #expect(Money.format(1_250_000_000) == "$1,250.00")
        #expect(Money.format(0) == "$0.00")
    }

    @Test("rates: set, reset, engine rates, bad keys (64) and values (65) change nothing")
    func rates() throws {
        let f = try ReviewFixture()
        let svc = CostService(f.db)
        #expect(try svc.rates().map(\.key) == ["transcribe", "translate", "speak", "mix", "lip_sync"])
        #expect(errorCode { try svc.setRates([("speak", "0.6"), ("spek", "1")]) } == .usage)
        #expect(errorCode { try svc.setRates([("speak", "0.6"), ("translate", "cheap")]) } == .invalid)
        #expect(errorCode { try svc.setRates([("speak", "-1")]) } == .invalid)
        #expect(errorCode { try svc.setRates([("speak", "5000")]) } == .invalid)
        #expect(try svc.rateCard() == RateCard())   // nothing changed
        try svc.setRates([("speak", "0.60"), ("translate.http", "0.40")])
        let card = try svc.rateCard()
        #expect(card.rate("speak", engine: "espeak-ng") == 600_000)
        #expect(card.rate("translate", engine: "http") == 400_000)
        #expect(card.rate("translate", engine: "apertium") == 250_000)
        #expect(try svc.rates().map(\.key) == ["transcribe", "translate", "translate.http", "speak", "mix", "lip_sync"])
        let e = try svc.estimate(durationMs: 60_000, languages: ["es"], lipSync: false, engines: try svc.engines(overrides: ["translate": "http"]))
        #expect(e.totalMicros == 400_000 + 600_000 + 250_000)
        try svc.resetRates(["speak"])
        #expect(try svc.rateCard().rate("speak", engine: nil) == 500_000)
        #expect(errorCode { try svc.resetRates(["nope"]) } == .usage)
        #expect(try f.db.scalarInt("SELECT count(*) FROM audit_log WHERE action = 'cost.rate.set'") == 2)
    }

    @Test("estimates refuse a duration that is not positive or absurd, unknown and repeated languages")
    func badEstimates() throws {
        let f = try ReviewFixture()
        let svc = CostService(f.db)
        #expect(errorCode { _ = try svc.estimate(durationMs: 0, languages: ["es"], lipSync: false) } == .invalid)
        #expect(errorCode { _ = try svc.estimate(durationMs: -5_000, languages: ["es"], lipSync: false) } == .invalid)
        #expect(errorCode { _ = try svc.estimate(durationMs: 49 * 3_600_000, languages: ["es"], lipSync: false) } == .invalid)
        #expect(errorCode { _ = try svc.estimate(durationMs: 1_000, languages: ["xx"], lipSync: false) } == .invalid)
        #expect(errorCode { _ = try svc.estimate(durationMs: 1_000, languages: ["es", "es"], lipSync: false) } == .invalid)
        #expect(errorCode { _ = try svc.estimate(durationMs: 1_000, languages: [], lipSync: false) } == .usage)
    }

    @Test("actual costs per job, stage and language; re-rendering replaces; job cost and summary")
    func actualCosts() throws {
        let f = try ReviewFixture()
        let p = try ProjectService(f.db).create(name: "Demo")
        let j = try f.job(["es", "fr"], status: .completed, languageStatus: .draft, project: p.id, videoMs: 60_000, lipSync: true)
        let other = try f.job(["es"], status: .completed, languageStatus: .draft, videoMs: 30_000)
        let svc = CostService(f.db)
        for l in ["es", "fr"] { try svc.recordLanguage(j, language: l, translateEngine: "apertium", speakEngine: "espeak-ng") }
        try svc.recordLanguage(j, language: "es", translateEngine: "apertium", speakEngine: "espeak-ng")   // again: replaced
        try svc.recordJob(j)
        try svc.recordLanguage(other, language: "es", translateEngine: "apertium", speakEngine: "espeak-ng")
        let entries = try svc.entries(job: j.id)
        #expect(entries.count == 9)
        #expect(entries.first { $0.stage == "transcribe" }?.engine == "subtitles")
        let cost = try svc.jobCost(j)
        #expect(cost["actual_cost_micros"] == .int(3_500_000))
        #expect(cost["estimated_cost_micros"] == .int(3_500_000))
        #expect(cost["actual_cost"] == .double(3.5))
        #expect(cost["cost_breakdown"] == .object([("dubbing", .double(2.0)), ("lip_sync", .double(1.5))]))
        let all = try svc.summary()
        #expect(all["total_spent_micros"] == .int(3_500_000 + 500_000))
        #expect(all["current_month_micros"] == .int(4_000_000))
        #expect(all["last_month_micros"] == .int(0))
        #expect(all["jobs"] == .int(2))
        #expect(try svc.summary(projectId: p.id)["total_spent_micros"] == .int(3_500_000))
        #expect(try svc.summary(sinceISO: "2999-01-01T00:00:00.000Z")["total_spent_micros"] == .int(0))
        // next month, this month's spend is last month's
        let today = Clock.nowISO()
        let (y, m) = (Int(today.prefix(4)) ?? 2000, Int(today.dropFirst(5).prefix(2)) ?? 1)
        let nextMonth = Clock.parseISO8601(String(format: "%04d-%02d-15T12:00:00Z", m == 12 ? y + 1 : y, m == 12 ? 1 : m + 1)) ?? 0
        #expect(try svc.summary(now: nextMonth)["last_month_micros"] == .int(4_000_000))
        // spend stays recorded after the job is deleted
        try JobService(db: f.db, workspace: f.ws).delete(other, force: true)
        #expect(try svc.summary()["total_spent_micros"] == .int(4_000_000))
    }

    static let tools = ToolCheck.missing(ToolCheck.media)

    @Test("job create --max-cost refuses a job whose estimate exceeds it: nothing is created",
          .enabled(if: tools.isEmpty, "needs ffmpeg, ffprobe, apertium and espeak-ng; run scripts/bootstrap"))
    func budgetCap() throws {
        let f = try ReviewFixture()
        let video = f.dir.file("v.mp4")
        try Subprocess.run("ffmpeg", ["-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=160x120:rate=10:duration=3",
                                      "-f", "lavfi", "-i", "sine=frequency=440:duration=3", "-shortest", "-c:v", "libx264", "-pix_fmt", "yuv420p",
                                      "-c:a", "aac", video], timeout: 60)
        let subs = f.dir.write("v.vtt", "WEBVTT\n\n00:00:00.500 --> 00:00:02.000\nHello there\n")
        let svc = JobService(db: f.db, workspace: f.ws)
        var r = JobCreateRequest(source: video)
        r.targetLanguages = ["es", "ca"]
        r.subtitlesPath = subs
        r.maxCostMicros = 50_000   // 3 s into 2 languages at $1.00/min is $0.10
        do { _ = try svc.create(r); Issue.record("created over budget") } catch let e as OlleeyError {
            #expect(e.code == .conflict)
            #expect(e.message.contains("$0.10") && e.message.contains("$0.05"))
        }
        #expect(try f.db.scalarInt("SELECT count(*) FROM jobs") == 0)
        r.maxCostMicros = 200_000
        let j = try svc.create(r)
        #expect(j.options.maxCostMicros == 200_000)
        let total = try CostService(f.db).estimate(for: j)?.totalMicros ?? 0
        #expect(total >= 100_000 && total < 110_000)
    }
}
