import Foundation
import Testing
import WebVTT
import OlleeyTestSupport
import OlleeyKit

@Suite("Audio description: gaps and freezes")
struct AudioDescriptionUnitTests {
    func r(_ a: Int, _ b: Int) -> TimeRange { TimeRange(startMs: a, endMs: b) }

    @Test func gapsAreTheTranscriptsFreeStretchesThatAreAlsoQuiet() {
        var o = SpeechGaps.Options()
        o.minGapMs = 1000
        o.marginMs = 100
        let speech = [r(1000, 2500), r(6000, 8000)]
        // without audio: the transcript alone (widened by the margin), long enough ones only
        #expect(SpeechGaps.find(speech: speech, silences: nil, durationMs: 10000, options: o) == [r(2600, 5900), r(8100, 10000)])
        // with audio: only where it is also quiet (a noise at 4-5 s splits the first gap)
        let quiet = [r(0, 4000), r(5000, 9500)]
        #expect(SpeechGaps.find(speech: speech, silences: quiet, durationMs: 10000, options: o) == [r(2600, 4000), r(8100, 9500)])
        // the stretch before the first cue (900 ms) is too short; no speech at all: one gap
        #expect(SpeechGaps.find(speech: [], silences: nil, durationMs: 3000, options: o) == [r(0, 3000)])
        #expect(SpeechGaps.find(speech: speech, silences: [], durationMs: 10000, options: o).isEmpty)
    }

    @Test func ffmpegLogsAreParsed() {
        let log = """
            [silencedetect @ 0x1] silence_start: 0
            [silencedetect @ 0x1] silence_end: 1.03996 | silence_duration: 1.03996
            [silencedetect @ 0x1] silence_start: 2.2011
            [silencedetect @ 0x1] silence_end: 6.06435 | silence_duration: 3.86325
            [silencedetect @ 0x1] silence_start: 21.5
            """
        #expect(SpeechGaps.parseSilences(log, durationMs: 24000) == [r(0, 1040), r(2201, 6064), r(21500, 24000)])
        let level = """
            [Parsed_volumedetect_1 @ 0x2] mean_volume: -30.1 dB
            [Parsed_volumedetect_1 @ 0x2] max_volume: -10.6 dB
            [Parsed_volumedetect_1 @ 0x2] histogram_10db: 20
            [Parsed_volumedetect_1 @ 0x2] histogram_11db: 78
            [Parsed_volumedetect_1 @ 0x2] histogram_15db: 788
            """
        #expect(SpeechGaps.parseSpeechLevel(level) == -15)
        #expect(SpeechGaps.parseSpeechLevel("max_volume: -3.5 dB") == -3.5)
        #expect(SpeechGaps.parseSpeechLevel("nothing") == nil)
    }

    @Test func aFreezeShiftsEverythingAfterItByItsHold() {
        #expect(Freeze.wholeFrames(1, frameMs: 40) == 40)
        #expect(Freeze.wholeFrames(80, frameMs: 40) == 80)
        #expect(Freeze.wholeFrames(81, frameMs: 40) == 120)
        let map = Freeze.timeMap([Freeze(atMs: 6000, holdMs: 1200), Freeze(atMs: 2000, holdMs: 400)], frameMs: 40)
        #expect(map.map(1000) == 1000)
        #expect(map.map(1960) == 1960)
        #expect(map.map(2000) == 2400)
        #expect(map.map(5000) == 5400)
        #expect(map.map(6000) == 7600)
        #expect(map.map(9000) == 10600)
        #expect(map.addedMs == 1600)
    }

    /// Speech (espeak-ng) over a tone that plays throughout: a fixed -60 dB threshold finds no
    /// silence at all, the threshold relative to the speech level finds the pause.
    @Test(.enabled(if: ToolCheck.missing(["ffmpeg", "ffprobe", "espeak-ng"]).isEmpty, "needs ffmpeg and espeak-ng"))
    func aToneUnderTheSpeechDoesNotHideTheGaps() throws {
        let dir = TempDir()
        let p = { (n: String) in dir.path + "/" + n }
        for (n, t) in [("a", "Good morning and welcome."), ("b", "The water is clean.")] {
            var e = Subprocess("espeak-ng", ["-v", "en", "-w", p(n + ".wav"), t])
            e.stdout = .capture(limit: 1 << 16)
            #expect(try e.run().succeeded)
        }
        let ff = try FFmpeg()
        try ff.run(["-f", "lavfi", "-i", "sine=frequency=220:sample_rate=48000:duration=10", "-i", p("a.wav"), "-i", p("b.wav"),
                    "-filter_complex", "[0:a]volume=0.1[bg];[1:a]adelay=500|500[x];[2:a]adelay=6000|6000[y];[bg][x][y]amix=inputs=3:normalize=0[m]",
                    "-map", "[m]", "-ac", "2", "-ar", "48000", p("talk.wav")], what: "test audio")
        let a = try ff.audioDurationMs(p("a.wav")), b = try ff.audioDurationMs(p("b.wav"))
        let speech = [r(500, 500 + a), r(6000, 6000 + b)]
        #expect(try ff.silences(p("talk.wav"), thresholdDb: -60, minMs: 400, durationMs: 10000).isEmpty)
        let found = try ff.speechGaps(p("talk.wav"), hasAudio: true, speech: speech, durationMs: 10000)
        let level = try #require(found.speechLevelDb)
        #expect(level > -30 && (found.thresholdDb ?? 0) < level)
        #expect(found.gaps.count == 2, "\(found)")
        let first = try #require(found.gaps.first)
        #expect(first.startMs >= 500 + a && first.endMs <= 6000 && first.endMs - first.startMs >= 1500, "\(found.gaps)")
    }
}

@Suite("Captions (SDH)")
struct CaptionsTests {
    @Test func speakersAreNamedWhereTheyChangeAndSoundTagsStay() {
        let doc = WebVTTParser.parse("""
            WEBVTT

            00:00:01.000 --> 00:00:02.000
            <v Anna>Hello there.</v>

            00:00:02.500 --> 00:00:03.500
            <v Anna>Still me.

            00:00:04.000 --> 00:00:05.000
            [door slams]

            00:00:05.500 --> 00:00:06.500
            <v.loud Ben Ford>Who's there?</v>
            <v Anna>Me!</v>

            """, mode: .browser).document
        let texts = Captions.sdh(doc).cues.map(\.text)
        #expect(texts == ["<v Anna>Anna: Hello there.</v>", "<v Anna>Still me.", "[door slams]", "<v.loud Ben Ford>Ben Ford: Who's there?</v>\n<v Anna>Anna: Me!</v>"])
        // valid cue text, and a second pass adds nothing
        #expect(texts.allSatisfy { CueText.validate($0).isEmpty })
        #expect(Captions.sdh(Captions.sdh(doc)).cues.map(\.text) == texts)
    }

    @Test func theCaptionsLintProfileIsStricterThanTheDefault() throws {
        let p = try #require(LintProfile.named("captions"))
        #expect(p.maxCharsPerLine == 32 && p.maxLines == 2 && p.limitSeverity == .error)
        let doc = WebVTTParser.parse("WEBVTT\n\n00:00:01.000 --> 00:00:03.000\nThis line is far longer than thirty-two characters.\n", mode: .browser).document
        #expect(!Lint.lint(doc, profile: p).filter { $0.severity == .error }.isEmpty)
        #expect(Lint.lint(doc, profile: .default).filter { $0.severity == .error }.isEmpty)
    }
}
