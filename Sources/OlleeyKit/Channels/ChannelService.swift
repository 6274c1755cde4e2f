import Foundation

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
    var store: ChannelStore { ChannelStore(db, org: org) }

    public func get(_ id: String) throws -> Channel? { try store.get(id) }

    public func resolve(_ ref: String) throws -> Channel {
        guard let c = try store.get(try store.id(ref)) else { throw OlleeyError.notFound("channel '\(ref)' not found") }
        return c
    }

    public func list(projectId: String? = nil, masterId: String? = nil) throws -> [Channel] {
        try store.list(projectId: projectId, masterId: masterId)
    }

    public func children(_ masterId: String) throws -> [Channel] { try store.children(masterId) }

    /// Jobs that name this channel (or, for a master, one of its language channels).
    public func jobIds(_ c: Channel) throws -> [String] { try store.jobIds(c.id) }

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
        if try store.nameTaken(name) {
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
            if let other = try store.languageChannelName(master: master.id, language: lang) {
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
            try store.insert(c)
            try AuditLog(db).record(actor: actor?.email, action: "channel.create", subject: c.id, detail: ["name": .string(c.name), "kind": .string(c.kind.rawValue)])
        }
        return c
    }

    public func update(_ ref: String, _ u: ChannelUpdate) throws -> Channel {
        var c = try resolve(ref)
        if let n = u.name {
            let name = try ChannelService.validName(n)
            if name != c.name, try store.nameTaken(name) {
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
                   try store.languageChannelName(master: m, language: code) != nil {
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
            try store.update(changed)
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
            try store.update(changed)
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
            try store.delete(c.id)
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
        guard let c = try store.languageChannel(master: master.id, language: language) else { return nil }
        return (c, master)
    }
}
