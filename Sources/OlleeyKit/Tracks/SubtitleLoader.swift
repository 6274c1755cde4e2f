import Foundation
import WebVTT

/// Reads a subtitle file, WebVTT or SRT, by the one sniffing rule (`SubtitleFormat.sniff`):
/// every command and service that accepts subtitles loads them here.
public enum SubtitleLoader {
    public struct Loaded: Sendable {
        public var format: SubtitleFormat
        public var document: WebVTTDocument
        public var diagnostics: [Diagnostic]
    }

    /// Parses `bytes` named `name` (nil for standard input). `format` overrides the sniffing.
    /// WebVTT the parser rejects (no signature) is bad input (65) naming `file:line:col`; SRT
    /// is never rejected (cues that do not parse are left out, with diagnostics).
    public static func parse(_ bytes: [UInt8], name: String?, mode: ParseMode = .browser, format: SubtitleFormat? = nil) throws -> Loaded {
        let f = format ?? SubtitleFormat.sniff(bytes, fileName: name)
        if f == .srt {
            let r = SRT.parse(bytes)
            return Loaded(format: .srt, document: r.document, diagnostics: r.diagnostics)
        }
        let r = WebVTTParser.parse(bytes, mode: mode)
        if r.rejected {
            let d = r.diagnostics.first(where: { $0.severity == .error }) ?? r.diagnostics.first
            throw OlleeyError.invalid("\(name ?? "<stdin>"):\(d?.line ?? 1):\(d?.column ?? 1): \(d?.message ?? "not a WebVTT file")",
                                      hint: "a WebVTT file starts with the line WEBVTT")
        }
        return Loaded(format: .webvtt, document: r.document, diagnostics: r.diagnostics)
    }

    /// Reads and parses the file at `path`; errors name the file by its last path component.
    public static func load(path: String, mode: ParseMode = .browser) throws -> (loaded: Loaded, bytes: [UInt8]) {
        let bytes = try FileIO.read(path)
        return (try parse(bytes, name: (path as NSString).lastPathComponent, mode: mode), bytes)
    }
}
