// Which format a subtitle command writes: the one rule for `vtt fmt`, `shift`, `scale`, `sync`,
// `cat`, `convert` and `lint --fix`.

/// A format the subtitle commands can write.
public enum SubtitleOutputFormat: String, Sendable, CaseIterable {
    case vtt
    case srt
    /// TTML in the IMSC1 text profile (`ttml` is the same).
    case imsc1
    case ebuttd = "ebu-tt-d"

    /// The names `--to` accepts (`ttml` is IMSC1).
    public static let names = ["vtt", "srt", "ttml", "imsc1", "ebu-tt-d"]

    /// The format for a `--to` name, or nil.
    public init?(name: String) {
        switch name.lowercased() {
        case "vtt", "webvtt": self = .vtt
        case "srt": self = .srt
        case "ttml", "imsc1", "dfxp": self = .imsc1
        case "ebu-tt-d", "ebuttd": self = .ebuttd
        default: return nil
        }
    }

    /// The format a file name's extension says (`.vtt`, `.webvtt`, `.srt`, `.ttml`, `.dfxp`,
    /// `.xml`; any case), or nil for another or no extension.
    public static func fromExtension(_ path: String) -> SubtitleOutputFormat? {
        let name = path.split(separator: "/").last.map(String.init) ?? path
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return nil }
        switch name[name.index(after: dot)...].lowercased() {
        case "vtt", "webvtt": return .vtt
        case "srt": return .srt
        case "ttml", "dfxp", "xml": return .imsc1
        default: return nil
        }
    }

    /// The format to write, by the one rule: `override` (`--to`) when given; else the output
    /// file's extension when it names a format; else the input's format when it is one the
    /// commands write (SRT stays SRT); else WebVTT.
    public static func choose(override: SubtitleOutputFormat?, outputPath: String?, input: SubtitleFormat?) -> SubtitleOutputFormat {
        if let o = override { return o }
        if let p = outputPath, let f = fromExtension(p) { return f }
        if input == .srt { return .srt }
        return .vtt
    }
}
