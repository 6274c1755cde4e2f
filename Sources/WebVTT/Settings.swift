// Cue settings and region settings, parsed exactly as the spec's "parse the WebVTT cue settings"
// and "collect WebVTT region settings" do, on UTF-8 bytes. In strict mode every deviation from the
// syntax is reported to a sink.

/// Collects diagnostics as byte offsets into the parser's input; the parser turns them into
/// line/column pairs.
final class DiagnosticSink {
    struct Item {
        var offset: Int
        var severity: Diagnostic.Severity
        var code: String
        var message: String
    }
    var items: [Item] = []

    func add(_ offset: Int, _ severity: Diagnostic.Severity, _ code: String, _ message: String) {
        items.append(Item(offset: offset, severity: severity, code: code, message: message))
    }
}

enum SettingsParser {
    /// Parses a percentage with the spec's "parse a percentage string": `digits[.digits]%`,
    /// in 0...100.
    static func parsePercentage(_ p: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Double? {
        guard end - start >= 2, p[end - 1] == UInt8(ascii: "%") else { return nil }
        guard let v = parseDecimal(p, start, end - 1, allowSign: false) else { return nil }
        guard v >= 0, v <= 100 else { return nil }
        return v
    }

    /// Parses `-?digits(.digits)?` (the sign only when allowed). Returns nil when the syntax does
    /// not match.
    static func parseDecimal(_ p: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int, allowSign: Bool) -> Double? {
        var i = start
        var negative = false
        if allowSign, i < end, p[i] == UInt8(ascii: "-") { negative = true; i += 1 }
        let intStart = i
        var intValue: Int64 = 0
        while i < end, isDigit(p[i]) {
            if i - intStart < 17 { intValue = intValue * 10 + Int64(p[i] &- 0x30) }
            i += 1
        }
        let intLen = i - intStart
        guard intLen > 0 else { return nil }
        if i == end, intLen < 17 {
            let v = Double(intValue)
            return negative ? -v : v
        }
        if i < end {
            guard p[i] == UInt8(ascii: "."), i + 1 < end else { return nil }
            i += 1
            let fracStart = i
            while i < end, isDigit(p[i]) { i += 1 }
            guard i > fracStart, i == end else { return nil }
        }
        // Exact decimal-to-double conversion for the rarer forms.
        let text = String(decoding: UnsafeBufferPointer(rebasing: p[start..<end]), as: UTF8.self)
        guard let v = Double(text), v.isFinite else { return nil }
        return v
    }

    /// The spec's "parse the WebVTT cue settings" over `p[start..<end]`.
    /// `regionIDs` are the UTF-8 identifiers of `regions` (same order).
    static func parseCueSettings(_ p: UnsafeBufferPointer<UInt8>, start: Int = 0, end: Int? = nil,
                                 regions: [Region], regionIDs: [[UInt8]]? = nil,
                                 sink: DiagnosticSink?) -> CueSettings {
        parseCueSettingsChecked(p, start: start, end: end, regions: regions, regionIDs: regionIDs, sink: sink).settings
    }

    /// Same, also telling whether some setting was invalid or ignored (what strict mode reports
    /// as an error), without needing a sink.
    static func parseCueSettingsChecked(_ p: UnsafeBufferPointer<UInt8>, start: Int = 0, end: Int? = nil,
                                        regions: [Region], regionIDs: [[UInt8]]? = nil,
                                        sink: DiagnosticSink?) -> (settings: CueSettings, invalid: Bool) {
        var bad = false
        var s = CueSettings()
        let end = end ?? p.count
        var i = start
        var seen: UInt8 = 0 // bit per setting name, for strict duplicate detection
        var regionIgnoredOffset = -1
        var regionSetOffset = -1
        while let token = SettingToken.next(p, &i, end) {
            let tokStart = token.start, colon = token.colon, tokEnd = token.end
            if !token.isNameValue {
                bad = true; sink?.add(tokStart, .error, "invalid_setting",
                          "cue setting '\(text(p, tokStart, tokEnd))' is not of the form name:value; ignored")
                continue
            }
            let name = Name(p, tokStart, colon)
            let vs = colon + 1
            let ve = tokEnd
            var bit: UInt8 = 0
            switch name {
            case .region:
                bit = 1
                s.regionId = ""
                if let idx = lookupRegion(p, vs, ve, regions: regions, regionIDs: regionIDs) {
                    s.regionId = regions[idx].id
                    regionSetOffset = tokStart
                } else {
                    bad = true; sink?.add(vs, .error, "region_not_found",
                              "no region with id '\(text(p, vs, ve))' was defined; the region setting is ignored")
                }
            case .vertical:
                bit = 2
                if equals(p, vs, ve, "rl") {
                    s.vertical = .rl
                } else if equals(p, vs, ve, "lr") {
                    s.vertical = .lr
                } else {
                    bad = true; sink?.add(vs, .error, "invalid_setting_value",
                              "vertical must be 'rl' or 'lr', not '\(text(p, vs, ve))'; ignored")
                }
                if s.vertical != .horizontal, !s.regionId.isEmpty {
                    s.regionId = ""
                    regionIgnoredOffset = tokStart
                }
            case .line:
                bit = 4
                if !parseLine(p, vs, ve, into: &s) {
                    bad = true; sink?.add(vs, .error, "invalid_setting_value",
                              "line must be a percentage or a line number, optionally followed by ',start', ',center' or ',end'; '\(text(p, vs, ve))' is ignored")
                } else if s.line != nil, !s.regionId.isEmpty {
                    s.regionId = ""
                    regionIgnoredOffset = tokStart
                }
            case .position:
                bit = 8
                if !parsePosition(p, vs, ve, into: &s) {
                    bad = true; sink?.add(vs, .error, "invalid_setting_value",
                              "position must be a percentage in 0-100, optionally followed by ',line-left', ',center' or ',line-right'; '\(text(p, vs, ve))' is ignored")
                }
            case .size:
                bit = 16
                if let v = parsePercentage(p, vs, ve) {
                    s.size = v
                    if v != 100, !s.regionId.isEmpty {
                        s.regionId = ""
                        regionIgnoredOffset = tokStart
                    }
                } else {
                    bad = true; sink?.add(vs, .error, "invalid_setting_value",
                              "size must be a percentage in 0-100; '\(text(p, vs, ve))' is ignored")
                }
            case .align:
                bit = 32
                if equals(p, vs, ve, "start") { s.align = .start }
                else if equals(p, vs, ve, "center") { s.align = .center }
                else if equals(p, vs, ve, "end") { s.align = .end }
                else if equals(p, vs, ve, "left") { s.align = .left }
                else if equals(p, vs, ve, "right") { s.align = .right }
                else {
                    bad = true; sink?.add(vs, .error, "invalid_setting_value",
                              "align must be start, center, end, left or right; '\(text(p, vs, ve))' is ignored")
                }
            case .unknown:
                bad = true; sink?.add(tokStart, .error, "unknown_setting",
                          "unknown cue setting '\(text(p, tokStart, colon))'; ignored")
            }
            if let sink = sink, bit != 0 {
                if seen & bit != 0 {
                    sink.add(tokStart, .warning, "duplicate_setting",
                             "cue setting '\(text(p, tokStart, colon))' appears more than once; the last one wins")
                }
                seen |= bit
            }
        }
        if let sink = sink {
            if regionIgnoredOffset >= 0 {
                sink.add(regionIgnoredOffset, .warning, "region_ignored",
                         "a cue with a vertical, line or size setting drops out of its region")
            } else if regionSetOffset >= 0, seen & (2 | 4 | 16) != 0 {
                sink.add(regionSetOffset, .warning, "region_with_position",
                         "the region setting should not be combined with vertical, line or size settings")
            }
        }
        return (s, bad)
    }

    enum Name {
        case region, vertical, line, position, size, align, unknown
        init(_ p: UnsafeBufferPointer<UInt8>, _ s: Int, _ e: Int) {
            if equals(p, s, e, "line") { self = .line }
            else if equals(p, s, e, "position") { self = .position }
            else if equals(p, s, e, "align") { self = .align }
            else if equals(p, s, e, "size") { self = .size }
            else if equals(p, s, e, "region") { self = .region }
            else if equals(p, s, e, "vertical") { self = .vertical }
            else { self = .unknown }
        }
    }

    static func lookupRegion(_ p: UnsafeBufferPointer<UInt8>, _ s: Int, _ e: Int, regions: [Region],
                             regionIDs: [[UInt8]]?) -> Int? {
        let ids: [[UInt8]] = regionIDs ?? regions.map { Array($0.id.utf8) }
        var idx = ids.count - 1
        while idx >= 0 {
            let id = ids[idx]
            if id.count == e - s {
                var same = true
                var k = 0
                while k < id.count {
                    if id[k] != p[s + k] { same = false; break }
                    k += 1
                }
                if same { return idx }
            }
            idx -= 1
        }
        return nil
    }

    /// The `line` setting. Returns false when the spec says to skip it.
    static func parseLine(_ p: UnsafeBufferPointer<UInt8>, _ vs: Int, _ ve: Int, into s: inout CueSettings) -> Bool {
        var posEnd = ve
        var alignStart = -1
        var k = vs
        while k < ve {
            if p[k] == UInt8(ascii: ",") { posEnd = k; alignStart = k + 1; break }
            k += 1
        }
        // linepos must contain at least one ASCII digit
        var hasDigit = false
        k = vs
        while k < posEnd { if isDigit(p[k]) { hasDigit = true; break }; k += 1 }
        guard hasDigit else { return false }
        let number: Double
        let percent = p[posEnd - 1] == UInt8(ascii: "%")
        if percent {
            guard let v = parsePercentage(p, vs, posEnd) else { return false }
            number = v
        } else {
            var dots = 0
            k = vs
            while k < posEnd {
                let c = p[k]
                if c == UInt8(ascii: "-") {
                    if k != vs { return false }
                } else if c == UInt8(ascii: ".") {
                    dots += 1
                    if k == vs || k == posEnd - 1 { return false }
                    if !isDigit(p[k - 1]) || !isDigit(p[k + 1]) { return false }
                } else if !isDigit(c) {
                    return false
                }
                k += 1
            }
            if dots > 1 { return false }
            guard let v = parseDecimal(p, vs, posEnd, allowSign: true) else { return false }
            number = v
        }
        var lineAlign = s.lineAlign
        if alignStart >= 0 {
            if equals(p, alignStart, ve, "start") { lineAlign = .start }
            else if equals(p, alignStart, ve, "center") { lineAlign = .center }
            else if equals(p, alignStart, ve, "end") { lineAlign = .end }
            else { return false }
        }
        s.lineAlign = lineAlign
        s.line = number == 0 ? 0 : number
        s.snapToLines = !percent
        return true
    }

    /// The `position` setting. Returns false when the spec says to skip it.
    static func parsePosition(_ p: UnsafeBufferPointer<UInt8>, _ vs: Int, _ ve: Int, into s: inout CueSettings) -> Bool {
        var posEnd = ve
        var alignStart = -1
        var k = vs
        while k < ve {
            if p[k] == UInt8(ascii: ",") { posEnd = k; alignStart = k + 1; break }
            k += 1
        }
        guard let v = parsePercentage(p, vs, posEnd) else { return false }
        var align = s.positionAlign
        if alignStart >= 0 {
            if equals(p, alignStart, ve, "line-left") { align = .lineLeft }
            else if equals(p, alignStart, ve, "center") { align = .center }
            else if equals(p, alignStart, ve, "line-right") { align = .lineRight }
            else { return false }
        }
        s.positionAlign = align
        s.position = v
        return true
    }

    /// The spec's "collect WebVTT region settings" over `p[start..<end]` (the block's lines after
    /// the `REGION` line, joined by line feeds).
    static func parseRegionSettings(_ p: UnsafeBufferPointer<UInt8>, start: Int, end: Int,
                                    sink: DiagnosticSink?) -> Region {
        var r = Region()
        var i = start
        var seenID = false
        var seen: UInt8 = 0
        while let token = SettingToken.next(p, &i, end) {
            let tokStart = token.start, colon = token.colon, tokEnd = token.end
            if !token.isNameValue {
                sink?.add(tokStart, .error, "invalid_region_setting",
                          "region setting '\(text(p, tokStart, tokEnd))' is not of the form name:value; ignored")
                continue
            }
            let vs = colon + 1
            let ve = tokEnd
            var bit: UInt8 = 0
            if equals(p, tokStart, colon, "id") {
                bit = 1
                r.id = text(p, vs, ve)
                seenID = true
                if let sink = sink, r.id.utf8.count >= 3, r.id.contains("-->") {
                    sink.add(vs, .error, "invalid_region_setting", "a region id must not contain '-->'")
                }
            } else if equals(p, tokStart, colon, "width") {
                bit = 2
                if let v = parsePercentage(p, vs, ve) { r.width = v } else {
                    sink?.add(vs, .error, "invalid_region_setting",
                              "width must be a percentage in 0-100; '\(text(p, vs, ve))' is ignored")
                }
            } else if equals(p, tokStart, colon, "lines") {
                bit = 4
                var allDigits = true
                var v: Int = 0
                var k = vs
                while k < ve {
                    if !isDigit(p[k]) { allDigits = false; break }
                    // any non-negative integer is kept (the W3C rules keep the number); one
                    // beyond what an Int holds saturates at Int.max
                    let (m, o1) = v.multipliedReportingOverflow(by: 10)
                    let (a, o2) = m.addingReportingOverflow(Int(p[k] &- 0x30))
                    v = o1 || o2 ? Int.max : a
                    k += 1
                }
                if allDigits { r.lines = v } else {
                    sink?.add(vs, .error, "invalid_region_setting",
                              "lines must be a whole number; '\(text(p, vs, ve))' is ignored")
                }
            } else if equals(p, tokStart, colon, "regionanchor") || equals(p, tokStart, colon, "viewportanchor") {
                let isRegion = equals(p, tokStart, colon, "regionanchor")
                bit = isRegion ? 8 : 16
                var comma = -1
                var k = vs
                while k < ve { if p[k] == UInt8(ascii: ",") { comma = k; break }; k += 1 }
                if comma >= 0, let x = parsePercentage(p, vs, comma), let y = parsePercentage(p, comma + 1, ve) {
                    if isRegion { r.regionAnchorX = x; r.regionAnchorY = y } else {
                        r.viewportAnchorX = x; r.viewportAnchorY = y
                    }
                } else {
                    sink?.add(vs, .error, "invalid_region_setting",
                              "\(isRegion ? "regionanchor" : "viewportanchor") must be two percentages 'x%,y%'; '\(text(p, vs, ve))' is ignored")
                }
            } else if equals(p, tokStart, colon, "scroll") {
                bit = 32
                if equals(p, vs, ve, "up") { r.scroll = .up } else {
                    sink?.add(vs, .error, "invalid_region_setting",
                              "scroll must be 'up'; '\(text(p, vs, ve))' is ignored")
                }
            } else {
                sink?.add(tokStart, .error, "unknown_region_setting",
                          "unknown region setting '\(text(p, tokStart, colon))'; ignored")
            }
            if let sink = sink, bit != 0 {
                if seen & bit != 0 {
                    sink.add(tokStart, .warning, "duplicate_region_setting",
                             "region setting '\(text(p, tokStart, colon))' appears more than once; the last one wins")
                }
                seen |= bit
            }
        }
        if !seenID {
            sink?.add(start, .warning, "region_without_id", "a region without an id cannot be used by any cue")
        }
        return r
    }

    // MARK: byte helpers

    /// One token of cue settings or region settings: the bytes between ASCII whitespace, split
    /// at the first colon into a name and a value (the spec's two "collect settings" loops
    /// share it).
    struct SettingToken {
        var start: Int
        /// The first colon, or -1.
        var colon: Int
        var end: Int

        /// `name:value` with both parts non-empty; anything else is ignored with a diagnostic.
        var isNameValue: Bool { colon > start && colon < end - 1 }

        /// The next token at or after `i` and before `end` (nil when only whitespace is left);
        /// `i` moves past it.
        @inline(__always)
        static func next(_ p: UnsafeBufferPointer<UInt8>, _ i: inout Int, _ end: Int) -> SettingToken? {
            while i < end, isASCIIWhitespace(p[i]) { i += 1 }
            if i >= end { return nil }
            let start = i
            var colon = -1
            while i < end, !isASCIIWhitespace(p[i]) {
                if colon < 0, p[i] == UInt8(ascii: ":") { colon = i }
                i += 1
            }
            return SettingToken(start: start, colon: colon, end: i)
        }
    }

    @inline(__always)
    static func equals(_ p: UnsafeBufferPointer<UInt8>, _ s: Int, _ e: Int, _ lit: StaticString) -> Bool {
        let n = lit.utf8CodeUnitCount
        guard e - s == n else { return false }
        let lp = lit.utf8Start
        var k = 0
        while k < n {
            if p[s + k] != lp[k] { return false }
            k += 1
        }
        return true
    }

    static func text(_ p: UnsafeBufferPointer<UInt8>, _ s: Int, _ e: Int) -> String {
        let e2 = min(e, s + 200) // keep messages short on absurd input
        return String(decoding: UnsafeBufferPointer(rebasing: p[s..<max(s, e2)]), as: UTF8.self)
    }
}
