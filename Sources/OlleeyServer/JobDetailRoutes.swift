import Foundation
import OlleeyHTTP
import OlleeyKit

/// Jobs beyond the list: create from an uploaded video, the detail on both specs (root: with
/// `workflow_state`; `/api/v1`: with `outputs` and `language_qc`), the localized videos and
/// their metadata, the transcript and translations (read), and the controls (pause,
/// start-processing, cancel at the root path; delete and retry under `/api/v1`). Each is a
/// mapping onto JobService, JobQueries, SourceVideoService, QCService and the track store.
extension JobRoutes {
    static func registerDetail(_ router: HTTPRouter, env: ServerEnvironment, limits: RateLimits) {
        let root = router.group("", middleware: env.authenticated(limits), tags: ["jobs"])
        root.on("POST", "/jobs", summary: "create a job from an uploaded video (source_video_id, target_languages); 201",
                requiresAuth: true, responseSchema: "JobCreated") { req, ctx in
            let p = try ctx.principal()
            try p.require(.jobsCreate)
            let j = try req.jsonObject()
            let videoId = try j.required("source_video_id")
            guard let targets = try j.strings("target_languages"), !targets.isEmpty else {
                throw HTTPError(422, "field 'target_languages' is required (a non-empty array of language codes)", code: "invalid")
            }
            let title = try j.optional("title"), description = try j.optional("description")
            let sourceLang = try j.optional("source_language"), project = try j.optional("project_id"), channel = try j.optional("source_channel_id")
            if let v = j["require_approval"], v != .null, v.boolValue == nil { throw HTTPError(422, "field 'require_approval' must be a boolean", code: "invalid") }
            let job = try env.write { db -> Job in
                let videos = SourceVideoService(db: db, workspace: env.workspace, actor: p.actor)
                let v = try videos.require(videoId)
                var r = JobCreateRequest(source: try videos.file(v))
                r.sourceLang = sourceLang ?? "en"
                r.targetLanguages = targets
                r.project = project ?? v.projectId
                r.channel = channel ?? v.channelId
                r.sourceName = title ?? v.title
                r.videoId = v.id
                r.requireApproval = j["require_approval"]?.boolValue ?? false
                r.actor = p.user.email
                r.org = p.org
                let job = try JobService(db: db, workspace: env.workspace).create(r)
                if description != nil || title != nil {
                    _ = try LocalizedMetadataStore(db).set(job: job, language: job.sourceLang, title: title, description: description, actor: p.actor)
                }
                return job
            }
            return .json(SpecMapping.job(job, fields: SpecMapping.rootJob), status: 201)
        }
        root.on("GET", "/jobs/{id}", summary: "a job in full, with its workflow_state", requiresAuth: true, responseSchema: "JobDetail") { req, ctx in
            let p = try ctx.principal()
            let id = try ctx.parameter("id")
            return .json(try env.read { db in
                let q = JobQueries(db: db, workspace: env.workspace, actor: p.actor)
                let job = try q.job(id)
                let wf = try q.workflow(job).json { rel in try? download(job, rel, req, env: env, db: db) }
                return SpecMapping.job(job, fields: SpecMapping.rootJobDetail, extra: [("workflow_state", wf)])
            })
        }
        root.on("GET", "/jobs/{id}/videos", summary: "the job's localized videos (signed, absolute media URLs)", requiresAuth: true, responseSchema: "LocalizedVideos") { req, ctx in
            let p = try ctx.principal()
            let id = try ctx.parameter("id")
            return .json(try env.read { db in
                let q = JobQueries(db: db, workspace: env.workspace, actor: p.actor)
                let job = try q.job(id)
                let wf = try q.workflow(job)
                let videos = try wf.languages.map { l in
                    let url = { (kind: String) throws -> String? in try l.outputs[kind]?.stringValue.map { try download(job, $0, req, env: env, db: db) } }
                    return LocalizedVideo(job: job, language: l, metadata: wf.metadata[l.language], storageURL: try url("mp4"), audioURL: try url("audio"))
                }
                return SpecMapping.array(videos, fields: SpecMapping.rootLocalizedVideo)
            })
        }
        root.on("PATCH", "/jobs/{id}/videos/{lang}", summary: "a localized video's title and description", requiresAuth: true, responseSchema: "LocalizedMetadata") { req, ctx in
            let p = try ctx.principal()
            try p.require(.jobsControl)
            let (id, lang) = (try ctx.parameter("id"), try ctx.parameter("lang"))
            let j = try req.jsonObject()
            let title = try j.optional("title"), description = try j.optional("description")
            guard title != nil || description != nil else { throw HTTPError(422, "give 'title', 'description' or both (strings)", code: "invalid") }
            let m = try env.write { db in
                try LocalizedMetadataStore(db).set(job: try JobQueries(db: db, workspace: env.workspace, actor: p.actor).job(id), language: lang,
                                                   title: title, description: description, actor: p.actor)
            }
            return jsonResponse(.object([("job_id", .string(id)), ("language_code", .string(m.language)), ("title", JSON(m.title)),
                                         ("description", JSON(m.description)), ("updated_at", .string(m.updatedAt))]))
        }
        root.on("GET", "/jobs/{id}/transcript", summary: "the source track's text (one paragraph per cue)", requiresAuth: true, responseSchema: "Transcript") { req, ctx in
            let p = try ctx.principal()
            let id = try ctx.parameter("id")
            return jsonResponse(try env.read { db in
                let job = try JobQueries(db: db, workspace: env.workspace, actor: p.actor).job(id)
                guard let v = try TrackStore(db).current(job: job.id, language: job.sourceLang, kind: .source) else {
                    throw OlleeyError.notFound("job \(job.id) has no transcript yet", hint: "it is made when the job runs")
                }
                return .object([("job_id", .string(job.id)), ("source_language", .string(job.sourceLang)), ("transcript_text", .string(TrackText.paragraphs(v.content))),
                                ("confidence_score", .null), ("version", .int(Int64(v.version))), ("created_at", .string(v.createdAt))])
            })
        }
        root.on("GET", "/jobs/{id}/translations", summary: "every translation's text (one paragraph per cue)", requiresAuth: true, responseSchema: "Translations") { req, ctx in
            let p = try ctx.principal()
            let id = try ctx.parameter("id")
            return jsonResponse(try env.read { db in
                let job = try JobQueries(db: db, workspace: env.workspace, actor: p.actor).job(id)
                return .array(try job.options.targetLanguages.compactMap { l in
                    try TrackStore(db).current(job: job.id, language: l, kind: .translation).map { translation(job, l, $0) }
                })
            })
        }
        root.on("GET", "/jobs/{id}/translations/{lang}", summary: "one translation's text", requiresAuth: true, responseSchema: "Translation") { req, ctx in
            let p = try ctx.principal()
            let (id, raw) = (try ctx.parameter("id"), try ctx.parameter("lang"))
            return jsonResponse(try env.read { db in
                let job = try JobQueries(db: db, workspace: env.workspace, actor: p.actor).job(id)
                let lang = try Language.validate(raw).code
                guard job.options.targetLanguages.contains(lang), let v = try TrackStore(db).current(job: job.id, language: lang, kind: .translation) else {
                    throw OlleeyError.notFound("job \(job.id) has no \(lang) translation", hint: "its languages: \(job.options.targetLanguages.joined(separator: ", "))")
                }
                return translation(job, lang, v)
            })
        }
        root.on("POST", "/jobs/{id}/pause", summary: "pause a job", requiresAuth: true, responseSchema: "JobAction") { req, ctx in
            try control(ctx, env: env, message: "Job paused successfully") { try $0.pause($1) }
        }
        root.on("POST", "/jobs/{id}/start-processing", summary: "start (resume) a paused job; a queued or running job is left as it is", requiresAuth: true, responseSchema: "JobAction") { req, ctx in
            try control(ctx, env: env, message: "Job processing started") { s, job in
                if job.status == .paused || job.paused { return try s.resume(job) }
                if job.status.isSettled && job.status != .waitingApproval {
                    throw OlleeyError.conflict("job \(job.id) is \(job.status.rawValue): there is nothing to start", hint: "retry it if it failed")
                }
                return job
            }
        }
        root.on("DELETE", "/jobs/{id}", summary: "cancel a job (the root spec: cancels; its files stay)", requiresAuth: true, responseSchema: "JobCancelled") { req, ctx in
            let p = try ctx.principal()
            try p.require(.jobsControl)
            let id = try ctx.parameter("id")
            let (job, n) = try env.write { db -> (Job, Int) in
                let job = try JobQueries(db: db, workspace: env.workspace, actor: p.actor).job(id)
                let open = try JobStore(db).languages(job.id).filter { !$0.status.isFinished || $0.status == .waitingApproval }.count
                return (try JobService(db: db, workspace: env.workspace).cancel(job), open)
            }
            return jsonResponse(.object([("success", .bool(true)), ("message", .string("Job cancelled")), ("job_id", .string(job.id)),
                                         ("status", .string(StatusWords.root(job.status))), ("cancelled_videos", .int(Int64(n)))]))
        }

        registerReview(router, env: env, limits: limits)
        let v1 = router.group("/api/v1", middleware: env.authenticated(limits), tags: ["jobs"])
        v1.on("GET", "/jobs/{id}", summary: "a job with its outputs (paths relative to the workspace) and each language's QC", requiresAuth: true, responseSchema: "JobV1") { req, ctx in
            let p = try ctx.principal()
            let id = try ctx.parameter("id")
            return .json(try env.write { db in
                let q = JobQueries(db: db, workspace: env.workspace, actor: p.actor)
                let job = try q.job(id)
                let langs = try JobStore(db).languages(job.id)
                let outputs: JSON = .object(langs.map { ($0.language, $0.outputs) })
                let qc = try QCService(db: db, workspace: env.workspace).statusView(job).languages.map { ($0.entry.language, $0.json) }
                return SpecMapping.job(job, fields: SpecMapping.v1Job, extra: [("outputs", outputs), ("language_qc", .object(qc))])
            })
        }
        v1.on("DELETE", "/jobs/{id}", summary: "delete a job and its files (ADMIN; the second spec: deletes)", requiresAuth: true, responseSchema: "JobDeleted") { req, ctx in
            let p = try ctx.principal()
            try p.require(.jobsDelete)
            let id = try ctx.parameter("id")
            let job = try env.write { db -> Job in
                let job = try JobQueries(db: db, workspace: env.workspace, actor: p.actor).job(id)
                try JobService(db: db, workspace: env.workspace).delete(job, force: false)
                return job
            }
            return jsonResponse(.object([("deleted", .bool(true)), ("_id", .string(job.id))]))
        }
        v1.on("POST", "/jobs/{id}/actions/retry", summary: "retry a TTS_FAILED or RENDER_FAILED job from its failed stage (ADMIN)", requiresAuth: true, responseSchema: "JobV1Action") { req, ctx in
            let p = try ctx.principal()
            try p.require(.jobsRetry)
            let id = try ctx.parameter("id")
            let job = try env.write { db -> Job in
                let job = try JobQueries(db: db, workspace: env.workspace, actor: p.actor).job(id)
                let word = StatusWords.v1(job.status, errorStage: job.errorStage)
                guard word == "TTS_FAILED" || word == "RENDER_FAILED" else {
                    throw OlleeyError.conflict("job \(job.id) is \(word): only a TTS_FAILED or RENDER_FAILED job is retried here")
                }
                return try JobService(db: db, workspace: env.workspace).retry(job, stage: job.errorStage.flatMap(Stage.init(rawValue:)))
            }
            return .json(SpecMapping.job(job, fields: SpecMapping.v1Job))
        }
    }

    /// A control of the root spec (`jobs.control`): `{"message", "job_id", "status"}`.
    static func control(_ ctx: HTTPContext, env: ServerEnvironment, message: String, _ body: @escaping (JobService, Job) throws -> Job) throws -> HTTPResponse {
        let p = try ctx.principal()
        try p.require(.jobsControl)
        let id = try ctx.parameter("id")
        let job = try env.write { db in
            try body(JobService(db: db, workspace: env.workspace), try JobQueries(db: db, workspace: env.workspace, actor: p.actor).job(id))
        }
        return jsonResponse(.object([("message", .string(message)), ("job_id", .string(job.id)), ("status", .string(StatusWords.root(job.status)))]))
    }

    static func translation(_ job: Job, _ lang: String, _ v: TrackVersion) -> JSON {
        .object([("job_id", .string(job.id)), ("target_language", .string(lang)), ("source_language", .string(job.sourceLang)),
                 ("translated_text", .string(TrackText.paragraphs(v.content))), ("confidence_score", .null),
                 ("translation_engine", JSON(job.options.engines["translate"])), ("version", .int(Int64(v.version))), ("created_at", .string(v.createdAt))])
    }

    /// An absolute signed download URL (24 h) of a job's file, `rel` relative to the workspace.
    static func download(_ job: Job, _ rel: String, _ req: HTTPRequest, env: ServerEnvironment, db: Database) throws -> String {
        let link = SignedLink(purpose: .download, org: job.orgId, job: job.id, path: rel,
                              expires: Int64(Date().timeIntervalSince1970) + SignedLink.downloadTTL)
        return try env.signedURL(link, req, db: db)
    }

    static var detailSchemas: [String: Any] {
        let s: [String: Any] = ["type": "string"], ns: [String: Any] = ["type": ["string", "null"]], i: [String: Any] = ["type": "integer"]
        let arr: [String: Any] = ["type": "array", "items": s], obj: [String: Any] = ["type": "object"]
        let root: [String: Any] = ["job_id": s, "source_video_id": ns, "status": s, "progress": i, "target_languages": arr, "created_at": s, "updated_at": s]
        let detail = root.merging(["source_channel_id": ns, "project_id": ns, "title": s, "source_language": s, "completed_at": ns, "error": ns,
                                   "workflow_state": obj]) { a, _ in a }
        let v1: [String: Any] = ["_id": s, "status": s, "org_id": s, "source_language": s, "requested_outputs": arr, "created_at": s, "updated_at": s, "error": ns]
        let text: [String: Any] = ["job_id": s, "target_language": s, "source_language": s, "translated_text": s, "confidence_score": ["type": "null"],
                                   "translation_engine": ns, "version": i, "created_at": s]
        let video = strictObject(["id": s, "job_id": s, "language_code": s, "storage_url": ns, "dubbed_audio_url": ns, "thumbnail_url": ns,
                                  "status": s, "approval": ns, "title": ns, "description": ns, "created_at": s, "updated_at": s])
        return [
            "JobCreated": strictObject(root),
            "JobDetail": strictObject(detail),
            "JobV1": strictObject(v1.merging(["outputs": obj, "language_qc": obj]) { a, _ in a }),
            "JobV1Action": strictObject(v1),
            "JobDeleted": strictObject(["deleted": ["type": "boolean"], "_id": s]),
            "JobAction": strictObject(["message": s, "job_id": s, "status": s]),
            "JobCancelled": strictObject(["success": ["type": "boolean"], "message": s, "job_id": s, "status": s, "cancelled_videos": i]),
            "LocalizedVideos": ["type": "array", "items": video],
            "LocalizedMetadata": strictObject(["job_id": s, "language_code": s, "title": ns, "description": ns, "updated_at": s]),
            "Transcript": strictObject(["job_id": s, "source_language": s, "transcript_text": s, "confidence_score": ["type": "null"], "version": i, "created_at": s]),
            "Translations": ["type": "array", "items": strictObject(text)],
            "Translation": strictObject(text),
            "TextEdit": strictObject(["job_id": s, "language_code": s, "version": i, "changed_cues": ["type": "array", "items": i], "message": s]),
            "Decided": strictObject(["message": s, "job_id": s, "languages": arr, "status": s, "approved_count": i, "rejected_count": i],
                                    optional: ["approved_count", "rejected_count"]),
            "Draft": strictObject(["message": s, "job_id": s, "language_code": s, "version": i]),
            "CaptionUploaded": strictObject(["caption_id": s, "job_id": s, "language_code": s, "version": i, "cues": i, "success": ["type": "boolean"]]),
            "JobV1Decided": strictObject(v1.merging(["languages": arr]) { a, _ in a }),
            "JobV1Feedback": strictObject(["_id": s, "languages": arr, "message": s]),
        ]
    }
}

extension SpecMapping {
    /// One job with `fields`, then `extra` members (OlleeyKit JSON).
    static func job(_ job: Job, fields: [SpecField<Job>], extra: [(String, JSON)]) -> [UInt8] {
        var w = JSONWriter(capacity: 1024)
        w.object { o in
            for f in fields { o.key(f.name); f.write(&o, job) }
            for (k, v) in extra { o.key(k); o.raw(Array(v.encoded().utf8)) }
        }
        return w.bytes
    }
}
