import Foundation
import OlleeyHTTP
import OlleeyTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The WebSocket codec from RFC 6455's own examples (section 5.7), the reader's rules, and
/// upgraded connections and live (SSE) writers over loopback.
@Suite("WebSocket and live responses")
struct WebSocketTests {
    let hello: [UInt8] = [0x48, 0x65, 0x6c, 0x6c, 0x6f]

    func frame(_ bytes: [UInt8], max: Int = 1 << 20) -> WebSocketFrame? {
        if case let .frame(f, consumed) = WebSocketFrame.parse(bytes[...], maxPayload: max), consumed == bytes.count { return f }
        return nil
    }

    @Test("RFC 6455 5.7: single-frame texts (unmasked, masked), a fragmented text, ping and masked pong")
    func rfcExamples() {
        let unmasked: [UInt8] = [0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f]
        #expect(frame(unmasked) == WebSocketFrame(fin: true, opcode: 1, masked: false, payload: hello))
        #expect(WebSocketFrame.encode(.text, hello) == unmasked)
        let masked: [UInt8] = [0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58]
        #expect(frame(masked) == WebSocketFrame(fin: true, opcode: 1, masked: true, payload: hello))
        #expect(WebSocketFrame.encode(.text, hello, mask: [0x37, 0xfa, 0x21, 0x3d]) == masked)
        #expect(frame([0x01, 0x03, 0x48, 0x65, 0x6c]) == WebSocketFrame(fin: false, opcode: 1, masked: false, payload: Array(hello[0..<3])))
        #expect(frame([0x80, 0x02, 0x6c, 0x6f]) == WebSocketFrame(fin: true, opcode: 0, masked: false, payload: [0x6c, 0x6f]))
        #expect(frame([0x89, 0x05] + hello) == WebSocketFrame(fin: true, opcode: 9, masked: false, payload: hello))
        #expect(frame([0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58]) == WebSocketFrame(fin: true, opcode: 10, masked: true, payload: hello))
    }

    @Test("RFC 6455 5.7: 256 bytes with a 16-bit length, 64 KiB with a 64-bit length; partial frames are incomplete")
    func lengths() {
        let b256 = [UInt8](repeating: 7, count: 256)
        let e256 = WebSocketFrame.encode(.binary, b256)
        #expect(Array(e256.prefix(4)) == [0x82, 0x7E, 0x01, 0x00])
        #expect(frame(e256)?.payload == b256)
        let b64k = [UInt8](repeating: 9, count: 65536)
        let e64k = WebSocketFrame.encode(.binary, b64k)
        #expect(Array(e64k.prefix(10)) == [0x82, 0x7F, 0, 0, 0, 0, 0, 1, 0, 0])
        #expect(frame(e64k)?.payload == b64k)
        #expect(WebSocketFrame.parse(e256[0..<100], maxPayload: 1 << 20) == .incomplete)
        #expect(WebSocketFrame.parse([0x82][...], maxPayload: 10) == .incomplete)
        // a length that is not in its shortest form
        #expect(WebSocketFrame.parse([0x82, 0x7E, 0x00, 0x05] + hello, maxPayload: 100) == .error(1002, "length not in its shortest form"))
        // over the limit: 1009 as soon as the length is read
        #expect(WebSocketFrame.parse([0x82, 0x7E, 0x01, 0x00][...], maxPayload: 255) == .error(1009, "message larger than 255 bytes"))
    }

    @Test("Sec-WebSocket-Accept: RFC 6455 section 1.3's example")
    func acceptKey() {
        #expect(WebSocket.acceptValue(key: "dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
    }

    func masked(_ op: UInt8, _ p: [UInt8], fin: Bool = true) -> [UInt8] { WebSocketTestClient.frame(opcode: op, p, fin: fin) }

    @Test("reader: masking required, fragments reassembled across reads, control frames between fragments")
    func reader() {
        var r = WebSocketReader(maxMessageBytes: 100)
        let bytes = masked(1, Array("Hel".utf8), fin: false) + masked(9, [1, 2]) + masked(0, Array("lo".utf8))
        // byte by byte: nothing is lost at the frame boundaries
        var events: [WebSocketReader.Event] = []
        for b in bytes { events += r.read([b]) }
        #expect(events == [.ping([1, 2]), .message(.text("Hello"))])
        var u = WebSocketReader()
        #expect(u.read([0x81, 0x05] + hello) == [.fail(1002, "client frames must be masked")])
        #expect(u.read(masked(1, hello)) == [])
    }

    @Test("reader: protocol errors and their close codes")
    func readerErrors() {
        func first(_ b: [UInt8], max: Int = 100) -> WebSocketReader.Event? { var r = WebSocketReader(maxMessageBytes: max); return r.read(b).first }
        #expect(first(masked(0, hello)) == .fail(1002, "continuation without a message"))
        #expect(first(masked(1, hello, fin: false) + masked(1, hello)) == .fail(1002, "a new message inside a fragmented one"))
        #expect(first(masked(9, hello, fin: false)) == .fail(1002, "fragmented control frame"))
        #expect(first(masked(3, hello)) == .fail(1002, "unknown opcode 3"))
        #expect(first([0xC1] + Array(masked(1, hello).dropFirst())) == .fail(1002, "reserved bits set without an extension"))
        #expect(first(masked(1, [0xC3, 0x28])) == .fail(1007, "text message not UTF-8"))
        #expect(first(masked(2, [UInt8](repeating: 1, count: 101))) == .fail(1009, "message larger than 100 bytes"))
        // fragments that together pass the limit
        #expect(first(masked(2, [UInt8](repeating: 1, count: 60), fin: false) + masked(0, [UInt8](repeating: 1, count: 60))) == .fail(1009, "message larger than 100 bytes"))
        #expect(first(masked(8, [0x03, 0xE8] + Array("bye".utf8))) == .close(1000, "bye"))
        #expect(first(masked(8, [])) == .close(nil, ""))
        #expect(first(masked(8, [0x03])) == .fail(1002, "close payload of one byte"))
        #expect(first(masked(8, [0x03, 0xED])) == .fail(1002, "invalid close code 1005"))
        #expect(first(masked(8, [0x03, 0xE8, 0xFF])) == .fail(1007, "close reason not UTF-8"))
    }

    // MARK: over loopback

    static func server(poolThreads: Int = 4, writers: Locked<[HTTPLiveWriter]> = Locked([]), closed: Locked<Int> = Locked(0)) throws -> LiveServer {
        try LiveServer.standard({ $0.poolThreads = poolThreads }) { r in
            r.on("GET", "/ws") { req, _ in
                let ws = WebSocket(maxMessageBytes: 1024)
                ws.onMessage { m in
                    switch m {
                    case let .text(t): ws.send(text: t)
                    case let .binary(b): ws.send(binary: b)
                    }
                }
                ws.onClose { closed.mutate { $0 += 1 } }
                return try WebSocket.upgrade(req, ws)
            }
            r.on("GET", "/live") { _, _ in
                let w = HTTPLiveWriter(bufferLimit: 4096)
                w.write("data: hello\n\n")
                w.onClose { closed.mutate { $0 += 1 } }
                writers.mutate { $0.append(w) }
                return .live(contentType: "text/event-stream", w)
            }
        }
    }

    @Test("handshake: 101 with the accept key; echo of text and binary; server frames unmasked")
    func handshake() throws {
        let s = try Self.server()
        defer { s.stop() }
        let c = try WebSocketTestClient(port: s.port, path: "/ws")
        #expect(c.status == 101)
        #expect(c.headers["upgrade"]?.lowercased() == "websocket" && c.headers["connection"]?.lowercased() == "upgrade")
        #expect(c.headers["sec-websocket-accept"] == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
        c.sendText("héllo")
        let f = try #require(c.nextFrame())
        #expect(f.opcode == 1 && f.fin && !f.masked && String(decoding: f.payload, as: UTF8.self) == "héllo")
        c.send(opcode: 2, [0, 1, 2, 255])
        #expect(c.nextFrame()?.payload == [0, 1, 2, 255])
        // not an upgrade: 426
        let plain = try LoopbackStream(port: s.port)
        plain.send("GET /ws HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(plain.readHead()?.status == 426)
    }

    @Test("fragmented message echoed whole; ping answered with a pong of the same payload")
    func fragmentsAndPing() throws {
        let s = try Self.server()
        defer { s.stop() }
        let c = try WebSocketTestClient(port: s.port, path: "/ws")
        c.send(opcode: 1, Array("frag".utf8), fin: false)
        c.send(opcode: 9, Array("p!".utf8))
        c.send(opcode: 0, Array("men".utf8), fin: false)
        c.send(opcode: 0, Array("ted".utf8))
        let pong = try #require(c.nextFrame())
        #expect(pong.opcode == 10 && pong.payload == Array("p!".utf8))
        let m = try #require(c.nextFrame())
        #expect(m.opcode == 1 && String(decoding: m.payload, as: UTF8.self) == "fragmented")
    }

    @Test("close handshake: the client's 1000 is echoed, then the connection closes and onClose runs")
    func closeHandshake() throws {
        let closed = Locked(0)
        let s = try Self.server(closed: closed)
        defer { s.stop() }
        let c = try WebSocketTestClient(port: s.port, path: "/ws")
        c.send(opcode: 8, [0x03, 0xE8])
        let f = try #require(c.nextFrame())
        #expect(f.opcode == 8 && WebSocketTestClient.closeCode(f.payload) == 1000)
        #expect(c.stream.waitForClose())
        #expect(eventually { closed.value == 1 })
    }

    @Test("protocol errors close with their codes: unmasked 1002, too big 1009, bad UTF-8 1007")
    func closeCodes() throws {
        let s = try Self.server()
        defer { s.stop() }
        for (bytes, code) in [(WebSocketTestClient.frame(opcode: 1, hello, masked: false), 1002),
                              (WebSocketTestClient.frame(opcode: 1, [UInt8](repeating: 65, count: 2000)), 1009),
                              (WebSocketTestClient.frame(opcode: 1, [0xC3, 0x28]), 1007)] {
            let c = try WebSocketTestClient(port: s.port, path: "/ws")
            c.stream.send(bytes)
            let f = try #require(c.nextFrame())
            #expect(f.opcode == 8 && WebSocketTestClient.closeCode(f.payload) == code)
            #expect(c.stream.waitForClose())
        }
    }

    @Test("live connections hold no pool thread: 20 sockets and streams on a one-thread pool, which still answers")
    func noThreadHeld() throws {
        let writers = Locked<[HTTPLiveWriter]>([])
        let s = try Self.server(poolThreads: 1, writers: writers)
        defer { s.stop() }
        var keep: [AnyObject] = []
        for _ in 0..<10 {
            let c = try WebSocketTestClient(port: s.port, path: "/ws")
            #expect(c.status == 101)
            keep.append(c)
            let l = try SSETestClient(port: s.port, path: "/live")
            #expect(l.status == 200)
            keep.append(l)
        }
        let r = try Loopback.exchange(port: s.port, Array("GET /slow?ms=1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".utf8), timeout: 5)
        #expect(String(decoding: r, as: UTF8.self).hasSuffix("slow"))
        #expect(writers.value.count == 10)
    }

    @Test("live writer: written from another thread, the client's close closes it, a client that reads nothing is dropped")
    func liveWriter() throws {
        let writers = Locked<[HTTPLiveWriter]>([])
        let closed = Locked(0)
        let s = try Self.server(writers: writers, closed: closed)
        defer { s.stop() }
        let a = try SSETestClient(port: s.port, path: "/live")
        #expect(a.status == 200 && a.headers["content-type"] == "text/event-stream" && a.headers["transfer-encoding"] == "chunked")
        #expect(a.next() == ["data: hello"])
        let w = try #require(writers.value.first)
        let t = Thread { w.write("data: from a thread\n\n") }
        t.start()
        #expect(a.next() == ["data: from a thread"])
        a.stream.closeNow()
        #expect(eventually { closed.value == 1 && w.isClosed })
        #expect(!w.write("data: gone\n\n"))
        // a client that never reads: its socket buffers fill, then the writer's 4 KiB, then it is dropped
        let b = try SSETestClient(port: s.port, path: "/live")
        #expect(b.status == 200)
        let wb = try #require(writers.value.last)
        let chunk = [UInt8](repeating: 120, count: 1000)
        var writes = 0
        #expect(eventually(10) {
            while wb.write(chunk) { writes += 1; if writes > 100_000 { return false } }
            return true
        })
        #expect(eventually { wb.isClosed && closed.value == 2 })
        #expect(s.server.openConnections <= 1)
    }
}
