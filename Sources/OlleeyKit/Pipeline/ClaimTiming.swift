import Foundation

/// `OLLEEY_CLAIM_TIMING=1` in a runner's environment (`olleey worker`, `job run`): it logs how
/// long each claim of a unit takes, one line per attempt, on its log (stderr):
///
///     claim-timing: claim 0.412 ms won 0193a1b2-...-... es
///     claim-timing: claim 0.388 ms lost 0193a1b2-...-... prepare
///
/// A claim is `JobStore.claimJob` or `claimLanguage`: the one compare-and-set statement that
/// writes the lease (`FOR UPDATE SKIP LOCKED` on PostgreSQL), plus, when it finds the lease
/// held, the read of its owner and, for a dead process of this host, the second compare-and-set
/// that takes it over. `won`: this worker holds the lease now; `lost`: another worker holds it,
/// or the unit was settled meanwhile. Each unit a worker finds also logs how long finding it
/// took (the scan of open jobs, the reads and the claim attempts: `JobRunner.next`):
///
///     claim-timing: next 3.905 ms found
///
/// When the run ends: `claim-timing: 120 claims (40 won): p50 0.41 ms, p90 0.62 ms, p99 1.90 ms,
/// max 3.12 ms`. `scripts/bench-scale` and `scripts/chaos-claims` read these lines from every
/// worker. Off by default; off, it costs one nil check per claim.
final class ClaimTiming: @unchecked Sendable {
    static let variable = "OLLEEY_CLAIM_TIMING"
    private let log: @Sendable (String) -> Void
    private let lock = NSLock()
    private var samples: [Double] = []
    private var won = 0

    init(log: @escaping @Sendable (String) -> Void) { self.log = log }

    /// On when the variable is `1`, `true`, `yes` or `on`.
    static func from(_ environment: [String: String], log: @escaping @Sendable (String) -> Void) -> ClaimTiming? {
        guard let v = environment[variable]?.lowercased(), ["1", "true", "yes", "on"].contains(v) else { return nil }
        return ClaimTiming(log: log)
    }

    /// Runs one claim (`body` returns whether it was won), timed and logged.
    func measure(_ unit: () -> String, _ body: () throws -> Bool) rethrows -> Bool {
        let start = Clock.monotonicNanos()
        let got = try body()
        let ms = Double(Clock.monotonicNanos() - start) / 1e6
        lock.lock(); samples.append(ms); if got { won += 1 }; lock.unlock()
        log("claim-timing: claim \(String(format: "%.3f", ms)) ms \(got ? "won" : "lost") \(unit())")
        return got
    }

    /// A unit found, `ms` after the scan for it began.
    func found(ms: Double) {
        log("claim-timing: next \(String(format: "%.3f", ms)) ms found")
    }

    /// The summary line (nil when there was no claim).
    var summary: String? {
        lock.lock(); let s = samples.sorted(); let w = won; lock.unlock()
        guard !s.isEmpty else { return nil }
        func p(_ q: Double) -> String { String(format: "%.2f", s[min(s.count - 1, Int((Double(s.count) * q).rounded(.up)) - 1)]) }
        return "claim-timing: \(s.count) claims (\(w) won): p50 \(p(0.5)) ms, p90 \(p(0.9)) ms, p99 \(p(0.99)) ms, max \(String(format: "%.2f", s.last!)) ms"
    }
}
