import Foundation
import WebVTT

/// The checks `job create` (and `--dry-run`) makes on provided subtitles before anything is
/// created, so bad input is refused at the door (65, `file:line:col`, a hint) rather than found
/// at the end of a run:
/// - a timing line that does not parse (the parsers drop such a cue without a word);
/// - a cue that ends before (or when) it starts;
/// - cues out of start-time order: refused, not sorted (sorting would renumber the cues a
///   person refers to, and silently change the file they gave);
/// - a cue far too long for its slot: predicted speech longer than `farTooLongFactor` times
///   the time it may take (its own time plus the silence after it that the fitter may borrow).
///   Overflow below that is fitted and reported, as before.
public enum SubtitleCheck {
    /// Speech predicted longer than this multiple of a cue's slot is refused at create.
    public static let farTooLongFactor = 4.0
    /// Average characters per word (spaces included) used to turn words per minute into
    /// characters per second when predicting speech length from text.
    public static let charsPerWord = 5.5

    /// One cue of a provided subtitle file, with where it is in that file.
    public struct SourceCue: Sendable, Equatable {
        public var line: Int
        public var startMs: Int
        public var endMs: Int
        public var text: String

        public init(line: Int, startMs: Int, endMs: Int, text: String) {
            self.line = line; self.startMs = startMs; self.endMs = endMs; self.text = text
        }
    }

    /// One refused deviation.
    public struct Problem: Sendable, Equatable {
        public var line: Int
        public var column: Int
        public var message: String

        public init(line: Int, column: Int, message: String) { self.line = line; self.column = column; self.message = message }
    }

    /// Reads and checks the timing of a subtitle file (any format `SubtitleLoader` reads); returns
    /// its cues with their lines. Throws `.invalid` (65) naming the first problem as `file:line:col`.
    public static func timing(path: String) throws -> [SourceCue] {
        let bytes = TextEncoding.utf8Bytes(try FileIO.read(path)).bytes
        let name = (path as NSString).lastPathComponent
        let format = SubtitleFormat.sniff(bytes, fileName: path)
        let (cues, problems) = format == .webvtt || format == .srt
            ? timing(bytes: bytes, isSRT: format == .srt) : timing(cues: format.read(bytes).document.cues)
        try refuse(problems, file: name, hint: "fix the timing lines; cues must be in start-time order, each ending after it starts", next: [.command("vtt lint", [name])])
        return cues
    }

    static func isSRT(path: String, bytes: [UInt8]) -> Bool {
        SubtitleFormat.sniff(bytes, fileName: path) == .srt
    }

    /// The timing problems of a file's bytes (pure: for tests and for `timing(path:)`).
    public static func timing(bytes: [UInt8], isSRT: Bool) -> (cues: [SourceCue], problems: [Problem]) {
        var problems: [Problem] = []
        let cues: [Cue]
        if isSRT {
            let (doc, _) = SRT.parse(bytes)
            cues = doc.cues
            // a line with '-->' that no cue took as its timing line: a timestamp that did not parse
            let timingLines = Set(doc.cues.map(\.line))
            let text = String(decoding: bytes, as: UTF8.self)
            // lines as the SRT parser counts them: CRLF, LF or CR ("\r\n" is one Character, so
            // splitting on "\n" alone would leave a CRLF file as one line and refuse it)
            for (i, l) in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" }).enumerated()
            where l.contains("-->") && !timingLines.contains(i + 1) {
                problems.append(Problem(line: i + 1, column: 1, message: "the timing line does not parse; the cue would be dropped"))
            }
        } else {
            let r = WebVTTParser.parse(bytes, mode: .strict)
            cues = r.document.cues
            for d in r.diagnostics where ["invalid_timestamp", "invalid_timing_line"].contains(d.code) {
                problems.append(Problem(line: d.line, column: d.column, message: d.message))
            }
        }
        let checked = timing(cues: cues)
        return (checked.cues, (problems + checked.problems).sorted { ($0.line, $0.column) < ($1.line, $1.column) })
    }

    /// The order and length problems of parsed cues.
    static func timing(cues: [Cue]) -> (cues: [SourceCue], problems: [Problem]) {
        var problems: [Problem] = []
        var out: [SourceCue] = []
        var previous: Cue?
        for (i, c) in cues.enumerated() {
            let label = c.id.isEmpty ? "cue \(i + 1)" : "cue '\(c.id)'"
            if c.endMs <= c.startMs {
                problems.append(Problem(line: c.line, column: 1, message: "\(label) ends at or before its start (\(Timestamp.format(c.endMs)) <= \(Timestamp.format(c.startMs)))"))
            }
            if let p = previous, c.startMs < p.startMs {
                problems.append(Problem(line: c.line, column: 1, message: "\(label) starts before the cue above it (line \(p.line), at \(Timestamp.format(p.startMs))): cues out of order"))
            }
            previous = c
            out.append(SourceCue(line: c.line, startMs: Int(c.startMs), endMs: Int(c.endMs), text: CueText.plainText(c.text)))
        }
        problems.sort { ($0.line, $0.column) < ($1.line, $1.column) }
        return (out, problems)
    }

    /// Speech predicted from text at `wordsPerMinute`: characters (as the fitter counts them)
    /// at `charsPerWord` characters per word.
    public static func predictedSpeechMs(_ text: String, wordsPerMinute: Int) -> Int {
        let cps = Double(max(1, wordsPerMinute)) / 60 * charsPerWord
        return FitPlanner.predictedNaturalMs(text: text, charsPerSecond: cps)
    }

    /// The cues whose predicted speech is longer than `farTooLongFactor` times their slot: the
    /// cue's own time plus the silence after it up to the next cue's start (or the end of the
    /// media, when known) less the fitter's gap.
    public static func farTooLong(_ cues: [SourceCue], mediaDurationMs: Int?, wordsPerMinute: Int,
                                  gapMs: Int = FitOptions().gapMs) -> [Problem] {
        var problems: [Problem] = []
        for (i, c) in cues.enumerated() {
            let own = max(0, c.endMs - c.startMs)
            let next = i + 1 < cues.count ? cues[i + 1].startMs : mediaDurationMs
            let slot = max(own, (next ?? c.endMs) - gapMs - c.startMs)
            guard slot > 0 else { continue }  // an empty cue is refused by `timing`
            let speech = predictedSpeechMs(c.text, wordsPerMinute: wordsPerMinute)
            if Double(speech) > farTooLongFactor * Double(slot) {
                problems.append(Problem(line: c.line, column: 1, message: String(
                    format: "cue %ld is far too long for its slot: about %.1f s of speech (%ld characters) for %.1f s, more than %gx",
                    i + 1, Double(speech) / 1000, FitPlanner.characterCount(c.text), Double(slot) / 1000, farTooLongFactor)))
            }
        }
        return problems
    }

    /// Throws the first problem as `.invalid` with `file:line:col`, counting the others.
    public static func refuse(_ problems: [Problem], file: String, hint: String, next: [NextAction] = []) throws {
        guard let first = problems.first else { return }
        let more = problems.count > 1 ? " (and \(problems.count - 1) more problem\(problems.count > 2 ? "s" : ""): " +
            problems.dropFirst().prefix(3).map { "line \($0.line)" }.joined(separator: ", ") + (problems.count > 4 ? ", ..." : "") + ")" : ""
        throw OlleeyError(.invalid, "\(file):\(first.line):\(first.column): \(first.message)\(more)", hint: hint, next: next)
    }
}
