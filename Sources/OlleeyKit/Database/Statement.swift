import CPostgreSQL
import CSQLite

/// A prepared statement. Bind, step, read columns through `Row`.
public final class Statement: @unchecked Sendable {
    @usableFromInline unowned let connection: Database
    /// The SQLite statement (nil on PostgreSQL, where the statement is prepared by its connection
    /// and this object keeps the column names and the result being read).
    @usableFromInline let handle: OpaquePointer?
    /// PostgreSQL: the result whose rows are being read.
    var pgResult: PGResult?
    public let sql: String
    /// How many arguments were bound last, for errors.
    @usableFromInline var argumentsCount = 0

    // Column names resolved once per prepared statement (see `columnIndex(_:)`). The per-row
    // cache lives in fixed buffers allocated with the statement: `let` pointers, so reading a
    // column by name pays no exclusivity check (a class's `var` would, on every access).
    @usableFromInline var columnsByName: [String: Int]?
    @usableFromInline let lookupCapacity: Int
    /// [0]: the position in the current row's reading order; [1]: how many slots are filled;
    /// [2]: 1 while the statement is handed out (it may be running: reset before reuse).
    @usableFromInline let lookupState: UnsafeMutablePointer<Int>
    @usableFromInline let lookupKeys: UnsafeMutablePointer<UnsafeRawPointer?>
    @usableFromInline let lookupIndexes: UnsafeMutablePointer<Int>

    convenience init(connection: Database, sql: String) throws {
        var stmt: OpaquePointer?
        let rc = sqlite3_prepare_v3(connection.handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &stmt, nil)
        guard rc == SQLITE_OK, let stmt else { throw connection.error(rc, sql: sql) }
        // a decoder may read a column twice; reads past the capacity use the map
        self.init(connection: connection, sql: sql, handle: stmt, lookupCapacity: 2 * Int(sqlite3_column_count(stmt)) + 4)
    }

    /// A PostgreSQL statement's column bookkeeping (no SQLite statement; its columns are known
    /// only from its results: room for 64, more use the map).
    convenience init(postgres connection: Database, sql: String) {
        self.init(connection: connection, sql: sql, handle: nil, lookupCapacity: 132)
    }

    private init(connection: Database, sql: String, handle: OpaquePointer?, lookupCapacity: Int) {
        self.connection = connection
        self.sql = sql
        self.handle = handle
        self.lookupCapacity = lookupCapacity
        lookupState = .allocate(capacity: 3)
        lookupState.initialize(repeating: 0, count: 3)
        lookupKeys = .allocate(capacity: lookupCapacity)
        lookupKeys.initialize(repeating: nil, count: lookupCapacity)
        lookupIndexes = .allocate(capacity: lookupCapacity)
        lookupIndexes.initialize(repeating: 0, count: lookupCapacity)
    }

    deinit {
        if let handle { sqlite3_finalize(handle) }
        lookupState.deallocate()
        lookupKeys.deallocate()
        lookupIndexes.deallocate()
    }

    /// Starts a row's reading order (`columnIndex(_:)`) at position 0.
    @inlinable @inline(__always)
    func startRow() { lookupState[0] = 0 }

    public func reset() {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
        lookupState[2] = 0
    }

    /// Ends a use of the statement (its read transaction, its locks) and keeps its bindings for
    /// the next `bind(_:)` to replace: what the fetch and run methods do after each use.
    @inlinable @inline(__always)
    func finish() {
        sqlite3_reset(handle)
        lookupState[2] = 0
    }

    /// Takes the statement for a use: reset first when an earlier use did not finish.
    @inline(__always)
    func checkOut() {
        if lookupState[2] != 0 { sqlite3_reset(handle) }
        lookupState[2] = 1
    }

    public var parameterCount: Int { Int(sqlite3_bind_parameter_count(handle)) }

    public func bind(_ args: [SQLValue]) throws {
        argumentsCount = args.count
        guard args.count == parameterCount else {
            throw DatabaseError(.SQLITE_MISUSE, message: "the statement expects \(parameterCount) arguments, got \(args.count)",
                                sql: sql, argumentsCount: args.count, path: connection.path)
        }
        var i: Int32 = 1
        for v in args {
            try bind(v, at: i)
            i &+= 1
        }
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
        if rc != SQLITE_OK { throw connection.error(rc, sql: sql, arguments: argumentsCount) }
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
        if rc == SQLITE_ROW { startRow(); return true }
        if rc == SQLITE_DONE { return false }
        let err = connection.error(rc, sql: sql, arguments: argumentsCount)
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

    /// The names of the result's columns, in order.
    func columnNames() -> [String] {
        if handle == nil {
            guard let r = pgResult?.handle else { return [] }
            return (0..<olleey_PQnfields(r)).map { String(cString: olleey_PQfname(r, $0)) }
        }
        return (0..<sqlite3_column_count(handle)).map { sqlite3_column_name(handle, $0).map { String(cString: $0) } ?? "" }
    }

    // MARK: columns by name

    /// Names are resolved once per prepared statement: the first lookup of a name builds a
    /// name -> index map, and each lookup is then remembered by its position in the row's
    /// reading order (the n-th name a decoder asks for), keyed by the address of its static
    /// string, so reading a row the way the previous row was read costs one pointer comparison
    /// per column (`Row.columnIndex(_:)`). A decoder that reads in another order, or a name that
    /// is not static, falls back to the map here. `step()` (and `Database.query`) start each row
    /// at position 0.
    @usableFromInline
    func resolveColumn(_ name: StaticString, slot k: Int) throws -> Int {
        let i = try columnIndex(named: name.description)
        let key = name.hasPointerRepresentation ? UnsafeRawPointer(name.utf8Start) : nil
        if k < lookupState[1] {
            lookupKeys[k] = key
            lookupIndexes[k] = i
        } else if k == lookupState[1] && k < lookupCapacity {
            lookupKeys[k] = key
            lookupIndexes[k] = i
            lookupState[1] = k + 1
        }
        return i
    }

    /// The index of the column `name` (the leftmost when two have it), from the map built once.
    public func columnIndex(named name: String) throws -> Int {
        let map: [String: Int]
        if let m = columnsByName { map = m } else {
            var m: [String: Int] = [:]
            for (i, s) in columnNames().enumerated() where m[s] == nil { m[s] = i }
            columnsByName = m
            map = m
        }
        guard let i = map[name] else {
            throw DatabaseError(.SQLITE_RANGE, message: "no column named '\(name)' in the results (columns: \(map.sorted { $0.value < $1.value }.map(\.key).joined(separator: ", ")))",
                                sql: sql, argumentsCount: argumentsCount, path: connection.path)
        }
        return i
    }
}
