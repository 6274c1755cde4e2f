import Foundation

/// Where a workspace's store (its database) and storage (media, cache, outputs) are when they
/// are not in `.olleey/`: kept in `.olleey/store.json`, because the database cannot say where
/// the database is. `olleey init --store URL --storage URL` writes it; `olleey config get
/// store.url` / `storage.url` read it; `OLLEEY_STORE_URL` names the store for one process.
/// The object store's settings (`storage.s3.endpoint`, ...) are kept with it: they say how this
/// machine reaches the storage, like the URLs.
public struct StoreLocation: Sendable, Equatable {
    /// `postgres://user:password@host:port/database` (libpq's URI; `postgresql://` too).
    public var store: String?
    /// `file:///PATH`: a directory every machine mounts; or `s3://BUCKET/PREFIX`: an
    /// S3-compatible object store (`ObjectMirror`).
    public var storage: String?
    /// `storage.*` settings (`StorageSettings.keys`), by key.
    public var settings: [String: String]

    public init(store: String? = nil, storage: String? = nil, settings: [String: String] = [:]) {
        self.store = store; self.storage = storage; self.settings = settings
    }

    /// The storage directory (`file:///PATH` -> `/PATH`), nil when there is none or it is an object store.
    public var storageDirectory: String? { storage.flatMap { $0.hasPrefix("s3://") ? nil : try? StoreLocation.directory(of: $0) } }
    /// True when media live in an S3-compatible object store.
    public var usesObjectStorage: Bool { storage?.hasPrefix("s3://") == true }

    /// The location in `path` (none when the file does not exist or says nothing).
    public static func read(_ path: String) -> StoreLocation {
        guard let data = FileManager.default.contents(atPath: path), let j = try? JSON.parse(String(decoding: data, as: UTF8.self)) else { return StoreLocation() }
        var settings: [String: String] = [:]
        for (k, v) in j["settings"]?.objectValue ?? [] { if let s = v.stringValue { settings[k] = s } }
        return StoreLocation(store: j["store"]?.stringValue, storage: j["storage"]?.stringValue, settings: settings)
    }

    /// Writes the location, atomically, readable by this user only (the store URL may hold a password).
    public func write(_ path: String) throws {
        var fields: [(String, JSON)] = []
        if let store { fields.append(("store", .string(store))) }
        if let storage { fields.append(("storage", .string(storage))) }
        if !settings.isEmpty { fields.append(("settings", .object(settings.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) }))) }
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

    /// Refuses a storage URL olleey cannot use (65): `file:///PATH` or `s3://BUCKET[/PREFIX]`.
    public static func checkStorage(_ url: String) throws {
        if url.hasPrefix("s3://") { _ = try S3Config.parse(url: url) } else { _ = try directory(of: url) }
    }

    /// The directory of a `file:///PATH` storage URL (65 for anything else).
    public static func directory(of url: String) throws -> String {
        guard url.hasPrefix("file://") else {
            throw OlleeyError.invalid("storage URL '\(url)' is neither a file:// nor an s3:// URL",
                                      hint: "use file:///PATH (a directory every machine mounts at the same path) or s3://BUCKET/PREFIX")
        }
        let rest = String(url.dropFirst("file://".count))
        guard rest.hasPrefix("/") else {
            throw OlleeyError.invalid("storage URL '\(url)' needs an absolute path (file:///PATH: three slashes)")
        }
        let decoded = rest.removingPercentEncoding ?? rest
        return Paths.normalize(decoded)
    }
}
