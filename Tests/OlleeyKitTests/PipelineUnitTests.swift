import Foundation
import Testing
import OlleeyKit
import OlleeyTestSupport

@Suite("Pipeline units: cache keys, resampling, state transitions")
struct PipelineUnitTests {
    @Test func cacheKeysAreStableAndSensitiveToEveryPart() {
        let a = StageCache.key(["speak", "espeak-ng", "1.51", "es", "", "Hola"])
        #expect(a == StageCache.key(["speak", "espeak-ng", "1.51", "es", "", "Hola"]))
        #expect(a != StageCache.key(["speak", "espeak-ng", "1.52", "es", "", "Hola"]))
        #expect(a != StageCache.key(["speak", "espeak-ng", "1.51", "es", "", "Hola."]))
        // parts are delimited: moving text between parts changes the key
        #expect(StageCache.key(["ab", "c"]) != StageCache.key(["a", "bc"]))
        #expect(a.count == 64)
    }

    @Test func cacheProducesOnceAndNeverLeavesHalfAnEntry() throws {
        let t = TempDir()
        let cache = StageCache(root: t.path)
        var calls = 0
        let k = StageCache.key(["x"])
        let first = try cache.produce("s", k, "txt") { tmp in calls += 1; try FileIO.writeAtomically("v", to: tmp) }
        let second = try cache.produce("s", k, "txt") { _ in calls += 1 }
        #expect(!first.cached && second.cached && calls == 1)
        struct Boom: Error {}
        let k2 = StageCache.key(["y"])
        #expect(throws: Boom.self) { _ = try cache.produce("s", k2, "txt") { tmp in try FileIO.writeAtomically("half", to: tmp); throw Boom() } }
        #expect(!cache.has("s", k2, "txt"))
        #expect(cache.stats.hits == 1)
    }

    @Test("a cache entry is first-writer-wins: one finished by another worker while this one made it is kept, never overwritten")
    func cacheEntryFirstWriterWins() throws {
        let t = TempDir()
        let cache = StageCache(root: t.path)
        let k = StageCache.key(["race"])
        let r = try cache.produce("s", k, "txt") { tmp in
            // another machine finishes the same entry meanwhile
            try FileIO.writeAtomically("first", to: cache.path("s", k, "txt"))
            try FileIO.writeAtomically("second", to: tmp)
        }
        #expect(try FileIO.readText(r.path) == "first")
        #expect(try FileManager.default.contentsOfDirectory(atPath: (r.path as NSString).deletingLastPathComponent) == [(r.path as NSString).lastPathComponent],
                "the loser's temporary file is gone")
    }

    @Test("an output's superseded entry is updated in place, restored when the update declines, dropped when it throws")
    func cacheUpdatesTheEntryAnOutputLinks() throws {
        let t = TempDir()
        let cache = StageCache(root: t.path + "/cache")
        let out = t.path + "/out/file.mp4"
        let k1 = StageCache.key(["one"]), k2 = StageCache.key(["two"]), k3 = StageCache.key(["three"]), k4 = StageCache.key(["four"])
        let first = try cache.produce("mp4", k1, "mp4") { tmp in try FileIO.writeAtomically("one", to: tmp) }
        try cache.placeReplacing(first.path, at: out, stage: "mp4")
        // updated: the old entry becomes the new one, the output still links it
        var made = 0
        let second = try cache.produce("mp4", k2, "mp4", updating: out, update: { file, old in
            #expect(old == first.path)
            try FileIO.writeAtomically("two", to: file + ".x"); rename(file + ".x", file)  // (a real update writes in place)
            return true
        }, make: { _ in made += 1 })
        #expect(!second.cached && made == 0)
        #expect(!cache.has("mp4", k1, "mp4") && cache.has("mp4", k2, "mp4"))
        // declined: the old entry is back under its key and the new one is made
        try cache.placeReplacing(second.path, at: out, stage: "mp4")
        let third = try cache.produce("mp4", k3, "mp4", updating: out, update: { _, _ in false },
                                      make: { tmp in made += 1; try FileIO.writeAtomically("three", to: tmp) })
        #expect(try made == 1 && cache.has("mp4", k2, "mp4") && FileIO.readText(third.path) == "three")
        // thrown: the half-updated file is no entry any more; the new one is made
        try cache.placeReplacing(third.path, at: out, stage: "mp4")
        #expect(!cache.has("mp4", k2, "mp4"), "superseded and linked by nothing: deleted")
        struct Boom: Error {}
        _ = try cache.produce("mp4", k4, "mp4", updating: out, update: { _, _ in throw Boom() },
                              make: { tmp in made += 1; try FileIO.writeAtomically("four", to: tmp) })
        #expect(made == 2 && !cache.has("mp4", k3, "mp4") && cache.has("mp4", k4, "mp4"))
        #expect(try FileIO.readText(out) == "three", "the output keeps what it had")
        // no update is tried when the output is not the entry's only other link
        let shared = t.path + "/out/shared.mp4"
        let k5 = StageCache.key(["five"])
        try cache.placeReplacing(cache.path("mp4", k4, "mp4"), at: out, stage: "mp4")
        try placeOutput(cache.path("mp4", k4, "mp4"), at: shared)
        _ = try cache.produce("mp4", k5, "mp4", updating: out, update: { _, _ in Issue.record("updated a shared entry"); return true },
                              make: { tmp in try FileIO.writeAtomically("five", to: tmp) })
        #expect(cache.has("mp4", k4, "mp4"))
    }

    @Test func cacheSweepsWhatKilledProcessesLeft() throws {
        let t = TempDir()
        let cache = StageCache(root: t.path)
        let k = StageCache.key(["k"])
        let dir = (cache.path("mp4", k, "mp4") as NSString).deletingLastPathComponent
        try FileIO.createDirectory(dir)
        // a pid that cannot be running (above the kernel's pid_max), and this process's own
        let dead = dir + "/.tmp-99999999-1.mp4", deadPatch = dir + "/.patch-99999999-2.mp4", deadPartial = dir + "/..tmp-99999999-3.partial-99999999-ab.mp4"
        let mine = dir + "/.tmp-\(getpid())-4.mp4", other = dir + "/.seg-99999999-5.wav"
        for f in [dead, deadPatch, deadPartial, mine, other] { try FileIO.writeAtomically("x", to: f) }
        _ = try cache.produce("mp4", k, "mp4", updating: t.path + "/none.mp4", update: { _, _ in false },
                              make: { tmp in try FileIO.writeAtomically("v", to: tmp) })
        for f in [dead, deadPatch, deadPartial] { #expect(!FileManager.default.fileExists(atPath: f), "\(f)") }
        for f in [mine, other] { #expect(FileManager.default.fileExists(atPath: f), "\(f)") }
        // a killed in-place update's file, still linked by its output, in another directory of
        // the stage: swept when the next render of that output is placed, so nothing keeps it
        let other2 = StageCache.key(["other"])
        let shard2 = (cache.path("mp4", other2, "mp4") as NSString).deletingLastPathComponent
        try FileIO.createDirectory(shard2)
        let patch = shard2 + "/.patch-99999999-7.mp4"
        try FileIO.writeAtomically("half", to: patch)
        let out = t.path + "/out.mp4"
        try placeOutput(patch, at: out)
        let next = try cache.produce("mp4", StageCache.key(["next"]), "mp4", updating: out, update: { _, _ in Issue.record("updated a dead process's file"); return true },
                                     make: { tmp in try FileIO.writeAtomically("next", to: tmp) })
        try cache.placeReplacing(next.path, at: out, stage: "mp4")
        #expect(!FileManager.default.fileExists(atPath: patch))
        #expect(try FileIO.readText(out) == "next")
    }

    @Test func resamplesSpeechToTheMixFormat() throws {
        let t = TempDir()
        let rate = 22_050, n = 22_050   // one second of a 440 Hz tone at half scale
        var bytes = WAVHeader.bytes(format: WAVFormat(channels: 1, sampleRate: rate), frames: n)
        for i in 0..<n {
            let v = Int16((sin(2 * Double.pi * 440 * Double(i) / Double(rate)) * 16_000).rounded())
            bytes.append(UInt8(truncatingIfNeeded: v)); bytes.append(UInt8(truncatingIfNeeded: v >> 8))
        }
        try FileIO.writeAtomically(bytes, to: t.file("in.wav"))
        #expect(try PCMResample.convert(t.file("in.wav"), to: t.file("out.wav")))
        let h = try #require(try WAVHeader.read(t.file("out.wav")))
        #expect(h.format == .mix)
        #expect(abs(h.frames - 48_000) <= 1)
        let out = try FileIO.read(t.file("out.wav"))
        var peak: Int16 = 0, crossings = 0, prev: Int16 = 0, stereoEqual = true
        for j in 0..<h.frames {
            let o = h.dataOffset + j * 4
            let l = Int16(bitPattern: UInt16(out[o]) | UInt16(out[o + 1]) << 8)
            let r = Int16(bitPattern: UInt16(out[o + 2]) | UInt16(out[o + 3]) << 8)
            if l != r { stereoEqual = false }
            peak = max(peak, l)
            if prev < 0 && l >= 0 { crossings += 1 }
            prev = l
        }
        #expect(stereoEqual)
        #expect(abs(Int(peak) - 16_000) < 200)
        #expect(abs(crossings - 440) <= 2)
        // not 16-bit PCM: refused, nothing written, the caller uses ffmpeg
        try FileIO.writeAtomically(Array("not a wav".utf8), to: t.file("x.wav"))
        #expect(try !PCMResample.convert(t.file("x.wav"), to: t.file("y.wav")))
        #expect(!FileManager.default.fileExists(atPath: t.file("y.wav")))
    }

    func workspaceWithJob(_ t: TempDir, langs: [String] = ["es", "ca"]) throws -> (Workspace, Database, Job) {
        let (ws, _) = try TestStore.initialize(at: t.path)
        let db = try ws.open()
        let now = Clock.nowISO()
        let job = Job(id: ID.uuid7(), source: "/v.mp4", sourceName: "v.mp4", sourceLang: "en", videoId: nil, status: .queued, stage: nil,
                      options: JobOptions(targetLanguages: langs), projectId: nil, channelId: nil, error: nil, errorStage: nil,
                      paused: false, cancelRequested: false, createdAt: now, updatedAt: now, startedAt: nil, completedAt: nil)
        try JobStore(db).insert(job)
        return (ws, db, job)
    }

    @Test func pauseResumeCancelRetryTransitions() throws {
        let t = TempDir()
        let (ws, db, job) = try workspaceWithJob(t)
        let svc = JobService(db: db, workspace: ws, environment: [:])
        let store = JobStore(db)
        var j = try svc.pause(job)
        #expect(j.status == .paused && j.paused)
        #expect(throws: OlleeyError.self) { try svc.pause(try svc.cancel(j)) }
        j = try store.resolve(job.id)
        #expect(j.status == .cancelled && j.completedAt != nil)
        #expect(try store.languages(job.id).allSatisfy { $0.status == .cancelled })
        j = try svc.retry(j, stage: nil)
        #expect(j.status == .queued && !j.paused && !j.cancelRequested)
        #expect(try store.languages(job.id).allSatisfy { $0.status == .queued })
        do { _ = try svc.resume(j); Issue.record("resume of a queued job must fail") } catch let e as OlleeyError { #expect(e.code == .conflict) }
    }

    @Test func approvalsReleaseAWaitingJob() throws {
        let t = TempDir()
        let (ws, db, job) = try workspaceWithJob(t)
        let store = JobStore(db)
        try JobStateMachine(db).transition(job.id, to: .waitingApproval, by: .awaitApproval)
        for l in ["es", "ca"] { try store.setLanguage(job.id, l, status: .waitingApproval) }
        // no accounts in this workspace: the local operator decides (QCService.decide, the one approval path)
        let qc = QCService(db: db, workspace: ws)
        let local = Actor(email: nil)
        _ = try qc.decide(try store.resolve(job.id), language: "es", .approve, actor: local)
        var j = try store.resolve(job.id)
        #expect(j.status == .waitingApproval)
        _ = try qc.decide(j, language: "ca", .reject(reason: "names wrong"), actor: local)
        #expect(try store.language(job.id, "ca")?.approval == "rejected")
        #expect(try store.language(job.id, "ca")?.error?.contains("names wrong") == true)
        _ = try qc.decide(try store.resolve(job.id), language: "ca", .approve, actor: local)
        j = try store.resolve(job.id)
        #expect(j.status == .queued)
        #expect(throws: OlleeyError.self) { try qc.decide(j, language: "ca", .approve, actor: local) }
        #expect(throws: OlleeyError.self) { try qc.decide(j, language: "fr", .approve, actor: local) }
        // approval locks the track: an edit needs reopen
        try TrackStore(db).add(job: job.id, language: "es", kind: .translation, content: "WEBVTT\n\n00:01.000 --> 00:02.000\nHola\n", author: "t", message: "m")
        try TrackStore(db).setLocked(job: job.id, language: "es", true)
        do { try TrackService(db).commit(job: j, language: "es", content: "WEBVTT\n\n00:01.000 --> 00:02.000\nAdiós\n", author: "a", message: "m"); Issue.record("locked") }
        catch let e as OlleeyError { #expect(e.next == [.input("reopen")]) }
        #expect(try TrackService(db).commit(job: j, language: "es", content: "WEBVTT\n\n00:01.000 --> 00:02.000\nAdiós\n", author: "a", message: "m", reopen: true) == 2)
    }

    @Test func leasesExcludeOtherLiveWorkersAndExpire() throws {
        let t = TempDir()
        let (_, db, job) = try workspaceWithJob(t)
        let store = JobStore(db)
        let me = WorkerID.make(0)
        #expect(try store.claimLanguage(job.id, "es", worker: me, leaseMs: 60_000))
        // another host's worker holds a live lease: refused; expired: taken over
        let other = "elsewhere:1:0"
        #expect(try store.claimLanguage(job.id, "ca", worker: other, leaseMs: 60_000))
        #expect(try !store.claimLanguage(job.id, "ca", worker: me, leaseMs: 60_000))
        try db.run("UPDATE job_languages SET lease_expires_ms = 1 WHERE language = 'ca'")
        #expect(try store.claimLanguage(job.id, "ca", worker: me, leaseMs: 60_000))
        // a dead process on this host: its lease is free at once
        let dead = "\(WorkerID.host):999999:0"
        #expect(try store.claimJob(job.id, worker: dead, leaseMs: 60_000))
        #expect(try store.claimJob(job.id, worker: me, leaseMs: 60_000))
    }

    @Test("a worker's scan reads which units other live workers hold: unexpired, not its own, not a dead process's, open jobs only")
    func leasesHeldByOthers() throws {
        let t = TempDir()
        let (_, db, job) = try workspaceWithJob(t)
        let store = JobStore(db)
        let me = WorkerID.make(0)
        let other = "elsewhere:1:0"
        #expect(try store.leasesHeld(notBy: me).jobs.isEmpty)
        #expect(try store.claimLanguage(job.id, "es", worker: other, leaseMs: 60_000))
        #expect(try store.claimLanguage(job.id, "ca", worker: me, leaseMs: 60_000))
        var held = try store.leasesHeld(notBy: me)
        #expect(held.language(job.id, "es") && !held.language(job.id, "ca") && !held.job(job.id))
        // seen from the other worker: the reverse
        held = try store.leasesHeld(notBy: other)
        #expect(!held.language(job.id, "es") && held.language(job.id, "ca"))
        // a job-level lease of a live worker counts; a dead process of this host's does not
        #expect(try store.claimJob(job.id, worker: other, leaseMs: 60_000))
        #expect(try store.leasesHeld(notBy: me).job(job.id))
        try db.run("UPDATE jobs SET lease_owner = ? WHERE id = ?", [.text("\(WorkerID.host):999999:0"), .text(job.id)])
        #expect(try !store.leasesHeld(notBy: me).job(job.id))
        // an expired lease is free
        try db.run("UPDATE job_languages SET lease_expires_ms = 1 WHERE language = 'es'")
        #expect(try !store.leasesHeld(notBy: me).language(job.id, "es"))
        // a settled job's leases are nobody's concern
        try db.run("UPDATE job_languages SET lease_expires_ms = ? WHERE language = 'es'", [.int(Clock.nowMillis() + 60_000)])
        #expect(try store.leasesHeld(notBy: me).language(job.id, "es"))
        try db.run("UPDATE jobs SET status = 'completed' WHERE id = ?", [.text(job.id)])
        #expect(try store.leasesHeld(notBy: me).languages.isEmpty)
        // readying a connection for claims claims nothing
        let before = try db.query("SELECT lease_owner, lease_expires_ms FROM job_languages ORDER BY language") { [$0.optionalString(0), $0.optionalString(1)] }
        try store.prepareClaims(worker: me)
        #expect(try db.query("SELECT lease_owner, lease_expires_ms FROM job_languages ORDER BY language") { [$0.optionalString(0), $0.optionalString(1)] } == before)
    }
}
