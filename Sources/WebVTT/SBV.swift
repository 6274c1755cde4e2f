// YouTube SBV (.sbv) import: blocks of a timing line `H:MM:SS.mmm,H:MM:SS.mmm` and text lines,
// separated by blank lines. SBV is plain text: `&`, `<` and `>` are escaped; `[br]` is a line
// break. It has nothing WebVTT cannot carry.

/// YouTube SBV import.
public enum SBV {
    /// Parses SBV bytes into a WebVTT document, with the problems found on the way (a block
    /// whose timing line does not parse is dropped with an error diagnostic).
    public static func parse(_ input: [UInt8]) -> (document: WebVTTDocument, diagnostics: [Diagnostic]) {
        let (lines, crlf, cp1252) = ImportText.lines(input)
        var diags: [Diagnostic] = cp1252 ? [ImportText.notUTF8] : []
        var doc = WebVTTDocument()
        doc.lineEnding = crlf ? .crlf : .lf
        var k = 0
        while k < lines.count {
            if lines[k].trimmingSpaces().isEmpty { k += 1; continue }
            let timingLine = k + 1
            var j = k + 1
            var text: [String] = []
            while j < lines.count, !lines[j].trimmingSpaces().isEmpty {
                text.append(ImportText.escape(lines[j]).replacingOccurrences(of: "[br]", with: "\n"))
                j += 1
            }
            if let (s, e) = timing(lines[k]) {
                var cue = Cue(startMs: s, endMs: e, text: text.joined(separator: "\n"))
                cue.line = timingLine
                doc.cues.append(cue)
            } else {
                diags.append(Diagnostic(line: timingLine, column: 1, severity: .error, code: "invalid_timing_line",
                                        message: "'\(lines[k].prefix(40))' is not an SBV timing line (H:MM:SS.mmm,H:MM:SS.mmm); the block is dropped"))
            }
            k = j
        }
        return (doc, diags)
    }

    /// `H:MM:SS.mmm,H:MM:SS.mmm` (spaces around the comma allowed).
    static func timing(_ line: Substring) -> (Int64, Int64)? {
        let parts = line.split(separator: ",", omittingEmptySubsequences: false)
        guard parts.count == 2, let s = timestamp(parts[0]), let e = timestamp(parts[1]) else { return nil }
        return (s, e)
    }

    static func timestamp(_ raw: Substring) -> Int64? {
        let t = raw.trimmingSpaces()
        let hms = t.split(separator: ":", omittingEmptySubsequences: false)
        guard hms.count == 3 || hms.count == 2 else { return nil }
        let secParts = hms[hms.count - 1].split(separator: ".", omittingEmptySubsequences: false)
        guard secParts.count <= 2 else { return nil }
        func num(_ s: Substring, max: Int) -> Int64? {
            guard !s.isEmpty, s.count <= max, s.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
            return Int64(s)
        }
        guard let h = hms.count == 3 ? num(hms[0], max: 6) : 0, let m = num(hms[hms.count - 2], max: 2),
              let sec = num(secParts[0], max: 2), m < 60, sec < 60 else { return nil }
        var ms: Int64 = 0
        if secParts.count == 2 {
            let f = secParts[1]
            guard let v = num(f, max: 3) else { return nil }
            ms = v * [100, 10, 1][f.count - 1]
        }
        return ((h * 60 + m) * 60 + sec) * 1000 + ms
    }
}
