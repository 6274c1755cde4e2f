import Foundation
import OlleeyHTTP
import OlleeyKit

/// Jobs, part two: the whole-text edits of the transcript and translations, the job-level and
/// per-language review decisions of both APIs, create from a URL (`/jobs/manual`) and from an
/// MP4 upload (`POST /api/v1/jobs`), and captions upload. Mappings onto TrackService
/// (`editText`, `importFile`), QCService (`decide`, `decideAll`, `feedback`), JobService and
/// SourceVideoService.
extension JobRoutes {
    static func registerReview(_ router: HTTPRouter, env: ServerEnvironment, limits: RateLimits) {
        let root = router.group("", middleware: env.authenticated(limits), tags: ["jobs"])
        root.on("PATCH", "/jobs/{id}/transcript", summary: "the source track's whole text, one paragraph per cue (422 for another count)",
                requiresAuth: true, responseSchema: "TextEdit") { req, ctx in
            try editText(req, ctx, env: env, language: nil)
        }
        root.on("PATCH", "/jobs/{id}/translations/{lang}", summary: "a translation's whole text, one paragraph per cue (422 for another count)",
                requiresAuth: true, responseSchema: "TextEdit") { req, ctx in
            try editText(req, ctx, env: env, language: try ctx.parameter("lang"))
        }
        root.on("POST", "/jobs/{id}/approve", summary: "approve every language waiting for review", requiresAuth: true, responseSchema: "Decided") { req, ctx in
            let (job, entries) = try decide(ctx, env: env, languages: nil, .approve, verb: "job approve")
            return decided(job, entries, message: "Job approved successfully", key: "approved_count")
        }
        root.on("POST", "/jobs/{id}/videos/approve", summary: "approve localized videos (language_codes; all waiting when absent)", requiresAuth: true, responseSchema: "Decided") { req, ctx in
            let j = try req.jsonObject()
            let (job, entries) = try decide(ctx, env: env, languages: try j.strings("language_codes"), .approve, verb: "videos approve")
            return decided(job, entries, message: "Videos approved", key: "approved_count")
        }
        root.on("POST", "/jobs/{id}/videos/reject", summary: "reject localized videos with a reason (language_codes, reason, feedback)", requiresAuth: true, responseSchema: "Decided") { req, ctx in
            let j = try req.jsonObject()
            let reason = try j.optional("reason"), feedback = try j.optional("feedback")
            let why = [reason, feedback].compactMap { $0?.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty }.joined(separator: ": ")
            guard !why.isEmpty else { throw HTTPError(422, "field 'reason' is required (what to fix)", code: "invalid") }
            let (job, entries) = try decide(ctx, env: env, languages: try j.strings("language_codes"), .reject(reason: why), verb: "videos reject")
            return decided(job, entries, message: "Videos rejected", key: "rejected_count")
        }
        root.on("POST", "/jobs/{id}/videos/{lang}/status", summary: "approve or reject one localized video (status: approved | rejected, reason)", requiresAuth: true, responseSchema: "Decided") { req, ctx in
            let j = try req.jsonObject()
            let status = try j.required("status")
            let lang = try ctx.parameter("lang")
            let decision: QCService.Decision
            switch status.lowercased() {
            case "approved": decision = .approve
            case "rejected": decision = .reject(reason: try j.optional("reason"))
            default: throw HTTPError(422, "status '\(status)' is not one olleey sets by hand: approved or rejected (a video's other states come from its job)", code: "invalid")
            }
            let (job, entries) = try decide(ctx, env: env, languages: [lang], decision, verb: "video status")
            return decided(job, entries, message: "Status updated successfully", key: decision == .approve ? "approved_count" : "rejected_count")
        }
        root.on("POST", "/jobs/manual", summary: "create a job from a video URL (http or https; fetched by the job's ingest step); JSON or multipart",
                requiresAuth: true, responseSchema: "JobCreated", body: .streamed(maxBytes: 1 << 20)) { req, ctx in
            let p = try ctx.principal()
            try p.require(.jobsCreate)
            let form = try ManualForm(req, env: env)
            let url = try form.required("video_url")
            guard let u = URL(string: url), let scheme = u.scheme?.lowercased(), ["http", "https"].contains(scheme), u.host?.isEmpty == false else {
                throw HTTPError(422, "field 'video_url' must be an http or https URL of a video file", code: "invalid")
            }
            let targets = form.list("target_languages")
            guard !targets.isEmpty else { throw HTTPError(422, "field 'target_languages' is required (language codes)", code: "invalid") }
            let job = try env.write { db -> Job in
                var r = JobCreateRequest(source: url)
                r.sourceLang = form.value("source_language") ?? "en"
                r.targetLanguages = targets
                r.project = form.value("project_id")
                r.channel = form.value("source_channel_id")
                r.sourceName = form.value("title")
                r.actor = p.user.email
                r.org = p.org
                return try JobService(db: db, workspace: env.workspace).create(r)
            }
            return .json(SpecMapping.job(job, fields: SpecMapping.rootJob), status: 201)
        }
        root.on("POST", "/jobs/{id}/save-draft", summary: "keep a language's edits as a draft: its current version, no new render", requiresAuth: true, responseSchema: "Draft") { req, ctx in
            let p = try ctx.principal()
            try p.require(.jobsControl)
            let id = try ctx.parameter("id")
            let lang = try req.jsonObject().required("language_code")
            let (job, version) = try env.read { db -> (Job, Int) in
                let job = try JobQueries(db: db, workspace: env.workspace, actor: p.actor).job(id)
                return (job, try TrackService(db).current(job: job, language: try Language.validate(lang).code).version)
            }
            return jsonResponse(.object([("message", .string("Draft saved successfully")), ("job_id", .string(job.id)),
                                         ("language_code", .string(lang)), ("version", .int(Int64(version)))]))
        }
        root.on("PATCH", "/jobs/{id}/status", summary: "set a job's status by hand (ADMIN): paused, queued (resume or retry) or cancelled",
                requiresAuth: true, responseSchema: "JobAction") { req, ctx in
            let p = try ctx.principal()
            try p.require(.jobsStatus)
            let id = try ctx.parameter("id")
            let status = try req.jsonObject().required("status")
            let job = try env.write { db in
                try JobService(db: db, workspace: env.workspace).setStatus(try JobQueries(db: db, workspace: env.workspace, actor: p.actor).job(id), to: status)
            }
            return jsonResponse(.object([("message", .string("Job status updated")), ("job_id", .string(job.id)), ("status", .string(StatusWords.root(job.status)))]))
        }
        let captions = router.group("/localization", middleware: [AuthMiddleware(env: env), limits.uploadMiddleware(), MapErrorsMiddleware()], tags: ["jobs"])
        captions.on("POST", "/captions/upload", summary: "a subtitle file as a new version of a job's track (caption_file, language_code, job_id or video_id)",
                    requiresAuth: true, responseSchema: "CaptionUploaded", body: .streamed(maxBytes: 32 << 20)) { req, ctx in
            let p = try ctx.principal()
            try p.require(.vttWrite)
            let parts = try VideoRoutes.multipart(req, env: env)
            defer { for part in parts { if let path = part.path { unlink(path) } } }
            guard let file = parts.first(where: { $0.name == "caption_file" }), let path = file.path else {
                throw HTTPError(422, "field 'caption_file' is required (a file part)", code: "invalid")
            }
            func field(_ n: String) -> String? { parts.first(where: { $0.name == n && $0.path == nil })?.text.flatMap { $0.isEmpty ? nil : $0 } }
            guard let lang = field("language_code") else { throw HTTPError(422, "field 'language_code' is required", code: "invalid") }
            guard field("job_id") != nil || field("video_id") != nil else { throw HTTPError(422, "give 'job_id' or 'video_id' (its newest job)", code: "invalid") }
            let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
            let name = file.filename.flatMap { $0.isEmpty ? nil : ($0 as NSString).lastPathComponent } ?? "captions.vtt"
            let (job, r) = try env.write { db -> (Job, (language: String, version: Int, cues: Int)) in
                let job: Job
                if let j = field("job_id") { job = try JobQueries(db: db, workspace: env.workspace, actor: p.actor).job(j) } else {
                    let svc = SourceVideoService(db: db, workspace: env.workspace, actor: p.actor)
                    guard let found = try svc.latestJob(try svc.require(field("video_id") ?? "")) else {
                        throw OlleeyError.notFound("video \(field("video_id") ?? "") has no job yet", hint: "create a job for it first")
                    }
                    job = found
                }
                return (job, try TrackService(db).importFile(job: job, language: lang, bytes: bytes, name: name, author: p.user.email, reopen: false))
            }
            return jsonResponse(.object([("caption_id", .string("\(job.id):\(r.language):\(r.version)")), ("job_id", .string(job.id)),
                                         ("language_code", .string(r.language)), ("version", .int(Int64(r.version))), ("cues", .int(Int64(r.cues))),
                                         ("success", .bool(true))]))
        }

        let v1 = router.group("/api/v1", middleware: env.authenticated(limits), tags: ["jobs"])
        v1.on("POST", "/jobs/{id}/actions/approve", summary: "approve every language waiting for review (REVIEWER, ADMIN)", requiresAuth: true, responseSchema: "JobV1Decided") { req, ctx in
            let (job, entries) = try decide(ctx, env: env, languages: try req.jsonObject().strings("languages"), .approve, verb: "job approve")
            return v1Decided(job, entries, env: env)
        }
        v1.on("POST", "/jobs/{id}/actions/reject", summary: "reject the languages waiting for review with a reason (REVIEWER, ADMIN)", requiresAuth: true, responseSchema: "JobV1Decided") { req, ctx in
            let j = try req.jsonObject()
            guard let reason = try j.optional("reason"), !reason.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
                throw HTTPError(422, "field 'reason' is required (what to fix)", code: "invalid")
            }
            let (job, entries) = try decide(ctx, env: env, languages: try j.strings("languages"), .reject(reason: reason), verb: "job reject")
            return v1Decided(job, entries, env: env)
        }
        v1.on("POST", "/jobs/{id}/actions/feedback", summary: "a QC note on the job's languages without a decision (REVIEWER, ADMIN)", requiresAuth: true, responseSchema: "JobV1Feedback") { req, ctx in
            let p = try ctx.principal()
            try p.require(.jobsReview)
            let id = try ctx.parameter("id")
            let j = try req.jsonObject()
            let message = try j.required("message")
            let langs = try j.strings("languages")
            let items = try env.write { db -> [(String, QCHistoryItem)] in
                let job = try JobQueries(db: db, workspace: env.workspace, actor: p.actor).job(id)
                let qc = QCService(db: db, workspace: env.workspace)
                return try db.transaction { try (langs ?? job.options.targetLanguages).map { l in (l, try qc.feedback(job, language: l, message: message, actor: p.actor)) } }
            }
            return jsonResponse(.object([("_id", .string(id)), ("languages", .array(items.map { .string($0.0) })), ("message", .string(message))]))
        }
        let v1Uploads = router.group("/api/v1", middleware: [AuthMiddleware(env: env), limits.uploadMiddleware(), MapErrorsMiddleware()], tags: ["jobs"])
        v1Uploads.on("POST", "/jobs", summary: "create a job with an MP4 upload (multipart: file, source_language, requested_outputs); 201",
              requiresAuth: true, responseSchema: "JobV1Action", body: .streamed(maxBytes: VideoRoutes.maxUploadBytes)) { req, ctx in
            let p = try ctx.principal()
            try p.require(.jobsCreate)
            let parts = try VideoRoutes.multipart(req, env: env)
            defer { for part in parts { if let path = part.path { unlink(path) } } }
            guard let file = parts.first(where: { ($0.name == "file" || $0.name == "video_file") && $0.path != nil }), let path = file.path else {
                throw HTTPError(422, "field 'file' is required (the MP4, a file part)", code: "invalid")
            }
            func field(_ n: String) -> String? { parts.first(where: { $0.name == n && $0.path == nil })?.text.flatMap { $0.isEmpty ? nil : $0 } }
            let outputs = parts.filter { ($0.name == "requested_outputs" || $0.name == "requested_outputs[]") && $0.path == nil }
                .flatMap { ($0.text ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }.filter { !$0.isEmpty }
            guard !outputs.isEmpty else { throw HTTPError(422, "field 'requested_outputs' is required (language codes)", code: "invalid") }
            let name = file.filename.flatMap { $0.isEmpty ? nil : ($0 as NSString).lastPathComponent } ?? "video.mp4"
            let upload = SourceVideoUpload(file: path, originalName: name, title: field("title") ?? (name as NSString).deletingPathExtension)
            let job = try env.write { db -> Job in
                try SourceVideoService(db: db, workspace: env.workspace, actor: p.actor).createJob(from: upload) { _, r in
                    r.sourceLang = field("source_language") ?? "en"
                    r.targetLanguages = outputs
                }
            }
            return .json(SpecMapping.job(job, fields: SpecMapping.v1Job), status: 201)
        }
    }

    static func editText(_ req: HTTPRequest, _ ctx: HTTPContext, env: ServerEnvironment, language: String?) throws -> HTTPResponse {
        let p = try ctx.principal()
        let id = try ctx.parameter("id")
        let j = try req.jsonObject()
        let text = try j.optional("transcript_text") ?? j.optional("translated_text") ?? j.optional("text")
        guard let text else { throw HTTPError(422, "field '\(language == nil ? "transcript_text" : "translated_text")' is required (the whole text)", code: "invalid") }
        let reopen = j["reopen"]?.boolValue ?? false
        do {
            let (job, lang, r) = try env.write { db -> (Job, String, (version: Int, changed: [Int])) in
                let job = try JobQueries(db: db, workspace: env.workspace, actor: p.actor).job(id)
                let lang = try language.map { try Language.validate($0).code } ?? job.sourceLang
                let assigned = try QCService(db: db, workspace: env.workspace).isAssigned(job, language: lang, user: p.user.id)
                try p.require(.vttWrite, assigned: assigned)
                return (job, lang, try TrackService(db).editText(job: job, language: lang, text: text, author: p.user.email, reopen: reopen))
            }
            return jsonResponse(.object([("job_id", .string(job.id)), ("language_code", .string(lang)), ("version", .int(Int64(r.version))),
                                         ("changed_cues", .array(r.changed.map { .int(Int64($0)) })), ("message", .string(r.changed.isEmpty ? "No change" : "Text updated"))]))
        } catch let m as TrackText.CountMismatch {
            throw HTTPError(422, m.description, code: "invalid")
        }
    }

    static func decide(_ ctx: HTTPContext, env: ServerEnvironment, languages: [String]?, _ d: QCService.Decision, verb: String) throws -> (Job, [QCEntry]) {
        let p = try ctx.principal()
        try p.require(.jobsReview)
        let id = try ctx.parameter("id")
        return try env.write { db in
            let job = try JobQueries(db: db, workspace: env.workspace, actor: p.actor).job(id)
            let entries = try QCService(db: db, workspace: env.workspace).decideAll(job, languages: languages, d, actor: p.actor, verb: verb)
            return (try JobStore(db).resolve(job.id), entries)
        }
    }

    static func decided(_ job: Job, _ entries: [QCEntry], message: String, key: String) -> HTTPResponse {
        jsonResponse(.object([("message", .string(message)), ("job_id", .string(job.id)), (key, .int(Int64(entries.count))),
                              ("languages", .array(entries.map { .string($0.language) })), ("status", .string(StatusWords.root(job.status)))]))
    }

    static func v1Decided(_ job: Job, _ entries: [QCEntry], env: ServerEnvironment) -> HTTPResponse {
        var w = JSONWriter(capacity: 512)
        w.object { o in
            for f in SpecMapping.v1Job { o.key(f.name); f.write(&o, job) }
            o.key("languages"); o.array { a in for e in entries { a.value(e.language) } }
        }
        return .json(w.bytes)
    }
}

/// The fields of a small form sent as JSON or as multipart/form-data (`/jobs/manual`).
struct ManualForm {
    var fields: [(String, String)] = []
    var json: JSON?

    init(_ req: HTTPRequest, env: ServerEnvironment) throws {
        let ct = req.headers["Content-Type"] ?? ""
        if MultipartReader.boundary(ct) != nil {
            let parts = try VideoRoutes.multipart(req, env: env)
            for p in parts { if let path = p.path { unlink(path) } }
            if let f = parts.first(where: { $0.path != nil }) {
                throw HTTPError(422, "the part '\(f.name)' is a file: /jobs/manual takes a video_url (upload files with /videos/upload)", code: "invalid")
            }
            fields = parts.map { ($0.name, $0.text ?? "") }
        } else {
            var r = req
            r.body = try req.bodyFile.map { Array(try Data(contentsOf: URL(fileURLWithPath: $0))) } ?? []
            json = try r.jsonObject()
        }
    }

    func value(_ name: String) -> String? {
        if let json { return json[name]?.stringValue.flatMap { $0.isEmpty ? nil : $0 } }
        return fields.first(where: { $0.0 == name })?.1.trimmingCharacters(in: .whitespaces).nilIfEmpty
    }

    func required(_ name: String) throws(HTTPError) -> String {
        guard let v = value(name) else { throw HTTPError(422, "field '\(name)' is required", code: "invalid") }
        return v
    }

    /// A list: a JSON array, or repeated or comma-separated form values.
    func list(_ name: String) -> [String] {
        if let json {
            if let a = json[name]?.arrayValue { return a.compactMap(\.stringValue) }
            return json[name]?.stringValue.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } } ?? []
        }
        return fields.filter { $0.0 == name || $0.0 == name + "[]" }.flatMap { $0.1.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }.filter { !$0.isEmpty }
    }
}

extension String {
    fileprivate var nilIfEmpty: String? { isEmpty ? nil : self }
}
