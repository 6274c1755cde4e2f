import Foundation

/// A large value owned by one reference, so that the last release (which frees it) can be moved
/// to a background thread.
final class Disposable<T: Sendable>: @unchecked Sendable {
    private(set) var value: T?

    init(_ value: consuming T) { self.value = value }

    /// Releases the value on a new thread; the caller must not read `value` afterwards.
    func freeInBackground() {
        guard value != nil else { return }
        Thread.detachNewThread { self.value = nil }
    }
}
