import Foundation

/// Cache housekeeping (`olleey cache du|prune`): what `.olleey/cache/` holds, by kind (the
/// stage that made an entry: `speak`, `fit`, `dubtrack`, `mix`, `assemble`, ...) and by job
/// (the entries each job's current version uses, `CacheRefStore`), and removing what no job
/// references.
///
/// Stage entries are the files `KIND/SHARD/KEY.EXT` (with an MP4 entry's `.tracks` beside it,
/// which goes with it); the other directories (`probe`, `calibration`: small metadata caches)
/// are counted but never pruned.
public struct CacheService {
    public let db: Database
    public let root: String
    public let actor: Actor

    public init(db: Database, workspace: Workspace, actor: Actor) {
        self.db = db; self.root = workspace.cacheDir; self.actor = actor
    }

    /// Kinds that are not stage entries: counted by `du`, never pruned.
    public static let metadataKinds: Set<String> = ["probe", "calibration"]

    public struct Entry: Sendable {
        public var path: String   // relative to the cache root
        public var kind: String
        public var bytes: Int64
        public var modifiedMs: Int64
    }

    public struct Usage: Sendable {
        public var totalBytes: Int64 = 0
        public var entries = 0
        public var byKind: [(kind: String, bytes: Int64, entries: Int)] = []
        /// `job`: the printed id; `id`: the whole one.
        public var byJob: [(job: String, id: String, bytes: Int64, entries: Int)] = []
        public var unreferencedBytes: Int64 = 0
        public var unreferencedEntries = 0

        public var json: JSON {
            .object([("total_bytes", .int(totalBytes)), ("entries", .int(Int64(entries))),
                     ("by_kind", .array(byKind.map { .object([("kind", .string($0.kind)), ("bytes", .int($0.bytes)), ("entries", .int(Int64($0.entries)))]) })),
                     ("by_job", .array(byJob.map { .object([("job", .string($0.job)), ("id", .string($0.id)), ("bytes", .int($0.bytes)), ("entries", .int(Int64($0.entries)))]) })),
                     ("unreferenced_bytes", .int(unreferencedBytes)), ("unreferenced_entries", .int(Int64(unreferencedEntries)))])
        }
    }

    public struct PruneResult: Sendable {
        public var dryRun: Bool
        public var removed: [Entry] = []
        public var bytes: Int64 { removed.reduce(0) { $0 + $1.bytes } }
        /// Unreferenced entries kept because a live run may be using them.
        public var keptLive = 0
        /// Unreferenced entries kept because they are newer than `--older-than`.
        public var keptRecent = 0

        public var json: JSON {
            .object([("dry_run", .bool(dryRun)), ("removed_entries", .int(Int64(removed.count))), ("removed_bytes", .int(bytes)),
                     ("kept_live", .int(Int64(keptLive))), ("kept_recent", .int(Int64(keptRecent))),
                     ("removed", .array(removed.map { .object([("path", .string($0.path)), ("kind", .string($0.kind)), ("bytes", .int($0.bytes))]) }))])
        }
    }

    /// Every file under the cache root (temporary files of running processes excluded).
    func scan() -> [Entry] {
        var out: [Entry] = []
        guard let kinds = try? FileManager.default.contentsOfDirectory(atPath: root) else { return [] }
        for kind in kinds.sorted() where !kind.hasPrefix(".") {
            guard let e = FileManager.default.enumerator(atPath: root + "/" + kind) else { continue }
            while let rel = e.nextObject() as? String {
                let name = (rel as NSString).lastPathComponent
                if name.hasPrefix(".") || name.contains(".tmp-") { continue }
                var st = stat()
                let p = root + "/" + kind + "/" + rel
                guard lstat(p, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { continue }
                out.append(Entry(path: kind + "/" + rel, kind: kind, bytes: Int64(st.st_size),
                                 modifiedMs: Int64(st.st_mtim.tv_sec) * 1000 + Int64(st.st_mtim.tv_nsec) / 1_000_000))
            }
        }
        return out
    }

    /// The entry a file belongs to (an MP4's `.tracks` goes with the MP4).
    static func owner(_ path: String) -> String { path.hasSuffix(".tracks") ? String(path.dropLast(".tracks".count)) : path }

    /// Sizes by kind, and by job of the actor's organisation (an entry two jobs share counts for each).
    public func usage() throws -> Usage {
        let entries = scan()
        let refs = try CacheRefStore(db).references()
        let printed = JobStore(db, org: actor.org)
        var u = Usage()
        var kinds: [String: (Int64, Int)] = [:]
        var jobs: [String: (Int64, Int)] = [:]
        for e in entries {
            u.totalBytes += e.bytes; u.entries += 1
            kinds[e.kind, default: (0, 0)].0 += e.bytes; kinds[e.kind, default: (0, 0)].1 += 1
            let users = refs[CacheService.owner(e.path)] ?? []
            if users.isEmpty && !CacheService.metadataKinds.contains(e.kind) { u.unreferencedBytes += e.bytes; u.unreferencedEntries += 1 }
            for j in users where j.org == actor.org { jobs[j.job, default: (0, 0)].0 += e.bytes; jobs[j.job, default: (0, 0)].1 += 1 }
        }
        u.byKind = kinds.map { ($0.key, $0.value.0, $0.value.1) }.sorted { $0.bytes > $1.bytes || ($0.bytes == $1.bytes && $0.kind < $1.kind) }
        u.byJob = jobs.map { (printed.printedId($0.key), $0.key, $0.value.0, $0.value.1) }.sorted { $0.bytes > $1.bytes || ($0.bytes == $1.bytes && $0.job < $1.job) }
        return u
    }

    /// Removes the stage entries no job references, last modified before `olderThanMs` ago
    /// (every unreferenced one when nil). While a run holds a live lease, an entry modified since
    /// its running stage started is kept (a stage records its references when it ends; a reused
    /// entry is touched when reused), and each entry is checked again just before it goes.
    public func prune(olderThanMs: Int64?, dryRun: Bool, nowMs: Int64 = Clock.nowMillis()) throws -> PruneResult {
        let refs = try CacheRefStore(db).references()
        var result = PruneResult(dryRun: dryRun)
        for e in scan() where !CacheService.metadataKinds.contains(e.kind) && refs[CacheService.owner(e.path)] == nil {
            if let age = olderThanMs, nowMs - e.modifiedMs < age { result.keptRecent += 1; continue }
            // asked per entry: a run that starts meanwhile protects what it uses from then on
            if let live = try CacheRefStore(db).liveSince(nowMs: Clock.nowMillis()), e.modifiedMs >= live - 60_000 { result.keptLive += 1; continue }
            if !dryRun {
                guard try CacheRefStore(db).references(entry: CacheService.owner(e.path)) == 0, isUnchanged(e) else { result.keptLive += 1; continue }
                if unlink(root + "/" + e.path) != 0 && errno != ENOENT { throw FileIO.createError(root + "/" + e.path, errno) }
            }
            result.removed.append(e)
        }
        return result
    }

    /// The entry was not reused (touched) since it was scanned.
    func isUnchanged(_ e: Entry) -> Bool {
        var st = stat()
        guard lstat(root + "/" + e.path, &st) == 0 else { return true }
        return Int64(st.st_mtim.tv_sec) * 1000 + Int64(st.st_mtim.tv_nsec) / 1_000_000 == e.modifiedMs
    }
}
