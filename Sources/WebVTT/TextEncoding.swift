// The character encoding of a subtitle file, as people have them: UTF-8 (with or without a BOM),
// UTF-16 and UTF-32 with a byte-order mark (common from Windows tools), or a legacy 8-bit code
// page. A BOM decides; a caller may override (`--encoding`). Every reader works on UTF-8 bytes,
// so `TextEncoding.utf8Bytes` turns a file into UTF-8 first.

/// A character encoding a subtitle file may be in.
public enum TextEncoding: String, Sendable, CaseIterable {
    case utf8 = "utf-8"
    case utf16le = "utf-16le"
    case utf16be = "utf-16be"
    case utf32le = "utf-32le"
    case utf32be = "utf-32be"
    case windows1252 = "windows-1252"
    case latin1 = "iso-8859-1"

    /// The encoding named `name` (case-insensitive; `utf8`, `utf16le`, `cp1252`, `latin1` and the
    /// like are accepted), or nil.
    public init?(name: String) {
        let n = name.lowercased().filter { $0 != "-" && $0 != "_" }
        switch n {
        case "utf8": self = .utf8
        case "utf16le", "utf16": self = .utf16le
        case "utf16be": self = .utf16be
        case "utf32le", "utf32": self = .utf32le
        case "utf32be": self = .utf32be
        case "windows1252", "cp1252", "win1252": self = .windows1252
        case "iso88591", "latin1": self = .latin1
        default: return nil
        }
    }

    /// The names `init(name:)` accepts, for help and error messages.
    public static let names = allCases.map(\.rawValue)

    /// The encoding a byte-order mark at the start of `bytes` declares, and the mark's length.
    /// UTF-32LE's mark starts like UTF-16LE's, so it is tested first.
    public static func byteOrderMark(_ b: [UInt8]) -> (TextEncoding, Int)? {
        if b.count >= 4, b[0] == 0xFF, b[1] == 0xFE, b[2] == 0, b[3] == 0 { return (.utf32le, 4) }
        if b.count >= 4, b[0] == 0, b[1] == 0, b[2] == 0xFE, b[3] == 0xFF { return (.utf32be, 4) }
        if b.count >= 3, b[0] == 0xEF, b[1] == 0xBB, b[2] == 0xBF { return (.utf8, 3) }
        if b.count >= 2, b[0] == 0xFF, b[1] == 0xFE { return (.utf16le, 2) }
        if b.count >= 2, b[0] == 0xFE, b[1] == 0xFF { return (.utf16be, 2) }
        return nil
    }

    /// `bytes` as UTF-8. `forced` overrides; else a UTF-16/32 byte-order mark decides; else the
    /// bytes are returned as they are (UTF-8 or not: each reader decides what to do with bytes
    /// that are not UTF-8). A UTF-8 BOM is kept (the WebVTT model records it); a UTF-16/32 one is
    /// dropped. Unpaired surrogates and invalid code points become U+FFFD.
    public static func utf8Bytes(_ bytes: [UInt8], forced: TextEncoding? = nil) -> (bytes: [UInt8], encoding: TextEncoding?) {
        let bom = byteOrderMark(bytes)
        guard let enc = forced ?? bom?.0 else { return (bytes, nil) }
        let skip = bom.map { $0.0 == enc ? $0.1 : 0 } ?? 0
        switch enc {
        case .utf8: return (bytes, .utf8)
        case .utf16le, .utf16be:
            var units: [UInt16] = []
            units.reserveCapacity((bytes.count - skip) / 2)
            var k = skip
            while k + 1 < bytes.count {
                let (a, b) = (UInt16(bytes[k]), UInt16(bytes[k + 1]))
                units.append(enc == .utf16le ? a | b << 8 : a << 8 | b)
                k += 2
            }
            var out = Array(String(decoding: units, as: UTF16.self).utf8)
            if k < bytes.count { out += [0xEF, 0xBF, 0xBD] }  // an odd trailing byte
            return (out, enc)
        case .utf32le, .utf32be:
            var s = String.UnicodeScalarView()
            var k = skip
            while k + 3 < bytes.count {
                let q = (UInt32(bytes[k]), UInt32(bytes[k + 1]), UInt32(bytes[k + 2]), UInt32(bytes[k + 3]))
                let v = enc == .utf32le ? q.0 | q.1 << 8 | q.2 << 16 | q.3 << 24 : q.0 << 24 | q.1 << 16 | q.2 << 8 | q.3
                s.append(Unicode.Scalar(v) ?? "\u{FFFD}")
                k += 4
            }
            if k < bytes.count { s.append("\u{FFFD}") }
            return (Array(String(s).utf8), enc)
        case .windows1252:
            return (Array(SRT.decodeWindows1252(Array(bytes[skip...])).utf8), enc)
        case .latin1:
            var s = String.UnicodeScalarView()
            for b in bytes[skip...] { s.append(Unicode.Scalar(b)) }
            return (Array(String(s).utf8), enc)
        }
    }
}
