// Cue text: the spec's "WebVTT cue text tokenizer" and "WebVTT cue text parsing rules" producing
// the node tree, plain text, a fast visible-length measure for lint, and the strict-mode validator.

/// A node of parsed cue text (the spec's "WebVTT Node Objects").
public enum CueNode: Hashable, Sendable {
    /// A WebVTT Text Object (character references already decoded).
    case text(String)
    /// A WebVTT Timestamp Object, in milliseconds.
    case timestamp(Int64)
    /// A WebVTT Internal Node Object.
    case element(CueElement)
}

/// An internal node of cue text: `<c>`, `<i>`, `<b>`, `<u>`, `<ruby>`, `<rt>`, `<v>`, `<lang>`.
public struct CueElement: Hashable, Sendable {
    public enum Kind: String, Hashable, Sendable, CaseIterable {
        case c, i, b, u, ruby, rt, v, lang
    }

    public var kind: Kind
    /// Applicable classes (`<c.yellow.bg_blue>` gives `["yellow", "bg_blue"]`), empty ones removed.
    public var classes: [String]
    /// The voice name for `v`, the language tag for `lang`, `""` otherwise.
    public var annotation: String
    /// The applicable language (top of the language stack when the node was made), if any.
    public var language: String?
    public var children: [CueNode]

    public init(kind: Kind, classes: [String] = [], annotation: String = "", language: String? = nil,
                children: [CueNode] = []) {
        self.kind = kind
        self.classes = classes
        self.annotation = annotation
        self.language = language
        self.children = children
    }
}

/// Cue text parsing.
public enum CueText {
    /// Parses cue text into the spec's node tree ("WebVTT cue text parsing rules").
    public static func parse(_ text: String, language: String? = nil) -> [CueNode] {
        var s = text
        return s.withUTF8 { buf in
            var builder = TreeBuilder(language: language)
            var tok = CueTokenizer(buf, 0, buf.count)
            while let t = tok.next() { builder.consume(t) }
            return builder.finish()
        }
    }

    /// The text with tags removed and character references decoded (line breaks kept as `\n`).
    public static func plainText(_ text: String) -> String {
        // Fast path: nothing to strip or decode.
        if !text.utf8.contains(where: { $0 == UInt8(ascii: "<") || $0 == UInt8(ascii: "&") }) { return text }
        var out = ""
        appendPlain(parse(text), to: &out)
        return out
    }

    /// Plain text of a node list.
    public static func plainText(of nodes: [CueNode]) -> String {
        var out = ""
        appendPlain(nodes, to: &out)
        return out
    }

    static func appendPlain(_ nodes: [CueNode], to out: inout String) {
        for node in nodes {
            switch node {
            case .text(let s): out += s
            case .timestamp: break
            case .element(let e): appendPlain(e.children, to: &out)
            }
        }
    }

    /// Escapes text for use as cue text: `&` -> `&amp;`, `<` -> `&lt;`, `>` -> `&gt;`.
    public static func escape(_ text: String) -> String {
        if !text.utf8.contains(where: { $0 == 0x26 || $0 == 0x3C || $0 == 0x3E }) { return text }
        var out = ""
        for ch in text.unicodeScalars {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            default: out.unicodeScalars.append(ch)
            }
        }
        return out
    }

    /// Counts of visible characters: Unicode scalars outside tags, a character reference counting
    /// as one, line breaks not counted. `lines` receives the count per line.
    public static func measure(_ text: String) -> (total: Int, lines: [Int]) {
        var lines: [Int] = []
        var s = text
        let total = s.withUTF8 { measure($0, lines: &lines) }
        return (total, lines)
    }

    /// Byte-level measure used by lint (no allocation besides `lines`).
    static func measure(_ p: UnsafeBufferPointer<UInt8>, lines: inout [Int]) -> Int {
        lines.removeAll(keepingCapacity: true)
        var total = 0
        var cur = 0
        var i = 0
        let n = p.count
        while i < n {
            let b = p[i]
            if b == 0x3C { // '<': a tag runs to '>' or the end
                i += 1
                while i < n, p[i] != 0x3E { i += 1 }
                i += 1
                continue
            }
            if b == 0x0A {
                lines.append(cur); total += cur; cur = 0
                i += 1
                continue
            }
            if b == 0x26 { // '&'
                var pos = i + 1
                if CharRef.consume(p, &pos, end: n, additionalAllowed: nil) != nil {
                    cur += 1
                    i = pos
                    continue
                }
            }
            if b & 0xC0 != 0x80 { cur += 1 }
            i += 1
        }
        lines.append(cur)
        total += cur
        return total
    }
}

// MARK: - Tokenizer

struct CueToken {
    enum Kind {
        case text
        case startTag
        case endTag
        case timestamp
    }
    var kind: Kind
    /// Text value (text tokens), tag name (tags) or tag value (timestamps).
    var value: [UInt8]
    var classes: [[UInt8]] = []
    var annotation: [UInt8]? = nil
    /// Offset of the token's first byte in the input.
    var offset: Int
}

/// The spec's "WebVTT cue text tokenizer" over UTF-8 bytes.
struct CueTokenizer {
    let p: UnsafeBufferPointer<UInt8>
    var pos: Int
    let end: Int
    /// Offsets of `&` that did not start a character reference (for the validator).
    var bareAmpersands: [Int] = []

    init(_ p: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) {
        self.p = p
        self.pos = start
        self.end = end
    }

    enum State { case data, tag, startTag, startTagClass, startTagAnnotation, endTag, timestampTag }

    mutating func next() -> CueToken? {
        if pos >= end { return nil }
        var state = State.data
        var result: [UInt8] = []
        var buffer: [UInt8] = []
        var classes: [[UInt8]] = []
        let startOffset = pos
        while true {
            let atEOF = pos >= end
            let c: UInt8 = atEOF ? 0 : p[pos]
            switch state {
            case .data:
                if atEOF { return CueToken(kind: .text, value: result, offset: startOffset) }
                if c == 0x26 { // &
                    var q = pos + 1
                    if let decoded = CharRef.consume(p, &q, end: end, additionalAllowed: nil) {
                        result.append(contentsOf: decoded)
                        pos = q
                    } else {
                        bareAmpersands.append(pos)
                        result.append(0x26)
                        pos += 1
                    }
                    continue
                }
                if c == 0x3C { // <
                    if result.isEmpty { state = .tag; pos += 1; continue }
                    return CueToken(kind: .text, value: result, offset: startOffset)
                }
                result.append(c)
            case .tag:
                if atEOF { return CueToken(kind: .startTag, value: [], offset: startOffset) }
                switch c {
                case 0x09, 0x0A, 0x0C, 0x20: state = .startTagAnnotation
                case 0x2E: state = .startTagClass
                case 0x2F: state = .endTag
                case 0x30...0x39: result = [c]; state = .timestampTag
                case 0x3E:
                    pos += 1
                    return CueToken(kind: .startTag, value: [], offset: startOffset)
                default: result = [c]; state = .startTag
                }
            case .startTag:
                if atEOF { return CueToken(kind: .startTag, value: result, offset: startOffset) }
                switch c {
                case 0x09, 0x0C, 0x20: state = .startTagAnnotation
                case 0x0A: buffer = [c]; state = .startTagAnnotation
                case 0x2E: state = .startTagClass
                case 0x3E:
                    pos += 1
                    return CueToken(kind: .startTag, value: result, offset: startOffset)
                default: result.append(c)
                }
            case .startTagClass:
                if atEOF || c == 0x3E {
                    if !atEOF { pos += 1 }
                    classes.append(buffer)
                    return CueToken(kind: .startTag, value: result, classes: classes, offset: startOffset)
                }
                switch c {
                case 0x09, 0x0C, 0x20: classes.append(buffer); buffer = []; state = .startTagAnnotation
                case 0x0A: classes.append(buffer); buffer = [c]; state = .startTagAnnotation
                case 0x2E: classes.append(buffer); buffer = []
                default: buffer.append(c)
                }
            case .startTagAnnotation:
                if atEOF || c == 0x3E {
                    if !atEOF { pos += 1 }
                    return CueToken(kind: .startTag, value: result, classes: classes,
                                    annotation: collapseWhitespace(buffer), offset: startOffset)
                }
                if c == 0x26 {
                    var q = pos + 1
                    if let decoded = CharRef.consume(p, &q, end: end, additionalAllowed: 0x3E) {
                        buffer.append(contentsOf: decoded)
                        pos = q
                    } else {
                        bareAmpersands.append(pos)
                        buffer.append(0x26)
                        pos += 1
                    }
                    continue
                }
                buffer.append(c)
            case .endTag:
                if atEOF || c == 0x3E {
                    if !atEOF { pos += 1 }
                    return CueToken(kind: .endTag, value: result, offset: startOffset)
                }
                result.append(c)
            case .timestampTag:
                if atEOF || c == 0x3E {
                    if !atEOF { pos += 1 }
                    return CueToken(kind: .timestamp, value: result, offset: startOffset)
                }
                result.append(c)
            }
            pos += 1
        }
    }

    func collapseWhitespace(_ b: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(b.count)
        var pendingSpace = false
        for c in b {
            if isASCIIWhitespace(c) {
                pendingSpace = !out.isEmpty
            } else {
                if pendingSpace { out.append(0x20); pendingSpace = false }
                out.append(c)
            }
        }
        return out
    }
}

// MARK: - Tree construction

struct TreeBuilder {
    var root: [CueNode] = []
    var stack: [CueElement] = []
    var languageStack: [String] = []

    init(language: String?) {
        if let l = language { languageStack.append(l) }
    }

    mutating func append(_ node: CueNode) {
        if stack.isEmpty { root.append(node) } else { stack[stack.count - 1].children.append(node) }
    }

    /// Open elements beyond this depth are ignored, so that later recursive walks (plain text,
    /// equality, destruction) stay bounded on hostile input.
    static let maxDepth = 256

    mutating func attach(_ kind: CueElement.Kind, _ t: CueToken, annotation: String = "") {
        let classes = t.classes.filter { !$0.isEmpty }.map { String(decoding: $0, as: UTF8.self) }
        let e = CueElement(kind: kind, classes: classes, annotation: annotation, language: languageStack.last)
        stack.append(e)
    }

    mutating func closeCurrent() {
        guard let e = stack.popLast() else { return }
        append(.element(e))
    }

    var currentKind: CueElement.Kind? { stack.last?.kind }

    mutating func consume(_ t: CueToken) {
        switch t.kind {
        case .text:
            append(.text(String(decoding: t.value, as: UTF8.self)))
        case .startTag:
            guard let kind = CueElement.Kind(rawValue: String(decoding: t.value, as: UTF8.self)) else { return }
            guard stack.count < TreeBuilder.maxDepth else { return }
            switch kind {
            case .c, .i, .b, .u, .ruby: attach(kind, t)
            case .rt: if currentKind == .ruby { attach(.rt, t) }
            case .v: attach(.v, t, annotation: t.annotation.map { String(decoding: $0, as: UTF8.self) } ?? "")
            case .lang:
                let lang = t.annotation.map { String(decoding: $0, as: UTF8.self) } ?? ""
                languageStack.append(lang)
                attach(.lang, t, annotation: lang)
            }
        case .endTag:
            let name = String(decoding: t.value, as: UTF8.self)
            guard let cur = currentKind else { return }
            if let kind = CueElement.Kind(rawValue: name), kind != .lang, kind == cur {
                closeCurrent()
            } else if name == "lang", cur == .lang {
                closeCurrent()
                _ = languageStack.popLast()
            } else if name == "ruby", cur == .rt {
                closeCurrent()
                closeCurrent()
            }
        case .timestamp:
            var v = t.value
            let ms: Int64? = v.withUnsafeMutableBufferPointer { buf in
                var pos = 0
                if case .success(let scan) = Timestamp.collect(UnsafeBufferPointer(buf), &pos), pos == buf.count {
                    return scan.ms
                }
                return nil
            }
            if let ms = ms { append(.timestamp(ms)) }
        }
    }

    mutating func finish() -> [CueNode] {
        while !stack.isEmpty { closeCurrent() }
        return root
    }
}

// MARK: - Character references

/// HTML named character references, parsed once from the generated table.
let htmlEntities: [String: [UInt8]] = {
    var d: [String: [UInt8]] = [:]
    d.reserveCapacity(2300)
    for line in htmlEntityTableSource.split(separator: "\n") {
        guard let sp = line.firstIndex(of: " ") else { continue }
        let name = String(line[line.startIndex..<sp])
        var s = ""
        for hex in line[line.index(after: sp)...].split(separator: ",") {
            if let v = UInt32(hex, radix: 16), let u = Unicode.Scalar(v) { s.unicodeScalars.append(u) }
        }
        d[name] = Array(s.utf8)
    }
    return d
}()

/// The first two bytes of every entity name, for a quick "cannot be a reference" answer.
let htmlEntityPrefixes: Set<UInt16> = {
    var s = Set<UInt16>()
    for name in htmlEntities.keys {
        let u = Array(name.utf8)
        if u.count >= 2 { s.insert(UInt16(u[0]) << 8 | UInt16(u[1])) }
    }
    return s
}()

enum CharRef {
    /// Windows-1252 replacements for numeric references 0x80...0x9F (HTML).
    static let c1Replacements: [UInt32: UInt32] = [
        0x80: 0x20AC, 0x82: 0x201A, 0x83: 0x0192, 0x84: 0x201E, 0x85: 0x2026, 0x86: 0x2020, 0x87: 0x2021,
        0x88: 0x02C6, 0x89: 0x2030, 0x8A: 0x0160, 0x8B: 0x2039, 0x8C: 0x0152, 0x8E: 0x017D, 0x91: 0x2018,
        0x92: 0x2019, 0x93: 0x201C, 0x94: 0x201D, 0x95: 0x2022, 0x96: 0x2013, 0x97: 0x2014, 0x98: 0x02DC,
        0x99: 0x2122, 0x9A: 0x0161, 0x9B: 0x203A, 0x9C: 0x0153, 0x9E: 0x017E, 0x9F: 0x0178,
    ]

    /// HTML's "consume a character reference" starting after the `&` at `pos`. On success returns
    /// the UTF-8 of the referenced characters and moves `pos` past the reference.
    static func consume(_ p: UnsafeBufferPointer<UInt8>, _ pos: inout Int, end: Int, additionalAllowed: UInt8?) -> [UInt8]? {
        guard pos < end else { return nil }
        let c = p[pos]
        if c == 0x09 || c == 0x0A || c == 0x0C || c == 0x20 || c == 0x3C || c == 0x26 { return nil }
        if let a = additionalAllowed, c == a { return nil }
        if c == 0x23 { // #
            var i = pos + 1
            var hex = false
            if i < end, p[i] == 0x78 || p[i] == 0x58 { hex = true; i += 1 }
            let digitsStart = i
            var value: UInt32 = 0
            var overflow = false
            while i < end {
                let d = p[i]
                var v: UInt32
                if isDigit(d) { v = UInt32(d - 0x30) }
                else if hex, d >= 0x61, d <= 0x66 { v = UInt32(d - 0x61 + 10) }
                else if hex, d >= 0x41, d <= 0x46 { v = UInt32(d - 0x41 + 10) }
                else { break }
                if !overflow {
                    let (m, o1) = value.multipliedReportingOverflow(by: hex ? 16 : 10)
                    let (a, o2) = m.addingReportingOverflow(v)
                    if o1 || o2 || a > 0x10FFFF { overflow = true; value = 0x110000 } else { value = a }
                }
                i += 1
            }
            if i == digitsStart { return nil }
            if i < end, p[i] == 0x3B { i += 1 }
            pos = i
            var cp = value
            if let r = c1Replacements[cp] { cp = r }
            else if cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF) { cp = 0xFFFD }
            let scalar = Unicode.Scalar(cp) ?? "\u{FFFD}"
            return Array(String(scalar).utf8)
        }
        // Named: the longest name in the table matching the input.
        let maxLen = min(32, end - pos)
        guard maxLen > 0 else { return nil }
        // quick reject: names start with an ASCII letter
        guard (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) else { return nil }
        guard maxLen >= 2, htmlEntityPrefixes.contains(UInt16(c) << 8 | UInt16(p[pos + 1])) else { return nil }
        var len = 0
        while len < maxLen {
            let d = p[pos + len]
            let alnum = (d >= 0x30 && d <= 0x39) || (d >= 0x41 && d <= 0x5A) || (d >= 0x61 && d <= 0x7A)
            if d == 0x3B { len += 1; break }
            if !alnum { break }
            len += 1
        }
        var l = len
        while l > 0 {
            let name = String(decoding: UnsafeBufferPointer(rebasing: p[pos..<(pos + l)]), as: UTF8.self)
            if let v = htmlEntities[name] {
                pos += l
                return v
            }
            l -= 1
        }
        return nil
    }
}

// MARK: - Strict validation of cue text

enum CueTextValidator {
    static let knownTags: Set<[UInt8]> = Set(["c", "i", "b", "u", "ruby", "rt", "v", "lang"].map { Array($0.utf8) })

    /// Reports syntax deviations of cue text `p[start..<end]` (offsets are absolute).
    static func validate(_ p: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int, sink: DiagnosticSink) {
        // Fast path: nothing that could be wrong.
        var i = start
        var interesting = false
        while i < end {
            let b = p[i]
            if b == 0x3C || b == 0x26 { interesting = true; break }
            i += 1
        }
        if !interesting { return }
        var tok = CueTokenizer(p, start, end)
        var stack: [[UInt8]] = []
        var stackOffsets: [Int] = []
        var sawTextOutsideVoice = false
        while let t = tok.next() {
            switch t.kind {
            case .text:
                if stack.isEmpty { sawTextOutsideVoice = true }
            case .startTag:
                if t.value.isEmpty {
                    sink.add(t.offset, .error, "invalid_tag", "empty tag '<>' is ignored")
                    continue
                }
                let name = String(decoding: t.value, as: UTF8.self)
                if !knownTags.contains(t.value) {
                    sink.add(t.offset, .error, "unknown_tag", "unknown tag <\(name)> is ignored")
                    continue
                }
                if name == "rt", stack.last != Array("ruby".utf8) {
                    sink.add(t.offset, .error, "misplaced_tag", "<rt> is only allowed directly inside <ruby>; ignored")
                    continue
                }
                if (name == "v" || name == "lang") {
                    if t.annotation == nil || t.annotation?.isEmpty == true {
                        sink.add(t.offset, .warning, "missing_annotation", "<\(name)> needs an annotation (\(name == "v" ? "a voice name" : "a language tag"))")
                    }
                } else if let a = t.annotation, !a.isEmpty {
                    sink.add(t.offset, .warning, "unexpected_annotation", "<\(name)> does not take an annotation")
                }
                if t.classes.contains(where: { $0.isEmpty }) {
                    sink.add(t.offset, .warning, "empty_class", "empty class name in <\(name)>")
                }
                stack.append(t.value)
                stackOffsets.append(t.offset)
            case .endTag:
                let name = String(decoding: t.value, as: UTF8.self)
                if let top = stack.last, top == t.value {
                    stack.removeLast(); stackOffsets.removeLast()
                } else if name == "ruby", stack.last == Array("rt".utf8), stack.count >= 2,
                          stack[stack.count - 2] == Array("ruby".utf8) {
                    stack.removeLast(2); stackOffsets.removeLast(2)
                } else {
                    sink.add(t.offset, .warning, "mismatched_end_tag", "end tag </\(name)> does not close the open element; ignored")
                }
            case .timestamp:
                var v = t.value
                let ok: Bool = v.withUnsafeMutableBufferPointer { buf in
                    var pos = 0
                    if case .success = Timestamp.collect(UnsafeBufferPointer(buf), &pos) { return pos == buf.count }
                    return false
                }
                if !ok {
                    sink.add(t.offset, .error, "invalid_timestamp_tag",
                             "invalid timestamp tag <\(String(decoding: t.value, as: UTF8.self))>; ignored")
                }
            }
        }
        for off in tok.bareAmpersands {
            sink.add(off, .warning, "unescaped_ampersand", "'&' must be written as '&amp;' in cue text")
        }
        // Unclosed elements: a lone voice span may omit its end tag.
        for (k, name) in stack.enumerated() {
            if name == Array("v".utf8), k == 0, !sawTextOutsideVoice { continue }
            sink.add(stackOffsets[k], .warning, "unclosed_tag", "<\(String(decoding: name, as: UTF8.self))> is not closed")
        }
    }
}

extension CueText {
    /// Strict-mode findings for one cue's text on its own (as typed by a person): tags, character
    /// references, and what cannot be inside a cue at all (a blank line, which would end the cue,
    /// or `-->`). Lines and columns are 1-based within `text`.
    public static func validate(_ text: String) -> [Diagnostic] {
        var out: [Diagnostic] = []
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        for (k, l) in lines.enumerated() {
            if l.allSatisfy({ $0 == " " || $0 == "\t" || $0 == "\r" }), lines.count > 1 {
                out.append(Diagnostic(line: k + 1, column: 1, severity: .error, code: "blank_line_in_cue",
                                      message: "a blank line would end the cue"))
            }
            if let r = l.range(of: "-->") {
                out.append(Diagnostic(line: k + 1, column: l.unicodeScalars.distance(from: l.startIndex, to: r.lowerBound) + 1,
                                      severity: .error, code: "arrow_in_cue_text", message: "'-->' cannot appear in cue text"))
            }
        }
        let bytes = Array(text.utf8)
        let sink = DiagnosticSink()
        bytes.withUnsafeBufferPointer { CueTextValidator.validate($0, 0, $0.count, sink: sink) }
        for item in sink.items {
            // offset -> line and column (columns in Unicode scalars)
            var line = 1, col = 1, i = 0
            while i < item.offset && i < bytes.count {
                if bytes[i] == 0x0A { line += 1; col = 1 } else if bytes[i] & 0xC0 != 0x80 { col += 1 }
                i += 1
            }
            out.append(Diagnostic(line: line, column: col, severity: item.severity, code: item.code, message: item.message))
        }
        return out.sorted { ($0.line, $0.column) < ($1.line, $1.column) }
    }
}
