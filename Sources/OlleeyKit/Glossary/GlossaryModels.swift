import Foundation

public struct Glossary: Sendable, Equatable {
    public var id: String
    public var name: String
    public var sourceLang: String
    public var description: String
    public var createdAt: String
    public var updatedAt: String
    public var termCount: Int

    public var json: JSON {
        .object([("id", .string(id)), ("name", .string(name)), ("source_lang", .string(sourceLang)), ("description", .string(description)),
                 ("terms", .int(Int64(termCount))), ("created_at", .string(createdAt)), ("updated_at", .string(updatedAt))])
    }
}

/// A term's translation into one language: the required (preferred) form, other accepted forms,
/// and forms that must not be used.
public struct TermTarget: Sendable, Equatable {
    public var language: String
    public var target: String
    public var variants: [String]
    public var forbidden: [String]

    public init(language: String, target: String, variants: [String] = [], forbidden: [String] = []) {
        self.language = language; self.target = target; self.variants = variants; self.forbidden = forbidden
    }

    /// Every accepted form: the target first, then its variants.
    public var accepted: [String] { ([target] + variants).filter { !$0.isEmpty } }

    public var json: JSON {
        .object([("term", .string(target)), ("variants", .array(variants.map { .string($0) })), ("forbidden", .array(forbidden.map { .string($0) }))])
    }
}

/// A glossary entry: a source-language term with its flags and per-language targets.
///
/// - `dnt` (do not translate): the term must appear unchanged in every translation.
/// - `forbidden`: the term must not be used; in language L that means its targets for L (when
///   given) or else the term itself.
/// - `caseSensitive`: matching respects case (else it ignores it).
/// - `variants`: other source forms (irregular plurals, spellings) that count as the term.
public struct GlossaryTerm: Sendable, Equatable {
    public var id: String
    public var term: String
    public var variants: [String]
    public var partOfSpeech: String?
    public var note: String?
    public var dnt: Bool
    public var forbidden: Bool
    public var caseSensitive: Bool
    public var targets: [TermTarget]

    public init(id: String = "", term: String, variants: [String] = [], partOfSpeech: String? = nil, note: String? = nil,
                dnt: Bool = false, forbidden: Bool = false, caseSensitive: Bool = false, targets: [TermTarget] = []) {
        self.id = id; self.term = term; self.variants = variants; self.partOfSpeech = partOfSpeech; self.note = note
        self.dnt = dnt; self.forbidden = forbidden; self.caseSensitive = caseSensitive; self.targets = targets
    }

    public func target(_ language: String) -> TermTarget? { targets.first { $0.language == language } }

    /// The source forms that count as this term.
    public var sourceForms: [String] { ([term] + variants).filter { !$0.isEmpty } }

    /// What must not appear in a translation into `language`.
    public func forbiddenForms(_ language: String) -> [String] {
        var out = target(language)?.forbidden ?? []
        if forbidden {
            let accepted = target(language)?.accepted ?? []
            out += accepted.isEmpty ? sourceForms : accepted
        }
        return out
    }

    /// The same entry without ids (for comparisons of round trips).
    public var content: GlossaryTerm { var c = self; c.id = ""; return c }

    public var json: JSON {
        .object([
            ("id", .string(id)), ("term", .string(term)), ("variants", .array(variants.map { .string($0) })),
            ("part_of_speech", JSON(partOfSpeech)), ("note", JSON(note)),
            ("dnt", .bool(dnt)), ("forbidden", .bool(forbidden)), ("case_sensitive", .bool(caseSensitive)),
            ("targets", .object(targets.map { ($0.language, $0.json) })),
        ])
    }

    /// Checks the entry: a term without line breaks, no empty forms, known target languages
    /// other than the source. Normalizes language codes, trims, and drops repeated forms.
    public func validated(sourceLang: String) throws -> GlossaryTerm {
        var t = self
        func clean(_ s: String) -> String { s.trimmingCharacters(in: .whitespacesAndNewlines) }
        t.term = clean(term)
        guard !t.term.isEmpty else { throw OlleeyError.invalid("a glossary term cannot be empty") }
        for s in [t.term] + variants where s.contains(where: { $0 == "\n" || $0 == "\r" }) {
            throw OlleeyError.invalid("a glossary term cannot contain a line break: '\(s)'")
        }
        t.variants = uniqueForms(variants.map(clean).filter { !$0.isEmpty && $0 != t.term })
        t.partOfSpeech = partOfSpeech.map(clean).flatMap { $0.isEmpty ? nil : $0 }
        t.note = note.map(clean).flatMap { $0.isEmpty ? nil : $0 }
        var seen: Set<String> = []
        var targets: [TermTarget] = []
        for var x in self.targets {
            let code = try Language.validate(x.language).code
            if code == sourceLang { throw OlleeyError.invalid("target language \(code) is the glossary's source language (term '\(t.term)')") }
            if seen.contains(code) { throw OlleeyError.invalid("term '\(t.term)' has two \(code) targets") }
            seen.insert(code)
            x.language = code
            x.target = clean(x.target)
            x.variants = uniqueForms(x.variants.map(clean).filter { !$0.isEmpty && $0 != x.target })
            x.forbidden = uniqueForms(x.forbidden.map(clean).filter { !$0.isEmpty })
            if x.target.isEmpty {
                guard let first = x.variants.first else {
                    if x.forbidden.isEmpty { throw OlleeyError.invalid("term '\(t.term)' has an empty \(code) target") }
                    targets.append(x); continue
                }
                x.target = first; x.variants.removeFirst()
            }
            targets.append(x)
        }
        t.targets = targets.sorted { $0.language < $1.language }
        return t
    }
}
