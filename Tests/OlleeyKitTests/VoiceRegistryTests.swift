import Foundation
import Testing
import OlleeyKit
import OlleeyTestSupport

@Suite("Voice registry: speakers, precedence, automatic voices, organisations")
struct VoiceRegistryTests {
    static let variants = ["m1", "m2", "m3", "f1", "f2", "klatt", "whisper"]
    static var candidates: [VoiceChoice] { VoiceRegistry.automaticCandidates(variants: variants) }

    @Test("speaker names from <v> spans and NAME: labels; keys ignore case and spacing")
    func names() {
        #expect(SpeakerName.of("<v Ana>Hola</v>") == "Ana")
        #expect(SpeakerName.of("<v.loud  Ana   María >Hola") == "Ana María")
        #expect(SpeakerName.of("<i>so</i> <v Ben>yes") == "Ben")
        #expect(SpeakerName.of("JOHN: Hello there") == "JOHN")
        #expect(SpeakerName.of("- MARY JANE: Hi\n- Bye") == "MARY JANE")
        #expect(SpeakerName.of("Note: lower case is not a label") == nil)
        #expect(SpeakerName.of("<vi>not a voice</vi>") == nil)
        #expect(SpeakerName.of("plain text") == nil)
        #expect(SpeakerName.key("  ANA   maría ") == "ana maría")
    }

    @Test("candidates: each male and female variant espeak-ng has, then pitch steps")
    func candidateOrder() {
        let c = Self.candidates
        #expect(c.prefix(5).map(\.voice) == ["+m1", "+f1", "+m2", "+f2", "+m3"])
        #expect(c.prefix(5).allSatisfy { $0.pitch == nil })
        #expect(c.count == 15)
        #expect(c[5] == VoiceChoice(voice: "+m1", pitch: 30))
        #expect(Set(c.map(\.cacheKey)).count == c.count)
    }

    @Test("automatic voices: distinct per speaker of a video, recorded, the same in the next job", .enabled(if: ToolCheck.installed("espeak-ng")))
    func automatic() throws {
        let f = try ReviewFixture()
        let reg = VoiceRegistry(f.db, org: Actor.defaultOrg)
        let one = try reg.cast(speakers: ["Ana", "Ben", "ana", "Cy"], language: "es", engine: "espeak-ng", defaultVoice: nil, candidates: Self.candidates)
        #expect(one.members.map(\.speaker) == ["Ana", "Ben", "Cy"])
        #expect(Set(one.members.map(\.choice)).count == 3)
        #expect(one.members.allSatisfy { $0.source == .automatic })
        let rows = try VoiceRegistry(f.db, actor: nil).list(language: "es")
        #expect(rows.count == 3 && rows.allSatisfy { $0.automatic && $0.createdBy == "olleey" })
        // the next job, in another order and with a new speaker: the same voices, and a new one for Dee
        let two = try reg.cast(speakers: ["Cy", "Dee", "Ben", "Ana"], language: "es", engine: "espeak-ng", defaultVoice: nil, candidates: Self.candidates)
        for m in one.members { #expect(two.choice(for: m.speaker) == m.choice) }
        #expect(!one.members.map(\.choice).contains(two.choice(for: "Dee")))
        // another language is another row
        let ca = try reg.cast(speakers: ["Ana"], language: "ca", engine: "espeak-ng", defaultVoice: nil, candidates: Self.candidates)
        #expect(ca.members.first?.source == .automatic)
        #expect(try VoiceRegistry(f.db, actor: nil).list(speaker: "ana").map(\.language) == ["ca", "es"])
        // not the job's default voice: +m1 is es+m1, so a job voice of es+m1 pushes the first speaker on
        let f2 = try ReviewFixture()
        let solo = try VoiceRegistry(f2.db, org: Actor.defaultOrg).cast(speakers: ["Eve"], language: "es", engine: "espeak-ng", defaultVoice: "es+m1", candidates: Self.candidates)
        #expect(solo.members.first?.choice == VoiceChoice(voice: "+f1"))
        // cues without a speaker keep the job's voice
        #expect(solo.choice(for: nil) == VoiceChoice(voice: "es+m1"))
    }

    @Test("precedence: job override > person (S, L) > person (S, *) > automatic; a person's entry is never replaced by a job", .enabled(if: ToolCheck.installed("espeak-ng")))
    func precedence() throws {
        let f = try ReviewFixture()
        let person = VoiceRegistry(f.db, actor: Actor(email: "pm@example.com"))
        let jobs = VoiceRegistry(f.db, org: Actor.defaultOrg)
        // Ana gets an automatic voice first
        let auto = try jobs.cast(speakers: ["Ana"], language: "es", engine: "espeak-ng", defaultVoice: nil, candidates: Self.candidates)
        #expect(auto.members[0].source == .automatic)
        // a person's '*' entry wins over the automatic (S, L) row
        _ = try person.set(speaker: "ana", language: nil, voice: "+f2")
        var c = try jobs.cast(speakers: ["Ana"], language: "es", engine: "espeak-ng", defaultVoice: nil, candidates: Self.candidates)
        #expect(c.members[0].choice == VoiceChoice(voice: "+f2") && c.members[0].source == .registry && c.members[0].entryLanguage == "*")
        // a person's (S, L) entry replaces the automatic row and wins over '*'
        let e = try person.set(speaker: "Ana", language: "es", voice: "es+f3", pitch: 60, rate: 170)
        #expect(!e.automatic && e.updatedBy == "pm@example.com" && e.createdBy == "olleey")
        c = try jobs.cast(speakers: ["Ana"], language: "es", engine: "espeak-ng", defaultVoice: nil, candidates: Self.candidates)
        #expect(c.members[0].choice == VoiceChoice(voice: "es+f3", pitch: 60, rate: 170) && c.members[0].entryLanguage == "es")
        // the job's override wins over everything, for its language or all
        c = try jobs.cast(speakers: ["Ana"], language: "es", engine: "espeak-ng", defaultVoice: nil, overrides: ["ana:es": "es+m7", "ana": "+m6"], candidates: Self.candidates)
        #expect(c.members[0].choice == VoiceChoice(voice: "es+m7") && c.members[0].source == .job)
        c = try jobs.cast(speakers: ["Ana"], language: "es", engine: "espeak-ng", defaultVoice: nil, overrides: ["ana": "+m6"], candidates: Self.candidates)
        #expect(c.members[0].choice == VoiceChoice(voice: "+m6"))
        // a job never writes over the person's row
        _ = try jobs.cast(speakers: ["Ana", "Ben"], language: "es", engine: "espeak-ng", defaultVoice: nil, candidates: Self.candidates)
        let row = try #require(try person.list(speaker: "Ana", language: "es").first)
        #expect(!row.automatic && row.choice.voice == "es+f3")
        // a new speaker is not given the person's voice for Ana
        let ben = try person.list(speaker: "Ben").first
        #expect(ben?.automatic == true && ben?.choice != row.choice)
        // an entry for another engine is passed over, with a note
        _ = try person.set(speaker: "Cy", language: "es", engine: "http", voice: "cy-clone")
        c = try jobs.cast(speakers: ["Cy"], language: "es", engine: "espeak-ng", defaultVoice: nil, candidates: Self.candidates)
        #expect(c.members[0].source == .automatic && c.notes.count == 1)
        // ...and used by a job whose engine it is (no automatic choice there: no candidates)
        c = try jobs.cast(speakers: ["Cy", "Dee"], language: "es", engine: "http", defaultVoice: "alloy", candidates: [])
        #expect(c.members[0].choice == VoiceChoice(voice: "cy-clone") && c.members[1].source == .default && c.members[1].choice.voice == "alloy")
    }

    @Test("set validates: unknown espeak-ng voice 65, '*' only a variant, pitch and rate ranges, names", .enabled(if: ToolCheck.installed("espeak-ng")))
    func validation() throws {
        let f = try ReviewFixture()
        let reg = VoiceRegistry(f.db, actor: nil)
        #expect(errorCode { _ = try reg.set(speaker: "Ana", language: "es", voice: "es+nosuch") } == .invalid)
        #expect(errorCode { _ = try reg.set(speaker: "Ana", language: "es", voice: "klingon-x") } == .invalid)
        #expect(errorCode { _ = try reg.set(speaker: "Ana", language: "es", voice: "fr") } == .invalid)
        #expect(errorCode { _ = try reg.set(speaker: "Ana", language: nil, voice: "es") } == .invalid)
        #expect(errorCode { _ = try reg.set(speaker: "Ana", language: "es", voice: "es", pitch: 100) } == .usage)
        #expect(errorCode { _ = try reg.set(speaker: "Ana", language: "es", voice: "es", rate: 20) } == .usage)
        #expect(errorCode { _ = try reg.set(speaker: "Ana", language: "es", engine: "http", voice: "x", pitch: 40) } == .usage)
        #expect(errorCode { _ = try reg.set(speaker: "Ana", language: "es", engine: "piper", voice: "x") } == .usage)
        #expect(errorCode { _ = try reg.set(speaker: "A:b", language: "es", voice: "es") } == .usage)
        #expect(errorCode { _ = try reg.set(speaker: "  ", language: "es", voice: "es") } == .usage)
        #expect(errorCode { _ = try reg.set(speaker: "Ana", language: "zz", voice: "es") } != nil)
        #expect(try reg.list().isEmpty)
        _ = try reg.set(speaker: "Ana", language: "es", engine: "espeak", voice: "es-419+f3")
        #expect(try reg.show("ANA").first?.engine == "espeak-ng")
        #expect(errorCode { _ = try reg.show("Zed") } == .notFound)
        #expect(errorCode { _ = try reg.remove("Ana", language: "ca") } == .notFound)
        #expect(try reg.remove("ana").count == 1)
        #expect(errorCode { _ = try reg.remove("Ana") } == .notFound)
    }

    @Test("organisations: each has its own registry", .enabled(if: ToolCheck.installed("espeak-ng")))
    func organisations() throws {
        let f = try ReviewFixture()
        let a = VoiceRegistry(f.db, actor: Actor(email: nil, org: "org-a"))
        let b = VoiceRegistry(f.db, actor: Actor(email: nil, org: "org-b"))
        _ = try a.set(speaker: "Ana", language: "es", voice: "es+f3")
        #expect(try b.list().isEmpty)
        #expect(errorCode { _ = try b.show("Ana") } == .notFound)
        #expect(errorCode { _ = try b.remove("Ana") } == .notFound)
        let cb = try VoiceRegistry(f.db, org: "org-b").cast(speakers: ["Ana"], language: "es", engine: "espeak-ng", defaultVoice: nil, candidates: Self.candidates)
        #expect(cb.members[0].source == .automatic)
        let ca = try VoiceRegistry(f.db, org: "org-a").cast(speakers: ["Ana"], language: "es", engine: "espeak-ng", defaultVoice: nil, candidates: Self.candidates)
        #expect(ca.members[0].source == .registry && ca.members[0].choice.voice == "es+f3")
        #expect(try a.list().count == 1 && b.list().count == 1)
    }
}

@Suite("Diarization hook output: RTTM and START END SPEAKER, overlap, anonymous labels")
struct DiarizationTests {
    @Test func parseAssignName() throws {
        let rttm = """
        # a comment
        SPEAKER talk 1 0.50 2.00 <NA> <NA> Ana <NA> <NA>
        SPEAKER talk 1 2.60 1.40 <NA> <NA> SPEAKER_01 <NA> <NA>

        4.5 6.0 Ana María
        """
        let turns = try Diarization.parse(rttm)
        #expect(turns == [Diarization.Turn(startMs: 500, endMs: 2500, speaker: "Ana"), Diarization.Turn(startMs: 2600, endMs: 4000, speaker: "SPEAKER_01"),
                          Diarization.Turn(startMs: 4500, endMs: 6000, speaker: "Ana María")])
        // each cue: the speaker overlapping it most; none when no turn overlaps
        let who = Diarization.assign([(0, 1000), (2000, 3500), (4000, 5000), (7000, 8000)], turns: turns)
        #expect(who == ["Ana", "SPEAKER_01", "Ana María", nil])
        #expect(errorCode { _ = try Diarization.parse("0.5 1.0") } == .invalid)
        #expect(errorCode { _ = try Diarization.parse("2.0 1.0 Ana") } == .invalid)
        // anonymous labels are one video's; names are people's
        #expect(Diarization.name("SPEAKER_01", video: "abcdef0123456789") == "SPEAKER_01 of abcdef01")
        #expect(Diarization.name("spk2", video: "abcdef0123456789") == "spk2 of abcdef01")
        #expect(Diarization.name("Ana", video: "abcdef0123456789") == "Ana")
        #expect(Diarization.name("Speakers Corner", video: "abcdef0123456789") == "Speakers Corner")
    }
}
