import Foundation
import OlleeyHTTP
import OlleeyKit

/// Source videos (root spec, `/videos`): upload (multipart streamed to disk, probed by ffprobe
/// before any row exists), list and get, onto OlleeyKit's `SourceVideoService`.
enum VideoRoutes {
    /// The largest upload (the server's own `maxUploadBytes` may be lower).
    static let maxUploadBytes = 8 << 30

    static func register(_ router: HTTPRouter, env: ServerEnvironment, limits: RateLimits) {
        let videos = router.group("/videos", middleware: env.authenticated(limits), tags: ["videos"])
        videos.on("GET", "/list", summary: "the organisation's uploaded videos, newest first", requiresAuth: true, responseSchema: "VideoList") { req, ctx in
            let p = try ctx.principal()
            let page = try env.read { db in
                try SourceVideoService(db: db, workspace: env.workspace, actor: p.actor)
                    .list(page: try req.queryInt("page") ?? 1, pageSize: try req.queryInt("page_size") ?? req.queryInt("limit") ?? 50,
                          channel: req.query("channel_id"), project: req.query("project_id"), videoType: req.query("video_type"))
            }
            return .json(SpecMapping.page("videos", page.items, fields: SpecMapping.rootVideo, total: page.total, page: page.page, pageSize: page.pageSize))
        }
        videos.on("GET", "/{id}", summary: "one uploaded video and its localizations (its newest job's languages)", requiresAuth: true, responseSchema: "Video") { req, ctx in
            let p = try ctx.principal()
            let id = try ctx.parameter("id")
            return jsonResponse(try env.read { db in
                let svc = SourceVideoService(db: db, workspace: env.workspace, actor: p.actor)
                let v = try svc.require(id)
                let channel = try v.channelId.flatMap { try ChannelService(db, actor: p.actor).get($0) }
                var locs: [(String, JSON)] = []
                if let job = try svc.latestJob(v) {
                    let meta = try LocalizedMetadataStore(db).all(job: job.id)
                    for l in try JobStore(db, org: p.org).languages(job.id) {
                        let url = try l.outputs["mp4"]?.stringValue.map { try JobRoutes.download(job, $0, req, env: env, db: db) }
                        locs.append((l.language, .object([("status", .string(l.status.rawValue)), ("video_url", JSON(url)),
                                                          ("title", JSON(meta[l.language]?.title)), ("job_id", .string(job.id))])))
                    }
                }
                return .object([
                    ("video_id", .string(v.id)), ("title", .string(v.title)), ("description", JSON(v.description)),
                    ("channel_id", JSON(v.channelId)), ("channel_name", JSON(channel?.name)), ("project_id", JSON(v.projectId)),
                    ("thumbnail_url", .null), ("duration", .int(Int64(v.durationMs / 1000))), ("view_count", .null),
                    ("created_at", .string(v.createdAt)), ("localizations", .object(locs)),
                ])
            })
        }
        let uploads = router.group("/videos", middleware: [AuthMiddleware(env: env), limits.uploadMiddleware(), MapErrorsMiddleware()], tags: ["videos"])
        uploads.on("POST", "/upload", summary: "upload a video (multipart: video_file, title, description, channel_id, project_id); 201 with its video_id",
                   requiresAuth: true, responseSchema: "VideoUploaded", body: .streamed(maxBytes: maxUploadBytes)) { req, ctx in
            let p = try ctx.principal()
            try p.require(.jobsCreate)
            let parts = try multipart(req, env: env)
            defer { for part in parts { if let path = part.path { unlink(path) } } }
            guard let file = parts.first(where: { $0.name == "video_file" }), let path = file.path else {
                throw HTTPError(422, "field 'video_file' is required (a file part)", code: "invalid")
            }
            func field(_ name: String) throws(HTTPError) -> String? {
                guard let part = parts.first(where: { $0.name == name }) else { return nil }
                guard part.path == nil, let t = part.text else { throw HTTPError(422, "field '\(name)' must be text, not a file", code: "invalid") }
                return t.isEmpty ? nil : t
            }
            let name = file.filename.flatMap { $0.isEmpty ? nil : ($0 as NSString).lastPathComponent } ?? "video.mp4"
            let upload = SourceVideoUpload(file: path, originalName: name, title: try field("title") ?? (name as NSString).deletingPathExtension,
                                           description: try field("description"), channel: try field("channel_id"), project: try field("project_id"))
            let (v, created) = try env.write { db in try SourceVideoService(db: db, workspace: env.workspace, actor: p.actor).upload(upload) }
            return jsonResponse(.object([("video_id", .string(v.id)), ("success", .bool(true)),
                                         ("message", .string(created ? "Video uploaded successfully" : "this video was uploaded before: the same video"))]),
                                status: created ? 201 : 200)
        }
    }

    /// The parts of a multipart/form-data body streamed to disk (files written into the
    /// workspace's media directory, so that keeping one is a rename). 415 for another body type.
    static func multipart(_ req: HTTPRequest, env: ServerEnvironment) throws -> [MultipartPart] {
        guard let ct = req.headers["Content-Type"], let boundary = MultipartReader.boundary(ct) else {
            throw HTTPError(415, "the body must be multipart/form-data with a boundary", code: "unsupported_media_type")
        }
        guard let body = req.bodyFile else { throw HTTPError(422, "the body is empty: field 'video_file' is required", code: "invalid") }
        return try MultipartReader.read(file: body, boundary: boundary, directory: env.workspace.mediaDir)
    }

    static var schemas: [String: Any] {
        let s: [String: Any] = ["type": "string"], ns: [String: Any] = ["type": ["string", "null"]]
        let ni: [String: Any] = ["type": ["integer", "null"]], i: [String: Any] = ["type": "integer"]
        let item = strictObject(["video_id": s, "title": s, "description": ns, "thumbnail_url": ns, "duration": i, "view_count": ni,
                                 "status": s, "channel_id": ns, "project_id": ns, "published_at": ns, "created_at": s])
        let loc = strictObject(["status": s, "video_url": ns, "title": ns, "job_id": s])
        return [
            "VideoList": pageSchema("videos", item: item),
            "Video": strictObject(["video_id": s, "title": s, "description": ns, "channel_id": ns, "channel_name": ns, "project_id": ns,
                                   "thumbnail_url": ns, "duration": i, "view_count": ni, "created_at": s,
                                   "localizations": ["type": "object", "additionalProperties": loc]]),
            "VideoUploaded": strictObject(["video_id": s, "success": ["type": "boolean"], "message": s]),
        ]
    }
}
