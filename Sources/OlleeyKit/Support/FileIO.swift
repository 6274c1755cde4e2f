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
        var out: [UInt8] = []
        var st = stat()
        if fstat(fd, &st) == 0, st.st_size > 0 { out.reserveCapacity(Int(st.st_size)) }
        var buf = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = buf.withUnsafeMutableBytes { Foundation.read(fd, $0.baseAddress, $0.count) }
            if n < 0 { if errno == EINTR { continue }; break }
            if n == 0 { break }
            out.append(contentsOf: buf[0..<n])
        }
        return out
    }

    public static func readText(_ path: String) throws -> String {
        String(decoding: try read(path), as: UTF8.self)
    }

    /// Writes atomically: a temporary file in the same directory, fsync, then rename over `path`.
    /// A failure (full disk, permissions) leaves any previous file untouched.
    public static func writeAtomically(_ bytes: [UInt8], to path: String) throws {
        try bytes.withUnsafeBytes { try writeAtomically(raw: $0, to: path) }
    }

    public static func writeAtomically(_ text: String, to path: String) throws {
        var t = text
        try t.withUTF8 { try writeAtomically(raw: UnsafeRawBufferPointer($0), to: path) }
    }

    static func writeAtomically(raw: UnsafeRawBufferPointer, to path: String) throws {
        let dir = Paths.parent(path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path)
        var template = Array((dir + "/.olleey-tmp-XXXXXX").utf8CString)
        let (fd, tmp) = template.withUnsafeMutableBufferPointer { buf -> (Int32, String) in
            guard let base = buf.baseAddress else { return (-1, "") }
            let fd = mkstemp(base)
            return (fd, String(cString: base))
        }
        guard fd >= 0 else { throw createError(path, errno) }
        var ok = false
        defer { if !ok { unlink(tmp) } }
        var off = 0
        while off < raw.count {
            guard let base = raw.baseAddress else { break }
            let n = write(fd, base + off, raw.count - off)
            if n < 0 { if errno == EINTR { continue }; let e = errno; close(fd); throw createError(path, e) }
            off += n
        }
        if fsync(fd) != 0 { let e = errno; close(fd); throw createError(path, e) }
        fchmod(fd, 0o644)
        close(fd)
        guard rename(tmp, path) == 0 else { throw createError(path, errno) }
        ok = true
    }

    public static func createError(_ path: String, _ e: Int32) -> OlleeyError {
        if e == ENOSPC || e == EDQUOT { return .cannotCreate("no space left on device: cannot write \(path)") }
        return .cannotCreate("cannot write \(path): \(String(cString: strerror(e)))")
    }

    public static func createDirectory(_ path: String) throws {
        do { try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) } catch {
            throw OlleeyError.cannotCreate("cannot create directory \(path): \(error.localizedDescription)")
        }
    }
}
