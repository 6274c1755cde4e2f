import Foundation

/// The glossary in the pipeline's translate stage (a job created with `--glossary G`).
///
/// Before translation, exact occurrences of do-not-translate terms, and of terms with a required
/// translation into the target language, are replaced by placeholders (`ZXQ1`, `ZXQ2`, ...) that
/// machine translation leaves alone (apertium passes unknown words through). After translation
/// each placeholder is restored: to the original text for a do-not-translate term, to the required
/// translation otherwise. Inflected occurrences are left to the engine. Then the translation is
/// checked against the glossary and the findings are recorded in the language's QC data.
public final class GlossaryProtection {
    public let glossary: Glossary
    public let terms: [GlossaryTerm]
    public let language: String
    private(set) var prefix = "ZXQ"
    private var slots: [String] = []
    private var source: [TextCue] = []

    public init(glossary: Glossary, terms: [GlossaryTerm], language: String) {
        self.glossary = glossary; self.terms = terms; self.language = language
    }

    /// The protection for a job's language, or nil when the job has no glossary. A glossary
    /// deleted since the job was created is an error (66).
    public static func forJob(_ db: Database, job: Job, language: String) throws -> GlossaryProtection? {
        guard let ref = job.options.glossary else { return nil }
        let g = try GlossaryStore(db).resolve(ref)
        return GlossaryProtection(glossary: g, terms: try GlossaryStore(db).terms(g.id), language: language)
    }

    /// Replaces protected terms with placeholders.
    public func protect(_ cues: [TextCue]) -> [TextCue] {
        source = cues
        slots = []
        while cues.contains(where: { $0.text.range(of: prefix, options: .caseInsensitive) != nil }) { prefix += "Q" }
        var rules: [(forms: [String], caseSensitive: Bool, replacement: String?)] = []
        for t in terms where !t.forbidden {
            if t.dnt { rules.append((t.sourceForms, t.caseSensitive, nil)) }
            else if let x = t.target(language), !x.target.isEmpty { rules.append(([t.term], t.caseSensitive, x.target)) }
        }
        // longer forms first, so "Olleey Studio" wins over "Olleey"
        rules.sort { ($0.forms.map(\.count).max() ?? 0) > ($1.forms.map(\.count).max() ?? 0) }
        let keys = rules.map { $0.forms.map(TermMatcher.firstKey) }
        return cues.map { cue in
            var text = cue.text
            let original = TermMatcher.prepare(text, language: glossary.sourceLang)
            for (n, rule) in rules.enumerated() where GlossaryChecker.mayContain(original, keys[n]) {
                for form in rule.forms {
                    for r in TermMatcher.ranges(of: form, in: text, language: glossary.sourceLang, caseSensitive: rule.caseSensitive, inflect: false).reversed() {
                        slots.append(rule.replacement ?? String(text[r]))
                        text.replaceSubrange(r, with: prefix + String(slots.count))
                    }
                }
            }
            return TextCue(id: cue.id, text: text)
        }
    }

    /// Puts the protected terms back.
    public func restore(_ cues: [TextCue]) -> [TextCue] {
        guard !slots.isEmpty else { return cues }
        let p = Array(prefix.lowercased().unicodeScalars)
        return cues.map { cue in
            let chars = Array(cue.text.unicodeScalars)
            var out = String.UnicodeScalarView()
            var k = 0
            while k < chars.count {
                if k + p.count < chars.count, zip(chars[k..<(k + p.count)], p).allSatisfy({ String($0).lowercased() == String($1) }) {
                    var j = k + p.count
                    var n = 0
                    while j < chars.count, chars[j].isASCII, let d = Int(String(chars[j])), n < 1_000_000 { n = n * 10 + d; j += 1 }
                    if j > k + p.count, n >= 1, n <= slots.count {
                        out.append(contentsOf: slots[n - 1].unicodeScalars)
                        k = j
                        continue
                    }
                }
                out.append(chars[k]); k += 1
            }
            return TextCue(id: cue.id, text: String(out))
        }
    }

    /// Glossary findings of a translation (source cues as given to `protect`).
    public func findings(_ translated: [TextCue]) -> [GlossaryFinding] {
        let checker = GlossaryChecker(sourceLang: glossary.sourceLang, terms: terms)
        return checker.check(target: translated.map { CheckCue(id: $0.id, text: $0.text) }, source: source.map { CheckCue(id: $0.id, text: $0.text) },
                             language: language)
    }

    /// Restores the placeholders, checks the result and records the findings in the QC data of
    /// the job's language (and as an event). Returns the restored cues.
    public func restoreAndRecord(_ cues: [TextCue], db: Database, jobId: String) throws -> [TextCue] {
        let restored = restore(cues)
        let f = findings(restored)
        let report = GlossaryChecker.report(f, glossary: glossary.name, language: language, cues: restored.count)
        try QCService.recordGlossaryReport(db, jobId: jobId, language: language, report: report)
        if !f.isEmpty {
            try EventStore(db).append("glossary.violations", job: jobId, language: language,
                                      ["glossary": .string(glossary.name), "count": .int(Int64(f.count))])
        }
        return restored
    }
}
