// The WebVTT document model.
//
// A `WebVTTDocument` is a lossless picture of a file: the header, the cues (as a browser exposes
// them), and every other block (regions, style sheets, notes, and blocks a browser ignores) in file
// order, plus the few facts of layout (BOM, line endings, blank lines, timestamp spelling) that a
// byte-for-byte round trip needs. Everything here is a value type and `Sendable`.

/// How the parser treats deviations from the WebVTT syntax.
public enum ParseMode: String, Sendable, CaseIterable {
    /// The W3C "WebVTT parser algorithm": invalid parts are dropped as a browser drops them; the
    /// only diagnostic is the rejection of a file without the `WEBVTT` signature.
    case browser
    /// Same cues as `browser`, plus a diagnostic (line, column) for every deviation from the
    /// WebVTT file syntax that was found.
    case strict
}

/// Line terminator style of a file.
public enum LineEnding: String, Sendable, CaseIterable {
    case lf, crlf, cr

    /// The terminator's bytes.
    public var bytes: [UInt8] {
        switch self {
        case .lf: return [0x0A]
        case .crlf: return [0x0D, 0x0A]
        case .cr: return [0x0D]
        }
    }

    public var string: String {
        switch self {
        case .lf: return "\n"
        case .crlf: return "\r\n"
        case .cr: return "\r"
        }
    }
}

/// A half-open time range `[startMs, endMs)` in milliseconds: cues selected by a timing
/// command, a cue's speech on a dub timeline. (The one TimeRange: OlleeyKit's mixer uses it too,
/// so it counts in `Int`, 64 bits wide on every platform olleey builds for.)
public struct TimeRange: Hashable, Sendable {
    public var startMs: Int
    public var endMs: Int

    public init(startMs: Int, endMs: Int) {
        self.startMs = startMs
        self.endMs = endMs
    }

    public init(startMs: Int64, endMs: Int64) {
        self.init(startMs: Int(startMs), endMs: Int(endMs))
    }

    /// `endMs - startMs`, or 0 when the range is empty or inverted.
    public var durationMs: Int { max(0, endMs - startMs) }

    /// True when `ms` lies in `[startMs, endMs)`.
    public func contains(_ ms: Int64) -> Bool { ms >= Int64(startMs) && ms < Int64(endMs) }
}

// MARK: - Cue settings

/// The parsed cue settings of a cue, with the spec's defaults.
public struct CueSettings: Hashable, Sendable {
    /// WebVTT cue writing direction.
    public enum Vertical: String, Sendable, CaseIterable {
        case horizontal = ""
        case rl
        case lr
    }

    /// WebVTT cue line alignment.
    public enum LineAlign: String, Sendable, CaseIterable {
        case start, center, end
    }

    /// WebVTT cue position alignment.
    public enum PositionAlign: String, Sendable, CaseIterable {
        case lineLeft = "line-left"
        case center
        case lineRight = "line-right"
        case auto
    }

    /// WebVTT cue text alignment.
    public enum TextAlign: String, Sendable, CaseIterable {
        case start, center, end, left, right
    }

    // Stored compactly (NaN = auto) so that a cue stays small.
    var lineValue: Double = .nan
    var positionValue: Double = .nan
    /// The cue size in percent (default 100).
    public var size: Double = 100
    /// Identifier of the region the cue is in; `""` when none (or when the spec drops the region).
    public var regionId: String = ""
    public var vertical: Vertical = .horizontal
    public var snapToLines: Bool = true
    public var lineAlign: LineAlign = .start
    public var positionAlign: PositionAlign = .auto
    public var align: TextAlign = .center

    /// The cue line: `nil` is "auto"; a percentage when `snapToLines` is false, else a line number.
    public var line: Double? {
        get { lineValue.isNaN ? nil : lineValue }
        set { lineValue = newValue ?? .nan }
    }

    /// The cue position in percent; `nil` is "auto".
    public var position: Double? {
        get { positionValue.isNaN ? nil : positionValue }
        set { positionValue = newValue ?? .nan }
    }

    public init() {}

    public static func == (a: CueSettings, b: CueSettings) -> Bool {
        a.line == b.line && a.position == b.position && a.size == b.size && a.regionId == b.regionId
            && a.vertical == b.vertical && a.snapToLines == b.snapToLines && a.lineAlign == b.lineAlign
            && a.positionAlign == b.positionAlign && a.align == b.align
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(line)
        hasher.combine(position)
        hasher.combine(size)
        hasher.combine(regionId)
        hasher.combine(vertical)
        hasher.combine(snapToLines)
        hasher.combine(lineAlign)
        hasher.combine(positionAlign)
        hasher.combine(align)
    }

    /// True when every value is the spec's default.
    public var isDefault: Bool { self == CueSettings() }

    /// The settings written in the canonical WebVTT syntax, defaults omitted
    /// (e.g. `"line:10% position:20%,line-left align:start"`).
    public var canonicalText: String {
        var parts: [String] = []
        if !regionId.isEmpty { parts.append("region:" + regionId) }
        if vertical != .horizontal { parts.append("vertical:" + vertical.rawValue) }
        if let line = line {
            var s = "line:" + formatNumber(line) + (snapToLines ? "" : "%")
            if lineAlign != .start { s += "," + lineAlign.rawValue }
            parts.append(s)
        }
        if let position = position {
            var s = "position:" + formatNumber(position) + "%"
            if positionAlign != .auto { s += "," + positionAlign.rawValue }
            parts.append(s)
        }
        if size != 100 { parts.append("size:" + formatNumber(size) + "%") }
        if align != .center { parts.append("align:" + align.rawValue) }
        return parts.joined(separator: " ")
    }

    /// The computed position (spec: "computed position" when position is auto).
    public var computedPosition: Double {
        if let p = position { return p }
        switch align {
        case .left: return 0
        case .right: return 100
        case .start, .end, .center: return 50 // direction-dependent; 50 for an unknown base direction
        }
    }

    /// The computed position alignment (spec: "computed position alignment").
    public var computedPositionAlign: PositionAlign {
        if positionAlign != .auto { return positionAlign }
        switch align {
        case .left: return .lineLeft
        case .right: return .lineRight
        case .start: return .lineLeft
        case .end: return .lineRight
        case .center: return .center
        }
    }
}

/// Formats a number the way the JSON contract and the canonical settings want it: integral values
/// without a fraction (`10`), others with the shortest round-tripping decimal (`10.5`).
public func formatNumber(_ value: Double) -> String {
    if value == 0 { return "0" } // also folds -0
    if value.isFinite, value == value.rounded(), abs(value) < 1e15 {
        return String(Int64(value))
    }
    return value.description
}

// MARK: - Cue

/// Immutable bytes of a parsed file, shared by the cues whose text points into it (so that parsing
/// makes no string per cue). Only valid UTF-8 is ever shared this way.
final class SourceBytes: Sendable {
    let bytes: [UInt8]
    init(_ bytes: [UInt8]) { self.bytes = bytes }
}

/// One WebVTT cue.
///
/// `startMs`, `endMs`, `id` and `text` are free to edit. Settings are edited through
/// `setSettings(_:)` / `setSettingsText(_:regions:)` so that the raw text and the parsed values stay
/// in step. A timestamp whose value is left untouched is written back exactly as it was read; one
/// that was changed is written canonically (`hh:mm:ss.ttt`).
public struct Cue: Hashable, Sendable {
    /// Start time in milliseconds.
    public var startMs: Int64 { didSet { startEdited = true } }
    /// End time in milliseconds.
    public var endMs: Int64 { didSet { endEdited = true } }
    /// The settings as the spec's parser computes them from `settingsText`.
    public private(set) var settings: CueSettings

    // Text and settings text: ranges of the shared source bytes unless overridden.
    var source: SourceBytes?
    var overrides: Overrides?
    var idStart: Int32 = 0
    var idEnd: Int32 = 0
    var textStart: Int32 = 0
    var textEnd: Int32 = 0
    var settingsStart: Int32 = 0
    var settingsEnd: Int32 = 0
    var sourceLine: Int32 = 0
    /// Number of blank lines written before this cue's block.
    var blankLinesBefore: Int32 = 1

    // Round-trip memory: how the timestamps were spelled, and whether they were changed since.
    var startEdited = false
    var endEdited = false
    /// Some setting in `settingsText` is invalid or ignored by the spec's rules.
    var settingsInvalid = false
    /// Minimum width of the hours field as written: 0 = no hours field.
    var startHourDigits: UInt8
    var endHourDigits: UInt8

    /// Rarely needed values, boxed so that a parsed cue stays small.
    final class Overrides: Sendable {
        let id: String?
        let text: String?
        let settingsText: String?
        /// The timing line as written, only when it differs from the canonical spelling.
        let rawTimingLine: String?
        init(id: String?, text: String?, settingsText: String?, rawTimingLine: String?) {
            self.id = id
            self.text = text
            self.settingsText = settingsText
            self.rawTimingLine = rawTimingLine
        }
    }

    var ownedID: String? {
        get { overrides?.id }
        set {
            overrides = Overrides(id: newValue, text: overrides?.text, settingsText: overrides?.settingsText,
                                  rawTimingLine: overrides?.rawTimingLine)
        }
    }

    var ownedText: String? {
        get { overrides?.text }
        set {
            overrides = Overrides(id: overrides?.id, text: newValue, settingsText: overrides?.settingsText,
                                  rawTimingLine: overrides?.rawTimingLine)
        }
    }

    var ownedSettingsText: String? {
        get { overrides?.settingsText }
        set {
            overrides = Overrides(id: overrides?.id, text: overrides?.text, settingsText: newValue,
                                  rawTimingLine: overrides?.rawTimingLine)
        }
    }

    var rawTimingLine: String? {
        get { overrides?.rawTimingLine }
        set {
            if newValue == nil && overrides == nil { return }
            overrides = Overrides(id: overrides?.id, text: overrides?.text, settingsText: overrides?.settingsText,
                                  rawTimingLine: newValue)
        }
    }

    /// The cue identifier (`""` when none).
    public var id: String {
        get {
            if let t = overrides?.id { return t }
            guard let src = source, idEnd > idStart else { return "" }
            return src.bytes.withUnsafeBufferPointer {
                String(decoding: UnsafeBufferPointer(rebasing: $0[Int(idStart)..<Int(idEnd)]), as: UTF8.self)
            }
        }
        set { ownedID = newValue }
    }

    /// The source object's address, for identity checks without retaining it.
    var sourceAddress: UnsafeMutableRawPointer? {
        guard let s = source else { return nil }
        return Unmanaged.passUnretained(s).toOpaque()
    }

    /// Whether the identifier is empty (without making a string).
    var idIsEmpty: Bool {
        if let t = overrides?.id { return t.isEmpty }
        return source == nil || idEnd <= idStart
    }

    /// Calls `body` with the UTF-8 of the identifier.
    func withIDBytes<R>(_ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        if var t = overrides?.id { return t.withUTF8 { body($0) } }
        guard let src = source, idEnd > idStart else { return body(UnsafeBufferPointer(start: nil, count: 0)) }
        return src.bytes.withUnsafeBufferPointer {
            body(UnsafeBufferPointer(rebasing: $0[Int(idStart)..<Int(idEnd)]))
        }
    }

    /// 1-based line number of the timing line in the source file (0 for a cue made in code).
    public var line: Int {
        get { Int(sourceLine) }
        set { sourceLine = Int32(clamping: newValue) }
    }

    /// The raw cue text (lines joined by `\n`, tags and character references as written).
    public var text: String {
        get {
            if let t = overrides?.text { return t }
            guard let src = source, textEnd > textStart else { return "" }
            return src.bytes.withUnsafeBufferPointer {
                String(decoding: UnsafeBufferPointer(rebasing: $0[Int(textStart)..<Int(textEnd)]), as: UTF8.self)
            }
        }
        set { ownedText = newValue }
    }

    /// The raw settings text after the end timestamp, trimmed (e.g. `"align:start line:90%"`).
    public var settingsText: String {
        if let t = overrides?.settingsText { return t }
        guard let src = source, settingsEnd > settingsStart else { return "" }
        return src.bytes.withUnsafeBufferPointer {
            String(decoding: UnsafeBufferPointer(rebasing: $0[Int(settingsStart)..<Int(settingsEnd)]), as: UTF8.self)
        }
    }

    /// Calls `body` with the UTF-8 of the text, without making a string when the text is still the
    /// parsed one. `clean` tells that the bytes are parser output (LF only, no empty line, no `-->`).
    func withTextBytes<R>(_ body: (_ bytes: UnsafeBufferPointer<UInt8>, _ clean: Bool) -> R) -> R {
        if var t = overrides?.text { return t.withUTF8 { body($0, false) } }
        guard let src = source, textEnd > textStart else {
            return body(UnsafeBufferPointer(start: nil, count: 0), true)
        }
        return src.bytes.withUnsafeBufferPointer {
            body(UnsafeBufferPointer(rebasing: $0[Int(textStart)..<Int(textEnd)]), true)
        }
    }

    /// Calls `body` with the UTF-8 of the settings text.
    func withSettingsBytes<R>(_ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        if var t = overrides?.settingsText { return t.withUTF8 { body($0) } }
        guard let src = source, settingsEnd > settingsStart else {
            return body(UnsafeBufferPointer(start: nil, count: 0))
        }
        return src.bytes.withUnsafeBufferPointer {
            body(UnsafeBufferPointer(rebasing: $0[Int(settingsStart)..<Int(settingsEnd)]))
        }
    }

    var textByteCount: Int { overrides?.text.map { $0.utf8.count } ?? Int(textEnd - textStart) }
    var settingsByteCount: Int { overrides?.settingsText.map { $0.utf8.count } ?? Int(settingsEnd - settingsStart) }

    /// Makes a cue. `settings` is parsed with the spec's rules (regions cannot be resolved here;
    /// use `setSettingsText(_:regions:)` for a `region:` setting).
    public init(id: String = "", startMs: Int64, endMs: Int64, text: String, settings: String = "") {
        self.startMs = startMs
        self.endMs = endMs
        self.settings = CueSettings()
        self.overrides = Overrides(id: id, text: text, settingsText: "", rawTimingLine: nil)
        self.startEdited = true
        self.endEdited = true
        self.startHourDigits = 2
        self.endHourDigits = 2
        if !settings.isEmpty { setSettingsText(settings, regions: []) }
    }

    /// Parser's initializer.
    init(startMs: Int64, endMs: Int64, settings: CueSettings, source: SourceBytes?,
         overrides: Overrides?, idStart: Int32, idEnd: Int32, textStart: Int32, textEnd: Int32,
         settingsStart: Int32, settingsEnd: Int32,
         line: Int32, blankLinesBefore: Int32, startHourDigits: UInt8, endHourDigits: UInt8,
         settingsInvalid: Bool) {
        self.settingsInvalid = settingsInvalid
        self.idStart = idStart
        self.idEnd = idEnd
        self.startMs = startMs
        self.endMs = endMs
        self.settings = settings
        self.source = source
        self.overrides = overrides
        self.textStart = textStart
        self.textEnd = textEnd
        self.settingsStart = settingsStart
        self.settingsEnd = settingsEnd
        self.sourceLine = line
        self.blankLinesBefore = blankLinesBefore
        self.startHourDigits = startHourDigits
        self.endHourDigits = endHourDigits
    }

    /// Replaces the settings with `settings`, written canonically.
    public mutating func setSettings(_ settings: CueSettings) {
        self.settings = settings
        self.ownedSettingsText = settings.canonicalText
        self.settingsInvalid = false
        self.rawTimingLine = nil
    }

    /// Replaces the raw settings text and parses it with the spec's rules against `regions`.
    public mutating func setSettingsText(_ text: String, regions: [Region]) {
        let trimmed = trimASCIIWhitespace(Array(text.utf8))
        let t = String(decoding: trimmed, as: UTF8.self)
        self.ownedSettingsText = t
        let bytes = Array(t.utf8)
        let parsed = bytes.withUnsafeBufferPointer { buf in
            SettingsParser.parseCueSettingsChecked(buf, regions: regions, sink: nil)
        }
        self.settings = parsed.settings
        self.settingsInvalid = parsed.invalid
        self.rawTimingLine = nil
    }

    /// Duration in milliseconds (negative when the end precedes the start).
    public var durationMs: Int64 { endMs - startMs }

    /// Equality of content: id, times, text and settings (not the source layout).
    public static func == (a: Cue, b: Cue) -> Bool {
        a.id == b.id && a.startMs == b.startMs && a.endMs == b.endMs && a.text == b.text
            && a.settingsText == b.settingsText && a.settings == b.settings
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(id)
        hasher.combine(startMs)
        hasher.combine(endMs)
        hasher.combine(text)
        hasher.combine(settingsText)
    }
}

// MARK: - Regions and other blocks

/// A WebVTT region (from a `REGION` block), with the spec's defaults.
public struct Region: Hashable, Sendable {
    public enum Scroll: String, Sendable { case none = "", up }

    public var id: String = ""
    public var width: Double = 100
    public var lines: Int = 3
    public var regionAnchorX: Double = 0
    public var regionAnchorY: Double = 100
    public var viewportAnchorX: Double = 0
    public var viewportAnchorY: Double = 100
    public var scroll: Scroll = .none

    public init() {}

    public init(id: String, width: Double = 100, lines: Int = 3, regionAnchorX: Double = 0,
                regionAnchorY: Double = 100, viewportAnchorX: Double = 0, viewportAnchorY: Double = 100,
                scroll: Scroll = .none) {
        self.id = id
        self.width = width
        self.lines = lines
        self.regionAnchorX = regionAnchorX
        self.regionAnchorY = regionAnchorY
        self.viewportAnchorX = viewportAnchorX
        self.viewportAnchorY = viewportAnchorY
        self.scroll = scroll
    }

    /// The region settings in canonical syntax (one line).
    public var canonicalText: String {
        var parts = ["id:" + id]
        parts.append("width:" + formatNumber(width) + "%")
        parts.append("lines:" + String(lines))
        parts.append("regionanchor:" + formatNumber(regionAnchorX) + "%," + formatNumber(regionAnchorY) + "%")
        parts.append("viewportanchor:" + formatNumber(viewportAnchorX) + "%," + formatNumber(viewportAnchorY) + "%")
        if scroll == .up { parts.append("scroll:up") }
        return parts.joined(separator: " ")
    }
}

/// A block of the file that is not a cue.
public struct Block: Hashable, Sendable {
    public enum Kind: Hashable, Sendable {
        /// A `REGION` definition block.
        case region(Region)
        /// A `STYLE` block; the payload is the CSS text.
        case style(String)
        /// A `NOTE` comment; the payload is the text after `NOTE` (first line's rest and later lines).
        case note(String)
        /// A block a browser ignores (text without a timing line, a cue whose timing line failed,
        /// a `STYLE`/`REGION` after the first cue, ...). Kept only so that `fmt` loses nothing.
        case ignored
    }

    public var kind: Kind
    /// The block exactly as written (lines joined by `\n`).
    public var raw: String
    /// How many cues precede the block in the file: the block is written before `cues[cueIndex]`.
    public var cueIndex: Int
    /// 1-based line of the block's first line in the source (0 when made in code).
    public var line: Int
    var blankLinesBefore: Int32 = 1

    public init(kind: Kind, raw: String, cueIndex: Int, line: Int = 0) {
        self.kind = kind
        self.raw = raw
        self.cueIndex = cueIndex
        self.line = line
    }

    /// A canonical `REGION` block for `region`.
    public static func region(_ region: Region, cueIndex: Int = 0) -> Block {
        Block(kind: .region(region), raw: "REGION\n" + region.canonicalText, cueIndex: cueIndex)
    }

    /// A `STYLE` block holding `css`.
    public static func style(_ css: String, cueIndex: Int = 0) -> Block {
        Block(kind: .style(css), raw: "STYLE\n" + css, cueIndex: cueIndex)
    }

    /// A `NOTE` block holding `text` (which must not contain `-->` or blank lines).
    public static func note(_ text: String, cueIndex: Int) -> Block {
        let raw = text.isEmpty ? "NOTE" : (text.contains("\n") ? "NOTE\n" + text : "NOTE " + text)
        return Block(kind: .note(text), raw: raw, cueIndex: cueIndex)
    }
}

// MARK: - Document

/// A parsed WebVTT file.
public struct WebVTTDocument: Hashable, Sendable {
    /// Whether the file started with a UTF-8 byte order mark.
    public var hasBOM: Bool = false
    /// The rest of the signature line after `WEBVTT` (e.g. `" - Title"`), as written.
    public var header: String = ""
    /// The header block: the lines directly after the signature line up to the first blank line
    /// (e.g. `"Kind: captions\nLanguage: en"`), or `nil` when there is none.
    public var headerBlock: String? = nil
    /// The line terminator used when writing (detected from the first one in the file).
    public var lineEnding: LineEnding = .lf
    /// The cues, in file order, exactly those a browser exposes.
    public var cues: [Cue] = []
    /// Every block that is not a cue, in file order, each anchored before a cue index.
    public var blocks: [Block] = []
    /// Number of line terminators after the last line of the last block (1 = file ends with a newline).
    public var trailingLineBreaks: Int = 1
    /// The parsed bytes the cues point into (writers use them directly).
    var source: SourceBytes?

    public static func == (a: WebVTTDocument, b: WebVTTDocument) -> Bool {
        a.hasBOM == b.hasBOM && a.header == b.header && a.headerBlock == b.headerBlock
            && a.lineEnding == b.lineEnding && a.cues == b.cues && a.blocks == b.blocks
            && a.trailingLineBreaks == b.trailingLineBreaks
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(header)
        hasher.combine(headerBlock)
        hasher.combine(cues)
        hasher.combine(blocks)
    }

    public init() {}

    public init(cues: [Cue], header: String = "") {
        self.cues = cues
        self.header = header
    }

    /// The regions, in file order (only the `REGION` blocks a browser accepts).
    public var regions: [Region] {
        blocks.compactMap { if case .region(let r) = $0.kind { return r } else { return nil } }
    }

    /// The CSS text of the `STYLE` blocks a browser accepts, in file order.
    public var styles: [String] {
        blocks.compactMap { if case .style(let s) = $0.kind { return s } else { return nil } }
    }

    /// The `NOTE` blocks' texts, in file order.
    public var notes: [String] {
        blocks.compactMap { if case .note(let s) = $0.kind { return s } else { return nil } }
    }

    /// The last region with identifier `id` (the spec's lookup rule), if any.
    public func region(id: String) -> Region? {
        regions.last(where: { $0.id == id })
    }
}

// MARK: - Diagnostics

/// A finding of the parser (strict mode) or of an importer.
public struct Diagnostic: Hashable, Sendable, CustomStringConvertible {
    public enum Severity: String, Sendable { case error, warning }

    /// 1-based line (0 when not tied to a line).
    public var line: Int
    /// 1-based column, counted in Unicode scalars (0 when not tied to a column).
    public var column: Int
    public var severity: Severity
    /// A stable snake_case identifier, e.g. `invalid_timestamp`.
    public var code: String
    public var message: String

    public init(line: Int, column: Int, severity: Severity, code: String, message: String) {
        self.line = line
        self.column = column
        self.severity = severity
        self.code = code
        self.message = message
    }

    public var description: String {
        "\(line):\(column): \(severity.rawValue): \(message) [\(code)]"
    }
}

/// The result of parsing a WebVTT file.
public struct ParseResult: Sendable {
    public var document: WebVTTDocument
    public var diagnostics: [Diagnostic]
    /// True when the spec's parser rejects the file (no `WEBVTT` signature): no cues at all.
    public var rejected: Bool

    public init(document: WebVTTDocument, diagnostics: [Diagnostic], rejected: Bool) {
        self.document = document
        self.diagnostics = diagnostics
        self.rejected = rejected
    }

    public var errorCount: Int { diagnostics.reduce(0) { $0 + ($1.severity == .error ? 1 : 0) } }
    public var warningCount: Int { diagnostics.reduce(0) { $0 + ($1.severity == .warning ? 1 : 0) } }
}

// MARK: - Small byte helpers

@inline(__always) func isASCIIWhitespace(_ b: UInt8) -> Bool {
    b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0C || b == 0x0D
}

@inline(__always) func isDigit(_ b: UInt8) -> Bool { b &- 0x30 < 10 }

func trimASCIIWhitespace(_ bytes: [UInt8]) -> ArraySlice<UInt8> {
    var s = 0
    var e = bytes.count
    while s < e, isASCIIWhitespace(bytes[s]) { s += 1 }
    while e > s, isASCIIWhitespace(bytes[e - 1]) { e -= 1 }
    return bytes[s..<e]
}
