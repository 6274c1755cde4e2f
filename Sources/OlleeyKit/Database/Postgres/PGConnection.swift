import CPostgreSQL
import Foundation

/// One PostgreSQL connection through libpq: server-side prepared statements (one per distinct
/// SQL text, named on this connection), parameters sent as text with their types left for the
/// server to infer (a blob goes in binary, as `bytea`), results read as text. A connection is
/// used by one thread at a time, like a SQLite `Database`: `Database` wraps one of these when the
/// workspace's store is PostgreSQL.
@usableFromInline final class PGConnection: @unchecked Sendable {
    /// The URL with any password replaced by `***` (for messages).
    let displayURL: String
    /// The URL as given (with its password: for opening another connection).
    let url: String
    private var conninfo: String { url }
    private(set) var conn: OpaquePointer?
    /// SQL text (already in PostgreSQL's dialect) -> the name of its prepared statement.
    private var prepared: [String: String] = [:]
    private var nextName = 0

    /// How long a statement waits for a lock (a row another writer holds, the writer lock)
    /// before it fails as busy: SQLite's busy timeout.
    let lockTimeoutMs: Int32

    init(url: String, lockTimeoutMs: Int32 = 5000) throws {
        self.lockTimeoutMs = lockTimeoutMs
        displayURL = PGConnection.redacted(url)
        self.url = url
        try connect(initial: true)
    }

    deinit { if let conn { olleey_PQfinish(conn) } }

    /// Connects. The first connection failing is a configuration error (cannot open the store:
    /// 08001); a later one (the server restarting) is a busy store that callers retry (08006).
    private func connect(initial: Bool) throws {
        guard olleey_pq_load() == 1 else {
            throw DatabaseError(postgres: "08001", message: "cannot open the PostgreSQL store \(displayURL): libpq, PostgreSQL's client library, is not installed (Debian: apt-get install libpq5)",
                                path: displayURL)
        }
        if let conn { olleey_PQfinish(conn) }
        prepared.removeAll()
        conn = olleey_PQconnectdb(conninfo)
        guard let conn, olleey_PQstatus(conn) == CONNECTION_OK else {
            let msg = (conn.map { String(cString: olleey_PQerrorMessage($0)) } ?? "out of memory").trimmingCharacters(in: .whitespacesAndNewlines)
            if let conn { olleey_PQfinish(conn) }
            self.conn = nil
            throw DatabaseError(postgres: initial ? "08001" : "08006",
                                message: initial ? "cannot connect to PostgreSQL at \(displayURL): \(msg)" : "lost the connection to PostgreSQL at \(displayURL) and cannot connect again yet: \(msg)",
                                path: displayURL)
        }
        // quiet notices, times in UTC, SQLite's busy timeout as the lock timeout
        _ = try? exec("SET client_min_messages = warning; SET TIME ZONE 'UTC'; SET lock_timeout = \(max(1, lockTimeoutMs))")
    }

    /// Whether the connection is usable (false after the server went away).
    var isOK: Bool { conn.map { olleey_PQstatus($0) == CONNECTION_OK } ?? false }

    /// Whether an idle connection is still usable: reads what the server sent meanwhile (a
    /// server that shut down sends a last message and closes), without waiting.
    var isAliveWhileIdle: Bool {
        guard let conn, olleey_PQstatus(conn) == CONNECTION_OK else { return false }
        var p = pollfd(fd: olleey_PQsocket(conn), events: Int16(POLLIN), revents: 0)
        if poll(&p, 1, 0) > 0 {
            if olleey_PQconsumeInput(conn) == 0 { return false }
            pending += takeNotifications(conn)
        }
        return olleey_PQstatus(conn) == CONNECTION_OK
    }
    /// Notifications read while checking the connection, handed out by `notifications`.
    private var pending: [(channel: String, payload: String)] = []

    /// Reconnects after the server dropped this connection. Never called inside a transaction:
    /// what the transaction did is gone, and its caller must hear that.
    func reconnect() throws { try connect(initial: false) }

    /// True while a transaction is open on this connection (also an aborted one).
    var inTransaction: Bool {
        guard let conn else { return false }
        let s = olleey_PQtransactionStatus(conn)
        return s == PQTRANS_INTRANS || s == PQTRANS_INERROR || s == PQTRANS_ACTIVE
    }

    /// Runs SQL without parameters (several statements allowed); returns the last result.
    @discardableResult
    func exec(_ sql: String) throws -> PGResult {
        guard let conn else { throw closed(sql) }
        let r = PGResult(olleey_PQexec(conn, sql))
        try check(r, sql: sql, arguments: 0)
        return r
    }

    /// Runs a statement with parameters, preparing it on first use.
    func execute(_ sql: String, _ args: [SQLValue]) throws -> PGResult {
        guard let conn else { throw closed(sql) }
        let name: String
        if let n = prepared[sql] { name = n } else {
            name = "olleey_\(nextName)"
            nextName += 1
            // a blob is declared bytea (a parameter in a select list would otherwise be text);
            // the server infers every other type from where the parameter stands
            let declared: [Oid] = args.map { if case .blob = $0 { return 17 } else { return 0 } }
            var r = declared.contains(17)
                ? declared.withUnsafeBufferPointer { PGResult(olleey_PQprepare(conn, name, sql, Int32(declared.count), $0.baseAddress)) }
                : PGResult(olleey_PQprepare(conn, name, sql, 0, nil))
            if r.sqlState == "42P18" {
                // the server could not infer a parameter's type (`? IS NULL` alone): name the
                // types from the values of this first call
                let types = args.map(PGConnection.typeOID)
                r = types.withUnsafeBufferPointer { PGResult(olleey_PQprepare(conn, name, sql, Int32(types.count), $0.baseAddress)) }
            }
            try check(r, sql: sql, arguments: args.count)
            prepared[sql] = name
        }
        return try withParameters(args) { values, lengths, formats in
            let r = PGResult(olleey_PQexecPrepared(conn, name, Int32(args.count), values, lengths, formats, 0))
            try check(r, sql: sql, arguments: args.count)
            return r
        }
    }

    /// Waits up to `timeoutMs` for a notification on a channel this connection listens to;
    /// returns the notifications received (channel, payload).
    func notifications(timeoutMs: Int) throws -> [(channel: String, payload: String)] {
        guard let conn else { throw closed(nil) }
        var out = pending + drainNotifications(conn)
        pending.removeAll()
        if !out.isEmpty { return out }
        var p = pollfd(fd: olleey_PQsocket(conn), events: Int16(POLLIN), revents: 0)
        let n = poll(&p, 1, Int32(timeoutMs))
        if n > 0 {
            if olleey_PQconsumeInput(conn) == 0 { throw DatabaseError(.SQLITE_IOERR, message: String(cString: olleey_PQerrorMessage(conn)), path: displayURL) }
            out = drainNotifications(conn)
        }
        return out
    }

    private func drainNotifications(_ conn: OpaquePointer) -> [(channel: String, payload: String)] {
        _ = olleey_PQconsumeInput(conn)
        return takeNotifications(conn)
    }

    /// The notifications libpq has already read.
    private func takeNotifications(_ conn: OpaquePointer) -> [(channel: String, payload: String)] {
        var out: [(channel: String, payload: String)] = []
        while let n = olleey_PQnotifies(conn) {
            out.append((String(cString: n.pointee.relname), String(cString: n.pointee.extra)))
            olleey_PQfreemem(n)
        }
        return out
    }

    // MARK: parameters

    /// bytea for a blob (sent binary); every other value goes as text of a type the server infers.
    static func typeOID(_ v: SQLValue) -> Oid {
        switch v {
        case .int: return 20      // int8
        case .double: return 701  // float8
        case .blob: return 17     // bytea
        case .text, .null: return 25
        }
    }

    private func withParameters<T>(_ args: [SQLValue], _ body: (UnsafePointer<UnsafePointer<CChar>?>?, UnsafePointer<Int32>?, UnsafePointer<Int32>?) throws -> T) throws -> T {
        // each value's bytes NUL-terminated, in one buffer; pointers into it
        var storage: [UInt8] = []
        var offsets: [Int?] = []
        var lengths: [Int32] = []
        var formats: [Int32] = []
        for a in args {
            switch a {
            case .null:
                offsets.append(nil); lengths.append(0); formats.append(0)
                continue
            case let .int(x): offsets.append(storage.count); storage += Array(String(x).utf8); formats.append(0); lengths.append(0)
            case let .double(x): offsets.append(storage.count); storage += Array(PGConnection.text(x).utf8); formats.append(0); lengths.append(0)
            case let .text(s): offsets.append(storage.count); storage += Array(s.utf8); formats.append(0); lengths.append(0)
            case let .blob(b): offsets.append(storage.count); storage += b; formats.append(1); lengths.append(Int32(b.count))
            }
            storage.append(0)
        }
        if storage.isEmpty { storage.append(0) }
        return try storage.withUnsafeBufferPointer { buf in
            let base = UnsafeRawPointer(buf.baseAddress!).assumingMemoryBound(to: CChar.self)
            let values: [UnsafePointer<CChar>?] = offsets.map { $0.map { base + $0 } }
            return try values.withUnsafeBufferPointer { v in
                try lengths.withUnsafeBufferPointer { l in
                    try formats.withUnsafeBufferPointer { f in try body(v.baseAddress, l.baseAddress, f.baseAddress) }
                }
            }
        }
    }

    /// A double as PostgreSQL reads it back exactly (Swift's shortest round-trip form).
    static func text(_ x: Double) -> String {
        if x.isNaN { return "NaN" }
        if x.isInfinite { return x < 0 ? "-Infinity" : "Infinity" }
        return "\(x)"
    }

    // MARK: errors

    private func check(_ r: PGResult, sql: String?, arguments: Int) throws {
        switch r.status {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY: return
        default:
            let state = isOK ? (r.sqlState ?? "XX000") : "08006"
            var msg = r.errorMessage ?? ""
            if msg.isEmpty, let conn { msg = String(cString: olleey_PQerrorMessage(conn)).trimmingCharacters(in: .whitespacesAndNewlines) }
            throw DatabaseError(postgres: state, message: msg, sql: sql, argumentsCount: arguments, path: displayURL)
        }
    }

    private func closed(_ sql: String?) -> DatabaseError {
        DatabaseError(postgres: "08003", message: "the PostgreSQL connection is closed", sql: sql, path: displayURL)
    }

    /// `postgres://user:secret@host/db` -> `postgres://user:***@host/db`.
    static func redacted(_ url: String) -> String {
        guard let scheme = url.range(of: "://"), let at = url.range(of: "@", range: scheme.upperBound..<url.endIndex) else { return url }
        let userinfo = url[scheme.upperBound..<at.lowerBound]
        guard let colon = userinfo.firstIndex(of: ":") else { return url }
        return String(url[..<colon]) + ":***" + String(url[at.lowerBound...])
    }
}

/// A libpq result, cleared when released.
final class PGResult: @unchecked Sendable {
    let handle: OpaquePointer?

    init(_ handle: OpaquePointer?) { self.handle = handle }
    deinit { if let handle { olleey_PQclear(handle) } }

    var status: ExecStatusType { handle.map { olleey_PQresultStatus($0) } ?? PGRES_FATAL_ERROR }
    var rows: Int32 { handle.map { olleey_PQntuples($0) } ?? 0 }
    var columns: Int32 { handle.map { olleey_PQnfields($0) } ?? 0 }
    /// How many rows an INSERT, UPDATE or DELETE changed.
    var affected: Int {
        guard let handle, let p = olleey_PQcmdTuples(handle) else { return 0 }
        return Int(String(cString: p)) ?? 0
    }
    var sqlState: String? { field(Int32(UInt8(ascii: "C"))) }
    var errorMessage: String? {
        guard let primary = field(Int32(UInt8(ascii: "M"))) else { return nil }
        if let detail = field(Int32(UInt8(ascii: "D"))) { return primary + " (" + detail + ")" }
        return primary
    }

    private func field(_ code: Int32) -> String? {
        guard let handle, let p = olleey_PQresultErrorField(handle, code) else { return nil }
        return String(cString: p)
    }
}
