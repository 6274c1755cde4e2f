import WebVTT

/// Where cue text (WebVTT: markup, character references, line breaks) meets engines, which see
/// plain text only. Two directions:
///
/// - `TranslatableCue`: a cue's text as units for a translation engine, and the way back. Each
///   dialogue turn (a line starting with `- `, with the lines that continue it) is one unit; a cue
///   without dialogue dashes is one unit, whatever its line count. Tags that wrap a unit (`<i>..</i>`
///   around it, a leading `<v Name>`) are kept aside and put back around the translation; tags
///   inside a unit become placeholder words (`QJX1`) that engines pass through, restored around
///   the translated words. Character references are decoded for the engine; its answer is escaped
///   (`&`, `<`, `>`) and re-wrapped into the unit's line count in balanced lines, within the
///   lint profile's line length.
/// - `SpeechText.of`: what a speech engine reads aloud: no markup, no speaker labels, no
///   `[sound tags]`, no dialogue dashes or music notes.
public struct TranslatableCue: Sendable {
    struct Unit: Sendable {
        /// Raw cue text put back before the translation (leading tags, the dialogue dash).
        var lead: String
        /// Raw cue text put back after it (trailing tags).
        var trail: String
        /// Raw tags replaced by placeholders `prefix + (k + 1)`, and whether each closes an element.
        var inner: [(tag: String, closing: Bool)]
        /// Plain text for the engine, placeholders included.
        var text: String
        /// Lines this unit takes in the source cue.
        var lines: Int
    }

    let units: [Unit]
    let prefix: String

    /// The plain texts to translate, in order (one per unit).
    public var texts: [String] { units.map(\.text) }

    /// Prepares `cueText` (WebVTT cue text). `prefix` names the placeholders: it must not occur
    /// in the text (see `placeholderPrefix`).
    public init(_ cueText: String, prefix: String = "QJX") {
        self.prefix = prefix
        var turns: [[Substring]] = []
        for line in cueText.split(separator: "\n", omittingEmptySubsequences: false) {
            if turns.isEmpty || TranslatableCue.startsWithDash(line) { turns.append([line]) } else { turns[turns.count - 1].append(line) }
        }
        units = turns.map { TranslatableCue.unit($0.joined(separator: "\n"), lines: $0.count, prefix: prefix) }
    }

    /// A placeholder prefix that occurs in none of `texts` (case-insensitively).
    public static func placeholderPrefix(for texts: [String]) -> String {
        var p = "QJX"
        while texts.contains(where: { $0.range(of: p, options: .caseInsensitive) != nil }) { p += "J" }
        return p
    }

    /// The translated cue text from one translation per unit (plain text, placeholders included).
    public func rebuild(_ translations: [String], maxCharsPerLine: Int = 42, maxLines: Int = 2) -> String {
        zip(units, translations).map { u, t in
            var words = t.split(whereSeparator: { $0.isWhitespace }).map { CueText.escape(String($0)) }
            // placeholders that went missing: opening ones go first, closing ones last
            let present = Set(words.flatMap { placeholders(in: $0) })
            for (k, tag) in u.inner.enumerated() where !present.contains(k + 1) {
                if tag.closing { words.append(prefix + String(k + 1)) } else { words.insert(prefix + String(k + 1), at: 0) }
            }
            let widths = words.map { visibleWidth($0) }
            let total = widths.reduce(0, +) + max(0, widths.count - 1)
            var n = u.lines
            var lines = TranslatableCue.balanced(words, widths, lines: n)
            while n < max(u.lines, maxLines), total > maxCharsPerLine * n,
                  lines.contains(where: { l in l.map(visibleWidth).reduce(0, +) + l.count - 1 > maxCharsPerLine }) {
                n += 1
                lines = TranslatableCue.balanced(words, widths, lines: n)
            }
            let body = lines.map { restore($0.joined(separator: " "), u) }.joined(separator: "\n")
            return u.lead + body + u.trail
        }.joined(separator: "\n")
    }

    // MARK: building units

    static func startsWithDash(_ line: Substring) -> Bool {
        let visible = line.drop(while: { $0 == " " })
        var rest = visible[...]
        while rest.first == "<", let close = rest.firstIndex(of: ">") { rest = rest[rest.index(after: close)...] }
        return rest.hasPrefix("- ") || rest.hasPrefix("– ") || rest.hasPrefix("-\u{00A0}") || rest == "-"
    }

    /// Tokens of raw cue text: tags (`<...>`) and text runs.
    static func tokens(_ s: String) -> [(raw: String, tag: Bool)] {
        var out: [(String, Bool)] = []
        var cur = ""
        var inTag = false
        for ch in s {
            if inTag {
                cur.append(ch)
                if ch == ">" { out.append((cur, true)); cur = ""; inTag = false }
            } else if ch == "<" {
                if !cur.isEmpty { out.append((cur, false)) }
                cur = "<"; inTag = true
            } else {
                cur.append(ch)
            }
        }
        if !cur.isEmpty { out.append((cur, inTag)) }
        return out
    }

    static func unit(_ raw: String, lines: Int, prefix: String) -> Unit {
        var toks = tokens(raw)
        var lead = "", trail = ""
        // leading tags and white space, then the dialogue dash
        while let f = toks.first, f.tag || f.raw.allSatisfy(\.isWhitespace) { lead += f.raw; toks.removeFirst() }
        if let f = toks.first, !f.tag {
            var t = Substring(f.raw)
            if let d = t.first, d == "-" || d == "–" {
                var dash = String(d); t = t.dropFirst()
                while let c = t.first, c == " " || c == "\u{00A0}" { dash.append(c); t = t.dropFirst() }
                if dash.count > 1 || t.isEmpty { lead += dash; toks[0].raw = String(t) }
            }
        }
        while let l = toks.last, l.tag || l.raw.allSatisfy(\.isWhitespace) { trail = l.raw + trail; toks.removeLast() }
        // keep open/close pairs balanced between lead/trail and the inside: a closing tag in
        // `trail` whose opening tag is inside goes back inside (it becomes a placeholder)
        var insideOpen: [String] = []
        for t in toks where t.tag {
            let name = tagName(t.raw)
            if t.raw.hasPrefix("</") { if let i = insideOpen.lastIndex(of: name) { insideOpen.remove(at: i) } } else if !name.isEmpty, !isTimestamp(t.raw) { insideOpen.append(name) }
        }
        var trailToks = tokens(trail)
        var moved: [(String, Bool)] = []
        while let f = trailToks.first, f.tag || f.raw.allSatisfy(\.isWhitespace) {
            guard f.tag, f.raw.hasPrefix("</"), let i = insideOpen.lastIndex(of: tagName(f.raw)) else { break }
            insideOpen.remove(at: i)
            moved.append(f); trailToks.removeFirst()
        }
        toks += moved
        trail = trailToks.map(\.raw).joined()
        var inner: [(String, Bool)] = []
        var text = ""
        for t in toks {
            if t.tag {
                inner.append((t.raw, t.raw.hasPrefix("</")))
                text += " \(prefix)\(inner.count) "
            } else {
                text += CueText.plainText(t.raw)
            }
        }
        let flat = text.split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
        return Unit(lead: lead, trail: trail, inner: inner, text: flat, lines: max(1, lines))
    }

    static func tagName(_ raw: String) -> String {
        String(raw.dropFirst(raw.hasPrefix("</") ? 2 : 1).prefix(while: { $0.isLetter }))
    }

    static func isTimestamp(_ raw: String) -> Bool { raw.dropFirst().first?.isNumber == true }

    // MARK: rebuilding

    /// The placeholder numbers in a word.
    func placeholders(in word: String) -> [Int] {
        var out: [Int] = []
        var s = Substring(word)
        while let r = s.range(of: prefix, options: .caseInsensitive) {
            var end = r.upperBound
            var n = 0
            while end < s.endIndex, s[end].isASCII, let d = s[end].wholeNumberValue, n < 100_000 { n = n * 10 + d; end = s.index(after: end) }
            if end > r.upperBound { out.append(n) }
            s = s[end...]
        }
        return out
    }

    func visibleWidth(_ word: String) -> Int {
        var w = word
        while let r = w.range(of: prefix, options: .caseInsensitive) {
            var end = r.upperBound
            while end < w.endIndex, w[end].isASCII, w[end].isNumber { end = w.index(after: end) }
            w.removeSubrange(r.lowerBound..<end)
        }
        return CueText.measure(w).total
    }

    /// Placeholders back to tags: an opening tag takes the space after it, a closing tag the space
    /// before it (`QJX1 hola QJX2,` -> `<b>hola</b>,`).
    func restore(_ line: String, _ u: Unit) -> String {
        guard !u.inner.isEmpty else { return line }
        var out = ""
        var s = Substring(line)
        while let r = s.range(of: prefix, options: .caseInsensitive) {
            var end = r.upperBound
            var n = 0
            while end < s.endIndex, s[end].isASCII, let d = s[end].wholeNumberValue, n < 100_000 { n = n * 10 + d; end = s.index(after: end) }
            guard n >= 1, n <= u.inner.count else { out += s[..<r.upperBound]; s = s[r.upperBound...]; continue }
            var before = s[..<r.lowerBound]
            let tag = u.inner[n - 1]
            if tag.closing, before.last == " " { before = before.dropLast() }
            // the spaces around a placeholder were ours: none before closing punctuation, none after opening
            if !tag.closing, before.last == " ", let p = before.dropLast().last, "¿¡([«“\"".contains(p) { before = before.dropLast() }
            out += before + tag.tag
            s = s[end...]
            if !tag.closing, s.first == " " { s = s.dropFirst() }
            if tag.closing, s.first == " ", let p = s.dropFirst().first, ".,;:!?…)]»”".contains(p) { s = s.dropFirst() }
        }
        return out + s
    }

    /// Words in at most `lines` lines, minimizing the longest line (then greedy at that width).
    static func balanced(_ words: [String], _ widths: [Int], lines: Int) -> [[String]] {
        guard lines > 1, words.count > 1 else { return words.isEmpty ? [] : [words] }
        func pack(_ limit: Int) -> [[String]] {
            var out: [[String]] = [[]]
            var cur = 0
            for (w, width) in zip(words, widths) {
                if !out[out.count - 1].isEmpty, cur + 1 + width > limit { out.append([]); cur = 0 }
                cur += (out[out.count - 1].isEmpty ? 0 : 1) + width
                out[out.count - 1].append(w)
            }
            return out
        }
        var lo = widths.max() ?? 0, hi = widths.reduce(0, +) + widths.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if pack(mid).count <= lines { hi = mid } else { lo = mid + 1 }
        }
        return pack(lo)
    }
}

/// What a speech engine reads for a cue.
public enum SpeechText {
    /// Plain text without markup, `[sound tags]`, `(sound tags)` in capitals, speaker labels
    /// (`JOHN:` at a line start), dialogue dashes and music notes; lines joined by spaces.
    public static func of(_ cueText: String) -> String {
        let plain = CueText.plainText(cueText)
        var lines: [String] = []
        for raw in plain.split(separator: "\n", omittingEmptySubsequences: true) {
            var l = removeBracketed(String(raw))
            l = l.replacingOccurrences(of: "♪", with: " ").replacingOccurrences(of: "♫", with: " ")
            var t = Substring(l).drop(while: { $0 == " " })
            if let d = t.first, d == "-" || d == "–", t.dropFirst().first == " " { t = t.dropFirst(2) }
            // a speaker label: one to three words in capitals, then a colon
            if let colon = t.firstIndex(of: ":") {
                let label = t[..<colon]
                let words = label.split(separator: " ")
                if !words.isEmpty, words.count <= 3, label.contains(where: \.isLetter), !label.contains(where: { $0.isLowercase }),
                   label.allSatisfy({ $0.isLetter || $0 == " " || $0 == "." || $0 == "'" || $0 == "-" || $0.isNumber }) {
                    t = t[t.index(after: colon)...]
                }
            }
            let words = t.split(whereSeparator: { $0.isWhitespace })
            if !words.isEmpty { lines.append(words.joined(separator: " ")) }
        }
        return lines.joined(separator: " ")
    }

    /// Removes `[...]` anywhere, and `(...)` whose letters are all capitals (SDH sound tags).
    static func removeBracketed(_ s: String) -> String {
        var out = ""
        var rest = Substring(s)
        while let open = rest.firstIndex(where: { $0 == "[" || $0 == "(" }) {
            let closeChar: Character = rest[open] == "[" ? "]" : ")"
            guard let close = rest[open...].firstIndex(of: closeChar) else { break }
            let inner = rest[rest.index(after: open)..<close]
            if closeChar == "]" || (inner.contains(where: \.isLetter) && !inner.contains(where: \.isLowercase)) {
                out += rest[..<open]; out += " "
            } else {
                out += rest[...close]
            }
            rest = rest[rest.index(after: close)...]
        }
        return out + rest
    }
}
