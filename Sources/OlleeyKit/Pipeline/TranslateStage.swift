import Foundation
import WebVTT

/// translate: the language's track brought up to date with the source, cue by cue (only what
/// changed is translated; a person's cue is never overwritten, it becomes stale instead).
/// Cached: the current translation was made from this source version.
struct TranslateStage: PipelineStage {
    var stage: Stage { .translate }
    let source: TrackVersion
    let translator: any Translator

    func run(_ context: StageContext) throws -> StageResult<TrackVersion> {
        let (job, db) = (context.job, context.db)
        guard let lang = context.language else { throw OlleeyError.failure("translate runs per language") }
        let tracks = TrackStore(db)
        let jl = try context.jobs.language(job.id, lang)
        if let cur = try tracks.current(job: job.id, language: lang, kind: .translation), jl?.sourceSHA == source.sha256 {
            return StageResult(cur, cached: true)
        }
        let r = try TrackTranslation(db).translate(job: job, language: lang, source: source, sourceDocument: context.document(source),
                                                   translator: translator, cancel: context.cancel)
        if !r.failures.isEmpty {
            let ids = r.failedKeys
            let printed = context.jobs.printedId(job.id)
            throw StageFailure(stage: .translate, error: .failure(
                "\(translator.name) failed on \(ids.count) cue(s) (\(ids.prefix(10).joined(separator: ", "))): \(r.failures.first?.message ?? "")",
                hint: "edit them by hand or import a track, then retry the job",
                next: [.command("vtt edit", [printed], options: ["lang": lang, "cue": "ID", "text": "TEXT"]), .command("job retry", [printed])]),
                failedCues: ids)
        }
        let version = try translator.version(from: job.sourceLang, to: lang)
        try tracks.add(job: job.id, language: lang, kind: .translation, content: r.content,
                       author: "olleey/\(translator.name)", message: TrackTranslation.message(r, engine: translator.name, version: version),
                       cues: r.cues, dropped: r.dropped, document: r.document)
        if !r.copied.isEmpty {
            try EventStore(db).append("translate.copied", job: job.id, language: lang,
                                      ["cues": .array(r.copied.map { .string($0) }),
                                       "message": .string("\(translator.name) gave back \(r.copied.count) cue(s) as they were (words it does not know): review them")])
        }
        if !r.dropped.isEmpty || !r.stale.isEmpty {
            try EventStore(db).append("track.stale", job: job.id, language: lang, ["stale": .array(r.stale.map { .string($0) }),
                                                                                   "dropped": .array(r.dropped.map(\.json))])
        }
        try JobStore(db).setSourceSHA(job.id, lang, source.sha256)
        guard let cur = try tracks.current(job: job.id, language: lang, kind: .translation) else { throw OlleeyError.failure("translation not stored") }
        if cur.sha256 == Digest.sha256(r.content) { context.remember(r.document, for: cur.sha256) }  // the stored text is the result's: no second parse
        return StageResult(cur, cached: false)
    }
}
