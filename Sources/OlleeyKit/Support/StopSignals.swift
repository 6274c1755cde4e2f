import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// SIGINT and SIGTERM for a long run (`job run`): the first one calls the listeners, which stop
/// starting work and stop what runs; a second one kills every subprocess's group and exits at
/// once with 128 + the signal (`_exit`, nothing else runs).
///
/// The handler is a `sigaction` handler that only writes the signal's number to a pipe
/// (async-signal-safe); a thread reads the pipe and calls the listeners. A SIGINT that was
/// ignored when the process started (a script's background job, `trap '' INT`, `nohup`) stays
/// ignored, as shells expect; SIGTERM is always handled.
public final class StopSignals: @unchecked Sendable {
    public typealias Listener = @Sendable (_ signal: Int32) -> Void

    /// The exit code for a run stopped by `signal` (130 for SIGINT, 143 for SIGTERM).
    public static func exitCode(_ signal: Int32) -> Int32 { 128 + signal }

    public static func name(_ signal: Int32) -> String {
        switch signal {
        case SIGINT: return "SIGINT"
        case SIGTERM: return "SIGTERM"
        default: return "signal \(signal)"
        }
    }

    private let id: Int

    /// Calls `listener` (on another thread) at the first SIGINT or SIGTERM, until `remove()`.
    /// At a second one, every subprocess group is killed, then `atExit` runs (quick cleanup:
    /// the run's temporary files), then the process exits.
    public init(atExit: @escaping @Sendable () -> Void = {}, _ listener: @escaping Listener) {
        id = Registry.shared.add(Entry(stop: listener, atExit: atExit))
    }

    struct Entry: Sendable {
        let stop: Listener
        let atExit: @Sendable () -> Void
    }

    /// Stops listening; the last listener restores the signals' previous actions.
    public func remove() { Registry.shared.remove(id) }

    /// The first signal received while a listener was installed, if any.
    public var received: Int32? { Registry.shared.firstSignal }

    private final class Registry: @unchecked Sendable {
        static let shared = Registry()
        let lock = NSLock()
        var listeners: [Int: Entry] = [:]
        var nextId = 0
        var installed = false
        var saved: [Int32: sigaction] = [:]
        var firstSignal: Int32?
        var reader: Thread?

        func add(_ l: Entry) -> Int {
            lock.lock(); defer { lock.unlock() }
            nextId += 1
            listeners[nextId] = l
            if !installed { install() } else if listeners.count == 1 { firstSignal = nil }  // kept after a stop: a fresh start
            return nextId
        }

        func remove(_ id: Int) {
            lock.lock(); defer { lock.unlock() }
            listeners[id] = nil
            // After a stop signal the process is on its way out with 128 + that signal: the
            // handlers stay, so a second signal arriving now still exits with that code instead
            // of the default action killing the process (seen as a flaky end-to-end test).
            if listeners.isEmpty && installed && firstSignal == nil { uninstall() }
        }

        /// Called with `lock` held.
        private func install() {
            if stopPipe.read < 0 {
                var fds: [Int32] = [-1, -1]
                guard pipe(&fds) == 0 else { return }
                for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
                _ = fcntl(fds[1], F_SETFL, fcntl(fds[1], F_GETFL) | O_NONBLOCK)
                let readEnd = fds[0]
                stopPipe = (fds[0], fds[1])
                let t = Thread { [self] in readLoop(readEnd) }
                t.name = "olleey-signals"
                t.start()
                reader = t
            }
            firstSignal = nil
            for sig in [SIGINT, SIGTERM] {
                var old = sigaction()
                guard sigaction(sig, nil, &old) == 0 else { continue }
                // a SIGINT ignored by whoever started us stays ignored (background jobs of scripts)
                if sig == SIGINT && Registry.isIgnored(old) { continue }
                var sa = sigaction()
                #if canImport(Glibc)
                sa.__sigaction_handler.sa_handler = stopSignalHandler
                #else
                sa.__sigaction_u.__sa_handler = stopSignalHandler
                #endif
                sigemptyset(&sa.sa_mask)
                sa.sa_flags = SA_RESTART
                if sigaction(sig, &sa, nil) == 0 { saved[sig] = old }
                // a mask inherited blocked (some launchers block signals and exec) would hold the
                // signal pending for ever; threads started from here on inherit the unblocked mask
                var set = sigset_t()
                sigemptyset(&set)
                sigaddset(&set, sig)
                pthread_sigmask(SIG_UNBLOCK, &set, nil)
            }
            installed = true
        }

        /// Called with `lock` held.
        private func uninstall() {
            for (sig, old) in saved {
                var o = old
                sigaction(sig, &o, nil)
            }
            saved.removeAll()
            installed = false
        }

        static func isIgnored(_ a: sigaction) -> Bool {
            #if canImport(Glibc)
            let h = a.__sigaction_handler.sa_handler
            #else
            let h = a.__sigaction_u.__sa_handler
            #endif
            #if canImport(Glibc)
            let ign: sighandler_t? = SIG_IGN
            #else
            let ign: sig_t? = SIG_IGN
            #endif
            return unsafeBitCast(h, to: Int.self) == unsafeBitCast(ign, to: Int.self)
        }

        private func readLoop(_ fd: Int32) {
            var b: UInt8 = 0
            while true {
                let n = read(fd, &b, 1)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { return }
                let sig = Int32(b)
                lock.lock()
                let first = firstSignal == nil
                if first { firstSignal = sig }
                let ls = Array(listeners.values)
                lock.unlock()
                if first {
                    for l in ls { l.stop(sig) }
                } else {
                    // a second signal: no more waiting
                    Subprocess.signalAll(SIGKILL)
                    for l in ls { l.atExit() }
                    _exit(StopSignals.exitCode(sig))
                }
            }
        }
    }
}

nonisolated(unsafe) private var stopPipe: (read: Int32, write: Int32) = (-1, -1)

/// The signal handler: only async-signal-safe calls (write).
private func stopSignalHandler(_ sig: Int32) {
    let fd = stopPipe.write
    guard fd >= 0 else { return }
    var b = UInt8(truncatingIfNeeded: sig)
    _ = write(fd, &b, 1)
}
