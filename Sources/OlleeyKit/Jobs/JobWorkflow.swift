import Foundation

/// The root API's `workflow_state` of a job (what its web client draws): where the source's
/// preparation is, each language's dubbing, the people's titles and descriptions, approvals.
/// Built from the job, its languages and its localized metadata; a URL is made by the caller
/// from an output's path relative to the workspace (`url`), nil when it has none.
public struct JobWorkflow: Sendable {
    public var job: Job
    public var languages: [JobLanguage]
    public var metadata: [String: LocalizedMetadata]

    public init(job: Job, languages: [JobLanguage], metadata: [String: LocalizedMetadata]) {
        self.job = job; self.languages = languages; self.metadata = metadata
    }

    /// `pending`, `processing`, `completed` or `failed` of the source's preparation (ingest
    /// and transcription: the languages start after it).
    public var preparation: String {
        if !languages.isEmpty && languages.contains(where: { $0.status != .notStarted && $0.status != .queued }) { return "completed" }
        if job.status == .failed, let s = job.errorStage.flatMap(Stage.init(rawValue:)), s <= .transcribe { return "failed" }
        if [.downloading, .transcribing].contains(job.status) { return "processing" }
        if job.status == .completed { return "completed" }
        return job.videoId != nil && job.status != .queued && job.status != .pending ? "completed" : "pending"
    }

    /// A language's dubbing status in the client's words: `pending`, a running stage's job
    /// word (`translating`, `voice_cloning`, `dubbing`, `lip_sync`, `syncing`, `assembling`),
    /// `completed` (rendered: waiting approval, draft, live, published) or `failed`
    /// (failed or cancelled).
    public static func dubbing(_ l: JobLanguage) -> String {
        switch l.status {
        case .notStarted, .queued: return "pending"
        case .processing: return l.stage.flatMap(Stage.init(rawValue:))?.jobStatus.rawValue ?? "processing"
        case .waitingApproval, .draft, .live, .published: return "completed"
        case .failed, .cancelled: return "failed"
        }
    }

    /// A language's percent done: 100 rendered; else the share of the per-language stages before
    /// its current one.
    public static func progress(_ l: JobLanguage) -> Int {
        if dubbing(l) == "completed" { return 100 }
        let stages = Stage.allCases.filter(\.isPerLanguage)
        guard let s = l.stage.flatMap(Stage.init(rawValue:)), let i = stages.firstIndex(of: s) else { return 0 }
        return i * 100 / stages.count
    }

    public func json(url: (String) -> String?) -> JSON {
        let done: (LanguageStatus) -> Bool = { [.waitingApproval, .draft, .live, .published].contains($0) }
        var translations: [(String, JSON)] = []
        var dubbing: [(String, JSON)] = []
        for l in languages {
            let m = metadata[l.language]
            translations.append((l.language, .object([
                ("title_status", .string(m?.title == nil ? "pending" : "completed")),
                ("description_status", .string(m?.description == nil ? "pending" : "completed")),
                ("title_text", JSON(m?.title)), ("description_text", JSON(m?.description)),
                ("completed_at", JSON(m?.updatedAt)),
            ])))
            dubbing.append((l.language, .object([
                ("status", .string(Self.dubbing(l))), ("progress", .int(Int64(Self.progress(l)))),
                ("video_url", JSON(l.outputs["mp4"]?.stringValue.flatMap(url))),
                ("completed_at", done(l.status) ? .string(l.updatedAt) : .null),
            ])))
        }
        let source = metadata[job.sourceLang]
        return .object([
            ("metadata_extraction", .object([("status", .string(preparation)), ("title", .string(source?.title ?? job.sourceName)),
                                             ("description", JSON(source?.description)), ("completed_at", .null)])),
            ("translations", .object(translations)),
            ("video_dubbing", .object(dubbing)),
            ("thumbnails", .object([])),
            ("approval_status", .object([
                ("requires_review", .bool(job.options.requireApproval)),
                ("approved_languages", .array(languages.filter { $0.approval == "approved" }.map { .string($0.language) })),
                ("rejected_languages", .array(languages.filter { $0.approval == "rejected" }.map { .string($0.language) })),
            ])),
        ])
    }
}

extension JobQueries {
    /// The job's workflow state (404 for another organisation's job).
    public func workflow(_ job: Job) throws -> JobWorkflow {
        try actor.check(job)
        return JobWorkflow(job: job, languages: try store.languages(job.id), metadata: try LocalizedMetadataStore(db).all(job: job.id))
    }
}
