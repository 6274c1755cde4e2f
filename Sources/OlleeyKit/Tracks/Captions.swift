import Foundation
import WebVTT

/// Captions for deaf and hard-of-hearing viewers (SDH), as opposed to subtitles: the same cues,
/// with the speaker named where the speaker changes (from `<v Name>` voice spans: `Name: ` after
/// the tag, so players that ignore voice spans show it too, and SRT keeps it), and sound tags
/// (`[music]`, `(laughs)`) kept as they are. A cue without a voice span is not labelled.
public enum Captions {
    /// `doc` with speaker labels added where the speaker changes.
    public static func sdh(_ doc: WebVTTDocument) -> WebVTTDocument {
        var out = doc
        var last: String?
        for i in out.cues.indices {
            let (text, speaker) = label(out.cues[i].text, after: last)
            if text != out.cues[i].text { out.cues[i].text = text }
            if let speaker { last = speaker }
        }
        return out
    }

    /// The cue text with `Name: ` after each `<v Name>` whose name differs from the one before
    /// (within the cue, or `after`, the last speaker of the cues before); and the last speaker.
    static func label(_ text: String, after previous: String?) -> (String, String?) {
        var out = ""
        var last = previous
        var rest = Substring(text)
        while let open = rest.range(of: "<v") {
            let afterTag = rest[open.upperBound...]
            // `<v Name>` or `<v.class Name>`; not `<vi...>` or the like
            guard let first = afterTag.first, first == " " || first == "." || first == "\t",
                  let close = afterTag.firstIndex(of: ">") else {
                out += rest[..<open.upperBound]
                rest = afterTag
                continue
            }
            let inner = afterTag[..<close]
            let name = inner.drop { $0 != " " && $0 != "\t" }.trimmingCharacters(in: .whitespaces)
            out += rest[..<afterTag.index(after: close)]
            rest = afterTag[afterTag.index(after: close)...]
            if !name.isEmpty && name != last && !rest.hasPrefix(name + ":") {
                out += name + ": "
            }
            if !name.isEmpty { last = name }
        }
        out += rest
        return (out, last)
    }
}
