import Foundation
import Testing
import OlleeyKit
import OlleeyTestSupport

@Suite("Connections, OAuth state, feeds, user settings, job statistics")
struct ConnectionsFeedTests {
    func workspace() throws -> (TempDir, Database) {
        let dir = TempDir("olleey-connections")
        let (ws, _) = try TestStore.initialize(at: dir.path)
        return (dir, try ws.open())
    }

    @Test("an OAuth state verifies once signed here; tampered, expired or signed by another workspace's key is refused (401)")
    func oauthState() throws {
        let (_, db) = try workspace()
        let (_, other) = try workspace()
        let o = YouTubeOAuth(db)
        let s = try o.state(userId: "u1", org: "default", redirectTo: "/back", masterConnection: nil, now: 1_000_000)
        let v = try o.verify(state: s, now: 1_000_001)
        #expect(v.userId == "u1" && v.org == "default" && v.redirectTo == "/back" && v.expiresMs == 1_000_000 + 600_000)
        #expect(throws: OlleeyError.self) { try o.verify(state: s, now: 1_000_000 + 600_001) }
        #expect(throws: OlleeyError.self) { try YouTubeOAuth(other).verify(state: s, now: 1_000_001) }
        #expect(throws: OlleeyError.self) { try o.verify(state: "x" + s, now: 1_000_001) }
        #expect(throws: OlleeyError.self) { try o.verify(state: "garbage", now: 1_000_001) }
        #expect(try o.safeRedirect("/x") == "/x")
        #expect(throws: OlleeyError.self) { try o.safeRedirect("//evil.example/x") }
        #expect(throws: OlleeyError.self) { try o.safeRedirect("https://evil.example/") }
    }

    @Test("Atom entries: video and channel ids and title; a deleted entry has none; not XML or not a feed is refused")
    func atom() throws {
        let feed = """
        <feed xmlns:yt="http://www.youtube.com/xml/schemas/2015" xmlns="http://www.w3.org/2005/Atom" xmlns:at="http://purl.org/atompub/tombstones/1.0">
        <entry><yt:videoId>v1</yt:videoId><yt:channelId>UC1</yt:channelId><title>One &amp; two</title></entry>
        <at:deleted-entry ref="yt:video:v0"/>
        </feed>
        """
        let entries = try FeedService.entries(Array(feed.utf8))
        #expect(entries.map(\.videoId) == ["v1"] && entries.map(\.channelId) == ["UC1"] && entries.map(\.title) == ["One & two"])
        #expect(throws: OlleeyError.self) { try FeedService.entries(Array("nope".utf8)) }
        #expect(throws: OlleeyError.self) { try FeedService.entries(Array("<rss/>".utf8)) }
    }

    @Test("user settings: defaults, a patch changes only what it names, unknown keys and bad values refused")
    func userSettings() throws {
        let (_, db) = try workspace()
        let svc = UserSettingsService(db)
        #expect(try svc.get("u1") == .defaults)
        let s = try svc.patch("u1", ["notifications": ["error_alerts": false]])
        #expect(s.theme == "system" && s.notifications.first { $0.0 == "error_alerts" }?.1 == false)
        #expect(try svc.get("u1") == s && svc.get("u2") == .defaults)
        #expect(throws: OlleeyError.self) { try svc.patch("u1", ["notifications": ["sms": true]]) }
        #expect(throws: OlleeyError.self) { try svc.patch("u1", ["theme": 3]) }
        #expect(try svc.get("u1") == s)
    }

    @Test("primary: at most one per organisation; disconnect leaves language channels unassigned")
    func primary() throws {
        let (_, db) = try workspace()
        let actor = Actor(email: "a@example.com")
        let ch = ChannelService(db, actor: actor)
        var a = ChannelCreate(name: "A"); a.externalId = "UCa"
        var b = ChannelCreate(name: "B"); b.externalId = "UCb"
        let ma = try ch.create(a), mb = try ch.create(b)
        var kid = ChannelCreate(name: "A fr"); kid.master = ma.id; kid.language = "fr"
        _ = try ch.create(kid)
        let svc = ConnectionService(db, actor: actor)
        _ = try svc.setPrimary(ma.id)
        _ = try svc.setPrimary(mb.id)
        #expect(try svc.list().map(\.isPrimary) == [false, true])
        #expect(throws: OlleeyError.self) { try svc.unsetPrimary(ma.id) }
        let (_, n) = try svc.disconnect(ma.id)
        let orphan = try ch.list().first { $0.name == "A fr" }
        #expect(n == 1 && orphan != nil && orphan?.masterId == nil)
        #expect(throws: OlleeyError.self) { try svc.get("A fr") }
        // another organisation sees none of them
        #expect(try ConnectionService(db, actor: Actor(email: nil, org: "elsewhere")).list().isEmpty)
    }
}
