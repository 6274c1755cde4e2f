import CSQLite

/// A prepared statement. Bind, step, read columns through `Row`.
public final class Statement: @unchecked Sendable {
    @usableFromInline unowned let connection: Database
    @usableFromInline let handle: OpaquePointer
    public let sql: String

    init(connection: Database, sql: String) throws {
        self.connection = connection
        self.sql = sql
        var stmt: OpaquePointer?
        let rc = sqlite3_prepare_v3(connection.handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &stmt, nil)
        guard rc == SQLITE_OK, let stmt else { throw connection.error(rc, sql: sql) }
        handle = stmt
    }

    deinit { sqlite3_finalize(handle) }

    public func reset() {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
    }

    public var parameterCount: Int { Int(sqlite3_bind_parameter_count(handle)) }

    public func bind(_ args: [SQLValue]) throws {
        guard args.count == parameterCount else {
            throw OlleeyError.failure("statement expects \(parameterCount) arguments, got \(args.count): \(sql.prefix(120))")
        }
        for (i, v) in args.enumerated() { try bind(v, at: Int32(i + 1)) }
    }

    @inline(__always)
    public func bind(_ v: SQLValue, at i: Int32) throws {
        let rc: Int32
        switch v {
        case .null: rc = sqlite3_bind_null(handle, i)
        case let .int(x): rc = sqlite3_bind_int64(handle, i, x)
        case let .double(x): rc = sqlite3_bind_double(handle, i, x)
        case let .text(s): rc = bindText(s, at: i)
        case let .blob(b):
            rc = b.withUnsafeBytes { sqlite3_bind_blob64(handle, i, $0.baseAddress, sqlite3_uint64($0.count), olleey_sqlite_transient()) }
        }
        if rc != SQLITE_OK { throw connection.error(rc, sql: sql) }
    }

    @inline(__always)
    public func bind(_ x: Int64, at i: Int32) { sqlite3_bind_int64(handle, i, x) }
    @inline(__always)
    public func bind(_ x: Double, at i: Int32) { sqlite3_bind_double(handle, i, x) }
    @inline(__always)
    public func bind(_ s: String, at i: Int32) { _ = bindText(s, at: i) }

    @inline(__always)
    private func bindText(_ s: String, at i: Int32) -> Int32 {
        var s = s
        return s.withUTF8 { buf -> Int32 in
            guard buf.count > 0 else { return sqlite3_bind_text(handle, i, "", 0, olleey_sqlite_static()) }
            return buf.withMemoryRebound(to: CChar.self) { c in
                sqlite3_bind_text64(handle, i, c.baseAddress, sqlite3_uint64(c.count), olleey_sqlite_transient(), UInt8(SQLITE_UTF8))
            }
        }
    }

    /// Advances; true when a row is available.
    @inlinable
    public func step() throws -> Bool {
        let rc = sqlite3_step(handle)
        if rc == SQLITE_ROW { return true }
        if rc == SQLITE_DONE { return false }
        let err = connection.error(rc, sql: sql)
        sqlite3_reset(handle)
        throw err
    }

    /// Binds, runs to completion, resets. For inserts and updates in a loop.
    public func execute(_ args: [SQLValue]) throws {
        sqlite3_reset(handle)
        try bind(args)
        defer { sqlite3_reset(handle) }
        while try step() {}
    }

    public var row: Row { Row(statement: self) }
}

/// A view of the current row of a statement. Valid until the next step.
public struct Row {
    @usableFromInline let stmt: OpaquePointer

    @inlinable init(statement: Statement) { stmt = statement.handle }

    public var columnCount: Int { Int(sqlite3_column_count(stmt)) }

    public func columnName(_ i: Int) -> String { String(cString: sqlite3_column_name(stmt, Int32(i))) }

    @inlinable public func isNull(_ i: Int) -> Bool { sqlite3_column_type(stmt, Int32(i)) == SQLITE_NULL }
    @inlinable public func int64(_ i: Int) -> Int64 { sqlite3_column_int64(stmt, Int32(i)) }
    @inlinable public func int(_ i: Int) -> Int { Int(sqlite3_column_int64(stmt, Int32(i))) }
    @inlinable public func double(_ i: Int) -> Double { sqlite3_column_double(stmt, Int32(i)) }
    @inlinable public func bool(_ i: Int) -> Bool { sqlite3_column_int64(stmt, Int32(i)) != 0 }

    @inlinable
    public func string(_ i: Int) -> String {
        guard let p = sqlite3_column_text(stmt, Int32(i)) else { return "" }
        let n = Int(sqlite3_column_bytes(stmt, Int32(i)))
        return String(decoding: UnsafeBufferPointer(start: p, count: n), as: UTF8.self)
    }

    @inlinable public func optionalString(_ i: Int) -> String? { isNull(i) ? nil : string(i) }
    @inlinable public func optionalInt64(_ i: Int) -> Int64? { isNull(i) ? nil : int64(i) }
    @inlinable public func optionalDouble(_ i: Int) -> Double? { isNull(i) ? nil : double(i) }

    public func blob(_ i: Int) -> [UInt8] {
        let n = Int(sqlite3_column_bytes(stmt, Int32(i)))
        guard n > 0, let p = sqlite3_column_blob(stmt, Int32(i)) else { return [] }
        return Array(UnsafeRawBufferPointer(start: p, count: n))
    }

    public func value(_ i: Int) -> SQLValue {
        switch sqlite3_column_type(stmt, Int32(i)) {
        case SQLITE_INTEGER: return .int(int64(i))
        case SQLITE_FLOAT: return .double(double(i))
        case SQLITE_TEXT: return .text(string(i))
        case SQLITE_BLOB: return .blob(blob(i))
        default: return .null
        }
    }
}
