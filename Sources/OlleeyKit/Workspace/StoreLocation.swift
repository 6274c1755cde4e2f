import Foundation

/// Where a workspace's store (its database) and storage (media, cache, outputs) are when they
/// are not in `.olleey/`: kept in `.olleey/store.json`, because the database cannot say where
/// the database is. `olleey init --store URL --storage URL` writes it; `olleey config get
/// store.url` / `storage.url` read it; `OLLEEY_STORE_URL` names the store for one process.
public struct StoreLocation: Sendable, Equatable {
    /// `postgres://user:password@host:port/database` (libpq's URI; `postgresql://` too).
    public var store: String?
    /// `file:///PATH`: a directory every machine mounts.
    public var storage: String?

    public init(store: String? = nil, storage: String? = nil) { self.store = store; self.storage = storage }

    /// The storage directory (`file:///PATH` -> `/PATH`), nil when there is none.
    public var storageDirectory: String? { storage.flatMap { try? StoreLocation.directory(of: $0) } }

    /// The location in `path` (none when the file does not exist or says nothing).
    public static func read(_ path: String) -> StoreLocation {
        guard let data = FileManager.default.contents(atPath: path), let j = try? JSON.parse(String(decoding: data, as: UTF8.self)) else { return StoreLocation() }
        return StoreLocation(store: j["store"]?.stringValue, storage: j["storage"]?.stringValue)
    }

    /// Writes the location, atomically, readable by this user only (the store URL may hold a password).
    public func write(_ path: String) throws {
        var fields: [(String, JSON)] = []
        if let store { fields.append(("store", .string(store))) }
        if let storage { fields.append(("storage", .string(storage))) }
        try FileIO.writeAtomically(JSON.object(fields).encoded(pretty: true) + "\n", to: path)
        chmod(path, 0o600)
    }

    /// `postgres://user:secret@host/db` -> `postgres://user:***@host/db`, for messages.
    public static func redacted(_ url: String) -> String { PGConnection.redacted(url) }

    /// Refuses a store URL olleey cannot use (65), before anything is written.
    public static func checkStore(_ url: String) throws {
        guard url.hasPrefix("postgres://") || url.hasPrefix("postgresql://") else {
            throw OlleeyError.invalid("store URL '\(PGConnection.redacted(url))' is not a PostgreSQL URL",
                                      hint: "use postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE (SQLite, the default, needs no --store)")
        }
    }

    /// The directory of a `file:///PATH` storage URL (65 for anything else).
    public static func directory(of url: String) throws -> String {
        guard url.hasPrefix("file://") else {
            throw OlleeyError.invalid("storage URL '\(url)' is not a file:// URL",
                                      hint: "use file:///PATH, a directory every machine mounts at the same path (s3:// storage is not built yet)")
        }
        let rest = String(url.dropFirst("file://".count))
        guard rest.hasPrefix("/") else {
            throw OlleeyError.invalid("storage URL '\(url)' needs an absolute path (file:///PATH: three slashes)")
        }
        let decoded = rest.removingPercentEncoding ?? rest
        return Paths.normalize(decoded)
    }
}
