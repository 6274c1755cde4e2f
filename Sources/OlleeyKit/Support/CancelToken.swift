import Foundation

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
