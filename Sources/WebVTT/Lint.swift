// Lint: style-guide checks with profiles, per-language limits, caller overrides, and a `fix` for
// the safe problems (order, overlaps, gaps).

/// The limits a lint run checks against.
public struct LintProfile: Hashable, Sendable {
    /// Profile name (`netflix`, `default`, or a caller's).
    public var name: String
    /// Language the limits are for (`en`, `ja`, ...), or `nil`.
    public var lang: String?
    /// Maximum visible characters on one line.
    public var maxCharsPerLine: Int
    /// Maximum number of lines in a cue.
    public var maxLines: Int
    /// Minimum duration in milliseconds.
    public var minDurationMs: Int64
    /// Maximum duration in milliseconds.
    public var maxDurationMs: Int64
    /// Maximum reading speed in characters per second (visible characters, line breaks not
    /// counted, divided by the duration in seconds).
    public var maxCharsPerSecond: Double
    /// Minimum gap between consecutive cues, in frames (0 disables the check).
    public var minGapFrames: Int
    /// Frame rate used to turn `minGapFrames` into milliseconds.
    public var frameRate: Double
    /// Severity of the style-guide limits (line length, lines, durations, speed, gap).
    /// Structural problems (overlap, order, empty cue, end before start) are always errors.
    public var limitSeverity: Diagnostic.Severity

    public init(name: String, lang: String? = nil, maxCharsPerLine: Int, maxLines: Int, minDurationMs: Int64,
                maxDurationMs: Int64, maxCharsPerSecond: Double, minGapFrames: Int, frameRate: Double = 24,
                limitSeverity: Diagnostic.Severity = .warning) {
        self.name = name
        self.lang = lang
        self.maxCharsPerLine = maxCharsPerLine
        self.maxLines = maxLines
        self.minDurationMs = minDurationMs
        self.maxDurationMs = maxDurationMs
        self.maxCharsPerSecond = maxCharsPerSecond
        self.minGapFrames = minGapFrames
        self.frameRate = frameRate
        self.limitSeverity = limitSeverity
    }

    /// The minimum gap in milliseconds: `minGapFrames` frames at `frameRate`, rounded down
    /// (2 frames at 24 fps = 83 ms, at 25 fps = 80 ms).
    public var minGapMs: Int64 {
        guard minGapFrames > 0, frameRate > 0 else { return 0 }
        return Int64((Double(minGapFrames) * 1000 / frameRate).rounded(.down))
    }

    /// The profiles `named` knows.
    public static let names = ["default", "netflix", "captions"]

    /// `default`: 43 characters a line, 2 lines, 1-8 s, 25 characters a second, no gap rule.
    public static let `default` = LintProfile(name: "default", maxCharsPerLine: 43, maxLines: 2, minDurationMs: 1000,
                                              maxDurationMs: 8000, maxCharsPerSecond: 25, minGapFrames: 0)

    /// Netflix Timed Text Style Guide limits per language, from the guide's language pages, as
    /// best known: (characters per line, adult cps, children's cps, lines). All languages share
    /// min 5/6 s (833 ms), max 7 s, and a 2-frame minimum gap.
    ///
    /// | language | chars/line | cps adult | cps children |
    /// |---|---|---|---|
    /// | en (English) | 42 | 20 | 17 |
    /// | most Latin/Cyrillic/Greek script languages (fr, de, es, it, pt, nl, sv, da, no/nb, fi, pl, cs, sk, hu, ro, hr, sr, sl, bg, el, ru, uk, tr, id, ms, vi, fil, ca, eu, gl, lt, lv, et, is, ...) | 42 | 17 | 13 |
    /// | ar (Arabic), he (Hebrew), fa (Persian) | 42 | 17 | 13 |
    /// | hi (Hindi), bn, ta, te, mr, ml, kn, gu, pa | 42 | 17 | 13 |
    /// | th (Thai) | 35 | 15 | 12 |
    /// | ko (Korean) | 16 | 12 | 9 |
    /// | zh, zh-Hans, zh-Hant, zh-CN, zh-TW, zh-HK (Chinese) | 16 | 9 | 7 |
    /// | ja (Japanese, horizontal) | 13 | 4 | 4 |
    ///
    /// Unknown languages get the Latin-script row (42 / 17).
    static let netflixTable: [String: (chars: Int, adult: Double, children: Double)] = {
        var t: [String: (Int, Double, Double)] = ["en": (42, 20, 17)]
        for l in ["fr", "de", "es", "it", "pt", "nl", "sv", "da", "no", "nb", "nn", "fi", "pl", "cs", "sk", "hu",
                  "ro", "hr", "sr", "sl", "bg", "el", "ru", "uk", "tr", "id", "ms", "vi", "fil", "tl", "ca", "eu",
                  "gl", "lt", "lv", "et", "is", "mk", "bs", "sq", "af", "sw", "ar", "he", "fa", "ur", "hi", "bn",
                  "ta", "te", "mr", "ml", "kn", "gu", "pa"] {
            t[l] = (42, 17, 13)
        }
        t["th"] = (35, 15, 12)
        t["ko"] = (16, 12, 9)
        t["zh"] = (16, 9, 7)
        t["ja"] = (13, 4, 4)
        return t
    }()

    /// A named profile for a language. `netflix` follows the Netflix Timed Text Style Guide
    /// (see `netflixTable`); `children` picks the children's reading speed. Returns `nil` for an
    /// unknown name.
    public static func named(_ name: String, lang: String? = nil, children: Bool = false,
                             frameRate: Double = 24) -> LintProfile? {
        switch name.lowercased() {
        case "default":
            var p = LintProfile.default
            p.lang = lang
            p.frameRate = frameRate
            return p
        case "captions":
            // captions (SDH): 32 characters a line (the CEA-608 caption row), 2 lines, 1-6 s,
            // 20 characters a second, 2 frames between cues; over a limit is an error
            return LintProfile(name: "captions", lang: lang, maxCharsPerLine: 32, maxLines: 2, minDurationMs: 1000, maxDurationMs: 6000,
                               maxCharsPerSecond: 20, minGapFrames: 2, frameRate: frameRate, limitSeverity: .error)
        case "netflix":
            let key = baseLanguage(lang ?? "en")
            let row = netflixTable[key] ?? (42, 17, 13)
            return LintProfile(name: "netflix", lang: lang ?? "en", maxCharsPerLine: row.chars, maxLines: 2,
                               minDurationMs: 833, maxDurationMs: 7000,
                               maxCharsPerSecond: children ? row.children : row.adult,
                               minGapFrames: 2, frameRate: frameRate, limitSeverity: .error)
        default:
            return nil
        }
    }

    /// `pt-BR` -> `pt`, `zh-Hant` -> `zh`, `EN_us` -> `en`.
    static func baseLanguage(_ lang: String) -> String {
        let lower = lang.lowercased()
        let base = lower.split(whereSeparator: { $0 == "-" || $0 == "_" }).first.map(String.init) ?? lower
        return base
    }
}

/// Caller overrides for any limit of a profile (`nil` keeps the profile's value).
public struct LintOverrides: Hashable, Sendable {
    public var maxCharsPerLine: Int?
    public var maxLines: Int?
    public var minDurationMs: Int64?
    public var maxDurationMs: Int64?
    public var maxCharsPerSecond: Double?
    public var minGapFrames: Int?
    public var frameRate: Double?
    public var limitSeverity: Diagnostic.Severity?

    public init(maxCharsPerLine: Int? = nil, maxLines: Int? = nil, minDurationMs: Int64? = nil,
                maxDurationMs: Int64? = nil, maxCharsPerSecond: Double? = nil, minGapFrames: Int? = nil,
                frameRate: Double? = nil, limitSeverity: Diagnostic.Severity? = nil) {
        self.maxCharsPerLine = maxCharsPerLine
        self.maxLines = maxLines
        self.minDurationMs = minDurationMs
        self.maxDurationMs = maxDurationMs
        self.maxCharsPerSecond = maxCharsPerSecond
        self.minGapFrames = minGapFrames
        self.frameRate = frameRate
        self.limitSeverity = limitSeverity
    }

    public static let none = LintOverrides()

    /// The keys `parse` accepts.
    public static let keys = ["max_chars_per_line", "max_lines", "min_duration_ms", "max_duration_ms",
                              "max_cps", "min_gap_frames", "frame_rate", "severity"]

    /// Parses `key=value` strings (keys in `keys`; durations also accept `1.5s` style values).
    /// Throws a message naming the bad entry.
    public static func parse(_ entries: [String]) throws -> LintOverrides {
        var o = LintOverrides()
        for entry in entries {
            let parts = entry.split(separator: "=", maxSplits: 1).map { String($0).trimmingASCIISpaces() }
            guard parts.count == 2, !parts[1].isEmpty else { throw LintOverrideError(entry: entry, reason: "expected key=value") }
            let key = parts[0].replacingOccurrencesOfDash()
            let v = parts[1]
            switch key {
            case "max_chars_per_line", "max_chars", "chars_per_line":
                guard let n = Int(v), n > 0 else { throw LintOverrideError(entry: entry, reason: "expected a positive integer") }
                o.maxCharsPerLine = n
            case "max_lines", "lines":
                guard let n = Int(v), n > 0 else { throw LintOverrideError(entry: entry, reason: "expected a positive integer") }
                o.maxLines = n
            case "min_duration_ms", "min_duration":
                guard let n = Int64(v) ?? Timestamp.parseDuration(v), n >= 0 else {
                    throw LintOverrideError(entry: entry, reason: "expected milliseconds or a duration like 0.8s")
                }
                o.minDurationMs = n
            case "max_duration_ms", "max_duration":
                guard let n = Int64(v) ?? Timestamp.parseDuration(v), n > 0 else {
                    throw LintOverrideError(entry: entry, reason: "expected milliseconds or a duration like 7s")
                }
                o.maxDurationMs = n
            case "max_cps", "cps", "max_chars_per_second":
                guard let d = Double(v), d > 0, d.isFinite else { throw LintOverrideError(entry: entry, reason: "expected a positive number") }
                o.maxCharsPerSecond = d
            case "min_gap_frames", "gap_frames":
                guard let n = Int(v), n >= 0 else { throw LintOverrideError(entry: entry, reason: "expected a whole number of frames") }
                o.minGapFrames = n
            case "frame_rate", "fps":
                guard let d = Double(v), d > 0, d.isFinite else { throw LintOverrideError(entry: entry, reason: "expected a positive number") }
                o.frameRate = d
            case "severity":
                guard let s = Diagnostic.Severity(rawValue: v) else { throw LintOverrideError(entry: entry, reason: "expected error or warning") }
                o.limitSeverity = s
            default:
                throw LintOverrideError(entry: entry, reason: "unknown key; known: \(keys.joined(separator: ", "))")
            }
        }
        return o
    }

    /// The profile with these overrides applied.
    public func apply(to p: LintProfile) -> LintProfile {
        var q = p
        if let v = maxCharsPerLine { q.maxCharsPerLine = v }
        if let v = maxLines { q.maxLines = v }
        if let v = minDurationMs { q.minDurationMs = v }
        if let v = maxDurationMs { q.maxDurationMs = v }
        if let v = maxCharsPerSecond { q.maxCharsPerSecond = v }
        if let v = minGapFrames { q.minGapFrames = v }
        if let v = frameRate { q.frameRate = v }
        if let v = limitSeverity { q.limitSeverity = v }
        return q
    }
}

/// A bad `key=value` override.
public struct LintOverrideError: Error, Equatable, CustomStringConvertible {
    public var entry: String
    public var reason: String
    public var description: String { "invalid lint override '\(entry)': \(reason)" }
}

/// One lint finding.
public struct LintFinding: Hashable, Sendable {
    /// The rules, as stable snake_case identifiers.
    public enum Rule: String, Sendable, CaseIterable {
        case overlap
        case outOfOrder = "out_of_order"
        case emptyCue = "empty_cue"
        case endBeforeStart = "end_before_start"
        case lineCount = "line_count"
        case lineLength = "line_length"
        case readingSpeed = "reading_speed"
        case minDuration = "min_duration"
        case maxDuration = "max_duration"
        case gap
        case invalidSetting = "invalid_setting"
        case duplicateId = "duplicate_id"
    }

    /// 0-based index of the cue in the document (reports show `cueNumber`, from 1).
    public var cueIndex: Int
    /// The cue's number as reports show it: 1 for the first cue, as `--cue`, `diff` and
    /// `vtt show` count.
    public var cueNumber: Int { cueIndex + 1 }
    public var cueId: String
    /// 1-based source line of the cue's timing line (0 when unknown).
    public var line: Int
    public var startMs: Int64
    public var endMs: Int64
    public var severity: Diagnostic.Severity
    public var rule: Rule
    /// The measured value (characters, lines, cps, milliseconds), when the rule has one.
    public var value: Double?
    /// The limit it was checked against.
    public var limit: Double?
    /// Rule-specific detail: the other cue (overlap and duplicate id: its 0-based index), the line
    /// number (line length), the character count (reading speed).
    public var related: Int?
    /// Free text detail (invalid settings).
    public var detail: String?

    public init(cueIndex: Int, cueId: String, line: Int, startMs: Int64, endMs: Int64, severity: Diagnostic.Severity,
                rule: Rule, value: Double? = nil, limit: Double? = nil, related: Int? = nil, detail: String? = nil) {
        self.cueIndex = cueIndex
        self.cueId = cueId
        self.line = line
        self.startMs = startMs
        self.endMs = endMs
        self.severity = severity
        self.rule = rule
        self.value = value
        self.limit = limit
        self.related = related
        self.detail = detail
    }

    /// A one-line English explanation.
    public var message: String {
        var w = ByteWriter(capacity: 96)
        writeMessage(&w)
        return w.toString()
    }

    func writeMessage(_ w: inout ByteWriter) {
        func num(_ v: Double?, _ w: inout ByteWriter) {
            guard let v = v else { return }
            if v == v.rounded(), abs(v) < 1e15 { w.appendDecimal(Int64(v)) } else { w.append(formatNumber(v)) }
        }
        switch rule {
        case .overlap:
            w.append("cue overlaps cue " as StaticString)
            w.appendDecimal(Int64((related ?? 0) + 1))
            w.append(" by " as StaticString); num(value, &w); w.append(" ms" as StaticString)
        case .outOfOrder:
            w.append("cue starts before the previous cue; cues must be in start-time order" as StaticString)
        case .emptyCue:
            w.append("cue has no visible text" as StaticString)
        case .endBeforeStart:
            w.append(value == 0 ? "cue has zero duration" as StaticString : "cue ends before it starts" as StaticString)
        case .lineCount:
            w.append("cue has " as StaticString); num(value, &w)
            w.append(" lines, over the limit of " as StaticString); num(limit, &w)
        case .lineLength:
            w.append("line " as StaticString); w.appendDecimal(Int64(related ?? 0))
            w.append(" has " as StaticString); num(value, &w)
            w.append(" characters, over the limit of " as StaticString); num(limit, &w)
        case .readingSpeed:
            w.append("reading speed " as StaticString); num(value, &w)
            w.append(" characters/s (" as StaticString); w.appendDecimal(Int64(related ?? 0))
            w.append(" characters), over the limit of " as StaticString); num(limit, &w)
        case .minDuration:
            w.append("duration " as StaticString); num(value, &w)
            w.append(" ms is under the minimum of " as StaticString); num(limit, &w); w.append(" ms" as StaticString)
        case .maxDuration:
            w.append("duration " as StaticString); num(value, &w)
            w.append(" ms is over the maximum of " as StaticString); num(limit, &w); w.append(" ms" as StaticString)
        case .gap:
            w.append("gap of " as StaticString); num(value, &w)
            w.append(" ms to the previous cue is under the minimum of " as StaticString); num(limit, &w)
            w.append(" ms" as StaticString)
        case .invalidSetting:
            w.append(detail ?? "invalid cue setting")
        case .duplicateId:
            w.append("cue id '" as StaticString); w.append(detail ?? "")
            w.append("' is already used by cue " as StaticString)
            w.appendDecimal(Int64((related ?? 0) + 1))
        }
    }
}

/// Lint results with their counts.
public struct LintReport: Sendable {
    public var profile: LintProfile
    public var findings: [LintFinding]
    public var errors: Int { findings.reduce(0) { $0 + ($1.severity == .error ? 1 : 0) } }
    public var warnings: Int { findings.reduce(0) { $0 + ($1.severity == .warning ? 1 : 0) } }
}

/// Linting and safe fixing.
public enum Lint {
    /// Checks every cue against `profile` (with `overrides` applied). `lang` replaces the
    /// profile's language for display only; pick language limits with `LintProfile.named`.
    public static func lint(_ doc: WebVTTDocument, profile: LintProfile, lang: String? = nil,
                            overrides: LintOverrides = .none) -> [LintFinding] {
        let p = overrides.apply(to: profile)
        var findings: [LintFinding] = []
        let gap = p.minGapMs
        var lineLengths: [Int] = []
        lineLengths.reserveCapacity(8)
        let neighbours = Neighbours(doc.cues)
        let duplicates = Lint.duplicateIds(doc)
        let regions = doc.regions
        let regionIDs = regions.map { Array($0.id.utf8) }
        let sink = DiagnosticSink()
        let sev = p.limitSeverity
        let maxCPS = p.maxCharsPerSecond
        let src: SourceBytes = doc.source ?? SourceBytes([])
        let srcAddress = Unmanaged.passUnretained(src).toOpaque()
        src.bytes.withUnsafeBufferPointer { sb in
        doc.cues.withUnsafeBufferPointer { cues in
            for i in 0..<cues.count {
                let s = cues[i].startMs
                let e = cues[i].endMs
                func add(_ rule: LintFinding.Rule, _ sev: Diagnostic.Severity, _ value: Double?, _ limit: Double?,
                         related: Int? = nil, detail: String? = nil) {
                    findings.append(LintFinding(cueIndex: i, cueId: cues[i].id, line: cues[i].line, startMs: s, endMs: e,
                                                severity: sev, rule: rule, value: value, limit: limit,
                                                related: related, detail: detail))
                }
                // Order in the file; overlap and gap with the cues that start before this one
                // (in start-time order, so cues that are only out of order do not overlap).
                if i > 0, s < cues[i - 1].startMs { add(.outOfOrder, .error, nil, nil) }
                if let (other, by) = neighbours.overlap(i) {
                    add(.overlap, .error, Double(by), 0, related: other)
                } else if gap > 0, let g = neighbours.gap(i), g >= 0 && g < gap {
                    add(.gap, sev, Double(g), Double(gap))
                }
                if let first = duplicates[i] { add(.duplicateId, .error, nil, nil, related: first, detail: cues[i].id) }
                // Duration.
                let d = e - s
                if d <= 0 {
                    add(.endBeforeStart, .error, Double(d), 0)
                } else if d < p.minDurationMs {
                    add(.minDuration, sev, Double(d), Double(p.minDurationMs))
                } else if d > p.maxDurationMs {
                    add(.maxDuration, sev, Double(d), Double(p.maxDurationMs))
                }
                // Text measures.
                let total: Int
                if cues[i].overrides == nil, cues[i].sourceAddress == srcAddress, let sbase = sb.baseAddress {
                    let ts = Int(cues[i].textStart), te = Int(cues[i].textEnd)
                    total = CueText.measure(UnsafeBufferPointer(start: sbase + ts, count: max(0, te - ts)), lines: &lineLengths)
                } else {
                    total = cues[i].withTextBytes { bytes, _ in CueText.measure(bytes, lines: &lineLengths) }
                }
                if total == 0 {
                    add(.emptyCue, .error, 0, nil)
                } else {
                    var nonEmptyLines = 0
                    for k in 0..<lineLengths.count {
                        let len = lineLengths[k]
                        if len > 0 { nonEmptyLines += 1 }
                        if len > p.maxCharsPerLine {
                            add(.lineLength, sev, Double(len), Double(p.maxCharsPerLine), related: k + 1)
                        }
                    }
                    if nonEmptyLines > p.maxLines {
                        add(.lineCount, sev, Double(nonEmptyLines), Double(p.maxLines))
                    }
                    if d > 0 {
                        let cps = Double(total) * 1000 / Double(d)
                        if cps > maxCPS + 1e-9 {
                            add(.readingSpeed, sev, (cps * 10).rounded() / 10, maxCPS, related: total)
                        }
                    }
                }
                // Settings a browser ignores.
                if cues[i].settingsInvalid {
                    sink.items.removeAll(keepingCapacity: true)
                    cues[i].withSettingsBytes { bytes in
                        _ = SettingsParser.parseCueSettings(bytes, regions: regions, regionIDs: regionIDs, sink: sink)
                    }
                    for item in sink.items where item.severity == .error {
                        add(.invalidSetting, .warning, nil, nil, detail: item.message)
                    }
                }
            }
        }
        }
        _ = lang
        return findings
    }

    /// The cues whose id an earlier cue already has: cue index -> index of the first cue with
    /// that id (cues without an id are never duplicates).
    ///
    /// Ids are compared as strings are (`String ==`). When every id is ASCII, where that is byte
    /// equality, they are compared as bytes in an open-addressing table of cue indices, without
    /// making a string per cue; other ids go through a dictionary of strings.
    public static func duplicateIds(_ doc: WebVTTDocument) -> [Int: Int] {
        let cues = doc.cues
        var out: [Int: Int] = [:]
        guard cues.count > 1 else { return out }
        // every id's bytes, one after another: id i is arena[ends[i] - length ..< ends[i]]
        var arena: [UInt8] = []
        var ends = [Int](repeating: 0, count: cues.count)
        var ascii = true
        for i in cues.indices {
            cues[i].withIDBytes { b in
                for c in b where c >= 0x80 { ascii = false; break }
                arena.append(contentsOf: b)
            }
            ends[i] = arena.count
        }
        if !ascii {
            var first: [String: Int] = [:]
            for i in cues.indices where !cues[i].idIsEmpty {
                let id = cues[i].id
                if let f = first[id] { out[i] = f } else { first[id] = i }
            }
            return out
        }
        var capacity = 16
        while capacity < cues.count * 2 { capacity <<= 1 }
        let mask = capacity - 1
        var table = [Int32](repeating: -1, count: capacity)
        arena.withUnsafeBufferPointer { a in
            guard let base = a.baseAddress else { return } // no cue has an id
            ends.withUnsafeBufferPointer { e in
                table.withUnsafeMutableBufferPointer { t in
                    for i in 0..<e.count {
                        let end = e[i], start = i == 0 ? 0 : e[i - 1]
                        if end == start { continue }
                        var h: UInt64 = 0xcbf2_9ce4_8422_2325 // FNV-1a
                        for k in start..<end { h = (h ^ UInt64(a[k])) &* 0x100_0000_01b3 }
                        var slot = Int(truncatingIfNeeded: h ^ (h >> 29)) & mask
                        while true {
                            let j = Int(t[slot])
                            if j < 0 { t[slot] = Int32(truncatingIfNeeded: i); break }
                            let jEnd = e[j], jStart = j == 0 ? 0 : e[j - 1]
                            if jEnd - jStart == end - start {
                                var k = 0
                                while k < end - start && base[jStart + k] == base[start + k] { k += 1 }
                                if k == end - start { out[i] = j; break }
                            }
                            slot = (slot + 1) & mask
                        }
                    }
                }
            }
        }
        return out
    }

    /// Lint with counts.
    public static func report(_ doc: WebVTTDocument, profile: LintProfile, overrides: LintOverrides = .none) -> LintReport {
        LintReport(profile: overrides.apply(to: profile), findings: lint(doc, profile: profile, overrides: overrides))
    }

    /// Fixes the safe problems: sorts cues by start (stable), trims overlaps and closes gaps under
    /// the minimum by moving the earlier cue's end to `next.start - minGap` (never below its own
    /// start + 1 ms; when that is impossible the cue is left alone). Returns the fixed document and
    /// the number of cues changed.
    public static func fix(_ doc: WebVTTDocument, profile: LintProfile, overrides: LintOverrides = .none)
        -> (document: WebVTTDocument, fixedCount: Int) {
        let p = overrides.apply(to: profile)
        var out = doc
        var fixed = 0
        // Order.
        var sorted = true
        for i in 1..<max(out.cues.count, 1) where out.cues[i].startMs < out.cues[i - 1].startMs { sorted = false; break }
        if !sorted {
            let order = out.cues.indices.sorted { a, b in
                out.cues[a].startMs != out.cues[b].startMs ? out.cues[a].startMs < out.cues[b].startMs : a < b
            }
            var moved = 0
            for (k, i) in order.enumerated() where k != i { moved += 1 }
            out.cues = order.map { out.cues[$0] }
            // Blocks keep their anchors; make sure every cue is separated by a blank line.
            for i in out.cues.indices where out.cues[i].blankLinesBefore < 1 { out.cues[i].blankLinesBefore = 1 }
            fixed += moved
        }
        let gap = p.minGapMs
        if out.cues.count > 1 {
            out.cues.withUnsafeMutableBufferPointer { cues in
                for i in 0..<(cues.count - 1) {
                    let next = cues[i + 1].startMs
                    let e = cues[i].endMs
                    let g = next - e
                    if g < gap {
                        let target = next - gap
                        if target > cues[i].startMs, target != e {
                            cues[i].endMs = target
                            fixed += 1
                        }
                    }
                }
            }
        }
        return (out, fixed)
    }

    // MARK: output

    /// Lint findings as JSON:
    /// `{"profile","lang","errors","warnings","findings":[{"cue","cue_id","line","start_ms",
    /// "end_ms","severity","rule","message","value","limit"}]}` (`cue` counts from 1).
    public static func json(_ findings: [LintFinding], profile: LintProfile) -> String {
        encodeJSON(findings, profile: profile).string
    }

    /// `json`, handed to `body` as UTF-8 bytes, without making a string of them (a report of
    /// 100,000s of findings is written out as it was encoded).
    public static func withJSON<R>(_ findings: [LintFinding], profile: LintProfile,
                                   _ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        let w = encodeJSON(findings, profile: profile)
        return try body(w.out.buffer)
    }

    static func encodeJSON(_ findings: [LintFinding], profile: LintProfile) -> JSONWriter {
        var w = JSONWriter(capacity: 128 + findings.count * 220)
        let errors = findings.reduce(0) { $0 + ($1.severity == .error ? 1 : 0) }
        w.raw("{\"profile\":")
        w.string(profile.name)
        w.raw(",\"lang\":")
        if let l = profile.lang { w.string(l) } else { w.raw("null") }
        w.raw(",\"errors\":")
        w.int(errors)
        w.raw(",\"warnings\":")
        w.int(findings.count - errors)
        w.raw(",\"findings\":[")
        var msg = ByteWriter(capacity: 128)
        findings.withUnsafeBufferPointer { fs in
            for k in 0..<fs.count {
                if k > 0 { w.byte(0x2C) }
                w.raw("{\"cue\":")
                w.int(fs[k].cueNumber)
                w.raw(",\"cue_id\":")
                w.string(fs[k].cueId)
                w.raw(",\"line\":")
                w.int(fs[k].line)
                w.raw(",\"start_ms\":")
                w.int(fs[k].startMs)
                w.raw(",\"end_ms\":")
                w.int(fs[k].endMs)
                w.raw(",\"severity\":")
                w.raw(fs[k].severity == .error ? "\"error\"" : "\"warning\"")
                w.raw(",\"rule\":\"")
                w.out.append(fs[k].rule.rawValue)
                w.raw("\",\"message\":")
                msg.reset()
                fs[k].writeMessage(&msg)
                w.string(msg.buffer)
                w.raw(",\"value\":")
                if let v = fs[k].value { w.number(v) } else { w.raw("null") }
                w.raw(",\"limit\":")
                if let v = fs[k].limit { w.number(v) } else { w.raw("null") }
                w.byte(0x7D)
            }
        }
        w.raw("]}")
        return w
    }

    /// Lint findings as CSV (RFC 4180, header row, CRLF-free: LF line ends):
    /// `cue,cue_id,line,start,end,severity,rule,message,value,limit` (`cue` counts from 1).
    public static func csv(_ findings: [LintFinding]) -> String {
        var out = "cue,cue_id,line,start,end,severity,rule,message,value,limit\n"
        for f in findings {
            let fields = [String(f.cueNumber), f.cueId, String(f.line), Timestamp.format(f.startMs), Timestamp.format(f.endMs),
                          f.severity.rawValue, f.rule.rawValue, f.message,
                          f.value.map(formatNumber) ?? "", f.limit.map(formatNumber) ?? ""]
            out += fields.map(csvField).joined(separator: ",")
            out += "\n"
        }
        return out
    }

    static func csvField(_ s: String) -> String {
        if s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) {
            return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        }
        return s
    }
}

extension String {
    func replacingOccurrencesOfDash() -> String {
        String(self.map { $0 == "-" ? "_" : $0 }).lowercased()
    }

    /// Replaces every occurrence of `target` (Foundation-free).
    func replacingOccurrences(of target: String, with replacement: String) -> String {
        guard !target.isEmpty else { return self }
        var result = ""
        var rest = Substring(self)
        while let r = rest.range(of: target) {
            result += rest[rest.startIndex..<r.lowerBound]
            result += replacement
            rest = rest[r.upperBound...]
        }
        result += rest
        return result
    }
}

extension Substring {
    /// First range of `needle` (Foundation-free, by characters).
    func range(of needle: String) -> Range<Substring.Index>? {
        let n = Array(needle)
        guard !n.isEmpty else { return nil }
        var i = startIndex
        while i < endIndex {
            if self[i] == n[0] {
                var j = i
                var k = 0
                while k < n.count, j < endIndex, self[j] == n[k] {
                    j = index(after: j)
                    k += 1
                }
                if k == n.count { return i..<j }
            }
            i = index(after: i)
        }
        return nil
    }
}

/// For each cue, the cue before it in start-time order (stable: equal starts keep file order):
/// the overlap with the latest-ending earlier cue, and the gap to the previous one.
struct Neighbours {
    /// Per cue: the index of the earlier-starting cue it overlaps (-1 for none).
    var overlapWith: [Int32]
    /// Per cue: milliseconds of overlap, or the gap to the previous cue when it does not
    /// overlap (Int64.min for the first cue).
    var amount: [Int64]

    init(_ cues: [Cue]) {
        let n = cues.count
        overlapWith = [Int32](repeating: -1, count: n)
        amount = [Int64](repeating: Int64.min, count: n)
        var sorted = true
        for i in 1..<max(n, 1) where cues[i].startMs < cues[i - 1].startMs { sorted = false; break }
        let order: [Int] = sorted ? Array(0..<n) : cues.indices.sorted { a, b in
            cues[a].startMs != cues[b].startMs ? cues[a].startMs < cues[b].startMs : a < b
        }
        var maxEnd = Int64.min
        var maxEndIndex = -1
        for k in order.indices {
            let i = order[k]
            let s = cues[i].startMs
            if k > 0 {
                if maxEndIndex >= 0, s < maxEnd {
                    overlapWith[i] = Int32(truncatingIfNeeded: maxEndIndex)
                    amount[i] = maxEnd - s
                } else {
                    amount[i] = s - cues[order[k - 1]].endMs
                }
            }
            if cues[i].endMs > maxEnd { maxEnd = cues[i].endMs; maxEndIndex = i }
        }
    }

    func overlap(_ i: Int) -> (Int, Int64)? { overlapWith[i] >= 0 ? (Int(overlapWith[i]), amount[i]) : nil }
    func gap(_ i: Int) -> Int64? { overlapWith[i] < 0 && amount[i] != Int64.min ? amount[i] : nil }
}
