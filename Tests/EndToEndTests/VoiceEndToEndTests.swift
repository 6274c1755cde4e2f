import Foundation
import Testing
import OlleeyTestSupport

/// The voice registry across jobs: two videos whose subtitles name Ana and Ben (`<v>` spans).
@Suite("End to end: voices stay with their speakers across jobs", .serialized,
       .enabled(if: Tools.media, "needs the release binary, ffmpeg, espeak-ng and apertium (scripts/bootstrap)"))
struct VoiceEndToEndTests {
    func video(_ dir: String, _ name: String, freq: Int, cues: [(String, String)]) throws {
        let (rc, out) = try Tools.sh("""
            ffmpeg -v error -y -f lavfi -i testsrc2=size=320x240:rate=25 -f lavfi -i sine=frequency=\(freq):sample_rate=48000:duration=8 \
              -t 8 -c:v libx264 -preset ultrafast -pix_fmt yuv420p -c:a aac -b:a 96k -shortest \(name).mp4
            """, cwd: dir)
        guard rc == 0 else { throw Failure("ffmpeg failed: \(out)") }
        var vtt = "WEBVTT\n"
        for (i, (who, text)) in cues.enumerated() {
            vtt += "\n00:00:0\(2 * i + 1).000 --> 00:00:0\(2 * i + 2).800\n<v \(who)>\(text)\n"
        }
        try vtt.write(toFile: dir + "/\(name).en.vtt", atomically: true, encoding: .utf8)
    }

    func job(_ dir: String, _ name: String) throws -> String {
        let r = try Binary.run(["job", "create", "\(name).mp4", "--subtitles", "\(name).en.vtt", "--lang", "es", "--json"], cwd: dir)
        guard r.exit == 0, let d = Tools.json(r.stdout) as? [String: Any], let id = d["id"] as? String else { throw Failure("job create failed (\(r.exit)): \(r.stderr)") }
        let run = try Binary.run(["job", "run", id], cwd: dir)
        #expect(run.exit == 0, "\(run.stderr)")
        return id
    }

    /// speaker -> voice label, from the language's fit report (`job show --fit --json`).
    func voices(_ dir: String, _ id: String) throws -> [String: String] {
        let r = try Binary.run(["job", "show", id, "--json", "--fit"], cwd: dir)
        let job = Tools.json(r.stdout) as? [String: Any]
        let lang = (job?["languages"] as? [[String: Any]])?.first
        let speakers = ((lang?["fit"] as? [String: Any])?["speakers"] as? [[String: Any]]) ?? []
        var out: [String: String] = [:]
        for s in speakers {
            guard let name = s["speaker"] as? String, let v = s["voice"] as? String else { continue }
            out[name] = v + ((s["pitch"] as? Int).map { " pitch \($0)" } ?? "")
        }
        return out
    }

    /// The synthesized speech in the cache (one WAV per voice and text).
    func speech(_ dir: String) -> [String] {
        let root = dir + "/.olleey/cache/speak"
        let files = (FileManager.default.enumerator(atPath: root)?.allObjects as? [String]) ?? []
        return files.filter { $0.hasSuffix(".wav") }.map { root + "/" + $0 }.sorted()
    }

    @Test func oneSpeakerKeepsOneVoiceAndTwoSpeakersDiffer() throws {
        let dir = Binary.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(try Binary.run(["init"], cwd: dir).exit == 0)
        // Ana and Ben say the same words in the first video: two voices, two different WAVs
        try video(dir, "one", freq: 220, cues: [("Ana", "Welcome to our channel."), ("Ben", "Welcome to our channel."), ("Ana", "Thank you for watching.")])
        let first = try job(dir, "one")
        let v1 = try voices(dir, first)
        #expect(v1.count == 2 && v1["Ana"] != nil && v1["Ben"] != nil)
        #expect(v1["Ana"] != v1["Ben"])
        let human = try Binary.run(["job", "show", first, "--fit"], cwd: dir)
        #expect(human.stdout.contains("voices: Ana \(v1["Ana"] ?? "") (automatic), Ben \(v1["Ben"] ?? "") (automatic)"), "\(human.stdout)")
        let wavs1 = speech(dir)
        #expect(wavs1.count == 3)
        let bytes = Set(wavs1.compactMap { FileManager.default.contents(atPath: $0) })
        #expect(bytes.count == 3, "Ana's and Ben's 'Bienvenido...' must be different audio")
        // the registry recorded both choices
        let list = try Binary.run(["voice", "list", "--lang", "es", "--json"], cwd: dir)
        let rows = (Tools.json(list.stdout) as? [[String: Any]]) ?? []
        #expect(rows.count == 2 && rows.allSatisfy { $0["automatic"] as? Bool == true && $0["created_by"] as? String == "olleey" })

        // the second video: Ben speaks first now, and Ana repeats her lines
        try video(dir, "two", freq: 330, cues: [("Ben", "The river is cold."), ("Ana", "Welcome to our channel."), ("Ana", "Thank you for watching.")])
        let second = try job(dir, "two")
        let v2 = try voices(dir, second)
        #expect(v2["Ana"] == v1["Ana"])
        #expect(v2["Ben"] == v1["Ben"])
        // Ana's lines were already spoken in her voice: only Ben's new line was synthesized
        #expect(speech(dir).count == 4)

        // a person gives Ben a voice: the next job of the same video speaks only Ben's cue again
        let set = try Binary.run(["voice", "set", "Ben", "--lang", "es", "--voice", "es+m3", "--pitch", "40"], cwd: dir)
        #expect(set.exit == 0, "\(set.stderr)")
        let third = try job(dir, "two")
        #expect(try voices(dir, third)["Ben"] == "es+m3 pitch 40")
        #expect(try voices(dir, third)["Ana"] == v1["Ana"])
        #expect(speech(dir).count == 5)
        // a job's own --voice-for wins over the registry
        let r = try Binary.run(["job", "create", "two.mp4", "--subtitles", "two.en.vtt", "--lang", "es", "--voice-for", "ana=es+f4", "--json"], cwd: dir)
        let fourth = (Tools.json(r.stdout) as? [String: Any])?["id"] as? String ?? ""
        #expect(try Binary.run(["job", "run", fourth], cwd: dir).exit == 0)
        #expect(try voices(dir, fourth)["Ana"] == "es+f4" && voices(dir, fourth)["Ben"] == "es+m3 pitch 40")
        // and the registry keeps the person's row
        let ben = try Binary.run(["voice", "show", "ben", "--json"], cwd: dir)
        let benRows = ((Tools.json(ben.stdout) as? [String: Any])?["voices"] as? [[String: Any]]) ?? []
        #expect(benRows.count == 1 && benRows.first?["automatic"] as? Bool == false && benRows.first?["voice"] as? String == "es+m3")
    }

    @Test func aDiarizationHookNamesTheSpeakersOfUnnamedCues() throws {
        let dir = Binary.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(try Binary.run(["init"], cwd: dir).exit == 0)
        try video(dir, "plain", freq: 260, cues: [("Ana", "Welcome to our channel."), ("Ben", "The river is cold.")])
        // subtitles without voice spans; a stand-in diarizer (a shell script, labelled as one)
        // says who speaks when: Ana by name, the other as an anonymous label
        let vtt = try String(contentsOfFile: dir + "/plain.en.vtt", encoding: .utf8).replacingOccurrences(of: "<v Ana>", with: "").replacingOccurrences(of: "<v Ben>", with: "")
        try vtt.write(toFile: dir + "/plain.en.vtt", atomically: true, encoding: .utf8)
        try """
        #!/bin/sh
        # stand-in diarizer for tests: checks its input is audio, writes fixed RTTM turns
        head -c 4 "$1" | grep -q RIFF || exit 3
        printf 'SPEAKER plain 1 0.9 2.0 <NA> <NA> Ana <NA> <NA>\nSPEAKER plain 1 2.95 1.9 <NA> <NA> SPEAKER_01 <NA> <NA>\n' > "$2"
        """.write(toFile: dir + "/stand-in-diarizer.sh", atomically: true, encoding: .utf8)
        #expect(try Binary.run(["config", "set", "engines.diarize.command", "sh \(dir)/stand-in-diarizer.sh {input} {output}"], cwd: dir).exit == 0)
        let id = try job(dir, "plain")
        let v = try voices(dir, id)
        #expect(v.count == 2 && v["Ana"] != nil, "\(v)")
        let anonymous = v.keys.first { $0.hasPrefix("SPEAKER_01 of ") }
        #expect(anonymous != nil && v["Ana"] != anonymous.flatMap { v[$0] })
    }

    /// The narrator of a job's audio descriptions (`--describe`, reported in the language's
    /// `descriptions` output) as its label (`+f1 pitch 30`), with where it came from.
    func narrator(_ dir: String, _ id: String) throws -> (label: String, source: String) {
        let r = try Binary.run(["job", "show", id, "--json"], cwd: dir)
        let lang = ((Tools.json(r.stdout) as? [String: Any])?["languages"] as? [[String: Any]])?.first
        let n = ((lang?["outputs"] as? [String: Any])?["descriptions"] as? [String: Any])?["narrator"] as? [String: Any] ?? [:]
        #expect(n["speaker"] as? String == "Narrator", "\(n)")
        let label = (n["voice"] as? String ?? "(default)") + ((n["pitch"] as? Int).map { " pitch \($0)" } ?? "")
        return (label, n["source"] as? String ?? "")
    }

    /// The described audio of a job's language (its bytes).
    func described(_ dir: String, _ id: String) throws -> Data? {
        let r = try Binary.run(["job", "show", id, "--json"], cwd: dir)
        let lang = ((Tools.json(r.stdout) as? [String: Any])?["languages"] as? [[String: Any]])?.first
        guard let path = (lang?["outputs"] as? [String: Any])?["described_audio"] as? String else { return nil }
        return FileManager.default.contents(atPath: path.hasPrefix("/") ? path : dir + "/" + path)
    }

    /// Audio descriptions are voiced by the registry speaker Narrator: the same voice in two jobs
    /// (nothing spoken again), never the voice of the video's speaker (Ana), and `voice set
    /// Narrator` changes it (only the descriptions are spoken again). The describe workspace of
    /// `AudioDescriptionTests` (its labelled describer stand-in), with Ana speaking both lines.
    @Test func theDescriptionsNarratorIsARegistryVoice() throws {
        let ad = AudioDescriptionTests()
        let dir = try ad.workspace(describer: AudioDescriptionTests.standIn)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let vtt = try String(contentsOfFile: dir + "/talk.en.vtt", encoding: .utf8)
            .replacingOccurrences(of: "Welcome to", with: "<v Ana>Welcome to").replacingOccurrences(of: "The river", with: "<v Ana>The river")
        try vtt.write(toFile: dir + "/talk.en.vtt", atomically: true, encoding: .utf8)
        func described() throws -> String {
            let id = try ad.create(dir)
            let run = try Binary.run(["job", "run", id], cwd: dir)
            #expect(run.exit == 0, "\(run.stderr)")
            return id
        }

        let first = try described()
        let ana = try voices(dir, first)["Ana"]
        let n1 = try narrator(dir, first)
        #expect(ana != nil && n1.source == "automatic", "\(n1)")
        #expect(n1.label != ana, "the narrator speaks with Ana's voice \(n1.label)")
        #expect(n1.label != "(default)", "the narrator speaks with the job's voice, which no speaker has here")
        let wavs = speech(dir).count
        let rows = (Tools.json(try Binary.run(["voice", "list", "--lang", "es", "--json"], cwd: dir).stdout) as? [[String: Any]]) ?? []
        #expect(Set(rows.compactMap { $0["speaker"] as? String }) == ["Ana", "Narrator"], "\(rows)")

        // a second job: the same narrator voice, nothing spoken again, the same described audio
        let second = try described()
        #expect(try narrator(dir, second).label == n1.label)
        #expect(speech(dir).count == wavs)
        let audio1 = try self.described(dir, first)
        let audio2 = try self.described(dir, second)
        #expect(audio1 != nil && audio2 == audio1)

        // a person pins the narrator's Spanish voice: the next job's descriptions take it (spoken
        // again: two descriptions), Ana keeps hers
        let set = try Binary.run(["voice", "set", "Narrator", "--lang", "es", "--voice", "es+f2", "--pitch", "60"], cwd: dir)
        #expect(set.exit == 0, "\(set.stderr)")
        let third = try described()
        let n3 = try narrator(dir, third)
        #expect(n3.label == "es+f2 pitch 60" && n3.source == "registry", "\(n3)")
        #expect(try voices(dir, third)["Ana"] == ana)
        #expect(speech(dir).count == wavs + 2)
        let audio3 = try self.described(dir, third)
        #expect(audio3 != nil && audio3 != audio1)

        // describe.narrator names another registry speaker; a name the registry cannot hold is refused
        #expect(try Binary.run(["config", "set", "describe.narrator", "A:B"], cwd: dir).exit == 65)
        #expect(try Binary.run(["config", "get", "describe.narrator"], cwd: dir).stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "Narrator")
    }
}
