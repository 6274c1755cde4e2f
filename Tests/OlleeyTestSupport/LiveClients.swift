import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A raw loopback connection that keeps what it has read: for long-lived responses (SSE) and
/// WebSockets, whose bytes arrive over time. Independent of the product's codecs (a test
/// client that reuses the code under test would agree with it by construction).
public final class LoopbackStream: @unchecked Sendable {
    public let fd: Int32
    public private(set) var buffer: [UInt8] = []
    public private(set) var closedByPeer = false

    public init(port: Int, timeout: Double = 5) throws {
        fd = try Loopback.connect(port: port, timeout: timeout)
    }

    var isOpen = true

    deinit { closeNow() }

    /// Closes the connection (once: a second close could close a descriptor that another test
    /// has opened since, with the same number).
    public func closeNow() {
        if isOpen { isOpen = false; close(fd) }
    }

    @discardableResult
    public func send(_ bytes: [UInt8]) -> Bool { Loopback.send(fd, bytes) }
    @discardableResult
    public func send(_ s: String) -> Bool { send(Array(s.utf8)) }

    public func setTimeout(_ t: Double) { Loopback.setTimeout(fd, t) }

    /// One read into the buffer; false on close or timeout.
    @discardableResult
    public func fill() -> Bool {
        var b = [UInt8](repeating: 0, count: 65536)
        let n = recv(fd, &b, b.count, 0)
        if n == 0 || (n < 0 && errno == ECONNRESET) { closedByPeer = true }
        if n <= 0 { return false }
        buffer += b[0..<n]
        return true
    }

    /// Takes the first `n` buffered bytes.
    public func take(_ n: Int) -> [UInt8] {
        let out = Array(buffer.prefix(n))
        buffer.removeFirst(min(n, buffer.count))
        return out
    }

    /// Reads until `marker` is buffered; returns the bytes up to and including it (nil on close
    /// or timeout).
    public func read(until marker: [UInt8]) -> [UInt8]? {
        while true {
            if let r = find(marker) { return take(r + marker.count) }
            if !fill() { return nil }
        }
    }

    public func read(count n: Int) -> [UInt8]? {
        while buffer.count < n { if !fill() { return nil } }
        return take(n)
    }

    func find(_ m: [UInt8]) -> Int? {
        guard buffer.count >= m.count, !m.isEmpty else { return nil }
        for i in 0...(buffer.count - m.count) where buffer[i] == m[0] && Array(buffer[i..<(i + m.count)]) == m { return i }
        return nil
    }

    /// True when the peer closes within the receive timeout (what arrives meanwhile is kept).
    public func waitForClose() -> Bool {
        while fill() {}
        return closedByPeer
    }

    /// The response head: status and header fields (names lowercased).
    public func readHead() -> (status: Int, headers: [String: String])? {
        guard let raw = read(until: [13, 10, 13, 10]) else { return nil }
        let lines = String(decoding: raw, as: UTF8.self).components(separatedBy: "\r\n").filter { !$0.isEmpty }
        guard let first = lines.first else { return nil }
        let parts = first.split(separator: " ")
        guard parts.count >= 2, let status = Int(parts[1]) else { return nil }
        var h: [String: String] = [:]
        for l in lines.dropFirst() {
            guard let c = l.firstIndex(of: ":") else { continue }
            h[l[..<c].lowercased()] = l[l.index(after: c)...].trimmingCharacters(in: .whitespaces)
        }
        return (status, h)
    }
}

/// A Server-Sent Events client over a chunked response: the events' fields, one event at a time.
public final class SSETestClient: @unchecked Sendable {
    public let stream: LoopbackStream
    public private(set) var status = 0
    public private(set) var headers: [String: String] = [:]
    var text: [UInt8] = []

    /// Sends `GET path` with `headers` and reads the response head.
    public init(port: Int, path: String, headers extra: [(String, String)] = [], timeout: Double = 5) throws {
        stream = try LoopbackStream(port: port, timeout: timeout)
        var req = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n"
        for (k, v) in extra { req += "\(k): \(v)\r\n" }
        req += "\r\n"
        stream.send(req)
        guard let head = stream.readHead() else { throw Loopback.Failure("no response head") }
        status = head.status; headers = head.headers
    }

    /// Decodes the chunks that have arrived; false when the stream ended or stalled.
    func pull() -> Bool {
        while true {
            guard let line = stream.read(until: [13, 10]) else { return false }
            let sizeText = String(decoding: line.dropLast(2), as: UTF8.self).split(separator: ";").first.map(String.init) ?? ""
            guard let size = Int(sizeText, radix: 16) else { return false }
            if size == 0 { return false }
            guard let data = stream.read(count: size + 2) else { return false }
            text += data.prefix(size)
            return true
        }
    }

    /// The next event block (its lines; comments included, as `: ping`), or nil when none
    /// arrives within the timeout.
    public func next() -> [String]? {
        while true {
            if let r = text.indices.dropLast().first(where: { text[$0] == 10 && text[$0 + 1] == 10 }) {
                let block = String(decoding: text[0..<r], as: UTF8.self)
                text.removeFirst(r + 2)
                return block.components(separatedBy: "\n")
            }
            if !pull() { return nil }
        }
    }

    /// The next event with a `data:` line: its id and its data parsed as JSON (comments and
    /// `retry:` blocks skipped).
    public func nextEvent() -> (id: String?, json: [String: Any])? {
        while let block = next() {
            guard let data = block.first(where: { $0.hasPrefix("data: ") }) else { continue }
            let id = block.first(where: { $0.hasPrefix("id: ") }).map { String($0.dropFirst(4)) }
            let json = (try? JSONSerialization.jsonObject(with: Data(data.dropFirst(6).utf8))) as? [String: Any] ?? [:]
            return (id, json)
        }
        return nil
    }
}

/// A WebSocket client: the handshake, masked frames out, frames in. Its own small codec (RFC
/// 6455 section 5), not the server's.
public final class WebSocketTestClient: @unchecked Sendable {
    public let stream: LoopbackStream
    public private(set) var status = 0
    public private(set) var headers: [String: String] = [:]
    public let key = "dGhlIHNhbXBsZSBub25jZQ=="

    public init(port: Int, path: String, headers extra: [(String, String)] = [], timeout: Double = 5) throws {
        stream = try LoopbackStream(port: port, timeout: timeout)
        var req = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        req += "Sec-WebSocket-Key: \(key)\r\nSec-WebSocket-Version: 13\r\n"
        for (k, v) in extra { req += "\(k): \(v)\r\n" }
        req += "\r\n"
        stream.send(req)
        guard let head = stream.readHead() else { throw Loopback.Failure("no response head") }
        status = head.status; headers = head.headers
    }

    /// A frame's bytes: `masked` with a fixed key unless false (a broken client).
    public static func frame(opcode: UInt8, _ payload: [UInt8], fin: Bool = true, masked: Bool = true) -> [UInt8] {
        var out: [UInt8] = [(fin ? 0x80 : 0) | opcode]
        let m: UInt8 = masked ? 0x80 : 0
        if payload.count < 126 { out.append(m | UInt8(payload.count)) } else if payload.count < 65536 {
            out += [m | 126, UInt8(payload.count >> 8), UInt8(payload.count & 255)]
        } else {
            out.append(m | 127)
            for i in (0..<8).reversed() { out.append(UInt8((payload.count >> (8 * i)) & 255)) }
        }
        if masked {
            let key: [UInt8] = [0x37, 0xfa, 0x21, 0x3d]
            out += key
            for (i, b) in payload.enumerated() { out.append(b ^ key[i % 4]) }
        } else {
            out += payload
        }
        return out
    }

    @discardableResult
    public func send(opcode: UInt8, _ payload: [UInt8], fin: Bool = true, masked: Bool = true) -> Bool {
        stream.send(Self.frame(opcode: opcode, payload, fin: fin, masked: masked))
    }

    @discardableResult
    public func sendText(_ s: String) -> Bool { send(opcode: 1, Array(s.utf8)) }

    /// The next frame from the server (unmasked, as a server's must be); nil on close/timeout.
    public func nextFrame() -> (fin: Bool, opcode: UInt8, masked: Bool, payload: [UInt8])? {
        guard let h = stream.read(count: 2) else { return nil }
        var len = Int(h[1] & 0x7F)
        if len == 126 { guard let e = stream.read(count: 2) else { return nil }; len = Int(e[0]) << 8 | Int(e[1]) } else if len == 127 {
            guard let e = stream.read(count: 8) else { return nil }
            len = e.reduce(0) { $0 << 8 | Int($1) }
        }
        let masked = h[1] & 0x80 != 0
        var key: [UInt8] = []
        if masked { guard let k = stream.read(count: 4) else { return nil }; key = k }
        guard var p = stream.read(count: len) else { return nil }
        if masked { for i in p.indices { p[i] ^= key[i % 4] } }
        return (h[0] & 0x80 != 0, h[0] & 0x0F, masked, p)
    }

    /// The next text message's JSON, skipping `{"type":"ping"}` unless `pings`.
    public func nextJSON(pings: Bool = false) -> [String: Any]? {
        while let f = nextFrame() {
            guard f.opcode == 1 else { continue }
            let j = (try? JSONSerialization.jsonObject(with: Data(f.payload))) as? [String: Any] ?? [:]
            if !pings && j["type"] as? String == "ping" { continue }
            return j
        }
        return nil
    }

    /// The close code of a close frame's payload.
    public static func closeCode(_ payload: [UInt8]) -> Int? { payload.count >= 2 ? Int(payload[0]) << 8 | Int(payload[1]) : nil }
}
