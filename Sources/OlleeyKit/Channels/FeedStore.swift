import Foundation

/// SQL of feed subscriptions and the feed videos already seen (the rules are FeedService's).
struct FeedStore {
    let db: Database

    func insert(_ s: FeedService.Subscription, org: String) throws {
        try db.run("INSERT INTO feed_subscriptions(id, org_id, channel_external_id, topic, created_at) VALUES (?, ?, ?, ?, ?)",
                   [.text(s.id), .text(org), .text(s.channelId), .text(s.topic), .text(s.createdAt)])
    }

    /// True when there was one to delete.
    func delete(_ channelId: String, org: String) throws -> Bool {
        try db.run("DELETE FROM feed_subscriptions WHERE org_id = ? AND channel_external_id = ?", [.text(org), .text(channelId)]) > 0
    }

    func subscription(_ channelId: String, org: String) throws -> FeedService.Subscription? {
        try db.queryOne("SELECT id, channel_external_id, topic, created_at FROM feed_subscriptions WHERE org_id = ? AND channel_external_id = ?",
                        [.text(org), .text(channelId)]) { r in
            FeedService.Subscription(id: try r["id"], channelId: try r["channel_external_id"], topic: try r["topic"], createdAt: try r["created_at"])
        }
    }

    func subscribed(topic: String) throws -> Bool {
        (try db.scalarInt("SELECT count(*) FROM feed_subscriptions WHERE topic = ?", [.text(topic)]) ?? 0) > 0
    }

    func organisations(subscribedTo channelId: String) throws -> [String] {
        try db.query("SELECT org_id FROM feed_subscriptions WHERE channel_external_id = ? ORDER BY org_id", [.text(channelId)]) { try $0["org_id"] as String }
    }

    func seen(_ videoId: String, org: String) throws -> Bool {
        (try db.scalarInt("SELECT count(*) FROM feed_videos WHERE org_id = ? AND video_id = ?", [.text(org), .text(videoId)]) ?? 0) > 0
    }

    func remember(_ videoId: String, channel: String, job: String?, org: String) throws {
        try db.run("INSERT INTO feed_videos(org_id, video_id, channel_id, job_id, seen_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                   [.text(org), .text(videoId), .text(channel), job.sqlValue, .text(Clock.nowISO())])
    }
}
