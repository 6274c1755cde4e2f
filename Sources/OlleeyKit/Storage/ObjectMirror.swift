import Foundation

/// A workspace's media in an S3-compatible object store (`storage.url s3://BUCKET/PREFIX`).
///
/// ffmpeg and the engines work on files, so each machine works on local copies in its scratch
/// directory (`Workspace.storageDir`), whose paths under it are the objects' keys under PREFIX
/// (`media/SHA.mp4`, `outputs/JOB/es/talk.es.mp4`): the same layout as a `file://` storage.
/// The pipeline pulls what a stage reads before it runs and pushes what it wrote before the
/// stage is recorded done (`StageRunner`), so a unit of work can run on any machine; a job's
/// source is pushed when the job is created. Only the stage cache stays per machine.
///
/// Which local copies match their object is recorded beside them, in `.sync/PATH` (size,
/// modification time and the object's ETag): a copy changed since (written by a stage here) is
/// pushed, a clean copy whose object changed (written elsewhere) is pulled again, a copy being
/// written here is never overwritten by a pull. The scratch directory is bounded (`trim`): the
/// least recently used clean copies go first.
public final class ObjectMirror: @unchecked Sendable {
    public let client: S3Client
    /// The scratch directory.
    public let root: String
    /// Its size limit, in bytes.
    public let maxBytes: Int64

    public init(client: S3Client, root: String, maxBytes: Int64) {
        self.client = client; self.root = Paths.normalize(root); self.maxBytes = maxBytes
    }

    /// The mirror of `workspace`'s object store, nil when its storage is not one.
    public static func of(_ workspace: Workspace) throws -> ObjectMirror? {
        guard workspace.location.usesObjectStorage else { return nil }
        let config = try StorageSettings.s3Config(workspace.location, environment: workspace.environment)
        return ObjectMirror(client: S3Client(config), root: workspace.scratchDir, maxBytes: StorageSettings.scratchLimit(workspace.location))
    }

    /// The key of a local path (relative to the scratch directory); 65 for a path outside it.
    public func key(_ path: String) throws -> String {
        let p = Paths.normalize(path)
        guard p.hasPrefix(root + "/") else { throw OlleeyError.invalid("\(path) is not in the scratch directory \(root)") }
        return String(p.dropFirst(root.count + 1))
    }

    /// The local path of a key.
    public func path(_ key: String) -> String { root + "/" + key }

    /// `s3://BUCKET/PREFIX/KEY`, for people.
    public func uri(_ key: String) -> String {
        "s3://" + client.config.bucket + "/" + (client.config.prefix.isEmpty ? "" : client.config.prefix + "/") + key
    }

    // MARK: the sync records

    /// A copy as it was synced: its size, modification time and inode, and the object's ETag.
    struct Record: Equatable {
        var stamp: Stamp
        var etag: String
    }

    struct Stamp: Equatable {
        var size: Int64
        var mtimeNs: Int64
        var inode: UInt64
        var text: String { "\(size) \(mtimeNs) \(inode)" }
    }

    func recordPath(_ key: String) -> String { root + "/.sync/" + key }

    func record(_ key: String) -> Record? {
        guard let data = FileManager.default.contents(atPath: recordPath(key)) else { return nil }
        let f = String(decoding: data, as: UTF8.self).split(separator: " ", omittingEmptySubsequences: false).map(String.init)
        guard f.count == 4, let s = Int64(f[0]), let m = Int64(f[1]), let i = UInt64(f[2]) else { return nil }
        return Record(stamp: Stamp(size: s, mtimeNs: m, inode: i), etag: f[3].trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// Size, modification time and inode of a local file (nil: none).
    static func stamp(_ path: String) -> Stamp? {
        var st = stat()
        guard stat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { return nil }
        return Stamp(size: Int64(st.st_size), mtimeNs: Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec), inode: UInt64(st.st_ino))
    }

    func remember(_ key: String, etag: String) throws {
        guard let s = ObjectMirror.stamp(path(key)) else { return }
        let rp = recordPath(key)
        try FileIO.createDirectory((rp as NSString).deletingLastPathComponent)
        try FileIO.writeAtomically(s.text + " " + etag + "\n", to: rp)
    }

    /// The local copy is the object with `etag` as it was pulled or pushed (unchanged since).
    func isClean(_ key: String) -> Record? {
        guard let r = record(key), let s = ObjectMirror.stamp(path(key)), s == r.stamp else { return nil }
        return r
    }

    // MARK: pulling and pushing

    /// Makes sure the local copy of `path` exists, downloading it when missing. False when the
    /// object store has no such object either.
    @discardableResult
    public func fetch(_ path: String) throws -> Bool {
        let k = try key(path)
        if ObjectMirror.stamp(path) != nil { touch(path); return true }
        guard let info = try client.head(key: k) else { return false }
        try download(k, info)
        return true
    }

    func download(_ key: String, _ info: ObjectInfo) throws {
        let p = path(key)
        try FileIO.createDirectory((p as NSString).deletingLastPathComponent)
        let got = try client.get(key: key, to: p)
        try remember(key, etag: got.etag.isEmpty ? info.etag : got.etag)
    }

    /// Whether `path` is here or in the object store (a HEAD when it is not here).
    public func exists(_ path: String) throws -> Bool {
        if ObjectMirror.stamp(path) != nil { return true }
        return try client.head(key: try key(path)) != nil
    }

    /// Deletes the object of `path` and its sync record (the local file is the caller's).
    public func delete(_ path: String) throws {
        let k = try key(path)
        try client.delete(key: k)
        unlink(recordPath(k))
    }

    /// Uploads the local file at `path` unless its object is already this copy.
    public func publish(_ path: String) throws {
        let k = try key(path)
        guard ObjectMirror.stamp(path) != nil, isClean(k) == nil else { return }
        let info = try client.put(file: path, key: k)
        try remember(k, etag: info.etag)
    }

    /// Downloads the objects under `dir` (a key prefix, e.g. `outputs/JOB/es`) that are missing
    /// here or changed elsewhere; a local copy changed here since its last sync is kept.
    public func pull(_ dir: String) throws {
        for o in try client.list(prefix: dir.hasSuffix("/") ? dir : dir + "/") {
            let p = path(o.key)
            if ObjectMirror.stamp(p) == nil {
                try download(o.key, o)
            } else if let r = isClean(o.key), r.etag != o.etag {
                try download(o.key, o)
            }
        }
    }

    /// Uploads the files under `dir` (relative) changed here since their last sync: new, or
    /// written by a stage. Temporary and hidden files are left alone.
    public func push(_ dir: String) throws {
        let base = path(dir)
        guard let walker = FileManager.default.enumerator(atPath: base) else { return }
        var keys: [String] = []
        while let rel = walker.nextObject() as? String {
            let name = (rel as NSString).lastPathComponent
            if name.hasPrefix(".") { if walker.fileAttributes?[.type] as? FileAttributeType == .typeDirectory { walker.skipDescendants() }; continue }
            keys.append(dir + "/" + rel)
        }
        for k in keys.sorted() where ObjectMirror.stamp(path(k)) != nil && isClean(k) == nil {
            let info = try client.put(file: path(k), key: k)
            try remember(k, etag: info.etag)
        }
    }

    /// Deletes the objects under `dir` and their local copies.
    public func remove(_ dir: String) throws {
        for o in try client.list(prefix: dir + "/") { try client.delete(key: o.key) }
        try? FileManager.default.removeItem(atPath: path(dir))
        try? FileManager.default.removeItem(atPath: recordPath(dir))
    }

    /// The objects under `dir`, keys relative to the storage's prefix.
    public func list(_ dir: String) throws -> [ObjectInfo] { try client.list(prefix: dir.hasSuffix("/") ? dir : dir + "/") }

    /// A presigned GET URL of the object of `key`, valid `seconds`.
    public func downloadURL(_ key: String, seconds: Int) -> String { client.presignedURL(method: "GET", key: key, expires: seconds) }

    /// A presigned PUT URL of `key`, valid `seconds`.
    public func uploadURL(_ key: String, seconds: Int) -> String { client.presignedURL(method: "PUT", key: key, expires: seconds) }

    // MARK: the scratch directory's bound

    func touch(_ path: String) {
        // the access time is what `trim` orders by; utimensat leaves the modification time (the sync record's stamp) as it is
        // UTIME_NOW and UTIME_OMIT (<sys/stat.h>), which Swift does not import
        var times = [timespec(tv_sec: 0, tv_nsec: (1 << 30) - 1), timespec(tv_sec: 0, tv_nsec: (1 << 30) - 2)]
        _ = utimensat(AT_FDCWD, path, &times, 0)
    }

    /// Removes the least recently used clean copies (already in the object store) until the
    /// scratch directory holds at most `maxBytes` (copies used in the last `graceSeconds` stay:
    /// a stage may be reading them). Returns the bytes freed.
    @discardableResult
    public func trim(graceSeconds: Int = 60) -> Int64 {
        guard let walker = FileManager.default.enumerator(atPath: root) else { return 0 }
        var files: [(key: String, size: Int64, atime: Int64)] = []
        var total: Int64 = 0
        while let rel = walker.nextObject() as? String {
            if rel == ".sync" || (rel as NSString).lastPathComponent.hasPrefix(".") {
                if walker.fileAttributes?[.type] as? FileAttributeType == .typeDirectory { walker.skipDescendants() }
                continue
            }
            var st = stat()
            guard stat(root + "/" + rel, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { continue }
            total += Int64(st.st_size)
            files.append((rel, Int64(st.st_size), Int64(st.st_atim.tv_sec)))
        }
        guard total > maxBytes else { return 0 }
        let now = Int64(Date().timeIntervalSince1970)
        var freed: Int64 = 0
        for f in files.sorted(by: { $0.atime < $1.atime }) where total - freed > maxBytes {
            // a copy not yet in the object store stays; the stage cache is this machine's alone and may go
            guard now - f.atime >= Int64(graceSeconds), f.key.hasPrefix("cache/") || isClean(f.key) != nil else { continue }
            if unlink(path(f.key)) == 0 {
                unlink(recordPath(f.key))
                freed += f.size
            }
        }
        return freed
    }
}
