import Foundation
import OlleeyHTTP
import OlleeyKit

/// Live events: `GET /events/stream` (Server-Sent Events, root spec) and the WebSockets
/// `/api/v1/ws/jobs/{id}` and `/api/v1/ws/org/{org_id}` (second spec). All read OlleeyKit's
/// EventFeed (one poller of the workspace's event log for the whole server), scoped to the
/// caller's organisation; which log events become which API type is OlleeyKit's table
/// (LiveEventMapping). Authenticated by `Authorization: Bearer` or `?token=` (a browser's
/// EventSource and WebSocket cannot send headers). The connections live in the server's
/// event loop (HTTPLiveWriter, WebSocket): no thread per client.
enum EventRoutes {
    static func register(_ router: HTTPRouter, env: ServerEnvironment, limits: RateLimits) {
        let mw: [any HTTPMiddleware] = [AuthMiddleware(env: env, allowQueryToken: true), limits.standardMiddleware(), MapErrorsMiddleware()]
        router.group("", middleware: mw, tags: ["events"])
            .on("GET", "/events/stream", summary: "the organisation's job events (Server-Sent Events; HEAD probes auth)", requiresAuth: true) { req, ctx in
                try stream(req, ctx, env: env)
            }
        router.group("/api/v1", middleware: mw, tags: ["events"])
            .on("GET", "/ws/jobs/{id}", summary: "WebSocket: one job's status updates", requiresAuth: true) { req, ctx in
                let principal = try ctx.principal()
                let id = try ctx.parameter("id")
                // another organisation's job is not found
                guard try env.read({ db in try JobStore(db, org: principal.org).get(id) }) != nil else { throw HTTPError.notFound() }
                return try socket(req, filter: EventFeed.Filter(org: principal.org, job: id), env: env)
            }
            .on("GET", "/ws/org/{org_id}", summary: "WebSocket: the organisation's events", requiresAuth: true) { req, ctx in
                let principal = try ctx.principal()
                guard try ctx.parameter("org_id") == principal.org else { throw HTTPError.notFound() }
                return try socket(req, filter: EventFeed.Filter(org: principal.org), env: env)
            }
    }

    /// Bytes a client may have waiting before it is dropped as too slow.
    static let clientBuffer = 256 << 10
    /// An SSE client's: room for a resume's backlog too (at most 1,000 events of about 700
    /// bytes, written before the connection sends anything).
    static let streamBuffer = 1 << 20

    static func stream(_ req: HTTPRequest, _ ctx: HTTPContext, env: ServerEnvironment) throws -> HTTPResponse {
        let principal = try ctx.principal()
        let headers = HTTPHeaders([("Content-Type", "text/event-stream"), ("Cache-Control", "no-store"), ("X-Accel-Buffering", "no")])
        // the web client's probe: 200 with a token (401 without, from AuthMiddleware)
        if req.method == "HEAD" { return HTTPResponse(status: 200, headers: headers, body: .bytes([])) }
        let after = try lastEventId(req)
        let writer = HTTPLiveWriter(bufferLimit: streamBuffer)
        // how long a browser waits before it reconnects (with Last-Event-ID)
        writer.write("retry: 3000\n\n")
        let feed = env.events
        let id = try feed.subscribe(EventFeed.Filter(org: principal.org), after: after, deliver: { items in
            var out: [UInt8] = []
            for item in items where item.sseType != nil { out += item.memo(1) { sseBytes(item) } }
            if !out.isEmpty { writer.write(out) }
        }, ping: { writer.write(": ping\n\n") })
        writer.onClose { feed.unsubscribe(id) }
        var resp = HTTPResponse.live(contentType: "text/event-stream", writer)
        resp.headers = headers
        return resp
    }

    /// `Last-Event-ID` (the header a browser sends when it reconnects; `?last_event_id=` too):
    /// a whole number, else 400.
    static func lastEventId(_ req: HTTPRequest) throws -> Int64? {
        guard let raw = req.headers["Last-Event-ID"] ?? req.queryValue("last_event_id") else { return nil }
        let v = raw.trimmingCharacters(in: .whitespaces)
        if v.isEmpty { return nil }
        guard let n = Int64(v), n >= 0 else {
            throw HTTPError(400, "Last-Event-ID must be an event id (a whole number)", code: "validation_error")
        }
        return n
    }

    /// One SSE event: `id: N` and one `data:` line of JSON with the default event name (the web
    /// client listens with `onmessage`): the type, the job's id, status and progress at the top
    /// (as the spec's examples), and the whole job as `GET /jobs/{id}` returns it.
    static func sseBytes(_ item: EventFeed.Item) -> [UInt8] {
        var w = JSONWriter(capacity: 512)
        w.object { o in
            o.field("type", item.sseType?.rawValue ?? "job_update")
            o.field("event_id", Int(item.event.id))
            o.key("job_id"); if let j = item.event.jobId { o.value(j) } else { o.null() }
            if let job = item.job {
                o.field("status", StatusWords.root(job.status))
                o.field("progress", job.progress)
            }
            o.key("language"); if let l = item.event.language { o.value(l) } else { o.null() }
            o.field("at", item.event.at)
            o.key("job")
            if let job = item.job { SpecMapping.write(SpecMapping.rootJobDetail, job, to: &o) } else { o.null() }
        }
        return Array("id: \(item.event.id)\ndata: ".utf8) + w.bytes + [10, 10]
    }

    static func socket(_ req: HTTPRequest, filter: EventFeed.Filter, env: ServerEnvironment) throws -> HTTPResponse {
        let ws = WebSocket(maxMessageBytes: 64 << 10, bufferLimit: clientBuffer)
        // the handshake is checked before anything is subscribed
        let resp = try WebSocket.upgrade(req, ws)
        let feed = env.events
        let id = try feed.subscribe(filter, deliver: { items in
            for item in items where item.socketType != nil { ws.send(text: String(decoding: item.memo(2) { socketBytes(item) }, as: UTF8.self)) }
        }, ping: { ws.send(text: #"{"type":"ping"}"#) })
        ws.onClose { feed.unsubscribe(id) }
        // a client's {"type":"ping"} is answered; anything else it sends is ignored
        ws.onMessage { m in
            if case let .text(t) = m, t.contains("\"ping\"") { ws.send(text: #"{"type":"pong"}"#) }
        }
        return resp
    }

    /// A WebSocket message: `{"type", "job_id", "status", "updated_at"}` (the second spec's
    /// fields), with the log event's kind, language and data for a notification.
    static func socketBytes(_ item: EventFeed.Item) -> [UInt8] {
        var w = JSONWriter(capacity: 256)
        w.object { o in
            o.field("type", item.socketType?.rawValue ?? LiveSocketType.notification.rawValue)
            o.key("job_id"); if let j = item.event.jobId { o.value(j) } else { o.null() }
            o.key("status"); if let job = item.job { o.value(StatusWords.v1(job.status, errorStage: job.errorStage)) } else { o.null() }
            o.field("updated_at", item.job?.updatedAt ?? item.event.at)
            o.field("event_id", Int(item.event.id))
            if item.socketType == .notification {
                o.field("event", item.event.kind)
                o.key("language"); if let l = item.event.language { o.value(l) } else { o.null() }
                o.key("data"); o.raw(Array(item.event.data.encoded().utf8))
            }
        }
        return w.bytes
    }
}
