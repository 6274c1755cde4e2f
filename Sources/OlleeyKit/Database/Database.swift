import CSQLite
import Foundation

/// One SQLite connection: WAL, foreign keys on, a busy timeout, and a cache of prepared
/// statements. A connection is used by one thread at a time; open one per worker thread.
public final class Database: @unchecked Sendable {
    public let path: String
    @usableFromInline let handle: OpaquePointer
    private var cache: [String: Statement] = [:]
    // The statements used last, looked at before `cache`: a store runs the same few statements
    // in turn, and comparing its SQL with `==` (the same literal: one comparison of the string's
    // bits) costs a fraction of hashing it for the dictionary.
    private var recent: (Statement?, Statement?, Statement?, Statement?) = (nil, nil, nil, nil)
    private var recentNext = 0
    private var transactionDepth = 0

    public struct Options: Sendable {
        public var readOnly = false
        public var create = true
        public var busyTimeoutMs: Int32 = 5000
        public var wal = true
        /// Read-only, and promise SQLite that nobody changes the file while it is open: no lock,
        /// no `-shm` file, the `-wal` file ignored. Only for a database no process writes (an
        /// archive, a read-only mount) whose WAL was checkpointed (`Workspace.openForReading`).
        public var immutable = false
        public init() {}
    }

    public init(path: String, options: Options = Options()) throws {
        self.path = path
        var flags = SQLITE_OPEN_NOMUTEX
        var name = path
        if options.readOnly || options.immutable { flags |= SQLITE_OPEN_READONLY } else {
            flags |= SQLITE_OPEN_READWRITE
            if options.create { flags |= SQLITE_OPEN_CREATE }
        }
        if options.immutable {
            flags |= SQLITE_OPEN_URI
            let escaped = path.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "?#%"))) ?? path
            name = "file:" + escaped + "?immutable=1"
        }
        var db: OpaquePointer?
        let rc = sqlite3_open_v2(name, &db, flags, nil)
        guard rc == SQLITE_OK, let db else {
            let msg = db.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            if let db { sqlite3_close_v2(db) }
            throw DatabaseError(ResultCode(rawValue: rc), message: msg, path: path)
        }
        handle = db
        sqlite3_extended_result_codes(db, 1)
        sqlite3_busy_timeout(db, options.busyTimeoutMs)
        do {
            // The first read of the schema tells a non-database file from a database.
            try execute("PRAGMA foreign_keys = ON")
            if options.wal && !options.readOnly && !options.immutable {
                let mode = try scalarText("PRAGMA journal_mode = WAL")
                if mode?.lowercased() != "wal" && path != ":memory:" {
                    throw OlleeyError.config("could not switch \(path) to WAL mode (got \(mode ?? "nothing"))")
                }
                try execute("PRAGMA synchronous = NORMAL")
            }
            _ = try scalarInt("SELECT count(*) FROM sqlite_master")
        } catch {
            recent = (nil, nil, nil, nil)
            cache.removeAll()
            sqlite3_close_v2(db)
            throw error
        }
    }

    deinit {
        recent = (nil, nil, nil, nil)
        cache.removeAll()
        sqlite3_close_v2(handle)
    }

    // MARK: executing

    /// Runs one or more SQL statements without results.
    public func execute(_ sql: String) throws {
        var err: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(handle, sql, nil, nil, &err)
        if rc != SQLITE_OK {
            let msg = err.map { String(cString: $0) } ?? String(cString: sqlite3_errmsg(handle))
            sqlite3_free(err)
            throw error(rc, sql: sql, message: msg)
        }
    }

    /// A cached prepared statement for `sql`, reset and with bindings cleared.
    @usableFromInline
    func cachedStatement(_ sql: String) throws -> Statement { try cached(sql) }

    public func cached(_ sql: String) throws -> Statement {
        let s = try statement(sql)
        s.reset()
        // the caller steps and resets it as it likes: the next use resets it first
        s.lookupState[2] = 1
        return s
    }

    /// The cached statement for `sql`, ready to bind every parameter and step: reset when a
    /// previous use did not finish (`Statement.checkOut()`), its old bindings left in place (`Statement.bind(_:)`
    /// replaces all of them). The fetch and run methods end each use with `Statement.finish()`.
    @usableFromInline
    func statement(_ sql: String) throws -> Statement {
        let s: Statement
        if let r = recent.0, r.sql == sql { s = r }
        else if let r = recent.1, r.sql == sql { s = r }
        else if let r = recent.2, r.sql == sql { s = r }
        else if let r = recent.3, r.sql == sql { s = r }
        else {
            if let c = cache[sql] { s = c } else {
                s = try Statement(connection: self, sql: sql)
                cache[sql] = s
            }
            switch recentNext {
            case 0: recent.0 = s
            case 1: recent.1 = s
            case 2: recent.2 = s
            default: recent.3 = s
            }
            recentNext = (recentNext + 1) & 3
        }
        s.checkOut()
        return s
    }

    /// A new prepared statement (not cached).
    public func prepare(_ sql: String) throws -> Statement { try Statement(connection: self, sql: sql) }

    /// Runs a statement that changes data; returns the number of changed rows.
    @discardableResult
    public func run(_ sql: String, _ args: [SQLValue] = []) throws -> Int {
        let s = try statement(sql)
        defer { s.finish() }
        try s.bind(args)
        while try s.step() {}
        return Int(sqlite3_changes(handle))
    }

    @discardableResult
    public func run(_ sql: String, _ args: SQLBindable...) throws -> Int {
        try run(sql, args.map(\.sqlValue))
    }

    /// Maps every row of a query.
    @inlinable
    public func query<T>(_ sql: String, _ args: [SQLValue] = [], _ map: (Row) throws -> T) throws -> [T] {
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
                out.append(try map(row))
                continue
            }
            if rc == SQLITE_DONE { return out }
            throw error(rc, sql: sql, arguments: args.count)
        }
    }

    /// The first row of a query, mapped, or nil.
    @inlinable
    public func queryOne<T>(_ sql: String, _ args: [SQLValue] = [], _ map: (Row) throws -> T) throws -> T? {
        let s = try statement(sql)
        defer { s.finish() }
        try s.bind(args)
        if try s.step() { return try map(Row(statement: s)) }
        return nil
    }

    public func scalarInt(_ sql: String, _ args: [SQLValue] = []) throws -> Int64? {
        try queryOne(sql, args) { $0.isNull(0) ? nil : $0.int64(0) } ?? nil
    }

    public func scalarText(_ sql: String, _ args: [SQLValue] = []) throws -> String? {
        try queryOne(sql, args) { $0.isNull(0) ? nil : $0.string(0) } ?? nil
    }

    public var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }
    public var changes: Int { Int(sqlite3_changes(handle)) }

    // MARK: transactions

    public enum TransactionKind: String, Sendable { case deferred = "DEFERRED", immediate = "IMMEDIATE", exclusive = "EXCLUSIVE" }

    /// Runs `body` in a transaction (`BEGIN IMMEDIATE` by default, so writers queue at the start
    /// rather than failing at commit). Nested calls use savepoints. Rolls back on any error.
    public func transaction<T>(_ kind: TransactionKind = .immediate, _ body: () throws -> T) throws -> T {
        if transactionDepth > 0 {
            let name = "sp\(transactionDepth)"
            try execute("SAVEPOINT \(name)")
            transactionDepth += 1
            defer { transactionDepth -= 1 }
            do {
                let r = try body()
                try execute("RELEASE \(name)")
                return r
            } catch {
                try? execute("ROLLBACK TO \(name)")
                try? execute("RELEASE \(name)")
                throw error
            }
        }
        try execute("BEGIN \(kind.rawValue)")
        transactionDepth = 1
        defer { transactionDepth = 0 }
        do {
            let r = try body()
            try execute("COMMIT")
            return r
        } catch {
            if sqlite3_get_autocommit(handle) == 0 { try? execute("ROLLBACK") }
            throw error
        }
    }

    public var isInTransaction: Bool { sqlite3_get_autocommit(handle) == 0 }

    // MARK: errors

    /// The failure SQLite just reported on this connection, with the statement that failed.
    @usableFromInline
    func error(_ rc: Int32, sql: String?, arguments: Int = 0, message: String? = nil) -> DatabaseError {
        DatabaseError(ResultCode(rawValue: rc), message: message ?? String(cString: sqlite3_errmsg(handle)),
                      sql: sql, argumentsCount: arguments, path: path)
    }
}
