import Testing
import WebVTT

/// A bounded, seeded mutation fuzz of every reader: no input crashes any of them (WebVTT, SRT,
/// TTML, ASS, SBV), and `fmt` is a fixed point: writing what a reader read, then reading and
/// writing that again, gives the same bytes (as WebVTT, and as SRT). A few thousand mutations,
/// well under a second or two; the seed is fixed so a failure reproduces.
@Suite struct ReaderFuzzTests {
    /// xorshift64*: deterministic, seeded.
    struct Rng {
        var s: UInt64
        mutating func next() -> UInt64 { s ^= s >> 12; s ^= s << 25; s ^= s >> 27; return s &* 2685821657736338717 }
        mutating func below(_ n: Int) -> Int { Int(next() % UInt64(max(1, n))) }
    }

    static let seeds: [String] = [
        "WEBVTT\n\nREGION\nid:r\nlines:3\n\n1\n00:00:01.000 --> 00:00:02.000 region:r line:0\n<v Anna>Hi <i>there</i> &amp; you</v>\n\nNOTE x\n\n00:01.000 --> 00:03.000\n<c.yellow>b</c><00:00:02.000>k\n",
        "1\r\n00:00:01,000 --> 00:00:02,000\r\n<i>Hello</i> {\\an8}<font color=\"red\">x</font> <s>y</s>\\Nz\r\n\r\n2\r\n00:00:03,000 --> 00:00:04,500\r\n{Y:i}a & b\r\n\r\n3\r\n",
        "<?xml version=\"1.0\"?>\n<tt xmlns=\"http://www.w3.org/ns/ttml\" xmlns:tts=\"http://www.w3.org/ns/ttml#styling\" xmlns:ttp=\"http://www.w3.org/ns/ttml#parameter\" ttp:frameRate=\"25\"><head><styling><style xml:id=\"s\" tts:fontStyle=\"italic\"/></styling></head><body><div><p begin=\"00:00:01.000\" end=\"00:00:02:10\">a<br/><span style=\"s\">b</span></p><p begin=\"3s\" dur=\"500ms\">c &amp; d</p></div></body></tt>\n",
        "[Script Info]\nScriptType: v4.00+\n\n[Events]\nFormat: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text\nDialogue: 0,0:00:01.00,0:00:02.50,Default,Anna,0,0,0,,Hello, {\\i1}world{\\i0}!\\Nnext\nDialogue: 0,0:00:03.00,0:00:04.00,Default,,0,0,0,,{\\b1\\pos(1,2)}x\\hy\n",
        "0:00:01.000,0:00:02.000\nFirst.\n\n0:00:03.000,0:00:04.000\nSecond[br]line\n",
    ]

    /// Bytes that matter to the readers, mutated in more often than random ones.
    static let interesting: [UInt8] = Array("\n\r\0<>&;:,.-{}\\[]/ \"'=0123456789NiIbyY".utf8) + [0xFF, 0xFE, 0xEF, 0xBB, 0xBF, 0xC3, 0x80]

    static func mutate(_ input: [UInt8], _ rng: inout Rng) -> [UInt8] {
        var b = input
        for _ in 0..<(1 + rng.below(4)) {
            let at = rng.below(b.count + 1)
            switch rng.below(6) {
            case 0: if at < b.count { b.remove(at: at) }
            case 1: b.insert(interesting[rng.below(interesting.count)], at: at)
            case 2: if at < b.count { b[at] = UInt8(truncatingIfNeeded: rng.next()) }
            case 3: if at < b.count { b[at] = interesting[rng.below(interesting.count)] }
            case 4: // duplicate a slice
                let len = rng.below(24)
                if at + len <= b.count { b.insert(contentsOf: Array(b[at..<(at + len)]), at: at) }
            default: // cut a slice
                let len = rng.below(16)
                if at + len <= b.count { b.removeSubrange(at..<(at + len)) }
            }
        }
        return b
    }

    /// One input through every reader, and the fixed-point checks on what each read.
    static func check(_ input: [UInt8]) -> String? {
        for format in SubtitleFormat.allCases {
            let doc = format.read(TextEncoding.utf8Bytes(input).bytes).document
            let vtt = WebVTTSerializer.serialize(doc)
            let again = WebVTTSerializer.serialize(WebVTTParser.parse(vtt).document)
            if again != vtt { return "\(format) -> WebVTT is not a fixed point:\n\(vtt.debugDescription)\n\(again.debugDescription)" }
            let srt = SRT.serialize(doc)
            let srtAgain = SRT.serialize(SRT.parse(srt).document)
            if srtAgain != srt { return "\(format) -> SRT is not a fixed point:\n\(srt.debugDescription)\n\(srtAgain.debugDescription)" }
        }
        return nil
    }

    @Test func noInputCrashesAReaderAndFmtIsAFixedPoint() {
        var rng = Rng(s: 0x0113_2026_F00D)
        var failures: [String] = []
        for seed in Self.seeds {
            if let f = Self.check(Array(seed.utf8)) { failures.append("seed: " + f) }
        }
        for i in 0..<3000 {
            let seed = Array(Self.seeds[i % Self.seeds.count].utf8)
            let input = Self.mutate(seed, &rng)
            if let f = Self.check(input), failures.count < 5 { failures.append("mutation \(i) of \(Array(input).debugDescription): " + f) }
        }
        #expect(failures.isEmpty, "\(failures.joined(separator: "\n\n"))")
    }
}
