import Foundation
import WebVTT

/// Loads provided subtitles (WebVTT or SRT) as canonical WebVTT text; a file that does not
/// parse is bad input (65) with file:line.
public enum SubtitleImport {
    public static func load(_ path: String) throws -> String {
        let bytes = try FileIO.read(path)
        let text = String(decoding: bytes, as: UTF8.self)
        let name = (path as NSString).lastPathComponent
        let trimmed = text.hasPrefix("\u{FEFF}") ? String(text.dropFirst()) : text
        if (path as NSString).pathExtension.lowercased() == "srt" || !trimmed.hasPrefix("WEBVTT") {
            let (doc, diags) = SRT.parse(bytes)
            if doc.cues.isEmpty {
                let d = diags.first
                throw OlleeyError.invalid("\(name):\(d?.line ?? 1):\(d?.column ?? 1): \(d?.message ?? "no subtitles found (neither WebVTT nor SRT)")")
            }
            return WebVTTSerializer.serialize(doc)
        }
        let r = WebVTTParser.parse(bytes, mode: .browser)
        if r.rejected {
            let d = r.diagnostics.first
            throw OlleeyError.invalid("\(name):\(d?.line ?? 1):\(d?.column ?? 1): \(d?.message ?? "not a WebVTT file")")
        }
        guard !r.document.cues.isEmpty else { throw OlleeyError.invalid("\(name): no cues") }
        return text
    }
}
