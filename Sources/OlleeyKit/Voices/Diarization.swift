import Foundation

/// Who speaks when, from a diarizer (`engines.diarize`: a `command` hook or an `http` service,
/// `Diarizers.swift`) given the source's audio as 16 kHz mono WAV. It names the speakers of cues
/// the subtitles do not name (no `<v>` span, no `NAME:` label).
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

    /// A diarizer's answer: JSON (`{"segments": [{"start": s, "end": s, "speaker": "..."}]}`, or
    /// `diarization` for `segments`, or a bare array; seconds; `label` is taken for `speaker`)
    /// when it starts with `{` or `[`, else RTTM or `START END SPEAKER` lines (`parse`). `what`
    /// names who answered, in the errors (65).
    public static func parseAnswer(_ text: String, what: String) throws -> [Turn] {
        let t = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard t.hasPrefix("{") || t.hasPrefix("[") else {
            do { return try parse(text) } catch let e as OlleeyError {
                throw OlleeyError(e.code, "\(what): \(e.message)", hint: "answer JSON {\"segments\": [{\"start\": 0.5, \"end\": 2.0, \"speaker\": \"SPEAKER_00\"}]}, RTTM, or 'START END SPEAKER' lines")
            }
        }
        let doc: JSON
        do { doc = try JSON.parse(t) } catch {
            throw OlleeyError.invalid("\(what) answered invalid JSON: \(error)", hint: "answer {\"segments\": [{\"start\": 0.5, \"end\": 2.0, \"speaker\": \"SPEAKER_00\"}]}")
        }
        return try parse(json: doc, what: what)
    }

    /// The JSON form of `parseAnswer`.
    public static func parse(json doc: JSON, what: String) throws -> [Turn] {
        guard let items = doc.arrayValue ?? doc["segments"]?.arrayValue ?? doc["diarization"]?.arrayValue else {
            throw OlleeyError.invalid("\(what) answered JSON without a segments array (keys: \(doc.fieldNames.prefix(8).joined(separator: ", ")))",
                                      hint: "answer {\"segments\": [{\"start\": 0.5, \"end\": 2.0, \"speaker\": \"SPEAKER_00\"}]} or a bare array of such segments")
        }
        return try items.enumerated().map { n, s in
            let start = s["start"]?.doubleValue, end = s["end"]?.doubleValue
            let speaker = SpeakerName.display(s["speaker"]?.stringValue ?? s["label"]?.stringValue ?? "")
            guard let start, let end, start.isFinite, end.isFinite, start >= 0, end >= start, !speaker.isEmpty else {
                throw OlleeyError.invalid("\(what) answered a segment (\(n + 1)) without start and end seconds (0 <= start <= end) and a speaker name: \(s.encoded().prefix(120))",
                                          hint: "each segment: {\"start\": 0.5, \"end\": 2.0, \"speaker\": \"SPEAKER_00\"}")
            }
            return Turn(startMs: Int((start * 1000).rounded()), endMs: Int((end * 1000).rounded()), speaker: speaker)
        }
    }

    /// Turns as `START END SPEAKER` lines (seconds, to the millisecond), which `parse` reads back.
    public static func serialize(_ turns: [Turn]) -> String {
        turns.map { "\(FFmpeg.seconds($0.startMs)) \(FFmpeg.seconds($0.endMs)) \(SpeakerName.display($0.speaker))\n" }.joined()
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
