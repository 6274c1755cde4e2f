import Foundation
import OlleeyHTTP
import OlleeyKit

/// The second spec's VTT routes: a language's current track (`GET|PATCH /api/v1/jobs/{id}/vtt/
/// {lang}`), the bulk shift (`POST /api/v1/vtt/adjust-timing`) and the version history
/// (`/api/v1/jobs/{id}/vtt-versions/{lang}...`): thin mappings onto OlleeyKit's TrackService
/// (every change is a new version; the current one stays in the history). Roles from
/// OlleeyKit's Permission table: a LINGUIST only for a language assigned to it. Each takes
/// `?kind=descriptions` for the language's audio-description script instead of its subtitles.
enum VTTRoutes {
    static func register(_ router: HTTPRouter, env: ServerEnvironment, limits: RateLimits) {
        let g = router.group("/api/v1", middleware: env.authenticated(limits), tags: ["vtt"])

        g.on("GET", "/jobs/{id}/vtt/{lang}", summary: "the language's current VTT (text/vtt; REVIEWER, ADMIN, its assigned LINGUIST)",
             requiresAuth: true) { req, ctx in
            let p = try ctx.principal()
            let kind = try trackKind(req)
            let v = try env.read { db -> TrackVersion in
                let (job, lang) = try track(db, env, ctx, p, .vttRead)
                return try TrackService(db).current(job: job, language: lang, kind: kind)
            }
            var r = HTTPResponse.text(v.content, contentType: "text/vtt; charset=utf-8")
            r.headers.set("X-VTT-Version", String(v.version))
            r.headers.set("ETag", "\"\(v.sha256)\"")
            return r
        }

        g.on("PATCH", "/jobs/{id}/vtt/{lang}", summary: "replace the language's VTT (a new version; REVIEWER, ADMIN, its assigned LINGUIST)",
             requiresAuth: true, requestSchema: "VTTPatchRequest", responseSchema: "VTTSaved") { req, ctx in
            let p = try ctx.principal()
            let edit = try patchBody(req)
            let kind = try trackKind(req)
            let out = try env.write { db -> (Job, String, Int, Int) in
                let (job, lang) = try track(db, env, ctx, p, .vttWrite)
                let r = try TrackService(db).saveWhole(job: job, language: lang, content: edit.content, author: p.actor.author,
                                                       message: edit.message, reopen: edit.reopen, kind: kind)
                return (job, lang, r.version, r.cues)
            }
            return .json(saved(out.0, out.1, version: out.2, extra: [("cues", .int(Int64(out.3)))]))
        }

        g.on("POST", "/vtt/adjust-timing", summary: "shift every cue of a job's language (REVIEWER, ADMIN)",
             requiresAuth: true, requestSchema: "AdjustTimingRequest", responseSchema: "VTTShifted") { req, ctx in
            let p = try ctx.principal()
            let b = try req.jsonObject()
            let jobRef = try b.required("job_id")
            guard let rawLang = try b.optional("language") ?? b.optional("language_code") ?? b.optional("lang") else {
                throw HTTPError(422, "field 'language' is required (a string)", code: "invalid")
            }
            let offset = try offsetMs(b)
            let reopen = try bool(b, "reopen")
            let (job, lang, o) = try env.write { db -> (Job, String, TrackService.ShiftOutcome) in
                let job = try JobQueries(db: db, workspace: env.workspace, actor: p.actor).job(jobRef)
                let lang = try Language.validate(rawLang).code
                try p.require(.vttTiming)
                return (job, lang, try TrackService(db).shift(job: job, language: lang, offsetMs: offset, author: p.actor.author, reopen: reopen))
            }
            return .json(saved(job, lang, version: o.version, extra: [
                ("offset_ms", .int(offset)), ("shifted", .int(Int64(o.shifted))), ("clamped", .int(Int64(o.clamped))),
                ("dropped", .array(o.dropped.map { .string($0) })),
            ]))
        }

        g.on("GET", "/jobs/{id}/vtt-versions/{lang}", summary: "the language's version history, oldest first (REVIEWER, ADMIN, its assigned LINGUIST)",
             requiresAuth: true, responseSchema: "VTTVersionList") { req, ctx in
            let p = try ctx.principal()
            let kind = try trackKind(req)
            let bytes = try env.read { db -> [UInt8] in
                let (job, lang) = try track(db, env, ctx, p, .vttRead)
                let svc = TrackService(db)
                let history = try svc.history(job: job, language: lang, kind: kind)
                let current = try svc.current(job: job, language: lang, kind: kind).version
                var w = JSONWriter(capacity: 256 * max(1, history.count))
                w.object { o in
                    o.field("job_id", job.id)
                    o.field("language", lang)
                    o.field("current_version", current)
                    o.key("versions")
                    o.array { a in for e in history { SpecMapping.write(SpecMapping.vttVersion, e, to: &a) } }
                }
                return w.bytes
            }
            return .json(bytes)
        }

        g.on("GET", "/jobs/{id}/vtt-versions/{lang}/diff", summary: "the VTT engine's diff of two versions (?from&to; default: the previous against the current)",
             requiresAuth: true, responseSchema: "VTTDiff") { req, ctx in
            let p = try ctx.principal()
            let from = try versionNumber(req.query("from"), name: "from")
            let to = try versionNumber(req.query("to"), name: "to")
            let kind = try trackKind(req)
            let bytes = try env.read { db -> [UInt8] in
                let (job, lang) = try track(db, env, ctx, p, .vttRead)
                let d = try TrackService(db).diff(job: job, language: lang, from: from, to: to, kind: kind)
                var w = JSONWriter(capacity: 256 + d.json.utf8.count)
                w.object { o in
                    o.field("job_id", job.id); o.field("language", lang); o.field("from", d.from); o.field("to", d.to)
                    o.key("diff"); o.raw(Array(d.json.utf8))
                }
                return w.bytes
            }
            return .json(bytes)
        }

        g.on("GET", "/jobs/{id}/vtt-versions/{lang}/{version_id}", summary: "one version with its content",
             requiresAuth: true, responseSchema: "VTTVersion") { req, ctx in
            let p = try ctx.principal()
            let n = try versionId(ctx)
            let kind = try trackKind(req)
            let bytes = try env.read { db -> [UInt8] in
                let (job, lang) = try track(db, env, ctx, p, .vttRead)
                let v = try TrackService(db).version(job: job, language: lang, n, kind: kind)
                var w = JSONWriter(capacity: 256 + v.content.utf8.count)
                w.object { o in
                    o.field("job_id", job.id); o.field("language", lang)
                    o.field("version_id", String(v.version)); o.field("version", v.version)
                    o.field("author", v.author); o.field("message", v.message); o.field("sha256", v.sha256); o.field("created_at", v.createdAt)
                    o.field("content", v.content)
                }
                return w.bytes
            }
            return .json(bytes)
        }

        g.on("POST", "/jobs/{id}/vtt-versions/{lang}/{version_id}/restore", summary: "restore a version as a new version (REVIEWER, ADMIN, its assigned LINGUIST)",
             requiresAuth: true, responseSchema: "VTTSaved") { req, ctx in
            let p = try ctx.principal()
            let n = try versionId(ctx)
            let reopen = try bool(try req.jsonObject(), "reopen") || req.query("reopen") == "true"
            let kind = try trackKind(req)
            let (job, lang, v) = try env.write { db -> (Job, String, Int) in
                let (job, lang) = try track(db, env, ctx, p, .vttWrite)
                return (job, lang, try TrackService(db).restore(job: job, language: lang, version: n, author: p.actor.author, reopen: reopen, kind: kind))
            }
            return .json(saved(job, lang, version: v, extra: [("restored_from", .int(Int64(n)))]), status: 201)
        }
    }

    // MARK: mapping

    /// `?kind=`: `subtitles` (or absent) the language's transcript or translation, `descriptions`
    /// its audio-description script; anything else is 400.
    static func trackKind(_ req: HTTPRequest) throws -> TrackKind? {
        switch req.query("kind") {
        case nil, "", "subtitles": return nil
        case "descriptions": return .descriptions
        case let other?: throw HTTPError(400, "unknown track kind '\(other)': subtitles or descriptions", code: "usage")
        }
    }

    /// The job (404 when not the caller's organisation's), the language code (400 when not one),
    /// the caller's right (403; a LINGUIST where assigned), and the job having that language (404).
    static func track(_ db: Database, _ env: ServerEnvironment, _ ctx: HTTPContext, _ p: Principal, _ permission: Permission) throws -> (Job, String) {
        let job = try JobQueries(db: db, workspace: env.workspace, actor: p.actor).job(try ctx.parameter("id"))
        let lang = try Language.validate(try ctx.parameter("lang")).code
        let assigned = p.role == .linguist ? try QCStore(db).assignee(job: job.id, language: lang) == p.user.id : false
        try p.require(permission, assigned: assigned)
        _ = try TrackService(db).kind(job: job, language: lang)
        return (job, lang)
    }

    struct Edit { var content: String; var message: String?; var reopen: Bool }

    /// A PATCH body: the VTT itself (`text/vtt` or `text/plain`, UTF-8), or JSON `{"content",
    /// "message"?, "reopen"?}`; `?reopen=true` edits an approved (locked) language.
    static func patchBody(_ req: HTTPRequest) throws -> Edit {
        let ct = (req.headers["Content-Type"] ?? "").lowercased()
        let queryReopen = req.query("reopen") == "true"
        if ct.hasPrefix("text/vtt") || ct.hasPrefix("text/plain") {
            guard let s = String(validating: req.body, as: UTF8.self) else {
                throw HTTPError(400, "the VTT is not valid UTF-8", code: "invalid")
            }
            return Edit(content: s, message: req.query("message"), reopen: queryReopen)
        }
        if !ct.isEmpty, !HTTPRequest.isJSONType(ct) {
            throw HTTPError(415, "send the VTT as text/vtt, or JSON {\"content\": \"WEBVTT...\"}", code: "unsupported_media_type")
        }
        let b = try req.jsonObject()
        guard let content = try b.optional("content") ?? b.optional("vtt_content") ?? b.optional("vtt") else {
            throw HTTPError(422, "field 'content' is required (the whole VTT, a string)", code: "invalid")
        }
        return Edit(content: content, message: try b.optional("message"), reopen: try bool(b, "reopen") || queryReopen)
    }

    /// `offset_ms` (whole milliseconds) or `offset_seconds` (a number): exactly one.
    static func offsetMs(_ b: JSON) throws(HTTPError) -> Int64 {
        let ms = b["offset_ms"].flatMap { $0 == .null ? nil : $0 }
        let secs = b["offset_seconds"].flatMap { $0 == .null ? nil : $0 }
        switch (ms, secs) {
        case let (m?, nil):
            guard let n = m.intValue else { throw HTTPError(422, "field 'offset_ms' must be a whole number of milliseconds", code: "invalid") }
            return n
        case let (nil, s?):
            guard let d = s.doubleValue, d.isFinite, abs(d) < 1e7 else { throw HTTPError(422, "field 'offset_seconds' must be a number", code: "invalid") }
            return Int64((d * 1000).rounded())
        case (nil, nil): throw HTTPError(422, "field 'offset_ms' is required (milliseconds; or 'offset_seconds')", code: "invalid")
        default: throw HTTPError(422, "give 'offset_ms' or 'offset_seconds', not both", code: "invalid")
        }
    }

    static func bool(_ b: JSON, _ name: String) throws(HTTPError) -> Bool {
        guard let v = b[name], v != .null else { return false }
        guard let x = v.boolValue else { throw HTTPError(422, "field '\(name)' must be true or false", code: "invalid") }
        return x
    }

    static func versionId(_ ctx: HTTPContext) throws -> Int {
        let raw = try ctx.parameter("version_id")
        guard let n = Int(raw), n >= 1 else { throw OlleeyError.notFound("no version '\(raw)': version ids are 1, 2, 3...") }
        return n
    }

    static func versionNumber(_ raw: String?, name: String) throws(HTTPError) -> Int? {
        guard let raw else { return nil }
        guard let n = Int(raw), n >= 1 else { throw HTTPError(400, "\(name) must be a version id (1, 2, 3...)", code: "usage") }
        return n
    }

    static func saved(_ job: Job, _ lang: String, version: Int, extra: [(String, JSON)]) -> [UInt8] {
        Array(JSON.object([("job_id", .string(job.id)), ("language", .string(lang)), ("version", .int(Int64(version))),
                           ("version_id", .string(String(version)))] + extra).encoded().utf8)
    }

    static var schemas: [String: Any] {
        let s: [String: Any] = ["type": "string"], i: [String: Any] = ["type": "integer"], b: [String: Any] = ["type": "boolean"]
        let ns: [String: Any] = ["type": ["string", "null"]]
        let savedBase: [String: Any] = ["job_id": s, "language": s, "version": i, "version_id": s]
        let version: [String: Any] = strictObject(["version_id": s, "version": i, "author": s, "message": s, "sha256": s, "created_at": s,
                                                   "cue_authors": ["type": "array", "items": strictObject(["author": s, "cues": i])],
                                                   "stale_cues": i, "dropped_cues": i])
        let ni: [String: Any] = ["type": ["integer", "null"]]
        // one change of `olleey vtt diff --json` (WebVTT's CueDiff.json)
        let change = strictObject(["kind": s, "a_id": ns, "b_id": ns, "a_index": ni, "b_index": ni, "a_start_ms": ni, "a_end_ms": ni,
                                   "b_start_ms": ni, "b_end_ms": ni, "start_delta_ms": ni, "end_delta_ms": ni, "a_text": ns, "b_text": ns,
                                   "a_settings": ns, "b_settings": ns,
                                   "words": ["type": "array", "items": strictObject(["op": s, "text": s])]])
        return [
            "VTTPatchRequest": ["type": "object", "required": ["content"],
                                "properties": ["content": s, "message": ns, "reopen": b]],
            "AdjustTimingRequest": ["type": "object", "required": ["job_id", "language"],
                                    "properties": ["job_id": s, "language": s, "offset_ms": i, "offset_seconds": ["type": "number"], "reopen": b]],
            "VTTSaved": strictObject(savedBase.merging(["cues": i, "restored_from": i]) { a, _ in a }, optional: ["cues", "restored_from"]),
            "VTTShifted": strictObject(savedBase.merging(["offset_ms": i, "shifted": i, "clamped": i, "dropped": ["type": "array", "items": s]]) { a, _ in a }),
            "VTTVersionList": strictObject(["job_id": s, "language": s, "current_version": i, "versions": ["type": "array", "items": version]]),
            "VTTVersion": strictObject(["job_id": s, "language": s, "version_id": s, "version": i, "author": s, "message": s, "sha256": s,
                                        "created_at": s, "content": s]),
            "VTTDiff": strictObject(["job_id": s, "language": s, "from": i, "to": i,
                                     "diff": strictObject(["identical": b,
                                                           "summary": strictObject(["added": i, "removed": i, "text_changed": i, "timing_changed": i,
                                                                                    "settings_changed": i]),
                                                           "changes": ["type": "array", "items": change]])]),
        ]
    }
}
