import Foundation

/// A stored refresh token (its SHA-256, never the token).
public struct RefreshTokenRecord: Sendable, Equatable {
    public var tokenHash: String
    public var familyId: String
    public var userId: String
    public var orgId: String
    public var expiresAt: Int64
    public var rotatedAt: String?
    public var revokedAt: String?
}

/// An invitation to join an organisation (its token's SHA-256 is stored, never the token).
public struct Invitation: Sendable, Equatable {
    public var id: String
    public var orgId: String
    public var email: String
    public var role: Role
    public var invitedBy: String?
    public var createdAt: String
    public var expiresAt: Int64
    public var acceptedAt: String?

    public var json: JSON {
        .object([("id", .string(id)), ("org_id", .string(orgId)), ("email", .string(email)), ("role", .string(role.rawValue)),
                 ("invited_by", JSON(invitedBy)), ("created_at", .string(createdAt)), ("expires_at", .string(Clock.iso8601(millis: expiresAt * 1000))),
                 ("accepted_at", JSON(acceptedAt))])
    }
}

/// One audit log entry.
public struct AuditEntry: Sendable, Equatable {
    public var id: Int64
    public var at: String
    public var actor: String?
    public var action: String
    public var subject: String?
    public var detail: JSON
    public var orgId: String?

    public var json: JSON {
        .object([("id", .int(id)), ("at", .string(at)), ("actor", JSON(actor)), ("action", .string(action)), ("subject", JSON(subject)),
                 ("detail", detail), ("org_id", JSON(orgId))])
    }
}

/// SQL for credentials, the instance-owner flag, refresh tokens, signing keys, invitations,
/// OIDC identities and reading the audit log.
public struct AccountStore {
    let db: Database

    public init(_ db: Database) { self.db = db }

    // MARK: credentials

    public func passwordHash(user id: String) throws -> String? {
        try db.scalarText("SELECT password_hash FROM users WHERE id = ?", [.text(id)])
    }

    public func setPasswordHash(user id: String, _ hash: String?) throws {
        try db.run("UPDATE users SET password_hash = ?, updated_at = ? WHERE id = ?", [hash.sqlValue, .text(Clock.nowISO()), .text(id)])
    }

    public func isOwner(user id: String) throws -> Bool {
        (try db.scalarInt("SELECT instance_owner FROM users WHERE id = ?", [.text(id)]) ?? 0) != 0
    }

    public func setOwner(user id: String, _ owner: Bool) throws {
        try db.run("UPDATE users SET instance_owner = ? WHERE id = ?", [.int(owner ? 1 : 0), .text(id)])
    }

    // MARK: refresh tokens

    static func refresh(_ r: Row) -> RefreshTokenRecord {
        RefreshTokenRecord(tokenHash: r.string(0), familyId: r.string(1), userId: r.string(2), orgId: r.string(3), expiresAt: r.int64(4),
                           rotatedAt: r.optionalString(5), revokedAt: r.optionalString(6))
    }

    public func insertRefresh(_ t: RefreshTokenRecord) throws {
        try db.run("INSERT INTO refresh_tokens(token_hash, family_id, user_id, org_id, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)",
                   [.text(t.tokenHash), .text(t.familyId), .text(t.userId), .text(t.orgId), .text(Clock.nowISO()), .int(t.expiresAt)])
    }

    public func refresh(hash: String) throws -> RefreshTokenRecord? {
        try db.queryOne("SELECT token_hash, family_id, user_id, org_id, expires_at, rotated_at, revoked_at FROM refresh_tokens WHERE token_hash = ?",
                        [.text(hash)], AccountStore.refresh)
    }

    /// Marks a live token rotated; false when another request rotated or revoked it first.
    public func markRotated(hash: String) throws -> Bool {
        try db.run("UPDATE refresh_tokens SET rotated_at = ? WHERE token_hash = ? AND rotated_at IS NULL AND revoked_at IS NULL",
                   [.text(Clock.nowISO()), .text(hash)]) == 1
    }

    @discardableResult
    public func revokeFamily(_ family: String) throws -> Int {
        try db.run("UPDATE refresh_tokens SET revoked_at = ? WHERE family_id = ? AND revoked_at IS NULL", [.text(Clock.nowISO()), .text(family)])
    }

    @discardableResult
    public func revokeAll(user id: String) throws -> Int {
        try db.run("UPDATE refresh_tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL", [.text(Clock.nowISO()), .text(id)])
    }

    /// Drops tokens expired before `epochSeconds`.
    @discardableResult
    public func deleteExpiredRefresh(before epochSeconds: Int64) throws -> Int {
        try db.run("DELETE FROM refresh_tokens WHERE expires_at < ?", [.int(epochSeconds)])
    }

    // MARK: signing keys

    /// The named key, created with `fresh` when missing (INSERT ... ON CONFLICT DO NOTHING, then read: two
    /// processes creating it at once end up with the same key).
    public func signingKey(_ name: String, fresh: () throws -> [UInt8]) throws -> [UInt8] {
        if let k = try db.queryOne("SELECT secret FROM signing_keys WHERE name = ?", [.text(name)], { $0.blob(0) }) { return k }
        try db.run("INSERT INTO signing_keys(name, secret, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING", [.text(name), .blob(try fresh()), .text(Clock.nowISO())])
        guard let k = try db.queryOne("SELECT secret FROM signing_keys WHERE name = ?", [.text(name)], { $0.blob(0) }) else {
            throw OlleeyError.failure("signing key not stored")
        }
        return k
    }

    // MARK: invitations

    static func invitation(_ r: Row) -> Invitation {
        Invitation(id: r.string(0), orgId: r.string(1), email: r.string(2), role: Role(rawValue: r.string(3)) ?? .client, invitedBy: r.optionalString(4),
                   createdAt: r.string(5), expiresAt: r.int64(6), acceptedAt: r.optionalString(7))
    }

    static let invitationColumns = "id, org_id, email, role, invited_by, created_at, expires_at, accepted_at"

    public func insertInvitation(_ i: Invitation, tokenHash: String) throws {
        try db.run("INSERT INTO invitations(id, org_id, email, role, token_hash, invited_by, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                   [.text(i.id), .text(i.orgId), .text(i.email), .text(i.role.rawValue), .text(tokenHash), i.invitedBy.sqlValue, .text(i.createdAt), .int(i.expiresAt)])
    }

    public func invitation(tokenHash: String) throws -> Invitation? {
        try db.queryOne("SELECT \(AccountStore.invitationColumns) FROM invitations WHERE token_hash = ?", [.text(tokenHash)], AccountStore.invitation)
    }

    /// Marks an invitation accepted; false when it was accepted already.
    public func acceptInvitation(_ id: String) throws -> Bool {
        try db.run("UPDATE invitations SET accepted_at = ? WHERE id = ? AND accepted_at IS NULL", [.text(Clock.nowISO()), .text(id)]) == 1
    }

    // MARK: OIDC identities

    public func identity(provider: String, subject: String) throws -> String? {
        try db.scalarText("SELECT user_id FROM oidc_identities WHERE provider = ? AND subject = ?", [.text(provider), .text(subject)])
    }

    public func linkIdentity(provider: String, subject: String, user: String) throws {
        try db.run("INSERT INTO oidc_identities(provider, subject, user_id, created_at) VALUES (?, ?, ?, ?)",
                   [.text(provider), .text(subject), .text(user), .text(Clock.nowISO())])
    }

    // MARK: audit log

    /// Entries newest first; `org` nil reads every organisation's (and unscoped) entries.
    public func audit(org: String?, before: Int64?, limit: Int) throws -> [AuditEntry] {
        var sql = "SELECT id, at, actor, action, subject, detail, org_id FROM audit_log WHERE 1 = 1"
        var args: [SQLValue] = []
        if let org { sql += " AND org_id = ?"; args.append(.text(org)) }
        if let before { sql += " AND id < ?"; args.append(.int(before)) }
        sql += " ORDER BY id DESC LIMIT ?"; args.append(.int(Int64(limit)))
        return try db.query(sql, args) { r in
            AuditEntry(id: r.int64(0), at: r.string(1), actor: r.optionalString(2), action: r.string(3), subject: r.optionalString(4),
                       detail: (try? JSON.parse(r.optionalString(5) ?? "{}")) ?? .object([]), orgId: r.optionalString(6))
        }
    }
}

/// SQL for the rate-limit counters.
public struct RateLimitCounterStore {
    let db: Database

    public init(_ db: Database) { self.db = db }

    /// Counts one hit in the fixed window starting at `windowStart`, in one statement (atomic
    /// across connections and processes): a row of an older window starts again at 1. Returns
    /// the window start and the count after this hit.
    public func hit(key: String, windowStart: Int64, count n: Int64 = 1) throws -> (windowStart: Int64, count: Int64) {
        guard let r = try db.queryOne("""
            INSERT INTO rate_limits(key, window_start, count) VALUES (?, ?, ?)
            ON CONFLICT(key) DO UPDATE SET
              count = CASE WHEN rate_limits.window_start = excluded.window_start THEN rate_limits.count + excluded.count ELSE excluded.count END,
              window_start = excluded.window_start
            RETURNING window_start, count
            """, [.text(key), .int(windowStart), .int(n)], { ($0.int64(0), $0.int64(1)) }) else {
            throw OlleeyError.failure("rate limit not counted")
        }
        return (r.0, r.1)
    }

    /// Drops counters of windows that started before `epochSeconds`.
    @discardableResult
    public func prune(before epochSeconds: Int64) throws -> Int {
        try db.run("DELETE FROM rate_limits WHERE window_start < ?", [.int(epochSeconds)])
    }
}
