import Foundation
import Testing
import OlleeyTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// Issue 15, end to end: a team's client against `olleey serve --workers 0` while a separate
/// `olleey worker` process does the work: log in, upload a generated video, create a job, give
/// it its English subtitles, watch it over WebSocket and SSE, approve each language over the QC
/// routes, download the outputs through signed URLs, and compare them with what the CLI reports.
@Suite("End to end: a job over HTTP worked by a separate worker", .serialized,
       .enabled(if: Tools.media, "needs the release binary, ffmpeg, espeak-ng and apertium (scripts/bootstrap)"))
struct ServeJobEndToEndTests {
    /// A multipart/form-data body: text fields, then file parts.
    func multipart(_ boundary: String, fields: [(String, String)], files: [(name: String, filename: String, type: String, data: Data)]) -> [UInt8] {
        var b = Data()
        for (k, v) in fields { b += Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(k)\"\r\n\r\n\(v)\r\n".utf8) }
        for f in files {
            b += Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(f.name)\"; filename=\"\(f.filename)\"\r\nContent-Type: \(f.type)\r\n\r\n".utf8)
            b += f.data + Data("\r\n".utf8)
        }
        b += Data("--\(boundary)--\r\n".utf8)
        return Array(b)
    }

    @Test("log in, upload, create, watch over WebSocket and SSE while 'olleey worker' works it, approve over QC, download through signed URLs: the bytes the CLI's outputs hold")
    func jobOverHTTPWithASeparateWorker() throws {
        let dir = Binary.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Tools.sample(in: dir)
        #expect(try Binary.run(["init"], cwd: dir).exit == 0)
        let created = try Binary.run(["user", "create", "--email", "pm@example.com", "--role", "ADMIN", "--password-stdin"], cwd: dir,
                                     stdin: "a long passphrase\n")
        #expect(created.exit == 0, "\(created.stderr)")

        let (server, port) = try Binary.serve(in: dir, ["--workers", "0"])
        defer { Binary.stop(server) }
        func call(_ method: String, _ path: String, json: String? = nil, token: String? = nil) throws -> Reply {
            try Reply.request(port: port, method, path, body: json.map { Array($0.utf8) }, headers: token.map { [("Authorization", "Bearer \($0)")] } ?? [])
        }

        // 1. log in
        let login = try call("POST", "/auth/login", json: #"{"email":"pm@example.com","password":"a long passphrase"}"#)
        let token = try #require(login.json["access_token"] as? String, "login: \(login.status) \(login.text)")

        // 2. upload the video, create a job that waits for review, give it its English subtitles
        let video = try Data(contentsOf: URL(fileURLWithPath: dir + "/talk.mp4"))
        let boundary = "olleey-e2e-\(UUID().uuidString)"
        let upload = try Reply.request(port: port, "POST", "/videos/upload",
                                       body: multipart(boundary, fields: [("title", "Talk & <friends>")],
                                                       files: [("video_file", "talk.mp4", "video/mp4", video)]),
                                       contentType: "multipart/form-data; boundary=\(boundary)", headers: [("Authorization", "Bearer \(token)")])
        #expect(upload.status == 201, "upload: \(upload.text)")
        let videoId = try #require(upload.json["video_id"] as? String)
        let create = try call("POST", "/jobs", json: #"{"source_video_id":"\#(videoId)","target_languages":["es"],"source_language":"en","require_approval":true,"is_simulation":true}"#,
                              token: token)
        #expect(create.status == 201, "create: \(create.text)")
        let jobId = try #require(create.json["job_id"] as? String)
        let vtt = try Data(contentsOf: URL(fileURLWithPath: dir + "/talk.en.vtt"))
        let captions = try Reply.request(port: port, "POST", "/localization/captions/upload",
                                         body: multipart(boundary, fields: [("language_code", "en"), ("job_id", jobId)],
                                                         files: [("caption_file", "talk.en.vtt", "text/vtt", vtt)]),
                                         contentType: "multipart/form-data; boundary=\(boundary)", headers: [("Authorization", "Bearer \(token)")])
        #expect(captions.status == 200 && captions.json["cues"] as? Int == 3, "captions: \(captions.text)")
        // the job is the one the CLI lists
        let listed = try Binary.run(["job", "list", "--json"], cwd: dir)
        #expect(listed.stdout.contains(jobId), "job list: \(listed.stdout)")

        // 3. watch it: SSE for the organisation, WebSocket for the job, each collected on a thread
        let sse = try SSETestClient(port: port, path: "/events/stream?token=\(token)", timeout: 1)
        #expect(sse.status == 200, "SSE: \(sse.status)")
        let ws = try WebSocketTestClient(port: port, path: "/api/v1/ws/jobs/\(jobId)?token=\(token)", timeout: 1)
        #expect(ws.status == 101, "WebSocket: \(ws.status)")
        let sseEvents = Locked<[[String: Any]]>([]), wsMessages = Locked<[[String: Any]]>([]), done = Locked(false)
        let readers = DispatchGroup()
        DispatchQueue.global().async(group: readers) {
            while !done.value { if let e = sse.nextEvent() { sseEvents.mutate { $0.append(e.json) } } }
        }
        DispatchQueue.global().async(group: readers) {
            while !done.value { if let m = ws.nextJSON() { wsMessages.mutate { $0.append(m) } } }
        }
        defer { done.set(true); sse.stream.closeNow(); ws.stream.closeNow(); _ = readers.wait(timeout: .now() + 5) }

        // 4. a separate worker process works it until it waits for review
        let worker = try Binary.background(["worker", "--json"], in: dir, name: "worker")
        defer { Binary.stop(worker) }
        func status() throws -> String { try call("GET", "/jobs/\(jobId)", token: token).json["status"] as? String ?? "" }
        var s = ""
        for _ in 0..<900 {
            s = try status()
            if ["waiting_approval", "completed", "failed"].contains(s) { break }
            usleep(200_000)
        }
        #expect(s == "waiting_approval", "status: \(s); worker: \((try? String(contentsOfFile: dir + "/worker.err", encoding: .utf8)) ?? "")")

        // 5. approve each language over the QC routes
        let qc = try call("GET", "/api/v1/jobs/\(jobId)/language-qc", token: token)
        #expect(qc.status == 200, "language-qc: \(qc.text)")
        let languages = (qc.json["languages"] as? [[String: Any]] ?? []).compactMap { $0["language"] as? String }
        #expect(languages == ["es"], "languages under review: \(qc.text)")
        for lang in languages {
            let a = try call("POST", "/api/v1/jobs/\(jobId)/language-qc/\(lang)/approve", json: #"{"note":"reads well"}"#, token: token)
            #expect(a.status == 200, "approve \(lang): \(a.text)")
        }
        for _ in 0..<600 {
            s = try status()
            if ["completed", "failed"].contains(s) { break }
            usleep(200_000)
        }
        #expect(s == "completed", "after approval: \(s)")

        // the live events, from another process's writes: SSE carries the whole job with its
        // type inside the data, the WebSocket the job's status updates
        var sawCompleted = false
        for _ in 0..<50 where !sawCompleted {
            sawCompleted = sseEvents.value.contains { $0["type"] as? String == "job_completed" }
            if !sawCompleted { usleep(100_000) }
        }
        let types = Set(sseEvents.value.compactMap { $0["type"] as? String })
        #expect(types.contains("job_update") && sawCompleted, "SSE types: \(types)")
        let jobs = sseEvents.value.compactMap { $0["job"] as? [String: Any] }
        #expect(!jobs.isEmpty && jobs.allSatisfy { $0["job_id"] as? String == jobId && $0.keys.contains("project_id") }, "SSE jobs: \(jobs.prefix(2))")
        let updates = wsMessages.value.filter { $0["type"] as? String == "job_status_update" }
        #expect(!updates.isEmpty, "WebSocket messages: \(wsMessages.value.prefix(3))")
        #expect(updates.allSatisfy { $0["job_id"] as? String == jobId }, "\(updates.prefix(2))")

        // 6. download every deliverable through its signed URL (no Authorization) and compare
        // with the files the CLI reports
        let downloads = try call("GET", "/api/v1/jobs/\(jobId)/downloads", token: token)
        #expect(downloads.status == 200, "downloads: \(downloads.text)")
        let items = downloads.json["downloads"] as? [[String: Any]] ?? []
        let outputs = try Binary.run(["job", "outputs", jobId, "--json"], cwd: dir)
        // {"master": PATH, "languages": {"es": {"mp4": PATH, ...}}}: (kind, language, path)
        let report = Tools.json(outputs.stdout) as? [String: Any] ?? [:]
        var cli: [(kind: String, language: String?, path: String)] = (report["master"] as? String).map { [("master", nil, $0)] } ?? []
        for (lang, files) in report["languages"] as? [String: Any] ?? [:] {
            for (kind, path) in files as? [String: Any] ?? [:] { if let path = path as? String { cli.append((kind, lang, path)) } }
        }
        #expect(cli.count >= 5, "job outputs: \(outputs.stdout) \(outputs.stderr)")
        var compared = 0
        for (kind, lang, path) in cli {
            let local = try #require(FileManager.default.contents(atPath: path), "the CLI names \(path)")
            let item = items.first { $0["kind"] as? String == kind && (lang == nil || $0["language"] as? String == lang) }
            let url = try #require(item?["url"] as? String, "no download for \(lang ?? "all") \(kind) in \(items.map { "\($0["language"] ?? "") \($0["kind"] ?? "")" })")
            let u = try #require(URLComponents(string: url))
            #expect(u.host == "127.0.0.1" && u.port == port, "absolute URL of this server: \(url)")
            let got = try Reply.request(port: port, "GET", u.percentEncodedPath + (u.percentEncodedQuery.map { "?" + $0 } ?? ""))
            #expect(got.status == 200 && got.body == Array(local), "\(lang ?? "all") \(kind): \(got.status), \(got.body.count) bytes against \(local.count)")
            compared += 1
        }
        #expect(compared == cli.count && compared >= 5, "compared \(compared) of \(cli.count) outputs")
        // a byte range of the MP4, as a <video> element asks for it
        if let mp4 = items.first(where: { $0["kind"] as? String == "mp4" })?["url"] as? String, let u = URLComponents(string: mp4) {
            let part = try Reply.request(port: port, "GET", u.percentEncodedPath + (u.percentEncodedQuery.map { "?" + $0 } ?? ""), headers: [("Range", "bytes=0-99")])
            #expect(part.status == 206 && part.body.count == 100 && part.header("Content-Range")?.hasPrefix("bytes 0-99/") == true)
        }
        // the job over HTTP is the job the CLI shows: same status and languages
        let show = Tools.json(try Binary.run(["job", "show", jobId, "--json"], cwd: dir).stdout) as? [String: Any] ?? [:]
        #expect(show["status"] as? String == "completed")
        let v1 = try call("GET", "/api/v1/jobs/\(jobId)", token: token)
        #expect(v1.status == 200 && v1.json["status"] as? String == "COMPLETED", "v1: \(v1.text.prefix(300))")
    }
}
