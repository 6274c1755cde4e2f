/// The server's request-head parser: works on raw bytes as they arrive, without a byte source.
///
/// Stricter than `HTTPMessageReader` (a server reading requests): every line must end in CRLF (a
/// bare LF is an error, so a bare LF can never make one request look like two), no obs-fold, no
/// whitespace before a colon, at most `maxHeadBytes` for the request line and fields together and
/// `maxFields` fields (431), and HTTP/1.1 needs exactly one Host.
public enum HTTPServerParser {
    public enum Outcome: Equatable {
        /// Not a whole head yet; read more.
        case incomplete
        /// A head, and how many bytes it took (the empty lines before it included).
        case head(HTTPRequestHead, consumed: Int)
        /// A status to answer with (400 or 431) and why (for the log; never sent).
        case error(status: Int, reason: String)
    }

    /// Parses one request head at the start of `bytes`.
    public static func parse(_ bytes: UnsafeRawBufferPointer, maxHeadBytes: Int = 32 << 10, maxFields: Int = 100) -> Outcome {
        let n = bytes.count
        var i = 0
        // RFC 9112 2.2: a server SHOULD ignore at least one empty line before the request line
        var skipped = 0
        while i < n, skipped < 4 {
            if bytes[i] == 13, i + 1 < n, bytes[i + 1] == 10 { i += 2; skipped += 1; continue }
            if bytes[i] == 13 && i + 1 == n { return .incomplete }
            if bytes[i] == 10 { return .error(status: 400, reason: "bare LF") }
            break
        }
        let headStart = i
        var lineStart = i
        var fields: [(name: String, value: String)] = []
        var requestLine: (String, String, String)?
        while true {
            // find the next LF
            var j = lineStart
            while j < n, bytes[j] != 10 { j += 1 }
            if j >= n {
                if n - headStart > maxHeadBytes { return .error(status: 431, reason: "head larger than \(maxHeadBytes) bytes") }
                return .incomplete
            }
            if j - headStart + 1 > maxHeadBytes { return .error(status: 431, reason: "head larger than \(maxHeadBytes) bytes") }
            guard j > lineStart, bytes[j - 1] == 13 else { return .error(status: 400, reason: "bare LF") }
            let lineEnd = j - 1
            if requestLine == nil {
                guard let rl = requestLineParts(bytes, lineStart, lineEnd) else { return .error(status: 400, reason: "bad request line") }
                requestLine = rl
            } else if lineEnd == lineStart {
                // the empty line: the head is complete
                guard let (method, target, version) = requestLine else { return .error(status: 400, reason: "bad request line") }
                var headers = HTTPHeaders()
                headers.replaceAll(fields)
                if version == "HTTP/1.1" {
                    let hosts = headers.all("Host")
                    guard hosts.count == 1 else { return .error(status: 400, reason: "HTTP/1.1 needs exactly one Host") }
                }
                return .head(HTTPRequestHead(method: method, target: target, version: version, headers: headers), consumed: j + 1)
            } else {
                if fields.count >= maxFields { return .error(status: 431, reason: "more than \(maxFields) header fields") }
                guard let f = field(bytes, lineStart, lineEnd) else { return .error(status: 400, reason: "bad header field") }
                fields.append(f)
            }
            lineStart = j + 1
        }
    }

    static func requestLineParts(_ b: UnsafeRawBufferPointer, _ s: Int, _ e: Int) -> (String, String, String)? {
        var i = s
        while i < e, HTTPSyntax.isTokenByte(b[i]) { i += 1 }
        guard i > s, i < e, b[i] == 32 else { return nil }
        let methodEnd = i
        i += 1
        let targetStart = i
        while i < e, b[i] > 32, b[i] != 127 { i += 1 }
        guard i > targetStart, i < e, b[i] == 32 else { return nil }
        let targetEnd = i
        i += 1
        // HTTP/1.x
        guard e - i == 8, b[i] == 72, b[i + 1] == 84, b[i + 2] == 84, b[i + 3] == 80, b[i + 4] == 47, b[i + 5] == 49,
              b[i + 6] == 46, b[i + 7] >= 48, b[i + 7] <= 57 else { return nil }
        return (string(b, s, methodEnd), string(b, targetStart, targetEnd), string(b, i, e))
    }

    static func field(_ b: UnsafeRawBufferPointer, _ s: Int, _ e: Int) -> (name: String, value: String)? {
        var i = s
        while i < e, HTTPSyntax.isTokenByte(b[i]) { i += 1 }
        // an empty name, a line starting with whitespace (obs-fold), whitespace before the colon
        guard i > s, i < e, b[i] == 58 else { return nil }
        let nameEnd = i
        i += 1
        while i < e, b[i] == 32 || b[i] == 9 { i += 1 }
        var ve = e
        while ve > i, b[ve - 1] == 32 || b[ve - 1] == 9 { ve -= 1 }
        var k = i
        while k < ve {
            let c = b[k]
            if (c < 32 && c != 9) || c == 127 { return nil }
            k += 1
        }
        return (string(b, s, nameEnd), string(b, i, ve))
    }

    @inline(__always)
    static func string(_ b: UnsafeRawBufferPointer, _ s: Int, _ e: Int) -> String {
        String(decoding: UnsafeRawBufferPointer(rebasing: b[s..<e]), as: UTF8.self)
    }
}

/// The request target split and decoded (RFC 9112 3.2): origin-form, absolute-form (its path and
/// query are used) and asterisk-form.
public struct HTTPTarget: Sendable, Equatable {
    /// The decoded path (`*` for the asterisk form).
    public var path: String
    /// Decoded path segments (a `%2F` inside a segment stays in that segment).
    public var segments: [String]
    /// The raw query string (without `?`), or nil.
    public var rawQuery: String?
    /// Decoded query parameters in order (`+` is a space).
    public var query: [(name: String, value: String)]

    public static func == (a: HTTPTarget, b: HTTPTarget) -> Bool {
        a.path == b.path && a.segments == b.segments && a.rawQuery == b.rawQuery
            && a.query.map(\.name) == b.query.map(\.name) && a.query.map(\.value) == b.query.map(\.value)
    }

    public enum Failure: Error, Equatable { case badTarget, badEscape, badUTF8, dotSegment }

    /// Parses `target` for `method`. The asterisk form is only valid for OPTIONS.
    public static func parse(_ target: String, method: String) throws(Failure) -> HTTPTarget {
        if target == "*" {
            guard method == "OPTIONS" else { throw .badTarget }
            return HTTPTarget(path: "*", segments: [], rawQuery: nil, query: [])
        }
        var t = Substring(target)
        if !t.hasPrefix("/") {
            // absolute-form: scheme "://" authority path-abempty [ "?" query ]
            let lower = t.prefix(8).lowercased()
            guard lower.hasPrefix("http://") || lower.hasPrefix("https://"), let sep = t.range(of: "://") else { throw .badTarget }
            let afterScheme = t[sep.upperBound...]
            guard let slash = afterScheme.firstIndex(where: { $0 == "/" || $0 == "?" }) else {
                guard !afterScheme.isEmpty else { throw .badTarget }
                return HTTPTarget(path: "/", segments: [""], rawQuery: nil, query: [])
            }
            guard slash > afterScheme.startIndex else { throw .badTarget }
            t = afterScheme[slash...]
            if t.hasPrefix("?") { t = "/" + t }
        }
        if t.utf8.contains(35) { throw .badTarget }
        let rawPath: Substring
        var rawQuery: Substring?
        if let q = t.firstIndex(of: "?") { rawPath = t[..<q]; rawQuery = t[t.index(after: q)...] } else { rawPath = t }
        var segments: [String] = []
        var path = ""
        for raw in rawPath.dropFirst().split(separator: "/", omittingEmptySubsequences: false) {
            let s = try decode(raw, plusIsSpace: false)
            if s == "." || s == ".." { throw .dotSegment }
            segments.append(s)
            path += "/" + s
        }
        if path.isEmpty { path = "/" }
        var query: [(name: String, value: String)] = []
        if let rq = rawQuery, !rq.isEmpty {
            for pair in rq.split(separator: "&", omittingEmptySubsequences: true) {
                if let eq = pair.firstIndex(of: "=") {
                    query.append((try decode(pair[..<eq], plusIsSpace: true), try decode(pair[pair.index(after: eq)...], plusIsSpace: true)))
                } else {
                    query.append((try decode(pair, plusIsSpace: true), ""))
                }
            }
        }
        return HTTPTarget(path: path, segments: segments, rawQuery: rawQuery.map(String.init), query: query)
    }

    /// Percent-decoding: `%` must be followed by two hex digits, the result must be UTF-8 and hold
    /// no NUL.
    public static func decode(_ s: Substring, plusIsSpace: Bool) throws(Failure) -> String {
        let u = s.utf8
        if !u.contains(37) && !(plusIsSpace && u.contains(43)) { return String(s) }
        var out: [UInt8] = []
        out.reserveCapacity(u.count)
        var it = u.makeIterator()
        while let c = it.next() {
            if c == 37 {
                guard let h = it.next().flatMap(hex), let l = it.next().flatMap(hex) else { throw .badEscape }
                let b = h << 4 | l
                if b == 0 { throw .badEscape }
                out.append(b)
            } else if c == 43 && plusIsSpace {
                out.append(32)
            } else {
                out.append(c)
            }
        }
        guard let str = String(validating: out, as: UTF8.self) else { throw .badUTF8 }
        return str
    }

    static func hex(_ c: UInt8) -> UInt8? {
        switch c {
        case 48...57: return c - 48
        case 65...70: return c - 55
        case 97...102: return c - 87
        default: return nil
        }
    }
}
