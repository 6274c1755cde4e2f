import Foundation

/// How far one run of a long stage of one unit has got (`done` of `total` `unit`s: cues
/// synthesized, or milliseconds of media mixed or muxed), counted from any thread. Each new
/// count goes to the person watching in this process (`JobPipeline.progress`) and, at most every
/// `eventInterval` and once at the end of the stage (`flush`), to the events table as a
/// `stage.progress` event, which `job watch` and `job events` in any process read. The count
/// never goes back.
final class StageProgress: @unchecked Sendable {
    /// The least time between two `stage.progress` events of one stage run.
    static let eventIntervalMs: Int64 = 500

    let stage: Stage
    let total: Int
    let unit: String
    private let job: String
    private let language: String?
    private let watcher: (@Sendable (ProgressEvent.Kind) -> Void)?
    private let events: ProgressEventWriter
    private let lock = NSLock()
    private var done = 0
    private var written = 0
    private var lastWriteMs: Int64

    init(stage: Stage, total: Int, unit: String, job: String, language: String?,
         watcher: (@Sendable (ProgressEvent.Kind) -> Void)?, events: ProgressEventWriter) {
        self.stage = stage; self.total = max(1, total); self.unit = unit; self.job = job; self.language = language
        self.watcher = watcher; self.events = events
        lastWriteMs = StageProgress.nowMs()
    }

    static func nowMs() -> Int64 { Int64(Clock.monotonicNanos() / 1_000_000) }

    /// One more done (a cue).
    func tick() { advance(by: 1) }

    func advance(by n: Int) { update { $0 + n } }

    /// `n` done in all (a smaller count than the last one is ignored).
    func advance(to n: Int) { update { _ in n } }

    private func update(_ next: (Int) -> Int) {
        let now = StageProgress.nowMs()
        lock.lock()
        let v = min(total, next(done))
        guard v > done else { lock.unlock(); return }
        done = v
        let write = now - lastWriteMs >= StageProgress.eventIntervalMs
        if write { written = v; lastWriteMs = now }
        lock.unlock()
        watcher?(.advanced(done: v, total: total, unit: unit))
        if write { append(v) }
    }

    /// The count so far, written as an event unless it was the last one written (at the end of
    /// the stage, so the table holds where it ended).
    func flush() {
        lock.lock()
        let v = done
        let write = v > written
        if write { written = v; lastWriteMs = StageProgress.nowMs() }
        lock.unlock()
        if write { append(v) }
    }

    var current: Int { lock.lock(); defer { lock.unlock() }; return done }

    private func append(_ v: Int) {
        events.append(job: job, language: language, [
            ("stage", .string(stage.rawValue)), ("done", .int(Int64(v))), ("total", .int(Int64(total))), ("unit", .string(unit)),
        ])
    }

    /// A `MediaProgress` that counts milliseconds of media from `offsetMs` (a later phase of
    /// the stage, after one of that length), for `MediaToolkit.reporting`.
    func media(offsetMs: Int = 0) -> MediaProgress {
        { [self] seconds in
            guard seconds.isFinite, seconds >= 0 else { return }
            advance(to: offsetMs + Int((seconds * 1000).rounded(.down)))
        }
    }
}

/// Appends `stage.progress` events on a connection of its own (opened at the first one), so
/// any thread may: the pipeline's connection belongs to its worker thread. A busy database
/// skips the event (progress is shown, never waited for). A runner's worker keeps one for all
/// its units (on PostgreSQL a connection is a server process: not one per unit).
public final class ProgressEventWriter: @unchecked Sendable {
    private let opener: () throws -> Database
    private let usable: Bool
    private let lock = NSLock()
    private var db: Database?
    private var failed = false

    /// Events go to another connection to the database `like` is connected to.
    public init(like source: Database) {
        usable = source.isPostgres || (!source.path.isEmpty && source.path != ":memory:")
        opener = { [source] in try source.another(busyTimeoutMs: 250) }
    }

    func append(job: String, language: String?, _ data: [(String, JSON)]) {
        lock.lock(); defer { lock.unlock() }
        guard !failed, usable else { return }
        if db == nil {
            do { db = try opener() } catch { failed = true; return }
        }
        guard let db else { return }
        _ = try? EventStore(db).append("stage.progress", job: job, language: language, .object(data))
    }
}
