import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing
import OlleeyKit
import OlleeyTestSupport

/// The one status table of both specs (SpecMapping.StatusWords), seen through the job lists.
@Suite struct StatusWordsTests {
    @Test("the root spec's 'processing' filter means every running state; an unknown word is 400")
    func processingFilter() async throws {
        let f = try JobRoutesTests.Fixture()
        let (s, body) = try await f.get("/jobs?status=processing", token: f.tokenA)
        #expect(s == 200)
        #expect(Set(JobRoutesTests.ids(body)) == Set(f.jobsA.filter { $0.status == .queued }.map(\.id)))
        let (s2, body2) = try await f.get("/jobs?status=finished", token: f.tokenA)
        #expect(s2 == 400)
        #expect((body2["detail"] as? String)?.contains("processing") == true)
    }

    @Test("the second spec writes upper-case words and names the failed stage; its failure words filter")
    func secondSpecWords() async throws {
        let f = try JobRoutesTests.Fixture()
        // the failed job of the fixture failed at voicing: TTS_FAILED
        var failed = try #require(f.jobsA.first { $0.status == .failed })
        failed.errorStage = "voice"
        try f.db.run("UPDATE jobs SET error_stage = 'voice' WHERE id = ?", [.text(failed.id)])
        let (s, body) = try await f.get("/api/v1/jobs?status=TTS_FAILED", token: f.tokenA)
        #expect(s == 200)
        let jobs = (body["jobs"] as? [[String: Any]]) ?? []
        #expect(jobs.count == 2)  // both failed jobs; the filter is on the state
        let words = Dictionary(uniqueKeysWithValues: jobs.compactMap { j in (j["_id"] as? String).map { ($0, j["status"] as? String ?? "") } })
        #expect(words[failed.id] == "TTS_FAILED")
        #expect(words.values.contains("FAILED"))
        let (_, all) = try await f.get("/api/v1/jobs", token: f.tokenA)
        let statuses = Set(((all["jobs"] as? [[String: Any]]) ?? []).compactMap { $0["status"] as? String })
        #expect(statuses.isSubset(of: ["QUEUED", "TTS_FAILED", "FAILED"]))
    }
}
