import Foundation
import Testing
import OlleeyKit
import OlleeyTestSupport

/// The job state machine: every allowed transition works and is recorded; every other
/// (status, event, status) is refused as a conflict and writes nothing; it is the one writer.
@Suite struct JobStateMachineTests {
    func workspace(_ t: TempDir) throws -> Database {
        let (ws, _) = try TestStore.initialize(at: t.path)
        return try ws.open()
    }

    /// A job stored directly in `status` (the store's insert, below the state machine: test setup).
    func job(_ db: Database, _ status: JobStatus) throws -> Job {
        let now = Clock.nowISO()
        let job = Job(id: ID.uuid7(), source: "/v.mp4", sourceName: "v.mp4", sourceLang: "en", videoId: nil, status: status, stage: "translate",
                      options: JobOptions(targetLanguages: ["es"]), projectId: nil, channelId: nil, error: "before", errorStage: "translate",
                      paused: false, cancelRequested: false, createdAt: now, updatedAt: now, startedAt: nil, completedAt: nil)
        try JobStore(db).insert(job)
        return job
    }

    func row(_ db: Database, _ id: String) throws -> [String] {
        try db.queryOne("SELECT status, coalesce(stage,''), coalesce(error,''), coalesce(error_stage,''), updated_at, coalesce(started_at,''), coalesce(completed_at,'') FROM jobs WHERE id = ?",
                        [.text(id)]) { r in (0..<7).map { r.string($0) } } ?? []
    }

    func events(_ db: Database, _ id: String) throws -> Int64 {
        try db.scalarInt("SELECT count(*) FROM events WHERE job_id = ?", [.text(id)]) ?? -1
    }

    @Test func everyAllowedTransitionIsAppliedAndRecorded() throws {
        let t = TempDir()
        let db = try workspace(t)
        let machine = JobStateMachine(db)
        var walked = 0
        for from in JobStatus.allCases {
            for (to, event) in JobStateMachine.table[from] ?? [] {
                let j = try job(db, from)
                let before = try events(db, j.id)
                try machine.transition(j.id, to: to, by: event, stage: "mix", error: event == .fail ? "boom" : nil)
                let after = try JobStore(db).get(j.id)
                #expect(after?.status == to, "\(from.rawValue) -\(event.rawValue)-> \(to.rawValue)")
                #expect(after?.stage == "mix")
                #expect(after?.error == (event == .fail ? "boom" : nil))
                #expect((after?.completedAt != nil) == [.completed, .failed, .cancelled].contains(to), "completed_at for \(to.rawValue)")
                #expect((after?.startedAt != nil) == ![.pending, .queued].contains(to), "started_at for \(to.rawValue)")
                #expect(try events(db, j.id) == before + 1, "one event for \(from.rawValue) -\(event.rawValue)-> \(to.rawValue)")
                walked += 1
            }
        }
        // the table is the rules, read from each status: every rule's pairs were walked
        let pairs = JobStateMachine.rules.reduce(0) { $0 + $1.from.count * $1.to.count }
        #expect(walked == pairs && walked > 0)
        // every status can be left (retry, at least) and every event is used
        #expect(JobStatus.allCases.allSatisfy { !(JobStateMachine.table[$0] ?? []).isEmpty })
        #expect(Set(JobStateMachine.rules.map(\.event)).union([.create]) == Set(JobEvent.allCases))
    }

    @Test func everyOtherTransitionIsRefusedAndChangesNothing() throws {
        let t = TempDir()
        let db = try workspace(t)
        let machine = JobStateMachine(db)
        var refused = 0
        for from in JobStatus.allCases {
            let j = try job(db, from)
            let row = try row(db, j.id)
            let count = try events(db, j.id)
            for event in JobEvent.allCases where event != .create {
                for to in JobStatus.allCases where !JobStateMachine.allows(event, from: from, to: to) {
                    do {
                        try machine.transition(j.id, to: to, by: event, stage: "mix", error: "x")
                        Issue.record("\(from.rawValue) -\(event.rawValue)-> \(to.rawValue) must be refused")
                    } catch let e as OlleeyError {
                        #expect(e.code == .conflict && e.code.httpStatus == 409)
                        #expect(e.message.contains("is \(from.rawValue)"), "\(e.message)")
                    }
                    #expect(try !machine.transitionIfAllowed(j.id, to: to, by: event))
                    refused += 1
                }
            }
            #expect(try self.row(db, j.id) == row, "a refused transition from \(from.rawValue) wrote the job")
            #expect(try events(db, j.id) == count, "a refused transition from \(from.rawValue) recorded an event")
        }
        let allowed = JobStatus.allCases.reduce(0) { $0 + (JobStateMachine.table[$1]?.count ?? 0) }
        #expect(refused + allowed == JobStatus.allCases.count * JobStatus.allCases.count * (JobEvent.allCases.count - 1))
    }

    @Test func aRefusalNamesTheStatusAndWhatIsPossible() throws {
        let t = TempDir()
        let db = try workspace(t)
        let j = try job(db, .paused)
        do {
            try JobStateMachine(db).transition(j.id, to: .completed, by: .complete)
            Issue.record("a paused job must not complete")
        } catch let e as OlleeyError {
            #expect(e.code == .conflict)
            #expect(e.message.contains("is paused") && e.message.contains("resume") && e.message.contains("cancel"), "\(e.message)")
            #expect(e.hint == nil || !(e.hint ?? "").contains("--"), "no flags in a kit error")
        }
        do { try JobStateMachine(db).transition("no-such-job", to: .queued, by: .retry); Issue.record("unknown job") }
        catch let e as OlleeyError { #expect(e.code == .notFound) }
    }

    @Test func jobsAreCreatedOnlyInAnInitialStatus() throws {
        let t = TempDir()
        let db = try workspace(t)
        for s in JobStatus.allCases {
            let now = Clock.nowISO()
            let j = Job(id: ID.uuid7(), source: "/v.mp4", sourceName: "v.mp4", sourceLang: "en", videoId: nil, status: s, stage: nil,
                        options: JobOptions(targetLanguages: ["es"]), projectId: nil, channelId: nil, error: nil, errorStage: nil,
                        paused: false, cancelRequested: false, createdAt: now, updatedAt: now, startedAt: nil, completedAt: nil)
            do {
                try JobStateMachine(db).create(j)
                #expect(JobStateMachine.initial.contains(s), "created \(s.rawValue)")
                #expect(try JobStore(db).get(j.id)?.status == s)
            } catch let e as OlleeyError {
                #expect(!JobStateMachine.initial.contains(s) && e.code == .conflict)
                #expect(try JobStore(db).get(j.id) == nil)
            }
        }
    }

    /// The structural property: one source file holds SQL that writes `jobs.status`.
    @Test func oneFileWritesJobStatus() throws {
        let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Sources").path
        let pattern = try NSRegularExpression(pattern: "update +jobs +set +[^;\\n]*status", options: [.caseInsensitive])
        var writers: [String] = []
        let files = FileManager.default.enumerator(atPath: sources)?.compactMap { $0 as? String }.filter { $0.hasSuffix(".swift") } ?? []
        #expect(files.count > 10, "the sources were found at \(sources)")
        for f in files {
            let text = (try? String(contentsOfFile: sources + "/" + f, encoding: .utf8)) ?? ""
            if pattern.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil { writers.append(f) }
        }
        #expect(writers == ["OlleeyKit/Jobs/JobStateMachine.swift"], "files writing jobs.status: \(writers)")
    }
}
