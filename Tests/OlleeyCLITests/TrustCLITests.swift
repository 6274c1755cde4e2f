import Foundation
import OlleeyCLI
import OlleeyKit
import Testing
import OlleeyTestSupport

/// Issue 10 (trust): honest review history, failed languages, config keys without effect.
@Suite("trust: qc reject, failed preparation, config keys without effect")
struct TrustCLITests {
    static let hasFFmpeg = ToolCheck.missing(["ffmpeg", "ffprobe"]).isEmpty

    /// A small real video and its English subtitles in the workspace directory.
    func sample(_ w: ReviewWorkspace) throws {
        try Subprocess.run("ffmpeg", ["-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=160x120:rate=10:duration=3",
                                      "-f", "lavfi", "-i", "sine=frequency=220:duration=3", "-shortest", "-c:v", "libx264", "-pix_fmt", "yuv420p",
                                      "-c:a", "aac", w.dir.file("talk.mp4")], timeout: 60)
        w.dir.write("talk.en.vtt", "WEBVTT\n\n1\n00:00:00.300 --> 00:00:01.500\nHello there.\n")
    }

    func create(_ w: ReviewWorkspace, langs: String) throws -> String {
        let created = try w.json(["job", "create", "talk.mp4", "--subtitles", "talk.en.vtt", "--source-lang", "en", "--lang", langs])
        return try #require(created["id"]?.stringValue)
    }

    @Test("qc reject without --reason exits 64; the same rejection twice adds no history row",
          .enabled(if: hasFFmpeg, "needs ffmpeg"))
    func rejectNeedsAReasonAndIsNotDuplicated() throws {
        let w = try ReviewWorkspace()
        try sample(w)
        _ = try w.json(["user", "create", "--email", "pm@example.com", "--role", "PM"])
        let job = try create(w, langs: "es")
        // the language is rendered and waiting for review (no run needed for the review rules)
        let db = try Workspace(root: w.path).open()
        try JobStore(db).setLanguage(job, "es", status: .waitingApproval, stage: "approval")
        try JobStateMachine(db).transition(job, to: .waitingApproval, by: .awaitApproval)

        let bare = w.run(["qc", "reject", job, "--lang", "es", "--as", "pm@example.com"])
        #expect(bare.exit == 64, "\(bare.stderr)")
        #expect(bare.stderr.contains("reason"))
        #expect(w.run(["qc", "reject", job, "--lang", "es", "--reason", "   ", "--as", "pm@example.com"]).exit == 64)
        #expect(w.run(["job", "reject", job, "--lang", "es"]).exit == 64)
        let rejections = { try db.scalarInt("SELECT count(*) FROM qc_history WHERE job_id = ? AND action = 'reject'", [.text(job)]) ?? -1 }
        #expect(try rejections() == 0)

        let first = try w.json(["qc", "reject", job, "--lang", "es", "--reason", "too literal", "--as", "pm@example.com"])
        #expect(first["state"] == .string("rejected"))
        let events = { try db.scalarInt("SELECT count(*) FROM events WHERE job_id = ? AND kind = 'language.rejected'", [.text(job)]) ?? -1 }
        #expect(try rejections() == 1 && events() == 1)
        // again, same reason: accepted, nothing recorded twice (qc and job reject alike)
        let again = try w.json(["qc", "reject", job, "--lang", "es", "--reason", "too literal", "--as", "pm@example.com"])
        #expect(again["state"] == .string("rejected") && again["reason"] == .string("too literal"))
        _ = try w.json(["job", "reject", job, "--lang", "es", "--reason", "too literal", "--as", "pm@example.com"])
        #expect(try rejections() == 1 && events() == 1)
        let history = try w.json(["qc", "status", job, "--lang", "es"])["languages"]?.arrayValue?.first?["history"]?.arrayValue ?? []
        #expect(history.filter { $0["action"] == .string("reject") }.count == 1, "\(history)")
        // a new reason is a new rejection
        _ = try w.json(["qc", "reject", job, "--lang", "es", "--reason", "names wrong", "--as", "pm@example.com"])
        #expect(try rejections() == 2)
    }

    @Test("a job failing at preparation shows its languages failed with the job's reason (job show --json)",
          .enabled(if: hasFFmpeg, "needs ffmpeg"))
    func failedPreparationFailsItsLanguages() throws {
        let w = try ReviewWorkspace()
        try sample(w)
        let job = try create(w, langs: "es,ca")
        try FileManager.default.removeItem(atPath: w.dir.file("talk.mp4"))  // gone before the run: ingest fails
        #expect(w.run(["job", "run", job]).exit == 2)
        let shown = try w.json(["job", "show", job])
        #expect(shown["status"] == .string("failed"))
        let reason = try #require(shown["error"]?.stringValue)
        #expect(reason.contains("no longer exists"))
        let langs = shown["languages"]?.arrayValue ?? []
        #expect(langs.count == 2)
        for l in langs {
            #expect(l["status"] == .string("failed"), "\(l)")
            #expect(l["error"]?.stringValue == reason)
            #expect(l["error_stage"] == .string("ingest"))
        }
        // the summary in job list says so too; retry queues them again
        let listed = try w.json(["job", "list"]).arrayValue?.first?["languages"]
        #expect(listed == .object([("es", .string("failed")), ("ca", .string("failed"))]))
        _ = try w.json(["job", "retry", job])
        #expect(try w.json(["job", "show", job])["languages"]?.arrayValue?.allSatisfy { $0["status"] == .string("queued") } == true)
    }

    @Test("config set of a key the configured engine does not read warns (stderr and JSON) and exits 0")
    func configKeysWithoutEffectAreReported() throws {
        let w = try ReviewWorkspace()
        let set = w.run(["config", "set", "engines.translate.command", "my-mt {input} {output} {src} {tgt}", "--json"])
        #expect(set.exit == 0, "\(set.stderr)")
        #expect(set.stderr.contains("warning:") && set.stderr.contains("engines.translate.command has no effect while engines.translate is apertium"),
                "\(set.stderr)")
        let doc = try set.json()
        #expect(doc["value"] == .string("my-mt {input} {output} {src} {tgt}"))
        let warnings = doc["warnings"]?.arrayValue ?? []
        #expect(warnings.count == 1 && warnings.first?["key"] == .string("engines.translate.command"))
        #expect(warnings.first?["hint"]?.stringValue?.contains("config set engines.translate command") == true)
        // human output: the same warning on stderr, the value on stdout
        let human = w.run(["config", "set", "engines.speak.rate", "200"])
        #expect(human.exit == 0 && human.stdout.contains("engines.speak.rate = 200") && !human.stderr.contains("warning"))
        // once the engine reads it: no warning
        _ = try w.json(["config", "set", "engines.translate", "command"])
        let quiet = w.run(["config", "set", "engines.translate.command", "other {input} {output} {src} {tgt}", "--json"])
        #expect(quiet.exit == 0 && !quiet.stderr.contains("warning"))
        #expect(try quiet.json()["warnings"] == .array([]))
        // choosing an engine reports the stored keys it does not read
        let back = w.run(["config", "set", "engines.translate", "apertium", "--json"])
        #expect(back.exit == 0 && back.stderr.contains("engines.translate.command has no effect"), "\(back.stderr)")
        #expect(try back.json()["warnings"]?.arrayValue?.compactMap { $0["key"]?.stringValue } == ["engines.translate.command"])
        // shared http keys count when any stage uses http
        #expect(w.run(["config", "set", "engines.http.timeout", "30"]).stderr.contains("no effect"))
        _ = try w.json(["config", "set", "engines.speak", "http"])
        #expect(!w.run(["config", "set", "engines.http.timeout", "30"]).stderr.contains("no effect"))
    }
}
