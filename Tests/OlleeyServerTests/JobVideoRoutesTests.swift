import Foundation
import Testing
import OlleeyHTTP
import OlleeyKit
import OlleeyServer
import OlleeyTestSupport

/// `POST /videos/upload`, `/videos/*`, `POST /jobs`, `GET /jobs/{id}`, `GET /api/v1/jobs/{id}`,
/// localized videos and metadata, transcript, controls, v1 delete and retry, over HTTP on
/// 127.0.0.1 with a real generated video (ffmpeg) and the workspace's default engines.
@Suite(.serialized) struct JobVideoRoutesTests {
    /// A 2-second 160x120 video with a tone (ffmpeg).
    static func sample(_ dir: TempDir) throws -> [UInt8] {
        let path = dir.path + "/sample.mp4"
        try Subprocess.run("ffmpeg", ["-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=160x120:rate=10:duration=2",
                                      "-f", "lavfi", "-i", "sine=frequency=440:duration=2", "-shortest", "-c:v", "libx264", "-pix_fmt", "yuv420p",
                                      "-c:a", "aac", path])
        return Array(try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    static func multipart(_ parts: [(name: String, filename: String?, data: [UInt8])], boundary: String = "XbOuNdArY42") -> [UInt8] {
        var b: [UInt8] = []
        for p in parts {
            var head = "--\(boundary)\r\nContent-Disposition: form-data; name=\"\(p.name)\""
            if let f = p.filename { head += "; filename=\"\(f)\"\r\nContent-Type: video/mp4" }
            b += Array((head + "\r\n\r\n").utf8) + p.data + Array("\r\n".utf8)
        }
        return b + Array("--\(boundary)--\r\n".utf8)
    }

    func upload(_ s: AppServer, _ token: String?, _ body: [UInt8], contentType: String = "multipart/form-data; boundary=XbOuNdArY42") throws -> Reply {
        var head = "POST /videos/upload HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Type: \(contentType)\r\nContent-Length: \(body.count)\r\n"
        if let token { head += "Authorization: Bearer \(token)\r\n" }
        return try Reply(parsing: s.exchange(Array((head + "\r\n").utf8) + body))
    }

    func token(_ s: AppServer, _ email: String) throws -> String {
        try #require(try s.request("POST", "/auth/login", json: loginJSON(email)).json["access_token"] as? String)
    }

    func mediaFiles(_ s: AppServer) -> [String] { ((try? FileManager.default.contentsOfDirectory(atPath: s.ws.mediaDir)) ?? []).sorted() }

    @Test("upload: 201 with video_id, read back in list and get; not a video is 400 with nothing left; 422, 415, 401, 403, 404")
    func uploadVideo() throws {
        guard ToolCheck.missing(["ffmpeg", "ffprobe"]).isEmpty else { return }
        let s = try AppServer(settings: [("ratelimit.auth_per_minute", "100")])
        let acme = try s.org("acme")
        try s.user("client@example.com", .client)
        try s.user("rev@example.com", .reviewer)
        try s.user("boss@acme.example", .admin, org: acme.id)
        let client = try token(s, "client@example.com"), reviewer = try token(s, "rev@example.com"), other = try token(s, "boss@acme.example")
        let video = try Self.sample(s.dir)

        let up = try upload(s, client, Self.multipart([("title", nil, Array("My talk".utf8)), ("description", nil, Array("about tones".utf8)),
                                                       ("video_file", "talk.mp4", video)]))
        #expect(up.status == 201, "\(up.text)")
        let id = try #require(up.json["video_id"] as? String)
        #expect(up.json["success"] as? Bool == true)
        // stored once, by SHA-256, in media/; no partial file left
        #expect(mediaFiles(s).filter { $0.hasSuffix(".mp4") }.count == 1)
        #expect(!mediaFiles(s).contains { $0.hasPrefix(".upload-") })

        let got = try s.request("GET", "/videos/\(id)", headers: bearer(client))
        #expect(got.status == 200)
        #expect(got.json["video_id"] as? String == id)
        #expect(got.json["title"] as? String == "My talk")
        #expect(got.json["description"] as? String == "about tones")
        #expect(got.json["duration"] as? Int == 2)
        #expect(got.json["view_count"] is NSNull && got.json["thumbnail_url"] is NSNull)
        #expect((got.json["localizations"] as? [String: Any])?.isEmpty == true)

        let list = try s.request("GET", "/videos/list?page=1&page_size=10&video_type=all", headers: bearer(client))
        #expect(list.status == 200)
        let videos = list.json["videos"] as? [[String: Any]] ?? []
        #expect(videos.count == 1 && videos.first?["video_id"] as? String == id && videos.first?["status"] as? String == "uploaded")
        #expect(list.json["total"] as? Int == 1 && list.json["total_pages"] as? Int == 1 && list.json["page_size"] as? Int == 10)
        #expect(try s.request("GET", "/videos/list?video_type=shorts", headers: bearer(client)).status == 400)

        // the same bytes again: the same video, 200
        let again = try upload(s, client, Self.multipart([("title", nil, Array("again".utf8)), ("video_file", "copy.mp4", video)]))
        #expect(again.status == 200 && again.json["video_id"] as? String == id)

        // not a video: refused before any row, the file removed
        let before = mediaFiles(s)
        let bad = try upload(s, client, Self.multipart([("title", nil, Array("x".utf8)), ("video_file", "notes.mp4", Array("just some text, not a video\n".utf8))]))
        #expect(bad.status == 400, "\(bad.text)")
        #expect((bad.json["detail"] as? String)?.contains("notes.mp4") == true)
        #expect(mediaFiles(s) == before)
        #expect(try s.db.scalarInt("SELECT count(*) FROM source_videos") == 1)

        // malformed or missing parts, wrong type, no token, wrong role, another organisation
        #expect(try upload(s, client, Self.multipart([("title", nil, Array("x".utf8))])).status == 422)
        #expect(try upload(s, client, Array("--XbOuNdArY42\r\nContent-Disposition: form-data; name=\"video_file\"; filename=\"a.mp4\"\r\n\r\nabc".utf8)).status == 400)
        #expect(mediaFiles(s) == before)
        #expect(try upload(s, client, Array("{}".utf8), contentType: "application/json").status == 415)
        #expect(try upload(s, nil, Self.multipart([("video_file", "talk.mp4", video)])).status == 401)
        #expect(try upload(s, reviewer, Self.multipart([("video_file", "talk.mp4", video)])).status == 403)
        #expect(try s.request("GET", "/videos/\(id)", headers: bearer(other)).status == 404)
        #expect(try s.request("GET", "/videos/list", headers: bearer(other)).json["total"] as? Int == 0)
        #expect(try s.request("GET", "/videos/\(id)").status == 401)
    }

    @Test("a job from an uploaded video: 201, read back on both APIs and in JobQueries; workflow_state; controls; v1 delete; 422, 401, 403, 404")
    func createAndReadBack() throws {
        guard ToolCheck.missing(["ffmpeg", "ffprobe"]).isEmpty else { return }
        let s = try AppServer(settings: [("ratelimit.auth_per_minute", "100")])
        let acme = try s.org("acme")
        try s.user("client@example.com", .client)
        try s.user("admin@example.com", .admin)
        try s.user("rev@example.com", .reviewer)
        try s.user("boss@acme.example", .admin, org: acme.id)
        let client = try token(s, "client@example.com"), admin = try token(s, "admin@example.com")
        let reviewer = try token(s, "rev@example.com"), other = try token(s, "boss@acme.example")
        let up = try upload(s, client, Self.multipart([("title", nil, Array("My talk".utf8)), ("video_file", "talk.mp4", try Self.sample(s.dir))]))
        let vid = try #require(up.json["video_id"] as? String)

        let body = #"{"source_video_id":"\#(vid)","target_languages":["es"],"title":"Talk","description":"a tone","is_simulation":true,"whatever":1}"#
        let created = try s.request("POST", "/jobs", json: body, headers: bearer(client))
        #expect(created.status == 201, "\(created.text)")
        let jid = try #require(created.json["job_id"] as? String)
        #expect(created.json["source_video_id"] as? String == vid)
        #expect(created.json["status"] as? String == "queued")
        #expect(created.json["progress"] as? Int == 0)
        #expect(created.json["target_languages"] as? [String] == ["es"])
        #expect((created.json["created_at"] as? String)?.hasSuffix("Z") == true)

        // the same job for OlleeyKit's read side (what `olleey job list` reads)
        let job = try JobQueries(db: s.db, workspace: s.ws, actor: Actor(email: nil)).job(jid)
        #expect(job.videoId == vid && job.sourceName == "Talk" && job.options.targetLanguages == ["es"])

        let detail = try s.request("GET", "/jobs/\(jid)", headers: bearer(client))
        #expect(detail.status == 200)
        #expect(detail.json["job_id"] as? String == jid && detail.json["title"] as? String == "Talk")
        #expect(detail.json["source_language"] as? String == "en" && detail.json["project_id"] is NSNull)
        let wf = try #require(detail.json["workflow_state"] as? [String: Any])
        #expect((wf["metadata_extraction"] as? [String: Any])?["description"] as? String == "a tone")
        #expect(((wf["video_dubbing"] as? [String: Any])?["es"] as? [String: Any])?["status"] as? String == "pending")
        #expect((wf["approval_status"] as? [String: Any])?["requires_review"] as? Bool == false)

        let v1 = try s.request("GET", "/api/v1/jobs/\(jid)", headers: bearer(client))
        #expect(v1.status == 200, "\(v1.text)")
        #expect(v1.json["_id"] as? String == jid && v1.json["status"] as? String == "QUEUED" && v1.json["org_id"] as? String == "default")
        #expect(v1.json["outputs"] is [String: Any] && v1.json["language_qc"] is [Any])

        // the list's filters
        #expect(try s.request("GET", "/jobs?language_code=es&sort_by=created_at&sort_order=asc&page_size=5", headers: bearer(client)).json["total"] as? Int == 1)
        #expect(try s.request("GET", "/jobs?language_code=fr", headers: bearer(client)).json["total"] as? Int == 0)
        #expect(try s.request("GET", "/jobs?created_after=2000-01-01T00:00:00Z", headers: bearer(client)).json["total"] as? Int == 1)
        #expect(try s.request("GET", "/jobs?sort_by=colour", headers: bearer(client)).status == 400)

        // localized videos and their metadata
        let meta = try s.request("PATCH", "/jobs/\(jid)/videos/es", json: #"{"title":"Charla"}"#, headers: bearer(client))
        #expect(meta.status == 200 && meta.json["title"] as? String == "Charla" && meta.json["description"] is NSNull)
        let vids = try s.request("GET", "/jobs/\(jid)/videos", headers: bearer(client))
        let es = ((try? JSONSerialization.jsonObject(with: Data(vids.body))) as? [[String: Any]])?.first
        #expect(es?["language_code"] as? String == "es" && es?["title"] as? String == "Charla" && es?["storage_url"] is NSNull)
        #expect(try s.request("PATCH", "/jobs/\(jid)/videos/de", json: #"{"title":"x"}"#, headers: bearer(client)).status == 404)
        #expect(try s.request("PATCH", "/jobs/\(jid)/videos/es", json: #"{}"#, headers: bearer(client)).status == 422)
        #expect(try s.request("GET", "/jobs/\(jid)/transcript", headers: bearer(client)).status == 404)   // not transcribed yet

        // validation, auth, roles, another organisation
        #expect(try s.request("POST", "/jobs", json: #"{"source_video_id":"\#(vid)"}"#, headers: bearer(client)).status == 422)
        #expect(try s.request("POST", "/jobs", json: #"{"target_languages":["es"]}"#, headers: bearer(client)).status == 422)
        #expect(try s.request("POST", "/jobs", json: #"{"source_video_id":"nope","target_languages":["es"]}"#, headers: bearer(client)).status == 404)
        #expect(try s.request("POST", "/jobs", json: #"{"source_video_id":"\#(vid)","target_languages":["en"]}"#, headers: bearer(client)).status == 400)
        #expect(try s.request("POST", "/jobs", json: body).status == 401)
        #expect(try s.request("POST", "/jobs", json: body, headers: bearer(reviewer)).status == 403)
        #expect(try s.request("POST", "/jobs", json: body, headers: bearer(other)).status == 404)
        #expect(try s.request("GET", "/jobs/\(jid)", headers: bearer(other)).status == 404)
        #expect(try s.request("GET", "/api/v1/jobs/\(jid)", headers: bearer(other)).status == 404)
        #expect(try s.request("GET", "/jobs/\(jid)").status == 401)

        // controls: pause, start-processing, cancel (root DELETE), then v1 DELETE (ADMIN) removes it
        let paused = try s.request("POST", "/jobs/\(jid)/pause", headers: bearer(client))
        #expect(paused.status == 200 && paused.json["status"] as? String == "paused")
        #expect(try s.request("POST", "/jobs/\(jid)/pause", headers: bearer(reviewer)).status == 403)
        let started = try s.request("POST", "/jobs/\(jid)/start-processing", headers: bearer(client))
        #expect(started.status == 200 && started.json["status"] as? String == "queued")
        #expect(try s.request("POST", "/api/v1/jobs/\(jid)/actions/retry", headers: bearer(admin)).status == 409)
        let cancelled = try s.request("DELETE", "/jobs/\(jid)", headers: bearer(client))
        #expect(cancelled.status == 200 && cancelled.json["status"] as? String == "cancelled" && cancelled.json["success"] as? Bool == true)
        #expect(try s.request("GET", "/jobs/\(jid)", headers: bearer(client)).json["status"] as? String == "cancelled")
        #expect(try s.request("DELETE", "/api/v1/jobs/\(jid)", headers: bearer(client)).status == 403)
        #expect(try s.request("DELETE", "/api/v1/jobs/\(jid)", headers: bearer(other)).status == 404)
        let deleted = try s.request("DELETE", "/api/v1/jobs/\(jid)", headers: bearer(admin))
        #expect(deleted.status == 200 && deleted.json["deleted"] as? Bool == true)
        #expect(try s.request("GET", "/jobs/\(jid)", headers: bearer(client)).status == 404)
    }
}
