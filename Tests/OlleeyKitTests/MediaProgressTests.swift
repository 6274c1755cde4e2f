import Foundation
import Testing
import WebVTT
import OlleeyKit
import OlleeyTestSupport
import OlleeyTestFakes

// Issue 13: bars for the ffmpeg stages (mix, assemble, master) by seconds of media, read from
// ffmpeg's `-progress` as it runs, and `stage.progress` events in the events table.

@Suite("ffmpeg -progress parser (literals)")
struct FFmpegProgressParserTests {
    func feed(_ chunks: [String]) -> [FFmpegProgressParser.Update] {
        var p = FFmpegProgressParser()
        var out: [FFmpegProgressParser.Update] = []
        for c in chunks { out += p.feed(Array(c.utf8)) }
        return out + p.finish()
    }

    static let block = "frame=25\nfps=0.00\nbitrate=N/A\ntotal_size=48\nout_time_us=1000000\nout_time_ms=1000000\nout_time=00:00:01.000000\ndup_frames=0\nspeed=2.1x\nprogress=continue\n"

    @Test("one update per block, at progress=: out_time_us in microseconds, end at progress=end")
    func blocks() {
        let end = FFmpegProgressParserTests.block.replacingOccurrences(of: "1000000", with: "2500000")
            .replacingOccurrences(of: "00:00:01.000000", with: "00:00:02.500000").replacingOccurrences(of: "continue", with: "end")
        #expect(feed([FFmpegProgressParserTests.block + end]) == [.init(seconds: 1.0, end: false), .init(seconds: 2.5, end: true)])
    }

    @Test("a line split across reads, byte by byte or mid-key, reads the same")
    func splitLines() {
        let whole = feed([FFmpegProgressParserTests.block])
        let bytes = FFmpegProgressParserTests.block.map { String($0) }
        #expect(feed(bytes) == whole)
        #expect(feed(["frame=25\nout_ti", "me_u", "s=12345", "67\npro", "gress=cont", "inue\n"]) == [.init(seconds: 1.234567, end: false)])
        #expect(whole == [.init(seconds: 1.0, end: false)])
    }

    @Test("N/A and negative positions give no seconds; a later number in the block wins; no block, no update")
    func notAvailable() {
        #expect(feed(["out_time_us=N/A\nout_time_ms=N/A\nout_time=N/A\nprogress=continue\n"]) == [.init(seconds: nil, end: false)])
        #expect(feed(["out_time_us=-9223372036854775807\nout_time=-577014:32:22.775808\nprogress=continue\n"]) == [.init(seconds: nil, end: false)])
        #expect(feed(["out_time_us=N/A\nout_time_ms=500000\nprogress=end\n"]) == [.init(seconds: 0.5, end: true)])
        #expect(feed(["frame=1\nout_time_us=1000\n"]) == [])
        // the position is per block: the next one without a number has none
        #expect(feed(["out_time_us=1000000\nprogress=continue\nprogress=continue\n"]) == [.init(seconds: 1, end: false), .init(seconds: nil, end: false)])
    }

    @Test("out_time (HH:MM:SS.micro) when no microsecond count is given; CRLF; a last line without newline")
    func clockAndEnds() {
        #expect(feed(["out_time=01:02:03.5\r\nprogress=continue\r\n"]) == [.init(seconds: 3723.5, end: false)])
        #expect(feed(["out_time_us=2000000\nout_time=00:00:09.000000\nprogress=continue\n"]) == [.init(seconds: 2, end: false)])
        #expect(feed(["out_time_us=3000000\nprogress=end"]) == [.init(seconds: 3, end: true)])
        #expect(feed(["garbage without equals\n=\nprogress\n", "\n\n"]) == [])
    }
}

@Suite("stage progress by seconds of media")
struct StageProgressTests {
    @Test("the view shows media as m:ss, keeps counts from going back, and drops counts of a stage the unit has left")
    func view() {
        var v = ProgressView()
        func ev(_ stage: String, _ kind: ProgressEvent.Kind, _ at: Int64) -> ProgressEvent {
            ProgressEvent(job: "J", printed: "0193a1b2", language: "es", stage: stage, kind: kind, atMs: at)
        }
        v.apply(ev("mix", .started, 0))
        v.apply(ev("mix", .advanced(done: 65_000, total: 240_000, unit: "ms"), 1000))
        v.apply(ev("mix", .advanced(done: 30_000, total: 240_000, unit: "ms"), 1100))  // late, from another thread
        var l = v.lines(nowMs: 1000)[0]
        #expect(l.detail == "1:05/4:00")
        #expect(ProgressView.text(l).contains("mix        [#####---------------] 1:05/4:00"), "\(ProgressView.text(l))")
        // the pace is measured from the first count (the stage worked 1 s before it counted)
        #expect(l.remainingMs == nil)
        v.apply(ev("mix", .advanced(done: 125_000, total: 240_000, unit: "ms"), 1500))
        #expect(v.lines(nowMs: 1500)[0].remainingMs == 958)  // 60 s of media in 0.5 s; 115 s left take 0.958 s
        v.apply(ev("assemble", .started, 2000))
        v.apply(ev("mix", .advanced(done: 240_000, total: 240_000, unit: "ms"), 2100))  // read late from the events table
        l = v.lines(nowMs: 2200)[0]
        #expect(l.stage == "assemble" && l.fraction == nil)
        v.apply(ev("assemble", .advanced(done: 3_700_000, total: 7_200_000, unit: "ms"), 2300))
        #expect(v.lines(nowMs: 2300)[0].detail == "1:01:40/2:00:00")
    }

    @Test("a stage.progress event of the table becomes the view's count; other events do not")
    func fromEvent() {
        let e = Event(id: 7, at: "2026-12-07T03:00:00Z", kind: "stage.progress", jobId: "J", language: "ca",
                      data: .object([("stage", .string("mix")), ("done", .int(1500)), ("total", .int(3000)), ("unit", .string("ms"))]))
        let p = ProgressEvent(e, printed: "0193", atMs: 5)
        #expect(p == ProgressEvent(job: "J", printed: "0193", language: "ca", stage: "mix", kind: .advanced(done: 1500, total: 3000, unit: "ms"), atMs: 5))
        var other = e
        other.kind = "stage.finished"
        #expect(ProgressEvent(other, printed: "0193", atMs: 5) == nil)
    }

    @Test("with FakeMedia: mix, assemble and master report media progress to the watcher and the events table, ending at the duration")
    func fakeMediaPipeline() throws {
        let f = try FakeMediaJob(languages: ["es"])
        let seen = Locked<[ProgressEvent]>([])
        f.pipeline.progress = { e in seen.mutate { $0.append(e) } }
        try f.prepare()
        try f.render("es")
        #expect(try JobStore(f.db).claimJob(f.job.id, worker: "w1", leaseMs: 60_000))
        try f.pipeline.buildMaster(f.job)
        let counts = seen.value.compactMap { e -> (String, Int, Int, String)? in
            if case let .advanced(d, t, u) = e.kind { return (e.stage, d, t, u) }
            return nil
        }
        for stage in ["mix", "assemble", "master"] {
            let s = counts.filter { $0.0 == stage }
            #expect(s.map(\.1) == [10_000, 20_000], "\(stage): \(s)")
            #expect(s.allSatisfy { $0.2 == 20_000 && $0.3 == "ms" })
        }
        #expect(counts.filter { $0.0 == "dub" }.map(\.1) == [1, 2, 3])
        // the table: at least the last count of each stage (one event per stage this fast)
        let events = try EventStore(f.db).list(job: f.job.id).filter { $0.kind == "stage.progress" }
        let last = Dictionary(events.map { ($0.data["stage"]?.stringValue ?? "", $0) }, uniquingKeysWith: { _, b in b })
        #expect(Set(last.keys) == ["dub", "mix", "assemble", "master"], "\(events.map(\.data))")
        #expect(last["mix"]?.data["done"]?.intValue == 20_000 && last["mix"]?.data["total"]?.intValue == 20_000 && last["mix"]?.data["unit"]?.stringValue == "ms")
        #expect(last["mix"]?.language == "es" && last["master"]?.language == nil)
        #expect(last["dub"]?.data["done"]?.intValue == 3 && last["dub"]?.data["unit"]?.stringValue == "cues")
        // the progress events come before the stage's end
        let all = try EventStore(f.db).list(job: f.job.id)
        let mixEnd = all.firstIndex { $0.kind == "stage.finished" && $0.data["stage"]?.stringValue == "mix" } ?? -1
        let mixProgress = all.lastIndex { $0.kind == "stage.progress" && $0.data["stage"]?.stringValue == "mix" } ?? Int.max
        #expect(mixProgress < mixEnd)
        // a re-run is all cache hits: no counts
        seen.mutate { $0.removeAll() }
        try f.render("es")
        #expect(!seen.value.contains { if case .advanced = $0.kind { return $0.stage != "dub" }; return false })
    }
}

@Suite("media progress with real ffmpeg", .enabled(if: MediaFixtures.hasFFmpeg, "ffmpeg/ffprobe not installed (apt-get install ffmpeg)"))
struct RealMediaProgressTests {
    @Test("FFmpeg.run with progress: positions rise to the output's length; a failure still carries ffmpeg's own last lines")
    func run() throws {
        let t = TempDir()
        let ff = try FFmpeg()
        let seen = Locked<[Double]>([])
        try ff.run(["-f", "lavfi", "-i", "sine=frequency=440:duration=6:sample_rate=48000", "-c:a", "aac", "-f", "adts", t.file("a.aac")],
                   what: "encoding", progress: { s in seen.mutate { $0.append(s) } })
        let s = seen.value
        #expect(!s.isEmpty)
        #expect(zip(s, s.dropFirst()).allSatisfy { $0 < $1 }, "\(s)")
        #expect(abs((s.last ?? 0) - 6) < 0.2, "\(s)")
        #expect(!((try? FileIO.read(t.file("a.aac")))?.isEmpty ?? true))
        let e = #expect(throws: OlleeyError.self) {
            try ff.run(["-i", t.file("missing.wav"), "-f", "wav", t.file("b.wav")], what: "reading", progress: { _ in })
        }
        #expect(e?.message.contains("missing.wav") == true, "\(e?.message ?? "")")
    }

    @Test("a real job's mix and assemble: counts in order up to the video's length, and stage.progress events in the table")
    func pipeline() throws {
        let t = TempDir()
        let ws = try TestStore.initialize(at: t.path).0
        let db = try ws.open()
        // 75 s: three mix segments of about 30 s
        let source = t.file("talk.mp4")
        try MediaFixtures.ffmpeg(["-f", "lavfi", "-i", "testsrc=size=96x64:rate=5:duration=75", "-f", "lavfi", "-i", "sine=frequency=300:duration=75",
                                  "-shortest", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", source])
        let now = Clock.nowISO()
        var job = Job(id: ID.uuid7(), source: source, sourceName: "talk.mp4", sourceLang: "en", videoId: nil, status: .queued, stage: nil,
                      options: JobOptions(targetLanguages: ["es"]), projectId: nil, channelId: nil, error: nil, errorStage: nil,
                      paused: false, cancelRequested: false, createdAt: now, updatedAt: now, startedAt: nil, completedAt: nil)
        try JobStateMachine(db).create(job)
        try TrackStore(db).add(job: job.id, language: "en", kind: .source, content: FakeMediaJob.subtitles, author: "test", message: "subtitles")
        let pipeline = try JobPipeline(workspace: ws, db: db, worker: "w1", cancel: CancelToken(), log: { _ in })
        let seen = Locked<[ProgressEvent]>([])
        pipeline.progress = { e in seen.mutate { $0.append(e) } }
        #expect(try JobStore(db).claimJob(job.id, worker: "w1", leaseMs: 60_000))
        job = try pipeline.prepare(job, transcriber: nil)
        try JobStore(db).releaseJob(job.id, worker: "w1")
        #expect(try JobStore(db).claimLanguage(job.id, "es", worker: "w1", leaseMs: 60_000))
        try pipeline.renderLanguage(job, "es", engines: PipelineEngines(transcriber: nil, translator: PseudoTranslator(), speaker: FakeSpeaker()),
                                    config: ConfigStore(db))
        for stage in ["mix", "assemble"] {
            let counts = seen.value.filter { $0.stage == stage }.compactMap { e -> (Int, Int)? in
                if case let .advanced(d, total, "ms") = e.kind { return (d, total) }
                return nil
            }
            // the mix: each of three segments as it is encoded and done; a stream-copy mux this
            // short ends before ffmpeg's first half-second report: its last block only
            #expect(counts.count >= (stage == "mix" ? 3 : 1), "\(stage): \(counts)")
            #expect(zip(counts, counts.dropFirst()).allSatisfy { $0.0 < $1.0 }, "\(stage) rises: \(counts)")
            #expect(counts.allSatisfy { $0.1 == 75_000 }, "\(stage): \(counts)")
            #expect((counts.last?.0 ?? 0) >= 74_000, "\(stage) ends near the length: \(counts)")
            let events = try EventStore(db).list(job: job.id).filter { $0.kind == "stage.progress" && $0.data["stage"]?.stringValue == stage }
            let done = events.compactMap { $0.data["done"]?.intValue }
            #expect(!done.isEmpty && done == done.sorted() && Set(done).count == done.count, "\(stage): \(done)")
            #expect(done.last == Int64(counts.last?.0 ?? -1), "the table ends where the count ended: \(done)")
            #expect(events.allSatisfy { $0.language == "es" && $0.data["total"]?.intValue == 75_000 && $0.data["unit"]?.stringValue == "ms" })
        }
    }
}

