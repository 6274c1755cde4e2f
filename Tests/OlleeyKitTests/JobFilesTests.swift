import Foundation
import Testing
import OlleeyKit
import OlleeyTestSupport

/// JobFiles (signed links to a job's files, uploads once, confined paths) and the whole-track
/// edits of TrackService (strict VTT, shift, diff).
@Suite struct JobFilesTests {
    @Test("deliverables: links to the files that exist, 24 h; downloadLink confined to the job's folder; another org's job is not found")
    func links() throws {
        let f = try ReviewFixture()
        let job = try f.job(["es"])
        let stem = OutputLayout.languageStem(outputsDir: f.ws.outputsDir, job: job, language: "es")
        try FileManager.default.createDirectory(atPath: Paths.parent(stem), withIntermediateDirectories: true)
        try Data("mp4".utf8).write(to: URL(fileURLWithPath: stem + ".mp4"))
        let rel = Paths.relative(stem, to: f.ws.root)
        try JobStore(f.db).setLanguageResult(job.id, "es", outputs: .object([("mp4", .string(rel + ".mp4")), ("srt", .string(rel + ".srt"))]), fitReport: nil, renderKey: "k")
        let files = JobFiles(db: f.db, workspace: f.ws, actor: Actor(email: nil), now: 1_000)
        let d = try files.deliverables(job.id)
        #expect(d.items.map(\.kind) == ["mp4"])  // the SRT is not on disk
        #expect(d.expires == 1_000 + 86_400 && d.items[0].link.path == rel + ".mp4" && d.items[0].link.purpose == .download && d.items[0].fileName == "v.es.mp4")
        let one = try files.downloadLink(job.id, path: "es/v.es.mp4")
        #expect(one.path == rel + ".mp4" && one.job == job.id)
        for bad in ["../x", "es/../../olleey.db", "/etc/passwd", "es", "es/none.vtt"] {
            #expect(throws: OlleeyError.self, "\(bad)") { try files.downloadLink(job.id, path: bad) }
        }
        let stranger = JobFiles(db: f.db, workspace: f.ws, actor: Actor(email: nil, org: "elsewhere"))
        #expect(throws: OlleeyError.self) { try stranger.deliverables(job.id) }
    }

    @Test("open: signature, purpose, expiry and the URL's name are checked; store: once")
    func openAndStore() throws {
        let f = try ReviewFixture()
        let job = try f.job(["es"])
        let key = try SigningKeys(f.db).urlKey()
        let files = JobFiles(db: f.db, workspace: f.ws, actor: Actor(email: nil))
        let up = try files.uploadLink(job: job.id, fileName: "notes.srt")
        #expect(up.purpose == .upload && up.path.hasSuffix("/\(job.id)/uploads/notes.srt"))
        let token = up.token(key: key)
        let (link, path) = try JobFiles.verify(token: token, name: "notes.srt", purpose: .upload, workspace: f.ws, key: key)
        #expect(link == up && path == Paths.normalize(f.ws.root + "/" + up.path))
        #expect(throws: OlleeyError.self) { try JobFiles.verify(token: token, name: "other.srt", purpose: .upload, workspace: f.ws, key: key) }
        #expect(throws: OlleeyError.self) { try JobFiles.verify(token: token, name: "notes.srt", purpose: .download, workspace: f.ws, key: key) }
        #expect(throws: OlleeyError.self) { try JobFiles.verify(token: token, name: "notes.srt", purpose: .upload, workspace: f.ws, key: key, now: up.expires + 1) }
        let tmp = TempDir("olleey-upload")
        try Data("abc".utf8).write(to: URL(fileURLWithPath: tmp.path + "/a"))
        #expect(try JobFiles.store(upload: path, from: tmp.path + "/a") == 3)
        try Data("xyz".utf8).write(to: URL(fileURLWithPath: tmp.path + "/b"))
        #expect(throws: OlleeyError.self) { try JobFiles.store(upload: path, from: tmp.path + "/b") }
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "abc")
        #expect(throws: OlleeyError.self) { try files.uploadLink(job: job.id, fileName: "notes.srt") }
        // from another file system (tmpfs), the bytes are copied
        if FileManager.default.fileExists(atPath: "/dev/shm") {
            let shm = "/dev/shm/olleey-upload-\(ID.uuid7())"
            try Data(repeating: 7, count: 3 << 20).write(to: URL(fileURLWithPath: shm))
            defer { try? FileManager.default.removeItem(atPath: shm) }
            let other = try files.uploadLink(job: job.id, fileName: "big.bin")
            let dest = Paths.normalize(f.ws.root + "/" + other.path)
            #expect(try JobFiles.store(upload: dest, from: shm) == 3 << 20)
            #expect(try Data(contentsOf: URL(fileURLWithPath: dest)) == Data(repeating: 7, count: 3 << 20))
        }
        for bad in ["", ".env", "a/b", "x\u{1}y"] { #expect(throws: OlleeyError.self, "\(bad)") { try JobFiles.validUploadName(bad) } }
        let area = try files.uploadLink(job: nil, fileName: "clip.mp4")
        #expect(area.path.hasPrefix(".olleey/uploads/default/") && area.job.isEmpty)
    }

    @Test("whole-track edits: strict VTT with line numbers, the text kept as sent, shift keeps authors, diff of two versions")
    func trackEdits() throws {
        let f = try ReviewFixture()
        let job = try f.job(["es"])
        let svc = TrackService(f.db)
        #expect(throws: OlleeyError.self) { try TrackService.strictDocument("WEBVTT\n\n00:00:01.000 --> 00:00:0x.000\nHi\n") }
        do { _ = try TrackService.strictDocument("WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nfish & chips\n"); Issue.record("a bare & passed") } catch let e as OlleeyError {
            #expect(e.code == .invalid && e.message.contains("(1 error)") && e.message.contains("4:"), "\(e.message)")
        }
        let text = "WEBVTT\n\n1\n00:00:01.000 --> 00:00:02.000\n<i>Hola</i> &amp; adiós\n"
        let r = try svc.saveWhole(job: job, language: "es", content: text, author: "ana@example.com", message: nil, reopen: false)
        #expect(try r.version == 2 && r.cues == 1 && svc.current(job: job, language: "es").content == text)
        let s = try svc.shift(job: job, language: "es", offsetMs: 500, author: "bob@example.com", reopen: false)
        #expect(s.version == 3 && s.shifted == 1)
        let cues = try svc.currentCues(job: job, language: "es")
        #expect(cues.version.content.contains("00:00:01.500 --> 00:00:02.500") && cues.cues.map(\.author) == ["ana@example.com"])
        #expect(throws: OlleeyError.self) { try svc.shift(job: job, language: "es", offsetMs: 0, author: "b", reopen: false) }
        let d = try svc.diff(job: job, language: "es", from: 2, to: 3)
        #expect(d.from == 2 && d.to == 3 && d.json.contains("\"timing_changed\":1"))
        let dflt = try svc.diff(job: job, language: "es", from: nil, to: nil)
        #expect(dflt.from == 2 && dflt.to == 3)
        #expect(throws: OlleeyError.self) { try svc.diff(job: job, language: "es", from: 9, to: nil) }
        #expect(try QCStore(f.db).assignee(job: job.id, language: "es") == nil)
    }
}
