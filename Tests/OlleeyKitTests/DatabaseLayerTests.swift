import Foundation
import Testing
import OlleeyKit
import OlleeyTestSupport

@Suite("DatabaseError: extended codes, SQL, ~= patterns, one conversion")
struct DatabaseErrorTests {
    @Test func keepsTheExtendedCodeMessageAndStatement() throws {
        let t = TempDir()
        let db = try Database(path: t.file("a.db"))
        try db.execute("CREATE TABLE p(id INTEGER PRIMARY KEY, email TEXT UNIQUE)")
        try db.run("INSERT INTO p VALUES (1, 'a@x')")
        do {
            try db.run("INSERT INTO p(id, email) VALUES (?, ?)", [.int(2), .text("a@x")])
            Issue.record("expected a unique violation")
        } catch let e as DatabaseError {
            #expect(e.extendedResultCode == .SQLITE_CONSTRAINT_UNIQUE)
            #expect(e.resultCode == .SQLITE_CONSTRAINT)
            #expect(e.message.contains("UNIQUE constraint failed: p.email"))
            #expect(e.sql == "INSERT INTO p(id, email) VALUES (?, ?)")
            #expect(e.argumentsCount == 2)
        }
    }

    @Test func catchClausesMatchByExtendedOrPrimaryCode() throws {
        let t = TempDir()
        let db = try Database(path: t.file("a.db"))
        try db.execute("CREATE TABLE p(id INTEGER PRIMARY KEY, email TEXT UNIQUE); CREATE TABLE c(p INTEGER NOT NULL REFERENCES p(id))")
        try db.run("INSERT INTO p VALUES (1, 'a@x')")
        func which(_ body: () throws -> Void) -> String {
            do { try body(); return "none" }
            catch DatabaseError.SQLITE_CONSTRAINT_UNIQUE { return "unique" }
            catch DatabaseError.SQLITE_CONSTRAINT_FOREIGNKEY { return "foreign key" }
            catch DatabaseError.SQLITE_CONSTRAINT { return "other constraint" }
            catch { return "other" }
        }
        #expect(which { try db.run("INSERT INTO p VALUES (2, 'a@x')") } == "unique")
        #expect(which { try db.run("INSERT INTO c VALUES (99)") } == "foreign key")
        #expect(which { try db.run("INSERT INTO c VALUES (NULL)") } == "other constraint")
        #expect(which { try db.run("INSERT INTO nowhere VALUES (1)") } == "other")
        #expect(which { throw OlleeyError.failure("not SQLite") } == "other")
        // a primary pattern matches its family; an extended one only itself
        #expect(ResultCode.SQLITE_CONSTRAINT ~= ResultCode.SQLITE_CONSTRAINT_NOTNULL)
        #expect(!(ResultCode.SQLITE_CONSTRAINT_UNIQUE ~= ResultCode.SQLITE_CONSTRAINT_NOTNULL))
    }

    @Test func oneConversionKeepsTheExitCodes() {
        func code(_ c: ResultCode) -> Int32 { OlleeyError.from(DatabaseError(c, message: "m", path: "/w/olleey.db")).code.exitCode }
        #expect(code(.SQLITE_BUSY) == 75)
        #expect(code(.SQLITE_BUSY_SNAPSHOT) == 75)
        #expect(code(.SQLITE_LOCKED) == 75)
        #expect(code(.SQLITE_FULL) == 73)
        #expect(code(.SQLITE_READONLY) == 73)
        #expect(code(.SQLITE_CONSTRAINT_NOTNULL) == 65)
        #expect(code(.SQLITE_CONSTRAINT_FOREIGNKEY) == 65)
        #expect(code(.SQLITE_CONSTRAINT_UNIQUE) == 1)
        #expect(OlleeyError.from(DatabaseError(.SQLITE_CONSTRAINT_UNIQUE, message: "m")).code == .alreadyExists)
        #expect(code(.SQLITE_NOTADB) == 78)
        #expect(code(.SQLITE_ERROR) == 1)
        #expect(OlleeyError.from(OlleeyError.permission("no")).code.exitCode == 77)
    }

    @Test func aUniqueViolationBetweenCheckAndInsertIsCaughtByItsExtendedCode() throws {
        // Another connection inserts the same email and holds its transaction open: the service's
        // existence check does not see it, its insert waits, then violates the unique index.
        let t = TempDir()
        let (ws, _) = try Workspace.initialize(at: t.path)
        let other = try ws.open()
        try other.execute("BEGIN IMMEDIATE")
        try other.run("INSERT INTO users(id, email, name, role, disabled, created_at, updated_at) VALUES ('u-other', 'ana@example.com', '', 'LINGUIST', 0, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')")
        let result = Locked<Result<User, Error>?>(nil)
        let done = DispatchSemaphore(value: 0)
        let path = t.path
        Thread.detachNewThread {
            do {
                let db = try Workspace(root: path).open()
                result.set(.success(try UserService(db).create(email: "ana@example.com", role: .linguist, actor: Actor(email: nil))))
            } catch { result.set(.failure(error)) }
            done.signal()
        }
        usleep(300_000)
        try other.execute("COMMIT")
        done.wait()
        switch result.get() {
        case .failure(let e as OlleeyError)?:
            #expect(e.code == .alreadyExists)
            #expect(e.message == "user ana@example.com already exists")
            #expect(e.next.contains(.command("user update", ["ana@example.com"], options: ["role": "ROLE"])))
        case let r:
            Issue.record("expected the domain error 'already exists', got \(String(describing: r))")
        }
    }
}

@Suite("Rows read by column name")
struct RowDecodableTests {
    struct Item: RowDecodable, Equatable {
        var id: Int64
        var name: String
        var score: Double
        var note: String?
        var flag: Bool
        init(id: Int64, name: String, score: Double, note: String?, flag: Bool) {
            self.id = id; self.name = name; self.score = score; self.note = note; self.flag = flag
        }
        init(row: Row) throws {
            self.init(id: try row["id"], name: try row["name"], score: try row["score"], note: try row["note"], flag: try row["flag"])
        }
    }

    func database(_ t: TempDir) throws -> Database {
        let db = try Database(path: t.file("a.db"))
        try db.execute("CREATE TABLE items(id INTEGER PRIMARY KEY, name TEXT, score REAL, note TEXT, flag INTEGER)")
        try db.run("INSERT INTO items VALUES (1, 'one', 1.5, NULL, 1), (2, 'two', 2.5, 'n', 0)")
        return db
    }

    @Test func readsByNameWhateverTheColumnOrder() throws {
        let t = TempDir()
        let db = try database(t)
        let a = try db.fetchAll(Item.self, "SELECT id, name, score, note, flag FROM items ORDER BY id")
        let b = try db.fetchAll(Item.self, "SELECT flag, note, score, name, id, 'extra' AS extra FROM items ORDER BY id")
        #expect(a == [Item(id: 1, name: "one", score: 1.5, note: nil, flag: true), Item(id: 2, name: "two", score: 2.5, note: "n", flag: false)])
        #expect(a == b)
        #expect(try db.fetchOne(Item.self, "SELECT * FROM items WHERE id = ?", [.int(2)])?.note == "n")
        #expect(try db.fetchOne(Item.self, "SELECT * FROM items WHERE id = ?", [.int(9)]) == nil)
    }

    @Test func aDecoderThatReadsInAnotherOrderPerRowStillGetsItsColumns() throws {
        let t = TempDir()
        let db = try database(t)
        // the per-position cache misses on purpose: odd rows read name first, even rows id first
        let got = try db.query("SELECT id, name FROM items ORDER BY id") { r -> String in
            let id: Int = try r["id"]
            if id % 2 == 1 { let n: String = try r["name"]; let again: Int = try r["id"]; return "\(again):\(n)" }
            let n: String = try r["name"]
            return "\(id):\(n)"
        }
        #expect(got == ["1:one", "2:two"])
        #expect(try db.query("SELECT name AS label FROM items ORDER BY id") { try $0.value(named: "label", as: String.self) } == ["one", "two"])
    }

    @Test func anUnknownColumnIsAnErrorNamingIt() throws {
        let t = TempDir()
        let db = try database(t)
        do {
            _ = try db.query("SELECT id FROM items") { r -> String in try r["nmae"] }
            Issue.record("expected an error")
        } catch let e as DatabaseError {
            #expect(e.message.contains("'nmae'"))
            #expect(e.sql == "SELECT id FROM items")
        }
    }

    @Test func anOptionalStringIsNilOnlyForNull() throws {
        let t = TempDir()
        let db = try database(t)
        let got = try db.queryOne("SELECT '' AS a, NULL AS b, x'' AS c, 'é' AS d, 7 AS e") { r -> [String?] in
            [try r["a"], try r["b"], try r["c"], try r["d"], try r["e"]]
        }
        #expect(got == ["", nil, "", "é", "7"])
    }

    @Test func aStatementLeftRunningOrFailedIsResetBeforeItIsUsedAgain() throws {
        let t = TempDir()
        let db = try database(t)
        // a caller steps a cached statement once and walks away
        let s = try db.cached("SELECT id FROM items ORDER BY id")
        #expect(try s.step())
        #expect(try db.query("SELECT id FROM items ORDER BY id") { $0.int(0) } == [1, 2])
        // a decoder that throws on the first row leaves the statement mid-run
        #expect(throws: DatabaseError.self) { _ = try db.fetchAll(Item.self, "SELECT id, name FROM items ORDER BY id") }
        #expect(try db.query("SELECT id, name FROM items ORDER BY id") { $0.string(1) } == ["one", "two"])
        // and a read that stopped after one row does not keep its read transaction open
        _ = try db.fetchOne(Item.self, "SELECT * FROM items ORDER BY id")
        let other = try Database(path: t.file("a.db"))
        try other.run("INSERT INTO items VALUES (3, 'three', 3.5, NULL, 0)")
        #expect(try db.scalarInt("SELECT count(*) FROM items") == 3)
    }

    @Test func moreStatementsInTurnThanTheRecentOnesEachGetTheirOwnArguments() throws {
        let t = TempDir()
        let db = try database(t)
        for round in 0..<3 {
            for k in 0..<7 {
                let sql = "SELECT name, ? + \(k) FROM items WHERE id = ?"
                let got = try db.queryOne(sql, [.int(Int64(round)), .int(Int64(k % 2 + 1))]) { r in "\(r.string(0)) \(r.int(1))" }
                #expect(got == "\(k % 2 == 0 ? "one" : "two") \(round + k)")
                #expect(try db.run("UPDATE items SET score = ? WHERE id = ?", [.double(Double(k)), .int(2)]) == 1)
            }
        }
        #expect(try db.fetchOne(Item.self, "SELECT * FROM items WHERE id = ?", [.int(2)])?.score == 6)
    }
}

@Suite("Migrations: one transaction each, then foreign_key_check")
struct MigrationForeignKeyTests {
    let parents = Migration(1, "parents", "CREATE TABLE parents(id INTEGER PRIMARY KEY); INSERT INTO parents VALUES (1);")
    let children = Migration(2, "children", "CREATE TABLE children(id INTEGER PRIMARY KEY, parent INTEGER REFERENCES parents(id)); INSERT INTO children VALUES (1, 1);")
    // inserted while foreign keys are enforced this would fail at once; a table rebuild (the
    // usual migration) copies rows with a statement SQLite defers: here, a deferred key
    let dangling = Migration(3, "dangling", """
        CREATE TABLE notes(id INTEGER PRIMARY KEY, parent INTEGER REFERENCES parents(id) DEFERRABLE INITIALLY DEFERRED);
        INSERT INTO notes VALUES (1, 42);
        """)

    @Test func aMigrationThatLeavesADanglingForeignKeyIsRefusedAndRolledBack() throws {
        let t = TempDir()
        let db = try Database(path: t.file("a.db"))
        do {
            try Migrator.migrate(db, [parents, children, dangling])
            Issue.record("expected the migration to be refused")
        } catch let e as OlleeyError {
            #expect(e.code.exitCode == 78)
            #expect(e.message.contains("migration 3 (dangling)"))
            #expect(e.message.contains("notes"))
        }
        #expect(try Migrator.currentVersion(db) == 2)
        #expect(try db.scalarInt("SELECT count(*) FROM sqlite_master WHERE name = 'notes'") == 0)
        #expect(try db.scalarInt("SELECT count(*) FROM children") == 1)
        #expect(!db.isInTransaction)
    }

    @Test func eachMigrationCommitsOnItsOwn() throws {
        let t = TempDir()
        let db = try Database(path: t.file("a.db"))
        #expect(try Migrator.migrate(db, [parents, children]) == [1, 2])
        #expect(try db.query("SELECT version FROM schema_migrations ORDER BY version", [], { $0.int(0) }) == [1, 2])
    }
}

@Suite("DatabasePool: one writer, concurrent readers")
struct DatabasePoolTests {
    @Test func readersProgressWhileTheWriterHoldsALongTransactionAndSeeCommittedDataOnly() throws {
        let t = TempDir()
        let pool = try DatabasePool(path: t.file("a.db"), maximumReaders: 3)
        try pool.write { db in
            try db.execute("CREATE TABLE t(k INTEGER)")
            try db.run("INSERT INTO t VALUES (1)")
        }
        #expect(pool.readerCount == 0)   // readers open lazily

        let writerInside = DispatchSemaphore(value: 0)
        let releaseWriter = DispatchSemaphore(value: 0)
        let writerDone = DispatchSemaphore(value: 0)
        let writerResult = Locked<Error?>(nil)
        Thread.detachNewThread {
            do {
                try pool.write { db in
                    try db.run("INSERT INTO t VALUES (2)")
                    writerInside.signal()
                    releaseWriter.wait()   // a long write transaction
                }
            } catch { writerResult.set(error) }
            writerDone.signal()
        }
        writerInside.wait()

        // while the writer is inside its transaction, 6 reads on 6 threads all finish
        let seen = Locked<[Int64]>([])
        let group = DispatchGroup()
        for _ in 0..<6 {
            group.enter()
            Thread.detachNewThread {
                defer { group.leave() }
                let n = (try? pool.read { db in try db.scalarInt("SELECT count(*) FROM t") ?? -1 }) ?? -1
                var all = seen.get(); all.append(n); seen.set(all)
            }
        }
        #expect(group.wait(timeout: .now() + 10) == .success, "readers blocked behind the writer")
        #expect(seen.get() == Array(repeating: 1, count: 6), "a reader saw uncommitted data or failed")
        #expect(pool.readerCount >= 1 && pool.readerCount <= 3)

        releaseWriter.signal()
        writerDone.wait()
        #expect(writerResult.get() == nil)
        #expect(try pool.read { db in try db.scalarInt("SELECT count(*) FROM t") } == 2)
    }

    @Test func writesFromManyThreadsAreSerialized() throws {
        let t = TempDir()
        let pool = try DatabasePool(path: t.file("a.db"))
        try pool.write { try $0.execute("CREATE TABLE t(k INTEGER)") }
        let group = DispatchGroup()
        let failures = Locked<Int>(0)
        for i in 0..<8 {
            group.enter()
            Thread.detachNewThread {
                defer { group.leave() }
                do { try pool.write { db in for j in 0..<25 { try db.run("INSERT INTO t VALUES (?)", [.int(Int64(i * 100 + j))]) } } }
                catch { failures.set(failures.get() + 1) }
            }
        }
        group.wait()
        #expect(failures.get() == 0)
        #expect(try pool.read { try $0.scalarInt("SELECT count(*) FROM t") } == 200)
    }

    @Test func aWorkspaceHandsOutAMigratedPool() throws {
        let t = TempDir()
        let (ws, _) = try Workspace.initialize(at: t.path)
        let pool = try ws.pool(maximumReaders: 2)
        let n = try pool.read { try Migrator.currentVersion($0) }
        #expect(n == Schema.migrations.map(\.version).max())
        // readers may not write
        #expect(throws: (any Error).self) { try pool.read { try $0.run("DELETE FROM settings") } }
    }
}
