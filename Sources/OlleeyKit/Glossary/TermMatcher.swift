import Foundation

/// Finding glossary terms in text.
///
/// In languages written with spaces, a term matches whole words: each word of the term matches a
/// word of the text that is the same, or the same with a common inflectional suffix (plural -s,
/// -es, -ies for -y; -ed, -ing, -er, -en, -e, -n, -a, -os, -as, -x...), so "channel" finds
/// "channels" and "canal" finds "canales". In languages written without spaces (Japanese,
/// Chinese, Thai, Lao, Khmer, Burmese, Tibetan) a term matches as a substring. A term's case
/// flag decides whether case matters. Forms listed in the glossary (variants) are tried too.
public enum TermMatcher {
    public static let unspacedLanguages: Set<String> = ["ja", "zh", "th", "lo", "km", "my", "bo"]

    public static func isUnspaced(_ language: String) -> Bool {
        let base = language.split(whereSeparator: { $0 == "-" || $0 == "_" }).first.map { String($0).lowercased() } ?? language
        return unspacedLanguages.contains(base)
    }

    static let suffixes: [String] = ["ies", "es", "s", "ed", "d", "ing", "er", "ers", "en", "ern", "e", "n", "a", "as", "os", "x", "ly", "'s", "’s"]
        .sorted { $0.count > $1.count }

    /// A word: letters, digits and marks, with its range in the text.
    struct Word {
        var text: String
        var range: Range<String.Index>
    }

    static func isWordChar(_ c: Character) -> Bool { c.isLetter || c.isNumber || c.unicodeScalars.allSatisfy { $0.properties.isGraphemeExtend } }

    static func words(_ text: String) -> [Word] {
        var out: [Word] = []
        var start: String.Index?
        var i = text.startIndex
        while i < text.endIndex {
            let c = text[i]
            if isWordChar(c) {
                if start == nil { start = i }
            } else if let s = start {
                out.append(Word(text: String(text[s..<i]), range: s..<i)); start = nil
            }
            i = text.index(after: i)
        }
        if let s = start { out.append(Word(text: String(text[s...]), range: s..<text.endIndex)) }
        return out
    }

    static func stem(_ w: String) -> String {
        if w.hasSuffix("ies"), w.count > 4 { return String(w.dropLast(3)) + "y" }
        for s in suffixes where w.hasSuffix(s) && w.count - s.count >= 3 { return String(w.dropLast(s.count)) }
        return w
    }

    /// Whether a text word is the term word or an inflection of it (both already case-folded
    /// when case does not matter).
    static func wordMatches(_ termWord: String, _ textWord: String, inflect: Bool) -> Bool {
        if termWord == textWord { return true }
        guard inflect, termWord.count >= 3, textWord.count >= 3 else { return false }
        if textWord.hasPrefix(termWord), suffixes.contains(String(textWord.dropFirst(termWord.count))) { return true }
        if termWord.hasPrefix(textWord), suffixes.contains(String(termWord.dropFirst(textWord.count))) { return true }
        let a = stem(termWord), b = stem(textWord)
        return a.count >= 3 && a == b
    }

    static func fold(_ s: String, _ caseSensitive: Bool) -> String { caseSensitive ? s : s.lowercased() }

    /// Text tokenized once, to be searched for many terms.
    public struct Prepared: Sendable {
        public let text: String
        public let language: String
        let unspaced: Bool
        let words: [Word]
        let lower: [String]
        /// The first two letters (lower case) of every word: any match shares them, so a term
        /// whose first word's key is missing cannot match.
        let keys: Set<String>
    }

    static func key(_ lowerWord: String) -> String { String(lowerWord.prefix(2)) }

    public static func prepare(_ text: String, language: String) -> Prepared {
        let unspaced = isUnspaced(language)
        let ws = unspaced ? [] : words(text)
        let lower = ws.map { $0.text.lowercased() }
        return Prepared(text: text, language: language, unspaced: unspaced, words: ws, lower: lower, keys: Set(lower.map(key)))
    }

    /// The key of a form's first word, without tokenizing all of it.
    static func firstKey(_ form: String) -> String {
        var k = ""
        for c in form {
            if isWordChar(c) { k.append(c); if k.count == 2 { break } } else if !k.isEmpty { break }
        }
        return k.lowercased()
    }

    /// Ranges of `form` in `text`.
    public static func ranges(of form: String, in text: String, language: String, caseSensitive: Bool, inflect: Bool = true) -> [Range<String.Index>] {
        ranges(of: form, in: prepare(text, language: language), caseSensitive: caseSensitive, inflect: inflect)
    }

    public static func ranges(of form: String, in p: Prepared, caseSensitive: Bool, inflect: Bool = true) -> [Range<String.Index>] {
        let text = p.text
        let f = form.trimmingCharacters(in: .whitespaces)
        guard !f.isEmpty, !text.isEmpty else { return [] }
        if p.unspaced {
            var out: [Range<String.Index>] = []
            let options: String.CompareOptions = caseSensitive ? [] : [.caseInsensitive]
            var from = text.startIndex
            while from < text.endIndex, let r = text.range(of: f, options: options, range: from..<text.endIndex) {
                out.append(r)
                from = r.upperBound
            }
            return out
        }
        let k = firstKey(f)
        if !k.isEmpty && !p.keys.contains(k) { return [] }
        let termWords = words(f).map { fold($0.text, caseSensitive) }
        guard !termWords.isEmpty else {
            // a term made only of symbols: plain substring
            return text.range(of: f).map { [$0] } ?? []
        }
        let folded = caseSensitive ? p.words.map(\.text) : p.lower
        var out: [Range<String.Index>] = []
        var i = 0
        while i + termWords.count <= folded.count {
            var ok = true
            for (j, tw) in termWords.enumerated() where !wordMatches(tw, folded[i + j], inflect: inflect) { ok = false; break }
            if ok {
                out.append(p.words[i].range.lowerBound..<p.words[i + termWords.count - 1].range.upperBound)
                i += termWords.count
            } else { i += 1 }
        }
        return out
    }

    public static func contains(_ text: String, form: String, language: String, caseSensitive: Bool, inflect: Bool = true) -> Bool {
        !ranges(of: form, in: text, language: language, caseSensitive: caseSensitive, inflect: inflect).isEmpty
    }

    /// The first of `forms` found in `text`, with what was found.
    public static func firstMatch(_ forms: [String], in text: String, language: String, caseSensitive: Bool, inflect: Bool = true) -> (form: String, found: String)? {
        firstMatch(forms, in: prepare(text, language: language), caseSensitive: caseSensitive, inflect: inflect)
    }

    public static func firstMatch(_ forms: [String], in p: Prepared, caseSensitive: Bool, inflect: Bool = true) -> (form: String, found: String)? {
        for f in forms {
            if let r = ranges(of: f, in: p, caseSensitive: caseSensitive, inflect: inflect).first { return (f, String(p.text[r])) }
        }
        return nil
    }
}
