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
