import Foundation

/// Glossary CSV (RFC 4180: commas, double quotes, quoted line breaks, CRLF or LF).
///
/// The first row names the columns: `term` (required), `variants`, `part_of_speech`, `note`,
/// `dnt`, `forbidden`, `case_sensitive`, then one column per target language named by its code
/// (`es`) holding the required translation and its accepted variants separated by `|`
/// (`canal|canales`), and optionally `es_forbidden` with forms that must not be used. Flags are
/// true/false, yes/no, 1/0, x or empty.
public enum GlossaryCSV {
    public static let fixedColumns = ["term", "variants", "part_of_speech", "note", "dnt", "forbidden", "case_sensitive"]
    static let aliases = ["source": "term", "pos": "part_of_speech", "partofspeech": "part_of_speech", "do_not_translate": "dnt",
                          "casesensitive": "case_sensitive", "case": "case_sensitive"]

    /// Splits CSV text into records, each with the line it starts on.
    public static func records(_ text: String, fileName: String) throws -> [(line: Int, fields: [String])] {
        var out: [(Int, [String])] = []
        var fields: [String] = []
        var field = ""
        var inQuotes = false
        var quotedField = false
        var line = 1
        var recordLine = 1
        var quoteLine = 1
        var chars = Array(text.unicodeScalars)
        if chars.first == "\u{FEFF}" { chars.removeFirst() }
        var k = 0
        func endRecord() {
            fields.append(field)
            if !(fields.count == 1 && fields[0].isEmpty && !quotedField) { out.append((recordLine, fields)) }
            fields = []; field = ""; quotedField = false
        }
        while k < chars.count {
            let c = chars[k]
            if inQuotes {
                if c == "\"" {
                    if k + 1 < chars.count && chars[k + 1] == "\"" { field.unicodeScalars.append("\""); k += 2; continue }
                    inQuotes = false; k += 1
                    if k < chars.count, chars[k] != ",", chars[k] != "\n", chars[k] != "\r" {
                        throw OlleeyError.invalid("\(fileName):\(line): unexpected text after a closing quote", hint: "nothing was imported; double a quote inside a quoted field (\"\")")
                    }
                    continue
                }
                if c == "\n" { line += 1 }
                field.unicodeScalars.append(c); k += 1
                continue
            }
            switch c {
            case "\"":
                guard field.isEmpty else {
                    throw OlleeyError.invalid("\(fileName):\(line): a quote inside an unquoted field", hint: "nothing was imported; quote the whole field and double the quote")
                }
                inQuotes = true; quotedField = true; quoteLine = line; k += 1
            case ",":
                fields.append(field); field = ""; quotedField = false; k += 1
            case "\r", "\n":
                endRecord()
                if c == "\r", k + 1 < chars.count, chars[k + 1] == "\n" { k += 1 }
                k += 1; line += 1; recordLine = line
            default:
                field.unicodeScalars.append(c); k += 1
            }
        }
        if inQuotes { throw OlleeyError.invalid("\(fileName):\(quoteLine): a quoted field is never closed", hint: "nothing was imported") }
        if !field.isEmpty || !fields.isEmpty || quotedField { endRecord() }
        return out
    }

    enum Column {
        case fixed(String)
        case target(String)
        case forbidden(String)
    }

    static func flag(_ s: String) -> Bool? {
        switch s.trimmingCharacters(in: .whitespaces).lowercased() {
        case "", "false", "no", "0", "n": return false
        case "true", "yes", "1", "y", "x": return true
        default: return nil
        }
    }

    static func forms(_ s: String) -> [String] {
        s.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// Every row's term, strictly: any bad row is a 65 listing the bad rows.
    public static func parse(_ text: String, sourceLang: String, fileName: String) throws -> [GlossaryTerm] {
        let file = try read(text, sourceLang: sourceLang, fileName: fileName)
        try file.requireNoSkips(fileName)
        return file.terms
    }

    /// The valid rows' terms and the rows left out, with their line and reason. A file without a
    /// usable header, or with a broken quote, is a 65.
    public static func read(_ text: String, sourceLang: String, fileName: String) throws -> GlossaryImportFile {
        let recs = try records(text, fileName: fileName)
        guard let header = recs.first else { throw OlleeyError.invalid("\(fileName): empty file (no header row)", hint: "the first row names the columns: term,es,fr,...") }
        var columns: [Column] = []
        for raw in header.fields {
            let name = raw.trimmingCharacters(in: .whitespaces).lowercased()
            let key = aliases[name] ?? name
            if fixedColumns.contains(key) { columns.append(.fixed(key)); continue }
            let isForbidden = key.hasSuffix("_forbidden")
            let langPart = isForbidden ? String(key.dropLast("_forbidden".count)) : key
            guard langPart.count >= 2, langPart.count <= 3 || langPart.contains("-"), let l = Language.find(langPart) else {
                let near = Suggest.closest(key, among: fixedColumns)
                throw OlleeyError.invalid("\(fileName):\(header.line): unknown column '\(raw)'",
                                          hint: (near.isEmpty ? "" : "did you mean '\(near[0])'? ") + "columns: \(fixedColumns.joined(separator: ", ")), and language codes (es, es_forbidden)")
            }
            if l.code == sourceLang {
                throw OlleeyError.invalid("\(fileName):\(header.line): column '\(raw)' is the glossary's source language", hint: "the source term goes in the 'term' column")
            }
            columns.append(isForbidden ? .forbidden(l.code) : .target(l.code))
        }
        guard columns.contains(where: { if case .fixed("term") = $0 { return true }; return false }) else {
            throw OlleeyError.invalid("\(fileName):\(header.line): no 'term' column in the header", hint: "the first row names the columns: term,es,fr,...")
        }
        var file = GlossaryImportFile()
        var seen: [String: Int] = [:]
        for rec in recs.dropFirst() {
            if rec.fields.allSatisfy({ $0.trimmingCharacters(in: .whitespaces).isEmpty }) { continue }
            guard rec.fields.count == columns.count else {
                file.skipped.append(GlossaryImportSkip(line: rec.line, reason: "\(rec.fields.count) fields, the header has \(columns.count)"))
                continue
            }
            var t = GlossaryTerm(term: "")
            var targets: [String: TermTarget] = [:]
            var order: [String] = []
            var bad = false
            for (col, value) in zip(columns, rec.fields) {
                switch col {
                case let .fixed(name):
                    switch name {
                    case "term": t.term = value.trimmingCharacters(in: .whitespaces)
                    case "variants": t.variants = forms(value)
                    case "part_of_speech": t.partOfSpeech = value.isEmpty ? nil : value
                    case "note": t.note = value.isEmpty ? nil : value
                    default:
                        guard let f = flag(value) else {
                            if !bad { file.skipped.append(GlossaryImportSkip(line: rec.line, reason: "'\(value)' in column \(name) is not a flag (true/false, yes/no, 1/0)")) }
                            bad = true; continue
                        }
                        if name == "dnt" { t.dnt = f } else if name == "forbidden" { t.forbidden = f } else { t.caseSensitive = f }
                    }
                case let .target(l):
                    let f = forms(value)
                    guard !f.isEmpty else { continue }
                    if targets[l] == nil { order.append(l); targets[l] = TermTarget(language: l, target: "") }
                    targets[l]?.target = f[0]
                    targets[l]?.variants = Array(f.dropFirst())
                case let .forbidden(l):
                    let f = forms(value)
                    guard !f.isEmpty else { continue }
                    if targets[l] == nil { order.append(l); targets[l] = TermTarget(language: l, target: "") }
                    targets[l]?.forbidden = f
                }
            }
            if bad { continue }
            guard !t.term.isEmpty else { file.skipped.append(GlossaryImportSkip(line: rec.line, reason: "empty term")); continue }
            if let first = seen[t.term] {
                file.skipped.append(GlossaryImportSkip(line: rec.line, reason: "term '\(t.term)' is already on line \(first)"))
                continue
            }
            seen[t.term] = rec.line
            t.targets = order.compactMap { targets[$0] }
            do { file.terms.append(try t.validated(sourceLang: sourceLang)) } catch let e as OlleeyError {
                file.skipped.append(GlossaryImportSkip(line: rec.line, reason: e.message))
            }
        }
        return file
    }

    static func field(_ s: String) -> String {
        guard s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) || s.hasPrefix(" ") || s.hasSuffix(" ") else { return s }
        return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    public static func export(_ terms: [GlossaryTerm]) -> String {
        var langs: [String] = []
        var forbiddenLangs: [String] = []
        for t in terms {
            for x in t.targets {
                if !x.accepted.isEmpty && !langs.contains(x.language) { langs.append(x.language) }
                if !x.forbidden.isEmpty && !forbiddenLangs.contains(x.language) { forbiddenLangs.append(x.language) }
            }
        }
        langs.sort(); forbiddenLangs.sort()
        let header = fixedColumns + langs + forbiddenLangs.map { $0 + "_forbidden" }
        var s = header.joined(separator: ",") + "\r\n"
        for t in terms {
            var row = [t.term, t.variants.joined(separator: "|"), t.partOfSpeech ?? "", t.note ?? "",
                       t.dnt ? "true" : "false", t.forbidden ? "true" : "false", t.caseSensitive ? "true" : "false"]
            for l in langs { row.append(t.target(l)?.accepted.joined(separator: "|") ?? "") }
            for l in forbiddenLangs { row.append(t.target(l)?.forbidden.joined(separator: "|") ?? "") }
            s += row.map(field).joined(separator: ",") + "\r\n"
        }
        return s
    }
}
