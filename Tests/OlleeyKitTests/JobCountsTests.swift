import Foundation
import Testing
import OlleeyKit
import OlleeyTestSupport

/// Migration 10: `job_counts`, kept by triggers, answers a job list's `total` without COUNT(*).
@Suite("job counts: maintained by triggers, equal to COUNT(*)")
struct JobCountsTests {
    static func job(org: String, status: JobStatus = .queued, project: String? = nil, at: String = Clock.nowISO()) -> Job {
        var j = Job(id: ID.uuid7(), source: "/v/a.mp4", sourceName: "a.mp4", sourceLang: "en", videoId: nil, status: status, stage: nil,
                    options: JobOptions(targetLanguages: ["es"]), projectId: project, channelId: nil, error: nil, errorStage: nil,
                    paused: false, cancelRequested: false, createdAt: at, updatedAt: at, startedAt: nil, completedAt: nil)
        j.orgId = org
        return j
    }

    /// Every (organisation or all) x (status filter) combination agrees with a count of `jobs`.
    func expectAgree(_ db: Database, orgs: [String?], _ where: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let filters: [[String]] = [[], ["queued"], ["failed"], ["cancelled"], ["queued", "failed"], ["downloading"]]
        for org in orgs {
            let store = JobStore(db, org: org)
            for s in filters {
                #expect(try store.maintainedCount(statuses: s) == store.countedTotal(statuses: s),
                        "\(`where`): org \(org ?? "all"), statuses \(s)", sourceLocation: sourceLocation)
            }
        }
    }

    @Test("create, status change, organisation change and delete keep the counts equal to COUNT(*)")
    func triggers() throws {
        let dir = TempDir("olleey-counts")
        let (ws, _) = try TestStore.initialize(at: dir.path)
        let db = try ws.open()
        let beta = try OrgService(db).create(name: "beta", actor: Actor(email: nil)).id
        let orgs: [String?] = [nil, "default", beta, "nobody"]
        var a: [Job] = []
        for i in 0..<7 { let j = JobCountsTests.job(org: i < 5 ? "default" : beta); try JobStateMachine(db).create(j); a.append(j) }
        try expectAgree(db, orgs: orgs, "after create")
        #expect(try JobStore(db, org: "default").maintainedCount() == 5)
        #expect(try JobStore(db, org: beta).maintainedCount() == 2)
        #expect(try JobStore(db).maintainedCount() == 7)

        try JobStateMachine(db).transition(a[0].id, to: .downloading, by: .start, stage: "ingest")
        try JobStateMachine(db).transition(a[0].id, to: .failed, by: .fail, error: "x", errorStage: "ingest")
        try JobStateMachine(db).transition(a[1].id, to: .cancelled, by: .cancel)
        try JobStateMachine(db).transition(a[5].id, to: .cancelled, by: .cancel)
        try expectAgree(db, orgs: orgs, "after status changes")
        #expect(try JobStore(db, org: "default").maintainedCount(statuses: ["failed", "cancelled"]) == 2)

        // an update that changes neither column, and one that moves a job to another organisation
        try db.run("UPDATE jobs SET updated_at = ? WHERE id = ?", [.text(Clock.nowISO()), .text(a[2].id)])
        try db.run("UPDATE jobs SET org_id = ? WHERE id = ?", [.text(beta), .text(a[3].id)])
        try expectAgree(db, orgs: orgs, "after an organisation change")
        #expect(try JobStore(db, org: beta).maintainedCount() == 3)

        try JobStore(db).delete(a[0].id)
        try JobStore(db).delete(a[6].id)
        try expectAgree(db, orgs: orgs, "after delete")
        #expect(try JobStore(db).maintainedCount() == 5)

        // a rolled-back insert leaves no count behind
        #expect(throws: (any Error).self) {
            try db.transaction {
                try JobStore(db).insert(JobCountsTests.job(org: "default"))
                throw OlleeyError.failure("roll back")
            }
        }
        try expectAgree(db, orgs: orgs, "after a rollback")
    }

    @Test("a page's total comes from the counts without other filters, and from COUNT(*) with them; both right")
    func pageTotals() throws {
        let dir = TempDir("olleey-counts")
        let (ws, _) = try TestStore.initialize(at: dir.path)
        let db = try ws.open()
        let project = try ProjectService(db).create(name: "p1")
        for i in 0..<12 {
            try JobStateMachine(db).create(JobCountsTests.job(org: "default", status: i % 3 == 0 ? .pending : .queued, project: i < 4 ? project.id : nil))
        }
        let q = JobQueries(db: db, workspace: ws, actor: Actor(email: nil))
        var all = JobListQuery(); all.pageSize = 5
        let p = try q.page(all)
        #expect(p.items.count == 5 && p.total == 12)
        var pending = JobListQuery(); pending.statuses = ["pending"]
        #expect(try q.page(pending).total == 4)
        var inProject = JobListQuery(); inProject.project = "p1"; inProject.pageSize = 2
        let pp = try q.page(inProject)
        #expect(pp.items.count == 2 && pp.total == 4)
        var both = JobListQuery(); both.project = "p1"; both.statuses = ["pending"]
        #expect(try q.page(both).total == 2)
        // the counts table is what answers: a drift there shows in the total (and nowhere else)
        try db.run("UPDATE job_counts SET n = n + 100 WHERE org_id = 'default' AND status = 'queued'")
        #expect(try q.page(all).total == 112)
        #expect(try q.page(inProject).total == 4)
    }

    @Test("a lean page (the server's lists) has the same jobs, totals and target languages as a whole one, without languages")
    func leanPage() throws {
        let dir = TempDir("olleey-counts")
        let (ws, _) = try TestStore.initialize(at: dir.path)
        let db = try ws.open()
        for (i, langs) in [["es", "fr", "ca"], ["de"], []].enumerated() {
            var j = JobCountsTests.job(org: "default", at: "2026-01-01T10:0\(i):00Z")
            j.options = JobOptions(targetLanguages: langs, requireApproval: true)
            try JobStore(db).insert(j)
        }
        let q = JobQueries(db: db, workspace: ws, actor: Actor(email: nil))
        var lean = JobListQuery(); lean.lean = true
        let whole = try q.page(JobListQuery()), thin = try q.page(lean)
        #expect(thin.items.map(\.job.id) == whole.items.map(\.job.id) && thin.total == whole.total)
        #expect(thin.items.map(\.job.options.targetLanguages) == [[], ["de"], ["es", "fr", "ca"]])
        #expect(thin.items.map(\.job.options.targetLanguages) == whole.items.map(\.job.options.targetLanguages))
        #expect(thin.items.allSatisfy { $0.languages.isEmpty } && whole.items[0].job.options.requireApproval)
        // the same page lent job by job (what the server's list routes write from), filters and
        // paging applied as `page` applies them, and validated as it validates them
        var seen: [(String, [String])] = []
        let total = try q.eachOfPage(JobListQuery()) { job in seen.append((job.id, job.options.targetLanguages)) }
        #expect(total == whole.total && seen.map(\.0) == whole.items.map(\.job.id) && seen.map(\.1) == thin.items.map(\.job.options.targetLanguages))
        var second = JobListQuery(); second.pageSize = 2; second.page = 2
        var ids: [String] = []
        #expect(try q.eachOfPage(second) { ids.append($0.id) } == 3 && ids == [whole.items[2].job.id])
        var bad = JobListQuery(); bad.statuses = ["nope"]
        #expect(throws: OlleeyError.self) { try q.eachOfPage(bad) { _ in Issue.record("no job for a bad filter") } }
    }
}

@Suite struct JobStoreStringArrayTests {
    @Test("target languages as json_extract gives them: the direct split agrees with the JSON parser")
    func stringArray() {
        #expect(JobStore.stringArray(#"["es","fr"]"#) == ["es", "fr"])
        #expect(JobStore.stringArray(#"[]"#) == [])
        #expect(JobStore.stringArray(nil) == [])
        #expect(JobStore.stringArray(#"["a,b", "zh-Hant"]"#) == ["a,b", "zh-Hant"])
        #expect(JobStore.stringArray(#"["é","\u00e9\"x"]"#) == ["é", "é\"x"], "escapes go through the parser")
        #expect(JobStore.stringArray(#"["es",1]"#) == ["es"], "a non-string goes through the parser")
        #expect(JobStore.stringArray("not json") == [])
    }
}
