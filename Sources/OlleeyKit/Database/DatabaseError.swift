import CSQLite
import Foundation

/// A SQLite result code, primary (`SQLITE_CONSTRAINT`) or extended (`SQLITE_CONSTRAINT_UNIQUE`).
/// As a pattern, a primary code matches every extended code of its family, an extended code only
/// itself: `catch DatabaseError.SQLITE_CONSTRAINT_UNIQUE { ... }` (see `~=` below).
public struct ResultCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }

    /// The primary code of an extended one (its low 8 bits).
    public var primaryResultCode: ResultCode { ResultCode(rawValue: rawValue & 0xFF) }
    public var isPrimary: Bool { rawValue & 0xFF == rawValue }

    public var description: String {
        "\(rawValue) (\(String(cString: sqlite3_errstr(rawValue))))"
    }

    // primary codes (https://sqlite.org/rescode.html)
    public static let SQLITE_OK = ResultCode(rawValue: 0)
    public static let SQLITE_ERROR = ResultCode(rawValue: 1)
    public static let SQLITE_PERM = ResultCode(rawValue: 3)
    public static let SQLITE_BUSY = ResultCode(rawValue: 5)
    public static let SQLITE_LOCKED = ResultCode(rawValue: 6)
    public static let SQLITE_READONLY = ResultCode(rawValue: 8)
    public static let SQLITE_INTERRUPT = ResultCode(rawValue: 9)
    public static let SQLITE_IOERR = ResultCode(rawValue: 10)
    public static let SQLITE_CORRUPT = ResultCode(rawValue: 11)
    public static let SQLITE_FULL = ResultCode(rawValue: 13)
    public static let SQLITE_CANTOPEN = ResultCode(rawValue: 14)
    public static let SQLITE_CONSTRAINT = ResultCode(rawValue: 19)
    public static let SQLITE_MISUSE = ResultCode(rawValue: 21)
    public static let SQLITE_AUTH = ResultCode(rawValue: 23)
    public static let SQLITE_RANGE = ResultCode(rawValue: 25)
    public static let SQLITE_NOTADB = ResultCode(rawValue: 26)

    // extended codes: primary | (n << 8)
    public static let SQLITE_BUSY_RECOVERY = ResultCode(rawValue: 5 | (1 << 8))
    public static let SQLITE_BUSY_SNAPSHOT = ResultCode(rawValue: 5 | (2 << 8))
    public static let SQLITE_CONSTRAINT_CHECK = ResultCode(rawValue: 19 | (1 << 8))
    public static let SQLITE_CONSTRAINT_FOREIGNKEY = ResultCode(rawValue: 19 | (3 << 8))
    public static let SQLITE_CONSTRAINT_NOTNULL = ResultCode(rawValue: 19 | (5 << 8))
    public static let SQLITE_CONSTRAINT_PRIMARYKEY = ResultCode(rawValue: 19 | (6 << 8))
    public static let SQLITE_CONSTRAINT_UNIQUE = ResultCode(rawValue: 19 | (8 << 8))

    /// A primary pattern matches its whole family; an extended pattern matches only itself.
    public static func ~= (pattern: ResultCode, code: ResultCode) -> Bool {
        pattern.isPrimary ? pattern == code.primaryResultCode : pattern == code
    }

    /// `catch DatabaseError.SQLITE_CONSTRAINT_UNIQUE`: true when `error` is a `DatabaseError`
    /// whose extended code matches `pattern`.
    public static func ~= (pattern: ResultCode, error: any Error) -> Bool {
        guard let e = error as? DatabaseError else { return false }
        return pattern ~= e.extendedResultCode
    }
}

/// A SQLite failure as SQLite reported it: the extended result code, SQLite's message, and the
/// statement (its SQL and how many arguments were bound). Thrown by `Database` and `Statement`;
/// a service catches the failures it gives a meaning to (`catch DatabaseError.SQLITE_CONSTRAINT_UNIQUE`)
/// and lets the others through, to `OlleeyError.from`, the one place that maps them to an
/// `OlleeyError` (and so to an exit code and an HTTP status).
public struct DatabaseError: Error, Sendable, CustomStringConvertible {
    public let extendedResultCode: ResultCode
    public let message: String
    public let sql: String?
    public let argumentsCount: Int
    /// The database file (or the PostgreSQL URL, password hidden), for messages.
    public let path: String?
    /// PostgreSQL's SQLSTATE (`23505`) when the store is PostgreSQL; nil for SQLite.
    public let sqlState: String?

    public init(_ code: ResultCode, message: String, sql: String? = nil, argumentsCount: Int = 0, path: String? = nil) {
        self.extendedResultCode = code
        self.message = message
        self.sql = sql
        self.argumentsCount = argumentsCount
        self.path = path
        self.sqlState = nil
    }

    /// A PostgreSQL failure, with the SQLite result code of the same meaning, so that a service
    /// catches `DatabaseError.SQLITE_CONSTRAINT_UNIQUE` whichever store it runs on
    /// (https://www.postgresql.org/docs/current/errcodes-appendix.html).
    public init(postgres state: String, message: String, sql: String? = nil, argumentsCount: Int = 0, path: String? = nil) {
        let code: ResultCode
        switch state {
        case "23505": code = .SQLITE_CONSTRAINT_UNIQUE
        case "23503": code = .SQLITE_CONSTRAINT_FOREIGNKEY
        case "23502": code = .SQLITE_CONSTRAINT_NOTNULL
        case "23514": code = .SQLITE_CONSTRAINT_CHECK
        case "40001", "40P01", "55P03": code = .SQLITE_BUSY          // serialization failure, deadlock, lock not available
        case "53100": code = .SQLITE_FULL                            // disk full
        case "57014": code = .SQLITE_INTERRUPT                       // query cancelled
        case "25006": code = .SQLITE_READONLY                        // read-only transaction
        case "42501", "28000", "28P01": code = .SQLITE_AUTH          // privileges, authentication
        default:
            if state.hasPrefix("23") { code = .SQLITE_CONSTRAINT }
            // cannot connect at all: the store cannot be opened; lost (the server restarting): busy, retried
            else if state == "08001" || state == "08004" { code = .SQLITE_CANTOPEN }
            else if state.hasPrefix("08") || state.hasPrefix("57P") { code = .SQLITE_BUSY }
            else if state.hasPrefix("53") || state.hasPrefix("58") { code = .SQLITE_IOERR }
            else { code = .SQLITE_ERROR }
        }
        self.extendedResultCode = code
        self.message = message
        self.sql = sql
        self.argumentsCount = argumentsCount
        self.path = path
        self.sqlState = state
    }

    /// True when the connection itself failed (PostgreSQL went away): the statement's outcome is
    /// unknown unless the caller checks.
    public var isConnectionFailure: Bool { sqlState.map { $0.hasPrefix("08") || $0.hasPrefix("57P") } ?? false }

    /// The primary result code (`SQLITE_CONSTRAINT` for `SQLITE_CONSTRAINT_UNIQUE`).
    public var resultCode: ResultCode { extendedResultCode.primaryResultCode }

    public var description: String {
        var d = sqlState.map { "PostgreSQL error \($0): \(message)" } ?? "SQLite error \(extendedResultCode.rawValue): \(message)"
        if let sql { d += " (in: \(sql.prefix(200)), \(argumentsCount) argument\(argumentsCount == 1 ? "" : "s"))" }
        return d
    }

    // GRDB's spelling, so a catch clause reads `catch DatabaseError.SQLITE_CONSTRAINT_UNIQUE`.
    public static let SQLITE_BUSY = ResultCode.SQLITE_BUSY
    public static let SQLITE_LOCKED = ResultCode.SQLITE_LOCKED
    public static let SQLITE_FULL = ResultCode.SQLITE_FULL
    public static let SQLITE_CONSTRAINT = ResultCode.SQLITE_CONSTRAINT
    public static let SQLITE_CONSTRAINT_UNIQUE = ResultCode.SQLITE_CONSTRAINT_UNIQUE
    public static let SQLITE_CONSTRAINT_PRIMARYKEY = ResultCode.SQLITE_CONSTRAINT_PRIMARYKEY
    public static let SQLITE_CONSTRAINT_FOREIGNKEY = ResultCode.SQLITE_CONSTRAINT_FOREIGNKEY
    public static let SQLITE_CONSTRAINT_NOTNULL = ResultCode.SQLITE_CONSTRAINT_NOTNULL

    /// The `OlleeyError` a front end reports for this failure (its code gives the exit code:
    /// busy/locked 75, full disk 73, constraint 65, unique 1 "already exists", not a database 78).
    public var olleeyError: OlleeyError {
        let file = path.map { ($0 as NSString).lastPathComponent } ?? "database"
        switch extendedResultCode {
        case ResultCode.SQLITE_CONSTRAINT_UNIQUE, ResultCode.SQLITE_CONSTRAINT_PRIMARYKEY:
            return OlleeyError(.alreadyExists, "already exists (\(message))")
        case ResultCode.SQLITE_CONSTRAINT:
            return OlleeyError(.invalid, "invalid data (\(message))")
        case ResultCode.SQLITE_BUSY, ResultCode.SQLITE_LOCKED:
            if isConnectionFailure {
                return OlleeyError(.busy, "the PostgreSQL store is unreachable (\(message))", hint: "retry when PostgreSQL is back; workers wait and carry on by themselves")
            }
            return OlleeyError(.busy, "the workspace database is busy (\(message))",
                               hint: "another olleey process holds a write lock; retry in a moment")
        case ResultCode.SQLITE_NOTADB, ResultCode.SQLITE_CORRUPT:
            return OlleeyError(.config, "\(path ?? file) is not a valid olleey database (\(message))",
                               hint: "restore it from a backup, or move it aside and run 'olleey init'")
        case ResultCode.SQLITE_FULL:
            return OlleeyError(.cannotCreate, "the disk is full: cannot write \(file)")
        case ResultCode.SQLITE_CANTOPEN:
            if sqlState != nil { return OlleeyError(.unavailable, message, hint: "check that PostgreSQL is running and that store.url (OLLEEY_STORE_URL) names it") }
            return OlleeyError(.config, "cannot open \(path ?? file) (\(message))")
        case ResultCode.SQLITE_READONLY, ResultCode.SQLITE_PERM, ResultCode.SQLITE_AUTH:
            return OlleeyError(.cannotCreate, "cannot write \(path ?? file): the workspace is read-only (\(message))",
                               hint: "this command changes the workspace: make .olleey/ writable, or work on a writable copy; reading commands (job list, job show, job outputs, vtt show) work on a read-only workspace")
        case ResultCode.SQLITE_IOERR:
            return OlleeyError(.cannotCreate, "I/O error on \(path ?? file) (\(message))")
        case ResultCode.SQLITE_INTERRUPT:
            return OlleeyError(.interrupted, "interrupted")
        default:
            return OlleeyError(.failure, "database error: \(message)")
        }
    }
}

extension OlleeyError {
    /// The one conversion point from an error a service let through to the `OlleeyError` a front
    /// end reports: an `OlleeyError` as it is, a `DatabaseError` by its result code, anything else
    /// a general failure.
    public static func from(_ error: any Error) -> OlleeyError {
        if let e = error as? OlleeyError { return e }
        if let e = error as? DatabaseError { return e.olleeyError }
        return OlleeyError.failure("\(error)")
    }
}
