import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

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
        var observers: [Int: @Sendable (String) -> Void] = [:]
        var nextObserver = 0
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

    /// Calls `f` with each subprocess's command line as it starts (process wide, from any
    /// thread), until `removeObserver` with the returned token: `-v` shows them.
    public static func addObserver(_ f: @escaping @Sendable (String) -> Void) -> Int {
        box.lock.lock(); defer { box.lock.unlock() }
        box.nextObserver += 1
        box.observers[box.nextObserver] = f
        return box.nextObserver
    }

    public static func removeObserver(_ token: Int) {
        box.lock.lock(); box.observers[token] = nil; box.lock.unlock()
    }

    static func announce(path: String, arguments: [String]) {
        box.lock.lock(); let fs = Array(box.observers.values); box.lock.unlock()
        guard !fs.isEmpty else { return }
        let line = ([path] + arguments).map(shellQuoted).joined(separator: " ")
        for f in fs { f(line) }
    }

    /// A word as a shell would read it back (single-quoted when it needs to be).
    static func shellQuoted(_ s: String) -> String {
        let plain = !s.isEmpty && s.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_./=:,+@%".contains($0)) }
        return plain ? s : "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

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
