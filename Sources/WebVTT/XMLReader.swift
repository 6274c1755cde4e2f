/// A small non-validating XML 1.0 reader producing an element tree with line numbers.
///
/// Written for TBX instead of using Foundation's XMLParser: on Linux that lives in FoundationXML,
/// which links libxml2 and adds about 0.7 ms to every start-up of the binary (measured), even for
/// `olleey --version`. This reader checks well-formedness (matching tags, one root, quoted
/// attributes, known entities), decodes the predefined and numeric character references and
/// CDATA, and skips the XML declaration, processing instructions, comments and a DOCTYPE (whose
/// entity declarations it does not expand). Errors carry the line.
///
/// It lives in the WebVTT library (pure, no I/O) so that the TTML reader and the glossary's TBX
/// reader share it. Nesting is bounded: an element deeper than `XMLReader.maxDepth` levels is
/// refused with an error (the reader recurses once per level, and a file of 35,000 nested tags
/// used to overflow the stack).
public struct XMLElementNode: Sendable {
    public var name: String
    public var attributes: [(String, String)]
    public var children: [XMLNode]
    public var line: Int

    public init(name: String, attributes: [(String, String)] = [], children: [XMLNode] = [], line: Int = 1) {
        self.name = name; self.attributes = attributes; self.children = children; self.line = line
    }

    /// The name without a namespace prefix.
    public var localName: String { name.split(separator: ":").last.map(String.init) ?? name }

    public func attribute(_ name: String) -> String? { attributes.first { $0.0 == name }?.1 }

    public var elements: [XMLElementNode] {
        children.compactMap { if case let .element(e) = $0 { return e }; return nil }
    }

    public func elements(_ local: String) -> [XMLElementNode] { elements.filter { $0.localName == local } }

    /// Every descendant element with this local name, in document order.
    public func descendants(_ local: String) -> [XMLElementNode] {
        var out: [XMLElementNode] = []
        for e in elements {
            if e.localName == local { out.append(e) }
            out += e.descendants(local)
        }
        return out
    }

    /// The concatenated text of this element and its descendants.
    public var text: String {
        var s = ""
        for c in children {
            switch c {
            case let .text(t): s += t
            case let .element(e): s += e.text
            }
        }
        return s
    }
}

public indirect enum XMLNode: Sendable {
    case element(XMLElementNode)
    case text(String)
}

public struct XMLSyntaxError: Error, Sendable {
    public var line: Int
    public var message: String

    public init(line: Int, message: String) { self.line = line; self.message = message }
}

public enum XMLReader {
    /// The deepest element nesting accepted (TTML and TBX files need about 10 levels).
    public static let maxDepth = 256

    public static func parse(_ bytes: [UInt8]) throws -> XMLElementNode {
        var p = XMLByteReader(b: bytes)
        return try p.document()
    }
}

struct XMLByteReader {
    let b: [UInt8]
    var i = 0
    var line = 1
    var depth = 0

    init(b: [UInt8]) {
        self.b = b
        if b.count >= 3, b[0] == 0xEF, b[1] == 0xBB, b[2] == 0xBF { i = 3 }
    }

    func fail(_ m: String, line l: Int? = nil) -> XMLSyntaxError { XMLSyntaxError(line: l ?? line, message: m) }

    var atEnd: Bool { i >= b.count }

    mutating func advance(_ n: Int = 1) {
        for _ in 0..<n where i < b.count {
            if b[i] == 10 { line += 1 }
            i += 1
        }
    }

    func starts(_ s: String) -> Bool {
        let u = Array(s.utf8)
        guard i + u.count <= b.count else { return false }
        for k in 0..<u.count where b[i + k] != u[k] { return false }
        return true
    }

    mutating func skipSpace() {
        while i < b.count, b[i] == 0x20 || b[i] == 0x0A || b[i] == 0x0D || b[i] == 0x09 { advance() }
    }

    /// Skips to just after `end`; false at end of input.
    mutating func skip(past end: String) -> Bool {
        while !atEnd {
            if starts(end) { advance(end.utf8.count); return true }
            advance()
        }
        return false
    }

    static func isNameByte(_ c: UInt8) -> Bool {
        (c >= 0x61 && c <= 0x7A) || (c >= 0x41 && c <= 0x5A) || (c >= 0x30 && c <= 0x39) || c == 0x2D || c == 0x5F || c == 0x3A || c == 0x2E || c >= 0x80
    }

    mutating func name() throws -> String {
        let start = i
        guard i < b.count, XMLByteReader.isNameByte(b[i]), !(b[i] >= 0x30 && b[i] <= 0x39), b[i] != 0x2D, b[i] != 0x2E else {
            throw fail(atEnd ? "unexpected end of the document" : "expected a name, found '\(String(decoding: b[i..<min(b.count, i + 10)], as: UTF8.self))'")
        }
        while i < b.count, XMLByteReader.isNameByte(b[i]) { i += 1 }
        return String(decoding: b[start..<i], as: UTF8.self)
    }

    /// Skips the prolog's and the epilog's misc items: comments, processing instructions, space.
    mutating func misc(allowDoctype: Bool) throws {
        while true {
            skipSpace()
            if starts("<?") {
                let l = line
                guard skip(past: "?>") else { throw fail("unterminated processing instruction", line: l) }
            } else if starts("<!--") {
                let l = line
                guard skip(past: "-->") else { throw fail("unterminated comment", line: l) }
            } else if allowDoctype && starts("<!DOCTYPE") {
                let l = line
                var depth = 0
                advance(9)
                while true {
                    guard !atEnd else { throw fail("unterminated DOCTYPE", line: l) }
                    let c = b[i]
                    advance()
                    if c == UInt8(ascii: "[") { depth += 1 } else if c == UInt8(ascii: "]") { depth -= 1 } else if c == UInt8(ascii: ">") && depth <= 0 { break }
                }
            } else { return }
        }
    }

    mutating func document() throws -> XMLElementNode {
        try misc(allowDoctype: true)
        guard !atEnd else { throw fail("no root element (empty document)") }
        guard b[i] == UInt8(ascii: "<") else { throw fail("text before the root element") }
        let root = try element()
        try misc(allowDoctype: false)
        if !atEnd { throw fail("content after the root element <\(root.name)>") }
        return root
    }

    mutating func element() throws -> XMLElementNode {
        let startLine = line
        depth += 1
        defer { depth -= 1 }
        if depth > XMLReader.maxDepth {
            throw fail("elements nested more than \(XMLReader.maxDepth) levels deep")
        }
        advance() // <
        let n = try name()
        var attrs: [(String, String)] = []
        while true {
            let hadSpace = i < b.count && (b[i] == 0x20 || b[i] == 0x0A || b[i] == 0x0D || b[i] == 0x09)
            skipSpace()
            guard !atEnd else { throw fail("unexpected end of the document inside the tag <\(n)> opened at line \(startLine)") }
            if starts("/>") { advance(2); return XMLElementNode(name: n, attributes: attrs, children: [], line: startLine) }
            if b[i] == UInt8(ascii: ">") { advance(); break }
            guard hadSpace else { throw fail("expected a space, '>' or '/>' in the tag <\(n)>") }
            let an = try name()
            skipSpace()
            guard i < b.count, b[i] == UInt8(ascii: "=") else { throw fail("attribute \(an) of <\(n)> has no value") }
            advance()
            skipSpace()
            guard i < b.count, b[i] == 0x22 || b[i] == 0x27 else { throw fail("the value of attribute \(an) of <\(n)> is not quoted") }
            let q = b[i]
            advance()
            let valueLine = line
            var raw: [UInt8] = []
            while true {
                guard !atEnd else { throw fail("unterminated value of attribute \(an)", line: valueLine) }
                if b[i] == q { advance(); break }
                if b[i] == UInt8(ascii: "<") { throw fail("'<' in the value of attribute \(an)") }
                raw.append(b[i]); advance()
            }
            if attrs.contains(where: { $0.0 == an }) { throw fail("attribute \(an) appears twice in <\(n)>") }
            var v = try decode(raw, line: valueLine)
            v = String(v.map { $0 == "\n" || $0 == "\t" || $0 == "\r\n" || $0 == "\r" ? " " : $0 })
            attrs.append((an, v))
        }
        var children: [XMLNode] = []
        var text: [UInt8] = []
        var textLine = line
        func flush(_ me: inout XMLByteReader) throws {
            if !text.isEmpty { children.append(.text(try me.decode(text, line: textLine))); text = [] }
        }
        while true {
            guard !atEnd else { throw fail("<\(n)> opened at line \(startLine) is never closed (unexpected end of the document)") }
            let c = b[i]
            if c == UInt8(ascii: "<") {
                if starts("</") {
                    try flush(&self)
                    advance(2)
                    let close = try name()
                    skipSpace()
                    guard i < b.count, b[i] == UInt8(ascii: ">") else { throw fail("expected '>' after </\(close)") }
                    advance()
                    guard close == n else { throw fail("</\(close)> does not close <\(n)> (opened at line \(startLine))") }
                    return XMLElementNode(name: n, attributes: attrs, children: children, line: startLine)
                }
                if starts("<!--") {
                    let l = line
                    guard skip(past: "-->") else { throw fail("unterminated comment", line: l) }
                    continue
                }
                if starts("<![CDATA[") {
                    let l = line
                    advance(9)
                    let s = i
                    guard skip(past: "]]>") else { throw fail("unterminated CDATA section", line: l) }
                    if text.isEmpty { textLine = l }
                    text += b[s..<(i - 3)].flatMap { $0 == UInt8(ascii: "&") ? Array("&amp;".utf8) : $0 == UInt8(ascii: "<") ? Array("&lt;".utf8) : [$0] }
                    continue
                }
                if starts("<?") {
                    let l = line
                    guard skip(past: "?>") else { throw fail("unterminated processing instruction", line: l) }
                    continue
                }
                if starts("<!") { throw fail("unexpected markup declaration inside <\(n)>") }
                try flush(&self)
                children.append(.element(try element()))
                textLine = line
                continue
            }
            if text.isEmpty { textLine = line }
            text.append(c)
            advance()
        }
    }

    /// Decodes character and entity references.
    func decode(_ raw: [UInt8], line l: Int) throws -> String {
        guard raw.contains(UInt8(ascii: "&")) else { return String(decoding: raw, as: UTF8.self) }
        var out: [UInt8] = []
        var k = 0
        var ln = l
        while k < raw.count {
            let c = raw[k]
            if c == 10 { ln += 1 }
            guard c == UInt8(ascii: "&") else { out.append(c); k += 1; continue }
            guard let semi = raw[k...].firstIndex(of: UInt8(ascii: ";")), semi - k <= 12 else {
                throw XMLSyntaxError(line: ln, message: "'&' not followed by an entity reference (write &amp;)")
            }
            let ref = String(decoding: raw[(k + 1)..<semi], as: UTF8.self)
            switch ref {
            case "lt": out.append(UInt8(ascii: "<"))
            case "gt": out.append(UInt8(ascii: ">"))
            case "amp": out.append(UInt8(ascii: "&"))
            case "quot": out.append(0x22)
            case "apos": out.append(0x27)
            default:
                var scalar: Unicode.Scalar?
                if ref.hasPrefix("#x") || ref.hasPrefix("#X") { scalar = UInt32(ref.dropFirst(2), radix: 16).flatMap(Unicode.Scalar.init) }
                else if ref.hasPrefix("#") { scalar = UInt32(ref.dropFirst(), radix: 10).flatMap(Unicode.Scalar.init) }
                else { throw XMLSyntaxError(line: ln, message: "unknown entity &\(ref);") }
                guard let s = scalar, s.value != 0 else { throw XMLSyntaxError(line: ln, message: "invalid character reference &\(ref);") }
                out += Array(String(Character(s)).utf8)
            }
            k = semi + 1
        }
        return String(decoding: out, as: UTF8.self)
    }
}
