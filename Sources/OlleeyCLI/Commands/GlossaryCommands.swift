import Foundation
import OlleeyKit
import WebVTT

/// olleey glossary ...: terminology that is enforced (terms, CSV/TBX import and export, check).
enum GlossaryCommands {
    static let glossaryArg = ArgumentSpec("GLOSSARY", "a glossary name (or id)")
    static let formatOption = OptionSpec.option("format", "FORMAT", "csv or tbx (default: from the file name)", type: .choice(["csv", "tbx"]))

    static func service(_ ctx: Context) throws -> GlossaryService { GlossaryService(try ctx.database(), actor: try ReviewOptions.actor(ctx)) }


    static func termLine(_ t: GlossaryTerm) -> [String] {
        var flags: [String] = []
        if t.dnt { flags.append("dnt") }
        if t.forbidden { flags.append("forbidden") }
        if t.caseSensitive { flags.append("case") }
        let targets = t.targets.map { x in
            "\(x.language)=" + x.accepted.joined(separator: "|") + (x.forbidden.isEmpty ? "" : " (not " + x.forbidden.joined(separator: "|") + ")")
        }.joined(separator: " ")
        return [t.term, flags.joined(separator: ","), targets, t.partOfSpeech ?? "", t.note ?? ""]
    }

    static let create: CommandSpec = CommandSpec(
        "create", "create a glossary for a source language",
        examples: ["olleey glossary create brand --source-lang en", "olleey glossary create brand --source-lang en --description 'product names' --json"],
        arguments: [ArgumentSpec("NAME", "the glossary's name")],
        options: [.option("source-lang", "LANG", "the language its terms are in", default: "en"), .option("description", "TEXT", "what it is for")]
    ) { ctx in
        let g = try service(ctx).create(name: ctx.args.positionals[0], sourceLang: ctx.args.string("source-lang") ?? "en",
                                        description: ctx.args.string("description") ?? "")
        try ctx.emit(g.json) { "Created glossary \(g.name) [\(g.sourceLang)]; add terms with 'olleey glossary term add \(g.name) TERM ...'" }
        return 0
    }

    static let list: CommandSpec = CommandSpec(
        "list", "list glossaries",
        examples: ["olleey glossary list", "olleey glossary list --json"]
    ) { ctx in
        let gs = try service(ctx).list()
        try ctx.emit(list: .array(gs.map(\.json)),
                     table: Table(["name", "source", "terms", "description"], gs.map { [$0.name, $0.sourceLang, String($0.termCount), $0.description] }))
        return 0
    }

    static let show: CommandSpec = CommandSpec(
        "show", "show a glossary and its terms",
        examples: ["olleey glossary show brand", "olleey glossary show brand --lang es --json"],
        arguments: [glossaryArg],
        options: [.option("lang", "LANG", "only this target language")]
    ) { ctx in
        let svc = try service(ctx)
        let g = try svc.resolve(ctx.args.positionals[0])
        let terms = try svc.terms(g, language: ctx.args.string("lang"))
        let json = JSON.object((g.json.objectValue ?? []) + [("term_list", .array(terms.map(\.json)))])
        try ctx.emit(json) {
            var s = "glossary \(g.name) [\(g.sourceLang)]  \(g.termCount) term\(g.termCount == 1 ? "" : "s")\(g.description.isEmpty ? "" : "  \(g.description)")\n"
            for t in terms { s += "  " + termLine(t).filter { !$0.isEmpty }.joined(separator: "  ") + "\n" }
            return s
        }
        return 0
    }

    static let update: CommandSpec = CommandSpec(
        "update", "rename a glossary, or change its description or source language",
        examples: ["olleey glossary update brand --name brand-2025", "olleey glossary update brand --description 'names we never translate' --json"],
        arguments: [glossaryArg],
        options: [.option("name", "NAME", "new name"), .option("source-lang", "LANG", "new source language"), .option("description", "TEXT", "new description")]
    ) { ctx in
        let a = ctx.args
        guard a.string("name") != nil || a.string("source-lang") != nil || a.string("description") != nil else {
            throw OlleeyError.usage("nothing to change", hint: "pass --name, --source-lang or --description")
        }
        let g = try service(ctx).update(a.positionals[0], name: a.string("name"), sourceLang: a.string("source-lang"), description: a.string("description"))
        try ctx.emit(g.json) { "Updated glossary \(g.name)" }
        return 0
    }

    static let delete: CommandSpec = CommandSpec(
        "delete", "delete a glossary and its terms (one used by unfinished jobs needs --force)",
        examples: ["olleey glossary delete brand", "olleey glossary delete brand --force --json"],
        arguments: [glossaryArg],
        options: [.flag("force", "delete even when unfinished jobs use it")]
    ) { ctx in
        let g = try service(ctx).delete(ctx.args.positionals[0], force: ctx.args.has("force"))
        try ctx.emit(.object([("id", .string(g.id)), ("name", .string(g.name)), ("deleted", .bool(true))])) { "Deleted glossary \(g.name)" }
        return 0
    }

    // MARK: terms

    /// `es=canal|canales` -> (es, [canal, canales]).
    static func languageForms(_ raws: [String], option: String) throws -> [(String, [String])] {
        try raws.map { r in
            let p = r.split(separator: "=", maxSplits: 1).map(String.init)
            guard p.count == 2, !p[0].trimmingCharacters(in: .whitespaces).isEmpty else {
                throw OlleeyError.usage("--\(option) takes LANG=TERM (got '\(r)')", hint: "e.g. --\(option) es=canal, or es='canal|canales' for accepted variants")
            }
            let forms = p[1].split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            guard !forms.isEmpty else { throw OlleeyError.usage("--\(option) \(r): no term after '='") }
            return (p[0].trimmingCharacters(in: .whitespaces), forms)
        }
    }

    static let termAdd: CommandSpec = CommandSpec(
        "add", "add a term: its required translation per language, flags, part of speech, note",
        discussion: "--target LANG=TERM gives the required translation (repeat per language; TERM|VARIANT|... lists accepted variants). --forbid LANG=TERM lists translations that must not be used. --dnt: never translate the term; --forbidden: the term itself must not be used; --case-sensitive: match case exactly.",
        examples: ["olleey glossary term add brand \"Olleey\" --dnt",
                   "olleey glossary term add brand channel --target es=canal --target fr='chaîne|chaînes' --pos noun",
                   "olleey glossary term add brand cheap --forbidden --note 'say affordable' --json"],
        arguments: [glossaryArg, ArgumentSpec("TERM", "the term, in the glossary's source language")],
        options: [
            .option("target", short: "t", "LANG=TERM", "required translation into LANG (repeatable; TERM|VARIANT for accepted variants)", repeatable: true),
            .option("forbid", "LANG=TERM", "a translation into LANG that must not be used (repeatable)", repeatable: true),
            .option("variant", "FORM", "another source form of the term, e.g. an irregular plural (repeatable)", repeatable: true),
            .option("pos", "POS", "part of speech (noun, verb, adjective, properNoun, ...)"),
            .option("note", "TEXT", "a note for translators"),
            .flag("dnt", "do not translate: the term must appear unchanged in every translation"),
            .flag("forbidden", "the term must not be used"),
            .flag("case-sensitive", "match the term's case exactly"),
            .flag("replace", "replace the term if it exists"),
        ]
    ) { ctx in
        let a = ctx.args
        let svc = try service(ctx)
        let g = try svc.resolve(a.positionals[0])
        var targets: [String: TermTarget] = [:]
        var order: [String] = []
        for (l, forms) in try languageForms(a.all("target"), option: "target") {
            let code = try Language.validate(l).code
            if targets[code] != nil { throw OlleeyError.usage("--target \(code) is given twice", hint: "list variants with |: --target \(code)='a|b'") }
            targets[code] = TermTarget(language: code, target: forms[0], variants: Array(forms.dropFirst()))
            order.append(code)
        }
        for (l, forms) in try languageForms(a.all("forbid"), option: "forbid") {
            let code = try Language.validate(l).code
            if targets[code] == nil { targets[code] = TermTarget(language: code, target: ""); order.append(code) }
            targets[code]?.forbidden += forms
        }
        let term = GlossaryTerm(term: a.positionals[1], variants: a.all("variant"), partOfSpeech: a.string("pos"), note: a.string("note"),
                                dnt: a.has("dnt"), forbidden: a.has("forbidden"), caseSensitive: a.has("case-sensitive"),
                                targets: order.compactMap { targets[$0] })
        if term.dnt && term.forbidden { throw OlleeyError.usage("--dnt and --forbidden contradict each other") }
        let t = try svc.addTerm(g, term, replace: a.has("replace"))
        try ctx.emit(t.json) { "Added '\(t.term)' to \(g.name)" }
        return 0
    }

    static let termRemove: CommandSpec = CommandSpec(
        "rm", "remove a term",
        examples: ["olleey glossary term rm brand channel", "olleey glossary term rm brand Olleey --json"],
        arguments: [glossaryArg, ArgumentSpec("TERM", "the term")]
    ) { ctx in
        let svc = try service(ctx)
        let g = try svc.resolve(ctx.args.positionals[0])
        let t = try svc.removeTerm(g, ctx.args.positionals[1])
        try ctx.emit(.object([("glossary", .string(g.name)), ("term", .string(t.term)), ("removed", .bool(true))])) { "Removed '\(t.term)' from \(g.name)" }
        return 0
    }

    static let termList: CommandSpec = CommandSpec(
        "list", "list a glossary's terms",
        examples: ["olleey glossary term list brand", "olleey glossary term list brand --lang es --json"],
        arguments: [glossaryArg],
        options: [.option("lang", "LANG", "only this target language's translations")]
    ) { ctx in
        let svc = try service(ctx)
        let g = try svc.resolve(ctx.args.positionals[0])
        let terms = try svc.terms(g, language: ctx.args.string("lang"))
        try ctx.emit(list: .array(terms.map(\.json)), table: Table(["term", "flags", "targets", "pos", "note"], terms.map(termLine)))
        return 0
    }

    static let term: CommandSpec = CommandSpec(
        "term", "add, remove and list a glossary's terms",
        examples: ["olleey glossary term add brand \"Olleey\" --dnt", "olleey glossary term list brand --json"],
        subcommands: [termAdd, termRemove, termList])

    // MARK: import, export

    static let importCommand: CommandSpec = CommandSpec(
        "import", "import terms from CSV or TBX (ISO 30042); bad entries are skipped and reported",
        discussion: "CSV: a header row with term, variants, part_of_speech, note, dnt, forbidden, case_sensitive and one column per target language (es; es_forbidden for forms not to use; TERM|VARIANT for variants). TBX: v3 (tbx/conceptEntry/langSec/termSec, DCA style <termNote type=\"administrativeStatus\"> or DCT style <basic:administrativeStatus>) or v2 (martif/termEntry/langSet/tig); administrativeStatus and usageStatus (preferred; admitted: a variant; deprecated, superseded, notRecommended, obsolete: forbidden), partOfSpeech and transferComment ('do not translate') are kept. The whole file is checked first and its valid terms written in one transaction. A file that is malformed as a whole (not UTF-8, not well-formed XML, no CSV header) exits 65 with file:line and imports nothing; an entry or row that is bad (no term in the glossary's source language, an unknown language, an empty term) is skipped and reported with its line and reason, and the rest is imported (exit 0; 65 when no entry is valid). --strict imports nothing when any entry is bad. Entries with the same source term are merged into one term (reported). Existing terms are replaced; --replace empties the glossary first.",
        examples: ["olleey glossary import brand terms.tbx", "olleey glossary import brand terms.csv --replace --json",
                   "olleey glossary import brand export.xml --format tbx --strict"],
        arguments: [glossaryArg, ArgumentSpec("FILE", "a .csv or .tbx file, or - for standard input (with --format)", completion: .files(["csv", "tbx", "xml"]))],
        options: [formatOption, .flag("replace", "remove every term first (in the same transaction)"),
                  .flag("strict", "all or nothing: import nothing when any entry or row is bad")]
    ) { ctx in
        let svc = try service(ctx)
        let g = try svc.resolve(ctx.args.positionals[0])
        let file = ctx.args.positionals[1]
        let format = try GlossaryService.Format.detect(ctx.args.string("format"), path: file == "-" ? nil : file)
        let bytes = try ctx.readInput(file)
        let name = file == "-" ? "<stdin>" : file
        let r = try svc.importTerms(g, bytes: bytes, format: format, fileName: name,
                                    replace: ctx.args.has("replace"), strict: ctx.args.has("strict"))
        let after = try svc.resolve(g.id)
        for s in r.skipped { ctx.warn("\(name):\(s.line): skipped \(format == .csv ? "row" : "entry")\(s.entry.map { " '\($0)'" } ?? ""): \(s.reason)") }
        for m in r.merged { ctx.note("\(name):\(m.line): merged the entry for '\(m.term)' into the one at line \(m.into)") }
        func plural(_ n: Int, _ one: String, _ many: String) -> String { "\(n) \(n == 1 ? one : many)" }
        try ctx.emit(.object([("glossary", .string(g.name)), ("format", .string(r.format.rawValue)), ("imported", .int(Int64(r.total))),
                              ("created", .int(Int64(r.created))), ("updated", .int(Int64(r.updated))), ("terms", .int(Int64(after.termCount))),
                              ("skipped", .int(Int64(r.skipped.count))), ("merged", .int(Int64(r.merged.count))),
                              ("skipped_entries", .array(r.skipped.map(\.json))), ("merges", .array(r.merged.map(\.json)))])) {
            "Imported \(plural(r.total, "term", "terms")) into \(g.name) (\(r.created) new, \(r.updated) replaced); skipped \(format == .csv ? plural(r.skipped.count, "row", "rows") : plural(r.skipped.count, "entry", "entries")), merged \(r.merged.count); it has \(after.termCount)"
        }
        return 0
    }

    static let export: CommandSpec = CommandSpec(
        "export", "export a glossary as CSV or TBX (TBX-Basic, ISO 30042)",
        examples: ["olleey glossary export brand --format tbx -o brand.tbx", "olleey glossary export brand --format csv > brand.csv",
                   "olleey glossary export brand --format tbx --json"],
        arguments: [glossaryArg],
        options: [formatOption, .option("output", short: "o", "FILE", "write here (atomically) instead of standard output", type: .path)]
    ) { ctx in
        let svc = try service(ctx)
        let g = try svc.resolve(ctx.args.positionals[0])
        let out = ctx.args.string("output")
        let format = try ctx.args.string("format").map { try GlossaryService.Format.detect($0, path: nil) }
            ?? (out.map { try GlossaryService.Format.detect(nil, path: $0) } ?? .csv)
        let text = try svc.export(g, format: format)
        if let o = out, o != "-" {
            try FileIO.writeAtomically(text, to: ctx.path(o))
            try ctx.emit(.object([("glossary", .string(g.name)), ("format", .string(format.rawValue)), ("path", .string(ctx.path(o))),
                                  ("terms", .int(Int64(g.termCount)))])) { "Wrote \(g.termCount) terms to \(o)" }
        } else if ctx.json {
            try ctx.printJSON(.object([("glossary", .string(g.name)), ("format", .string(format.rawValue)), ("terms", .int(Int64(g.termCount))),
                                       ("content", .string(text))]))
        } else {
            ctx.stdout.write(text)
        }
        return 0
    }

    // MARK: check

    static func loadVTT(_ ctx: Context, _ p: String) throws -> WebVTTDocument {
        try SubtitleLoader.parse(try ctx.readInput(p), name: p == "-" ? nil : p).document
    }

    static func clock(_ ms: Int64) -> String {
        String(format: "%02d:%02d:%02d.%03d", ms / 3_600_000, ms / 60_000 % 60, ms / 1000 % 60, ms % 1000)
    }

    static let check: CommandSpec = CommandSpec(
        "check", "check translated subtitles against a glossary (exit 1 on violations)",
        discussion: "Reports, per cue: source terms whose required translation is missing (needs --source), forbidden terms used, and do-not-translate terms altered (needs --source). Matching tolerates inflection (plurals and common suffixes, and the variants listed in the glossary), honours each term's case flag, and uses substring matching for languages written without spaces (ja, zh, th, ...). Cues are paired with the source by id, else by position, else by time.",
        examples: ["olleey glossary check out.es.vtt --glossary brand --lang es --source in.en.vtt",
                   "olleey glossary check out.es.vtt --glossary brand --lang es --source in.en.vtt --json"],
        arguments: [ArgumentSpec("FILE", "the translated subtitles (WebVTT or SRT), or - for standard input", completion: .files(["vtt", "srt"]))],
        options: [.option("glossary", short: "g", "GLOSSARY", "the glossary"), .option("lang", short: "l", "LANG", "the language of FILE"),
                  .option("source", "FILE", "the source-language subtitles FILE was translated from", type: .path, completion: .files(["vtt", "srt"]))]
    ) { ctx in
        guard let gref = ctx.args.string("glossary") else { throw OlleeyError.usage("'olleey glossary check' needs --glossary NAME") }
        guard let lang = ctx.args.string("lang") else { throw OlleeyError.usage("'olleey glossary check' needs --lang LANG") }
        let svc = try service(ctx)
        let g = try svc.resolve(gref)
        let file = ctx.args.positionals[0]
        let target = try loadVTT(ctx, file)
        let srcPath = ctx.args.string("source")
        let source = try srcPath.map { try loadVTT(ctx, $0) }
        let code = try Language.validate(lang).code
        let findings = try svc.check(g, target: target, source: source, language: code)
        let json = GlossaryChecker.report(findings, glossary: g.name, language: code, cues: target.cues.count, file: file, source: srcPath)
        if ctx.json {
            try ctx.printJSON(json)
        } else if !ctx.quiet {
            for f in findings {
                ctx.stdout.write("\(file):\(f.line): cue \(f.cue) (\(clock(f.startMs))): \(f.kind.rawValue): \(f.message)\n")
            }
            let cues = Set(findings.map(\.cue)).count
            ctx.stdout.write(findings.isEmpty ? "\(file): no glossary violations in \(target.cues.count) cues\(source == nil ? " (forbidden terms only: pass --source to check required translations and do-not-translate terms)" : "")\n"
                                              : "\(findings.count) violation\(findings.count == 1 ? "" : "s") in \(cues) cue\(cues == 1 ? "" : "s")\n")
        }
        return findings.isEmpty ? 0 : 1
    }

    static let spec: CommandSpec = CommandSpec(
        "glossary", "terminology that is enforced: terms, CSV/TBX import and export, check",
        discussion: "A glossary holds terms in a source language with their required translations per language, and flags: do-not-translate, forbidden, case-sensitive. A job created with --glossary protects do-not-translate terms through translation, applies required translations, and records violations in its QC data (olleey qc status).",
        examples: ["olleey glossary create brand --source-lang en", "olleey glossary term add brand \"Olleey\" --dnt", "olleey glossary import brand terms.tbx",
                   "olleey glossary check out.es.vtt --glossary brand --lang es --source in.en.vtt --json"],
        subcommands: [create, list, show, update, delete, term, importCommand, export, check])
}
