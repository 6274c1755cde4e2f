// Export to TTML delivery formats: IMSC1 (Text Profile) and EBU-TT-D.
//
// Mapping:
// - cues become `<p begin end region style>`; line breaks `<br/>`; cues that end at or before
//   their start are skipped (warning).
// - `<i>`, `<b>`, `<u>` and the WebVTT default color classes (`white`, `lime`, `cyan`, `red`,
//   `yellow`, `magenta`, `blue`, `black`, and `bg_*`) become spans with referenced styles (EBU-TT-D
//   forbids inline styling, so styles are always referenced); other classes are dropped (warning).
// - `<lang xx>` becomes `xml:lang`; `<v Name>` becomes `ttm:agent` in IMSC1 (agents declared in the
//   head) and a plain span in EBU-TT-D (warning); ruby is flattened to "base (annotation)" (neither
//   profile has ruby; warning); timestamp tags are dropped (warning).
// - Positions: each distinct cue geometry (line, position, size, alignment, WebVTT region) becomes
//   one TTML region in percentages. Snapped line numbers use 5.33% per line, region lines 6%
//   (the usual WebVTT rendering approximations). Region scrolling, positions inside WebVTT regions,
//   vertical text in EBU-TT-D and STYLE blocks (CSS) cannot be expressed (warnings).

/// TTML export.
public enum TTMLExport {
    public enum Profile: String, Sendable, CaseIterable {
        /// IMSC 1 Text Profile (`http://www.w3.org/ns/ttml/profile/imsc1/text`).
        case imsc1
        /// EBU-TT-D (EBU Tech 3380).
        case ebuttd
    }

    public static let ttmlNamespace = "http://www.w3.org/ns/ttml"

    /// Exports `doc`. `lang` is the document language (`xml:lang`; "und" when unknown).
    public static func export(_ doc: WebVTTDocument, profile: Profile, lang: String = "und")
        -> (xml: String, warnings: [String]) {
        var ex = Exporter(doc: doc, profile: profile)
        let xml = ex.run(lang: lang.isEmpty ? "und" : lang)
        return (xml, ex.warnings)
    }

    static let colors: [String: String] = [
        "white": "#FFFFFF", "lime": "#00FF00", "cyan": "#00FFFF", "red": "#FF0000",
        "yellow": "#FFFF00", "magenta": "#FF00FF", "blue": "#0000FF", "black": "#000000",
    ]

    struct Exporter {
        let doc: WebVTTDocument
        let profile: Profile
        var warnings: [String] = []
        var warned = Set<String>()
        var styles: [(id: String, attrs: String)] = []
        var styleIndex: [String: String] = [:]
        var regions: [(id: String, attrs: String)] = []
        var regionIndex: [String: String] = [:]
        var agents: [(id: String, name: String)] = []
        var agentIndex: [String: String] = [:]
        /// The last region for each id (the spec's lookup), computed once.
        let vttRegions: [String: Region]

        init(doc: WebVTTDocument, profile: Profile) {
            self.doc = doc
            self.profile = profile
            var r: [String: Region] = [:]
            for region in doc.regions { r[region.id] = region }
            self.vttRegions = r
        }

        mutating func warn(_ key: String, _ message: String) {
            if warned.insert(key).inserted { warnings.append(message) }
        }

        mutating func style(_ key: String, _ attrs: String) -> String {
            if let id = styleIndex[key] { return id }
            let id = "s\(styles.count + 1)"
            styles.append((id, attrs))
            styleIndex[key] = id
            return id
        }

        mutating func region(_ key: String, _ attrs: String) -> String {
            if let id = regionIndex[key] { return id }
            let id = "r\(regions.count + 1)"
            regions.append((id, attrs))
            regionIndex[key] = id
            return id
        }

        mutating func agent(_ name: String) -> String {
            if let id = agentIndex[name] { return id }
            let id = "a\(agents.count + 1)"
            agents.append((id, name))
            agentIndex[name] = id
            return id
        }

        mutating func run(lang: String) -> String {
            if !doc.styles.isEmpty {
                warn("style", "STYLE blocks (CSS) are not converted to TTML styles")
            }
            var body = ""
            body.reserveCapacity(doc.cues.count * 120)
            let baseStyle = style("base", "tts:fontFamily=\"proportionalSansSerif\" tts:fontSize=\"100%\" tts:lineHeight=\"125%\" tts:color=\"#FFFFFF\" tts:backgroundColor=\"#000000C0\"")
            var number = 0
            for cue in doc.cues {
                if cue.endMs <= cue.startMs {
                    warn("zero-\(cue.startMs)-\(cue.endMs)", "cue at \(Timestamp.format(cue.startMs)) ends at or before its start; skipped")
                    continue
                }
                number += 1
                let nodes = CueText.parse(cue.text)
                let lines = max(1, cue.text.split(separator: "\n", omittingEmptySubsequences: false).count)
                let regionID = regionFor(cue, lines: lines)
                let alignStyle = style("align-\(cue.settings.align.rawValue)", "tts:textAlign=\"\(cue.settings.align.rawValue)\"")
                body += "<p xml:id=\"c\(number)\" begin=\"\(Timestamp.format(cue.startMs))\" end=\"\(Timestamp.format(cue.endMs))\" region=\"\(regionID)\" style=\"\(alignStyle)\">"
                render(nodes, into: &body)
                body += "</p>\n"
            }
            var x = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            x += "<tt xmlns=\"\(TTMLExport.ttmlNamespace)\" xmlns:ttp=\"http://www.w3.org/ns/ttml#parameter\""
            x += " xmlns:tts=\"http://www.w3.org/ns/ttml#styling\" xmlns:ttm=\"http://www.w3.org/ns/ttml#metadata\""
            switch profile {
            case .imsc1:
                x += " xmlns:ittp=\"http://www.w3.org/ns/ttml/profile/imsc1#parameter\""
                x += " ttp:profile=\"http://www.w3.org/ns/ttml/profile/imsc1/text\""
            case .ebuttd:
                x += " xmlns:ebuttm=\"urn:ebu:tt:metadata\" xmlns:ebutts=\"urn:ebu:tt:style\""
            }
            x += " ttp:timeBase=\"media\" ttp:cellResolution=\"32 15\" xml:lang=\"\(escapeAttr(lang))\">\n"
            x += "<head>\n"
            if profile == .ebuttd {
                x += "<metadata><ebuttm:documentMetadata><ebuttm:conformsToStandard>urn:ebu:tt:distribution:2018-04</ebuttm:conformsToStandard></ebuttm:documentMetadata></metadata>\n"
            } else if !agents.isEmpty {
                x += "<metadata>\n"
                for a in agents {
                    x += "<ttm:agent xml:id=\"\(a.id)\" type=\"character\"><ttm:name type=\"full\">\(escapeText(a.name))</ttm:name></ttm:agent>\n"
                }
                x += "</metadata>\n"
            }
            x += "<styling>\n"
            for s in styles { x += "<style xml:id=\"\(s.id)\" \(s.attrs)/>\n" }
            x += "</styling>\n<layout>\n"
            if regions.isEmpty { _ = defaultRegion() }
            for r in regions { x += "<region xml:id=\"\(r.id)\" \(r.attrs)/>\n" }
            x += "</layout>\n</head>\n"
            x += "<body style=\"\(baseStyle)\"><div>\n"
            x += body
            x += "</div></body>\n</tt>\n"
            return x
        }

        func pct(_ v: Double) -> String {
            let c = min(max(v, 0), 100)
            return formatNumber((c * 100).rounded() / 100) + "%"
        }

        mutating func defaultRegion() -> String {
            region("default", "tts:origin=\"10% 10%\" tts:extent=\"80% 80%\" tts:displayAlign=\"after\"")
        }

        /// The TTML region for a cue's geometry.
        mutating func regionFor(_ cue: Cue, lines: Int) -> String {
            let s = cue.settings
            if !s.regionId.isEmpty, let r = vttRegions[s.regionId] {
                if r.scroll == .up { warn("scroll", "region scrolling (scroll:up) has no TTML equivalent; regions are exported without it") }
                if s.position != nil { warn("pos-in-region", "cue positions inside WebVTT regions are not exported") }
                let h = min(100, Double(r.lines) * 6)
                let w = r.width
                let x = r.viewportAnchorX - r.regionAnchorX * w / 100
                let y = r.viewportAnchorY - r.regionAnchorY * h / 100
                let ox = min(max(x, 0), 100 - w)
                let oy = min(max(y, 0), 100 - h)
                let key = "vtt-\(r.id)-\(pct(ox))-\(pct(oy))-\(pct(w))-\(pct(h))"
                return region(key, "tts:origin=\"\(pct(ox)) \(pct(oy))\" tts:extent=\"\(pct(w)) \(pct(h))\" tts:displayAlign=\"after\"")
            }
            if s.isDefaultGeometry { return defaultRegion() }
            let lineHeight = 5.33
            if s.vertical != .horizontal {
                if profile == .ebuttd {
                    warn("vertical", "vertical text is not supported by EBU-TT-D; vertical cues are exported horizontally")
                } else {
                    let mode = s.vertical == .rl ? "tbrl" : "tblr"
                    let size = s.size
                    var y = s.computedPosition
                    switch s.computedPositionAlign {
                    case .lineLeft: break
                    case .center, .auto: y -= size / 2
                    case .lineRight: y -= size
                    }
                    y = min(max(y, 0), 100 - size)
                    let w = min(100, Double(lines) * lineHeight)
                    var x: Double
                    if let l = s.line {
                        if s.snapToLines {
                            x = l >= 0 ? l * lineHeight : 100 + (l + 1) * lineHeight - w
                        } else {
                            x = l
                        }
                        if s.vertical == .rl, !s.snapToLines { x = 100 - l - w }
                    } else {
                        x = s.vertical == .rl ? 100 - w - 5 : 5
                    }
                    x = min(max(x, 0), 100 - w)
                    let key = "v-\(mode)-\(pct(x))-\(pct(y))-\(pct(w))-\(pct(size))"
                    return region(key, "tts:origin=\"\(pct(x)) \(pct(y))\" tts:extent=\"\(pct(w)) \(pct(size))\" tts:writingMode=\"\(mode)\" tts:displayAlign=\"before\"")
                }
            }
            // Horizontal.
            let size = s.size
            var x = s.computedPosition
            switch s.computedPositionAlign {
            case .lineLeft: break
            case .center, .auto: x -= size / 2
            case .lineRight: x -= size
            }
            x = min(max(x, 0), 100 - size)
            let h = min(100, Double(lines) * lineHeight)
            var y: Double
            var display = "after"
            if let l = s.line {
                if s.snapToLines {
                    if l >= 0 {
                        y = l * lineHeight
                        display = "before"
                    } else {
                        y = 100 + (l + 1) * lineHeight - h
                        display = "after"
                    }
                } else {
                    switch s.lineAlign {
                    case .start: y = l; display = "before"
                    case .center: y = l - h / 2; display = "center"
                    case .end: y = l - h; display = "after"
                    }
                }
                y = min(max(y, 0), 100 - h)
                let key = "h-\(pct(x))-\(pct(y))-\(pct(size))-\(pct(h))-\(display)"
                return region(key, "tts:origin=\"\(pct(x)) \(pct(y))\" tts:extent=\"\(pct(size)) \(pct(h))\" tts:displayAlign=\"\(display)\"")
            }
            // line auto: bottom band, horizontal geometry from position/size.
            let key = "h-\(pct(x))-auto-\(pct(size))"
            return region(key, "tts:origin=\"\(pct(x)) 10%\" tts:extent=\"\(pct(size)) 80%\" tts:displayAlign=\"after\"")
        }

        mutating func render(_ nodes: [CueNode], into out: inout String) {
            for node in nodes {
                switch node {
                case .text(let t):
                    var first = true
                    for line in t.split(separator: "\n", omittingEmptySubsequences: false) {
                        if !first { out += "<br/>" }
                        first = false
                        out += escapeText(String(line))
                    }
                case .timestamp:
                    warn("timestamp", "timestamp tags inside cue text (karaoke timing) are dropped")
                case .element(let e):
                    var attrs: [String] = []
                    var styleIDs: [String] = []
                    switch e.kind {
                    case .i: styleIDs.append(style("i", "tts:fontStyle=\"italic\""))
                    case .b: styleIDs.append(style("b", "tts:fontWeight=\"bold\""))
                    case .u: styleIDs.append(style("u", "tts:textDecoration=\"underline\""))
                    case .lang:
                        if !e.annotation.isEmpty { attrs.append("xml:lang=\"\(escapeAttr(e.annotation))\"") }
                    case .v:
                        if profile == .imsc1 {
                            if !e.annotation.isEmpty { attrs.append("ttm:agent=\"\(agent(e.annotation))\"") }
                        } else {
                            warn("voice", "voice spans (<v>) have no EBU-TT-D equivalent; the speaker names are dropped")
                        }
                    case .ruby:
                        warn("ruby", "ruby is not supported by the IMSC1 text profile or EBU-TT-D; exported as 'base (annotation)'")
                    case .rt:
                        out += " ("
                        render(e.children, into: &out)
                        out += ")"
                        continue
                    case .c:
                        break
                    }
                    for cls in e.classes {
                        if cls.hasPrefix("bg_"), let c = TTMLExport.colors[String(cls.dropFirst(3))] {
                            styleIDs.append(style("bg-\(c)", "tts:backgroundColor=\"\(c)\""))
                        } else if let c = TTMLExport.colors[cls] {
                            styleIDs.append(style("fg-\(c)", "tts:color=\"\(c)\""))
                        } else {
                            warn("class-\(cls)", "class '\(cls)' has no TTML equivalent and is dropped")
                        }
                    }
                    if !styleIDs.isEmpty { attrs.append("style=\"\(styleIDs.joined(separator: " "))\"") }
                    if attrs.isEmpty && e.kind == .ruby {
                        render(e.children, into: &out)
                        continue
                    }
                    out += attrs.isEmpty ? "<span>" : "<span \(attrs.joined(separator: " "))>"
                    render(e.children, into: &out)
                    out += "</span>"
                }
            }
        }
    }

    /// Escapes character data for XML 1.0, dropping characters XML cannot hold.
    static func escapeText(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for u in s.unicodeScalars {
            switch u {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            default:
                if isXMLChar(u) { out.unicodeScalars.append(u) }
            }
        }
        return out
    }

    static func escapeAttr(_ s: String) -> String {
        var out = ""
        for u in s.unicodeScalars {
            switch u {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "\n": out += "&#10;"
            case "\t": out += "&#9;"
            case "\r": out += "&#13;"
            default:
                if isXMLChar(u) { out.unicodeScalars.append(u) }
            }
        }
        return out
    }

    static func isXMLChar(_ u: Unicode.Scalar) -> Bool {
        let v = u.value
        return v == 0x9 || v == 0xA || v == 0xD || (v >= 0x20 && v <= 0xD7FF) || (v >= 0xE000 && v <= 0xFFFD)
            || (v >= 0x10000 && v <= 0x10FFFF)
    }
}

extension CueSettings {
    /// No line, position, size or vertical setting: the default bottom-centre placement.
    var isDefaultGeometry: Bool {
        line == nil && position == nil && size == 100 && vertical == .horizontal && regionId.isEmpty
    }
}
