import Foundation
import Testing
import OlleeyKit
import OlleeyTestSupport

/// The PostgreSQL store itself. These run in `scripts/test`'s second run, inside
/// `scripts/with-postgres` (a throwaway cluster: `OLLEEY_TEST_POSTGRES`); without a server they
/// fail, saying so (they never pass by skipping). The rest of the service suite runs on
/// PostgreSQL in that run too, through `TestStore`.
@Suite("PostgreSQL store", .serialized)
struct PostgresStoreTests {
    func server() throws -> String {
        try #require(TestStore.server, "no PostgreSQL server: run through scripts/with-postgres (scripts/test does)")
    }

    func workspace() throws -> (TempDir, Workspace, Database) {
        _ = try server()
        let t = TempDir()
        let (ws, _) = try TestStore.initialize(at: t.path)
        return (t, ws, try ws.open())
    }

    @Test("a new store has the schema the SQLite migrations build: the same tables and columns, the seeded rows, the version")
    func schemaParity() throws {
        let (dir, ws, db) = try workspace()
        defer { withExtendedLifetime(dir) {} }
        #expect(db.isPostgres && ws.usesPostgres)
        let mem = try Database(path: ":memory:")
        try Migrator.migrate(mem)
        let tables = try mem.query("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'") { $0.string(0) }.sorted()
        let pgTables = try db.query("SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()") { $0.string(0) }.sorted()
        #expect(tables == pgTables)
        for t in tables {
            let columns = Set(try mem.query("SELECT name FROM pragma_table_info(?)", [.text(t)]) { $0.string(0) })
            let pgColumns = Set(try db.query("SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = ?",
                                             [.text(t)]) { $0.string(0) }).subtracting(["rowid"])
            #expect(columns == pgColumns, "table \(t)")
        }
        #expect(try Migrator.currentVersion(db) == Schema.migrations.map(\.version).max())
        #expect(try db.scalarText("SELECT name FROM organizations WHERE id = 'default'") == "default")
        // opening it again (another machine) changes nothing
        #expect(try Migrator.migrate(try ws.open()).isEmpty)
    }

    @Test("values keep their characters and types: ? and quotes in literals, markup, Unicode, CRLF, blobs, NULL, 64-bit integers, doubles")
    func values() throws {
        let (dir, _, db) = try workspace()
        defer { withExtendedLifetime(dir) {} }
        let text = "Tom & Jerry <i>¿qué?</i> 'single' \"double\" ? 😀\r\nline 2\u{00A0}end"
        try ConfigStore(db).set("test.text", text)
        #expect(try ConfigStore(db).stored("test.text") == text)
        let r = try #require(try db.queryOne("SELECT 'a?b' AS lit, ? AS p, ? AS n, ? AS d, ? AS b, ? AS z",
                                             [.text("?"), .int(Int64.max), .double(0.1), .blob([0, 1, 255, 92]), .null]) {
            ($0.string(0), $0.string(1), $0.int64(2), $0.double(3), $0.blob(4), $0.isNull(5))
        })
        #expect(r.0 == "a?b" && r.1 == "?" && r.2 == Int64.max && r.3 == 0.1 && r.4 == [0, 1, 255, 92] && r.5)
        // text compares byte by byte, as in SQLite (BINARY): upper case sorts before lower case
        try db.run("INSERT INTO settings(key, value, updated_at) VALUES ('b', 'x', 'now'), ('B', 'x', 'now'), ('a', 'x', 'now')")
        #expect(try db.query("SELECT key FROM settings WHERE key IN ('a', 'b', 'B') ORDER BY key") { $0.string(0) } == ["B", "a", "b"])
    }

    @Test("a unique key a service catches inside a transaction undoes that statement only; the transaction commits the rest")
    func constraintInsideTransaction() throws {
        let (dir, _, db) = try workspace()
        defer { withExtendedLifetime(dir) {} }
        let now = Clock.nowISO()
        try db.transaction {
            try db.run("INSERT INTO organizations(id, name, created_at) VALUES ('o1', 'One', ?)", [.text(now)])
            do {
                try db.run("INSERT INTO organizations(id, name, created_at) VALUES ('o1', 'Again', ?)", [.text(now)])
                Issue.record("a duplicate id was accepted")
            } catch DatabaseError.SQLITE_CONSTRAINT_UNIQUE {}
            try db.run("INSERT INTO organizations(id, name, created_at) VALUES ('o2', 'Two', ?)", [.text(now)])
        }
        #expect(try db.query("SELECT name FROM organizations WHERE id IN ('o1', 'o2') ORDER BY id") { $0.string(0) } == ["One", "Two"])
    }

    @Test("writers on separate connections take turns: 4 threads x 40 read-then-write increments lose none")
    func writersTakeTurns() throws {
        let (dir, ws, db) = try workspace()
        defer { withExtendedLifetime(dir) {} }
        try ConfigStore(db).set("test.counter", "0")
        let failures = Locked<[String]>([])
        DispatchQueue.concurrentPerform(iterations: 4) { _ in
            do {
                let c = try ws.open()
                for _ in 0..<40 {
                    try c.transaction {
                        let n = Int(try ConfigStore(c).stored("test.counter") ?? "0") ?? 0
                        try ConfigStore(c).set("test.counter", String(n + 1))
                    }
                }
            } catch { failures.withLock { $0.append("\(error)") } }
        }
        #expect(failures.withLock { $0 }.isEmpty)
        #expect(try ConfigStore(db).stored("test.counter") == "160")
    }

    @Test("a server that restarted is reconnected to: reads, transactions and writes carry on; a server that cannot be reached is 69, its URL named, the password hidden")
    func reconnects() throws {
        let (dir, _, db) = try workspace()
        defer { withExtendedLifetime(dir) {} }
        let restart = try #require(ProcessInfo.processInfo.environment["OLLEEY_TEST_PGRESTART"], "no restart script (scripts/with-postgres makes it)")
        try ConfigStore(db).set("test.a", "1")
        try Subprocess.run(restart, [])
        #expect(try ConfigStore(db).stored("test.a") == "1")
        try db.transaction { try ConfigStore(db).set("test.a", "2") }
        try ConfigStore(db).set("test.a", "3")
        #expect(try ConfigStore(db).stored("test.a") == "3")
        do {
            _ = try Database(postgres: "postgres://u:secret@127.0.0.1:1/none")
            Issue.record("connected to a closed port")
        } catch {
            let e = OlleeyError.from(error)
            #expect(e.code == .unavailable && e.code.exitCode == 69, "\(e)")
            #expect(e.message.contains("postgres://u:***@127.0.0.1:1/none") && !e.message.contains("secret"), "\(e.message)")
        }
    }

    @Test("store migrate: a SQLite workspace's rows move into PostgreSQL, verified by counts and checksums; a second run converges; a target with rows the source lacks is refused (65)")
    func storeMigrate() throws {
        let server = try server()
        let t = TempDir()
        let (ws, _) = try Workspace.initialize(at: t.path)
        let db = try ws.open()
        let text = "Tom & Jerry <i>¿qué?</i> 'x' ?\r\n😀"
        try ConfigStore(db).set("test.text", text)
        for k in ["a", "b", "c"] { try EventStore(db).append("test.\(k)", job: nil, .object([("text", .string(text))])) }
        _ = try OrgService(db).create(name: "Studio Ñ", actor: Actor(email: nil))
        let url = try TestStore.newDatabase(server)
        let first = try StoreMigration.copy(from: db, to: url)
        #expect(first.contains { $0.name == "events" && $0.rows == 3 })
        let target = try Database(postgres: url)
        #expect(try ConfigStore(target).stored("test.text") == text)
        #expect(try EventStore(target).list(job: nil).map(\.kind) == ["test.a", "test.b", "test.c"])
        #expect(try target.scalarInt("SELECT count(*) FROM organizations WHERE name = 'Studio Ñ'") == 1)
        // the sequences moved past the copied ids: the next event follows
        #expect(try EventStore(target).append("test.d", job: nil) == 4)
        try target.run("DELETE FROM events WHERE kind = 'test.d'")
        let second = try StoreMigration.copy(from: db, to: url)
        #expect(second.map(\.checksum) == first.map(\.checksum))
        try ConfigStore(target).set("test.extra", "x")
        do {
            _ = try StoreMigration.copy(from: db, to: url)
            Issue.record("a target with other rows was accepted")
        } catch {
            let e = OlleeyError.from(error)
            #expect(e.code == .invalid && e.message.contains("settings"), "\(e.message)")
        }
    }

    @Test("events wake listeners through LISTEN/NOTIFY: a notification within 250 ms of an event appended on another connection")
    func notifications() throws {
        let (dir, ws, db) = try workspace()
        defer { withExtendedLifetime(dir) {} }
        let listener = try EventNotifications(db: try ws.open())
        let writer = try ws.open()
        let start = Clock.monotonicNanos()
        let appended = DispatchSemaphore(value: 0)
        Thread {
            usleep(50_000)
            _ = try? EventStore(writer).append("test.event", job: nil)
            appended.signal()
        }.start()
        let woke = listener.wait(timeoutMs: 2000)
        let ms = Double(Clock.monotonicNanos() - start) / 1e6
        #expect(woke, "no notification")
        #expect(ms < 300, "took \(ms) ms")
        appended.wait()
        #expect(try EventStore(db).lastId() > 0)
    }
}

/// `olleey` processes on one PostgreSQL store and one shared storage path, in three directories
/// standing in for three machines.
@Suite("PostgreSQL store: workers in other directories", .serialized)
struct PostgresWorkerTests {
    static var binary: String? { ProcessInfo.processInfo.environment["OLLEEY_BIN"].flatMap { FileManager.default.isExecutableFile(atPath: $0) ? $0 : nil } }

    final class Machines: @unchecked Sendable {
        let dir = TempDir("olleey-machines")
        let store: String
        let bin: String
        var shared: String { Paths.normalize(dir.path + "/shared") }

        /// Each machine's environment, beside the process's: its own scratch directory (an object
        /// store's local copies are not shared between machines).
        var environment: [String: String] = [:]

        /// `storage`: `file://` the shared directory (nil), or an object store URL, whose
        /// endpoint (`s3Endpoint`) each machine is configured with.
        init(storage: String? = nil, s3Endpoint: String? = nil, machines: [String] = ["a", "b", "c"]) throws {
            let server = try #require(TestStore.server, "no PostgreSQL server: run through scripts/with-postgres (scripts/test does)")
            bin = try #require(PostgresWorkerTests.binary, "OLLEEY_BIN does not name the built olleey (scripts/test sets it)")
            store = try TestStore.newDatabase(server)
            for m in machines {
                try FileManager.default.createDirectory(atPath: dir.path + "/" + m, withIntermediateDirectories: true)
                let r = try run(m, ["init", "--store", store, "--storage", storage ?? "file://" + shared, "--json"])
                #expect(r.status == 0, "init in \(m): \(r.err)")
                if let s3Endpoint {
                    let c = try run(m, ["config", "set", "storage.s3.endpoint", s3Endpoint])
                    #expect(c.status == 0, "config in \(m): \(c.err)")
                }
            }
        }

        func scratch(_ machine: String) -> String { dir.path + "/scratch-" + machine }

        /// `olleey serve` started in `machine` (an admin made first), and an SSE client of its
        /// event stream, signed in.
        func serveAndSubscribe(_ machine: String) throws -> (Process, SSETestClient) {
            let u = try run(machine, ["user", "create", "--email", "pm@example.com", "--role", "ADMIN", "--password-stdin"], stdin: "a long passphrase\n")
            #expect(u.status == 0, "\(u.err)")
            let server = try worker(machine, ["serve", "--host", "127.0.0.1", "--port", "0", "--workers", "0"])
            var port = 0
            for _ in 0..<200 {
                if let p = log(machine).firstMatch(of: /listening on http:\/\/127\.0\.0\.1:(\d+)/).flatMap({ Int($0.1) }) { port = p; break }
                usleep(50_000)
            }
            do {
                try #require(port > 0, "serve did not start: \(log(machine))")
                let login = try Reply.request(port: port, "POST", "/auth/login", body: Array(#"{"email":"pm@example.com","password":"a long passphrase"}"#.utf8))
                let token = try #require(login.json["access_token"] as? String, "\(login.text)")
                return (server, try SSETestClient(port: port, path: "/events/stream?token=\(token)", timeout: 60))
            } catch {
                server.terminate(); server.waitUntilExit()
                throw error
            }
        }

        func configure(_ p: Process, _ machine: String) {
            var env = ProcessInfo.processInfo.environment
            env["OLLEEY_SCRATCH_DIR"] = scratch(machine)
            for (k, v) in environment { env[k] = v }
            p.environment = env
            p.currentDirectoryURL = URL(fileURLWithPath: dir.path + "/" + machine)
        }

        @discardableResult
        func run(_ machine: String, _ args: [String], stdin: String? = nil) throws -> (status: Int32, out: String, err: String) {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: bin)
            p.arguments = args
            configure(p, machine)
            let out = Pipe(), err = Pipe(), inp = Pipe()
            p.standardOutput = out
            p.standardError = err
            p.standardInput = inp
            try p.run()
            if let stdin { inp.fileHandleForWriting.write(Data(stdin.utf8)) }
            try? inp.fileHandleForWriting.close()
            let o = out.fileHandleForReading.readDataToEndOfFile()
            let e = err.fileHandleForReading.readDataToEndOfFile()
            p.waitUntilExit()
            return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
        }

        /// `olleey worker` started in `machine`, its output to a log file there.
        func worker(_ machine: String, _ args: [String] = ["worker"]) throws -> Process {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: bin)
            p.arguments = args
            configure(p, machine)
            let log = dir.path + "/" + machine + "/worker.log"
            FileManager.default.createFile(atPath: log, contents: nil)
            let h = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
            h.seekToEndOfFile()
            p.standardOutput = h
            p.standardError = h
            try p.run()
            return p
        }

        /// A job created in machine a on the 4 s test video, dubbed into Spanish.
        func job() throws -> String {
            let video = try MediaFixtures.shared.video()
            let vtt = dir.path + "/talk.en.vtt"
            try "WEBVTT\n\n1\n00:00:00.500 --> 00:00:01.800\nHello & welcome <i>everyone</i>.\n\n2\n00:00:02.000 --> 00:00:03.500\nThe house is big.\n"
                .write(toFile: vtt, atomically: true, encoding: .utf8)
            let r = try run("a", ["job", "create", video, "--subtitles", vtt, "--source-lang", "en", "--lang", "es", "--json"])
            #expect(r.status == 0, "job create: \(r.err)")
            let j = try JSON.parse(r.out)
            return try #require(j["id"]?.stringValue)
        }

        func status(_ job: String, from machine: String = "a") throws -> String {
            let r = try run(machine, ["job", "show", job, "--json"])
            return (try? JSON.parse(r.out))?["status"]?.stringValue ?? "?"
        }

        func waitFor(_ job: String, seconds: Double = 180) throws -> String {
            let end = Date().addingTimeInterval(seconds)
            var s = "?"
            while Date() < end {
                s = try status(job)
                if ["completed", "failed", "cancelled"].contains(s) { return s }
                usleep(250_000)
            }
            return s
        }

        func log(_ machine: String) -> String { (try? String(contentsOfFile: dir.path + "/" + machine + "/worker.log", encoding: .utf8)) ?? "" }

        func database() throws -> Database { try Database(postgres: store) }
    }

    @Test("a job created in one directory is worked by a worker in another and seen from a third; its outputs are on the shared path",
          .enabled(if: MediaFixtures.hasFFmpeg && MediaFixtures.hasEspeak, "needs ffmpeg and espeak-ng"))
    func workedElsewhere() throws {
        let m = try Machines()
        let job = try m.job()
        let w = try m.worker("b")
        defer { w.terminate(); w.waitUntilExit() }
        #expect(try m.waitFor(job) == "completed", "\(m.log("b"))")
        #expect(try m.status(job, from: "c") == "completed")
        let list = try m.run("c", ["job", "list", "--json"])
        #expect(list.out.contains(job))
        let outputs = try JSON.parse(try m.run("c", ["job", "outputs", job, "--json"]).out)
        let master = try #require(outputs["master"]?.stringValue, "\(outputs)")
        #expect(master.hasPrefix(m.shared + "/outputs/") && FileManager.default.fileExists(atPath: master))
    }

    @Test("a worker killed with kill -9 mid-stage: another worker takes its lease over, the job completes, no stage ran twice at once",
          .enabled(if: MediaFixtures.hasFFmpeg && MediaFixtures.hasEspeak, "needs ffmpeg and espeak-ng"))
    func killedWorker() throws {
        let m = try Machines()
        let db = try m.database()
        let job = try m.job()
        let w1 = try m.worker("b")
        // kill it as soon as a stage is running
        var running = 0
        for _ in 0..<400 {
            running = Int(try db.scalarInt("SELECT count(*) FROM stage_runs WHERE job_id = ? AND state = 'running'", [.text(job)]) ?? 0)
            if running > 0 { break }
            usleep(10_000)
        }
        kill(w1.processIdentifier, SIGKILL)
        w1.waitUntilExit()
        #expect(running > 0, "no stage was running before the kill")
        let w2 = try m.worker("c")
        defer { w2.terminate(); w2.waitUntilExit() }
        #expect(try m.waitFor(job) == "completed", "\(m.log("c"))")
        // runs of one stage never overlap (the killed one never finished)
        let runs = try db.query("SELECT language, stage, started_at, finished_at FROM stage_runs WHERE job_id = ? AND finished_at IS NOT NULL ORDER BY started_at",
                                [.text(job)]) { ($0.string(0) + "/" + $0.string(1), $0.string(2), $0.string(3)) }
        var lastEnd: [String: String] = [:]
        for r in runs {
            if let e = lastEnd[r.0] { #expect(r.1 >= e, "\(r.0) ran twice at once") }
            lastEnd[r.0] = r.2
        }
        let workers = Set(try db.query("SELECT worker FROM stage_runs WHERE job_id = ?", [.text(job)]) { $0.string(0) })
        #expect(workers.count >= 2, "the second worker did none of the work: \(workers)")
    }

    @Test("PostgreSQL restarting mid-run loses no job: the worker waits, reconnects and completes it",
          .enabled(if: MediaFixtures.hasFFmpeg && MediaFixtures.hasEspeak, "needs ffmpeg and espeak-ng"))
    func restartMidRun() throws {
        let m = try Machines()
        let restart = try #require(ProcessInfo.processInfo.environment["OLLEEY_TEST_PGRESTART"], "no restart script (scripts/with-postgres makes it)")
        let db = try m.database()
        let job = try m.job()
        let w = try m.worker("b")
        defer { w.terminate(); w.waitUntilExit() }
        for _ in 0..<400 {
            if (try db.scalarInt("SELECT count(*) FROM stage_runs WHERE job_id = ?", [.text(job)]) ?? 0) > 0 { break }
            usleep(10_000)
        }
        try Subprocess.run(restart, [])
        #expect(try m.waitFor(job) == "completed", "\(m.log("b"))")
        #expect(w.isRunning, "the worker stopped: \(m.log("b"))")
    }

    @Test("an SSE client of a server in a third directory gets a worker's events as they happen (LISTEN/NOTIFY across processes; latency printed)",
          .enabled(if: MediaFixtures.hasFFmpeg && MediaFixtures.hasEspeak, "needs ffmpeg and espeak-ng"))
    func eventsAcrossMachines() throws {
        let m = try Machines()
        let (server, sse) = try m.serveAndSubscribe("c")
        defer { server.terminate(); server.waitUntilExit() }
        #expect(sse.status == 200)
        let job = try m.job()
        let w = try m.worker("b")
        defer { w.terminate(); w.waitUntilExit() }
        let iso = ISO8601DateFormatter()
        iso.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        var latencies: [Double] = []
        var status = ""
        let end = Date().addingTimeInterval(120)
        while Date() < end, let e = sse.nextEvent() {
            guard (e.json["job_id"] as? String) == job, let at = (e.json["at"] as? String).flatMap(iso.date) else { continue }
            latencies.append(Date().timeIntervalSince(at) * 1000)
            status = e.json["status"] as? String ?? status
            if status == "completed" || status == "failed" { break }
        }
        #expect(status == "completed", "\(m.log("b"))")
        let sorted = latencies.sorted()
        try #require(sorted.count >= 5, "only \(sorted.count) events arrived")
        let median = sorted[sorted.count / 2], p90 = sorted[sorted.count * 9 / 10]
        print("events across machines: \(sorted.count) events, median \(Int(median)) ms, p90 \(Int(p90)) ms, max \(Int(sorted.last ?? 0)) ms")
        // Quiet, every event arrives within 100 ms (median 2 ms). Under the whole test run on 2
        // cores, notifications were seen not to arrive for seconds and the feed's 1-s backstop
        // caught the events (medians 416 and 545 ms); the feed now looks every 100 ms as well.
        #expect(median < 250, "median \(Int(median)) ms, p90 \(Int(p90)) ms")
    }

    @Test("media in an object store: a job created in a, worked by workers in b and c, watched over SSE from d, completes with its outputs in the bucket, nothing of it on local disk, downloadable through a presigned URL",
          .enabled(if: S3TestServer.available && MediaFixtures.hasFFmpeg && MediaFixtures.hasEspeak, "needs the S3 test server (scripts/with-moto), ffmpeg and espeak-ng"))
    func objectStoreAcrossMachines() throws {
        let client = try S3TestServer.client()
        let m = try Machines(storage: "s3://\(client.config.bucket)/ws", s3Endpoint: S3TestServer.endpoint, machines: ["a", "b", "c", "d"])
        let (server, sse) = try m.serveAndSubscribe("d")
        defer { server.terminate(); server.waitUntilExit() }
        let job = try m.job()
        // the source went to the bucket at create: a worker elsewhere downloads it
        #expect(try client.list(prefix: "ws/media/").count == 1)
        let wb = try m.worker("b"), wc = try m.worker("c")
        defer { for w in [wb, wc] { w.terminate(); w.waitUntilExit() } }
        var status = ""
        let end = Date().addingTimeInterval(180)
        while Date() < end, let e = sse.nextEvent() {
            guard (e.json["job_id"] as? String) == job else { continue }
            status = e.json["status"] as? String ?? status
            if status == "completed" || status == "failed" { break }
        }
        #expect(status == "completed", "b: \(m.log("b"))\nc: \(m.log("c"))")
        #expect(try m.waitFor(job) == "completed")
        let keys = try client.list(prefix: "ws/outputs/").map(\.key)
        #expect(keys.contains { $0.hasSuffix(".es.mp4") }, "\(keys)")
        #expect(keys.contains { $0.hasSuffix(".master.mp4") }, "\(keys)")
        // nothing of the job in the workspaces: the local copies are in each machine's scratch directory
        let big = try FileManager.default.subpathsOfDirectory(atPath: m.dir.path).filter { p in
            !p.hasPrefix("scratch-") && p.hasSuffix(".mp4") && ((try? FileManager.default.attributesOfItem(atPath: m.dir.path + "/" + p)[.size] as? Int) ?? 0) > 100_000
        }
        #expect(big.isEmpty, "\(big)")
        #expect(FileManager.default.fileExists(atPath: m.scratch("b") + "/media") || FileManager.default.fileExists(atPath: m.scratch("c") + "/media"),
                "a worker downloaded the source into its scratch directory")
        // job outputs in a: objects with presigned URLs; one downloads without credentials
        let r = try m.run("a", ["job", "outputs", job, "--json"])
        #expect(r.status == 0, "\(r.err)")
        let out = try JSON.parse(r.out)
        let downloads = out["downloads"]?.arrayValue ?? []
        let mp4 = try #require(downloads.first { $0["kind"]?.stringValue == "mp4" }?["url"]?.stringValue, "\(r.out)")
        #expect(mp4.contains("X-Amz-Signature="))
        let body = try S3TestServer.withoutAuthentication { try HTTPClient().send(method: "GET", url: mp4, headers: [("Range", "bytes=0-99")], body: nil) }
        #expect(body.status == 206 || body.status == 200, "\(body.status)")
        #expect(body.body.count == 100 || body.body.count > 100_000)
    }

}
