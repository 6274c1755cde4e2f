import WebVTT

/// Whole-track edits (the API's VTT routes): a person's whole VTT checked strictly, a bulk shift
/// of a language's cues, a diff of two versions, and whether a user is a language's assigned
/// linguist. Every change is a new version through `TrackService.commit` (the current version
/// stays in the history: it is the snapshot).
extension TrackService {
    /// A person's whole WebVTT, parsed strictly: a file the browser parser rejects, or one with
    /// syntax errors (bad timestamps, a bare `&` or `<` in cue text...), is `invalid` listing each
    /// error as `line:column: message` (the first 20).
    public static func strictDocument(_ text: String) throws -> WebVTTDocument {
        let r = WebVTTParser.parse(text, mode: .strict)
        var errors = r.diagnostics.filter { $0.severity == .error }
        if r.rejected && errors.isEmpty {
            errors = [Diagnostic(line: 1, column: 1, severity: .error, code: "missing_signature", message: "a WebVTT file starts with the line WEBVTT")]
        }
        let reported = Set(errors.map(\.line))
        for cue in r.document.cues {
            // the cue's text starts on the line after its timing line
            for p in CueText.validate(cue.text) where !reported.contains(cue.line + p.line) {
                errors.append(Diagnostic(line: cue.line > 0 ? cue.line + p.line : 0, column: p.column, severity: .error, code: "cue_text", message: p.message))
            }
        }
        errors.sort { ($0.line, $0.column) < ($1.line, $1.column) }
        guard errors.isEmpty else {
            let shown = errors.prefix(20).map { $0.line > 0 ? "\($0.line):\($0.column): \($0.message)" : $0.message }
            throw OlleeyError(.invalid, "the VTT is not valid WebVTT (\(errors.count) error\(errors.count == 1 ? "" : "s")): " + shown.joined(separator: "; ")
                                + (errors.count > 20 ? "; ..." : ""),
                              hint: "write '&amp;', '&lt;', '&gt;' for '&', '<', '>' in cue text; timestamps are HH:MM:SS.mmm --> HH:MM:SS.mmm")
        }
        return r.document
    }

    /// Saves a person's whole VTT as the language's new version, byte for byte as sent (markup,
    /// characters and line layout intact). Cues whose text is unchanged keep their author; the
    /// others become `author`'s (a person's work: a re-translation never overwrites them).
    /// Returns the version and the cue count; an identical text adds no version.
    public func saveWhole(job: Job, language: String, content: String, author: String, message: String?, reopen: Bool,
                          kind requested: TrackKind? = nil) throws -> (version: Int, cues: Int) {
        let doc = try TrackService.strictDocument(content)
        _ = try kind(job: job, language: language, requested: requested)
        let v = try commit(job: job, language: language, content: content, author: author, message: message ?? "edited the whole track", reopen: reopen, kind: requested)
        return (v, doc.cues.count)
    }

    /// What a shift did.
    public struct ShiftOutcome: Sendable {
        public var version: Int
        public var shifted: Int
        public var clamped: Int
        /// Cues that ended at or before zero once shifted and were left out (ids or 1-based numbers).
        public var dropped: [String]
    }

    /// Moves every cue of the language's current track by `offsetMs` (negative: earlier), keeping
    /// each cue's author; cues pushed before zero are clamped, those left with no duration are
    /// dropped (and reported). A shift of 0 is `invalid`. Offsets beyond 24 h are `invalid`.
    public func shift(job: Job, language: String, offsetMs: Int64, author: String, reopen: Bool) throws -> ShiftOutcome {
        guard offsetMs != 0 else { throw OlleeyError(.invalid, "the offset is 0: nothing to shift", next: [.input("offset_ms", example: "1500")]) }
        guard abs(offsetMs) <= 86_400_000 else { throw OlleeyError(.invalid, "the offset must be within 24 hours (±86400000 ms)", next: [.input("offset_ms")]) }
        let k = try kind(job: job, language: language)
        let cur = try current(job: job, language: language)
        let doc = WebVTTParser.parse(cur.content, mode: .browser).document
        let count = doc.cues.count
        var meta = try TrackStore(db).cues(job: job.id, language: language, kind: k, version: cur)
        let r = Timing.shiftReporting(doc, byMs: offsetMs)
        if meta.count == count { for d in r.dropped.sorted(by: { $0.number > $1.number }) { meta.remove(at: d.number - 1) } }
        let content = WebVTTSerializer.serialize(r.document)
        let sign = offsetMs > 0 ? "+" : ""
        let v = try commit(job: job, language: language, content: content, author: author, message: "shift timings by \(sign)\(offsetMs) ms",
                           reopen: reopen, cues: meta.count == r.document.cues.count ? meta : nil)
        return ShiftOutcome(version: v, shifted: r.document.cues.count, clamped: r.clamped,
                            dropped: r.dropped.map { $0.id.isEmpty ? String($0.number) : $0.id })
    }

    /// A version of the language's track (not found naming the versions there are).
    public func version(job: Job, language: String, _ v: Int, kind requested: TrackKind? = nil) throws -> TrackVersion {
        let k = try kind(job: job, language: language, requested: requested)
        guard let found = try TrackStore(db).version(job: job.id, language: language, kind: k, v) else {
            let last = try TrackStore(db).current(job: job.id, language: language, kind: k)?.version
            throw OlleeyError.notFound("the \(TrackService.label(language, k)) track of job \(job.id) has no version \(v)" + (last.map { " (it has 1...\($0))" } ?? ""))
        }
        return found
    }

    /// The VTT engine's diff of two versions (`from` defaults to the one before `to`, `to` to the
    /// current one): `{"identical","summary","changes"}` as `olleey vtt diff --json` writes it.
    public func diff(job: Job, language: String, from: Int?, to: Int?, kind requested: TrackKind? = nil) throws -> (from: Int, to: Int, json: String) {
        let r = try compare(job: job, language: language, from: from, to: to, kind: requested)
        return (r.from, r.to, r.diff.json())
    }

    /// Two versions of a language's track (or descriptions script) and their diff: `to` defaults
    /// to the current version, `from` to the one before it.
    public func compare(job: Job, language: String, from: Int?, to: Int?, kind requested: TrackKind? = nil) throws -> (from: Int, to: Int, diff: DiffResult) {
        let cur = try current(job: job, language: language, kind: requested)
        let b = try version(job: job, language: language, to ?? cur.version, kind: requested)
        let fromNumber = from ?? max(1, b.version - 1)
        let a = try version(job: job, language: language, fromNumber, kind: requested)
        let r = CueDiff.diff(WebVTTParser.parse(a.content, mode: .browser).document, WebVTTParser.parse(b.content, mode: .browser).document)
        return (a.version, b.version, r)
    }
}

extension GlossaryService {
    /// Removes a term by its id (not found when the glossary has no such term).
    public func removeTerm(_ g: Glossary, id: String) throws -> GlossaryTerm {
        guard let t = try store.terms(g.id).first(where: { $0.id == id }) else {
            throw OlleeyError.notFound("glossary '\(g.name)' has no term \(id)")
        }
        return try removeTerm(g, t.term)
    }
}
