import Foundation
import Testing
import OlleeyCLI
import OlleeyKit
import OlleeyTestSupport

// olleey voice list|set|show|rm and the registry in 'olleey engines', in process.

@Suite("olleey voice")
struct VoiceCLITests {
    @Test("set, list, show, rm: JSON, TSV in a pipe, errors with exit codes", .enabled(if: ToolCheck.installed("espeak-ng")))
    func commands() throws {
        let w = try ReviewWorkspace()
        #expect(try w.json(["voice", "list"]) == .array([]))
        let set = try w.json(["voice", "set", "Ana", "--lang", "es", "--voice", "es+f3", "--pitch", "60", "--rate", "170"])
        #expect(set["speaker"] == .string("Ana") && set["language"] == .string("es") && set["voice"] == .string("es+f3"))
        #expect(set["pitch"] == .int(60) && set["rate"] == .int(170) && set["engine"] == .string("espeak-ng") && set["automatic"] == .bool(false))
        try w.json(["voice", "set", "ana", "--voice", "+m2"])
        try w.json(["voice", "set", "Ben", "--lang", "es", "--engine", "http", "--voice", "ben-clone"])
        let list = try w.json(["voice", "list"])
        #expect(list.arrayValue?.count == 3)
        #expect(try w.json(["voice", "list", "--lang", "es"]).arrayValue?.count == 2)
        #expect(try w.json(["voice", "list", "--speaker", "ANA"]).arrayValue?.map { $0["language"]?.stringValue ?? "" } == ["*", "es"])
        let tsv = w.run(["voice", "list", "--lang", "*"])
        #expect(tsv.exit == 0 && tsv.stdout.hasPrefix("Ana\t*\tespeak-ng\t+m2\t\t\tperson\t"))
        let shown = try w.json(["voice", "show", "ana"])
        #expect(shown["speaker"] == .string("Ana") && shown["voices"]?.arrayValue?.count == 2)
        let human = w.run(["voice", "show", "Ana"])
        #expect(human.exit == 0 && human.stdout.contains("Ana [es] espeak-ng es+f3 pitch 60 rate 170"))
        // the registry in 'olleey engines'
        let engines = try w.json(["engines", "--lang", "es"])
        let speak = engines.arrayValue?.first { $0["stage"] == .string("speak") }
        #expect(speak?["voice_registry"]?.arrayValue?.count == 3)
        #expect(speak?["speaker_voices"]?.arrayValue?.first == .string("+m1"))

        // errors: an unknown voice for the engine is bad input (65) with the voices in the hint
        let unknown = w.run(["voice", "set", "Ana", "--lang", "es", "--voice", "es+nosuch", "--json"])
        #expect(unknown.exit == 65 && unknown.stderr.contains("no variant '+nosuch'") && unknown.stderr.contains("\"code\""))
        let wrongLang = w.run(["voice", "set", "Ana", "--lang", "es", "--voice", "fr"])
        #expect(wrongLang.exit == 65 && wrongLang.stderr.contains("hint: voices for es:"))
        #expect(w.run(["voice", "set", "Ana", "--voice", "es"]).exit == 65)
        #expect(w.run(["voice", "set", "Ana", "--lang", "es"]).exit == 64)
        #expect(w.run(["voice", "set", "Ana", "--lang", "es", "--voice", "es", "--pitch", "120"]).exit == 64)
        #expect(w.run(["voice", "set", "Ana", "--lang", "es", "--voice", "es", "--engine", "piper"]).exit == 64)
        let missing = w.run(["voice", "show", "Anna"])
        #expect(missing.exit == 66 && missing.stderr.contains("did you mean 'Ana'"))
        #expect(w.run(["voice", "rm", "Ana", "--lang", "ca"]).exit == 66)
        // rm one language, then all
        let rm = try w.json(["voice", "rm", "Ana", "--lang", "es"])
        #expect(rm["removed"]?.arrayValue?.count == 1)
        #expect(try w.json(["voice", "rm", "ana"])["removed"]?.arrayValue?.first?["language"] == .string("*"))
        #expect(w.run(["voice", "rm", "Ana"]).exit == 66)
        #expect(try w.json(["voice", "list"]).arrayValue?.count == 1)
    }

    @Test("--help of every voice command has an example")
    func help() throws {
        let t = TempDir("olleey-voice-help")
        for verb in ["list", "set", "show", "rm"] {
            let r = olleey(["voice", verb, "--help"], cwd: t.path)
            #expect(r.exit == 0 && r.stdout.contains("olleey voice \(verb)"), "\(verb): \(r.stdout)")
        }
        #expect(olleey(["job", "create", "--help"], cwd: t.path).stdout.contains("--voice-for"))
    }

    @Test("job create --voice-for: an unknown voice is refused (65); a bad form is a usage error (64)", .enabled(if: ToolCheck.missing(ToolCheck.media).isEmpty))
    func voiceFor() throws {
        let w = try ReviewWorkspace()
        let video = w.dir.file("v.mp4"), subs = w.dir.file("v.en.vtt")
        try Subprocess.run("ffmpeg", ["-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=160x120:rate=10:duration=4",
                                      "-f", "lavfi", "-i", "sine=frequency=220:duration=4", "-shortest", "-c:v", "libx264", "-pix_fmt", "yuv420p",
                                      "-c:a", "aac", video], timeout: 60)
        w.dir.write("v.en.vtt", "WEBVTT\n\n1\n00:00:00.500 --> 00:00:02.000\n<v Ana>Hello there.\n")
        let bad = w.run(["job", "create", video, "--subtitles", subs, "--lang", "es", "--voice-for", "Ana=es+nosuch"])
        #expect(bad.exit == 65 && bad.stderr.contains("+nosuch"))
        #expect(w.run(["job", "create", video, "--subtitles", subs, "--lang", "es", "--voice-for", "Ana"]).exit == 64)
        #expect(w.run(["job", "create", video, "--subtitles", subs, "--lang", "es", "--voice-for", "Ana:ca=ca"]).exit == 64)
        let ok = try w.json(["job", "create", video, "--subtitles", subs, "--lang", "es", "--voice-for", "Ana:es=es+f4"])
        #expect(ok["options"]?["speaker_voices"]?["ana:es"] == .string("es+f4"))
    }
}
