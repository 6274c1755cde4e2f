// Concatenating documents (`vtt cat`).

/// Merges documents into one: the header, header metadata, BOM and line endings of the first;
/// the regions and style sheets of all (a region id already seen is not repeated); cues of all,
/// sorted by start time (stable: equal starts keep their input order). Notes and ignored blocks
/// are left out, since their place among the merged cues has no meaning.
public func mergeDocuments(_ docs: [WebVTTDocument]) -> WebVTTDocument {
    guard let first = docs.first else { return WebVTTDocument() }
    var out = WebVTTDocument()
    out.hasBOM = first.hasBOM
    out.header = first.header
    out.headerBlock = first.headerBlock
    out.lineEnding = first.lineEnding
    var seenRegions = Set<String>()
    var seenStyles = Set<String>()
    for d in docs {
        for b in d.blocks {
            switch b.kind {
            case .region(let r):
                if seenRegions.insert(r.id).inserted {
                    var nb = b
                    nb.cueIndex = 0
                    out.blocks.append(nb)
                }
            case .style(let css):
                if seenStyles.insert(css).inserted {
                    var nb = b
                    nb.cueIndex = 0
                    out.blocks.append(nb)
                }
            case .note, .ignored:
                break
            }
        }
    }
    var all: [Cue] = []
    all.reserveCapacity(docs.reduce(0) { $0 + $1.cues.count })
    for d in docs { all.append(contentsOf: d.cues) }
    // Stable sort by start time.
    let order = all.indices.sorted { a, b in
        all[a].startMs != all[b].startMs ? all[a].startMs < all[b].startMs : a < b
    }
    out.cues = order.map { i -> Cue in
        var c = all[i]
        if c.blankLinesBefore < 1 { c.blankLinesBefore = 1 }
        return c
    }
    for i in out.blocks.indices { out.blocks[i].blankLinesBefore = 1 }
    out.trailingLineBreaks = 1
    return out
}

/// What `concatenate` made: the joined document and what it changed on the way.
public struct ConcatenateResult: Sendable {
    public var document: WebVTTDocument
    /// Named cue ids that were taken by an earlier cue and got a suffix: (part, 1-based number
    /// of the cue in the joined document, id as written, id now).
    public var renamed: [(part: Int, cue: Int, from: String, to: String)]
    /// Cues an offset pushed to or before zero, left out (per part, as `Timing.shiftReporting`).
    public var dropped: [(part: Int, cue: Timing.DroppedCue)]
    /// Cues an offset pushed before zero whose start was clamped to zero.
    public var clamped: Int
}

/// Joins the parts of a split video's subtitles (`vtt cat`): part `k` is shifted by
/// `offsets[k]` first (missing offsets are 0; what a negative offset pushes before zero is
/// clamped or dropped as `Timing.shift` does), then the parts are merged as `mergeDocuments`
/// does, and every cue gets a unique id:
/// - a cue whose id is a number, or that has none, is numbered by its place in the joined
///   document (1, 2, 3, ...): numbers only count cues, and the old ones repeat across parts;
/// - a named id (anything else, e.g. `intro`) is kept; when an earlier cue already has it, the
///   cue gets the first free `id-2`, `id-3`, ... and the rename is reported.
public func concatenate(_ parts: [WebVTTDocument], offsets: [Int64] = []) -> ConcatenateResult {
    var shifted: [WebVTTDocument] = []
    shifted.reserveCapacity(parts.count)
    var dropped: [(part: Int, cue: Timing.DroppedCue)] = []
    var clamped = 0
    var partOfCue: [Int] = []
    for (k, part) in parts.enumerated() {
        let off = k < offsets.count ? offsets[k] : 0
        let r = Timing.shiftReporting(part, byMs: off)
        dropped += r.dropped.map { (k + 1, $0) }
        clamped += r.clamped
        partOfCue += Array(repeating: k + 1, count: r.document.cues.count)
        shifted.append(r.document)
    }
    var doc = mergeDocuments(shifted)
    // mergeDocuments sorts stably by start; the same order tells which part each cue came from.
    let all = shifted.flatMap { $0.cues.map(\.startMs) }
    let order = all.indices.sorted { a, b in all[a] != all[b] ? all[a] < all[b] : a < b }
    var renamed: [(part: Int, cue: Int, from: String, to: String)] = []
    let isNumber: (String) -> Bool = { $0.isEmpty || $0.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 } }
    var reserved = Set<String>()
    for c in doc.cues where !isNumber(c.id) { reserved.insert(c.id) }
    var used = Set<String>()
    for i in doc.cues.indices {
        let id = doc.cues[i].id
        if isNumber(id) {
            let n = String(i + 1)
            if id != n { doc.cues[i].id = n }
            continue
        }
        if used.insert(id).inserted { continue }
        var k = 2
        while reserved.contains("\(id)-\(k)") || used.contains("\(id)-\(k)") { k += 1 }
        let new = "\(id)-\(k)"
        used.insert(new)
        doc.cues[i].id = new
        renamed.append((partOfCue[order[i]], i + 1, id, new))
    }
    return ConcatenateResult(document: doc, renamed: renamed, dropped: dropped, clamped: clamped)
}
