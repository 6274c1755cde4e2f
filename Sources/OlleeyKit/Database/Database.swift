import CSQLite
import Foundation

/// One connection to the workspace's store: SQLite (WAL, foreign keys on, a busy timeout), or
/// PostgreSQL (`init(postgres:)`: the same API, the statements translated by `PGDialect`), with
/// a cache of prepared statements. A connection is used by one thread at a time; open one per
/// worker thread.
public final class Database: @unchecked Sendable {
    /// The database file, or the PostgreSQL URL with its password hidden.
    public let path: String
    /// The SQLite connection (nil for PostgreSQL).
    @usableFromInline let handle: OpaquePointer?
    /// The PostgreSQL connection (nil for SQLite).
    @usableFromInline let pg: PGConnection?
    /// The SQL of a statement -> its PostgreSQL text.
    private var pgText: [String: String] = [:]
    private var pgChanges = 0
    private var cache: [String: Statement] = [:]
    // The statements used last, looked at before `cache`: a store runs the same few statements
    // in turn, and comparing its SQL with `==` (the same literal: one comparison of the string's
    // bits) costs a fraction of hashing it for the dictionary.
    private var recent: (Statement?, Statement?, Statement?, Statement?) = (nil, nil, nil, nil)
    private var recentNext = 0
    /// BEGIN DEFERRED, BEGIN IMMEDIATE, BEGIN EXCLUSIVE and COMMIT, each prepared at first use.
    private var transactionStatements: [Statement?] = [nil, nil, nil, nil]
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

    /// SQLite's process-wide settings (`olleey_sqlite_configure`), once, before any connection.
    private static let configured: Int32 = olleey_sqlite_configure()

    public init(path: String, options: Options = Options()) throws {
        self.path = path
        _ = Database.configured
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
        pg = nil
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
            transactionStatements.removeAll()
            sqlite3_close_v2(db)
            throw error
        }
    }

    /// A connection to a PostgreSQL store (`postgres://user:password@host:port/database`).
    /// `busyTimeoutMs`: how long a statement waits for a lock before it fails as busy.
    public init(postgres url: String, busyTimeoutMs: Int32 = 5000) throws {
        let c = try PGConnection(url: url, lockTimeoutMs: busyTimeoutMs)
        path = c.displayURL
        handle = nil
        pg = c
    }

    deinit {
        recent = (nil, nil, nil, nil)
        cache.removeAll()
        transactionStatements.removeAll()
        if let handle { sqlite3_close_v2(handle) }
    }

    /// True when this is a connection to a PostgreSQL store.
    public var isPostgres: Bool { pg != nil }

    /// A new connection to the same database (another thread's), with a short busy timeout on
    /// SQLite: for work that must never wait long (progress events).
    public func another(busyTimeoutMs: Int32 = 250) throws -> Database {
        if let pg { return try Database(postgres: pg.url, busyTimeoutMs: busyTimeoutMs) }
        var o = Options()
        o.create = false
        o.busyTimeoutMs = busyTimeoutMs
        return try Database(path: path, options: o)
    }

    // MARK: executing

    /// Runs one or more SQL statements without results.
    public func execute(_ sql: String) throws {
        if let pg {
            try pgReconnectIfIdle(pg)
            try pg.exec(sql)
            return
        }
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
        if pg != nil { throw DatabaseError(.SQLITE_MISUSE, message: "Database.cached is SQLite's statement API; on PostgreSQL use run, query and fetch", sql: sql, path: path) }
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
    public func prepare(_ sql: String) throws -> Statement {
        if pg != nil { throw DatabaseError(.SQLITE_MISUSE, message: "Database.prepare is SQLite's statement API; on PostgreSQL use run, query and fetch", sql: sql, path: path) }
        return try Statement(connection: self, sql: sql)
    }

    /// Runs a statement that changes data; returns the number of changed rows.
    @discardableResult
    public func run(_ sql: String, _ args: [SQLValue] = []) throws -> Int {
        if pg != nil { return try pgRun(sql, args) }
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
        if pg != nil { return try pgQuery(sql, args, map) }
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

    /// Hands every row of a query to `body` as it is read, keeping none (`query` without its
    /// array: for rows written straight out).
    @inlinable
    public func forEach(_ sql: String, _ args: [SQLValue] = [], _ body: (Row) throws -> Void) throws {
        if pg != nil { _ = try pgQuery(sql, args, body); return }
        let s = try statement(sql)
        defer { s.finish() }
        try s.bind(args)
        let row = Row(statement: s)
        let h = s.handle
        while true {
            let rc = sqlite3_step(h)
            if rc == SQLITE_ROW {
                s.startRow()
                try body(row)
                continue
            }
            if rc == SQLITE_DONE { return }
            throw error(rc, sql: sql, arguments: args.count)
        }
    }

    /// The first row of a query, mapped, or nil.
    @inlinable
    public func queryOne<T>(_ sql: String, _ args: [SQLValue] = [], _ map: (Row) throws -> T) throws -> T? {
        if pg != nil { return try pgQuery(sql, args, map, limit: 1).first }
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

    /// The rowid of the last row this connection inserted (SQLite). On PostgreSQL, the last
    /// value of a sequence this session used (`lastval()`); stores use `INSERT ... RETURNING id`.
    public var lastInsertRowID: Int64 {
        if pg != nil { return (try? scalarInt("SELECT lastval()")) ?? 0 ?? 0 }
        return sqlite3_last_insert_rowid(handle)
    }
    public var changes: Int { pg != nil ? pgChanges : Int(sqlite3_changes(handle)) }

    // MARK: transactions

    public enum TransactionKind: String, Sendable {
        case deferred = "DEFERRED", immediate = "IMMEDIATE", exclusive = "EXCLUSIVE"
        var begin: String { "BEGIN " + rawValue }
        /// Its BEGIN's place in `transactionStatements`.
        var slot: Int { self == .deferred ? 0 : self == .immediate ? 1 : 2 }
    }

    /// Runs a transaction-control statement (`BEGIN ...`, `COMMIT`) from its prepared
    /// statement, prepared at first use: `execute` (sqlite3_exec) would parse it every time,
    /// twice per transaction (a read of the server's jobs page is one).
    private func control(_ sql: String, _ prepared: inout Statement?) throws {
        if prepared == nil { prepared = try Statement(connection: self, sql: sql) }
        guard let h = prepared?.handle else { return try execute(sql) }
        let rc = sqlite3_step(h)
        if rc == SQLITE_DONE || rc == SQLITE_ROW { sqlite3_reset(h); return }
        let e = error(rc, sql: sql)
        sqlite3_reset(h)
        throw e
    }

    /// Runs `body` in a transaction (`BEGIN IMMEDIATE` by default, so writers queue at the start
    /// rather than failing at commit). Nested calls use savepoints. Rolls back on any error.
    public func transaction<T>(_ kind: TransactionKind = .immediate, _ body: () throws -> T) throws -> T {
        if let pg, transactionDepth == 0 { return try pgTransaction(pg, kind, body) }
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
        try control(kind.begin, &transactionStatements[kind.slot])
        transactionDepth = 1
        defer { transactionDepth = 0 }
        do {
            let r = try body()
            try control("COMMIT", &transactionStatements[3])
            return r
        } catch {
            if sqlite3_get_autocommit(handle) == 0 { try? execute("ROLLBACK") }
            throw error
        }
    }

    public var isInTransaction: Bool { pg.map(\.inTransaction) ?? (sqlite3_get_autocommit(handle) == 0) }

    // MARK: PostgreSQL

    /// The statement in PostgreSQL's dialect (translated once per connection).
    func pgStatementText(_ sql: String) -> String {
        if let t = pgText[sql] { return t }
        let t = PGDialect.statement(sql)
        pgText[sql] = t
        return t
    }

    /// Before a statement outside a transaction: a connection the server dropped while idle is
    /// opened again (nothing was in flight, so nothing is lost or repeated).
    func pgReconnectIfIdle(_ pg: PGConnection) throws {
        if transactionDepth == 0 && !pg.isAliveWhileIdle { try pg.reconnect() }
    }

    func pgRun(_ sql: String, _ args: [SQLValue]) throws -> Int {
        guard let pg else { return 0 }
        try pgReconnectIfIdle(pg)
        let r = try pgStatementInTransaction(pg, sql) { try pg.execute(pgStatementText(sql), args) }
        pgChanges = r.affected
        return pgChanges
    }

    /// A statement that changes data inside a transaction runs under a savepoint: a failure
    /// (a unique key a service catches and answers) undoes that statement only and leaves the
    /// transaction usable, as on SQLite. (PostgreSQL would otherwise abort the whole transaction.)
    func pgStatementInTransaction(_ pg: PGConnection, _ sql: String, _ body: () throws -> PGResult) throws -> PGResult {
        guard transactionDepth > 0 && !Database.isRead(sql) else { return try body() }
        try pg.exec("SAVEPOINT olleey_statement")
        do {
            let r = try body()
            try pg.exec("RELEASE SAVEPOINT olleey_statement")
            return r
        } catch {
            if pg.isOK { _ = try? pg.exec("ROLLBACK TO SAVEPOINT olleey_statement; RELEASE SAVEPOINT olleey_statement") }
            throw error
        }
    }

    /// Runs a query and maps its rows (at most `limit`). A read outside a transaction that loses
    /// its connection is run once more on a new one: a read changes nothing.
    @usableFromInline
    func pgQuery<T>(_ sql: String, _ args: [SQLValue], _ map: (Row) throws -> T, limit: Int = .max) throws -> [T] {
        guard let pg else { return [] }
        try pgReconnectIfIdle(pg)
        let text = pgStatementText(sql)
        let r: PGResult
        do { r = try pgStatementInTransaction(pg, sql) { try pg.execute(text, args) } }
        catch let e as DatabaseError where e.isConnectionFailure && transactionDepth == 0 && Database.isRead(sql) {
            try pg.reconnect()
            r = try pg.execute(text, args)
        }
        pgChanges = r.affected
        let s: Statement
        if let c = cache[sql] { s = c } else {
            s = Statement(postgres: self, sql: sql)
            cache[sql] = s
        }
        s.pgResult = r
        defer { s.pgResult = nil }
        var out: [T] = []
        let n = min(Int(r.rows), limit)
        out.reserveCapacity(n)
        for i in 0..<n {
            s.startRow()
            out.append(try map(Row(postgres: s, result: r.handle, row: Int32(i))))
        }
        return out
    }

    static func isRead(_ sql: String) -> Bool {
        let head = sql.drop { $0 == " " || $0 == "\n" || $0 == "(" }.prefix(6).uppercased()
        return head == "SELECT" || head.hasPrefix("WITH")
    }

    /// A transaction on PostgreSQL. `.immediate` and `.exclusive` (a writer) also take one
    /// transaction-scoped advisory lock that every olleey writer takes: writers run one at a time
    /// across every process and machine on the store, as they do on SQLite, so each
    /// read-then-write a store does stays atomic; `.deferred` (a reader) sees one snapshot
    /// (REPEATABLE READ). When the connection is lost before COMMIT was sent, PostgreSQL rolled
    /// the transaction back: it is run again on a new connection (twice at most). When it is lost
    /// during COMMIT the outcome is unknown, and the caller hears so (a busy error it may retry
    /// after checking). A serialization failure or deadlock is retried the same way.
    func pgTransaction<T>(_ pg: PGConnection, _ kind: TransactionKind, _ body: () throws -> T) throws -> T {
        var attempt = 0
        while true {
            attempt += 1
            var committing = false
            do {
                if !pg.isAliveWhileIdle { try pg.reconnect() }
                switch kind {
                case .deferred: try pg.exec("BEGIN ISOLATION LEVEL REPEATABLE READ")
                case .immediate, .exclusive: try pg.exec("BEGIN; SELECT pg_advisory_xact_lock(\(Database.writerLockKey))")
                }
                transactionDepth = 1
                defer { transactionDepth = 0 }
                do {
                    let r = try body()
                    committing = true
                    try pg.exec("COMMIT")
                    return r
                } catch {
                    if pg.isOK && pg.inTransaction { _ = try? pg.exec("ROLLBACK") }
                    throw error
                }
            } catch let e as DatabaseError where attempt < 3 && !committing && (e.isConnectionFailure || e.sqlState == "40001" || e.sqlState == "40P01") {
                usleep(UInt32(50_000 * attempt))
                continue
            }
        }
    }

    /// The advisory lock every writer takes (an arbitrary constant: "olleey" in ASCII).
    static let writerLockKey: Int64 = 0x6F6C6C656579

    // MARK: errors

    /// The failure SQLite just reported on this connection, with the statement that failed.
    @usableFromInline
    func error(_ rc: Int32, sql: String?, arguments: Int = 0, message: String? = nil) -> DatabaseError {
        DatabaseError(ResultCode(rawValue: rc), message: message ?? String(cString: sqlite3_errmsg(handle)),
                      sql: sql, argumentsCount: arguments, path: path)
    }
}
