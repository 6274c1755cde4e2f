/// Job statuses, shared with the HTTP API.
public enum JobStatus: String, Sendable, CaseIterable {
    case pending, queued, downloading, transcribing, translating
    case voiceCloning = "voice_cloning"
    case dubbing
    case lipSync = "lip_sync"
    case syncing, assembling
    case waitingApproval = "waiting_approval"
    case uploading, completed, failed, cancelled, paused

    /// A settled job does not change without a command (retry, resume, an edit).
    public var isSettled: Bool { [.completed, .failed, .cancelled, .paused, .waitingApproval].contains(self) }
}

/// Per-language (localized video) statuses, shared with the HTTP API.
public enum LanguageStatus: String, Sendable, CaseIterable {
    case notStarted = "not-started"
    case queued, processing
    case waitingApproval = "waiting_approval"
    case draft, live, published, failed, cancelled

    public var isFinished: Bool { [.draft, .live, .published, .failed, .cancelled].contains(self) }
}

/// The pipeline's stages, in order.
public enum Stage: String, Sendable, CaseIterable, Comparable {
    case ingest, transcribe, translate, voice, dub
    case lipSync = "lip_sync"
    case mix, assemble
    /// Audio description (`--describe`): gaps, the descriptions track, the described audio and
    /// the extended-AD video, per language, after its own outputs are assembled.
    case describe
    case master, approval, publish

    public static func < (a: Stage, b: Stage) -> Bool { a.order < b.order }
    /// The stages in order, made once (`allCases` builds a new array at each use).
    public static let inOrder = Stage.allCases
    public var order: Int { Stage.inOrder.firstIndex(of: self) ?? 0 }

    /// Per-language stages run once per target language.
    public var isPerLanguage: Bool { [.translate, .voice, .dub, .lipSync, .mix, .assemble, .describe].contains(self) }

    /// The job status shown while this stage runs.
    public var jobStatus: JobStatus {
        switch self {
        case .ingest: return .downloading
        case .transcribe: return .transcribing
        case .translate: return .translating
        case .voice: return .voiceCloning
        case .dub: return .dubbing
        case .lipSync: return .lipSync
        case .mix: return .syncing
        case .assemble, .describe, .master: return .assembling
        case .approval: return .waitingApproval
        case .publish: return .uploading
        }
    }
}

/// What a job was asked to do (stored as JSON on the job).
public struct JobOptions: Sendable, Equatable {
    public var targetLanguages: [String]
    public var subtitlesPath: String?          // the provided source subtitles (copied into the workspace)
    public var engines: [String: String]       // stage -> engine name
    public var voices: [String: String]       // language -> voice
    public var lipSync: Bool
    public var burnIn: String?                 // language whose subtitles are burned in
    public var requireApproval: Bool
    public var fitMode: String                 // audio | video
    public var maxTempo: Double
    public var glossary: String?
    public var maxCostMicros: Int64?
    /// Audio description (`--describe`): a descriptions track, a described audio track and an
    /// extended-AD video per language.
    public var describe: Bool
    /// Captions (SDH) as well as subtitles (`--captions`): per language a captions VTT and SRT
    /// (speakers named, sound tags kept), which are also what `--burn-in` burns.
    public var captions: Bool = false
    /// Per-job speaker voices (`--voice-for`): `SpeakerName.key` (every language) or
    /// `key:LANG` -> voice; stronger than the voice registry.
    public var speakerVoices: [String: String] = [:]

    public init(targetLanguages: [String], subtitlesPath: String? = nil, engines: [String: String] = [:],
                voices: [String: String] = [:], lipSync: Bool = false, burnIn: String? = nil,
                requireApproval: Bool = false, fitMode: String = "audio", maxTempo: Double = 1.3,
                glossary: String? = nil, maxCostMicros: Int64? = nil, describe: Bool = false) {
        self.describe = describe
        self.targetLanguages = targetLanguages; self.subtitlesPath = subtitlesPath; self.engines = engines
        self.voices = voices; self.lipSync = lipSync; self.burnIn = burnIn; self.requireApproval = requireApproval
        self.fitMode = fitMode; self.maxTempo = maxTempo; self.glossary = glossary; self.maxCostMicros = maxCostMicros
    }

    public var json: JSON {
        .object([
            ("target_languages", .array(targetLanguages.map { .string($0) })),
            ("subtitles", JSON(subtitlesPath)),
            ("engines", .object(engines.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) })),
            ("voices", .object(voices.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) })),
            ("lip_sync", .bool(lipSync)),
            ("burn_in", JSON(burnIn)),
            ("require_approval", .bool(requireApproval)),
            ("fit_mode", .string(fitMode)),
            ("max_tempo", .double(maxTempo)),
            ("glossary", JSON(glossary)),
            ("max_cost_micros", JSON(maxCostMicros)),
            ("describe", .bool(describe)),
            ("captions", .bool(captions)),
            ("speaker_voices", .object(speakerVoices.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) })),
        ])
    }

    public init(json j: JSON) {
        targetLanguages = j["target_languages"]?.arrayValue?.compactMap(\.stringValue) ?? []
        subtitlesPath = j["subtitles"]?.stringValue
        engines = Dictionary(uniqueKeysWithValues: (j["engines"]?.objectValue ?? []).compactMap { k, v in v.stringValue.map { (k, $0) } })
        voices = Dictionary(uniqueKeysWithValues: (j["voices"]?.objectValue ?? []).compactMap { k, v in v.stringValue.map { (k, $0) } })
        lipSync = j["lip_sync"]?.boolValue ?? false
        burnIn = j["burn_in"]?.stringValue
        requireApproval = j["require_approval"]?.boolValue ?? false
        fitMode = j["fit_mode"]?.stringValue ?? "audio"
        maxTempo = j["max_tempo"]?.doubleValue ?? 1.3
        glossary = j["glossary"]?.stringValue
        maxCostMicros = j["max_cost_micros"]?.intValue
        describe = j["describe"]?.boolValue ?? false
        captions = j["captions"]?.boolValue ?? false
        speakerVoices = Dictionary((j["speaker_voices"]?.objectValue ?? []).compactMap { k, v in v.stringValue.map { (k, $0) } }, uniquingKeysWith: { a, _ in a })
    }
}

public struct Job: Sendable {
    public var id: String
    public var source: String
    public var sourceName: String
    public var sourceLang: String
    public var videoId: String?
    public var status: JobStatus
    public var stage: String?
    public var options: JobOptions
    public var projectId: String?
    public var channelId: String?
    public var error: String?
    public var errorStage: String?
    public var paused: Bool
    public var cancelRequested: Bool
    public var createdAt: String
    public var updatedAt: String
    public var startedAt: String?
    public var completedAt: String?
    /// The organisation that owns the job.
    public var orgId: String = Actor.defaultOrg

    public init(id: String, source: String, sourceName: String, sourceLang: String, videoId: String?, status: JobStatus, stage: String?,
                options: JobOptions, projectId: String?, channelId: String?, error: String?, errorStage: String?,
                paused: Bool, cancelRequested: Bool, createdAt: String, updatedAt: String, startedAt: String?, completedAt: String?,
                orgId: String = Actor.defaultOrg) {
        self.id = id; self.source = source; self.sourceName = sourceName; self.sourceLang = sourceLang; self.videoId = videoId
        self.status = status; self.stage = stage; self.options = options; self.projectId = projectId; self.channelId = channelId
        self.error = error; self.errorStage = errorStage; self.paused = paused; self.cancelRequested = cancelRequested
        self.createdAt = createdAt; self.updatedAt = updatedAt; self.startedAt = startedAt; self.completedAt = completedAt
        self.orgId = orgId
    }
}

public struct JobLanguage: Sendable {
    public var jobId: String
    public var language: String
    public var status: LanguageStatus
    public var stage: String?
    public var error: String?
    public var errorStage: String?
    public var failedCues: [String]
    public var outputs: JSON
    public var fitReport: JSON?
    public var renderKey: String?
    public var sourceSHA: String?
    /// Set when this render's mixed audio and subtitles are in place (the master's inputs).
    public var audioKey: String? = nil
    public var approval: String          // "", approved, rejected
    public var approvalReason: String?
    public var updatedAt: String
}
