import Foundation

/// Content-addressed stage artefacts under `.olleey/cache/`: a key is the SHA-256 of everything
/// that determines the artefact (stage, engine and version, settings, input hashes). An entry
/// is written to a temporary file and renamed into place, so a crash never leaves half an entry.
public final class StageCache: @unchecked Sendable {
    public let root: String
    private let lock = NSLock()
    private var hits = 0
    private var misses = 0
    /// The entries asked for since `takeUsed` (relative paths): what the running stage uses.
    private var used: Set<String> = []

    public init(root: String) { self.root = root }

    /// The entries asked for (produced or reused) since the last call, that exist, as paths
    /// relative to the cache root (`dub/ab/abcd....wav`): the stage runner records them as the
    /// job's references (`CacheRefStore`), which `cache prune` keeps.
    public func takeUsed() -> [String] {
        lock.lock(); let u = used; used = []; lock.unlock()
        return u.sorted().filter { FileManager.default.fileExists(atPath: root + "/" + $0) }
    }

    public static func key(_ parts: [String]) -> String {
        var h = SHA256Hasher()
        for p in parts { h.update(p); h.update([0]) }
        return h.finalizeHex()
    }

    public func path(_ stage: String, _ key: String, _ ext: String) -> String {
        let rel = stage + "/" + String(key.prefix(2)) + "/" + key + "." + ext
        lock.lock(); used.insert(rel); lock.unlock()
        return root + "/" + rel
    }

    public func has(_ stage: String, _ key: String, _ ext: String) -> Bool {
        FileManager.default.fileExists(atPath: path(stage, key, ext))
    }

    /// The entry's path, producing it with `make(tmpPath)` when missing. `make` must write the
    /// file at the path it is given.
    public func produce(_ stage: String, _ key: String, _ ext: String, _ make: (String) throws -> Void) throws -> (path: String, cached: Bool) {
        let final = path(stage, key, ext)
        if FileManager.default.fileExists(atPath: final) {
            count(hit: true)
            StageCache.touch(final)
            return (final, true)
        }
        count(hit: false)
        let dir = (final as NSString).deletingLastPathComponent
        try FileIO.createDirectory(dir)
        let tmp = dir + "/.tmp-\(getpid())-\(UInt64.random(in: 0...UInt64.max)).\(ext)"
        defer { unlink(tmp) }
        try make(tmp)
        guard FileManager.default.fileExists(atPath: tmp) else {
            throw OlleeyError.failure("stage \(stage) produced no output")
        }
        try StageCache.publishFirst(tmp, at: final)
        return (final, false)
    }

    /// Puts a finished temporary file in place as the entry `final` unless another writer (a
    /// worker on another machine, on a shared storage path) put one there first: the first
    /// writer wins and a finished entry is never overwritten (an MP4 updated in place, or an http
    /// engine's answer, need not be byte-identical on a re-run). link(2) refuses an existing
    /// name atomically; where the file system has no hard links, rename(2) after a check.
    static func publishFirst(_ tmp: String, at final: String) throws {
        if link(tmp, final) == 0 { return }
        let e = errno
        if e == EEXIST { return }
        guard e == EPERM || e == ENOTSUP || e == EOPNOTSUPP || e == EXDEV || e == EMLINK else { throw FileIO.createError(final, e) }
        if FileManager.default.fileExists(atPath: final) { return }
        guard rename(tmp, final) == 0 else { throw FileIO.createError(final, errno) }
    }

    /// Marks a reused entry as just used (its modification time), so `cache prune` leaves it to
    /// the run that reuses it before that run records its references.
    static func touch(_ path: String) { _ = utimes(path, nil) }

    /// Text entries (JSON, VTT).
    public func text(_ stage: String, _ key: String, _ ext: String, _ make: () throws -> String) throws -> String {
        let p = try produce(stage, key, ext) { tmp in try FileIO.writeAtomically(try make(), to: tmp) }
        return try FileIO.readText(p.path)
    }

    /// Places a cache entry of `stage` at the output path `dest` (as `placeOutput`), then deletes
    /// the entry of that stage the replaced output was a link of, when nothing else links to it.
    /// For MP4s: each is the size of the video, and a superseded one is rebuilt from cached audio
    /// in about a second if it is asked for again, so keeping every render would cost the video's
    /// size per edit.
    public func placeReplacing(_ source: String, at dest: String, stage: String) throws {
        var old = stat(), new = stat()
        let hadOld = stat(dest, &old) == 0 && stat(source, &new) == 0 && (old.st_dev != new.st_dev || old.st_ino != new.st_ino)
        let superseded = hadOld ? soleEntry(linkedAt: dest, stage: stage) : nil
        try placeOutput(source, at: dest)
        if let superseded {
            var st = stat()
            if stat(superseded, &st) == 0, st.st_ino == old.st_ino, st.st_nlink == 1 {
                unlink(superseded)
                unlink(superseded + ".tracks")  // what an MP4 entry was made from (JobPipeline.deliverable)
            }
        }
    }

    /// The entry of `stage` that the output `dest` is a hard link of, when that output is its
    /// only other link (nil otherwise). On the way, it sweeps the stage's directories of what
    /// killed processes left (a killed in-place update leaves a `.patch-` file that the output
    /// may still link: the next render replaces the output, and then nothing else would).
    func soleEntry(linkedAt dest: String, stage: String) -> String? {
        let dir = root + "/" + stage
        guard let shards = try? FileManager.default.contentsOfDirectory(atPath: dir) else { return nil }
        var old = stat()
        let linked = stat(dest, &old) == 0 && old.st_nlink == 2
        var found: String?
        for shard in shards {
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir + "/" + shard) else { continue }
            StageCache.sweep(dir + "/" + shard, names)
            guard linked, found == nil else { continue }
            for n in names where !n.hasPrefix(".") {
                let p = dir + "/" + shard + "/" + n
                var st = stat()
                if stat(p, &st) == 0, st.st_dev == old.st_dev, st.st_ino == old.st_ino { found = p; break }
            }
        }
        return found
    }

    /// `produce` for entries that an output path links (MP4s the size of the video): when the
    /// entry is missing and `dest` links a superseded entry of this stage that nothing else
    /// links, `update(file, oldEntry)` may turn that file (the old entry, moved to a temporary
    /// name) into the new entry in place (returning true), or leave it untouched (false). The old entry is renamed away first, so a kill during
    /// the update never leaves a wrong entry under either key. Otherwise, or when `update`
    /// throws, `make` writes a new entry.
    public func produce(_ stage: String, _ key: String, _ ext: String, updating dest: String,
                        update: (_ file: String, _ oldEntry: String) throws -> Bool, make: (String) throws -> Void) throws -> (path: String, cached: Bool) {
        let final = path(stage, key, ext)
        if FileManager.default.fileExists(atPath: final) {
            count(hit: true)
            StageCache.touch(final)
            return (final, true)
        }
        let dir = (final as NSString).deletingLastPathComponent
        try FileIO.createDirectory(dir)
        if let old = soleEntry(linkedAt: dest, stage: stage) {
            let work = dir + "/.patch-\(getpid())-\(UInt64.random(in: 0...UInt64.max)).\(ext)"
            if rename(old, work) == 0 {
                var done = false
                do { done = try update(work, old) } catch { unlink(work) }  // old, new or half-appended: not an entry any more
                if done {
                    guard rename(work, final) == 0 else { let e = errno; unlink(work); throw FileIO.createError(final, e) }
                    count(hit: false)
                    return (final, false)
                }
                if rename(work, old) != 0 { unlink(work) }
            }
        }
        return try produce(stage, key, ext, make)
    }

    /// Removes what killed processes left in a cache directory: temporary entries
    /// (`.tmp-PID-...`, `..tmp-PID-...partial-...`, `.patch-PID-...`) of processes that no
    /// longer exist.
    static func sweep(_ dir: String, _ names: [String]) {
        for n in names where n.hasPrefix(".") {
            var rest = Substring(n.drop { $0 == "." })
            for prefix in ["tmp-", "patch-"] where rest.hasPrefix(prefix) { rest = rest.dropFirst(prefix.count) }
            guard let pid = Int32(rest.prefix { $0.isNumber }), pid > 0, pid != getpid() else { continue }
            if kill(pid, 0) != 0 && errno == ESRCH { unlink(dir + "/" + n) }
        }
    }

    /// Removes, under `dir` (recursively), the temporary files and directories of process `pid`
    /// (`.tmp-PID-...`, `.patch-PID-...`, `.seg-PID-...`, `.joined-PID-...`, `.NAME.partial-PID-...`,
    /// `NAME.tmp-PID`, ...): every temporary name olleey makes carries its process id. For a run
    /// that was stopped, once its workers have returned. Returns how many were removed.
    @discardableResult
    public static func removeTemporaries(under dir: String, pid: Int32) -> Int {
        let mark = "-\(pid)"
        var removed = 0
        func isOurs(_ name: String) -> Bool {
            guard name.hasPrefix(".") || name.contains(".tmp-") else { return false }
            var rest = Substring(name)
            while let r = rest.range(of: mark) {
                let after = rest[r.upperBound...]
                if after.isEmpty || after.first == "-" || after.first == "." { return true }
                rest = after
            }
            return false
        }
        func walk(_ d: String) {
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: d) else { return }
            for n in names {
                let p = d + "/" + n
                if isOurs(n) {
                    if (try? FileManager.default.removeItem(atPath: p)) != nil { removed += 1 }
                } else if Paths.isDirectory(p) {
                    walk(p)
                }
            }
        }
        walk(dir)
        return removed
    }

    func count(hit: Bool) { lock.lock(); if hit { hits += 1 } else { misses += 1 }; lock.unlock() }

    public var stats: (hits: Int, misses: Int) { lock.lock(); defer { lock.unlock() }; return (hits, misses) }
}

/// Puts a file at an output path: a hard link when possible, else a copy; atomically replacing
/// what was there.
public func placeOutput(_ source: String, at dest: String) throws {
    try FileIO.createDirectory((dest as NSString).deletingLastPathComponent)
    // already in place (a hard link to the same file): nothing to do. rename(2) of two links to
    // one file succeeds without doing anything, which would leave the temporary link behind.
    var a = stat(), b = stat()
    if stat(source, &a) == 0, stat(dest, &b) == 0, a.st_dev == b.st_dev, a.st_ino == b.st_ino { return }
    let tmp = dest + ".tmp-\(getpid())"
    unlink(tmp)
    if link(source, tmp) != 0 {
        let e = errno
        // a read-only output directory: say so (a copy would fail the same way, in Foundation's words)
        if e == EACCES || e == EROFS { throw FileIO.createError(dest, e) }
        do { try FileManager.default.copyItem(atPath: source, toPath: tmp) } catch {
            throw OlleeyError.cannotCreate("cannot write \(dest): \(error.localizedDescription)")
        }
    }
    guard rename(tmp, dest) == 0 else { let e = errno; unlink(tmp); throw FileIO.createError(dest, e) }
    unlink(tmp)  // gone after a real rename; still there if dest became a link to the same file meanwhile
}
