import COpenSSL
import Foundation

/// WebSocket close status codes (RFC 6455 section 7.4.1).
public enum WebSocketClose {
    public static let normal: UInt16 = 1000
    public static let goingAway: UInt16 = 1001
    public static let protocolError: UInt16 = 1002
    public static let unsupportedData: UInt16 = 1003
    public static let invalidData: UInt16 = 1007
    public static let policyViolation: UInt16 = 1008
    public static let messageTooBig: UInt16 = 1009
    public static let internalError: UInt16 = 1011

    /// Whether a peer may send `code` in a close frame (section 7.4: 1000-1003, 1007-1011,
    /// 3000-4999; 1004-1006 and 1015 are never sent).
    public static func isValidOnWire(_ code: UInt16) -> Bool {
        switch code {
        case 1000...1003, 1007...1011, 3000...4999: return true
        default: return false
        }
    }
}

/// One WebSocket frame (RFC 6455 section 5.2).
public struct WebSocketFrame: Equatable, Sendable {
    public enum Opcode: UInt8, Sendable {
        case continuation = 0, text = 1, binary = 2, close = 8, ping = 9, pong = 10
        public var isControl: Bool { rawValue >= 8 }
    }

    public var fin: Bool
    public var rsv: UInt8
    public var opcode: UInt8
    public var masked: Bool
    /// Unmasked.
    public var payload: [UInt8]

    public init(fin: Bool = true, rsv: UInt8 = 0, opcode: UInt8, masked: Bool = false, payload: [UInt8]) {
        self.fin = fin; self.rsv = rsv; self.opcode = opcode; self.masked = masked; self.payload = payload
    }

    /// The bytes of a frame; masked with `mask` (4 bytes) when given (a client's frames).
    public static func encode(_ opcode: Opcode, _ payload: [UInt8], fin: Bool = true, mask: [UInt8]? = nil) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(payload.count + 14)
        out.append((fin ? 0x80 : 0) | opcode.rawValue)
        let m: UInt8 = mask == nil ? 0 : 0x80
        let n = payload.count
        if n < 126 {
            out.append(m | UInt8(n))
        } else if n <= 0xFFFF {
            out.append(m | 126); out.append(UInt8(n >> 8)); out.append(UInt8(n & 0xFF))
        } else {
            out.append(m | 127)
            for i in stride(from: 56, through: 0, by: -8) { out.append(UInt8((UInt64(n) >> UInt64(i)) & 0xFF)) }
        }
        if let mask, mask.count == 4 {
            out += mask
            for i in 0..<n { out.append(payload[i] ^ mask[i & 3]) }
        } else {
            out += payload
        }
        return out
    }

    /// A close frame's payload: the code (big-endian) and a UTF-8 reason (cut to fit 125 bytes).
    public static func closePayload(_ code: UInt16, _ reason: String = "") -> [UInt8] {
        var r = Array(reason.utf8.prefix(123))
        while String(validating: r, as: UTF8.self) == nil { r.removeLast() }
        return [UInt8(code >> 8), UInt8(code & 0xFF)] + r
    }

    public enum Parsed: Equatable, Sendable {
        case frame(WebSocketFrame, consumed: Int)
        case incomplete
        /// The close code to fail the connection with, and why.
        case error(UInt16, String)
    }

    /// Parses one frame from the start of `bytes`. A payload longer than `maxPayload` is an
    /// error (1009) as soon as its length is read.
    public static func parse(_ bytes: ArraySlice<UInt8>, maxPayload: Int) -> Parsed {
        let s = bytes.startIndex
        guard bytes.count >= 2 else { return .incomplete }
        let b0 = bytes[s], b1 = bytes[s + 1]
        let fin = b0 & 0x80 != 0
        let rsv = (b0 >> 4) & 0x7
        let opcode = b0 & 0x0F
        let masked = b1 & 0x80 != 0
        var len = UInt64(b1 & 0x7F)
        var off = 2
        if len == 126 {
            guard bytes.count >= 4 else { return .incomplete }
            len = UInt64(bytes[s + 2]) << 8 | UInt64(bytes[s + 3])
            off = 4
            if len < 126 { return .error(WebSocketClose.protocolError, "length not in its shortest form") }
        } else if len == 127 {
            guard bytes.count >= 10 else { return .incomplete }
            len = 0
            for i in 0..<8 { len = len << 8 | UInt64(bytes[s + 2 + i]) }
            off = 10
            if len >> 63 != 0 { return .error(WebSocketClose.protocolError, "length with its high bit set") }
            if len <= 0xFFFF { return .error(WebSocketClose.protocolError, "length not in its shortest form") }
        }
        if opcode >= 8 {
            if !fin { return .error(WebSocketClose.protocolError, "fragmented control frame") }
            if len > 125 { return .error(WebSocketClose.protocolError, "control frame longer than 125 bytes") }
        }
        if len > UInt64(maxPayload) { return .error(WebSocketClose.messageTooBig, "message larger than \(maxPayload) bytes") }
        var mask: (UInt8, UInt8, UInt8, UInt8)?
        if masked {
            guard bytes.count >= off + 4 else { return .incomplete }
            mask = (bytes[s + off], bytes[s + off + 1], bytes[s + off + 2], bytes[s + off + 3])
            off += 4
        }
        let n = Int(len)
        guard bytes.count >= off + n else { return .incomplete }
        var payload = Array(bytes[(s + off)..<(s + off + n)])
        if let (m0, m1, m2, m3) = mask {
            let m = [m0, m1, m2, m3]
            for i in 0..<n { payload[i] ^= m[i & 3] }
        }
        return .frame(WebSocketFrame(fin: fin, rsv: rsv, opcode: opcode, masked: masked, payload: payload), consumed: off + n)
    }
}

/// A message or control event read from a WebSocket.
public enum WebSocketMessage: Equatable, Sendable {
    case text(String)
    case binary([UInt8])
}

/// The server's side of a WebSocket's input: frames in, messages and control events out.
/// Client frames must be masked (1002 otherwise); fragmented messages are reassembled; a
/// message over `maxMessageBytes` is 1009; a text message that is not UTF-8 is 1007. After an
/// error or a close it reads nothing more.
public struct WebSocketReader: Sendable {
    public enum Event: Equatable, Sendable {
        case message(WebSocketMessage)
        case ping([UInt8])
        case pong([UInt8])
        /// The peer's close: its code (nil when it sent none) and reason.
        case close(UInt16?, String)
        /// Fail the connection with this close code.
        case fail(UInt16, String)
    }

    public let maxMessageBytes: Int
    public let requireMask: Bool
    var buffer: [UInt8] = []
    var start = 0
    var fragments: [UInt8] = []
    var fragmentOpcode: UInt8?
    public private(set) var done = false

    public init(maxMessageBytes: Int = 64 << 10, requireMask: Bool = true) {
        self.maxMessageBytes = maxMessageBytes; self.requireMask = requireMask
    }

    /// Feeds bytes as they arrive; returns what they complete.
    public mutating func read(_ bytes: [UInt8]) -> [Event] {
        if done { return [] }
        buffer += bytes
        var events: [Event] = []
        while !done {
            let parsed = WebSocketFrame.parse(buffer[start...], maxPayload: maxMessageBytes - (fragmentOpcode == nil ? 0 : fragments.count))
            switch parsed {
            case .incomplete:
                compact()
                return events
            case let .error(code, why):
                done = true
                // a fragment's limit is what is left of the message's
                events.append(.fail(code, code == WebSocketClose.messageTooBig ? "message larger than \(maxMessageBytes) bytes" : why))
            case let .frame(f, consumed):
                start += consumed
                if let e = handle(f) { events.append(e) }
            }
        }
        return events
    }

    mutating func compact() {
        if start >= buffer.count { buffer.removeAll(keepingCapacity: buffer.capacity < 1 << 20); start = 0 } else if start > 64 << 10 {
            buffer.removeSubrange(0..<start); start = 0
        }
    }

    mutating func fail(_ code: UInt16, _ why: String) -> Event { done = true; return .fail(code, why) }

    mutating func handle(_ f: WebSocketFrame) -> Event? {
        if requireMask && !f.masked { return fail(WebSocketClose.protocolError, "client frames must be masked") }
        if f.rsv != 0 { return fail(WebSocketClose.protocolError, "reserved bits set without an extension") }
        guard let op = WebSocketFrame.Opcode(rawValue: f.opcode) else { return fail(WebSocketClose.protocolError, "unknown opcode \(f.opcode)") }
        switch op {
        case .ping: return .ping(f.payload)
        case .pong: return .pong(f.payload)
        case .close:
            done = true
            if f.payload.isEmpty { return .close(nil, "") }
            if f.payload.count == 1 { return .fail(WebSocketClose.protocolError, "close payload of one byte") }
            let code = UInt16(f.payload[0]) << 8 | UInt16(f.payload[1])
            guard WebSocketClose.isValidOnWire(code) else { return .fail(WebSocketClose.protocolError, "invalid close code \(code)") }
            guard let reason = String(validating: f.payload[2...], as: UTF8.self) else { return .fail(WebSocketClose.invalidData, "close reason not UTF-8") }
            return .close(code, reason)
        case .text, .binary:
            if fragmentOpcode != nil { return fail(WebSocketClose.protocolError, "a new message inside a fragmented one") }
            if f.fin { return message(op.rawValue, f.payload) }
            fragmentOpcode = op.rawValue
            fragments = f.payload
            return nil
        case .continuation:
            guard let first = fragmentOpcode else { return fail(WebSocketClose.protocolError, "continuation without a message") }
            fragments += f.payload
            if fragments.count > maxMessageBytes { return fail(WebSocketClose.messageTooBig, "message larger than \(maxMessageBytes) bytes") }
            guard f.fin else { return nil }
            let whole = fragments
            fragments = []; fragmentOpcode = nil
            return message(first, whole)
        }
    }

    mutating func message(_ opcode: UInt8, _ payload: [UInt8]) -> Event {
        if opcode == WebSocketFrame.Opcode.binary.rawValue { return .message(.binary(payload)) }
        guard let s = String(validating: payload, as: UTF8.self) else { return fail(WebSocketClose.invalidData, "text message not UTF-8") }
        return .message(.text(s))
    }
}

/// A WebSocket connection as a handler sees it: send from any thread; messages from the client
/// arrive on `onMessage` (run on the server's loop thread: keep it short). Created by a
/// handler, which answers with `WebSocket.upgrade(request, socket)`; the upgraded connection
/// lives in the server's event loop, not on a thread. The server answers pings with pongs and
/// completes the close handshake itself.
public final class WebSocket: @unchecked Sendable {
    public static let guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
    public let maxMessageBytes: Int
    let writer: HTTPLiveWriter
    let lock = NSLock()
    var messageHandler: (@Sendable (WebSocketMessage) -> Void)?
    var closeSent = false
    var peerCode: UInt16?

    /// `bufferLimit`: bytes that may wait to be sent before a slow client is dropped.
    public init(maxMessageBytes: Int = 64 << 10, bufferLimit: Int = 256 << 10) {
        self.maxMessageBytes = maxMessageBytes
        self.writer = HTTPLiveWriter(bufferLimit: bufferLimit)
    }

    public var isClosed: Bool { writer.isClosed }

    /// The close code the client sent (nil before, or when it sent none).
    public var peerCloseCode: UInt16? { lock.lock(); defer { lock.unlock() }; return peerCode }

    public func onMessage(_ handler: @escaping @Sendable (WebSocketMessage) -> Void) {
        lock.lock(); messageHandler = handler; lock.unlock()
    }

    /// Runs once when the connection goes.
    public func onClose(_ handler: @escaping @Sendable () -> Void) { writer.onClose(handler) }

    @discardableResult
    public func send(text: String) -> Bool { sendFrame(.text, Array(text.utf8)) }

    @discardableResult
    public func send(binary: [UInt8]) -> Bool { sendFrame(.binary, binary) }

    @discardableResult
    public func ping(_ payload: [UInt8] = []) -> Bool { sendFrame(.ping, Array(payload.prefix(125))) }

    func sendFrame(_ op: WebSocketFrame.Opcode, _ payload: [UInt8]) -> Bool {
        lock.lock(); let sent = closeSent; lock.unlock()
        if sent { return false }
        return writer.write(WebSocketFrame.encode(op, payload))
    }

    /// Starts the close handshake with `code`; the connection closes once it is sent.
    public func close(_ code: UInt16 = WebSocketClose.normal, reason: String = "") { close(code, reason: reason, answering: false) }

    /// `answering`: this close answers the peer's, so the handshake is complete and the
    /// connection closes once it is sent; else the server waits (briefly) for the peer's.
    func close(_ code: UInt16, reason: String, answering: Bool) {
        lock.lock()
        if closeSent { lock.unlock(); return }
        closeSent = true
        lock.unlock()
        writer.writeControl(WebSocketFrame.encode(.close, WebSocketFrame.closePayload(code, reason)))
        writer.endWith(answering ? .finish : .webSocketClose)
    }

    // the loop's side

    func received(_ event: WebSocketReader.Event) {
        switch event {
        case let .message(m):
            lock.lock(); let h = messageHandler; lock.unlock()
            h?(m)
        case let .ping(p):
            lock.lock(); let sent = closeSent; lock.unlock()
            if !sent { writer.writeControl(WebSocketFrame.encode(.pong, p)) }
        case .pong:
            break
        case let .close(code, _):
            lock.lock(); peerCode = code; lock.unlock()
            // echo the peer's code (1000 when it sent none), then close
            close(code ?? WebSocketClose.normal, reason: "", answering: true)
        case let .fail(code, why):
            close(code, reason: why)
        }
    }

    /// `Sec-WebSocket-Accept` for a `Sec-WebSocket-Key`: base64(SHA-1(key + GUID)).
    public static func acceptValue(key: String) -> String {
        let input = Array((key + guid).utf8)
        var digest = [UInt8](repeating: 0, count: Int(SHA_DIGEST_LENGTH))
        _ = SHA1(input, input.count, &digest)
        return Data(digest).base64EncodedString()
    }

    /// The 101 answer to a WebSocket handshake (RFC 6455 section 4.2), or 400 (426 for another
    /// version) when `request` is not one.
    public static func upgrade(_ request: HTTPRequest, _ socket: WebSocket) throws(HTTPError) -> HTTPResponse {
        guard request.method == "GET" else { throw HTTPError(405, "a WebSocket handshake is a GET", code: "method_not_allowed") }
        func tokens(_ name: String) -> [String] {
            request.headers.all(name).flatMap { $0.split(separator: ",") }.map { $0.trimmingHTTPWhitespace().lowercased() }
        }
        guard tokens("Upgrade").contains("websocket"), tokens("Connection").contains("upgrade") else {
            throw HTTPError(426, "this route is a WebSocket: send Upgrade: websocket", code: "upgrade_required",
                            headers: HTTPHeaders([("Upgrade", "websocket"), ("Sec-WebSocket-Version", "13")]))
        }
        guard request.headers["Sec-WebSocket-Version"]?.trimmingHTTPWhitespace() == "13" else {
            throw HTTPError(426, "WebSocket version 13 only", code: "upgrade_required", headers: HTTPHeaders([("Sec-WebSocket-Version", "13")]))
        }
        guard let key = request.headers["Sec-WebSocket-Key"]?.trimmingHTTPWhitespace(), let raw = Data(base64Encoded: key), raw.count == 16 else {
            throw HTTPError(400, "Sec-WebSocket-Key must be 16 bytes in base64", code: "bad_request")
        }
        let h = HTTPHeaders([("Upgrade", "websocket"), ("Sec-WebSocket-Accept", acceptValue(key: key))])
        return HTTPResponse(status: 101, headers: h, body: .webSocket(socket))
    }
}
