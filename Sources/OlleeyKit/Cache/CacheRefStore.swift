import Foundation

/// Which cache entries each job's current version uses (table `cache_refs`): the stage runner
/// replaces a stage's references each time the stage runs (produced or reused), so a superseded
/// entry (a cue edited since) is referenced no more.
public struct CacheRefStore {
    public let db: Database
    public init(_ db: Database) { self.db = db }

    /// The entries (relative to the cache root) that `job`'s `stage` for `language` ('' for the
    /// job's own stages) uses now, replacing what it used before.
    public func replace(job: String, language: String, stage: String, entries: [String]) throws {
        let now = Clock.nowISO()
        try db.transaction {
            _ = try db.run("DELETE FROM cache_refs WHERE job_id = ? AND language = ? AND stage = ?", [.text(job), .text(language), .text(stage)])
            for e in entries {
                _ = try db.run("INSERT INTO cache_refs(job_id, language, stage, entry, recorded_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                               [.text(job), .text(language), .text(stage), .text(e), .text(now)])
            }
        }
    }

    /// Every referenced entry, with the jobs (and their organisations) that reference it.
    public func references() throws -> [String: [(job: String, org: String)]] {
        var out: [String: [(job: String, org: String)]] = [:]
        let rows = try db.query("SELECT DISTINCT r.entry, r.job_id, j.org_id FROM cache_refs r JOIN jobs j ON j.id = r.job_id", []) {
            ($0.string(0), $0.string(1), $0.string(2))
        }
        for (e, j, o) in rows { out[e, default: []].append((j, o)) }
        return out
    }

    /// When the earliest unit still under a live lease started its running stage (ms since the
    /// epoch), or `nowMs` when a lease is live but no stage is running; nil when no lease is live.
    public func liveSince(nowMs: Int64) throws -> Int64? {
        let leased = try db.scalarInt("""
            SELECT (SELECT count(*) FROM jobs WHERE lease_owner IS NOT NULL AND lease_expires_ms > ?)
                 + (SELECT count(*) FROM job_languages WHERE lease_owner IS NOT NULL AND lease_expires_ms > ?)
            """, [.int(nowMs), .int(nowMs)]) ?? 0
        guard leased > 0 else { return nil }
        let started = try db.query("SELECT started_at FROM stage_runs WHERE state = 'running'", []) { $0.string(0) }
        return started.compactMap(Clock.parseISO8601).min().map { min($0, nowMs) } ?? nowMs
    }
}

extension CacheRefStore {
    /// How many references `entry` has now.
    public func references(entry: String) throws -> Int64 {
        try db.scalarInt("SELECT count(*) FROM cache_refs WHERE entry = ?", [.text(entry)]) ?? 0
    }
}
