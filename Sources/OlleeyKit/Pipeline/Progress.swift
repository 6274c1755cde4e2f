import Foundation

/// What a run reports as it goes, for a person watching (`job run` and `job watch` on a
/// terminal): a stage of a unit (a job's language, or the job itself) started, advanced (with
/// numbers where they are known: cues synthesized), finished, or the unit settled.
public struct ProgressEvent: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case started
        /// `done` of `total` `unit`s: `cues` (synthesized), or `ms` of media (mixed, muxed).
        case advanced(done: Int, total: Int, unit: String)
        case finished(cached: Bool, durationMs: Int64)
        case failed(String)
        /// The unit ended: the language's or the job's status (`draft`, `completed`, `failed`, ...).
        case settled(String)
    }

    /// The job's id.
    public var job: String
    /// How the job is shown (its printed id, which may grow as jobs are created: the first one
    /// seen for a job is kept).
    public var printed: String
    /// nil for the job's own stages (ingest, transcribe, master, finish).
    public var language: String?
    public var stage: String
    public var kind: Kind
    /// When, in milliseconds on a monotonic clock.
    public var atMs: Int64

    public init(job: String, printed: String? = nil, language: String?, stage: String, kind: Kind, atMs: Int64) {
        self.job = job; self.printed = printed ?? job; self.language = language; self.stage = stage; self.kind = kind; self.atMs = atMs
    }
}

extension ProgressEvent {
    /// The count a `stage.progress` event of the events table carries (`{"stage", "done",
    /// "total", "unit"}`), for a view in another process than the run (`job watch`); nil for
    /// any other event.
    public init?(_ e: Event, printed: String, atMs: Int64) {
        guard e.kind == "stage.progress", let job = e.jobId, let stage = e.data["stage"]?.stringValue,
              let done = e.data["done"]?.intValue, let total = e.data["total"]?.intValue, let unit = e.data["unit"]?.stringValue else { return nil }
        self.init(job: job, printed: printed, language: e.language, stage: stage,
                  kind: .advanced(done: Int(done), total: Int(total), unit: unit), atMs: atMs)
    }
}

/// The lines a person sees while a run works, from its progress events: one line per job and
/// language, with its current stage, a bar where the stage's amount of work is known, the
/// elapsed time and an estimate of what is left; a unit that settled becomes a final line.
/// Pure: the terminal renderer (OlleeyCLI) draws it.
public struct ProgressView: Sendable {
    public enum State: String, Sendable { case running, done, failed }

    public struct Line: Sendable, Equatable {
        /// "JOB" or "JOB LANG".
        public var label: String
        public var stage: String
        public var state: State
        /// 0...1 when the stage's amount of work is known.
        public var fraction: Double?
        /// e.g. "12/40 cues", or "1:05/4:00" (minutes and seconds of media).
        public var detail: String?
        public var elapsedMs: Int64
        /// What is left of the stage, from its pace so far (bar stages only).
        public var remainingMs: Int64?
        /// The final status (done and failed lines).
        public var status: String?
    }

    struct Row: Sendable {
        var label: String
        var stage: String = ""
        var state: State = .running
        var startedMs: Int64
        var endedMs: Int64?
        var stageStartedMs: Int64
        var done = 0, total = 0, unit = ""
        /// The stage's first count and when it came: the pace is measured from there (a stage
        /// may work a while before it counts, e.g. the mix decoding the original audio).
        var firstCount = 0
        var firstCountMs: Int64?
        var status: String?
    }

    private var order: [String] = []
    private var rows: [String: Row] = [:]
    private var labels: [String: String] = [:]

    public init() {}

    static func key(_ job: String, _ language: String?) -> String { language.map { job + " " + $0 } ?? job }

    public mutating func apply(_ e: ProgressEvent) {
        let k = ProgressView.key(e.job, e.language)
        if labels[e.job] == nil { labels[e.job] = e.printed }
        let label = ProgressView.key(labels[e.job] ?? e.printed, e.language)
        var r = rows[k] ?? Row(label: label, startedMs: e.atMs, stageStartedMs: e.atMs)
        if rows[k] == nil { order.append(k) }
        switch e.kind {
        case .started:
            if r.stage != e.stage { r.stageStartedMs = e.atMs; r.done = 0; r.total = 0; r.unit = ""; r.firstCountMs = nil }
            r.stage = e.stage; r.state = .running; r.endedMs = nil; r.status = nil
        case let .advanced(done, total, unit):
            // a count of a stage the unit has left (read late from the events table) is stale
            if !r.stage.isEmpty && r.stage != e.stage { break }
            if r.stage != e.stage { r.stage = e.stage; r.stageStartedMs = e.atMs }
            if unit == r.unit && total == r.total && done < r.done { break }
            if r.firstCountMs == nil || unit != r.unit || total != r.total { r.firstCountMs = e.atMs; r.firstCount = done }
            r.done = done; r.total = total; r.unit = unit
        case .finished:
            r.stage = e.stage
            if r.total > 0 { r.done = r.total }
        case let .failed(message):
            r.stage = e.stage; r.state = .failed; r.status = message; r.endedMs = e.atMs
        case let .settled(status):
            if r.state != .failed { r.state = status == "failed" ? .failed : .done; r.status = status; r.endedMs = e.atMs }
        }
        rows[k] = r
    }

    /// The lines at `nowMs`, in the order their units first appeared.
    public func lines(nowMs: Int64) -> [Line] {
        order.compactMap { rows[$0] }.map { r in
            let end = r.endedMs ?? nowMs
            var line = Line(label: r.label, stage: r.stage, state: r.state, fraction: nil, detail: nil,
                            elapsedMs: max(0, end - r.startedMs), remainingMs: nil, status: r.status)
            if r.state == .running, r.total > 0 {
                let f = min(1, Double(r.done) / Double(r.total))
                line.fraction = f
                line.detail = r.unit == "ms" ? "\(ProgressView.clock(r.done))/\(ProgressView.clock(r.total))" : "\(r.done)/\(r.total) \(r.unit)"
                if let from = r.firstCountMs, r.done > r.firstCount, r.done < r.total {
                    let spent = Double(max(0, nowMs - from))
                    line.remainingMs = Int64(spent / Double(r.done - r.firstCount) * Double(r.total - r.done))
                }
            }
            return line
        }
    }

    /// Whether every unit seen has settled.
    public var finished: Bool { !rows.isEmpty && rows.values.allSatisfy { $0.state != .running } }

    /// One line as text, at most `width` characters: `0193a1b2 es   dub       [######------] 12/40 cues  3.2s  ~4s left`,
    /// `0193a1b2 es   mix       [##----------] 0:30/4:00  1.1s  ~7.7s left`,
    /// or `0193a1b2 es   done (draft) in 7.9s`.
    public static func text(_ l: Line, width: Int = 100) -> String {
        let label = l.label.padding(toLength: max(l.label.count, 14), withPad: " ", startingAt: 0)
        var s: String
        switch l.state {
        case .done: s = "\(label) done\(l.status.map { $0 == "completed" || $0 == "draft" ? "" : " (\($0))" } ?? "") in \(seconds(l.elapsedMs))"
        case .failed: s = "\(label) failed at \(l.stage)\(l.status.map { $0 == "failed" ? "" : ": " + $0 } ?? "") after \(seconds(l.elapsedMs))"
        case .running:
            s = "\(label) \(l.stage.padding(toLength: 10, withPad: " ", startingAt: 0))"
            if let f = l.fraction { s += " " + bar(f, width: 20) }
            if let d = l.detail { s += " " + d }
            s += "  " + seconds(l.elapsedMs)
            if let r = l.remainingMs { s += "  ~\(seconds(r)) left" }
        }
        return s.count > width ? String(s.prefix(max(1, width - 1))) + "…" : s
    }

    static func bar(_ f: Double, width: Int) -> String {
        let n = Int((f * Double(width)).rounded(.down))
        return "[" + String(repeating: "#", count: n) + String(repeating: "-", count: width - n) + "]"
    }

    /// A position in media: `m:ss` (`1:05`), `h:mm:ss` from an hour.
    static func clock(_ ms: Int) -> String {
        let s = max(0, ms) / 1000
        if s >= 3600 { return "\(s / 3600):\(String(format: "%02d", (s / 60) % 60)):\(String(format: "%02d", s % 60))" }
        return "\(s / 60):\(String(format: "%02d", s % 60))"
    }

    static func seconds(_ ms: Int64) -> String {
        if ms < 60_000 { return String(format: "%.1fs", Double(ms) / 1000) }
        return "\(ms / 60_000)m\(String(format: "%02d", (ms / 1000) % 60))s"
    }
}

extension ProgressView {
    /// What `job watch` reads at each poll: the job's status and stage, and each language's.
    public struct Snapshot: Sendable, Equatable {
        public var status: String
        public var stage: String?
        public var settled: Bool
        public var languages: [(language: String, status: String, stage: String?)]

        public init(status: String, stage: String?, settled: Bool, languages: [(language: String, status: String, stage: String?)]) {
            self.status = status; self.stage = stage; self.settled = settled; self.languages = languages
        }

        public static func == (a: Snapshot, b: Snapshot) -> Bool {
            a.status == b.status && a.stage == b.stage && a.settled == b.settled
                && a.languages.map { [$0.language, $0.status, $0.stage ?? ""] } == b.languages.map { [$0.language, $0.status, $0.stage ?? ""] }
        }
    }

    /// The job's own stages (the other stages run per language).
    static let jobStages: Set<String> = ["ingest", "transcribe", "master", "publish"]

    /// The progress events between two polls of a job (`previous` nil at the first): a language
    /// processing a new stage started it, a language that left processing (draft, failed, ...)
    /// settled, as did the job; the job's own stages show on its line.
    public static func changes(job: String, printed: String, from previous: Snapshot?, to now: Snapshot, atMs: Int64) -> [ProgressEvent] {
        var out: [ProgressEvent] = []
        let before = Dictionary((previous?.languages ?? []).map { ($0.language, $0) }, uniquingKeysWith: { a, _ in a })
        for l in now.languages {
            let old = before[l.language]
            if l.status == "processing", let stage = l.stage, old?.status != "processing" || old?.stage != stage {
                out.append(ProgressEvent(job: job, printed: printed, language: l.language, stage: stage, kind: .started, atMs: atMs))
            } else if l.status != "processing", l.status != "queued", l.status != "not-started", old == nil || old?.status != l.status {
                out.append(ProgressEvent(job: job, printed: printed, language: l.language, stage: l.stage ?? "", kind: .settled(l.status), atMs: atMs))
            }
        }
        if now.settled {
            if previous?.settled != true || previous?.status != now.status {
                out.append(ProgressEvent(job: job, printed: printed, language: nil, stage: now.stage ?? "", kind: .settled(now.status), atMs: atMs))
            }
        } else if now.languages.contains(where: { $0.status == "processing" }) {
            // the languages run: the job's preparation is over
            if let was = previous?.stage, ["ingest", "transcribe"].contains(was), !(previous?.languages.contains { $0.status == "processing" } ?? false) {
                out.append(ProgressEvent(job: job, printed: printed, language: nil, stage: was, kind: .settled("prepared"), atMs: atMs))
            }
        } else if let stage = now.stage, jobStages.contains(stage), previous?.stage != stage || previous?.settled == true
                    || (previous?.languages.contains { $0.status == "processing" } ?? false) {
            out.append(ProgressEvent(job: job, printed: printed, language: nil, stage: stage, kind: .started, atMs: atMs))
        }
        return out
    }
}
