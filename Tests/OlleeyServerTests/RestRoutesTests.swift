import Foundation
import Testing
import OlleeyHTTP
import OlleeyKit
import OlleeyServer
import OlleeyTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// Issue 16's routes over HTTP on 127.0.0.1: dashboard, statistics, projects, channels, YouTube
/// connections (with a tiny OAuth server on 127.0.0.1), feed subscriptions and the webhook,
/// costs and settings. Each: success checked field by field, validation error, 401, 403 for a
/// role without the right, 404 for another organisation's resource, create then read back.
@Suite struct RestRoutesTests {
    static let settings = [("ratelimit.auth_per_minute", "1000"), ("ratelimit.standard_per_minute", "100000")]

    /// A server with an ADMIN and a LINGUIST in `default`, an ADMIN in `acme`, and their tokens.
    final class Fixture: @unchecked Sendable {
        let s: AppServer
        let acme: Organization
        var admin = "", linguist = "", other = ""
        init(_ extra: [(String, String)] = []) throws {
            s = try AppServer(settings: RestRoutesTests.settings + extra)
            acme = try s.org("acme")
            try s.user("admin@example.com", .admin)
            try s.user("ling@example.com", .linguist)
            try s.user("boss@acme.example", .admin, org: acme.id)
            admin = try token("admin@example.com"); linguist = try token("ling@example.com"); other = try token("boss@acme.example")
        }
        func token(_ email: String) throws -> String {
            try #require(try s.request("POST", "/auth/login", json: loginJSON(email)).json["access_token"] as? String)
        }
        func req(_ m: String, _ p: String, _ json: String? = nil, as token: String?) throws -> Reply {
            try s.request(m, p, json: json, headers: token.map(bearer) ?? [])
        }
        /// A master channel (a connection) of `org` with YouTube id `external`.
        func master(_ name: String, external: String, lang: String = "en", org: String = Actor.defaultOrg) throws -> Channel {
            var r = ChannelCreate(name: name)
            r.externalId = external
            r.language = lang
            return try ChannelService(s.db, actor: Actor(email: nil, org: org)).create(r)
        }
    }

    @Test("projects: create (201) then read back, list as a bare array, patch, activity, delete; 422, 401, 403, 404")
    func projects() throws {
        let f = try Fixture()
        let created = try f.req("POST", "/projects", #"{"name":"Launch","description":"d","is_simulation":true}"#, as: f.admin)
        #expect(created.status == 201)
        let id = try #require(created.json["id"] as? String)
        #expect(created.json["name"] as? String == "Launch")
        #expect(created.json["description"] as? String == "d")
        #expect(created.json["master_connection_id"] is NSNull)
        #expect((created.json["created_at"] as? String)?.hasSuffix("Z") == true)
        let got = try f.req("GET", "/projects/\(id)", as: f.admin)
        #expect(got.status == 200 && got.json["name"] as? String == "Launch")
        let list = try f.req("GET", "/projects", as: f.admin)
        let arr = try #require(try JSONSerialization.jsonObject(with: Data(list.body)) as? [[String: Any]])
        #expect(arr.map { $0["id"] as? String } == [id])
        // a master connection moves into the project
        let m = try f.master("Main", external: "UCmain")
        let patched = try f.req("PATCH", "/projects/\(id)", #"{"name":"Launch 2","master_connection_id":"\#(m.id)"}"#, as: f.admin)
        #expect(patched.status == 200 && patched.json["name"] as? String == "Launch 2" && patched.json["master_connection_id"] as? String == m.id)
        let activity = try f.req("GET", "/projects/\(id)/activity", as: f.admin)
        let activityItems = try JSONSerialization.jsonObject(with: Data(activity.body)) as? [Any]
        #expect(activity.status == 200 && activityItems?.isEmpty == true)
        // errors
        #expect(try f.req("POST", "/projects", #"{"description":"no name"}"#, as: f.admin).status == 422)
        #expect(try f.req("POST", "/projects", #"{"name":"Launch 2"}"#, as: f.admin).status == 409)
        #expect(try f.req("GET", "/projects", as: nil).status == 401)
        let forbidden = try f.req("POST", "/projects", #"{"name":"x"}"#, as: f.linguist)
        #expect(forbidden.status == 403 && forbidden.code == "permission")
        #expect(try f.req("GET", "/projects/\(id)", as: f.other).status == 404)
        #expect(try f.req("DELETE", "/projects/\(id)", as: f.other).status == 404)
        let deleted = try f.req("DELETE", "/projects/\(id)", as: f.admin)
        #expect(deleted.status == 200 && deleted.json["message"] as? String == "Project deleted successfully")
        #expect(try f.req("GET", "/projects/\(id)", as: f.admin).status == 404)
        // the connection stays, without a project
        #expect(try ChannelService(f.s.db).get(m.id)?.projectId == nil)
    }

    @Test("channels: create a language channel under a connection, list (page envelope), patch, pause/unpause, graph, delete")
    func channels() throws {
        let f = try Fixture()
        let m = try f.master("Main", external: "UCmain")
        let body = #"{"channel_name":"Spanish","language_code":"es","master_connection_id":"\#(m.id)","channel_id":"UCes"}"#
        let created = try f.req("POST", "/channels", body, as: f.admin)
        #expect(created.status == 201)
        let id = try #require(created.json["id"] as? String)
        #expect(created.json["channel_id"] as? String == "UCes")
        #expect(created.json["channel_name"] as? String == "Spanish")
        #expect(created.json["language_code"] as? String == "es")
        #expect(created.json["language_name"] as? String == "Spanish")
        #expect(created.json["master_connection_id"] as? String == m.id)
        #expect(created.json["status"] as? String == "active" && created.json["is_paused"] as? Bool == false)
        // the dashboard's view of the language channels: the caller's organisation only
        let dash = try f.req("GET", "/dashboard/channels", as: f.admin)
        let row = (dash.json["channels"] as? [[String: Any]])?.first
        #expect(dash.status == 200 && row?["channel_id"] as? String == id && row?["channel_name"] as? String == "Spanish", "\(dash.text)")
        #expect(row?["language_code"] as? String == "es" && row?["video_count"] as? Int == 0 && row?["status"] as? String == "active")
        #expect((try f.req("GET", "/dashboard/channels", as: f.other).json["channels"] as? [Any])?.isEmpty == true)
        #expect(try f.req("GET", "/dashboard/channels?project_id=nope", as: f.admin).status == 404)
        #expect(try f.req("GET", "/dashboard/channels", as: nil).status == 401)
        let list = try f.req("GET", "/channels", as: f.admin)
        #expect(list.status == 200 && list.json["total"] as? Int == 1 && list.json["total_pages"] as? Int == 1)
        #expect((list.json["channels"] as? [[String: Any]])?.first?["id"] as? String == id)
        let patched = try f.req("PATCH", "/channels/\(id)", #"{"channel_name":"Español","is_paused":true}"#, as: f.admin)
        #expect(patched.status == 200 && patched.json["channel_name"] as? String == "Español" && patched.json["status"] as? String == "paused")
        #expect(try f.req("PUT", "/channels/\(id)/pause", as: f.admin).status == 409)
        let un = try f.req("PUT", "/channels/\(id)/unpause", as: f.admin)
        #expect(un.status == 200 && un.json["message"] as? String == "Channel unpaused successfully")
        let p = try f.req("PUT", "/channels/\(id)/pause", as: f.admin)
        #expect(p.status == 200 && p.json["message"] as? String == "Channel paused successfully")
        for path in ["/channels/graph", "/youtube/channel_graph"] {
            let g = try f.req("GET", path, as: f.admin)
            #expect(g.status == 200, "\(path)")
            let nodes = try #require(g.json["master_nodes"] as? [[String: Any]])
            #expect(nodes.count == 1 && nodes[0]["connection_id"] as? String == m.id && nodes[0]["channel_id"] as? String == "UCmain")
            let kids = try #require(nodes[0]["language_channels"] as? [[String: Any]])
            #expect(kids.count == 1 && kids[0]["id"] as? String == id && kids[0]["videos_count"] as? Int == 0)
            #expect(g.json["total_connections"] as? Int == 1 && g.json["active_connections"] as? Int == 1 && g.json["expired_connections"] as? Int == 0)
        }
        // errors
        #expect(try f.req("POST", "/channels", #"{"channel_name":"x","language_code":"fr"}"#, as: f.admin).status == 422)
        #expect(try f.req("POST", "/channels", #"{"channel_name":"x","language_code":"zz-bad","master_connection_id":"\#(m.id)"}"#, as: f.admin).status == 400)
        #expect(try f.req("GET", "/channels", as: nil).status == 401)
        #expect(try f.req("POST", "/channels", body, as: f.linguist).status == 403)
        #expect(try f.req("PATCH", "/channels/\(id)", #"{"channel_name":"y"}"#, as: f.other).status == 404)
        #expect(try f.req("PUT", "/channels/\(id)/pause", as: f.other).status == 404)
        #expect(try f.req("DELETE", "/channels/\(id)", as: f.other).status == 404)
        #expect((try f.req("GET", "/channels", as: f.other).json["channels"] as? [Any])?.isEmpty == true)
        let del = try f.req("DELETE", "/channels/\(id)", as: f.admin)
        #expect(del.status == 200 && del.json["message"] as? String == "Language channel deleted successfully")
        #expect(try f.req("GET", "/channels", as: f.admin).json["total"] as? Int == 0)
    }

    @Test("connections: list, patch language, set and unset primary (one per organisation), disconnect and its alias")
    func connections() throws {
        let f = try Fixture()
        let a = try f.master("A", external: "UCa"), b = try f.master("B", external: "UCb", lang: "fr")
        var kid = ChannelCreate(name: "A es"); kid.master = a.id; kid.language = "es"
        _ = try ChannelService(f.s.db, actor: Actor(email: nil)).create(kid)
        let list = try f.req("GET", "/youtube/connections", as: f.admin)
        let conns = try #require(list.json["connections"] as? [[String: Any]])
        #expect(conns.map { $0["connection_id"] as? String } == [a.id, b.id])
        #expect(conns[0]["youtube_channel_id"] as? String == "UCa" && conns[0]["youtube_channel_name"] as? String == "A")
        #expect(conns[0]["is_primary"] as? Bool == false && conns[0]["channel_avatar_url"] is NSNull && conns[0]["language_code"] as? String == "en")
        let patched = try f.req("PATCH", "/youtube/connections/\(a.id)", #"{"language_code":"de"}"#, as: f.admin)
        #expect(patched.status == 200 && patched.json["language_code"] as? String == "de" && patched.json["connection_id"] as? String == a.id)
        #expect(try f.req("PATCH", "/youtube/connections/\(a.id)", #"{}"#, as: f.admin).status == 422)
        #expect(try f.req("PUT", "/youtube/connections/\(a.id)/set-primary", as: f.admin).json["message"] as? String == "Connection set as primary")
        #expect(try f.req("PUT", "/youtube/connections/\(b.id)/set-primary", as: f.admin).status == 200)
        let after = try f.req("GET", "/dashboard/connections", as: f.admin).json["connections"] as? [[String: Any]] ?? []
        #expect(after.map { $0["is_primary"] as? Bool } == [false, true])
        #expect(try f.req("DELETE", "/youtube/connections/\(a.id)/unset-primary", as: f.admin).status == 409)
        #expect(try f.req("DELETE", "/youtube/connections/\(b.id)/unset-primary", as: f.admin).json["message"] as? String == "Primary status removed")
        // another organisation, a linguist, no token
        #expect(try f.req("PUT", "/youtube/connections/\(a.id)/set-primary", as: f.other).status == 404)
        #expect(try f.req("DELETE", "/youtube/connections/\(a.id)", as: f.other).status == 404)
        #expect(try f.req("PUT", "/youtube/connections/\(a.id)/set-primary", as: f.linguist).status == 403)
        #expect(try f.req("GET", "/youtube/connections", as: nil).status == 401)
        // OAuth not configured: the connect route is not there
        let unconfigured = try f.req("GET", "/youtube/connect?token=\(f.admin)", as: nil)
        #expect(unconfigured.status == 404 && unconfigured.text.contains("youtube.client_id"))
        let gone = try f.req("DELETE", "/youtube/connections/\(a.id)", as: f.admin)
        #expect(gone.status == 200 && gone.json["connection_id"] as? String == a.id && gone.json["connection_type"] as? String == "master")
        #expect(gone.json["unassigned_language_channels"] as? Int == 1)
        // the language channel stays, unassigned
        #expect(try ChannelService(f.s.db).list().first { $0.name == "A es" }?.masterId == nil)
        let alias = try f.req("DELETE", "/youtube/connect/connections/\(b.id)", as: f.admin)
        #expect(alias.status == 200 && alias.json["connection_id"] as? String == b.id)
        #expect((try f.req("GET", "/youtube/connections", as: f.admin).json["connections"] as? [Any])?.isEmpty == true)
    }

    /// A tiny OAuth provider on 127.0.0.1: a token endpoint that accepts one code, and a channels endpoint.
    final class OAuthProvider: @unchecked Sendable {
        let server: HTTPServer
        let seen = Locked<[String]>([])
        var port: Int { server.port }
        init() throws {
            let router = HTTPRouter()
            let seen = self.seen
            router.on("POST", "/token") { req, _ in
                let form = String(decoding: req.body, as: UTF8.self)
                seen.mutate { $0.append(form) }
                guard form.contains("code=good-code"), form.contains("grant_type=authorization_code"), form.contains("client_id=cid") else {
                    return .json(Array(#"{"error":"invalid_grant"}"#.utf8), status: 400)
                }
                return .json(Array(#"{"access_token":"at-1","refresh_token":"rt-1","expires_in":3600,"token_type":"Bearer"}"#.utf8))
            }
            router.on("GET", "/channels") { req, _ in
                guard req.headers["Authorization"] == "Bearer at-1" else { return .json(Array("{}".utf8), status: 401) }
                return .json(Array(#"{"items":[{"id":"UCoauth","snippet":{"title":"My Channel","thumbnails":{"default":{"url":"https://img.example/a.jpg"}}}}]}"#.utf8))
            }
            var c = ServerConfiguration()
            c.port = 0
            server = HTTPServer(configuration: c, router: router, log: HTTPLogSink(fd: open("/dev/null", O_WRONLY)))
            try server.start()
        }
        deinit { server.stop(); server.wait() }
    }

    @Test("OAuth connect: ?token= auth, 302 to the configured endpoint with a signed state; the callback checks it, exchanges the code, connects")
    func oauth() throws {
        let provider = try OAuthProvider()
        let base = "http://127.0.0.1:\(provider.port)"
        let f = try Fixture([("youtube.client_id", "cid"), ("youtube.client_secret", "sec"), ("youtube.authorize_url", base + "/authorize"),
                             ("youtube.token_url", base + "/token"), ("youtube.channels_url", base + "/channels")])
        #expect(try f.req("GET", "/youtube/connect", as: nil).status == 401)
        #expect(try f.req("GET", "/youtube/connect?token=\(f.linguist)", as: nil).status == 403)
        #expect(try f.req("GET", "/youtube/connect?token=\(f.admin)&redirect_to=https://evil.example/", as: nil).status == 400)
        let start = try f.req("GET", "/youtube/connect?token=\(f.admin)&redirect_to=/done", as: nil)
        #expect(start.status == 302)
        let location = try #require(start.header("Location"))
        #expect(location.hasPrefix(base + "/authorize?client_id=cid&redirect_uri="))
        let comps = try #require(URLComponents(string: location))
        let state = try #require(comps.queryItems?.first { $0.name == "state" }?.value)
        #expect(comps.queryItems?.first { $0.name == "redirect_uri" }?.value == "http://127.0.0.1/youtube/connect/callback")
        // a tampered state: 401, no redirect
        var bad = Array(state); bad[3] = bad[3] == "A" ? "B" : "A"
        #expect(try f.req("GET", "/youtube/connect/callback?code=good-code&state=\(String(bad))", as: nil).status == 401)
        #expect(try f.req("GET", "/youtube/connect/callback?code=good-code", as: nil).status == 400)
        // a refused code: back to the front end with the error
        let refused = try f.req("GET", "/youtube/connect/callback?code=bad&state=\(state)", as: nil)
        #expect(refused.status == 302 && refused.header("Location")?.hasPrefix("/done?youtube_error=") == true)
        let ok = try f.req("GET", "/youtube/connect/callback?code=good-code&state=\(state)", as: nil)
        #expect(ok.status == 302)
        #expect(ok.header("Location")?.hasPrefix("/done?youtube_connected=true&connection_id=") == true)
        let conns = try #require(try f.req("GET", "/youtube/connections", as: f.admin).json["connections"] as? [[String: Any]])
        #expect(conns.count == 1)
        #expect(conns[0]["youtube_channel_id"] as? String == "UCoauth" && conns[0]["youtube_channel_name"] as? String == "My Channel")
        #expect(conns[0]["channel_avatar_url"] as? String == "https://img.example/a.jpg")
        #expect(conns[0]["is_primary"] as? Bool == true && conns[0]["token_expired"] as? Bool == false)
        #expect(provider.seen.value.last?.contains("redirect_uri=http%3A%2F%2F127.0.0.1%2Fyoutube%2Fconnect%2Fcallback") == true)
        // another organisation does not see it
        #expect((try f.req("GET", "/youtube/connections", as: f.other).json["connections"] as? [Any])?.isEmpty == true)
    }

    static func feed(video: String, channel: String) -> String {
        """
        <?xml version="1.0" encoding="UTF-8"?>
        <feed xmlns:yt="http://www.youtube.com/xml/schemas/2015" xmlns="http://www.w3.org/2005/Atom">
          <title>YouTube video feed</title>
          <entry><id>yt:video:\(video)</id><yt:videoId>\(video)</yt:videoId><yt:channelId>\(channel)</yt:channelId>
            <title>New video</title></entry>
        </feed>
        """
    }

    @Test("subscribe, hub challenge for subscribed topics only, signed notification creates one job by the channel's rules, unsubscribe")
    func webhook() throws {
        let f = try Fixture([("youtube.webhook_secret", "s3cret")])
        let m = try f.master("Main", external: "UCfeed")
        var kid = ChannelCreate(name: "Main es"); kid.master = m.id; kid.language = "es"
        _ = try ChannelService(f.s.db, actor: Actor(email: nil)).create(kid)
        #expect(try f.req("POST", "/videos/subscribe", #"{}"#, as: f.admin).status == 422)
        #expect(try f.req("POST", "/videos/subscribe", #"{"channel_id":"bad id!"}"#, as: f.admin).status == 400)
        #expect(try f.req("POST", "/videos/subscribe", #"{"channel_id":"UCfeed"}"#, as: f.linguist).status == 403)
        let sub = try f.req("POST", "/videos/subscribe", #"{"channel_id":"UCfeed"}"#, as: f.admin)
        #expect(sub.status == 200 && sub.json["success"] as? Bool == true && sub.json["subscription_id"] is String)
        let topic = FeedService.topic("UCfeed").addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
        let ch = try f.req("GET", "/webhooks/youtube?hub.mode=subscribe&hub.challenge=abc123&hub.topic=\(topic)", as: nil)
        #expect(ch.status == 200 && ch.text == "abc123")
        let other = FeedService.topic("UCother").addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
        #expect(try f.req("GET", "/webhooks/youtube?hub.mode=subscribe&hub.challenge=abc&hub.topic=\(other)", as: nil).status == 404)

        let body = RestRoutesTests.feed(video: "vid00000001", channel: "UCfeed")
        let sig = "sha1=" + Hex.encode(Crypto.hmacSHA1(key: Array("s3cret".utf8), data: Array(body.utf8)))
        let ctype = "application/atom+xml"
        #expect(try f.s.request("POST", "/webhooks/youtube", json: body, contentType: ctype).status == 403)
        #expect(try f.s.request("POST", "/webhooks/youtube", json: body, headers: [("X-Hub-Signature", "sha1=00")], contentType: ctype).status == 403)
        let r = try f.s.request("POST", "/webhooks/youtube", json: body, headers: [("X-Hub-Signature", sig)], contentType: ctype)
        #expect(r.status == 200 && r.json["entries"] as? Int == 1 && r.json["jobs_created"] as? Int == 1)
        // the same video again: no second job
        let again = try f.s.request("POST", "/webhooks/youtube", json: body, headers: [("X-Hub-Signature", sig)], contentType: ctype)
        #expect(again.json["jobs_created"] as? Int == 0)
        let jobs = try JobStore(f.s.db).list(JobStore.Filter()).jobs
        #expect(jobs.count == 1)
        let job = try #require(jobs.first)
        #expect(job.source == "https://www.youtube.com/watch?v=vid00000001" && job.options.targetLanguages == ["es"])
        #expect(job.channelId == m.id && job.sourceLang == "en" && job.orgId == Actor.defaultOrg)
        // not XML: 400
        let junk = "not xml"
        let junkSig = "sha256=" + Hex.encode(Crypto.hmacSHA256(key: Array("s3cret".utf8), data: Array(junk.utf8)))
        #expect(try f.s.request("POST", "/webhooks/youtube", json: junk, headers: [("X-Hub-Signature", junkSig)], contentType: ctype).status == 400)
        let un = try f.req("POST", "/videos/unsubscribe", #"{"channel_id":"UCfeed"}"#, as: f.admin)
        #expect(un.status == 200 && un.json["message"] as? String == "Unsubscribed from channel")
        #expect(try f.req("POST", "/videos/unsubscribe", #"{"channel_id":"UCfeed"}"#, as: f.admin).status == 404)
        #expect(try f.req("GET", "/webhooks/youtube?hub.mode=subscribe&hub.challenge=abc&hub.topic=\(topic)", as: nil).status == 404)
        #expect(try f.req("GET", "/webhooks/youtube?hub.mode=unsubscribe&hub.challenge=bye&hub.topic=\(topic)", as: nil).text == "bye")
    }

    @Test("dashboard and statistics: counts, jobs, activity and failures of the caller's organisation only; views and credits are null")
    func dashboard() throws {
        let f = try Fixture()
        let project = try ProjectService(f.s.db).create(name: "p1")
        let beta = f.acme.id
        for (i, org) in [Actor.defaultOrg, Actor.defaultOrg, Actor.defaultOrg, beta].enumerated() {
            let at = "2026-12-0\(i + 1)T10:00:00.000Z"
            var j = Job(id: ID.uuid7(), source: "/v/\(i).mp4", sourceName: "\(i).mp4", sourceLang: "en", videoId: nil,
                        status: i == 1 ? .failed : i == 2 ? .completed : .queued, stage: nil,
                        options: JobOptions(targetLanguages: ["es", "fr"]), projectId: i == 0 ? project.id : nil, channelId: nil,
                        error: i == 1 ? "engine missing" : nil, errorStage: i == 1 ? "transcribe" : nil, paused: false, cancelRequested: false,
                        createdAt: at, updatedAt: Clock.nowISO(), startedAt: i == 2 ? "2026-12-03T10:00:00.000Z" : nil, completedAt: i == 2 ? "2026-12-03T10:01:00.000Z" : nil)
            j.orgId = org
            try JobStore(f.s.db).insert(j)
            try EventStore(f.s.db).append("job.created", job: j.id)
        }
        let stats = try f.req("GET", "/dashboard/stats", as: f.admin)
        #expect(stats.status == 200)
        #expect(stats.json["total_jobs"] as? Int == 3 && stats.json["active_jobs"] as? Int == 1 && stats.json["completed_jobs"] as? Int == 2 - 1)
        #expect(stats.json["total_views"] is NSNull && stats.json["total_languages"] as? Int == 2 && stats.json["total_videos"] as? Int == 0)
        #expect(try f.req("GET", "/dashboard/stats?project_id=\(project.id)", as: f.admin).json["total_jobs"] as? Int == 1)
        #expect(try f.req("GET", "/dashboard/stats?project_id=nope", as: f.admin).status == 404)
        let jobs = try #require(try f.req("GET", "/dashboard/jobs?limit=2", as: f.admin).json["jobs"] as? [[String: Any]])
        #expect(jobs.count == 2 && jobs[0]["source_video_id"] is NSNull && jobs[0]["target_languages"] as? [String] == ["es", "fr"])
        #expect(try f.req("GET", "/dashboard/jobs?limit=0", as: f.admin).status == 400)
        let act = try #require(try f.req("GET", "/dashboard/activity?limit=10", as: f.admin).json["activities"] as? [[String: Any]])
        #expect(act.count == 3 && act.allSatisfy { $0["type"] as? String == "job_created" })
        #expect(try f.req("GET", "/dashboard/activity?limit=0", as: f.admin).status == 400)
        let projects = try f.req("GET", "/dashboard/projects", as: f.admin).json["projects"] as? [[String: Any]] ?? []
        #expect(projects.count == 1 && projects[0]["id"] as? String == project.id && projects[0]["name"] as? String == "p1" && projects[0]["created_at"] is String)
        #expect((try f.req("GET", "/dashboard/projects", as: f.other).json["projects"] as? [Any])?.isEmpty == true)
        #expect(try f.req("GET", "/dashboard/projects", as: nil).status == 401)
        let full = try f.req("GET", "/dashboard", as: f.admin)
        #expect(full.status == 200 && full.json["email"] as? String == "admin@example.com")
        #expect((full.json["recent_jobs"] as? [Any])?.count == 3 && (full.json["projects"] as? [Any])?.count == 1)
        #expect((full.json["credits_summary"] as? [String: Any])?["total_credits"] is NSNull)
        #expect((full.json["weekly_stats"] as? [String: Any])?["growth_percentage"] is NSNull)
        #expect(try f.req("GET", "/dashboard", as: nil).status == 401)
        #expect(try f.req("GET", "/dashboard/stats", as: f.other).json["total_jobs"] as? Int == 1)

        let metrics = try #require(try f.req("GET", "/jobs/statistics/metrics", as: f.admin).json["metrics"] as? [String: Any])
        #expect(metrics["total_jobs"] as? Int == 3 && metrics["completed_jobs"] as? Int == 1 && metrics["failed_jobs"] as? Int == 1)
        #expect(metrics["average_processing_time"] as? Double == 60 && metrics["success_rate"] as? Double == 0.5)
        let errors = try #require(try f.req("GET", "/jobs/statistics/errors?days=7", as: f.admin).json["errors"] as? [[String: Any]])
        #expect(errors.count == 1 && errors[0]["error_type"] as? String == "transcribe_failed" && errors[0]["error_message"] as? String == "engine missing")
        #expect(try f.req("GET", "/jobs/statistics/errors?days=0", as: f.admin).status == 400)
        let langs = try #require(try f.req("GET", "/jobs/statistics/languages", as: f.admin).json["languages"] as? [[String: Any]])
        #expect(langs.map { $0["language_code"] as? String } == ["es", "fr"] && langs[0]["job_count"] as? Int == 3 && langs[0]["language_name"] as? String == "Spanish")
        let insights = try #require(try f.req("GET", "/jobs/statistics/insights", as: f.admin).json["insights"] as? [[String: Any]])
        #expect(insights.contains { ($0["message"] as? String)?.contains("50% of finished jobs completed") == true })
        let recent = try #require(try f.req("GET", "/jobs/statistics/recent", as: f.admin).json["recent_jobs"] as? [[String: Any]])
        #expect(recent.count == 3 && recent.allSatisfy { $0.keys.contains("project_id") })
        #expect(try f.req("GET", "/jobs/statistics/metrics", as: nil).status == 401)
    }

    @Test("costs: estimate (fields, 422), summary of the organisation, a job's cost (404 for another organisation's)")
    func costs() throws {
        let f = try Fixture()
        let e = try f.req("POST", "/costs/estimate", #"{"video_duration_seconds":180,"target_languages":["es","fr"],"include_lip_sync":true}"#, as: f.admin)
        #expect(e.status == 200 && e.json["currency"] as? String == "USD")
        let breakdown = try #require(e.json["breakdown"] as? [String: Any])
        let total = try #require(e.json["estimated_cost"] as? Double)
        #expect(total > 0 && abs(((breakdown["dubbing"] as? Double) ?? 0) + ((breakdown["lip_sync"] as? Double) ?? 0) - total) < 0.000001)
        #expect((breakdown["lip_sync"] as? Double ?? 0) > 0)
        #expect(try f.req("POST", "/costs/estimate", #"{"target_languages":["es"]}"#, as: f.admin).status == 422)
        #expect(try f.req("POST", "/costs/estimate", #"{"video_duration_seconds":-1,"target_languages":["es"]}"#, as: f.admin).status == 422)
        #expect(try f.req("POST", "/costs/estimate", #"{"video_duration_seconds":10,"target_languages":[]}"#, as: f.admin).status == 400)
        #expect(try f.req("POST", "/costs/estimate", #"{"video_duration_seconds":10,"target_languages":["es"]}"#, as: nil).status == 401)
        let sum = try f.req("GET", "/costs/summary", as: f.admin)
        #expect(sum.status == 200 && sum.json["total_spent"] as? Double == 0 && sum.json["currency"] as? String == "USD")
        var j = Job(id: ID.uuid7(), source: "/v/a.mp4", sourceName: "a.mp4", sourceLang: "en", videoId: nil, status: .queued, stage: nil,
                    options: JobOptions(targetLanguages: ["es"]), projectId: nil, channelId: nil, error: nil, errorStage: nil, paused: false,
                    cancelRequested: false, createdAt: Clock.nowISO(), updatedAt: Clock.nowISO(), startedAt: nil, completedAt: nil)
        j.orgId = Actor.defaultOrg
        try JobStore(f.s.db).insert(j)
        let jc = try f.req("GET", "/costs/job/\(j.id)", as: f.admin)
        #expect(jc.status == 200 && jc.json["job_id"] as? String == j.id && jc.json["estimated_cost"] is NSNull && jc.json["actual_cost"] as? Double == 0)
        #expect(try f.req("GET", "/costs/job/\(j.id)", as: f.other).status == 404)
    }

    @Test("settings: defaults, patch then read back, unknown field and bad value 400, per user")
    func settings() throws {
        let f = try Fixture()
        let d = try f.req("GET", "/settings", as: f.admin)
        #expect(d.status == 200 && d.json["theme"] as? String == "system" && d.json["timezone"] as? String == "UTC")
        #expect((d.json["notifications"] as? [String: Bool]) == ["email_notifications": true, "distribution_updates": true, "error_alerts": true])
        let p = try f.req("PATCH", "/settings", #"{"theme":"dark","timezone":"Europe/Madrid","notifications":{"email_notifications":false}}"#, as: f.admin)
        #expect(p.status == 200 && p.json["theme"] as? String == "dark" && p.json["timezone"] as? String == "Europe/Madrid")
        #expect((p.json["notifications"] as? [String: Bool])?["email_notifications"] == false)
        let back = try f.req("GET", "/settings", as: f.admin)
        #expect(back.json["theme"] as? String == "dark" && (back.json["notifications"] as? [String: Bool])?["error_alerts"] == true)
        #expect(try f.req("PATCH", "/settings", #"{"colour":"red"}"#, as: f.admin).status == 400)
        #expect(try f.req("PATCH", "/settings", #"{"theme":"neon"}"#, as: f.admin).status == 400)
        #expect(try f.req("PATCH", "/settings", #"{"timezone":"Mars/Base"}"#, as: f.admin).status == 400)
        #expect(try f.req("GET", "/settings", as: nil).status == 401)
        // another user's are their own
        #expect(try f.req("GET", "/settings", as: f.linguist).json["theme"] as? String == "system")
    }
}
