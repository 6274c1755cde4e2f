import Foundation
import OlleeyHTTP
import OlleeyKit
import OlleeyServer
import OlleeyTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// The whole API (ServerApp's router) on 127.0.0.1 port 0 over a fresh workspace, with the test
/// PBKDF2 work factor (1,000 iterations, below the setting's floor; see
/// ServerEnvironment.testPasswordIterations). `settings` are stored before the router is built
/// (the rate limits are read then).
final class AppServer: @unchecked Sendable {
    static let iterations = 1_000
    let dir = TempDir()
    let ws: Workspace
    let db: Database
    let env: ServerEnvironment
    let server: HTTPServer
    var port: Int { server.port }

    init(settings: [(String, String)] = []) throws {
        (ws, _) = try Workspace.initialize(at: dir.path)
        db = try ws.open()
        for (k, v) in settings { try ConfigStore(db).set(k, v) }
        var env = ServerEnvironment(workspace: ws, pool: try ws.pool())
        env.testPasswordIterations = AppServer.iterations
        self.env = env
        let app = ServerApp(env: env, metrics: HTTPMetrics())
        var c = ServerConfiguration()
        c.port = 0
        c.poolThreads = 4
        server = HTTPServer(configuration: c, router: app.router(), log: HTTPLogSink(fd: open("/dev/null", O_WRONLY)))
        try server.start()
    }

    deinit { server.stop(); server.wait() }

    var auth: AuthService { AuthService(db, settings: AuthSettings(passwordIterations: AppServer.iterations)) }

    /// An account with a password in `org` (the default organisation unless given).
    @discardableResult
    func user(_ email: String, _ role: Role, password: String = "a long passphrase", org: String = Actor.defaultOrg, owner: Bool = false) throws -> User {
        try auth.createUser(email: email, role: role, password: password, owner: owner, actor: Actor(email: nil, org: org))
    }

    func org(_ name: String) throws -> Organization { try OrgService(db).create(name: name, actor: Actor(email: nil)) }

    /// One request on its own connection (`Connection: close`).
    func request(_ method: String, _ path: String, json: String? = nil, headers: [(String, String)] = [],
                 contentType: String = "application/json") throws -> Reply {
        try Reply.request(port: port, method, path, body: json.map { Array($0.utf8) }, contentType: contentType, headers: headers,
                          host: "127.0.0.1", timeout: 10)
    }

    func exchange(_ bytes: [UInt8]) throws -> [UInt8] { try Loopback.exchange(port: port, bytes) }
}

/// `Authorization: Bearer TOKEN`.
func bearer(_ token: String?) -> [(String, String)] { [("Authorization", "Bearer \(token ?? "")")] }

func loginJSON(_ email: String, _ password: String = "a long passphrase") -> String {
    #"{"email":"\#(email)","password":"\#(password)"}"#
}
