// The WebVTT parser: the W3C "WebVTT parser algorithm" (https://www.w3.org/TR/webvtt1/#file-parsing),
// run line by line over UTF-8 bytes, keeping what a round trip needs.
//
// Equivalences with the spec's character-level algorithm:
// - The spec first replaces NUL by U+FFFD and CRLF/CR by LF. NUL bytes are replaced in a copy of
//   the input (only when there is one); line terminators are recognised in place (LF, CR, CRLF).
// - "UTF-8 decode" strips one leading BOM and replaces invalid sequences with U+FFFD; strings are
//   made with `String(decoding:as:)`, which does the same replacement. All the syntax the parser
//   looks at is ASCII, so working on bytes finds the same structure.
// - "collect a WebVTT block" is followed step by step, including "let position be previous
//   position" when a line holding "-->" ends a block without a blank line.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#elseif canImport(Musl)
import Musl
#endif

/// Parses WebVTT files.
public enum WebVTTParser {
    /// Largest number of diagnostics kept; past it one `too_many_diagnostics` warning is added.
    public static let defaultMaxDiagnostics = 10_000

    /// Parses UTF-8 bytes. The document shares `bytes` (no copy) for the text of its cues.
    public static func parse(_ bytes: [UInt8], mode: ParseMode = .browser,
                             maxDiagnostics: Int = defaultMaxDiagnostics) -> ParseResult {
        var input = bytes
        var nulOffsets: [Int] = []
        let hasNUL: Bool = input.withUnsafeBufferPointer { b in
            guard let base = b.baseAddress, b.count > 0 else { return false }
            return memchr(base, 0, b.count) != nil
        }
        if hasNUL {
            // The spec replaces NUL by U+FFFD before anything else.
            var copy: [UInt8] = []
            copy.reserveCapacity(input.count + 64)
            for b in input {
                if b == 0 {
                    if nulOffsets.count <= maxDiagnostics { nulOffsets.append(copy.count) }
                    copy.append(0xEF); copy.append(0xBF); copy.append(0xBD)
                } else {
                    copy.append(b)
                }
            }
            input = copy
        }
        let shareable = input.count < Int(Int32.max) && input.withUnsafeBufferPointer { UTF8Check.isValid($0) }
        let storage = SourceBytes(input)
        return storage.bytes.withUnsafeBufferPointer { buf in
            var state = ParserState(buf, storage: shareable ? storage : nil, mode: mode, maxDiagnostics: maxDiagnostics)
            if let sink = state.sink {
                for off in nulOffsets {
                    sink.add(off, .warning, "nul_character", "NUL character replaced by U+FFFD")
                }
            }
            return state.run()
        }
    }

    /// Parses a string (its UTF-8 form).
    public static func parse(_ string: String, mode: ParseMode = .browser,
                             maxDiagnostics: Int = defaultMaxDiagnostics) -> ParseResult {
        parse(Array(string.utf8), mode: mode, maxDiagnostics: maxDiagnostics)
    }

    /// Parses raw bytes (copied once).
    public static func parse(_ buffer: UnsafeRawBufferPointer, mode: ParseMode = .browser,
                             maxDiagnostics: Int = defaultMaxDiagnostics) -> ParseResult {
        parse(Array(buffer), mode: mode, maxDiagnostics: maxDiagnostics)
    }

    /// Parses bytes in a buffer (copied once).
    public static func parse(_ buffer: UnsafeBufferPointer<UInt8>, mode: ParseMode = .browser,
                             maxDiagnostics: Int = defaultMaxDiagnostics) -> ParseResult {
        parse(Array(buffer), mode: mode, maxDiagnostics: maxDiagnostics)
    }

    /// Parses any collection of bytes.
    public static func parse<C: Collection>(_ bytes: C, mode: ParseMode = .browser,
                                            maxDiagnostics: Int = defaultMaxDiagnostics) -> ParseResult
    where C.Element == UInt8 {
        parse(Array(bytes), mode: mode, maxDiagnostics: maxDiagnostics)
    }
}

/// Finds `-->` in `p[s..<e]`.
@inline(__always)
func containsArrow(_ p: UnsafeBufferPointer<UInt8>, _ s: Int, _ e: Int) -> Bool {
    arrowIndex(p, s, e) >= 0
}

/// Index of the first `-->` in `p[s..<e]`, or -1.
func arrowIndex(_ p: UnsafeBufferPointer<UInt8>, _ s: Int, _ e: Int) -> Int {
    guard e - s >= 3, let base = p.baseAddress else { return -1 }
    var i = s + 2
    while i < e {
        guard let hit = memchr(base + i, 0x3E, e - i) else { return -1 }
        let k = base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
        if p[k - 1] == 0x2D && p[k - 2] == 0x2D { return k - 2 }
        i = k + 1
    }
    return -1
}

struct ParserState {
    let p: UnsafeBufferPointer<UInt8>
    let n: Int
    let mode: ParseMode
    let sink: DiagnosticSink?
    let maxDiagnostics: Int
    let hasCR: Bool
    /// When set, cue texts point into these bytes instead of being copied.
    let storage: SourceBytes?

    var pos = 0
    var lineNo = 1
    var seenCue = false
    var doc = WebVTTDocument()
    var regionList: [Region] = []
    var regionIDs: [[UInt8]] = []
    var regionIDSet = Set<String>()
    var pendingBlank: Int32 = 0
    var lastCueStart: Int64 = -1
    var lineEndingDetected = false
    var tr = TimingResult()

    init(_ p: UnsafeBufferPointer<UInt8>, storage: SourceBytes?, mode: ParseMode, maxDiagnostics: Int) {
        self.p = p
        self.storage = storage
        self.n = p.count
        self.mode = mode
        self.maxDiagnostics = maxDiagnostics
        self.sink = mode == .strict ? DiagnosticSink() : nil
        if let base = p.baseAddress, p.count > 0 {
            hasCR = memchr(base, 0x0D, p.count) != nil
        } else {
            hasCR = false
        }
    }

    // MARK: lines

    struct Line {
        var s: Int
        var e: Int
        var terminated: Bool
        var number: Int
        var isEmpty: Bool { s == e }
    }

    /// Collects the code points up to the next line terminator and consumes the terminator.
    @inline(__always)
    mutating func readLine() -> Line {
        let s = pos
        let number = lineNo
        var e = n
        var next = n
        if !hasCR {
            if s < n, let base = p.baseAddress, let hit = memchr(base + s, 0x0A, n - s) {
                e = base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
                next = e + 1
            }
        } else {
            var i = s
            while i < n {
                let b = p[i]
                if b == 0x0A { e = i; next = i + 1; break }
                if b == 0x0D {
                    e = i
                    next = (i + 1 < n && p[i + 1] == 0x0A) ? i + 2 : i + 1
                    break
                }
                i += 1
            }
        }
        let terminated = e < n
        if terminated {
            if !lineEndingDetected {
                lineEndingDetected = true
                if p[e] == 0x0A { doc.lineEnding = .lf }
                else if next == e + 2 { doc.lineEnding = .crlf }
                else { doc.lineEnding = .cr }
            }
            lineNo += 1
        }
        pos = next
        return Line(s: s, e: e, terminated: terminated, number: number)
    }

    /// Skips empty lines (the spec's "collect a sequence of code points that are LF").
    mutating func skipBlankLines() {
        while pos < n {
            let b = p[pos]
            if b == 0x0A {
                pos += 1
            } else if b == 0x0D {
                pos += (pos + 1 < n && p[pos + 1] == 0x0A) ? 2 : 1
            } else {
                break
            }
            lineNo += 1
            pendingBlank += 1
        }
    }

    func string(_ s: Int, _ e: Int) -> String {
        if s >= e { return "" }
        return String(decoding: UnsafeBufferPointer(rebasing: p[s..<e]), as: UTF8.self)
    }

    /// A string for a range of whole lines, with every line terminator turned into LF.
    func linesString(_ s: Int, _ e: Int) -> String {
        if s >= e { return "" }
        if !hasCR { return string(s, e) }
        let slice = UnsafeBufferPointer(rebasing: p[s..<e])
        guard let base = slice.baseAddress, memchr(base, 0x0D, slice.count) != nil else { return string(s, e) }
        var out: [UInt8] = []
        out.reserveCapacity(e - s)
        var i = s
        while i < e {
            let b = p[i]
            if b == 0x0D {
                out.append(0x0A)
                if i + 1 < e, p[i + 1] == 0x0A { i += 1 }
            } else {
                out.append(b)
            }
            i += 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    // MARK: main algorithm

    mutating func run() -> ParseResult {
        doc.cues.reserveCapacity(min(n / 48 + 16, 4_000_000))
        doc.source = storage
        // BOM
        if n >= 3, p[0] == 0xEF, p[1] == 0xBB, p[2] == 0xBF {
            doc.hasBOM = true
            pos = 3
        }
        // Signature.
        let rest = n - pos
        var ok = rest >= 6
        if ok {
            let w: [UInt8] = [0x57, 0x45, 0x42, 0x56, 0x54, 0x54] // WEBVTT
            for k in 0..<6 where p[pos + k] != w[k] { ok = false; break }
            if ok, rest > 6 {
                let c = p[pos + 6]
                ok = c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D
            }
        }
        if !ok {
            let diag = Diagnostic(line: 1, column: 1, severity: .error, code: "bad_signature",
                                  message: "the file does not start with the 'WEBVTT' signature; a browser rejects it")
            var d = WebVTTDocument()
            d.hasBOM = doc.hasBOM
            d.trailingLineBreaks = 0
            return ParseResult(document: d, diagnostics: [diag], rejected: true)
        }
        let sig = readLine()
        doc.header = string(sig.s + 6, sig.e)
        if !sig.terminated {
            doc.trailingLineBreaks = 0
            return finish()
        }
        pendingBlank = 0
        var lastTerminated = true
        // Header block (the spec's "collect a WebVTT block" with "in header" set).
        if pos < n, !(p[pos] == 0x0A || p[pos] == 0x0D) {
            let before = pos
            let hb = collectHeaderBlock()
            if hb.e > hb.s {
                doc.headerBlock = linesString(hb.s, hb.e)
                lastTerminated = hb.terminated
                sink?.add(before, .warning, "header_metadata",
                          "text between the signature line and the first blank line is legacy header metadata; browsers ignore it")
            } else {
                // The line after the signature holds "-->": a block without a blank line before it.
                sink?.add(before, .warning, "missing_blank_line",
                          "a blank line must separate the signature line from the first block")
            }
        }
        skipBlankLines()
        // Block loop.
        while pos < n {
            let blank = pendingBlank
            pendingBlank = 0
            lastTerminated = collectBlock(blankBefore: blank)
            skipBlankLines()
        }
        doc.trailingLineBreaks = Int(pendingBlank) + (lastTerminated ? 1 : 0)
        return finish()
    }

    /// The header block: lines until an empty line (consumed) or a line with "-->" (not consumed).
    /// Returns the content range.
    mutating func collectHeaderBlock() -> (s: Int, e: Int, terminated: Bool) {
        let start = pos
        var end = pos
        var terminated = true
        while true {
            let savePos = pos
            let saveLine = lineNo
            let line = readLine()
            if containsArrow(p, line.s, line.e) {
                pos = savePos
                lineNo = saveLine
                break
            }
            if line.isEmpty {
                if line.terminated { pendingBlank += 1 }
                break
            }
            end = line.e
            terminated = line.terminated
            if !line.terminated { break }
        }
        return (start, end, terminated)
    }

    /// The spec's "collect a WebVTT block" (not in header). Appends what it finds to the document.
    /// Returns whether the block's last line was terminated.
    mutating func collectBlock(blankBefore: Int32) -> Bool {
        var lineCount = 0
        var prevPos = pos
        var prevLineNo = lineNo
        var seenArrow = false
        var first = Line(s: pos, e: pos, terminated: true, number: lineNo)
        var haveFirst = false
        var lastContentEnd = pos
        var lastTerminated = true
        // cue
        var cueMade = false
        var timing = first
        var hasID = false
        var textStart = -1
        var textEnd = -1
        // style / region
        var isStyle = false
        var isRegion = false
        var payloadStart = -1
        var payloadEnd = -1
        var resetAt: Int = -1
        var timingFailed = false

        loop: while true {
            let line = readLine()
            lineCount += 1
            let seenEOF = !line.terminated
            if containsArrow(p, line.s, line.e) {
                if lineCount == 1 || (lineCount == 2 && !seenArrow) {
                    seenArrow = true
                    prevPos = pos
                    prevLineNo = lineNo
                    if !haveFirst { first = line; haveFirst = true }
                    lastContentEnd = line.e
                    lastTerminated = line.terminated
                    hasID = lineCount == 2
                    timing = line
                    if parseTiming(line) {
                        cueMade = true
                        seenCue = true
                        textStart = -1
                        textEnd = -1
                    } else {
                        cueMade = false
                        timingFailed = true
                    }
                } else {
                    pos = prevPos
                    lineNo = prevLineNo
                    resetAt = line.s
                    break loop
                }
            } else if line.isEmpty {
                if line.terminated { pendingBlank += 1 }
                break loop
            } else {
                if !haveFirst { first = line; haveFirst = true }
                if lineCount == 2, !seenArrow, !seenCue {
                    if startsWithKeyword(first, "STYLE") {
                        isStyle = true
                        payloadStart = line.s
                    } else if startsWithKeyword(first, "REGION") {
                        isRegion = true
                        payloadStart = line.s
                    }
                }
                if isStyle || isRegion { payloadEnd = line.e }
                if cueMade {
                    if textStart < 0 { textStart = line.s }
                    textEnd = line.e
                }
                lastContentEnd = line.e
                lastTerminated = line.terminated
                prevPos = pos
                prevLineNo = lineNo
            }
            if seenEOF { break loop }
        }

        guard haveFirst else {
            // Only possible for an empty block at EOF; nothing to record.
            return lastTerminated
        }
        if resetAt >= 0, let sink = sink {
            sink.add(resetAt, .warning, "missing_blank_line",
                     "a line containing '-->' starts a new block; a blank line should come before it")
        }
        let blockEnd = lastContentEnd

        if cueMade {
            let t = timing
            var rawTiming: String? = nil
            if !tr.canonical { rawTiming = string(t.s, t.e) }
            var ownedText: String? = nil
            var ownedSettings: String? = nil
            var ts: Int32 = 0, te: Int32 = 0
            if storage != nil {
                if textStart >= 0 {
                    if hasCR, let base = p.baseAddress, memchr(base + textStart, 0x0D, textEnd - textStart) != nil {
                        ownedText = linesString(textStart, textEnd)
                    } else {
                        ts = Int32(truncatingIfNeeded: textStart)
                        te = Int32(truncatingIfNeeded: textEnd)
                    }
                }
            } else {
                ownedText = textStart >= 0 ? linesString(textStart, textEnd) : ""
                ownedSettings = string(tr.settingsStart, tr.settingsEnd)
            }
            let ownedID: String? = storage == nil ? (hasID ? string(first.s, first.e) : "") : nil
            let overrides: Cue.Overrides? = (ownedText != nil || ownedSettings != nil || rawTiming != nil || ownedID != nil)
                ? Cue.Overrides(id: ownedID, text: ownedText, settingsText: ownedSettings, rawTimingLine: rawTiming) : nil
            if let sink = sink {
                if tr.start < lastCueStart {
                    sink.add(t.s, .warning, "cue_out_of_order",
                             "cue starts before the previous cue; cues must be in start-time order")
                }
                if textStart >= 0 {
                    CueTextValidator.validate(p, textStart, textEnd, sink: sink)
                }
            }
            lastCueStart = tr.start
            doc.cues.append(Cue(startMs: tr.start, endMs: tr.end, settings: tr.settings, source: storage,
                                overrides: overrides,
                                idStart: hasID ? Int32(truncatingIfNeeded: first.s) : 0,
                                idEnd: hasID ? Int32(truncatingIfNeeded: first.e) : 0,
                                textStart: ts, textEnd: te,
                                settingsStart: Int32(truncatingIfNeeded: tr.settingsStart),
                                settingsEnd: Int32(truncatingIfNeeded: tr.settingsEnd),
                                line: Int32(truncatingIfNeeded: t.number), blankLinesBefore: blankBefore,
                                startHourDigits: UInt8(clamping: tr.startHourDigits),
                                endHourDigits: UInt8(clamping: tr.endHourDigits),
                                settingsInvalid: tr.settingsInvalid))
            return lastTerminated
        }

        // Not a cue.
        let raw = linesString(first.s, blockEnd)
        var block: Block
        if isStyle, payloadStart >= 0 {
            block = Block(kind: .style(linesString(payloadStart, payloadEnd)), raw: raw,
                          cueIndex: doc.cues.count, line: first.number)
            if let sink = sink, payloadStart < payloadEnd, containsArrow(p, payloadStart, payloadEnd) {
                sink.add(payloadStart, .error, "invalid_style_block", "a style block must not contain '-->'")
            }
        } else if isRegion, payloadStart >= 0 {
            let region = SettingsParser.parseRegionSettings(p, start: payloadStart, end: payloadEnd, sink: sink)
            if let sink = sink, !region.id.isEmpty, !regionIDSet.insert(region.id).inserted {
                sink.add(first.s, .warning, "duplicate_region_id",
                         "region id '\(region.id)' is defined more than once; cues use the last one")
            }
            regionList.append(region)
            regionIDs.append(Array(region.id.utf8))
            block = Block(kind: .region(region), raw: raw, cueIndex: doc.cues.count, line: first.number)
        } else if isNote(first) {
            block = Block(kind: .note(noteText(first, blockEnd)), raw: raw, cueIndex: doc.cues.count, line: first.number)
        } else {
            block = Block(kind: .ignored, raw: raw, cueIndex: doc.cues.count, line: first.number)
            if let sink = sink, !timingFailed {
                if seenCue && (startsWithKeyword(first, "STYLE") || startsWithKeyword(first, "REGION")) {
                    let what = startsWithKeyword(first, "STYLE") ? "style" : "region"
                    sink.add(first.s, .error, "\(what)_after_cue",
                             "\(what == "style" ? "STYLE" : "REGION") blocks are only allowed before the first cue; this one is ignored")
                } else if startsWithKeyword(first, "STYLE") || startsWithKeyword(first, "REGION") {
                    sink.add(first.s, .error, "empty_block",
                             "a \(startsWithKeyword(first, "STYLE") ? "STYLE" : "REGION") block needs content on the following lines; ignored")
                } else {
                    sink.add(first.s, .error, "orphan_text",
                             "text that is not a cue, NOTE, STYLE or REGION block is ignored (missing timing line?)")
                }
            }
        }
        block.blankLinesBefore = blankBefore
        doc.blocks.append(block)
        return lastTerminated
    }

    func startsWithKeyword(_ line: Line, _ kw: StaticString) -> Bool {
        let k = kw.utf8CodeUnitCount
        guard line.e - line.s >= k else { return false }
        let kp = kw.utf8Start
        for i in 0..<k where p[line.s + i] != kp[i] { return false }
        var i = line.s + k
        while i < line.e {
            if !isASCIIWhitespace(p[i]) { return false }
            i += 1
        }
        return true
    }

    func isNote(_ line: Line) -> Bool {
        guard line.e - line.s >= 4 else { return false }
        guard p[line.s] == 0x4E, p[line.s + 1] == 0x4F, p[line.s + 2] == 0x54, p[line.s + 3] == 0x45 else { return false }
        if line.e - line.s == 4 { return true }
        let c = p[line.s + 4]
        return c == 0x20 || c == 0x09
    }

    func noteText(_ first: Line, _ end: Int) -> String {
        var s = first.s + 4
        if s < first.e { s += 1 } // the space or tab after NOTE
        else if first.e < end {
            // "NOTE" alone on its line: text starts on the next line
            s = first.e
            if s < end, p[s] == 0x0D { s += 1 }
            if s < end, p[s] == 0x0A { s += 1 }
        }
        return linesString(s, end)
    }

    // MARK: timing line

    struct TimingResult {
        var start: Int64 = 0
        var end: Int64 = 0
        var startHourDigits: Int = 0
        var endHourDigits: Int = 0
        var settingsStart: Int = 0
        var settingsEnd: Int = 0
        var settings = CueSettings()
        var settingsInvalid = false
        var canonical: Bool = true
    }

    /// The spec's "collect WebVTT cue timings and settings" into `tr`. Returns false on failure.
    mutating func parseTiming(_ line: Line) -> Bool {
        let e = line.e
        var i = line.s
        var canonical = true
        while i < e, isASCIIWhitespace(p[i]) { i += 1 }
        if i != line.s {
            canonical = false
            sink?.add(line.s, .warning, "timing_whitespace", "the timing line should start with the start timestamp")
        }
        let startAt = i
        let startScan: Timestamp.Scan
        switch Timestamp.collect(p, &i) {
        case .success(let s): startScan = s
        case .failure(let f):
            sink?.add(i, .error, "invalid_timestamp", "invalid start timestamp: \(f.message); the cue is ignored")
            return false
        }
        let ws1 = i
        while i < e, isASCIIWhitespace(p[i]) { i += 1 }
        if i - ws1 != 1 || p[ws1] != 0x20 { canonical = false }
        if i == ws1 { sink?.add(i, .warning, "timing_whitespace", "whitespace is required before '-->'") }
        guard i + 2 < e, p[i] == 0x2D, p[i + 1] == 0x2D, p[i + 2] == 0x3E else {
            sink?.add(i, .error, "invalid_timing_line", "expected '-->' after the start timestamp; the cue is ignored")
            return false
        }
        i += 3
        let ws2 = i
        while i < e, isASCIIWhitespace(p[i]) { i += 1 }
        if i - ws2 != 1 || p[ws2] != 0x20 { canonical = false }
        if i == ws2 { sink?.add(i, .warning, "timing_whitespace", "whitespace is required after '-->'") }
        let endScan: Timestamp.Scan
        switch Timestamp.collect(p, &i) {
        case .success(let s): endScan = s
        case .failure(let f):
            sink?.add(i, .error, "invalid_timestamp", "invalid end timestamp: \(f.message); the cue is ignored")
            return false
        }
        // settings: remainder
        let remStart = i
        var ss = i
        while ss < e, isASCIIWhitespace(p[ss]) { ss += 1 }
        var se = e
        while se > ss, isASCIIWhitespace(p[se - 1]) { se -= 1 }
        if ss < se {
            if ss - remStart != 1 || p[remStart] != 0x20 { canonical = false }
            if ss == remStart {
                sink?.add(ss, .warning, "timing_whitespace", "whitespace is required between the end timestamp and the settings")
            }
        }
        if se != e { canonical = false }
        if ss == se, remStart != e { canonical = false }
        if let sink = sink {
            if startScan.hourDigits == 1 {
                sink.add(startAt, .warning, "timestamp_hours_digits", "the hours of a timestamp must have at least two digits")
            }
            if endScan.hourDigits == 1 {
                sink.add(i - 1, .warning, "timestamp_hours_digits", "the hours of a timestamp must have at least two digits")
            }
            if endScan.ms <= startScan.ms {
                sink.add(startAt, .error, "end_not_after_start",
                         "the cue ends at or before its start (\(Timestamp.format(endScan.ms)) <= \(Timestamp.format(startScan.ms)))")
            }
        }
        if ss < se {
            let parsed = SettingsParser.parseCueSettingsChecked(p, start: ss, end: se, regions: regionList,
                                                                regionIDs: regionIDs, sink: sink)
            tr.settings = parsed.settings
            tr.settingsInvalid = parsed.invalid
        } else {
            tr.settings = CueSettings()
            tr.settingsInvalid = false
        }
        tr.start = startScan.ms
        tr.end = endScan.ms
        tr.startHourDigits = startScan.hourDigits
        tr.endHourDigits = endScan.hourDigits
        tr.settingsStart = ss
        tr.settingsEnd = se
        tr.canonical = canonical
        return true
    }

    // MARK: diagnostics

    mutating func finish() -> ParseResult {
        var diags: [Diagnostic] = []
        if let sink = sink {
            UTF8Check.scan(p, sink: sink, limit: maxDiagnostics)
            diags = locate(sink.items)
            let dups = Lint.duplicateIds(doc)
            if !dups.isEmpty {
                for (i, f) in dups.sorted(by: { $0.key < $1.key }) {
                    let c = doc.cues[i]
                    diags.append(Diagnostic(line: max(c.line - 1, 0), column: c.line > 1 ? 1 : 0, severity: .error, code: "duplicate_cue_id",
                                            message: "cue id '\(c.id)' is already used by cue \(f + 1) (line \(max(doc.cues[f].line - 1, 0))); cue ids must be unique"))
                }
                diags = diags.enumerated().sorted { $0.element.line != $1.element.line ? $0.element.line < $1.element.line : $0.offset < $1.offset }.map(\.element)
            }
        }
        return ParseResult(document: doc, diagnostics: diags, rejected: false)
    }

    /// Turns byte offsets into 1-based line and column (columns in Unicode scalars), in one pass.
    func locate(_ itemsIn: [DiagnosticSink.Item]) -> [Diagnostic] {
        var items = itemsIn
        // stable sort by offset
        let indexed = items.enumerated().sorted { a, b in
            a.element.offset != b.element.offset ? a.element.offset < b.element.offset : a.offset < b.offset
        }
        items = indexed.map { $0.element }
        let truncated = items.count > maxDiagnostics
        if truncated { items = Array(items.prefix(maxDiagnostics)) }
        var out: [Diagnostic] = []
        out.reserveCapacity(items.count + 1)
        var line = 1
        var col = 1
        var i = doc.hasBOM ? 3 : 0
        for item in items {
            let target = min(max(item.offset, 0), n)
            while i < target {
                let b = p[i]
                if b == 0x0A {
                    line += 1; col = 1
                } else if b == 0x0D {
                    line += 1; col = 1
                    if i + 1 < n, p[i + 1] == 0x0A { i += 1 }
                } else if b & 0xC0 != 0x80 {
                    col += 1
                }
                i += 1
            }
            out.append(Diagnostic(line: line, column: col, severity: item.severity, code: item.code, message: item.message))
        }
        if truncated {
            out.append(Diagnostic(line: 0, column: 0, severity: .warning, code: "too_many_diagnostics",
                                  message: "more than \(maxDiagnostics) diagnostics; the rest are not reported"))
        }
        return out
    }
}

/// UTF-8 validation: a fast yes/no, and the strict-mode report of invalid sequences.
enum UTF8Check {
    /// True when `p` is valid UTF-8 (ASCII runs are skipped eight bytes at a time).
    static func isValid(_ p: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let base = p.baseAddress else { return true }
        let raw = UnsafeRawPointer(base)
        let n = p.count
        var i = 0
        while i < n {
            if i + 8 <= n {
                let w = raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
                if w & 0x8080_8080_8080_8080 == 0 { i += 8; continue }
            }
            let b = p[i]
            if b < 0x80 { i += 1; continue }
            var need = 0
            var cp: UInt32 = 0
            var minCP: UInt32 = 0
            if b & 0xE0 == 0xC0 { need = 1; cp = UInt32(b & 0x1F); minCP = 0x80 }
            else if b & 0xF0 == 0xE0 { need = 2; cp = UInt32(b & 0x0F); minCP = 0x800 }
            else if b & 0xF8 == 0xF0 { need = 3; cp = UInt32(b & 0x07); minCP = 0x10000 }
            else { return false }
            if i + need >= n + 0 && i + need > n - 1 { return false }
            for k in 1...need {
                let c = p[i + k]
                if c & 0xC0 != 0x80 { return false }
                cp = (cp << 6) | UInt32(c & 0x3F)
            }
            if cp < minCP || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF) { return false }
            i += need + 1
        }
        return true
    }

    static func scan(_ p: UnsafeBufferPointer<UInt8>, sink: DiagnosticSink, limit: Int) {
        var i = 0
        let n = p.count
        var found = 0
        while i < n {
            let b = p[i]
            if b < 0x80 { i += 1; continue }
            var need = 0
            var minCP: UInt32 = 0
            var cp: UInt32 = 0
            if b & 0xE0 == 0xC0 { need = 1; cp = UInt32(b & 0x1F); minCP = 0x80 }
            else if b & 0xF0 == 0xE0 { need = 2; cp = UInt32(b & 0x0F); minCP = 0x800 }
            else if b & 0xF8 == 0xF0 { need = 3; cp = UInt32(b & 0x07); minCP = 0x10000 }
            else { need = -1 }
            var ok = need > 0
            if ok {
                for k in 1...need {
                    if i + k >= n || p[i + k] & 0xC0 != 0x80 { ok = false; break }
                    cp = (cp << 6) | UInt32(p[i + k] & 0x3F)
                }
            }
            if ok && (cp < minCP || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) { ok = false }
            if ok {
                i += need + 1
            } else {
                found += 1
                if found <= limit {
                    sink.add(i, .warning, "invalid_utf8", "invalid UTF-8 byte sequence replaced by U+FFFD")
                }
                i += 1
            }
        }
    }
}
