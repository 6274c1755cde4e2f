import CSQLite
import Foundation
import Testing
import OlleeyKit
import OlleeyTestSupport

@Suite("Database layer")
struct DatabaseTests {
    @Test func opensInWALWithForeignKeys() throws {
        let t = TempDir()
        let db = try Database(path: t.file("a.db"))
        #expect(try db.scalarText("PRAGMA journal_mode") == "wal")
        #expect(try db.scalarInt("PRAGMA foreign_keys") == 1)
    }

    /// SQLite keeps no allocation statistics (MEMSTATUS off): those take one global mutex per
    /// allocation, on which the server's pool threads queued (a jobs page did 28% more req/s
    /// without it).
    @Test func sqliteCountsNoMemory() throws {
        let t = TempDir()
        let db = try Database(path: t.file("a.db"))
        try db.execute("CREATE TABLE t(v TEXT)")
        for i in 0..<100 { try db.run("INSERT INTO t VALUES (?)", [.text(String(repeating: "x", count: i * 10))]) }
        #expect(try db.scalarInt("SELECT count(*) FROM t") == 100)
        #expect(sqlite3_memory_used() == 0)
    }

    @Test func typedBindingAndReading() throws {
        let t = TempDir()
        let db = try Database(path: t.file("a.db"))
        try db.execute("CREATE TABLE t(i INTEGER, d REAL, s TEXT, b BLOB, n TEXT)")
        try db.run("INSERT INTO t VALUES (?, ?, ?, ?, ?)", [.int(42), .double(1.5), .text("héllo ✓"), .blob([0, 1, 255]), .null])
        try db.run("INSERT INTO t VALUES (?, ?, ?, ?, ?)", Int64(-7), 2.25, "", true, Optional<String>.none)
        let rows = try db.query("SELECT i, d, s, b, n FROM t ORDER BY rowid") { r in
            (r.int64(0), r.double(1), r.string(2), r.blob(3), r.optionalString(4))
        }
        #expect(rows.count == 2)
        #expect(rows[0].0 == 42 && rows[0].1 == 1.5 && rows[0].2 == "héllo ✓" && rows[0].3 == [0, 1, 255] && rows[0].4 == nil)
        #expect(rows[1].0 == -7 && rows[1].2 == "")
        // an empty string is bound as text, not NULL
        #expect(try db.scalarInt("SELECT count(*) FROM t WHERE s = ''") == 1)
    }

    @Test func statementCacheReusesPreparedStatements() throws {
        let t = TempDir()
        let db = try Database(path: t.file("a.db"))
        try db.execute("CREATE TABLE t(k INTEGER PRIMARY KEY, v TEXT)")
        let a = try db.cached("SELECT v FROM t WHERE k = ?")
        let b = try db.cached("SELECT v FROM t WHERE k = ?")
        #expect(a === b)
        for k in 0..<100 { try db.run("INSERT INTO t VALUES (?, ?)", [.int(Int64(k)), .text("v\(k)")]) }
        #expect(try db.scalarText("SELECT v FROM t WHERE k = ?", [.int(57)]) == "v57")
    }

    @Test func transactionRollsBackOnError() throws {
        let t = TempDir()
        let db = try Database(path: t.file("a.db"))
        try db.execute("CREATE TABLE t(k INTEGER PRIMARY KEY)")
        struct Boom: Error {}
        #expect(throws: Boom.self) {
            try db.transaction {
                try db.run("INSERT INTO t VALUES (1)")
                throw Boom()
            }
        }
        #expect(try db.scalarInt("SELECT count(*) FROM t") == 0)
        #expect(!db.isInTransaction)
        // nested: the inner savepoint rolls back alone
        try db.transaction {
            try db.run("INSERT INTO t VALUES (1)")
            try? db.transaction {
                try db.run("INSERT INTO t VALUES (2)")
                throw Boom()
            }
        }
        #expect(try db.query("SELECT k FROM t", [], { $0.int(0) }) == [1])
    }

    @Test func constraintViolationsMapToErrors() throws {
        let t = TempDir()
        let db = try Database(path: t.file("a.db"))
        try db.execute("CREATE TABLE p(id INTEGER PRIMARY KEY, email TEXT UNIQUE); CREATE TABLE c(p INTEGER NOT NULL REFERENCES p(id))")
        try db.run("INSERT INTO p VALUES (1, 'a@x')")
        do { try db.run("INSERT INTO p VALUES (2, 'a@x')"); Issue.record("expected a unique violation") } catch let e as DatabaseError {
            #expect(e.olleeyError.code == .alreadyExists)
            #expect(e.olleeyError.message.contains("UNIQUE"))
        }
        do { try db.run("INSERT INTO c VALUES (99)"); Issue.record("expected a foreign key violation") } catch let e as DatabaseError {
            #expect(OlleeyError.from(e).code == .invalid)
            #expect(OlleeyError.from(e).code.exitCode == 65)
        }
    }

    @Test func busyWriterGetsExit75() throws {
        let t = TempDir()
        var fast = Database.Options()
        fast.busyTimeoutMs = 50
        let a = try Database(path: t.file("a.db"))
        try a.execute("CREATE TABLE t(k INTEGER)")
        let b = try Database(path: t.file("a.db"), options: fast)
        try a.execute("BEGIN IMMEDIATE")
        try a.run("INSERT INTO t VALUES (1)")
        do {
            try b.transaction { try b.run("INSERT INTO t VALUES (2)") }
            Issue.record("expected busy")
        } catch let e as DatabaseError {
            #expect(e.resultCode == .SQLITE_BUSY)
            #expect(OlleeyError.from(e).code == .busy)
            #expect(OlleeyError.from(e).code.exitCode == 75)
        }
        // readers are not blocked by the writer under WAL
        #expect(try b.scalarInt("SELECT count(*) FROM t") == 0)
        try a.execute("COMMIT")
        try b.transaction { try b.run("INSERT INTO t VALUES (2)") }
        #expect(try a.scalarInt("SELECT count(*) FROM t") == 2)
    }

    @Test func busyTimeoutWaitsForTheOtherWriter() throws {
        let t = TempDir()
        let a = try Database(path: t.file("a.db"))
        try a.execute("CREATE TABLE t(k INTEGER)")
        try a.execute("BEGIN IMMEDIATE")
        let path = t.file("a.db")
        let done = DispatchSemaphore(value: 0)
        let result = Locked<Result<Void, Error>?>(nil)
        Thread.detachNewThread {
            do {
                let b = try Database(path: path)   // 5 s busy timeout
                try b.transaction { try b.run("INSERT INTO t VALUES (2)") }
                result.set(.success(()))
            } catch { result.set(.failure(error)) }
            done.signal()
        }
        usleep(200_000)
        try a.run("INSERT INTO t VALUES (1)")
        try a.execute("COMMIT")
        done.wait()
        if case .failure(let e)? = result.get() { Issue.record("second writer failed: \(e)") }
        #expect(try a.scalarInt("SELECT count(*) FROM t") == 2)
    }

    @Test func notADatabaseIsAClearConfigError() throws {
        let t = TempDir()
        let p = t.write("junk.db", String(repeating: "this is not sqlite at all ", count: 400))
        do { _ = try Database(path: p); Issue.record("expected an error") } catch let e as DatabaseError {
            #expect(e.olleeyError.code == .config)
            #expect(e.olleeyError.message.contains("not a valid olleey database"))
        }
    }
}

@Suite("Migrations")
struct MigrationTests {
    let m1 = Migration(1, "one", "CREATE TABLE a(x INTEGER);")
    let m2 = Migration(2, "two", "CREATE TABLE b(y INTEGER); INSERT INTO a VALUES (1);")

    @Test func appliesPendingInOrderAndRecordsThem() throws {
        let t = TempDir()
        let db = try Database(path: t.file("a.db"))
        #expect(try Migrator.migrate(db, [m1]) == [1])
        #expect(try Migrator.migrate(db, [m1, m2]) == [2])
        #expect(try Migrator.migrate(db, [m1, m2]) == [])
        #expect(try Migrator.currentVersion(db) == 2)
        #expect(try db.query("SELECT name FROM schema_migrations ORDER BY version", [], { $0.string(0) }) == ["one", "two"])
    }

    @Test func failingMigrationIsRolledBackAloneAndTheOnesBeforeItStay() throws {
        let t = TempDir()
        let db = try Database(path: t.file("a.db"))
        let bad = Migration(2, "bad", "CREATE TABLE c(z INTEGER); THIS IS NOT SQL;")
        #expect(throws: DatabaseError.self) { try Migrator.migrate(db, [m1, bad]) }
        // one transaction per migration: 1 applied, 2 rolled back entirely
        #expect(try Migrator.currentVersion(db) == 1)
        #expect(try db.scalarInt("SELECT count(*) FROM sqlite_master WHERE name = 'a'") == 1)
        #expect(try db.scalarInt("SELECT count(*) FROM sqlite_master WHERE name = 'c'") == 0)
    }

    @Test func newerSchemaIsRefusedWith78() throws {
        let t = TempDir()
        let db = try Database(path: t.file("a.db"))
        try Migrator.migrate(db, [m1, m2])
        do { try Migrator.migrate(db, [m1]); Issue.record("expected refusal") } catch let e as OlleeyError {
            #expect(e.code == .config)
            #expect(e.code.exitCode == 78)
            #expect(e.message.contains("newer"))
        }
    }

    @Test func shippedSchemaVersionsAreUniqueAndIncreasing() {
        let v = Schema.migrations.map(\.version)
        #expect(v == Array(1...v.count))
    }
}

@Suite("Workspace")
struct WorkspaceTests {
    @Test func initCreatesLayoutAndIsIdempotent() throws {
        let t = TempDir()
        let (ws, created) = try Workspace.initialize(at: t.path)
        #expect(created)
        for d in [ws.mediaDir, ws.cacheDir, ws.outputsDir] { #expect(Paths.isDirectory(d)) }
        let db = try ws.open()
        try ConfigService(db).set("fit.max_tempo", "1.2")
        let (_, again) = try Workspace.initialize(at: t.path)
        #expect(!again)
        #expect(try ConfigService(ws.open()).get("fit.max_tempo").value == "1.2")
    }

    @Test func discoveryOrder() throws {
        let t = TempDir()
        try Workspace.initialize(at: t.path)
        let sub = t.path + "/a/b/c"
        try FileManager.default.createDirectory(atPath: sub, withIntermediateDirectories: true)
        #expect(try Workspace.discover(explicit: nil, environment: [:], cwd: sub).root == Paths.normalize(t.path))
        #expect(try Workspace.discover(explicit: t.path, environment: [:], cwd: "/").root == Paths.normalize(t.path))
        #expect(try Workspace.discover(explicit: t.path + "/.olleey", environment: [:], cwd: "/").root == Paths.normalize(t.path))
        #expect(try Workspace.discover(explicit: nil, environment: ["OLLEEY_WORKSPACE": t.path], cwd: "/").root == Paths.normalize(t.path))
        let other = TempDir()
        do { _ = try Workspace.discover(explicit: nil, environment: [:], cwd: other.path); Issue.record("expected 78") } catch let e as OlleeyError {
            #expect(e.code.exitCode == 78)
            #expect(e.next.contains(.command("init")))
        }
    }

    @Test func configRejectsUnknownKeysAndBadValues() throws {
        let t = TempDir()
        let (ws, _) = try Workspace.initialize(at: t.path)
        let svc = ConfigService(try ws.open())
        do { try svc.set("fit.max_tmpo", "1.2"); Issue.record("expected usage error") } catch let e as OlleeyError {
            #expect(e.code.exitCode == 64)
            #expect(e.hint?.contains("fit.max_tempo") == true)
        }
        #expect(throws: OlleeyError.self) { try svc.set("fit.max_tempo", "9") }
        #expect(throws: OlleeyError.self) { try svc.set("job.parallel", "two") }
        #expect(throws: OlleeyError.self) { try svc.set("engines.translate", "babelfish") }
        #expect(try svc.set("user.email", "Ana@Example.com") == "ana@example.com")
        #expect(try svc.unset("user.email"))
        #expect(try svc.get("user.email").value == nil)
    }
}

