import Foundation

/// `body(0..<count)` on up to `width` threads, results in order; the first error is thrown
/// (the remaining items are skipped once one failed).
func concurrentMap<T: Sendable>(_ count: Int, width: Int, _ body: @escaping @Sendable (Int) throws -> T) throws -> [T] {
    let box = ConcurrentResults<T>(count)
    let gate = DispatchSemaphore(value: max(1, width))
    DispatchQueue.concurrentPerform(iterations: count) { i in
        gate.wait(); defer { gate.signal() }
        box.lock.lock(); let failed = box.error != nil; box.lock.unlock()
        if failed { return }
        do {
            let v = try body(i)
            box.lock.lock(); box.items[i] = v; box.lock.unlock()
        } catch {
            box.lock.lock(); if box.error == nil { box.error = error }; box.lock.unlock()
        }
    }
    if let e = box.error { throw e }
    return box.items.map { $0! }
}

final class ConcurrentResults<T>: @unchecked Sendable {
    let lock = NSLock()
    var items: [T?]
    var error: Error?
    init(_ n: Int) { items = Array(repeating: nil, count: n) }
}
