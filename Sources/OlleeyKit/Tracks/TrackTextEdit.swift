import Foundation
import WebVTT

extension TrackText {
    /// A whole text's paragraphs (separated by one or more blank lines; CRLF read as LF; the
    /// text's leading and trailing blank lines ignored).
    public static func split(_ text: String) -> [String] {
        let lines = text.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n").components(separatedBy: "\n")
        var out: [String] = []
        var cur: [String] = []
        for l in lines {
            if l.trimmingCharacters(in: .whitespaces).isEmpty {
                if !cur.isEmpty { out.append(cur.joined(separator: "\n")); cur = [] }
            } else { cur.append(l) }
        }
        if !cur.isEmpty { out.append(cur.joined(separator: "\n")) }
        return out
    }

    /// A whole text whose paragraph count is not the track's cue count: nothing is saved.
    public struct CountMismatch: Error, Sendable, CustomStringConvertible {
        public var language: String
        public var cues: Int
        public var paragraphs: Int
        public var description: String {
            "the \(language) track has \(cues) cue(s) but the text has \(paragraphs) paragraph(s): send one paragraph per cue, separated by a blank line"
        }
    }
}

extension TrackService {
    /// A person's edit of a track's whole text, one paragraph per cue in order (`TrackText`):
    /// each changed paragraph replaces its cue's text (WebVTT cue text, validated strictly:
    /// markup is kept as written), timings and ids stay, and a new version is committed through
    /// `commit` as any edit (versioned; a locked track needs `reopen`). A different paragraph
    /// count is `TrackText.CountMismatch` and stores nothing; an unchanged text is no new
    /// version. Returns the current version and the 1-based positions of the cues changed.
    public func editText(job: Job, language: String, text: String, author: String, reopen: Bool) throws -> (version: Int, changed: [Int]) {
        let paragraphs = TrackText.split(text)
        let cur = try current(job: job, language: language)
        var doc = WebVTTParser.parse(cur.content, mode: .browser).document
        guard paragraphs.count == doc.cues.count else {
            throw TrackText.CountMismatch(language: language, cues: doc.cues.count, paragraphs: paragraphs.count)
        }
        var meta = try TrackStore(db).cues(job: job.id, language: language, kind: try kind(job: job, language: language), version: cur)
        var changed: [Int] = []
        for (i, p) in paragraphs.enumerated() {
            let old = doc.cues[i].text.split(separator: "\n", omittingEmptySubsequences: true).joined(separator: "\n")
            guard p != old else { continue }
            if let problem = CueText.validate(p).first {
                throw OlleeyError(.invalid, "paragraph \(i + 1) (cue \(i + 1)) is not valid WebVTT cue text: \(problem.line):\(problem.column): \(problem.message)",
                                  hint: "write '&amp;', '&lt;', '&gt;' for '&', '<', '>'")
            }
            doc.cues[i].text = p
            if meta.count == doc.cues.count { meta[i] = CueAuthorship(author: author, human: !CueAuthorship.isMachine(author)) }
            changed.append(i + 1)
        }
        guard !changed.isEmpty else { return (cur.version, []) }
        let v = try commit(job: job, language: language, content: WebVTTSerializer.serialize(doc), author: author,
                           message: "edited the whole text: cue(s) \(changed.map(String.init).joined(separator: ", "))", reopen: reopen,
                           cues: meta.count == doc.cues.count ? meta : nil)
        return (v, changed)
    }
}
