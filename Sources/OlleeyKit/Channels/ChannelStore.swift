import Foundation

/// SQL for channels. Rules live in ChannelService.
///
/// With an organisation, lookups see that organisation's channels only; without one (the
/// system: the publisher of a running job), every organisation's.
public struct ChannelStore {
    public let db: Database
    public let org: String?

    public init(_ db: Database, org: String? = nil) { self.db = db; self.org = org }

    var own: (sql: String, args: [SQLValue]) { org.map { (" AND org_id = ?", [.text($0)]) } ?? ("", []) }

    static let columns = "id, name, kind, language, master_id, project_id, external_id, status, publish_command, publish_url, created_at, updated_at"

    static func channel(_ r: Row) throws -> Channel {
        Channel(id: try r["id"], name: try r["name"], kind: ChannelKind(rawValue: try r["kind"]) ?? .master, language: try r["language"],
                masterId: try r["master_id"], projectId: try r["project_id"], externalId: try r["external_id"],
                status: ChannelStatus(rawValue: try r["status"]) ?? .active, publishCommand: try r["publish_command"], publishURL: try r["publish_url"],
                createdAt: try r["created_at"], updatedAt: try r["updated_at"])
    }

    public func get(_ id: String) throws -> Channel? {
        try db.queryOne("SELECT \(ChannelStore.columns) FROM channels WHERE id = ?" + own.sql, [.text(id)] + own.args, ChannelStore.channel)
    }

    /// The id of the channel named by id, name or unique id prefix (66 when none).
    func id(_ ref: String) throws -> String {
        try NamedLookup.id(db, table: "channels", ref, what: "channel", listCommand: "channel list", org: org)
    }

    public func list(projectId: String? = nil, masterId: String? = nil) throws -> [Channel] {
        var clauses: [String] = []
        var args: [SQLValue] = []
        if let org { clauses.append("org_id = ?"); args.append(.text(org)) }
        if let p = projectId { clauses.append("project_id = ?"); args.append(.text(p)) }
        if let m = masterId { clauses.append("(master_id = ? OR id = ?)"); args += [.text(m), .text(m)] }
        let w = clauses.isEmpty ? "" : " WHERE " + clauses.joined(separator: " AND ")
        return try db.query("SELECT \(ChannelStore.columns) FROM channels\(w) ORDER BY kind = 'language', created_at", args, ChannelStore.channel)
    }

    public func masters() throws -> [Channel] {
        try db.query("SELECT \(ChannelStore.columns) FROM channels WHERE kind = 'master'\(own.sql) ORDER BY created_at", own.args, ChannelStore.channel)
    }

    public func children(_ masterId: String) throws -> [Channel] {
        try db.query("SELECT \(ChannelStore.columns) FROM channels WHERE master_id = ? ORDER BY language", [.text(masterId)], ChannelStore.channel)
    }

    /// A master's channel for one language.
    public func languageChannel(master masterId: String, language: String) throws -> Channel? {
        try db.queryOne("SELECT \(ChannelStore.columns) FROM channels WHERE master_id = ? AND language = ?",
                        [.text(masterId), .text(language)], ChannelStore.channel)
    }

    /// Jobs that name this channel (or, for a master, one of its language channels).
    public func jobIds(_ channelId: String) throws -> [String] {
        try db.query("SELECT id FROM jobs WHERE channel_id = ? OR channel_id IN (SELECT id FROM channels WHERE master_id = ?) ORDER BY created_at DESC",
                     [.text(channelId), .text(channelId)]) { try $0["id"] }
    }

    /// Whether this organisation has a channel of this name.
    func nameTaken(_ name: String) throws -> Bool {
        try db.scalarInt("SELECT count(*) FROM channels WHERE name = ? AND org_id = ?", [.text(name), .text(org ?? Actor.defaultOrg)]) ?? 0 > 0
    }

    /// The name of a master's channel for a language, if it has one.
    func languageChannelName(master masterId: String, language: String) throws -> String? {
        try db.scalarText("SELECT name FROM channels WHERE master_id = ? AND language = ?", [.text(masterId), .text(language)])
    }

    func insert(_ c: Channel) throws {
        try db.run("INSERT INTO channels(\(ChannelStore.columns), org_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", [
            .text(c.id), .text(c.name), .text(c.kind.rawValue), c.language.sqlValue, c.masterId.sqlValue, c.projectId.sqlValue,
            c.externalId.sqlValue, .text(c.status.rawValue), c.publishCommand.sqlValue, c.publishURL.sqlValue, .text(c.createdAt), .text(c.updatedAt),
            .text(org ?? Actor.defaultOrg),
        ])
    }

    func update(_ c: Channel) throws {
        try db.run("""
            UPDATE channels SET name = ?, language = ?, project_id = ?, external_id = ?, publish_command = ?, publish_url = ?, status = ?, updated_at = ? WHERE id = ?
            """, [.text(c.name), c.language.sqlValue, c.projectId.sqlValue, c.externalId.sqlValue,
                  c.publishCommand.sqlValue, c.publishURL.sqlValue, .text(c.status.rawValue), .text(c.updatedAt), .text(c.id)])
    }

    /// Deletes a channel (its language channels go with it) after detaching the jobs that name it.
    func delete(_ channelId: String) throws {
        try db.run("UPDATE jobs SET channel_id = NULL WHERE channel_id = ? OR channel_id IN (SELECT id FROM channels WHERE master_id = ?)", [.text(channelId), .text(channelId)])
        try db.run("DELETE FROM channels WHERE id = ?", [.text(channelId)])
    }

    // MARK: the graph's reads

    /// The most recent jobs naming one of these channels, with one language's status when given.
    func recentJobs(channelIds: [String], language: String?, limit: Int) throws -> [ChannelService.GraphJob] {
        guard !channelIds.isEmpty else { return [] }
        let marks = channelIds.map { _ in "?" }.joined(separator: ",")
        if let language {
            return try db.query("""
                SELECT j.id, j.status, l.status AS language_status, j.source_name, j.created_at FROM jobs j JOIN job_languages l ON l.job_id = j.id AND l.language = ?
                WHERE j.channel_id IN (\(marks)) ORDER BY j.created_at DESC LIMIT ?
                """, [.text(language)] + channelIds.map { .text($0) } + [.int(Int64(limit))]) {
                ChannelService.GraphJob(id: try $0["id"], status: try $0["status"], languageStatus: try $0["language_status"], sourceName: try $0["source_name"], createdAt: try $0["created_at"])
            }
        }
        return try db.query("SELECT id, status, source_name, created_at FROM jobs WHERE channel_id IN (\(marks)) ORDER BY created_at DESC LIMIT ?",
                            channelIds.map { .text($0) } + [.int(Int64(limit))]) {
            ChannelService.GraphJob(id: try $0["id"], status: try $0["status"], languageStatus: nil, sourceName: try $0["source_name"], createdAt: try $0["created_at"])
        }
    }

    /// How many jobs name a master channel or one of its language channels.
    func jobCount(master masterId: String) throws -> Int64 {
        try db.scalarInt("SELECT count(*) FROM jobs WHERE channel_id = ? OR channel_id IN (SELECT id FROM channels WHERE master_id = ?)", [.text(masterId), .text(masterId)]) ?? 0
    }

    /// How many videos in a language were published through a master or its language channel.
    func publishedCount(language: String, channelIds: (String, String)) throws -> Int64 {
        try db.scalarInt("""
            SELECT count(*) FROM job_languages l JOIN jobs j ON j.id = l.job_id
            WHERE l.language = ? AND l.status = 'published' AND j.channel_id IN (?, ?)
            """, [.text(language), .text(channelIds.0), .text(channelIds.1)]) ?? 0
    }
}
