import Foundation
import Testing
import WebVTT
import OlleeyKit
import OlleeyTestSupport
import OlleeyTestFakes

/// A job on a workspace whose pipeline has `FakeMedia` for ffmpeg, `FakeSpeaker` for speech and
/// the pseudo translator: the pipeline's logic, without ffmpeg or any engine installed.
final class FakeMediaJob {
    let t = TempDir()
    let ws: Workspace
    let db: Database
    let media = FakeMedia(durationMs: 20_000)
    let speaker = FakeSpeaker()
    let pipeline: JobPipeline
    var job: Job
    static let subtitles = """
        WEBVTT

        1
        00:00:01.000 --> 00:00:03.000
        Good morning, everyone.

        2
        00:00:05.000 --> 00:00:07.500
        The weather is cold today.

        3
        00:00:10.000 --> 00:00:12.000
        We walk to the village.
        """

    init(languages: [String] = ["es", "ca"]) throws {
        ws = try TestStore.initialize(at: t.path).0
        db = try ws.open()
        let source = t.write("talk.mp4", "not a video: FakeMedia probes it")
        let now = Clock.nowISO()
        job = Job(id: ID.uuid7(), source: source, sourceName: "talk.mp4", sourceLang: "en", videoId: nil, status: .queued, stage: nil,
                  options: JobOptions(targetLanguages: languages), projectId: nil, channelId: nil, error: nil, errorStage: nil,
                  paused: false, cancelRequested: false, createdAt: now, updatedAt: now, startedAt: nil, completedAt: nil)
        try JobStateMachine(db).create(job)
        try TrackStore(db).add(job: job.id, language: "en", kind: .source, content: FakeMediaJob.subtitles, author: "test", message: "subtitles")
        pipeline = try JobPipeline(workspace: ws, db: db, worker: "w1", cancel: CancelToken(), media: media, log: { _ in })
    }

    /// A diarizer for the voice stage (none by default).
    var diarizer: (any Diarizer)?
    var engines: PipelineEngines { PipelineEngines(transcriber: nil, translator: PseudoTranslator(), speaker: speaker, diarizer: diarizer) }

    func prepare() throws {
        #expect(try JobStore(db).claimJob(job.id, worker: "w1", leaseMs: 60_000))
        defer { try? JobStore(db).releaseJob(job.id, worker: "w1") }
        job = try pipeline.prepare(job, transcriber: nil)
    }

    func render(_ lang: String) throws {
        #expect(try JobStore(db).claimLanguage(job.id, lang, worker: "w1", leaseMs: 60_000))
        defer { try? JobStore(db).releaseLanguage(job.id, lang, worker: "w1") }
        try pipeline.renderLanguage(job, lang, engines: engines, config: ConfigStore(db))
    }

    struct Run: Equatable { var language: String; var stage: String; var state: String; var cached: Bool; var error: String? }

    /// The stage_runs rows, in order, from row `after` on.
    func runs(after: Int = 0) throws -> [Run] {
        try db.query("SELECT language, stage, state, cached, error FROM stage_runs WHERE job_id = ? ORDER BY id", [.text(job.id)]) {
            Run(language: $0.string(0), stage: $0.string(1), state: $0.string(2), cached: $0.int(3) == 1, error: $0.isNull(4) ? nil : $0.string(4))
        }.dropFirst(after).map { $0 }
    }

    func output(_ lang: String, _ ext: String) -> String {
        OutputLayout.languageStem(outputsDir: ws.outputsDir, job: job, language: lang) + "." + ext
    }
}

@Suite("Pipeline stages with FakeMedia (no ffmpeg, no engines)")
struct PipelineStageTests {
    static let languageStages = ["translate", "voice", "dub", "lip_sync", "mix", "assemble"]

    @Test("the stages run in order, each recorded once, and the outputs are written")
    func stagesRunInOrder() throws {
        let f = try FakeMediaJob()
        try f.prepare()
        try f.render("es")
        let runs = try f.runs()
        #expect(runs.map(\.stage) == ["ingest", "transcribe"] + PipelineStageTests.languageStages)
        #expect(runs.allSatisfy { $0.state == "done" })
        #expect(runs.map(\.language) == ["", ""] + Array(repeating: "es", count: 6))
        // ingest probed the source; transcribe found the subtitles (cached); the rest did work
        #expect(runs[1].cached && !runs[2].cached && !runs[4].cached && !runs[6].cached)
        #expect(f.media.callNames.first == "probe")
        for name in ["buildDubTrack", "mixSegmented", "muxSide", "assemble"] { #expect(f.media.count(name) == 1, "\(name)") }
        #expect(f.speaker.syntheses == 3)
        for ext in ["vtt", "srt", "m4a", "mp4"] { #expect(FileManager.default.fileExists(atPath: f.output("es", ext)), "\(ext)") }
        let lang = try #require(try JobStore(f.db).language(f.job.id, "es"))
        #expect(lang.outputs["mp4"]?.stringValue != nil && lang.audioKey != nil)
    }

    @Test("a re-run finds every stage in the cache: no synthesis and no media call")
    func cacheHitsSkipTheEnginesAndMedia() throws {
        let f = try FakeMediaJob()
        try f.prepare()
        try f.render("es")
        let before = try f.runs().count
        f.media.reset()
        let syntheses = f.speaker.syntheses
        try f.render("es")
        let again = try f.runs(after: before)
        #expect(again.map(\.stage) == PipelineStageTests.languageStages)
        #expect(again.allSatisfy { $0.cached && $0.state == "done" })
        #expect(f.media.calls.isEmpty, "media calls on a cached run: \(f.media.callNames)")
        #expect(f.speaker.syntheses == syntheses)
    }

    @Test("after an edit of one language, that language re-renders one cue and the other does no work")
    func anEditReRendersOnlyTheEditedLanguage() throws {
        let f = try FakeMediaJob()
        try f.prepare()
        try f.render("es")
        try f.render("ca")
        let tracks = TrackStore(f.db)
        let es = try #require(try tracks.current(job: f.job.id, language: "es", kind: .translation))
        var doc = WebVTTParser.parse(es.content, mode: .browser).document
        doc.cues[1].text = "Hoy hace frío."
        try tracks.add(job: f.job.id, language: "es", kind: .translation, content: WebVTTSerializer.serialize(doc), author: "editor", message: "one cue")
        f.media.reset()
        let syntheses = f.speaker.syntheses
        let before = try f.runs().count
        try f.render("ca")
        #expect(f.media.calls.isEmpty && f.speaker.syntheses == syntheses, "ca did work: \(f.media.callNames)")
        try f.render("es")
        #expect(f.speaker.syntheses == syntheses + 1, "only the edited cue is spoken again")
        #expect(f.media.count("buildDubTrack") == 1 && f.media.count("mixSegmented") == 1)
        let runs = try f.runs(after: before)
        #expect(runs.filter { $0.language == "ca" }.allSatisfy { $0.cached })
        let esRuns = runs.filter { $0.language == "es" }
        #expect(esRuns.first { $0.stage == "translate" }?.cached == true, "an edit of the translation translates nothing")
        #expect(esRuns.first { $0.stage == "dub" }?.cached == false)
        #expect(try FileIO.readText(f.output("es", "vtt")).contains("Hoy hace frío."))
    }

    @Test("a failing stage records its error and no later stage runs")
    func aFailingStageStops() throws {
        let f = try FakeMediaJob()
        try f.prepare()
        f.media.failing = "mixSegmented"
        #expect(throws: (any Error).self) { try f.render("es") }
        let runs = try f.runs().filter { $0.language == "es" }
        #expect(runs.map(\.stage) == ["translate", "voice", "dub", "lip_sync", "mix"])
        let mix = try #require(runs.last)
        #expect(mix.state == "failed")
        #expect(mix.error?.contains("FakeMedia: mixSegmented failed") == true)
        #expect(f.media.count("assemble") == 0 && f.media.count("muxSide") == 0)
        #expect(!FileManager.default.fileExists(atPath: f.output("es", "mp4")))
        // the retry reuses what was made before the failure
        f.media.failing = nil
        let syntheses = f.speaker.syntheses
        try f.render("es")
        #expect(f.speaker.syntheses == syntheses)
        #expect(FileManager.default.fileExists(atPath: f.output("es", "mp4")))
    }

    @Test("each subtitle version is parsed once per run")
    func subtitlesAreParsedOncePerRun() throws {
        let f = try FakeMediaJob()
        try f.prepare()
        #expect(f.pipeline.subtitleParses == 0, "preparing a job with subtitles parses nothing")
        try f.render("es")
        // the source, once: the translation is the translator's document, not parsed from its text
        #expect(f.pipeline.subtitleParses == 1)
        try f.render("es")
        // a cached run: the stored translation, once; the source not at all
        #expect(f.pipeline.subtitleParses == 2)
    }

    @Test("a job paused during a stage stops after it; resumed, it redoes none of the work done")
    func pauseAndResumeKeepTheWorkDone() throws {
        let f = try FakeMediaJob()
        try f.prepare()
        let (db, id) = (f.db, f.job.id)
        f.media.onCall = { name in if name == "buildDubTrack" { try? JobStore(db).setFlags(id, paused: true) } }
        #expect(throws: (any Error).self) { try f.render("es") }
        var runs = try f.runs().filter { $0.language == "es" }
        #expect(runs.map(\.stage) == ["translate", "voice", "dub"])
        #expect(runs.allSatisfy { $0.state == "done" }, "the dub finished before the pause took effect")
        f.media.onCall = nil
        try JobStore(db).setFlags(id, paused: false)
        let syntheses = f.speaker.syntheses
        let before = try f.runs().count
        try f.render("es")
        runs = try f.runs(after: before)
        #expect(runs.map(\.stage) == PipelineStageTests.languageStages)
        #expect(runs.prefix(3).allSatisfy { $0.cached } && f.speaker.syntheses == syntheses)
        #expect(!runs[4].cached, "the mix runs now")
    }

    @Test("a worker that loses its lease during a stage records it abandoned and writes no result")
    func aLostLeaseAbandonsTheStage() throws {
        let f = try FakeMediaJob()
        try f.prepare()
        let (db, id) = (f.db, f.job.id)
        f.media.onCall = { name in
            if name == "mixSegmented" {
                try? JobStore(db).releaseLanguage(id, "es", worker: "w1")
                _ = try? JobStore(db).claimLanguage(id, "es", worker: "w2", leaseMs: 60_000)
            }
        }
        #expect(throws: (any Error).self) { try f.render("es") }
        let runs = try f.runs().filter { $0.language == "es" }
        #expect(runs.last?.stage == "mix" && runs.last?.state == "abandoned")
        #expect(f.media.count("muxSide") == 0)
    }
}
