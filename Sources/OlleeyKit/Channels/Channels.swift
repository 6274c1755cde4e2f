import Foundation

public enum ChannelKind: String, Sendable { case master, language }
public enum ChannelStatus: String, Sendable { case active, paused }

/// A publishing channel: a master channel (the source videos' channel) or one of its language
/// channels (one per language). A channel may carry a publisher hook: a command template or an
/// HTTP endpoint; a language channel without one uses its master's.
public struct Channel: Sendable, Equatable {
    public var id: String
    public var name: String
    public var kind: ChannelKind
    public var language: String?
    public var masterId: String?
    public var projectId: String?
    public var externalId: String?
    public var status: ChannelStatus
    public var publishCommand: String?
    public var publishURL: String?
    public var createdAt: String
    public var updatedAt: String

    public var json: JSON {
        .object([
            ("id", .string(id)), ("name", .string(name)), ("kind", .string(kind.rawValue)), ("language_code", JSON(language)),
            ("language_name", JSON(language.flatMap { Language.find($0)?.name })),
            ("master_id", JSON(masterId)), ("project_id", JSON(projectId)), ("channel_id", JSON(externalId)),
            ("status", .string(status.rawValue)), ("is_paused", .bool(status == .paused)),
            ("publish_command", JSON(publishCommand)), ("publish_url", JSON(publishURL)),
            ("created_at", .string(createdAt)), ("updated_at", .string(updatedAt)),
        ])
    }
}

/// What `channel create` is given.
public struct ChannelCreate: Sendable {
    public var name: String
    public var language: String?
    public var master: String?
    public var project: String?
    public var externalId: String?
    public var publishCommand: String?
    public var publishURL: String?

    public init(name: String) { self.name = name }
}

/// What `channel update` changes (nil: unchanged; an empty string clears an optional field).
public struct ChannelUpdate: Sendable {
    public var name: String?
    public var language: String?
    public var project: String?
    public var externalId: String?
    public var publishCommand: String?
    public var publishURL: String?

    public init() {}
}

/// Rules of channels: masters and their language channels, pause, delete (jobs need force), the
/// graph, and which channel a job's language publishes to.
///
/// For an actor, only the actor's organisation's channels exist and new ones are created in it;
/// without one (the system: the publisher of a running job), every organisation's are seen.
public struct ChannelService {
    public let db: Database
    public let actor: Actor?

    public init(_ db: Database, actor: Actor? = nil) { self.db = db; self.actor = actor }

    var org: String? { actor?.org }
    var own: (sql: String, args: [SQLValue]) { org.map { (" AND org_id = ?", [.text($0)]) } ?? ("", []) }

    static let columns = "id, name, kind, language, master_id, project_id, external_id, status, publish_command, publish_url, created_at, updated_at"

    static func channel(_ r: Row) throws -> Channel {
        Channel(id: try r["id"], name: try r["name"], kind: ChannelKind(rawValue: try r["kind"]) ?? .master, language: try r["language"],
                masterId: try r["master_id"], projectId: try r["project_id"], externalId: try r["external_id"],
                status: ChannelStatus(rawValue: try r["status"]) ?? .active, publishCommand: try r["publish_command"], publishURL: try r["publish_url"],
                createdAt: try r["created_at"], updatedAt: try r["updated_at"])
    }

    public func get(_ id: String) throws -> Channel? {
        try db.queryOne("SELECT \(ChannelService.columns) FROM channels WHERE id = ?" + own.sql, [.text(id)] + own.args, ChannelService.channel)
    }

    public func resolve(_ ref: String) throws -> Channel {
        let id = try NamedLookup.id(db, table: "channels", ref, what: "channel", listCommand: "olleey channel list", org: org)
        guard let c = try get(id) else { throw OlleeyError.notFound("channel '\(ref)' not found") }
        return c
    }

    public func list(projectId: String? = nil, masterId: String? = nil) throws -> [Channel] {
        var clauses: [String] = []
        var args: [SQLValue] = []
        if let org { clauses.append("org_id = ?"); args.append(.text(org)) }
        if let p = projectId { clauses.append("project_id = ?"); args.append(.text(p)) }
        if let m = masterId { clauses.append("(master_id = ? OR id = ?)"); args += [.text(m), .text(m)] }
        let w = clauses.isEmpty ? "" : " WHERE " + clauses.joined(separator: " AND ")
        return try db.query("SELECT \(ChannelService.columns) FROM channels\(w) ORDER BY kind = 'language', created_at", args, ChannelService.channel)
    }

    public func children(_ masterId: String) throws -> [Channel] {
        try db.query("SELECT \(ChannelService.columns) FROM channels WHERE master_id = ? ORDER BY language", [.text(masterId)], ChannelService.channel)
    }

    /// Jobs that name this channel (or, for a master, one of its language channels).
    public func jobIds(_ c: Channel) throws -> [String] {
        try db.query("SELECT id FROM jobs WHERE channel_id = ? OR channel_id IN (SELECT id FROM channels WHERE master_id = ?) ORDER BY created_at DESC",
                     [.text(c.id), .text(c.id)]) { $0.string(0) }
    }

    static func validName(_ raw: String) throws -> String {
        let n = raw.trimmingCharacters(in: .whitespaces)
        guard !n.isEmpty, n.count <= 200, !n.contains(where: { $0.isNewline }) else { throw OlleeyError.usage("a channel name must be 1-200 characters on one line") }
        return n
    }

    static func validPublisher(command: String?, url: String?) throws -> (String?, String?) {
        var cmd = command?.trimmingCharacters(in: .whitespaces)
        var u = url?.trimmingCharacters(in: .whitespaces)
        if cmd?.isEmpty == true { cmd = nil }
        if u?.isEmpty == true { u = nil }
        if let c = cmd {
            do { _ = try CommandTemplate(c, setting: "the publisher command") } catch let e as OlleeyError {
                throw OlleeyError.usage(e.message, next: [.input("publish-command", example: "'upload.sh {video} {lang}'")])
            }
        }
        if let u, !(u.hasPrefix("http://") || u.hasPrefix("https://")) || (try? HTTPURL(u)) == nil {
            throw OlleeyError.usage("the publisher URL '\(u)' is not an http(s) URL", next: [.input("publish-url", example: "https://example.com/hook")])
        }
        if cmd != nil && u != nil { throw OlleeyError.usage("give a publisher command or a publisher URL, not both") }
        return (cmd, u)
    }

    public func create(_ r: ChannelCreate) throws -> Channel {
        let name = try ChannelService.validName(r.name)
        if try db.scalarInt("SELECT count(*) FROM channels WHERE name = ?", [.text(name)]) ?? 0 > 0 {
            throw OlleeyError(.alreadyExists, "channel '\(name)' already exists")
        }
        var master: Channel?
        if let m = r.master {
            let mc = try resolve(m)
            guard mc.kind == .master else {
                throw OlleeyError.invalid("'\(mc.name)' is a language channel; a language channel belongs to a master channel")
            }
            master = mc
        }
        let lang = try r.language.map { try Language.validate($0).code }
        if let master {
            guard let lang else { throw OlleeyError.usage("a language channel needs a language", next: [.input("lang", example: "es")]) }
            if let other = try db.scalarText("SELECT name FROM channels WHERE master_id = ? AND language = ?", [.text(master.id), .text(lang)]) {
                throw OlleeyError(.alreadyExists, "master '\(master.name)' already has a \(lang) channel ('\(other)')")
            }
            if lang == master.language { throw OlleeyError.invalid("\(lang) is the master channel's own language") }
        }
        let projectId = try r.project.map { try ProjectService(db, actor: actor).resolve($0).id } ?? master?.projectId
        let (cmd, url) = try ChannelService.validPublisher(command: r.publishCommand, url: r.publishURL)
        let now = Clock.nowISO()
        let c = Channel(id: ID.uuid7(), name: name, kind: master == nil ? .master : .language, language: lang, masterId: master?.id,
                        projectId: projectId, externalId: r.externalId.flatMap { $0.isEmpty ? nil : $0 }, status: .active,
                        publishCommand: cmd, publishURL: url, createdAt: now, updatedAt: now)
        try db.transaction {
            try db.run("INSERT INTO channels(\(ChannelService.columns), org_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", [
                .text(c.id), .text(c.name), .text(c.kind.rawValue), c.language.sqlValue, c.masterId.sqlValue, c.projectId.sqlValue,
                c.externalId.sqlValue, .text(c.status.rawValue), c.publishCommand.sqlValue, c.publishURL.sqlValue, .text(now), .text(now),
                .text(org ?? Actor.defaultOrg),
            ])
            try AuditLog(db).record(actor: actor?.email, action: "channel.create", subject: c.id, detail: ["name": .string(c.name), "kind": .string(c.kind.rawValue)])
        }
        return c
    }

    public func update(_ ref: String, _ u: ChannelUpdate) throws -> Channel {
        var c = try resolve(ref)
        if let n = u.name {
            let name = try ChannelService.validName(n)
            if name != c.name, try db.scalarInt("SELECT count(*) FROM channels WHERE name = ?", [.text(name)]) ?? 0 > 0 {
                throw OlleeyError(.alreadyExists, "channel '\(name)' already exists")
            }
            c.name = name
        }
        if let l = u.language {
            if l.isEmpty {
                guard c.kind == .master else { throw OlleeyError.usage("a language channel needs a language") }
                c.language = nil
            } else {
                let code = try Language.validate(l).code
                if c.kind == .language, code != c.language, let m = c.masterId,
                   try db.scalarInt("SELECT count(*) FROM channels WHERE master_id = ? AND language = ?", [.text(m), .text(code)]) ?? 0 > 0 {
                    throw OlleeyError(.alreadyExists, "its master already has a \(code) channel")
                }
                c.language = code
            }
        }
        if let p = u.project { c.projectId = p.isEmpty ? nil : try ProjectService(db, actor: actor).resolve(p).id }
        if let e = u.externalId { c.externalId = e.isEmpty ? nil : e }
        if u.publishCommand != nil || u.publishURL != nil {
            var cmd = c.publishCommand, url = c.publishURL
            if let pc = u.publishCommand { cmd = pc.isEmpty ? nil : pc; if !pc.isEmpty && u.publishURL == nil { url = nil } }
            if let pu = u.publishURL { url = pu.isEmpty ? nil : pu; if !pu.isEmpty && u.publishCommand == nil { cmd = nil } }
            (c.publishCommand, c.publishURL) = try ChannelService.validPublisher(command: cmd, url: url)
        }
        c.updatedAt = Clock.nowISO()
        let changed = c
        try db.transaction {
            try db.run("""
                UPDATE channels SET name = ?, language = ?, project_id = ?, external_id = ?, publish_command = ?, publish_url = ?, updated_at = ? WHERE id = ?
                """, [.text(changed.name), changed.language.sqlValue, changed.projectId.sqlValue, changed.externalId.sqlValue,
                      changed.publishCommand.sqlValue, changed.publishURL.sqlValue, .text(changed.updatedAt), .text(changed.id)])
            try AuditLog(db).record(actor: actor?.email, action: "channel.update", subject: changed.id)
        }
        return c
    }

    public func setPaused(_ ref: String, _ paused: Bool) throws -> Channel {
        var c = try resolve(ref)
        let want: ChannelStatus = paused ? .paused : .active
        if c.status == want {
            throw OlleeyError.conflict("channel '\(c.name)' is already \(want.rawValue)")
        }
        c.status = want
        c.updatedAt = Clock.nowISO()
        let changed = c
        try db.transaction {
            try db.run("UPDATE channels SET status = ?, updated_at = ? WHERE id = ?", [.text(want.rawValue), .text(changed.updatedAt), .text(changed.id)])
            try AuditLog(db).record(actor: actor?.email, action: paused ? "channel.pause" : "channel.unpause", subject: changed.id)
        }
        return c
    }

    /// Deletes a channel (a master with its language channels). A channel that jobs name needs
    /// `force`, which detaches those jobs.
    public func delete(_ ref: String, force: Bool) throws -> (Channel, detachedJobs: Int) {
        let c = try resolve(ref)
        let jobs = try jobIds(c)
        let kids = c.kind == .master ? try children(c.id) : []
        if !jobs.isEmpty && !force {
            throw OlleeyError.conflict("channel '\(c.name)' has \(jobs.count) job(s)\(kids.isEmpty ? "" : " (with its \(kids.count) language channel(s))")",
                                       hint: "force it to delete it anyway; the jobs stay, without a channel", next: [.input("force")])
        }
        try db.transaction {
            try db.run("UPDATE jobs SET channel_id = NULL WHERE channel_id = ? OR channel_id IN (SELECT id FROM channels WHERE master_id = ?)", [.text(c.id), .text(c.id)])
            try db.run("DELETE FROM channels WHERE id = ?", [.text(c.id)])
            try AuditLog(db).record(actor: actor?.email, action: "channel.delete", subject: c.id,
                                    detail: ["name": .string(c.name), "language_channels": .int(Int64(kids.count)), "detached_jobs": .int(Int64(jobs.count))])
        }
        return (c, jobs.count)
    }

    // MARK: publishing targets

    /// The channel a job's language publishes to: the language channel for that language under
    /// the job's master channel (or the master of the job's language channel); nil when there is
    /// none. Also returns the master.
    public func target(for job: Job, language: String) throws -> (channel: Channel, master: Channel?)? {
        guard let ref = job.channelId, let named = try get(ref) else { return nil }
        if named.kind == .language && named.language == language { return (named, try named.masterId.flatMap { try get($0) }) }
        let master = named.kind == .master ? named : try named.masterId.flatMap { try get($0) }
        guard let master else { return nil }
        guard let c = try db.queryOne("SELECT \(ChannelService.columns) FROM channels WHERE master_id = ? AND language = ?",
                                      [.text(master.id), .text(language)], ChannelService.channel) else { return nil }
        return (c, master)
    }

    // MARK: graph

    public struct GraphJob: Sendable {
        public var id: String
        public var status: String
        public var languageStatus: String?
        public var sourceName: String
        public var createdAt: String

        var json: JSON {
            .object([("job_id", .string(id)), ("status", .string(status)), ("language_status", JSON(languageStatus)),
                     ("source_name", .string(sourceName)), ("created_at", .string(createdAt))])
        }
    }

    func recentJobs(channelIds: [String], language: String?, limit: Int) throws -> [GraphJob] {
        guard !channelIds.isEmpty else { return [] }
        let marks = channelIds.map { _ in "?" }.joined(separator: ",")
        if let language {
            return try db.query("""
                SELECT j.id, j.status, l.status AS language_status, j.source_name, j.created_at FROM jobs j JOIN job_languages l ON l.job_id = j.id AND l.language = ?
                WHERE j.channel_id IN (\(marks)) ORDER BY j.created_at DESC LIMIT ?
                """, [.text(language)] + channelIds.map { .text($0) } + [.int(Int64(limit))]) {
                GraphJob(id: try $0["id"], status: try $0["status"], languageStatus: try $0["language_status"], sourceName: try $0["source_name"], createdAt: try $0["created_at"])
            }
        }
        return try db.query("SELECT id, status, NULL AS language_status, source_name, created_at FROM jobs WHERE channel_id IN (\(marks)) ORDER BY created_at DESC LIMIT ?",
                            channelIds.map { .text($0) } + [.int(Int64(limit))]) {
            GraphJob(id: try $0["id"], status: try $0["status"], languageStatus: nil, sourceName: try $0["source_name"], createdAt: try $0["created_at"])
        }
    }

    func count(_ sql: String, _ args: [SQLValue]) throws -> Int64 { try db.scalarInt(sql, args) ?? 0 }

    /// The graph: master channels -> language channels -> recent jobs, as JSON (the HTTP API's
    /// `master_nodes` shape, plus status and recent jobs) and as a text tree.
    public func graph(projectId: String? = nil, recent: Int = 5) throws -> (json: JSON, text: String) {
        var masters = try db.query("SELECT \(ChannelService.columns) FROM channels WHERE kind = 'master'\(own.sql) ORDER BY created_at", own.args, ChannelService.channel)
        if let p = projectId { masters = masters.filter { $0.projectId == p } }
        var nodes: [JSON] = []
        var text = ""
        for m in masters {
            let kids = try children(m.id)
            let masterJobs = try recentJobs(channelIds: [m.id] + kids.map(\.id), language: nil, limit: recent)
            let jobsCount = try count("SELECT count(*) FROM jobs WHERE channel_id = ? OR channel_id IN (SELECT id FROM channels WHERE master_id = ?)", [.text(m.id), .text(m.id)])
            text += "\(m.name)  [master\(m.language.map { ", " + $0 } ?? ""), \(m.status.rawValue)]  \(jobsCount) job\(jobsCount == 1 ? "" : "s")\(publisherLabel(m))\n"
            var langNodes: [JSON] = []
            for (k, c) in kids.enumerated() {
                let lang = c.language ?? ""
                let jobs = try recentJobs(channelIds: [m.id, c.id], language: lang, limit: recent)
                let videos = try count("""
                    SELECT count(*) FROM job_languages l JOIN jobs j ON j.id = l.job_id
                    WHERE l.language = ? AND l.status = 'published' AND j.channel_id IN (?, ?)
                    """, [.text(lang), .text(m.id), .text(c.id)])
                langNodes.append(.object([
                    ("id", .string(c.id)), ("channel_id", JSON(c.externalId)), ("channel_name", .string(c.name)),
                    ("language_code", .string(lang)), ("videos_count", .int(videos)), ("status", .string(c.status.rawValue)),
                    ("publisher", publisherJSON(c)), ("recent_jobs", .array(jobs.map(\.json))),
                ]))
                let last = k == kids.count - 1
                text += (last ? "└── " : "├── ") + "\(c.name)  [\(lang), \(c.status.rawValue)]  \(videos) published\(publisherLabel(c))\n"
                for (n, j) in jobs.enumerated() {
                    text += (last ? "    " : "│   ") + (n == jobs.count - 1 ? "└── " : "├── ")
                        + "\(JobStore(db).printedId(j.id))  \(j.status)  \(lang):\(j.languageStatus ?? "-")  \(j.sourceName)  \(j.createdAt.prefix(19))\n"
                }
            }
            if kids.isEmpty { text += "└── (no language channels: olleey channel create NAME --master \(m.name) --lang es)\n" }
            nodes.append(.object([
                ("connection_id", .string(m.id)), ("id", .string(m.id)), ("channel_id", JSON(m.externalId)), ("channel_name", .string(m.name)),
                ("language_code", JSON(m.language)), ("status", .string(m.status.rawValue)), ("project_id", JSON(m.projectId)),
                ("publisher", publisherJSON(m)), ("jobs_count", .int(jobsCount)),
                ("language_channels", .array(langNodes)), ("recent_jobs", .array(masterJobs.map(\.json))),
            ]))
        }
        if masters.isEmpty { text = "no channels yet: olleey channel create NAME\n" }
        let json = JSON.object([
            ("master_nodes", .array(nodes)),
            ("total_connections", .int(Int64(masters.count))),
            ("active_connections", .int(Int64(masters.filter { $0.status == .active }.count))),
        ])
        return (json, text)
    }

    func publisherJSON(_ c: Channel) -> JSON {
        if let cmd = c.publishCommand { return .object([("type", "command"), ("command", .string(cmd))]) }
        if let u = c.publishURL { return .object([("type", "http"), ("url", .string(u))]) }
        return .null
    }

    func publisherLabel(_ c: Channel) -> String {
        c.publishCommand != nil ? "  publishes: command" : c.publishURL != nil ? "  publishes: http" : ""
    }
}
