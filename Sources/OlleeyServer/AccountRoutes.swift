import Foundation
import OlleeyHTTP
import OlleeyKit

/// `/api/v1/organizations` (list, create, members, invite, remove) and `/api/v1/admin` (users,
/// patch a user, audit log): thin mappings onto AccountAdmin, which decides every permission
/// (another organisation's resource is 404, a missing role 403).
enum AccountRoutes {
    static func register(_ router: HTTPRouter, env: ServerEnvironment, limits: RateLimits) {
        let mw: [any HTTPMiddleware] = [AuthMiddleware(env: env), limits.standardMiddleware(), MapErrorsMiddleware()]
        let orgs = router.group("/api/v1/organizations", middleware: mw, tags: ["organizations"])

        orgs.on("GET", "/", summary: "the organisations the caller may see (an instance owner: all)", requiresAuth: true, responseSchema: "OrganizationItems") { _, ctx in
            let p = try ctx.principal()
            return items(try env.read { db in try env.admin(db).organizations(p) }.map(\.json))
        }
        orgs.on("POST", "/", summary: "create an organisation (instance owner); the caller becomes its ADMIN",
                requiresAuth: true, requestSchema: "CreateOrganizationRequest", responseSchema: "Organization") { req, ctx in
            let p = try ctx.principal()
            let b = try req.decodeJSON(CreateOrgBody.self)
            return jsonResponse(try env.write { db in try env.admin(db).createOrganization(name: b.name, p) }.json, status: 201)
        }
        orgs.on("GET", "/{id}/members", summary: "the members of an organisation (PM or ADMIN of it)", requiresAuth: true, responseSchema: "MemberItems") { _, ctx in
            let p = try ctx.principal()
            let id = try ctx.parameter("id")
            return items(try env.read { db in try env.admin(db).members(id, p) }.map(\.json))
        }
        orgs.on("POST", "/{id}/invite", summary: "invite an email with a role (PM or ADMIN; the token is shown once)",
                requiresAuth: true, requestSchema: "InviteRequest", responseSchema: "Invitation") { req, ctx in
            let p = try ctx.principal()
            let id = try ctx.parameter("id")
            let b = try req.decodeJSON(InviteBody.self)
            let role = try Role.parse(b.role)
            let (inv, token) = try env.write { db in try env.admin(db).invite(id, email: b.email, role: role, p) }
            guard case var .object(fields) = inv.json else { return jsonResponse(inv.json, status: 201) }
            fields.append(("token", .string(token)))
            var r = jsonResponse(.object(fields), status: 201)
            r.headers.set("Cache-Control", "no-store")
            return r
        }
        orgs.on("DELETE", "/{id}/members/{user_id}", summary: "remove a member (PM or ADMIN); the account stays", requiresAuth: true, responseSchema: "Member") { _, ctx in
            let p = try ctx.principal()
            let id = try ctx.parameter("id")
            let user = try ctx.parameter("user_id")
            return jsonResponse(try env.write { db in try env.admin(db).removeMember(id, user: user, p) }.json)
        }

        let adm = router.group("/api/v1/admin", middleware: mw, tags: ["admin"])
        adm.on("GET", "/users", summary: "the users of the caller's organisation (ADMIN); ?role= filters", requiresAuth: true, responseSchema: "UserItems") { req, ctx in
            let p = try ctx.principal()
            let role = try req.queryValue("role").map(Role.parse)
            return items(try env.read { db in try env.admin(db).users(p, role: role) }.map(\.json))
        }
        adm.on("PATCH", "/users/{id}", summary: "change a user's role or disabled flag (ADMIN of their organisation)",
               requiresAuth: true, requestSchema: "PatchUserRequest", responseSchema: "User") { req, ctx in
            let p = try ctx.principal()
            let id = try ctx.parameter("id")
            let b = try req.decodeJSON(PatchUserBody.self)
            let role = try b.role.map(Role.parse)
            let disabled = b.disabled ?? b.isActive.map { !$0 }
            guard role != nil || disabled != nil else {
                throw HTTPError(400, "nothing to change: send role, disabled or is_active", code: "invalid")
            }
            return jsonResponse(try env.write { db in try env.admin(db).patchUser(id, role: role, disabled: disabled, p) }.json)
        }
        adm.on("GET", "/audit-log", summary: "the audit log of the caller's organisation, newest first (PM or ADMIN); ?before=ID&limit=N, ?all=true for an instance owner",
               requiresAuth: true, responseSchema: "AuditItems") { req, ctx in
            let p = try ctx.principal()
            let before = req.queryValue("before").flatMap { Int64($0) }
            let limit = req.queryValue("limit").flatMap { Int($0) } ?? 100
            let all = req.queryValue("all") == "true"
            return items(try env.read { db in try env.admin(db).auditLog(p, before: before, limit: limit, everything: all) }.map(\.json))
        }
    }

    static func items(_ list: [JSON]) -> HTTPResponse {
        jsonResponse(.object([("items", .array(list)), ("total", .int(Int64(list.count)))]))
    }

    static var schemas: [String: Any] {
        let s: [String: Any] = ["type": "string"]
        func obj(_ required: [String], _ props: [String: Any]) -> [String: Any] { ["type": "object", "required": required, "properties": props] }
        let ns: [String: Any] = ["type": ["string", "null"]], b: [String: Any] = ["type": "boolean"]
        func items(_ item: [String: Any]) -> [String: Any] { strictObject(["items": ["type": "array", "items": item], "total": ["type": "integer"]]) }
        let org = strictObject(["id": s, "name": s, "created_at": s])
        let member = strictObject(["org_id": s, "user_id": s, "email": s, "name": s, "role": s, "disabled": b, "created_at": s])
        let user = strictObject(["id": s, "email": s, "name": s, "role": s, "disabled": b, "created_at": s, "updated_at": s])
        let audit = strictObject(["id": ["type": "integer"], "at": s, "actor": ns, "action": s, "subject": ns, "detail": ["type": "object"], "org_id": ns])
        return [
            "OrganizationItems": items(org), "MemberItems": items(member), "UserItems": items(user), "AuditItems": items(audit),
            "Organization": org, "Member": member, "User": user,
            "Invitation": strictObject(["id": s, "org_id": s, "email": s, "role": s, "invited_by": ns, "created_at": s, "expires_at": s, "accepted_at": ns, "token": s]),
            "CreateOrganizationRequest": obj(["name"], ["name": s]),
            "InviteRequest": obj(["email", "role"], ["email": s, "role": ["type": "string", "enum": Role.allCases.map(\.rawValue)]]),
            "PatchUserRequest": obj([], ["role": s, "disabled": ["type": "boolean"], "is_active": ["type": "boolean"]]),
        ]
    }
}

struct CreateOrgBody: Decodable { let name: String }

struct InviteBody: Decodable {
    let email: String
    let role: String
}

struct PatchUserBody: Decodable {
    let role: String?
    let disabled: Bool?
    let isActive: Bool?
    enum CodingKeys: String, CodingKey { case role, disabled, isActive = "is_active" }
}
