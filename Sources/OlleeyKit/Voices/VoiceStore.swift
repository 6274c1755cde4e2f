import Foundation

/// SQL of the voice registry (`voice_registry`, migration 13), within one organisation.
public struct VoiceStore {
    let db: Database
    let org: String

    public init(_ db: Database, org: String) { self.db = db; self.org = org }

    static let columns = "speaker, speaker_key, language, engine, voice, pitch, rate, automatic, created_by, updated_by, created_at, updated_at"

    static func entry(_ r: Row) throws -> VoiceEntry {
        let pitch: Int? = try r["pitch"], rate: Int? = try r["rate"]
        return VoiceEntry(speaker: try r["speaker"], speakerKey: try r["speaker_key"], language: try r["language"], engine: try r["engine"],
                          choice: VoiceChoice(voice: try r["voice"], pitch: pitch, rate: rate), automatic: try r["automatic"],
                          createdBy: try r["created_by"], updatedBy: try r["updated_by"], createdAt: try r["created_at"], updatedAt: try r["updated_at"])
    }

    /// Entries, by speaker then language (`*` first); optionally of one speaker (by key) or language.
    public func list(speakerKey: String? = nil, language: String? = nil) throws -> [VoiceEntry] {
        var sql = "SELECT \(VoiceStore.columns) FROM voice_registry WHERE org_id = ?"
        var args: [SQLValue] = [.text(org)]
        if let speakerKey { sql += " AND speaker_key = ?"; args.append(.text(speakerKey)) }
        if let language { sql += " AND language = ?"; args.append(.text(language)) }
        return try db.query(sql + " ORDER BY speaker_key, language", args, VoiceStore.entry)
    }

    public func get(speakerKey: String, language: String) throws -> VoiceEntry? {
        try db.queryOne("SELECT \(VoiceStore.columns) FROM voice_registry WHERE org_id = ? AND speaker_key = ? AND language = ?",
                        [.text(org), .text(speakerKey), .text(language)], VoiceStore.entry)
    }

    /// Writes a person's entry (inserting, or replacing any entry, automatic or not).
    public func upsert(_ e: VoiceEntry) throws {
        try db.run("""
            INSERT INTO voice_registry(org_id, speaker_key, speaker, language, engine, voice, pitch, rate, automatic, created_by, updated_by, created_at, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT(org_id, speaker_key, language) DO UPDATE SET speaker = excluded.speaker, engine = excluded.engine, voice = excluded.voice,
              pitch = excluded.pitch, rate = excluded.rate, automatic = excluded.automatic, updated_by = excluded.updated_by, updated_at = excluded.updated_at
            """, VoiceStore.values(e, org: org))
    }

    /// Records a job's automatic choice unless the speaker already has an entry for the
    /// language (a person's, or another job's that got there first). Returns whether it was written.
    public func insertAutomatic(_ e: VoiceEntry) throws -> Bool {
        try db.run("""
            INSERT INTO voice_registry(org_id, speaker_key, speaker, language, engine, voice, pitch, rate, automatic, created_by, updated_by, created_at, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT(org_id, speaker_key, language) DO NOTHING
            """, VoiceStore.values(e, org: org)) > 0
    }

    static func values(_ e: VoiceEntry, org: String) -> [SQLValue] {
        [.text(org), .text(e.speakerKey), .text(e.speaker), .text(e.language), .text(e.engine), e.choice.voice.sqlValue,
         e.choice.pitch.sqlValue, e.choice.rate.sqlValue, .int(e.automatic ? 1 : 0), .text(e.createdBy), .text(e.updatedBy), .text(e.createdAt), .text(e.updatedAt)]
    }

    /// Removes a speaker's entries (one language's, or all). Returns how many.
    public func delete(speakerKey: String, language: String?) throws -> Int {
        if let language {
            return try db.run("DELETE FROM voice_registry WHERE org_id = ? AND speaker_key = ? AND language = ?", [.text(org), .text(speakerKey), .text(language)])
        }
        return try db.run("DELETE FROM voice_registry WHERE org_id = ? AND speaker_key = ?", [.text(org), .text(speakerKey)])
    }
}
