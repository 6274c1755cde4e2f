import Foundation

/// A value guarded by a lock, for tests that collect results from several threads.
public final class Locked<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var v: T
    public init(_ v: T) { self.v = v }
    public var value: T { self.get() }
    public func get() -> T { lock.lock(); defer { lock.unlock() }; return v }
    public func set(_ new: T) { lock.lock(); v = new; lock.unlock() }
    public func mutate(_ f: (inout T) -> Void) { lock.lock(); f(&v); lock.unlock() }
    public func withLock<R>(_ body: (inout T) -> R) -> R { lock.lock(); defer { lock.unlock() }; return body(&v) }
}
