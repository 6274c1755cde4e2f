import Foundation

/// Rules of projects, which group jobs and channels (the SQL is ProjectStore's).
///
/// For an actor, only the actor's organisation's projects exist and new ones are created in it;
/// without one (the system, as the pipeline), every organisation's are seen.
public struct ProjectService {
    public let db: Database
    public let actor: Actor?

    public init(_ db: Database, actor: Actor? = nil) { self.db = db; self.actor = actor }

    var org: String? { actor?.org }
    var store: ProjectStore { ProjectStore(db, org: org) }

    static func validName(_ raw: String) throws -> String {
        let n = raw.trimmingCharacters(in: .whitespaces)
        guard !n.isEmpty, n.count <= 200, !n.contains(where: { $0.isNewline }) else { throw OlleeyError.usage("a project name must be 1-200 characters on one line") }
        return n
    }

    public func get(_ id: String) throws -> Project? { try store.get(id) }

    /// By id, name or unique id prefix (66 when none).
    public func resolve(_ ref: String) throws -> Project {
        guard let p = try store.get(try store.id(ref)) else { throw OlleeyError.notFound("project '\(ref)' not found") }
        return p
    }

    public func list() throws -> [Project] { try store.list() }

    public struct Counts: Sendable { public var jobs: Int; public var channels: Int }

    public func counts(_ p: Project) throws -> Counts {
        let c = try store.counts(p.id)
        return Counts(jobs: c.jobs, channels: c.channels)
    }

    public func create(name: String, description: String = "") throws -> Project {
        let n = try ProjectService.validName(name)
        if try store.nameTaken(n) {
            throw OlleeyError(.alreadyExists, "project '\(n)' already exists")
        }
        let now = Clock.nowISO()
        let p = Project(id: ID.uuid7(), name: n, description: description, createdAt: now, updatedAt: now)
        try db.transaction {
            try store.insert(p)
            try AuditLog(db).record(actor: actor?.email, action: "project.create", subject: p.id, detail: ["name": .string(n)])
        }
        return p
    }

    public func update(_ ref: String, name: String?, description: String?) throws -> Project {
        var p = try resolve(ref)
        if let name {
            let n = try ProjectService.validName(name)
            if n != p.name, try store.nameTaken(n) {
                throw OlleeyError(.alreadyExists, "project '\(n)' already exists")
            }
            p.name = n
        }
        if let description { p.description = description }
        p.updatedAt = Clock.nowISO()
        let u = p
        try db.transaction {
            try store.update(u)
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
            try store.delete(p.id)
            try AuditLog(db).record(actor: actor?.email, action: "project.delete", subject: p.id, detail: ["name": .string(p.name)])
        }
        return p
    }
}
