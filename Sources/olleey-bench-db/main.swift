// Benchmark of olleey's SQLite layer against the raw sqlite3 C API, in the same run.
// Workload (as in the foundation issue): insert 100,000 rows in one transaction, read them all
// into structs (olleey's side by column name, through RowDecodable), 10,000 primary-key lookups. Run through scripts/bench-db.
import CSQLite
import Foundation
import OlleeyKit

struct Item {
    var id: Int64
    var name: String
    var lang: String
    var duration: Double
    var note: String?
}

// olleey's side reads rows by column name, as the stores do
extension Item: RowDecodable {
    init(row: Row) throws {
        self.init(id: try row["id"], name: try row["name"], lang: try row["lang"], duration: try row["duration"], note: try row["note"])
    }
}

let rows = Int(CommandLine.arguments.dropFirst().first ?? "") ?? 100_000
let lookups = 10_000
let rounds = Int(CommandLine.arguments.dropFirst(2).first ?? "") ?? 5
let schema = "CREATE TABLE items(id INTEGER PRIMARY KEY, name TEXT NOT NULL, lang TEXT NOT NULL, duration REAL NOT NULL, note TEXT); CREATE INDEX items_lang ON items(lang);"
let langs = ["en", "es", "ca", "eo", "fr", "de"]

func now() -> UInt64 { Clock.monotonicNanos() }
func ms(_ a: UInt64, _ b: UInt64) -> Double { Double(b - a) / 1e6 }

func lookupKeys() -> [Int64] {
    var g = SystemRandomNumberGenerator()
    return (0..<lookups).map { _ in Int64.random(in: 1...Int64(rows), using: &g) }
}

func freshPath(_ tag: String) -> String {
    let p = NSTemporaryDirectory() + "olleey-bench-\(tag)-\(getpid()).db"
    for s in ["", "-wal", "-shm"] { unlink(p + s) }
    return p
}


// Each phase is its own function (never inlined) so that a profiler attributes it:
// `valgrind --tool=callgrind` then `callgrind_annotate --inclusive=yes` shows cRead against olleeyRead.
@inline(never)
func cRead(_ db: OpaquePointer?) -> [Item] {
    var sel: OpaquePointer?
    sqlite3_prepare_v2(db, "SELECT id, name, lang, duration, note FROM items", -1, &sel, nil)
    var items: [Item] = []
    while sqlite3_step(sel) == SQLITE_ROW {
        let name = String(cString: sqlite3_column_text(sel, 1))
        let lang = String(cString: sqlite3_column_text(sel, 2))
        let note: String? = sqlite3_column_type(sel, 4) == SQLITE_NULL ? nil : String(cString: sqlite3_column_text(sel, 4))
        items.append(Item(id: sqlite3_column_int64(sel, 0), name: name, lang: lang, duration: sqlite3_column_double(sel, 3), note: note))
    }
    sqlite3_finalize(sel)
    return items
}

@inline(never)
func cLookups(_ db: OpaquePointer?, _ keys: [Int64]) -> Int {
    var one: OpaquePointer?
    sqlite3_prepare_v2(db, "SELECT id, name, lang, duration, note FROM items WHERE id = ?", -1, &one, nil)
    var found = 0
    for k in keys {
        sqlite3_bind_int64(one, 1, k)
        if sqlite3_step(one) == SQLITE_ROW {
            let name = String(cString: sqlite3_column_text(one, 1))
            let lang = String(cString: sqlite3_column_text(one, 2))
            let note: String? = sqlite3_column_type(one, 4) == SQLITE_NULL ? nil : String(cString: sqlite3_column_text(one, 4))
            let it = Item(id: sqlite3_column_int64(one, 0), name: name, lang: lang, duration: sqlite3_column_double(one, 3), note: note)
            if it.id == k { found += 1 }
        }
        sqlite3_reset(one)
    }
    sqlite3_finalize(one)
    return found
}

@inline(never)
func olleeyRead(_ db: Database) throws -> [Item] {
    try db.fetchAll(Item.self, "SELECT id, name, lang, duration, note FROM items")
}

@inline(never)
func olleeyLookups(_ db: Database, _ keys: [Int64]) throws -> Int {
    var found = 0
    for k in keys {
        if let it = try db.fetchOne(Item.self, "SELECT id, name, lang, duration, note FROM items WHERE id = ?", [.int(k)]), it.id == k { found += 1 }
    }
    return found
}

// MARK: raw C API

func benchC(_ keys: [Int64]) -> (Double, Double, Double, Int) {
    let path = freshPath("c")
    var db: OpaquePointer?
    sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nil)
    sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;", nil, nil, nil)
    sqlite3_busy_timeout(db, 5000)
    sqlite3_exec(db, schema, nil, nil, nil)

    let t0 = now()
    sqlite3_exec(db, "BEGIN IMMEDIATE", nil, nil, nil)
    var ins: OpaquePointer?
    sqlite3_prepare_v2(db, "INSERT INTO items(id, name, lang, duration, note) VALUES (?, ?, ?, ?, ?)", -1, &ins, nil)
    for i in 1...rows {
        sqlite3_bind_int64(ins, 1, Int64(i))
        let name = "video-\(i).mp4"
        sqlite3_bind_text(ins, 2, name, -1, olleey_sqlite_transient())
        sqlite3_bind_text(ins, 3, langs[i % langs.count], -1, olleey_sqlite_transient())
        sqlite3_bind_double(ins, 4, Double(i) * 0.5)
        if i % 3 == 0 { sqlite3_bind_null(ins, 5) } else { sqlite3_bind_text(ins, 5, "note \(i)", -1, olleey_sqlite_transient()) }
        sqlite3_step(ins)
        sqlite3_reset(ins)
    }
    sqlite3_finalize(ins)
    sqlite3_exec(db, "COMMIT", nil, nil, nil)
    let t1 = now()
    let items = cRead(db)
    let t2 = now()
    let found = cLookups(db, keys)
    let t3 = now()
    sqlite3_close_v2(db)
    for s in ["", "-wal", "-shm"] { unlink(path + s) }
    precondition(items.count == rows && found == keys.count)
    return (ms(t0, t1), ms(t1, t2), ms(t2, t3), items.count)
}

// MARK: olleey's layer

func benchOlleey(_ keys: [Int64]) throws -> (Double, Double, Double, Int) {
    let path = freshPath("o")
    let db = try Database(path: path)
    try db.execute(schema)

    let t0 = now()
    try db.transaction {
        let ins = try db.cached("INSERT INTO items(id, name, lang, duration, note) VALUES (?, ?, ?, ?, ?)")
        for i in 1...rows {
            try ins.execute([.int(Int64(i)), .text("video-\(i).mp4"), .text(langs[i % langs.count]), .double(Double(i) * 0.5),
                             i % 3 == 0 ? .null : .text("note \(i)")])
        }
    }
    let t1 = now()
    let items = try olleeyRead(db)
    let t2 = now()
    let found = try olleeyLookups(db, keys)
    let t3 = now()
    for s in ["", "-wal", "-shm"] { unlink(path + s) }
    precondition(items.count == rows && found == keys.count)
    return (ms(t0, t1), ms(t1, t2), ms(t2, t3), items.count)
}

func median(_ xs: [Double]) -> Double { let s = xs.sorted(); return s[s.count / 2] }

var c: [[Double]] = [[], [], []]
var o: [[Double]] = [[], [], []]
let keys = lookupKeys()
for r in 0..<rounds {
    // alternate the order so neither side always runs on a warmer cache
    if r % 2 == 0 {
        let a = benchC(keys); let b = try benchOlleey(keys)
        c[0].append(a.0); c[1].append(a.1); c[2].append(a.2); o[0].append(b.0); o[1].append(b.1); o[2].append(b.2)
    } else {
        let b = try benchOlleey(keys); let a = benchC(keys)
        c[0].append(a.0); c[1].append(a.1); c[2].append(a.2); o[0].append(b.0); o[1].append(b.1); o[2].append(b.2)
    }
}
let names = ["insert \(rows) rows (1 transaction)", "read \(rows) rows into structs", "\(lookups) primary-key lookups"]
print("workload".padding(toLength: 38, withPad: " ", startingAt: 0) + "  C API ms   olleey ms   ratio")
var worst = 0.0
for i in 0..<3 {
    let cm = median(c[i]), om = median(o[i])
    worst = max(worst, om / cm)
    print(names[i].padding(toLength: 38, withPad: " ", startingAt: 0) + String(format: "  %8.1f   %9.1f   %5.2fx", cm, om, om / cm))
}
print(String(format: "median of %d rounds; worst ratio %.2fx (target <= 1.10x)", rounds, worst))
