/// What is wrong with an HTTP/1.1 message. A server answers 400 (or 431 for
/// `headTooLarge`/`tooManyFields`); a client gives up on the exchange.
public enum HTTPParseError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The request line or status line is not HTTP/1.x.
    case badStartLine(String)
    /// A field line without a colon, with an empty or invalid name, or with whitespace before the colon.
    case badField(String)
    /// A field line that starts with whitespace (obsolete line folding) where it is not accepted.
    case obsFold
    /// The head (start line and fields) is longer than the limit.
    case headTooLarge(limit: Int)
    /// More header fields than the limit.
    case tooManyFields(limit: Int)
    /// One line longer than the limit.
    case lineTooLong(limit: Int)
    case badContentLength(String)
    case badChunkSize(String)
    /// A chunk not followed by CRLF.
    case badChunkFraming
    /// The peer closed the connection inside the head.
    case closedInHead
    /// The peer closed the connection before the end of the body.
    case closedInBody

    public var description: String {
        switch self {
        case .badStartLine(let l): return "not an HTTP/1.x start line: '\(String(l.prefix(80)))'"
        case .badField(let l): return "malformed header field: '\(String(l.prefix(80)))'"
        case .obsFold: return "folded header field (obs-fold)"
        case .headTooLarge(let n): return "header section larger than \(n) bytes"
        case .tooManyFields(let n): return "more than \(n) header fields"
        case .lineTooLong(let n): return "a line longer than \(n) bytes"
        case .badContentLength(let v): return "bad Content-Length '\(v)'"
        case .badChunkSize(let v): return "bad chunk size '\(String(v.prefix(40)))'"
        case .badChunkFraming: return "bad chunk framing"
        case .closedInHead: return "connection closed inside the header section"
        case .closedInBody: return "connection closed before the end of the body"
        }
    }
}
