import Foundation
import Testing
import OlleeyKit
import OlleeyTestSupport

/// A language's audio-description script under review (`--describe`): `qc status`'s findings, a
/// language waiting for its script is not approvable, an approved language's script is locked.
@Suite struct DescriptionsReviewTests {
    /// A `--describe` job (en -> es) with dialogue at 1-2 s and 5-6 s; es rendered and waiting for approval.
    func job(_ f: ReviewFixture) throws -> Job {
        let now = Clock.nowISO()
        var options = JobOptions(targetLanguages: ["es"], requireApproval: true)
        options.describe = true
        let j = Job(id: ID.uuid7(), source: "/nonexistent/v.mp4", sourceName: "v.mp4", sourceLang: "en", videoId: nil, status: .waitingApproval, stage: nil,
                    options: options, projectId: nil, channelId: nil, error: nil, errorStage: nil, paused: false, cancelRequested: false,
                    createdAt: now, updatedAt: now, startedAt: nil, completedAt: nil)
        try JobStore(f.db).insert(j)
        try TrackStore(f.db).add(job: j.id, language: "en", kind: .source,
                                 content: "WEBVTT\n\n1\n00:00:01.000 --> 00:00:02.000\nHello\n\n2\n00:00:05.000 --> 00:00:06.000\nBye\n", author: "test", message: "source")
        try TrackStore(f.db).add(job: j.id, language: "es", kind: .translation, content: "WEBVTT\n\n1\n00:00:01.000 --> 00:00:02.000\nHola\n\n2\n00:00:05.000 --> 00:00:06.000\nAdiós\n",
                                 author: "olleey/apertium", message: "mt")
        return try JobStore(f.db).resolve(j.id)
    }

    func codes(_ r: DescriptionsReview?) -> [String] { (r?.findings ?? []).map { "\($0.code):\($0.cue ?? "-")" } }

    @Test("findings: over the dialogue, over another description, empty, only in the extended-AD video (from the render of that version); none for a clean script")
    func findings() throws {
        let f = try ReviewFixture()
        let j = try job(f)
        #expect(try DescriptionsReview.of(j, language: "es", db: f.db)?.status == "not_rendered")
        // a job without --describe has no descriptions review
        #expect(try DescriptionsReview.of(try f.job(["fr"]), language: "fr", db: f.db) == nil)
        let script = """
            WEBVTT

            d1
            00:00:01.500 --> 00:00:02.500
            Un río.

            d2
            00:00:02.600 --> 00:00:04.000
            Un puente.

            d3
            00:00:03.500 --> 00:00:04.500
            Otra cosa.

            d4
            00:00:06.200 --> 00:00:07.000
            <i></i>

            """
        try TrackStore(f.db).add(job: j.id, language: "es", kind: .descriptions, content: script, author: "ana@example.com", message: "script")
        try JobStore(f.db).setLanguage(j.id, "es", status: .waitingApproval)
        try JobStore(f.db).mergeLanguageOutputs(j.id, "es", [("descriptions", .object([
            ("status", "ready"), ("script_version", .int(1)),
            ("cues", .array([.object([("id", "d2"), ("in_described_audio", .bool(false)), ("overflow_ms", .int(700))])])),
        ]))])
        let r = try #require(try DescriptionsReview.of(j, language: "es", db: f.db))
        #expect(r.status == "ready" && r.version == 1 && r.cues == 4 && r.humanCues == 4)
        #expect(codes(r) == ["overlaps_speech:d1", "overlaps_description:d3", "empty:d4", "extended_only:d2"], "\(codes(r))")
        #expect(r.errors == 3)
        #expect(r.findings.first?.message.contains("1.000-2.000") == true, "\(r.findings.first?.message ?? "")")
        // in qc status (the same read model the v1 language QC route shows)
        let status = try f.qc.status(j)
        #expect(status.first?.json["descriptions"]?["errors"]?.intValue == 3)

        // a clean script: no findings (the render's note was for version 1)
        try TrackStore(f.db).add(job: j.id, language: "es", kind: .descriptions,
                                 content: "WEBVTT\n\nd1\n00:00:02.500 --> 00:00:04.500\nUn río.\n", author: "ana@example.com", message: "fixed")
        #expect(codes(try DescriptionsReview.of(j, language: "es", db: f.db)) == [])
    }

    @Test("a language waiting for its script is not approvable (conflict, saying so); approved, its descriptions are locked like its translation until reopened")
    func approvalGate() throws {
        let f = try ReviewFixture()
        let j = try job(f)
        try JobStore(f.db).setLanguage(j.id, "es", status: .waitingApproval, stage: Stage.describe.rawValue)
        try JobStore(f.db).mergeLanguageOutputs(j.id, "es", [("descriptions", .object([("status", "waiting_for_script")]))])
        #expect(codes(try DescriptionsReview.of(j, language: "es", db: f.db)) == ["no_script:-"])
        do { _ = try f.qc.approve(j, language: "es", actor: Actor(email: nil)); Issue.record("expected a conflict") }
        catch let e as OlleeyError { #expect(e.code == .conflict && e.message.contains("audio-description script"), "\(e.message)") }

        // the script is written and rendered: approvable; then locked
        let svc = TrackService(f.db)
        _ = try svc.commit(job: j, language: "en", content: "WEBVTT\n\nd1\n00:00:02.500 --> 00:00:04.500\nA river.\n", author: "ana@example.com", message: "script", kind: .descriptions)
        try TrackStore(f.db).add(job: j.id, language: "es", kind: .descriptions, content: "WEBVTT\n\nd1\n00:00:02.500 --> 00:00:04.500\nUn río.\n", author: "olleey/apertium", message: "mt")
        try JobStore(f.db).setLanguage(j.id, "es", status: .waitingApproval, stage: Stage.approval.rawValue)
        _ = try f.qc.approve(try f.reload(j), language: "es", actor: Actor(email: nil))
        #expect(errorCode { _ = try svc.editCue(job: j, language: "es", cue: "d1", text: "Otro río.", author: "ana@example.com", message: nil, reopen: false, kind: .descriptions) } == .conflict)
        _ = try svc.editCue(job: j, language: "es", cue: "d1", text: "Otro río.", author: "ana@example.com", message: nil, reopen: true, kind: .descriptions)
        #expect(try f.qc.status(j).first?.entry.state == .inReview)
        #expect(try svc.history(job: j, language: "es", kind: .descriptions).count == 2)
        #expect(try svc.history(job: j, language: "es").count == 1)
    }
}
