import Foundation

/// Who speaks when, from a diarization hook (setting `engines.diarize.command`: a template with
/// `{input}`, the source's audio as 16 kHz mono WAV, and `{output}`, the file it writes). It
/// names the speakers of cues the subtitles do not name (no `<v>` span, no `NAME:` label).
public enum Diarization {
    /// One speaker's turn.
    public struct Turn: Sendable, Equatable {
        public var startMs: Int
        public var endMs: Int
        public var speaker: String
        public init(startMs: Int, endMs: Int, speaker: String) { self.startMs = startMs; self.endMs = endMs; self.speaker = speaker }
    }

    /// RTTM lines (`SPEAKER file 1 START DURATION <NA> <NA> NAME <NA> <NA>`, what pyannote and
    /// most diarizers write) or `START END NAME` lines (seconds; a name may hold spaces). Blank
    /// lines and `#` comments are skipped; any other line is bad output (65, with its number).
    public static func parse(_ text: String) throws -> [Turn] {
        var out: [Turn] = []
        for (n, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty || line.hasPrefix("#") { continue }
            let f = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            var turn: Turn?
            if f.first == "SPEAKER", f.count >= 8, let s = Double(f[3]), let d = Double(f[4]) {
                turn = Turn(startMs: Int((s * 1000).rounded()), endMs: Int(((s + d) * 1000).rounded()), speaker: f[7])
            } else if f.count >= 3, let s = Double(f[0]), let e = Double(f[1]) {
                turn = Turn(startMs: Int((s * 1000).rounded()), endMs: Int((e * 1000).rounded()), speaker: f[2...].joined(separator: " "))
            }
            guard let t = turn, t.endMs >= t.startMs, t.startMs >= 0, !SpeakerName.display(t.speaker).isEmpty else {
                throw OlleeyError.invalid("diarization output line \(n + 1) is neither RTTM nor 'START END SPEAKER': \(line.prefix(80))",
                                          hint: "write RTTM, or one 'START END SPEAKER' line per turn (seconds)")
            }
            out.append(t)
        }
        return out
    }

    /// For each cue, the speaker whose turns overlap it most (nil: none overlaps).
    public static func assign(_ cues: [(startMs: Int, endMs: Int)], turns: [Turn]) -> [String?] {
        cues.map { c in
            var overlap: [String: Int] = [:]
            for t in turns {
                let o = min(c.endMs, t.endMs) - max(c.startMs, t.startMs)
                if o > 0 { overlap[t.speaker, default: 0] += o }
            }
            return overlap.max { ($0.value, $1.key) < ($1.value, $0.key) }?.key
        }
    }

    /// The registry name of a diarizer's label: a name (`Ana`, from a diarizer that identifies
    /// enrolled people) as it is; an anonymous label (`SPEAKER_00`, `spk1`) is one person of one
    /// video only, so it is named with the video (`SPEAKER_00 of 1a2b3c4d`), never shared
    /// between videos.
    public static func name(_ label: String, video sha256: String) -> String {
        let l = SpeakerName.display(label).replacingOccurrences(of: ":", with: " ").replacingOccurrences(of: "=", with: " ")
        let lower = l.lowercased()
        for p in ["speaker", "spk"] where lower.hasPrefix(p) {
            let rest = lower.dropFirst(p.count).drop { $0 == "_" || $0 == "-" || $0 == " " }
            if !rest.isEmpty && rest.allSatisfy(\.isNumber) { return "\(l) of \(sha256.prefix(8))" }
        }
        return l
    }
}
