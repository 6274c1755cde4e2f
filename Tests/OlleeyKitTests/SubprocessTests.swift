import Foundation
import Testing
import OlleeyKit
import OlleeyTestSupport

@Suite("Subprocess")
struct SubprocessTests {
    @Test("captures stdout, stderr and the exit status")
    func capturesOutput() throws {
        let r = try Subprocess("sh", ["-c", "echo out; echo err >&2; exit 3"]).run()
        #expect(r.exitStatus == 3)
        #expect(r.signal == nil)
        #expect(r.stdoutString == "out\n")
        #expect(r.stderrString == "err\n")
        #expect(!r.succeeded)
        #expect(r.outcome == "exit 3")
    }

    @Test("arguments are passed verbatim, without a shell")
    func argumentsVerbatim() throws {
        let r = try Subprocess("printf", ["%s|", "a b", "$HOME", "*", "'q'"]).check()
        #expect(r.stdoutString == "a b|$HOME|*|'q'|")
    }

    @Test("stdin bytes reach the program, also when larger than a pipe buffer")
    func stdinData() throws {
        let big = [UInt8](repeating: UInt8(ascii: "x"), count: 1_000_000)
        var p = Subprocess("wc", ["-c"])
        p.input = .bytes(big)
        let r = try p.check()
        #expect(r.stdoutString.trimmingCharacters(in: .whitespacesAndNewlines) == "1000000")
    }

    @Test("stdout capture is capped and flagged as truncated")
    func captureCap() throws {
        var p = Subprocess("head", ["-c", "100000", "/dev/zero"])
        p.stdout = .capture(limit: 1000)
        let r = try p.check()
        #expect(r.stdout.count == 1000)
        #expect(r.stdoutTruncated)
    }

    @Test("stdout to a file")
    func stdoutToFile() throws {
        let dir = TempDir()
        let out = dir.path + "/out.txt"
        var p = Subprocess("echo", ["hello"])
        p.stdout = .file(out)
        try p.check()
        #expect(try String(contentsOfFile: out, encoding: .utf8) == "hello\n")
    }

    @Test("a missing executable is unavailable (69) with an install hint")
    func missingExecutable() {
        do {
            _ = try Subprocess("olleey-no-such-tool-xyz", []).run()
            Issue.record("expected an error")
        } catch let e as OlleeyError {
            #expect(e.code == .unavailable)
            #expect(e.code.exitCode == 69)
            #expect(e.message.contains("not found"))
            #expect(e.hint != nil)
        } catch { Issue.record("unexpected \(error)") }
        do {
            _ = try Subprocess.require("ffprobe-missing-test", purpose: "x")
        } catch let e as OlleeyError { #expect(e.hint?.contains("bootstrap") == true) } catch {}
        #expect(Subprocess.packageForTool["ffprobe"] == "ffmpeg")
    }

    @Test("which finds tools on PATH and rejects missing ones")
    func which() {
        #expect(Subprocess.which("sh") != nil)
        #expect(Subprocess.which("definitely-not-a-tool-olleey") == nil)
        #expect(Subprocess.which("/bin/sh") == "/bin/sh")
    }

    @Test("a timeout kills the whole process group, grandchildren included")
    func timeoutKillsGroup() throws {
        let dir = TempDir()
        let marker = dir.path + "/grandchild-alive"
        // The grandchild would create the marker after 2 s if it survived the kill.
        var p = Subprocess("sh", ["-c", "(sleep 2; touch \(marker)) & sleep 30"])
        p.timeout = 0.3
        let start = Date()
        let r = try p.run()
        #expect(r.timedOut)
        #expect(!r.succeeded)
        #expect(r.signal == SIGTERM)
        #expect(Date().timeIntervalSince(start) < 5)
        Thread.sleep(forTimeInterval: 2.3)
        #expect(!FileManager.default.fileExists(atPath: marker))
        let e = r.error("sleepy")
        #expect(e.message.contains("timed out"))
    }

    @Test("SIGKILL follows SIGTERM after the grace period when the program ignores SIGTERM")
    func killAfterGrace() throws {
        var p = Subprocess("sh", ["-c", "trap '' TERM; sleep 30 & wait; sleep 30"])
        p.timeout = 0.2
        p.killGrace = 0.3
        let r = try p.run()
        #expect(r.timedOut)
        #expect(r.signal == SIGKILL)
    }

    @Test("cooperative cancellation from another thread ends the program")
    func cancellation() throws {
        let token = CancelToken()
        var p = Subprocess("sleep", ["30"])
        p.cancel = token
        DispatchQueue.global().asyncAfter(deadline: .now() + 0.2) { token.cancel(reason: "job cancelled") }
        let start = Date()
        let r = try p.run()
        #expect(r.cancelled)
        #expect(Date().timeIntervalSince(start) < 5)
        #expect(r.error("sleep").code == .interrupted)
        #expect(throws: OlleeyError.self) { try p.check() }
    }

    @Test("a closure-based cancel check is polled")
    func closureCancel() throws {
        let deadline = Date().addingTimeInterval(0.2)
        var p = Subprocess("sleep", ["30"])
        p.cancel = CancelToken { Date() > deadline }
        let r = try p.run()
        #expect(r.cancelled)
    }

    @Test("the process-wide subprocess time accumulates")
    func stats() throws {
        let before = SubprocessStats.totalNanos
        let count = SubprocessStats.count
        try Subprocess("sleep", ["0.1"]).check()
        #expect(SubprocessStats.totalNanos - before >= 90_000_000)
        #expect(SubprocessStats.count > count)
        #expect(SubprocessStats.wallNanos > 0)
    }

    @Test("working directory and environment")
    func cwdAndEnv() throws {
        var p = Subprocess("sh", ["-c", "pwd; echo $OLLEEY_TEST_VAR"])
        p.workingDirectory = "/tmp"
        p.environment = ["OLLEEY_TEST_VAR": "v1"]
        let r = try p.check()
        #expect(r.stdoutString == "/tmp\nv1\n")
    }

    @Test("stderr keeps its tail when capped; check() reports it")
    func stderrTail() throws {
        var p = Subprocess("sh", ["-c", "i=0; while [ $i -lt 2000 ]; do echo line$i >&2; i=$((i+1)); done; echo last-words >&2; exit 1"])
        p.stderr = .capture(limit: 100)
        let r = try p.run()
        #expect(r.stderr.count <= 100)
        #expect(r.stderrString.hasSuffix("last-words\n"))
        do { try p.check("demo") } catch let e as OlleeyError {
            #expect(e.code == .failure)
            #expect(e.message.contains("demo failed (exit 1)"))
            #expect(e.message.contains("last-words"))
        }
    }

    @Test("no space left on device maps to cannotCreate (73)")
    func enospc() throws {
        let r = try Subprocess("sh", ["-c", "echo 'write error: No space left on device' >&2; exit 1"]).run()
        #expect(r.error("tool").code == .cannotCreate)
    }
}
