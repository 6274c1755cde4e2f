import Foundation

/// A multipart/form-data body.
public struct MultipartForm: Sendable {
    public let boundary: String
    private var parts: [[UInt8]] = []

    public init(boundary: String = "olleey-" + ID.uuid7().replacingOccurrences(of: "-", with: "")) {
        self.boundary = boundary
    }

    public var contentType: String { "multipart/form-data; boundary=\(boundary)" }

    private static func quoted(_ s: String) -> String {
        s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\r", with: " ").replacingOccurrences(of: "\n", with: " ")
    }

    public mutating func addField(_ name: String, _ value: String) {
        var p = Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(Self.quoted(name))\"\r\n\r\n".utf8)
        p += Array(value.utf8)
        p += Array("\r\n".utf8)
        parts.append(p)
    }

    public mutating func addFile(_ name: String, filename: String, contentType: String, data: [UInt8]) {
        var p = Array(("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(Self.quoted(name))\"; " +
                       "filename=\"\(Self.quoted(filename))\"\r\nContent-Type: \(contentType)\r\n\r\n").utf8)
        p += data
        p += Array("\r\n".utf8)
        parts.append(p)
    }

    public mutating func addFile(_ name: String, path: String, contentType: String) throws {
        let data = try readWholeFile(path)
        addFile(name, filename: (path as NSString).lastPathComponent, contentType: contentType, data: data)
    }

    public var body: [UInt8] {
        var out: [UInt8] = []
        for p in parts { out += p }
        out += Array("--\(boundary)--\r\n".utf8)
        return out
    }
}

/// One part of a multipart/form-data body read by `MultipartReader`: a field (its value in
/// memory) or a file (written to `path`, which the caller moves or removes).
public struct MultipartPart: Sendable {
    public var name: String
    public var filename: String?
    public var contentType: String?
    /// A field's value (nil for a file part).
    public var value: [UInt8]?
    /// A file part: where its bytes were written.
    public var path: String?
    public var size: Int

    public var text: String? { value.map { String(decoding: $0, as: UTF8.self) } }
}

/// Reads a multipart/form-data body from a file (an upload streamed to disk) in 64 KiB reads:
/// never the whole body in memory. Fields are kept in memory (at most `maxFieldBytes` each);
/// file parts (a `filename` in their Content-Disposition) are copied to new files in
/// `directory`. On any error every file written so far is removed; the error is `invalid` (a
/// malformed body) naming what is wrong.
public enum MultipartReader {
    /// The `boundary` parameter of a multipart/form-data Content-Type; nil when it is not one.
    public static func boundary(_ contentType: String) -> String? {
        let parts = contentType.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
        guard parts.first?.lowercased() == "multipart/form-data" else { return nil }
        for p in parts.dropFirst() {
            let kv = p.split(separator: "=", maxSplits: 1).map(String.init)
            guard kv.count == 2, kv[0].trimmingCharacters(in: .whitespaces).lowercased() == "boundary" else { continue }
            var b = kv[1].trimmingCharacters(in: .whitespaces)
            if b.hasPrefix("\""), b.hasSuffix("\""), b.count >= 2 { b = String(b.dropFirst().dropLast()) }
            return b.isEmpty || b.utf8.count > 70 ? nil : b
        }
        return nil
    }

    public static func read(file: String, boundary: String, directory: String, maxFieldBytes: Int = 1 << 16, maxParts: Int = 32) throws -> [MultipartPart] {
        guard let fp = fopen(file, "rb") else { throw OlleeyError.failure("cannot read the upload: \(String(cString: strerror(errno)))") }
        defer { fclose(fp) }
        var parts: [MultipartPart] = []
        var out: UnsafeMutablePointer<FILE>?
        do {
            var r = Reader(fp: fp)
            r.buffer = [13, 10]   // the first delimiter is not preceded by CRLF: pretend it is
            let delimiter = Array("\r\n--\(boundary)".utf8)
            // preamble
            guard try r.skip(until: delimiter) else { throw OlleeyError.invalid("the multipart body has no part (boundary '\(boundary)' not found)") }
            while true {
                guard try r.fill(2) else { throw OlleeyError.invalid("the multipart body ends early (no closing boundary)") }
                if r.buffer[r.start] == 45, r.buffer[r.start + 1] == 45 { break }   // "--": the end
                try r.skip(until: [13, 10], max: 256)   // transport padding, then CRLF
                guard parts.count < maxParts else { throw OlleeyError.invalid("the multipart body has more than \(maxParts) parts") }
                guard let head = try r.take(until: [13, 10, 13, 10], max: 8192) else { throw OlleeyError.invalid("a part's headers are malformed or longer than 8 KiB") }
                var part = try header(head)
                if part.filename != nil {
                    let path = directory + "/.upload-\(ID.uuid7())"
                    guard let f = fopen(path, "wb") else { throw OlleeyError.cannotCreate("cannot write the upload to \(directory): \(String(cString: strerror(errno)))") }
                    out = f
                    part.path = path
                    parts.append(part)
                    var size = 0
                    let found = try r.copy(until: delimiter) { chunk in
                        size += chunk.count
                        try chunk.withUnsafeBytes { p in
                            if let b = p.baseAddress, fwrite(b, 1, p.count, f) != p.count { throw OlleeyError.cannotCreate("cannot write the upload: \(String(cString: strerror(errno)))") }
                        }
                    }
                    guard fclose(f) == 0 else { out = nil; throw OlleeyError.cannotCreate("cannot write the upload: \(String(cString: strerror(errno)))") }
                    out = nil
                    guard found else { throw OlleeyError.invalid("the multipart body ends inside the part '\(part.name)' (no closing boundary)") }
                    parts[parts.count - 1].size = size
                } else {
                    var value: [UInt8] = []
                    let found = try r.copy(until: delimiter) { chunk in
                        value += chunk
                        if value.count > maxFieldBytes { throw OlleeyError.invalid("the field '\(part.name)' is longer than \(maxFieldBytes) bytes") }
                    }
                    guard found else { throw OlleeyError.invalid("the multipart body ends inside the field '\(part.name)'") }
                    part.value = value; part.size = value.count
                    parts.append(part)
                }
            }
            return parts
        } catch {
            if let out { fclose(out) }
            for p in parts { if let path = p.path { unlink(path) } }
            throw error
        }
    }

    /// A part's name, filename and Content-Type from its header lines.
    static func header(_ bytes: [UInt8]) throws -> MultipartPart {
        var part = MultipartPart(name: "", filename: nil, contentType: nil, value: nil, path: nil, size: 0)
        var named = false
        for line in String(decoding: bytes, as: UTF8.self).components(separatedBy: "\r\n") where !line.isEmpty {
            guard let colon = line.firstIndex(of: ":") else { throw OlleeyError.invalid("a part's header line has no ':' (\(line.prefix(60)))") }
            let field = line[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            if field == "content-type" { part.contentType = value }
            guard field == "content-disposition" else { continue }
            for (k, v) in parameters(value) {
                if k == "name" { part.name = v; named = true }
                if k == "filename" { part.filename = v }
            }
        }
        guard named else { throw OlleeyError.invalid("a part has no Content-Disposition name") }
        return part
    }

    /// `form-data; name="a"; filename="b.mp4"` -> [(name, a), (filename, b.mp4)] (quoted
    /// strings with backslash escapes).
    static func parameters(_ s: String) -> [(String, String)] {
        var out: [(String, String)] = []
        var chars = Array(s)[...]
        while let semi = chars.firstIndex(of: ";") {
            chars = chars[(semi + 1)...]
            while chars.first == " " || chars.first == "\t" { chars = chars.dropFirst() }
            guard let eq = chars.firstIndex(of: "=") else { break }
            let key = String(chars[..<eq]).trimmingCharacters(in: .whitespaces).lowercased()
            chars = chars[(eq + 1)...]
            var value = ""
            if chars.first == "\"" {
                chars = chars.dropFirst()
                while let c = chars.first {
                    chars = chars.dropFirst()
                    if c == "\\", let n = chars.first { value.append(n); chars = chars.dropFirst(); continue }
                    if c == "\"" { break }
                    value.append(c)
                }
            } else {
                let end = chars.firstIndex(of: ";") ?? chars.endIndex
                value = String(chars[..<end]).trimmingCharacters(in: .whitespaces)
                chars = chars[end...]
            }
            out.append((key, value))
        }
        return out
    }

    /// A buffered reader over a FILE with delimiter search.
    struct Reader {
        let fp: UnsafeMutablePointer<FILE>
        var buffer: [UInt8] = []
        var start = 0
        var eof = false
        var available: Int { buffer.count - start }

        init(fp: UnsafeMutablePointer<FILE>) { self.fp = fp }

        /// Reads until `n` bytes are available; false at the end of the file before that.
        mutating func fill(_ n: Int) throws -> Bool {
            while available < n && !eof {
                if start > 0 { buffer.removeFirst(start); start = 0 }
                var chunk = [UInt8](repeating: 0, count: 1 << 16)
                let got = chunk.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, fp) }
                if got == 0 {
                    if ferror(fp) != 0 { throw OlleeyError.failure("cannot read the upload") }
                    eof = true
                }
                buffer += chunk[0..<got]
            }
            return available >= n
        }

        func find(_ needle: [UInt8]) -> Int? {
            guard available >= needle.count, let first = needle.first else { return nil }
            var i = start
            let last = buffer.count - needle.count
            while i <= last {
                if buffer[i] == first {
                    var k = 1
                    while k < needle.count && buffer[i + k] == needle[k] { k += 1 }
                    if k == needle.count { return i }
                }
                i += 1
            }
            return nil
        }

        /// Passes the bytes before `delimiter` to `sink` and consumes the delimiter; false when
        /// the file ends first.
        mutating func copy(until delimiter: [UInt8], _ sink: (ArraySlice<UInt8>) throws -> Void) throws -> Bool {
            while true {
                if let i = find(delimiter) {
                    if i > start { try sink(buffer[start..<i]) }
                    start = i + delimiter.count
                    return true
                }
                // keep a delimiter's length minus one: it may straddle two reads
                let keep = delimiter.count - 1
                if available > keep { try sink(buffer[start..<(buffer.count - keep)]); start = buffer.count - keep }
                if eof { return false }
                _ = try fill(available + 1)
            }
        }

        mutating func skip(until delimiter: [UInt8], max: Int = .max) throws -> Bool {
            var n = 0
            return try copy(until: delimiter) { c in
                n += c.count
                if n > max { throw OlleeyError.invalid("the multipart body is malformed (no line end after a boundary)") }
            }
        }

        mutating func take(until delimiter: [UInt8], max: Int) throws -> [UInt8]? {
            var out: [UInt8] = []
            let found = try copy(until: delimiter) { c in
                out += c
                if out.count > max { throw OlleeyError.invalid("a part's headers are longer than \(max) bytes") }
            }
            return found ? out : nil
        }
    }
}
