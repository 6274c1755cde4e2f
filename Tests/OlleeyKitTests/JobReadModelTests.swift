import Foundation
import Testing
import OlleeyKit

/// Issue 11: the read models of jobs (JobQueries) on a workspace with jobs inserted directly.
@Suite("job read models: JobPage, JobStats, JobDetail, JobOutputs")
struct JobReadModelTests {
    /// Five jobs, created a minute apart, with different statuses, names and languages.
    func fixture() throws -> (ReviewFixture, [Job]) {
        let f = try ReviewFixture()
        let specs: [(String, JobStatus, [String])] = [("c.mp4", .completed, ["es", "ca"]), ("a.mp4", .failed, ["es"]), ("e.mp4", .queued, ["fr"]),
                                                      ("b.mp4", .completed, ["es", "fr"]), ("d.mp4", .waitingApproval, ["ca"])]
        var jobs: [Job] = []
        for (i, (name, status, langs)) in specs.enumerated() {
            let at = "2026-01-01T10:0\(i):00Z"
            let j = Job(id: ID.uuid7(), source: "/v/" + name, sourceName: name, sourceLang: "en", videoId: nil, status: status, stage: nil,
                        options: JobOptions(targetLanguages: langs), projectId: nil, channelId: nil, error: status == .failed ? "ffprobe failed" : nil,
                        errorStage: status == .failed ? "ingest" : nil, paused: false, cancelRequested: false, createdAt: at, updatedAt: at,
                        startedAt: nil, completedAt: nil)
            try JobStore(f.db).insert(j)
            jobs.append(j)
        }
        return (f, jobs)
    }

    @Test("JobPage: filters, sort, paging, and each job's own languages")
    func page() throws {
        let (f, jobs) = try fixture()
        let q = JobQueries(db: f.db, workspace: f.ws, actor: Actor(email: nil))
        var all = JobListQuery()
        let p = try q.page(all)
        #expect(p.total == 5)
        // newest first by default
        #expect(p.items.map(\.job.id) == jobs.reversed().map(\.id))
        for s in p.items { #expect(s.languages.map(\.language) == s.job.options.targetLanguages, "\(s.job.sourceName)") }
        all.sortBy = "source_name"; all.sortOrder = "asc"; all.pageSize = 2; all.page = 2
        let p2 = try q.page(all)
        #expect(p2.total == 5 && p2.items.map(\.job.sourceName) == ["c.mp4", "d.mp4"])
        all.page = 3
        #expect(try q.page(all).items.map(\.job.sourceName) == ["e.mp4"])
        var byStatus = JobListQuery(); byStatus.statuses = ["completed"]
        #expect(Set(try q.page(byStatus).items.map(\.job.sourceName)) == ["b.mp4", "c.mp4"])
        var byLang = JobListQuery(); byLang.language = "FR"; byLang.sortOrder = "asc"
        let fr = try q.page(byLang)
        #expect(fr.items.map(\.job.sourceName) == ["e.mp4", "b.mp4"] && fr.total == 2)
        #expect(fr.items[1].languages.map(\.language) == ["es", "fr"], "a job's every language, not only the filtered one")
        var after = JobListQuery(); after.createdAfter = "2026-01-01T10:03:00Z"
        #expect(try q.page(after).total == 2)
        // the JSON is the array of summaries `job list --json` prints
        let json = try #require(p2.json.arrayValue)
        #expect(json.count == 2 && json[0]["source_name"] == .string("c.mp4") && json[0]["languages"]?["ca"] == .string("queued"))
        // bad filters are refused, not an empty page
        var bad = JobListQuery(); bad.statuses = ["done"]
        #expect(errorCode { _ = try q.page(bad) } == .usage)
        bad = JobListQuery(); bad.language = "xx"
        #expect(errorCode { _ = try q.page(bad) } == .invalid)
        bad = JobListQuery(); bad.project = "nope"
        #expect(errorCode { _ = try q.page(bad) } == .notFound)
        bad = JobListQuery(); bad.page = 0
        #expect(errorCode { _ = try q.page(bad) } == .usage)
        bad = JobListQuery(); bad.pageSize = 501
        #expect(errorCode { _ = try q.page(bad) } == .usage)
        bad = JobListQuery(); bad.createdBefore = "yesterday"
        #expect(errorCode { _ = try q.page(bad) } == .usage)
        bad = JobListQuery(); bad.sortBy = "id; DROP TABLE jobs"
        #expect(errorCode { _ = try q.page(bad) } == .usage)
    }

    @Test("languages of several jobs come from one query, grouped by job")
    func languagesInOneQuery() throws {
        let (f, jobs) = try fixture()
        let m = try JobStore(f.db).languages(jobIds: jobs.map(\.id) + ["missing"])
        for j in jobs { #expect(m[j.id]?.map(\.language) == j.options.targetLanguages) }
        #expect(m["missing"] == nil)
        #expect(try JobStore(f.db).languages(jobIds: []).isEmpty)
    }

    @Test("JobStats: counts by status and language, failure reasons, stage durations in pipeline order")
    func stats() throws {
        let (f, jobs) = try fixture()
        try JobStore(f.db).setLanguage(jobs[0].id, "ca", status: .failed, error: "espeak-ng exited 1", errorStage: "dub")
        try JobStore(f.db).setLanguage(jobs[3].id, "fr", status: .failed, error: "espeak-ng exited 1", errorStage: "dub")
        for (stage, ms, cached) in [("dub", 300, 0), ("translate", 100, 0), ("dub", 500, 0), ("dub", 9000, 1)] {
            try f.db.run("INSERT INTO stage_runs(job_id, language, stage, state, cached, started_at, duration_ms) VALUES (?, 'es', ?, 'done', ?, ?, ?)",
                         [.text(jobs[0].id), .text(stage), .int(Int64(cached)), .text(Clock.nowISO()), .int(Int64(ms))])
        }
        let s = try JobQueries(db: f.db, workspace: f.ws, actor: Actor(email: nil)).stats()
        #expect(s.total == 5)
        #expect(s.byStatus.first == JobStats.Count(key: "completed", count: 2))
        #expect(s.byLanguage.contains(JobStats.LanguageCount(language: "es", status: "queued", count: 3)))
        #expect(s.byLanguage.contains(JobStats.LanguageCount(language: "fr", status: "failed", count: 1)))
        #expect(s.failureReasons.first == JobStats.FailureReason(stage: "dub", error: "espeak-ng exited 1", count: 2))
        #expect(s.failureReasons.contains(JobStats.FailureReason(stage: "ingest", error: "ffprobe failed", count: 1)))
        #expect(s.stageDurations == [JobStats.StageDuration(stage: "translate", runs: 1, avgMs: 100), JobStats.StageDuration(stage: "dub", runs: 2, avgMs: 400)])
        let json = s.json
        #expect(json["total"] == .int(5) && json["by_status"]?["failed"] == .int(1))
        #expect(json["by_language"]?["ca"]?["failed"] == .int(1) && json["by_language"]?["ca"]?["queued"] == .int(1))
        #expect(json["stage_durations"]?.arrayValue?.last?["avg_ms"] == .int(400))
    }

    @Test("JobDetail and JobOutputs: absolute output paths, stale cues, no master until it exists")
    func detailAndOutputs() throws {
        let f = try ReviewFixture()
        let j = try f.job(["es"])
        try JobStore(f.db).setLanguageAudio(j.id, "es", outputs: .object([("vtt", .string("outputs/\(j.id)/es/v.es.vtt")), ("cues", .int(3))]), audioKey: nil)
        let q = JobQueries(db: f.db, workspace: f.ws, actor: Actor(email: nil))
        let d = try q.detail(j, fit: true)
        let l = try #require(d.json["languages"]?.arrayValue?.first)
        #expect(l["outputs"]?["vtt"] == .string(f.ws.root + "/outputs/\(j.id)/es/v.es.vtt"))
        #expect(l["outputs"]?["cues"] == .int(3), "non-string outputs stay as they are")
        #expect(l["fit"] == .null && l["stale_cues"] == .int(0))
        #expect(try q.detail(j).json["languages"]?.arrayValue?.first?["fit"] == nil)
        let o = try q.outputs(j)
        #expect(o.master == nil && o.json["master"] == .null && o.json["source_vtt"] == .null)
        #expect(o.rows.map(\.kind) == ["vtt"])
        // the master appears once its file exists
        let master = OutputLayout.master(outputsDir: f.ws.outputsDir, job: j)
        try FileIO.createDirectory((master as NSString).deletingLastPathComponent)
        FileManager.default.createFile(atPath: master, contents: Data())
        let o2 = try q.outputs(j)
        #expect(o2.master == master && o2.rows.first?.kind == "master" && o2.rows.first?.language == "all")
        #expect(try q.summary(j).json["languages"]?["es"] == .string("waiting_approval"))
    }
}
