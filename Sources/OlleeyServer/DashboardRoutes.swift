import Foundation
import OlleeyHTTP
import OlleeyKit

/// The dashboard (`/dashboard/...`), job statistics (`/jobs/statistics/...`) and projects
/// (`/projects`): thin mappings onto OlleeyKit's JobStatistics, JobQueries, ConnectionService,
/// ChannelService and ProjectService, scoped to the caller's organisation. Fields the product
/// has no data for (views, credits, growth) are `null` (see the README).
enum DashboardRoutes {
    static func register(_ router: HTTPRouter, env: ServerEnvironment, limits: RateLimits) {
        let dash = router.group("/dashboard", middleware: env.authenticated(limits), tags: ["dashboard"])
        dash.on("GET", "/stats", summary: "counts of the organisation's videos, jobs and languages (?project_id)", requiresAuth: true, responseSchema: "DashboardStats") { req, ctx in
            let p = try ctx.principal()
            try p.require(.jobsRead)
            return jsonResponse(try env.read { db in try statsJSON(JobStatistics(db, actor: p.actor, project: req.query("project_id"))) })
        }
        dash.on("GET", "/jobs", summary: "the newest jobs (?project_id, ?limit 1-100, default 10)", requiresAuth: true, responseSchema: "DashboardJobs") { req, ctx in
            let p = try ctx.principal()
            try p.require(.jobsRead)
            let jobs = try recentJobs(req, p, env: env, defaultLimit: 10)
            return jsonResponse(.object([("jobs", .array(jobs))]))
        }
        dash.on("GET", "/channels", summary: "the language channels with their job counts (?project_id)", requiresAuth: true, responseSchema: "DashboardChannels") { req, ctx in
            let p = try ctx.principal()
            try p.require(.jobsRead)
            return jsonResponse(.object([("channels", .array(try env.read { db in try dashboardChannels(db, p, project: req.query("project_id")) }))]))
        }
        dash.on("GET", "/projects", summary: "the organisation's projects", requiresAuth: true, responseSchema: "DashboardProjects") { _, ctx in
            let p = try ctx.principal()
            try p.require(.jobsRead)
            let list = try env.read { db in try ProjectService(db, actor: p.actor).list() }
            return jsonResponse(.object([("projects", .array(list.map { .object([("id", .string($0.id)), ("name", .string($0.name)), ("created_at", .string($0.createdAt))]) }))]))
        }
        dash.on("GET", "/connections", summary: "the YouTube connections (?project_id)", requiresAuth: true, responseSchema: "DashboardConnections") { req, ctx in
            let p = try ctx.principal()
            try p.require(.jobsRead)
            let list = try env.read { db in try ConnectionService(db, actor: p.actor).list(projectId: req.query("project_id")) }
            return jsonResponse(.object([("connections", .array(list.map(ChannelRoutes.connectionJSON)))]))
        }
        dash.on("GET", "/activity", summary: "what the organisation's jobs did, newest first (?project_id, ?limit 1-500, default 20)", requiresAuth: true, responseSchema: "DashboardActivity") { req, ctx in
            let p = try ctx.principal()
            try p.require(.jobsRead)
            let limit = try req.queryInt("limit") ?? 20
            let items = try env.read { db in try JobStatistics(db, actor: p.actor, project: req.query("project_id")).activity(limit: limit) }
            return jsonResponse(.object([("activities", .array(items.map(activityJSON)))]))
        }
        dash.on("GET", "", summary: "the whole dashboard in one answer (?project_id)", requiresAuth: true, responseSchema: "Dashboard") { req, ctx in
            let p = try ctx.principal()
            try p.require(.jobsRead)
            let project = req.query("project_id")
            let jobs = try recentJobs(req, p, env: env, defaultLimit: 10)
            return jsonResponse(try env.read { db -> JSON in
                let s = try JobStatistics(db, actor: p.actor, project: project)
                let weekAgo = Clock.iso8601(millis: Clock.nowMillis() - 7 * 86_400_000)
                let week = try s.weekly(since: weekAgo)
                return .object([
                    ("user_id", .string(p.user.id)), ("email", .string(p.user.email)),
                    ("youtube_connections", .array(try ConnectionService(db, actor: p.actor).list(projectId: project).map(ChannelRoutes.connectionJSON))),
                    ("recent_jobs", .array(jobs)),
                    ("language_channels", .array(try dashboardChannels(db, p, project: project))),
                    ("projects", .array(try ProjectService(db, actor: p.actor).list().map { ProjectRoutes.projectJSON($0, master: try ProjectRoutes.master(db, p, $0.id)) })),
                    ("weekly_stats", .object([("videos_completed", .int(Int64(week.completed))), ("languages_added", .int(Int64(week.languages))),
                                              ("growth_percentage", .null)])),
                    ("credits_summary", .object([("total_credits", .null), ("used_credits", .null), ("remaining_credits", .null)])),
                ])
            })
        }

        let stats = router.group("/jobs/statistics", middleware: env.authenticated(limits), tags: ["statistics"])
        stats.on("GET", "/metrics", summary: "totals, average processing time (seconds) and success rate", requiresAuth: true, responseSchema: "StatsMetrics") { req, ctx in
            let p = try ctx.principal()
            try p.require(.jobsRead)
            let m = try env.read { db in try JobStatistics(db, actor: p.actor, project: req.query("project_id")).metrics() }
            return jsonResponse(.object([("success", .bool(true)), ("metrics", .object([
                ("total_jobs", .int(Int64(m.total))), ("completed_jobs", .int(Int64(m.completed))), ("failed_jobs", .int(Int64(m.failed))),
                ("average_processing_time", m.averageProcessingSeconds.map { .double($0) } ?? .null),
                ("success_rate", m.successRate.map { .double($0) } ?? .null),
            ]))]))
        }
        stats.on("GET", "/recent", summary: "the newest jobs in full (?limit 1-100, default 10)", requiresAuth: true, responseSchema: "StatsRecent") { req, ctx in
            let p = try ctx.principal()
            try p.require(.jobsRead)
            return jsonResponse(.object([("success", .bool(true)), ("recent_jobs", .array(try recentJobs(req, p, env: env, defaultLimit: 10, detail: true)))]))
        }
        stats.on("GET", "/errors", summary: "failed jobs of the last ?days (1-3650, default 7)", requiresAuth: true, responseSchema: "StatsErrors") { req, ctx in
            let p = try ctx.principal()
            try p.require(.jobsRead)
            let days = try req.queryInt("days") ?? 7
            let list = try env.read { db in try JobStatistics(db, actor: p.actor, project: req.query("project_id")).errors(days: days) }
            return jsonResponse(.object([("success", .bool(true)), ("errors", .array(list.map { f in
                .object([("job_id", .string(f.jobId)), ("error_type", .string(f.type)), ("error_message", .string(f.message)), ("timestamp", .string(f.at))])
            }))]))
        }
        stats.on("GET", "/languages", summary: "per target language: jobs and completion rate", requiresAuth: true, responseSchema: "StatsLanguages") { req, ctx in
            let p = try ctx.principal()
            try p.require(.jobsRead)
            let list = try env.read { db in try JobStatistics(db, actor: p.actor, project: req.query("project_id")).languages() }
            return jsonResponse(.object([("success", .bool(true)), ("languages", .array(list.map { l in
                .object([("language_code", .string(l.code)), ("language_name", JSON(l.name)), ("job_count", .int(Int64(l.jobs))), ("completion_rate", .double(l.completionRate))])
            }))]))
        }
        stats.on("GET", "/insights", summary: "observations computed from the metrics, failures and languages", requiresAuth: true, responseSchema: "StatsInsights") { req, ctx in
            let p = try ctx.principal()
            try p.require(.jobsRead)
            let list = try env.read { db in try JobStatistics(db, actor: p.actor, project: req.query("project_id")).insights() }
            return jsonResponse(.object([("success", .bool(true)), ("insights", .array(list.map { i in
                .object([("type", .string(i.type)), ("message", .string(i.message)), ("impact", .string(i.impact))])
            }))]))
        }
        ProjectRoutes.register(router, env: env, limits: limits)
    }

    static func statsJSON(_ s: JobStatistics) throws -> JSON {
        let c = try s.counts()
        return .object([("total_videos", .int(Int64(c.videos))), ("total_jobs", .int(Int64(c.jobs))), ("active_jobs", .int(Int64(c.active))),
                        ("completed_jobs", .int(Int64(c.completed))), ("total_views", .null), ("total_languages", .int(Int64(c.languages)))])
    }

    /// The newest jobs as the root spec writes them (the list's fields, or the detail's).
    static func recentJobs(_ req: HTTPRequest, _ p: Principal, env: ServerEnvironment, defaultLimit: Int, detail: Bool = false) throws -> [JSON] {
        var q = JobListQuery()
        q.lean = true
        q.pageSize = try req.queryInt("limit") ?? defaultLimit
        guard (1...100).contains(q.pageSize) else { throw HTTPError(400, "limit must be 1-100", code: "usage") }
        q.project = req.query("project_id")
        let page = try env.read { db in try JobQueries(db: db, workspace: env.workspace, actor: p.actor).page(q) }
        return page.items.map { SpecMapping.jobJSON($0.job, fields: detail ? SpecMapping.rootJobDetail : SpecMapping.rootJob) }
    }

    static func dashboardChannels(_ db: Database, _ p: Principal, project: String?) throws -> [JSON] {
        let svc = ChannelService(db, actor: p.actor)
        let projectId = try project.map { try ProjectService(db, actor: p.actor).resolve($0).id }
        return try svc.list(projectId: projectId).filter { $0.kind == .language }.map { c in
            .object([("channel_id", .string(c.id)), ("channel_name", .string(c.name)), ("language_code", JSON(c.language)),
                     ("video_count", .int(Int64(try svc.jobIds(c).count))), ("status", .string(c.status.rawValue))])
        }
    }

    static func activityJSON(_ a: JobStatistics.Activity) -> JSON {
        .object([("id", .string(String(a.id))), ("type", .string(a.type)), ("message", .string(a.message)), ("timestamp", .string(a.at)),
                 ("project_id", JSON(a.projectId)),
                 ("metadata", .object([("job_id", JSON(a.jobId)), ("language", JSON(a.language)), ("data", a.data)]))])
    }

    static var schemas: [String: Any] {
        let s: [String: Any] = ["type": "string"], ns: [String: Any] = ["type": ["string", "null"]]
        let i: [String: Any] = ["type": "integer"]
        let nn: [String: Any] = ["type": ["number", "null"]], b: [String: Any] = ["type": "boolean"]
        func arr(_ item: [String: Any]) -> [String: Any] { ["type": "array", "items": item] }
        let rootJob = strictObject(["job_id": s, "source_video_id": ns, "status": s, "progress": i, "target_languages": arr(s), "created_at": s, "updated_at": s])
        let rootJobDetail = strictObject(["job_id": s, "source_video_id": ns, "status": s, "progress": i, "target_languages": arr(s), "created_at": s, "updated_at": s,
                                          "source_channel_id": ns, "project_id": ns, "title": s, "source_language": s, "completed_at": ns, "error": ns])
        let channel = strictObject(["channel_id": s, "channel_name": s, "language_code": ns, "video_count": i, "status": s])
        let activity = strictObject(["id": s, "type": s, "message": s, "timestamp": s, "project_id": ns,
                                     "metadata": strictObject(["job_id": ns, "language": ns, "data": ["type": "object"]])])
        return [
            "DashboardStats": strictObject(["total_videos": i, "total_jobs": i, "active_jobs": i, "completed_jobs": i, "total_views": ["type": "null"], "total_languages": i]),
            "DashboardJobs": strictObject(["jobs": arr(rootJob)]),
            "DashboardChannels": strictObject(["channels": arr(channel)]),
            "DashboardProjects": strictObject(["projects": arr(strictObject(["id": s, "name": s, "created_at": s]))]),
            "DashboardConnections": strictObject(["connections": arr(ChannelRoutes.connectionSchema)]),
            "DashboardActivity": strictObject(["activities": arr(activity)]),
            "Dashboard": strictObject([
                "user_id": s, "email": s, "youtube_connections": arr(ChannelRoutes.connectionSchema), "recent_jobs": arr(rootJob),
                "language_channels": arr(channel), "projects": arr(ProjectRoutes.projectSchema),
                "weekly_stats": strictObject(["videos_completed": i, "languages_added": i, "growth_percentage": ["type": "null"]]),
                "credits_summary": strictObject(["total_credits": ["type": "null"], "used_credits": ["type": "null"], "remaining_credits": ["type": "null"]]),
            ]),
            "StatsMetrics": strictObject(["success": b, "metrics": strictObject(["total_jobs": i, "completed_jobs": i, "failed_jobs": i,
                                                                                 "average_processing_time": nn, "success_rate": nn])]),
            "StatsRecent": strictObject(["success": b, "recent_jobs": arr(rootJobDetail)]),
            "StatsErrors": strictObject(["success": b, "errors": arr(strictObject(["job_id": s, "error_type": s, "error_message": s, "timestamp": s]))]),
            "StatsLanguages": strictObject(["success": b, "languages": arr(strictObject(["language_code": s, "language_name": ns, "job_count": i, "completion_rate": ["type": "number"]]))]),
            "StatsInsights": strictObject(["success": b, "insights": arr(strictObject(["type": s, "message": s, "impact": s]))]),
            "ActivityList": arr(activity),
        ]
    }
}

/// `/projects`: list (a bare array, as the root spec writes it), create, get, update, delete,
/// activity. A project's `master_connection_id` is the first master channel (connection) in it;
/// creating or updating with one moves that connection into the project.
enum ProjectRoutes {
    static func register(_ router: HTTPRouter, env: ServerEnvironment, limits: RateLimits) {
        let g = router.group("/projects", middleware: env.authenticated(limits), tags: ["projects"])
        g.on("GET", "", summary: "the organisation's projects (a bare array, as the root spec)", requiresAuth: true, responseSchema: "ProjectArray") { _, ctx in
            let p = try ctx.principal()
            try p.require(.jobsRead)
            return jsonResponse(.array(try env.read { db in try ProjectService(db, actor: p.actor).list().map { projectJSON($0, master: try master(db, p, $0.id)) } }))
        }
        g.on("POST", "", summary: "create a project (name; optional master_connection_id, description)", requiresAuth: true,
             requestSchema: "ProjectCreate", responseSchema: "Project") { req, ctx in
            let p = try ctx.principal()
            try p.require(.settingsWrite)
            let b = try req.jsonObject()
            let name = try b.required("name"), description = try b.optional("description"), conn = try b.optional("master_connection_id")
            let json = try env.write { db in
                try db.transaction {
                    let proj = try ProjectService(db, actor: p.actor).create(name: name, description: description ?? "")
                    if let conn { try attach(db, p, connection: conn, project: proj.id) }
                    return projectJSON(proj, master: try master(db, p, proj.id))
                }
            }
            return jsonResponse(json, status: 201)
        }
        g.on("GET", "/{project_id}", summary: "one project", requiresAuth: true, responseSchema: "Project") { _, ctx in
            let p = try ctx.principal()
            try p.require(.jobsRead)
            let id = try ctx.parameter("project_id")
            return jsonResponse(try env.read { db in
                let proj = try ProjectService(db, actor: p.actor).resolve(id)
                return projectJSON(proj, master: try master(db, p, proj.id))
            })
        }
        g.on("PATCH", "/{project_id}", summary: "rename a project, change its description or master connection", requiresAuth: true,
             requestSchema: "ProjectUpdate", responseSchema: "Project") { req, ctx in
            let p = try ctx.principal()
            try p.require(.settingsWrite)
            let id = try ctx.parameter("project_id")
            let b = try req.jsonObject()
            let name = try b.optional("name"), description = try b.optional("description"), conn = try b.optional("master_connection_id")
            return jsonResponse(try env.write { db in
                try db.transaction {
                    let proj = try ProjectService(db, actor: p.actor).update(id, name: name, description: description)
                    if let conn { try attach(db, p, connection: conn, project: proj.id) }
                    return projectJSON(proj, master: try master(db, p, proj.id))
                }
            })
        }
        g.on("DELETE", "/{project_id}", summary: "delete a project; its jobs and channels stay, without a project", requiresAuth: true, responseSchema: "Message") { _, ctx in
            let p = try ctx.principal()
            try p.require(.settingsWrite)
            let id = try ctx.parameter("project_id")
            _ = try env.write { db in try ProjectService(db, actor: p.actor).delete(id, force: true) }
            return jsonResponse(.object([("message", .string("Project deleted successfully"))]))
        }
        g.on("GET", "/{project_id}/activity", summary: "what the project's jobs did, newest first (a bare array; ?limit 1-500, default 50)", requiresAuth: true,
             responseSchema: "ActivityList") { req, ctx in
            let p = try ctx.principal()
            try p.require(.jobsRead)
            let id = try ctx.parameter("project_id")
            let limit = try req.queryInt("limit") ?? 50
            return jsonResponse(.array(try env.read { db in try JobStatistics(db, actor: p.actor, project: id).activity(limit: limit) }.map(DashboardRoutes.activityJSON)))
        }
    }

    /// The project's master connection: its first master channel.
    static func master(_ db: Database, _ p: Principal, _ projectId: String) throws -> String? {
        try ChannelService(db, actor: p.actor).list(projectId: projectId).first { $0.kind == .master }?.id
    }

    static func attach(_ db: Database, _ p: Principal, connection: String, project: String) throws {
        let c = try ConnectionService(db, actor: p.actor).get(connection)
        var u = ChannelUpdate()
        u.project = project
        _ = try ChannelService(db, actor: p.actor).update(c.channel.id, u)
    }

    static func projectJSON(_ p: Project, master: String?) -> JSON {
        .object([("id", .string(p.id)), ("name", .string(p.name)), ("description", .string(p.description)), ("master_connection_id", JSON(master)),
                 ("created_at", .string(p.createdAt)), ("updated_at", .string(p.updatedAt))])
    }

    static var projectSchema: [String: Any] { strictObject(["id": ["type": "string"], "name": ["type": "string"], "description": ["type": "string"],
                                                            "master_connection_id": ["type": ["string", "null"]], "created_at": ["type": "string"], "updated_at": ["type": "string"]]) }

    static var schemas: [String: Any] {
        let s: [String: Any] = ["type": "string"]
        return [
            "Project": projectSchema,
            "ProjectArray": ["type": "array", "items": projectSchema],
            "ProjectCreate": ["type": "object", "required": ["name"], "properties": ["name": s, "description": s, "master_connection_id": s]],
            "ProjectUpdate": ["type": "object", "properties": ["name": s, "description": s, "master_connection_id": s]],
        ]
    }
}
