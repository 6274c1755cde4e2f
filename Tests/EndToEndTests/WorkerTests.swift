import Foundation
import Testing

/// Issue 11: `olleey worker` runs jobs created after it started, without `job run`, and stops on
/// SIGTERM within 5 s with exit 0, no subprocess left, its leases released and the interrupted
/// job resumable.
@Suite("End to end: olleey worker", .serialized,
       .enabled(if: Tools.media, "needs the release binary, ffmpeg, espeak-ng and apertium (scripts/bootstrap)"))
struct WorkerTests {
    func create(_ dir: String, langs: String) throws -> String {
        let r = try Binary.run(["job", "create", "talk.mp4", "--subtitles", "talk.en.vtt", "--source-lang", "en", "--lang", langs, "--json"], cwd: dir)
        guard r.exit == 0, let d = Tools.json(r.stdout) as? [String: Any], let id = d["id"] as? String else {
            throw Failure("job create failed: \(r.stderr)")
        }
        return id
    }

    func status(_ dir: String, _ id: String) throws -> String {
        try Tools.sql(dir + "/.olleey/olleey.db", "SELECT status FROM jobs WHERE id = '\(id)'")
    }

    /// `olleey worker --json` in the background, stdout and stderr to files.
    func startWorker(_ dir: String) throws -> Process { try Binary.background(["worker", "--json"], in: dir, name: "worker") }


    @Test("a running worker completes a job created after it started, then SIGTERM mid-run exits 0 within 5 s, no child left, leases released, and the interrupted job resumes with job run")
    func workerPicksUpAndStopsCleanly() throws {
        let dir = Binary.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Tools.sample(in: dir)
        #expect(try Binary.run(["init"], cwd: dir).exit == 0)
        let worker = try startWorker(dir)
        defer { if worker.isRunning { kill(worker.processIdentifier, SIGKILL); worker.waitUntilExit() } }
        usleep(500_000)
        #expect(worker.isRunning, "the worker exited with no work: \((try? String(contentsOfFile: dir + "/worker.err", encoding: .utf8)) ?? "")")

        // 1. picked up by itself: no `job run`
        let first = try create(dir, langs: "es")
        var s = ""
        for _ in 0..<600 {
            s = try status(dir, first)
            if ["completed", "failed", "waiting_approval"].contains(s) { break }
            usleep(200_000)
        }
        #expect(s == "completed", "job created after the worker started: \(s)")
        let log = (try? String(contentsOfFile: dir + "/worker.err", encoding: .utf8)) ?? ""
        #expect(log.contains("prepare: started") && log.contains("es: finished"), "\(log)")

        // 2. SIGTERM while it runs a second job
        let second = try create(dir, langs: "es,ca,eo")
        var reached = false
        for _ in 0..<600 where worker.isRunning {
            let st = try Tools.sql(dir + "/.olleey/olleey.db", "SELECT group_concat(stage) FROM stage_runs WHERE job_id = '\(second)' AND state = 'running'")
            if st.split(separator: ",").contains(where: { ["translate", "dub", "mix", "assemble"].contains(String($0)) }) { reached = true; break }
            usleep(50_000)
        }
        #expect(reached, "the worker did not start the second job")
        kill(worker.processIdentifier, SIGTERM)
        let took = Tools.waitExit(worker, limit: 5)
        #expect(took != nil, "the worker still runs 5 s after SIGTERM")
        if took == nil { kill(worker.processIdentifier, SIGKILL); worker.waitUntilExit() }
        #expect(worker.terminationReason == .exit && worker.terminationStatus == 0, "exit \(worker.terminationStatus)")
        usleep(200_000)
        let left = try Tools.sh("pgrep -af '\(dir)/[.]olleey' || true", cwd: dir).1
        #expect(left.isEmpty, "subprocesses left running: \(left)")
        let temps = try Tools.sh("find .olleey \\( -name '*.tmp*' -o -name '.olleey-tmp-*' -o -name '.patch-*' -o -name '*.partial*' -o -name '.seg-*' -o -name '.joined-*' -o -name '.dubclip-*' -o -name '.slow-*' \\)", cwd: dir).1
        #expect(temps.isEmpty, "temporary files left: \(temps)")
        let db = dir + "/.olleey/olleey.db"
        #expect(try Tools.sql(db, "SELECT count(*) FROM jobs WHERE lease_owner IS NOT NULL") == "0")
        #expect(try Tools.sql(db, "SELECT count(*) FROM job_languages WHERE lease_owner IS NOT NULL") == "0")
        #expect(try Tools.sql(db, "SELECT count(*) FROM stage_runs WHERE state = 'running'") == "0")
        #expect(try Tools.sql(db, "SELECT count(*) FROM job_languages WHERE job_id = '\(second)' AND status = 'processing'") == "0")
        #expect(try status(dir, second) == "queued")
        // the summary it printed on stdout (--json)
        let out = (try? String(contentsOfFile: dir + "/worker.out", encoding: .utf8)) ?? ""
        let summary = Tools.json(out) as? [String: Any]
        #expect(summary?["interrupted"] as? String == "SIGTERM", "\(out)")
        let jobs = (summary?["jobs"] as? [[String: Any]]) ?? []
        #expect(jobs.contains { $0["id"] as? String == first && $0["status"] as? String == "completed" }, "\(out)")

        // 3. resumable: a later job run completes it
        let again = try Binary.run(["job", "run", second], cwd: dir)
        #expect(again.exit == 0, "\(again.stderr)")
        #expect(try status(dir, second) == "completed")
    }
}
