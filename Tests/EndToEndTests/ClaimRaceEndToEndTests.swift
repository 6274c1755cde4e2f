import Foundation
import Testing

/// Issue 10: two `job run` processes (two workers each) on a job whose preparation fails: its
/// ingest runs once and it fails once, also with the test-only delay at the claim
/// (`OLLEEY_TEST_CLAIM_DELAY_MS`) that widens the window between reading a unit and claiming it.
@Suite("End to end: claims across processes", .enabled(if: Tools.media, "needs the binary (OLLEEY_BIN), ffmpeg, espeak-ng, apertium"))
struct ClaimRaceEndToEndTests {
    @Test func aFailingPreparationRunsOnceAcrossTwoProcesses() throws {
        let dir = Binary.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Tools.sample(in: dir)
        #expect(try Binary.run(["init"], cwd: dir).exit == 0)
        let db = dir + "/.olleey/olleey.db"
        for round in 0..<3 {
            try FileManager.default.copyItem(atPath: dir + "/talk.mp4", toPath: dir + "/gone.mp4")
            let r = try Binary.run(["job", "create", "gone.mp4", "--subtitles", "talk.en.vtt", "--source-lang", "en", "--lang", "es,ca", "--json"], cwd: dir)
            let id = try #require((Tools.json(r.stdout) as? [String: Any])?["id"] as? String, "\(r.stderr)")
            try FileManager.default.removeItem(atPath: dir + "/gone.mp4")
            let (rc, out) = try Tools.sh("""
                export OLLEEY_TEST_CLAIM_DELAY_MS=\(round == 0 ? 0 : 120)
                '\(Binary.path)' job run \(id) --parallel 2 >w1.log 2>&1 & p1=$!
                '\(Binary.path)' job run \(id) --parallel 2 >w2.log 2>&1 & p2=$!
                wait $p1; s1=$?; wait $p2; s2=$?; echo "$s1 $s2"
                """, cwd: dir)
            #expect(rc == 0)
            // each run reports the failed job (2)
            #expect(out.trimmingCharacters(in: .whitespacesAndNewlines) == "2 2", "round \(round)")
            #expect(try Tools.sql(db, "SELECT count(*) FROM stage_runs WHERE job_id = '\(id)' AND stage = 'ingest'") == "1", "round \(round)")
            #expect(try Tools.sql(db, "SELECT count(*) FROM events WHERE job_id = '\(id)' AND kind = 'job.failed'") == "1", "round \(round)")
            #expect(try Tools.sql(db, "SELECT group_concat(status) FROM job_languages WHERE job_id = '\(id)'") == "failed,failed", "round \(round)")
        }
    }
}
