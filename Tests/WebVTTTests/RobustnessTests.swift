import Testing
import WebVTT

/// A small deterministic PRNG (SplitMix64), so fuzz runs are reproducible.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

@Suite("Robustness")
struct RobustnessTests {
    static let seedFile = Array("""
    WEBVTT - seed

    REGION
    id:r width:40% lines:3 regionanchor:0%,100% viewportanchor:10%,90% scroll:up

    STYLE
    ::cue(.a) { color: red }

    NOTE hello

    1
    00:00:01.000 --> 00:00:02.000 region:r align:start line:-1,end position:10%,line-left size:50% vertical:rl
    <v Bob><i.x>Hi</i> &amp; &lt; <ruby>a<rt>b</rt></ruby> <00:00:01.500><lang en>x</lang>

    00:00:02.000 --> 00:00:03.000
    two

    """.utf8)

    /// Runs everything the library offers on `bytes`; any crash fails the whole test run.
    static func exercise(_ bytes: [UInt8]) {
        for mode in ParseMode.allCases {
            let r = WebVTTParser.parse(bytes, mode: mode)
            let out = WebVTTSerializer.serializeBytes(r.document)
            // What we write, we read back to the same cues.
            let again = WebVTTParser.parse(out)
            if !r.rejected {
                #expect(again.document.cues.count == r.document.cues.count)
            }
            _ = WebVTTJSON.encode(r)
            for c in r.document.cues.prefix(50) { _ = CueText.parse(c.text); _ = CueText.plainText(c.text) }
        }
        let doc = WebVTTParser.parse(bytes).document
        _ = Lint.lint(doc, profile: LintProfile.default)
        _ = Lint.fix(doc, profile: LintProfile.default)
        _ = Timing.shift(doc, byMs: -1000)
        _ = CueDiff.diff(doc, Timing.shift(doc, byMs: 10))
        _ = TTMLExport.export(doc, profile: .imsc1)
        _ = SRT.parse(bytes)
        _ = SRT.serialize(doc)
    }

    @Test("deterministic fuzz: random bytes and mutations of a valid file")
    func fuzz() {
        var rng = SplitMix64(seed: 0xC0FFEE)
        let alphabet = Array("WEBVTT-->:.,%<>/&;#0123456789 \t\n\rNOTESTYLREGIONabcvirtulang".utf8)
        let start = ContinuousClock.now
        var iterations = 0
        while ContinuousClock.now - start < .seconds(3) {
            var bytes: [UInt8]
            switch rng.next() % 3 {
            case 0:
                let n = Int(rng.next() % 400)
                bytes = (0..<n).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
                if rng.next() % 2 == 0 { bytes = Array("WEBVTT\n\n".utf8) + bytes }
            case 1:
                let n = Int(rng.next() % 600)
                bytes = Array("WEBVTT\n".utf8) + (0..<n).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] }
            default:
                bytes = Self.seedFile
                let edits = 1 + Int(rng.next() % 8)
                for _ in 0..<edits where !bytes.isEmpty {
                    let at = Int(rng.next() % UInt64(bytes.count))
                    switch rng.next() % 4 {
                    case 0: bytes[at] = UInt8(truncatingIfNeeded: rng.next())
                    case 1: bytes.remove(at: at)
                    case 2: bytes.insert(alphabet[Int(rng.next() % UInt64(alphabet.count))], at: at)
                    default:
                        let len = min(bytes.count - at, Int(rng.next() % 40))
                        bytes.insert(contentsOf: bytes[at..<(at + len)], at: at)
                    }
                }
            }
            Self.exercise(bytes)
            iterations += 1
        }
        #expect(iterations > 50)
    }

    @Test("one 20 MB line parses in linear time")
    func hugeLine() {
        var bytes = Array("WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n".utf8)
        bytes.append(contentsOf: repeatElement(UInt8(ascii: "a"), count: 20_000_000))
        let clock = ContinuousClock()
        let t = clock.measure {
            let r = WebVTTParser.parse(bytes)
            #expect(r.document.cues.first?.text.utf8.count == 20_000_000)
            #expect(WebVTTSerializer.serializeBytes(r.document).count == bytes.count)
        }
        #expect(t < .seconds(10))
        // A huge header line, a huge settings string and a huge timestamp digit run.
        let header = Array("WEBVTT ".utf8) + Array(repeatElement(UInt8(ascii: "x"), count: 5_000_000))
        #expect(!WebVTTParser.parse(header).rejected)
        let digits = Array("WEBVTT\n\n".utf8) + Array(repeatElement(UInt8(ascii: "9"), count: 5_000_000)) + Array(":00.000 --> 00:01.000\nx\n".utf8)
        #expect(WebVTTParser.parse(digits).document.cues.isEmpty)
        let settings = Array("WEBVTT\n\n00:00.000 --> 00:01.000 ".utf8) + Array(repeatElement(UInt8(ascii: "a"), count: 5_000_000)) + [0x0A]
        #expect(WebVTTParser.parse(settings, mode: .strict).document.cues.count == 1)
    }

    @Test("a million cues, binary garbage, nested tags")
    func bigInputs() {
        var s = "WEBVTT\n\n"
        s.reserveCapacity(40_000_000)
        for i in 0..<1_000_000 {
            s += "\(Timestamp.format(Int64(i) * 10)) --> \(Timestamp.format(Int64(i) * 10 + 5))\nx\n\n"
        }
        let r = WebVTTParser.parse(s)
        #expect(r.document.cues.count == 1_000_000)
        let lint = Lint.lint(r.document, profile: LintProfile.default)
        #expect(lint.count >= 1_000_000)
        var rng = SplitMix64(seed: 42)
        let garbage = (0..<2_000_000).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        let g = WebVTTParser.parse(Array("WEBVTT\n".utf8) + garbage, mode: .strict)
        #expect(g.diagnostics.count <= WebVTTParser.defaultMaxDiagnostics + 1)
        #expect(WebVTTParser.parse(garbage).rejected)
        let nested = "WEBVTT\n\n00:00.000 --> 00:01.000\n" + String(repeating: "<b><i>", count: 200_000) + "x\n"
        let n = WebVTTParser.parse(nested, mode: .strict)
        #expect(CueText.plainText(n.document.cues[0].text) == "x")
        _ = TTMLExport.export(n.document, profile: .ebuttd)
    }

    @Test("pathological inputs stay linear")
    func pathological() {
        let clock = ContinuousClock()
        let t = clock.measure {
            let lt = String(repeating: "<", count: 1_000_000)
            _ = SRT.parse("1\n00:00:01,000 --> 00:00:02,000\n" + lt + "\n")
            _ = SRT.parse("1\n00:00:01,000 --> 00:00:02,000\n" + String(repeating: "{\\", count: 300_000) + "\n")
            let tags = String(repeating: "<1", count: 500_000)
            let doc = WebVTTParser.parse("WEBVTT\n\n00:00.000 --> 00:01.000\n" + tags + "\n").document
            #expect(Timing.shift(doc, byMs: 5).cues.count == 1)
            let amps = String(repeating: "&a", count: 1_000_000)
            let d2 = WebVTTParser.parse("WEBVTT\n\n00:00.000 --> 00:01.000\n" + amps + "\n").document
            #expect(Lint.lint(d2, profile: LintProfile.default).contains { $0.rule == .lineLength })
            var many = "WEBVTT\n\n"
            for i in 0..<20_000 { many += "REGION\nid:r\(i % 7)\n\nNOTE n\n\n" }
            for i in 0..<20_000 { many += "00:00.000 --> 00:01.000 region:r\(i % 7)\nx\n\n" }
            let r = WebVTTParser.parse(many, mode: .strict)
            #expect(r.document.cues.count == 20_000)
            _ = TTMLExport.export(r.document, profile: .imsc1)
        }
        #expect(t < .seconds(20))
    }
}
