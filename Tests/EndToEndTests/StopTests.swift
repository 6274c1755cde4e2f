import Foundation
import Testing

/// Issue 10: SIGTERM and SIGINT stop `job run` cleanly (exit 143/130, no child left, no temporary
/// file left, the job resumable and then completed), and a read-only workspace can be read.
@Suite("End to end: stopping job run, read-only workspaces", .serialized,
       .enabled(if: Tools.media, "needs the release binary, ffmpeg, espeak-ng and apertium (scripts/bootstrap)"))
struct StopTests {
    func workspace() throws -> String {
        let dir = Binary.tempDir()
        try Tools.sample(in: dir)
        #expect(try Binary.run(["init"], cwd: dir).exit == 0)
        return dir
    }

    func create(_ dir: String, langs: String) throws -> String {
        let r = try Binary.run(["job", "create", "talk.mp4", "--subtitles", "talk.en.vtt", "--source-lang", "en", "--lang", langs, "--json"], cwd: dir)
        guard r.exit == 0, let d = Tools.json(r.stdout) as? [String: Any], let id = d["id"] as? String else {
            throw Failure("job create failed: \(r.stderr)")
        }
        return id
    }

    /// `job run ID` in the background; `ignoreSIGINT` starts it as a script's background job is
    /// (SIGINT ignored, inherited through exec), and with SIGTERM blocked, as Foundation's
    /// `Process` on Linux leaves most signals blocked in its children; else with SIGINT at its
    /// default action and nothing blocked.
    func start(_ dir: String, _ id: String, ignoreSIGINT: Bool) throws -> Process {
        // bash cannot reset a signal ignored on entry, and a test runner may ignore SIGINT: python sets it either way
        try Binary.background(script: "exec python3 -c 'import os, signal, sys; signal.signal(signal.SIGINT, signal.\(ignoreSIGINT ? "SIG_IGN" : "SIG_DFL")); "
                       + "signal.pthread_sigmask(signal.SIG_SETMASK, [\(ignoreSIGINT ? "signal.SIGTERM" : "")]); os.execv(sys.argv[1], sys.argv[1:])' '\(Binary.path)' job run \(id) >'\(dir)/run.out' 2>'\(dir)/run.err'", in: dir)
    }

    /// Waits until the job is at one of `stages` (true), or the run ended (false).
    func waitForStage(_ dir: String, _ id: String, _ stages: Set<String>, run: Process) throws -> Bool {
        for _ in 0..<600 {
            if !run.isRunning { return false }
            let s = try Tools.sql(dir + "/.olleey/olleey.db", "SELECT group_concat(stage) FROM stage_runs WHERE job_id = '\(id)' AND state = 'running'")
            if s.split(separator: ",").contains(where: { stages.contains(String($0)) }) { return true }
            usleep(50_000)
        }
        return false
    }


    func leftovers(_ dir: String) throws -> String {
        try Tools.sh("find .olleey \\( -name '*.tmp*' -o -name '.olleey-tmp-*' -o -name '.patch-*' -o -name '*.partial*' -o -name '.seg-*' -o -name '.joined-*' -o -name '.dubclip-*' -o -name '.slow-*' \\)", cwd: dir).1
    }

    func children(_ dir: String) throws -> String {
        try Tools.sh("pgrep -af '\(dir)/[.]olleey' || true", cwd: dir).1
    }

    func checkStopped(_ dir: String, _ id: String, _ run: Process, exit code: Int32, signal: String) throws {
        let took = Tools.waitExit(run, limit: 5)
        #expect(took != nil, "job run still running 5 s after \(signal)")
        if took == nil { run.terminate(); kill(run.processIdentifier, SIGKILL); run.waitUntilExit() }
        #expect(run.terminationReason == .exit && run.terminationStatus == code,
                "exit \(run.terminationStatus) (\(run.terminationReason == .exit ? "exit" : "signal")), want \(code)")
        let err = (try? String(contentsOfFile: dir + "/run.err", encoding: .utf8)) ?? ""
        #expect(err.contains("interrupted by \(signal)") && err.contains("to resume"), "\(err)")
        usleep(200_000)
        let left = try children(dir), temps = try leftovers(dir)
        #expect(left.isEmpty, "subprocesses left running: \(left)")
        #expect(temps.isEmpty, "temporary files left: \(temps)")
        // resumable: no stage left running, nothing processing, the job queued (not "syncing")
        let db = dir + "/.olleey/olleey.db"
        #expect(try Tools.sql(db, "SELECT count(*) FROM stage_runs WHERE job_id = '\(id)' AND state = 'running'") == "0")
        #expect(try Tools.sql(db, "SELECT count(*) FROM stage_runs WHERE job_id = '\(id)' AND state = 'stopped'") != "0")
        #expect(try Tools.sql(db, "SELECT count(*) FROM job_languages WHERE job_id = '\(id)' AND status = 'processing'") == "0")
        #expect(try Tools.sql(db, "SELECT status FROM jobs WHERE id = '\(id)'") == "queued")
        // and it resumes and completes
        let again = try Binary.run(["job", "run", id], cwd: dir)
        #expect(again.exit == 0, "\(again.stderr)")
        let shown = try Binary.run(["job", "show", id, "--json"], cwd: dir)
        #expect((Tools.json(shown.stdout) as? [String: Any])?["status"] as? String == "completed", "\(shown.stdout)")
    }

    @Test("SIGTERM mid-run, started with SIGINT ignored (a script's background job) and SIGTERM blocked: SIGINT is ignored, SIGTERM exits 143 within 5 s, no child or temporary file left, the job resumes and completes")
    func sigterm() throws {
        let dir = try workspace()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let id = try create(dir, langs: "es,ca,eo")
        let run = try start(dir, id, ignoreSIGINT: true)
        #expect(try waitForStage(dir, id, ["dub", "mix", "assemble"], run: run), "the run ended before reaching dub")
        kill(run.processIdentifier, SIGINT)   // ignored: the caller ignored SIGINT
        usleep(300_000)
        #expect(run.isRunning || run.terminationStatus != 130, "an ignored SIGINT stopped the run")
        kill(run.processIdentifier, SIGTERM)
        try checkStopped(dir, id, run, exit: 143, signal: "SIGTERM")
    }

    @Test("SIGINT mid-run exits 130, stops its subprocesses, leaves no temporary file, and the job resumes and completes")
    func sigint() throws {
        let dir = try workspace()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let id = try create(dir, langs: "es,ca,eo")
        let run = try start(dir, id, ignoreSIGINT: false)
        // a long stage: a translate (tens of ms) could end, on a loaded machine, between this
        // poll and the signal, and the stop then finds no stage running to mark stopped
        #expect(try waitForStage(dir, id, ["dub", "mix", "assemble"], run: run), "the run ended before reaching dub")
        kill(run.processIdentifier, SIGINT)
        try checkStopped(dir, id, run, exit: 130, signal: "SIGINT")
    }

    @Test("a second signal exits at once (143), killing the subprocesses and removing the run's temporary files; the next run takes over and completes")
    func secondSignal() throws {
        let dir = try workspace()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let id = try create(dir, langs: "es,ca,eo")
        let run = try start(dir, id, ignoreSIGINT: false)
        #expect(try waitForStage(dir, id, ["dub", "mix", "assemble"], run: run), "the run ended before reaching dub")
        kill(run.processIdentifier, SIGTERM)
        usleep(20_000)
        kill(run.processIdentifier, SIGTERM)
        let took = Tools.waitExit(run, limit: 1.5)
        #expect(took != nil, "job run still running 1.5 s after a second SIGTERM")
        if took == nil { kill(run.processIdentifier, SIGKILL); run.waitUntilExit() }
        #expect(run.terminationReason == .exit && run.terminationStatus == 143, "exit \(run.terminationStatus)")
        usleep(200_000)
        let left = try children(dir), temps = try leftovers(dir)
        #expect(left.isEmpty, "subprocesses left running: \(left)")
        #expect(temps.isEmpty, "temporary files left: \(temps)")
        let again = try Binary.run(["job", "run", id], cwd: dir)
        #expect(again.exit == 0, "\(again.stderr)")
    }

    @Test("a read-only workspace (another user, a-w): job list, job show, job outputs, vtt show read it; job run, job create and job cancel fail with one message and hint (73)")
    func readOnlyWorkspace() throws {
        let dir = try workspace()
        defer { _ = try? Tools.sh("chmod -R u+w .olleey", cwd: dir); try? FileManager.default.removeItem(atPath: dir) }
        let id = try create(dir, langs: "es")
        #expect(try Binary.run(["job", "run", id], cwd: dir).exit == 0)
        // job run closed every connection before it exited: no -wal or -shm left to publish with the workspace
        #expect(!FileManager.default.fileExists(atPath: dir + "/.olleey/olleey.db-wal"), "job run left olleey.db-wal behind")
        // as root, file permissions do not apply: run as nobody, as the acceptance script does
        let asOther = getuid() == 0 ? "setpriv --reuid=65534 --regid=65534 --clear-groups " : ""
        if !asOther.isEmpty { #expect(try Tools.sh("command -v setpriv", cwd: dir).0 == 0, "needs setpriv (util-linux) to test as another user") }
        let (rc0, _) = try Tools.sh("chmod 755 '\(dir)' && chmod -R a+rX,a-w .olleey", cwd: dir)
        #expect(rc0 == 0)
        func olleey(_ args: String) throws -> (Int32, String) {
            try Tools.sh("\(asOther)'\(Binary.path)' \(args) --workspace '\(dir)' 2>&1", cwd: "/")
        }
        for cmd in ["job list --json", "job show \(id) --json", "job outputs \(id) --json", "vtt show \(id) --lang es", "job status \(id)"] {
            let (rc, out) = try olleey(cmd)
            #expect(rc == 0, "\(cmd): \(out)")
        }
        let (lrc, list) = try olleey("job list --json")
        #expect(lrc == 0 && list.contains(id), "\(list)")
        for cmd in ["job run \(id)", "job cancel \(id)", "job create talk.mp4 --subtitles talk.en.vtt --source-lang en --lang es"] {
            let (rc, out) = try olleey(cmd)
            #expect(rc == 73, "\(cmd): exit \(rc): \(out)")
            #expect(out.contains("read-only") && out.contains("hint:") && !out.contains("attempt to write") && !out.contains("permission to"), "\(cmd): \(out)")
        }
        // closed cleanly (no -wal, no -shm: SQLite cannot create -shm here): read immutable
        let db = dir + "/.olleey/olleey.db"
        _ = try Tools.sh("chmod -R u+w .olleey && sqlite3 '\(db)' 'PRAGMA wal_checkpoint(TRUNCATE)' && chmod -R a+rX,a-w .olleey", cwd: dir)
        #expect(!FileManager.default.fileExists(atPath: db + "-wal") && !FileManager.default.fileExists(atPath: db + "-shm"))
        for cmd in ["job list --json", "job show \(id) --json", "vtt show \(id) --lang es"] {
            let (rc, out) = try olleey(cmd)
            #expect(rc == 0 && !out.contains("attempt to write"), "\(cmd) on a checkpointed read-only workspace: \(out)")
        }
        // a -wal with changes that are not in the database yet, and no -shm (SQLite cannot read it read-only then):
        // refused (78) with a hint to checkpoint it, never read immutable without them
        _ = try Tools.sh("chmod -R u+w .olleey && python3 -c \"import sqlite3, os; c = sqlite3.connect('\(db)'); c.execute(\\\"UPDATE jobs SET error = 'from-the-wal'\\\"); c.commit(); os._exit(0)\" && rm -f '\(db)-shm' && chmod -R a+rX,a-w .olleey", cwd: dir)
        #expect(FileManager.default.fileExists(atPath: db + "-wal"))
        let (wrc, wout) = try olleey("job show \(id) --json")
        #expect(wrc == 78 && wout.contains("wal_checkpoint") && !wout.contains("\"status\""), "exit \(wrc): \(wout)")
        // with its -shm there too (a writer that did not close), SQLite reads the -wal read-only: the change is seen
        _ = try Tools.sh("chmod -R u+w .olleey && python3 -c \"import sqlite3, os; c = sqlite3.connect('\(db)'); c.execute(\\\"UPDATE jobs SET error = 'from-the-wal'\\\"); c.commit(); os._exit(0)\" && chmod -R a+rX,a-w .olleey", cwd: dir)
        let (src, sout) = try olleey("job show \(id) --json")
        #expect(src == 0 && sout.contains("from-the-wal"), "exit \(src): \(sout)")
        // a read-only cache/ only: job run says so before it starts, not Foundation's "You don't have permission"
        _ = try Tools.sh("chmod -R u+w .olleey && chmod -R a+rX,a-w .olleey/cache", cwd: dir)
        let other = try create(dir, langs: "ca")
        _ = try Tools.sh("chmod -R a+w .olleey && chmod -R a-w .olleey/cache", cwd: dir)
        let (rc, out) = try olleey("job run \(other)")
        #expect(rc == 73 && out.contains("cache") && out.contains("read-only") && out.contains("hint:"), "exit \(rc): \(out)")
        _ = try Tools.sh("chmod -R u+w .olleey", cwd: dir)
        #expect(try Tools.sql(dir + "/.olleey/olleey.db", "SELECT status FROM jobs WHERE id = '\(other)'") == "queued")
        // a read-only directory olleey must create in: the same kind of message, not Foundation's
        _ = try Tools.sh("mkdir -p ro && chmod 555 ro", cwd: dir)
        let (irc, iout) = try Tools.sh("\(asOther)'\(Binary.path)' init '\(dir)/ro/ws' 2>&1", cwd: "/")
        #expect(irc == 73 && iout.contains("read-only") && iout.contains("hint:") && !iout.contains("permission to"), "exit \(irc): \(iout)")
    }
}
