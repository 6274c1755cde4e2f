import Foundation
import WebVTT

extension TrackService {
    /// A person's subtitle file (any format `SubtitleLoader` reads) as a new version of a job's
    /// track, as `vtt import` does: a file that does not parse, or whose timing is broken, is
    /// refused (`invalid`, naming `name:line:col`) and nothing is stored. `name` is the file's
    /// name as its author knows it (an upload's own file name).
    public func importFile(job: Job, language raw: String, bytes: [UInt8], name: String, author: String, reopen: Bool) throws -> (language: String, version: Int, cues: Int) {
        let language = try Language.validate(raw).code
        let utf8 = TextEncoding.utf8Bytes(bytes).bytes
        let format = SubtitleFormat.sniff(utf8, fileName: name)
        let loaded = try SubtitleLoader.parse(bytes, name: name)
        if format == .webvtt || format == .srt {
            let (_, problems) = SubtitleCheck.timing(bytes: utf8, isSRT: format == .srt)
            try SubtitleCheck.refuse(problems, file: name, hint: "fix the timing lines; cues must be in start-time order, each ending after it starts")
        }
        guard !loaded.document.cues.isEmpty else { throw OlleeyError.invalid("\(name): no cues") }
        let v = try importTrack(job: job, language: language, document: loaded.document, author: author, message: "imported \(name)", reopen: reopen)
        return (language, v, loaded.document.cues.count)
    }
}
