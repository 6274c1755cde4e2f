import CLinuxIO
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Limits and timeouts of an `HTTPServer` (tests use short ones).
public struct ServerConfiguration: Sendable {
    public var host: String = "127.0.0.1"
    /// 0 picks a free port (see `HTTPServer.port`).
    public var port: Int = 8000
    /// Threads that run handlers which may block (SQLite, files).
    public var poolThreads: Int = 8
    /// The whole request head must arrive within this many seconds of its first byte, and a body
    /// may not pause longer than this (408 otherwise).
    public var readTimeout: Double = 10
    /// A keep-alive connection with no request is closed after this many seconds.
    public var idleTimeout: Double = 60
    /// A client that reads nothing of its response for this long is dropped.
    public var writeTimeout: Double = 30
    public var maxConnections: Int = 10_000
    public var maxHeadBytes: Int = 32 << 10
    public var maxHeaderFields: Int = 100
    /// Buffered (JSON) request bodies (413 over it).
    public var maxBodyBytes: Int = 2 << 20
    /// The default limit of routes that stream their body to a file.
    public var maxUploadBytes: Int = 2 << 30
    public var uploadDirectory: String = NSTemporaryDirectory()
    /// How long a graceful stop waits for requests in flight.
    public var shutdownTimeout: Double = 10
    /// How long a 4xx that closes the connection keeps reading (and discarding) what the client
    /// still sends, so that the client reads the response rather than a reset.
    public var lingerTimeout: Double = 2
    /// Bytes a streaming handler may have waiting to be sent before its `write` blocks.
    public var streamBufferBytes: Int = 1 << 20
    public var listenBacklog: Int32 = 1024

    public init() {}
}

/// What went wrong starting a server.
public struct HTTPServerError: Error, CustomStringConvertible, Sendable {
    public let description: String
}

/// An HTTP/1.1 server on POSIX sockets: one epoll event loop thread owns every connection
/// (accept, read, parse, write, timeouts), and a bounded pool of threads runs the handlers that
/// may block; a route marked `.loop` runs on the loop itself.
public final class HTTPServer: @unchecked Sendable {
    public let configuration: ServerConfiguration
    public let router: HTTPRouter
    public let metrics: HTTPMetrics
    let log: HTTPLogSink

    var listenFd: Int32 = -1
    var epfd: Int32 = -1
    var wakeRead: Int32 = -1
    var wakeWrite: Int32 = -1
    public private(set) var port: Int = 0

    var conns: [Connection?] = []
    var openCount = 0
    var pool: WorkerPool?
    let mailboxLock = NSLock()
    var mailbox: [Completion] = []
    var stopRequested = false
    var stopping = false
    var stopDeadline: UInt64 = 0
    let doneLock = NSCondition()
    var done = false
    var scratch: UnsafeMutableRawPointer
    let scratchSize = 64 << 10
    var acceptPausedUntil: UInt64 = 0
    var dateSecond = -1
    var dateLine: [UInt8] = []

    public init(configuration: ServerConfiguration, router: HTTPRouter, metrics: HTTPMetrics = HTTPMetrics(), log: HTTPLogSink = .stderr) {
        self.configuration = configuration
        self.router = router
        self.metrics = metrics
        self.log = log
        self.scratch = UnsafeMutableRawPointer.allocate(byteCount: 64 << 10, alignment: 16)
    }

    deinit { scratch.deallocate() }

    /// Binds, listens and starts the loop and the pool; returns the bound port.
    @discardableResult
    public func start() throws -> Int {
        signal(SIGPIPE, SIG_IGN)
        Self.raiseDescriptorLimit(to: UInt64(configuration.maxConnections) + 256)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(configuration.port).bigEndian)
        let host = configuration.host == "localhost" ? "127.0.0.1" : configuration.host
        guard inet_pton(AF_INET, host, &addr.sin_addr) == 1 else {
            throw HTTPServerError(description: "not an IPv4 address: \(configuration.host)")
        }
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw HTTPServerError(description: "socket: \(String(cString: strerror(errno)))") }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else {
            let e = String(cString: strerror(errno)); close(fd)
            throw HTTPServerError(description: "cannot listen on \(configuration.host):\(configuration.port): \(e)")
        }
        guard listen(fd, configuration.listenBacklog) == 0 else {
            let e = String(cString: strerror(errno)); close(fd)
            throw HTTPServerError(description: "listen: \(e)")
        }
        var got = sockaddr_in()
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &got) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        port = Int(UInt16(bigEndian: got.sin_port))
        listenFd = fd

        epfd = epoll_create1(Int32(EPOLL_CLOEXEC))
        guard epfd >= 0 else { throw HTTPServerError(description: "epoll_create1: \(String(cString: strerror(errno)))") }
        var p: [Int32] = [-1, -1]
        guard pipe2(&p, O_NONBLOCK | O_CLOEXEC) == 0 else { throw HTTPServerError(description: "pipe2 failed") }
        wakeRead = p[0]; wakeWrite = p[1]
        epollAdd(listenFd, EPOLLIN.rawValue)
        epollAdd(wakeRead, EPOLLIN.rawValue)
        router.prepare()
        pool = WorkerPool(threads: max(1, configuration.poolThreads))
        let t = Thread { [self] in loop() }
        t.name = "olleey-http-loop"
        t.stackSize = 1 << 20
        t.start()
        return port
    }

    /// Starts a graceful stop: no new connections, requests in flight finish (up to the shutdown
    /// timeout), idle connections close; `wait()` then returns. Safe from any thread.
    public func stop() {
        mailboxLock.lock(); stopRequested = true; mailboxLock.unlock()
        wake()
    }

    /// Blocks until the server has stopped.
    public func wait() {
        doneLock.lock()
        while !done { doneLock.wait() }
        doneLock.unlock()
    }

    /// Open client connections now.
    public var openConnections: Int { metrics.open }

    /// Raises the soft limit on open descriptors towards `n` (at most the hard limit): the
    /// usual soft limit of 1024 would cap connections far below `maxConnections`.
    static func raiseDescriptorLimit(to n: UInt64) {
        var rl = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &rl) == 0, UInt64(rl.rlim_cur) < n else { return }
        rl.rlim_cur = min(rlim_t(n), rl.rlim_max)
        _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &rl)
    }

    // MARK: the loop

    func epollAdd(_ fd: Int32, _ events: UInt32) {
        var ev = epoll_event(events: events, data: epoll_data_t(fd: fd))
        epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev)
    }

    func epollMod(_ fd: Int32, _ events: UInt32) {
        var ev = epoll_event(events: events, data: epoll_data_t(fd: fd))
        epoll_ctl(epfd, EPOLL_CTL_MOD, fd, &ev)
    }

    func wake() {
        var b: UInt8 = 1
        _ = write(wakeWrite, &b, 1)
    }

    func post(_ c: Completion) {
        mailboxLock.lock()
        let wasEmpty = mailbox.isEmpty
        mailbox.append(c)
        mailboxLock.unlock()
        if wasEmpty { wake() }
    }

    func loop() {
        let maxEvents = 256
        let events = UnsafeMutablePointer<epoll_event>.allocate(capacity: maxEvents)
        defer { events.deallocate() }
        var nextSweep = monotonicNanos() + 100_000_000
        while true {
            let n = epoll_wait(epfd, events, Int32(maxEvents), 100)
            if n < 0 && errno != EINTR { break }
            var now = monotonicNanos()
            if n > 0 {
                for i in 0..<Int(n) {
                    let ev = events[i]
                    let fd = ev.data.fd
                    if fd == listenFd { acceptAll(now); continue }
                    if fd == wakeRead { drainWake(); continue }
                    guard fd >= 0, Int(fd) < conns.count, let c = conns[Int(fd)] else { continue }
                    handleEvent(c, ev.events, now)
                }
            }
            drainMailbox()
            mailboxLock.lock(); let stopNow = stopRequested && !stopping; mailboxLock.unlock()
            if stopNow { beginStop() }
            now = monotonicNanos()
            if now >= nextSweep {
                sweep(now)
                nextSweep = now + 100_000_000
            }
            if stopping && (openCount == 0 || now >= stopDeadline) { break }
        }
        // force-close what is left
        for c in conns { if let c { closeConn(c) } }
        if listenFd >= 0 { close(listenFd); listenFd = -1 }
        pool?.shutdown(timeout: 2)
        close(epfd); close(wakeRead); close(wakeWrite)
        log.flush()
        doneLock.lock(); done = true; doneLock.broadcast(); doneLock.unlock()
    }

    func drainWake() {
        var buf = [UInt8](repeating: 0, count: 256)
        while read(wakeRead, &buf, 256) > 0 {}
    }

    func beginStop() {
        stopping = true
        stopDeadline = monotonicNanos() + UInt64(configuration.shutdownTimeout * 1e9)
        if listenFd >= 0 {
            epoll_ctl(epfd, EPOLL_CTL_DEL, listenFd, nil)
            close(listenFd)
            listenFd = -1
        }
        for c in conns {
            guard let c else { continue }
            c.keepAlive = false
            if let ws = c.ws { ws.close(WebSocketClose.goingAway, reason: "server stopping"); continue }
            if c.live != nil { closeConn(c); continue }
            if (c.state == .head && c.buffered == 0 && c.out.isEmpty) || c.state == .lingering { closeConn(c) }
        }
    }

    func acceptAll(_ now: UInt64) {
        while true {
            var addr = sockaddr_in()
            var len = socklen_t(MemoryLayout<sockaddr_in>.size)
            let fd = withUnsafeMutablePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    accept4(listenFd, $0, &len, Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue))
                }
            }
            if fd < 0 {
                if errno == EINTR || errno == ECONNABORTED { continue }
                if errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM {
                    // out of descriptors: stop watching the listener for a moment rather than spin on it
                    epoll_ctl(epfd, EPOLL_CTL_DEL, listenFd, nil)
                    acceptPausedUntil = now + 100_000_000
                }
                return
            }
            if openCount >= configuration.maxConnections || stopping { close(fd); continue }
            var one: Int32 = 1
            setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            var ip = [CChar](repeating: 0, count: 64)
            inet_ntop(AF_INET, &addr.sin_addr, &ip, 64)
            let c = Connection(fd: fd, remote: String(decoding: ip.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self), now: now)
            if Int(fd) >= conns.count { conns += [Connection?](repeating: nil, count: max(Int(fd) + 1 - conns.count, conns.count)) }
            conns[Int(fd)] = c
            openCount += 1
            metrics.connectionOpened()
            c.interest = EPOLLIN.rawValue | EPOLLRDHUP.rawValue
            epollAdd(fd, c.interest)
        }
    }

    func setInterest(_ c: Connection, _ events: UInt32) {
        guard !c.closed, c.interest != events else { return }
        c.interest = events
        epollMod(c.fd, events)
    }

    func handleEvent(_ c: Connection, _ events: UInt32, _ now: UInt64) {
        if events & (EPOLLERR.rawValue | EPOLLHUP.rawValue) != 0 && events & EPOLLIN.rawValue == 0 {
            closeConn(c); return
        }
        if events & EPOLLOUT.rawValue != 0 {
            flush(c, now)
            if c.closed { return }
        }
        if events & (EPOLLIN.rawValue | EPOLLRDHUP.rawValue | EPOLLHUP.rawValue) != 0 {
            readInput(c, now)
        }
    }

    func readInput(_ c: Connection, _ now: UInt64) {
        if c.state == .lingering {
            let n = recv(c.fd, scratch, scratchSize, 0)
            if n > 0 { c.lingerDrained += n; if c.lingerDrained > 1 << 20 { closeConn(c) }; return }
            if n < 0 && (errno == EAGAIN || errno == EINTR) { return }
            closeConn(c); return
        }
        if c.live != nil { readLive(c, now); return }
        let n = recv(c.fd, scratch, scratchSize, 0)
        if n < 0 {
            if errno == EAGAIN || errno == EINTR { return }
            closeConn(c); return
        }
        if n == 0 {
            // the client is done sending (a half-close or a close): answer what is buffered, then close
            c.peerClosed = true
            setInterest(c, c.interest & ~(EPOLLIN.rawValue | EPOLLRDHUP.rawValue))
            if c.state == .head && c.buffered == 0 && c.out.isEmpty { closeConn(c); return }
            if c.state == .head || c.state == .body { processInput(c, now) }
            return
        }
        c.inBuf.append(contentsOf: UnsafeRawBufferPointer(start: scratch, count: n))
        c.lastActivity = now
        if c.state == .head && c.headStarted == 0 { c.headStarted = now }
        if c.state == .head || c.state == .body {
            processInput(c, now)
        } else if c.buffered > configuration.maxHeadBytes + (64 << 10) {
            // pipelined bytes pile up behind a busy request: stop reading until it is answered
            setInterest(c, c.interest & ~EPOLLIN.rawValue)
        }
    }

    /// Input on a live connection: WebSocket frames, or (SSE) ignored; the client's close
    /// closes the connection at once, which closes its writer (the hub drops it).
    func readLive(_ c: Connection, _ now: UInt64) {
        let n = recv(c.fd, scratch, scratchSize, 0)
        if n < 0 {
            if errno == EAGAIN || errno == EINTR { return }
            closeConn(c); return
        }
        if n == 0 { closeConn(c); return }
        c.lastActivity = now
        guard let ws = c.ws, var reader = c.wsReader else { return }
        let events = reader.read(Array(UnsafeRawBufferPointer(start: scratch, count: n)))
        c.wsReader = reader
        for e in events { ws.received(e) }
    }

    /// Parses and dispatches what is buffered, as far as the connection's state allows.
    func processInput(_ c: Connection, _ now: UInt64) {
        // finishRequest calls back in here; the outer call's loop goes on instead (no recursion
        // per pipelined request)
        if c.processing { return }
        c.processing = true
        defer { c.processing = false }
        while !c.closed {
            switch c.state {
            case .head:
                if c.buffered == 0 {
                    if c.peerClosed && c.out.isEmpty { closeConn(c) }
                    return
                }
                // nothing to parse until a line ends: skip the rescan for partial heads (a byte at a time)
                if !c.hasLineEndSinceScan() {
                    if c.buffered > configuration.maxHeadBytes { fail(c, 431, "request head too large", code: "head_too_large", now); return }
                    if c.peerClosed { closeConn(c) }
                    return
                }
                let outcome = c.inBuf.withUnsafeBytes { p in
                    HTTPServerParser.parse(UnsafeRawBufferPointer(rebasing: p[c.inStart...]), maxHeadBytes: configuration.maxHeadBytes,
                                           maxFields: configuration.maxHeaderFields)
                }
                switch outcome {
                case .incomplete:
                    c.scanned = c.inBuf.count
                    if c.peerClosed { closeConn(c) }
                    return
                case let .error(status, reason):
                    fail(c, status, status == 431 ? "request head too large" : "bad request", code: status == 431 ? "head_too_large" : "bad_request", now, logReason: reason)
                    return
                case let .head(head, consumed):
                    c.consume(consumed)
                    startRequest(c, head, now)
                }
            case .body:
                readBody(c, now)
                if c.state == .body { if c.peerClosed { closeConn(c) }; return }
            default:
                return
            }
        }
    }

    func startRequest(_ c: Connection, _ head: HTTPRequestHead, _ now: UInt64) {
        c.headComplete = now
        c.head = head
        c.isHead = head.method == "HEAD"
        let http10 = head.version == "HTTP/1.0"
        let keep = !head.headers.hasToken("Connection", "close") && (!http10 || head.headers.hasToken("Connection", "keep-alive"))
        c.http10 = http10
        c.keepAlive = keep && !stopping
        let target: HTTPTarget
        do { target = try HTTPTarget.parse(head.target, method: head.method) } catch {
            fail(c, 400, "invalid request target", code: "bad_request", now, logReason: "target: \(error)"); return
        }
        c.target = target
        if target.path == "*" {
            var h = HTTPHeaders([("Allow", "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS")])
            h.add("X-Content-Type-Options", "nosniff")
            deliver(c, HTTPResponse(status: 200, headers: h, body: .bytes([])), now)
            return
        }
        let match = router.match(method: head.method, path: target.path, segments: target.segments)
        c.match = match
        // the body's framing and limit
        if head.headers.contains("Transfer-Encoding") {
            let codings = head.headers.all("Transfer-Encoding").flatMap { $0.split(separator: ",") }.map { $0.trimmingHTTPWhitespace().lowercased() }
            if head.headers.contains("Content-Length") {
                fail(c, 400, "Transfer-Encoding and Content-Length together", code: "bad_request", now); return
            }
            guard codings == ["chunked"], !http10 else {
                fail(c, codings.last == "chunked" ? 501 : 400, "unsupported transfer coding", code: "bad_request", now); return
            }
            c.framing = .chunked
        } else {
            do { c.framing = try HTTPBodyFraming.of(head) } catch {
                fail(c, 400, "invalid Content-Length", code: "bad_request", now); return
            }
        }
        var limit = configuration.maxBodyBytes
        var streamed = false
        if case let .route(r, _) = match, case let .streamed(maxBytes) = r.body { limit = min(maxBytes, configuration.maxUploadBytes); streamed = true }
        c.bodyLimit = limit
        if case let .length(n) = c.framing, n > limit {
            fail(c, 413, "request body larger than \(limit) bytes", code: "body_too_large", now); return
        }
        if let expect = head.headers["Expect"] {
            guard expect.lowercased() == "100-continue" else { fail(c, 417, "unsupported expectation", code: "expectation_failed", now); return }
            if c.framing != .none && !http10 && c.buffered == 0 {
                c.out += Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)
                flush(c, now)
                if c.closed { return }
            }
        }
        c.body = []
        c.bodyReceived = 0
        if streamed && c.framing != .none {
            var template = Array((configuration.uploadDirectory.hasSuffix("/") ? configuration.uploadDirectory : configuration.uploadDirectory + "/").utf8)
                + Array("olleey-upload-XXXXXX".utf8) + [0]
            let fd = template.withUnsafeMutableBufferPointer { p in p.baseAddress.map { mkstemp(UnsafeMutableRawPointer($0).assumingMemoryBound(to: CChar.self)) } ?? -1 }
            guard fd >= 0 else { fail(c, 500, "cannot store the upload", code: "internal", now, logReason: "mkstemp: \(String(cString: strerror(errno)))"); return }
            c.bodyFd = fd
            c.bodyFile = String(decoding: template.dropLast(), as: UTF8.self)
        }
        c.chunk = .size
        if c.framing == .none {
            dispatch(c, now)
        } else {
            c.state = .body
            c.lastActivity = now
        }
    }

    /// Moves buffered body bytes into the request's body (memory or file); dispatches at the end.
    func readBody(_ c: Connection, _ now: UInt64) {
        switch c.framing {
        case .none, .untilClose:
            dispatch(c, now)
        case let .length(total):
            let take = min(total - c.bodyReceived, c.buffered)
            if take > 0 {
                guard storeBody(c, take, now) else { return }
            }
            if c.bodyReceived == total { dispatch(c, now) }
        case .chunked:
            while c.state == .body {
                switch c.chunk {
                case .size:
                    guard let line = c.takeLine(max: 4096) else {
                        if c.buffered > 4096 { fail(c, 400, "bad chunk size", code: "bad_request", now) }
                        return
                    }
                    guard let line, let size = try? HTTPChunked.size(line) else { fail(c, 400, "bad chunk size", code: "bad_request", now); return }
                    if size == 0 { c.chunk = .trailer; c.trailerBytes = 0 } else {
                        if c.bodyReceived + size > c.bodyLimit { fail(c, 413, "request body larger than \(c.bodyLimit) bytes", code: "body_too_large", now); return }
                        c.chunk = .data(size)
                    }
                case let .data(left):
                    let take = min(left, c.buffered)
                    if take == 0 { return }
                    guard storeBody(c, take, now) else { return }
                    c.chunk = left - take == 0 ? .dataEnd : .data(left - take)
                case .dataEnd:
                    guard let line = c.takeLine(max: 2) else {
                        if c.buffered >= 2 { fail(c, 400, "bad chunk framing", code: "bad_request", now) }
                        return
                    }
                    guard line == "" else { fail(c, 400, "bad chunk framing", code: "bad_request", now); return }
                    c.chunk = .size
                case .trailer:
                    guard let line = c.takeLine(max: configuration.maxHeadBytes) else {
                        if c.buffered > configuration.maxHeadBytes { fail(c, 431, "trailer too large", code: "head_too_large", now) }
                        return
                    }
                    guard let line else { fail(c, 400, "bad trailer", code: "bad_request", now); return }
                    if line.isEmpty { dispatch(c, now); return }
                    c.trailerBytes += line.utf8.count
                    if c.trailerBytes > configuration.maxHeadBytes { fail(c, 431, "trailer too large", code: "head_too_large", now); return }
                }
            }
        }
    }

    func storeBody(_ c: Connection, _ n: Int, _ now: UInt64) -> Bool {
        if c.bodyReceived + n > c.bodyLimit { fail(c, 413, "request body larger than \(c.bodyLimit) bytes", code: "body_too_large", now); return false }
        let s = c.inStart
        if c.bodyFd >= 0 {
            let ok = c.inBuf.withUnsafeBytes { p -> Bool in
                guard let base = p.baseAddress else { return false }
                var off = 0
                while off < n {
                    let w = write(c.bodyFd, base + s + off, n - off)
                    if w < 0 && errno == EINTR { continue }
                    if w <= 0 { return false }
                    off += w
                }
                return true
            }
            guard ok else { fail(c, 500, "cannot store the upload", code: "internal", now, logReason: "upload write failed"); return false }
        } else {
            c.body.append(contentsOf: c.inBuf[s..<(s + n)])
        }
        c.bodyReceived += n
        c.consume(n)
        return true
    }

    func dispatch(_ c: Connection, _ now: UInt64) {
        guard let head = c.head, let target = c.target, let match = c.match else { return }
        if c.bodyFd >= 0 { close(c.bodyFd); c.bodyFd = -1 }
        var req = HTTPRequest(method: head.method, target: head.target, version: head.version, headers: head.headers, parsed: target,
                              body: c.body, remoteAddress: c.remote)
        req.bodyLength = c.bodyReceived
        req.bodyFile = c.bodyFile
        let request = req
        c.body = []
        let ctx = HTTPContext(started: c.headComplete)
        let router = self.router
        let inline: Bool
        if case let .route(r, _) = match { inline = r.execution == .loop } else { inline = true }
        if inline {
            let resp = Self.respond(router, req, ctx, match)
            removeUpload(req.bodyFile)
            c.bodyFile = nil
            deliver(c, resp, now)
            return
        }
        c.state = .busy
        c.bodyFile = nil
        let bufferLimit = configuration.streamBufferBytes
        let chunked = !c.http10
        pool?.submit { [self] in
            var resp = Self.respond(router, request, ctx, match)
            removeUpload(request.bodyFile)
            if case let .stream(body) = resp.body {
                let writer = HTTPResponseWriter(limit: bufferLimit, chunked: chunked) { [self] bytes in post(.streamData(c, bytes)) }
                resp.body = .bytes([])
                post(.streamStart(c, resp, writer))
                let ok = (try? body(writer)) != nil
                post(.streamEnd(c, ok))
            } else {
                post(.response(c, resp))
            }
        }
    }

    static func respond(_ router: HTTPRouter, _ req: HTTPRequest, _ ctx: HTTPContext, _ match: HTTPRouter.Match) -> HTTPResponse {
        do { return try router.respond(req, ctx, match: match) } catch let e as HTTPError { return e.response } catch {
            return HTTPError(500, "internal server error", code: "internal").response
        }
    }

    func removeUpload(_ path: String?) {
        if let path { unlink(path) }
    }

    func drainMailbox() {
        mailboxLock.lock()
        if mailbox.isEmpty { mailboxLock.unlock(); return }
        let items = mailbox
        mailbox.removeAll(keepingCapacity: true)
        mailboxLock.unlock()
        let now = monotonicNanos()
        for item in items {
            switch item {
            case let .response(c, resp):
                if c.closed { continue }
                deliver(c, resp, now)
            case let .streamStart(c, resp, writer):
                if c.closed { writer.close(); continue }
                c.writer = writer
                deliver(c, resp, now, streaming: true)
            case let .streamData(c, bytes):
                if c.closed { continue }
                if !c.isHead { c.out += bytes; c.streamAccount += bytes.count }
                flush(c, now)
            case let .streamEnd(c, ok):
                if c.closed { continue }
                c.writer = nil
                c.streaming = false
                if ok {
                    if !c.isHead && !c.http10 { c.out += HTTPChunked.end }
                } else {
                    c.keepAlive = false
                }
                flush(c, now)
            case let .liveData(c, bytes):
                if c.closed { continue }
                c.out += bytes; c.streamAccount += bytes.count
                flush(c, now)
            case let .liveEnd(c, how):
                if c.closed { continue }
                switch how {
                case .drop:
                    closeConn(c)
                case .finish:
                    if !c.http10 && c.ws == nil { c.out += HTTPChunked.end }
                    c.streaming = false; c.keepAlive = false
                    flush(c, now)
                case .webSocketClose:
                    // the close frame is queued: send it, then a lingering close (the peer's
                    // close frame is read and discarded)
                    c.streaming = false; c.keepAlive = false; c.linger = true
                    flush(c, now)
                }
            }
        }
    }

    /// Starts a long-lived response: the head, then the writer belongs to the connection.
    func startLive(_ c: Connection, _ resp: HTTPResponse, _ w: HTTPLiveWriter, _ now: UInt64) {
        c.state = .busy
        c.keepAlive = false
        writeHead(c, resp, chunked: true)
        if c.isHead {
            // a HEAD answer has no body: the writer is closed at once
            w.connectionClosed()
            flush(c, now)
            return
        }
        c.live = w
        c.streaming = true
        attachLive(c, w, chunked: !c.http10)
        flush(c, now)
        if !c.closed && c.peerClosed { closeConn(c) }
    }

    func attachLive(_ c: Connection, _ w: HTTPLiveWriter, chunked: Bool) {
        w.attach(chunked: chunked, push: { [self] bytes in post(.liveData(c, bytes)) }, end: { [self] how in post(.liveEnd(c, how)) })
    }

    /// Writes the 101 answer; the connection becomes the WebSocket (it stays in the loop).
    func startWebSocket(_ c: Connection, _ resp: HTTPResponse, _ ws: WebSocket, _ now: UInt64) {
        c.state = .busy
        c.keepAlive = false
        var out = HTTPStatus.line(101)
        for (k, v) in resp.headers {
            if HTTPHeaders.same(k, "Content-Length") || HTTPHeaders.same(k, "Transfer-Encoding") || HTTPHeaders.same(k, "Connection") { continue }
            guard !k.isEmpty, k.utf8.allSatisfy(HTTPSyntax.isTokenByte), !v.utf8.contains(where: { $0 == 13 || $0 == 10 || $0 == 0 }) else { continue }
            out += k.utf8; out += [58, 32]; out += v.utf8; out += [13, 10]
        }
        out += Array("Connection: Upgrade\r\n".utf8)
        out += currentDate()
        out += [13, 10]
        c.out += out
        c.live = ws.writer
        c.ws = ws
        var reader = WebSocketReader(maxMessageBytes: ws.maxMessageBytes)
        c.streaming = true
        attachLive(c, ws.writer, chunked: false)
        if c.buffered > 0 {
            // frames sent right behind the handshake
            let early = Array(c.inBuf[c.inStart...])
            c.consume(c.buffered)
            for e in reader.read(early) { ws.received(e) }
        }
        c.wsReader = reader
        if !c.peerClosed && c.interest & EPOLLIN.rawValue == 0 { setInterest(c, c.interest | EPOLLIN.rawValue | EPOLLRDHUP.rawValue) }
        flush(c, now)
        if !c.closed && c.peerClosed { closeConn(c) }
    }

    func currentDate() -> [UInt8] {
        let t = Int(time(nil))
        if t != dateSecond {
            dateSecond = t
            dateLine = Array("Date: \(HTTPDate.format(t))\r\n".utf8)
        }
        return dateLine
    }

    /// Writes a response head (and body) for the current request of `c`.
    func deliver(_ c: Connection, _ resp: HTTPResponse, _ now: UInt64, streaming: Bool = false) {
        var resp = resp
        if case let .stream(body) = resp.body, !streaming {
            // a loop route that streams: the stream runs on the pool
            let writer = HTTPResponseWriter(limit: configuration.streamBufferBytes, chunked: !c.http10) { [self] bytes in post(.streamData(c, bytes)) }
            c.writer = writer
            resp.body = .bytes([])
            c.state = .busy
            pool?.submit { [self] in
                let ok = (try? body(writer)) != nil
                post(.streamEnd(c, ok))
            }
            writeHead(c, resp, chunked: true)
            c.streaming = true
            flush(c, now)
            return
        }
        if case let .live(w) = resp.body { startLive(c, resp, w, now); return }
        if case let .webSocket(ws) = resp.body {
            if resp.status == 101 && !c.isHead { startWebSocket(c, resp, ws, now); return }
            ws.writer.connectionClosed()
            resp.body = .bytes([])
        }
        c.state = .busy
        if streaming {
            writeHead(c, resp, chunked: true)
            c.streaming = true
            flush(c, now)
            return
        }
        let noBody = resp.status == 204 || resp.status == 304 || resp.status < 200
        switch resp.body {
        case let .bytes(b):
            writeHead(c, resp, length: noBody ? nil : b.count)
            if !c.isHead && !noBody { c.out += b }
        case let .file(f):
            writeHead(c, resp, length: f.length)
            if !c.isHead { c.file = f; c.fileSent = 0 }
        case .stream, .live, .webSocket:
            break
        }
        flush(c, now)
    }

    func writeHead(_ c: Connection, _ resp: HTTPResponse, length: Int? = nil, chunked: Bool = false) {
        var out = c.out
        c.out = []
        out.reserveCapacity(out.count + 256 + (length ?? 0))
        out += HTTPStatus.line(resp.status)
        for (k, v) in resp.headers {
            if HTTPHeaders.same(k, "Content-Length") || HTTPHeaders.same(k, "Transfer-Encoding") || HTTPHeaders.same(k, "Connection") { continue }
            guard !k.isEmpty, k.utf8.allSatisfy(HTTPSyntax.isTokenByte), !v.utf8.contains(where: { $0 == 13 || $0 == 10 || $0 == 0 }) else { continue }
            out += k.utf8; out += [58, 32]; out += v.utf8; out += [13, 10]
        }
        if chunked && c.http10 {
            // HTTP/1.0 has no chunked coding: the body ends with the connection
            c.keepAlive = false
        } else if chunked {
            out += Array("Transfer-Encoding: chunked\r\n".utf8)
        } else if let length {
            out += Array("Content-Length: ".utf8); out += String(length).utf8; out += [13, 10]
        }
        if !c.keepAlive {
            out += Array("Connection: close\r\n".utf8)
        } else if c.http10 {
            out += Array("Connection: keep-alive\r\n".utf8)
        }
        out += currentDate()
        out += [13, 10]
        c.out = out
    }

    /// Answers a request the server refuses itself (400, 408, 413, 431, ...), then closes the
    /// connection with a lingering close.
    func fail(_ c: Connection, _ status: Int, _ detail: String, code: String, _ now: UInt64, logReason: String? = nil) {
        c.keepAlive = false
        c.linger = true
        if c.bodyFd >= 0 { close(c.bodyFd); c.bodyFd = -1 }
        removeUpload(c.bodyFile); c.bodyFile = nil
        c.inBuf = []; c.inStart = 0; c.scanned = 0
        var w = JSONWriter()
        w.object { o in o.field("level", "warning"); o.field("status", status); o.field("reason", logReason ?? detail); o.field("remote", c.remote) }
        log.write(w.bytes)
        metrics.observe(method: c.head?.method ?? "-", route: "unmatched", status: status, nanos: 0)
        let resp = HTTPResponse(status: status, headers: HTTPHeaders([("Content-Type", "application/json"), ("X-Content-Type-Options", "nosniff")]),
                                body: .bytes(HTTPError(status, detail, code: code).jsonBody))
        c.isHead = false
        deliver(c, resp, now)
    }

    /// Writes what is pending; when a response is complete, the connection goes on to the next
    /// request (or closes).
    func flush(_ c: Connection, _ now: UInt64) {
        guard !c.closed else { return }
        while c.outOff < c.out.count {
            let off = c.outOff
            let n = c.out.withUnsafeBytes { p -> Int in
                guard let base = p.baseAddress else { return 0 }
                return send(c.fd, base + off, p.count - off, Int32(MSG_NOSIGNAL))
            }
            if n > 0 {
                c.outOff += n
                c.lastWrite = now
                if c.streamAccount > 0 {
                    let k = min(n, c.streamAccount); c.streamAccount -= k
                    if let w = c.writer { w.sent(k) } else { c.live?.sent(k) }
                }
                continue
            }
            if n < 0 && errno == EINTR { continue }
            if n < 0 && errno == EAGAIN { wantWrite(c, true); return }
            closeConn(c); return
        }
        if !c.out.isEmpty {
            if c.out.count > 64 << 10 { c.out = [] } else { c.out.removeAll(keepingCapacity: true) }
            c.outOff = 0
        }
        if let f = c.file {
            while c.fileSent < f.length {
                var off = off_t(f.offset + c.fileSent)
                let n = sendfile(c.fd, f.fd, &off, min(f.length - c.fileSent, 1 << 20))
                if n > 0 { c.fileSent += n; c.lastWrite = now; continue }
                if n < 0 && errno == EINTR { continue }
                if n < 0 && errno == EAGAIN { wantWrite(c, true); return }
                closeConn(c); return
            }
            c.file = nil
        }
        wantWrite(c, false)
        if c.streaming || c.state != .busy { return }
        finishRequest(c, now)
    }

    func wantWrite(_ c: Connection, _ on: Bool) {
        let events = on ? c.interest | EPOLLOUT.rawValue : c.interest & ~EPOLLOUT.rawValue
        setInterest(c, events)
    }

    func finishRequest(_ c: Connection, _ now: UInt64) {
        c.head = nil; c.target = nil; c.match = nil; c.framing = .none
        if !c.keepAlive || stopping {
            if c.linger {
                shutdown(c.fd, Int32(SHUT_WR))
                c.state = .lingering
                c.lingerDeadline = now + UInt64(configuration.lingerTimeout * 1e9)
                if c.peerClosed { closeConn(c) } else { setInterest(c, EPOLLIN.rawValue | EPOLLRDHUP.rawValue) }
            } else {
                closeConn(c)
            }
            return
        }
        c.state = .head
        c.lastActivity = now
        c.headStarted = c.buffered > 0 ? now : 0
        if !c.peerClosed && c.interest & EPOLLIN.rawValue == 0 { setInterest(c, c.interest | EPOLLIN.rawValue | EPOLLRDHUP.rawValue) }
        processInput(c, now)
    }

    func closeConn(_ c: Connection) {
        guard !c.closed else { return }
        c.closed = true
        c.writer?.close()
        c.writer = nil
        let live = c.live
        c.live = nil; c.ws = nil; c.wsReader = nil
        c.file = nil
        if c.bodyFd >= 0 { close(c.bodyFd); c.bodyFd = -1 }
        removeUpload(c.bodyFile)
        epoll_ctl(epfd, EPOLL_CTL_DEL, c.fd, nil)
        close(c.fd)
        if Int(c.fd) < conns.count, conns[Int(c.fd)] === c { conns[Int(c.fd)] = nil }
        openCount -= 1
        metrics.connectionClosed()
        live?.connectionClosed()
    }

    func sweep(_ now: UInt64) {
        if acceptPausedUntil > 0 && now >= acceptPausedUntil && listenFd >= 0 {
            acceptPausedUntil = 0
            epollAdd(listenFd, EPOLLIN.rawValue)
        }
        let read = UInt64(configuration.readTimeout * 1e9)
        let idle = UInt64(configuration.idleTimeout * 1e9)
        let write = UInt64(configuration.writeTimeout * 1e9)
        for case let c? in conns {
            switch c.state {
            case .head:
                if c.buffered == 0 && c.out.isEmpty {
                    if stopping || now &- c.lastActivity > idle { closeConn(c) }
                } else if c.headStarted > 0 && now &- c.headStarted > read {
                    fail(c, 408, "request head not received in time", code: "request_timeout", now)
                }
            case .body:
                if now &- c.lastActivity > read { fail(c, 408, "request body not received in time", code: "request_timeout", now) }
            case .busy:
                if (c.outOff < c.out.count || c.file != nil) && now &- c.lastWrite > write { closeConn(c) }
            case .lingering:
                if now >= c.lingerDeadline { closeConn(c) }
            }
        }
    }
}

enum Completion: @unchecked Sendable {
    case response(Connection, HTTPResponse)
    case streamStart(Connection, HTTPResponse, HTTPResponseWriter)
    case streamData(Connection, [UInt8])
    case streamEnd(Connection, Bool)
    case liveData(Connection, [UInt8])
    case liveEnd(Connection, HTTPLiveWriter.LiveEnd)
}

/// One client connection; touched only by the loop thread.
final class Connection: @unchecked Sendable {
    enum State { case head, body, busy, lingering }
    enum Chunk: Equatable { case size, data(Int), dataEnd, trailer }

    let fd: Int32
    let remote: String
    var state: State = .head
    var closed = false
    var interest: UInt32 = 0
    var inBuf: [UInt8] = []
    var inStart = 0
    var scanned = 0
    var headStarted: UInt64 = 0
    var headComplete: UInt64 = 0
    var lastActivity: UInt64
    var lastWrite: UInt64
    var peerClosed = false
    var keepAlive = true
    var http10 = false
    var isHead = false
    var linger = false
    var lingerDeadline: UInt64 = 0
    var lingerDrained = 0
    var out: [UInt8] = []
    var outOff = 0
    var file: HTTPFileRegion?
    var fileSent = 0
    var writer: HTTPResponseWriter?
    var streaming = false
    var streamAccount = 0
    /// A long-lived response's writer (SSE) or an upgraded WebSocket's: kept until the
    /// connection closes, then told so.
    var live: HTTPLiveWriter?
    var ws: WebSocket?
    var wsReader: WebSocketReader?
    // the request being read
    var head: HTTPRequestHead?
    var target: HTTPTarget?
    var match: HTTPRouter.Match?
    var framing: HTTPBodyFraming = .none
    var bodyLimit = 0
    var body: [UInt8] = []
    var bodyReceived = 0
    var bodyFd: Int32 = -1
    var bodyFile: String?
    var chunk: Chunk = .size
    var trailerBytes = 0
    var processing = false

    init(fd: Int32, remote: String, now: UInt64) { self.fd = fd; self.remote = remote; self.lastActivity = now; self.lastWrite = now }

    var buffered: Int { inBuf.count - inStart }

    func consume(_ n: Int) {
        inStart += n
        if inStart >= inBuf.count {
            if inBuf.capacity > 64 << 10 { inBuf = [] } else { inBuf.removeAll(keepingCapacity: true) }
            inStart = 0
        } else if inStart > 32 << 10 {
            inBuf.removeSubrange(0..<inStart)
            inStart = 0
        }
        scanned = inStart
    }

    /// True when an LF arrived since the last parse attempt (a head can only complete then).
    func hasLineEndSinceScan() -> Bool {
        let from = max(inStart, scanned)
        if from >= inBuf.count { return false }
        return inBuf[from...].contains(10)
    }

    /// One CRLF-terminated line (nil when none is buffered yet; `.some(nil)` for a bare LF or a
    /// line longer than `max`).
    func takeLine(max: Int) -> String?? {
        let end = min(inBuf.count, inStart + max + 2)
        guard let lf = inBuf[inStart..<end].firstIndex(of: 10) else {
            return buffered > max + 1 ? .some(nil) : nil
        }
        guard lf > inStart, inBuf[lf - 1] == 13 else { return .some(nil) }
        let s = String(decoding: inBuf[inStart..<(lf - 1)], as: UTF8.self)
        consume(lf + 1 - inStart)
        return .some(s)
    }
}

/// A fixed set of threads running submitted work in order.
final class WorkerPool: @unchecked Sendable {
    let cond = NSCondition()
    var queue: [@Sendable () -> Void] = []
    var head = 0
    var stopping = false
    var alive = 0

    init(threads: Int) {
        for i in 0..<threads {
            let t = Thread { [self] in run() }
            t.name = "olleey-http-pool-\(i)"
            alive += 1
            t.start()
        }
    }

    func submit(_ job: @escaping @Sendable () -> Void) {
        cond.lock()
        queue.append(job)
        cond.signal()
        cond.unlock()
    }

    func run() {
        while true {
            cond.lock()
            while head >= queue.count && !stopping { cond.wait() }
            if head >= queue.count && stopping {
                alive -= 1; cond.broadcast(); cond.unlock(); return
            }
            let job = queue[head]
            head += 1
            if head > 1024 && head * 2 > queue.count { queue.removeFirst(head); head = 0 }
            cond.unlock()
            job()
        }
    }

    func shutdown(timeout: Double) {
        cond.lock()
        stopping = true
        cond.broadcast()
        let deadline = Date().addingTimeInterval(timeout)
        while alive > 0 { if !cond.wait(until: deadline) { break } }
        cond.unlock()
    }
}
