import WebVTT

/// A job's subtitle track for one language: the source transcript or a translation. Every change
/// is a new version (author, time, message); nothing is overwritten.
public struct TrackVersion: Sendable {
    public var version: Int
    public var content: String
    public var sha256: String
    public var author: String
    public var message: String
    public var createdAt: String

    public var json: JSON {
        .object([("version", .int(Int64(version))), ("sha256", .string(sha256)), ("author", .string(author)),
                 ("message", .string(message)), ("created_at", .string(createdAt))])
    }
}

public enum TrackKind: String, Sendable { case source, translation }

public struct TrackStore {
    let db: Database

    public init(_ db: Database) { self.db = db }

    func trackID(_ job: String, _ lang: String, _ kind: TrackKind, create: Bool) throws -> Int64? {
        if let id = try db.scalarInt("SELECT id FROM tracks WHERE job_id = ? AND language = ? AND kind = ?", [.text(job), .text(lang), .text(kind.rawValue)]) {
            return id
        }
        guard create else { return nil }
        try db.run("INSERT INTO tracks(job_id, language, kind) VALUES (?, ?, ?)", [.text(job), .text(lang), .text(kind.rawValue)])
        return db.lastInsertRowID
    }

    /// Adds a version; returns its number. Identical content to the current version adds nothing.
    @discardableResult
    public func add(job: String, language: String, kind: TrackKind, content: String, author: String, message: String) throws -> Int {
        try db.transaction {
            guard let tid = try trackID(job, language, kind, create: true) else { return 0 }
            let sha = Digest.sha256(content)
            if let cur = try current(job: job, language: language, kind: kind), cur.sha256 == sha { return cur.version }
            let next = Int(try db.scalarInt("SELECT coalesce(max(version), 0) + 1 FROM track_versions WHERE track_id = ?", [.int(tid)]) ?? 1)
            try db.run("INSERT INTO track_versions(track_id, version, content, sha256, author, message, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                       [.int(tid), .int(Int64(next)), .text(content), .text(sha), .text(author), .text(message), .text(Clock.nowISO())])
            try db.run("UPDATE tracks SET current_version = ? WHERE id = ?", [.int(Int64(next)), .int(tid)])
            return next
        }
    }

    public func current(job: String, language: String, kind: TrackKind) throws -> TrackVersion? {
        try db.queryOne("""
            SELECT v.version, v.content, v.sha256, v.author, v.message, v.created_at FROM tracks t
            JOIN track_versions v ON v.track_id = t.id AND v.version = t.current_version
            WHERE t.job_id = ? AND t.language = ? AND t.kind = ?
            """, [.text(job), .text(language), .text(kind.rawValue)], TrackStore.version)
    }

    public func version(job: String, language: String, kind: TrackKind, _ v: Int) throws -> TrackVersion? {
        try db.queryOne("""
            SELECT v.version, v.content, v.sha256, v.author, v.message, v.created_at FROM tracks t
            JOIN track_versions v ON v.track_id = t.id WHERE t.job_id = ? AND t.language = ? AND t.kind = ? AND v.version = ?
            """, [.text(job), .text(language), .text(kind.rawValue), .int(Int64(v))], TrackStore.version)
    }

    public func versions(job: String, language: String, kind: TrackKind) throws -> [TrackVersion] {
        try db.query("""
            SELECT v.version, '', v.sha256, v.author, v.message, v.created_at FROM tracks t
            JOIN track_versions v ON v.track_id = t.id WHERE t.job_id = ? AND t.language = ? AND t.kind = ? ORDER BY v.version
            """, [.text(job), .text(language), .text(kind.rawValue)], TrackStore.version)
    }

    public func isLocked(job: String, language: String) throws -> Bool {
        (try db.scalarInt("SELECT max(locked) FROM tracks WHERE job_id = ? AND language = ?", [.text(job), .text(language)]) ?? 0) != 0
    }

    public func setLocked(job: String, language: String, _ locked: Bool) throws {
        try db.run("UPDATE tracks SET locked = ? WHERE job_id = ? AND language = ?", [.int(locked ? 1 : 0), .text(job), .text(language)])
    }

    static func version(_ r: Row) -> TrackVersion {
        TrackVersion(version: r.int(0), content: r.string(1), sha256: r.string(2), author: r.string(3), message: r.string(4), createdAt: r.string(5))
    }
}

/// Rules for editing a job's tracks: which track a language means, cue addressing, versioning,
/// and sending the language back to be rendered again.
public struct TrackService {
    public let db: Database

    public init(_ db: Database) { self.db = db }

    /// The kind of track a language names on a job: its source language is the transcript.
    public func kind(job: Job, language: String) throws -> TrackKind {
        if language == job.sourceLang { return .source }
        guard job.options.targetLanguages.contains(language) else {
            throw OlleeyError.notFound("job \(job.id) has no \(language) track",
                                       hint: "its languages: \(([job.sourceLang] + job.options.targetLanguages).joined(separator: ", "))")
        }
        return .translation
    }

    public func current(job: Job, language: String) throws -> TrackVersion {
        let k = try kind(job: job, language: language)
        guard let v = try TrackStore(db).current(job: job.id, language: language, kind: k) else {
            throw OlleeyError.notFound("the \(language) track of job \(job.id) does not exist yet",
                                       hint: k == .translation ? "run 'olleey job run \(job.id)' to translate it, or import one with 'olleey vtt import'" : "run 'olleey job run \(job.id)'")
        }
        return v
    }

    /// Stores a new version and queues the language (or, for the source, every language) again.
    @discardableResult
    public func commit(job: Job, language: String, content: String, author: String, message: String, reopen: Bool = false) throws -> Int {
        let k = try kind(job: job, language: language)
        let store = TrackStore(db)
        return try db.transaction {
            if try store.isLocked(job: job.id, language: language) {
                guard reopen else {
                    throw OlleeyError.conflict("the \(language) track of job \(job.id) is approved and locked",
                                               hint: "pass --reopen to edit it; it goes back to review")
                }
                try store.setLocked(job: job.id, language: language, false)
                try QCService.trackReopened(db, jobId: job.id, language: language, author: author)  // issue 5: back to review
            }
            let before = try store.current(job: job.id, language: language, kind: k)?.version
            let v = try store.add(job: job.id, language: language, kind: k, content: content, author: author, message: message)
            if v != before {
                let jobs = JobStore(db)
                let langs = k == .source ? job.options.targetLanguages : [language]
                for l in langs { try jobs.setLanguage(job.id, l, status: .queued) }
                try QCService.trackRevised(db, jobId: job.id, languages: langs, author: author)  // issue 5: a fixed rejection goes back to review
                if ![.paused, .cancelled].contains(job.status) { try jobs.setStatus(job.id, .queued) }
                try EventStore(db).append("track.version", job: job.id, language: language, ["version": .int(Int64(v)), "author": .string(author)])
            }
            return v
        }
    }

    /// Sets the text of one cue (by id, else by 1-based position) and commits a new version.
    public func editCue(job: Job, language: String, cue: String, text: String, author: String, message: String?, reopen: Bool) throws -> Int {
        let cur = try current(job: job, language: language)
        var doc = WebVTTParser.parse(cur.content, mode: .browser).document
        guard let idx = doc.cues.firstIndex(where: { $0.id == cue }) ?? Int(cue).flatMap({ $0 >= 1 && $0 <= doc.cues.count ? $0 - 1 : nil }) else {
            throw OlleeyError.notFound("no cue '\(cue)' in the \(language) track (\(doc.cues.count) cues)", hint: "cues are addressed by id or by position 1...\(doc.cues.count)")
        }
        doc.cues[idx].text = text
        let content = WebVTTSerializer.serialize(doc)
        return try commit(job: job, language: language, content: content, author: author,
                          message: message ?? "edit cue \(cue)", reopen: reopen)
    }

    public func restore(job: Job, language: String, version v: Int, author: String, reopen: Bool) throws -> Int {
        let k = try kind(job: job, language: language)
        guard let old = try TrackStore(db).version(job: job.id, language: language, kind: k, v) else {
            throw OlleeyError.notFound("the \(language) track of job \(job.id) has no version \(v)", hint: "run 'olleey vtt versions \(job.id) --lang \(language)'")
        }
        return try commit(job: job, language: language, content: old.content, author: author, message: "restore version \(v)", reopen: reopen)
    }
}
