import Foundation

/// The schema of a PostgreSQL store: the one the SQLite migrations build, translated
/// (`PGDialect.schema(fromSQLite:)`), with the rows those migrations seed (the `default`
/// organisation, rates, ...).
///
/// A new store gets the whole schema in one transaction under a session advisory lock, so that
/// machines initializing at once create it once. A store of this version opens as it is; one
/// written by a newer olleey is refused (78), as a newer SQLite workspace is. Upgrading a store
/// made by an older olleey runs each pending migration's translation (`upgrade`).
enum PGSchema {
    /// A lock every olleey takes while it creates or upgrades a store's schema.
    static let schemaLockKey: Int64 = 0x6F6C6C65_7363

    static func migrate(_ db: Database, _ migrations: [Migration]) throws -> [Int] {
        let known = migrations.map(\.version).max() ?? 0
        if let current = try currentVersion(db), current >= known {
            if current > known { throw Migrator.newerSchema(current, known) }
            return []
        }
        try db.execute("SELECT pg_advisory_lock(\(schemaLockKey))")
        defer { try? db.execute("SELECT pg_advisory_unlock(\(schemaLockKey))") }
        return try db.transaction(.immediate) {
            // read again under the lock: another machine may have made it meanwhile
            let current = try currentVersion(db)
            if let current, current >= known {
                if current > known { throw Migrator.newerSchema(current, known) }
                return []
            }
            if let current { return try upgrade(db, from: current, migrations) }
            return try create(db, migrations)
        }
    }

    /// The highest applied version, or nil when the store has no schema yet.
    static func currentVersion(_ db: Database) throws -> Int? {
        guard try db.scalarText("SELECT to_regclass('schema_migrations')::text") != nil else { return nil }
        return Int(try db.scalarInt("SELECT max(version) FROM schema_migrations") ?? 0)
    }

    /// The SQLite schema of `migrations`, built in memory, and its seeded rows.
    static func reference(_ migrations: [Migration]) throws -> (objects: [PGDialect.Object], memory: Database) {
        let mem = try Database(path: ":memory:")
        try Migrator.migrate(mem, migrations)
        let objects = try mem.query("SELECT type, name, tbl_name, sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY rowid") {
            PGDialect.Object(type: $0.string(0), name: $0.string(1), table: $0.string(2), sql: $0.string(3))
        }
        return (objects, mem)
    }

    static func create(_ db: Database, _ migrations: [Migration]) throws -> [Int] {
        let (objects, mem) = try reference(migrations)
        for ddl in try PGDialect.schema(fromSQLite: objects) { try db.execute(ddl) }
        // the rows the migrations seed (schema_migrations among them)
        for t in objects where t.type == "table" && !t.name.hasPrefix("sqlite_") {
            try copyRows(t.name, from: mem, to: db)
        }
        return try db.query("SELECT version FROM schema_migrations ORDER BY version") { $0.int(0) }
    }

    /// Every row of `table` from a SQLite database into the same table of a PostgreSQL one,
    /// identity sequences moved past the copied ids.
    static func copyRows(_ table: String, from src: Database, to dst: Database) throws {
        var columns: [String] = []
        let rows: [[SQLValue]] = try src.query("SELECT * FROM \"\(table)\"") { r in
            if columns.isEmpty { columns = (0..<r.columnCount).map(r.columnName) }
            return (0..<r.columnCount).map(r.value)
        }
        guard !rows.isEmpty else { return }
        let names = columns.map { "\"\($0)\"" }.joined(separator: ", ")
        let marks = Array(repeating: "?", count: columns.count).joined(separator: ", ")
        for row in rows { try dst.run("INSERT INTO \"\(table)\"(\(names)) VALUES (\(marks))", row) }
        try moveSequences(table, columns: columns, in: dst)
    }

    /// Moves the identity sequence of each of `columns` that has one past the table's largest
    /// value, so the next row inserted without an id gets a new one (after rows copied with theirs).
    static func moveSequences(_ table: String, columns: [String], in db: Database) throws {
        for c in columns where try db.scalarText("SELECT pg_get_serial_sequence(?, ?)", [.text(table), .text(c)]) != nil {
            try db.run("SELECT setval(pg_get_serial_sequence(?, ?), coalesce((SELECT max(\"\(c)\") FROM \"\(table)\"), 0) + 1, false)",
                       [.text(table), .text(c)])
        }
    }

    /// From `current` to the newest version: the tables, columns, indexes and triggers the newer
    /// schema has and the store lacks are added (migrations only ever add: a rebuild keeps a
    /// table's name and columns), with the seeded rows of new tables; then the versions recorded.
    static func upgrade(_ db: Database, from current: Int, _ migrations: [Migration]) throws -> [Int] {
        let (objects, mem) = try reference(migrations)
        _ = try PGDialect.schema(fromSQLite: objects)  // fails on a trigger with no translation, before any change
        let existing = Set(try db.query("SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()") { $0.string(0) })
        let tables = objects.filter { $0.type == "table" && !$0.name.hasPrefix("sqlite_") }
        try db.execute(PGDialect.functions)
        for t in tables where !existing.contains(t.name) {
            try db.execute(PGDialect.table(t.sql))
            try copyRows(t.name, from: mem, to: db)
        }
        for t in tables where existing.contains(t.name) {
            let have = Set(try db.query("SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = ?", [.text(t.name)]) { $0.string(0) })
            for c in try mem.query("SELECT name, type, \"notnull\", dflt_value FROM pragma_table_info(?)", [.text(t.name)], { ($0.string(0), $0.string(1), $0.bool(2), $0.optionalString(3)) })
            where !have.contains(c.0) {
                let type = PGDialect.replacingWords(c.1.isEmpty ? "TEXT" : c.1, PGDialect.columnTypes)
                var def = "ALTER TABLE \"\(t.name)\" ADD COLUMN \"\(c.0)\" \(type)"
                if let d = c.3 { def += " DEFAULT \(d)" }
                if c.2 { def += " NOT NULL" }
                try db.execute(def)
            }
        }
        for o in objects where o.type == "index" {
            try db.execute(o.sql.replacingOccurrences(of: "CREATE INDEX ", with: "CREATE INDEX IF NOT EXISTS ")
                .replacingOccurrences(of: "CREATE UNIQUE INDEX ", with: "CREATE UNIQUE INDEX IF NOT EXISTS "))
        }
        for o in objects where o.type == "trigger" {
            try db.execute("DROP TRIGGER IF EXISTS \(o.name) ON \(o.table)")
            if let t = PGDialect.triggers[o.name] { try db.execute(t) }
        }
        var applied: [Int] = []
        for m in migrations where m.version > current {
            try db.run("INSERT INTO schema_migrations(version, name, applied_at) VALUES (?, ?, ?)",
                       [.int(Int64(m.version)), .text(m.name), .text(Clock.nowISO())])
            applied.append(m.version)
        }
        return applied
    }
}
