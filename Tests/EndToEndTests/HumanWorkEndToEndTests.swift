import Foundation
import Testing

/// The trust flow on the built binary with apertium: markup, escapes, line breaks and dialogue
/// survive translation into the VTT, SRT and MP4 subtitle outputs; a person's edit survives a
/// source edit and re-run (stale, shown and re-translated only on request).
@Suite("End to end: text intact, human work kept", .serialized, .enabled(if: Tools.media, "needs the release binary, ffmpeg, espeak-ng and apertium (scripts/bootstrap)"))
struct HumanWorkEndToEndTests {
    static let tricky = """
        WEBVTT

        1
        00:00:00.500 --> 00:00:02.000
        <i>Welcome</i> to our channel.

        2
        00:00:02.500 --> 00:00:04.500
        Tom &amp; Jerry say 3 &lt; 5
        and 7 &gt; 2.

        3
        00:00:05.000 --> 00:00:06.000
        The river is cold.

        4
        00:00:06.200 --> 00:00:07.800
        - Really?
        - <v Bob>Yes, thank you.</v> [laughs]

        """

    @Test("markup, character references, two lines and dialogue survive; a person's cue survives a source edit")
    func trustFlow() throws {
        let dir = Binary.tempDir()
        try Tools.sample(in: dir)
        try Self.tricky.write(toFile: dir + "/tricky.en.vtt", atomically: true, encoding: .utf8)
        let env = ["OLLEEY_USER": "lin@example.com"]
        #expect(try Binary.run(["init"], cwd: dir).exit == 0)
        let c = try Binary.run(["job", "create", "talk.mp4", "--subtitles", "tricky.en.vtt", "--source-lang", "en", "--lang", "es", "--json"], cwd: dir)
        guard let id = (Tools.json(c.stdout) as? [String: Any])?["id"] as? String else { throw Failure("create: \(c.stderr)") }
        #expect(try Binary.run(["job", "run", id], cwd: dir).exit == 0)
        let vtt = try String(contentsOfFile: dir + "/.olleey/outputs/\(id)/es/talk.es.vtt", encoding: .utf8)
        #expect(try Binary.run(["vtt", "parse", ".olleey/outputs/\(id)/es/talk.es.vtt", "--strict"], cwd: dir).exit == 0, "\(vtt)")
        let cues = vtt.components(separatedBy: "\n\n").dropFirst().map { $0.split(separator: "\n").dropFirst(2).joined(separator: "\n") }
        #expect(cues[0].hasPrefix("<i>") && cues[0].contains("</i>"), "\(cues[0])")
        #expect(cues[1].contains("&amp;") && cues[1].contains("&lt;") && cues[1].contains("&gt;"), "\(cues[1])")
        #expect(cues[1].split(separator: "\n").count == 2, "\(cues[1])")
        #expect(cues[3].hasPrefix("- ") && cues[3].split(separator: "\n").count == 2 && cues[3].contains("\n- <v Bob>"), "\(cues[3])")
        let srt = try String(contentsOfFile: dir + "/.olleey/outputs/\(id)/es/talk.es.srt", encoding: .utf8)
        #expect(srt.contains("Tom & Jerry") && srt.contains("3 < 5") && srt.contains("> 2"), "\(srt)")
        // the MP4's subtitle track has every word of cue 2 (ffmpeg reads it back)
        let (rc, sub) = try Tools.sh("ffmpeg -v error -i .olleey/outputs/\(id)/es/talk.es.mp4 -map 0:s:0 -f srt -", cwd: dir)
        #expect(rc == 0 && sub.contains("3 < 5") && sub.contains("> 2"), "\(sub)")

        // a linguist's edit, then a source edit of another cue and of the linguist's cue's source
        #expect(try Binary.run(["vtt", "edit", id, "--lang", "es", "--cue", "3", "--text", "El río está frío, dice una persona."], cwd: dir, env: env).exit == 0)
        #expect(try Binary.run(["vtt", "edit", id, "--lang", "en", "--cue", "1", "--text", "<i>Hello</i> and welcome."], cwd: dir).exit == 0)
        #expect(try Binary.run(["vtt", "edit", id, "--lang", "en", "--cue", "3", "--text", "The river is warm."], cwd: dir).exit == 0)
        #expect(try Binary.run(["job", "run", id], cwd: dir).exit == 0)
        let after = try String(contentsOfFile: dir + "/.olleey/outputs/\(id)/es/talk.es.vtt", encoding: .utf8)
        #expect(after.contains("El río está frío, dice una persona."), "\(after)")
        #expect(after.contains("Hola"), "cue 1 is translated again: \(after)")
        let show = try Binary.run(["job", "show", id, "--json"], cwd: dir)
        let j = Tools.json(show.stdout) as? [String: Any]
        #expect(j?["stale_cues"] as? Int == 1)
        let vshow = try Binary.run(["vtt", "show", id, "--lang", "es"], cwd: dir)
        #expect(vshow.stderr.contains("1 stale cue") && vshow.stderr.contains("retranslate"))
        let versions = try Binary.run(["vtt", "versions", id, "--lang", "es", "--json"], cwd: dir)
        let vs = Tools.json(versions.stdout) as? [[String: Any]] ?? []
        #expect(vs.map { $0["author"] as? String } == ["olleey/apertium", "lin@example.com", "olleey/apertium"])
        #expect(vs.last?["stale_cues"] as? Int == 1)
        let qc = try Binary.run(["qc", "status", id, "--json"], cwd: dir)
        #expect(qc.stdout.contains("\"stale_cues\":[\"3\"]"), "\(qc.stdout)")
        // only on request
        let rt = try Binary.run(["vtt", "retranslate", id, "--lang", "es", "--stale", "--json"], cwd: dir)
        #expect(rt.exit == 0 && rt.stdout.contains("\"translated\":[\"3\"]"), "\(rt.stderr)")
        #expect(try Binary.run(["job", "run", id], cwd: dir).exit == 0)
        let final = try String(contentsOfFile: dir + "/.olleey/outputs/\(id)/es/talk.es.vtt", encoding: .utf8)
        #expect(!final.contains("dice una persona"), "\(final)")
        #expect((Tools.json(try Binary.run(["job", "show", id, "--json"], cwd: dir).stdout) as? [String: Any])?["stale_cues"] as? Int == 0)
    }
}
