import Foundation
import OlleeyHTTP
import OlleeyKit

/// Files: signed links (OlleeyKit's `SignedLink` through `JobFiles`) and the route that serves
/// them. `POST /api/v1/files/upload-url` (CLIENT, ADMIN) gives a `PUT` link for one file;
/// `GET /api/v1/files/{job_id}/{path...}` a download link to a file of the job's output folder;
/// `GET /api/v1/jobs/{id}/downloads` links to every deliverable (24 h). `GET|HEAD|PUT
/// /files/signed/{token}/{name}` needs no Authorization: the link is the credential (a tampered,
/// expired or edited link is 403), the file is served with `Range` from the workspace.
enum FileRoutes {
    /// Largest upload through a signed link (the server's own upload limit may be lower).
    static let maxUploadBytes = 2 << 30

    static func register(_ router: HTTPRouter, env: ServerEnvironment, limits: RateLimits) {
        let api = router.group("/api/v1", middleware: env.authenticated(limits), tags: ["files"])

        // an upload link is an upload: it counts against the per-user upload limit too
        let uploads = router.group("/api/v1", middleware: env.authenticated(limits) + [limits.uploadMiddleware()], tags: ["files"])
        uploads.on("POST", "/files/upload-url", summary: "a signed PUT URL for one file (CLIENT, ADMIN): into a job's uploads, or an upload area",
               requiresAuth: true, requestSchema: "UploadURLRequest", responseSchema: "UploadURL") { req, ctx in
            let p = try ctx.principal()
            let b = try req.jsonObject()
            guard let name = try b.optional("file_name") ?? b.optional("filename") else {
                throw HTTPError(422, "field 'file_name' is required (a string)", code: "invalid")
            }
            let job = try b.optional("job_id")
            try p.require(.filesUpload)
            let (link, url) = try env.read { db -> (SignedLink, String) in
                let link = try JobFiles(db: db, workspace: env.workspace, actor: p.actor).uploadLink(job: job, fileName: name)
                return (link, try env.signedURL(link, req, db: db))
            }
            return jsonResponse(.object([("upload_url", .string(url)), ("method", .string("PUT")), ("path", .string(link.path)),
                                         ("job_id", link.job.isEmpty ? .null : .string(link.job)), ("expires_at", .string(iso(link.expires)))]), status: 201)
        }

        api.on("GET", "/files/{job_id}/{path...}", summary: "a signed download URL for a file of the job's output folder (ALL)",
               requiresAuth: true, responseSchema: "DownloadURL") { req, ctx in
            let p = try ctx.principal()
            try p.require(.jobsRead)
            let jobRef = try ctx.parameter("job_id"), path = try ctx.parameter("path")
            let (link, url) = try env.read { db -> (SignedLink, String) in
                let link = try JobFiles(db: db, workspace: env.workspace, actor: p.actor).downloadLink(jobRef, path: path)
                return (link, try env.signedURL(link, req, db: db))
            }
            return jsonResponse(.object([("url", .string(url)), ("job_id", .string(link.job)), ("path", .string(path)),
                                         ("expires_at", .string(iso(link.expires)))]))
        }

        api.on("GET", "/jobs/{id}/downloads", summary: "signed URLs (24 h) of every deliverable that exists: master, each language's mp4, vtt, srt, audio",
               requiresAuth: true, responseSchema: "Downloads") { req, ctx in
            let p = try ctx.principal()
            try p.require(.jobsRead)
            let id = try ctx.parameter("id")
            return jsonResponse(try env.read { db -> JSON in
                let r = try JobFiles(db: db, workspace: env.workspace, actor: p.actor).deliverables(id)
                var items: [JSON] = []
                var master: JSON = .null
                for d in r.items {
                    let url = try env.signedURL(d.link, req, db: db)
                    if d.kind == "master" { master = .string(url) }
                    items.append(.object([("language", .string(d.language)), ("kind", .string(d.kind)), ("file_name", .string(d.fileName)),
                                          ("content_type", .string(contentType(d.fileName))), ("url", .string(url))]))
                }
                return .object([("job_id", .string(r.job.id)), ("expires_at", .string(iso(r.expires))), ("master", master), ("downloads", .array(items))])
            })
        }

        // no Authorization: the signed link is the credential
        let signed = router.group(SignedLink.routePrefix, middleware: [MapErrorsMiddleware()], tags: ["files"])
        signed.on("GET", "/{token}/{name}", summary: "a file through a signed download link (Range, HEAD; no Authorization)") { req, ctx in
            let (_, path) = try open(env, ctx, .download)
            var r = try HTTPResponse.file(path, request: req, contentType: contentType(path))
            r.headers.set("Cache-Control", "private, max-age=300")
            return r
        }
        signed.on("PUT", "/{token}/{name}", summary: "the bytes of a file through a signed upload link (once; no Authorization)",
                  responseSchema: "SignedUpload", body: .streamed(maxBytes: maxUploadBytes)) { req, ctx in
            let (link, path) = try open(env, ctx, .upload)
            guard let temp = req.bodyFile, req.bodyLength > 0 else { throw HTTPError(400, "the upload is empty", code: "invalid") }
            let size = try JobFiles.store(upload: path, from: temp)
            return jsonResponse(.object([("path", .string(link.path)), ("bytes", .int(size)), ("job_id", link.job.isEmpty ? .null : .string(link.job))]),
                                status: 201)
        }
    }

    /// The checked link of the request and its file: a bad, expired or edited link is 403.
    static func open(_ env: ServerEnvironment, _ ctx: HTTPContext, _ purpose: SignedLink.Purpose) throws -> (SignedLink, String) {
        let token = try ctx.parameter("token"), name = try ctx.parameter("name")
        let key = try env.read { db in try SigningKeys(db).urlKey() }
        do {
            return try JobFiles.verify(token: token, name: name, purpose: purpose, workspace: env.workspace, key: key)
        } catch let e as OlleeyError where e.code == .unauthenticated {
            throw HTTPError(403, e.message, code: "forbidden")
        }
    }

    static func iso(_ seconds: Int64) -> String { Clock.iso8601(millis: seconds * 1000) }

    /// The Content-Type of a file by its extension.
    static func contentType(_ path: String) -> String {
        switch (path as NSString).pathExtension.lowercased() {
        case "mp4", "m4v": return "video/mp4"
        case "mov": return "video/quicktime"
        case "webm": return "video/webm"
        case "mkv": return "video/x-matroska"
        case "vtt": return "text/vtt; charset=utf-8"
        case "srt": return "application/x-subrip; charset=utf-8"
        case "ttml", "xml": return "application/ttml+xml"
        case "m4a", "aac": return "audio/mp4"
        case "mp3": return "audio/mpeg"
        case "wav": return "audio/wav"
        case "flac": return "audio/flac"
        case "ogg", "opus": return "audio/ogg"
        case "json": return "application/json"
        case "txt": return "text/plain; charset=utf-8"
        default: return "application/octet-stream"
        }
    }

    static var schemas: [String: Any] {
        let s: [String: Any] = ["type": "string"], ns: [String: Any] = ["type": ["string", "null"]]
        return [
            "UploadURLRequest": ["type": "object", "required": ["file_name"], "properties": ["file_name": s, "job_id": s]],
            "UploadURL": strictObject(["upload_url": s, "method": s, "path": s, "job_id": ns, "expires_at": s]),
            "SignedUpload": strictObject(["path": s, "bytes": ["type": "integer"], "job_id": ns]),
            "DownloadURL": strictObject(["url": s, "job_id": s, "path": s, "expires_at": s]),
            "Downloads": strictObject(["job_id": s, "expires_at": s, "master": ns,
                                       "downloads": ["type": "array", "items": strictObject(["language": s, "kind": s, "file_name": s, "content_type": s, "url": s])]]),
        ]
    }
}
