import Foundation
import OlleeyKit

/// Where the service tests keep their workspaces' stores: SQLite by default; a PostgreSQL
/// database of its own per workspace when `OLLEEY_TEST_POSTGRES` names a server (`scripts/test`
/// runs the service suite a second time that way, against a throwaway cluster it starts with
/// `scripts/with-postgres`). Each database is a copy of a template made once per process with
/// the schema (`CREATE DATABASE ... TEMPLATE`), so a workspace costs one copy, not a schema build.
enum TestStore {
    static let server: String? = ProcessInfo.processInfo.environment["OLLEEY_TEST_POSTGRES"].flatMap { $0.isEmpty ? nil : $0 }
    private static let lock = NSLock()
    nonisolated(unsafe) private static var template: String?

    /// `Workspace.initialize(at:)`, on the store the run asks for.
    static func initialize(at root: String) throws -> (Workspace, created: Bool) {
        guard let server else { return try Workspace.initialize(at: root) }
        return try Workspace.initialize(at: root, store: try newDatabase(server))
    }

    /// The URL of a new database on `server` with the schema (and no signing keys: each
    /// workspace makes its own on initialize, as a real one does).
    static func newDatabase(_ server: String) throws -> String {
        let name = "t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(20)
        let t = try templateName(server)
        try Database(postgres: server).execute("CREATE DATABASE \(name) TEMPLATE \(t)")
        let store = url(server, database: String(name))
        try Database(postgres: store).execute("DELETE FROM signing_keys")
        return store
    }

    /// The template database (made on first use: a workspace initialized on it, then closed).
    private static func templateName(_ server: String) throws -> String {
        lock.lock(); defer { lock.unlock() }
        if let template { return template }
        let name = "olleey_template_\(getpid())"
        let admin = try Database(postgres: server)
        try admin.execute("DROP DATABASE IF EXISTS \(name)")
        try admin.execute("CREATE DATABASE \(name)")
        do {
            let dir = NSTemporaryDirectory() + "olleey-template-\(getpid())"
            defer { try? FileManager.default.removeItem(atPath: dir) }
            _ = try Workspace.initialize(at: dir, store: url(server, database: name))
        }
        template = name
        return name
    }

    /// `server` with its database replaced.
    static func url(_ server: String, database: String) -> String {
        guard var c = URLComponents(string: server) else { return server }
        c.path = "/" + database
        return c.string ?? server
    }
}
