import Foundation
import WebVTT

/// YouTube's push notifications (WebSub, formerly PubSubHubbub): an organisation subscribes to
/// a channel's feed topic; the hub verifies the subscription (`hub.challenge`, answered only for
/// topics subscribed here); each notification is an Atom feed, its signature checked when
/// `youtube.webhook_secret` is set, and a video new to an organisation with a connected,
/// active master channel of that YouTube id creates a job by the channel's rules: the target
/// languages of its active language channels, its language as the source, its project.
public struct FeedService {
    public let db: Database
    public let workspace: Workspace
    public init(_ db: Database, workspace: Workspace) { self.db = db; self.workspace = workspace }

    public static func topic(_ channelId: String) -> String { "https://www.youtube.com/xml/feeds/videos.xml?channel_id=\(channelId)" }
    public static func watchURL(_ videoId: String) -> String { "https://www.youtube.com/watch?v=\(videoId)" }

    static func validChannelId(_ raw: String) throws -> String {
        let s = raw.trimmingCharacters(in: .whitespaces)
        guard (1...64).contains(s.count), s.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") }) else {
            throw OlleeyError.usage("channel_id must be a YouTube channel id (letters, digits, _ and -)", next: [.input("channel_id", example: "UCxxxxxxxxxxxxxxxxxxxxxx")])
        }
        return s
    }

    public struct Subscription: Sendable { public var id: String; public var channelId: String; public var topic: String; public var createdAt: String }

    /// Subscribes the actor's organisation to a channel's feed (again: the same subscription).
    public func subscribe(_ channelId: String, actor: Actor) throws -> Subscription {
        let c = try FeedService.validChannelId(channelId)
        return try db.transaction {
            if let s = try subscription(c, org: actor.org) { return s }
            let s = Subscription(id: ID.uuid7(), channelId: c, topic: FeedService.topic(c), createdAt: Clock.nowISO())
            try store.insert(s, org: actor.org)
            try AuditLog(db).record(actor: actor.email, action: "feed.subscribe", subject: c, org: actor.org)
            return s
        }
    }

    /// Unsubscribes (404 when the organisation is not subscribed).
    public func unsubscribe(_ channelId: String, actor: Actor) throws {
        let c = try FeedService.validChannelId(channelId)
        try db.transaction {
            guard try store.delete(c, org: actor.org) else {
                throw OlleeyError.notFound("not subscribed to channel \(c)")
            }
            try AuditLog(db).record(actor: actor.email, action: "feed.unsubscribe", subject: c, org: actor.org)
        }
    }

    var store: FeedStore { FeedStore(db: db) }

    func subscription(_ channelId: String, org: String) throws -> Subscription? { try store.subscription(channelId, org: org) }

    /// The hub's verification of intent: the challenge when `mode` is `subscribe` and some
    /// organisation is subscribed to `topic`, or `unsubscribe` and none is; else 404.
    public func verify(mode: String?, topic: String?, challenge: String?) throws -> String {
        guard let mode, let topic, let challenge, !challenge.isEmpty else {
            throw OlleeyError.usage("hub.mode, hub.topic and hub.challenge are required")
        }
        let subscribed = try store.subscribed(topic: topic)
        switch mode {
        case "subscribe" where subscribed, "unsubscribe" where !subscribed: return challenge
        case "subscribe", "unsubscribe": throw OlleeyError.notFound("no \(mode == "subscribe" ? "subscription" : "pending unsubscription") for this topic")
        default: throw OlleeyError.usage("hub.mode must be subscribe or unsubscribe")
        }
    }

    /// Checks `X-Hub-Signature` (`sha1=HEX` or `sha256=HEX`, HMAC of the body under the secret)
    /// when `youtube.webhook_secret` is set: a missing or wrong signature is 403.
    public func checkSignature(_ body: [UInt8], header: String?) throws {
        guard let secret = try ConfigStore(db).value("youtube.webhook_secret"), !secret.isEmpty else { return }
        guard let h = header, let eq = h.firstIndex(of: "=") else {
            throw OlleeyError(.permission, "the notification is not signed (X-Hub-Signature) and youtube.webhook_secret is set")
        }
        let algo = h[..<eq].lowercased(), given = h[h.index(after: eq)...].lowercased()
        let key = Array(secret.utf8)
        let mac: [UInt8]
        switch algo {
        case "sha1": mac = Crypto.hmacSHA1(key: key, data: body)
        case "sha256": mac = Crypto.hmacSHA256(key: key, data: body)
        default: throw OlleeyError(.permission, "unsupported X-Hub-Signature algorithm '\(algo)' (sha1 or sha256)")
        }
        guard Crypto.constantTimeEqual(Array(Hex.encode(mac).utf8), Array(given.utf8)) else {
            throw OlleeyError(.permission, "the notification's X-Hub-Signature does not match")
        }
    }

    public struct Entry: Sendable, Equatable { public var videoId: String; public var channelId: String; public var title: String }

    /// The entries of an Atom notification (`yt:videoId`, `yt:channelId`, `title`); a deleted
    /// entry (`at:deleted-entry`) has none. Not XML: 400.
    public static func entries(_ body: [UInt8]) throws -> [Entry] {
        let root: XMLElementNode
        do { root = try XMLReader.parse(body) } catch let e as XMLSyntaxError {
            throw OlleeyError.usage("the notification is not XML (line \(e.line): \(e.message))")
        }
        guard root.localName == "feed" else { throw OlleeyError.usage("the notification is not an Atom feed (root <\(root.name)>)") }
        return root.elements("entry").compactMap { e in
            guard let v = e.elements("videoId").first?.text.trimmingCharacters(in: .whitespacesAndNewlines), !v.isEmpty,
                  let c = e.elements("channelId").first?.text.trimmingCharacters(in: .whitespacesAndNewlines), !c.isEmpty else { return nil }
            return Entry(videoId: v, channelId: c, title: e.elements("title").first?.text ?? v)
        }
    }

    public struct Outcome: Sendable, Equatable {
        public var videoId: String
        public var org: String
        /// The job created, or nil (with `reason`): already seen, channel paused, no languages.
        public var jobId: String?
        public var reason: String?
    }

    /// Handles a verified notification: for each entry and each organisation subscribed to its
    /// channel, a job when the video is new there and the channel has rules to follow.
    public func notify(_ body: [UInt8], signature: String?) throws -> [Outcome] {
        try checkSignature(body, header: signature)
        var out: [Outcome] = []
        for e in try FeedService.entries(body) {
            guard (try? FeedService.validChannelId(e.channelId)) != nil, e.videoId.count <= 64,
                  e.videoId.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") }) else { continue }
            let orgs = try store.organisations(subscribedTo: e.channelId)
            for org in orgs { out.append(try handle(e, org: org)) }
        }
        return out
    }

    func handle(_ e: Entry, org: String) throws -> Outcome {
        var o = Outcome(videoId: e.videoId, org: org, jobId: nil, reason: nil)
        if try store.seen(e.videoId, org: org) { o.reason = "already seen"; return o }
        let system = Actor(email: nil, org: org)
        let masters = try ChannelService(db, actor: system).list().filter { $0.kind == .master && $0.externalId == e.channelId }
        func remember(_ job: String?) throws {
            try store.remember(e.videoId, channel: e.channelId, job: job, org: org)
        }
        guard let master = masters.first else { o.reason = "no connected channel \(e.channelId)"; try remember(nil); return o }
        guard master.status == .active else { o.reason = "channel paused"; try remember(nil); return o }
        let targets = try ChannelService(db, actor: system).children(master.id).filter { $0.status == .active }.compactMap(\.language)
        guard !targets.isEmpty else { o.reason = "the channel has no active language channels"; try remember(nil); return o }
        var r = JobCreateRequest(source: FeedService.watchURL(e.videoId))
        r.sourceLang = master.language ?? "en"
        r.targetLanguages = targets
        r.project = master.projectId
        r.channel = master.id
        r.org = org
        r.actor = "webhook"
        let job = try JobService(db: db, workspace: workspace).create(r)
        try remember(job.id)
        o.jobId = job.id
        return o
    }
}
