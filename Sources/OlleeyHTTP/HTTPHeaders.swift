/// Header fields in arrival order; names compare case-insensitively (RFC 9110 5.1).
public struct HTTPHeaders: Sendable, Equatable, Sequence {
    public private(set) var fields: [(name: String, value: String)]

    public init(_ fields: [(String, String)] = []) { self.fields = fields.map { (name: $0.0, value: $0.1) } }

    public var count: Int { fields.count }

    public func makeIterator() -> IndexingIterator<[(name: String, value: String)]> { fields.makeIterator() }

    /// The first value of `name`, or nil.
    public subscript(_ name: String) -> String? { first(name) }

    public func first(_ name: String) -> String? {
        fields.first(where: { Self.same($0.name, name) })?.value
    }

    /// Every value of `name`, in order.
    public func all(_ name: String) -> [String] { fields.filter { Self.same($0.name, name) }.map(\.value) }

    public func contains(_ name: String) -> Bool { fields.contains(where: { Self.same($0.name, name) }) }

    /// Whether a comma-separated field (`Connection`, ...) lists `token`, in any case.
    public func hasToken(_ name: String, _ token: String) -> Bool {
        all(name).contains { $0.split(separator: ",").contains { $0.trimmingHTTPWhitespace().lowercased() == token } }
    }

    public mutating func add(_ name: String, _ value: String) { fields.append((name: name, value: value)) }

    /// Replaces every field at once (the server's parser builds the list itself).
    mutating func replaceAll(_ f: [(name: String, value: String)]) { fields = f }

    /// Replaces every field called `name` with one.
    public mutating func set(_ name: String, _ value: String) {
        remove(name)
        add(name, value)
    }

    /// Appends an obs-fold continuation to the last field's value, after one space.
    mutating func continueLast(_ text: String) {
        guard let last = fields.indices.last else { return }
        fields[last].value += " " + text
    }

    public mutating func remove(_ name: String) { fields.removeAll(where: { Self.same($0.name, name) }) }

    /// ASCII case-insensitive comparison (field names are tokens, so ASCII is enough).
    public static func same(_ a: String, _ b: String) -> Bool {
        let x = a.utf8, y = b.utf8
        guard x.count == y.count else { return false }
        for (p, q) in zip(x, y) where p != q {
            let lp = p >= 65 && p <= 90 ? p + 32 : p
            let lq = q >= 65 && q <= 90 ? q + 32 : q
            if lp != lq { return false }
        }
        return true
    }

    /// `Content-Length` (RFC 9112 6.3): nil when absent; an error when it is not a decimal
    /// number or when several values disagree.
    public func contentLength() throws(HTTPParseError) -> Int? {
        let values = all("Content-Length").flatMap { $0.split(separator: ",", omittingEmptySubsequences: false) }
        guard !values.isEmpty else { return nil }
        var length: Int?
        for v in values {
            let t = v.trimmingHTTPWhitespace()
            guard !t.isEmpty, t.utf8.count <= 18, t.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }), let n = Int(t) else {
                throw .badContentLength(String(v))
            }
            if let l = length, l != n { throw .badContentLength(values.joined(separator: ",")) }
            length = n
        }
        return length
    }

    /// True when the last transfer coding is `chunked`.
    public var isChunked: Bool {
        guard let last = all("Transfer-Encoding").flatMap({ $0.split(separator: ",") }).last else { return false }
        return last.trimmingHTTPWhitespace().lowercased() == "chunked"
    }

    public static func == (a: HTTPHeaders, b: HTTPHeaders) -> Bool {
        a.fields.count == b.fields.count && zip(a.fields, b.fields).allSatisfy { $0.name == $1.name && $0.value == $1.value }
    }
}

extension StringProtocol {
    /// Drops leading and trailing SP and HTAB (OWS).
    func trimmingHTTPWhitespace() -> String {
        let u = Array(utf8)
        var s = 0, e = u.count
        while s < e, u[s] == 32 || u[s] == 9 { s += 1 }
        while e > s, u[e - 1] == 32 || u[e - 1] == 9 { e -= 1 }
        return String(decoding: u[s..<e], as: UTF8.self)
    }
}
