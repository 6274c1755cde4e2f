/// Who is acting on the application: every service call that changes or reads data takes one.
/// The CLI passes the local user (`--as`, `$OLLEEY_USER`, the `user.email` setting), the server
/// its authenticated user. `email` nil is the local operator without an account (allowed where
/// no role is needed, as on a fresh workspace); `org` scopes every query (one `default`
/// organisation until organisations are built).
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
    /// author name falls back to `$OLLEEY_USER` and the login name (`LocalAuthor`).
    public static func local(explicit: String?, environment: [String: String], config: ConfigStore?) throws -> Actor {
        let email = try explicit ?? environment["OLLEEY_USER"].flatMap { $0.contains("@") ? $0 : nil } ?? config?.value("user.email")
        return Actor(email: email, author: try LocalAuthor.resolve(explicit: explicit, environment: environment, config: config))
    }

    /// The account behind this actor, for an action that needs one (77 without, 66 unknown,
    /// 77 disabled).
    public func user(_ db: Database, action: String) throws -> User {
        try UserService(db).actor(email, action: action)
    }
}
