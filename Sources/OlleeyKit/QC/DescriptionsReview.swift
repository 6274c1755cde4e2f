import Foundation
import WebVTT

/// What a reviewer checks in a language's audio-description script (`--describe`), beside its
/// translation: where the script stands, who wrote its cues, and its findings.
///
/// Findings (`code`, `severity`, `cue`, `message`):
/// - `no_script` (error): the language waits for a person to write the script.
/// - `empty` (error): a cue with no text to speak.
/// - `overlaps_speech` (error): a description over the programme's dialogue (the source
///   transcript's cues): it would be read over the speech.
/// - `overlaps_description` (error): two descriptions at once.
/// - `extended_only` (warning): longer than its gap even at the tempo cap: only the
///   extended-AD video has it (the picture holds for it); the described audio leaves it out.
/// - `stale` (warning): a person wrote it and the source script changed since.
public struct DescriptionsReview: Sendable {
    public struct Finding: Sendable, Equatable {
        public var code: String
        public var severity: String
        public var cue: String?
        public var message: String
        public var json: JSON { .object([("code", .string(code)), ("severity", .string(severity)), ("cue", JSON(cue)), ("message", .string(message))]) }
    }

    public var language: String
    /// `ready`, `waiting_for_script`, `failed` (its describe stage failed), or `not_rendered`.
    public var status: String
    public var version: Int?
    public var cues: Int
    /// Cues a person wrote last.
    public var humanCues: Int
    public var findings: [Finding]

    public var errors: Int { findings.filter { $0.severity == "error" }.count }

    public var json: JSON {
        .object([("status", .string(status)), ("version", version.map { .int(Int64($0)) } ?? .null), ("cues", .int(Int64(cues))),
                 ("human_cues", .int(Int64(humanCues))), ("errors", .int(Int64(errors))),
                 ("warnings", .int(Int64(findings.count - errors))), ("findings", .array(findings.map(\.json)))])
    }

    /// The review of `language`'s descriptions; nil when the job was not made with `--describe`.
    public static func of(_ job: Job, language: String, db: Database) throws -> DescriptionsReview? {
        guard job.options.describe else { return nil }
        let store = TrackStore(db)
        let jl = try JobStore(db).language(job.id, language)
        let report = jl?.outputs["descriptions"]
        var status = report?["status"]?.stringValue ?? "not_rendered"
        if jl?.status == .failed && jl?.errorStage == Stage.describe.rawValue { status = "failed" }
        var findings: [Finding] = []
        guard let v = try store.current(job: job.id, language: language, kind: .descriptions) else {
            if status == "waiting_for_script" {
                findings.append(Finding(code: "no_script", severity: "error", cue: nil,
                                        message: "no descriptions script yet: write it with 'olleey vtt edit \(job.id) --lang \(job.sourceLang) --kind descriptions --file FILE'"))
            }
            return DescriptionsReview(language: language, status: status, version: nil, cues: 0, humanCues: 0, findings: findings)
        }
        let doc = WebVTTParser.parse(v.content, mode: .browser).document
        let meta = try store.cues(job: job.id, language: language, kind: .descriptions, version: v)
        let names = doc.cues.enumerated().map { k, c in c.id.isEmpty ? String(k + 1) : c.id }
        let speech = try store.current(job: job.id, language: job.sourceLang, kind: .source).map { WebVTTParser.parse($0.content, mode: .browser).document.cues } ?? []
        for (k, c) in doc.cues.enumerated() {
            let name = names[k]
            if SpeechText.of(c.text).isEmpty {
                findings.append(Finding(code: "empty", severity: "error", cue: name, message: "description \(name) has no text to speak"))
            }
            if let s = speech.first(where: { $0.startMs < c.endMs && c.startMs < $0.endMs }) {
                findings.append(Finding(code: "overlaps_speech", severity: "error", cue: name,
                                        message: "description \(name) (\(FFmpeg.seconds(Int(c.startMs)))-\(FFmpeg.seconds(Int(c.endMs))) s) is read over the dialogue at \(FFmpeg.seconds(Int(s.startMs)))-\(FFmpeg.seconds(Int(s.endMs))) s: move it into a gap"))
            }
            if k > 0, doc.cues[k - 1].endMs > c.startMs {
                findings.append(Finding(code: "overlaps_description", severity: "error", cue: name, message: "description \(name) starts before description \(names[k - 1]) ends"))
            }
            if k < meta.count, meta[k].stale {
                findings.append(Finding(code: "stale", severity: "warning", cue: name, message: "a person wrote description \(name) and the source script changed since"))
            }
        }
        // from the last render: descriptions longer than their gap
        if report?["script_version"]?.intValue == Int64(v.version) {
            for c in report?["cues"]?.arrayValue ?? [] where c["in_described_audio"]?.boolValue == false {
                let id = c["id"]?.stringValue ?? "?"
                findings.append(Finding(code: "extended_only", severity: "warning", cue: id,
                                        message: "description \(id) overflows its gap by \(c["overflow_ms"]?.intValue ?? 0) ms even sped up: it is only in the extended-AD video"))
            }
        }
        return DescriptionsReview(language: language, status: status, version: v.version, cues: doc.cues.count,
                                  humanCues: meta.filter(\.human).count, findings: findings)
    }
}
