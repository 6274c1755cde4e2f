import CSQLite
import Foundation

/// One SQLite connection: WAL, foreign keys on, a busy timeout, and a cache of prepared
/// statements. A connection is used by one thread at a time; open one per worker thread.
public final class Database: @unchecked Sendable {
    public let path: String
    @usableFromInline let handle: OpaquePointer
    private var cache: [String: Statement] = [:]
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
            throw DatabaseError(resultCode: rc, message: msg, sql: nil, path: path).olleeyError
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
            cache.removeAll()
            sqlite3_close_v2(db)
            throw error
        }
    }

    deinit {
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
        if let s = cache[sql] {
            s.reset()
            return s
        }
        let s = try Statement(connection: self, sql: sql)
        cache[sql] = s
        return s
    }

    /// A new prepared statement (not cached).
    public func prepare(_ sql: String) throws -> Statement { try Statement(connection: self, sql: sql) }

    /// Runs a statement that changes data; returns the number of changed rows.
    @discardableResult
    public func run(_ sql: String, _ args: [SQLValue] = []) throws -> Int {
        let s = try cached(sql)
        try s.bind(args)
        defer { s.reset() }
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
        let s = try cached(sql)
        try s.bind(args)
        defer { s.reset() }
        var out: [T] = []
        let row = Row(statement: s)
        let h = s.handle
        while true {
            let rc = sqlite3_step(h)
            if rc == SQLITE_ROW { out.append(try map(row)); continue }
            if rc == SQLITE_DONE { return out }
            throw error(rc, sql: sql)
        }
    }

    /// The first row of a query, mapped, or nil.
    @inlinable
    public func queryOne<T>(_ sql: String, _ args: [SQLValue] = [], _ map: (Row) throws -> T) throws -> T? {
        let s = try cached(sql)
        try s.bind(args)
        defer { s.reset() }
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

    @usableFromInline
    func error(_ rc: Int32, sql: String?, message: String? = nil) -> OlleeyError {
        DatabaseError(resultCode: rc, message: message ?? String(cString: sqlite3_errmsg(handle)), sql: sql, path: path).olleeyError
    }
}

/// A SQLite failure with its result code, message and statement, and its mapping to OlleeyError.
public struct DatabaseError: Error, Sendable, CustomStringConvertible {
    public var resultCode: Int32
    public var message: String
    public var sql: String?
    public var path: String?

    public var primaryCode: Int32 { resultCode & 0xFF }

    public var description: String {
        var d = "SQLite error \(resultCode): \(message)"
        if let sql { d += " (in: \(sql.prefix(200)))" }
        return d
    }

    public var olleeyError: OlleeyError {
        let file = path.map { ($0 as NSString).lastPathComponent } ?? "database"
        switch primaryCode {
        case SQLITE_CONSTRAINT:
            if resultCode == 2067 /* SQLITE_CONSTRAINT_UNIQUE */ || resultCode == 1555 /* SQLITE_CONSTRAINT_PRIMARYKEY */ {
                return OlleeyError(.alreadyExists, "already exists (\(message))")
            }
            return OlleeyError(.invalid, "invalid data (\(message))")
        case SQLITE_BUSY, SQLITE_LOCKED:
            return OlleeyError(.busy, "the workspace database is busy (\(message))",
                               hint: "another olleey process holds a write lock; retry in a moment")
        case SQLITE_NOTADB, SQLITE_CORRUPT:
            return OlleeyError(.config, "\(path ?? file) is not a valid olleey database (\(message))",
                               hint: "restore it from a backup, or move it aside and run 'olleey init'")
        case SQLITE_FULL:
            return OlleeyError(.cannotCreate, "the disk is full: cannot write \(file)")
        case SQLITE_CANTOPEN:
            return OlleeyError(.config, "cannot open \(path ?? file) (\(message))")
        case SQLITE_READONLY, SQLITE_PERM, SQLITE_AUTH:
            return OlleeyError(.cannotCreate, "cannot write \(path ?? file): the workspace is read-only (\(message))",
                               hint: "this command changes the workspace: make .olleey/ writable, or work on a writable copy; reading commands (job list, job show, job outputs, vtt show) work on a read-only workspace")
        case SQLITE_IOERR:
            return OlleeyError(.cannotCreate, "I/O error on \(path ?? file) (\(message))")
        case SQLITE_INTERRUPT:
            return OlleeyError(.interrupted, "interrupted")
        default:
            return OlleeyError(.failure, "database error: \(message)")
        }
    }
}
