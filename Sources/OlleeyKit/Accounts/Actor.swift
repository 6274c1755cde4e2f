/// Who is acting on the application: every service call that changes or reads data takes one.
/// The CLI passes the local user (`--as`, `$OLLEEY_USER`, the `user.email` setting), the server
/// its authenticated user. `email` nil is the local operator without an account (allowed where
/// no role is needed, as on a fresh workspace); `org` (an organisation id) scopes every query,
/// and the role is the user's membership of it. The worker and the runner act as the system
/// instead: they read every organisation's jobs (`JobStore(db)` without an organisation).
public struct Actor: Sendable, Equatable {
    public var email: String?
    public var org: String
    /// The name recorded as the author of what this actor writes (never "unknown").
    public var author: String

    public init(email: String?, org: String = Actor.defaultOrg, author: String? = nil) {
        self.email = email?.lowercased()
        self.org = org
        self.author = author ?? email?.lowercased() ?? "local"
    }

    public static let defaultOrg = "default"

    /// The local user of a CLI process: an explicit `--as`, else the `user.email` setting; its
    /// author name falls back to `$OLLEEY_USER` and the login name (`LocalAuthor`). The
    /// organisation: `$OLLEEY_ORG`, else the `user.org` setting, else `default`, by id or name
    /// (66 when unknown).
    public static func local(explicit: String?, environment: [String: String], config: ConfigStore?) throws -> Actor {
        let email = try explicit ?? environment["OLLEEY_USER"].flatMap { $0.contains("@") ? $0 : nil } ?? config?.value("user.email")
        var org = Actor.defaultOrg
        if let ref = try environment["OLLEEY_ORG"].flatMap({ $0.isEmpty ? nil : $0 }) ?? config?.value("user.org"), ref != Actor.defaultOrg, let db = config?.db {
            org = try OrgService(db).resolve(ref).id
        }
        return Actor(email: email, org: org, author: try LocalAuthor.resolve(explicit: explicit, environment: environment, config: config))
    }

    /// The account behind this actor, with its role in the actor's organisation, for an action
    /// that needs one (77 without, 66 unknown, 77 disabled or not a member).
    public func user(_ db: Database, action: String) throws -> User {
        try UserService(db).actor(email, org: org, action: action)
    }

    /// The actor's role in its organisation (nil without an account or a membership).
    public func role(_ db: Database) throws -> Role? {
        guard let email, let u = try UserStore(db).find(email: email) else { return nil }
        return try OrgStore(db).role(org: org, user: u.id)
    }

    /// Whether `job` is the actor's organisation's: a job of another organisation is "not found",
    /// with the very message of a job that does not exist (no existence leak).
    public func check(_ job: Job) throws {
        guard job.orgId == org else { throw JobStore.notFound(job.id) }
    }
}
