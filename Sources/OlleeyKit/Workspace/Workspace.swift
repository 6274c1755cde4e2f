import Foundation

/// A workspace: a directory holding `.olleey/` (olleey.db, media/, cache/, outputs/).
///
/// On many machines (`olleey init --store postgres://... --storage file:///PATH`), `.olleey/`
/// holds `store.json` instead: the store is a PostgreSQL database that every machine's
/// workspace names, and media, cache and outputs live under PATH, a directory every machine
/// mounts; stored paths are relative to it, so any machine finds what another wrote.
public struct Workspace: Sendable {
    public static let dirName = ".olleey"
    public static let dbName = "olleey.db"
    /// Where the store and the storage are, when not here (`StoreLocation`).
    public static let locationName = "store.json"

    /// The directory that contains `.olleey/`.
    public let root: String
    /// Where this workspace's store and storage are (`.olleey/store.json`; none: the SQLite
    /// database and the files in `.olleey/`).
    public let location: StoreLocation
    /// The variables of the process environment that say where the storage is and how to reach
    /// it (`StorageSettings.environmentKeys`: credentials, the scratch directory).
    public let environment: [String: String]

    /// The workspace at `root`, its location read from `.olleey/store.json`, with the store
    /// named by `OLLEEY_STORE_URL` in `environment` first when that is set.
    public init(root: String, environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.root = root
        self.environment = environment.filter { StorageSettings.environmentKeys.contains($0.key) }
        var l = StoreLocation.read(root + "/" + Workspace.dirName + "/" + Workspace.locationName)
        if let url = environment["OLLEEY_STORE_URL"], !url.isEmpty { l.store = url }
        location = l
    }

    public var dir: String { root + "/" + Workspace.dirName }
    public var dbPath: String { dir + "/" + Workspace.dbName }
    /// The directory media, cache and outputs are in: the shared storage path, else `.olleey/`.
    /// Video paths (`videos.path`) are relative to it.
    /// With an object store (`s3://`), this machine's scratch directory (`ObjectMirror`): the
    /// local copies of the objects, whose paths under it are their keys.
    public var storageDir: String { location.storageDirectory ?? (location.usesObjectStorage ? scratchDir : dir) }
    /// The directory output paths (`job_languages.outputs`) are relative to: the shared storage
    /// path (or the scratch directory of an object store), else the workspace root (`.olleey/outputs/...`).
    public var filesRoot: String { location.storageDirectory ?? (location.usesObjectStorage ? scratchDir : root) }
    /// Where this machine keeps local copies of an object store's files (`StorageSettings.scratchDirectory`).
    public var scratchDir: String { StorageSettings.scratchDirectory(location, environment: environment) }
    public var mediaDir: String { storageDir + "/media" }
    public var cacheDir: String { storageDir + "/cache" }
    public var outputsDir: String { storageDir + "/outputs" }
    /// True when the store is a PostgreSQL database.
    public var usesPostgres: Bool { location.store != nil }

    /// Finds the workspace: an explicit path (`--workspace`), else `$OLLEEY_WORKSPACE`, else the
    /// nearest `.olleey/` walking up from `cwd`. Fails with 78 and a hint when there is none.
    public static func discover(explicit: String?, environment: [String: String], cwd: String) throws -> Workspace {
        if let p = explicit ?? environment["OLLEEY_WORKSPACE"].flatMap({ $0.isEmpty ? nil : $0 }) {
            let abs = Paths.absolute(p, cwd: cwd)
            let root = abs.hasSuffix("/" + dirName) ? String(abs.dropLast(dirName.count + 1)) : abs
            let ws = Workspace(root: root.isEmpty ? "/" : root, environment: environment)
            guard Paths.isDirectory(ws.dir) else {
                throw OlleeyError.config("no olleey workspace at \(abs)", hint: "create one", next: [.command("init", [p])])
            }
            return ws
        }
        var dir = Paths.absolute(cwd, cwd: "/")
        while true {
            if Paths.isDirectory(dir + (dir == "/" ? "" : "/") + dirName) { return Workspace(root: dir == "/" ? "" : dir, environment: environment) }
            if dir == "/" || dir.isEmpty { break }
            dir = Paths.parent(dir)
        }
        throw OlleeyError.config("not in an olleey workspace (no .olleey/ here or in any parent directory)",
                                 hint: "create one here, or name one", next: [.command("init"), .input("workspace", example: "PATH")])
    }

    /// Creates `.olleey/` and its database at `root` (idempotent: an existing workspace is kept
    /// and only migrated). Returns whether it was created.
    ///
    /// `store` (a `postgres://` URL) and `storage` (a `file:///PATH` URL) put the database and
    /// the files elsewhere (see the type's comment); they are written to `.olleey/store.json`,
    /// and a workspace that already names others keeps its own (changing them is a move:
    /// `olleey store migrate`).
    @discardableResult
    public static func initialize(at root: String, store: String? = nil, storage: String? = nil,
                                  environment: [String: String] = ProcessInfo.processInfo.environment) throws -> (Workspace, created: Bool) {
        var ws = Workspace(root: root, environment: environment)
        let locationPath = ws.dir + "/" + Workspace.locationName
        if store != nil || storage != nil {
            var l = StoreLocation.read(locationPath)
            if let store {
                try StoreLocation.checkStore(store)
                if let old = l.store, old != store { throw OlleeyError.conflict("this workspace's store is already \(PGConnection.redacted(old))", hint: "initialize another directory for another store") }
                l.store = store
            }
            if let storage {
                try StoreLocation.checkStorage(storage)
                if let old = l.storage, old != storage { throw OlleeyError.conflict("this workspace's storage is already \(old)", hint: "initialize another directory for another storage path") }
                l.storage = storage
            }
            try FileIO.createDirectory(ws.dir)
            try l.write(locationPath)
            ws = Workspace(root: root, environment: environment)
        }
        let existed = ws.usesPostgres ? FileManager.default.fileExists(atPath: locationPath) && store == nil : FileManager.default.fileExists(atPath: ws.dbPath)
        for d in [ws.dir, ws.mediaDir, ws.cacheDir, ws.outputsDir] { try FileIO.createDirectory(d) }
        let db = try ws.open()
        // the server's signing keys (access tokens, signed URLs) are made here, once
        _ = try SigningKeys(db).tokenKey()
        _ = try SigningKeys(db).urlKey()
        return (ws, !existed)
    }

    /// Opens the database, applying pending migrations. Fails with 78 on a file that is not an
    /// olleey database or whose schema is newer than this binary, and with 73 (one message and
    /// hint) when the workspace is read-only: commands that only read use `openForReading`.
    public func open(busyTimeoutMs: Int32 = 5000) throws -> Database {
        guard FileManager.default.fileExists(atPath: dbPath) || Paths.isDirectory(dir) else {
            throw OlleeyError.config("no database at \(dbPath)", next: [.command("init")])
        }
        if let url = location.store {
            return try Workspace.opening {
                let db = try Database(postgres: url, busyTimeoutMs: busyTimeoutMs)
                try Migrator.migrate(db)
                return db
            }
        }
        if let r = readOnlyPath([dir, dbPath]) { throw FileIO.readOnlyError(r.0, r.1) }
        var opts = Database.Options()
        opts.busyTimeoutMs = busyTimeoutMs
        return try Workspace.opening {
            let db = try Database(path: dbPath, options: opts)
            try Migrator.migrate(db)
            return db
        }
    }

    /// A pool of connections (one writer, up to `maximumReaders` readers) that threads share,
    /// for a long-lived multi-threaded process (the server, an in-process worker pool); opened
    /// and migrated as `open`. A command that runs once uses `open`: one connection, no pool.
    public func pool(maximumReaders: Int = 4, busyTimeoutMs: Int32 = 5000) throws -> DatabasePool {
        guard FileManager.default.fileExists(atPath: dbPath) || Paths.isDirectory(dir) else {
            throw OlleeyError.config("no database at \(dbPath)", next: [.command("init")])
        }
        if let url = location.store {
            return try Workspace.opening {
                let pool = try DatabasePool(postgres: url, maximumReaders: maximumReaders, busyTimeoutMs: busyTimeoutMs)
                _ = try pool.writeWithoutTransaction { try Migrator.migrate($0) }
                return pool
            }
        }
        if let r = readOnlyPath([dir, dbPath]) { throw FileIO.readOnlyError(r.0, r.1) }
        var opts = Database.Options()
        opts.busyTimeoutMs = busyTimeoutMs
        return try Workspace.opening {
            let pool = try DatabasePool(path: dbPath, maximumReaders: maximumReaders, options: opts)
            _ = try pool.writeWithoutTransaction { try Migrator.migrate($0) }
            return pool
        }
    }

    /// Opening a workspace is where a database failure (not a database, cannot open) becomes
    /// the workspace error a front end reports.
    static func opening<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let e as DatabaseError { throw OlleeyError.from(e) }
    }
}

extension Workspace {
    /// The first of `paths` that exists and this process cannot write, and why (errno), if any.
    func readOnlyPath(_ paths: [String]) -> (String, Int32)? {
        for p in paths where Paths.exists(p) {
            if access(p, W_OK) != 0 { return (p, errno) }
        }
        return nil
    }

    /// Whether this process can write the workspace's database.
    public var isWritable: Bool { usesPostgres || readOnlyPath([dir, dbPath]) == nil }

    /// Fails with one message and hint (73) unless the database and the directories a run
    /// writes (`media/`, `cache/`, `outputs/`) are writable: before a run starts any work.
    public func requireWritable() throws {
        if let r = readOnlyPath((usesPostgres ? [dir] : [dir, dbPath]) + [mediaDir, cacheDir, outputsDir]) { throw FileIO.readOnlyError(r.0, r.1) }
    }

    /// The absolute path of `relative` (a path from a request or a signed link) when it names a
    /// file inside `inside` (a directory under the workspace; the root by default), else
    /// `not_found`: no `..`, no absolute path, no NUL, and no symbolic link that leads out (the
    /// resolved path is checked too). Every path that comes from a request goes through here.
    public func confined(_ relative: String, inside: String? = nil) throws -> String {
        let base = Paths.normalize(inside ?? filesRoot)
        let notFound = OlleeyError.notFound("no such file")
        guard !relative.isEmpty, !relative.hasPrefix("/"), !relative.utf8.contains(0),
              !relative.split(separator: "/", omittingEmptySubsequences: false).contains(where: { $0 == ".." }) else { throw notFound }
        let joined = Paths.normalize(base + "/" + relative)
        guard joined.hasPrefix(base + "/") else { throw notFound }
        // a symbolic link inside may point outside: compare the real paths
        if let real = realpath(joined, nil) {
            defer { free(real) }
            let r = String(cString: real)
            let realBase = realpath(base, nil).map { p in defer { free(p) }; return String(cString: p) } ?? base
            guard r.hasPrefix(realBase + "/") else { throw notFound }
        }
        return joined
    }

    /// Opens the database for a command that only reads (`job list`, `job show`, `job outputs`,
    /// `vtt show`, ...): as `open` when the workspace is writable; else read-only, so a
    /// published archive or a read-only mount can be read. SQLite reads a WAL database read-only
    /// only where its `-shm` file exists or can be created; where neither (the usual case: the
    /// last writer removed `-wal` and `-shm` on close), it is opened immutable, which is safe
    /// because nobody can write it. A `-wal` file with transactions not yet in the database
    /// cannot be read that way: that fails with a hint to checkpoint it where it is writable.
    public func openForReading(busyTimeoutMs: Int32 = 5000) throws -> Database {
        if usesPostgres || isWritable || !Paths.exists(dbPath) { return try open(busyTimeoutMs: busyTimeoutMs) }
        var opts = Database.Options()
        opts.busyTimeoutMs = busyTimeoutMs
        opts.readOnly = true
        let db: Database
        do {
            db = try Database(path: dbPath, options: opts)
        } catch {
            var st = stat()
            if stat(dbPath + "-wal", &st) == 0 && st.st_size > 0 {
                throw OlleeyError.config("cannot read the read-only workspace database \(dbPath): its write-ahead log (\(Workspace.dbName)-wal) has changes that are not in the database, and SQLite cannot open it read-only here",
                                         hint: "where the workspace is writable, run: sqlite3 \(dbPath) 'PRAGMA wal_checkpoint(TRUNCATE)' (or any olleey command), then publish it again")
            }
            opts.immutable = true
            db = try Workspace.opening { try Database(path: dbPath, options: opts) }
        }
        let known = Schema.migrations.map(\.version).max() ?? 0
        let current = try Workspace.opening { try Migrator.currentVersion(db) ?? 0 }
        if current > known { throw Migrator.newerSchema(current, known) }
        if current < known {
            throw OlleeyError.config("the read-only workspace at \(root) has an older schema (version \(current)) than this olleey (version \(known))",
                                     hint: "open it once where it is writable (any olleey command migrates it), or read it with the olleey that wrote it")
        }
        return db
    }
}

/// Small path helpers that never touch the process's current directory.
public enum Paths {
    public static func absolute(_ p: String, cwd: String) -> String {
        var path = p
        if path == "~" || path.hasPrefix("~/") {
            path = (ProcessInfo.processInfo.environment["HOME"] ?? "/") + path.dropFirst()
        }
        let joined = path.hasPrefix("/") ? path : (cwd.hasSuffix("/") ? cwd + path : cwd + "/" + path)
        return normalize(joined)
    }

    /// Removes `.`, `..` and duplicate slashes.
    public static func normalize(_ p: String) -> String {
        var parts: [Substring] = []
        for c in p.split(separator: "/", omittingEmptySubsequences: true) {
            if c == "." { continue }
            if c == ".." { if !parts.isEmpty { parts.removeLast() }; continue }
            parts.append(c)
        }
        return "/" + parts.joined(separator: "/")
    }

    public static func parent(_ p: String) -> String {
        guard let i = p.lastIndex(of: "/") else { return "/" }
        let s = String(p[..<i])
        return s.isEmpty ? "/" : s
    }

    public static func isDirectory(_ p: String) -> Bool {
        var isDir: ObjCBool = false
        return FileManager.default.fileExists(atPath: p, isDirectory: &isDir) && isDir.boolValue
    }

    public static func exists(_ p: String) -> Bool { FileManager.default.fileExists(atPath: p) }

    /// Relative path from `base` to `p` when `p` is inside `base`, else `p`.
    public static func relative(_ p: String, to base: String) -> String {
        let b = base.hasSuffix("/") ? base : base + "/"
        return p.hasPrefix(b) ? String(p.dropFirst(b.count)) : p
    }
}
