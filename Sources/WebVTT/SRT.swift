// SubRip (.srt) reading and writing.
//
// Reading is lenient about the dialects found in the wild: comma or dot before the milliseconds,
// missing hours, 1-3 millisecond digits, missing or non-numeric index lines, BOM, CR/LF/CRLF,
// Windows-1252 files (when the bytes are not UTF-8), blank-line-less files, coordinates after the
// timing (`X1:... Y1:...`, ignored). `<i>`, `<b>`, `<u>` are kept; `<font color="X">` becomes a
// `<c.font-color-X>` class span (written back as `<font color>`), other `<font>` attributes are dropped
// with a warning; `{\anN}` positions become cue settings; other `{\...}` override tags are dropped
// with a warning; a bare `&` or `<` is escaped so the cue text stays valid WebVTT.
// As people have them: a UTF-16 or UTF-32 byte-order mark decides the encoding; `<s>` and other
// tags that are closed in the cue (`<x>...</x>`) are dropped keeping their text, as players show
// them; MicroDVD `{y:i}` (the line) and `{Y:i}` (the cue) become `<i>` (also `b`, `u`; other
// MicroDVD codes are dropped with a warning); `\N` is a line break; a NUL is read as U+FFFD (what
// the WebVTT parser reads it as); a cue number left at the end of the file with no timing line is
// dropped with a warning.

/// SubRip import and export.
public enum SRT {
    /// Parses SRT bytes into a WebVTT document, with warnings and errors found on the way.
    public static func parse(_ input: [UInt8]) -> (document: WebVTTDocument, diagnostics: [Diagnostic]) {
        var diags: [Diagnostic] = []
        var bytes = TextEncoding.utf8Bytes(input).bytes
        var doc = WebVTTDocument()
        if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF {
            bytes.removeFirst(3)
        }
        let valid = bytes.withUnsafeBufferPointer { UTF8Check.isValid($0) }
        var text: String
        if valid {
            text = String(decoding: bytes, as: UTF8.self)
        } else {
            diags.append(Diagnostic(line: 0, column: 0, severity: .warning, code: "not_utf8",
                                    message: "the file is not valid UTF-8; read as Windows-1252"))
            text = decodeWindows1252(bytes)
        }
        // a NUL is read as U+FFFD, as the WebVTT parser will read it back
        if bytes.contains(0) { text = String(String.UnicodeScalarView(text.unicodeScalars.map { $0 == "\u{0}" ? "\u{FFFD}" : $0 })) }
        // Lines with any terminator.
        let (lines, crlf) = ImportText.split(text)
        doc.lineEnding = crlf ? .crlf : .lf
        var k = 0
        let n = lines.count
        var sawDot = false
        var sawFont = false
        var sawOverride = false
        var ignoredSettings: [String] = []
        func isBlank(_ s: Substring) -> Bool { s.allSatisfy { $0 == " " || $0 == "\t" } }
        while k < n {
            if isBlank(lines[k]) { k += 1; continue }
            let blockLine = k + 1
            // index line?
            var id = ""
            var timingIdx = k
            if parseTiming(lines[k]) == nil {
                if k + 1 < n, parseTiming(lines[k + 1]) != nil {
                    id = lines[k].trimmingCharacters()
                    timingIdx = k + 1
                    if !id.allSatisfy({ $0.isASCII && $0.isNumber }) {
                        diags.append(Diagnostic(line: blockLine, column: 1, severity: .warning, code: "non_numeric_index",
                                                message: "index '\(id)' is not a number; kept as the cue id"))
                    }
                } else {
                    // Text without timing: continuation of the previous cue, or junk.
                    var j = k
                    var extra: [Substring] = []
                    while j < n, !isBlank(lines[j]) {
                        if parseTiming(lines[j]) != nil || (j + 1 < n && isIndex(lines[j]) && parseTiming(lines[j + 1]) != nil) { break }
                        extra.append(lines[j]); j += 1
                    }
                    if j == k { j += 1 }
                    if extra.count == 1, isIndex(extra[0]), !doc.cues.isEmpty, lines[j...].allSatisfy(isBlank) {
                        diags.append(Diagnostic(line: blockLine, column: 1, severity: .warning, code: "trailing_index",
                                                message: "cue number \(extra[0].trimmingCharacters()) at the end of the file has no timing line; dropped"))
                        k = j
                        continue
                    }
                    if var last = doc.cues.popLast() {
                        var fonts: [Bool] = []
                        var more = LineExtras(closed: closedTags(extra))
                        var converted = extra.map { convertLine($0, warnFont: &sawFont, sawOverride: &sawOverride, collected: &ignoredSettings, fonts: &fonts, extras: &more) }
                        if !converted.isEmpty, !more.cueCloses.isEmpty { converted[converted.count - 1] += more.cueCloses.reversed().map { "</\($0)>" }.joined() }
                        if !converted.isEmpty, fonts.contains(true) { converted[converted.count - 1] += String(repeating: "</c>", count: fonts.filter { $0 }.count) }
                        last.text = withoutEmptyLines(last.text.isEmpty ? converted.joined(separator: "\n") : last.text + "\n" + converted.joined(separator: "\n"))
                        doc.cues.append(last)
                        diags.append(Diagnostic(line: blockLine, column: 1, severity: .warning, code: "text_without_timing",
                                                message: "text after a blank line without a timing line; joined to the previous cue"))
                    } else {
                        diags.append(Diagnostic(line: blockLine, column: 1, severity: .error, code: "text_without_timing",
                                                message: "text without a timing line before the first cue; dropped"))
                    }
                    k = j
                    continue
                }
            } else {
                diags.append(Diagnostic(line: blockLine, column: 1, severity: .warning, code: "missing_index",
                                        message: "cue without an index line"))
            }
            guard let timing = parseTiming(lines[timingIdx]) else { k += 1; continue }
            if timing.dot { sawDot = true }
            if timing.end < timing.start {
                diags.append(Diagnostic(line: timingIdx + 1, column: 1, severity: .warning, code: "end_before_start",
                                        message: "cue ends before it starts"))
            }
            var j = timingIdx + 1
            var textLines: [String] = []
            var settings: [String] = []
            var fonts: [Bool] = []  // open <font> tags: true when one became a <c> span
            var textEnd = timingIdx + 1
            while textEnd < n, !isBlank(lines[textEnd]) {
                // A new cue without a blank line before it.
                if parseTiming(lines[textEnd]) != nil { break }
                if textEnd + 1 < n, isIndex(lines[textEnd]), parseTiming(lines[textEnd + 1]) != nil { break }
                textEnd += 1
            }
            var more = LineExtras(closed: closedTags(lines[j..<textEnd]))
            while j < textEnd {
                textLines.append(convertLine(lines[j], warnFont: &sawFont, sawOverride: &sawOverride, collected: &settings, fonts: &fonts, extras: &more))
                j += 1
            }
            if !textLines.isEmpty, !more.cueCloses.isEmpty { textLines[textLines.count - 1] += more.cueCloses.reversed().map { "</\($0)>" }.joined() }
            if !textLines.isEmpty, fonts.contains(true) {  // an unclosed <font color> span ends with the cue
                textLines[textLines.count - 1] += String(repeating: "</c>", count: fonts.filter { $0 }.count)
            }
            var cue = Cue(id: id, startMs: timing.start, endMs: timing.end, text: withoutEmptyLines(textLines.joined(separator: "\n")))
            if !settings.isEmpty { cue.setSettingsText(settings.joined(separator: " "), regions: []) }
            cue.line = timingIdx + 1
            doc.cues.append(cue)
            k = j
        }
        if sawDot {
            diags.append(Diagnostic(line: 0, column: 0, severity: .warning, code: "dot_milliseconds",
                                    message: "timestamps use '.' before the milliseconds (SRT uses ',')"))
        }
        if sawOverride {
            diags.append(Diagnostic(line: 0, column: 0, severity: .warning, code: "override_tag_dropped",
                                    message: "{\\...} override tags other than {\\anN}, and MicroDVD {c:...} codes, were dropped"))
        }
        if sawFont {
            diags.append(Diagnostic(line: 0, column: 0, severity: .warning, code: "font_tag_dropped",
                                    message: "<font> tags have no WebVTT equivalent and were dropped"))
        }
        return (doc, diags)
    }

    /// Parses an SRT string.
    public static func parse(_ string: String) -> (document: WebVTTDocument, diagnostics: [Diagnostic]) {
        parse(Array(string.utf8))
    }

    /// Writes SRT: sequential indices from 1, `hh:mm:ss,ttt` timestamps, `<i>`/`<b>`/`<u>` kept,
    /// `font-color-*` spans as `<font color>`, a position as `{\\anN}`, other tags removed,
    /// character references decoded. `lineEnding` nil keeps the document's.
    public static func serialize(_ doc: WebVTTDocument, lineEnding: LineEnding? = nil) -> String {
        let le = (lineEnding ?? doc.lineEnding).string
        var out = ""
        out.reserveCapacity(doc.cues.count * 80)
        var n = 0
        for cue in doc.cues {
            n += 1
            if n > 1 { out += le }
            out += String(n) + le
            out += Timestamp.formatSRT(cue.startMs) + " --> " + Timestamp.formatSRT(cue.endMs) + le
            var body = srtText(cue.text)
            if let an = anTag(cue.settingsText) { body = an + body }
            // SRT has no way to hold an empty line inside a cue.
            let lines = body.split(separator: "\n", omittingEmptySubsequences: true)
            for l in lines { out += l + le }
        }
        return out
    }

    /// Cue text as SRT text.
    static func srtText(_ text: String) -> String {
        if !text.utf8.contains(where: { $0 == 0x3C || $0 == 0x26 }) { return text }
        var out = ""
        render(CueText.parse(text), into: &out)
        return out
    }

    static func render(_ nodes: [CueNode], into out: inout String) {
        for node in nodes {
            switch node {
            case .text(let s): out += s
            case .timestamp: break
            case .element(let e):
                switch e.kind {
                case .i, .b, .u:
                    out += "<\(e.kind.rawValue)>"
                    render(e.children, into: &out)
                    out += "</\(e.kind.rawValue)>"
                case .rt:
                    out += "("
                    render(e.children, into: &out)
                    out += ")"
                case .c where fontColorValue(e) != nil:
                    out += "<font color=\"\(fontColorValue(e) ?? "")\">"
                    render(e.children, into: &out)
                    out += "</font>"
                default:
                    render(e.children, into: &out)
                }
            }
        }
    }

    // MARK: reading helpers

    /// What one line's conversion shares with the rest of its cue: the tag names closed somewhere
    /// in the cue (their tags are dropped), and the tags a MicroDVD `{Y:x}` opened for the cue.
    struct LineExtras {
        var closed: Set<String>
        var cueCloses: [String] = []
    }

    /// The names of the tags closed (`</name>`) in `lines`, lowercased.
    static func closedTags<C: Collection>(_ lines: C) -> Set<String> where C.Element == Substring {
        var out = Set<String>()
        for l in lines {
            var rest = l[...]
            while let r = rest.range(of: "</") {
                let after = rest[r.upperBound...]
                let name = after.prefix(while: { $0.isASCII && ($0.isLetter || $0.isNumber) })
                if !name.isEmpty, after.dropFirst(name.count).first == ">" { out.insert(name.lowercased()) }
                rest = after
            }
        }
        return out
    }

    /// Cue text without empty lines (which would end the cue in WebVTT): `\N\N`, or a line that
    /// held only tags SRT import drops.
    static func withoutEmptyLines(_ t: String) -> String {
        guard t.contains("\n") else { return t }
        return t.split(separator: "\n", omittingEmptySubsequences: true).joined(separator: "\n")
    }

    struct Timing {
        var start: Int64
        var end: Int64
        var dot: Bool
    }

    static func isIndex(_ s: Substring) -> Bool {
        let t = s.trimmingCharacters()
        return !t.isEmpty && t.allSatisfy { $0.isASCII && $0.isNumber }
    }

    /// `h:mm:ss,ttt --> h:mm:ss,ttt [coordinates]`, lenient.
    static func parseTiming(_ line: Substring) -> Timing? {
        let u = Array(line.utf8)
        guard let arrow = findArrow(u) else { return nil }
        var dot = false
        guard let s = parseTimestamp(u[0..<arrow], &dot) else { return nil }
        var rest = u[(arrow + 3)...]
        while let f = rest.first, f == 0x20 || f == 0x09 { rest = rest.dropFirst() }
        var endIdx = rest.startIndex
        while endIdx < rest.endIndex, rest[endIdx] != 0x20, rest[endIdx] != 0x09 { endIdx += 1 }
        guard let e = parseTimestamp(rest[rest.startIndex..<endIdx], &dot) else { return nil }
        return Timing(start: s, end: e, dot: dot)
    }

    static func findArrow(_ u: [UInt8]) -> Int? {
        guard u.count >= 3 else { return nil }
        for i in 0..<(u.count - 2) where u[i] == 0x2D && u[i + 1] == 0x2D && u[i + 2] == 0x3E { return i }
        return nil
    }

    static func parseTimestamp(_ raw: ArraySlice<UInt8>, _ dot: inout Bool) -> Int64? {
        var s = raw
        while let f = s.first, f == 0x20 || f == 0x09 { s = s.dropFirst() }
        while let l = s.last, l == 0x20 || l == 0x09 { s = s.dropLast() }
        guard !s.isEmpty, s.count < 32 else { return nil }
        // split into numeric fields by ':' and one of ',' '.'
        var fields: [Int64] = []
        var fracDigits = 0
        var frac: Int64 = 0
        var cur: Int64 = 0
        var curDigits = 0
        var inFrac = false
        for b in s {
            if isDigit(b) {
                if inFrac {
                    if fracDigits < 3 { frac = frac * 10 + Int64(b - 0x30); fracDigits += 1 }
                } else {
                    cur = cur * 10 + Int64(b - 0x30); curDigits += 1
                    if curDigits > 10 { return nil }
                }
            } else if b == 0x3A, !inFrac {
                guard curDigits > 0 else { return nil }
                fields.append(cur); cur = 0; curDigits = 0
            } else if (b == 0x2C || b == 0x2E), !inFrac {
                guard curDigits > 0 else { return nil }
                if b == 0x2E { dot = true }
                fields.append(cur); cur = 0; curDigits = 0
                inFrac = true
            } else {
                return nil
            }
        }
        if !inFrac {
            guard curDigits > 0 else { return nil }
            fields.append(cur)
        }
        guard fields.count == 2 || fields.count == 3 else { return nil }
        while fracDigits < 3 { frac *= 10; fracDigits += 1 }
        let h = fields.count == 3 ? fields[0] : 0
        let m = fields[fields.count - 2]
        let sec = fields[fields.count - 1]
        guard m < 60, sec < 60 else { return nil }
        return ((h * 60 + m) * 60 + sec) * 1000 + frac
    }

    /// One SRT text line as WebVTT cue text; `{\\anN}` positions are added to `collected`.
    static func convertLine(_ line: Substring, warnFont: inout Bool, sawOverride: inout Bool,
                            collected: inout [String], fonts: inout [Bool], extras: inout LineExtras) -> String {
        let u = Array(line.utf8)
        var lineCloses: [String] = []
        var out: [UInt8] = []
        out.reserveCapacity(u.count + 8)
        var i = 0
        let n = u.count
        var noGTFrom = n + 1 // no '>' at or after this index
        var noBraceFrom = n + 1 // no '}' at or after this index
        while i < n {
            let b = u[i]
            if b == 0x3C { // <
                let found = i < noGTFrom ? u[i...].firstIndex(of: 0x3E) : nil
                if found == nil { noGTFrom = min(noGTFrom, i) }
                if let close = found {
                    let inner = String(decoding: u[(i + 1)..<close], as: UTF8.self).lowercased()
                    let name = inner.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "=" }).first.map(String.init) ?? ""
                    switch name {
                    case "i", "b", "u", "/i", "/b", "/u":
                        out.append(0x3C)
                        out.append(contentsOf: Array(name.utf8))
                        out.append(0x3E)
                        i = close + 1
                        continue
                    case "font":
                        let raw = String(decoding: u[(i + 1)..<close], as: UTF8.self)
                        if let color = fontColor(raw) {
                            out.append(contentsOf: Array("<c.font-color-\(color)>".utf8))
                            fonts.append(true)
                            if raw.lowercased().contains("face") || raw.lowercased().contains("size") { warnFont = true }
                        } else {
                            fonts.append(false)
                            warnFont = true
                        }
                        i = close + 1
                        continue
                    case "/font":
                        if fonts.popLast() == true { out.append(contentsOf: Array("</c>".utf8)) }
                        i = close + 1
                        continue
                    default:
                        // <s>, and any tag closed in the cue: dropped, its text kept
                        let bare = name.hasPrefix("/") ? String(name.dropFirst()) : name
                        if !bare.isEmpty, bare.first?.isLetter == true, bare.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }),
                           bare == "s" || extras.closed.contains(bare) {
                            i = close + 1
                            continue
                        }
                    }
                }
                out.append(contentsOf: Array("&lt;".utf8))
                i += 1
                continue
            }
            if b == 0x26 { out.append(contentsOf: Array("&amp;".utf8)); i += 1; continue }
            if b == 0x3E, i >= 2, u[i - 1] == 0x2D, u[i - 2] == 0x2D { out.append(contentsOf: Array("&gt;".utf8)); i += 1; continue }
            if b == 0x5C, i + 1 < n, u[i + 1] == 0x4E { out.append(0x0A); i += 2; continue } // \N
            if b == 0x7B, i + 2 < n, u[i + 2] == 0x3A, Array("yYcCfFsSpPhHoO".utf8).contains(u[i + 1]),
               let close = u[i...].prefix(64).firstIndex(of: 0x7D) { // MicroDVD {y:i}
                if u[i + 1] == 0x79 || u[i + 1] == 0x59 {
                    for v in u[(i + 3)..<close] {
                        let tag: String
                        switch v | 0x20 {
                        case 0x69: tag = "i"
                        case 0x62: tag = "b"
                        case 0x75: tag = "u"
                        default: continue
                        }
                        out.append(contentsOf: Array("<\(tag)>".utf8))
                        if u[i + 1] == 0x59 { extras.cueCloses.append(tag) } else { lineCloses.append(tag) }
                    }
                } else {
                    sawOverride = true
                }
                i = close + 1
                continue
            }
            if b == 0x7B, i + 1 < n, u[i + 1] == 0x5C, i < noBraceFrom {
                let found = u[i...].firstIndex(of: 0x7D)
                if found == nil { noBraceFrom = i }
                guard let close = found else { out.append(b); i += 1; continue } // {\...}
                let tag = String(decoding: u[(i + 2)..<close], as: UTF8.self)
                if tag.hasPrefix("an"), let d = Int(tag.dropFirst(2)), (1...9).contains(d) {
                    switch d {
                    case 7, 8, 9: collected.append("line:0")
                    case 4, 5, 6: collected.append("line:50%")
                    default: break
                    }
                    switch d {
                    case 1, 4, 7: collected.append("align:start")
                    case 3, 6, 9: collected.append("align:end")
                    default: break
                    }
                } else {
                    sawOverride = true
                }
                i = close + 1
                continue
            }
            out.append(b)
            i += 1
        }
        for t in lineCloses.reversed() { out.append(contentsOf: Array("</\(t)>".utf8)) }
        return String(decoding: out, as: UTF8.self)
    }

    /// The class-name form of a `<font color="...">` value: a name or `#hex` (written `xhex`), or nil
    /// when there is no usable color attribute.
    static func fontColor(_ tag: String) -> String? {
        let lower = Array(tag.lowercased())
        let key = Array("color")
        guard let at = (0...max(0, lower.count - key.count)).first(where: { lower.count >= key.count && Array(lower[$0..<($0 + key.count)]) == key }) else { return nil }
        var rest = Substring(String(Array(tag)[(at + key.count)...])).drop(while: { $0 == " " })
        guard rest.first == "=" else { return nil }
        rest = rest.dropFirst().drop(while: { $0 == " " })
        if let q = rest.first, q == "\"" || q == "'" { rest = rest.dropFirst().prefix(while: { $0 != q }) } else { rest = rest.prefix(while: { $0 != " " }) }
        var v = String(rest)
        if v.hasPrefix("#") { v = "x" + v.dropFirst() }
        guard !v.isEmpty, v.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) else { return nil }
        return v.lowercased()
    }

    /// The `<font color>` value of a `font-color-*` class, if the element has one.
    static func fontColorValue(_ e: CueElement) -> String? {
        guard e.kind == .c, let cls = e.classes.first(where: { $0.hasPrefix("font-color-") }) else { return nil }
        let v = String(cls.dropFirst("font-color-".count))
        guard !v.isEmpty else { return nil }
        if v.hasPrefix("x"), v.count == 4 || v.count == 7, v.dropFirst().allSatisfy(\.isHexDigit) { return "#" + v.dropFirst() }
        return v
    }

    /// `{\anN}` for a cue's position, from the settings SRT import makes of it (`line:0` top,
    /// `line:50%` middle, `align:start|end`); nil for the default (bottom centre).
    static func anTag(_ settingsText: String) -> String? {
        let parts = settingsText.split(separator: " ")
        let row: Int = parts.contains("line:0") ? 2 : parts.contains("line:50%") ? 1 : 0
        let col: Int = parts.contains("align:start") || parts.contains("align:left") ? 0 : parts.contains("align:end") || parts.contains("align:right") ? 2 : 1
        let n = row * 3 + col + 1
        return n == 2 ? nil : "{\\an\(n)}"
    }

    static let cp1252High: [UInt32] = [
        0x20AC, 0x81, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x8D, 0x017D, 0x8F,
        0x90, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x9D, 0x017E, 0x0178,
    ]

    static func decodeWindows1252(_ bytes: [UInt8]) -> String {
        var s = String.UnicodeScalarView()
        for b in bytes {
            let v: UInt32 = (b >= 0x80 && b < 0xA0) ? cp1252High[Int(b - 0x80)] : UInt32(b)
            s.append(Unicode.Scalar(v) ?? "\u{FFFD}")
        }
        return String(s)
    }
}

extension Substring {
    func trimmingCharacters() -> String {
        var s = self
        while let f = s.first, f == " " || f == "\t" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" { s = s.dropLast() }
        return String(s)
    }
}
