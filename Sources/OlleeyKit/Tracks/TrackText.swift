import Foundation
import WebVTT

/// A track as the root API's text: one paragraph per cue, in order, separated by a blank line;
/// a cue's own line breaks are kept as single line breaks and its markup as written.
public enum TrackText {
    public static func paragraphs(_ vtt: String) -> String {
        WebVTTParser.parse(vtt, mode: .browser).document.cues.map { cue in
            cue.text.split(separator: "\n", omittingEmptySubsequences: true).joined(separator: "\n")
        }.joined(separator: "\n\n")
    }
}
