import OlleeyHTTP
import OlleeyKit

/// One field of a spec's object: its name there and how it is written from OlleeyKit's read
/// model. The routes map field names only; what a value means is OlleeyKit's.
struct SpecField<Model>: Sendable {
    let name: String
    /// `"name":`, written once.
    let key: [UInt8]
    let kind: Kind

    /// How the value is read and written. The common kinds hold the reader itself (a closure
    /// that captures nothing: calling it retains nothing), not a writer wrapped around it: a
    /// page writes 350 fields.
    enum Kind: Sendable {
        case string(@Sendable (Model) -> String)
        case optionalString(@Sendable (Model) -> String?)
        case int(@Sendable (Model) -> Int)
        case strings(@Sendable (Model) -> [String])
        case custom(@Sendable (inout JSONWriter, Model) -> Void)
    }

    init(name: String, kind: Kind) {
        self.name = name; self.kind = kind; key = JSONWriter.encodedKey(name)
    }

    init(name: String, write: @escaping @Sendable (inout JSONWriter, Model) -> Void) {
        self.init(name: name, kind: .custom(write))
    }

    /// The field's value (not its key).
    @inline(__always)
    func write(_ w: inout JSONWriter, _ m: Model) {
        switch kind {
        case let .string(get): w.value(get(m))
        case let .optionalString(get): if let s = get(m) { w.value(s) } else { w.null() }
        case let .int(get): w.value(get(m))
        case let .strings(get):
            let list = get(m)
            w.beginArray()
            for s in list { w.value(s) }
            w.endArray()
        case let .custom(write): write(&w, m)
        }
    }

    static func string(_ name: String, _ get: @escaping @Sendable (Model) -> String) -> SpecField {
        SpecField(name: name, kind: .string(get))
    }
    static func optionalString(_ name: String, _ get: @escaping @Sendable (Model) -> String?) -> SpecField {
        SpecField(name: name, kind: .optionalString(get))
    }
    static func int(_ name: String, _ get: @escaping @Sendable (Model) -> Int) -> SpecField {
        SpecField(name: name, kind: .int(get))
    }
    static func strings(_ name: String, _ get: @escaping @Sendable (Model) -> [String]) -> SpecField {
        SpecField(name: name, kind: .strings(get))
    }
    static func bool(_ name: String, _ get: @escaping @Sendable (Model) -> Bool) -> SpecField {
        SpecField(name: name) { w, m in w.raw(Array((get(m) ? "true" : "false").utf8)) }
    }
    /// A value OlleeyKit's read model already gives as JSON (nested objects, lists).
    static func json(_ name: String, _ get: @escaping @Sendable (Model) -> JSON) -> SpecField {
        SpecField(name: name) { w, m in w.raw(Array(get(m).encoded().utf8)) }
    }

    /// A field the product has no data for: always `null` (documented in the README).
    static func null(_ name: String) -> SpecField {
        SpecField(name: name) { w, _ in w.null() }
    }
}

/// The field names of the two API specs (`../shared/spec/`) over OlleeyKit's read models, one
/// table per object and spec, written once: the root spec (`olleey-backend-api.md`, routes at
/// `/`) and the second spec (`accessible-video-api.md`, routes under `/api/v1`). Objects are
/// written with JSONWriter in the table's order (no JSONEncoder on the hot path).
enum SpecMapping {
    /// A job in the root spec's `GET /jobs` list.
    static let rootJob: [SpecField<Job>] = [
        .string("job_id") { $0.id },
        .optionalString("source_video_id") { $0.videoId },
        .string("status") { StatusWords.root($0.status) },
        .int("progress") { $0.progress },
        .strings("target_languages") { $0.options.targetLanguages },
        .string("created_at") { $0.createdAt },
        .string("updated_at") { $0.updatedAt },
    ]

    /// A job in the second spec's `GET /api/v1/jobs` list (its "job object key fields" that
    /// the read model has; `outputs` and `language_qc` belong to the job detail).
    static let v1Job: [SpecField<Job>] = [
        .string("_id") { $0.id },
        .string("status") { StatusWords.v1($0.status, errorStage: $0.errorStage) },
        .string("org_id") { $0.orgId },
        .string("source_language") { $0.sourceLang },
        .strings("requested_outputs") { $0.options.targetLanguages },
        .string("created_at") { $0.createdAt },
        .string("updated_at") { $0.updatedAt },
        .optionalString("error") { $0.error },
    ]

    /// A job in full in the root spec (`GET /jobs/{id}`, and the `job` of every live event): the
    /// list's fields and what the detail adds.
    static let rootJobDetail: [SpecField<Job>] = rootJob + [
        .optionalString("source_channel_id") { $0.channelId },
        .optionalString("project_id") { $0.projectId },
        .string("title") { $0.sourceName },
        .string("source_language") { $0.sourceLang },
        .optionalString("completed_at") { $0.completedAt },
        .optionalString("error") { $0.error },
    ]

    /// An uploaded video in the root spec's `GET /videos/list` (`thumbnail_url`, `view_count`,
    /// `published_at`: no data, null; `status`: `uploaded`; `duration` in whole seconds).
    static let rootVideo: [SpecField<SourceVideo>] = [
        .string("video_id") { $0.id },
        .string("title") { $0.title },
        .optionalString("description") { $0.description },
        .null("thumbnail_url"),
        .int("duration") { $0.durationMs / 1000 },
        .null("view_count"),
        .string("status") { _ in "uploaded" },
        .optionalString("channel_id") { $0.channelId },
        .optionalString("project_id") { $0.projectId },
        .null("published_at"),
        .string("created_at") { $0.createdAt },
    ]

    /// A job's localized video in the root spec's `GET /jobs/{id}/videos`: one language of the
    /// job, its outputs as absolute signed URLs, a person's title and description.
    static let rootLocalizedVideo: [SpecField<LocalizedVideo>] = [
        .string("id") { "\($0.job.id):\($0.language.language)" },
        .string("job_id") { $0.job.id },
        .string("language_code") { $0.language.language },
        .optionalString("storage_url") { $0.storageURL },
        .optionalString("dubbed_audio_url") { $0.audioURL },
        .null("thumbnail_url"),
        .string("status") { $0.language.status.rawValue },
        .optionalString("approval") { $0.language.approval.isEmpty ? nil : $0.language.approval },
        .optionalString("title") { $0.metadata?.title },
        .optionalString("description") { $0.metadata?.description },
        .string("created_at") { $0.job.createdAt },
        .string("updated_at") { $0.language.updatedAt },
    ]

    /// A list of `model`s with `fields` (a bare JSON array).
    static func array<M>(_ items: [M], fields: [SpecField<M>]) -> [UInt8] {
        var w = JSONWriter(capacity: 256 * max(1, items.count))
        w.array { a in for i in items { write(fields, i, to: &a) } }
        return w.bytes
    }

    /// One page of `model`s in the specs' page envelope (as `pageEnvelope`).
    static func page<M>(_ key: String, _ items: [M], fields: [SpecField<M>], total: Int, page: Int, pageSize: Int) -> [UInt8] {
        var w = JSONWriter(capacity: 256 * max(1, items.count))
        w.object { o in
            o.key(key)
            o.array { a in for i in items { write(fields, i, to: &a) } }
            o.field("total", total); o.field("page", page); o.field("page_size", pageSize)
            o.field("total_pages", pageSize > 0 ? (total + pageSize - 1) / pageSize : 0)
        }
        return w.bytes
    }

    // MARK: part C (second spec): VTT versions, language QC, glossaries, downloads

    /// One version of a language's track (`GET /api/v1/jobs/{id}/vtt-versions/{lang}`): its
    /// number is its id; `cue_authors` counts cues by who wrote them last.
    static let vttVersion: [SpecField<TrackService.HistoryEntry>] = [
        .string("version_id") { String($0.version.version) },
        .int("version") { $0.version.version },
        .string("author") { $0.version.author },
        .string("message") { $0.version.message },
        .string("sha256") { $0.version.sha256 },
        .string("created_at") { $0.version.createdAt },
        .json("cue_authors") { e in .array(e.cueAuthors.map { .object([("author", .string($0.author)), ("cues", .int(Int64($0.cues)))]) }) },
        .int("stale_cues") { $0.stale },
        .int("dropped_cues") { $0.dropped },
    ]

    /// One language's review (`GET /api/v1/jobs/{id}/language-qc`); the spec names no fields:
    /// these are `olleey qc status --json`'s.
    static let languageQC: [SpecField<QCLanguageStatus>] = [
        .string("language") { $0.entry.language },
        .string("state") { $0.entry.state.rawValue },
        .optionalString("assignee_id") { $0.entry.assigneeId },
        .optionalString("assignee") { $0.entry.assigneeEmail },
        .string("language_status") { $0.languageStatus.rawValue },
        .optionalString("approval") { $0.approval.isEmpty ? nil : $0.approval },
        .optionalString("reason") { $0.reason },
        .int("glossary_violations") { $0.violations.count },
        .json("history") { .array($0.history.map(\.json)) },
        .strings("stale_cues") { $0.attention?.stale ?? [] },
        .json("descriptions") { $0.descriptions?.json ?? .null },
        .string("updated_at") { $0.entry.updatedAt },
    ]

    /// A glossary (`/api/v1/glossaries`); the detail adds `terms`.
    static let glossary: [SpecField<Glossary>] = [
        .string("id") { $0.id },
        .string("name") { $0.name },
        .string("source_lang") { $0.sourceLang },
        .string("description") { $0.description },
        .int("term_count") { $0.termCount },
        .string("created_at") { $0.createdAt },
        .string("updated_at") { $0.updatedAt },
    ]

    /// A glossary term; `targets` maps a language to `{"term","variants","forbidden"}`.
    static let glossaryTerm: [SpecField<GlossaryTerm>] = [
        .string("id") { $0.id },
        .string("term") { $0.term },
        .strings("variants") { $0.variants },
        .optionalString("part_of_speech") { $0.partOfSpeech },
        .optionalString("note") { $0.note },
        .bool("dnt") { $0.dnt },
        .bool("forbidden") { $0.forbidden },
        .bool("case_sensitive") { $0.caseSensitive },
        .json("targets") { t in .object(t.targets.map { ($0.language, $0.json) }) },
    ]

    /// Any object of `fields` as a JSON document.
    static func object<M>(_ model: M, _ fields: [SpecField<M>]) -> [UInt8] {
        var w = JSONWriter(capacity: 256)
        write(fields, model, to: &w)
        return w.bytes
    }

    /// One job as a JSON document with `fields`.
    static func job(_ job: Job, fields: [SpecField<Job>]) -> [UInt8] {
        var w = JSONWriter(capacity: 512)
        write(fields, job, to: &w)
        return w.bytes
    }

    /// One job as OlleeyKit JSON with `fields` (to embed in a larger answer).
    static func jobJSON(_ job: Job, fields: [SpecField<Job>]) -> JSON {
        (try? JSON.parse(bytes: SpecMapping.job(job, fields: fields), maxDepth: 16)) ?? .null
    }

    static func write<M>(_ fields: [SpecField<M>], _ model: borrowing M, to w: inout JSONWriter) {
        // no closure: one capturing `model` copied it (every field retained) per row
        w.beginObject()
        for i in fields.indices { w.key(encoded: fields[i].key); fields[i].write(&w, model) }
        w.endObject()
    }

    /// `{"jobs": [...], "total": N}` (both specs' list envelope): `each` lends the page's jobs
    /// one at a time (`JobQueries.eachOfPage`), each written as it comes, and returns the total.
    static func jobList(fields: [SpecField<Job>], capacity: Int, _ each: (_ visit: (borrowing Job) throws -> Void) throws -> Int) rethrows -> [UInt8] {
        var w = JSONWriter(capacity: capacity)
        w.beginObject()
        w.key("jobs")
        w.beginArray()
        let total = try each { job in write(fields, job, to: &w) }
        w.endArray()
        w.field("total", total)
        w.endObject()
        return w.bytes
    }
}

/// The status words of the two specs over OlleeyKit's job states, written once.
///
/// - Root spec (`olleey-backend-api.md`): OlleeyKit's words as they are (`pending`, `queued`,
///   `downloading`, `transcribing`, `translating`, `voice_cloning`, `dubbing`, `lip_sync`,
///   `syncing`, `assembling`, `waiting_approval`, `uploading`, `completed`, `failed`,
///   `cancelled`, `paused`): the spec's examples and its web client use these. Its `processing`
///   is accepted as a filter meaning every running state; its `approved` is a localized video's
///   status (a language approved in review), not a job's.
/// - Second spec (`accessible-video-api.md`): its JobStatus refers to a document we do not have;
///   its retry action names `TTS_FAILED` and `RENDER_FAILED`, so its words are OlleeyKit's in
///   upper case, and a failed job is `TTS_FAILED` (it failed voicing or dubbing, or its audio
///   description: writing, voicing and mixing the descriptions, `describe`),
///   `RENDER_FAILED` (lip sync, mixing, assembling or mastering) or `FAILED` (anything else).
///   Filters accept these words and the lower-case ones.
enum StatusWords {
    /// The running states (the root spec's `processing`).
    static let running: [JobStatus] = [.queued, .downloading, .transcribing, .translating, .voiceCloning, .dubbing, .lipSync, .syncing, .assembling, .uploading]

    static func root(_ s: JobStatus) -> String { s.rawValue }

    static func v1(_ s: JobStatus, errorStage: String?) -> String {
        guard s == .failed else { return s.rawValue.uppercased() }
        switch errorStage.flatMap(Stage.init(rawValue:)) {
        case .voice?, .dub?, .describe?: return "TTS_FAILED"
        case .lipSync?, .mix?, .assemble?, .master?: return "RENDER_FAILED"
        default: return "FAILED"
        }
    }

    /// The stages a failure word of the second spec names (for retry and filters); nil for a
    /// word that is not a failure.
    static func failedStages(_ word: String) -> [Stage]? {
        switch word.uppercased() {
        case "TTS_FAILED": return [.voice, .dub, .describe]
        case "RENDER_FAILED": return [.lipSync, .mix, .assemble, .master]
        case "FAILED": return []
        default: return nil
        }
    }

    /// A status filter's words (either spec's) as OlleeyKit's statuses; an unknown word is 400
    /// listing the words.
    static func filter(_ words: [String]) throws(HTTPError) -> [String] {
        var out: [String] = []
        for w in words {
            let l = w.lowercased()
            if l == "processing" { out += running.map(\.rawValue); continue }
            if failedStages(w) != nil { out.append(JobStatus.failed.rawValue); continue }
            guard let s = JobStatus(rawValue: l) else {
                throw HTTPError(400, "unknown status '\(w)': one of \((["processing"] + JobStatus.allCases.map(\.rawValue)).joined(separator: ", "))", code: "usage")
            }
            out.append(s.rawValue)
        }
        var seen = Set<String>()
        return out.filter { seen.insert($0).inserted }
    }
}

/// A job's localized video as the routes see it: the language, its signed URLs (made by the
/// route: they need the request's host), its metadata.
struct LocalizedVideo: Sendable {
    var job: Job
    var language: JobLanguage
    var metadata: LocalizedMetadata?
    var storageURL: String?
    var audioURL: String?
}
