import Foundation
import Testing
import OlleeyKit
import OlleeyTestSupport

/// `SourceVideoService`: uploads probed before any row, stored once by SHA-256, catalogued per
/// organisation; `JobWorkflow` of a job made from one.
@Suite(.enabled(if: ToolCheck.missing(["ffmpeg", "ffprobe"]).isEmpty, "needs ffmpeg and ffprobe (scripts/bootstrap)"))
struct SourceVideoTests {
    func sample(_ dir: TempDir, _ name: String, frequency: Int) throws -> String {
        let path = dir.path + "/" + name
        try Subprocess.run("ffmpeg", ["-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=96x64:rate=5:duration=1",
                                      "-f", "lavfi", "-i", "sine=frequency=\(frequency):duration=1", "-shortest", "-c:v", "libx264", "-pix_fmt", "yuv420p",
                                      "-c:a", "aac", path])
        return path
    }

    @Test("upload: not a video is refused and removed; the same file twice is one video per organisation; list, get, other organisations")
    func upload() throws {
        let dir = TempDir()
        let ws = try TestStore.initialize(at: dir.path).0
        let db = try ws.open()
        let beta = try OrgService(db).create(name: "beta", actor: Actor(email: nil)).id
        let a = SourceVideoService(db: db, workspace: ws, actor: Actor(email: nil))
        let b = SourceVideoService(db: db, workspace: ws, actor: Actor(email: nil, org: beta))

        let junk = dir.path + "/junk.mp4"
        try Data("not a video".utf8).write(to: URL(fileURLWithPath: junk))
        #expect(throws: OlleeyError.self) { try a.upload(SourceVideoUpload(file: junk, originalName: "junk.mp4", title: "junk")) }
        #expect(!FileManager.default.fileExists(atPath: junk))
        #expect(try db.scalarInt("SELECT count(*) FROM videos") == 0)

        let first = try a.upload(SourceVideoUpload(file: try sample(dir, "one.mp4", frequency: 440), originalName: "one.mp4", title: "One", description: "d"))
        #expect(first.created && first.video.title == "One" && first.video.description == "d" && first.video.hasAudio && first.video.durationMs >= 900)
        #expect(FileManager.default.fileExists(atPath: try a.file(first.video)) && first.video.path.hasPrefix("media/"))
        let again = try a.upload(SourceVideoUpload(file: try sample(dir, "again.mp4", frequency: 440), originalName: "again.mp4", title: "Again"))
        #expect(!again.created && again.video.id == first.video.id && again.video.title == "One")
        let inBeta = try b.upload(SourceVideoUpload(file: try sample(dir, "beta.mp4", frequency: 440), originalName: "beta.mp4", title: "Beta's"))
        #expect(inBeta.created && inBeta.video.id == first.video.id && inBeta.video.title == "Beta's")
        let second = try a.upload(SourceVideoUpload(file: try sample(dir, "two.mp4", frequency: 550), originalName: "two.mp4", title: "Two"))
        #expect(second.created && second.video.id != first.video.id)

        let page = try a.list(page: 1, pageSize: 1)
        #expect(page.total == 2 && page.items.count == 1)
        #expect(try a.list(page: 2, pageSize: 1).items.count == 1)
        #expect(try b.list().total == 1)
        #expect(throws: OlleeyError.self) { try a.list(videoType: "shorts") }
        #expect(try b.get(second.video.id) == nil)
        #expect(throws: OlleeyError.self) { try b.require(second.video.id) }

        // a job from it: ingest already done, the workflow's preparation pending until it runs
        var r = JobCreateRequest(source: try a.file(first.video))
        r.targetLanguages = ["es"]; r.videoId = first.video.id; r.sourceName = "One"
        let job = try JobService(db: db, workspace: ws).create(r)
        #expect(job.videoId == first.video.id && job.sourceName == "One")
        #expect(try a.latestJob(first.video)?.id == job.id && b.latestJob(inBeta.video) == nil)
        let wf = try JobQueries(db: db, workspace: ws, actor: Actor(email: nil)).workflow(job)
        #expect(wf.preparation == "pending" && wf.languages.map(\.language) == ["es"])
        #expect(throws: OlleeyError.self) { try JobQueries(db: db, workspace: ws, actor: Actor(email: nil, org: beta)).workflow(job) }
        let m = try LocalizedMetadataStore(db).set(job: job, language: "es", title: "Uno", description: nil, actor: Actor(email: nil))
        #expect(m.title == "Uno" && m.description == nil)
        let m2 = try LocalizedMetadataStore(db).set(job: job, language: "es", title: nil, description: "desc", actor: Actor(email: nil))
        #expect(m2.title == "Uno" && m2.description == "desc")   // a field not given is kept
        #expect(throws: OlleeyError.self) { try LocalizedMetadataStore(db).set(job: job, language: "de", title: "x", description: nil, actor: Actor(email: nil)) }
    }
}
