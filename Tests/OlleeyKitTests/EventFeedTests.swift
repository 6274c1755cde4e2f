import Foundation
import OlleeyKit
import Testing
import OlleeyTestSupport

/// The server's live feed of the event log: one poller for every subscriber, filters by
/// organisation and job, resume from an id, the cheap check when nothing changed, and the
/// table of API event types.
@Suite(.serialized) struct EventFeedTests {
    func job(_ db: Database, org: String) throws -> Job {
        let now = Clock.nowISO()
        var job = Job(id: ID.uuid7(), source: "/v.mp4", sourceName: "v.mp4", sourceLang: "en", videoId: nil, status: .queued, stage: nil,
                      options: JobOptions(targetLanguages: ["es"]), projectId: nil, channelId: nil, error: nil, errorStage: nil,
                      paused: false, cancelRequested: false, createdAt: now, updatedAt: now, startedAt: nil, completedAt: nil)
        job.orgId = org
        try JobStore(db).insert(job)
        return job
    }

    @Test("subscribers get what their filter admits, in order, from one poller; nothing read while nothing changes")
    func fanOut() throws {
        let t = TempDir()
        let (ws, _) = try TestStore.initialize(at: t.path)
        let db = try ws.open()
        let beta = try OrgService(db).create(name: "beta", actor: Actor(email: nil)).id
        let a1 = try job(db, org: Actor.defaultOrg), a2 = try job(db, org: Actor.defaultOrg), b1 = try job(db, org: beta)
        let feed = EventFeed(workspace: ws, pollMs: 20)
        let org = Locked<[Int64]>([]), one = Locked<[Int64]>([]), other = Locked<[Int64]>([])
        let ids = [
            try feed.subscribe(.init(org: Actor.defaultOrg)) { items in org.mutate { $0 += items.map(\.event.id) } },
            try feed.subscribe(.init(org: Actor.defaultOrg, job: a2.id)) { items in one.mutate { $0 += items.map(\.event.id) } },
            try feed.subscribe(.init(org: beta)) { items in other.mutate { $0 += items.map(\.event.id) } },
        ]
        #expect(feed.subscriberCount == 3)
        // idle: polls (on PostgreSQL it also wakes on LISTEN), but reads the table only after a commit
        usleep(200_000)
        let idle = feed.stats
        #expect(idle.polls >= 3 && idle.reads <= 1, "\(idle)")
        let events = EventStore(db)
        let e1 = try events.append("job.created", job: a1.id)
        let e2 = try events.append("job.status", job: a2.id, ["status": .string("completed")])
        let e3 = try events.append("job.status", job: b1.id, ["status": .string("failed")])
        #expect(eventually { org.value == [e1, e2] && one.value == [e2] && other.value == [e3] })
        for id in ids { feed.unsubscribe(id) }
        #expect(feed.subscriberCount == 0)
    }

    @Test("a resume hands over the missed events of the filter first, then new ones without a gap or a repeat")
    func resume() throws {
        let t = TempDir()
        let (ws, _) = try TestStore.initialize(at: t.path)
        let db = try ws.open()
        let a = try job(db, org: Actor.defaultOrg), b = try job(db, org: "elsewhere")
        let events = EventStore(db)
        let first = try events.append("job.created", job: a.id)
        let missed = [try events.append("job.status", job: a.id, ["status": .string("transcribing")]),
                      try events.append("stage.progress", job: a.id, ["stage": .string("transcribe")])]
        try events.append("job.created", job: b.id)
        let feed = EventFeed(workspace: ws, pollMs: 20)
        let seen = Locked<[Int64]>([])
        let id = try feed.subscribe(.init(org: Actor.defaultOrg), after: first) { items in seen.mutate { $0 += items.map(\.event.id) } }
        #expect(seen.value == missed)
        let next = try events.append("job.status", job: a.id, ["status": .string("completed")])
        #expect(eventually { seen.value == missed + [next] })
        usleep(100_000)
        #expect(seen.value == missed + [next])
        feed.unsubscribe(id)
    }

    @Test("the items carry their job and API types; one rendering per item is shared (memo)")
    func items() throws {
        let t = TempDir()
        let (ws, _) = try TestStore.initialize(at: t.path)
        let db = try ws.open()
        let a = try job(db, org: Actor.defaultOrg)
        let feed = EventFeed(workspace: ws, pollMs: 20)
        let got = Locked<[EventFeed.Item]>([])
        let id = try feed.subscribe(.init(org: nil)) { items in got.mutate { $0 += items } }
        try EventStore(db).append("stage.finished", job: a.id, language: "es", ["stage": .string("assemble")])
        #expect(eventually { got.value.count == 1 })
        let item = try #require(got.value.first)
        #expect(item.job?.id == a.id && item.orgId == Actor.defaultOrg)
        #expect(item.sseType == .videoReady && item.socketType == .notification)
        var renders = 0
        _ = item.memo(1) { renders += 1; return [1] }
        #expect(item.memo(1) { renders += 1; return [2] } == [1] && renders == 1)
        feed.unsubscribe(id)
    }

    @Test("the type table: job.status by its status, stage.finished by its stage, unknown kinds not sent")
    func mapping() {
        func ev(_ kind: String, _ data: JSON = .object([])) -> Event { Event(id: 1, at: "", kind: kind, jobId: "j", language: nil, data: data) }
        #expect(LiveEventMapping.sseType(ev("job.created")) == .jobCreated)
        #expect(LiveEventMapping.sseType(ev("job.status", ["status": .string("completed")])) == .jobCompleted)
        #expect(LiveEventMapping.sseType(ev("job.status", ["status": .string("failed")])) == .jobFailed)
        #expect(LiveEventMapping.sseType(ev("job.status", ["status": .string("dubbing")])) == .jobUpdate)
        #expect(LiveEventMapping.sseType(ev("stage.finished", ["stage": .string("dub")])) == .jobUpdate)
        #expect(LiveEventMapping.socketType(ev("stage.progress")) == nil)
        #expect(LiveEventMapping.socketType(ev("qc.feedback")) == .notification && LiveEventMapping.sseType(ev("qc.feedback")) == nil)
        #expect(LiveEventMapping.sseType(ev("no.such.kind")) == nil && LiveEventMapping.socketType(ev("no.such.kind")) == nil)
    }
}

/// Polls `cond` for up to `seconds`.
private func eventually(_ seconds: Double = 3, _ cond: () -> Bool) -> Bool {
    let end = Date().addingTimeInterval(seconds)
    while Date() < end {
        if cond() { return true }
        usleep(10_000)
    }
    return cond()
}
