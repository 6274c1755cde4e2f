import Foundation
import Testing
import OlleeyKit

// issue 10: the pure parts of the checks at `job create` and of `olleey engines`.
@Suite("subtitle checks at create; engine inventory parsing")
struct SubtitleCheckTests {
    func problems(_ text: String, srt: Bool = false) -> [SubtitleCheck.Problem] {
        SubtitleCheck.timing(bytes: Array(text.utf8), isSRT: srt).problems
    }

    @Test func timingProblemsNameTheirLines() {
        #expect(problems("WEBVTT\n\n1\n00:00:01.000 --> 00:00:02.000\nok\n").isEmpty)
        #expect(problems("WEBVTT\n\n00:00:05.000 --> 00:00:04.000\nBackwards.\n").map(\.line) == [3])
        #expect(problems("WEBVTT\n\n00:00:02.000 --> 00:00:02.000\nEmpty.\n").map(\.line) == [3])
        #expect(problems("WEBVTT\n\n00:00:01.000 --> 00:00:0x.000\nBad.\n\n00:00:03.000 --> 00:00:04.000\nok\n").map(\.line) == [3])
        let order = problems("WEBVTT\n\n00:00:03.000 --> 00:00:04.000\nB\n\n00:00:01.000 --> 00:00:02.000\nA\n")
        #expect(order.map(\.line) == [6] && order[0].message.contains("out of order"))
        // overlapping but in start order is fine
        #expect(problems("WEBVTT\n\n00:00:01.000 --> 00:00:04.000\nA\n\n00:00:02.000 --> 00:00:03.000\nB\n").isEmpty)
        #expect(problems("1\n00:00:01,000 --> 00:00:0x,000\nBad\n", srt: true).map(\.line) == [2])
        #expect(problems("1\n00:00:03,000 --> 00:00:04,000\nB\n\n2\n00:00:01,000 --> 00:00:02,000\nA\n", srt: true).map(\.line) == [6])
        // issue 12: CRLF SRT (what most SRT files are) has no problems, and a bad line is still found
        #expect(problems("1\r\n00:00:01,000 --> 00:00:02,000\r\nA\r\n\r\n2\r\n00:00:03,000 --> 00:00:04,000\r\nB\r\n", srt: true).isEmpty)
        #expect(problems("1\r\n00:00:01,000 --> 00:00:0x,000\r\nBad\r\n", srt: true).map(\.line) == [2])
    }

    @Test func farTooLongIsMoreThanFourTimesTheSlotWithTheSilenceAfterIt() {
        func cue(_ line: Int, _ s: Int, _ e: Int, chars: Int) -> SubtitleCheck.SourceCue {
            SubtitleCheck.SourceCue(line: line, startMs: s, endMs: e, text: String(repeating: "a", count: chars))
        }
        // 175 wpm at 5.5 chars/word: 16.04 chars/s; 1 s slot + 0.9 s of silence = 1.9 s; 4x = 7.6 s = ~122 chars
        let wpm = 175
        #expect(SubtitleCheck.farTooLong([cue(3, 0, 1000, chars: 115), cue(6, 2000, 3000, chars: 1)], mediaDurationMs: nil, wordsPerMinute: wpm).isEmpty)
        let over = SubtitleCheck.farTooLong([cue(3, 0, 1000, chars: 130), cue(6, 2000, 3000, chars: 1)], mediaDurationMs: nil, wordsPerMinute: wpm)
        #expect(over.map(\.line) == [3] && over[0].message.contains("4x"))
        // the last cue may borrow up to the end of the media, when known
        let last = [cue(3, 0, 1000, chars: 200)]
        #expect(!SubtitleCheck.farTooLong(last, mediaDurationMs: nil, wordsPerMinute: wpm).isEmpty)
        #expect(SubtitleCheck.farTooLong(last, mediaDurationMs: 10_000, wordsPerMinute: wpm).isEmpty)
    }

    @Test func refusalIsInvalidWithFileLineColumn() {
        do {
            try SubtitleCheck.refuse([.init(line: 3, column: 1, message: "m1"), .init(line: 9, column: 2, message: "m2")], file: "a.vtt", hint: "h")
            Issue.record("not refused")
        } catch let e as OlleeyError {
            #expect(e.code == .invalid && e.message.hasPrefix("a.vtt:3:1: m1") && e.message.contains("line 9") && e.hint == "h")
        } catch { Issue.record("\(error)") }
        #expect(throws: Never.self) { try SubtitleCheck.refuse([], file: "a.vtt", hint: "h") }
    }

    @Test func apertiumModesBecomePairsEachWay() {
        let modes = ["cat-eng", "cat-eng_US", "en-eo-bytecode", "en-eo", "eng-cat", "eng-cat_valencia", "eng-spa", "eo-en", "eo-en-j", "spa-eng"]
        #expect(EngineInventory.apertiumPairs(modes).map(\.name) == ["ca-en", "en-ca", "en-eo", "en-es", "eo-en", "es-en"])
        #expect(EngineInventory.apertiumPairs(modes).first { $0.name == "en-es" }?.mode == "eng-spa")
    }

    @Test func espeakVoicesAndVariantsParse() {
        let voices = """
        Pty Language       Age/Gender VoiceName          File                 Other Languages
         5  ca              --/M      Catalan            roa/ca
         5  es              --/M      Spanish_(Spain)    roa/es
         5  es-419          --/M      Spanish_(Latin_America) roa/es-419           (es-mx 6)(es 6)
         7  es-es           --/M      spanish-mbrola-1   mb/mb-es1            (es 7)
        """
        let parsed = EspeakSpeaker.parseVoices(voices, mbrola: false)
        #expect(parsed.map(\.language) == ["ca", "es", "es-419"])
        #expect(parsed[2].otherLanguages == ["es-mx", "es"])
        #expect(EspeakSpeaker.parseVoices(voices, mbrola: true).count == 4)
        let variants = "Pty Language       Age/Gender VoiceName          File                 Other Languages\n 5  variant         --/F      female3            !v/f3\n 5  variant         --/M      Adam               !v/adam\n"
        #expect(EspeakSpeaker.parseVariants(variants) == ["f3", "adam"])
    }
}
