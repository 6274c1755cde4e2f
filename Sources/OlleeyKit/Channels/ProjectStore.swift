import Foundation

/// SQL for projects. Rules live in ProjectService.
///
/// With an organisation, lookups see that organisation's projects only; without one (the
/// system, as the pipeline), every organisation's.
public struct ProjectStore {
    public let db: Database
    public let org: String?

    public init(_ db: Database, org: String? = nil) { self.db = db; self.org = org }

    var own: (sql: String, args: [SQLValue]) { org.map { (" AND org_id = ?", [.text($0)]) } ?? ("", []) }

    static func project(_ r: Row) throws -> Project {
        Project(id: try r["id"], name: try r["name"], description: try r["description"], createdAt: try r["created_at"], updatedAt: try r["updated_at"])
    }

    public func get(_ id: String) throws -> Project? {
        try db.queryOne("SELECT id, name, description, created_at, updated_at FROM projects WHERE id = ?" + own.sql, [.text(id)] + own.args, ProjectStore.project)
    }

    /// The id of the project named by id, name or unique id prefix (66 when none).
    func id(_ ref: String) throws -> String {
        try NamedLookup.id(db, table: "projects", ref, what: "project", listCommand: "project list", org: org)
    }

    public func list() throws -> [Project] {
        try db.query("SELECT id, name, description, created_at, updated_at FROM projects WHERE TRUE\(own.sql) ORDER BY created_at", own.args, ProjectStore.project)
    }

    /// How many jobs and channels name the project.
    func counts(_ projectId: String) throws -> (jobs: Int, channels: Int) {
        (Int(try db.scalarInt("SELECT count(*) FROM jobs WHERE project_id = ?", [.text(projectId)]) ?? 0),
         Int(try db.scalarInt("SELECT count(*) FROM channels WHERE project_id = ?", [.text(projectId)]) ?? 0))
    }

    /// Whether this organisation has a project of this name.
    func nameTaken(_ name: String) throws -> Bool {
        try db.scalarInt("SELECT count(*) FROM projects WHERE name = ? AND org_id = ?", [.text(name), .text(org ?? Actor.defaultOrg)]) ?? 0 > 0
    }

    func insert(_ p: Project) throws {
        try db.run("INSERT INTO projects(id, name, description, created_at, updated_at, org_id) VALUES (?, ?, ?, ?, ?, ?)",
                   [.text(p.id), .text(p.name), .text(p.description), .text(p.createdAt), .text(p.updatedAt), .text(org ?? Actor.defaultOrg)])
    }

    func update(_ p: Project) throws {
        try db.run("UPDATE projects SET name = ?, description = ?, updated_at = ? WHERE id = ?", [.text(p.name), .text(p.description), .text(p.updatedAt), .text(p.id)])
    }

    /// Deletes a project after detaching its jobs (its channels' project is cleared by the schema).
    func delete(_ projectId: String) throws {
        try db.run("UPDATE jobs SET project_id = NULL WHERE project_id = ?", [.text(projectId)])
        try db.run("DELETE FROM projects WHERE id = ?", [.text(projectId)])
    }
}
