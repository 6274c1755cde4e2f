import Foundation
import Testing
import OlleeyKit
import OlleeyTestSupport

/// Media in an object store (`ObjectMirror`, `StorageMigration`), against the S3 test server
/// scripts/with-moto starts.
@Suite("Object storage: the scratch mirror and storage migrate (moto)", .enabled(if: S3TestServer.available, S3TestServer.skipReason))
struct ObjectStorageTests {
    /// Two machines' mirrors of one new bucket, each with its own scratch directory.
    struct Pair {
        let dir = TempDir("olleey-mirror")
        let a: ObjectMirror
        let b: ObjectMirror
        init(maxBytes: Int64 = 1 << 30) throws {
            let client = try S3TestServer.client(prefix: "ws")
            a = ObjectMirror(client: client, root: dir.path + "/a", maxBytes: maxBytes)
            b = ObjectMirror(client: S3Client(client.config), root: dir.path + "/b", maxBytes: maxBytes)
        }
    }

    func write(_ path: String, _ text: String) throws {
        try FileIO.createDirectory((path as NSString).deletingLastPathComponent)
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }

    func read(_ path: String) -> String? { try? String(contentsOfFile: path, encoding: .utf8) }

    @Test("a file one machine pushes, another pulls; a change made elsewhere replaces a clean copy, never one being written here")
    func pushAndPull() throws {
        let p = try Pair()
        try write(p.a.path("outputs/j1/es/talk.es.vtt"), "WEBVTT\n\n00:00.000 --> 00:01.000\nHola & <i>adiós</i>\n")
        try write(p.a.path("outputs/j1/es/.tmp-1.vtt"), "half written")
        try p.a.push("outputs/j1")
        #expect(try p.a.list("outputs/j1").map(\.key) == ["outputs/j1/es/talk.es.vtt"], "temporary files stay local")
        try p.b.pull("outputs/j1")
        #expect(read(p.b.path("outputs/j1/es/talk.es.vtt")) == "WEBVTT\n\n00:00.000 --> 00:01.000\nHola & <i>adiós</i>\n")
        // pushed again unchanged: nothing is sent
        let before = p.a.client.counters.requests
        try p.a.push("outputs/j1")
        #expect(p.a.client.counters.requests - before == 0)
        // b changes it and pushes; a's clean copy is replaced on its next pull
        try write(p.b.path("outputs/j1/es/talk.es.vtt"), "WEBVTT\n\nedited on b\n")
        try p.b.push("outputs/j1")
        try p.a.pull("outputs/j1")
        #expect(read(p.a.path("outputs/j1/es/talk.es.vtt")) == "WEBVTT\n\nedited on b\n")
        // a copy a stage is writing here (changed since its sync) is kept by a pull
        try write(p.a.path("outputs/j1/es/talk.es.vtt"), "WEBVTT\n\nbeing written on a\n")
        try write(p.b.path("outputs/j1/es/talk.es.vtt"), "WEBVTT\n\nedited on b again\n")
        try p.b.push("outputs/j1")
        try p.a.pull("outputs/j1")
        #expect(read(p.a.path("outputs/j1/es/talk.es.vtt")) == "WEBVTT\n\nbeing written on a\n")
    }

    @Test("fetch downloads a missing file, says false when the store has none either; a path outside the scratch directory is refused")
    func fetch() throws {
        let p = try Pair()
        try write(p.a.path("media/abc.mp4"), String(repeating: "x", count: 1000))
        try p.a.publish(p.a.path("media/abc.mp4"))
        #expect(try p.b.fetch(p.b.path("media/abc.mp4")))
        #expect(read(p.b.path("media/abc.mp4"))?.count == 1000)
        #expect(try !p.b.fetch(p.b.path("media/missing.mp4")))
        #expect(throws: OlleeyError.self) { try p.b.fetch("/etc/passwd") }
    }

    @Test("the scratch directory is trimmed to its limit: least recently used copies already in the store go first, unpushed ones stay")
    func trim() throws {
        let p = try Pair(maxBytes: 2500)
        for n in 0..<4 {
            let path = p.a.path("outputs/j/f\(n).bin")
            try write(path, String(repeating: "\(n)", count: 1000))
            try p.a.publish(path)
            // older accesses first
            var times = [timespec(tv_sec: 1_000_000 + n, tv_nsec: 0), timespec(tv_sec: 0, tv_nsec: (1 << 30) - 2)]
            _ = utimensat(AT_FDCWD, path, &times, 0)
        }
        try write(p.a.path("outputs/j/unpushed.bin"), String(repeating: "u", count: 1000))
        var old = [timespec(tv_sec: 1, tv_nsec: 0), timespec(tv_sec: 0, tv_nsec: (1 << 30) - 2)]
        _ = utimensat(AT_FDCWD, p.a.path("outputs/j/unpushed.bin"), &old, 0)
        let freed = p.a.trim(graceSeconds: 0)
        #expect(freed == 3000)
        let left = (0..<4).filter { FileManager.default.fileExists(atPath: p.a.path("outputs/j/f\($0).bin")) }
        #expect(left == [3])
        #expect(FileManager.default.fileExists(atPath: p.a.path("outputs/j/unpushed.bin")))
        // what was trimmed comes back on demand
        #expect(try p.a.fetch(p.a.path("outputs/j/f0.bin")))
    }

    @Test("storage migrate moves media and outputs into the bucket, checked, rewrites .olleey/ output paths, and a second run after an interruption copies only the rest")
    func migrate() throws {
        let t = TempDir("olleey-storage-migrate")
        let (ws, _) = try Workspace.initialize(at: t.path)
        let db = try ws.open()
        try write(ws.mediaDir + "/aaa.mp4", String(repeating: "m", count: 5000))
        try write(ws.outputsDir + "/j1/es/talk.es.vtt", "WEBVTT\n\n00:00.000 --> 00:01.000\nA & B <b>bold</b>\n")
        try write(ws.outputsDir + "/j1/es/talk.es.srt", "1\n00:00:00,000 --> 00:00:01,000\nA & B\n")
        let job = Job(id: "j1", source: "/x.mp4", sourceName: "x.mp4", sourceLang: "en", videoId: nil, status: .queued, stage: nil,
                      options: JobOptions(targetLanguages: ["es"]), projectId: nil, channelId: nil, error: nil, errorStage: nil,
                      paused: false, cancelRequested: false, createdAt: Clock.nowISO(), updatedAt: Clock.nowISO(), startedAt: nil, completedAt: nil)
        try JobStateMachine(db).create(job)
        try db.run("UPDATE job_languages SET outputs = ? WHERE job_id = 'j1'", [.text(#"{"vtt":".olleey/outputs/j1/es/talk.es.vtt","srt":".olleey/outputs/j1/es/talk.es.srt"}"#)])
        let client = try S3TestServer.client(prefix: "team")
        var l = StoreLocation.read(ws.dir + "/" + Workspace.locationName)
        l.settings["storage.s3.endpoint"] = try #require(S3TestServer.endpoint)
        try l.write(ws.dir + "/" + Workspace.locationName)
        let url = "s3://\(client.config.bucket)/team"
        // an earlier run that was interrupted after one file
        _ = try client.put(file: ws.mediaDir + "/aaa.mp4", key: "media/aaa.mp4")
        let env = ProcessInfo.processInfo.environment
        let r = try StorageMigration.migrate(Workspace(root: t.path, environment: env), db: db, to: url)
        #expect(r.files == 3 && r.kept == 1 && r.copied == 2, "\(r)")
        #expect(r.pathsRewritten == 2)
        #expect(try client.list(prefix: "").map(\.key).sorted() == ["media/aaa.mp4", "outputs/j1/es/talk.es.srt", "outputs/j1/es/talk.es.vtt"])
        #expect(try client.head(key: "outputs/j1/es/talk.es.vtt")?.sha256 == Digest.sha256("WEBVTT\n\n00:00.000 --> 00:01.000\nA & B <b>bold</b>\n"))
        let moved = Workspace(root: t.path, environment: env)
        #expect(moved.location.storage == url)
        #expect(moved.storageDir != ws.dir, "the workspace now works in its scratch directory")
        // the outputs are found (in the bucket) and shown as objects with presigned URLs
        let outs = try JobQueries(db: db, workspace: moved, actor: Actor(email: nil)).outputs(try #require(try JobStore(db).get("j1")))
        #expect(outs.objects.count == 2)
        #expect(outs.objects.values.allSatisfy { $0.uri.hasPrefix(url + "/outputs/j1/es/") && $0.url.contains("X-Amz-Signature=") })
        #expect(throws: OlleeyError.self) { try StorageMigration.migrate(moved, db: db, to: url) }
        // the local files are left as they were
        #expect(FileManager.default.fileExists(atPath: ws.mediaDir + "/aaa.mp4"))
    }
}

/// The `store.*` and `storage.*` settings: in store.json, not the database.
@Suite("Storage settings: config keys kept in store.json")
struct StorageSettingsTests {
    @Test("config set storage.s3.endpoint writes store.json; storage.url is chosen there while the workspace has no jobs, then refused (a move); the secret is a secret")
    func locationKeys() throws {
        let t = TempDir("olleey-storage-settings")
        let (ws, _) = try Workspace.initialize(at: t.path)
        let svc = ConfigService(try ws.open(), workspace: ws)
        try svc.set("storage.s3.endpoint", "http://127.0.0.1:9000")
        try svc.set("storage.s3.path_style", "true")
        let l = StoreLocation.read(ws.dir + "/" + Workspace.locationName)
        #expect(l.settings["storage.s3.endpoint"] == "http://127.0.0.1:9000")
        #expect(l.settings["storage.s3.path_style"] == "true")
        #expect(try svc.get("storage.s3.endpoint").value == "http://127.0.0.1:9000")
        #expect(try svc.get("storage.s3.region").isDefault)
        #expect(try svc.key("storage.s3.secret_access_key").secret)
        // where the data is: chosen here while there are no jobs, then only moved (the migrate commands)
        try svc.set("storage.url", "s3://olleey-media/team")
        #expect(StoreLocation.read(ws.dir + "/" + Workspace.locationName).storage == "s3://olleey-media/team")
        #expect(throws: OlleeyError.self) { try svc.set("store.url", "mysql://x@y/z") }
        #expect(throws: OlleeyError.self) { try svc.unset("storage.url") }
        let now = Clock.nowISO()
        try JobStateMachine(try ws.open()).create(Job(id: "j1", source: "/x.mp4", sourceName: "x.mp4", sourceLang: "en", videoId: nil, status: .queued, stage: nil,
                                                     options: JobOptions(targetLanguages: ["es"]), projectId: nil, channelId: nil, error: nil, errorStage: nil,
                                                     paused: false, cancelRequested: false, createdAt: now, updatedAt: now, startedAt: nil, completedAt: nil))
        do {
            try svc.set("storage.url", "s3://olleey-media/elsewhere")
            Issue.record("changed the storage of a workspace with jobs")
        } catch let e as OlleeyError {
            #expect(e.code == .usage && (e.hint ?? "").contains("storage migrate"), "\(e)")
        }
        try svc.set("storage.url", "s3://olleey-media/team")  // the same value: nothing moves
        #expect(throws: OlleeyError.self) { try svc.set("storage.s3.endpoint", "not a url") }
        #expect(try svc.unset("storage.s3.endpoint"))
        #expect(StoreLocation.read(ws.dir + "/" + Workspace.locationName).settings["storage.s3.endpoint"] == nil)
        #expect(try svc.list().contains { $0.key.name == "storage.scratch.max_mb" && $0.value == "4096" })
        // without a workspace (a bare database), the keys are unknown
        #expect(throws: OlleeyError.self) { try ConfigService(try ws.open()).get("storage.url") }
    }

    @Test("an s3:// storage: its scratch directory is outside the workspace, named by the URL, moved by OLLEEY_SCRATCH_DIR; credentials from the environment first")
    func scratchAndCredentials() throws {
        let l = StoreLocation(store: nil, storage: "s3://media/team", settings: ["storage.s3.access_key_id": "cfg", "storage.s3.secret_access_key": "cfgsecret"])
        let d = StorageSettings.scratchDirectory(l, environment: ["HOME": "/home/u"])
        #expect(d.hasPrefix("/home/u/.cache/olleey/scratch/") && d.count == "/home/u/.cache/olleey/scratch/".count + 16)
        #expect(StorageSettings.scratchDirectory(l, environment: ["HOME": "/home/u", "OLLEEY_SCRATCH_DIR": "/fast/scratch/"]) == "/fast/scratch")
        #expect(try StorageSettings.s3Config(l, environment: [:]).accessKey == "cfg")
        let env = try StorageSettings.s3Config(l, environment: ["AWS_ACCESS_KEY_ID": "envkey", "AWS_SECRET_ACCESS_KEY": "envsecret", "AWS_REGION": "eu-west-1"])
        #expect(env.accessKey == "envkey" && env.secretKey == "envsecret" && env.region == "eu-west-1" && env.bucket == "media" && env.prefix == "team")
        #expect(!env.pathStyle, "AWS (no endpoint) is virtual-hosted")
        #expect(throws: OlleeyError.self) { try StorageSettings.s3Config(StoreLocation(storage: "s3://media/team"), environment: [:]) }
        #expect(throws: OlleeyError.self) { try StoreLocation.checkStorage("s3://") }
        #expect(throws: OlleeyError.self) { try StoreLocation.checkStorage("ftp://x/y") }
    }
}
