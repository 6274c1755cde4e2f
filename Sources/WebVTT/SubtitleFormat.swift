/// The subtitle formats olleey reads, and the one rule for telling them apart, used by every
/// reader of subtitle files (the vtt commands, glossary check, job create and its timing check).
/// WebVTT and SRT are read and written; TTML (IMSC1, EBU-TT-D), ASS/SSA and YouTube SBV are read
/// (imported into the WebVTT model, with warnings for what it cannot carry).
public enum SubtitleFormat: String, Sendable, CaseIterable {
    case webvtt
    case srt
    case ttml
    case ass
    case sbv

    /// Whether olleey writes this format too (else it is an import format only).
    public var isWritable: Bool { self == .webvtt || self == .srt }

    /// The format a name's extension says (`.vtt`, `.srt`, `.ttml`/`.dfxp`/`.xml`, `.ass`/`.ssa`,
    /// `.sbv`; any case), or nil.
    public static func fromExtension(_ fileName: String?) -> SubtitleFormat? {
        guard let name = fileName?.lowercased(), let dot = name.lastIndex(of: ".") else { return nil }
        switch name[name.index(after: dot)...] {
        case "vtt", "webvtt": return .webvtt
        case "srt": return .srt
        case "ttml", "dfxp", "xml", "imsc", "ebuttd": return .ttml
        case "ass", "ssa": return .ass
        case "sbv": return .sbv
        default: return nil
        }
    }

    /// Decides the format of `bytes`, named `fileName` (nil or "-" for standard input):
    /// 1. content that starts (after a UTF-8 BOM) with the WebVTT signature, `WEBVTT` then a
    ///    space, tab, line break or the end, is WebVTT, whatever the name (a `.txt` file, or
    ///    one mislabelled `.srt`);
    /// 2. content that starts like another format is that format, whatever the name: XML whose
    ///    root is `<tt>` (any prefix) is TTML; a first line `[Script Info]` (or `[V4+ Styles]`,
    ///    `[Events]`) is ASS/SSA; a first line `H:MM:SS.mmm,H:MM:SS.mmm` is SBV; a cue number
    ///    then a timing line (`-->`), or a timing line with SRT's comma before the arrow
    ///    (`00:00:01,000 --> ...`), is SRT;
    /// 3. else the name's extension (`fromExtension`);
    /// 4. else WebVTT, so that the WebVTT parser says what is wrong (an empty file, a missing
    ///    signature).
    /// A UTF-16 or UTF-32 byte-order mark is honoured (the start of the file is decoded first).
    public static func sniff(_ bytes: [UInt8], fileName: String? = nil) -> SubtitleFormat {
        if let (enc, _) = TextEncoding.byteOrderMark(bytes), enc != .utf8 {
            let head = Array(bytes.prefix(enc == .utf32le || enc == .utf32be ? 16384 : 8192))
            return sniff(TextEncoding.utf8Bytes(head, forced: enc).bytes, fileName: fileName)
        }
        var i = 0
        if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { i = 3 }
        let signature: [UInt8] = Array("WEBVTT".utf8)
        if bytes.count >= i + 6, Array(bytes[i..<(i + 6)]) == signature {
            if bytes.count == i + 6 { return .webvtt }
            let next = bytes[i + 6]
            if next == 0x20 || next == 0x09 || next == 0x0A || next == 0x0D { return .webvtt }
        }
        if startsWithTTML(bytes, from: i) { return .ttml }
        if let first = firstLine(bytes, from: i) {
            let l = first.lowercased()
            if l.hasPrefix("[script info]") || l.hasPrefix("[v4+ styles]") || l.hasPrefix("[v4 styles]") || l.hasPrefix("[events]") { return .ass }
            if SBV.timing(Substring(first)) != nil { return .sbv }
        }
        if startsWithSRTCue(bytes, from: i) { return .srt }
        if let f = fromExtension(fileName) { return f }
        return .webvtt
    }

    /// The first non-blank line (within the first 4 KiB), trimmed.
    static func firstLine(_ b: [UInt8], from start: Int) -> String? {
        var i = start
        while i < b.count, i - start < 4096 {
            var e = i
            while e < b.count, b[e] != 0x0A, b[e] != 0x0D, e - i < 4096 { e += 1 }
            let line = String(decoding: b[i..<e], as: UTF8.self).trimmingSpaces()
            if !line.isEmpty { return line }
            i = e + 1
        }
        return nil
    }

    /// XML (after space, an XML declaration, comments or a DOCTYPE) whose first element is
    /// `<tt` or `<prefix:tt`.
    static func startsWithTTML(_ b: [UInt8], from start: Int) -> Bool {
        var i = start
        let limit = min(b.count, start + 8192)
        while i < limit {
            let c = b[i]
            if c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D { i += 1; continue }
            guard c == 0x3C, i + 1 < limit else { return false }
            let n = b[i + 1]
            if n == 0x3F || n == 0x21 {  // <? or <!: skip to '>'
                while i < limit, b[i] != 0x3E { i += 1 }
                i += 1
                continue
            }
            var e = i + 1
            while e < limit, XMLByteReader.isNameByte(b[e]) { e += 1 }
            let name = String(decoding: b[(i + 1)..<e], as: UTF8.self)
            return name == "tt" || name.hasSuffix(":tt")
        }
        return false
    }

    /// The first non-blank line is a timing line with a comma before `-->`, or is all digits
    /// and the line after it holds `-->`.
    static func startsWithSRTCue(_ b: [UInt8], from start: Int) -> Bool {
        var lines: [ArraySlice<UInt8>] = []
        var i = start
        while i < b.count, lines.count < 2 {
            var e = i
            while e < b.count, b[e] != 0x0A, b[e] != 0x0D { e += 1 }
            let line = b[i..<e]
            if !(lines.isEmpty && line.allSatisfy({ $0 == 0x20 || $0 == 0x09 })) { lines.append(line) }
            if e < b.count, b[e] == 0x0D, e + 1 < b.count, b[e + 1] == 0x0A { e += 1 }
            i = e + 1
            if e - start > 4096 && lines.isEmpty { return false }
        }
        /// Where `-->` starts in the line, or nil.
        func arrow(_ l: ArraySlice<UInt8>) -> Int? {
            let a = Array(l)
            guard a.count >= 3 else { return nil }
            for k in 0...(a.count - 3) where a[k] == 0x2D && a[k + 1] == 0x2D && a[k + 2] == 0x3E { return k }
            return nil
        }
        func hasArrow(_ l: ArraySlice<UInt8>) -> Bool { arrow(l) != nil }
        guard let first = lines.first else { return false }
        if let k = arrow(first) { return Array(first).prefix(k).contains(0x2C) }
        let trimmed = first.filter { $0 != 0x20 && $0 != 0x09 }
        guard !trimmed.isEmpty, trimmed.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), lines.count > 1 else { return false }
        return hasArrow(lines[1])
    }
}

extension SubtitleFormat {
    /// Reads `bytes` (UTF-8; see `TextEncoding.utf8Bytes`) as this format. `rejected` is true
    /// only for a WebVTT file the parser refuses (no signature); the other readers never refuse,
    /// they leave out what they cannot read, with error diagnostics.
    public func read(_ bytes: [UInt8], mode: ParseMode = .browser) -> (document: WebVTTDocument, diagnostics: [Diagnostic], rejected: Bool) {
        switch self {
        case .webvtt:
            let r = WebVTTParser.parse(bytes, mode: mode)
            return (r.document, r.diagnostics, r.rejected)
        case .srt: let r = SRT.parse(bytes); return (r.document, r.diagnostics, false)
        case .ttml: let r = TTMLImport.parse(bytes); return (r.document, r.diagnostics, false)
        case .ass: let r = ASS.parse(bytes); return (r.document, r.diagnostics, false)
        case .sbv: let r = SBV.parse(bytes); return (r.document, r.diagnostics, false)
        }
    }
}
