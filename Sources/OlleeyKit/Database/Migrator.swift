/// A numbered schema change. Never edit one that has shipped; add a new one.
public struct Migration: Sendable {
    public let version: Int
    public let name: String
    public let sql: String

    public init(_ version: Int, _ name: String, _ sql: String) {
        self.version = version
        self.name = name
        self.sql = sql
    }
}

public enum Migrator {
    /// Applies every pending migration in one `BEGIN IMMEDIATE` transaction, recording each in
    /// `schema_migrations`. A database whose schema is newer than `migrations` is refused (78).
    /// Returns the versions applied.
    @discardableResult
    public static func migrate(_ db: Database, _ migrations: [Migration] = Schema.migrations) throws -> [Int] {
        let known = migrations.map(\.version).max() ?? 0
        if let current = try currentVersion(db), current >= known {
            if current > known { throw newerSchema(current, known) }
            return []
        }
        return try db.transaction(.immediate) {
            try db.execute("""
                CREATE TABLE IF NOT EXISTS schema_migrations (
                  version INTEGER PRIMARY KEY,
                  name TEXT NOT NULL,
                  applied_at TEXT NOT NULL)
                """)
            let current = try db.scalarInt("SELECT max(version) FROM schema_migrations") ?? 0
            if current > Int64(known) { throw newerSchema(Int(current), known) }
            var applied: [Int] = []
            for m in migrations.sorted(by: { $0.version < $1.version }) where Int64(m.version) > current {
                try db.execute(m.sql)
                try db.run("INSERT INTO schema_migrations(version, name, applied_at) VALUES (?, ?, ?)",
                           [.int(Int64(m.version)), .text(m.name), .text(Clock.nowISO())])
                applied.append(m.version)
            }
            return applied
        }
    }

    /// The highest applied version, or nil when the migrations table does not exist yet.
    public static func currentVersion(_ db: Database) throws -> Int? {
        let exists = try db.scalarInt("SELECT count(*) FROM sqlite_master WHERE type='table' AND name='schema_migrations'") ?? 0
        if exists == 0 { return nil }
        return Int(try db.scalarInt("SELECT max(version) FROM schema_migrations") ?? 0)
    }

    static func newerSchema(_ current: Int, _ known: Int) -> OlleeyError {
        OlleeyError.config("the workspace schema (version \(current)) is newer than this olleey knows (version \(known))",
                           hint: "upgrade olleey; it will not downgrade a workspace")
    }
}
