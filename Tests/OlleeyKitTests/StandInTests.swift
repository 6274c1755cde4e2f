import Foundation
import Testing
import OlleeyKit
import OlleeyTestSupport

/// Stand-ins (`OLLEEY_STANDIN_MS`, `StandIn`): off unless the variable is set; with it, a whole
/// job runs the real pipeline with placeholders instead of ffmpeg and engines, and says so.
@Suite struct StandInTests {
    static let on = ["OLLEEY_STANDIN_MS": "2"]

    @Test("off unless OLLEEY_STANDIN_MS is set: the configured engines, the real cache; a bad value is a configuration error")
    func offByDefault() throws {
        #expect(try StandIn.from([:]) == nil)
        #expect(try StandIn.from(["OLLEEY_STANDIN_MS": " "]) == nil)
        #expect(try StandIn.from(["OLLEEY_STANDIN_MS": "250"]) == StandIn(ms: 250))
        #expect(try StandIn.from(["OLLEEY_STANDIN_MS": "0"]) == StandIn(ms: 0))
        for bad in ["-1", "abc", "1.5", "60001"] {
            #expect(throws: OlleeyError.self, "\(bad)") { try StandIn.from(["OLLEEY_STANDIN_MS": bad]) }
            do { _ = try StandIn.from(["OLLEEY_STANDIN_MS": bad]) } catch let e as OlleeyError { #expect(e.code == .config) }
        }
        let settings = ["engines.translate": "pseudo", "engines.separate.command": "sep {input} {output}"]
        let off = EngineFactory(settings: settings, environment: [:])
        #expect(try off.translator().name == "pseudo")
        #expect(try off.speaker().name != "stand-in")
        #expect(try off.transcriber().name != "stand-in")
        #expect(try off.separator()?.name != "stand-in")
        let on = EngineFactory(settings: settings, environment: StandInTests.on)
        #expect(try on.translator().name == "stand-in")
        #expect(try on.speaker().name == "stand-in")
        #expect(try on.transcriber().name == "stand-in")
        #expect(try on.separator()?.name == "stand-in")
        #expect(try EngineFactory(settings: [:], environment: StandInTests.on).separator() == nil)  // none configured: none
        // the pipeline: ffmpeg and the workspace's cache without the variable, the stand-ins' own cache with it
        let t = TempDir()
        let (ws, _) = try Workspace.initialize(at: t.path)
        let db = try ws.open()
        if !ToolCheck.missing(["ffmpeg", "ffprobe"]).isEmpty { return }
        let real = try JobPipeline(workspace: ws, db: db, worker: "w", cancel: CancelToken(), environment: [:], log: { _ in })
        #expect(real.cache.root == ws.cacheDir)
        let standIn = try JobPipeline(workspace: ws, db: db, worker: "w", cancel: CancelToken(), environment: StandInTests.on, log: { _ in })
        #expect(standIn.cache.root == ws.storageDir + "/cache-standin")
        let runner = JobRunner(workspace: ws, jobs: [], parallel: 1, environment: ["OLLEEY_STANDIN_MS": "soon"], log: { _ in })
        #expect(throws: OlleeyError.self) { try runner.run() }
    }

    @Test("with OLLEEY_STANDIN_MS a whole job completes on placeholders, and its outputs, events, files and log say so",
          .enabled(if: MediaFixtures.hasFFmpeg, "the source video is made with ffmpeg (the run itself uses none)"))
    func wholeJob() throws {
        let t = TempDir()
        let (ws, _) = try TestStore.initialize(at: t.path)
        let db = try ws.open()
        let video = try MediaFixtures.shared.video()
        let now = Clock.nowISO()
        let job = Job(id: ID.uuid7(), source: video, sourceName: "talk.mp4", sourceLang: "en", videoId: nil, status: .queued, stage: nil,
                      options: JobOptions(targetLanguages: ["es", "ca"]), projectId: nil, channelId: nil, error: nil, errorStage: nil,
                      paused: false, cancelRequested: false, createdAt: now, updatedAt: now, startedAt: nil, completedAt: nil)
        try JobStore(db).insert(job)
        _ = try TrackStore(db).add(job: job.id, language: "en", kind: .source,
                                   content: MediaFixtures.webVTT([(200, 1500, "Hello & welcome."), (1800, 3600, "The house is big.")]),
                                   author: "test", message: "given")
        let lines = Locked<[String]>([])
        let runner = JobRunner(workspace: ws, jobs: [job.id], parallel: 2, environment: StandInTests.on.merging(["OLLEEY_CLAIM_TIMING": "1"]) { a, _ in a },
                               log: { l in lines.mutate { $0.append(l) } })
        let started = Date()
        let summary = try runner.run()
        #expect(summary.jobs.map(\.status) == ["completed"], "\(summary.jobs) \(lines.value)")
        #expect(Date().timeIntervalSince(started) < 20)
        let log = lines.value
        #expect(log.contains { $0.hasPrefix("stand-ins: OLLEEY_STANDIN_MS=2, no real media or engine work") }, "\(log)")
        #expect(log.contains { $0.hasPrefix("claim-timing: claim ") && $0.contains(" won ") }, "\(log)")
        #expect(log.contains { $0.hasPrefix("claim-timing: ") && $0.contains(" claims (") && $0.contains("p99") }, "\(log)")
        // job show --json: each language's outputs carry the marker
        let detail = try JobQueries(db: db, workspace: ws, actor: Actor(email: nil)).detail(try #require(try JobStore(db).get(job.id))).json
        for l in detail["languages"]?.arrayValue ?? [] {
            #expect(l["outputs"]?["stand_in"]?["variable"]?.stringValue == "OLLEEY_STANDIN_MS", "\(l)")
            let vtt = try String(contentsOfFile: try #require(l["outputs"]?["vtt"]?.stringValue), encoding: .utf8)
            #expect(vtt.contains("[stand-in \(l["language"]?.stringValue ?? "?"), OLLEEY_STANDIN_MS]") && vtt.contains("Hello &amp; welcome."), "\(vtt)")
            let mp4 = try String(contentsOfFile: try #require(l["outputs"]?["mp4"]?.stringValue), encoding: .utf8)
            #expect(mp4.hasPrefix("olleey stand-in (OLLEEY_STANDIN_MS=2)"), "\(mp4)")
            let audio = try String(contentsOfFile: try #require(l["outputs"]?["audio"]?.stringValue), encoding: .utf8)
            #expect(audio.contains("OLLEEY_STANDIN_MS"))
        }
        #expect(detail["languages"]?.arrayValue?.count == 2)
        let master = try String(contentsOfFile: OutputLayout.master(outputsDir: ws.outputsDir, job: try #require(try JobStore(db).get(job.id))), encoding: .utf8)
        #expect(master.contains("OLLEEY_STANDIN_MS=2") && master.contains("master"))
        // one stand_in.used event per unit run (the preparation, two languages, the finish at least)
        let used = try db.scalarInt("SELECT count(*) FROM events WHERE job_id = ? AND kind = 'stand_in.used'", [.text(job.id)]) ?? 0
        #expect(used >= 4)
        // the placeholders are in the stand-ins' cache (WAVs that say so), none in the real one
        let standInCache = ws.storageDir + "/cache-standin"
        let wavs = (FileManager.default.enumerator(atPath: standInCache)?.allObjects as? [String] ?? []).filter { $0.hasSuffix(".wav") }
        #expect(!wavs.isEmpty)
        for w in wavs.prefix(5) {
            let path = standInCache + "/" + w
            #expect(try WAVHeader.read(path) != nil, "\(w)")
            #expect(String(decoding: try FileIO.read(path).prefix(400), as: UTF8.self).contains("olleey stand-in (OLLEEY_STANDIN_MS=2)"), "\(w)")
        }
        let realCache = (FileManager.default.enumerator(atPath: ws.cacheDir)?.allObjects as? [String] ?? []).filter { $0.hasSuffix(".wav") || $0.hasSuffix(".mp4") || $0.hasSuffix(".m4a") }
        #expect(realCache.isEmpty, "\(realCache)")
        // the video record: read from the MP4's header (4 s, with sound), marked
        let info = try db.scalarText("SELECT info FROM videos WHERE id = (SELECT video_id FROM jobs WHERE id = ?)", [.text(job.id)]) ?? ""
        #expect(info.contains("stand-in (OLLEEY_STANDIN_MS=2"), "\(info)")
        let ms = try db.scalarInt("SELECT duration_ms FROM videos WHERE id = (SELECT video_id FROM jobs WHERE id = ?)", [.text(job.id)]) ?? 0
        #expect(abs(ms - 4000) < 100, "\(ms)")
    }

    @Test("with stand-ins: a master another machine made for the same plan is not made again, unless the file is gone or a later master run did not finish",
          .enabled(if: MediaFixtures.hasFFmpeg, "the source video is made with ffmpeg (the run itself uses none)"))
    func masterMadeElsewhereIsKept() throws {
        let t = TempDir()
        let (ws, _) = try TestStore.initialize(at: t.path)
        let db = try ws.open()
        let now = Clock.nowISO()
        let id = ID.uuid7()
        try JobStore(db).insert(Job(id: id, source: try MediaFixtures.shared.video(), sourceName: "talk.mp4", sourceLang: "en", videoId: nil, status: .queued,
                                    stage: nil, options: JobOptions(targetLanguages: ["es"]), projectId: nil, channelId: nil, error: nil, errorStage: nil,
                                    paused: false, cancelRequested: false, createdAt: now, updatedAt: now, startedAt: nil, completedAt: nil))
        _ = try TrackStore(db).add(job: id, language: "en", kind: .source, content: MediaFixtures.webVTT([(200, 1500, "Hello & welcome.")]),
                                   author: "test", message: "given")
        #expect(try JobRunner(workspace: ws, jobs: [id], parallel: 1, environment: StandInTests.on, log: { _ in }).run().jobs.map(\.status) == ["completed"])
        let masterRuns = { try db.scalarInt("SELECT count(*) FROM stage_runs WHERE job_id = ? AND stage = 'master'", [.text(id)]) ?? 0 }
        #expect(try masterRuns() == 1)
        #expect(try db.scalarText("SELECT input_hash FROM stage_runs WHERE job_id = ? AND stage = 'master'", [.text(id)])?.count == 64)
        // another machine: its stage cache has none of this job's entries
        try FileManager.default.removeItem(atPath: ws.storageDir + "/cache-standin")
        try db.run("UPDATE jobs SET lease_owner = 'w', lease_expires_ms = ? WHERE id = ?", [.int(Clock.nowMillis() + 60_000), .text(id)])
        let pipeline = try JobPipeline(workspace: ws, db: db, worker: "w", cancel: CancelToken(), environment: StandInTests.on, log: { _ in })
        let job = try #require(try JobStore(db).get(id))
        #expect(try !pipeline.masterPending(job))
        try pipeline.buildMaster(job)
        #expect(try masterRuns() == 1)
        // a later master run that did not finish: the file in place may be half of another one
        try db.run("INSERT INTO stage_runs(job_id, language, stage, state, worker, started_at) VALUES (?, '', 'master', 'failed', 'x', ?)", [.text(id), .text(now)])
        #expect(try pipeline.masterPending(job))
        try db.run("DELETE FROM stage_runs WHERE job_id = ? AND state = 'failed'", [.text(id)])
        #expect(try !pipeline.masterPending(job))
        // the file gone: made again
        let path = OutputLayout.master(outputsDir: ws.outputsDir, job: job)
        try FileManager.default.removeItem(atPath: path)
        #expect(try pipeline.masterPending(job))
        try pipeline.buildMaster(job)
        #expect(try masterRuns() == 2)
        #expect(FileManager.default.fileExists(atPath: path))
    }
}
