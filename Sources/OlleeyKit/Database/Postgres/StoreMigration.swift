import Foundation

/// `olleey store migrate --to postgres://...`: moves a SQLite workspace's store into PostgreSQL.
///
/// Every table is copied in reference order, each in a transaction of its own; a row whose key
/// is already there (an interrupted run, the rows a new store's schema seeds) takes the source's
/// values (`ON CONFLICT (key) DO UPDATE`; a table without a key of its own is keyed by SQLite's
/// rowid, copied into the `rowid` column), so the command can be run again until it completes. The triggers of a table are off while it is copied (the counts they
/// keep are copied as they are). Then each table's row count and checksum (SHA-256 over its
/// rows' digests, sorted: the order rows come in does not matter) are compared on both sides;
/// any difference fails (65), naming the table, and the workspace is not switched. Only then
/// does `.olleey/store.json` name the new store; the SQLite file is left as it was.
public enum StoreMigration {
    public struct Table: Sendable {
        public var name: String
        public var rows: Int
        public var copied: Int
        public var checksum: String
    }

    /// Copies `source` (a migrated SQLite store) into the store at `url` and verifies the copy.
    public static func copy(from source: Database, to url: String, progress: (String) -> Void = { _ in }) throws -> [Table] {
        guard !source.isPostgres else { throw OlleeyError.usage("this workspace's store is already PostgreSQL") }
        let target = try Database(postgres: url)
        try Migrator.migrate(target)
        let sv = try Migrator.currentVersion(source) ?? 0, tv = try Migrator.currentVersion(target) ?? 0
        guard sv == tv else {
            throw OlleeyError.config("the store at \(target.path) has schema version \(tv), this workspace \(sv)", hint: "open both with the same olleey")
        }
        let (objects, _) = try PGSchema.reference(Schema.migrations)
        let tables = try PGDialect.tables(objects)
        var out: [Table] = []
        for t in tables {
            let info = try source.query("SELECT name, pk FROM pragma_table_info(?) ORDER BY cid", [.text(t.name)]) { ($0.string(0), $0.int(1)) }
            let columns = info.map(\.0)
            let keyedByRowid = try target.scalarInt("SELECT count(*) FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = ? AND column_name = 'rowid'",
                                                    [.text(t.name)]) ?? 0 > 0
            let list = columns.map { "\"\($0)\"" }.joined(separator: ", ")
            let rows = try source.query("SELECT \(keyedByRowid ? "rowid, " : "")\(list) FROM \"\(t.name)\"") { r in (0..<r.columnCount).map(r.value) }
            let names = (keyedByRowid ? "rowid, " : "") + list
            let marks = Array(repeating: "?", count: columns.count + (keyedByRowid ? 1 : 0)).joined(separator: ", ")
            let key = keyedByRowid ? ["rowid"] : info.filter { $0.1 > 0 }.sorted { $0.1 < $1.1 }.map(\.0)
            let rest = columns.filter { !key.contains($0) }
            let onConflict = key.isEmpty ? "ON CONFLICT DO NOTHING"
                : rest.isEmpty ? "ON CONFLICT (\(key.map { "\"\($0)\"" }.joined(separator: ", "))) DO NOTHING"
                : "ON CONFLICT (\(key.map { "\"\($0)\"" }.joined(separator: ", "))) DO UPDATE SET " + rest.map { "\"\($0)\" = excluded.\"\($0)\"" }.joined(separator: ", ")
            let insert = "INSERT INTO \"\(t.name)\"(\(names)) \(keyedByRowid ? "OVERRIDING SYSTEM VALUE " : "")VALUES (\(marks)) \(onConflict)"
            let copied: Int = try target.transaction {
                try target.execute("ALTER TABLE \"\(t.name)\" DISABLE TRIGGER USER")
                var n = 0
                for r in rows { n += try target.run(insert, r) }
                try target.execute("ALTER TABLE \"\(t.name)\" ENABLE TRIGGER USER")
                try PGSchema.moveSequences(t.name, columns: columns + (keyedByRowid ? ["rowid"] : []), in: target)
                return n
            }
            let (sn, ss) = try checksum(source, t.name, list)
            let (tn, ts) = try checksum(target, t.name, list)
            guard sn == tn && ss == ts else {
                throw OlleeyError.invalid("table \(t.name) differs after the copy: \(sn) rows here, \(tn) in \(target.path)\(sn == tn ? " (same count, different contents)" : "")",
                                          hint: "the workspace still uses its SQLite store; rows that were in the target before (another workspace's?) cause this: migrate into an empty database")
            }
            progress("\(t.name): \(sn) row\(sn == 1 ? "" : "s")\(copied < sn ? " (\(sn - copied) already there)" : "")")
            out.append(Table(name: t.name, rows: sn, copied: copied, checksum: ss))
        }
        return out
    }

    /// A table's row count and checksum: each row's values in a canonical text form, hashed;
    /// the digests sorted and hashed together.
    static func checksum(_ db: Database, _ table: String, _ columns: String) throws -> (Int, String) {
        var digests = try db.query("SELECT \(columns) FROM \"\(table)\"") { r -> String in
            var s = ""
            for i in 0..<r.columnCount {
                switch r.value(i) {
                case .null: s += "n;"
                case let .int(x): s += "i\(x);"
                case let .double(x): s += "d\(x);"
                case let .text(t): s += "t\(t.utf8.count):\(t);"
                case let .blob(b): s += "b\(Hex.encode(b));"
                }
            }
            return Digest.sha256(Array(s.utf8))
        }
        digests.sort()
        return (digests.count, Digest.sha256(Array(digests.joined(separator: "\n").utf8)))
    }
}
