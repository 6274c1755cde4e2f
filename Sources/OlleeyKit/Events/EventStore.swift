/// The event log: every state change of a job, read by `job events`, `job watch` and the server.
public struct Event: Sendable {
    public var id: Int64
    public var at: String
    public var kind: String
    public var jobId: String?
    public var language: String?
    public var data: JSON

    public init(id: Int64, at: String, kind: String, jobId: String?, language: String?, data: JSON) {
        self.id = id; self.at = at; self.kind = kind; self.jobId = jobId; self.language = language; self.data = data
    }

    public var json: JSON {
        .object([("id", .int(id)), ("at", .string(at)), ("kind", .string(kind)), ("job_id", JSON(jobId)),
                 ("language", JSON(language)), ("data", data)])
    }
}

public struct EventStore {
    let db: Database

    public init(_ db: Database) { self.db = db }

    @discardableResult
    public func append(_ kind: String, job: String?, language: String? = nil, _ data: JSON = .object([])) throws -> Int64 {
        let args: [SQLValue] = [.text(Clock.nowISO()), .text(kind), job.sqlValue, language.sqlValue, .text(data.encoded())]
        let sql = "INSERT INTO events(at, kind, job_id, language, data) VALUES (?, ?, ?, ?, ?) RETURNING id"
        // PostgreSQL: events commit in the order of their ids (readers follow `id > last seen`),
        // so each is appended under the writer lock (see `Database.transaction`)
        let insert = {
            let id = try db.scalarInt(sql, args) ?? 0
            if db.isPostgres { try db.run("SELECT pg_notify('\(EventNotifications.channel)', ?)", [.text(String(id))]) }
            return id
        }
        return try db.isPostgres && !db.isInTransaction ? db.transaction(.immediate, insert) : insert()
    }

    /// Events after an id, oldest first: of one job, of one organisation's jobs, or (neither) all.
    public func list(job: String?, org: String? = nil, after: Int64 = 0, limit: Int = 10_000) throws -> [Event] {
        var sql = "SELECT id, at, kind, job_id, language, data FROM events WHERE id > ?"
        var args: [SQLValue] = [.int(after)]
        if let job { sql += " AND job_id = ?"; args.append(.text(job)) }
        if let org { sql += " AND job_id IN (SELECT id FROM jobs WHERE org_id = ?)"; args.append(.text(org)) }
        sql += " ORDER BY id LIMIT ?"
        args.append(.int(Int64(limit)))
        return try db.query(sql, args) { r in
            Event(id: try r["id"], at: try r["at"], kind: try r["kind"], jobId: try r["job_id"], language: try r["language"],
                  data: try r.json("data") ?? .object([]))
        }
    }

    /// PostgreSQL: this connection is told of every event appended from now on
    /// (`EventNotifications`).
    public func listen() throws {
        try db.execute("LISTEN \(EventNotifications.channel)")
    }

    /// The id of the newest event (0 when there is none).
    public func lastId() throws -> Int64 {
        try db.scalarInt("SELECT COALESCE(MAX(id), 0) FROM events") ?? 0
    }

    /// SQLite's `PRAGMA data_version` of this connection: it changes when another connection
    /// commits, so a poller asks it before reading anything. On PostgreSQL, the newest event's id
    /// (one index lookup), which changes when an event is appended.
    public func dataVersion() throws -> Int64 {
        if db.isPostgres { return try lastId() }
        return try db.scalarInt("PRAGMA data_version") ?? 0
    }

    /// Events in (after, upTo] with the organisation of their job (nil when the job is gone),
    /// of `org` and/or `job` when given: the oldest `limit` first, or (`newest`) the newest
    /// `limit`, still oldest first.
    public func listWithOrg(after: Int64, upTo: Int64? = nil, org: String? = nil, job: String? = nil, limit: Int,
                            newest: Bool = false) throws -> [(event: Event, org: String?)] {
        var sql = "SELECT e.id, e.at, e.kind, e.job_id, e.language, e.data, j.org_id FROM events e LEFT JOIN jobs j ON j.id = e.job_id WHERE e.id > ?"
        var args: [SQLValue] = [.int(after)]
        if let upTo { sql += " AND e.id <= ?"; args.append(.int(upTo)) }
        if let org { sql += " AND j.org_id = ?"; args.append(.text(org)) }
        if let job { sql += " AND e.job_id = ?"; args.append(.text(job)) }
        sql += newest ? " ORDER BY e.id DESC LIMIT ?" : " ORDER BY e.id LIMIT ?"
        args.append(.int(Int64(limit)))
        let rows: [(event: Event, org: String?)] = try db.query(sql, args) { r in
            (Event(id: try r["id"], at: try r["at"], kind: try r["kind"], jobId: try r["job_id"], language: try r["language"],
                   data: try r.json("data") ?? .object([])), try r["org_id"])
        }
        return newest ? rows.reversed() : rows
    }
}
