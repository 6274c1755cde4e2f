import Foundation

/// A workspace: a directory holding `.olleey/` (olleey.db, media/, cache/, outputs/).
public struct Workspace: Sendable {
    public static let dirName = ".olleey"
    public static let dbName = "olleey.db"

    /// The directory that contains `.olleey/`.
    public let root: String

    public init(root: String) { self.root = root }

    public var dir: String { root + "/" + Workspace.dirName }
    public var dbPath: String { dir + "/" + Workspace.dbName }
    public var mediaDir: String { dir + "/media" }
    public var cacheDir: String { dir + "/cache" }
    public var outputsDir: String { dir + "/outputs" }

    /// Finds the workspace: an explicit path (`--workspace`), else `$OLLEEY_WORKSPACE`, else the
    /// nearest `.olleey/` walking up from `cwd`. Fails with 78 and a hint when there is none.
    public static func discover(explicit: String?, environment: [String: String], cwd: String) throws -> Workspace {
        if let p = explicit ?? environment["OLLEEY_WORKSPACE"].flatMap({ $0.isEmpty ? nil : $0 }) {
            let abs = Paths.absolute(p, cwd: cwd)
            let root = abs.hasSuffix("/" + dirName) ? String(abs.dropLast(dirName.count + 1)) : abs
            let ws = Workspace(root: root.isEmpty ? "/" : root)
            guard Paths.isDirectory(ws.dir) else {
                throw OlleeyError.config("no olleey workspace at \(abs)", hint: "create one", next: [.command("init", [p])])
            }
            return ws
        }
        var dir = Paths.absolute(cwd, cwd: "/")
        while true {
            if Paths.isDirectory(dir + (dir == "/" ? "" : "/") + dirName) { return Workspace(root: dir == "/" ? "" : dir) }
            if dir == "/" || dir.isEmpty { break }
            dir = Paths.parent(dir)
        }
        throw OlleeyError.config("not in an olleey workspace (no .olleey/ here or in any parent directory)",
                                 hint: "create one here, or name one", next: [.command("init"), .input("workspace", example: "PATH")])
    }

    /// Creates `.olleey/` and its database at `root` (idempotent: an existing workspace is kept
    /// and only migrated). Returns whether it was created.
    @discardableResult
    public static func initialize(at root: String) throws -> (Workspace, created: Bool) {
        let ws = Workspace(root: root)
        let existed = FileManager.default.fileExists(atPath: ws.dbPath)
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
    public var isWritable: Bool { readOnlyPath([dir, dbPath]) == nil }

    /// Fails with one message and hint (73) unless the database and the directories a run
    /// writes (`media/`, `cache/`, `outputs/`) are writable: before a run starts any work.
    public func requireWritable() throws {
        if let r = readOnlyPath([dir, dbPath, mediaDir, cacheDir, outputsDir]) { throw FileIO.readOnlyError(r.0, r.1) }
    }

    /// The absolute path of `relative` (a path from a request or a signed link) when it names a
    /// file inside `inside` (a directory under the workspace; the root by default), else
    /// `not_found`: no `..`, no absolute path, no NUL, and no symbolic link that leads out (the
    /// resolved path is checked too). Every path that comes from a request goes through here.
    public func confined(_ relative: String, inside: String? = nil) throws -> String {
        let base = Paths.normalize(inside ?? root)
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
        if isWritable || !Paths.exists(dbPath) { return try open(busyTimeoutMs: busyTimeoutMs) }
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
