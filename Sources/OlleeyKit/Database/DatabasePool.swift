import Foundation

/// Connections to one database file that many threads share (a server, a worker pool): one
/// writer connection, used by one thread at a time, and up to `maximumReaders` reader
/// connections, each used by one thread at a time. In WAL mode readers never wait for the
/// writer and see only committed data: each `read` runs in one deferred transaction, so it sees
/// one snapshot. Connections open lazily: a pool that is never used opens only its writer (which
/// the caller migrates), and a reader opens the first time every open reader is busy.
public final class DatabasePool: @unchecked Sendable {
    public let path: String
    public let maximumReaders: Int

    private let writer: Database
    private let writerLock = NSLock()

    /// Opens one reader connection (read-only).
    private let openReader: @Sendable () throws -> Database
    private let readersLock = NSLock()
    private let readerSlots: DispatchSemaphore
    private var idleReaders: [Database] = []
    private var openReaders = 0

    /// Opens the writer now (so a bad file fails here); readers open on demand.
    public init(path: String, maximumReaders: Int = 4, options: Database.Options = Database.Options()) throws {
        self.path = path
        self.maximumReaders = max(1, maximumReaders)
        writer = try Database(path: path, options: options)
        var r = options
        r.create = false
        r.wal = false   // the writer set WAL mode; it is a property of the file
        let readerOptions = r
        openReader = {
            let db = try Database(path: path, options: readerOptions)
            try db.execute("PRAGMA query_only = ON")
            return db
        }
        readerSlots = DispatchSemaphore(value: self.maximumReaders)
    }

    /// A pool on a PostgreSQL store: one writer connection, and reader connections whose
    /// transactions are read-only. (Other processes and machines have pools of their own; the
    /// store's advisory writer lock orders all writers, see `Database.transaction`.)
    public init(postgres url: String, maximumReaders: Int = 4, busyTimeoutMs: Int32 = 5000) throws {
        self.maximumReaders = max(1, maximumReaders)
        writer = try Database(postgres: url, busyTimeoutMs: busyTimeoutMs)
        path = writer.path
        openReader = {
            let db = try Database(postgres: url, busyTimeoutMs: busyTimeoutMs)
            try db.execute("SET default_transaction_read_only = on")
            return db
        }
        readerSlots = DispatchSemaphore(value: self.maximumReaders)
    }

    /// Runs `body` on the writer connection in one `BEGIN IMMEDIATE` transaction; other threads'
    /// writes wait their turn. Rolls back when `body` throws.
    public func write<T>(_ body: (Database) throws -> T) throws -> T {
        writerLock.lock()
        defer { writerLock.unlock() }
        return try writer.transaction(.immediate) { try body(writer) }
    }

    /// Runs `body` on the writer connection outside any transaction (schema migration, a
    /// `VACUUM`, several transactions of its own), with the writer to itself.
    public func writeWithoutTransaction<T>(_ body: (Database) throws -> T) rethrows -> T {
        writerLock.lock()
        defer { writerLock.unlock() }
        return try body(writer)
    }

    /// Runs `body` on a reader connection in one deferred transaction (one consistent snapshot
    /// of committed data). Waits when `maximumReaders` reads are in progress.
    public func read<T>(_ body: (Database) throws -> T) throws -> T {
        readerSlots.wait()
        defer { readerSlots.signal() }
        let db = try checkOutReader()
        defer { checkIn(db) }
        return try db.transaction(.deferred) { try body(db) }
    }

    /// How many reader connections are open (at most `maximumReaders`).
    public var readerCount: Int {
        readersLock.lock()
        defer { readersLock.unlock() }
        return openReaders
    }

    private func checkOutReader() throws -> Database {
        readersLock.lock()
        if let db = idleReaders.popLast() {
            readersLock.unlock()
            return db
        }
        openReaders += 1
        readersLock.unlock()
        do {
            return try openReader()
        } catch {
            readersLock.lock()
            openReaders -= 1
            readersLock.unlock()
            throw error
        }
    }

    private func checkIn(_ db: Database) {
        readersLock.lock()
        idleReaders.append(db)
        readersLock.unlock()
    }
}
