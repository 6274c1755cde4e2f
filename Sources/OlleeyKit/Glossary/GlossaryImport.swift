import Foundation

/// An entry (TBX) or row (CSV) of an import file that was left out, and why.
public struct GlossaryImportSkip: Sendable, Equatable {
    /// The line the entry or row starts on (or the line of the offending element).
    public var line: Int
    /// The TBX entry's `id`, when it has one.
    public var entry: String?
    public var reason: String

    public init(line: Int, entry: String? = nil, reason: String) { self.line = line; self.entry = entry; self.reason = reason }

    public func message(_ fileName: String) -> String {
        "\(fileName):\(line): " + (entry.map { "entry '\($0)': " } ?? "") + reason
    }

    public var json: JSON { .object([("line", .int(Int64(line))), ("entry", JSON(entry)), ("reason", .string(reason))]) }
}

/// Two entries of one file with the same source term, imported as one term.
public struct GlossaryImportMerge: Sendable, Equatable {
    public var term: String
    /// The line of the entry that was merged.
    public var line: Int
    /// The line of the entry it was merged into (the first with that term).
    public var into: Int

    public init(term: String, line: Int, into: Int) { self.term = term; self.line = line; self.into = into }

    public var json: JSON { .object([("term", .string(term)), ("line", .int(Int64(line))), ("into_line", .int(Int64(into)))]) }
}

/// What an import file holds: its valid terms (already validated for the glossary), the entries
/// left out and the entries merged.
public struct GlossaryImportFile: Sendable {
    public var terms: [GlossaryTerm]
    public var skipped: [GlossaryImportSkip]
    public var merged: [GlossaryImportMerge]

    public init(terms: [GlossaryTerm] = [], skipped: [GlossaryImportSkip] = [], merged: [GlossaryImportMerge] = []) {
        self.terms = terms; self.skipped = skipped; self.merged = merged
    }

    /// Throws 65 listing the skipped entries (at most ten) when there are any.
    func requireNoSkips(_ fileName: String, hint: String = "nothing was imported") throws {
        guard !skipped.isEmpty else { return }
        let shown = skipped.prefix(10).map { $0.message(fileName) }.joined(separator: "; ")
            + (skipped.count > 10 ? "; ... (\(skipped.count) entries)" : "")
        throw OlleeyError.invalid(shown, hint: hint)
    }
}

/// Reading a glossary file for import: the encoding check, then CSV or TBX.
///
/// By default what is valid is imported and each entry left out is reported with its line and
/// reason; `strict` imports nothing when any entry is bad. A file that is malformed as a whole
/// (not UTF-8, not well-formed XML, no CSV header) is a 65 either way, and so is a file whose
/// entries are all bad.
public enum GlossaryImport {
    public static func read(_ bytes: [UInt8], format: GlossaryService.Format, sourceLang: String, fileName: String,
                            strict: Bool = false) throws -> GlossaryImportFile {
        let file: GlossaryImportFile
        switch format {
        case .csv:
            let text = try decode(bytes, fileName: fileName, declared: nil)
            file = try GlossaryCSV.read(String(decoding: text, as: UTF8.self), sourceLang: sourceLang, fileName: fileName)
        case .tbx:
            let text = try decode(bytes, fileName: fileName, declared: xmlDeclaredEncoding(bytes))
            file = try TBX.read(text, sourceLang: sourceLang, fileName: fileName)
        }
        if strict { try file.requireNoSkips(fileName) }
        if file.terms.isEmpty && !file.skipped.isEmpty { try file.requireNoSkips(fileName, hint: "no entry could be imported") }
        return file
    }

    // MARK: encodings

    /// The `encoding` of an XML declaration (`<?xml version="1.0" encoding="..."?>`), lowercased.
    static func xmlDeclaredEncoding(_ b: [UInt8]) -> String? {
        let head = String(decoding: b.prefix(200), as: UTF8.self)
        guard let decl = head.range(of: "<?xml"), let end = head.range(of: "?>", range: decl.upperBound..<head.endIndex) else { return nil }
        let inside = head[decl.upperBound..<end.lowerBound]
        guard let e = inside.range(of: "encoding") else { return nil }
        let rest = inside[e.upperBound...].drop { $0 == " " || $0 == "=" || $0 == "\t" }
        guard let q = rest.first, q == "\"" || q == "'" else { return nil }
        return String(rest.dropFirst().prefix { $0 != q }).lowercased()
    }

    /// The file as UTF-8: a UTF-16 byte-order mark, or (without a byte-order mark) an XML
    /// declaration of ISO-8859-1 or Windows-1252, is decoded; anything else must be valid UTF-8
    /// (65 with the line and column of the first bad byte: a Latin-1 file declared as UTF-8 is
    /// refused, not stored as U+FFFD).
    public static func decode(_ b: [UInt8], fileName: String, declared: String?) throws -> [UInt8] {
        func other(_ enc: String.Encoding, _ name: String) throws -> [UInt8] {
            guard let s = String(bytes: b, encoding: enc) else {
                throw OlleeyError.invalid("\(fileName):1: the file is not valid \(name)", hint: "nothing was imported; save it as UTF-8")
            }
            return Array(s.utf8)
        }
        if b.count >= 2, b[0] == 0xFF, b[1] == 0xFE, !(b.count >= 4 && b[2] == 0 && b[3] == 0) { return try other(.utf16LittleEndian, "UTF-16").dropFirstBOM() }
        if b.count >= 2, b[0] == 0xFE, b[1] == 0xFF { return try other(.utf16BigEndian, "UTF-16").dropFirstBOM() }
        let utf8BOM = b.count >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF
        switch utf8BOM ? nil : declared {   // a byte-order mark outranks the declaration
        case nil, "utf-8", "utf8", "us-ascii", "ascii": break
        case "iso-8859-1", "iso8859-1", "iso_8859-1", "latin1", "latin-1": return try other(.isoLatin1, "ISO-8859-1")
        case "windows-1252", "cp1252": return try other(.windowsCP1252, "Windows-1252")
        case let .some(e):
            throw OlleeyError.invalid("\(fileName):1: the file declares the encoding '\(e)', which olleey does not read",
                                      hint: "nothing was imported; save it as UTF-8")
        }
        if let bad = firstInvalidUTF8(b) {
            var line = 1, lineStart = 0
            for k in 0..<bad where b[k] == 0x0A { line += 1; lineStart = k + 1 }
            throw OlleeyError.invalid("\(fileName):\(line):\(bad - lineStart + 1): invalid UTF-8 (byte 0x\(String(format: "%02X", b[bad])))",
                                      hint: "nothing was imported; save the file as UTF-8 (a Latin-1 file must say encoding=\"ISO-8859-1\")")
        }
        return b
    }

    /// The offset of the first byte that is not part of well-formed UTF-8 (no overlong forms,
    /// surrogates or values above U+10FFFF), or nil.
    public static func firstInvalidUTF8(_ b: [UInt8]) -> Int? {
        var i = 0
        let n = b.count
        while i < n {
            let c = b[i]
            if c < 0x80 { i += 1; continue }
            var need = 2
            var lo: UInt8 = 0x80, hi: UInt8 = 0xBF
            switch c {
            case 0xC2...0xDF: need = 1
            case 0xE0: lo = 0xA0
            case 0xE1...0xEC, 0xEE...0xEF: break
            case 0xED: hi = 0x9F
            case 0xF0: need = 3; lo = 0x90
            case 0xF1...0xF3: need = 3
            case 0xF4: need = 3; hi = 0x8F
            default: return i
            }
            guard i + need < n, b[i + 1] >= lo, b[i + 1] <= hi else { return i }
            for k in stride(from: 2, through: need, by: 1) where b[i + k] & 0xC0 != 0x80 { return i }
            i += need + 1
        }
        return nil
    }
}

extension Array where Element == UInt8 {
    /// Without a leading UTF-8 byte-order mark (what a decoded UTF-16 BOM becomes).
    fileprivate func dropFirstBOM() -> [UInt8] {
        count >= 3 && self[0] == 0xEF && self[1] == 0xBB && self[2] == 0xBF ? Array(self[3...]) : self
    }
}

extension GlossaryService {
    public struct ImportResult: Sendable {
        public var format: Format
        public var created: Int
        public var updated: Int
        public var total: Int
        /// Entries or rows left out (none with `strict`).
        public var skipped: [GlossaryImportSkip] = []
        /// Entries merged into an earlier one with the same source term.
        public var merged: [GlossaryImportMerge] = []
    }
}

/// Forms without repeats, in their first order.
func uniqueForms(_ forms: [String]) -> [String] {
    var seen: Set<String> = []
    return forms.filter { seen.insert($0).inserted }
}
