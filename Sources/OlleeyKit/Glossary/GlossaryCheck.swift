import Foundation
import WebVTT

/// A cue as the glossary check sees it: plain text, with where it is.
public struct CheckCue: Sendable {
    public var id: String
    public var line: Int
    public var startMs: Int64
    public var endMs: Int64
    public var text: String

    public init(id: String, line: Int = 0, startMs: Int64 = 0, endMs: Int64 = 0, text: String) {
        self.id = id; self.line = line; self.startMs = startMs; self.endMs = endMs; self.text = text
    }

    /// The cues of a WebVTT document: ids (or 1-based positions when a cue has none), lines,
    /// times and plain text.
    public static func from(_ doc: WebVTTDocument) -> [CheckCue] {
        doc.cues.enumerated().map { i, c in
            CheckCue(id: c.id.isEmpty ? String(i + 1) : c.id, line: c.line, startMs: c.startMs, endMs: c.endMs, text: CueText.plainText(c.text))
        }
    }
}

public struct GlossaryFinding: Sendable, Equatable {
    public enum Kind: String, Sendable {
        case missingTranslation = "missing_translation"   // a source term whose required translation is missing
        case forbiddenTerm = "forbidden_term"             // a forbidden term is used
        case dntAltered = "dnt_altered"                   // a do-not-translate term was translated or changed
    }
    public var cue: String
    public var line: Int
    public var startMs: Int64
    public var kind: Kind
    public var term: String
    public var expected: [String]
    public var found: String?
    public var message: String

    public var json: JSON {
        .object([("cue", .string(cue)), ("line", .int(Int64(line))), ("start_ms", .int(startMs)), ("kind", .string(kind.rawValue)),
                 ("term", .string(term)), ("expected", .array(expected.map { .string($0) })), ("found", JSON(found)), ("message", .string(message))])
    }
}

/// Checks translated cues against a glossary: per cue, the source terms whose required
/// translation is missing, forbidden terms used, and do-not-translate terms altered. Without the
/// source cues only forbidden terms can be found.
public struct GlossaryChecker: Sendable {
    public let sourceLang: String
    public let terms: [GlossaryTerm]

    public init(sourceLang: String, terms: [GlossaryTerm]) { self.sourceLang = sourceLang; self.terms = terms }

    /// Pairs each target cue with its source cue: by id when the ids agree, else by position when
    /// the counts agree, else by the largest overlap in time.
    public static func align(target: [CheckCue], source: [CheckCue]) -> [CheckCue?] {
        let sourceIds = Dictionary(source.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        if Set(source.map(\.id)).count == source.count, target.allSatisfy({ sourceIds[$0.id] != nil }) {
            return target.map { sourceIds[$0.id] }
        }
        if target.count == source.count { return source.map { Optional($0) } }
        return target.map { t in
            var best: CheckCue?
            var bestOverlap: Int64 = 0
            for s in source {
                let o = min(t.endMs, s.endMs) - max(t.startMs, s.startMs)
                if o > bestOverlap { bestOverlap = o; best = s }
            }
            return best
        }
    }

    /// A term's forms for one target language, worked out once per check.
    struct Plan {
        var term: GlossaryTerm
        var bad: [String]
        var badKeys: [String]
        var sourceKeys: [String]
        var accepted: [String]
    }

    public func check(target: [CheckCue], source: [CheckCue]?, language: String) -> [GlossaryFinding] {
        let aligned = source.map { GlossaryChecker.align(target: target, source: $0) } ?? Array(repeating: nil, count: target.count)
        let plans = terms.map { t in
            let bad = t.forbiddenForms(language)
            return Plan(term: t, bad: bad, badKeys: bad.map(TermMatcher.firstKey), sourceKeys: t.sourceForms.map(TermMatcher.firstKey),
                        accepted: t.target(language)?.accepted ?? [])
        }
        var out: [GlossaryFinding] = []
        for (cue, src) in zip(target, aligned) {
            out += check(cue, source: src, language: language, plans: plans)
        }
        return out
    }

    /// Whether a prepared text may contain one of the forms whose first-word keys are given.
    static func mayContain(_ p: TermMatcher.Prepared, _ keys: [String]) -> Bool {
        p.unspaced || keys.contains { $0.isEmpty || p.keys.contains($0) }
    }

    func check(_ cue: CheckCue, source: CheckCue?, language: String, plans: [Plan]) -> [GlossaryFinding] {
        var out: [GlossaryFinding] = []
        func add(_ kind: GlossaryFinding.Kind, _ t: GlossaryTerm, expected: [String], found: String?, _ message: String) {
            out.append(GlossaryFinding(cue: cue.id, line: cue.line, startMs: cue.startMs, kind: kind, term: t.term, expected: expected, found: found, message: message))
        }
        let text = TermMatcher.prepare(cue.text, language: language)
        let src = source.map { TermMatcher.prepare($0.text, language: sourceLang) }
        for plan in plans {
            let t = plan.term
            if !plan.bad.isEmpty, GlossaryChecker.mayContain(text, plan.badKeys),
               let m = TermMatcher.firstMatch(plan.bad, in: text, caseSensitive: t.caseSensitive) {
                add(.forbiddenTerm, t, expected: t.forbidden ? [] : plan.accepted, found: m.found,
                    "forbidden term '\(m.found)' is used" + (t.forbidden ? "" : " (for '\(t.term)' use '\(t.target(language)?.target ?? t.term)')"))
            }
            guard let src, !t.forbidden, GlossaryChecker.mayContain(src, plan.sourceKeys),
                  TermMatcher.firstMatch(t.sourceForms, in: src, caseSensitive: t.caseSensitive) != nil else { continue }
            if t.dnt {
                if TermMatcher.firstMatch(t.sourceForms, in: text, caseSensitive: t.caseSensitive) == nil {
                    add(.dntAltered, t, expected: [t.term], found: nil, "do-not-translate term '\(t.term)' is missing or changed (it must stay '\(t.term)')")
                }
            } else if let target = t.target(language), !plan.accepted.isEmpty {
                if TermMatcher.firstMatch(plan.accepted, in: text, caseSensitive: t.caseSensitive) == nil {
                    add(.missingTranslation, t, expected: plan.accepted, found: nil,
                        "'\(t.term)' must be translated as '\(target.target)'" + (target.variants.isEmpty ? "" : " (or \(target.variants.map { "'\($0)'" }.joined(separator: ", ")))"))
                }
            }
        }
        return out
    }

    /// The report as JSON (`glossary check --json`, and a job's QC data).
    public static func report(_ findings: [GlossaryFinding], glossary: String, language: String, cues: Int, file: String? = nil, source: String? = nil) -> JSON {
        var counts: [(String, JSON)] = []
        for k in [GlossaryFinding.Kind.missingTranslation, .forbiddenTerm, .dntAltered] {
            counts.append((k.rawValue, .int(Int64(findings.filter { $0.kind == k }.count))))
        }
        var pairs: [(String, JSON)] = []
        if let file { pairs.append(("file", .string(file))) }
        if let source { pairs.append(("source", .string(source))) }
        pairs += [("glossary", .string(glossary)), ("language", .string(language)), ("cues", .int(Int64(cues))),
                  ("ok", .bool(findings.isEmpty)), ("counts", .object(counts)), ("violations", .array(findings.map(\.json)))]
        return .object(pairs)
    }
}
