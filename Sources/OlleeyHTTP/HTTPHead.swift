/// Limits and strictness for reading a message head.
public struct HTTPParseOptions: Sendable, Equatable {
    /// Longest line (start line, field line, chunk-size line), without its terminator.
    public var maxLineBytes: Int
    /// Longest head: start line and field lines together.
    public var maxHeadBytes: Int
    public var maxFields: Int
    /// Strict (a server reading requests, RFC 9112 5.2): obs-fold, field lines without a colon,
    /// names that are not tokens and whitespace before the colon are errors. Lenient (a user
    /// agent reading responses): obs-fold is replaced by a space and lines that are not fields
    /// are skipped.
    public var strict: Bool

    public init(maxLineBytes: Int, maxHeadBytes: Int, maxFields: Int, strict: Bool) {
        self.maxLineBytes = maxLineBytes; self.maxHeadBytes = maxHeadBytes; self.maxFields = maxFields; self.strict = strict
    }

    /// What a server accepts: 32 KiB of head, 100 fields, strict.
    public static let server = HTTPParseOptions(maxLineBytes: 32 << 10, maxHeadBytes: 32 << 10, maxFields: 100, strict: true)
    /// What the engines' client accepts from a server: 64 KiB, 200 fields, lenient.
    public static let client = HTTPParseOptions(maxLineBytes: 64 << 10, maxHeadBytes: 64 << 10, maxFields: 200, strict: false)
}

/// `GET /path?q HTTP/1.1` and its header fields.
public struct HTTPRequestHead: Sendable, Equatable {
    public var method: String
    public var target: String
    public var version: String
    public var headers: HTTPHeaders

    public init(method: String, target: String, version: String = "HTTP/1.1", headers: HTTPHeaders = HTTPHeaders()) {
        self.method = method; self.target = target; self.version = version; self.headers = headers
    }

    /// Parses a request line (`method SP request-target SP HTTP-version`).
    public static func parseStartLine(_ line: String) throws(HTTPParseError) -> (method: String, target: String, version: String) {
        let parts = line.split(separator: " ", omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[0].isEmpty, parts[0].utf8.allSatisfy(HTTPSyntax.isTokenByte),
              !parts[1].isEmpty, !parts[1].utf8.contains(where: { $0 <= 32 || $0 == 127 }),
              HTTPSyntax.isVersion(parts[2]) else { throw .badStartLine(line) }
        return (String(parts[0]), String(parts[1]), String(parts[2]))
    }

    /// The head as bytes: request line, fields, empty line. A name or value holding CR, LF or
    /// NUL is refused (it would split the message).
    public func serialized() throws(HTTPParseError) -> [UInt8] {
        guard !method.isEmpty, method.utf8.allSatisfy(HTTPSyntax.isTokenByte), !target.contains(" ") else {
            throw .badStartLine("\(method) \(target)")
        }
        return try HTTPSyntax.serialize(startLine: "\(method) \(target) \(version)", headers)
    }
}

/// `HTTP/1.1 200 OK` and its header fields.
public struct HTTPResponseHead: Sendable, Equatable {
    public var version: String
    public var status: Int
    public var reason: String
    public var headers: HTTPHeaders

    public init(status: Int, reason: String = "", version: String = "HTTP/1.1", headers: HTTPHeaders = HTTPHeaders()) {
        self.status = status; self.reason = reason; self.version = version; self.headers = headers
    }

    /// 1xx other than 101: an interim response, followed by the real one.
    public var isInterim: Bool { status >= 100 && status < 200 && status != 101 }

    /// Parses a status line (`HTTP-version SP 3DIGIT [SP reason-phrase]`).
    public static func parseStartLine(_ line: String) throws(HTTPParseError) -> (version: String, status: Int, reason: String) {
        let parts = line.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count >= 2, HTTPSyntax.isVersion(parts[0]), parts[1].utf8.count == 3,
              parts[1].utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }), let code = Int(parts[1]), code >= 100 else {
            throw .badStartLine(line)
        }
        return (String(parts[0]), code, parts.count > 2 ? String(parts[2]) : "")
    }

    public func serialized() throws(HTTPParseError) -> [UInt8] {
        guard (100...999).contains(status), !reason.contains("\r"), !reason.contains("\n") else {
            throw .badStartLine("\(version) \(status) \(reason)")
        }
        return try HTTPSyntax.serialize(startLine: "\(version) \(status) \(reason)", headers)
    }
}

/// Field-line rules shared by both heads.
public enum HTTPSyntax {
    /// tchar (RFC 9110 5.6.2).
    public static func isTokenByte(_ b: UInt8) -> Bool {
        switch b {
        case 48...57, 65...90, 97...122: return true
        case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"), UInt8(ascii: "'"),
             UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "^"), UInt8(ascii: "_"),
             UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"): return true
        default: return false
        }
    }

    static func isVersion(_ s: Substring) -> Bool {
        let u = Array(s.utf8)
        return u.count == 8 && s.hasPrefix("HTTP/1.") && u[7] >= 48 && u[7] <= 57
    }

    /// Parses one field line into `headers`. `line` is what follows the start line, without its
    /// terminator; obs-fold is handled by the caller (it needs the previous field).
    static func parseField(_ line: String, strict: Bool) throws(HTTPParseError) -> (String, String)? {
        guard let c = line.firstIndex(of: ":") else {
            if strict { throw .badField(line) }
            return nil
        }
        let rawName = line[..<c]
        let name: String
        if strict {
            guard !rawName.isEmpty, rawName.utf8.allSatisfy(isTokenByte) else { throw .badField(line) }
            name = String(rawName)
        } else {
            name = rawName.trimmingHTTPWhitespace()
            if name.isEmpty { return nil }
        }
        let value = line[line.index(after: c)...].trimmingHTTPWhitespace()
        if strict, value.utf8.contains(where: { ($0 < 32 && $0 != 9) || $0 == 127 }) { throw .badField(line) }
        return (name, value)
    }

    static func serialize(startLine: String, _ headers: HTTPHeaders) throws(HTTPParseError) -> [UInt8] {
        var out = Array(startLine.utf8)
        out += [13, 10]
        for (k, v) in headers {
            guard !k.isEmpty, k.utf8.allSatisfy(isTokenByte), !v.utf8.contains(where: { $0 == 13 || $0 == 10 || $0 == 0 }) else {
                throw .badField(k)
            }
            out += Array(k.utf8); out += [58, 32]; out += Array(v.utf8); out += [13, 10]
        }
        out += [13, 10]
        return out
    }
}
