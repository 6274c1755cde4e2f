import Foundation
import OlleeyCLI
import OlleeyKit
import Testing

/// Issue 11: `job approve|reject` and `qc approve|reject` are one approval path with one
/// permission check (`QCService.decide`).
@Suite("one approval path: job approve and qc approve share the permission check")
struct ApprovalPathCLITests {
    /// A job inserted directly whose languages are rendered and wait for approval (no video needed).
    func waitingJob(_ w: ReviewWorkspace, langs: [String] = ["es"]) throws -> String {
        let db = try Workspace(root: w.path).open()
        let now = Clock.nowISO()
        let j = Job(id: ID.uuid7(), source: "/nonexistent/v.mp4", sourceName: "v.mp4", sourceLang: "en", videoId: nil, status: .waitingApproval,
                    stage: nil, options: JobOptions(targetLanguages: langs, requireApproval: true), projectId: nil, channelId: nil,
                    error: nil, errorStage: nil, paused: false, cancelRequested: false, createdAt: now, updatedAt: now, startedAt: nil, completedAt: nil)
        try JobStore(db).insert(j)
        for l in langs { try JobStore(db).setLanguage(j.id, l, status: .waitingApproval, stage: "approval") }
        return j.id
    }

    func users(_ w: ReviewWorkspace) throws {
        try w.json(["user", "create", "--email", "pm@example.com", "--role", "PM"])
        try w.json(["user", "create", "--email", "ling@example.com", "--role", "LINGUIST"])
        try w.json(["user", "create", "--email", "ana@example.com", "--role", "LINGUIST"])
    }

    @Test("an unassigned LINGUIST is refused (77) through job approve and qc approve; a PM approves through job approve")
    func unassignedLinguistRefusedEverywhere() throws {
        let w = try ReviewWorkspace()
        try users(w)
        let job = try waitingJob(w, langs: ["es", "ca"])
        for cmd in [["job", "approve"], ["qc", "approve"], ["job", "reject"], ["qc", "reject"]] {
            let r = w.run(cmd + [job, "--lang", "es", "--reason", "x", "--as", "ling@example.com"].filter { cmd[1] == "reject" || ($0 != "--reason" && $0 != "x") })
            #expect(r.exit == 77, "\(cmd.joined(separator: " ")): \(r.exit) \(r.stderr)")
            #expect(r.stderr.contains("may not"), "\(r.stderr)")
        }
        // nothing was recorded by the refusals
        #expect(try w.json(["qc", "status", job, "--lang", "es"])["languages"]?.arrayValue?.first?["approval"] == .null)
        // once assigned, the linguist may (through job approve too)
        try w.json(["qc", "assign", job, "--lang", "ca", "--to", "ana@example.com", "--as", "pm@example.com"])
        #expect(w.run(["job", "approve", job, "--lang", "ca", "--as", "ling@example.com"]).exit == 77)
        try w.json(["job", "approve", job, "--lang", "ca", "--as", "ana@example.com"])
        // a PM approves through job approve: the approval and the qc state follow
        let shown = try w.json(["job", "approve", job, "--lang", "es", "--as", "pm@example.com"])
        #expect(shown["id"] == .string(job))
        #expect(shown["status"] == .string("queued"), "every language approved releases the job")
        let es = try w.json(["qc", "status", job, "--lang", "es"])["languages"]?.arrayValue?.first
        #expect(es?["state"] == .string("approved") && es?["approval"] == .string("approved"))
        #expect(es?["history"]?.arrayValue?.last?["actor"] == .string("pm@example.com"))
        // approving twice is a conflict through either command
        #expect(w.run(["job", "approve", job, "--lang", "es", "--as", "pm@example.com"]).exit == 1)
        #expect(w.run(["qc", "approve", job, "--lang", "es", "--as", "pm@example.com"]).exit == 1)
    }

    @Test("job approve without --as: needs a user once accounts exist (77); the local operator alone may on a workspace without accounts")
    func withoutAs() throws {
        let w = try ReviewWorkspace()
        let alone = try waitingJob(w)
        #expect(try w.json(["job", "approve", alone, "--lang", "es"])["status"] == .string("queued"))
        try users(w)
        let job = try waitingJob(w)
        let r = w.run(["job", "approve", job, "--lang", "es"])
        #expect(r.exit == 77, "\(r.stderr)")
        #expect(r.stderr.contains("needs a user"), "\(r.stderr)")
        // --as, $OLLEEY_USER or config user.email name the acting user
        let env = olleey(["job", "approve", job, "--lang", "es", "--json"], cwd: w.path, env: w.env.merging(["OLLEEY_USER": "pm@example.com"]) { $1 })
        #expect(env.exit == 0, "\(env.stderr)")
        // an unknown user is not found (66); a language not rendered yet cannot be decided (1)
        let other = try waitingJob(w)
        #expect(w.run(["job", "approve", other, "--lang", "es", "--as", "nobody@example.com"]).exit == 66)
        let db = try Workspace(root: w.path).open()
        try JobStore(db).setLanguage(other, "es", status: .queued)
        #expect(w.run(["job", "approve", other, "--lang", "es", "--as", "pm@example.com"]).exit == 1)
        #expect(w.run(["job", "approve", other, "--as", "pm@example.com"]).exit == 64)
    }
}
