import Foundation

/// The `source_videos` table (migration 11): an organisation's catalogue entry of a `videos` row.
struct SourceVideoStore {
    let db: Database
    init(_ db: Database) { self.db = db }

    static let columns = "s.id, s.org_id, s.title, s.description, s.channel_id, s.project_id, s.uploaded_by, s.created_at, v.path, v.size_bytes, v.duration_ms, v.has_audio"

    static func row(_ r: Row) -> SourceVideo {
        SourceVideo(id: r.string(0), org: r.string(1), title: r.string(2), description: r.optionalString(3), channelId: r.optionalString(4),
                    projectId: r.optionalString(5), uploadedBy: r.optionalString(6), createdAt: r.string(7), path: r.string(8),
                    sizeBytes: r.int(9), durationMs: r.int(10), hasAudio: r.bool(11))
    }

    /// Adds the entry; false when the organisation has this video already.
    func insert(id: String, org: String, title: String, description: String?, channelId: String?, projectId: String?, uploadedBy: String?) throws -> Bool {
        try db.run("INSERT INTO source_videos(id, org_id, title, description, channel_id, project_id, uploaded_by, created_at) VALUES (?,?,?,?,?,?,?,?) ON CONFLICT DO NOTHING",
                   [.text(id), .text(org), .text(title), description.sqlValue, channelId.sqlValue, projectId.sqlValue, uploadedBy.sqlValue,
                    .text(Clock.nowISO())]) > 0
    }

    func get(org: String, id: String) throws -> SourceVideo? {
        try db.queryOne("SELECT \(Self.columns) FROM source_videos s JOIN videos v ON v.id = s.id WHERE s.org_id = ? AND s.id = ?",
                        [.text(org), .text(id)], Self.row)
    }

    /// Newest first; with the total matching.
    func list(org: String, channelId: String?, projectId: String?, limit: Int, offset: Int) throws -> ([SourceVideo], Int) {
        var conds = ["s.org_id = ?"]
        var args: [SQLValue] = [.text(org)]
        if let c = channelId { conds.append("s.channel_id = ?"); args.append(.text(c)) }
        if let p = projectId { conds.append("s.project_id = ?"); args.append(.text(p)) }
        let whereSQL = conds.joined(separator: " AND ")
        let total = Int(try db.scalarInt("SELECT count(*) FROM source_videos s WHERE \(whereSQL)", args) ?? 0)
        let items = try db.query("SELECT \(Self.columns) FROM source_videos s JOIN videos v ON v.id = s.id WHERE \(whereSQL) ORDER BY s.created_at DESC, s.id DESC LIMIT ? OFFSET ?",
                                 args + [.int(Int64(limit)), .int(Int64(offset))], Self.row)
        return (items, total)
    }

    /// The organisation's newest job of a video.
    func latestJobId(org: String, video: String) throws -> String? {
        try db.scalarText("SELECT id FROM jobs WHERE org_id = ? AND video_id = ? ORDER BY created_at DESC, id DESC LIMIT 1", [.text(org), .text(video)])
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

/// The `localized_metadata` table (migration 11): as typed, one row per job and language.
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

    /// Sets the fields given; a nil field keeps its value.
    func upsert(job: String, language: String, title: String?, description: String?, by: String?) throws {
        try db.run("""
            INSERT INTO localized_metadata(job_id, language, title, description, updated_by, updated_at) VALUES (?,?,?,?,?,?)
            ON CONFLICT(job_id, language) DO UPDATE SET title = coalesce(excluded.title, localized_metadata.title),
              description = coalesce(excluded.description, localized_metadata.description), updated_by = excluded.updated_by, updated_at = excluded.updated_at
            """, [.text(job), .text(language), title.sqlValue, description.sqlValue, by.sqlValue, .text(Clock.nowISO())])
    }
}
