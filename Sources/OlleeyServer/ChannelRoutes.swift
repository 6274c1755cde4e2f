import Foundation
import OlleeyHTTP
import OlleeyKit

/// Channels (`/channels`), YouTube connections (`/youtube/...`), feed subscriptions
/// (`/videos/subscribe|unsubscribe`) and the feed webhook (`/webhooks/youtube`): thin mappings
/// onto ChannelService, ConnectionService, YouTubeOAuth and FeedService. A connection is a
/// master channel; a language channel belongs to one (`master_connection_id`).
enum ChannelRoutes {
    static func register(_ router: HTTPRouter, env: ServerEnvironment, limits: RateLimits) {
        let mw = env.authenticated(limits)
        let ch = router.group("/channels", middleware: mw, tags: ["channels"])
        // the root spec serves the graph at two paths
        let graph: HTTPHandler = { req, ctx in
            let p = try ctx.principal()
            try p.require(.jobsRead)
            return jsonResponse(try env.read { db in try graphJSON(db, p, project: req.query("project_id")) })
        }
        ch.on("GET", "/graph", summary: "connections with their language channels (?project_id)", requiresAuth: true, responseSchema: "ChannelGraph", graph)
        ch.on("GET", "", summary: "the language channels (?project_id, ?page, ?page_size)", requiresAuth: true, responseSchema: "ChannelPage") { req, ctx in
            let p = try ctx.principal()
            try p.require(.jobsRead)
            let page = try req.queryInt("page") ?? 1, size = try req.queryInt("page_size") ?? 50
            guard (1...1_000_000).contains(page), (1...500).contains(size) else { throw HTTPError(400, "page must be 1-1000000 and page_size 1-500", code: "usage") }
            let all = try env.read { db -> [JSON] in
                let svc = ChannelService(db, actor: p.actor)
                let project = try req.query("project_id").map { try ProjectService(db, actor: p.actor).resolve($0).id }
                return try svc.list(projectId: project).filter { $0.kind == .language }.map { try channelJSON($0, videos: svc.jobIds($0).count) }
            }
            let items = Array(all.dropFirst((page - 1) * size).prefix(size))
            return pageEnvelope("channels", items, total: all.count, page: page, pageSize: size)
        }
        ch.on("POST", "", summary: "create a language channel under a connection (channel_name, language_code, master_connection_id; channel_id, project_id optional)",
              requiresAuth: true, requestSchema: "ChannelCreate", responseSchema: "LanguageChannel") { req, ctx in
            let p = try ctx.principal()
            try p.require(.settingsWrite)
            let b = try req.jsonObject()
            var r = ChannelCreate(name: try b.required("channel_name"))
            r.language = try b.required("language_code")
            r.master = try b.required("master_connection_id")
            r.externalId = try b.optional("channel_id")
            r.project = try b.optional("project_id")
            let json = try env.write { db in try channelJSON(try ChannelService(db, actor: p.actor).create(r), videos: 0) }
            return jsonResponse(json, status: 201)
        }
        ch.on("PATCH", "/{channel_id}", summary: "rename a channel, change its language, YouTube id or project, pause or unpause it (is_paused)",
              requiresAuth: true, requestSchema: "ChannelUpdate", responseSchema: "LanguageChannel") { req, ctx in
            let p = try ctx.principal()
            try p.require(.settingsWrite)
            let id = try ctx.parameter("channel_id")
            let b = try req.jsonObject()
            var u = ChannelUpdate()
            u.name = try b.optional("channel_name")
            u.language = try b.optional("language_code")
            u.externalId = try b.optional("channel_id")
            u.project = try b.optional("project_id")
            var paused: Bool?
            if let v = b["is_paused"], v != .null {
                guard let bv = v.boolValue else { throw HTTPError(422, "field 'is_paused' must be true or false", code: "invalid") }
                paused = bv
            }
            return jsonResponse(try env.write { db in
                try db.transaction {
                    let svc = ChannelService(db, actor: p.actor)
                    var c = try svc.update(id, u)
                    if let paused, (c.status == .paused) != paused { c = try svc.setPaused(c.id, paused) }
                    return try channelJSON(c, videos: svc.jobIds(c).count)
                }
            })
        }
        for (verb, paused) in [("pause", true), ("unpause", false)] {
            ch.on("PUT", "/{channel_id}/\(verb)", summary: "\(verb) a channel (409 when it already is)", requiresAuth: true, responseSchema: "Message") { _, ctx in
                let p = try ctx.principal()
                try p.require(.settingsWrite)
                let id = try ctx.parameter("channel_id")
                _ = try env.write { db in try ChannelService(db, actor: p.actor).setPaused(id, paused) }
                return jsonResponse(.object([("message", .string(paused ? "Channel paused successfully" : "Channel unpaused successfully"))]))
            }
        }
        ch.on("DELETE", "/{channel_id}", summary: "delete a channel; its jobs stay, without the channel", requiresAuth: true, responseSchema: "Message") { _, ctx in
            let p = try ctx.principal()
            try p.require(.settingsWrite)
            let id = try ctx.parameter("channel_id")
            _ = try env.write { db in try ChannelService(db, actor: p.actor).delete(id, force: true) }
            return jsonResponse(.object([("message", .string("Language channel deleted successfully"))]))
        }

        let yt = router.group("/youtube", middleware: mw, tags: ["youtube"])
        yt.on("GET", "/channel_graph", summary: "connections with their language channels (?project_id)", requiresAuth: true, responseSchema: "ChannelGraph", graph)
        yt.on("GET", "/connections", summary: "the organisation's YouTube connections", requiresAuth: true, responseSchema: "ConnectionList") { _, ctx in
            let p = try ctx.principal()
            try p.require(.jobsRead)
            return jsonResponse(.object([("connections", .array(try env.read { db in try ConnectionService(db, actor: p.actor).list() }.map(connectionJSON)))]))
        }
        yt.on("PATCH", "/connections/{connection_id}", summary: "set a connection's language (language_code)", requiresAuth: true,
              requestSchema: "ConnectionUpdate", responseSchema: "Connection") { req, ctx in
            let p = try ctx.principal()
            try p.require(.settingsWrite)
            let id = try ctx.parameter("connection_id")
            let lang = try req.jsonObject().required("language_code")
            return jsonResponse(connectionJSON(try env.write { db in try ConnectionService(db, actor: p.actor).update(id, language: lang) }))
        }
        yt.on("PUT", "/connections/{connection_id}/set-primary", summary: "make a connection the organisation's primary one", requiresAuth: true, responseSchema: "Message") { _, ctx in
            let p = try ctx.principal()
            try p.require(.settingsWrite)
            let id = try ctx.parameter("connection_id")
            _ = try env.write { db in try ConnectionService(db, actor: p.actor).setPrimary(id) }
            return jsonResponse(.object([("message", .string("Connection set as primary"))]))
        }
        yt.on("DELETE", "/connections/{connection_id}/unset-primary", summary: "remove the primary mark (409 when not primary)", requiresAuth: true, responseSchema: "Message") { _, ctx in
            let p = try ctx.principal()
            try p.require(.settingsWrite)
            let id = try ctx.parameter("connection_id")
            _ = try env.write { db in try ConnectionService(db, actor: p.actor).unsetPrimary(id) }
            return jsonResponse(.object([("message", .string("Primary status removed"))]))
        }
        for path in ["/connections/{connection_id}", "/connect/connections/{connection_id}"] {
            yt.on("DELETE", path, summary: path.hasPrefix("/connect") ? "alias of DELETE /youtube/connections/{connection_id} (the web client's path)"
                                                                       : "disconnect: the master channel and its tokens go, its language channels stay unassigned",
                  requiresAuth: true, responseSchema: "Disconnected") { _, ctx in
                let p = try ctx.principal()
                try p.require(.settingsWrite)
                let id = try ctx.parameter("connection_id")
                let (c, n) = try env.write { db in try ConnectionService(db, actor: p.actor).disconnect(id) }
                return jsonResponse(.object([("message", .string("Connection removed")), ("connection_id", .string(c.channel.id)),
                                             ("connection_type", .string("master")), ("unassigned_language_channels", .int(Int64(n)))]))
            }
        }
        // the OAuth start: a browser navigates here, so the access token may come as ?token=
        router.group("/youtube", middleware: env.authenticated(limits, queryToken: true), tags: ["youtube"])
            .on("GET", "/connect", summary: "start connecting a YouTube channel: 302 to the OAuth authorization endpoint (?token=, ?redirect_to=)", requiresAuth: true) { req, ctx in
                let p = try ctx.principal()
                try p.require(.settingsWrite)
                if req.query("master_connection_id") != nil {
                    throw HTTPError(400, "master_connection_id is not supported: connect the channel, then create a language channel under a connection (POST /channels)", code: "usage")
                }
                let location = try env.write { db -> String in
                    let oauth = YouTubeOAuth(db)
                    let back = try oauth.safeRedirect(req.query("redirect_to"))
                    let state = try oauth.state(userId: p.user.id, org: p.org, redirectTo: back, masterConnection: nil)
                    return try oauth.authorizationURL(state: state, redirectURI: try redirectURI(db, req))
                }
                return redirect(location)
            }
        router.group("/youtube", middleware: [MapErrorsMiddleware()], tags: ["youtube"])
            .on("GET", "/connect/callback", summary: "the OAuth redirect: state checked, code exchanged, channel connected; 302 back to the front end") { req, _ in
                guard let state = req.query("state") else { throw HTTPError(400, "the callback has no state", code: "usage") }
                return try env.write { db -> HTTPResponse in
                        let oauth = YouTubeOAuth(db)
                        let st = try oauth.verify(state: state)   // before anything else: an unsigned state gets no redirect
                        let front = try st.redirectTo ?? ConfigStore(db).value("youtube.frontend_url") ?? "/"
                        let sep = front.contains("?") ? "&" : "?"
                        if let err = req.query("error") { return redirect(front + sep + YouTubeOAuthForm.query([("youtube_error", err)])) }
                        do {
                            let (c, _) = try oauth.complete(code: req.query("code") ?? "", state: state, redirectURI: try redirectURI(db, req))
                            return redirect(front + sep + YouTubeOAuthForm.query([("youtube_connected", "true"), ("connection_id", c.channel.id)]))
                        } catch let e as OlleeyError where e.code != .unauthenticated && e.code != .permission {
                            return redirect(front + sep + YouTubeOAuthForm.query([("youtube_error", e.message)]))
                        }
                }
            }

        let videos = router.group("/videos", middleware: mw, tags: ["videos"])
        videos.on("POST", "/subscribe", summary: "subscribe to a YouTube channel's feed (channel_id)", requiresAuth: true,
                  requestSchema: "FeedSubscription", responseSchema: "Subscribed") { req, ctx in
            let p = try ctx.principal()
            try p.require(.settingsWrite)
            let c = try req.jsonObject().required("channel_id")
            let s = try env.write { db in try FeedService(db, workspace: env.workspace).subscribe(c, actor: p.actor) }
            return jsonResponse(.object([("success", .bool(true)), ("message", .string("Subscribed to channel")), ("subscription_id", .string(s.id)),
                                         ("topic", .string(s.topic))]))
        }
        videos.on("POST", "/unsubscribe", summary: "unsubscribe from a YouTube channel's feed (channel_id; 404 when not subscribed)", requiresAuth: true,
                  requestSchema: "FeedSubscription", responseSchema: "Unsubscribed") { req, ctx in
            let p = try ctx.principal()
            try p.require(.settingsWrite)
            let c = try req.jsonObject().required("channel_id")
            try env.write { db in try FeedService(db, workspace: env.workspace).unsubscribe(c, actor: p.actor) }
            return jsonResponse(.object([("success", .bool(true)), ("message", .string("Unsubscribed from channel"))]))
        }

        // the hub calls these: no authentication (a notification's signature is checked when a secret is set), no rate limit
        let hooks = router.group("/webhooks", middleware: [MapErrorsMiddleware()], tags: ["webhooks"])
        hooks.on("GET", "/youtube", summary: "WebSub verification: echoes hub.challenge for a subscribed topic (404 otherwise)") { req, _ in
            let challenge = try env.read { db in
                try FeedService(db, workspace: env.workspace).verify(mode: req.query("hub.mode"), topic: req.query("hub.topic"), challenge: req.query("hub.challenge"))
            }
            return .text(challenge)
        }
        hooks.on("POST", "/youtube", summary: "WebSub notification (Atom): a new video on a connected channel creates a job by the channel's rules",
                 responseSchema: "WebhookResult") { req, _ in
            let outcomes = try env.write { db in try FeedService(db, workspace: env.workspace).notify(req.body, signature: req.headers["X-Hub-Signature"]) }
            return jsonResponse(.object([("entries", .int(Int64(Set(outcomes.map(\.videoId)).count))),
                                         ("jobs_created", .int(Int64(outcomes.filter { $0.jobId != nil }.count)))]))
        }
    }

    static func redirect(_ location: String) -> HTTPResponse {
        var r = HTTPResponse(status: 302)
        r.headers.set("Location", location)
        r.headers.set("Cache-Control", "no-store")
        return r
    }

    static func redirectURI(_ db: Database, _ req: HTTPRequest) throws -> String {
        try ConfigStore(db).value("youtube.redirect_url") ?? (req.baseURL + "/youtube/connect/callback")
    }

    static func channelJSON(_ c: Channel, videos: Int) -> JSON {
        .object([("id", .string(c.id)), ("channel_id", JSON(c.externalId)), ("channel_name", .string(c.name)), ("language_code", JSON(c.language)),
                 ("language_name", JSON(c.language.flatMap { Language.find($0)?.name })), ("videos_count", .int(Int64(videos))),
                 ("status", .string(c.status.rawValue)), ("is_paused", .bool(c.status == .paused)), ("master_connection_id", JSON(c.masterId)),
                 ("project_id", JSON(c.projectId)), ("created_at", .string(c.createdAt))])
    }

    static func connectionJSON(_ c: Connection) -> JSON {
        .object([("connection_id", .string(c.channel.id)), ("youtube_channel_id", JSON(c.channel.externalId)), ("youtube_channel_name", .string(c.channel.name)),
                 ("channel_avatar_url", JSON(c.avatarURL)), ("language_code", JSON(c.channel.language)), ("is_primary", .bool(c.isPrimary)),
                 ("connected_at", .string(c.connectedAt)), ("project_id", JSON(c.channel.projectId)), ("status", .string(c.channel.status.rawValue)),
                 ("token_expired", .bool(c.expired()))])
    }

    static func graphJSON(_ db: Database, _ p: Principal, project: String?) throws -> JSON {
        let g = try ConnectionService(db, actor: p.actor).graph(projectId: project)
        return .object([
            ("master_nodes", .array(g.nodes.map { c, kids in
                .object([("connection_id", .string(c.channel.id)), ("channel_id", JSON(c.channel.externalId)), ("channel_name", .string(c.channel.name)),
                         ("language_code", JSON(c.channel.language)), ("is_primary", .bool(c.isPrimary)),
                         ("language_channels", .array(kids.map { k, jobs in
                             .object([("id", .string(k.id)), ("channel_id", JSON(k.externalId)), ("channel_name", .string(k.name)),
                                      ("language_code", JSON(k.language)), ("videos_count", .int(Int64(jobs)))])
                         }))])
            })),
            ("total_connections", .int(Int64(g.total))), ("active_connections", .int(Int64(g.active))), ("expired_connections", .int(Int64(g.expired))),
        ])
    }

    static var connectionSchema: [String: Any] {
        let s: [String: Any] = ["type": "string"], ns: [String: Any] = ["type": ["string", "null"]], b: [String: Any] = ["type": "boolean"]
        return strictObject(["connection_id": s, "youtube_channel_id": ns, "youtube_channel_name": s, "channel_avatar_url": ns, "language_code": ns,
                             "is_primary": b, "connected_at": s, "project_id": ns, "status": s, "token_expired": b])
    }

    static var schemas: [String: Any] {
        let s: [String: Any] = ["type": "string"], ns: [String: Any] = ["type": ["string", "null"]]
        let i: [String: Any] = ["type": "integer"], b: [String: Any] = ["type": "boolean"]
        let channel = strictObject(["id": s, "channel_id": ns, "channel_name": s, "language_code": ns, "language_name": ns, "videos_count": i, "status": s,
                                    "is_paused": b, "master_connection_id": ns, "project_id": ns, "created_at": s])
        let kid = strictObject(["id": s, "channel_id": ns, "channel_name": s, "language_code": ns, "videos_count": i])
        let node = strictObject(["connection_id": s, "channel_id": ns, "channel_name": s, "language_code": ns, "is_primary": b,
                                 "language_channels": ["type": "array", "items": kid]])
        return [
            "LanguageChannel": channel,
            "ChannelPage": pageSchema("channels", item: channel),
            "ChannelGraph": strictObject(["master_nodes": ["type": "array", "items": node], "total_connections": i, "active_connections": i, "expired_connections": i]),
            "Connection": connectionSchema,
            "ConnectionList": strictObject(["connections": ["type": "array", "items": connectionSchema]]),
            "Disconnected": strictObject(["message": s, "connection_id": s, "connection_type": s, "unassigned_language_channels": i]),
            "Subscribed": strictObject(["success": b, "message": s, "subscription_id": s, "topic": s]),
            "Unsubscribed": strictObject(["success": b, "message": s]),
            "WebhookResult": strictObject(["entries": i, "jobs_created": i]),
            "ChannelCreate": ["type": "object", "required": ["channel_name", "language_code", "master_connection_id"],
                              "properties": ["channel_name": s, "language_code": s, "master_connection_id": s, "channel_id": s, "project_id": s]],
            "ChannelUpdate": ["type": "object", "properties": ["channel_name": s, "language_code": s, "channel_id": s, "project_id": s, "is_paused": b]],
            "ConnectionUpdate": ["type": "object", "required": ["language_code"], "properties": ["language_code": s]],
            "FeedSubscription": ["type": "object", "required": ["channel_id"], "properties": ["channel_id": s]],
        ]
    }
}

/// Query strings of redirects back to the front end.
enum YouTubeOAuthForm {
    static func query(_ pairs: [(String, String)]) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return pairs.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")" }.joined(separator: "&")
    }
}
