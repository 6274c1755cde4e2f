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

/// `descriptions`: a language's audio-description script (`--describe`), timed in the gaps of speech.
public enum TrackKind: String, Sendable, CaseIterable { case source, translation, descriptions }

/// Who wrote a cue last: an engine (`olleey/apertium`) or a person; and, for a person's cue in a
/// translation, whether its source cue changed since (stale: kept, shown, re-translated only on
/// request).
public struct CueAuthorship: Sendable, Equatable {
    public var author: String
    public var human: Bool
    public var stale: Bool

    public init(author: String, human: Bool, stale: Bool = false) { self.author = author; self.human = human; self.stale = stale }

    /// Authors that name an engine (`olleey/NAME`) are machines.
    public static func isMachine(_ author: String) -> Bool { author.hasPrefix("olleey/") }

    public static func machine(_ engine: String) -> CueAuthorship { CueAuthorship(author: "olleey/" + engine, human: false) }

    public var json: JSON { .object([("author", .string(author)), ("human", .bool(human)), ("stale", .bool(stale))]) }
}

/// A cue a person wrote that a new version left out because its source cue was deleted. It stays
/// in the history (the version before) and `qc status` reports it.
public struct DroppedCue: Sendable, Equatable {
    public var id: String
    public var startMs: Int64
    public var endMs: Int64
    public var text: String
    public var author: String

    public init(id: String, startMs: Int64, endMs: Int64, text: String, author: String) {
        self.id = id; self.startMs = startMs; self.endMs = endMs; self.text = text; self.author = author
    }

    init?(json: JSON) {
        guard let t = json["text"]?.stringValue else { return nil }
        id = json["id"]?.stringValue ?? ""; text = t; author = json["author"]?.stringValue ?? ""
        startMs = json["start_ms"]?.intValue ?? 0; endMs = json["end_ms"]?.intValue ?? 0
    }

    public var json: JSON {
        .object([("id", .string(id)), ("start_ms", .int(startMs)), ("end_ms", .int(endMs)), ("text", .string(text)), ("author", .string(author))])
    }
}

public struct TrackStore {
    let db: Database

    public init(_ db: Database) { self.db = db }

    func trackID(_ job: String, _ lang: String, _ kind: TrackKind, create: Bool) throws -> Int64? {
        if let id = try db.scalarInt("SELECT id FROM tracks WHERE job_id = ? AND language = ? AND kind = ?", [.text(job), .text(lang), .text(kind.rawValue)]) {
            return id
        }
        guard create else { return nil }
        return try db.scalarInt("INSERT INTO tracks(job_id, language, kind) VALUES (?, ?, ?) RETURNING id", [.text(job), .text(lang), .text(kind.rawValue)])
    }

    /// Adds a version; returns its number. Content and cue authorship identical to the current
    /// version's add nothing. `cues` gives each cue's author (one per cue of `content`); nil
    /// means: cues whose text is the same as in the current version keep their authorship, the
    /// others are `author`'s (a person unless it names an engine, `olleey/...`).
    /// `dropped`: cues a person wrote that this version leaves out (their source cue was deleted).
    @discardableResult
    public func add(job: String, language: String, kind: TrackKind, content: String, author: String, message: String,
                    cues: [CueAuthorship]? = nil, dropped: [DroppedCue] = [], document: WebVTTDocument? = nil) throws -> Int {
        try db.transaction {
            guard let tid = try trackID(job, language, kind, create: true) else { return 0 }
            let sha = Digest.sha256(content)
            let cur = try current(job: job, language: language, kind: kind)
            let doc = document ?? WebVTTParser.parse(content, mode: .browser).document  // `document`: `content`, already parsed
            let meta: [CueAuthorship]
            if let cues, cues.count == doc.cues.count { meta = cues } else {
                meta = try TrackStore.carryAuthorship(doc, from: cur.map { (WebVTTParser.parse($0.content, mode: .browser).document,
                                                                              try self.cues(trackID: tid, version: $0)) }, author: author)
            }
            if let cur, cur.sha256 == sha, try self.cues(trackID: tid, version: cur) == meta, dropped.isEmpty { return cur.version }
            let next = Int(try db.scalarInt("SELECT coalesce(max(version), 0) + 1 FROM track_versions WHERE track_id = ?", [.int(tid)]) ?? 1)
            try db.run("INSERT INTO track_versions(track_id, version, content, sha256, author, message, created_at, dropped_cues) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                       [.int(tid), .int(Int64(next)), .text(content), .text(sha), .text(author), .text(message), .text(Clock.nowISO()),
                        .text(JSON.array(dropped.map(\.json)).encoded())])
            for (k, m) in meta.enumerated() {
                try db.run("INSERT INTO track_cues(track_id, version, position, author, human, stale) VALUES (?, ?, ?, ?, ?, ?)",
                           [.int(tid), .int(Int64(next)), .int(Int64(k)), .text(m.author), .int(m.human ? 1 : 0), .int(m.stale ? 1 : 0)])
            }
            try db.run("UPDATE tracks SET current_version = ? WHERE id = ?", [.int(Int64(next)), .int(tid)])
            return next
        }
    }

    /// Authorship for `doc` when `author` commits it over `previous`: cues aligned with a cue of
    /// the same text keep that cue's authorship; the others are `author`'s.
    static func carryAuthorship(_ doc: WebVTTDocument, from previous: (WebVTTDocument, [CueAuthorship])?, author: String) -> [CueAuthorship] {
        let mine = CueAuthorship(author: author, human: !CueAuthorship.isMachine(author), stale: false)
        guard let (old, oldMeta) = previous, oldMeta.count == old.cues.count else { return Array(repeating: mine, count: doc.cues.count) }
        let a = CueDiff.align(old, doc)
        return doc.cues.indices.map { j in
            if let i = a.aForB[j], old.cues[i].text == doc.cues[j].text { return oldMeta[i] }
            return mine
        }
    }

    /// The authorship of each cue of a version (versions written before cues had authors: the
    /// version's author for every cue).
    public func cues(job: String, language: String, kind: TrackKind, version: TrackVersion) throws -> [CueAuthorship] {
        guard let tid = try trackID(job, language, kind, create: false) else { return [] }
        return try cues(trackID: tid, version: version)
    }

    func cues(trackID tid: Int64, version v: TrackVersion) throws -> [CueAuthorship] {
        let rows = try db.query("SELECT author, human, stale FROM track_cues WHERE track_id = ? AND version = ? ORDER BY position",
                                [.int(tid), .int(Int64(v.version))]) { CueAuthorship(author: try $0["author"], human: try $0["human"], stale: try $0["stale"]) }
        if !rows.isEmpty { return rows }
        let n = WebVTTParser.parse(v.content, mode: .browser).document.cues.count
        return Array(repeating: CueAuthorship(author: v.author, human: !CueAuthorship.isMachine(v.author), stale: false), count: n)
    }

    /// The cues a person wrote that a version dropped (their source cue was deleted).
    public func dropped(job: String, language: String, kind: TrackKind, version v: Int) throws -> [DroppedCue] {
        guard let tid = try trackID(job, language, kind, create: false),
              let text = try db.scalarText("SELECT dropped_cues FROM track_versions WHERE track_id = ? AND version = ?", [.int(tid), .int(Int64(v))]),
              let arr = try? JSON.parse(text).arrayValue else { return [] }
        return arr.compactMap(DroppedCue.init(json:))
    }

    /// A version of the track by its content hash (the newest with that content).
    public func version(job: String, language: String, kind: TrackKind, sha256: String) throws -> TrackVersion? {
        try db.queryOne("""
            SELECT v.version, v.content, v.sha256, v.author, v.message, v.created_at FROM tracks t
            JOIN track_versions v ON v.track_id = t.id WHERE t.job_id = ? AND t.language = ? AND t.kind = ? AND v.sha256 = ?
            ORDER BY v.version DESC LIMIT 1
            """, [.text(job), .text(language), .text(kind.rawValue), .text(sha256)], TrackStore.version)
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
            SELECT v.version, '' AS content, v.sha256, v.author, v.message, v.created_at FROM tracks t
            JOIN track_versions v ON v.track_id = t.id WHERE t.job_id = ? AND t.language = ? AND t.kind = ? ORDER BY v.version
            """, [.text(job), .text(language), .text(kind.rawValue)], TrackStore.version)
    }

    public func isLocked(job: String, language: String) throws -> Bool {
        (try db.scalarInt("SELECT max(locked) FROM tracks WHERE job_id = ? AND language = ?", [.text(job), .text(language)]) ?? 0) != 0
    }

    public func setLocked(job: String, language: String, _ locked: Bool) throws {
        try db.run("UPDATE tracks SET locked = ? WHERE job_id = ? AND language = ?", [.int(locked ? 1 : 0), .text(job), .text(language)])
    }

    static func version(_ r: Row) throws -> TrackVersion {
        TrackVersion(version: try r["version"], content: try r["content"], sha256: try r["sha256"], author: try r["author"], message: try r["message"], createdAt: try r["created_at"])
    }
}

/// Rules for editing a job's tracks: which track a language means, cue addressing, versioning,
/// and sending the language back to be rendered again.
public struct TrackService {
    public let db: Database

    public init(_ db: Database) { self.db = db }

    /// The kind of track a language names on a job: its source language is the transcript.
    /// `requested` `.descriptions`: the language's audio-description script (any language of the
    /// job; `--describe` makes it).
    public func kind(job: Job, language: String, requested: TrackKind? = nil) throws -> TrackKind {
        guard language == job.sourceLang || job.options.targetLanguages.contains(language) else {
            throw OlleeyError.notFound("job \(job.id) has no \(language) track",
                                       hint: "its languages: \(([job.sourceLang] + job.options.targetLanguages).joined(separator: ", "))")
        }
        if requested == .descriptions { return .descriptions }
        return language == job.sourceLang ? .source : .translation
    }

    /// The name of a track in messages: `es` or `es descriptions`.
    static func label(_ language: String, _ kind: TrackKind) -> String { kind == .descriptions ? "\(language) descriptions" : language }

    public func current(job: Job, language: String, kind requested: TrackKind? = nil) throws -> TrackVersion {
        let k = try kind(job: job, language: language, requested: requested)
        if k == .descriptions {
            guard let v = try TrackStore(db).current(job: job.id, language: language, kind: k) else {
                throw OlleeyError.notFound("the \(language) descriptions track of job \(job.id) does not exist yet",
                                           hint: "run the job with --describe (a describer engine writes it), or write it with 'olleey vtt edit \(job.id) --lang \(language) --kind descriptions --file FILE'")
            }
            return v
        }
        guard let v = try TrackStore(db).current(job: job.id, language: language, kind: k) else {
            throw OlleeyError.notFound("the \(language) track of job \(job.id) does not exist yet",
                                       hint: k == .translation ? "run the job to translate it, or import a track" : "run the job",
                                       next: k == .translation ? [.command("job run", [job.id]), .command("vtt import", ["FILE"], options: ["job": job.id, "lang": language])] : [.command("job run", [job.id])])
        }
        return v
    }

    /// Stores a new version and queues the language (or, for the source, every language) again.
    @discardableResult
    public func commit(job: Job, language: String, content: String, author: String, message: String, reopen: Bool = false,
                       cues: [CueAuthorship]? = nil, dropped: [DroppedCue] = [], kind requested: TrackKind? = nil) throws -> Int {
        let k = try kind(job: job, language: language, requested: requested)
        let store = TrackStore(db)
        return try db.transaction {
            // an approved language's descriptions were reviewed with it: locked as its translation
            if try store.isLocked(job: job.id, language: language) {
                guard reopen else {
                    throw OlleeyError.conflict("the \(language) track of job \(job.id) is approved and locked",
                                               hint: "reopen it to edit it; it goes back to review", next: [.input("reopen")])
                }
                try store.setLocked(job: job.id, language: language, false)
                try QCService.trackReopened(db, jobId: job.id, language: language, author: author)  // issue 5: back to review
            }
            let before = try store.current(job: job.id, language: language, kind: k)?.version
            let v = try store.add(job: job.id, language: language, kind: k, content: content, author: author, message: message, cues: cues, dropped: dropped)
            if v != before {
                let jobs = JobStore(db)
                // the source (or its descriptions) feeds every language
                let langs = language == job.sourceLang && k != .translation ? job.options.targetLanguages : [language]
                for l in langs { try jobs.setLanguage(job.id, l, status: .queued) }
                try QCService.trackRevised(db, jobId: job.id, languages: langs, author: author)  // issue 5: a fixed rejection goes back to review
                try JobStateMachine(db).transitionIfAllowed(job.id, to: .queued, by: .revise)  // not a paused or cancelled job
                try EventStore(db).append("track.version", job: job.id, language: language, ["version": .int(Int64(v)), "author": .string(author)])
            }
            return v
        }
    }

    /// Sets the text of one cue (by id, else by 1-based position) and commits a new version; the
    /// cue is then `author`'s and no longer stale. `text` is WebVTT cue text and is validated
    /// strictly (a person's `&` must be `&amp;`): `plain` text is escaped instead.
    public func editCue(job: Job, language: String, cue: String, text: String, plain: Bool = false, author: String, message: String?, reopen: Bool,
                        kind requested: TrackKind? = nil) throws -> Int {
        let cueText = plain ? CueText.escape(text) : text
        if !plain {
            let problems = CueText.validate(text)
            if let p = problems.first {
                throw OlleeyError(.invalid, "the new text of cue \(cue) is not valid WebVTT cue text: \(p.line):\(p.column): \(p.message)"
                                    + (problems.count > 1 ? " (and \(problems.count - 1) more)" : ""),
                                  hint: "write '&amp;', '&lt;', '&gt;' for '&', '<', '>' in cue text, or give plain text to have it escaped", next: [.input("plain")])
            }
        }
        let cur = try current(job: job, language: language, kind: requested)
        var doc = WebVTTParser.parse(cur.content, mode: .browser).document
        guard let idx = doc.cues.firstIndex(where: { $0.id == cue }) ?? Int(cue).flatMap({ $0 >= 1 && $0 <= doc.cues.count ? $0 - 1 : nil }) else {
            throw OlleeyError.notFound("no cue '\(cue)' in the \(language) track (\(doc.cues.count) cues)", hint: "cues are addressed by id or by position 1...\(doc.cues.count)")
        }
        doc.cues[idx].text = cueText
        var meta = try TrackStore(db).cues(job: job.id, language: language, kind: try kind(job: job, language: language, requested: requested), version: cur)
        if meta.count == doc.cues.count { meta[idx] = CueAuthorship(author: author, human: !CueAuthorship.isMachine(author)) }
        let content = WebVTTSerializer.serialize(doc)
        return try commit(job: job, language: language, content: content, author: author,
                          message: message ?? "edit cue \(cue)", reopen: reopen, cues: meta.count == doc.cues.count ? meta : nil, kind: requested)
    }

    /// Imports a whole track written by a person: every cue is theirs.
    public func importTrack(job: Job, language: String, document: WebVTTDocument, author: String, message: String, reopen: Bool) throws -> Int {
        let content = WebVTTSerializer.serialize(document)
        let n = WebVTTParser.parse(content, mode: .browser).document.cues.count
        return try commit(job: job, language: language, content: content, author: author, message: message, reopen: reopen,
                          cues: Array(repeating: CueAuthorship(author: author, human: !CueAuthorship.isMachine(author)), count: n))
    }

    /// The current version's cues with their authorship (for `vtt show`, `job show`, `qc status`).
    public func currentCues(job: Job, language: String, kind requested: TrackKind? = nil) throws -> (version: TrackVersion, cues: [CueAuthorship]) {
        let v = try current(job: job, language: language, kind: requested)
        return (v, try TrackStore(db).cues(job: job.id, language: language, kind: try kind(job: job, language: language, requested: requested), version: v))
    }

    /// What a person has to look at in a language's translation: stale cues (their source changed
    /// since a person wrote them) and cues a person wrote that the current version dropped
    /// because their source cue was deleted.
    public struct Attention: Sendable {
        public var stale: [String]
        public var dropped: [DroppedCue]
        public var json: JSON { .object([("stale_cues", .array(stale.map { .string($0) })), ("dropped_cues", .array(dropped.map(\.json)))]) }
    }

    /// `Attention` for each target language of a job that has a translation.
    public func attention(job: Job) throws -> [String: Attention] {
        let store = TrackStore(db)
        var out: [String: Attention] = [:]
        for lang in job.options.targetLanguages {
            guard let v = try store.current(job: job.id, language: lang, kind: .translation) else { continue }
            let meta = try store.cues(job: job.id, language: lang, kind: .translation, version: v)
            var stale: [String] = []
            if meta.contains(where: \.stale) {
                let cues = WebVTTParser.parse(v.content, mode: .browser).document.cues
                let keys = JobPipeline.cueKeys(cues)
                stale = zip(keys, meta).filter { $0.1.stale }.map(\.0)
            }
            out[lang] = Attention(stale: stale, dropped: try store.dropped(job: job.id, language: lang, kind: .translation, version: v.version))
        }
        return out
    }

    /// One version in a track's history, with who wrote its cues.
    public struct HistoryEntry: Sendable {
        public var version: TrackVersion
        /// Cue counts by who wrote each last, most first.
        public var cueAuthors: [(author: String, cues: Int)]
        public var stale: Int
        public var dropped: Int

        public var json: JSON {
            guard case .object(var f) = version.json else { return version.json }
            f.append(("cue_authors", .array(cueAuthors.map { .object([("author", .string($0.author)), ("cues", .int(Int64($0.cues)))]) })))
            f.append(("stale_cues", .int(Int64(stale))))
            f.append(("dropped_cues", .int(Int64(dropped))))
            return .object(f)
        }
    }

    /// Every version of a language's track (`kind` `.descriptions`: its audio-description
    /// script), oldest first, with its cues' authors.
    public func history(job: Job, language: String, kind requested: TrackKind? = nil) throws -> [HistoryEntry] {
        let k = try kind(job: job, language: language, requested: requested)
        let store = TrackStore(db)
        return try store.versions(job: job.id, language: language, kind: k).map { v in
            guard let full = try store.version(job: job.id, language: language, kind: k, v.version) else {
                return HistoryEntry(version: v, cueAuthors: [], stale: 0, dropped: 0)
            }
            let meta = try store.cues(job: job.id, language: language, kind: k, version: full)
            var counts: [String: Int] = [:]
            for m in meta { counts[m.author, default: 0] += 1 }
            return HistoryEntry(version: v, cueAuthors: counts.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.map { ($0.key, $0.value) },
                                stale: meta.filter(\.stale).count, dropped: try store.dropped(job: job.id, language: language, kind: k, version: v.version).count)
        }
    }

    /// Makes version `v` of the language's track (or of its descriptions script) current again, as a new version.
    public func restore(job: Job, language: String, version v: Int, author: String, reopen: Bool, kind requested: TrackKind? = nil) throws -> Int {
        let k = try kind(job: job, language: language, requested: requested)
        guard let old = try TrackStore(db).version(job: job.id, language: language, kind: k, v) else {
            throw OlleeyError.notFound("the \(TrackService.label(language, k)) track of job \(job.id) has no version \(v)",
                                       next: [.command("vtt versions", [job.id], options: k == .descriptions ? ["lang": language, "kind": "descriptions"] : ["lang": language])])
        }
        let meta = try TrackStore(db).cues(job: job.id, language: language, kind: k, version: old)
        return try commit(job: job, language: language, content: old.content, author: author, message: "restore version \(v)", reopen: reopen, cues: meta, kind: requested)
    }
}
