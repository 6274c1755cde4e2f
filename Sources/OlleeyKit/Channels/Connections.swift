import Foundation

/// A YouTube connection: a master channel of the organisation (the channel source videos come
/// from), with what connecting it over OAuth stored (tokens, avatar) and whether it is the
/// organisation's primary connection. A master channel created without OAuth (`channel create`,
/// `POST /channels`) is a connection too, without tokens.
public struct Connection: Sendable {
    public var channel: Channel
    public var isPrimary: Bool
    public var avatarURL: String?
    public var connectedAt: String
    public var hasToken: Bool
    public var tokenExpiresAt: String?
    public var languageChannels: [Channel]

    /// Expired: connected over OAuth, and its access token's expiry has passed.
    public func expired(now: String = Clock.nowISO()) -> Bool { hasToken && (tokenExpiresAt.map { $0 < now } ?? false) }
}

/// Rules of YouTube connections: list, language, primary (at most one per organisation),
/// disconnect (the language channels stay, unassigned), the channel graph, and connecting a
/// channel from an OAuth authorization.
public struct ConnectionService {
    public let db: Database
    public let actor: Actor

    public init(_ db: Database, actor: Actor) { self.db = db; self.actor = actor }

    var store: ConnectionStore { ConnectionStore(db: db, org: actor.org) }
    var channels: ChannelService { ChannelService(db, actor: actor) }

    /// The organisation's connections (master channels), oldest first; of one project when given.
    public func list(projectId: String? = nil) throws -> [Connection] {
        let project = try projectId.map { try ProjectService(db, actor: actor).resolve($0).id }
        let all = try channels.list(projectId: project)
        let kids = Dictionary(grouping: try channels.list().filter { $0.kind == .language && $0.masterId != nil }, by: { $0.masterId ?? "" })
        return try all.filter { $0.kind == .master }.map { try connection($0, children: kids[$0.id] ?? []) }
    }

    func connection(_ c: Channel, children: [Channel]) throws -> Connection {
        let r = try store.row(c.id)
        return Connection(channel: c, isPrimary: r?.primary ?? false, avatarURL: r?.avatar, connectedAt: r?.connectedAt ?? c.createdAt,
                          hasToken: r?.token ?? false, tokenExpiresAt: r?.expires, languageChannels: children)
    }

    /// One connection by id (a master channel's id, name or prefix); a language channel is 404.
    public func get(_ ref: String) throws -> Connection {
        let c = try channels.resolve(ref)
        guard c.kind == .master else { throw OlleeyError.notFound("connection '\(ref)' not found (a language channel is not a connection)") }
        return try connection(c, children: try channels.children(c.id))
    }

    /// Sets a connection's language (its master channel's).
    public func update(_ ref: String, language: String?) throws -> Connection {
        let c = try get(ref)
        guard let language else { return c }
        var u = ChannelUpdate()
        u.language = language
        _ = try channels.update(c.channel.id, u)
        return try get(c.channel.id)
    }

    /// Makes a connection the organisation's primary one (the previous primary is not any more).
    public func setPrimary(_ ref: String) throws -> Connection {
        let c = try get(ref)
        try db.transaction {
            try store.ensure(c.channel.id, at: c.connectedAt)
            try store.setPrimary(c.channel.id)
            try AuditLog(db).record(actor: actor.email, action: "connection.set_primary", subject: c.channel.id, org: actor.org)
        }
        return try get(c.channel.id)
    }

    /// Removes the primary mark (409 when the connection is not the primary one).
    public func unsetPrimary(_ ref: String) throws -> Connection {
        let c = try get(ref)
        guard c.isPrimary else { throw OlleeyError.conflict("connection '\(c.channel.name)' is not the primary connection") }
        try db.transaction {
            try store.setPrimary(nil)
            try AuditLog(db).record(actor: actor.email, action: "connection.unset_primary", subject: c.channel.id, org: actor.org)
        }
        return try get(c.channel.id)
    }

    /// Disconnects: deletes the master channel and its stored tokens; its language channels stay,
    /// without a master (their number is returned). Jobs that name it keep their history and lose
    /// the channel.
    public func disconnect(_ ref: String) throws -> (Connection, unassigned: Int) {
        let c = try get(ref)
        let n = try db.transaction { () -> Int in
            let n = try store.detachChildren(c.channel.id)
            _ = try channels.delete(c.channel.id, force: true)
            return n
        }
        return (c, n)
    }

    /// The channel graph: each connection with its language channels and their job counts;
    /// `active` counts connections not paused and not expired, `expired` those whose token expired.
    public func graph(projectId: String? = nil) throws -> (nodes: [(Connection, [(Channel, jobs: Int)])], total: Int, active: Int, expired: Int) {
        let list = try self.list(projectId: projectId)
        let now = Clock.nowISO()
        let nodes = try list.map { c in (c, try c.languageChannels.map { ($0, try channels.jobIds($0).count) }) }
        let expired = list.filter { $0.expired(now: now) }.count
        let active = list.filter { $0.channel.status == .active && !$0.expired(now: now) }.count
        return (nodes, list.count, active, expired)
    }

    /// Records a channel connected over OAuth: the master channel with that YouTube channel id is
    /// updated (its tokens replaced), or created (named after the channel; a taken name gets the
    /// id appended). The first connection of an organisation becomes its primary.
    public func connect(_ channel: YouTubeOAuth.ChannelInfo, tokens: YouTubeOAuth.Tokens, project: String? = nil) throws -> Connection {
        let id: String = try db.transaction {
            var cid = try store.masterByExternalId(channel.id)
            if cid == nil {
                var r = ChannelCreate(name: channel.title.isEmpty ? channel.id : channel.title)
                r.externalId = channel.id
                r.project = project
                if try ChannelStore(db, org: actor.org).nameTaken(r.name) { r.name = "\(r.name) (\(channel.id))" }
                cid = try channels.create(r).id
            }
            guard let cid else { throw OlleeyError.failure("the connected channel could not be stored") }
            try store.ensure(cid, at: Clock.nowISO())
            let expires = tokens.expiresIn.map { Clock.iso8601(millis: Clock.nowMillis() + Int64($0) * 1000) }
            try store.setTokens(cid, access: tokens.accessToken, refresh: tokens.refreshToken, expires: expires, avatar: channel.avatarURL)
            if try !store.hasPrimary() { try store.setPrimary(cid) }
            try AuditLog(db).record(actor: actor.email, action: "connection.connect", subject: cid, detail: ["youtube_channel_id": .string(channel.id)], org: actor.org)
            return cid
        }
        return try get(id)
    }
}

/// The OAuth 2.0 authorization-code flow of a YouTube connection, against the endpoints of the
/// `youtube.*` settings (Google's by default; a test points them at 127.0.0.1). The `state` is
/// signed (HMAC-SHA256 under the workspace's URL key), names the user and organisation, and
/// expires after 10 minutes.
public struct YouTubeOAuth {
    public struct Tokens: Sendable { public var accessToken: String; public var refreshToken: String?; public var expiresIn: Int? }
    public struct ChannelInfo: Sendable { public var id: String; public var title: String; public var avatarURL: String? }
    /// What a verified state carries.
    public struct State: Sendable, Equatable {
        public var userId: String
        public var org: String
        public var redirectTo: String?
        public var masterConnection: String?
        public var expiresMs: Int64
    }

    public let db: Database
    public init(_ db: Database) { self.db = db }

    static let stateSeconds: Int64 = 600

    func setting(_ k: String) throws -> String? { try ConfigStore(db).value(k) }

    /// The client id (404 with the setting to set when there is none: the feature is not there,
    /// as Microsoft sign-in without its settings).
    func clientId() throws -> String {
        guard let id = try setting("youtube.client_id"), !id.isEmpty else {
            throw OlleeyError.notFound("YouTube connections are not configured: youtube.client_id is not set",
                                          next: [.setting("youtube.client_id", example: "CLIENT_ID.apps.googleusercontent.com")])
        }
        return id
    }

    /// A signed state for a user of an organisation.
    public func state(userId: String, org: String, redirectTo: String?, masterConnection: String?, now: Int64 = Clock.nowMillis()) throws -> String {
        let payload: JSON = .object([("u", .string(userId)), ("o", .string(org)), ("r", JSON(redirectTo)), ("m", JSON(masterConnection)),
                                     ("e", .int(now + YouTubeOAuth.stateSeconds * 1000)),
                                     ("n", .string(Crypto.base64url(try Crypto.randomBytes(8))))])
        let body = Crypto.base64url(Array(payload.encoded().utf8))
        let sig = Crypto.base64url(Crypto.hmacSHA256(key: try SigningKeys(db).urlKey(), data: Array(("oauth-state." + body).utf8)))
        return body + "." + sig
    }

    /// Checks a state's signature and expiry (401 when either fails).
    public func verify(state: String, now: Int64 = Clock.nowMillis()) throws -> State {
        let parts = state.split(separator: ".", omittingEmptySubsequences: false)
        let bad = OlleeyError(.unauthenticated, "the OAuth state is not valid (tampered, or not made by this server)", hint: "start the connection again")
        guard parts.count == 2, let sig = Crypto.base64urlDecode(parts[1]),
              Crypto.constantTimeEqual(sig, Crypto.hmacSHA256(key: try SigningKeys(db).urlKey(), data: Array(("oauth-state." + parts[0]).utf8))),
              let raw = Crypto.base64urlDecode(parts[0]), let j = try? JSON.parse(bytes: raw, maxDepth: 4),
              let u = j["u"]?.stringValue, let o = j["o"]?.stringValue, let e = j["e"]?.intValue else { throw bad }
        guard e > now else { throw OlleeyError(.unauthenticated, "the OAuth state expired", hint: "start the connection again") }
        return State(userId: u, org: o, redirectTo: j["r"]?.stringValue, masterConnection: j["m"]?.stringValue, expiresMs: e)
    }

    /// The authorization endpoint's URL for `state`, asking for offline access to YouTube.
    public func authorizationURL(state: String, redirectURI: String) throws -> String {
        let base = try setting("youtube.authorize_url") ?? "https://accounts.google.com/o/oauth2/v2/auth"
        let q = [("client_id", try clientId()), ("redirect_uri", redirectURI), ("response_type", "code"),
                 ("scope", "https://www.googleapis.com/auth/youtube.readonly https://www.googleapis.com/auth/youtube.upload"),
                 ("access_type", "offline"), ("prompt", "consent"), ("state", state)]
        return base + (base.contains("?") ? "&" : "?") + YouTubeOAuth.form(q)
    }

    static func form(_ pairs: [(String, String)]) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return pairs.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")" }.joined(separator: "&")
    }

    /// Exchanges an authorization code at the token endpoint (502-style failure when it refuses).
    public func exchange(code: String, redirectURI: String) throws -> Tokens {
        let url = try setting("youtube.token_url") ?? "https://oauth2.googleapis.com/token"
        let body = YouTubeOAuth.form([("code", code), ("client_id", try clientId()), ("client_secret", try setting("youtube.client_secret") ?? ""),
                                      ("redirect_uri", redirectURI), ("grant_type", "authorization_code")])
        let r = try HTTPClient(timeout: 30).send(method: "POST", url: url, headers: [("Content-Type", "application/x-www-form-urlencoded"), ("Accept", "application/json")],
                                                 body: Array(body.utf8))
        guard r.isSuccess, let j = try? r.json(), let access = j["access_token"]?.stringValue, !access.isEmpty else {
            throw OlleeyError.failure("the token endpoint refused the authorization code (HTTP \(r.status))", hint: "connect again")
        }
        // a lifetime beyond ten years (or negative) is the endpoint's mistake: clamped
        return Tokens(accessToken: access, refreshToken: j["refresh_token"]?.stringValue,
                      expiresIn: j["expires_in"]?.intValue.map { Int(min(max($0, 0), 315_360_000)) })
    }

    /// The connected account's channel (the first of the channels endpoint's `items`).
    public func channel(accessToken: String) throws -> ChannelInfo {
        let url = try setting("youtube.channels_url") ?? "https://www.googleapis.com/youtube/v3/channels?part=snippet&mine=true"
        let r = try HTTPClient(timeout: 30).get(url, headers: [("Authorization", "Bearer \(accessToken)"), ("Accept", "application/json")])
        guard r.isSuccess, let j = try? r.json(), let item = j["items"]?.arrayValue?.first, let id = item["id"]?.stringValue, !id.isEmpty else {
            throw OlleeyError.failure("the connected account's YouTube channel could not be read (HTTP \(r.status))", hint: "the account may have no channel")
        }
        let snippet = item["snippet"]
        return ChannelInfo(id: id, title: snippet?["title"]?.stringValue ?? id,
                           avatarURL: snippet?["thumbnails"]?["default"]?["url"]?.stringValue)
    }
}

extension YouTubeOAuth {
    /// The callback's work: the state verified, its user still a member with the right to
    /// manage connections, the code exchanged, the account's channel read and connected.
    public func complete(code: String, state: String, redirectURI: String) throws -> (Connection, State) {
        let st = try verify(state: state)
        let user: User
        do { user = try UserService(db).member(st.userId, org: st.org) } catch let e as OlleeyError where e.code == .notFound {
            throw OlleeyError(.unauthenticated, "the account that started the connection is no longer a member of its organisation")
        }
        guard !user.disabled else { throw OlleeyError(.unauthenticated, "the account that started the connection is disabled") }
        try Permission.settingsWrite.check(user.role)
        guard !code.isEmpty else { throw OlleeyError.usage("the callback has no authorization code") }
        let tokens = try exchange(code: code, redirectURI: redirectURI)
        let info = try channel(accessToken: tokens.accessToken)
        let actor = Actor(email: user.email, org: st.org)
        return (try ConnectionService(db, actor: actor).connect(info, tokens: tokens), st)
    }

    /// Where the browser may be sent back: a path on this server (`/x`, not `//host`), or a URL
    /// under `youtube.frontend_url`; anything else is refused (no open redirect).
    public func safeRedirect(_ target: String?) throws -> String? {
        guard let t = target, !t.isEmpty else { return nil }
        if t.hasPrefix("/") && !t.hasPrefix("//") && !t.hasPrefix("/\\") { return t }
        if let front = try setting("youtube.frontend_url"), let f = try? HTTPURL(front), let u = try? HTTPURL(t),
           f.scheme == u.scheme, f.host.lowercased() == u.host.lowercased(), f.port == u.port { return t }
        throw OlleeyError.usage("redirect_to must be a path on this server or a URL under youtube.frontend_url",
                                next: [.setting("youtube.frontend_url", example: "http://localhost:3000")])
    }
}
