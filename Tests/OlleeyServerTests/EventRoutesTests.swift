import Foundation
import Testing
import OlleeyHTTP
import OlleeyKit
import OlleeyServer
import OlleeyTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// Live events over HTTP: `GET /events/stream` (SSE) and the WebSockets under `/api/v1/ws`, on a
/// live server (127.0.0.1, port 0). Events are appended through the test's own Database
/// connection: a stand-in for another process (an `olleey worker`) writing the event log.
@Suite struct EventRoutesTests {
    /// Two organisations (`default` with jobs a0, a1; `beta` with b0), a user and token in each.
    final class Fixture: @unchecked Sendable {
        let app: AppServer
        var db: Database { app.db }
        var env: ServerEnvironment { app.env }
        var port: Int { app.port }
        var tokenA = "", tokenB = ""
        var beta = ""
        var jobsA: [Job] = [], jobsB: [Job] = []

        init() throws {
            app = try AppServer()
            let db = app.db
            beta = try OrgService(db).create(name: "beta", actor: Actor(email: nil)).id
            let a = try UserService(db).create(email: "a@example.com", role: .client, actor: Actor(email: nil))
            let b = try UserService(db).create(email: "b@example.com", role: .pm, actor: Actor(email: nil, org: beta))
            for i in 0..<3 {
                var j = Job(id: ID.uuid7(), source: "/v/\(i).mp4", sourceName: "\(i).mp4", sourceLang: "en", videoId: nil,
                            status: .queued, stage: nil, options: JobOptions(targetLanguages: ["es"]), projectId: nil, channelId: nil,
                            error: nil, errorStage: nil, paused: false, cancelRequested: false,
                            createdAt: "2026-01-01T10:00:00Z", updatedAt: "2026-01-01T10:00:00Z", startedAt: nil, completedAt: nil)
                j.orgId = i < 2 ? Actor.defaultOrg : beta
                try JobStore(db).insert(j)
                if i < 2 { jobsA.append(j) } else { jobsB.append(j) }
            }
            let key = try SigningKeys(db).tokenKey()
            let now = Clock.nowMillis() / 1000
            tokenA = try AccessTokenSigner(key: key).sign(user: a.id, org: Actor.defaultOrg, role: .client, now: now).token
            tokenB = try AccessTokenSigner(key: key).sign(user: b.id, org: beta, role: .pm, now: now).token
        }

        /// Appends an event as another process would (this fixture's own connection).
        @discardableResult
        func append(_ kind: String, _ job: Job, language: String? = nil, _ data: JSON = .object([])) throws -> Int64 {
            try EventStore(db).append(kind, job: job.id, language: language, data)
        }

        func sse(token: String?, headers: [(String, String)] = []) throws -> SSETestClient {
            let q = token.map { "?token=\($0)" } ?? ""
            let c = try SSETestClient(port: port, path: "/events/stream" + q, headers: headers)
            if c.status == 200 { _ = c.next() } // the `retry:` block
            return c
        }

        /// Waits until the feed has `n` subscribers (a client is subscribed once its head came).
        func subscribers(_ n: Int) -> Bool {
            let end = Date().addingTimeInterval(3)
            while Date() < end { if env.events.subscriberCount == n { return true }; usleep(10_000) }
            return env.events.subscriberCount == n
        }
    }

    func raw(_ f: Fixture, _ request: String) throws -> String {
        String(decoding: try Loopback.exchange(port: f.port, Array(request.utf8)), as: UTF8.self)
    }

    @Test("401 without a token (JSON detail); HEAD probe: 401 without, 200 text/event-stream with ?token=")
    func auth() throws {
        let f = try Fixture()
        let none = try raw(f, "GET /events/stream HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        #expect(none.hasPrefix("HTTP/1.1 401") && none.contains(#""detail":"#) && none.contains("WWW-Authenticate: Bearer"))
        let bad = try raw(f, "GET /events/stream?token=nonsense HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        #expect(bad.hasPrefix("HTTP/1.1 401"))
        let headNone = try raw(f, "HEAD /events/stream HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        #expect(headNone.hasPrefix("HTTP/1.1 401"))
        let head = try raw(f, "HEAD /events/stream?token=\(f.tokenA) HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        #expect(head.hasPrefix("HTTP/1.1 200") && head.contains("Content-Type: text/event-stream") && head.hasSuffix("\r\n\r\n"))
        #expect(f.env.events.subscriberCount == 0)
        let badResume = try raw(f, "GET /events/stream?token=\(f.tokenA) HTTP/1.1\r\nHost: x\r\nLast-Event-ID: x1\r\nConnection: close\r\n\r\n")
        #expect(badResume.hasPrefix("HTTP/1.1 400") && badResume.contains("Last-Event-ID"))
    }

    @Test("an event written by another connection arrives within 250 ms: id, type inside the data, the whole job")
    func delivered() throws {
        let f = try Fixture()
        let c = try f.sse(token: f.tokenA)
        #expect(c.status == 200 && c.headers["content-type"] == "text/event-stream")
        #expect(f.subscribers(1))
        let job = f.jobsA[0]
        let t0 = Date()
        let id = try f.append("job.created", job)
        let e = try #require(c.nextEvent())
        let ms = Date().timeIntervalSince(t0) * 1000
        #expect(ms < 250, "delivered after \(ms) ms")
        #expect(e.id == String(id))
        #expect(e.json["type"] as? String == "job_created")
        #expect(e.json["job_id"] as? String == job.id && e.json["status"] as? String == "queued" && e.json["progress"] as? Int == 0)
        let j = try #require(e.json["job"] as? [String: Any])
        #expect(j["job_id"] as? String == job.id && j["status"] as? String == "queued" && j["target_languages"] as? [String] == ["es"])
        // the whole job as GET /jobs/{id} gives it, project_id included (null: no project)
        #expect(j["project_id"] is NSNull && j["title"] as? String == "0.mp4" && j["source_language"] as? String == "en")
        // the log's kinds map to the API's types (LiveEventMapping)
        try f.append("job.status", job, ["status": "completed"])
        #expect(c.nextEvent()?.json["type"] as? String == "job_completed")
        try f.append("stage.finished", job, language: "es", ["stage": "assemble", "duration_ms": 5])
        let ready = try #require(c.nextEvent())
        #expect(ready.json["type"] as? String == "video_ready" && ready.json["language"] as? String == "es")
    }

    @Test("another organisation's events are not delivered; kinds with no SSE type are not sent")
    func scoped() throws {
        let f = try Fixture()
        let a = try f.sse(token: f.tokenA)
        let b = try f.sse(token: f.tokenB)
        #expect(f.subscribers(2))
        try f.append("job.status", f.jobsB[0], ["status": "transcribing"])
        try f.append("qc.feedback", f.jobsA[0], language: "es", ["by": "x", "message": "m"])
        let mine = try f.append("job.status", f.jobsA[1], ["status": "transcribing"])
        let ea = try #require(a.nextEvent())
        #expect(ea.id == String(mine) && ea.json["job_id"] as? String == f.jobsA[1].id)
        let eb = try #require(b.nextEvent())
        #expect(eb.json["job_id"] as? String == f.jobsB[0].id)
    }

    @Test("Last-Event-ID resumes after that event, from the table, then live events follow without a gap")
    func resume() throws {
        let f = try Fixture()
        let first = try f.append("job.created", f.jobsA[0])
        let second = try f.append("job.status", f.jobsA[0], ["status": "transcribing"])
        try f.append("job.status", f.jobsB[0], ["status": "transcribing"])
        let third = try f.append("job.status", f.jobsA[1], ["status": "failed"])
        let c = try f.sse(token: f.tokenA, headers: [("Last-Event-ID", String(first))])
        #expect(c.status == 200)
        #expect(c.nextEvent()?.id == String(second))
        let t = try #require(c.nextEvent())
        #expect(t.id == String(third) && t.json["type"] as? String == "job_failed")
        let fourth = try f.append("job.status", f.jobsA[1], ["status": "queued"])
        #expect(c.nextEvent()?.id == String(fourth))
    }

    @Test("a long resume (800 missed events, more than a WebSocket's 256 KiB) arrives whole, in order")
    func longResume() throws {
        let f = try Fixture()
        let first = try f.append("job.created", f.jobsA[0])
        var ids: [Int64] = []
        try f.db.transaction { for i in 0..<800 { ids.append(try f.append("stage.progress", f.jobsA[i % 2], ["stage": "transcribe", "done": .int(Int64(i))])) } }
        let c = try f.sse(token: f.tokenA, headers: [("Last-Event-ID", String(first))])
        #expect(c.status == 200)
        var got: [String] = []
        while got.count < ids.count, let e = c.nextEvent() { got.append(e.id ?? "") }
        #expect(got == ids.map { String($0) })
    }

    @Test("a comment ping arrives on an idle stream; the client's disconnect frees its subscription")
    func pingAndDisconnect() throws {
        let f = try Fixture()
        f.env.events.pingSeconds = 0.2
        let c = try f.sse(token: f.tokenA)
        #expect(f.subscribers(1))
        #expect(c.next() == [": ping"])
        c.stream.closeNow()
        #expect(f.subscribers(0))
        // the server still serves new streams
        let d = try f.sse(token: f.tokenA)
        #expect(f.subscribers(1))
        let id = try f.append("job.created", f.jobsA[0])
        #expect(d.nextEvent()?.id == String(id))
    }

    @Test("WebSocket /api/v1/ws/jobs/{id}: that job's job_status_update; another org's job 404; no token 401")
    func jobSocket() throws {
        let f = try Fixture()
        let job = f.jobsA[0]
        let c = try WebSocketTestClient(port: f.port, path: "/api/v1/ws/jobs/\(job.id)?token=\(f.tokenA)")
        #expect(c.status == 101)
        #expect(f.subscribers(1))
        try f.append("job.status", f.jobsA[1], ["status": "transcribing"])
        try f.append("job.status", job, ["status": "transcribing"])
        let m = try #require(c.nextJSON())
        #expect(m["type"] as? String == "job_status_update" && m["job_id"] as? String == job.id)
        #expect(m["status"] as? String == "QUEUED" && m["updated_at"] as? String == job.updatedAt)
        let other = try WebSocketTestClient(port: f.port, path: "/api/v1/ws/jobs/\(f.jobsB[0].id)?token=\(f.tokenA)")
        #expect(other.status == 404)
        let anon = try WebSocketTestClient(port: f.port, path: "/api/v1/ws/jobs/\(job.id)")
        #expect(anon.status == 401)
        // the client closes: the subscription goes
        c.send(opcode: 8, [0x03, 0xE8])
        #expect(c.nextFrame()?.opcode == 8)
        #expect(f.subscribers(0))
    }

    @Test("WebSocket /api/v1/ws/org/{org_id}: the caller's org only; notifications and server pings")
    func orgSocket() throws {
        let f = try Fixture()
        f.env.events.pingSeconds = 0.2
        let wrong = try WebSocketTestClient(port: f.port, path: "/api/v1/ws/org/\(f.beta)?token=\(f.tokenA)")
        #expect(wrong.status == 404)
        let c = try WebSocketTestClient(port: f.port, path: "/api/v1/ws/org/\(Actor.defaultOrg)?token=\(f.tokenA)")
        #expect(c.status == 101)
        #expect(c.nextJSON(pings: true)?["type"] as? String == "ping")
        try f.append("qc.feedback", f.jobsB[0], language: "es", ["by": "b@example.com", "message": "not yours"])
        try f.append("qc.feedback", f.jobsA[0], language: "es", ["by": "a@example.com", "message": "too fast"])
        let n = try #require(c.nextJSON())
        #expect(n["type"] as? String == "notification" && n["job_id"] as? String == f.jobsA[0].id && n["event"] as? String == "qc.feedback")
        #expect((n["data"] as? [String: Any])?["message"] as? String == "too fast")
        // a client's JSON ping is answered
        c.sendText(#"{"type":"ping"}"#)
        #expect(c.nextJSON()?["type"] as? String == "pong")
    }
}
