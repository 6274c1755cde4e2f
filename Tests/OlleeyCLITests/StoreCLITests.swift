import Foundation
import Testing
import OlleeyKit
import OlleeyTestSupport

/// `olleey init --store/--storage` and `olleey store migrate`: what is refused before anything
/// is written. (Moving a store and working on it: PostgresStoreTests, PostgresWorkerTests.)
@Suite("CLI: the store's location")
struct StoreCLITests {
    @Test("init refuses a store that is not PostgreSQL and a storage that is not file:///, writing nothing; store migrate needs --to and a PostgreSQL URL")
    func badLocations() throws {
        let t = TempDir()
        let a = olleey(["init", "--store", "mysql://u:secret@h/db"], cwd: t.path)
        #expect(a.exit == 65 && a.stderr.contains("not a PostgreSQL URL") && !a.stderr.contains("secret"), "\(a.stderr)")
        let b = olleey(["init", "--storage", "s3://bucket/prefix"], cwd: t.path)
        #expect(b.exit == 65 && b.stderr.contains("file://"), "\(b.stderr)")
        let c = olleey(["init", "--storage", "file://relative/path"], cwd: t.path)
        #expect(c.exit == 65 && c.stderr.contains("absolute"), "\(c.stderr)")
        #expect(!FileManager.default.fileExists(atPath: t.path + "/.olleey/store.json"))
        #expect(olleey(["init", "--json"], cwd: t.path).exit == 0)
        let m = olleey(["store", "migrate"], cwd: t.path)
        #expect(m.exit == 64 && m.stderr.contains("--to"), "\(m.stderr)")
        let n = olleey(["store", "migrate", "--to", "sqlite:///x.db", "--json"], cwd: t.path)
        #expect(n.exit == 65, "\(n.stderr)")
        // a store that cannot be reached: 69, the URL named with its password hidden, and the workspace still on SQLite
        let u = olleey(["store", "migrate", "--to", "postgres://u:secret@127.0.0.1:1/none"], cwd: t.path)
        #expect(u.exit == 69 && u.stderr.contains("postgres://u:***@127.0.0.1:1/none") && !u.stderr.contains("secret"), "\(u.stderr)")
        #expect(!FileManager.default.fileExists(atPath: t.path + "/.olleey/store.json"))
        #expect(olleey(["config", "list", "--json"], cwd: t.path).exit == 0)
    }

    @Test("a storage path puts media, cache and outputs there (created by init) and is kept in store.json; a second init with another is refused")
    func storagePath() throws {
        let t = TempDir()
        let shared = t.path + "/shared"
        let r = olleey(["init", "--storage", "file://" + shared, "--json"], cwd: t.path + "/")
        #expect(r.exit == 0, "\(r.stderr)")
        #expect(try r.json()["storage"]?.stringValue == "file://" + shared)
        for d in ["media", "cache", "outputs"] { #expect(FileManager.default.fileExists(atPath: shared + "/" + d), "\(d)") }
        let again = olleey(["init", "--storage", "file://" + t.path + "/other"], cwd: t.path)
        #expect(again.exit == 1 && again.stderr.contains("already"), "\(again.stderr)")
        #expect(olleey(["init", "--storage", "file://" + shared], cwd: t.path).exit == 0)
    }
}
