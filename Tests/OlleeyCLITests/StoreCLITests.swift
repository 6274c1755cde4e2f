import Foundation
import Testing
import OlleeyKit
import OlleeyTestSupport

/// `olleey init --store/--storage` and `olleey store migrate`: what is refused before anything
/// is written. (Moving a store and working on it: PostgresStoreTests, PostgresWorkerTests.)
@Suite("CLI: the store's location")
struct StoreCLITests {
    @Test("init refuses a store that is not PostgreSQL and a storage that is neither file:/// nor s3://, writing nothing; store migrate needs --to and a PostgreSQL URL")
    func badLocations() throws {
        let t = TempDir()
        let a = olleey(["init", "--store", "mysql://u:secret@h/db"], cwd: t.path)
        #expect(a.exit == 65 && a.stderr.contains("not a PostgreSQL URL") && !a.stderr.contains("secret"), "\(a.stderr)")
        let b = olleey(["init", "--storage", "ftp://bucket/prefix"], cwd: t.path)
        #expect(b.exit == 65 && b.stderr.contains("file://") && b.stderr.contains("s3://"), "\(b.stderr)")
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

    @Test("an s3:// storage: init keeps it (nothing contacted), config reads it and sets the endpoint in store.json, storage.url is chosen there while there are no jobs, never unset; storage migrate refuses bad --to, and an unreachable store leaves the workspace as it was")
    func objectStorage() throws {
        let t = TempDir()
        let r = olleey(["init", "--storage", "s3://olleey-media/team", "--json"], cwd: t.path, env: ["OLLEEY_SCRATCH_DIR": t.path + "/scratch"])
        #expect(r.exit == 0, "\(r.stderr)")
        let g = olleey(["config", "get", "storage.url"], cwd: t.path)
        #expect(g.exit == 0 && g.stdout == "s3://olleey-media/team\n", "\(g.stdout)\(g.stderr)")
        let set = olleey(["config", "set", "storage.s3.endpoint", "http://127.0.0.1:9000", "--json"], cwd: t.path)
        #expect(set.exit == 0, "\(set.stderr)")
        #expect(StoreLocation.read(t.path + "/.olleey/store.json").settings["storage.s3.endpoint"] == "http://127.0.0.1:9000")
        let perms = try FileManager.default.attributesOfItem(atPath: t.path + "/.olleey/store.json")[.posixPermissions] as? Int
        #expect(perms == 0o600)
        let secret = olleey(["config", "set", "storage.s3.secret_access_key", "s3cr3t-value"], cwd: t.path)
        #expect(secret.exit == 0 && !secret.stdout.contains("s3cr3t-value"), "\(secret.stdout)")
        // no jobs yet: the storage can still be chosen here; never unset
        let other = olleey(["config", "set", "storage.url", "s3://olleey-media/other"], cwd: t.path)
        #expect(other.exit == 0, "\(other.stderr)")
        #expect(StoreLocation.read(t.path + "/.olleey/store.json").storage == "s3://olleey-media/other")
        let un = olleey(["config", "unset", "storage.url"], cwd: t.path)
        #expect(un.exit == 64 && un.stderr.contains("storage migrate"), "\(un.stderr)")
        let bad = olleey(["config", "set", "store.url", "mysql://u:secret@h/db"], cwd: t.path)
        #expect(bad.exit == 65 && !bad.stderr.contains("secret"), "\(bad.stderr)")
        let again = olleey(["storage", "migrate", "--to", "s3://olleey-media/other"], cwd: t.path)
        #expect(again.exit == 64 && again.stderr.contains("already"), "\(again.stderr)")

        let plain = TempDir()
        #expect(olleey(["init"], cwd: plain.path).exit == 0)
        let none = olleey(["storage", "migrate"], cwd: plain.path)
        #expect(none.exit == 64 && none.stderr.contains("--to"), "\(none.stderr)")
        let disk = olleey(["storage", "migrate", "--to", "file:///tmp/x"], cwd: plain.path)
        #expect(disk.exit == 64 && disk.stderr.contains("s3://"), "\(disk.stderr)")
        #expect(olleey(["config", "set", "storage.s3.endpoint", "http://127.0.0.1:1"], cwd: plain.path).exit == 0)
        try "x".write(toFile: plain.path + "/.olleey/media/a.mp4", atomically: true, encoding: .utf8)
        let down = olleey(["storage", "migrate", "--to", "s3://olleey-media/p"], cwd: plain.path, env: ["AWS_ACCESS_KEY_ID": "k", "AWS_SECRET_ACCESS_KEY": "s"])
        #expect(down.exit == 69, "\(down.exit) \(down.stderr)")
        #expect(StoreLocation.read(plain.path + "/.olleey/store.json").storage == nil, "the workspace stays on its disk")
        let nokeys = olleey(["storage", "migrate", "--to", "s3://olleey-media/p"], cwd: plain.path, env: ["AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": ""])
        #expect(nokeys.exit == 78 && nokeys.stderr.contains("AWS_ACCESS_KEY_ID"), "\(nokeys.exit) \(nokeys.stderr)")
    }

}
