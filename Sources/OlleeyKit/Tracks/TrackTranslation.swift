import Foundation
import WebVTT

/// A translation track brought up to date with its source, cue by cue. Nothing a person wrote is
/// overwritten: a person's cue whose source cue changed is kept and marked stale; one whose source
/// cue was deleted leaves the new version (it stays in the history and is reported).
public struct TranslationResult: Sendable {
    /// The new track (WebVTT), one cue per source cue, with the source's ids and timings.
    public var content: String
    /// Authorship of each cue of `content`.
    public var cues: [CueAuthorship]
    /// Cues a person wrote whose source cue is gone.
    public var dropped: [DroppedCue]
    /// Cue keys (id, or 1-based position) translated by the engine now.
    public var translated: [String]
    /// Cue keys of stale cues in the new track.
    public var stale: [String]
    /// What the engine still got wrong (the track is then not to be stored).
    public var failures: [TranslationIssue]
    /// `content` as a document (so it need not be parsed again).
    public var document: WebVTTDocument
    /// Cue keys the engine gave back as copies of the source (words it does not know), kept
    /// and reported (`translate.copied`) for a person to look at.
    public var copied: [String] = []

    public var failedKeys: [String] {
        var seen = Set<String>()
        return failures.map { TrackTranslation.cueKey(ofUnit: $0.id) }.filter { seen.insert($0).inserted }
    }
}

public struct TrackTranslation {
    public let db: Database

    public init(_ db: Database) { self.db = db }

    /// Which cues to translate besides those whose source changed.
    public enum Force: Sendable, Equatable {
        case none
        /// These cues (0-based positions in the current translation), even a person's.
        case positions(Set<Int>)
        /// Every stale cue.
        case stale
    }

    /// The unit id of a dialogue turn after the first is `KEY#N`.
    static func cueKey(ofUnit id: String) -> String { id.split(separator: "#", maxSplits: 1).first.map(String.init) ?? id }

    /// Translates what needs translating for `language` against `source` (the source track's
    /// version to translate from):
    /// - cues with no counterpart in the current translation, and machine cues whose source text
    ///   changed since the translation was made (source cues aligned as `vtt diff` aligns them:
    ///   by id, time and text), are translated;
    /// - a person's cue is kept; it becomes stale when its source text changed;
    /// - `force` adds cues to translate on request (`vtt retranslate`).
    /// `sourceDocument`: `source` already parsed (the pipeline parses each version once per run).
    public func translate(job: Job, language: String, source: TrackVersion, sourceDocument: WebVTTDocument? = nil, translator: any Translator,
                          force: Force = .none, cancel: CancelToken = .never) throws -> TranslationResult {
        let tracks = TrackStore(db)
        let src = sourceDocument ?? WebVTTParser.parse(source.content, mode: .browser).document
        let keys = JobPipeline.cueKeys(src.cues)
        let n = src.cues.count
        var targetFor = [Int?](repeating: nil, count: n)
        var changed = [Bool?](repeating: nil, count: n)  // nil: unknown (no record of the source it was made from)
        var cur: WebVTTDocument?
        var curMeta: [CueAuthorship] = []
        if let v = try tracks.current(job: job.id, language: language, kind: .translation) {
            let doc = WebVTTParser.parse(v.content, mode: .browser).document
            cur = doc
            curMeta = try tracks.cues(job: job.id, language: language, kind: .translation, version: v)
            let madeFrom = try JobStore(db).language(job.id, language)?.sourceSHA
            if let sha = madeFrom, let old = try tracks.version(job: job.id, language: job.sourceLang, kind: .source, sha256: sha) {
                let oldDoc = WebVTTParser.parse(old.content, mode: .browser).document
                let oldToNew = CueDiff.align(oldDoc, src), oldToCur = CueDiff.align(oldDoc, doc)
                for j in 0..<n {
                    guard let i = oldToNew.aForB[j] else { continue }
                    targetFor[j] = oldToCur.bForA[i]
                    changed[j] = oldDoc.cues[i].text != src.cues[j].text
                }
            } else {
                let a = CueDiff.align(src, doc)
                for j in 0..<n { targetFor[j] = a.bForA[j] }
            }
        }
        var texts = [String?](repeating: nil, count: n)
        var meta = [CueAuthorship?](repeating: nil, count: n)
        var settings = [String?](repeating: nil, count: n)
        var toTranslate: [Int] = []
        for j in 0..<n {
            guard let t = targetFor[j], let cur, t < cur.cues.count, t < curMeta.count else { toTranslate.append(j); continue }
            let m = curMeta[t]
            let forced: Bool
            switch force {
            case .none: forced = false
            case .positions(let p): forced = p.contains(t)
            case .stale: forced = m.stale
            }
            if forced || (!m.human && changed[j] != false) { toTranslate.append(j); continue }
            texts[j] = cur.cues[t].text
            var kept = m
            if m.human && changed[j] == true { kept.stale = true }
            meta[j] = kept
            if m.human { settings[j] = cur.cues[t].settingsText }
        }
        var dropped: [DroppedCue] = []
        if let cur {
            let used = Set(targetFor.compactMap { $0 })
            for (t, c) in cur.cues.enumerated() where !used.contains(t) && t < curMeta.count && curMeta[t].human {
                dropped.append(DroppedCue(id: c.id, startMs: c.startMs, endMs: c.endMs, text: c.text, author: curMeta[t].author))
            }
        }

        // the engine: plain text per dialogue turn, markup as placeholders, glossary terms protected
        var failures: [TranslationIssue] = []
        var copied: [String] = []
        if !toTranslate.isEmpty {
            let prefix = TranslatableCue.placeholderPrefix(for: toTranslate.map { CueText.plainText(src.cues[$0].text) })
            let prepared = toTranslate.map { TranslatableCue(src.cues[$0].text, prefix: prefix) }
            var input: [TextCue] = []
            for (k, j) in toTranslate.enumerated() {
                for (u, text) in prepared[k].texts.enumerated() { input.append(TextCue(id: u == 0 ? keys[j] : "\(keys[j])#\(u + 1)", text: text)) }
            }
            let glossary = try GlossaryProtection.forJob(db, job: job, language: language)
            let outcome = try TranslationCheck.translate(glossary?.protect(input) ?? input, with: translator, from: job.sourceLang, to: language, cancel: cancel)
            failures = outcome.failures
            var seen = Set<String>()
            copied = outcome.copied.map { TrackTranslation.cueKey(ofUnit: $0) }.filter { seen.insert($0).inserted }
            if failures.isEmpty {
                let answer = try glossary?.restoreAndRecord(outcome.cues, db: db, jobId: job.id) ?? outcome.cues
                let profileName = try ConfigStore(db).value("lint.profile") ?? "default"
                let profile = LintProfile.named(profileName, lang: language) ?? .default
                var next = 0
                let engine = CueAuthorship.machine(translator.name)
                for (k, j) in toTranslate.enumerated() {
                    let count = prepared[k].texts.count
                    let parts = answer[next..<(next + count)].map(\.text)
                    next += count
                    texts[j] = prepared[k].rebuild(Array(parts), maxCharsPerLine: profile.maxCharsPerLine, maxLines: profile.maxLines)
                    meta[j] = engine
                }
            }
        }
        var doc = src
        if failures.isEmpty {
            for j in 0..<n {
                doc.cues[j].text = texts[j] ?? ""
                if let s = settings[j], s != doc.cues[j].settingsText { doc.cues[j].setSettingsText(s, regions: doc.regions) }
            }
        }
        let finalMeta = meta.map { $0 ?? CueAuthorship.machine(translator.name) }
        return TranslationResult(content: WebVTTSerializer.serialize(doc), cues: finalMeta, dropped: dropped,
                                 translated: toTranslate.map { keys[$0] },
                                 stale: (0..<n).filter { finalMeta[$0].stale }.map { keys[$0] }, failures: failures, document: doc,
                                 copied: copied)
    }

    /// A commit message for a result.
    public static func message(_ r: TranslationResult, engine: String, version: String) -> String {
        let total = r.cues.count  // one per cue of the new track, which has one per source cue
        var m = r.translated.count == total ? "machine translation by \(engine) \(version)"
            : "machine translation of \(r.translated.count) of \(total) cues by \(engine) \(version)"
        if !r.stale.isEmpty { m += "; \(r.stale.count) stale cue\(r.stale.count == 1 ? "" : "s") kept (\(r.stale.prefix(10).joined(separator: ", ")))" }
        if !r.dropped.isEmpty { m += "; \(r.dropped.count) cue\(r.dropped.count == 1 ? "" : "s") by a person left out (source deleted)" }
        return m
    }
}
