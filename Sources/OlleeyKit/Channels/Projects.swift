import Foundation

public struct Project: Sendable, Equatable {
    public var id: String
    public var name: String
    public var description: String
    public var createdAt: String
    public var updatedAt: String

    public var json: JSON {
        .object([("id", .string(id)), ("name", .string(name)), ("description", .string(description)),
                 ("created_at", .string(createdAt)), ("updated_at", .string(updatedAt))])
    }
}

/// Projects group jobs and channels. SQL and rules in one place: they are small.
///
/// For an actor, only the actor's organisation's projects exist and new ones are created in it;
/// without one (the system, as the pipeline), every organisation's are seen.
public struct ProjectService {
    public let db: Database
    public let actor: Actor?

    public init(_ db: Database, actor: Actor? = nil) { self.db = db; self.actor = actor }

    var org: String? { actor?.org }
    var own: (sql: String, args: [SQLValue]) { org.map { (" AND org_id = ?", [.text($0)]) } ?? ("", []) }

    static func project(_ r: Row) throws -> Project {
        Project(id: try r["id"], name: try r["name"], description: try r["description"], createdAt: try r["created_at"], updatedAt: try r["updated_at"])
    }

    static func validName(_ raw: String) throws -> String {
        let n = raw.trimmingCharacters(in: .whitespaces)
        guard !n.isEmpty, n.count <= 200, !n.contains(where: { $0.isNewline }) else { throw OlleeyError.usage("a project name must be 1-200 characters on one line") }
        return n
    }

    public func get(_ id: String) throws -> Project? {
        try db.queryOne("SELECT id, name, description, created_at, updated_at FROM projects WHERE id = ?" + own.sql, [.text(id)] + own.args, ProjectService.project)
    }

    /// By id, name or unique id prefix (66 when none).
    public func resolve(_ ref: String) throws -> Project {
        let id = try NamedLookup.id(db, table: "projects", ref, what: "project", listCommand: "olleey project list", org: org)
        guard let p = try get(id) else { throw OlleeyError.notFound("project '\(ref)' not found") }
        return p
    }

    public func list() throws -> [Project] {
        try db.query("SELECT id, name, description, created_at, updated_at FROM projects WHERE 1\(own.sql) ORDER BY created_at", own.args, ProjectService.project)
    }

    public struct Counts: Sendable { public var jobs: Int; public var channels: Int }

    public func counts(_ p: Project) throws -> Counts {
        Counts(jobs: Int(try db.scalarInt("SELECT count(*) FROM jobs WHERE project_id = ?", [.text(p.id)]) ?? 0),
               channels: Int(try db.scalarInt("SELECT count(*) FROM channels WHERE project_id = ?", [.text(p.id)]) ?? 0))
    }

    public func create(name: String, description: String = "") throws -> Project {
        let n = try ProjectService.validName(name)
        if try db.scalarInt("SELECT count(*) FROM projects WHERE name = ?", [.text(n)]) ?? 0 > 0 {
            throw OlleeyError(.alreadyExists, "project '\(n)' already exists")
        }
        let now = Clock.nowISO()
        let p = Project(id: ID.uuid7(), name: n, description: description, createdAt: now, updatedAt: now)
        try db.transaction {
            try db.run("INSERT INTO projects(id, name, description, created_at, updated_at, org_id) VALUES (?, ?, ?, ?, ?, ?)",
                       [.text(p.id), .text(p.name), .text(p.description), .text(now), .text(now), .text(org ?? Actor.defaultOrg)])
            try AuditLog(db).record(actor: actor?.email, action: "project.create", subject: p.id, detail: ["name": .string(n)])
        }
        return p
    }

    public func update(_ ref: String, name: String?, description: String?) throws -> Project {
        var p = try resolve(ref)
        if let name {
            let n = try ProjectService.validName(name)
            if n != p.name, try db.scalarInt("SELECT count(*) FROM projects WHERE name = ?", [.text(n)]) ?? 0 > 0 {
                throw OlleeyError(.alreadyExists, "project '\(n)' already exists")
            }
            p.name = n
        }
        if let description { p.description = description }
        p.updatedAt = Clock.nowISO()
        let u = p
        try db.transaction {
            try db.run("UPDATE projects SET name = ?, description = ?, updated_at = ? WHERE id = ?", [.text(u.name), .text(u.description), .text(u.updatedAt), .text(u.id)])
            try AuditLog(db).record(actor: actor?.email, action: "project.update", subject: u.id)
        }
        return p
    }

    /// Deletes a project. With jobs or channels it needs `force`, which detaches them.
    public func delete(_ ref: String, force: Bool) throws -> Project {
        let p = try resolve(ref)
        let c = try counts(p)
        if (c.jobs > 0 || c.channels > 0) && !force {
            throw OlleeyError.conflict("project '\(p.name)' has \(c.jobs) job(s) and \(c.channels) channel(s)", hint: "force it to delete it and detach them", next: [.input("force")])
        }
        try db.transaction {
            try db.run("UPDATE jobs SET project_id = NULL WHERE project_id = ?", [.text(p.id)])
            try db.run("DELETE FROM projects WHERE id = ?", [.text(p.id)])
            try AuditLog(db).record(actor: actor?.email, action: "project.delete", subject: p.id, detail: ["name": .string(p.name)])
        }
        return p
    }
}
