import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing
import OlleeyHTTP
import OlleeyKit
import OlleeyServer
import OlleeyTestSupport

/// `GET /jobs` and `GET /api/v1/jobs` on a live server (127.0.0.1, port 0).
@Suite struct JobRoutesTests {
    /// A workspace with 6 jobs of `default` (4 queued, 2 failed, 2 in project p1; no video yet) and 3 of
    /// `beta`, a user in each, and a server on it.
    final class Fixture: @unchecked Sendable {
        let dir = TempDir("olleey-jobroutes")
        let ws: Workspace
        let db: Database
        let server: HTTPServer
        var base: String { "http://127.0.0.1:\(server.port)" }
        var tokenA = "", tokenB = ""
        var jobsA: [Job] = [], jobsB: [Job] = []

        init() throws {
            ws = try Workspace.initialize(at: dir.path).0
            db = try ws.open()
            let beta = try OrgService(db).create(name: "beta", actor: Actor(email: nil)).id
            let a = try UserService(db).create(email: "a@example.com", role: .client, actor: Actor(email: nil))
            let b = try UserService(db).create(email: "b@example.com", role: .pm, actor: Actor(email: nil, org: beta))
            let project = try ProjectService(db).create(name: "p1")
            for i in 0..<9 {
                let at = "2026-01-01T10:0\(i):00Z"
                var j = Job(id: ID.uuid7(), source: "/v/\(i).mp4", sourceName: "\(i).mp4", sourceLang: "en", videoId: nil,
                            status: i == 1 || i == 4 ? .failed : .queued, stage: i == 1 ? "translate" : nil,
                            options: JobOptions(targetLanguages: ["es", "fr"]), projectId: i < 2 ? project.id : nil, channelId: nil,
                            error: i == 1 || i == 4 ? "it broke" : nil, errorStage: nil, paused: false, cancelRequested: false,
                            createdAt: at, updatedAt: at, startedAt: nil, completedAt: nil)
                j.orgId = i < 6 ? Actor.defaultOrg : beta
                try JobStore(db).insert(j)
                if i < 6 { jobsA.append(j) } else { jobsB.append(j) }
            }
            let key = try SigningKeys(db).tokenKey()
            let now = Clock.nowMillis() / 1000
            tokenA = try AccessTokenSigner(key: key).sign(user: a.id, org: Actor.defaultOrg, role: .client, now: now).token
            tokenB = try AccessTokenSigner(key: key).sign(user: b.id, org: beta, role: .pm, now: now).token
            let app = ServerApp(env: ServerEnvironment(workspace: ws, pool: try ws.pool()), metrics: HTTPMetrics())
            var c = ServerConfiguration()
            c.port = 0
            server = HTTPServer(configuration: c, router: app.router(), log: HTTPLogSink(fd: open("/dev/null", O_WRONLY)))
            try server.start()
        }

        deinit { server.stop(); server.wait() }

        func get(_ path: String, token: String?) async throws -> (Int, [String: Any]) {
            var r = URLRequest(url: try #require(URL(string: base + path)))
            if let token { r.setValue("Bearer " + token, forHTTPHeaderField: "Authorization") }
            let (data, resp) = try await URLSession.shared.data(for: r)
            let status = (resp as? HTTPURLResponse)?.statusCode ?? 0
            return (status, (try JSONSerialization.jsonObject(with: data) as? [String: Any]) ?? [:])
        }
    }

    static func ids(_ body: [String: Any], _ key: String = "job_id") -> [String] {
        ((body["jobs"] as? [[String: Any]]) ?? []).compactMap { $0[key] as? String }
    }

    @Test("without a valid token: 401 with the error envelope")
    func authRequired() async throws {
        let f = try Fixture()
        for path in ["/jobs", "/api/v1/jobs"] {
            let (s, body) = try await f.get(path, token: nil)
            #expect(s == 401 && body["code"] as? String == "unauthenticated", "\(path)")
            let (s2, body2) = try await f.get(path, token: f.tokenA + "x")
            #expect(s2 == 401 && body2["code"] as? String == "unauthenticated", "\(path) tampered")
        }
    }

    @Test("a caller sees its organisation's jobs only, newest first, with the total from the counts")
    func scoping() async throws {
        let f = try Fixture()
        let (s, body) = try await f.get("/jobs", token: f.tokenA)
        #expect(s == 200)
        #expect(JobRoutesTests.ids(body) == f.jobsA.reversed().map(\.id))
        #expect(body["total"] as? Int == 6)
        let (_, bodyB) = try await f.get("/jobs", token: f.tokenB)
        #expect(JobRoutesTests.ids(bodyB) == f.jobsB.reversed().map(\.id))
        #expect(bodyB["total"] as? Int == 3)
        #expect(try JobStore(f.db, org: Actor.defaultOrg).maintainedCount() == JobStore(f.db, org: Actor.defaultOrg).countedTotal())
    }

    @Test("limit, status and project_id filter; empty values are no filter; bad values are 400, an unknown project 404")
    func filters() async throws {
        let f = try Fixture()
        let (_, two) = try await f.get("/jobs?limit=2&status=&project_id=", token: f.tokenA)
        #expect(JobRoutesTests.ids(two) == f.jobsA.reversed().prefix(2).map(\.id) && two["total"] as? Int == 6)
        let (_, failed) = try await f.get("/jobs?status=failed", token: f.tokenA)
        #expect(Set(JobRoutesTests.ids(failed)) == [f.jobsA[1].id, f.jobsA[4].id] && failed["total"] as? Int == 2)
        let (_, several) = try await f.get("/jobs?status=failed,queued&limit=1", token: f.tokenA)
        #expect(several["total"] as? Int == 6)
        let (_, inProject) = try await f.get("/jobs?project_id=p1&status=failed", token: f.tokenA)
        #expect(JobRoutesTests.ids(inProject) == [f.jobsA[1].id] && inProject["total"] as? Int == 1)
        for bad in ["/jobs?limit=0", "/jobs?limit=501", "/jobs?limit=ten", "/jobs?status=done", "/api/v1/jobs?page=0"] {
            let (s, body) = try await f.get(bad, token: f.tokenA)
            #expect(s == 400 && body["code"] as? String == "usage", "\(bad)")
        }
        // another organisation's project does not exist for this caller
        let (s404, _) = try await f.get("/jobs?project_id=p1", token: f.tokenB)
        #expect(s404 == 404)
    }

    @Test("the root spec's and the second spec's field names, over the same jobs")
    func fieldNames() async throws {
        let f = try Fixture()
        let (_, root) = try await f.get("/jobs?project_id=p1", token: f.tokenA)
        let jobs = try #require(root["jobs"] as? [[String: Any]])
        #expect(jobs.count == 2)
        let failed = jobs[0], fresh = jobs[1]
        #expect(Set(failed.keys) == ["job_id", "source_video_id", "status", "progress", "target_languages", "created_at", "updated_at"])
        #expect(failed["status"] as? String == "failed" && failed["source_video_id"] is NSNull)
        #expect(failed["progress"] as? Int == f.jobsA[1].progress && f.jobsA[1].progress > 0)
        #expect(fresh["source_video_id"] is NSNull && fresh["progress"] as? Int == 0)
        #expect(fresh["target_languages"] as? [String] == ["es", "fr"])
        let (_, v1) = try await f.get("/api/v1/jobs?limit=1&status=failed", token: f.tokenA)
        let one = try #require((v1["jobs"] as? [[String: Any]])?.first)
        #expect(Set(one.keys) == ["_id", "status", "org_id", "source_language", "requested_outputs", "created_at", "updated_at", "error"])
        #expect(one["_id"] as? String == f.jobsA[4].id && one["org_id"] as? String == Actor.defaultOrg)
        #expect(one["source_language"] as? String == "en" && one["error"] as? String == "it broke" && v1["total"] as? Int == 2)
    }
}
