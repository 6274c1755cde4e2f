/// WebVTT or SRT: the one rule for telling them apart, used by every reader of subtitle files
/// (the vtt commands, glossary check, job create and its timing check).
public enum SubtitleFormat: String, Sendable, CaseIterable {
    case webvtt
    case srt

    /// Decides the format of `bytes`, named `fileName` (nil or "-" for standard input):
    /// 1. content that starts (after a UTF-8 BOM) with the WebVTT signature, `WEBVTT` then a
    ///    space, tab, line break or the end, is WebVTT, whatever the name (a `.txt` file, or
    ///    one mislabelled `.srt`);
    /// 2. content that starts like SRT is SRT, whatever the name: its first non-blank line is
    ///    a cue number and the next a timing line (`-->`), or it is a timing line with SRT's
    ///    comma before the arrow (`00:00:01,000 --> ...`);
    /// 3. else a name ending in `.srt` (any case) is SRT;
    /// 4. else WebVTT, so that the WebVTT parser says what is wrong (an empty file, a missing
    ///    signature).
    public static func sniff(_ bytes: [UInt8], fileName: String? = nil) -> SubtitleFormat {
        var i = 0
        if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { i = 3 }
        let signature: [UInt8] = Array("WEBVTT".utf8)
        if bytes.count >= i + 6, Array(bytes[i..<(i + 6)]) == signature {
            if bytes.count == i + 6 { return .webvtt }
            let next = bytes[i + 6]
            if next == 0x20 || next == 0x09 || next == 0x0A || next == 0x0D { return .webvtt }
        }
        if startsWithSRTCue(bytes, from: i) { return .srt }
        if let name = fileName, name.lowercased().hasSuffix(".srt") { return .srt }
        return .webvtt
    }

    /// The first non-blank line is a timing line with a comma before `-->`, or is all digits
    /// and the line after it holds `-->`.
    static func startsWithSRTCue(_ b: [UInt8], from start: Int) -> Bool {
        var lines: [ArraySlice<UInt8>] = []
        var i = start
        while i < b.count, lines.count < 2 {
            var e = i
            while e < b.count, b[e] != 0x0A, b[e] != 0x0D { e += 1 }
            let line = b[i..<e]
            if !(lines.isEmpty && line.allSatisfy({ $0 == 0x20 || $0 == 0x09 })) { lines.append(line) }
            if e < b.count, b[e] == 0x0D, e + 1 < b.count, b[e + 1] == 0x0A { e += 1 }
            i = e + 1
            if e - start > 4096 && lines.isEmpty { return false }
        }
        /// Where `-->` starts in the line, or nil.
        func arrow(_ l: ArraySlice<UInt8>) -> Int? {
            let a = Array(l)
            guard a.count >= 3 else { return nil }
            for k in 0...(a.count - 3) where a[k] == 0x2D && a[k + 1] == 0x2D && a[k + 2] == 0x3E { return k }
            return nil
        }
        func hasArrow(_ l: ArraySlice<UInt8>) -> Bool { arrow(l) != nil }
        guard let first = lines.first else { return false }
        if let k = arrow(first) { return Array(first).prefix(k).contains(0x2C) }
        let trimmed = first.filter { $0 != 0x20 && $0 != 0x09 }
        guard !trimmed.isEmpty, trimmed.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), lines.count > 1 else { return false }
        return hasArrow(lines[1])
    }
}
