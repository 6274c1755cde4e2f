import Foundation
import OlleeyKit
import Testing
import OlleeyTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// `olleey serve`'s error paths and help (the running server is tested end to end, in ServeTests).
@Suite struct ServeCLITests {
    @Test func badPortAndWorkersExit64BeforeListening() throws {
        let w = try ReviewWorkspace()
        for args in [["serve", "--port", "70000"], ["serve", "--port", "-1"], ["serve", "--workers", "-2"], ["serve", "--workers", "65"]] {
            let r = w.run(args + ["--json"])
            #expect(r.exit == 64, "\(args): \(r.exit) \(r.stderr)")
            #expect(ErrorEnvelope(stderr: r.stderr)?.code == "usage", "\(r.stderr)")
            #expect(!r.stderr.contains("listening on"), "\(r.stderr)")
        }
    }

    @Test func portInUseExits69() throws {
        let w = try ReviewWorkspace()
        // hold a port
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        listen(fd, 1)
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        let port = Int(UInt16(bigEndian: addr.sin_port))
        let r = w.run(["serve", "--port", String(port), "--workers", "0", "--json"])
        #expect(r.exit == 69, "\(r.stderr)")
        #expect(ErrorEnvelope(stderr: r.stderr)?.code == "unavailable", "\(r.stderr)")
        let h = w.run(["serve", "--host", "not-an-address", "--port", "0", "--workers", "0"])
        #expect(h.exit == 69, "\(h.stderr)")
    }

    @Test func noWorkspaceExits78() {
        let t = TempDir()
        let r = olleey(["serve", "--port", "0"], cwd: t.path, env: ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"])
        #expect(r.exit == 78, "\(r.stderr)")
    }

    @Test func helpHasAnExample() {
        let t = TempDir()
        let r = olleey(["serve", "--help"], cwd: t.path)
        #expect(r.exit == 0)
        #expect(r.stdout.contains("olleey serve --host 127.0.0.1 --port 0"), "\(r.stdout)")
        #expect(r.stdout.contains("listening on http://HOST:PORT"), "\(r.stdout)")
    }
}
