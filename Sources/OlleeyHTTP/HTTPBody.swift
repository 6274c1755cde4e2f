/// Where a body goes as it is read.
public protocol HTTPBodySink {
    mutating func write(_ bytes: UnsafeRawBufferPointer) throws
    /// Set once the sink refused bytes over its limit; reading stops.
    var overflowed: Bool { get }
    mutating func markOverflow()
}

/// A body held in memory, up to `limit` bytes.
public struct HTTPMemorySink: HTTPBodySink {
    public var bytes: [UInt8] = []
    public let limit: Int
    public private(set) var overflowed = false

    public init(limit: Int = .max) { self.limit = limit }

    public mutating func write(_ b: UnsafeRawBufferPointer) throws {
        if bytes.count + b.count > limit { overflowed = true; return }
        bytes.append(contentsOf: b)
    }

    public mutating func markOverflow() { overflowed = true }
}

/// How a message's body is delimited (RFC 9112 6.3).
public enum HTTPBodyFraming: Sendable, Equatable {
    case none
    case length(Int)
    case chunked
    /// Until the connection closes (responses only).
    case untilClose

    /// A response's body: none for HEAD, 1xx, 204 and 304; else chunked, Content-Length, or
    /// until close.
    public static func of(_ head: HTTPResponseHead, requestMethod: String) throws(HTTPParseError) -> HTTPBodyFraming {
        if requestMethod == "HEAD" || head.status == 204 || head.status == 304 || head.status < 200 { return .none }
        if head.headers.isChunked { return .chunked }
        if let n = try head.headers.contentLength() { return .length(n) }
        return .untilClose
    }

    /// A request's body: chunked, Content-Length, or none. Transfer-Encoding that does not end
    /// in chunked cannot be delimited, and both framings at once are refused (request smuggling).
    public static func of(_ head: HTTPRequestHead) throws(HTTPParseError) -> HTTPBodyFraming {
        if head.headers.contains("Transfer-Encoding") {
            guard head.headers.isChunked, !head.headers.contains("Content-Length") else {
                throw .badField("Transfer-Encoding: \(head.headers.all("Transfer-Encoding").joined(separator: ", "))")
            }
            return .chunked
        }
        if let n = try head.headers.contentLength() { return n == 0 ? .none : .length(n) }
        return .none
    }
}

/// Chunked transfer coding (RFC 9112 7.1).
public enum HTTPChunked {
    /// One chunk: size in hex, CRLF, data, CRLF. Empty input gives no bytes (an empty chunk
    /// would end the body).
    public static func encode(_ data: [UInt8]) -> [UInt8] {
        guard !data.isEmpty else { return [] }
        return Array(String(data.count, radix: 16).utf8) + [13, 10] + data + [13, 10]
    }

    /// The last chunk and an empty trailer section.
    public static let end: [UInt8] = Array("0\r\n\r\n".utf8)

    /// A whole body as chunks of at most `chunkSize` bytes, then the last chunk.
    public static func encode(body: [UInt8], chunkSize: Int = 16 << 10) -> [UInt8] {
        var out: [UInt8] = []
        var i = 0
        while i < body.count {
            let j = min(body.count, i + max(1, chunkSize))
            out += encode(Array(body[i..<j]))
            i = j
        }
        return out + end
    }

    /// The size of a chunk-size line (`1a`, `1a;ext=v`): hex digits only, at most 15 of them
    /// (no sign, no `0x`, no overflow).
    public static func size(_ line: String) throws(HTTPParseError) -> Int {
        let digits = line.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false).first.map { $0.trimmingHTTPWhitespace() } ?? ""
        guard !digits.isEmpty, digits.utf8.count <= 15,
              digits.utf8.allSatisfy({ ($0 >= 48 && $0 <= 57) || ($0 >= 65 && $0 <= 70) || ($0 >= 97 && $0 <= 102) }),
              let n = Int(digits, radix: 16) else { throw .badChunkSize(line) }
        return n
    }

    /// Decodes a complete chunked body held in memory.
    public static func decode(_ bytes: [UInt8], options: HTTPParseOptions = .server) throws -> [UInt8] {
        var reader = HTTPMessageReader(HTTPBytesSource(bytes), options: options)
        var sink = HTTPMemorySink()
        try reader.readBody(.chunked, into: &sink)
        return sink.bytes
    }
}
