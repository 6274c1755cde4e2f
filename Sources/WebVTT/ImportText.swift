// Plain text from another subtitle format becomes WebVTT cue text here (one of the named places
// where that happens): `&`, `<` and `>` are escaped, and characters the WebVTT parser would not
// read back as they are (NUL, which it reads as U+FFFD) are written as what it will read, so
// `fmt(fmt(x)) == fmt(x)`.

enum ImportText {
    /// Plain text as cue text.
    static func escape(_ s: Substring) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for u in s.unicodeScalars {
            switch u {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\u{0}": out += "\u{FFFD}"
            default: out.unicodeScalars.append(u)
            }
        }
        return out
    }

    static func escape(_ s: String) -> String { escape(Substring(s)) }

    /// A `<v>` annotation: no line breaks, `&`, `<` and `>` escaped, trimmed.
    static func voiceName(_ s: String) -> String {
        let flat = String(s.map { $0.isNewline ? " " : $0 })
        return escape(flat.trimmingSpaces())
    }

    /// UTF-8 text lines of `bytes` (after a UTF-8 BOM; not UTF-8: Windows-1252), split at CRLF, LF
    /// or CR, with whether the file was decoded as Windows-1252.
    static func lines(_ input: [UInt8]) -> (lines: [Substring], crlf: Bool, windows1252: Bool) {
        var bytes = input[...]
        if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { bytes = bytes.dropFirst(3) }
        let valid = Array(bytes).withUnsafeBufferPointer { UTF8Check.isValid($0) }
        let text = valid ? String(decoding: bytes, as: UTF8.self) : SRT.decodeWindows1252(Array(bytes))
        let (lines, crlf) = split(text)
        return (lines, crlf, !valid)
    }

    /// The lines of `text`, split at CRLF, LF or CR, and whether CRLF is the more common ending.
    static func split(_ text: String) -> (lines: [Substring], crlf: Bool) {
        var lines: [Substring] = []
        var crlf = 0
        var lf = 0
        var start = text.startIndex
        let u = text.unicodeScalars
        var ui = u.startIndex
        while ui < u.endIndex {
            let c = u[ui]
            if c == "\r" || c == "\n" {
                lines.append(text[start..<ui])
                var next = u.index(after: ui)
                if c == "\r", next < u.endIndex, u[next] == "\n" { next = u.index(after: next); crlf += 1 } else { lf += 1 }
                start = next
                ui = next
                continue
            }
            ui = u.index(after: ui)
        }
        if start < text.endIndex { lines.append(text[start..<text.endIndex]) }
        return (lines, crlf > lf)
    }

    static let notUTF8 = Diagnostic(line: 0, column: 0, severity: .warning, code: "not_utf8",
                                    message: "the file is not valid UTF-8; read as Windows-1252")
}

extension StringProtocol {
    func trimmingSpaces() -> String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" { s = s.dropLast() }
        return String(s)
    }
}
