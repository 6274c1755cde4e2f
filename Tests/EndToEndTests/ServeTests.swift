import Foundation
import Testing
import OlleeyTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// Issue 14: `olleey serve` as a process: the first stderr line names the bound port, /health,
/// /metrics and /openapi.json answer, and SIGTERM stops it with exit 0 within 5 s (with the
/// in-process worker running).
@Suite("End to end: olleey serve", .serialized, .enabled(if: Binary.exists, "needs the release binary (swift build -c release)"))
struct ServeTests {
    /// One GET over a fresh connection (Connection: close), read to the end.
    func get(_ port: Int, _ path: String) throws -> (status: Int, body: String) {
        let out = try Loopback.exchange(port: port, Array("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".utf8))
        let text = String(decoding: out, as: UTF8.self)
        guard let sep = text.range(of: "\r\n\r\n") else { throw Failure("no response: \(text)") }
        let status = Int(text.split(separator: " ").dropFirst().first ?? "") ?? 0
        return (status, String(text[sep.upperBound...]))
    }

    @Test("serve --port 0: listening line first, health with the version, metrics, OpenAPI; SIGTERM exits 0 within 5 s")
    func serveAndStop() throws {
        let dir = Binary.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(try Binary.run(["init"], cwd: dir).exit == 0)
        let p = try Binary.background(["serve", "--host", "127.0.0.1", "--port", "0", "--workers", "1", "--json"], in: dir, name: "serve")
        defer { if p.isRunning { kill(p.processIdentifier, SIGKILL); p.waitUntilExit() } }
        var first = ""
        for _ in 0..<100 {
            first = ((try? String(contentsOfFile: dir + "/serve.err", encoding: .utf8)) ?? "").split(separator: "\n").first.map(String.init) ?? ""
            if first.hasPrefix("listening on ") { break }
            usleep(50_000)
        }
        let m = first.firstMatch(of: /^listening on http:\/\/127\.0\.0\.1:(\d+)$/)
        let port = try #require(m.flatMap { Int($0.1) }, "first stderr line: \(first)")
        #expect(port > 0)
        let health = try get(port, "/health")
        let version = try Binary.run(["version"], cwd: dir).stdout.split(separator: " ").last.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) } ?? ""
        #expect(health.status == 200 && health.body == #"{"status":"healthy","version":"\#(version)"}"#, "\(health)")
        let metrics = try get(port, "/metrics")
        #expect(metrics.status == 200 && metrics.body.contains("# TYPE http_requests_total counter") && metrics.body.contains("olleey_jobs"), "\(metrics.body.prefix(200))")
        let api = try get(port, "/openapi.json")
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(api.body.utf8)) as? [String: Any])
        #expect(doc["openapi"] as? String == "3.1.0" && (doc["paths"] as? [String: Any])?["/health"] != nil)
        let missing = try get(port, "/nope?token=secret-token")
        #expect(missing.status == 404 && missing.body.contains("\"detail\""))
        let t0 = Date()
        kill(p.processIdentifier, SIGTERM)
        while p.isRunning && Date().timeIntervalSince(t0) < 5 { usleep(20_000) }
        #expect(!p.isRunning, "still running 5 s after SIGTERM")
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
        let out = (try? String(contentsOfFile: dir + "/serve.out", encoding: .utf8)) ?? ""
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: Any], "stdout: \(out)")
        #expect(summary["stopped_by"] as? String == "SIGTERM" && summary["url"] as? String == "http://127.0.0.1:\(port)")
        let log = (try? String(contentsOfFile: dir + "/serve.err", encoding: .utf8)) ?? ""
        #expect(log.contains(#""path":"/nope""#) && !log.contains("secret-token"), "the access log has paths, never query strings")
    }
}

