import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

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

struct Spawner {
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
        SubprocessStats.announce(path: path, arguments: spec.arguments)
        LiveChildren.add(pid)
        defer { LiveChildren.remove(pid) }
        return supervise(pid: pid, started: started, stdinWrite: stdinWrite, outRead: outRead, errRead: errRead)
    }

    func supervise(pid: pid_t, started: UInt64, stdinWrite: Int32, outRead: Int32, errRead: Int32) -> Subprocess.Result {
        var s = Supervision(spec: spec, path: path, pid: pid, started: started, stdinWrite: stdinWrite, outRead: outRead, errRead: errRead)
        while true {
            if !s.exited { s.reap(block: false) }
            guard s.enforceLimits(now: Clock.monotonicNanos()) else { break }
            guard s.pump() else { break }
        }
        return s.finish()
    }
}

/// One running child from spawn to reap: feeds its stdin, captures its output, ends it on a
/// timeout or cancellation (SIGTERM to the group, SIGKILL after the grace period).
private struct Supervision {
    let spec: Subprocess
    let path: String
    let pid: pid_t
    let started: UInt64
    let deadline: UInt64?
    var stdinFD: Int32
    var outFD: Int32
    var errFD: Int32
    var inputBytes: [UInt8] = []
    var inputOffset = 0
    var outBuf: CaptureBuffer
    var errBuf: CaptureBuffer
    var exitStatus: Int32?
    var termSignal: Int32?
    var exited = false
    var exitedAt: UInt64 = 0
    var timedOut = false
    var cancelled = false
    var termSentAt: UInt64 = 0
    var killSent = false
    var chunk = [UInt8](repeating: 0, count: 65536)

    init(spec: Subprocess, path: String, pid: pid_t, started: UInt64, stdinWrite: Int32, outRead: Int32, errRead: Int32) {
        self.spec = spec
        self.path = path
        self.pid = pid
        self.started = started
        stdinFD = stdinWrite
        outFD = outRead
        errFD = errRead
        if case .bytes(let b) = spec.input { inputBytes = b }
        if stdinFD >= 0 {
            _ = fcntl(stdinFD, F_SETFL, fcntl(stdinFD, F_GETFL) | O_NONBLOCK)
            if inputBytes.isEmpty { close(stdinFD); stdinFD = -1 }
        }
        func capLimit(_ o: Subprocess.Output) -> Int { if case .capture(let l) = o { return max(0, l) }; return 0 }
        outBuf = CaptureBuffer(limit: capLimit(spec.stdout), keepTail: false)
        errBuf = CaptureBuffer(limit: capLimit(spec.stderr), keepTail: true)
        deadline = spec.timeout.map { started + UInt64(max(0, $0) * 1e9) }
    }

    mutating func reap(block: Bool) {
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

    mutating func terminate() {
        if termSentAt == 0 {
            termSentAt = Clock.monotonicNanos()
            kill(-pid, SIGTERM)
            kill(pid, SIGTERM)
        }
    }

    /// Timeout, cancellation and the kill after the grace period; after the exit, how long the
    /// pipes may still be drained. False: stop supervising.
    mutating func enforceLimits(now: UInt64) -> Bool {
        if exited {
            // Drain what is left in the pipes; grandchildren may keep them open, so give up
            // after a short while and end the group.
            if outFD < 0 && errFD < 0 { return false }
            if now > exitedAt + 500_000_000 {
                kill(-pid, SIGKILL)
                return false
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
        return true
    }

    /// One poll of the pipes (at most 50 ms) and the reads and writes it allows. False: stop.
    mutating func pump() -> Bool {
        var fds: [pollfd] = []
        if outFD >= 0 { fds.append(pollfd(fd: outFD, events: Int16(POLLIN), revents: 0)) }
        if errFD >= 0 { fds.append(pollfd(fd: errFD, events: Int16(POLLIN), revents: 0)) }
        if stdinFD >= 0 { fds.append(pollfd(fd: stdinFD, events: Int16(POLLOUT), revents: 0)) }
        if fds.isEmpty {
            if exited { return false }
            // Nothing to read: wait for the exit, polling cancellation every 50 ms.
            var ts = timespec(tv_sec: 0, tv_nsec: 20_000_000)
            nanosleep(&ts, nil)
            return true
        }
        let n = poll(&fds, nfds_t(fds.count), 50)
        if n < 0 && errno != EINTR { return false }
        if n <= 0 { return true }
        for pfd in fds where pfd.revents != 0 { handle(pfd) }
        return true
    }

    mutating func handle(_ pfd: pollfd) {
        if pfd.fd == stdinFD {
            if pfd.revents & Int16(POLLERR | POLLHUP | POLLNVAL) != 0 {
                close(stdinFD); stdinFD = -1; return
            }
            let fd = stdinFD, offset = inputOffset
            let w = inputBytes.withUnsafeBytes { buf -> Int in
                let rest = buf.count - offset
                return write(fd, buf.baseAddress.map { $0 + offset }, min(rest, 65536))
            }
            if w > 0 { inputOffset += w } else if w < 0 && errno != EAGAIN && errno != EINTR { inputOffset = inputBytes.count }
            if inputOffset >= inputBytes.count { close(stdinFD); stdinFD = -1 }
            return
        }
        let r = chunk.withUnsafeMutableBytes { read(pfd.fd, $0.baseAddress, $0.count) }
        if r > 0 {
            let isOut = pfd.fd == outFD
            chunk.withUnsafeBytes { buf in
                let slice = UnsafeRawBufferPointer(rebasing: buf[0..<r])
                if isOut { spec.onStdout?(slice); outBuf.append(slice) } else { errBuf.append(slice) }
            }
        } else if r == 0 || (errno != EAGAIN && errno != EINTR) {
            if pfd.fd == outFD { close(outFD); outFD = -1 } else { close(errFD); errFD = -1 }
        }
    }

    mutating func finish() -> Subprocess.Result {
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
