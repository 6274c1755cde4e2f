// Compact JSON output for parse results (and the small writer the diff and lint encoders share).

/// A minimal, fast JSON writer into UTF-8 bytes.
struct JSONWriter: ~Copyable {
    var out: ByteWriter

    init(capacity: Int = 256) { out = ByteWriter(capacity: capacity) }

    @inline(__always) mutating func raw(_ s: StaticString) { out.append(s) }

    @inline(__always) mutating func byte(_ b: UInt8) { out.append(b) }

    mutating func key(_ s: StaticString) {
        byte(0x22)
        raw(s)
        byte(0x22)
        byte(0x3A)
    }

    mutating func string(_ s: String) {
        var str = s
        str.withUTF8 { p in string(p) }
    }

    mutating func string(_ p: UnsafeBufferPointer<UInt8>) {
        out.reserve(p.count + 2)
        byte(0x22)
        var runStart = 0
        let n = p.count
        var i = 0
        while i < n {
            let b = p[i]
            if b >= 0x20 && b != 0x22 && b != 0x5C { i += 1; continue }
            if i > runStart { out.append(UnsafeBufferPointer(rebasing: p[runStart..<i])) }
            runStart = i + 1
            switch b {
            case 0x22: raw("\\\"")
            case 0x5C: raw("\\\\")
            case 0x0A: raw("\\n")
            case 0x0D: raw("\\r")
            case 0x09: raw("\\t")
            case 0x08: raw("\\b")
            case 0x0C: raw("\\f")
            default:
                raw("\\u00")
                byte(JSONWriter.hex(b >> 4))
                byte(JSONWriter.hex(b & 0xF))
            }
            i += 1
        }
        if runStart < n { out.append(UnsafeBufferPointer(rebasing: p[runStart..<n])) }
        byte(0x22)
    }

    @inline(__always) static func hex(_ v: UInt8) -> UInt8 { v < 10 ? 0x30 + v : 0x57 + v }

    mutating func int(_ v: Int64) {
        if v >= 0 && v < 10 { byte(0x30 &+ UInt8(v)); return }
        out.appendDecimal(v)
    }

    mutating func int(_ v: Int) { int(Int64(v)) }

    mutating func number(_ v: Double) {
        if !v.isFinite { raw("null"); return }
        if v == v.rounded(), abs(v) < 1e15 { int(Int64(v)); return }
        out.append(formatNumber(v))
    }

    mutating func bool(_ v: Bool) { if v { raw("true") } else { raw("false") } }

    var string: String { out.toString() }
}

/// JSON encoding of parse results.
///
/// Shape: `{"rejected": bool, "cues": [...], "regions": [...], "styles": [...], "diagnostics": [...]}`.
/// Each cue: `id, start_ms, end_ms, text, vertical, snap_to_lines, line, line_align, position,
/// position_align, size, align, region_id`. Each region: `id, width, lines, region_anchor_x,
/// region_anchor_y, viewport_anchor_x, viewport_anchor_y, scroll`. Styles are CSS strings. Each
/// diagnostic: `line, column, severity, code, message`.
public enum WebVTTJSON {
    /// The compact JSON of a parse result.
    public static func encode(_ result: ParseResult) -> String {
        String(decoding: encodeBytes(result), as: UTF8.self)
    }

    /// The compact JSON of a parse result, as UTF-8 bytes.
    public static func encodeBytes(_ result: ParseResult) -> [UInt8] {
        encodeBytes(result.document, diagnostics: result.diagnostics, rejected: result.rejected)
    }

    /// The compact JSON of a document (e.g. after an operation), with optional diagnostics.
    public static func encode(_ doc: WebVTTDocument, diagnostics: [Diagnostic] = [], rejected: Bool = false) -> String {
        String(decoding: encodeBytes(doc, diagnostics: diagnostics, rejected: rejected), as: UTF8.self)
    }

    public static func encodeBytes(_ doc: WebVTTDocument, diagnostics: [Diagnostic], rejected: Bool) -> [UInt8] {
        var estimate = 128 + doc.cues.count * 280
        for i in doc.cues.indices { estimate &+= doc.cues[i].textByteCount }
        var w = JSONWriter(capacity: estimate)
        w.raw("{\"rejected\":")
        w.bool(rejected)
        w.raw(",\"cues\":[")
        doc.cues.withUnsafeBufferPointer { cues in
            guard let base = cues.baseAddress else { return }
            for k in 0..<cues.count {
                if k > 0 { w.byte(0x2C) }
                writeCue(base + k, &w)
            }
        }
        w.raw("],\"regions\":[")
        for (k, r) in doc.regions.enumerated() {
            if k > 0 { w.byte(0x2C) }
            writeRegion(r, &w)
        }
        w.raw("],\"styles\":[")
        for (k, s) in doc.styles.enumerated() {
            if k > 0 { w.byte(0x2C) }
            w.string(s)
        }
        w.raw("],\"diagnostics\":[")
        for (k, d) in diagnostics.enumerated() {
            if k > 0 { w.byte(0x2C) }
            writeDiagnostic(d, &w)
        }
        w.raw("]}")
        return w.out.toArray()
    }

    static func writeCue(_ c: UnsafePointer<Cue>, _ w: inout JSONWriter) {
        w.raw("{\"id\":")
        c.pointee.withIDBytes { w.string($0) }
        w.raw(",\"start_ms\":")
        w.int(c.pointee.startMs)
        w.raw(",\"end_ms\":")
        w.int(c.pointee.endMs)
        w.raw(",\"text\":")
        c.pointee.withTextBytes { p, _ in w.string(p) }
        writeSettings(c.pointee.settings, &w)
        w.byte(0x7D)
    }

    static func writeSettings(_ s: borrowing CueSettings, _ w: inout JSONWriter) {
        w.raw(",\"vertical\":")
        switch s.vertical {
        case .horizontal: w.raw("\"\"")
        case .rl: w.raw("\"rl\"")
        case .lr: w.raw("\"lr\"")
        }
        w.raw(",\"snap_to_lines\":")
        w.bool(s.snapToLines)
        w.raw(",\"line\":")
        if let l = s.line { w.number(l) } else { w.raw("\"auto\"") }
        w.raw(",\"line_align\":")
        switch s.lineAlign {
        case .start: w.raw("\"start\"")
        case .center: w.raw("\"center\"")
        case .end: w.raw("\"end\"")
        }
        w.raw(",\"position\":")
        if let p = s.position { w.number(p) } else { w.raw("\"auto\"") }
        w.raw(",\"position_align\":")
        switch s.positionAlign {
        case .lineLeft: w.raw("\"line-left\"")
        case .center: w.raw("\"center\"")
        case .lineRight: w.raw("\"line-right\"")
        case .auto: w.raw("\"auto\"")
        }
        w.raw(",\"size\":")
        w.number(s.size)
        w.raw(",\"align\":")
        switch s.align {
        case .start: w.raw("\"start\"")
        case .center: w.raw("\"center\"")
        case .end: w.raw("\"end\"")
        case .left: w.raw("\"left\"")
        case .right: w.raw("\"right\"")
        }
        w.raw(",\"region_id\":")
        w.string(s.regionId)
    }

    static func writeRegion(_ r: Region, _ w: inout JSONWriter) {
        w.raw("{\"id\":")
        w.string(r.id)
        w.raw(",\"width\":")
        w.number(r.width)
        w.raw(",\"lines\":")
        w.int(r.lines)
        w.raw(",\"region_anchor_x\":")
        w.number(r.regionAnchorX)
        w.raw(",\"region_anchor_y\":")
        w.number(r.regionAnchorY)
        w.raw(",\"viewport_anchor_x\":")
        w.number(r.viewportAnchorX)
        w.raw(",\"viewport_anchor_y\":")
        w.number(r.viewportAnchorY)
        w.raw(",\"scroll\":")
        w.raw(r.scroll == .up ? "\"up\"" : "\"\"")
        w.byte(0x7D)
    }

    static func writeDiagnostic(_ d: Diagnostic, _ w: inout JSONWriter) {
        w.raw("{\"line\":")
        w.int(d.line)
        w.raw(",\"column\":")
        w.int(d.column)
        w.raw(",\"severity\":")
        w.raw(d.severity == .error ? "\"error\"" : "\"warning\"")
        w.raw(",\"code\":")
        w.string(d.code)
        w.raw(",\"message\":")
        w.string(d.message)
        w.byte(0x7D)
    }

    /// A list of diagnostics as a JSON array.
    public static func encode(diagnostics: [Diagnostic]) -> String {
        var w = JSONWriter()
        w.byte(0x5B)
        for (k, d) in diagnostics.enumerated() {
            if k > 0 { w.byte(0x2C) }
            writeDiagnostic(d, &w)
        }
        w.byte(0x5D)
        return w.string
    }
}
