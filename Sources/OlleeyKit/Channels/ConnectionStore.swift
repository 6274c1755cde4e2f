import Foundation

/// SQL of connections (the rules are ConnectionService's).
struct ConnectionStore {
    let db: Database
    let org: String

    func row(_ channelId: String) throws -> (primary: Bool, avatar: String?, connectedAt: String, token: Bool, expires: String?)? {
        try db.queryOne("SELECT is_primary, avatar_url, connected_at, access_token IS NOT NULL AS t, token_expires_at FROM channel_connections WHERE channel_id = ? AND org_id = ?",
                        [.text(channelId), .text(org)]) { r in
            let primary: Int64 = try r["is_primary"], t: Int64 = try r["t"]
            let avatar: String? = try r["avatar_url"], expires: String? = try r["token_expires_at"]
            return (primary != 0, avatar, try r["connected_at"], t != 0, expires)
        }
    }

    func ensure(_ channelId: String, at: String) throws {
        try db.run("INSERT INTO channel_connections(channel_id, org_id, connected_at) VALUES (?, ?, ?) ON CONFLICT(channel_id) DO NOTHING",
                   [.text(channelId), .text(org), .text(at)])
    }

    func setPrimary(_ channelId: String?) throws {
        try db.run("UPDATE channel_connections SET is_primary = 0 WHERE org_id = ? AND is_primary = 1", [.text(org)])
        if let c = channelId { try db.run("UPDATE channel_connections SET is_primary = 1 WHERE channel_id = ? AND org_id = ?", [.text(c), .text(org)]) }
    }

    func setTokens(_ channelId: String, access: String, refresh: String?, expires: String?, avatar: String?) throws {
        try db.run("""
            UPDATE channel_connections SET access_token = ?, refresh_token = coalesce(?, refresh_token), token_expires_at = ?,
              avatar_url = coalesce(?, avatar_url), connected_at = ? WHERE channel_id = ? AND org_id = ?
            """, [.text(access), refresh.sqlValue, expires.sqlValue, avatar.sqlValue, .text(Clock.nowISO()), .text(channelId), .text(org)])
    }

    func detachChildren(_ masterId: String) throws -> Int {
        try db.run("UPDATE channels SET master_id = NULL, updated_at = ? WHERE master_id = ? AND org_id = ?", [.text(Clock.nowISO()), .text(masterId), .text(org)])
    }

    func masterByExternalId(_ external: String) throws -> String? {
        try db.scalarText("SELECT id FROM channels WHERE kind = 'master' AND external_id = ? AND org_id = ? LIMIT 1", [.text(external), .text(org)])
    }

    func hasPrimary() throws -> Bool {
        (try db.scalarInt("SELECT count(*) FROM channel_connections WHERE org_id = ? AND is_primary = 1", [.text(org)]) ?? 0) > 0
    }
}
