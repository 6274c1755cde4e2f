/// Validation of a translation, and the translate-validate-reask loop every translator goes
/// through.
public struct TranslationIssue: Sendable, Equatable {
    public enum Kind: String, Sendable {
        case missing        // the cue's id is not in the answer
        case duplicate      // the id appears more than once
        case unexpected     // an id that was not asked for
        case outOfOrder = "out_of_order"
        case empty          // empty text where the source has text
        case untranslated   // a copy of the source
    }
    public var id: String
    public var kind: Kind
    public var message: String

    public var json: JSON { .object([("id", .string(id)), ("kind", .string(kind.rawValue)), ("message", .string(message))]) }
}

public struct TranslationOutcome: Sendable, Equatable {
    /// One cue per source cue, same ids, same order. A cue that still failed keeps the
    /// engine's last answer (possibly empty or a copy of the source): see `failures`.
    public var cues: [TextCue]
    /// Ids re-asked alone after the first answer failed the checks.
    public var retried: [String]
    /// What still failed after re-asking.
    public var failures: [TranslationIssue]
    /// Ids of cues kept as copies of their source: from an engine that copies the words it does
    /// not know (`Translator.copiesUnknownWords`), when they are fewer than half of the cues
    /// that could be checked (more would mean it did not translate at all: failures).
    public var copied: [String] = []

    public var ok: Bool { failures.isEmpty }

    /// `OlleeyError(.failure)` naming the failing cue ids, unless everything passed.
    public func throwIfFailed(engine: String, target: String) throws {
        guard !failures.isEmpty else { return }
        let ids = failures.map(\.id)
        let shown = ids.prefix(10).joined(separator: ", ") + (ids.count > 10 ? ", ... (\(ids.count) cues)" : "")
        let reasons = Set(failures.map(\.kind.rawValue)).sorted().joined(separator: ", ")
        throw OlleeyError(.failure, "\(engine) translation to \(target) failed for cue\(ids.count == 1 ? "" : "s") \(shown) (\(reasons))",
                          hint: "edit those cues by hand, or try another engine (engines.translate)")
    }
}

public enum TranslationCheck {
    /// Text reduced to lower-case letters and digits separated by single spaces.
    static func normalized(_ s: String) -> String {
        var out = ""
        var space = false
        for ch in s.lowercased() {
            if ch.isLetter || ch.isNumber {
                if space && !out.isEmpty { out.append(" ") }
                space = false
                out.append(ch)
            } else {
                space = true
            }
        }
        return out
    }

    /// Words containing letters.
    static func letterWords(_ s: String) -> [Substring] {
        s.split(whereSeparator: { $0.isWhitespace }).filter { $0.contains(where: { $0.isLetter }) }
    }

    /// Cues made only of numbers and names (every word with letters capitalised: "John Smith",
    /// "NASA 2024") may legitimately stay the same in translation.
    static func isNamesOrNumbersOnly(_ s: String) -> Bool {
        letterWords(s).allSatisfy { w in w.first(where: { $0.isLetter }).map { $0.isUppercase } ?? true }
    }

    /// The problem with one translated cue, or nil when it passes.
    public static func problem(source: String, translation: String) -> (TranslationIssue.Kind, String)? {
        let src = source.trimmingCharacters(in: .whitespacesAndNewlines)
        let tgt = translation.trimmingCharacters(in: .whitespacesAndNewlines)
        if src.isEmpty { return nil }
        if tgt.isEmpty { return (.empty, "empty translation") }
        if letterWords(src).count >= 2, !isNamesOrNumbersOnly(src), normalized(src) == normalized(tgt) {
            return (.untranslated, "translation is a copy of the source")
        }
        return nil
    }

    /// All issues of an answer: structure (ids, count, order) and each cue.
    public static func issues(source: [TextCue], translated: [TextCue]) -> [TranslationIssue] {
        var issues: [TranslationIssue] = []
        var seen: [String: Int] = [:]
        for c in translated { seen[c.id, default: 0] += 1 }
        let asked = Set(source.map(\.id))
        for c in translated where !asked.contains(c.id) {
            issues.append(TranslationIssue(id: c.id, kind: .unexpected, message: "id \(c.id) was not asked for"))
        }
        let byId = Dictionary(translated.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        let inOrder = translated.map(\.id) == source.map(\.id)
        for (k, s) in source.enumerated() {
            guard let t = byId[s.id] else {
                issues.append(TranslationIssue(id: s.id, kind: .missing, message: "cue \(s.id) is missing from the answer")); continue
            }
            if (seen[s.id] ?? 0) > 1 {
                issues.append(TranslationIssue(id: s.id, kind: .duplicate, message: "cue \(s.id) appears \(seen[s.id] ?? 0) times")); continue
            }
            if !inOrder, k >= translated.count || translated[k].id != s.id {
                issues.append(TranslationIssue(id: s.id, kind: .outOfOrder, message: "cue \(s.id) is out of order"))
            }
            if let (kind, msg) = problem(source: s.text, translation: t.text) {
                issues.append(TranslationIssue(id: s.id, kind: kind, message: msg))
            }
        }
        return issues
    }

    /// Translates `cues` with `translator`, validates the answer, re-asks each failing cue alone
    /// (`retries` times), and returns the cues in source order with what still failed.
    /// Answers out of order are put back in order by id (that is not a failure once each id
    /// is there exactly once).
    public static func translate(_ cues: [TextCue], with translator: any Translator, from source: String, to target: String,
                                 retries: Int = 1, cancel: CancelToken = .never) throws -> TranslationOutcome {
        if cues.isEmpty { return TranslationOutcome(cues: [], retried: [], failures: []) }
        let ids = cues.map(\.id)
        if Set(ids).count != ids.count {
            throw OlleeyError(.invalid, "cue ids must be unique to translate (duplicates: \(Set(ids.filter { id in ids.filter { $0 == id }.count > 1 }).sorted().joined(separator: ", ")))")
        }
        try cancel.check()
        let answer: [TextCue]
        do { answer = try translator.translate(cues, from: source, to: target, cancel: cancel) } catch let e as OlleeyError
            where e.code == .invalid || e.code == .failure {
            // A whole answer that cannot be used: every cue gets re-asked alone below.
            answer = []
        }
        var counts: [String: Int] = [:]
        for c in answer { counts[c.id, default: 0] += 1 }
        let byId = Dictionary(answer.map { ($0.id, $0.text) }, uniquingKeysWith: { a, _ in a })
        var result: [TextCue] = []
        var failing: [Int] = []
        for (k, c) in cues.enumerated() {
            let text = (counts[c.id] == 1 ? byId[c.id] : nil) ?? ""
            result.append(TextCue(id: c.id, text: text))
            if counts[c.id] != 1 || problem(source: c.text, translation: text) != nil { failing.append(k) }
        }
        var retried: [String] = []
        var failures: [TranslationIssue] = []
        for k in failing {
            try cancel.check()
            let c = cues[k]
            retried.append(c.id)
            var lastIssue: TranslationIssue?
            var attempt = 0
            var fixed = false
            while attempt < max(1, retries) && !fixed {
                attempt += 1
                do {
                    let single = try translator.translate([c], from: source, to: target, cancel: cancel)
                    if single.count == 1, single[0].id == c.id {
                        if !single[0].text.isEmpty || result[k].text.isEmpty { result[k].text = single[0].text }
                        if let (kind, msg) = problem(source: c.text, translation: single[0].text) {
                            lastIssue = TranslationIssue(id: c.id, kind: kind, message: msg)
                        } else { fixed = true }
                    } else {
                        lastIssue = TranslationIssue(id: c.id, kind: .missing, message: "cue \(c.id) asked alone: answer had \(single.count) cues")
                    }
                } catch let e as OlleeyError where e.code == .invalid || e.code == .failure {
                    lastIssue = TranslationIssue(id: c.id, kind: .missing, message: "cue \(c.id) asked alone: \(e.message)")
                }
            }
            if !fixed, let issue = lastIssue { failures.append(issue) }
        }
        var copied: [String] = []
        if translator.copiesUnknownWords {
            let untranslated = failures.filter { $0.kind == .untranslated }
            let checkable = cues.filter { letterWords($0.text).count >= 2 && !isNamesOrNumbersOnly($0.text) }.count
            if !untranslated.isEmpty && untranslated.count * 2 < checkable {
                copied = untranslated.map(\.id)
                failures.removeAll { $0.kind == .untranslated }
            }
        }
        return TranslationOutcome(cues: result, retried: retried, failures: failures, copied: copied)
    }
}
