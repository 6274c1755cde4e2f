/// Bytes from a connection: `read` returns 0 at end of stream.
public protocol HTTPByteSource {
    mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int
}

/// Bytes held in memory, handed out at most `piece` at a time (to exercise partial reads).
public struct HTTPBytesSource: HTTPByteSource {
    public let bytes: [UInt8]
    public var offset = 0
    public let piece: Int

    public init(_ bytes: [UInt8], piece: Int = .max) { self.bytes = bytes; self.piece = max(1, piece) }
    public init(_ text: String, piece: Int = .max) { self.init(Array(text.utf8), piece: piece) }

    public mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let n = min(buffer.count, bytes.count - offset, piece)
        guard n > 0 else { return 0 }
        guard let dst = buffer.baseAddress else { return 0 }
        let from = offset
        bytes.withUnsafeBytes { src in
            if let base = src.baseAddress { dst.copyMemory(from: base + from, byteCount: n) }
        }
        offset += n
        return n
    }
}

/// Reads HTTP/1.1 messages from a byte source: lines, heads, and bodies by their framing.
/// Bytes read past the current message stay buffered for the next one (pipelining).
public struct HTTPMessageReader<Source: HTTPByteSource> {
    public var source: Source
    public let options: HTTPParseOptions
    var buf = [UInt8](repeating: 0, count: 65536)
    var start = 0
    var end = 0

    public init(_ source: Source, options: HTTPParseOptions) {
        self.source = source
        self.options = options
    }

    /// Bytes buffered and not yet consumed.
    public var buffered: Int { end - start }

    mutating func fill() throws -> Bool {
        if start > 0 && start == end { start = 0; end = 0 }
        if end == buf.count {
            if start > 0 { buf.replaceSubrange(0..<(end - start), with: buf[start..<end]); end -= start; start = 0 } else { buf += [UInt8](repeating: 0, count: buf.count) }
        }
        let e = end
        let n = try buf.withUnsafeMutableBytes { try source.read(into: UnsafeMutableRawBufferPointer(rebasing: $0[e...])) }
        end += n
        return n > 0
    }

    /// One CRLF- (or LF-) terminated line, without the terminator; `eof` is thrown when the
    /// stream ends first.
    public mutating func line(eof: HTTPParseError = .closedInHead) throws -> String {
        while true {
            if let nl = buf[start..<end].firstIndex(of: 10) {
                var lineEnd = nl
                if lineEnd > start, buf[lineEnd - 1] == 13 { lineEnd -= 1 }
                guard lineEnd - start <= options.maxLineBytes else { throw HTTPParseError.lineTooLong(limit: options.maxLineBytes) }
                let s = String(decoding: buf[start..<lineEnd], as: UTF8.self)
                start = nl + 1
                return s
            }
            if end - start > options.maxLineBytes { throw HTTPParseError.lineTooLong(limit: options.maxLineBytes) }
            guard try fill() else { throw eof }
        }
    }

    /// Field lines up to the empty line; `used` is what the start line took of the head limit.
    mutating func fields(used: Int) throws -> HTTPHeaders {
        var headers = HTTPHeaders()
        var size = used
        while true {
            let l = try line()
            if l.isEmpty { return headers }
            size += l.utf8.count + 2
            if size > options.maxHeadBytes { throw HTTPParseError.headTooLarge(limit: options.maxHeadBytes) }
            if l.hasPrefix(" ") || l.hasPrefix("\t") {
                // obs-fold: a continuation of the previous field
                if options.strict { throw HTTPParseError.obsFold }
                headers.continueLast(l.trimmingHTTPWhitespace())
                continue
            }
            guard let f = try HTTPSyntax.parseField(l, strict: options.strict) else { continue }
            if headers.count >= options.maxFields { throw HTTPParseError.tooManyFields(limit: options.maxFields) }
            headers.add(f.0, f.1)
        }
    }

    /// The next request head, or nil when the stream ends cleanly before one starts. Empty
    /// lines before the request line are skipped (RFC 9112 2.2).
    public mutating func readRequestHead() throws -> HTTPRequestHead? {
        var l = ""
        repeat {
            if start == end, try !fill() { return nil }
            l = try line()
        } while l.isEmpty
        let (method, target, version) = try HTTPRequestHead.parseStartLine(l)
        return HTTPRequestHead(method: method, target: target, version: version, headers: try fields(used: l.utf8.count + 2))
    }

    /// The next final response head; interim (1xx) responses are read and skipped.
    public mutating func readResponseHead() throws -> HTTPResponseHead {
        while true {
            let l = try line()
            let (version, status, reason) = try HTTPResponseHead.parseStartLine(l)
            let head = HTTPResponseHead(status: status, reason: reason, version: version, headers: try fields(used: l.utf8.count + 2))
            if head.isInterim { continue }
            return head
        }
    }

    /// Reads a body delimited by `framing` into `sink`, stopping early if the sink overflows.
    public mutating func readBody<S: HTTPBodySink>(_ framing: HTTPBodyFraming, into sink: inout S) throws {
        switch framing {
        case .none: return
        case .length(let n): try copy(count: n, into: &sink)
        case .untilClose: try copyToEnd(into: &sink)
        case .chunked:
            while true {
                let size = try HTTPChunked.size(try line(eof: .closedInBody))
                if size == 0 {
                    var trailer = 0
                    while true {
                        let t = try line(eof: .closedInBody)
                        if t.isEmpty { break }
                        trailer += t.utf8.count + 2
                        if trailer > options.maxHeadBytes { throw HTTPParseError.headTooLarge(limit: options.maxHeadBytes) }
                    }
                    return
                }
                try copy(count: size, into: &sink)
                if sink.overflowed { return }
                guard try line(eof: .closedInBody).isEmpty else { throw HTTPParseError.badChunkFraming }
            }
        }
    }

    mutating func copy<S: HTTPBodySink>(count: Int, into sink: inout S) throws {
        var left = count
        while left > 0 {
            if start == end { guard try fill() else { throw HTTPParseError.closedInBody } }
            let take = min(left, end - start)
            let s = start
            try buf.withUnsafeBytes { try sink.write(UnsafeRawBufferPointer(rebasing: $0[s..<(s + take)])) }
            start += take
            left -= take
            if sink.overflowed { return }
        }
    }

    mutating func copyToEnd<S: HTTPBodySink>(into sink: inout S) throws {
        while true {
            if start < end {
                let s = start, e = end
                try buf.withUnsafeBytes { try sink.write(UnsafeRawBufferPointer(rebasing: $0[s..<e])) }
                start = end
                if sink.overflowed { return }
            }
            guard try fill() else { return }
        }
    }
}
