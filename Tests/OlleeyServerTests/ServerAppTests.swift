import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing
import OlleeyHTTP
import OlleeyKit
import OlleeyServer
import OlleeyTestSupport

@Suite struct ServerAppTests {
    @Test func healthAndOpenAPIFromTheRouteTable() async throws {
        let dir = TempDir()
        let (ws, _) = try Workspace.initialize(at: dir.path)
        let app = ServerApp(env: ServerEnvironment(workspace: ws, pool: try ws.pool()), metrics: HTTPMetrics())
        var c = ServerConfiguration()
        c.port = 0
        let server = HTTPServer(configuration: c, router: app.router(), log: HTTPLogSink(fd: open("/dev/null", O_WRONLY)))
        try server.start()
        defer { server.stop(); server.wait() }
        let base = "http://127.0.0.1:\(server.port)"
        let (hb, hr) = try await URLSession.shared.data(from: URL(string: base + "/health")!)
        #expect((hr as? HTTPURLResponse)?.statusCode == 200)
        let health = try JSONSerialization.jsonObject(with: hb) as? [String: Any]
        #expect(health?["status"] as? String == "healthy")
        #expect(health?["version"] as? String == OlleeyVersion.string)
        let (ob, _) = try await URLSession.shared.data(from: URL(string: base + "/openapi.json")!)
        let doc = try JSONSerialization.jsonObject(with: ob) as? [String: Any]
        #expect((doc?["openapi"] as? String)?.hasPrefix("3.1") == true)
        #expect((doc?["paths"] as? [String: Any])?["/health"] != nil)
    }
}
