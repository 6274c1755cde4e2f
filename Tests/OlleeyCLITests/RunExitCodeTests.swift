import Foundation
import Testing
import OlleeyCLI
import OlleeyKit

// `job run` exits 0 only when every job it ran completed (issue 10): a cancelled or paused job
// gives 3 (jobs_incomplete), documented in `help exit-codes`. (Waiting for approval: the
// review end-to-end test in ReviewCLITests.)

@Suite("olleey job run: honest exit codes", .enabled(if: ReviewCLITests.missingTools.isEmpty, "needs ffmpeg, ffprobe, apertium and espeak-ng; run scripts/bootstrap"))
struct RunExitCodeTests {
    func workspace() throws -> ReviewWorkspace {
        let w = try ReviewWorkspace()
        try Subprocess.run("ffmpeg", ["-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=160x120:rate=10:duration=3",
                                      "-f", "lavfi", "-i", "sine=frequency=220:duration=3", "-shortest", "-c:v", "libx264", "-pix_fmt", "yuv420p",
                                      "-c:a", "aac", w.dir.file("talk.mp4")], timeout: 60)
        w.dir.write("talk.en.vtt", "WEBVTT\n\n1\n00:00:00.300 --> 00:00:02.000\nWelcome to our channel.\n")
        return w
    }

    func create(_ w: ReviewWorkspace) throws -> String {
        let j = try w.json(["job", "create", "talk.mp4", "--subtitles", "talk.en.vtt", "--source-lang", "en", "--lang", "es"])
        return j["id"]?.stringValue ?? ""
    }

    @Test("a cancelled job: job run exits 3, --json counts it incomplete")
    func cancelled() throws {
        let w = try workspace()
        let id = try create(w)
        _ = try w.json(["job", "cancel", id])
        let r = w.run(["job", "run", id, "--json"])
        #expect(r.exit == 3, "\(r.stderr)")
        let j = try r.json()
        #expect(j["incomplete"] == .int(1) && j["failed"] == .int(0) && j["completed"] == .int(0))
        #expect(j["jobs"]?.arrayValue?.first?["status"] == .string("cancelled"))
        #expect(j["interrupted"] == .null)
    }

    @Test("a paused job: job run exits 3; resumed, it completes and job run exits 0")
    func paused() throws {
        let w = try workspace()
        let id = try create(w)
        _ = try w.json(["job", "pause", id])
        let r = w.run(["job", "run", id])
        #expect(r.exit == 3, "\(r.stderr)")
        #expect(try w.json(["job", "show", id])["status"] == .string("paused"))
        _ = try w.json(["job", "resume", id])
        let done = w.run(["job", "run", id])
        #expect(done.exit == 0, "\(done.stderr)")
        #expect(try w.json(["job", "show", id])["status"] == .string("completed"))
    }

    @Test("help exit-codes and job run --help document 3, 130 and 143; help workspace, read-only workspaces")
    func documented() throws {
        let w = try ReviewWorkspace()
        let help = w.run(["help", "exit-codes"])
        #expect(help.exit == 0)
        for needle in ["jobs_incomplete", "143", "SIGTERM", "130", "SIGINT"] { #expect(help.stdout.contains(needle), "\(needle)") }
        let run = w.run(["job", "run", "--help"])
        #expect(run.stdout.contains("3 when") && run.stdout.contains("143"), "\(run.stdout)")
        #expect(w.run(["help", "workspace"]).stdout.contains("read-only"))
        // an error path: no job named
        #expect(w.run(["job", "run"]).exit == 64)
    }
}
