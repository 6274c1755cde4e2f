import Foundation
import Testing
import OlleeyCLI
import OlleeyKit

// Issue 13: live progress for `job run` on a terminal (the harness's TTY switch), plain lines
// elsewhere; `cache du` and `cache prune`.

@Suite("job run progress on a terminal; cache du and prune", .enabled(if: ReviewCLITests.missingTools.isEmpty, "needs ffmpeg, ffprobe, apertium and espeak-ng; run scripts/bootstrap"))
struct ProgressCLITests {
    func workspace() throws -> (ReviewWorkspace, String) {
        let w = try ReviewWorkspace()
        try Subprocess.run("ffmpeg", ["-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=160x120:rate=10:duration=3",
                                      "-f", "lavfi", "-i", "sine=frequency=220:duration=3", "-shortest", "-c:v", "libx264", "-pix_fmt", "yuv420p",
                                      "-c:a", "aac", w.dir.file("talk.mp4")], timeout: 60)
        w.dir.write("talk.en.vtt", "WEBVTT\n\n1\n00:00:00.300 --> 00:00:01.000\nWelcome.\n\n2\n00:00:01.200 --> 00:00:02.000\nThe river.\n\n3\n00:00:02.100 --> 00:00:02.900\nGoodbye.\n")
        let j = try w.json(["job", "create", "talk.mp4", "--subtitles", "talk.en.vtt", "--source-lang", "en", "--lang", "es"])
        return (w, j["id"]?.stringValue ?? "")
    }

    func run(_ w: ReviewWorkspace, _ args: [String], env: [String: String], tty: Bool) -> CLIResult {
        olleey(args, cwd: w.path, env: ["PATH": w.env["PATH"] ?? "/usr/bin:/bin"].merging(env) { $1 }, tty: tty)
    }

    @Test("on a terminal: lines redrawn in place with stage names and a dub bar, then final done lines; colour unless NO_COLOR")
    func tty() throws {
        let (w, id) = try workspace()
        let r = run(w, ["job", "run", id], env: ["TERM": "xterm"], tty: true)
        #expect(r.exit == 0, "\(r.stderr)")
        let e = r.stderr
        #expect(e.components(separatedBy: "\u{1B}[").count > 5, "redraws: \(e)")   // cursor up / clear
        #expect(e.contains("\u{1B}[1A\u{1B}[J") || e.contains("\u{1B}[2A\u{1B}[J"), "\(e)")
        for stage in ["translate", "dub"] { #expect(e.contains(stage), "\(stage): \(e)") }
        #expect(e.contains("/3 cues"), "a synthesis bar: \(e)")
        #expect(e.contains(" es ") && e.contains("done in"), "\(e)")
        #expect(e.contains("\u{1B}[32m"), "colour on a terminal")
        #expect(!e.contains("translate done in"), "no per-stage log lines under the live view: \(e)")
        // the end: the last thing on stderr is a final line, not a live one
        let last = e.split(separator: "\n").last.map(String.init) ?? ""
        #expect(last.contains("done in"), "\(last)")
    }

    @Test("job watch on a terminal: the view's final lines; in a pipe: NDJSON")
    func watch() throws {
        let (w, id) = try workspace()
        #expect(w.run(["job", "run", id]).exit == 0)
        let tty = run(w, ["job", "watch", id], env: ["TERM": "xterm", "NO_COLOR": "1"], tty: true)
        #expect(tty.exit == 0, "\(tty.stderr)")
        #expect(tty.stdout.contains(" es ") && tty.stdout.contains("done in") && !tty.stdout.contains("{\""), "\(tty.stdout)")
        let pipe = run(w, ["job", "watch", id], env: ["TERM": "xterm"], tty: false)
        #expect(pipe.stdout.split(separator: "\n").allSatisfy { $0.hasPrefix("{") } && pipe.stdout.contains("job.created"), "\(pipe.stdout)")
    }

    @Test("in a pipe, job watch and job events --json carry stage.progress events: stage, done, total, unit (cues; ms of media for mix, assemble, master), rising to the end")
    func progressEvents() throws {
        let (w, id) = try workspace()
        #expect(run(w, ["job", "run", id], env: ["TERM": "xterm"], tty: false).exit == 0)
        for args in [["job", "watch", id], ["job", "events", id, "--json"]] {
            let r = run(w, args, env: ["TERM": "xterm"], tty: false)
            #expect(r.exit == 0, "\(r.stderr)")
            let events = r.stdout.split(separator: "\n").compactMap { try? JSON.parse(String($0)) }
            let progress = events.filter { $0["kind"]?.stringValue == "stage.progress" }
            var byStage: [String: [JSON]] = [:]
            for e in progress { byStage[(e["language"]?.stringValue ?? "") + " " + (e["data"]?["stage"]?.stringValue ?? ""), default: []].append(e) }
            #expect(Set(byStage.keys) == ["es dub", "es mix", "es assemble", " master"], "\(args): \(byStage.keys)")
            for (key, evs) in byStage {
                let done = evs.compactMap { $0["data"]?["done"]?.intValue }
                let total = evs.compactMap { $0["data"]?["total"]?.intValue }
                #expect(done.count == evs.count && done == done.sorted() && Set(total).count == 1, "\(key): \(evs.map { $0.encoded() })")
                let unit = evs.first?["data"]?["unit"]?.stringValue
                #expect(unit == (key == "es dub" ? "cues" : "ms"), "\(key)")
                if key == "es dub" { #expect(done.last == 3 && total.first == 3) }
                else { #expect(total.first == 3000 && (done.last ?? 0) >= 2800 && (done.last ?? 0) <= 3000, "\(key): \(done) of \(total)") }
            }
        }
    }

    @Test("NO_COLOR: still redrawn, no colour; TERM=dumb and pipes: one line per stage, no escape codes; -v: command lines")
    func plain() throws {
        let (w, id) = try workspace()
        let noColor = run(w, ["job", "run", id, "--parallel", "1"], env: ["TERM": "xterm", "NO_COLOR": "1"], tty: true)
        #expect(noColor.exit == 0, "\(noColor.stderr)")
        #expect(noColor.stderr.contains("\u{1B}[2K") && !noColor.stderr.contains("\u{1B}[32m"), "\(noColor.stderr)")
        // new languages (real work, not the cache): a dumb terminal with -v, then a pipe
        func job(_ lang: String) throws -> String {
            try w.json(["job", "create", "talk.mp4", "--subtitles", "talk.en.vtt", "--source-lang", "en", "--lang", lang])["id"]?.stringValue ?? ""
        }
        let dumb = run(w, ["job", "run", try job("ca"), "-v"], env: ["TERM": "dumb"], tty: true)
        #expect(dumb.exit == 0, "\(dumb.stderr)")
        #expect(!dumb.stderr.contains("\u{1B}"), "\(dumb.stderr)")
        #expect(dumb.stderr.contains("$ ffmpeg") || dumb.stderr.contains("/ffmpeg "), "-v shows command lines: \(dumb.stderr)")
        let pipe = run(w, ["job", "run", try job("eo")], env: ["TERM": "xterm"], tty: false)
        #expect(pipe.exit == 0 && !pipe.stderr.contains("\u{1B}"), "\(pipe.stderr)")
        #expect(pipe.stderr.contains("mix done in"), "\(pipe.stderr)")
        let json = run(w, ["job", "run", id, "--json"], env: ["TERM": "xterm"], tty: true)
        #expect(json.exit == 0 && !json.stderr.contains("\u{1B}["), "--json: no live view: \(json.stderr)")
    }

    @Test("cache du: sizes by kind and job; prune removes only what no job references (dry run first); bad --older-than is 64")
    func cache() throws {
        let (w, id) = try workspace()
        #expect(w.run(["job", "run", id]).exit == 0)
        let du = try w.json(["cache", "du"])
        let kinds = du["by_kind"]?.arrayValue?.compactMap { $0["kind"]?.stringValue } ?? []
        #expect(kinds.contains("speak") && kinds.contains("dubtrack"), "\(kinds)")
        let jobs = du["by_job"]?.arrayValue ?? []
        #expect(jobs.count == 1 && jobs.first?["id"] == .string(id))
        #expect(du["unreferenced_entries"] == .int(0))
        // an entry no job uses (an old render), and one just made by a run that holds a live lease
        let cache = w.path + "/.olleey/cache"
        try FileManager.default.createDirectory(atPath: cache + "/speak/zz", withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: cache + "/speak/zz/zzold.wav", contents: Data(count: 1000))
        _ = utimes(cache + "/speak/zz/zzold.wav", [timeval(tv_sec: 1_000_000, tv_usec: 0), timeval(tv_sec: 1_000_000, tv_usec: 0)])
        #expect(try w.json(["cache", "du"])["unreferenced_bytes"] == .int(1000))
        let dry = try w.json(["cache", "prune", "--dry-run"])
        #expect(dry["removed_entries"] == .int(1) && dry["dry_run"] == .bool(true))
        #expect(FileManager.default.fileExists(atPath: cache + "/speak/zz/zzold.wav"))
        // --older-than: the 1970 entry is older than 30 days; nothing is older than 100000 days
        #expect(try w.json(["cache", "prune", "--older-than", "30d", "--dry-run"])["removed_entries"] == .int(1))
        #expect(try w.json(["cache", "prune", "--older-than", "100000d", "--dry-run"])["kept_recent"] == .int(1))
        let bad = w.run(["cache", "prune", "--older-than", "soon"])
        #expect(bad.exit == 64 && bad.stderr.contains("older-than"), "\(bad.stderr)")
        // a live lease: a fresh unreferenced entry (what a running stage is writing) is kept
        let db = try Workspace.discover(explicit: w.path, environment: [:], cwd: w.path).open()
        _ = try db.run("UPDATE job_languages SET lease_owner = 'other', lease_expires_ms = ? WHERE job_id = ?", [.int(Clock.nowMillis() + 60_000), .text(id)])
        FileManager.default.createFile(atPath: cache + "/speak/zz/zznew.wav", contents: Data(count: 10))
        let live = try w.json(["cache", "prune"])
        #expect(live["removed_entries"] == .int(1) && live["kept_live"] == .int(1), "\(live)")
        #expect(!FileManager.default.fileExists(atPath: cache + "/speak/zz/zzold.wav"))
        #expect(FileManager.default.fileExists(atPath: cache + "/speak/zz/zznew.wav"))
        _ = try db.run("UPDATE job_languages SET lease_owner = NULL, lease_expires_ms = NULL WHERE job_id = ?", [.text(id)])
        #expect(try w.json(["cache", "prune"])["removed_entries"] == .int(1))
        // what the job uses stays: it runs again from the cache
        _ = try w.json(["job", "retry", id, "--stage", "mix"])
        let again = try w.json(["job", "run", id])
        #expect(again["completed"] == .int(1))
        #expect(try w.json(["cache", "du"])["by_job"]?.arrayValue?.first?["id"] == .string(id))
    }
}
