import Foundation

/// The writer of a long-lived response (Server-Sent Events, a WebSocket): created by a handler,
/// returned in the response (`HTTPResponse.live`), then kept by the connection on the server's
/// event loop; no thread is held while it is open. Any thread may write to it at any time
/// (a hub thread fanning out events); a write never blocks. What is written before the
/// connection takes it is kept and sent first.
///
/// Bounded: at most `bufferLimit` bytes may wait to be sent; a write that would pass it drops
/// the client (the connection is closed, `write` returns false) rather than stall the writer.
/// When the connection goes (the client closed it, it was dropped, the server stops) the
/// writer is closed and the `onClose` handlers run once (on the thread that saw it).
public final class HTTPLiveWriter: @unchecked Sendable {
    public let bufferLimit: Int
    let lock = NSLock()
    var queued = 0
    var closed = false
    var ended = false
    var pending: [[UInt8]] = []
    var pendingEnd: LiveEnd?
    var chunked = false
    var push: (@Sendable ([UInt8]) -> Void)?
    var end: (@Sendable (LiveEnd) -> Void)?
    var closeHandlers: [@Sendable () -> Void] = []

    public init(bufferLimit: Int = 256 << 10) { self.bufferLimit = max(1024, bufferLimit) }

    /// True once the connection is gone (or the response was ended).
    public var isClosed: Bool { lock.lock(); defer { lock.unlock() }; return closed }

    /// Bytes waiting to be sent.
    public var queuedBytes: Int { lock.lock(); defer { lock.unlock() }; return queued }

    /// Queues `bytes` (one chunk). False when the connection is gone, or when the client has
    /// fallen so far behind that its buffer is full: then it is dropped.
    @discardableResult
    public func write(_ bytes: [UInt8]) -> Bool { enqueue(bytes, bypassLimit: false) }

    @discardableResult
    public func write(_ s: String) -> Bool { write(Array(s.utf8)) }

    /// Ends the response (the last chunk is sent, then the connection closes).
    public func finish() { endWith(.finish) }

    /// Runs `handler` once when the connection goes; at once when it is already gone.
    public func onClose(_ handler: @escaping @Sendable () -> Void) {
        lock.lock()
        if closed { lock.unlock(); handler(); return }
        closeHandlers.append(handler)
        lock.unlock()
    }

    // MARK: the server's side

    enum LiveEnd: Sendable { case finish, drop, webSocketClose }

    /// Writes without the buffer check (control frames: a pong, a close frame).
    @discardableResult
    func writeControl(_ bytes: [UInt8]) -> Bool { enqueue(bytes, bypassLimit: true) }

    func enqueue(_ bytes: [UInt8], bypassLimit: Bool) -> Bool {
        guard !bytes.isEmpty else { return !isClosed }
        lock.lock()
        if closed || ended { lock.unlock(); return false }
        let framed = chunked ? HTTPChunked.encode(bytes) : bytes
        let size = push == nil ? bytes.count : framed.count
        if !bypassLimit && queued + size > bufferLimit {
            // a client this far behind is dropped: the writer (a hub) never waits for it
            lock.unlock()
            endWith(.drop)
            return false
        }
        queued += size
        guard let push else { pending.append(bytes); lock.unlock(); return true }
        lock.unlock()
        push(framed)
        return true
    }

    func endWith(_ how: LiveEnd) {
        lock.lock()
        if closed || ended { lock.unlock(); return }
        ended = true
        guard let end else { pendingEnd = how; lock.unlock(); return }
        lock.unlock()
        end(how)
    }

    /// The connection takes the writer: what was written before is sent now.
    func attach(chunked: Bool, push: @escaping @Sendable ([UInt8]) -> Void, end: @escaping @Sendable (LiveEnd) -> Void) {
        lock.lock()
        self.chunked = chunked
        let early = pending
        pending = []
        queued = 0
        var out: [UInt8] = []
        for b in early { out += chunked ? HTTPChunked.encode(b) : b }
        queued = out.count
        self.push = push
        self.end = end
        let endNow = pendingEnd
        lock.unlock()
        if !out.isEmpty { push(out) }
        if let endNow { end(endNow) }
    }

    func sent(_ n: Int) {
        lock.lock(); queued = max(0, queued - n); lock.unlock()
    }

    /// The connection is gone: closed for writes, handlers run once.
    func connectionClosed() {
        lock.lock()
        if closed { lock.unlock(); return }
        closed = true
        let handlers = closeHandlers
        closeHandlers = []
        push = nil; end = nil; pending = []
        lock.unlock()
        for h in handlers { h() }
    }
}

extension HTTPResponse {
    /// A long-lived response (`text/event-stream`): the head now, then whatever is written to
    /// `writer` for as long as the connection lives (see HTTPLiveWriter).
    public static func live(contentType: String, _ writer: HTTPLiveWriter, headers: [(String, String)] = []) -> HTTPResponse {
        var h = HTTPHeaders([("Content-Type", contentType), ("Cache-Control", "no-store")])
        for (k, v) in headers { h.add(k, v) }
        return HTTPResponse(status: 200, headers: h, body: .live(writer))
    }
}
