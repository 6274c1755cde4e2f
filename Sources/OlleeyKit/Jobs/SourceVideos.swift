import Foundation

/// A source video of an organisation: an uploaded file (a `videos` row, by SHA-256) and its
/// catalogue entry there (title, description, channel, project).
public struct SourceVideo: Sendable, Equatable {
    public var id: String
    public var org: String
    public var title: String
    public var description: String?
    public var channelId: String?
    public var projectId: String?
    public var uploadedBy: String?
    public var createdAt: String
    /// Relative to the storage directory (`.olleey/`, or the shared storage path), as `videos.path`: `media/SHA.mp4`.
    public var path: String
    public var sizeBytes: Int
    public var durationMs: Int
    public var hasAudio: Bool
}

/// A page of source videos.
public struct SourceVideoPage: Sendable {
    public var items: [SourceVideo]
    public var total: Int
    public var page: Int
    public var pageSize: Int
}

/// What `POST /videos/upload` stores, as given.
public struct SourceVideoUpload: Sendable {
    /// The uploaded file (anywhere on the workspace's file system: it is moved, not copied).
    public var file: String
    public var originalName: String
    public var title: String
    public var description: String?
    public var channel: String?
    public var project: String?

    public init(file: String, originalName: String, title: String, description: String? = nil, channel: String? = nil, project: String? = nil) {
        self.file = file; self.originalName = originalName; self.title = title; self.description = description
        self.channel = channel; self.project = project
    }
}

/// The source videos of the actor's organisation: upload (probed with ffprobe before any row
/// exists; the file is removed when it is refused), list and get. Another organisation's video
/// is "not found".
public struct SourceVideoService {
    public let db: Database
    public let workspace: Workspace
    public let actor: Actor

    public init(db: Database, workspace: Workspace, actor: Actor) { self.db = db; self.workspace = workspace; self.actor = actor }

    /// The video kinds the list knows: uploads are `original`; `all` is no filter.
    public static let videoTypes = ["all", "original"]

    /// Stores an upload: probes it (not a video: `invalid`, file removed), moves it into
    /// `media/` by SHA-256 and records it. The same file uploaded again in the organisation is
    /// the same video (`created` false; its first title is kept).
    public func upload(_ u: SourceVideoUpload) throws -> (video: SourceVideo, created: Bool) {
        let r = try store(u)
        return (r.video, r.created)
    }

    /// The second API's create with an upload: the upload and the job in one transaction, so a
    /// job that cannot be created (a language pair missing, say) leaves no video behind (its
    /// file removed too when this upload placed it). `configure` fills the job's request.
    public func createJob(from u: SourceVideoUpload, _ configure: (SourceVideo, inout JobCreateRequest) throws -> Void) throws -> Job {
        var placed: String?
        do {
            return try db.transaction {
                let r = try store(u)
                if r.moved { placed = try file(r.video) }
                var req = JobCreateRequest(source: try file(r.video))
                req.videoId = r.video.id
                req.sourceName = r.video.title
                req.org = actor.org
                req.actor = actor.email
                try configure(r.video, &req)
                return try JobService(db: db, workspace: workspace).create(req)
            }
        } catch {
            if let p = placed { unlink(p) }
            throw error
        }
    }

    func store(_ u: SourceVideoUpload) throws -> (video: SourceVideo, created: Bool, moved: Bool) {
        var moved = false
        defer { if !moved { unlink(u.file) } }
        let title = u.title.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !title.isEmpty else { throw OlleeyError.invalid("the title is empty", next: [.input("title", example: "'My video'")]) }
        let channelId = try u.channel.map { try ChannelService(db, actor: actor).resolve($0).id }
        let projectId = try u.project.map { try ProjectService(db, actor: actor).resolve($0).id }
        var ff = try FFmpeg()
        ff.metadataCacheDirectory = workspace.cacheDir + "/probe"
        let info: MediaInfo
        do { info = try ff.probe(u.file, requireVideo: true) } catch let e as OlleeyError where e.code == .invalid {
            throw OlleeyError.invalid("\(u.originalName) is not a video ffprobe can read: \(e.message)", hint: "upload an MP4 (or another video file ffprobe reads)")
        }
        let sha = try Digest.sha256(file: u.file)
        var ext = (u.originalName as NSString).pathExtension.lowercased()
        if ext.isEmpty || ext.count > 8 || !ext.allSatisfy({ $0.isLetter || $0.isNumber }) { ext = "mp4" }
        let videos = VideoStore(db)
        let rel = try videos.path(sha256: sha) ?? "media/\(sha).\(ext)"
        let dest = workspace.storageDir + "/" + rel
        if !FileManager.default.fileExists(atPath: dest) {
            guard rename(u.file, dest) == 0 else { throw OlleeyError.cannotCreate("cannot store the upload at \(rel): \(String(cString: strerror(errno)))") }
            moved = true
        }
        try ObjectMirror.of(workspace)?.publish(dest)
        let size = (try? FileManager.default.attributesOfItem(atPath: dest)[.size] as? Int) ?? 0
        let created = try db.transaction { () -> (String, Bool) in
            let id = try videos.insert(id: ID.uuid7(), sha256: sha, path: rel, originalName: u.originalName, sizeBytes: size, info: info)
            let added = try SourceVideoStore(db).insert(id: id, org: actor.org, title: title, description: u.description, channelId: channelId,
                                                        projectId: projectId, uploadedBy: actor.email)
            if added { try AuditLog(db).record(actor: actor.email, action: "video.upload", subject: id, org: actor.org) }
            return (id, added)
        }
        guard let v = try get(created.0) else { throw OlleeyError.failure("the uploaded video \(created.0) was not recorded") }
        return (v, created.1, moved)
    }

    /// A video of the organisation, nil when there is none (or it is another organisation's).
    public func get(_ id: String) throws -> SourceVideo? {
        try SourceVideoStore(db).get(org: actor.org, id: id)
    }

    /// `get`, or `notFound` (404).
    public func require(_ id: String) throws -> SourceVideo {
        guard let v = try get(id) else { throw OlleeyError.notFound("no video \(id)", hint: "upload it first, or list the videos") }
        return v
    }

    /// The absolute path of a video's file.
    /// With an object store, fetched into the scratch directory when it is not there.
    public func file(_ v: SourceVideo) throws -> String {
        let path = try workspace.confined(v.path, inside: workspace.storageDir)
        try ObjectMirror.of(workspace)?.fetch(path)
        return path
    }

    /// A page of the organisation's videos, newest first; channel and project by id or name
    /// (unknown: 404); `videoType` one of `videoTypes`.
    public func list(page: Int = 1, pageSize: Int = 50, channel: String? = nil, project: String? = nil, videoType: String? = nil) throws -> SourceVideoPage {
        guard page >= 1 else { throw OlleeyError.usage("the page starts at 1", next: [.input("page", example: "1")]) }
        guard (1...500).contains(pageSize) else { throw OlleeyError.usage("the page size must be between 1 and 500", next: [.input("page-size", example: "50")]) }
        if let t = videoType, !Self.videoTypes.contains(t) {
            throw OlleeyError.usage("unknown video type '\(t)'", hint: "video types: \(Self.videoTypes.joined(separator: ", ")) (uploads are original videos)")
        }
        let channelId = try channel.map { try ChannelService(db, actor: actor).resolve($0).id }
        let projectId = try project.map { try ProjectService(db, actor: actor).resolve($0).id }
        let (items, total) = try SourceVideoStore(db).list(org: actor.org, channelId: channelId, projectId: projectId, limit: pageSize, offset: (page - 1) * pageSize)
        return SourceVideoPage(items: items, total: total, page: page, pageSize: pageSize)
    }

    /// The organisation's newest job of a video (its localizations), nil when none.
    public func latestJob(_ v: SourceVideo) throws -> Job? {
        guard let id = try SourceVideoStore(db).latestJobId(org: actor.org, video: v.id) else { return nil }
        return try JobStore(db, org: actor.org).resolve(id)
    }
}

extension LocalizedMetadataStore {
    /// Sets the fields given (nil: unchanged) of a language of the job (the source language or a
    /// target language; another is `notFound`).
    public func set(job: Job, language raw: String, title: String?, description: String?, actor: Actor) throws -> LocalizedMetadata {
        try actor.check(job)
        let lang = try Language.validate(raw).code
        guard lang == job.sourceLang || job.options.targetLanguages.contains(lang) else {
            throw OlleeyError.notFound("job \(job.id) has no language \(lang)", hint: "its languages: \(job.options.targetLanguages.joined(separator: ", "))")
        }
        try db.transaction {
            try upsert(job: job.id, language: lang, title: title, description: description, by: actor.email)
            try AuditLog(db).record(actor: actor.email, action: "video.metadata", subject: "\(job.id)/\(lang)", org: actor.org)
        }
        guard let m = try all(job: job.id)[lang] else { throw OlleeyError.failure("the metadata of \(lang) was not stored") }
        return m
    }
}
