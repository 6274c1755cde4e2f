/// What a live client (SSE, WebSocket) is told about an event of the log: the API's event
/// types, mapped from the log's kinds by one table.
public enum LiveEventType: String, Sendable, CaseIterable {
    case jobCreated = "job_created"
    case jobUpdate = "job_update"
    case jobCompleted = "job_completed"
    case jobFailed = "job_failed"
    case videoReady = "video_ready"
}

/// The WebSocket messages' types (`/api/v1/ws/...`); `ping` is the server's own heartbeat.
public enum LiveSocketType: String, Sendable, CaseIterable {
    case jobStatusUpdate = "job_status_update"
    case notification
    case ping
}

/// The table from an event of the log (its `kind`, and for some kinds a field of its data) to
/// the SSE type and the WebSocket type. The first matching row wins; a kind no row names is
/// not sent to live clients (nil).
public enum LiveEventMapping {
    public struct Row: Sendable {
        public let kind: String
        /// When set, the row matches only if the event's `data.<field>` is `value`.
        public let field: String?
        public let value: String?
        public let sse: LiveEventType?
        public let socket: LiveSocketType?
    }

    static func row(_ kind: String, _ field: String? = nil, _ value: String? = nil, sse: LiveEventType?, socket: LiveSocketType?) -> Row {
        Row(kind: kind, field: field, value: value, sse: sse, socket: socket)
    }

    public static let rows: [Row] = [
        row("job.created", sse: .jobCreated, socket: .jobStatusUpdate),
        row("job.status", "status", JobStatus.completed.rawValue, sse: .jobCompleted, socket: .jobStatusUpdate),
        row("job.status", "status", JobStatus.failed.rawValue, sse: .jobFailed, socket: .jobStatusUpdate),
        row("job.status", sse: .jobUpdate, socket: .jobStatusUpdate),
        row("job.failed", sse: .jobFailed, socket: .jobStatusUpdate),
        row("job.retry", sse: .jobUpdate, socket: .jobStatusUpdate),
        row("job.interrupted", sse: .jobUpdate, socket: .jobStatusUpdate),
        row("stage.progress", sse: .jobUpdate, socket: nil),
        // the localized video of a language is assembled: ready for review
        row("stage.finished", "stage", Stage.assemble.rawValue, sse: .videoReady, socket: .notification),
        row("stage.finished", sse: .jobUpdate, socket: nil),
        row("language.failed", sse: .jobUpdate, socket: .notification),
        row("language.approved", sse: .jobUpdate, socket: .notification),
        row("language.rejected", sse: .jobUpdate, socket: .notification),
        row("language.published", sse: .jobUpdate, socket: .notification),
        row("publish.skipped", sse: nil, socket: .notification),
        row("qc.assigned", sse: nil, socket: .notification),
        row("qc.feedback", sse: nil, socket: .notification),
        row("track.version", sse: nil, socket: .notification),
        row("track.stale", sse: nil, socket: .notification),
        row("glossary.violations", sse: nil, socket: .notification),
    ]

    static func match(_ e: Event) -> Row? {
        rows.first { r in
            guard r.kind == e.kind else { return false }
            guard let f = r.field else { return true }
            return e.data[f]?.stringValue == r.value
        }
    }

    /// The SSE type of `e` (nil: not sent over SSE).
    public static func sseType(_ e: Event) -> LiveEventType? { match(e)?.sse }
    /// The WebSocket type of `e` (nil: not sent over WebSockets).
    public static func socketType(_ e: Event) -> LiveSocketType? { match(e)?.socket }
}
