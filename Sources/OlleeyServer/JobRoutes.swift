import OlleeyHTTP
import OlleeyKit

/// Jobs: the list (`GET /jobs`, `GET /api/v1/jobs`), authenticated and scoped to the caller's
/// organisation by `JobQueries`. Query: `page_size` or `limit` (1-500, default 50), `page` (from
/// 1), `status` (one or several, comma-separated), `project_id` and `channel_id` (by id or
/// name), `language_code`, `created_after`/`created_before` (ISO 8601), `sort_by`
/// (`JobListQuery.sortable`), `sort_order` (asc, desc). An empty value is no filter. Both routes call the same service; only the field names differ (SpecMapping).
enum JobRoutes {
    static func register(_ router: HTTPRouter, env: ServerEnvironment, limits: RateLimits) {
        // as every authenticated route: the caller, then the standard per-user rate limit
        let mw: [any HTTPMiddleware] = [AuthMiddleware(env: env), limits.standardMiddleware(), MapErrorsMiddleware()]
        router.group("", middleware: mw, tags: ["jobs"])
            .on("GET", "/jobs", summary: "list the organisation's jobs (root spec)", requiresAuth: true, responseSchema: "JobList") { req, ctx in
                .json(try list(req, ctx, env: env, fields: SpecMapping.rootJob))
            }
        router.group("/api/v1", middleware: mw, tags: ["jobs"])
            .on("GET", "/jobs", summary: "list the organisation's jobs", requiresAuth: true, responseSchema: "JobListV1") { req, ctx in
                .json(try list(req, ctx, env: env, fields: SpecMapping.v1Job))
            }
        registerDetail(router, env: env, limits: limits)
    }

    static func list(_ req: HTTPRequest, _ ctx: HTTPContext, env: ServerEnvironment, fields: [SpecField<Job>]) throws -> [UInt8] {
        let principal = try ctx.principal()
        let q = try query(req)
        // each job written as its row is read: no page of summaries in between
        return try env.read { db in
            let jobs = JobQueries(db: db, workspace: env.workspace, actor: principal.actor)
            return try SpecMapping.jobList(fields: fields, capacity: 256 * q.pageSize) { visit in try jobs.eachOfPage(q, visit) }
        }
    }

    /// The list's query string as a `JobListQuery` (validated there: a bad status is 400).
    static func query(_ req: HTTPRequest) throws -> JobListQuery {
        var q = JobListQuery()
        func value(_ name: String) -> String? { req.queryValue(name).flatMap { $0.isEmpty ? nil : $0 } }
        if let l = value("page_size") ?? value("limit") {
            guard let n = Int(l) else { throw OlleeyError.usage("page_size (limit) must be a whole number", next: [.input("page_size", example: "50")]) }
            q.pageSize = n
        }
        if let p = value("page") {
            guard let n = Int(p) else { throw OlleeyError.usage("page must be a whole number", next: [.input("page", example: "1")]) }
            q.page = n
        }
        if let s = value("status") { q.statuses = try StatusWords.filter(s.split(separator: ",").map { String($0) }.filter { !$0.isEmpty }) }
        q.project = value("project_id")
        q.channel = value("channel_id")
        q.language = value("language_code")
        q.createdAfter = value("created_after")
        q.createdBefore = value("created_before")
        if let s = value("sort_by") { q.sortBy = s }
        if let o = value("sort_order") { q.sortOrder = o }
        return q
    }

    static var schemas: [String: Any] {
        func list(_ props: [String: Any]) -> [String: Any] {
            strictObject(["jobs": ["type": "array", "items": strictObject(props)], "total": ["type": "integer"]])
        }
        let s: [String: Any] = ["type": "string"]
        let ns: [String: Any] = ["type": ["string", "null"]]
        let arr: [String: Any] = ["type": "array", "items": s]
        return [
            "JobList": list(["job_id": s, "source_video_id": ns, "status": s, "progress": ["type": "integer", "minimum": 0, "maximum": 100],
                             "target_languages": arr, "created_at": s, "updated_at": s]),
            "JobListV1": list(["_id": s, "status": s, "org_id": s, "source_language": s, "requested_outputs": arr,
                               "created_at": s, "updated_at": s, "error": ns]),
        ]
    }
}
