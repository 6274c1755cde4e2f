import Foundation

/// The videos table: each source video once, by SHA-256, with what ffprobe said about it.
struct VideoStore {
    let db: Database
    init(_ db: Database) { self.db = db }

    /// The video record of `id`, its path made absolute under `workspace`.
    func get(_ id: String, workspace: Workspace) throws -> JobPipeline.VideoRecord? {
        try db.queryOne("SELECT id, sha256, path, duration_ms, has_audio FROM videos WHERE id = ?", [.text(id)], {
            JobPipeline.VideoRecord(id: $0.string(0), sha256: $0.string(1), path: workspace.storageDir + "/" + $0.string(2), durationMs: $0.int(3), hasAudio: $0.bool(4))
        })
    }

    func id(sha256: String) throws -> String? {
        try db.scalarText("SELECT id FROM videos WHERE sha256 = ?", [.text(sha256)])
    }

    /// Records a video (nothing when one with its SHA-256 is there); returns the id of the one kept.
    func insert(id: String, sha256: String, path: String, originalName: String, sizeBytes: Int, info: MediaInfo) throws -> String {
        try db.run("INSERT INTO videos(id, sha256, path, original_name, size_bytes, duration_ms, has_audio, info, created_at) VALUES (?,?,?,?,?,?,?,?,?) ON CONFLICT DO NOTHING",
                   [.text(id), .text(sha256), .text(path), .text(originalName), .int(Int64(sizeBytes)), .int(Int64(info.durationMs)),
                    .int(info.audio == nil ? 0 : 1), .text(info.json.encoded()), .text(Clock.nowISO())])
        return try self.id(sha256: sha256) ?? id
    }
}

extension VideoStore {
    /// The stored path (relative) of the video with this SHA-256, if any.
    func path(sha256: String) throws -> String? {
        try db.scalarText("SELECT path FROM videos WHERE sha256 = ?", [.text(sha256)])
    }
}
