import Foundation
import Testing
import OlleeyKit
import WebVTT
import OlleeyTestSupport

// Cue text through translation engines (which see plain text only) and speech engines.

/// A deterministic stand-in translator for tests: upper-cases every word except placeholders
/// and prefixes "T:"; counts the cues it was asked to translate.
final class StandInUppercaseTranslator: Translator, @unchecked Sendable {
    let name = "standin"
    private let lock = NSLock()
    private var asked: [String] = []
    var askedTexts: [String] { lock.lock(); defer { lock.unlock() }; return asked }
    func version(from source: String, to target: String) throws -> String { "standin 1" }
    func preflight(sourceLang: String, targetLangs: [String]) throws {}
    func translate(_ cues: [TextCue], from source: String, to target: String, cancel: CancelToken) throws -> [TextCue] {
        lock.lock(); asked += cues.map(\.text); lock.unlock()
        return cues.map { TextCue(id: $0.id, text: "T: " + $0.text.uppercased()) }
    }
}

@Suite("cue text for engines")
struct EngineTextTests {
    func roundTrip(_ text: String, _ translate: (String) -> String = { $0 }, width: Int = 42) -> (texts: [String], out: String) {
        let t = TranslatableCue(text)
        return (t.texts, t.rebuild(t.texts.map(translate), maxCharsPerLine: width, maxLines: 2))
    }

    @Test("character references are decoded for the engine and escaped in the answer")
    func escaping() {
        let r = roundTrip("Tom &amp; Jerry say 3 &lt; 5\nand 7 &gt; 2.")
        #expect(r.texts == ["Tom & Jerry say 3 < 5 and 7 > 2."])
        #expect(r.out == "Tom &amp; Jerry say\n3 &lt; 5 and 7 &gt; 2.")
        #expect(CueText.validate(r.out).isEmpty)
        #expect(CueText.plainText(r.out) == "Tom & Jerry say\n3 < 5 and 7 > 2.")
    }

    @Test("markup is kept around the translated words; engines see placeholders, never tags")
    func markup() {
        let r = roundTrip("<i>Welcome</i> to our channel.", { $0.replacingOccurrences(of: "Welcome", with: "Bienvenido").replacingOccurrences(of: "to our channel", with: "a nuestro canal") })
        #expect(!r.texts[0].contains("<"))
        #expect(r.out == "<i>Bienvenido</i> a nuestro canal.")
        let whole = roundTrip("<v Bob><i>Hello there</i></v>")
        #expect(whole.texts == ["Hello there"])
        #expect(whole.out == "<v Bob><i>Hello there</i></v>")
        let inner = roundTrip("Say <b>yes</b>, <c.loud>now</c>!")
        #expect(inner.out == "Say <b>yes</b>, <c.loud>now</c>!")
        // an engine that loses a placeholder: the tag still wraps the translation, never lost
        let t = TranslatableCue("Say <b>yes</b> now")
        let lost = t.rebuild(["Di sí ahora"])
        #expect(lost == "<b>Di sí ahora</b>")
        #expect(CueText.validate(lost).isEmpty)
    }

    @Test("dialogue dashes: each turn is translated alone and keeps its dash and line")
    func dialogue() {
        let r = roundTrip("- Really?\n- Yes, really.", { $0.uppercased() })
        #expect(r.texts == ["Really?", "Yes, really."])
        #expect(r.out == "- REALLY?\n- YES, REALLY.")
        let cont = roundTrip("- Are you coming\nwith us?\n- No.")
        #expect(cont.texts == ["Are you coming with us?", "No."])
        #expect(cont.out == "- Are you coming\nwith us?\n- No.")
    }

    @Test("re-wrap: the source's line count in balanced lines, more lines only past the profile's width")
    func rewrap() {
        let two = roundTrip("one two three\nfour five six", { _ in "uno dos tres cuatro cinco seis siete" })
        #expect(two.out.split(separator: "\n").count == 2)
        let lines = two.out.split(separator: "\n").map(\.count)
        #expect(abs(lines[0] - lines[1]) <= 6)
        let one = roundTrip("Short line.", { _ in "A much longer translated line that cannot fit in one" }, width: 30)
        #expect(one.out.split(separator: "\n").count == 2)
        #expect(one.out.split(separator: "\n").allSatisfy { $0.count <= 30 })
        #expect(roundTrip("Short line.", { _ in "Corta." }).out == "Corta.")
    }

    @Test("speech text: no markup, speaker labels, [sound tags], dashes or notes")
    func speech() {
        #expect(SpeechText.of("<v Bob>Hello</v> [laughs] there") == "Hello there")
        #expect(SpeechText.of("- JOHN: Come here.\n- MARY: No! (SIGHS)") == "Come here. No!")
        #expect(SpeechText.of("♪ La la la ♪") == "La la la")
        #expect(SpeechText.of("Tom &amp; Jerry (the cat and mouse)") == "Tom & Jerry (the cat and mouse)")
        #expect(SpeechText.of("[MUSIC]") == "")
        #expect(SpeechText.of("Time: 10:30") == "Time: 10:30")
    }
}

@Suite("re-translation never overwrites a person's cue")
struct TrackTranslationTests {
    static let src1 = "WEBVTT\n\n1\n00:00:01.000 --> 00:00:02.000\nOne\n\n2\n00:00:03.000 --> 00:00:04.000\nTwo\n\n3\n00:00:05.000 --> 00:00:06.000\nThree\n\n4\n00:00:07.000 --> 00:00:08.000\nFour\n"

    func setUp(_ t: TempDir) throws -> (Database, Job, StandInUppercaseTranslator) {
        let (ws, _) = try TestStore.initialize(at: t.path)
        let db = try ws.open()
        let now = Clock.nowISO()
        let job = Job(id: ID.uuid7(), source: "/v.mp4", sourceName: "v.mp4", sourceLang: "en", videoId: nil, status: .queued, stage: nil,
                      options: JobOptions(targetLanguages: ["es"]), projectId: nil, channelId: nil, error: nil, errorStage: nil,
                      paused: false, cancelRequested: false, createdAt: now, updatedAt: now, startedAt: nil, completedAt: nil)
        try JobStore(db).insert(job)
        try TrackStore(db).add(job: job.id, language: "en", kind: .source, content: Self.src1, author: "ana", message: "m")
        return (db, job, StandInUppercaseTranslator())
    }

    /// What the pipeline does: translate against the current source, store, remember the source.
    func run(_ db: Database, _ job: Job, _ tr: StandInUppercaseTranslator, force: TrackTranslation.Force = .none) throws -> TranslationResult {
        guard let source = try TrackStore(db).current(job: job.id, language: "en", kind: .source) else { throw OlleeyError.failure("no source") }
        let r = try TrackTranslation(db).translate(job: job, language: "es", source: source, translator: tr, force: force)
        try TrackStore(db).add(job: job.id, language: "es", kind: .translation, content: r.content, author: "olleey/standin", message: "t", cues: r.cues, dropped: r.dropped)
        _ = try db.run("UPDATE job_languages SET source_sha = ? WHERE job_id = ? AND language = ?", [.text(source.sha256), .text(job.id), .text("es")])
        return r
    }

    func texts(_ db: Database, _ job: Job) throws -> [String] {
        let v = try TrackService(db).current(job: job, language: "es")
        return WebVTTParser.parse(v.content, mode: .browser).document.cues.map(\.text)
    }

    @Test("only changed source cues are translated; a person's cue survives and turns stale; a deleted one is reported")
    func humanWorkSurvives() throws {
        let t = TempDir()
        let (db, job, tr) = try setUp(t)
        let first = try run(db, job, tr)
        #expect(first.translated == ["1", "2", "3", "4"])
        #expect(try texts(db, job) == ["T: ONE", "T: TWO", "T: THREE", "T: FOUR"])
        let svc = TrackService(db)
        // a linguist edits Spanish cue 2 and cue 4; someone edits English cues 2 and 3 and deletes 4
        _ = try svc.editCue(job: job, language: "es", cue: "2", text: "Dos, por una persona", author: "lin@x", message: nil, reopen: false)
        _ = try svc.editCue(job: job, language: "es", cue: "4", text: "Cuatro", author: "lin@x", message: nil, reopen: false)
        let src2 = "WEBVTT\n\n1\n00:00:01.000 --> 00:00:02.000\nOne\n\n2\n00:00:03.000 --> 00:00:04.000\nTwo, edited\n\n3\n00:00:05.000 --> 00:00:06.000\nThree, edited\n"
        _ = try svc.commit(job: job, language: "en", content: src2, author: "ed@x", message: "edit")
        let second = try run(db, job, tr)
        #expect(second.translated == ["3"])  // machine cue whose source changed; cue 1 unchanged
        #expect(try texts(db, job) == ["T: ONE", "Dos, por una persona", "T: THREE, EDITED"])
        #expect(second.stale == ["2"])
        #expect(second.dropped.map(\.text) == ["Cuatro"])
        let (_, meta) = try svc.currentCues(job: job, language: "es")
        #expect(meta.map(\.author) == ["olleey/standin", "lin@x", "olleey/standin"])
        #expect(meta.map(\.stale) == [false, true, false])
        #expect(try svc.attention(job: job)["es"]?.stale == ["2"])
        #expect(try svc.attention(job: job)["es"]?.dropped.first?.author == "lin@x")
        // the history keeps the dropped cue
        #expect(try svc.history(job: job, language: "es").contains { $0.dropped == 1 })
        // a run with no source change translates nothing
        #expect(try run(db, job, tr).translated.isEmpty)
        // re-translation on request (the stale cue), and then it is the machine's again
        let third = try run(db, job, tr, force: .stale)
        #expect(third.translated == ["2"])
        #expect(try texts(db, job)[1] == "T: TWO, EDITED")
        #expect(try svc.currentCues(job: job, language: "es").cues.allSatisfy { !$0.stale && !$0.human })
    }

    @Test("an imported track is a person's: a re-run after a source edit keeps it")
    func importedTrack() throws {
        let t = TempDir()
        let (db, job, tr) = try setUp(t)
        let es = "WEBVTT\n\n1\n00:00:01.000 --> 00:00:02.000\nUno\n\n2\n00:00:03.000 --> 00:00:04.000\nDos\n\n3\n00:00:05.000 --> 00:00:06.000\nTres\n\n4\n00:00:07.000 --> 00:00:08.000\nCuatro\n"
        _ = try TrackService(db).importTrack(job: job, language: "es", document: WebVTTParser.parse(es, mode: .browser).document,
                                             author: "lin@x", message: "import", reopen: false)
        let r = try run(db, job, tr)
        #expect(r.translated.isEmpty)
        #expect(r.stale.isEmpty)
        #expect(try texts(db, job) == ["Uno", "Dos", "Tres", "Cuatro"])
        let src2 = Self.src1.replacingOccurrences(of: "Three", with: "Three!")
        _ = try TrackService(db).commit(job: job, language: "en", content: src2, author: "ed@x", message: "edit")
        let r2 = try run(db, job, tr)
        #expect(r2.translated.isEmpty)
        #expect(r2.stale == ["3"])
        #expect(try texts(db, job) == ["Uno", "Dos", "Tres", "Cuatro"])
    }

    @Test("authorship: an edit makes the edited cue the editor's; restore brings back the old authors")
    func authorship() throws {
        let t = TempDir()
        let (db, job, tr) = try setUp(t)
        _ = try run(db, job, tr)
        let svc = TrackService(db)
        let v2 = try svc.editCue(job: job, language: "es", cue: "1", text: "Uno", author: "lin@x", message: nil, reopen: false)
        #expect(try svc.currentCues(job: job, language: "es").cues.map(\.human) == [true, false, false, false])
        _ = try svc.restore(job: job, language: "es", version: 1, author: "lin@x", reopen: false)
        #expect(try svc.currentCues(job: job, language: "es").cues.allSatisfy { $0.author == "olleey/standin" })
        #expect(v2 == 2)
        // plain text is escaped; cue text is checked
        _ = try svc.editCue(job: job, language: "es", cue: "1", text: "Tom & Jerry <3", plain: true, author: "lin@x", message: nil, reopen: false)
        #expect(try texts(db, job)[0] == "Tom &amp; Jerry &lt;3")
        do {
            _ = try svc.editCue(job: job, language: "es", cue: "1", text: "Tom & Jerry", author: "lin@x", message: nil, reopen: false)
            Issue.record("a bare & must be refused")
        } catch let e as OlleeyError { #expect(e.code == .invalid && e.message.contains("1:5")) }
    }
}
