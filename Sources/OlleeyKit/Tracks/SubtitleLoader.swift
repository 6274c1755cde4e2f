import Foundation
import WebVTT

/// Reads a subtitle file, in any format olleey reads (WebVTT, SRT, TTML/IMSC1/EBU-TT-D, ASS/SSA,
/// YouTube SBV), by the one sniffing rule (`SubtitleFormat.sniff`): every command and service that
/// accepts subtitles loads them here.
public enum SubtitleLoader {
    public struct Loaded: Sendable {
        public var format: SubtitleFormat
        public var document: WebVTTDocument
        public var diagnostics: [Diagnostic]
        /// The encoding the file was decoded from, when it was not read as UTF-8 bytes as they
        /// are (a UTF-16/32 byte-order mark, or an override).
        public var encoding: TextEncoding?

        /// Moves the document out, leaving an empty one: an operation that changes the cues then
        /// holds the only reference to them (no copy-on-write of every cue), and a writer that
        /// frees the document when done frees it for good.
        public mutating func takeDocument() -> WebVTTDocument {
            defer { document = WebVTTDocument() }
            return document
        }
    }

    /// Parses `bytes` named `name` (nil for standard input). `format` overrides the sniffing and
    /// `encoding` the byte-order mark. WebVTT the parser rejects (no signature) is bad input (65)
    /// naming `file:line:col`; a file of another format that yields no cues is bad input (65)
    /// naming the file and its first error; a WebVTT file with only its header is valid.
    public static func parse(_ bytes: [UInt8], name: String?, mode: ParseMode = .browser, format: SubtitleFormat? = nil,
                             encoding: TextEncoding? = nil) throws -> Loaded {
        let (utf8, enc) = TextEncoding.utf8Bytes(bytes, forced: encoding)
        let f = format ?? SubtitleFormat.sniff(utf8, fileName: name)
        let r = f.read(utf8, mode: mode)
        let shown = name ?? "<stdin>"
        if r.rejected {
            let d = r.diagnostics.first(where: { $0.severity == .error }) ?? r.diagnostics.first
            throw OlleeyError.invalid("\(shown):\(d?.line ?? 1):\(d?.column ?? 1): \(d?.message ?? "not a WebVTT file")",
                                      hint: "a WebVTT file starts with the line WEBVTT")
        }
        if f != .webvtt, r.document.cues.isEmpty {
            let d = r.diagnostics.first(where: { $0.severity == .error })
            let at = d.map { "\(shown):\(max(1, $0.line)): \($0.message); " } ?? "\(shown): "
            throw OlleeyError.invalid("\(at)no cues found in this \(label(f)) file",
                                      hint: enc == nil && bytes.contains(0) ? "if the file is UTF-16 or UTF-32 without a byte-order mark, give its encoding" : "subtitle files olleey reads: WebVTT, SRT, TTML (IMSC1, EBU-TT-D), ASS/SSA, SBV")
        }
        return Loaded(format: f, document: r.document, diagnostics: r.diagnostics, encoding: enc)
    }

    /// A format's name for people.
    public static func label(_ f: SubtitleFormat) -> String {
        switch f {
        case .webvtt: return "WebVTT"
        case .srt: return "SRT"
        case .ttml: return "TTML"
        case .ass: return "ASS/SSA"
        case .sbv: return "SBV"
        }
    }

    /// Reads and parses the file at `path`; errors name the file by its last path component.
    public static func load(path: String, mode: ParseMode = .browser, encoding: TextEncoding? = nil) throws -> (loaded: Loaded, bytes: [UInt8]) {
        let bytes = try FileIO.read(path)
        return (try parse(bytes, name: (path as NSString).lastPathComponent, mode: mode, encoding: encoding), bytes)
    }
}
