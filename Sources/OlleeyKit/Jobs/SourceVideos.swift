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
    /// Relative to the workspace directory (`.olleey/`), as `videos.path`: `media/SHA.mp4`.
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
        let dest = workspace.dir + "/" + rel
        if !FileManager.default.fileExists(atPath: dest) {
            guard rename(u.file, dest) == 0 else { throw OlleeyError.cannotCreate("cannot store the upload at \(rel): \(String(cString: strerror(errno)))") }
            moved = true
        }
        let size = (try? FileManager.default.attributesOfItem(atPath: dest)[.size] as? Int) ?? 0
        let created = try db.transaction { () -> (String, Bool) in
            let id = try videos.insert(id: ID.uuid7(), sha256: sha, path: rel, originalName: u.originalName, sizeBytes: size, info: info)
            let n = try db.run("INSERT OR IGNORE INTO source_videos(id, org_id, title, description, channel_id, project_id, uploaded_by, created_at) VALUES (?,?,?,?,?,?,?,?)",
                               [.text(id), .text(actor.org), .text(title), u.description.map { .text($0) } ?? .null, channelId.map { .text($0) } ?? .null,
                                projectId.map { .text($0) } ?? .null, actor.email.map { .text($0) } ?? .null, .text(Clock.nowISO())])
            if n > 0 { try AuditLog(db).record(actor: actor.email, action: "video.upload", subject: id, org: actor.org) }
            return (id, n > 0)
        }
        guard let v = try get(created.0) else { throw OlleeyError.failure("the uploaded video \(created.0) was not recorded") }
        return (v, created.1, moved)
    }

    static let columns = "s.id, s.org_id, s.title, s.description, s.channel_id, s.project_id, s.uploaded_by, s.created_at, v.path, v.size_bytes, v.duration_ms, v.has_audio"

    static func row(_ r: Row) -> SourceVideo {
        SourceVideo(id: r.string(0), org: r.string(1), title: r.string(2), description: r.optionalString(3), channelId: r.optionalString(4),
                    projectId: r.optionalString(5), uploadedBy: r.optionalString(6), createdAt: r.string(7), path: r.string(8),
                    sizeBytes: r.int(9), durationMs: r.int(10), hasAudio: r.bool(11))
    }

    /// A video of the organisation, nil when there is none (or it is another organisation's).
    public func get(_ id: String) throws -> SourceVideo? {
        try db.queryOne("SELECT \(Self.columns) FROM source_videos s JOIN videos v ON v.id = s.id WHERE s.org_id = ? AND s.id = ?",
                        [.text(actor.org), .text(id)], Self.row)
    }

    /// `get`, or `notFound` (404).
    public func require(_ id: String) throws -> SourceVideo {
        guard let v = try get(id) else { throw OlleeyError.notFound("no video \(id)", hint: "upload it first, or list the videos") }
        return v
    }

    /// The absolute path of a video's file.
    public func file(_ v: SourceVideo) throws -> String { try workspace.confined(v.path, inside: workspace.dir) }

    /// A page of the organisation's videos, newest first; channel and project by id or name
    /// (unknown: 404); `videoType` one of `videoTypes`.
    public func list(page: Int = 1, pageSize: Int = 50, channel: String? = nil, project: String? = nil, videoType: String? = nil) throws -> SourceVideoPage {
        guard page >= 1 else { throw OlleeyError.usage("the page starts at 1", next: [.input("page", example: "1")]) }
        guard (1...500).contains(pageSize) else { throw OlleeyError.usage("the page size must be between 1 and 500", next: [.input("page-size", example: "50")]) }
        if let t = videoType, !Self.videoTypes.contains(t) {
            throw OlleeyError.usage("unknown video type '\(t)'", hint: "video types: \(Self.videoTypes.joined(separator: ", ")) (uploads are original videos)")
        }
        var conds = ["s.org_id = ?"]
        var args: [SQLValue] = [.text(actor.org)]
        if let c = channel { conds.append("s.channel_id = ?"); args.append(.text(try ChannelService(db, actor: actor).resolve(c).id)) }
        if let p = project { conds.append("s.project_id = ?"); args.append(.text(try ProjectService(db, actor: actor).resolve(p).id)) }
        let whereSQL = conds.joined(separator: " AND ")
        let total = Int(try db.scalarInt("SELECT count(*) FROM source_videos s WHERE \(whereSQL)", args) ?? 0)
        let items = try db.query("SELECT \(Self.columns) FROM source_videos s JOIN videos v ON v.id = s.id WHERE \(whereSQL) ORDER BY s.created_at DESC, s.id DESC LIMIT ? OFFSET ?",
                                 args + [.int(Int64(pageSize)), .int(Int64((page - 1) * pageSize))], Self.row)
        return SourceVideoPage(items: items, total: total, page: page, pageSize: pageSize)
    }

    /// The organisation's newest job of a video (its localizations), nil when none.
    public func latestJob(_ v: SourceVideo) throws -> Job? {
        guard let id = try db.scalarText("SELECT id FROM jobs WHERE org_id = ? AND video_id = ? ORDER BY created_at DESC, id DESC LIMIT 1",
                                         [.text(actor.org), .text(v.id)]) else { return nil }
        return try JobStore(db, org: actor.org).resolve(id)
    }
}

/// A person's title and description of a job's localized video (`PATCH /jobs/{id}/videos/{lang}`).
public struct LocalizedMetadata: Sendable, Equatable {
    public var language: String
    public var title: String?
    public var description: String?
    public var updatedBy: String?
    public var updatedAt: String
}

/// The localized videos' metadata of a job: stored as typed, one row per language.
public struct LocalizedMetadataStore {
    public let db: Database
    public init(_ db: Database) { self.db = db }

    public func all(job: String) throws -> [String: LocalizedMetadata] {
        var out: [String: LocalizedMetadata] = [:]
        for m in try db.query("SELECT language, title, description, updated_by, updated_at FROM localized_metadata WHERE job_id = ?", [.text(job)], {
            LocalizedMetadata(language: $0.string(0), title: $0.optionalString(1), description: $0.optionalString(2), updatedBy: $0.optionalString(3), updatedAt: $0.string(4))
        }) { out[m.language] = m }
        return out
    }

    /// Sets the fields given (nil: unchanged) of a language of the job (the source language or a
    /// target language; another is `notFound`).
    public func set(job: Job, language raw: String, title: String?, description: String?, actor: Actor) throws -> LocalizedMetadata {
        try actor.check(job)
        let lang = try Language.validate(raw).code
        guard lang == job.sourceLang || job.options.targetLanguages.contains(lang) else {
            throw OlleeyError.notFound("job \(job.id) has no language \(lang)", hint: "its languages: \(job.options.targetLanguages.joined(separator: ", "))")
        }
        let now = Clock.nowISO()
        try db.transaction {
            _ = try db.run("""
                INSERT INTO localized_metadata(job_id, language, title, description, updated_by, updated_at) VALUES (?,?,?,?,?,?)
                ON CONFLICT(job_id, language) DO UPDATE SET title = coalesce(excluded.title, title),
                  description = coalesce(excluded.description, description), updated_by = excluded.updated_by, updated_at = excluded.updated_at
                """, [.text(job.id), .text(lang), title.map { .text($0) } ?? .null, description.map { .text($0) } ?? .null,
                      actor.email.map { .text($0) } ?? .null, .text(now)])
            try AuditLog(db).record(actor: actor.email, action: "video.metadata", subject: "\(job.id)/\(lang)", org: actor.org)
        }
        guard let m = try all(job: job.id)[lang] else { throw OlleeyError.failure("the metadata of \(lang) was not stored") }
        return m
    }
}
