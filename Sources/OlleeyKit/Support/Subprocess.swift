import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Cooperative cancellation shared between the code that wants to stop work (a `job cancel`,
/// SIGINT, a lease lost) and the code doing it (a running subprocess, an HTTP request).
public final class CancelToken: @unchecked Sendable {
    private let lock = NSLock()
    private var cancelled = false
    private var reason: String?
    private let parentCheck: (@Sendable () -> Bool)?

    public init(_ check: (@Sendable () -> Bool)? = nil) { parentCheck = check }

    public func cancel(reason: String? = nil) {
        lock.lock(); defer { lock.unlock() }
        cancelled = true
        if self.reason == nil { self.reason = reason }
    }

    public var isCancelled: Bool {
        lock.lock()
        let c = cancelled
        lock.unlock()
        if c { return true }
        return parentCheck?() ?? false
    }

    public var cancelReason: String? { lock.lock(); defer { lock.unlock() }; return reason }

    /// Throws `OlleeyError(.interrupted)` when cancelled.
    public func check() throws {
        if isCancelled { throw OlleeyError(.interrupted, cancelReason ?? "cancelled") }
    }

    /// A token that is never cancelled.
    public static let never = CancelToken()
}

/// Wall time spent waiting for subprocesses, process wide, so a benchmark can report
/// olleey's own time as total minus subprocess time.
public enum SubprocessStats {
    private final class Box: @unchecked Sendable {
        let lock = NSLock()
        var nanos: UInt64 = 0
        var count: Int = 0
        var active: Int = 0
        var activeSince: UInt64 = 0
        var overlapNanos: UInt64 = 0 // wall time with at least one subprocess running
    }
    private static let box = Box()

    static func began() {
        _ = trace
        let now = Clock.monotonicNanos()
        box.lock.lock(); defer { box.lock.unlock() }
        if box.active == 0 { box.activeSince = now }
        box.active += 1
    }

    static func ended(durationNanos: UInt64) {
        let now = Clock.monotonicNanos()
        box.lock.lock(); defer { box.lock.unlock() }
        box.nanos &+= durationNanos
        box.count += 1
        box.active -= 1
        if box.active == 0 { box.overlapNanos &+= now &- box.activeSince }
    }

    /// Sum of every subprocess's wall time (two parallel 1 s subprocesses count 2 s).
    public static var totalNanos: UInt64 { box.lock.lock(); defer { box.lock.unlock() }; return box.nanos }
    /// Wall time during which at least one subprocess was running (two parallel 1 s
    /// subprocesses count 1 s): subtract this from the total wall time for olleey's own time.
    public static var wallNanos: UInt64 {
        box.lock.lock(); defer { box.lock.unlock() }
        var v = box.overlapNanos
        if box.active > 0 { v &+= Clock.monotonicNanos() &- box.activeSince }
        return v
    }
    public static var count: Int { box.lock.lock(); defer { box.lock.unlock() }; return box.count }

    /// With `OLLEEY_TRACE=FILE` in the environment, every subprocess appends one line to FILE:
    /// its start and duration in ms from the start of this process's first subprocess, its pid, and its
    /// command line (`start_ms duration_ms pid program args...`, tab separated). For finding
    /// where a run's time goes; costs nothing when unset.
    private static let trace: (fd: Int32, origin: UInt64)? = {
        guard let path = ProcessInfo.processInfo.environment["OLLEEY_TRACE"], !path.isEmpty else { return nil }
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        return fd < 0 ? nil : (fd, Clock.monotonicNanos())
    }()

    static func traced(pid: pid_t, started: UInt64, durationNanos: UInt64, path: String, arguments: [String]) {
        guard let t = trace else { return }
        let start = started >= t.origin ? (started - t.origin) / 1_000_000 : 0
        let args = arguments.map { $0.count > 120 ? String($0.prefix(117)) + "..." : $0 }.joined(separator: " ")
        let line = "\(start)\t\(durationNanos / 1_000_000)\t\(pid)\t\(path) \(args)\n"
        _ = line.utf8CString.withUnsafeBufferPointer { write(t.fd, $0.baseAddress, $0.count - 1) }
    }
}

/// Runs programs: posix_spawn in a new process group, argv array (no shell), optional stdin,
/// stdout/stderr captured in memory (capped) or written to files, timeout and cooperative
/// cancellation that ends the whole process group (SIGTERM, then SIGKILL after a grace period).
public struct Subprocess: Sendable {
    public enum Input: Sendable {
        case none                 // /dev/null
        case bytes([UInt8])
        case file(String)
    }

    public enum Output: Sendable {
        case discard
        /// In memory, keeping at most `limit` bytes: the first ones for stdout, the last ones for stderr.
        case capture(limit: Int)
        case file(String)
        /// Shares olleey's own stream (for interactive tools).
        case inherit
    }

    public struct Result: Sendable {
        public var executable: String
        public var arguments: [String]
        /// Exit status when the process exited; nil when a signal ended it.
        public var exitStatus: Int32?
        public var signal: Int32?
        public var stdout: [UInt8]
        public var stderr: [UInt8]
        public var stdoutTruncated: Bool
        public var stderrTruncated: Bool
        public var timedOut: Bool
        public var cancelled: Bool
        public var durationNanos: UInt64

        public var succeeded: Bool { exitStatus == 0 && !timedOut && !cancelled }
        public var stdoutString: String { String(decoding: stdout, as: UTF8.self) }
        public var stderrString: String { String(decoding: stderr, as: UTF8.self) }
        public var durationMs: Int { Int(durationNanos / 1_000_000) }

        /// A one-line description of how it ended: `exit 1`, `killed by signal 9`, `timed out`.
        public var outcome: String {
            if cancelled { return "cancelled" }
            if timedOut { return "timed out" }
            if let s = exitStatus { return "exit \(s)" }
            return "killed by signal \(signal ?? 0)"
        }

        /// The last non-empty lines of stderr (what a human needs in an error message).
        public func stderrTail(lines: Int = 3, maxChars: Int = 600) -> String {
            let all = stderrString.split(whereSeparator: { $0 == "\n" || $0 == "\r" })
                .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            var s = all.suffix(lines).joined(separator: " | ")
            if s.count > maxChars { s = "..." + String(s.suffix(maxChars)) }
            return s
        }
    }

    public var executable: String
    public var arguments: [String]
    public var input: Input = .none
    public var stdout: Output = .capture(limit: 16 << 20)
    public var stderr: Output = .capture(limit: 256 << 10)
    /// Extra environment variables (added to, or replacing, the inherited environment).
    public var environment: [String: String] = [:]
    public var workingDirectory: String?
    /// Seconds; nil means no limit.
    public var timeout: Double?
    public var cancel: CancelToken = .never
    /// Seconds between SIGTERM and SIGKILL.
    public var killGrace: Double = 2.0

    /// `executable` is a name looked up on PATH or a path; a missing one throws
    /// `OlleeyError(.unavailable)` naming the package to install.
    public init(_ executable: String, _ arguments: [String] = []) {
        self.executable = executable
        self.arguments = arguments
    }

    // MARK: tool lookup

    /// The full path of `tool` on PATH (or `tool` itself when it contains a slash and is
    /// executable), nil when not found.
    public static func which(_ tool: String, path: String? = nil) -> String? {
        if tool.isEmpty { return nil }
        if tool.contains("/") { return access(tool, X_OK) == 0 ? tool : nil }
        let searchPath = path ?? ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for dir in searchPath.split(separator: ":", omittingEmptySubsequences: true) {
            let candidate = dir.hasSuffix("/") ? "\(dir)\(tool)" : "\(dir)/\(tool)"
            var st = stat()
            if stat(candidate, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG, access(candidate, X_OK) == 0 {
                return candidate
            }
        }
        return nil
    }

    /// Debian package that provides a tool, for install hints.
    public static let packageForTool: [String: String] = [
        "ffmpeg": "ffmpeg", "ffprobe": "ffmpeg", "espeak-ng": "espeak-ng", "apertium": "apertium",
        "lt-proc": "lttoolbox", "pocketsphinx_continuous": "pocketsphinx", "pocketsphinx": "pocketsphinx",
        "sqlite3": "sqlite3", "dpkg-query": "dpkg", "sh": "dash", "jq": "jq", "python3": "python3",
    ]

    /// The path of `tool`, or `OlleeyError(.unavailable)` with an install hint.
    public static func require(_ tool: String, purpose: String? = nil) throws -> String {
        if let p = which(tool) { return p }
        let what = purpose.map { " (needed for \($0))" } ?? ""
        if tool.contains("/") {
            throw OlleeyError(.unavailable, "\(tool) not found or not executable\(what)",
                              hint: "check the path in your engine settings")
        }
        if let pkg = packageForTool[tool] {
            throw OlleeyError(.unavailable, "\(tool) not found on PATH\(what)",
                              hint: "install it: apt-get install \(pkg) (or run scripts/bootstrap)")
        }
        throw OlleeyError(.unavailable, "\(tool) not found on PATH\(what)",
                          hint: "install \(tool), or run scripts/bootstrap")
    }

    // MARK: running

    /// Runs to completion (or timeout / cancellation). Throws only when the program cannot be
    /// started; check `Result.succeeded` for its outcome, or use `check()`.
    public func run() throws -> Result {
        Subprocess.ignoreSIGPIPE()
        let exe = try Subprocess.require(executable)
        return try Spawner(spec: self, path: exe).run()
    }

    /// Runs and throws `OlleeyError` unless the program exited 0: `.interrupted` when
    /// cancelled, `.failure` otherwise, with the tail of stderr as the reason.
    @discardableResult
    public func check(_ what: String? = nil) throws -> Result {
        let r = try run()
        if r.succeeded { return r }
        throw r.error(what ?? (executable as NSString).lastPathComponent)
    }

    /// Convenience: run `executable args...` capturing output, throw unless it exits 0.
    @discardableResult
    public static func run(_ executable: String, _ arguments: [String], input: Input = .none,
                           timeout: Double? = nil, cancel: CancelToken = .never) throws -> Result {
        var p = Subprocess(executable, arguments)
        p.input = input
        p.timeout = timeout
        p.cancel = cancel
        return try p.check()
    }

    nonisolated(unsafe) private static var sigpipeIgnored = false
    private static let sigpipeLock = NSLock()

    /// Writing to a pipe whose reader died must be an error, not a process-killing signal.
    public static func ignoreSIGPIPE() {
        sigpipeLock.lock(); defer { sigpipeLock.unlock() }
        if !sigpipeIgnored { signal(SIGPIPE, SIG_IGN); sigpipeIgnored = true }
    }
}

extension Subprocess {
    /// Sends `signal` to the process group of every subprocess still running (each runs in its
    /// own group): for a process that must exit at once (a second SIGINT or SIGTERM) without
    /// leaving ffmpeg or espeak-ng behind. Returns how many groups were signalled.
    @discardableResult
    public static func signalAll(_ signal: Int32 = SIGKILL) -> Int {
        let pids = LiveChildren.snapshot()
        for pid in pids { kill(-pid, signal); kill(pid, signal) }
        return pids.count
    }

    /// How many subprocesses this process is running now.
    public static var running: Int { LiveChildren.snapshot().count }
}

/// The subprocesses running now (each the leader of its own process group), from spawn to reap.
private enum LiveChildren {
    private final class Box: @unchecked Sendable {
        let lock = NSLock()
        var pids = Set<pid_t>()
    }
    private static let box = Box()
    static func add(_ pid: pid_t) { box.lock.lock(); box.pids.insert(pid); box.lock.unlock() }
    static func remove(_ pid: pid_t) { box.lock.lock(); box.pids.remove(pid); box.lock.unlock() }
    static func snapshot() -> [pid_t] { box.lock.lock(); defer { box.lock.unlock() }; return Array(box.pids) }
}

extension Subprocess.Result {
    /// The OlleeyError for a run that did not succeed.
    public func error(_ what: String) -> OlleeyError {
        if cancelled { return OlleeyError(.interrupted, "\(what) was cancelled") }
        let tail = stderrTail()
        let reason = tail.isEmpty ? "" : ": \(tail)"
        if timedOut { return OlleeyError(.failure, "\(what) timed out after \(durationMs / 1000) s\(reason)") }
        if tail.localizedCaseInsensitiveContains("No space left on device") {
            return OlleeyError(.cannotCreate, "\(what) failed: no space left on device", hint: "free disk space and run again")
        }
        return OlleeyError(.failure, "\(what) failed (\(outcome))\(reason)")
    }
}

/// Captured output with a cap, keeping the head or the tail.
private struct CaptureBuffer {
    var bytes: [UInt8] = []
    var limit: Int
    var keepTail: Bool
    var truncated = false

    mutating func append(_ p: UnsafeRawBufferPointer) {
        if !keepTail {
            let room = limit - bytes.count
            if room <= 0 { if p.count > 0 { truncated = true }; return }
            if p.count > room { truncated = true; bytes.append(contentsOf: p[0..<room]) } else { bytes.append(contentsOf: p) }
        } else {
            bytes.append(contentsOf: p)
            if bytes.count > max(limit * 2, 4096) { bytes.removeFirst(bytes.count - limit); truncated = true }
        }
    }

    mutating func finish() -> [UInt8] {
        if keepTail, bytes.count > limit { bytes.removeFirst(bytes.count - limit); truncated = true }
        return bytes
    }
}

private let spawnLock = NSLock()

private func errnoText(_ e: Int32 = errno) -> String { String(cString: strerror(e)) }

private struct Spawner {
    let spec: Subprocess
    let path: String

    func openFile(_ p: String, write: Bool) throws -> Int32 {
        let fd = write ? open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644) : open(p, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            let e = errno
            if write { throw OlleeyError(e == ENOSPC ? .cannotCreate : .cannotCreate, "cannot create \(p): \(errnoText(e))") }
            throw OlleeyError(e == ENOENT ? .notFound : .failure, "cannot read \(p): \(errnoText(e))")
        }
        return fd
    }

    func makePipe() throws -> (r: Int32, w: Int32) {
        // Called with `spawnLock` held, so no other of our spawns inherits these fds before
        // they are marked close-on-exec (pipe2 is not exported to Swift by Glibc).
        var fds: [Int32] = [0, 0]
        if pipe(&fds) != 0 { throw OlleeyError(.failure, "pipe failed: \(errnoText())") }
        _ = fcntl(fds[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(fds[1], F_SETFD, FD_CLOEXEC)
        return (fds[0], fds[1])
    }

    func run() throws -> Subprocess.Result {
        spawnLock.lock()
        var locked = true
        defer { if locked { spawnLock.unlock() } }
        var toClose: [Int32] = []       // fds we hold only until the child has them
        var ownedAfter: [Int32] = []    // our ends
        defer { for fd in toClose { close(fd) } }

        var fa = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&fa)
        defer { posix_spawn_file_actions_destroy(&fa) }

        // stdin
        var stdinWrite: Int32 = -1
        switch spec.input {
        case .none:
            posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0)
        case .file(let p):
            let fd = try openFile(p, write: false)
            toClose.append(fd)
            posix_spawn_file_actions_adddup2(&fa, fd, 0)
        case .bytes:
            let p = try makePipe()
            toClose.append(p.r)
            stdinWrite = p.w
            ownedAfter.append(p.w)
            posix_spawn_file_actions_adddup2(&fa, p.r, 0)
        }

        func setupOut(_ o: Subprocess.Output, fdNum: Int32) throws -> Int32 {
            switch o {
            case .discard:
                posix_spawn_file_actions_addopen(&fa, fdNum, "/dev/null", O_WRONLY, 0)
                return -1
            case .inherit:
                return -1
            case .file(let p):
                let fd = try openFile(p, write: true)
                toClose.append(fd)
                posix_spawn_file_actions_adddup2(&fa, fd, fdNum)
                return -1
            case .capture:
                let p = try makePipe()
                toClose.append(p.w)
                ownedAfter.append(p.r)
                posix_spawn_file_actions_adddup2(&fa, p.w, fdNum)
                return p.r
            }
        }
        var outRead: Int32 = -1, errRead: Int32 = -1
        do {
            outRead = try setupOut(spec.stdout, fdNum: 1)
            errRead = try setupOut(spec.stderr, fdNum: 2)
        } catch {
            for fd in ownedAfter { close(fd) }
            throw error
        }

        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        posix_spawnattr_setpgroup(&attr, 0)
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attr, &noSignals)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for s in [SIGPIPE, SIGINT, SIGTERM, SIGQUIT, SIGHUP, SIGCHLD] { sigaddset(&defaults, s) }
        posix_spawnattr_setsigdefault(&attr, &defaults)
        let flags = Int32(POSIX_SPAWN_SETPGROUP) | Int32(POSIX_SPAWN_SETSIGMASK) | Int32(POSIX_SPAWN_SETSIGDEF)
        posix_spawnattr_setflags(&attr, Int16(flags))

        // argv / envp
        // A working directory is set by `env -C DIR` (coreutils), since
        // posix_spawn_file_actions_addchdir_np is not exported to Swift.
        var exePath = path
        var argv = [path] + spec.arguments
        if let wd = spec.workingDirectory {
            guard let envTool = Subprocess.which("env") else { throw OlleeyError(.unavailable, "env not found on PATH (needed to set a working directory)") }
            exePath = envTool
            argv = [envTool, "-C", wd, path] + spec.arguments
        }
        var env = ProcessInfo.processInfo.environment
        for (k, v) in spec.environment { env[k] = v }
        let envStrings = env.map { "\($0.key)=\($0.value)" }
        let cArgv: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        let cEnv: [UnsafeMutablePointer<CChar>?] = envStrings.map { strdup($0) } + [nil]
        defer {
            for p in cArgv { free(p) }
            for p in cEnv { free(p) }
        }

        var pid: pid_t = 0
        let started = Clock.monotonicNanos()
        let rc = cArgv.withUnsafeBufferPointer { a -> Int32 in
            cEnv.withUnsafeBufferPointer { e -> Int32 in
                guard let ap = a.baseAddress, let ep = e.baseAddress else { return EINVAL }
                return posix_spawn(&pid, exePath, &fa, &attr, ap, ep)
            }
        }
        // The child holds its ends now (or failed); close ours.
        for fd in toClose { close(fd) }
        toClose.removeAll()
        spawnLock.unlock()
        locked = false
        if rc != 0 {
            for fd in ownedAfter { close(fd) }
            if rc == ENOENT || rc == EACCES || rc == ENOEXEC {
                throw OlleeyError(.unavailable, "cannot run \(path): \(errnoText(rc))", hint: "check that it is installed and executable")
            }
            throw OlleeyError(.failure, "cannot start \(path): \(errnoText(rc))")
        }
        SubprocessStats.began()
        LiveChildren.add(pid)
        defer { LiveChildren.remove(pid) }
        return supervise(pid: pid, started: started, stdinWrite: stdinWrite, outRead: outRead, errRead: errRead)
    }

    func supervise(pid: pid_t, started: UInt64, stdinWrite: Int32, outRead: Int32, errRead: Int32) -> Subprocess.Result {
        var stdinFD = stdinWrite
        var outFD = outRead
        var errFD = errRead
        var inputBytes: [UInt8] = []
        if case .bytes(let b) = spec.input { inputBytes = b }
        var inputOffset = 0
        if stdinFD >= 0 {
            _ = fcntl(stdinFD, F_SETFL, fcntl(stdinFD, F_GETFL) | O_NONBLOCK)
            if inputBytes.isEmpty { close(stdinFD); stdinFD = -1 }
        }
        func capLimit(_ o: Subprocess.Output) -> Int { if case .capture(let l) = o { return max(0, l) }; return 0 }
        var outBuf = CaptureBuffer(limit: capLimit(spec.stdout), keepTail: false)
        var errBuf = CaptureBuffer(limit: capLimit(spec.stderr), keepTail: true)

        var exitStatus: Int32?
        var termSignal: Int32?
        var exited = false
        var exitedAt: UInt64 = 0
        var timedOut = false
        var cancelled = false
        var termSentAt: UInt64 = 0
        var killSent = false
        let deadline: UInt64? = spec.timeout.map { started + UInt64(max(0, $0) * 1e9) }
        var chunk = [UInt8](repeating: 0, count: 65536)

        func reap(block: Bool) {
            var status: Int32 = 0
            while true {
                let r = waitpid(pid, &status, block ? 0 : WNOHANG)
                if r == pid {
                    let sig = status & 0x7f
                    if sig == 0 { exitStatus = (status >> 8) & 0xff } else if sig != 0x7f { termSignal = sig }
                    exited = true
                    exitedAt = Clock.monotonicNanos()
                    return
                }
                if r < 0 && errno == EINTR { continue }
                if r < 0 { exited = true; exitedAt = Clock.monotonicNanos(); return } // ECHILD: someone else reaped
                return
            }
        }

        func terminate() {
            if termSentAt == 0 {
                termSentAt = Clock.monotonicNanos()
                kill(-pid, SIGTERM)
                kill(pid, SIGTERM)
            }
        }

        while true {
            if !exited { reap(block: false) }
            let now = Clock.monotonicNanos()
            if exited {
                // Drain what is left in the pipes; grandchildren may keep them open, so give up
                // after a short while and end the group.
                if outFD < 0 && errFD < 0 { break }
                if now > exitedAt + 500_000_000 {
                    kill(-pid, SIGKILL)
                    break
                }
            } else {
                if !cancelled && !timedOut {
                    if spec.cancel.isCancelled { cancelled = true; terminate() }
                    else if let d = deadline, now >= d { timedOut = true; terminate() }
                }
                if termSentAt != 0 && !killSent && now >= termSentAt + UInt64(max(0, spec.killGrace) * 1e9) {
                    kill(-pid, SIGKILL); kill(pid, SIGKILL)
                    killSent = true
                }
            }

            var fds: [pollfd] = []
            if outFD >= 0 { fds.append(pollfd(fd: outFD, events: Int16(POLLIN), revents: 0)) }
            if errFD >= 0 { fds.append(pollfd(fd: errFD, events: Int16(POLLIN), revents: 0)) }
            if stdinFD >= 0 { fds.append(pollfd(fd: stdinFD, events: Int16(POLLOUT), revents: 0)) }
            if fds.isEmpty {
                if exited { break }
                // Nothing to read: wait for the exit, polling cancellation every 50 ms.
                var ts = timespec(tv_sec: 0, tv_nsec: 20_000_000)
                nanosleep(&ts, nil)
                continue
            }
            let n = poll(&fds, nfds_t(fds.count), 50)
            if n < 0 && errno != EINTR { break }
            if n <= 0 { continue }
            for pfd in fds where pfd.revents != 0 {
                if pfd.fd == stdinFD {
                    if pfd.revents & Int16(POLLERR | POLLHUP | POLLNVAL) != 0 {
                        close(stdinFD); stdinFD = -1; continue
                    }
                    let w = inputBytes.withUnsafeBytes { buf -> Int in
                        let rest = buf.count - inputOffset
                        return write(stdinFD, buf.baseAddress.map { $0 + inputOffset }, min(rest, 65536))
                    }
                    if w > 0 { inputOffset += w } else if w < 0 && errno != EAGAIN && errno != EINTR { inputOffset = inputBytes.count }
                    if inputOffset >= inputBytes.count { close(stdinFD); stdinFD = -1 }
                    continue
                }
                let r = chunk.withUnsafeMutableBytes { read(pfd.fd, $0.baseAddress, $0.count) }
                if r > 0 {
                    chunk.withUnsafeBytes { buf in
                        let slice = UnsafeRawBufferPointer(rebasing: buf[0..<r])
                        if pfd.fd == outFD { outBuf.append(slice) } else { errBuf.append(slice) }
                    }
                } else if r == 0 || (errno != EAGAIN && errno != EINTR) {
                    if pfd.fd == outFD { close(outFD); outFD = -1 } else { close(errFD); errFD = -1 }
                }
            }
        }
        if stdinFD >= 0 { close(stdinFD) }
        if outFD >= 0 { close(outFD) }
        if errFD >= 0 { close(errFD) }
        if !exited { reap(block: true) }
        let duration = Clock.monotonicNanos() - started
        SubprocessStats.ended(durationNanos: duration)
        SubprocessStats.traced(pid: pid, started: started, durationNanos: duration, path: path, arguments: spec.arguments)
        let outBytes = outBuf.finish()
        let errBytes = errBuf.finish()
        return Subprocess.Result(
            executable: path, arguments: spec.arguments,
            exitStatus: exitStatus, signal: termSignal,
            stdout: outBytes, stderr: errBytes,
            stdoutTruncated: outBuf.truncated, stderrTruncated: errBuf.truncated,
            timedOut: timedOut, cancelled: cancelled, durationNanos: duration)
    }
}
