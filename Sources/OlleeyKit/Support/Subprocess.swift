import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

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
    /// Called with each chunk read from stdout as it arrives (with `.capture`), on the thread
    /// that runs the program, before the chunk is captured: for output read while it runs
    /// (ffmpeg's `-progress`).
    public var onStdout: (@Sendable (UnsafeRawBufferPointer) -> Void)?

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
enum LiveChildren {
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
