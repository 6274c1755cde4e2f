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
    let server: HTTPServer
    var port: Int { server.port }

    init(settings: [(String, String)] = []) throws {
        (ws, _) = try Workspace.initialize(at: dir.path)
        db = try ws.open()
        for (k, v) in settings { try ConfigStore(db).set(k, v) }
        var env = ServerEnvironment(workspace: ws, pool: try ws.pool())
        env.testPasswordIterations = AppServer.iterations
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
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        for (n, v) in headers { head += "\(n): \(v)\r\n" }
        let body = Array((json ?? "").utf8)
        if json != nil { head += "Content-Type: \(contentType)\r\nContent-Length: \(body.count)\r\n" } else if method != "GET" { head += "Content-Length: 0\r\n" }
        head += "\r\n"
        return try Reply(parsing: exchange(Array(head.utf8) + body))
    }

    func exchange(_ bytes: [UInt8]) throws -> [UInt8] { try Loopback.exchange(port: port, bytes) }
}

struct ReplyError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

/// A parsed response (Content-Length framing; the server sends it for JSON).
struct Reply {
    var status: Int
    var headers: [(String, String)]
    var body: [UInt8]

    init(parsing raw: [UInt8]) throws {
        let sep: [UInt8] = [13, 10, 13, 10]
        guard let end = (0..<max(0, raw.count - 3)).first(where: { Array(raw[$0..<$0 + 4]) == sep }) else { throw ReplyError("no response head") }
        let lines = String(decoding: raw[0..<end], as: UTF8.self).components(separatedBy: "\r\n")
        let statusParts = lines[0].split(separator: " ")
        guard statusParts.count >= 2, let s = Int(statusParts[1]) else { throw ReplyError("bad status line: \(lines[0])") }
        status = s
        headers = lines.dropFirst().compactMap { l in
            guard let c = l.firstIndex(of: ":") else { return nil }
            return (String(l[..<c]), String(l[l.index(after: c)...]).trimmingCharacters(in: .whitespaces))
        }
        body = Array(raw[(end + 4)...])
    }

    func header(_ name: String) -> String? { headers.first { $0.0.lowercased() == name.lowercased() }?.1 }
    func all(_ name: String) -> [String] { headers.filter { $0.0.lowercased() == name.lowercased() }.map(\.1) }
    var text: String { String(decoding: body, as: UTF8.self) }
    var json: [String: Any] { ((try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any]) ?? [:] }
    var items: [[String: Any]] { json["items"] as? [[String: Any]] ?? [] }
    var code: String? { json["code"] as? String }

    /// The value of the `refresh_token` cookie this response sets.
    var refreshCookie: String? {
        for c in all("Set-Cookie") where c.hasPrefix("refresh_token=") {
            return String(c.dropFirst("refresh_token=".count).prefix { $0 != ";" })
        }
        return nil
    }
}

/// `Authorization: Bearer TOKEN`.
func bearer(_ token: String?) -> [(String, String)] { [("Authorization", "Bearer \(token ?? "")")] }

func loginJSON(_ email: String, _ password: String = "a long passphrase") -> String {
    #"{"email":"\#(email)","password":"\#(password)"}"#
}
