import Foundation
import OlleeyKit

/// olleey store migrate: moves a workspace's store from SQLite to PostgreSQL.
enum StoreCommands {
    static let migrate: CommandSpec = CommandSpec(
        "migrate", "move this workspace's store (its SQLite database) into PostgreSQL, verified",
        discussion: "Copies every table of .olleey/olleey.db into the PostgreSQL database named by --to (its schema made when it has none), table by table, then compares each table's row count and checksum on both sides. Only when all match does the workspace switch to the new store (.olleey/store.json); the SQLite file is left as it was. Interrupted (Ctrl-C, a lost connection), it can be run again: rows already copied are kept and the rest copied. A table that differs (rows that were in the target before) fails with 65 and the workspace stays on SQLite. Media stay where they are: give other machines the files with 'olleey init --store URL --storage file:///PATH' on a shared copy of .olleey/media, cache and outputs.",
        examples: ["olleey store migrate --to postgres://olleey@db.internal/olleey",
                   "olleey store migrate --to \"$OLLEEY_NEW_STORE\" --json | jq '.tables[] | select(.rows > 0)'"],
        options: [.option("to", "URL", "the PostgreSQL store: postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE")]
    ) { ctx in
        guard let url = ctx.args.string("to") else {
            throw OlleeyError.usage("--to URL is required", hint: "olleey store migrate --to postgres://USER@HOST/DATABASE")
        }
        try StoreLocation.checkStore(url)
        let ws = try ctx.workspace()
        guard !ws.usesPostgres else {
            throw OlleeyError.usage("this workspace's store is already PostgreSQL (\(ws.location.store.map { StoreLocation.redacted($0) } ?? ""))")
        }
        let db = try ws.open()
        let tables = try StoreMigration.copy(from: db, to: url) { ctx.note($0) }
        var l = ws.location
        l.store = url
        try l.write(ws.dir + "/" + Workspace.locationName)
        let rows = tables.reduce(0) { $0 + $1.rows }
        try ctx.emit(.object([
            ("store", .string(StoreLocation.redacted(url))), ("verified", .bool(true)), ("rows", .int(Int64(rows))),
            ("tables", .array(tables.map { .object([("name", .string($0.name)), ("rows", .int(Int64($0.rows))), ("copied", .int(Int64($0.copied))), ("sha256", .string($0.checksum))]) })),
        ])) {
            "Moved \(rows) rows in \(tables.count) tables to \(StoreLocation.redacted(url)); counts and checksums match. This workspace now uses that store (\(ws.dir)/\(Workspace.locationName))."
        }
        return 0
    }

    static let spec: CommandSpec = CommandSpec(
        "store", "the workspace's store: move it from SQLite to PostgreSQL",
        discussion: "A workspace's store is SQLite (.olleey/olleey.db) unless 'olleey init --store postgres://...' or 'olleey store migrate' put it in PostgreSQL, shared by many machines (README: running on many machines).",
        examples: ["olleey store migrate --to postgres://olleey@db.internal/olleey"],
        subcommands: [migrate])
}
