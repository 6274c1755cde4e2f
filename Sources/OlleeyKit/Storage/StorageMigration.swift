import Foundation

/// `olleey storage migrate --to s3://BUCKET/PREFIX`: a workspace's media and outputs (its
/// storage directory's `media/` and `outputs/`) copied into an object store, each object checked
/// against the file's SHA-256, then the workspace switched to it. Run again after an
/// interruption, it copies only what is not there yet (an object whose recorded SHA-256 and size
/// match is kept). The local files are left as they were; the stage cache stays on this machine
/// (copied into the scratch directory, so nothing is computed again here).
public enum StorageMigration {
    public struct Report: Sendable {
        public var files = 0
        public var bytes: Int64 = 0
        /// Uploaded by this run.
        public var copied = 0
        /// Already in the object store, verified.
        public var kept = 0
        /// Output paths rewritten (a workspace without a storage path keeps them under `.olleey/`).
        public var pathsRewritten = 0
    }

    /// The folders of the storage directory that move.
    static let folders = ["media", "outputs"]

    public static func migrate(_ workspace: Workspace, db: Database, to url: String, note: (String) -> Void = { _ in }) throws -> Report {
        guard url.hasPrefix("s3://") else {
            throw OlleeyError.usage("--to must be an object store (s3://BUCKET/PREFIX)", hint: "olleey storage migrate --to s3://my-bucket/olleey")
        }
        _ = try S3Config.parse(url: url)
        guard !workspace.location.usesObjectStorage else {
            throw OlleeyError.usage("this workspace's storage is already an object store (\(workspace.location.storage ?? ""))")
        }
        var target = workspace.location
        target.storage = url
        let client = S3Client(try StorageSettings.s3Config(target, environment: workspace.environment))
        let source = workspace.storageDir
        var report = Report()
        for folder in folders {
            for rel in files(under: source, folder) {
                let path = source + "/" + rel
                guard let stamp = ObjectMirror.stamp(path) else { continue }
                report.files += 1
                report.bytes += stamp.size
                let sha = try Digest.sha256(file: path)
                if let have = try client.head(key: rel), have.sha256 == sha, have.size == stamp.size {
                    report.kept += 1
                    continue
                }
                let put = try client.put(file: path, key: rel, sha256: sha)
                guard let check = try client.head(key: rel), check.size == stamp.size, check.sha256 == sha || put.sha256 == sha else {
                    throw OlleeyError.failure("the object \(rel) does not match the file after upload (size or SHA-256)",
                                              hint: "run the migration again; nothing was switched")
                }
                report.copied += 1
                note("\(rel) (\(stamp.size) bytes)")
            }
        }
        // outputs are stored relative to the files root: without a storage path that is the
        // workspace root (".olleey/outputs/..."); in an object store, the storage itself
        let prefix = Paths.relative(Paths.normalize(workspace.storageDir), to: Paths.normalize(workspace.filesRoot))
        try db.transaction {
            if !prefix.isEmpty && prefix != "." {
                report.pathsRewritten = try JobStore(db).rewriteOutputPaths(dropping: prefix + "/")
            }
            var l = StoreLocation.read(workspace.dir + "/" + Workspace.locationName)
            l.storage = url
            try l.write(workspace.dir + "/" + Workspace.locationName)
        }
        // the stage cache stays on this machine: in the scratch directory the workspace uses now
        let moved = Workspace(root: workspace.root, environment: workspace.environment)
        if Paths.isDirectory(workspace.cacheDir) && !Paths.isDirectory(moved.cacheDir) {
            try FileIO.createDirectory(moved.storageDir)
            _ = try? Subprocess.run("/bin/cp", ["-a", "--reflink=auto", workspace.cacheDir, moved.cacheDir])
        }
        return report
    }

    /// The regular files under `base/folder`, relative to `base`, hidden and temporary ones aside.
    static func files(under base: String, _ folder: String) -> [String] {
        guard let walker = FileManager.default.enumerator(atPath: base + "/" + folder) else { return [] }
        var out: [String] = []
        while let rel = walker.nextObject() as? String {
            if (rel as NSString).lastPathComponent.hasPrefix(".") {
                if walker.fileAttributes?[.type] as? FileAttributeType == .typeDirectory { walker.skipDescendants() }
                continue
            }
            if walker.fileAttributes?[.type] as? FileAttributeType == .typeRegular { out.append(folder + "/" + rel) }
        }
        return out.sorted()
    }
}
