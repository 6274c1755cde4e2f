import Foundation
import Testing
import OlleeyHTTP
import OlleeyKit
import OlleeyServer
import OlleeyTestSupport

/// `POST /videos/upload`, `/videos/*`, `POST /jobs`, `GET /jobs/{id}`, `GET /api/v1/jobs/{id}`,
/// localized videos and metadata, transcript, controls, v1 delete and retry, over HTTP on
/// 127.0.0.1 with a real generated video (ffmpeg) and the workspace's default engines.
@Suite(.serialized, .enabled(if: ToolCheck.missing(["ffmpeg", "ffprobe"]).isEmpty, "needs ffmpeg and ffprobe (scripts/bootstrap)"))
struct JobVideoRoutesTests {
    /// A 2-second 160x120 video with a tone (ffmpeg).
    static func sample(_ dir: TempDir, frequency: Int = 440) throws -> [UInt8] {
        let path = dir.path + "/sample-\(frequency).mp4"
        try Subprocess.run("ffmpeg", ["-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=160x120:rate=10:duration=2",
                                      "-f", "lavfi", "-i", "sine=frequency=\(frequency):duration=2", "-shortest", "-c:v", "libx264", "-pix_fmt", "yuv420p",
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

    /// A server with a CLIENT, an ADMIN and a REVIEWER of `default` and an ADMIN of `acme`:
    /// the server and their tokens.
    func team() throws -> (AppServer, client: String, admin: String, reviewer: String, other: String) {
        let s = try AppServer(settings: [("ratelimit.auth_per_minute", "100")])
        let acme = try s.org("acme")
        try s.user("client@example.com", .client)
        try s.user("admin@example.com", .admin)
        try s.user("rev@example.com", .reviewer)
        try s.user("boss@acme.example", .admin, org: acme.id)
        return (s, try token(s, "client@example.com"), try token(s, "admin@example.com"), try token(s, "rev@example.com"), try token(s, "boss@acme.example"))
    }

    func mediaFiles(_ s: AppServer) -> [String] { ((try? FileManager.default.contentsOfDirectory(atPath: s.ws.mediaDir)) ?? []).sorted() }

    @Test("upload: 201 with video_id, read back in list and get; not a video is 400 with nothing left; 422, 415, 401, 403, 404")
    func uploadVideo() throws {
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
        let (s, client, admin, reviewer, other) = try team()
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
        #expect(v1.json["outputs"] is [String: Any] && v1.json["language_qc"] is [String: Any])

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
        #expect(try s.request("PATCH", "/jobs/\(jid)/status", json: #"{"status":"paused"}"#, headers: bearer(client)).status == 403)
        #expect(try s.request("PATCH", "/jobs/\(jid)/status", json: #"{"status":"completed"}"#, headers: bearer(admin)).status == 400)
        #expect(try s.request("PATCH", "/jobs/\(jid)/status", json: #"{}"#, headers: bearer(admin)).status == 422)
        let byHand = try s.request("PATCH", "/jobs/\(jid)/status", json: #"{"status":"paused"}"#, headers: bearer(admin))
        #expect(byHand.status == 200 && byHand.json["status"] as? String == "paused")
        #expect(try s.request("PATCH", "/jobs/\(jid)/status", json: #"{"status":"queued"}"#, headers: bearer(admin)).json["status"] as? String == "queued")
        let cancelled = try s.request("DELETE", "/jobs/\(jid)", headers: bearer(client))
        #expect(cancelled.status == 200 && cancelled.json["status"] as? String == "cancelled" && cancelled.json["success"] as? Bool == true)
        #expect(try s.request("GET", "/jobs/\(jid)", headers: bearer(client)).json["status"] as? String == "cancelled")
        #expect(try s.request("DELETE", "/api/v1/jobs/\(jid)", headers: bearer(client)).status == 403)
        #expect(try s.request("DELETE", "/api/v1/jobs/\(jid)", headers: bearer(other)).status == 404)
        let deleted = try s.request("DELETE", "/api/v1/jobs/\(jid)", headers: bearer(admin))
        #expect(deleted.status == 200 && deleted.json["deleted"] as? Bool == true)
        #expect(try s.request("GET", "/jobs/\(jid)", headers: bearer(client)).status == 404)
    }

    @Test("v1 actions approve and reject: the job in the second spec's fields with the languages decided; 401, 403, 404, 409, 422")
    func v1Actions() throws {
        let (s, client, admin, _, other) = try team()
        let vid = try #require(try upload(s, client, Self.multipart([("video_file", "talk.mp4", try Self.sample(s.dir))])).json["video_id"] as? String)
        let jid = try #require(try s.request("POST", "/jobs", json: #"{"source_video_id":"\#(vid)","target_languages":["es","ca"],"require_approval":true}"#,
                                             headers: bearer(client)).json["job_id"] as? String)
        for lang in ["es", "ca"] {
            try TrackStore(s.db).add(job: jid, language: lang, kind: .translation, content: "WEBVTT\n\n00:00:00.000 --> 00:00:01.000\nHola\n",
                                     author: "olleey/apertium", message: "translated")
            try JobStore(s.db).setLanguage(jid, lang, status: .waitingApproval)
        }
        let path = "/api/v1/jobs/\(jid)/actions"
        #expect(try s.request("POST", path + "/approve", json: "{}").status == 401)
        #expect(try s.request("POST", path + "/approve", json: "{}", headers: bearer(client)).status == 403)
        #expect(try s.request("POST", path + "/approve", json: "{}", headers: bearer(other)).status == 404)
        #expect(try s.request("POST", path + "/reject", json: #"{"languages":["ca"]}"#, headers: bearer(admin)).status == 422)
        #expect(try s.request("POST", path + "/reject", json: #"{"languages":["ca"],"reason":"  "}"#, headers: bearer(admin)).status == 422)
        let rej = try s.request("POST", path + "/reject", json: #"{"languages":["ca"],"reason":"names mistranslated"}"#, headers: bearer(admin))
        #expect(rej.status == 200 && rej.json["_id"] as? String == jid && rej.json["languages"] as? [String] == ["ca"], "\(rej.text)")
        #expect(rej.json["org_id"] as? String == "default" && rej.json["source_language"] as? String == "en" && rej.json["status"] is String)
        #expect(try JobStore(s.db).language(jid, "ca")?.approvalReason == "names mistranslated")
        let ok = try s.request("POST", path + "/approve", json: #"{"languages":["es"]}"#, headers: bearer(admin))
        #expect(ok.status == 200 && ok.json["languages"] as? [String] == ["es"], "\(ok.text)")
        #expect(try JobStore(s.db).language(jid, "es")?.approval == "approved")
        #expect(try s.request("POST", path + "/approve", json: #"{"languages":["es"]}"#, headers: bearer(admin)).status == 409)
    }

    @Test("review and text: whole-text PATCH (422 on another paragraph count, versioned, markup kept, locked after approval), approve/reject, captions upload, manual and v1 create")
    func reviewAndText() throws {
        let (s, client, admin, reviewer, other) = try team()
        let video = try Self.sample(s.dir)
        let vid = try #require(try upload(s, client, Self.multipart([("video_file", "talk.mp4", video)])).json["video_id"] as? String)
        let jid = try #require(try s.request("POST", "/jobs", json: #"{"source_video_id":"\#(vid)","target_languages":["es"],"require_approval":true}"#,
                                             headers: bearer(client)).json["job_id"] as? String)
        // the job's tracks as a run leaves them, and es rendered and waiting for review
        let src = "WEBVTT\n\n1\n00:00:00.000 --> 00:00:01.000\nHello there\n\n2\n00:00:01.000 --> 00:00:02.000\nGood bye\n"
        let es = "WEBVTT\n\n1\n00:00:00.000 --> 00:00:01.000\nHola\n\n2\n00:00:01.000 --> 00:00:02.000\nAdiós\n"
        try TrackStore(s.db).add(job: jid, language: "en", kind: .source, content: src, author: "olleey/pocketsphinx", message: "transcribed")
        try TrackStore(s.db).add(job: jid, language: "es", kind: .translation, content: es, author: "olleey/apertium", message: "translated")
        try JobStore(s.db).setLanguage(jid, "es", status: .waitingApproval)

        let t = try s.request("GET", "/jobs/\(jid)/transcript", headers: bearer(client))
        #expect(t.status == 200 && t.json["transcript_text"] as? String == "Hello there\n\nGood bye" && t.json["version"] as? Int == 1)
        let tr = try s.request("GET", "/jobs/\(jid)/translations/es", headers: bearer(client))
        #expect(tr.json["translated_text"] as? String == "Hola\n\nAdiós" && tr.json["source_language"] as? String == "en")
        #expect(try s.request("GET", "/jobs/\(jid)/translations", headers: bearer(client)).body.count > 2)
        #expect(try s.request("GET", "/jobs/\(jid)/translations/fr", headers: bearer(client)).status == 404)

        // approve and reject: REVIEWER not assigned is refused by the one approval path; ADMIN decides
        #expect(try s.request("POST", "/jobs/\(jid)/videos/approve", json: #"{"language_codes":["es"]}"#, headers: bearer(client)).status == 403)
        #expect(try s.request("POST", "/jobs/\(jid)/videos/approve", json: #"{"language_codes":["es"]}"#, headers: bearer(reviewer)).status == 403)
        #expect(try s.request("POST", "/jobs/\(jid)/videos/approve", json: #"{"language_codes":["es"]}"#, headers: bearer(other)).status == 404)
        #expect(try s.request("POST", "/jobs/\(jid)/videos/reject", json: #"{"language_codes":["es"]}"#, headers: bearer(admin)).status == 422)
        let rej = try s.request("POST", "/jobs/\(jid)/videos/reject", json: #"{"language_codes":["es"],"reason":"robotic","feedback":"at 0:01"}"#, headers: bearer(admin))
        #expect(rej.status == 200 && rej.json["rejected_count"] as? Int == 1, "\(rej.text)")
        #expect(try JobStore(s.db).language(jid, "es")?.approvalReason == "robotic: at 0:01")
        let ok = try s.request("POST", "/jobs/\(jid)/approve", headers: bearer(admin))
        #expect(ok.status == 200 && ok.json["approved_count"] as? Int == 1 && ok.json["languages"] as? [String] == ["es"], "\(ok.text)")
        #expect(try s.request("POST", "/jobs/\(jid)/approve", headers: bearer(admin)).status == 409)
        #expect(try s.request("POST", "/jobs/\(jid)/videos/es/status", json: #"{"status":"published"}"#, headers: bearer(admin)).status == 422)

        // whole-text edits: another paragraph count is 422 and stores nothing; a locked track needs reopen
        let three = #"{"transcript_text":"Hello there\n\nGood\n\nbye"}"#
        let bad = try s.request("PATCH", "/jobs/\(jid)/transcript", json: three, headers: bearer(admin))
        #expect(bad.status == 422 && (bad.json["detail"] as? String)?.contains("2 cue(s)") == true)
        #expect(try TrackStore(s.db).versions(job: jid, language: "en", kind: .source).count == 1)
        #expect(try s.request("PATCH", "/jobs/\(jid)/translations/es", json: #"{"translated_text":"Hola\n\nAdiós amigo"}"#, headers: bearer(admin)).status == 409)
        #expect(try s.request("PATCH", "/jobs/\(jid)/transcript", json: #"{"transcript_text":"x\n\ny"}"#, headers: bearer(client)).status == 403)
        #expect(try s.request("PATCH", "/jobs/\(jid)/transcript", json: #"{"transcript_text":"x\n\ny"}"#, headers: bearer(other)).status == 404)
        let edit = try s.request("PATCH", "/jobs/\(jid)/transcript", json: #"{"transcript_text":"Hello there\r\n\r\nGood <i>bye</i> &amp; thanks\n"}"#, headers: bearer(admin))
        #expect(edit.status == 200 && edit.json["version"] as? Int == 2 && edit.json["changed_cues"] as? [Int] == [2], "\(edit.text)")
        let versions = try TrackStore(s.db).versions(job: jid, language: "en", kind: .source)
        let first = try TrackStore(s.db).version(job: jid, language: "en", kind: .source, 1)
        #expect(versions.count == 2 && first?.content == src)   // the old version is kept
        #expect(try s.request("GET", "/jobs/\(jid)/transcript", headers: bearer(client)).json["transcript_text"] as? String == "Hello there\n\nGood <i>bye</i> &amp; thanks")
        let es2 = try s.request("PATCH", "/jobs/\(jid)/translations/es", json: #"{"translated_text":"Hola\n\nAdiós amigo","reopen":true}"#, headers: bearer(admin))
        #expect(es2.status == 200 && es2.json["version"] as? Int == 2)

        // captions: a malformed file is refused with file:line; a good one is a new version
        func captions(_ name: String, _ text: String, lang: String = "es") throws -> Reply {
            let body = Self.multipart([("job_id", nil, Array(jid.utf8)), ("language_code", nil, Array(lang.utf8)), ("caption_file", name, Array(text.utf8))])
            var head = "POST /localization/captions/upload HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Type: multipart/form-data; boundary=XbOuNdArY42\r\n"
            head += "Content-Length: \(body.count)\r\nAuthorization: Bearer \(admin)\r\n\r\n"
            return try Reply(parsing: s.exchange(Array(head.utf8) + body))
        }
        let badCaps = try captions("fixed.es.srt", "1\n00:00:02,000 --> 00:00:01,000\nHola\n")
        #expect(badCaps.status == 400 && (badCaps.json["detail"] as? String)?.contains("fixed.es.srt:") == true, "\(badCaps.text)")
        let caps = try captions("fixed.es.srt", "1\n00:00:00,000 --> 00:00:01,000\nHola\n\n2\n00:00:01,000 --> 00:00:02,000\nChao\n")
        #expect(caps.status == 200 && caps.json["version"] as? Int == 3 && caps.json["cues"] as? Int == 2, "\(caps.text)")

        // feedback, save-draft
        #expect(try s.request("POST", "/api/v1/jobs/\(jid)/actions/feedback", json: #"{"message":"check names"}"#, headers: bearer(admin)).json["languages"] as? [String] == ["es"])
        #expect(try s.request("POST", "/api/v1/jobs/\(jid)/actions/feedback", json: #"{"message":"x"}"#, headers: bearer(client)).status == 403)
        let draft = try s.request("POST", "/jobs/\(jid)/save-draft", json: #"{"language_code":"es"}"#, headers: bearer(client))
        #expect(draft.status == 200 && draft.json["version"] as? Int == 3)

        // manual: a URL the ingest step fetches; not http(s) is 422
        #expect(try s.request("POST", "/jobs/manual", json: #"{"video_url":"file:///etc/passwd","target_languages":["es"]}"#, headers: bearer(client)).status == 422)
        let manual = try s.request("POST", "/jobs/manual", json: #"{"video_url":"https://example.com/v.mp4","target_languages":["es"]}"#, headers: bearer(client))
        #expect(manual.status == 201 && manual.json["source_video_id"] is NSNull, "\(manual.text)")
        let mid = try #require(manual.json["job_id"] as? String)
        #expect(try JobQueries(db: s.db, workspace: s.ws, actor: Actor(email: nil)).job(mid).source == "https://example.com/v.mp4")

        // v1 create with an MP4 upload
        func v1Create(_ outputs: String, _ data: [UInt8]) throws -> Reply {
            let body = Self.multipart([("source_language", nil, Array("en".utf8)), ("requested_outputs", nil, Array(outputs.utf8)), ("file", "other.mp4", data)])
            var head = "POST /api/v1/jobs HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Type: multipart/form-data; boundary=XbOuNdArY42\r\n"
            head += "Content-Length: \(body.count)\r\nAuthorization: Bearer \(client)\r\n\r\n"
            return try Reply(parsing: s.exchange(Array(head.utf8) + body))
        }
        // a language pair the engines lack: nothing is left (no video row, no new file)
        let another = try Self.sample(s.dir, frequency: 330)   // another video (another SHA-256)
        let before = mediaFiles(s)
        let refused = try v1Create("xx-not-a-language", another)
        #expect(refused.status == 400 || refused.status == 503, "\(refused.text)")
        #expect(mediaFiles(s) == before)
        #expect(try s.db.scalarInt("SELECT count(*) FROM source_videos") == 1)
        let v1 = try v1Create("es,ca", video)
        #expect(v1.status == 201 && v1.json["requested_outputs"] as? [String] == ["es", "ca"] && v1.json["status"] as? String == "QUEUED", "\(v1.text)")
    }
}
