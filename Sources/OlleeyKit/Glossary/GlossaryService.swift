import Foundation
import WebVTT

/// Rules of glossaries: validated names and languages, terms, import and export (one
/// transaction: a bad file imports nothing), and checking subtitles.
///
/// For an actor, only the actor's organisation's glossaries exist and new ones are created in it.
public struct GlossaryService {
    public let db: Database
    public let actor: Actor?

    public init(_ db: Database, actor: Actor? = nil) { self.db = db; self.actor = actor }

    var store: GlossaryStore { GlossaryStore(db, org: actor?.org) }

    public enum Format: String, Sendable, CaseIterable {
        case csv, tbx

        /// From `--format`, else the file's extension.
        public static func detect(_ explicit: String?, path: String?) throws -> Format {
            if let e = explicit {
                guard let f = Format(rawValue: e.lowercased()) else { throw OlleeyError.usage("unknown glossary format '\(e)'", hint: "formats: csv, tbx") }
                return f
            }
            let ext = ((path ?? "") as NSString).pathExtension.lowercased()
            switch ext {
            case "csv": return .csv
            case "tbx", "xml": return .tbx
            default: throw OlleeyError.usage("cannot tell the format of '\(path ?? "-")'", hint: "name it .csv or .tbx, or say which", next: [.input("format", example: "csv|tbx")])
            }
        }
    }

    static func validName(_ raw: String) throws -> String {
        let n = raw.trimmingCharacters(in: .whitespaces)
        guard !n.isEmpty, n.count <= 100, !n.contains(where: { $0.isNewline }) else {
            throw OlleeyError.usage("a glossary name must be 1-100 characters on one line")
        }
        return n
    }

    public func resolve(_ ref: String) throws -> Glossary { try store.resolve(ref) }

    public func list() throws -> [Glossary] { try store.list() }

    public func create(name: String, sourceLang: String, description: String = "") throws -> Glossary {
        let n = try GlossaryService.validName(name)
        let lang = try Language.validate(sourceLang).code
        if try store.nameTaken(n) {
            throw OlleeyError(.alreadyExists, "glossary '\(n)' already exists", next: [.command("glossary show", [n])])
        }
        let now = Clock.nowISO()
        let g = Glossary(id: ID.uuid7(), name: n, sourceLang: lang, description: description, createdAt: now, updatedAt: now, termCount: 0)
        try db.transaction {
            try store.insert(g)
            try AuditLog(db).record(actor: actor?.email, action: "glossary.create", subject: g.id, detail: ["name": .string(n)])
        }
        return g
    }

    public func update(_ ref: String, name: String? = nil, sourceLang: String? = nil, description: String? = nil) throws -> Glossary {
        var g = try resolve(ref)
        if let name {
            let n = try GlossaryService.validName(name)
            if n != g.name, try store.nameTaken(n) {
                throw OlleeyError(.alreadyExists, "glossary '\(n)' already exists")
            }
            g.name = n
        }
        if let sourceLang {
            let l = try Language.validate(sourceLang).code
            if l != g.sourceLang, try store.hasTargets(g.id, language: l) {
                throw OlleeyError.conflict("glossary '\(g.name)' has \(l) targets; \(l) cannot become its source language")
            }
            g.sourceLang = l
        }
        if let description { g.description = description }
        let updated = g
        try db.transaction {
            try store.update(updated)
            try AuditLog(db).record(actor: actor?.email, action: "glossary.update", subject: updated.id)
        }
        return try resolve(g.id)
    }

    /// Jobs that are not finished and use the glossary.
    public func activeJobs(_ g: Glossary) throws -> [String] { try store.activeJobs(g) }

    public func delete(_ ref: String, force: Bool) throws -> Glossary {
        let g = try resolve(ref)
        let jobs = try activeJobs(g)
        if !jobs.isEmpty && !force {
            throw OlleeyError.conflict("glossary '\(g.name)' is used by \(jobs.count) unfinished job(s) (\(jobs.prefix(3).map { JobStore(db).printedId($0) }.joined(separator: ", ")))",
                                       hint: "force it to delete it anyway; those jobs will fail at translate", next: [.input("force")])
        }
        try db.transaction {
            try store.delete(g.id)
            try AuditLog(db).record(actor: actor?.email, action: "glossary.delete", subject: g.id, detail: ["name": .string(g.name)])
        }
        return g
    }

    // MARK: terms

    public func terms(_ g: Glossary, language: String? = nil) throws -> [GlossaryTerm] {
        let all = try store.terms(g.id)
        guard let language else { return all }
        let l = try Language.validate(language).code
        return all.map { var t = $0; t.targets = t.targets.filter { $0.language == l }; return t }
    }

    public func addTerm(_ g: Glossary, _ term: GlossaryTerm, replace: Bool = false) throws -> GlossaryTerm {
        let t = try term.validated(sourceLang: g.sourceLang)
        if !replace, try store.termId(g.id, term: t.term) != nil {
            throw OlleeyError(.alreadyExists, "glossary '\(g.name)' already has the term '\(t.term)'", hint: "replace it", next: [.input("replace")])
        }
        let id = try db.transaction { () -> String in
            let r = try store.upsertTerm(g.id, t)
            try AuditLog(db).record(actor: actor?.email, action: r.created ? "glossary.term.add" : "glossary.term.replace", subject: g.id, detail: ["term": .string(t.term)])
            return r.id
        }
        return try store.terms(g.id).first { $0.id == id } ?? t
    }

    /// Removes a term (exact text, else the only one equal ignoring case).
    public func removeTerm(_ g: Glossary, _ text: String) throws -> GlossaryTerm {
        let all = try store.terms(g.id)
        let wanted = text.trimmingCharacters(in: .whitespaces)
        var match = all.first { $0.term == wanted }
        if match == nil {
            let ci = all.filter { $0.term.lowercased() == wanted.lowercased() }
            if ci.count == 1 { match = ci[0] }
        }
        guard let t = match else {
            let near = Suggest.closest(wanted, among: all.map(\.term))
            throw OlleeyError.notFound("glossary '\(g.name)' has no term '\(wanted)'",
                                       hint: near.isEmpty ? nil : "did you mean \(near.map { "'\($0)'" }.joined(separator: " or "))?", next: near.isEmpty ? [.command("glossary term list", [g.name])] : [])
        }
        try db.transaction {
            try store.deleteTerm(t.id)
            try AuditLog(db).record(actor: actor?.email, action: "glossary.term.remove", subject: g.id, detail: ["term": .string(t.term)])
        }
        return t
    }

    // MARK: import and export

    /// Parses the whole file first, then writes its valid terms in one transaction: a malformed
    /// file (65, with file:line) imports nothing; bad entries are left out and reported in the
    /// result (with `strict`, any bad entry imports nothing). Terms already in the glossary are
    /// replaced; `replace` empties the glossary first.
    public func importTerms(_ g: Glossary, bytes: [UInt8], format: Format, fileName: String, replace: Bool = false, strict: Bool = false) throws -> ImportResult {
        let file = try GlossaryImport.read(bytes, format: format, sourceLang: g.sourceLang, fileName: fileName, strict: strict)
        let terms = file.terms
        return try db.transaction {
            if replace { try store.deleteAllTerms(g.id) }
            var created = 0, updated = 0
            for t in terms {
                if try store.upsertTerm(g.id, t).created { created += 1 } else { updated += 1 }
            }
            try AuditLog(db).record(actor: actor?.email, action: "glossary.import", subject: g.id,
                                    detail: ["file": .string(fileName), "format": .string(format.rawValue), "terms": .int(Int64(terms.count))])
            return ImportResult(format: format, created: created, updated: updated, total: terms.count, skipped: file.skipped, merged: file.merged)
        }
    }

    public func export(_ g: Glossary, format: Format) throws -> String {
        let terms = try store.terms(g.id)
        switch format {
        case .csv: return GlossaryCSV.export(terms)
        case .tbx: return TBX.export(g, terms: terms)
        }
    }

    // MARK: check

    /// Checks a translated subtitle file (and, when given, its source) against the glossary.
    public func check(_ g: Glossary, target: WebVTTDocument, source: WebVTTDocument?, language: String) throws -> [GlossaryFinding] {
        let l = try Language.validate(language).code
        let checker = GlossaryChecker(sourceLang: g.sourceLang, terms: try store.terms(g.id))
        return checker.check(target: CheckCue.from(target), source: source.map(CheckCue.from), language: l)
    }
}
