import Foundation
import Testing
import OlleeyHTTP
import OlleeyKit
import OlleeyServer
import OlleeyTestSupport

/// Both specs against the server: every route of either spec has a handler in the router's
/// table; every 2xx JSON response schema in /openapi.json is strict (required fields listed,
/// `additionalProperties: false`, at every level); `/docs` lists every route when a headless
/// Chromium renders it.
@Suite struct ApiCoverageTests {
    /// The package's root folder.
    static var packageRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    /// `$OLLEEY_SPEC_DIR`, else `../shared/spec` next to the package, else the package's copy
    /// in `docs/spec` (a clone on its own has no `../shared`; the next test keeps the copy true).
    static var specDir: String {
        if let d = ProcessInfo.processInfo.environment["OLLEEY_SPEC_DIR"] { return d }
        let shared = packageRoot.deletingLastPathComponent().appendingPathComponent("shared/spec").path
        if FileManager.default.fileExists(atPath: shared + "/olleey-backend-api.md") { return shared }
        return packageRoot.appendingPathComponent("docs/spec").path
    }

    @Test("docs/spec is a true copy of ../shared/spec (when that folder is there)")
    func specCopyIsCurrent() throws {
        let shared = ApiCoverageTests.packageRoot.deletingLastPathComponent().appendingPathComponent("shared/spec").path
        let copy = ApiCoverageTests.packageRoot.appendingPathComponent("docs/spec").path
        for name in ["olleey-backend-api.md", "accessible-video-api.md"] {
            let mine = try Data(contentsOf: URL(fileURLWithPath: copy + "/" + name))
            #expect(!mine.isEmpty, "docs/spec/\(name) is empty")
            guard let theirs = FileManager.default.contents(atPath: shared + "/" + name) else { continue }
            #expect(mine == theirs, "docs/spec/\(name) differs from ../shared/spec: copy it again")
        }
    }

    /// `METHOD PATH` of every route the two specs list, as the acceptance scripts read them
    /// (`../shared/acceptance/lib/api_routes.py`): the root spec's `METHOD /path` lines, the
    /// second spec's `| METHOD | `/path` |` table rows and `` `WS /path` `` (served as GET).
    static func specRoutes() throws -> [(String, String)] {
        let a = try String(contentsOfFile: specDir + "/olleey-backend-api.md", encoding: .utf8)
        let b = try String(contentsOfFile: specDir + "/accessible-video-api.md", encoding: .utf8)
        var out: Set<String> = []
        func each(_ pattern: String, in text: String, _ add: ([String]) -> Void) throws {
            let re = try NSRegularExpression(pattern: pattern, options: [.anchorsMatchLines])
            for m in re.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                add((1..<m.numberOfRanges).map { String(text[Range(m.range(at: $0), in: text)!]) })
            }
        }
        try each(#"^(GET|POST|PUT|PATCH|DELETE) (/[^\s?`]*)"#, in: a) { out.insert("\($0[0]) \($0[1])") }
        try each(#"\| (GET|POST|PUT|PATCH|DELETE) \| `(/[^`?]*)`"#, in: b) { out.insert("\($0[0]) \($0[1])") }
        try each(#"`WS (/[^`?]*)`"#, in: b) { out.insert("GET \($0[0])") }
        return out.sorted().map { l in let p = l.split(separator: " ", maxSplits: 1); return (String(p[0]), String(p[1])) }
    }

    /// `/jobs/{job_id}` and `/jobs/{id}` compare equal; a trailing slash does not count.
    static func norm(_ path: String) -> String {
        var p = path
        while p.count > 1 && p.hasSuffix("/") { p.removeLast() }
        return p.replacingOccurrences(of: #"\{[^}]+\}"#, with: "{}", options: .regularExpression)
    }

    static func router() throws -> HTTPRouter {
        let dir = TempDir("olleey-coverage")
        let (ws, _) = try Workspace.initialize(at: dir.path)
        return ServerApp(env: ServerEnvironment(workspace: ws, pool: try ws.pool()), metrics: HTTPMetrics()).router()
    }

    @Test("every route of both specs has a handler")
    func everySpecRouteHasAHandler() throws {
        let spec = try ApiCoverageTests.specRoutes()
        #expect(spec.count > 100, "the spec files were not read from \(ApiCoverageTests.specDir)")
        let have = Set(try ApiCoverageTests.router().routes.map { "\($0.method) \(ApiCoverageTests.norm($0.openAPIPath))" })
        let missing = spec.filter { !have.contains("\($0.0) \(ApiCoverageTests.norm($0.1))") }.map { "\($0.0) \($0.1)" }
        #expect(missing.isEmpty, "no handler for \(missing.count) route(s): \(missing.joined(separator: ", "))")
    }

    /// Routes whose success is not JSON of ours: text, HTML, a redirect, an event stream, an
    /// upgrade, and the OpenAPI document itself (its shape is OpenAPI 3.1's).
    static let notJSON: Set<String> = ["GET /openapi.json", "GET /metrics", "GET /docs", "GET /webhooks/youtube", "GET /youtube/connect", "GET /youtube/connect/callback",
                                       "GET /api/v1/auth/microsoft/login", "GET /events/stream", "HEAD /events/stream",
                                       "GET /api/v1/ws/jobs/{}", "GET /api/v1/ws/org/{}", "GET /files/signed/{}/{}", "GET /api/v1/files/{}/{}",
                                       "GET /api/v1/jobs/{}/vtt/{}"]

    /// Problems of a response schema: an object without `additionalProperties: false` or without
    /// `required`, a required name that is not a property; arrays' items checked too.
    static func strictness(_ schema: Any?, at path: String, components: [String: Any], seen: Set<String> = []) -> [String] {
        guard var s = schema as? [String: Any] else { return ["\(path): no schema"] }
        if let ref = s["$ref"] as? String {
            let name = String(ref.split(separator: "/").last ?? "")
            if seen.contains(name) { return [] }
            guard let target = components[name] else { return ["\(path): $ref \(name) has no schema"] }
            return strictness(target, at: path + "→" + name, components: components, seen: seen.union([name]))
        }
        var out: [String] = []
        if let items = s["items"] { out += strictness(items, at: path + "[]", components: components, seen: seen) }
        let types: [String] = (s["type"] as? String).map { [$0] } ?? (s["type"] as? [String]) ?? []
        guard types.contains("object") else { return out }
        if let ap = s["additionalProperties"] as? [String: Any] { return out + strictness(ap, at: path + "{*}", components: components, seen: seen) }
        let props = s["properties"] as? [String: Any]
        // a free-form object (an event's data, a usage record) is allowed only without properties
        if props == nil && s["additionalProperties"] == nil { return out }
        if (s["additionalProperties"] as? Bool) != false { out.append("\(path): additionalProperties is not false") }
        guard let required = s["required"] as? [String] else { out.append("\(path): no required list"); return out }
        for r in required where props?[r] == nil { out.append("\(path): required '\(r)' is not a property") }
        for (k, v) in props ?? [:] { out += strictness(v, at: path + "." + k, components: components, seen: seen) }
        s.removeAll()
        return out
    }

    @Test("every 2xx JSON response schema in /openapi.json lists its required fields and sets additionalProperties: false")
    func strictOpenAPI() throws {
        let s = try AppServer()
        let r = try s.request("GET", "/openapi.json")
        #expect(r.status == 200)
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(r.body)) as? [String: Any])
        let components = ((doc["components"] as? [String: Any])?["schemas"] as? [String: Any]) ?? [:]
        let paths = try #require(doc["paths"] as? [String: [String: Any]])
        var problems: [String] = []
        var checked = 0
        for (path, ops) in paths.sorted(by: { $0.key < $1.key }) {
            for (method, opAny) in ops {
                let key = "\(method.uppercased()) \(ApiCoverageTests.norm(path))"
                let responses = ((opAny as? [String: Any])?["responses"] as? [String: Any]) ?? [:]
                let ok = responses.filter { $0.key.hasPrefix("2") }
                if ok.isEmpty { problems.append("\(key): no 2xx response"); continue }
                for (code, resp) in ok {
                    let content = ((resp as? [String: Any])?["content"] as? [String: Any])?["application/json"] as? [String: Any]
                    guard let content else {
                        if !ApiCoverageTests.notJSON.contains(key) { problems.append("\(key) \(code): no JSON response schema") }
                        continue
                    }
                    checked += 1
                    problems += ApiCoverageTests.strictness(content["schema"], at: "\(key) \(code)", components: components)
                }
            }
        }
        #expect(checked > 50)
        #expect(problems.isEmpty, "\(problems.count) problem(s):\n\(problems.joined(separator: "\n"))")
    }

    static func chromium() -> String? {
        for c in ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"] where FileManager.default.isExecutableFile(atPath: c) { return c }
        return nil
    }

    @Test("/docs is self-contained and, rendered by headless Chromium, lists every route of /openapi.json",
          .enabled(if: ApiCoverageTests.chromium() != nil, "chromium is not installed (scripts/bootstrap installs it; CI has it)"))
    func docsInChromium() throws {
        let s = try AppServer()
        let page = try s.request("GET", "/docs")
        #expect(page.status == 200 && page.header("Content-Type")?.hasPrefix("text/html") == true)
        // no external assets: nothing is loaded from anywhere
        #expect(!page.text.contains("src=\"http") && !page.text.contains("href=\"http") && !page.text.contains("<link"))
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(try s.request("GET", "/openapi.json").body)) as? [String: Any])
        let routes = ((doc["paths"] as? [String: [String: Any]]) ?? [:]).flatMap { p, ops in ops.keys.map { "\($0.uppercased()) \(p)" } }
        let browser = try #require(ApiCoverageTests.chromium())
        let profile = TempDir("olleey-chromium")
        var args = ["--headless", "--disable-gpu", "--no-first-run", "--user-data-dir=\(profile.path)", "--virtual-time-budget=5000", "--dump-dom",
                    "http://127.0.0.1:\(s.port)/docs"]
        if getuid() == 0 { args.insert("--no-sandbox", at: 0) }
        var p = Subprocess(browser, args)
        p.timeout = 120
        p.stdout = .capture(limit: 64 << 20)
        let r = try p.run()
        let dom = String(decoding: r.stdout, as: UTF8.self)
        #expect(r.exitStatus == 0, "chromium: \(String(decoding: r.stderr.suffix(2000), as: UTF8.self))")
        // every route is a rendered element with data-route="METHOD PATH"
        let rendered = Set(dom.components(separatedBy: "data-route=\"").dropFirst().compactMap { $0.split(separator: "\"", maxSplits: 1).first.map(String.init) })
        let missing = routes.filter { !rendered.contains($0.replacingOccurrences(of: "&", with: "&amp;")) }
        #expect(routes.count > 50)
        #expect(missing.isEmpty, "not listed by /docs: \(missing.sorted().joined(separator: ", "))")
    }
}
