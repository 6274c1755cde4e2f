import CPostgreSQL
import CSQLite

/// A view of the current row of a statement. Valid until the next step.
///
/// Read a column by name, typed by what receives it: `let status: String = try row["status"]`,
/// `note = try row["note"]` for a `String?` (NULL -> nil). Names are resolved to indexes once per
/// prepared statement (see `Statement.columnIndex(_:)`); an unknown name throws a `DatabaseError`.
/// Positional reads (`row.string(3)`) remain for ad-hoc queries.
public struct Row {
    /// The SQLite statement (nil for a PostgreSQL row).
    @usableFromInline let stmt: OpaquePointer?
    /// A PostgreSQL row: its result and index (nil for a SQLite row).
    @usableFromInline let pgResult: OpaquePointer?
    @usableFromInline let pgRow: Int32
    // The statement outlives every Row made from it (a Row is only valid while it steps).
    @usableFromInline unowned(unsafe) let statement: Statement
    // The statement's name lookup cache (see `Statement.columnIndex(_:)`), copied here so that
    // the fast path touches no class reference (no retain, no exclusivity check).
    @usableFromInline let lookupState: UnsafeMutablePointer<Int>
    @usableFromInline let lookupKeys: UnsafeMutablePointer<UnsafeRawPointer?>
    @usableFromInline let lookupIndexes: UnsafeMutablePointer<Int>

    @inlinable init(statement: Statement) {
        stmt = statement.handle
        pgResult = nil
        pgRow = 0
        self.statement = statement
        lookupState = statement.lookupState
        lookupKeys = statement.lookupKeys
        lookupIndexes = statement.lookupIndexes
    }

    /// Row `row` of a PostgreSQL result (read as text).
    @usableFromInline init(postgres statement: Statement, result: OpaquePointer?, row: Int32) {
        stmt = nil
        pgResult = result
        pgRow = row
        self.statement = statement
        lookupState = statement.lookupState
        lookupKeys = statement.lookupKeys
        lookupIndexes = statement.lookupIndexes
    }

    /// The index of column `name`: the n-th name read in this row is compared, by address, with
    /// the n-th name read in the previous row; on a miss the statement's map answers.
    @inlinable @inline(__always)
    func columnIndex(_ name: StaticString) throws -> Int {
        let k = lookupState[0]
        lookupState[0] = k &+ 1
        if k < lookupState[1], name.hasPointerRepresentation, lookupKeys[k] == UnsafeRawPointer(name.utf8Start) {
            return lookupIndexes[k]
        }
        return try statement.resolveColumn(name, slot: k)
    }

    /// The column `name`, decoded as `T`.
    @inlinable
    public subscript<T: ColumnDecodable>(_ name: StaticString) -> T {
        @inline(__always) get throws { T.decode(self, at: try columnIndex(name)) }
    }

    /// The column `name` parsed as JSON text: nil when it is NULL or not valid JSON.
    public func json(_ name: StaticString) throws -> JSON? {
        let i = try columnIndex(name)
        return isNull(i) ? nil : try? JSON.parse(string(i))
    }

    /// The column `name` (not a literal), decoded as `T`.
    @inlinable
    public func value<T: ColumnDecodable>(named name: String, as type: T.Type = T.self) throws -> T {
        T.decode(self, at: try statement.columnIndex(named: name))
    }

    public var columnCount: Int { pgResult != nil ? Int(olleey_PQnfields(pgResult)) : Int(sqlite3_column_count(stmt)) }

    public func columnName(_ i: Int) -> String {
        if let r = pgResult { return String(cString: olleey_PQfname(r, Int32(i))) }
        return String(cString: sqlite3_column_name(stmt, Int32(i)))
    }

    @inlinable public func isNull(_ i: Int) -> Bool {
        if pgResult != nil { return pgIsNull(i) }
        return sqlite3_column_type(stmt, Int32(i)) == SQLITE_NULL
    }
    @inlinable public func int64(_ i: Int) -> Int64 {
        if pgResult != nil { return pgInt64(i) }
        return sqlite3_column_int64(stmt, Int32(i))
    }
    @inlinable public func int(_ i: Int) -> Int { Int(int64(i)) }
    @inlinable public func double(_ i: Int) -> Double {
        if pgResult != nil { return pgDouble(i) }
        return sqlite3_column_double(stmt, Int32(i))
    }
    @inlinable public func bool(_ i: Int) -> Bool { int64(i) != 0 }

    /// The text of column `i` ("" for NULL), all its bytes (a NUL inside is kept).
    ///
    /// The column's value is fetched once and its text and length read from it: one call into
    /// the statement instead of two (`sqlite3_column_text` and `sqlite3_column_bytes` each enter
    /// and leave the connection). SQLite calls that value unprotected; olleey opens every
    /// connection NOMUTEX (multi-thread mode), where SQLite makes no difference between
    /// protected and unprotected values (https://sqlite.org/c3ref/value.html).
    @inlinable
    public func string(_ i: Int) -> String {
        if pgResult != nil { return pgString(i) }
        guard let v = sqlite3_column_value(stmt, Int32(i)) else { return "" }
        return Row.text(v)
    }

    @inlinable @inline(__always)
    static func text(_ v: OpaquePointer) -> String {
        guard let p = sqlite3_value_text(v) else { return "" }
        let n = Int(sqlite3_value_bytes(v))
        return String(decoding: UnsafeBufferPointer(start: p, count: n), as: UTF8.self)
    }

    /// The text of column `i`, nil when it is NULL: the column's value fetched once (see
    /// `string(_:)`), then its type and text.
    @inlinable
    public func optionalString(_ i: Int) -> String? {
        if pgResult != nil { return pgIsNull(i) ? nil : pgString(i) }
        guard let v = sqlite3_column_value(stmt, Int32(i)) else { return nil }
        return sqlite3_value_type(v) == SQLITE_NULL ? nil : Row.text(v)
    }
    @inlinable public func optionalInt64(_ i: Int) -> Int64? { isNull(i) ? nil : int64(i) }
    @inlinable public func optionalDouble(_ i: Int) -> Double? { isNull(i) ? nil : double(i) }

    public func blob(_ i: Int) -> [UInt8] {
        if pgResult != nil { return pgBlob(i) }
        let n = Int(sqlite3_column_bytes(stmt, Int32(i)))
        guard n > 0, let p = sqlite3_column_blob(stmt, Int32(i)) else { return [] }
        return Array(UnsafeRawBufferPointer(start: p, count: n))
    }

    public func value(_ i: Int) -> SQLValue {
        if pgResult != nil { return pgValue(i) }
        switch sqlite3_column_type(stmt, Int32(i)) {
        case SQLITE_INTEGER: return .int(int64(i))
        case SQLITE_FLOAT: return .double(double(i))
        case SQLITE_TEXT: return .text(string(i))
        case SQLITE_BLOB: return .blob(blob(i))
        default: return .null
        }
    }

    // MARK: PostgreSQL (results as text)

    @usableFromInline func pgIsNull(_ i: Int) -> Bool { olleey_PQgetisnull(pgResult, pgRow, Int32(i)) == 1 }

    @usableFromInline func pgString(_ i: Int) -> String {
        guard let p = olleey_PQgetvalue(pgResult, pgRow, Int32(i)) else { return "" }
        let n = Int(olleey_PQgetlength(pgResult, pgRow, Int32(i)))
        return p.withMemoryRebound(to: UInt8.self, capacity: n) { String(decoding: UnsafeBufferPointer(start: $0, count: n), as: UTF8.self) }
    }

    /// An integer, a boolean (`t`/`f`, as SQLite's 1/0) or a number with a fraction (truncated,
    /// as SQLite reads a REAL as an integer); 0 for NULL or text.
    @usableFromInline func pgInt64(_ i: Int) -> Int64 {
        let s = pgString(i)
        if let v = Int64(s) { return v }
        if s == "t" { return 1 }
        if s == "f" { return 0 }
        return Double(s).map { $0.isFinite ? Int64($0) : 0 } ?? 0
    }

    @usableFromInline func pgDouble(_ i: Int) -> Double {
        let s = pgString(i)
        if let v = Double(s) { return v }
        return s == "t" ? 1 : 0
    }

    @usableFromInline func pgBlob(_ i: Int) -> [UInt8] {
        guard !pgIsNull(i), let p = olleey_PQgetvalue(pgResult, pgRow, Int32(i)) else { return [] }
        var n = 0
        guard let raw = p.withMemoryRebound(to: UInt8.self, capacity: 1, { olleey_PQunescapeBytea($0, &n) }) else { return [] }
        defer { olleey_PQfreemem(raw) }
        return Array(UnsafeBufferPointer(start: raw, count: n))
    }

    func pgValue(_ i: Int) -> SQLValue {
        if pgIsNull(i) { return .null }
        switch olleey_PQftype(pgResult, Int32(i)) {
        case 20, 21, 23, 16: return .int(pgInt64(i))        // int8, int2, int4, bool
        case 700, 701, 1700: return .double(pgDouble(i))    // float4, float8, numeric
        case 17: return .blob(pgBlob(i))                    // bytea
        default: return .text(pgString(i))
        }
    }
}

/// A value read from a row's column: `String`, `Int`, `Int64`, `Double`, `Bool`, `[UInt8]`,
/// `SQLValue`, and the optional of each (NULL -> nil).
public protocol ColumnDecodable {
    static func decode(_ row: Row, at index: Int) -> Self
    /// The value, or nil when the column is NULL (what `Optional` decodes through).
    static func decodeIfPresent(_ row: Row, at index: Int) -> Self?
}

extension ColumnDecodable {
    /// Asks the column's type, then decodes.
    @inlinable @inline(__always)
    public static func decodeIfPresent(_ row: Row, at i: Int) -> Self? { row.isNull(i) ? nil : decode(row, at: i) }
}

extension String: ColumnDecodable {
    @inlinable @inline(__always) public static func decode(_ row: Row, at i: Int) -> String { row.string(i) }
    @inlinable @inline(__always) public static func decodeIfPresent(_ row: Row, at i: Int) -> String? { row.optionalString(i) }
}
extension Int: ColumnDecodable {
    @inlinable @inline(__always) public static func decode(_ row: Row, at i: Int) -> Int { row.int(i) }
}
extension Int64: ColumnDecodable {
    @inlinable @inline(__always) public static func decode(_ row: Row, at i: Int) -> Int64 { row.int64(i) }
}
extension Double: ColumnDecodable {
    @inlinable @inline(__always) public static func decode(_ row: Row, at i: Int) -> Double { row.double(i) }
}
extension Bool: ColumnDecodable {
    @inlinable @inline(__always) public static func decode(_ row: Row, at i: Int) -> Bool { row.bool(i) }
}
extension Array: ColumnDecodable where Element == UInt8 {
    @inlinable @inline(__always) public static func decode(_ row: Row, at i: Int) -> [UInt8] { row.blob(i) }
}
extension SQLValue: ColumnDecodable {
    @inlinable @inline(__always) public static func decode(_ row: Row, at i: Int) -> SQLValue { row.value(i) }
}
extension Optional: ColumnDecodable where Wrapped: ColumnDecodable {
    @inlinable @inline(__always) public static func decode(_ row: Row, at i: Int) -> Wrapped? { Wrapped.decodeIfPresent(row, at: i) }
}

/// A type built from a row by column names: `init(row:)` reads `try row["id"]`, ... A store
/// fetches it with `db.fetchAll(T.self, sql, args)` / `db.fetchOne(T.self, sql, args)`.
public protocol RowDecodable {
    init(row: Row) throws
}

extension Database {
    /// Every row of a query, decoded.
    @inlinable
    public func fetchAll<T: RowDecodable>(_ type: T.Type, _ sql: String, _ args: [SQLValue] = []) throws -> [T] {
        if pg != nil { return try pgQuery(sql, args) { try T(row: $0) } }
        // the loop of `query`, written out so that `T` is decoded in place (no closure between)
        let s = try statement(sql)
        defer { s.finish() }
        try s.bind(args)
        var out: [T] = []
        let row = Row(statement: s)
        let h = s.handle
        while true {
            let rc = sqlite3_step(h)
            if rc == SQLITE_ROW {
                s.startRow()
                out.append(try T(row: row))
                continue
            }
            if rc == SQLITE_DONE { return out }
            throw error(rc, sql: sql, arguments: args.count)
        }
    }

    /// The first row of a query, decoded, or nil.
    @inlinable
    public func fetchOne<T: RowDecodable>(_ type: T.Type, _ sql: String, _ args: [SQLValue] = []) throws -> T? {
        if pg != nil { return try pgQuery(sql, args, { try T(row: $0) }, limit: 1).first }
        let s = try statement(sql)
        defer { s.finish() }
        try s.bind(args)
        return try s.step() ? T(row: Row(statement: s)) : nil
    }
}
