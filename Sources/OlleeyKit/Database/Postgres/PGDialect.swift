import Foundation

/// What differs between the SQL olleey writes (SQLite's, kept portable: `ON CONFLICT DO NOTHING`,
/// `RETURNING`, ISO-8601 text times) and PostgreSQL's.
///
/// - Statements: `?` parameters become `$1, $2, ...` (outside quotes and comments). The few SQLite
///   functions the stores call (`json_extract`, `json_set`, `julianday`) exist in a PostgreSQL
///   store as SQL functions of the same meaning (`functions`), created with its schema.
/// - Schema: one schema, written once as the SQLite migrations. A PostgreSQL store gets the
///   schema those migrations build, translated (`schema(fromSQLite:)`): `TEXT` compares bytes
///   (`COLLATE "C"`, SQLite's BINARY), `INTEGER` is `BIGINT`,
///   an `INTEGER PRIMARY KEY` an identity column, `REAL` `DOUBLE PRECISION`, `BLOB` `BYTEA`; a
///   table with an implicit rowid gets a `rowid` identity column (a store orders by it); the
///   triggers are rewritten as PL/pgSQL (`triggers`).
enum PGDialect {
    /// `sql` with its `?` parameters numbered (`$1`, `$2`, ...).
    static func statement(_ sql: String) -> String {
        var out = ""
        out.reserveCapacity(sql.utf8.count + 16)
        var n = 0
        var quote: Character? = nil
        var lineComment = false
        var prev: Character = " "
        for c in sql {
            if lineComment {
                out.append(c)
                if c == "\n" { lineComment = false }
            } else if let q = quote {
                out.append(c)
                if c == q { quote = nil }  // a doubled quote closes and reopens: same result
            } else if c == "'" || c == "\"" {
                quote = c
                out.append(c)
            } else if c == "-" && prev == "-" {
                lineComment = true
                out.append(c)
            } else if c == "?" {
                n += 1
                out += "$\(n)"
            } else {
                out.append(c)
            }
            prev = c
        }
        return out
    }

    /// SQLite functions the stores use, as PostgreSQL functions of the same meaning on the JSON
    /// and time text olleey stores.
    static let functions = """
    CREATE OR REPLACE FUNCTION json_extract(doc text, path text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
      SELECT (doc::json) #>> string_to_array(regexp_replace(substr(path, 3), '\\[(\\d+)\\]', '.\\1', 'g'), '.')
    $$;
    CREATE OR REPLACE FUNCTION json(t text) RETURNS json LANGUAGE sql IMMUTABLE AS $$ SELECT t::json $$;
    CREATE OR REPLACE FUNCTION json_set(doc text, path text, value json) RETURNS text LANGUAGE sql IMMUTABLE AS $$
      SELECT jsonb_set(coalesce(doc, '{}')::jsonb, string_to_array(substr(path, 3), '.'), value::jsonb, true)::text
    $$;
    CREATE OR REPLACE FUNCTION julianday(t text) RETURNS double precision LANGUAGE sql IMMUTABLE AS $$
      SELECT extract(epoch FROM t::timestamptz) / 86400.0 + 2440587.5
    $$;
    """

    /// The triggers of the SQLite schema, by name, as PL/pgSQL.
    static let triggers: [String: String] = [
        "job_counts_insert": """
        CREATE OR REPLACE FUNCTION job_counts_insert() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
          INSERT INTO job_counts(org_id, status, n) VALUES (NEW.org_id, NEW.status, 1)
            ON CONFLICT(org_id, status) DO UPDATE SET n = job_counts.n + 1;
          RETURN NULL;
        END $$;
        CREATE TRIGGER job_counts_insert AFTER INSERT ON jobs FOR EACH ROW EXECUTE FUNCTION job_counts_insert();
        """,
        "job_counts_delete": """
        CREATE OR REPLACE FUNCTION job_counts_delete() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
          UPDATE job_counts SET n = n - 1 WHERE org_id = OLD.org_id AND status = OLD.status;
          RETURN NULL;
        END $$;
        CREATE TRIGGER job_counts_delete AFTER DELETE ON jobs FOR EACH ROW EXECUTE FUNCTION job_counts_delete();
        """,
        "job_counts_update": """
        CREATE OR REPLACE FUNCTION job_counts_update() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
          UPDATE job_counts SET n = n - 1 WHERE org_id = OLD.org_id AND status = OLD.status;
          INSERT INTO job_counts(org_id, status, n) VALUES (NEW.org_id, NEW.status, 1)
            ON CONFLICT(org_id, status) DO UPDATE SET n = job_counts.n + 1;
          RETURN NULL;
        END $$;
        CREATE TRIGGER job_counts_update AFTER UPDATE OF status, org_id ON jobs FOR EACH ROW
          WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.org_id IS DISTINCT FROM NEW.org_id) EXECUTE FUNCTION job_counts_update();
        """,
    ]

    /// One object of the SQLite schema (`sqlite_master`).
    struct Object {
        var type: String
        var name: String
        var table: String
        var sql: String
    }

    /// The PostgreSQL DDL for a SQLite schema: functions, then tables (each after the tables it
    /// references), then indexes and triggers. Fails on a trigger it has no translation for.
    static func schema(fromSQLite objects: [Object]) throws -> [String] {
        var out = [functions]
        out += try tables(objects).map { table($0.sql) }
        for o in objects where o.type == "index" { out.append(o.sql) }
        for o in objects where o.type == "trigger" {
            guard let t = triggers[o.name] else { throw OlleeyError.failure("no PostgreSQL translation of the trigger \(o.name)") }
            out.append(t)
        }
        return out
    }

    /// The tables of a SQLite schema, each after the tables it references (PostgreSQL checks a
    /// reference when the table is created; a copy fills parents first).
    static func tables(_ objects: [Object]) throws -> [Object] {
        let tables = objects.filter { $0.type == "table" && !$0.name.hasPrefix("sqlite_") }
        let names = Set(tables.map(\.name))
        var done: Set<String> = [], out: [Object] = [], pending = tables
        while !pending.isEmpty {
            let before = pending.count
            pending.removeAll { t in
                guard references(t.sql).allSatisfy({ $0 == t.name || done.contains($0) || !names.contains($0) }) else { return false }
                out.append(t)
                done.insert(t.name)
                return true
            }
            if pending.count == before {
                throw OlleeyError.failure("the schema's tables reference each other in a cycle: \(pending.map(\.name).joined(separator: ", "))")
            }
        }
        return out
    }

    /// SQLite's column types as PostgreSQL's (whole words, outside quotes); an `INTEGER PRIMARY
    /// KEY` (SQLite's rowid) is translated before this, by `table`.
    static let columnTypes: [(String, String)] = [
        ("INTEGER", "BIGINT"), ("REAL", "DOUBLE PRECISION"), ("BLOB", "BYTEA"),
        // SQLite compares text byte by byte (BINARY): so does the "C" collation
        ("TEXT", "TEXT COLLATE \"C\""),
    ]

    /// The tables a CREATE TABLE references.
    static func references(_ sql: String) -> [String] {
        var out: [String] = []
        var rest = Substring(sql)
        while let r = rest.range(of: "REFERENCES", options: .caseInsensitive) {
            rest = rest[r.upperBound...]
            let name = rest.drop { $0 == " " || $0 == "\"" }.prefix { $0.isLetter || $0.isNumber || $0 == "_" }
            out.append(String(name))
        }
        return out
    }

    /// A CREATE TABLE translated.
    static func table(_ sql: String) -> String {
        var s = sql
        let withoutRowid = s.range(of: "WITHOUT ROWID", options: .caseInsensitive) != nil
        if let r = s.range(of: "WITHOUT ROWID", options: [.caseInsensitive, .backwards]) { s.removeSubrange(r) }
        let hasIntegerKey = s.range(of: "INTEGER PRIMARY KEY", options: .caseInsensitive) != nil
        s = replacingWords(s, [("INTEGER PRIMARY KEY", "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY")] + columnTypes)
        s = s.trimmingCharacters(in: .whitespacesAndNewlines)
        if !withoutRowid && !hasIntegerKey, let close = s.lastIndex(of: ")") {
            s.replaceSubrange(close...close, with: ",\n  rowid BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE)")
        }
        return s
    }

    /// Replaces whole words (outside quotes), longest pattern first at each position.
    static func replacingWords(_ s: String, _ pairs: [(String, String)]) -> String {
        let chars = Array(s)
        var out = ""
        var i = 0
        var quote: Character? = nil
        func isWord(_ c: Character) -> Bool { c.isLetter || c.isNumber || c == "_" }
        outer: while i < chars.count {
            let c = chars[i]
            if let q = quote {
                out.append(c); i += 1
                if c == q { quote = nil }
                continue
            }
            if c == "'" || c == "\"" { quote = c; out.append(c); i += 1; continue }
            if i == 0 || !isWord(chars[i - 1]) {
                for (from, to) in pairs {
                    let f = Array(from)
                    if i + f.count <= chars.count,
                       String(chars[i..<(i + f.count)]).uppercased() == from,
                       i + f.count == chars.count || !isWord(chars[i + f.count]) {
                        out += to
                        i += f.count
                        continue outer
                    }
                }
            }
            out.append(c); i += 1
        }
        return out
    }
}
