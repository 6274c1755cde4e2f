import Foundation

/// PostgreSQL's LISTEN/NOTIFY on the events channel: every event appended to a PostgreSQL store
/// notifies (`EventStore.append`), so an idle worker and the server's event feed wake at once
/// on an event written by any process on any machine, instead of at their next poll. (SQLite
/// has no such thing: there they poll, cheaply.) Owns its connection; one thread waits on it.
public final class EventNotifications: @unchecked Sendable {
    public static let channel = "olleey_events"
    private let db: Database

    /// Listens on `db` (a connection of its own, to a PostgreSQL store).
    public init(db: Database) throws {
        guard db.isPostgres else { throw OlleeyError.failure("LISTEN/NOTIFY needs a PostgreSQL store") }
        self.db = db
        try EventStore(db).listen()
    }

    /// Waits up to `timeoutMs` for a notification; true when one came, or when the connection
    /// was lost and opened again (something may have been missed: the caller looks).
    public func wait(timeoutMs: Int) -> Bool {
        guard let pg = db.pg else { return false }
        do {
            return try !pg.notifications(timeoutMs: timeoutMs).isEmpty
        } catch {
            usleep(UInt32(min(timeoutMs, 250)) * 1000)
            if (try? pg.reconnect()) != nil, (try? EventStore(db).listen()) != nil { return true }
            return false
        }
    }

    /// Runs `wake` on a thread of its own each time an event is appended, until `stop` returns
    /// true (checked at least every second). For a PostgreSQL workspace; nil otherwise.
    public static func start(_ workspace: Workspace, name: String, stop: @escaping @Sendable () -> Bool, wake: @escaping @Sendable () -> Void) -> Thread? {
        guard workspace.usesPostgres, let n = try? EventNotifications(db: try workspace.open()) else { return nil }
        let t = Thread {
            while !stop() { if n.wait(timeoutMs: 1000) { wake() } }
        }
        t.name = name
        t.start()
        return t
    }
}
