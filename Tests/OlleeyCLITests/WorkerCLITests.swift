import Foundation
import OlleeyKit
import Testing
import OlleeyTestSupport

/// Issue 11: `olleey worker`'s error paths (the running worker is tested end to end, in WorkerTests).
@Suite struct WorkerCLITests {
    @Test func badParallelExits64() throws {
        let w = try ReviewWorkspace()
        for bad in ["0", "65"] {
            let r = w.run(["worker", "--parallel", bad])
            #expect(r.exit == 64, "--parallel \(bad): \(r.exit) \(r.stderr)")
            #expect(r.stderr.contains("between 1 and 64"), "\(r.stderr)")
        }
        let n = w.run(["worker", "--parallel", "many", "--json"])
        #expect(n.exit == 64, "\(n.stderr)")
        #expect(ErrorEnvelope(stderr: n.stderr)?.code == "usage", "\(n.stderr)")
    }

    @Test func noWorkspaceExits78() {
        let t = TempDir()
        let r = olleey(["worker"], cwd: t.path, env: ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"])
        #expect(r.exit == 78, "\(r.stderr)")
        #expect(r.stderr.contains("run 'olleey init'"), "\(r.stderr)")
    }

    @Test func helpHasAnExampleAndTheExitOnSIGTERM() {
        let t = TempDir()
        let r = olleey(["worker", "--help"], cwd: t.path)
        #expect(r.exit == 0)
        #expect(r.stdout.contains("olleey worker --parallel 4"), "\(r.stdout)")
        #expect(r.stdout.contains("exits 0"), "\(r.stdout)")
    }
}
