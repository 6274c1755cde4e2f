/// A numbered schema change. Never edit one that has shipped; add a new one.
public struct Migration: Sendable {
    public let version: Int
    public let name: String
    public let sql: String
    /// A migration that rebuilds tables (create new, copy, drop old, rename: SQLite's way to
    /// change a constraint) runs with foreign keys off, so that dropping the old table neither
    /// cascades into its children nor fails; `PRAGMA foreign_key_check` still runs before commit.
    public let rebuildsTables: Bool

    public init(_ version: Int, _ name: String, rebuildsTables: Bool = false, _ sql: String) {
        self.version = version
        self.name = name
        self.sql = sql
        self.rebuildsTables = rebuildsTables
    }
}

public enum Migrator {
    /// Applies every pending migration in order, each in its own `BEGIN IMMEDIATE` transaction
    /// that also records it in `schema_migrations` and ends with `PRAGMA foreign_key_check`: a
    /// migration that fails, or leaves a row whose foreign key points nowhere, is rolled back and
    /// refused (the ones before it stay applied). A database whose schema is newer than
    /// `migrations` is refused (78). Returns the versions applied.
    @discardableResult
    public static func migrate(_ db: Database, _ migrations: [Migration] = Schema.migrations) throws -> [Int] {
        if db.isPostgres { return try PGSchema.migrate(db, migrations) }
        let known = migrations.map(\.version).max() ?? 0
        if let current = try currentVersion(db), current >= known {
            if current > known { throw newerSchema(current, known) }
            return []
        }
        var applied: [Int] = []
        for m in migrations.sorted(by: { $0.version < $1.version }) {
            // foreign_keys cannot change inside a transaction: off before it, on again after
            if m.rebuildsTables { try db.execute("PRAGMA foreign_keys = OFF") }
            defer { if m.rebuildsTables { try? db.execute("PRAGMA foreign_keys = ON") } }
            let done: Bool = try db.transaction(.immediate) {
                try db.execute("""
                    CREATE TABLE IF NOT EXISTS schema_migrations (
                      version INTEGER PRIMARY KEY,
                      name TEXT NOT NULL,
                      applied_at TEXT NOT NULL)
                    """)
                // read inside the write lock: another process may have migrated meanwhile
                let current = try db.scalarInt("SELECT max(version) FROM schema_migrations") ?? 0
                if current > Int64(known) { throw newerSchema(Int(current), known) }
                if Int64(m.version) <= current { return false }
                try db.execute(m.sql)
                try db.run("INSERT INTO schema_migrations(version, name, applied_at) VALUES (?, ?, ?)",
                           [.int(Int64(m.version)), .text(m.name), .text(Clock.nowISO())])
                try checkForeignKeys(db, after: m)
                return true
            }
            if done { applied.append(m.version) }
        }
        return applied
    }

    /// Fails (78, naming the migration and the tables) when `PRAGMA foreign_key_check` finds a
    /// row whose foreign key points nowhere.
    static func checkForeignKeys(_ db: Database, after m: Migration) throws {
        let broken = try db.query("PRAGMA foreign_key_check") { r in (table: r.string(0), parent: r.string(2)) }
        guard let first = broken.first else { return }
        var tables: [String] = []
        for b in broken where !tables.contains(b.table) { tables.append(b.table) }
        throw OlleeyError.config("migration \(m.version) (\(m.name)) was refused: it leaves \(broken.count) row\(broken.count == 1 ? "" : "s") in \(tables.joined(separator: ", ")) whose foreign key points nowhere (first: \(first.table) -> \(first.parent))",
                                 hint: "the migration was rolled back; the workspace stays at the version before it")
    }

    /// The highest applied version, or nil when the migrations table does not exist yet.
    public static func currentVersion(_ db: Database) throws -> Int? {
        if db.isPostgres { return try PGSchema.currentVersion(db) }
        let exists = try db.scalarInt("SELECT count(*) FROM sqlite_master WHERE type='table' AND name='schema_migrations'") ?? 0
        if exists == 0 { return nil }
        return Int(try db.scalarInt("SELECT max(version) FROM schema_migrations") ?? 0)
    }

    static func newerSchema(_ current: Int, _ known: Int) -> OlleeyError {
        OlleeyError.config("the workspace schema (version \(current)) is newer than this olleey knows (version \(known))",
                           hint: "upgrade olleey; it will not downgrade a workspace")
    }
}
