import Foundation

/// Publishes a finished job's languages to its channel's publisher hook.
///
/// For each rendered language: the target is the language channel for it (see
/// `ChannelService.target`); a paused channel (or paused master) gets no new publishes, and a
/// language without a target or without a publisher stays a draft. A command publisher runs its
/// template with `{video} {audio} {vtt} {srt} {lang} {job} {channel} {channel_id} {title}`; the
/// last line it prints, when it is a URL, is kept as the published URL. An HTTP publisher gets a
/// JSON POST with the same values; a `url` in its JSON answer is kept. A failing publisher fails
/// the publish stage (the languages already published stay published; `job retry` publishes the rest).
public struct ChannelPublisher {
    public let db: Database
    public let workspace: Workspace
    public let cancel: CancelToken
    public var timeout: Double = 600

    public init(db: Database, workspace: Workspace, cancel: CancelToken = .never) {
        self.db = db; self.workspace = workspace; self.cancel = cancel
    }

    /// Returns the languages that are published (now or before).
    public func publish(_ job: Job, log: (String) -> Void = { _ in }) throws -> Set<String> {
        let store = JobStore(db)
        let channels = ChannelService(db)
        var published: Set<String> = []
        for l in try store.languages(job.id) {
            if l.status == .published { published.insert(l.language); continue }
            guard l.renderKey != nil, l.status != .failed, l.status != .cancelled else { continue }
            guard let (target, master) = try channels.target(for: job, language: l.language) else {
                try skip(job, l.language, "no \(l.language) channel under the job's channel", log: log); continue
            }
            if target.status == .paused || master?.status == .paused {
                try skip(job, l.language, "channel '\(target.status == .paused ? target.name : master?.name ?? "")' is paused", log: log); continue
            }
            let command = target.publishCommand ?? (target.publishURL == nil ? master?.publishCommand : nil)
            let url = target.publishURL ?? (target.publishCommand == nil ? master?.publishURL : nil)
            guard command != nil || url != nil else { try skip(job, l.language, "channel '\(target.name)' has no publisher", log: log); continue }
            let outputs = l.outputs
            func abs(_ k: String) -> String { outputs[k]?.stringValue.map { workspace.filesRoot + "/" + $0 } ?? "" }
            let values: [String: String] = [
                "video": abs("mp4"), "audio": abs("audio"), "vtt": abs("vtt"), "srt": abs("srt"), "lang": l.language,
                "job": job.id, "channel": target.name, "channel_id": target.externalId ?? target.id, "title": job.sourceName,
            ]
            var publishedURL: String?
            if let command {
                let template = try CommandTemplate(command, setting: "the publish command of channel '\(target.name)'")
                let r = try template.run(values, timeout: timeout, cancel: cancel, what: "publishing \(l.language) to '\(target.name)'")
                let last = r.stdoutString.split(whereSeparator: \.isNewline).last.map { $0.trimmingCharacters(in: .whitespaces) }
                if let last, last.hasPrefix("http://") || last.hasPrefix("https://") { publishedURL = last }
            } else if let url {
                let body = JSON.object(values.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) } + [("source_lang", .string(job.sourceLang))])
                let resp = try HTTPClient(timeout: timeout).postJSON(url, body)
                guard (200..<300).contains(resp.status) else {
                    throw OlleeyError.failure("publishing \(l.language) to '\(target.name)' failed: \(url) answered HTTP \(resp.status)")
                }
                publishedURL = (try? resp.json())?["url"]?.stringValue
            }
            let record: JSON = .object([("channel_id", .string(target.id)), ("channel_name", .string(target.name)), ("url", JSON(publishedURL)),
                                        ("published_at", .string(Clock.nowISO()))])
            try db.transaction {
                try store.setPublished(job.id, l.language, record)
                try store.setLanguage(job.id, l.language, status: .published, stage: Stage.publish.rawValue)
                try EventStore(db).append("language.published", job: job.id, language: l.language, record)
                try AuditLog(db).record(actor: "olleey", action: "language.publish", subject: "\(job.id)/\(l.language)", detail: record)
            }
            log("\(JobStore(db).printedId(job.id)) \(l.language) published to \(target.name)\(publishedURL.map { " (\($0))" } ?? "")")
            published.insert(l.language)
        }
        return published
    }

    func skip(_ job: Job, _ language: String, _ reason: String, log: (String) -> Void) throws {
        try EventStore(db).append("publish.skipped", job: job.id, language: language, ["reason": .string(reason)])
        log("\(JobStore(db).printedId(job.id)) \(language) not published: \(reason) (it stays a draft)")
    }
}
