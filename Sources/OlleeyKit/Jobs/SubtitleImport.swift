import Foundation
import WebVTT

/// Loads provided subtitles (any format `SubtitleLoader` reads) as canonical WebVTT text; a file that does not
/// parse is bad input (65) with file:line.
public enum SubtitleImport {
    public static func load(_ path: String) throws -> String {
        let (r, bytes) = try SubtitleLoader.load(path: path)
        let name = (path as NSString).lastPathComponent
        if r.format != .webvtt || (r.encoding ?? .utf8) != .utf8 {
            return WebVTTSerializer.serialize(r.document)
        }
        guard !r.document.cues.isEmpty else { throw OlleeyError.invalid("\(name): no cues") }
        return String(decoding: bytes, as: UTF8.self)
    }
}
