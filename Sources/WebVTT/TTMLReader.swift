// TTML import: IMSC1 (Text Profile), EBU-TT-D and TTML documents as subtitle tools write them,
// including what `TTMLExport` writes.
//
// - Each `<p>` with timing becomes a cue, in document order. `begin`, `end` and `dur` are read as
//   clock times (`hh:mm:ss`, `hh:mm:ss.fff`, `hh:mm:ss:ff` frames at `ttp:frameRate` times
//   `ttp:frameRateMultiplier`) or offset times (`12.5s`, `500ms`, `2m`, `1h`, `25f`, `100t` at
//   `ttp:tickRate`); times are relative to the enclosing `body`'s and `div`s' begin.
// - `<br/>` is a line break; text whitespace is collapsed (xml:space="default") unless
//   `xml:space="preserve"`.
// - Italic, bold and underline (`tts:fontStyle`, `tts:fontWeight`, `tts:textDecoration`, on the
//   element or in a referenced `<style>`) become `<i>`, `<b>`, `<u>`; `ttm:agent` (with its name
//   from the head) becomes `<v Name>`; `xml:lang` on a span becomes `<lang>`; the eight WebVTT
//   default colours on a span become their classes.
// - Regions (positions and sizes), other styling and animation (`<set>`) are not carried: one
//   warning each.

/// TTML (IMSC1, EBU-TT-D) import.
public enum TTMLImport {
    /// Parses a TTML document into a WebVTT document. Malformed XML is one error diagnostic
    /// (with its line) and no cues.
    public static func parse(_ input: [UInt8]) -> (document: WebVTTDocument, diagnostics: [Diagnostic]) {
        let root: XMLElementNode
        do { root = try XMLReader.parse(input) } catch let e as XMLSyntaxError {
            return (WebVTTDocument(), [Diagnostic(line: e.line, column: 1, severity: .error, code: "malformed_xml", message: "malformed XML: \(e.message)")])
        } catch {
            return (WebVTTDocument(), [Diagnostic(line: 1, column: 1, severity: .error, code: "malformed_xml", message: "malformed XML")])
        }
        guard root.localName == "tt" else {
            return (WebVTTDocument(), [Diagnostic(line: root.line, column: 1, severity: .error, code: "not_ttml",
                                                   message: "the root element is <\(root.name)>, not <tt>: not a TTML document")])
        }
        var r = Reader(root: root)
        r.run()
        return (r.doc, r.diags)
    }

    /// Time parameters of a document.
    struct Clock {
        var frameRate = 30.0
        var tickRate = 1.0

        init(root: XMLElementNode) {
            if let f = TTMLImport.attr(root, "frameRate").flatMap({ Double($0) }), f > 0 { frameRate = f }
            if let m = TTMLImport.attr(root, "frameRateMultiplier") {
                let p = m.split(separator: " ").compactMap { Double($0) }
                if p.count == 2, p[0] > 0, p[1] > 0 { frameRate *= p[0] / p[1] }
            }
            if let t = TTMLImport.attr(root, "tickRate").flatMap({ Double($0) }), t > 0 { tickRate = t } else if TTMLImport.attr(root, "frameRate") != nil { tickRate = frameRate }
        }

        /// A time expression in milliseconds, or nil.
        func ms(_ raw: String) -> Int64? {
            let s = raw.trimmingSpaces()
            guard !s.isEmpty, s.count < 40 else { return nil }
            if s.contains(":") {
                let parts = s.split(separator: ":", omittingEmptySubsequences: false)
                guard parts.count == 3 || parts.count == 4, let h = Double(parts[0]), let m = Double(parts[1]),
                      parts[0].allSatisfy({ $0.isASCII && $0.isNumber }), parts[1].allSatisfy({ $0.isASCII && $0.isNumber }),
                      let sec = Double(parts[2]), sec >= 0, m < 60, sec < 61 else { return nil }
                var total = (h * 3600 + m * 60 + sec) * 1000
                if parts.count == 4 {
                    guard let f = Double(parts[3]), f >= 0 else { return nil }
                    total += f * 1000 / frameRate
                }
                return total.isFinite && total < 1e15 ? Int64(total.rounded()) : nil
            }
            let units: [(String, Double)] = [("ms", 1), ("h", 3_600_000), ("m", 60_000), ("s", 1000), ("f", 1000 / frameRate), ("t", 1000 / tickRate)]
            for (u, factor) in units where s.hasSuffix(u) {
                let num = s.dropLast(u.count)
                guard !num.isEmpty, num.allSatisfy({ ($0.isASCII && $0.isNumber) || $0 == "." }), let v = Double(num) else { return nil }
                let total = v * factor
                return total.isFinite && total < 1e15 ? Int64(total.rounded()) : nil
            }
            return nil
        }
    }

    /// An attribute by local name (any prefix), e.g. `frameRate` for `ttp:frameRate`.
    static func attr(_ e: XMLElementNode, _ local: String) -> String? {
        e.attributes.first { $0.0 == local || $0.0.hasSuffix(":" + local) }?.1
    }

    /// Italic, bold, underline, and a WebVTT colour class.
    struct Style: Equatable {
        var italic = false
        var bold = false
        var underline = false
        var color: String?
    }

    struct Reader {
        let root: XMLElementNode
        let clock: Clock
        var doc = WebVTTDocument()
        var diags: [Diagnostic] = []
        var warned = Set<String>()
        var styles: [String: XMLElementNode] = [:]
        var agents: [String: String] = [:]

        init(root: XMLElementNode) {
            self.root = root
            self.clock = Clock(root: root)
        }

        mutating func warn(_ code: String, _ line: Int, _ message: String) {
            if warned.insert(code).inserted {
                diags.append(Diagnostic(line: line, column: 1, severity: .warning, code: code, message: message))
            }
        }

        mutating func run() {
            for head in root.elements("head") {
                for s in head.descendants("style") { if let id = attr(s, "id") { styles[id] = s } }
                for a in head.descendants("agent") {
                    if let id = attr(a, "id") { agents[id] = a.elements("name").first?.text.trimmingSpaces() ?? id }
                }
                if let r = head.descendants("region").first {
                    warn("regions_dropped", r.line, "TTML regions (positions and sizes) are not carried; cues take WebVTT's default position")
                }
            }
            guard let body = root.elements("body").first else {
                diags.append(Diagnostic(line: root.line, column: 1, severity: .error, code: "no_body", message: "no <body> in the TTML document"))
                return
            }
            container(body, offset: 0, end: nil)
        }

        /// `body` and `div`s: their begin shifts what they contain.
        mutating func container(_ e: XMLElementNode, offset: Int64, end: Int64?) {
            let (b, en) = times(e, offset: offset, parentEnd: end)
            for c in e.elements {
                switch c.localName {
                case "div": container(c, offset: b ?? offset, end: en ?? end)
                case "p": paragraph(c, offset: b ?? offset, end: en ?? end)
                case "set": warn("animation_dropped", c.line, "TTML animation (<set>) is not carried")
                default: break
                }
            }
        }

        /// The begin and end of an element (absolute), from begin/end/dur.
        mutating func times(_ e: XMLElementNode, offset: Int64, parentEnd: Int64?) -> (Int64?, Int64?) {
            var begin: Int64?
            var end: Int64?
            if let s = attr(e, "begin") {
                if let v = clock.ms(s) { begin = offset + v } else { bad(e, "begin", s) }
            }
            if let s = attr(e, "end") {
                if let v = clock.ms(s) { end = offset + v } else { bad(e, "end", s) }
            }
            if end == nil, let s = attr(e, "dur") {
                if let v = clock.ms(s) { end = (begin ?? offset) + v } else { bad(e, "dur", s) }
            }
            if let p = parentEnd, let x = end, x > p { end = p }
            return (begin, end ?? parentEnd)
        }

        mutating func bad(_ e: XMLElementNode, _ name: String, _ value: String) {
            diags.append(Diagnostic(line: e.line, column: 1, severity: .error, code: "invalid_time",
                                    message: "\(name)=\"\(value.prefix(40))\" of <\(e.name)> is not a TTML time expression"))
        }

        mutating func paragraph(_ p: XMLElementNode, offset: Int64, end parentEnd: Int64?) {
            let (b, e) = times(p, offset: offset, parentEnd: parentEnd)
            guard let end = e, attr(p, "begin") == nil || b != nil else {
                diags.append(Diagnostic(line: p.line, column: 1, severity: .error, code: "untimed_paragraph",
                                        message: "<\(p.name)> has no begin and end; dropped"))
                return
            }
            let begin = b ?? offset
            let preserve = attr(p, "space") == "preserve"
            var text = inline(p, inherited: Style(), preserve: preserve, isParagraph: true)
            if !preserve {
                text = text.split(separator: "\n", omittingEmptySubsequences: false).map { $0.trimmingSpaces() }.joined(separator: "\n")
            }
            var cue = Cue(id: attr(p, "id").map { $0.replacingOccurrences(of: "-->", with: "->").filter { !$0.isNewline && $0 != "\u{0}" } } ?? "",
                          startMs: begin, endMs: end, text: text)
            cue.line = p.line
            doc.cues.append(cue)
        }

        /// The style an element sets: its own tts attributes over those of the styles it references.
        func style(of e: XMLElementNode, depth: Int = 0) -> Style {
            var s = Style()
            if depth < 8, let refs = attr(e, "style") {
                for id in refs.split(separator: " ") {
                    if let ref = styles[String(id)] { merge(&s, style(of: ref, depth: depth + 1)) }
                }
            }
            if let v = attr(e, "fontStyle") { s.italic = v == "italic" || v == "oblique" }
            if let v = attr(e, "fontWeight") { s.bold = v == "bold" }
            if let v = attr(e, "textDecoration") { s.underline = v.contains("underline") && !v.contains("noUnderline") }
            if let v = attr(e, "color") {
                s.color = TTMLExport.colors.first { $0.value.lowercased() == v.lowercased() || $0.value.lowercased() + "ff" == v.lowercased() || $0.key == v.lowercased() }?.key
            }
            return s
        }

        func merge(_ s: inout Style, _ o: Style) {
            s.italic = s.italic || o.italic; s.bold = s.bold || o.bold; s.underline = s.underline || o.underline
            s.color = o.color ?? s.color
        }

        /// The content of a `p` or `span` as cue text.
        mutating func inline(_ e: XMLElementNode, inherited: Style, preserve: Bool, isParagraph: Bool) -> String {
            let own = style(of: e)
            var open: [String] = []
            var out = ""
            func tag(_ on: Bool, _ was: Bool, _ name: String) { if on && !was { out += "<\(name)>"; open.append(name) } }
            if let a = attr(e, "agent")?.split(separator: " ").first {
                let name = agents[String(a)] ?? String(a)
                out += "<v \(ImportText.voiceName(name))>"; open.append("v")
            }
            if !isParagraph, let l = attr(e, "lang"), !l.isEmpty {
                out += "<lang \(ImportText.voiceName(l))>"; open.append("lang")
            }
            if !isParagraph, let c = own.color { out += "<c.\(c)>"; open.append("c") }
            tag(own.italic, inherited.italic, "i"); tag(own.bold, inherited.bold, "b"); tag(own.underline, inherited.underline, "u")
            let now = Style(italic: own.italic || inherited.italic, bold: own.bold || inherited.bold, underline: own.underline || inherited.underline)
            for c in e.children {
                switch c {
                case .text(let t):
                    out += ImportText.escape(preserve ? t : collapse(t))
                case .element(let x):
                    switch x.localName {
                    case "br": out += "\n"
                    case "span": out += inline(x, inherited: now, preserve: preserve || attr(x, "space") == "preserve", isParagraph: false)
                    case "set": warn("animation_dropped", x.line, "TTML animation (<set>) is not carried")
                    case "metadata": break
                    default: out += ImportText.escape(collapse(x.text))
                    }
                }
            }
            for n in open.reversed() { out += "</\(n)>" }
            return out
        }

        /// XML whitespace runs as one space (xml:space="default").
        func collapse(_ t: String) -> String {
            var out = ""
            var space = false
            for ch in t.unicodeScalars {
                if ch == " " || ch == "\t" || ch == "\n" || ch == "\r" { space = true; continue }
                if space { out += " "; space = false }
                out.unicodeScalars.append(ch)
            }
            if space { out += " " }
            return out
        }
    }
}
