import Foundation
import Testing
import OlleeyKit
import OlleeyTestSupport

/// A workspace with users, and jobs inserted directly (no video, nothing rendered): enough for
/// the review, glossary, cost and channel rules.
final class ReviewFixture: @unchecked Sendable {
    let dir = TempDir("olleey-review")
    let ws: Workspace
    let db: Database

    init() throws {
        ws = try TestStore.initialize(at: dir.path).0
        db = try ws.open()
    }

    /// A job whose languages are rendered (waiting for approval), with a translation track each.
    @discardableResult
    func job(_ langs: [String], status: JobStatus = .waitingApproval, languageStatus: LanguageStatus = .waitingApproval,
             channel: String? = nil, project: String? = nil, videoMs: Int64? = nil, lipSync: Bool = false) throws -> Job {
        let now = Clock.nowISO()
        var videoId: String?
        if let ms = videoMs {
            let vid = ID.uuid7()
            try db.run("INSERT INTO videos(id, sha256, path, original_name, size_bytes, duration_ms, has_audio, created_at) VALUES (?, ?, ?, ?, ?, ?, 1, ?)",
                       [.text(vid), .text(ID.uuid7()), .text("media/x.mp4"), .text("v.mp4"), .int(1), .int(ms), .text(now)])
            videoId = vid
        }
        let j = Job(id: ID.uuid7(), source: "/nonexistent/v.mp4", sourceName: "v.mp4", sourceLang: "en", videoId: videoId, status: status, stage: nil,
                    options: JobOptions(targetLanguages: langs, lipSync: lipSync, requireApproval: true), projectId: project, channelId: channel,
                    error: nil, errorStage: nil, paused: false, cancelRequested: false, createdAt: now, updatedAt: now, startedAt: nil, completedAt: nil)
        try JobStore(db).insert(j)
        try TrackStore(db).add(job: j.id, language: "en", kind: .source, content: "WEBVTT\n\n1\n00:00:01.000 --> 00:00:02.000\nHello\n",
                               author: "test", message: "source")
        for l in langs {
            try JobStore(db).setLanguage(j.id, l, status: languageStatus)
            try TrackStore(db).add(job: j.id, language: l, kind: .translation, content: "WEBVTT\n\n1\n00:00:01.000 --> 00:00:02.000\nHola \(l)\n",
                                   author: "olleey/apertium", message: "mt")
        }
        return try JobStore(db).resolve(j.id)
    }

    func users() throws {
        let u = UserService(db)
        _ = try u.create(email: "ana@example.com", role: .linguist, actor: Actor(email: nil))
        _ = try u.create(email: "rui@example.com", role: .linguist, actor: Actor(email: nil))
        _ = try u.create(email: "bo@example.com", role: .client, actor: Actor(email: nil))
        _ = try u.create(email: "pm@example.com", role: .pm, actor: Actor(email: nil))
        _ = try u.create(email: "root@example.com", role: .admin, actor: Actor(email: nil))
    }

    var qc: QCService { QCService(db: db, workspace: ws) }

    func reload(_ j: Job) throws -> Job { try JobStore(db).resolve(j.id) }
}

func errorCode(_ body: () throws -> Void) -> OlleeyError.Code? {
    do { try body(); return nil } catch let e as OlleeyError { return e.code } catch { return .failure }
}

@Suite("QC: per-language review")
struct QCTests {
    @Test("only a PM or an ADMIN assigns, and only to a LINGUIST or REVIEWER")
    func assignPermissions() throws {
        let f = try ReviewFixture()
        try f.users()
        let j = try f.job(["es"])
        #expect(errorCode { _ = try f.qc.assign(j, language: "es", to: "ana@example.com", actor: Actor(email: "rui@example.com")) } == .permission)
        #expect(errorCode { _ = try f.qc.assign(j, language: "es", to: "ana@example.com", actor: Actor(email: nil)) } == .permission)
        #expect(errorCode { _ = try f.qc.assign(j, language: "es", to: "bo@example.com", actor: Actor(email: "pm@example.com")) } == .invalid)
        #expect(errorCode { _ = try f.qc.assign(j, language: "es", to: "nobody@example.com", actor: Actor(email: "pm@example.com")) } == .notFound)
        #expect(errorCode { _ = try f.qc.assign(j, language: "es", to: "ana@example.com", actor: Actor(email: "ghost@example.com")) } == .notFound)
        #expect(errorCode { _ = try f.qc.assign(j, language: "fr", to: "ana@example.com", actor: Actor(email: "pm@example.com")) } == .notFound)
        #expect(errorCode { _ = try f.qc.assign(j, language: "xx", to: "ana@example.com", actor: Actor(email: "pm@example.com")) } == .invalid)
        let e = try f.qc.assign(j, language: "es", to: "ana@example.com", actor: Actor(email: "pm@example.com"))
        #expect(e.assigneeEmail == "ana@example.com")
        #expect(e.state == .inReview)   // rendered already: straight to review
        #expect(try f.db.scalarInt("SELECT count(*) FROM audit_log WHERE action = 'qc.assign' AND actor = 'pm@example.com'") == 1)
    }

    @Test("only the assignee, a PM or an ADMIN approves or rejects; approving twice is an error")
    func approvePermissions() throws {
        let f = try ReviewFixture()
        try f.users()
        let j = try f.job(["es", "fr"])
        _ = try f.qc.assign(j, language: "es", to: "ana@example.com", actor: Actor(email: "pm@example.com"))
        #expect(errorCode { _ = try f.qc.approve(j, language: "es", actor: Actor(email: "bo@example.com")) } == .permission)
        #expect(errorCode { _ = try f.qc.approve(j, language: "es", actor: Actor(email: "rui@example.com")) } == .permission)
        #expect(errorCode { _ = try f.qc.reject(j, language: "es", reason: "no", actor: Actor(email: "rui@example.com")) } == .permission)
        #expect(errorCode { _ = try f.qc.approve(j, language: "es", actor: Actor(email: nil)) } == .permission)
        let e = try f.qc.approve(j, language: "es", actor: Actor(email: "ana@example.com"))
        #expect(e.state == .approved)
        #expect(errorCode { _ = try f.qc.approve(j, language: "es", actor: Actor(email: "ana@example.com")) } == .conflict)
        #expect(errorCode { _ = try f.qc.reject(j, language: "es", reason: "late", actor: Actor(email: "pm@example.com")) } == .conflict)
        // fr is unassigned: a linguist may not approve it, an ADMIN may
        #expect(errorCode { _ = try f.qc.approve(j, language: "fr", actor: Actor(email: "ana@example.com")) } == .permission)
        #expect(try f.qc.approve(j, language: "fr", actor: Actor(email: "root@example.com")).state == .approved)
        #expect(try f.db.scalarInt("SELECT count(*) FROM audit_log WHERE action = 'language.approve'") == 2)
    }

    @Test("a job waiting for approval continues only when every language is approved")
    func gating() throws {
        let f = try ReviewFixture()
        try f.users()
        let j = try f.job(["es", "fr"])
        _ = try f.qc.approve(j, language: "es", actor: Actor(email: "pm@example.com"))
        #expect(try f.reload(j).status == .waitingApproval)
        #expect(try JobStore(f.db).language(j.id, "es")?.approval == "approved")
        _ = try f.qc.approve(j, language: "fr", actor: Actor(email: "pm@example.com"))
        #expect(try f.reload(j).status == .queued)
    }

    @Test("a language not rendered yet cannot be approved")
    func notReady() throws {
        let f = try ReviewFixture()
        try f.users()
        let j = try f.job(["es"], status: .queued, languageStatus: .queued)
        #expect(errorCode { _ = try f.qc.approve(j, language: "es", actor: Actor(email: "pm@example.com")) } == .conflict)
        // but it can be assigned ahead of time
        #expect(try f.qc.assign(j, language: "es", to: "ana@example.com", actor: Actor(email: "pm@example.com")).state == .assigned)
    }

    @Test("a rejection sends the language back with its reason; a fix puts it back in review")
    func rejectAndFix() throws {
        let f = try ReviewFixture()
        try f.users()
        let j = try f.job(["es"])
        _ = try f.qc.assign(j, language: "es", to: "ana@example.com", actor: Actor(email: "pm@example.com"))
        let e = try f.qc.reject(j, language: "es", reason: "wrong brand name", actor: Actor(email: "ana@example.com"))
        #expect(e.state == .rejected)
        let l = try JobStore(f.db).language(j.id, "es")
        #expect(l?.approval == "rejected")
        #expect(l?.error?.contains("wrong brand name") == true)
        #expect(try f.reload(j).status == .waitingApproval)
        // the linguist fixes the track: a new version, the language is queued and back in review
        _ = try TrackService(f.db).editCue(job: f.reload(j), language: "es", cue: "1", text: "Hola Olleey", author: "ana@example.com", message: nil, reopen: false)
        let after = try f.qc.status(f.reload(j))[0]
        #expect(after.entry.state == .inReview)
        #expect(after.approval == "")
        #expect(try JobStore(f.db).language(j.id, "es")?.status == .queued)
        #expect(after.history.map(\.action) == ["assign", "reject", "revise"])
        #expect(after.history[1].message == "wrong brand name")
    }

    @Test("approval locks the tracks; an edit needs --reopen and sends the language back to review")
    func lockingAndReopen() throws {
        let f = try ReviewFixture()
        try f.users()
        let j = try f.job(["es"])
        _ = try f.qc.approve(j, language: "es", actor: Actor(email: "pm@example.com"))
        #expect(try TrackStore(f.db).isLocked(job: j.id, language: "es"))
        #expect(errorCode { _ = try TrackService(f.db).editCue(job: f.reload(j), language: "es", cue: "1", text: "x", author: "ana", message: nil, reopen: false) } == .conflict)
        _ = try TrackService(f.db).editCue(job: f.reload(j), language: "es", cue: "1", text: "Hola de nuevo", author: "ana@example.com", message: nil, reopen: true)
        #expect(!(try TrackStore(f.db).isLocked(job: j.id, language: "es")))
        let s = try f.qc.status(f.reload(j))[0]
        #expect(s.entry.state == .inReview)
        #expect(s.approval == "")
        #expect(s.history.map(\.action) == ["approve", "reopen"])
        #expect(try f.db.scalarInt("SELECT count(*) FROM audit_log WHERE action = 'qc.reopen'") == 1)
    }

    @Test("feedback needs a known user and a message; it is kept in the history")
    func feedback() throws {
        let f = try ReviewFixture()
        try f.users()
        let j = try f.job(["es"])
        #expect(errorCode { _ = try f.qc.feedback(j, language: "es", message: "  ", actor: Actor(email: "bo@example.com")) } == .usage)
        #expect(errorCode { _ = try f.qc.feedback(j, language: "es", message: "hi", actor: Actor(email: nil)) } == .permission)
        let h = try f.qc.feedback(j, language: "es", message: "cue 1 is rushed", actor: Actor(email: "bo@example.com"))
        #expect(h.action == "feedback" && h.actor == "bo@example.com" && h.message == "cue 1 is rushed")
    }

    @Test("job approve|reject (without qc) are reflected in the qc state")
    func syncWithJobCommands() throws {
        let f = try ReviewFixture()
        let j = try f.job(["es"])
        _ = try f.qc.decide(j, language: "es", .reject(reason: "meh"), actor: Actor(email: nil), verb: "job reject")
        #expect(try f.qc.status(f.reload(j))[0].entry.state == .rejected)
    }

    @Test("users: roles, duplicates and who may manage them")
    func users() throws {
        let f = try ReviewFixture()
        let u = UserService(f.db)
        #expect(errorCode { _ = try Role.parse("wizard") } == .usage)
        #expect(try Role.parse("linguist") == .linguist)
        #expect(errorCode { _ = try u.create(email: "not-an-email", role: .pm, actor: Actor(email: nil)) } == .usage)
        _ = try u.create(email: "Root@Example.com", role: .admin, actor: Actor(email: nil))
        #expect(try u.resolve("root@example.com").role == .admin)
        #expect(errorCode { _ = try u.create(email: "root@example.com", role: .pm, actor: Actor(email: nil)) } == .alreadyExists)
        _ = try u.create(email: "pm@example.com", role: .pm, actor: Actor(email: "root@example.com"))
        _ = try u.create(email: "ana@example.com", role: .linguist, actor: Actor(email: "pm@example.com"))
        #expect(errorCode { _ = try u.create(email: "boss@example.com", role: .admin, actor: Actor(email: "pm@example.com")) } == .permission)
        #expect(errorCode { _ = try u.create(email: "x@example.com", role: .client, actor: Actor(email: "ana@example.com")) } == .permission)
        #expect(errorCode { _ = try u.update("ana@example.com", role: .admin, actor: Actor(email: "pm@example.com")) } == .permission)
        let d = try u.update("ana@example.com", disabled: true, actor: Actor(email: "pm@example.com"))
        #expect(d.disabled)
        #expect(errorCode { _ = try u.actor("ana@example.com", action: "qc approve") } == .permission)
    }
}
