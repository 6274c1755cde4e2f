import Foundation

/// A job's files as signed links (`SignedLink`): download links to its deliverables and to any
/// file of its output folder, upload links to a confined place, and the checks made when a link
/// is used. Every path a request names goes through `Workspace.confined`; a job of another
/// organisation does not exist for the actor.
public struct JobFiles {
    public let db: Database
    public let workspace: Workspace
    public let actor: Actor
    /// Seconds since the epoch (links expire from it).
    public var now: Int64

    public init(db: Database, workspace: Workspace, actor: Actor, now: Int64 = Int64(Date().timeIntervalSince1970)) {
        self.db = db; self.workspace = workspace; self.actor = actor; self.now = now
    }

    var queries: JobQueries { JobQueries(db: db, workspace: workspace, actor: actor) }

    /// One deliverable of a job: `language` is `all` for the master, `kind` is the output's kind
    /// (`master`, `mp4`, `vtt`, `srt`, `audio`..., `source_vtt`).
    public struct Deliverable: Sendable, Equatable {
        public var language: String
        public var kind: String
        /// Relative to the workspace root.
        public var path: String
        public var link: SignedLink
        public var fileName: String { (path as NSString).lastPathComponent }
    }

    /// Download links (`SignedLink.downloadTTL`) to the job's deliverables that exist on disk:
    /// the master, each language's outputs (in the job's order), the source VTT.
    public func deliverables(_ jobRef: String) throws -> (job: Job, items: [Deliverable], expires: Int64) {
        let job = try queries.job(jobRef)
        let exists = try existing(job)
        let outputs = try queries.outputs(job, exists: exists)
        let expires = now + SignedLink.downloadTTL
        var items: [Deliverable] = []
        for row in outputs.rows {
            guard let abs = try? workspace.confined(Paths.relative(row.path, to: workspace.filesRoot)), exists(abs) else { continue }
            let rel = Paths.relative(abs, to: Paths.normalize(workspace.filesRoot))
            items.append(Deliverable(language: row.language, kind: row.kind, path: rel,
                                     link: SignedLink(purpose: .download, org: job.orgId, job: job.id, path: rel, expires: expires)))
        }
        return (job, items, expires)
    }

    /// A download link to a file of the job's output folder (`path` relative to it, any depth).
    /// A path that leaves the folder, or names no file, is not found.
    public func downloadLink(_ jobRef: String, path: String) throws -> SignedLink {
        let job = try queries.job(jobRef)
        let dir = OutputLayout.dir(outputsDir: workspace.outputsDir, jobId: job.id)
        let abs = try workspace.confined(path, inside: dir)
        guard try existing(job)(abs) else { throw OlleeyError.notFound("job \(job.id) has no file '\(path)'") }
        return SignedLink(purpose: .download, org: job.orgId, job: job.id, path: Paths.relative(abs, to: Paths.normalize(workspace.filesRoot)),
                          expires: now + SignedLink.downloadTTL)
    }

    /// Whether a file of `job`'s output folder exists: on disk (`onDisk`), or (media in an object
    /// store) as an object, from one listing.
    func existing(_ job: Job, onDisk: ((String) -> Bool)? = nil) throws -> (String) -> Bool {
        guard let mirror = try ObjectMirror.of(workspace) else { return onDisk ?? { isRegularFile($0) } }
        let keys = Set(try mirror.list("outputs/" + job.id).map(\.key))
        return { abs in (try? mirror.key(abs)).map { keys.contains($0) } ?? false }
    }

    /// With media in an object store, the link as a presigned URL of its object (a download: GET,
    /// an upload: PUT), valid until the link expires; nil otherwise (the server serves the link).
    public static func presignedURL(_ link: SignedLink, workspace: Workspace, now: Int64 = Int64(Date().timeIntervalSince1970)) throws -> String? {
        guard let mirror = try ObjectMirror.of(workspace) else { return nil }
        let key = try mirror.key(try workspace.confined(link.path))
        let seconds = Int(max(1, link.expires - now))
        return link.purpose == .download ? mirror.downloadURL(key, seconds: seconds) : mirror.uploadURL(key, seconds: seconds)
    }

    /// A file name for an upload: one path segment, 1-200 characters, no control characters, not
    /// hidden (400 otherwise, naming the rule).
    public static func validUploadName(_ raw: String) throws -> String {
        let n = raw.trimmingCharacters(in: .whitespaces)
        guard !n.isEmpty, n.utf8.count <= 200, !n.contains("/"), !n.contains("\\"), !n.hasPrefix("."),
              !n.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
            throw OlleeyError(.invalid, "file name '\(raw)' is not allowed",
                              hint: "one name of 1-200 characters, without '/', control characters or a leading '.'", next: [.input("file_name", example: "talk.mp4")])
        }
        return n
    }

    /// An upload link (`SignedLink.uploadTTL`, purpose upload) for one file: into the job's
    /// `uploads` folder (`outputs/JOB/uploads/NAME`) when a job is named, else into a fresh upload
    /// area of the organisation (`.olleey/uploads/ORG/ID/NAME`). The link accepts one upload: a
    /// file already there is a conflict.
    public func uploadLink(job jobRef: String?, fileName: String) throws -> SignedLink {
        let name = try JobFiles.validUploadName(fileName)
        let rel: String, jobId: String
        if let jobRef {
            let job = try queries.job(jobRef)
            jobId = job.id
            rel = Paths.relative(Paths.normalize(OutputLayout.dir(outputsDir: workspace.outputsDir, jobId: job.id)), to: Paths.normalize(workspace.filesRoot)) + "/uploads/" + name
            if try existing(job, onDisk: Paths.exists)(try workspace.confined(rel)) {
                throw OlleeyError(.alreadyExists, "job \(job.id) already has an uploaded file '\(name)'", hint: "choose another name")
            }
        } else {
            jobId = ""
            rel = Workspace.dirName + "/uploads/" + actor.org + "/" + ID.uuid7() + "/" + name
        }
        _ = try workspace.confined(rel)
        return SignedLink(purpose: .upload, org: actor.org, job: jobId, path: rel, expires: now + SignedLink.uploadTTL)
    }

    /// The link of `token` for `purpose`, checked: signature, expiry, purpose, and `name` (the
    /// URL's last segment) equal to the file's name, so an edited URL is refused like a forged
    /// one (`unauthenticated`). Returns the link and its file's absolute path (confined; a path
    /// that leaves the workspace is not found).
    public static func verify(token: String, name: String, purpose: SignedLink.Purpose, workspace: Workspace, key: [UInt8],
                              now: Int64 = Int64(Date().timeIntervalSince1970)) throws -> (link: SignedLink, path: String) {
        let link = try SignedLink.verify(token, key: key, purpose: purpose, now: now)
        let expected = link.path.split(separator: "/").last.map(String.init) ?? "file"
        guard name == expected else {
            throw OlleeyError(.unauthenticated, "this link is invalid or has expired", hint: "ask the API for a new signed URL")
        }
        return (link, try workspace.confined(link.path))
    }

    /// Stores the bytes of an upload (the file `temp`, moved): once per link. The destination is
    /// claimed first (created exclusively), so two uploads through one link cannot both win: the
    /// second is a conflict and `temp` is left to its owner. Across file systems the bytes are
    /// copied; a failed copy removes the partial file. Returns the stored size.
    @discardableResult
    public static func store(upload path: String, from temp: String) throws -> Int64 {
        let used = OlleeyError.conflict("this upload link was used already", hint: "ask the API for a new upload URL")
        do { try FileManager.default.createDirectory(atPath: Paths.parent(path), withIntermediateDirectories: true) } catch {
            throw OlleeyError(.cannotCreate, "cannot store the upload")
        }
        let claim = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard claim >= 0 else {
            if errno == EEXIST { throw used }
            throw OlleeyError(.cannotCreate, "cannot store the upload")
        }
        close(claim)
        if rename(temp, path) != 0 {
            guard errno == EXDEV, copy(temp, into: path) else {
                unlink(path)
                throw OlleeyError(.cannotCreate, "cannot store the upload")
            }
        }
        var st = stat()
        return stat(path, &st) == 0 ? Int64(st.st_size) : 0
    }

    /// Copies `source` into the existing file `path` (another file system); false on any failure.
    static func copy(_ source: String, into path: String) -> Bool {
        let input = open(source, O_RDONLY | O_CLOEXEC)
        guard input >= 0 else { return false }
        defer { close(input) }
        let output = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC)
        guard output >= 0 else { return false }
        defer { close(output) }
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(input, $0.baseAddress, $0.count) }
            if n == 0 { return true }
            guard n > 0 else { return false }
            var done = 0
            while done < n {
                let w = buffer.withUnsafeBytes { b in b.baseAddress.map { write(output, $0 + done, n - done) } ?? -1 }
                guard w > 0 else { return false }
                done += w
            }
        }
    }

    func isRegularFile(_ p: String) -> Bool {
        var isDir: ObjCBool = false
        return FileManager.default.fileExists(atPath: p, isDirectory: &isDir) && !isDir.boolValue
    }
}
