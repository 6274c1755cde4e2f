import Foundation

/// File reading and atomic writing with errors users can act on.
public enum FileIO {
    /// Reads a whole file (or standard input for "-").
    public static func read(_ path: String) throws -> [UInt8] {
        if path == "-" { return readAll(fd: 0) }
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else {
            let e = errno
            if e == ENOENT { throw OlleeyError.notFound("no such file: \(path)") }
            if e == EACCES { throw OlleeyError.permission("cannot read \(path): permission denied") }
            throw OlleeyError.notFound("cannot read \(path): \(String(cString: strerror(e)))")
        }
        defer { close(fd) }
        var st = stat()
        if fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR {
            throw OlleeyError.invalid("\(path) is a directory, not a file")
        }
        return readAll(fd: fd)
    }

    static func readAll(fd: Int32) -> [UInt8] {
        var st = stat()
        if fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG, st.st_size > 0, st.st_size < Int.max / 2 {
            // A regular file of known size: read straight into the array (no staging buffer, no
            // second copy). One spare byte tells whether the file grew while it was read.
            let size = Int(st.st_size)
            var complete = true
            var out = [UInt8](unsafeUninitializedCapacity: size + 1) { buf, initialized in
                initialized = 0
                guard let base = buf.baseAddress else { return }
                adviseHugePages(UnsafeMutableRawPointer(base), size + 1)
                var off = 0
                while off < size + 1 {
                    let n = Foundation.read(fd, base + off, size + 1 - off)
                    if n < 0 { if errno == EINTR { continue }; break }
                    if n == 0 { break }
                    off += n
                }
                initialized = off
                complete = off <= size
            }
            if !complete { appendRest(fd: fd, to: &out) }
            return out
        }
        var out: [UInt8] = []
        #if os(Linux)
        if (st.st_mode & S_IFMT) == S_IFIFO {
            // a larger pipe buffer: the writer blocks less often, and each read returns more
            _ = fcntl(fd, 1031, Int32(1 << 20)) // F_SETPIPE_SZ
            out.reserveCapacity(1 << 22)
        }
        #endif
        appendRest(fd: fd, to: &out)
        return out
    }

    /// Asks for transparent huge pages on the 2 MiB-aligned interior of a large fresh buffer (when
    /// the system's policy is "madvise"): a multi-megabyte read then takes one page fault per 2 MiB
    /// instead of one per 4 KiB. Only a hint; nothing depends on it.
    static func adviseHugePages(_ p: UnsafeMutableRawPointer, _ count: Int) {
        #if os(Linux)
        let huge = 2 << 20
        guard count >= 2 * huge else { return }
        let start = (Int(bitPattern: p) + huge - 1) & ~(huge - 1)
        let end = (Int(bitPattern: p) + count) & ~(huge - 1)
        guard end > start, let aligned = UnsafeMutableRawPointer(bitPattern: start) else { return }
        _ = madvise(aligned, end - start, 14) // MADV_HUGEPAGE
        #endif
    }

    /// Reads what is left of `fd` (a pipe, a growing file) onto `out`.
    static func appendRest(fd: Int32, to out: inout [UInt8]) {
        var buf = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = buf.withUnsafeMutableBytes { Foundation.read(fd, $0.baseAddress, $0.count) }
            if n < 0 { if errno == EINTR { continue }; break }
            if n == 0 { break }
            out.append(contentsOf: buf[0..<n])
        }
    }

    public static func readText(_ path: String) throws -> String {
        String(decoding: try read(path), as: UTF8.self)
    }

    /// Writes atomically: a temporary file in the same directory, fsync, then rename over `path`.
    /// A failure (full disk, permissions) leaves any previous file untouched.
    public static func writeAtomically(_ bytes: [UInt8], to path: String) throws {
        try bytes.withUnsafeBytes { try writeAtomically(raw: $0, to: path) }
    }

    /// Writes a scratch file (an input for a subprocess, deleted right after): no temporary
    /// name and no fsync, since nothing keeps it. A full disk is still a clear error (73).
    public static func writeScratch(_ bytes: [UInt8], to path: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw createError(path, errno) }
        defer { close(fd) }
        try bytes.withUnsafeBytes { raw in
            var off = 0
            while off < raw.count {
                let n = Foundation.write(fd, raw.baseAddress! + off, raw.count - off)
                if n < 0 { if errno == EINTR { continue }; let e = errno; unlink(path); throw createError(path, e) }
                off += n
            }
        }
    }

    public static func writeAtomically(_ text: String, to path: String) throws {
        var t = text
        try t.withUTF8 { try writeAtomically(raw: UnsafeRawBufferPointer($0), to: path) }
    }

    static func writeAtomically(raw: UnsafeRawBufferPointer, to path: String) throws {
        try writeAtomically(path) { write in write(raw) }
    }

    /// Writes atomically, streaming: `body` gets a `write` function to call with each chunk (in
    /// order), which goes to a temporary file in the same directory; after `body` returns, the file
    /// is fsynced and renamed over `path`. When a write fails (full disk), later writes are
    /// ignored, the temporary file is removed, and the error (73) is thrown; an error thrown by
    /// `body` also removes the temporary file and leaves any previous file untouched.
    public static func writeAtomically(_ path: String, _ body: (_ write: (UnsafeRawBufferPointer) -> Void) throws -> Void) throws {
        let dir = Paths.parent(path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path)
        var template = Array((dir + "/.olleey-tmp-\(getpid())-XXXXXX").utf8CString)
        let (fd, tmp) = template.withUnsafeMutableBufferPointer { buf -> (Int32, String) in
            guard let base = buf.baseAddress else { return (-1, "") }
            let fd = mkstemp(base)
            return (fd, String(cString: base))
        }
        guard fd >= 0 else { throw createError(path, errno) }
        var ok = false
        var open = true
        defer {
            if open { close(fd) }
            if !ok { unlink(tmp) }
        }
        var failure: Int32 = 0
        var written: Int64 = 0
        var flushed: Int64 = 0
        try body { raw in
            guard failure == 0, let base = raw.baseAddress else { return }
            var off = 0
            while off < raw.count {
                let n = Foundation.write(fd, base + off, raw.count - off)
                if n < 0 { if errno == EINTR { continue }; failure = errno; return }
                off += n
            }
            written += Int64(raw.count)
            if written - flushed >= writebackKick {
                startWriteback(fd, from: flushed, count: written - flushed)
                flushed = written
            }
        }
        if failure != 0 { throw createError(path, failure) }
        if fsync(fd) != 0 { throw createError(path, errno) }
        fchmod(fd, 0o644)
        open = false
        if close(fd) != 0 { throw createError(path, errno) }
        guard rename(tmp, path) == 0 else { throw createError(path, errno) }
        ok = true
    }

    /// Every this many bytes, a streaming atomic write asks the kernel to start writing back what
    /// it has so far, so the disk works while the rest is produced and the final fsync is short.
    static let writebackKick: Int64 = 4 << 20

    typealias SyncFileRange = @Sendable @convention(c) (Int32, Int64, Int64, UInt32) -> Int32

    /// Linux `sync_file_range(2)` (not exported by the Glibc module), looked up once.
    static let syncFileRange: SyncFileRange? = {
        #if os(Linux)
        guard let sym = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "sync_file_range") else { return nil }
        return unsafeBitCast(sym, to: SyncFileRange.self)
        #else
        return nil
        #endif
    }()

    /// Starts asynchronous writeback of a range (SYNC_FILE_RANGE_WRITE): a hint, errors ignored
    /// (the fsync before the rename is what guarantees durability).
    static func startWriteback(_ fd: Int32, from offset: Int64, count: Int64) {
        guard let f = syncFileRange else { return }
        _ = f(fd, offset, count, 2)
    }

    public static func createError(_ path: String, _ e: Int32) -> OlleeyError {
        if e == ENOSPC || e == EDQUOT { return .cannotCreate("no space left on device: cannot write \(path)") }
        if e == EACCES || e == EPERM || e == EROFS { return readOnlyError(path, e) }
        return .cannotCreate("cannot write \(path): \(String(cString: strerror(e)))")
    }

    /// A path olleey must write is read-only (permissions, or a read-only file system).
    public static func readOnlyError(_ path: String, _ e: Int32 = EACCES) -> OlleeyError {
        let why = e == EROFS ? "it is on a read-only file system" : "it is read-only for this user"
        return .cannotCreate("cannot write \(path): \(why)",
                             hint: "make it writable (chmod -R u+w), or work on a writable copy; reading commands (job list, job show, job outputs, vtt show) work on a read-only workspace")
    }

    /// Creates a directory and its missing parents (mkdir -p); errors name the directory and why.
    public static func createDirectory(_ path: String) throws {
        if Paths.isDirectory(path) { return }
        let parent = Paths.parent(path)
        if parent != path && !parent.isEmpty && parent != "/" { try createDirectory(parent) }
        if mkdir(path, 0o755) != 0 {
            let e = errno
            if e == EEXIST && Paths.isDirectory(path) { return }
            if e == ENOSPC || e == EDQUOT || e == EACCES || e == EPERM || e == EROFS { throw createError(path, e) }
            throw OlleeyError.cannotCreate("cannot create directory \(path): \(String(cString: strerror(e)))")
        }
    }
}
