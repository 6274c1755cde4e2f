// Advanced SubStation Alpha / SubStation Alpha (.ass, .ssa) import.
//
// The `[Events]` section's `Format:` line decides the columns (SSA's `Marked` and ASS's `Layer`
// alike); `Dialogue:` lines become cues in file order, `Comment:` lines are skipped. The last
// column (Text) keeps its commas. Times are `H:MM:SS.cc`. In the text, `{\i1}`/`{\i0}`,
// `{\b1}`/`{\b0}`, `{\u1}`/`{\u0}` become `<i>`, `<b>`, `<u>`; `\N` and `\n` become line breaks
// and `\h` a space; every other override tag (positions, colours, fonts, karaoke, drawing) is
// dropped with a warning. The Name (Actor) column becomes a `<v Name>` span. Styles, margins,
// layers and effects cannot be carried by WebVTT: one warning each says so.

/// ASS/SSA import.
public enum ASS {
    /// Parses ASS/SSA bytes into a WebVTT document, with warnings and errors found on the way.
    public static func parse(_ input: [UInt8]) -> (document: WebVTTDocument, diagnostics: [Diagnostic]) {
        var reader = Reader()
        let (lines, crlf, cp1252) = ImportText.lines(input)
        if cp1252 { reader.diags.append(ImportText.notUTF8) }
        reader.doc.lineEnding = crlf ? .crlf : .lf
        for (k, line) in lines.enumerated() { reader.line(line, number: k + 1) }
        reader.finish()
        return (reader.doc, reader.diags)
    }

    struct Reader {
        var doc = WebVTTDocument()
        var diags: [Diagnostic] = []
        var section = ""
        var columns: [String] = []
        var warned = Set<String>()
        var styles = 0

        mutating func warn(_ code: String, _ line: Int, _ message: String) {
            if warned.insert(code).inserted {
                diags.append(Diagnostic(line: line, column: 1, severity: .warning, code: code, message: message))
            }
        }

        mutating func line(_ raw: Substring, number: Int) {
            let l = raw.trimmingSpaces()
            if l.isEmpty || l.hasPrefix(";") { return }
            if l.hasPrefix("["), l.hasSuffix("]") { section = l.lowercased(); return }
            guard let colon = l.firstIndex(of: ":") else { return }
            let key = l[l.startIndex..<colon].trimmingSpaces().lowercased()
            let value = l[l.index(after: colon)...]
            if section.hasPrefix("[v4"), key == "style" { styles += 1; return }
            guard section == "[events]" else { return }
            switch key {
            case "format":
                columns = value.split(separator: ",").map { $0.trimmingSpaces().lowercased() }
            case "dialogue":
                dialogue(value, number: number)
            default:
                return
            }
        }

        mutating func dialogue(_ value: Substring, number: Int) {
            let cols = columns.isEmpty
                ? ["layer", "start", "end", "style", "name", "marginl", "marginr", "marginv", "effect", "text"] : columns
            if columns.isEmpty { warn("no_format_line", number, "no Format line in [Events]; the ASS default columns are assumed") }
            let fields = value.split(separator: ",", maxSplits: cols.count - 1, omittingEmptySubsequences: false)
            guard fields.count == cols.count else {
                diags.append(Diagnostic(line: number, column: 1, severity: .error, code: "invalid_dialogue",
                                        message: "a Dialogue line with \(fields.count) of the \(cols.count) columns of the Format line; dropped"))
                return
            }
            func field(_ name: String) -> Substring? { cols.firstIndex(of: name).map { fields[$0] } }
            guard let s = field("start").flatMap({ ASS.time($0) }), let e = field("end").flatMap({ ASS.time($0) }) else {
                diags.append(Diagnostic(line: number, column: 1, severity: .error, code: "invalid_timing",
                                        message: "a Dialogue line whose Start or End is not H:MM:SS.cc; dropped"))
                return
            }
            var text = convert(field("text").map { String($0.drop(while: { $0 == " " })) } ?? "", line: number)
            if let name = field("name")?.trimmingSpaces(), !name.isEmpty {
                text = "<v \(ImportText.voiceName(name))>" + text
            }
            for m in ["marginl", "marginr", "marginv"] {
                if let v = field(m)?.trimmingSpaces(), !v.isEmpty, v.contains(where: { $0 != "0" }) {
                    warn("margins_dropped", number, "margins have no WebVTT equivalent and are dropped")
                }
            }
            if let v = field("effect")?.trimmingSpaces(), !v.isEmpty {
                warn("effect_dropped", number, "effects (\(v)) have no WebVTT equivalent and are dropped")
            }
            var cue = Cue(startMs: s, endMs: e, text: text)
            cue.line = number
            doc.cues.append(cue)
        }

        /// ASS text as WebVTT cue text.
        mutating func convert(_ t: String, line number: Int) -> String {
            var out = ""
            var open: [String] = []
            var plain = ""
            func flush() { out += ImportText.escape(plain); plain = "" }
            var i = t.startIndex
            while i < t.endIndex {
                let c = t[i]
                if c == "{", let close = t[i...].firstIndex(of: "}") {
                    flush()
                    for tag in t[t.index(after: i)..<close].split(separator: "\\").map({ $0.trimmingSpaces() }) where !tag.isEmpty {
                        if let (name, on) = ASS.toggle(tag) {
                            if on, !open.contains(name) { out += "<\(name)>"; open.append(name) }
                            if !on, let k = open.lastIndex(of: name) {
                                for n in open[k...].reversed() { out += "</\(n)>" }
                                let reopen = open[(k + 1)...]
                                open.removeSubrange(k...)
                                for n in reopen { out += "<\(n)>"; open.append(n) }
                            }
                        } else {
                            warn("override_tag_dropped", number, "ASS override tags other than \\i, \\b and \\u (positions, colours, fonts, karaoke) have no WebVTT equivalent and are dropped")
                        }
                    }
                    i = t.index(after: close)
                    continue
                }
                if c == "\\", let n = t.index(i, offsetBy: 1, limitedBy: t.endIndex), n < t.endIndex {
                    switch t[n] {
                    case "N", "n": plain += "\n"; i = t.index(after: n); continue
                    case "h": plain += " "; i = t.index(after: n); continue
                    default: break
                    }
                }
                plain.append(c)
                i = t.index(after: i)
            }
            flush()
            for n in open.reversed() { out += "</\(n)>" }
            return out
        }

        mutating func finish() {
            if styles > 0 {
                warn("styles_dropped", 0, "ASS styles (fonts, colours, sizes, positions) have no WebVTT equivalent and are dropped")
            }
        }
    }

    /// `\i1` -> ("i", true), `\b0` -> ("b", false); `\b700` (a weight) counts as bold.
    static func toggle(_ tag: String) -> (String, Bool)? {
        guard let f = tag.first, "ibu".contains(f) else { return nil }
        let rest = tag.dropFirst()
        guard !rest.isEmpty, rest.allSatisfy({ $0.isASCII && $0.isNumber }), let v = Int(rest) else { return nil }
        return (String(f), v != 0)
    }

    /// `H:MM:SS.cc` (hundredths; one to three fraction digits accepted).
    static func time(_ raw: Substring) -> Int64? { SBV.timestamp(raw) }
}
