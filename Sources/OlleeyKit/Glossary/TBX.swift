import Foundation

/// TBX (ISO 30042, TermBase eXchange) import and export.
///
/// Import reads TBX v3 (`<tbx>`, `conceptEntry`/`langSec`/`termSec`, ISO 30042:2019) and TBX v2
/// (`<martif>`, `termEntry`/`langSet`/`tig`/`ntig`, ISO 30042:2008). Per entry: the term in the
/// glossary's source language, its other source terms (admitted: variants), part of speech
/// (`termNote type="partOfSpeech"`), notes, and per target language the preferred term, the
/// admitted ones (variants) and the deprecated or superseded ones (forbidden in that language),
/// from `termNote type="administrativeStatus"` (v2 also `normativeAuthorization`). An entry whose
/// source term is deprecated is a forbidden term; `termNote type="transferComment"` saying "do
/// not translate" marks a do-not-translate term; `termNote type="x-caseSensitive"` the case flag.
/// Export writes TBX-Basic v3 (DCA style) with the same data categories, so a round trip keeps
/// every flag.
public enum TBX {
    /// Every entry's terms, strictly: any bad entry is a 65 listing the bad entries.
    public static func parse(_ bytes: [UInt8], sourceLang: String, fileName: String) throws -> [GlossaryTerm] {
        let file = try read(bytes, sourceLang: sourceLang, fileName: fileName)
        try file.requireNoSkips(fileName)
        return file.terms
    }

    /// The valid terms of a TBX file (validated for the glossary), the entries left out with
    /// their line and reason, and the entries merged into an earlier one with the same source
    /// term. A file that is not well-formed XML, or not TBX, is a 65.
    public static func read(_ bytes: [UInt8], sourceLang: String, fileName: String) throws -> GlossaryImportFile {
        let root: XMLElementNode
        do { root = try XMLReader.parse(bytes) } catch let e as XMLSyntaxError {
            throw OlleeyError.invalid("\(fileName):\(e.line): malformed XML: \(e.message)", hint: "nothing was imported")
        }
        guard root.localName == "tbx" || root.localName == "martif" else {
            throw OlleeyError.invalid("\(fileName):\(root.line): not a TBX file (the root element is <\(root.name)>, not <tbx> or <martif>)",
                                      hint: "nothing was imported")
        }
        guard let body = root.elements("text").first?.elements("body").first else {
            throw OlleeyError.invalid("\(fileName):\(root.line): no <text><body> in the TBX file", hint: "nothing was imported")
        }
        var file = GlossaryImportFile()
        var out: [(term: GlossaryTerm, line: Int, id: String?)] = []
        var index: [String: Int] = [:]
        for entry in body.elements where entry.localName == "conceptEntry" || entry.localName == "termEntry" {
            do {
                for t in try terms(of: entry, sourceLang: sourceLang) {
                    if let k = index[t.term] {
                        out[k].term = merge(out[k].term, t)
                        file.merged.append(GlossaryImportMerge(term: t.term, line: entry.line, into: out[k].line))
                    } else {
                        index[t.term] = out.count
                        out.append((t, entry.line, entry.attribute("id")))
                    }
                }
            } catch let e as EntryError {
                file.skipped.append(GlossaryImportSkip(line: e.line, entry: entry.attribute("id"), reason: e.message))
            }
        }
        for (t, line, id) in out {
            do { file.terms.append(try t.validated(sourceLang: sourceLang)) } catch let e as OlleeyError {
                file.skipped.append(GlossaryImportSkip(line: line, entry: id, reason: "term '\(t.term)': \(e.message)"))
            }
        }
        file.skipped.sort { $0.line < $1.line }
        return file
    }

    struct EntryError: Error { var line: Int; var message: String }

    /// A term's status, from the least to the most restrictive (when a term gives two, say an
    /// `administrativeStatus` and a `usageStatus`, the more restrictive one counts).
    enum Status: Int, Comparable {
        case unspecified, preferred, admitted, deprecated
        static func < (a: Status, b: Status) -> Bool { a.rawValue < b.rawValue }
    }

    struct TermInfo {
        var text: String
        var pos: String?
        var status: Status
        var dnt: Bool
        var caseSensitive: Bool
        var note: String?
        var line: Int
    }

    /// TBX-Basic's `administrativeStatus` (`preferredTerm-admn-sts`, `admittedTerm-admn-sts`,
    /// `deprecatedTerm-admn-sts`, `supersededTerm-admn-sts`), TBX-Min's and ISO 12620's
    /// `usageStatus`/`termStatus` (`preferred`, `admitted`, `notRecommended`, `obsolete`) and v2's
    /// `normativeAuthorization` (also `standardized`, `legal`, `regulated`: preferred). Deprecated,
    /// superseded, not recommended and obsolete terms are not to be used: forbidden.
    static func status(_ value: String) -> Status {
        let v = value.lowercased()
        if ["deprecated", "superseded", "forbidden", "notrecommended", "not recommended", "obsolete"].contains(where: { v.contains($0) }) { return .deprecated }
        if v.contains("admitted") { return .admitted }
        if ["preferred", "standardized", "legal", "regulated"].contains(where: { v.contains($0) }) { return .preferred }
        return .unspecified
    }

    /// Data categories as TBX v3 writes them in the DCT style: an element per category, usually
    /// namespaced (`<basic:administrativeStatus>`, `<min:partOfSpeech>`).
    static let dctCategories: Set<String> = ["partOfSpeech", "administrativeStatus", "normativeAuthorization", "usageStatus", "termStatus",
                                             "transferComment", "doNotTranslate", "caseSensitive"]

    /// The data categories of a term group, in document order, as (type, value): DCA style
    /// (`<termNote type="administrativeStatus">`, also `descrip` and `admin`) and DCT style.
    static func dataCategories(_ group: XMLElementNode) -> [(type: String, value: String)] {
        var out: [(type: String, value: String)] = []
        var stack = Array(group.elements.reversed())
        while let n = stack.popLast() {
            let value = n.text.trimmingCharacters(in: .whitespacesAndNewlines)
            if ["termNote", "descrip", "admin"].contains(n.localName) {
                out.append((n.attribute("type") ?? "", value))
            } else if dctCategories.contains(n.localName) {
                out.append((n.localName, value))
            } else if n.localName != "term" {
                stack += n.elements.reversed()   // groups: termNoteGrp, termGrp, adminGrp
            }
        }
        return out
    }

    static func isTrue(_ s: String) -> Bool { ["true", "yes", "1", "y"].contains(s.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()) }

    static func saysDoNotTranslate(_ s: String) -> Bool {
        let v = s.lowercased()
        return v.contains("not translat") || v.contains("untranslat") || v.contains("do-not-translate") || v.contains("no translat")
            || v.trimmingCharacters(in: .whitespaces) == "dnt"
    }

    static func termInfo(_ group: XMLElementNode) throws -> TermInfo {
        guard let termEl = group.localName == "term" ? group : group.descendants("term").first else {
            throw EntryError(line: group.line, message: "<\(group.name)> has no <term>")
        }
        let text = termEl.text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty else { throw EntryError(line: termEl.line, message: "empty <term>") }
        var info = TermInfo(text: text, pos: nil, status: .unspecified, dnt: false, caseSensitive: false, note: nil, line: termEl.line)
        var notes: [String] = []
        for (type, value) in dataCategories(group) {
            switch type {
            case "partOfSpeech": info.pos = value.isEmpty ? nil : value
            case "administrativeStatus", "normativeAuthorization", "usageStatus", "termStatus": info.status = max(info.status, status(value))
            case "transferComment": if saysDoNotTranslate(value) { info.dnt = true }
            case "doNotTranslate", "x-doNotTranslate": if isTrue(value) { info.dnt = true }
            case "caseSensitive", "x-caseSensitive": info.caseSensitive = isTrue(value)
            default: break
            }
        }
        for n in group.elements("note") {
            let v = n.text.trimmingCharacters(in: .whitespacesAndNewlines)
            if !v.isEmpty { notes.append(v) }
        }
        info.note = notes.isEmpty ? nil : notes.joined(separator: "; ")
        return info
    }

    /// The glossary entries of one concept entry (usually one; more when it lists deprecated
    /// source terms beside the preferred one: each of those is a forbidden entry).
    static func terms(of entry: XMLElementNode, sourceLang: String) throws -> [GlossaryTerm] {
        var entryNotes: [String] = []
        for n in entry.elements where n.localName == "note" || n.localName == "definition" || (n.localName == "descrip" && n.attribute("type") == "definition") {
            let v = n.text.trimmingCharacters(in: .whitespacesAndNewlines)
            if !v.isEmpty { entryNotes.append(v) }
        }
        for g in entry.elements("descripGrp") {
            for d in g.elements("descrip") where d.attribute("type") == "definition" {
                let v = d.text.trimmingCharacters(in: .whitespacesAndNewlines)
                if !v.isEmpty { entryNotes.append(v) }
            }
        }
        var source: [TermInfo] = []
        var targets: [(String, [TermInfo])] = []
        for sec in entry.elements where sec.localName == "langSec" || sec.localName == "langSet" {
            guard let lang = sec.attribute("xml:lang") ?? sec.attribute("lang") else {
                throw EntryError(line: sec.line, message: "<\(sec.name)> has no xml:lang")
            }
            guard let code = Language.find(lang)?.code else { throw EntryError(line: sec.line, message: "unknown language '\(lang)'") }
            var infos: [TermInfo] = []
            for g in sec.elements where ["termSec", "tig", "ntig", "term"].contains(g.localName) { infos.append(try termInfo(g)) }
            for n in sec.elements("note") {
                let v = n.text.trimmingCharacters(in: .whitespacesAndNewlines)
                if !v.isEmpty { entryNotes.append(v) }
            }
            if code == sourceLang { source += infos } else if let k = targets.firstIndex(where: { $0.0 == code }) { targets[k].1 += infos } else { targets.append((code, infos)) }
        }
        guard !source.isEmpty else { throw EntryError(line: entry.line, message: "no \(sourceLang) term (the glossary's source language)") }
        let usable = source.filter { $0.status != .deprecated }
        let main = usable.first ?? source[0]
        let forbidden = usable.isEmpty
        var t = GlossaryTerm(term: main.text, variants: (forbidden ? source : usable).dropFirst().map(\.text), partOfSpeech: main.pos,
                             note: (entryNotes + source.compactMap(\.note)).isEmpty ? nil : (entryNotes + source.compactMap(\.note)).joined(separator: "; "),
                             dnt: source.contains { $0.dnt }, forbidden: forbidden, caseSensitive: main.caseSensitive)
        for (code, infos) in targets where !infos.isEmpty {
            if forbidden {
                t.targets.append(TermTarget(language: code, target: infos[0].text, variants: infos.dropFirst().map(\.text)))
                continue
            }
            let ok = infos.filter { $0.status != .deprecated }
            let preferred = ok.first { $0.status == .preferred } ?? ok.first
            let variants = ok.filter { $0.text != preferred?.text }.map(\.text)
            let bad = infos.filter { $0.status == .deprecated }.map(\.text)
            t.targets.append(TermTarget(language: code, target: preferred?.text ?? "", variants: variants, forbidden: bad))
        }
        var out = [t]
        if !forbidden {
            for d in source where d.status == .deprecated {
                out.append(GlossaryTerm(term: d.text, partOfSpeech: d.pos, note: "deprecated; use '\(main.text)'", forbidden: true))
            }
        }
        return out
    }

    /// Two entries for the same source term (homonyms in the term base): one entry with the
    /// union of their forms and flags.
    static func merge(_ a: GlossaryTerm, _ b: GlossaryTerm) -> GlossaryTerm {
        var m = a
        for v in b.variants where !m.variants.contains(v) { m.variants.append(v) }
        m.partOfSpeech = a.partOfSpeech ?? b.partOfSpeech
        if let n = b.note, !(a.note?.components(separatedBy: "; ").contains(n) ?? false) { m.note = a.note.map { $0 + "; " + n } ?? n }
        m.dnt = a.dnt || b.dnt
        m.forbidden = a.forbidden && b.forbidden
        m.caseSensitive = a.caseSensitive || b.caseSensitive
        for x in b.targets {
            if let k = m.targets.firstIndex(where: { $0.language == x.language }) {
                for v in [x.target] + x.variants where !v.isEmpty && v != m.targets[k].target && !m.targets[k].variants.contains(v) { m.targets[k].variants.append(v) }
                for f in x.forbidden where !m.targets[k].forbidden.contains(f) { m.targets[k].forbidden.append(f) }
            } else { m.targets.append(x) }
        }
        return m
    }

    // MARK: export

    public static func export(_ g: Glossary, terms: [GlossaryTerm]) -> String {
        var s = """
            <?xml version="1.0" encoding="UTF-8"?>
            <tbx type="TBX-Basic" style="dca" xml:lang="\(g.sourceLang)" xmlns="urn:iso:std:iso:30042:ed-2">
              <tbxHeader>
                <fileDesc>
                  <titleStmt><title>\(XMLEscape.text(g.name))</title></titleStmt>
                  <sourceDesc><p>\(XMLEscape.text(g.description.isEmpty ? "olleey glossary \(g.name)" : g.description))</p></sourceDesc>
                </fileDesc>
              </tbxHeader>
              <text>
                <body>

            """
        for (n, t) in terms.enumerated() {
            s += "      <conceptEntry id=\"c\(n + 1)\">\n"
            if let note = t.note { s += "        <note>\(XMLEscape.text(note))</note>\n" }
            let status = t.forbidden ? "deprecatedTerm-admn-sts" : "preferredTerm-admn-sts"
            s += "        <langSec xml:lang=\"\(g.sourceLang)\">\n"
            s += termSec(t.term, pos: t.partOfSpeech, status: status, dnt: t.dnt, caseSensitive: t.caseSensitive)
            for v in t.variants {
                s += termSec(v, pos: t.partOfSpeech, status: t.forbidden ? status : "admittedTerm-admn-sts", dnt: t.dnt, caseSensitive: t.caseSensitive)
            }
            s += "        </langSec>\n"
            for x in t.targets {
                s += "        <langSec xml:lang=\"\(x.language)\">\n"
                if !x.target.isEmpty { s += termSec(x.target, pos: t.partOfSpeech, status: status, dnt: false, caseSensitive: false) }
                for v in x.variants { s += termSec(v, pos: t.partOfSpeech, status: t.forbidden ? status : "admittedTerm-admn-sts", dnt: false, caseSensitive: false) }
                for f in x.forbidden { s += termSec(f, pos: t.partOfSpeech, status: "deprecatedTerm-admn-sts", dnt: false, caseSensitive: false) }
                s += "        </langSec>\n"
            }
            s += "      </conceptEntry>\n"
        }
        s += "    </body>\n  </text>\n</tbx>\n"
        return s
    }

    static func termSec(_ term: String, pos: String?, status: String, dnt: Bool, caseSensitive: Bool) -> String {
        var s = "          <termSec>\n            <term>\(XMLEscape.text(term))</term>\n"
        if let pos { s += "            <termNote type=\"partOfSpeech\">\(XMLEscape.text(pos))</termNote>\n" }
        s += "            <termNote type=\"administrativeStatus\">\(status)</termNote>\n"
        if dnt { s += "            <termNote type=\"transferComment\">do not translate</termNote>\n" }
        if caseSensitive { s += "            <termNote type=\"x-caseSensitive\">true</termNote>\n" }
        s += "          </termSec>\n"
        return s
    }
}
