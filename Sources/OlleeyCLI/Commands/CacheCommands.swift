import OlleeyKit

/// olleey cache du|prune: what the stage cache (`.olleey/cache/`) holds, and removing what no
/// job uses.
enum CacheCommands {
    static func service(_ ctx: Context) throws -> CacheService {
        CacheService(db: try ctx.database(), workspace: try ctx.workspace(), actor: try ReviewOptions.actor(ctx))
    }

    static let du: CommandSpec = CommandSpec(
        "du", "show the cache's size by kind (stage) and by job",
        discussion: "Counts every file under .olleey/cache/: by kind (the stage that made it: speak, fit, dubtrack, mix, assemble, master, ...; probe and calibration are small metadata caches), and by job of the acting organisation (the entries each job's current version uses; an entry two jobs share counts for each). 'unreferenced' is what 'olleey cache prune' would remove. Sizes in bytes with --json.",
        examples: ["olleey cache du", "olleey cache du --json | jq .by_kind"],
        options: [ReviewOptions.asUser]
    ) { ctx in
        let u = try service(ctx).usage()
        try ctx.emit(u.json) {
            var lines = ["total        \(col(size(u.totalBytes)))\(u.entries) files", "unreferenced \(col(size(u.unreferencedBytes)))\(u.unreferencedEntries) files", "by kind:"]
            lines += u.byKind.map { "  \($0.kind.padding(toLength: 12, withPad: " ", startingAt: 0)) \(col(size($0.bytes)))\($0.entries) files" }
            if !u.byJob.isEmpty { lines.append("by job:") }
            lines += u.byJob.map { "  \($0.job.padding(toLength: 12, withPad: " ", startingAt: 0)) \(col(size($0.bytes)))\($0.entries) files" }
            return lines.joined(separator: "\n")
        }
        return 0
    }

    static let prune: CommandSpec = CommandSpec(
        "prune", "remove cache entries no job version uses",
        discussion: "Removes the stage entries that no job's current version references (a superseded render after an edit, a deleted job's entries, entries made before olleey recorded references). Safe while 'olleey job run' works: an entry a run with a live lease may be using (modified since its running stage started) is kept. --older-than keeps what was used more recently than that (e.g. 7d, 12h, 30m). --dry-run lists what would go and removes nothing. Removed entries are made again when a job needs them.",
        examples: ["olleey cache prune --dry-run", "olleey cache prune --older-than 7d", "olleey cache prune --json | jq .removed_bytes"],
        options: [.flag("dry-run", "list what would be removed; remove nothing"),
                  .option("older-than", "DURATION", "only entries last used longer ago than this (7d, 12h, 30m, 90s)"),
                  ReviewOptions.asUser]
    ) { ctx in
        var age: Int64?
        if let raw = ctx.args.string("older-than") {
            guard let ms = olderThan(raw) else {
                throw OlleeyError.usage("--older-than: '\(raw)' is not a duration", hint: "a positive duration such as 7d, 12h, 30m or 90s")
            }
            age = ms
        }
        let r = try service(ctx).prune(olderThanMs: age, dryRun: ctx.args.has("dry-run"))
        try ctx.emit(r.json) {
            var s = r.dryRun ? "would remove \(r.removed.count) entries (\(size(r.bytes)))" : "removed \(r.removed.count) entries (\(size(r.bytes)))"
            if r.keptLive > 0 { s += "; kept \(r.keptLive) a running job may use" }
            if r.keptRecent > 0 { s += "; kept \(r.keptRecent) used more recently" }
            if r.dryRun { s = r.removed.map { $0.path }.joined(separator: "\n") + (r.removed.isEmpty ? "" : "\n") + s }
            return s
        }
        return 0
    }

    /// A positive duration: the command line's durations (`90s`, `30m`, `12h`, `1h30m`) or days (`7d`).
    static func olderThan(_ raw: String) -> Int64? {
        let t = raw.trimmingCharacters(in: .whitespaces)
        if t.hasSuffix("d"), let days = Double(t.dropLast()), days.isFinite, days >= 0, days < 1e6 { return Int64(days * 86_400_000) }
        guard let ms = Values.duration(t), ms >= 0 else { return nil }
        return ms
    }

    static func size(_ bytes: Int64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var v = Double(bytes), i = 0
        while v >= 1024 && i < units.count - 1 { v /= 1024; i += 1 }
        return i == 0 ? "\(bytes) B" : String(format: "%.1f %@", v, units[i])
    }

    static func col(_ s: String) -> String { s.padding(toLength: max(s.count + 2, 12), withPad: " ", startingAt: 0) }

    static let spec: CommandSpec = CommandSpec(
        "cache", "the stage cache: its size, and removing what no job uses",
        discussion: "Every stage's artefact is cached under .olleey/cache/ by a hash of its inputs, and each job records which entries its current version uses. 'du' shows the sizes; 'prune' removes what nothing references.",
        examples: ["olleey cache du", "olleey cache prune --dry-run"],
        subcommands: [du, prune])
}
