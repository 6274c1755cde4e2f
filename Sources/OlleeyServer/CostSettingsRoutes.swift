import Foundation
import OlleeyHTTP
import OlleeyKit

/// Costs (`/costs/estimate|summary|job/{id}`) onto CostService, and the caller's preferences
/// (`/settings`) onto UserSettingsService.
enum CostSettingsRoutes {
    static func register(_ router: HTTPRouter, env: ServerEnvironment, limits: RateLimits) {
        let costs = router.group("/costs", middleware: env.authenticated(limits), tags: ["costs"])
        costs.on("POST", "/estimate", summary: "estimate a job's cost from the rate card (video_duration_seconds, target_languages, include_lip_sync)",
                 requiresAuth: true, requestSchema: "CostEstimateRequest", responseSchema: "CostEstimate") { req, ctx in
            let p = try ctx.principal()
            try p.require(.jobsRead)
            let b = try req.jsonObject()
            guard let secs = b["video_duration_seconds"]?.doubleValue, secs.isFinite else {
                throw HTTPError(422, "field 'video_duration_seconds' is required (a number of seconds)", code: "invalid")
            }
            guard let langs = try b.strings("target_languages") else { throw HTTPError(422, "field 'target_languages' is required (an array of language codes)", code: "invalid") }
            var lip = false
            if let v = b["include_lip_sync"], v != .null {
                guard let bv = v.boolValue else { throw HTTPError(422, "field 'include_lip_sync' must be true or false", code: "invalid") }
                lip = bv
            }
            let ms = (secs * 1000).rounded()
            guard ms >= 1, ms <= Double(CostService.maxDurationMs) else {
                throw HTTPError(422, "video_duration_seconds must be more than 0 and at most \(CostService.maxDurationMs / 1000)", code: "invalid")
            }
            let e = try env.read { db in try CostService(db).estimate(durationMs: Int64(ms), languages: langs, lipSync: lip) }
            return jsonResponse(e.json)
        }
        costs.on("GET", "/summary", summary: "what the organisation's jobs cost: in total, this month and last month (UTC)", requiresAuth: true,
                 responseSchema: "CostSummary") { req, ctx in
            let p = try ctx.principal()
            try p.require(.jobsRead)
            return jsonResponse(try env.read { db in
                let project = try req.query("project_id").map { try ProjectService(db, actor: p.actor).resolve($0).id }
                return try CostService(db).summary(projectId: project, org: p.org)
            })
        }
        costs.on("GET", "/job/{job_id}", summary: "a job's estimate and what it spent, by service and entry", requiresAuth: true, responseSchema: "JobCost") { _, ctx in
            let p = try ctx.principal()
            try p.require(.jobsRead)
            let id = try ctx.parameter("job_id")
            return jsonResponse(try env.read { db in
                try CostService(db).jobCost(try JobQueries(db: db, workspace: env.workspace, actor: p.actor).job(id))
            })
        }

        let settings = router.group("/settings", middleware: env.authenticated(limits), tags: ["settings"])
        settings.on("GET", "", summary: "the caller's preferences (defaults until changed)", requiresAuth: true, responseSchema: "UserSettings") { _, ctx in
            let p = try ctx.principal()
            return jsonResponse(try env.read { db in try UserSettingsService(db).get(p.user.id) }.json)
        }
        settings.on("PATCH", "", summary: "change the caller's preferences (theme, timezone, notifications; an unknown field is 400)", requiresAuth: true,
                    requestSchema: "UserSettingsPatch", responseSchema: "UserSettings") { req, ctx in
            let p = try ctx.principal()
            let b = try req.jsonObject()
            return jsonResponse(try env.write { db in try UserSettingsService(db).patch(p.user.id, b) }.json)
        }
    }

    static var schemas: [String: Any] {
        let s: [String: Any] = ["type": "string"], ns: [String: Any] = ["type": ["string", "null"]]
        let n: [String: Any] = ["type": "number"], nn: [String: Any] = ["type": ["number", "null"]]
        let i: [String: Any] = ["type": "integer"], ni: [String: Any] = ["type": ["integer", "null"]], b: [String: Any] = ["type": "boolean"]
        let line = strictObject(["stage": s, "engine": s, "rate_micros_per_minute": i, "languages": i, "micros": i, "cost": n])
        let entry = strictObject(["stage": s, "language": ns, "engine": s, "micros": i, "cost": n, "usage": ["type": "object"], "created_at": s])
        let services = strictObject(["dubbing": n, "lip_sync": n])
        return [
            "CostEstimateRequest": ["type": "object", "required": ["video_duration_seconds", "target_languages"],
                                    "properties": ["video_duration_seconds": ["type": "number", "exclusiveMinimum": 0, "maximum": Double(CostService.maxDurationMs / 1000)],
                                                   "target_languages": ["type": "array", "items": s, "minItems": 1], "include_lip_sync": b]],
            "CostEstimate": strictObject([
                "estimated_cost": n, "breakdown": strictObject(["dubbing": n, "lip_sync": n, "per_language": n]), "currency": s,
                "estimated_cost_micros": i, "breakdown_micros": strictObject(["dubbing": i, "lip_sync": i, "per_language": i]), "formatted": s,
                "video_duration_seconds": n, "duration_ms": i, "target_languages": ["type": "array", "items": s], "include_lip_sync": b,
                "stages": ["type": "array", "items": line],
            ]),
            "CostSummary": strictObject([
                "total_spent": n, "current_month": n, "last_month": n, "currency": s, "breakdown_by_service": services,
                "total_spent_micros": i, "current_month_micros": i, "last_month_micros": i,
                "by_stage_micros": ["type": "object", "additionalProperties": i], "formatted_total": s, "jobs": i, "since": ns, "project_id": ns,
            ]),
            "JobCost": strictObject([
                "job_id": s, "estimated_cost": nn, "actual_cost": n, "cost_breakdown": services, "currency": s, "estimated_cost_micros": ni,
                "actual_cost_micros": i, "formatted_estimate": ns, "formatted_actual": s, "status": s, "entries": ["type": "array", "items": entry],
            ]),
            "UserSettings": strictObject(["theme": ["type": "string", "enum": UserSettings.themes], "timezone": s,
                                          "notifications": strictObject(Dictionary(uniqueKeysWithValues: UserSettings.notificationKeys.map { ($0, b) }))]),
            "UserSettingsPatch": ["type": "object", "additionalProperties": false,
                                  "properties": ["theme": ["type": "string", "enum": UserSettings.themes], "timezone": s,
                                                 "notifications": ["type": "object", "additionalProperties": false,
                                                                   "properties": Dictionary(uniqueKeysWithValues: UserSettings.notificationKeys.map { ($0, b) })]]],
        ]
    }
}
