import Foundation

/// SQL for glossaries, their terms and the terms' per-language targets.
///
/// With an organisation, only its glossaries exist; without one (the system: a running job's
/// glossary, stored by id), every organisation's.
public struct GlossaryStore {
    let db: Database
    let org: String?

    public init(_ db: Database, org: String? = nil) { self.db = db; self.org = org }

    var own: (sql: String, args: [SQLValue]) { org.map { (" AND g.org_id = ?", [.text($0)]) } ?? ("", []) }

    static let columns = "g.id, g.name, g.source_lang, g.description, g.created_at, g.updated_at, (SELECT count(*) FROM glossary_terms t WHERE t.glossary_id = g.id) AS term_count"

    static func glossary(_ r: Row) throws -> Glossary {
        Glossary(id: try r["id"], name: try r["name"], sourceLang: try r["source_lang"], description: try r["description"], createdAt: try r["created_at"],
                 updatedAt: try r["updated_at"], termCount: try r["term_count"])
    }

    public func get(_ id: String) throws -> Glossary? {
        try db.queryOne("SELECT \(GlossaryStore.columns) FROM glossaries g WHERE g.id = ?" + own.sql, [.text(id)] + own.args, GlossaryStore.glossary)
    }

    /// By id, name or unique id prefix (66 when none).
    public func resolve(_ ref: String) throws -> Glossary {
        let id = try NamedLookup.id(db, table: "glossaries", ref, what: "glossary", listCommand: "glossary list", org: org)
        guard let g = try get(id) else { throw OlleeyError.notFound("glossary '\(ref)' not found") }
        return g
    }

    public func list() throws -> [Glossary] {
        try db.query("SELECT \(GlossaryStore.columns) FROM glossaries g WHERE TRUE\(own.sql) ORDER BY g.name", own.args, GlossaryStore.glossary)
    }

    public func insert(_ g: Glossary) throws {
        try db.run("INSERT INTO glossaries(id, name, source_lang, description, created_at, updated_at, org_id) VALUES (?, ?, ?, ?, ?, ?, ?)",
                   [.text(g.id), .text(g.name), .text(g.sourceLang), .text(g.description), .text(g.createdAt), .text(g.updatedAt), .text(org ?? Actor.defaultOrg)])
    }

    public func update(_ g: Glossary) throws {
        try db.run("UPDATE glossaries SET name = ?, source_lang = ?, description = ?, updated_at = ? WHERE id = ?",
                   [.text(g.name), .text(g.sourceLang), .text(g.description), .text(Clock.nowISO()), .text(g.id)])
    }

    public func delete(_ id: String) throws {
        try db.run("DELETE FROM glossaries WHERE id = ?", [.text(id)])
    }

    /// Whether this organisation has a glossary of that name (names are unique per organisation).
    public func nameTaken(_ name: String) throws -> Bool {
        try db.scalarInt("SELECT count(*) FROM glossaries WHERE name = ? AND org_id = ?", [.text(name), .text(org ?? Actor.defaultOrg)]) ?? 0 > 0
    }

    /// Whether some term of the glossary has a target in `language`.
    public func hasTargets(_ glossaryId: String, language: String) throws -> Bool {
        try db.scalarInt("SELECT count(*) FROM glossary_term_targets x JOIN glossary_terms t ON t.id = x.term_id WHERE t.glossary_id = ? AND x.language = ?",
                         [.text(glossaryId), .text(language)]) ?? 0 > 0
    }

    /// Jobs that are not finished and use the glossary (by id or name).
    public func activeJobs(_ g: Glossary) throws -> [String] {
        try db.query("""
            SELECT id FROM jobs WHERE status NOT IN ('completed','failed','cancelled')
            AND (json_extract(options, '$.glossary') = ? OR json_extract(options, '$.glossary') = ?)
            """, [.text(g.id), .text(g.name)]) { $0.string(0) }
    }

    // MARK: terms

    static func strings(_ text: String) -> [String] {
        ((try? JSON.parse(text))?.arrayValue ?? []).compactMap(\.stringValue)
    }

    static func encode(_ list: [String]) -> SQLValue { .text(JSON.array(list.map { .string($0) }).encoded()) }

    /// Every term of a glossary, in insertion order, with its targets.
    public func terms(_ glossaryId: String) throws -> [GlossaryTerm] {
        var terms = try db.query("""
            SELECT id, term, variants, part_of_speech, note, dnt, forbidden, case_sensitive FROM glossary_terms
            WHERE glossary_id = ? ORDER BY rowid
            """, [.text(glossaryId)]) { r in
            GlossaryTerm(id: try r["id"], term: try r["term"], variants: GlossaryStore.strings(try r["variants"]), partOfSpeech: try r["part_of_speech"],
                         note: try r["note"], dnt: try r["dnt"], forbidden: try r["forbidden"], caseSensitive: try r["case_sensitive"])
        }
        let targets = try db.query("""
            SELECT x.term_id, x.language, x.target, x.variants, x.forbidden FROM glossary_term_targets x
            JOIN glossary_terms t ON t.id = x.term_id WHERE t.glossary_id = ? ORDER BY x.language
            """, [.text(glossaryId)]) { r in
            (try r["term_id"] as String, TermTarget(language: try r["language"], target: try r["target"], variants: GlossaryStore.strings(try r["variants"]),
                                                    forbidden: GlossaryStore.strings(try r["forbidden"])))
        }
        var byTerm: [String: [TermTarget]] = [:]
        for (id, t) in targets { byTerm[id, default: []].append(t) }
        for i in terms.indices { terms[i].targets = byTerm[terms[i].id] ?? [] }
        return terms
    }

    public func termId(_ glossaryId: String, term: String) throws -> String? {
        try db.scalarText("SELECT id FROM glossary_terms WHERE glossary_id = ? AND term = ?", [.text(glossaryId), .text(term)])
    }

    /// Inserts a term, or replaces the one with the same text (keeping its id).
    @discardableResult
    public func upsertTerm(_ glossaryId: String, _ t: GlossaryTerm) throws -> (id: String, created: Bool) {
        let now = Clock.nowISO()
        let existing = try termId(glossaryId, term: t.term)
        let id = existing ?? (t.id.isEmpty ? ID.uuid7() : t.id)
        if existing != nil {
            try db.run("""
                UPDATE glossary_terms SET variants = ?, part_of_speech = ?, note = ?, dnt = ?, forbidden = ?, case_sensitive = ?, updated_at = ?
                WHERE id = ?
                """, [GlossaryStore.encode(t.variants), t.partOfSpeech.sqlValue, t.note.sqlValue, .int(t.dnt ? 1 : 0), .int(t.forbidden ? 1 : 0),
                      .int(t.caseSensitive ? 1 : 0), .text(now), .text(id)])
            try db.run("DELETE FROM glossary_term_targets WHERE term_id = ?", [.text(id)])
        } else {
            try db.run("""
                INSERT INTO glossary_terms(id, glossary_id, term, variants, part_of_speech, note, dnt, forbidden, case_sensitive, created_at, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, [.text(id), .text(glossaryId), .text(t.term), GlossaryStore.encode(t.variants), t.partOfSpeech.sqlValue, t.note.sqlValue,
                      .int(t.dnt ? 1 : 0), .int(t.forbidden ? 1 : 0), .int(t.caseSensitive ? 1 : 0), .text(now), .text(now)])
        }
        for x in t.targets {
            try db.run("INSERT INTO glossary_term_targets(term_id, language, target, variants, forbidden) VALUES (?, ?, ?, ?, ?)",
                       [.text(id), .text(x.language), .text(x.target), GlossaryStore.encode(x.variants), GlossaryStore.encode(x.forbidden)])
        }
        try db.run("UPDATE glossaries SET updated_at = ? WHERE id = ?", [.text(now), .text(glossaryId)])
        return (id, existing == nil)
    }

    public func deleteTerm(_ termId: String) throws {
        try db.run("DELETE FROM glossary_terms WHERE id = ?", [.text(termId)])
    }

    public func deleteAllTerms(_ glossaryId: String) throws {
        try db.run("DELETE FROM glossary_terms WHERE glossary_id = ?", [.text(glossaryId)])
    }
}
