import Foundation
import Testing
import OlleeyCLI
import OlleeyKit
import OlleeyTestSupport

// `olleey vtt import|show|edit|versions|restore|diff` on a job's tracks, in a real workspace with a
// job created (not run) on a generated 2-second video.

/// A workspace with one job (source en, target es) on a real video; nothing is rendered.
final class TrackWorkspace: @unchecked Sendable {
    static let tools = ToolCheck.media
    static let missingTools = ToolCheck.missing(tools)
    static let available = missingTools.isEmpty
    static let skipReason: Comment = "needs \(tools.joined(separator: ", ")) (missing: \(missingTools.joined(separator: ", "))); run scripts/bootstrap"

    let dir = TempDir("olleey-vtt-track")
    let env: [String: String] = ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin", "NO_COLOR": "1"]
    private(set) var job = ""

    var path: String { dir.path }

    init() throws {
        try Subprocess.run("ffmpeg", ["-nostdin", "-v", "error", "-y",
                                      "-f", "lavfi", "-i", "testsrc=size=160x120:rate=10:duration=2",
                                      "-f", "lavfi", "-i", "sine=frequency=440:duration=2",
                                      "-shortest", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", dir.file("v.mp4")],
                           timeout: 60)
        dir.write("en.vtt", "WEBVTT\n\n1\n00:00:00.200 --> 00:00:00.900\nHello world\n\n2\n00:00:01.000 --> 00:00:01.800\nSecond\n")
        let i = run(["init"])
        guard i.exit == 0 else { throw OlleeyError.failure("olleey init failed: \(i.stderr)") }
        let c = run(["job", "create", "v.mp4", "--subtitles", "en.vtt", "--source-lang", "en", "--lang", "es", "--json"])
        guard c.exit == 0, let id = try c.json()["id"]?.stringValue else { throw OlleeyError.failure("job create failed (\(c.exit)): \(c.stderr)") }
        job = id
    }

    func run(_ args: [String], stdin: String = "") -> CLIResult { olleey(args, cwd: path, env: env, stdin: stdin) }
}

@Suite("olleey vtt on a job's tracks", .enabled(if: TrackWorkspace.available, TrackWorkspace.skipReason))
struct VTTCLITrackTests {
    static let es1 = "WEBVTT\n\n1\n00:00:00.200 --> 00:00:00.900\nHola mundo\n\n2\n00:00:01.000 --> 00:00:01.800\nSegunda\n"

    @Test("import, show, edit, versions, restore and diff: every change is a version")
    func workflow() throws {
        let w = try TrackWorkspace()
        let j = w.job
        let short = String(j.prefix(8))
        w.dir.write("es.vtt", Self.es1)

        // nothing yet: the es track does not exist
        let none = w.run(["vtt", "show", j, "--lang", "es"])
        #expect(none.exit == 66)
        #expect(none.stderr.contains("does not exist yet"))

        // v1: import (a job id prefix is enough)
        let imp = w.run(["vtt", "import", "es.vtt", "--job", short, "--lang", "es", "--as", "ana@example.com", "--json"])
        #expect(imp.exit == 0)
        #expect(try imp.json() == .object([("job_id", .string(j)), ("language", "es"), ("version", .int(1))]))
        // importing the same content again adds no version
        let again = w.run(["vtt", "import", "es.vtt", "--job", j, "--lang", "es", "--as", "ana@example.com", "--json"])
        #expect(try again.json()["version"] == .int(1))

        let show = w.run(["vtt", "show", j, "--lang", "es"])
        #expect(show.exit == 0)
        #expect(show.stdout == Self.es1)
        let showJSON = w.run(["vtt", "show", short, "--lang", "es", "--json"])
        #expect(showJSON.exit == 0)
        #expect(try showJSON.json()["cues"]?.arrayValue?.map { $0["text"] } == ["Hola mundo", "Segunda"])

        // v2: one cue's text, by id
        let edit = w.run(["vtt", "edit", j, "--lang", "es", "--cue", "1", "--text", "Hola a todos", "--as", "bob@example.com", "-m", "greeting"])
        #expect(edit.exit == 0)
        #expect(edit.stdout.contains("version 2"))
        let afterEdit = w.run(["vtt", "show", j, "--lang", "es"]).stdout
        #expect(afterEdit == Self.es1.replacingOccurrences(of: "Hola mundo", with: "Hola a todos"))

        // v3: the whole file
        w.dir.write("es3.vtt", Self.es1.replacingOccurrences(of: "Segunda", with: "Segunda frase"))
        let file = w.run(["vtt", "edit", j, "--lang", "es", "--file", "es3.vtt", "--as", "carla@example.com", "-m", "whole file", "--json"])
        #expect(file.exit == 0)
        #expect(try file.json()["version"] == .int(3))

        // versions: 3, with authors and messages, oldest first
        let vs = w.run(["vtt", "versions", j, "--lang", "es", "--json"])
        #expect(vs.exit == 0)
        let list = try vs.json().arrayValue ?? []
        #expect(list.map { $0["version"] } == [.int(1), .int(2), .int(3)])
        #expect(list.map { $0["author"] } == ["ana@example.com", "bob@example.com", "carla@example.com"])
        #expect(list.map { $0["message"] } == ["imported es.vtt", "greeting", "whole file"])
        for v in list {
            #expect(v["sha256"]?.stringValue?.count == 64)
            #expect(v["created_at"]?.stringValue?.hasSuffix("Z") == true)
        }
        let tsv = w.run(["vtt", "versions", j, "--lang", "es"])   // a pipe: TSV, no header
        let rows = tsv.stdout.split(separator: "\n").map { $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init) }
        #expect(rows.count == 3)
        #expect(rows.map { $0.first } == ["1", "2", "3"])
        #expect(rows.last?.last == "whole file")

        // restore 1: a new version 4 equal to version 1
        let restore = w.run(["vtt", "restore", j, "--lang", "es", "--version", "1", "--as", "dan@example.com", "--json"])
        #expect(restore.exit == 0)
        #expect(try restore.json()["version"] == .int(4))
        #expect(w.run(["vtt", "show", j, "--lang", "es"]).stdout == Self.es1)
        #expect(w.run(["vtt", "show", j, "--lang", "es", "--version", "4"]).stdout == w.run(["vtt", "show", j, "--lang", "es", "--version", "1"]).stdout)
        #expect(w.run(["vtt", "show", j, "--lang", "es", "--version", "2"]).stdout == afterEdit)
        let v4 = try w.run(["vtt", "versions", j, "--lang", "es", "--json"]).json().arrayValue?.last
        #expect(v4?["author"] == "dan@example.com" && v4?["message"] == "restore version 1")
        #expect(v4?["sha256"] == list.first?["sha256"])

        // diff between versions: the cue diff, exit 1 when different
        let d = w.run(["vtt", "diff", j, "--lang", "es", "--from", "1", "--to", "2", "--json"])
        #expect(d.exit == 1)
        let dj = try d.json()
        #expect(dj["identical"] == .bool(false))
        #expect(dj["summary"]?["text_changed"] == .int(1))
        #expect(dj["summary"]?["added"] == .int(0) && dj["summary"]?["removed"] == .int(0))
        let change = dj["changes"]?.arrayValue?.first
        #expect(change?["a_text"] == "Hola mundo" && change?["b_text"] == "Hola a todos")
        let same = w.run(["vtt", "diff", j, "--lang", "es", "--from", "1", "--to", "4"])
        #expect(same.exit == 0 && same.stdout == "no differences\n")
        // default: the previous version against the current one (3 -> 4)
        let latest = w.run(["vtt", "diff", j, "--lang", "es", "--json"])
        #expect(latest.exit == 1)
        #expect(try latest.json()["changes"]?.arrayValue?.first?["b_text"] == "Segunda")

        // the source language's track is the one the job was created with
        #expect(w.run(["vtt", "show", j, "--lang", "en"]).stdout.contains("Hello world"))
    }

    @Test("errors: unknown job 66, missing --lang 64, unknown cue or version 66")
    func errors() throws {
        let w = try TrackWorkspace()
        let j = w.job
        w.dir.write("es.vtt", Self.es1)
        #expect(w.run(["vtt", "import", "es.vtt", "--job", j, "--lang", "es"]).exit == 0)

        let unknownJob = w.run(["vtt", "show", "0000aaaa", "--lang", "es"])
        #expect(unknownJob.exit == 66)
        #expect(unknownJob.stderr.contains("job 0000aaaa not found"))
        #expect(w.run(["vtt", "import", "es.vtt", "--job", "0000aaaa", "--lang", "es"]).exit == 66)
        #expect(ErrorEnvelope(stderr: w.run(["vtt", "versions", "0000aaaa", "--lang", "es", "--json"]).stderr)?.code == "not_found")

        for args in [["vtt", "show", j], ["vtt", "edit", j, "--cue", "1", "--text", "x"], ["vtt", "versions", j],
                     ["vtt", "restore", j, "--version", "1"], ["vtt", "import", "es.vtt", "--job", j]] {
            let r = w.run(args)
            #expect(r.exit == 64, "\(args)")
            #expect(r.stderr.contains("--lang"), "\(args)")
        }
        #expect(w.run(["vtt", "diff", j]).exit == 64)

        let cue = w.run(["vtt", "edit", j, "--lang", "es", "--cue", "9", "--text", "x"])
        #expect(cue.exit == 66)
        #expect(cue.stderr.contains("no cue '9'"))
        #expect(w.run(["vtt", "edit", j, "--lang", "es", "--cue", "nope", "--text", "x"]).exit == 66)
        #expect(w.run(["vtt", "edit", j, "--lang", "es", "--cue", "1"]).exit == 64)
        #expect(w.run(["vtt", "edit", j, "--lang", "es"]).exit == 64)
        #expect(w.run(["vtt", "show", j, "--lang", "es", "--version", "9"]).exit == 66)
        #expect(w.run(["vtt", "restore", j, "--lang", "es", "--version", "9"]).exit == 66)
        #expect(w.run(["vtt", "restore", j, "--lang", "es"]).exit == 64)
        #expect(w.run(["vtt", "diff", j, "--lang", "es", "--from", "1", "--to", "9"]).exit == 66)
        // a language the job does not have, and one that does not exist
        #expect(w.run(["vtt", "show", j, "--lang", "fr"]).exit == 66)
        #expect(w.run(["vtt", "show", j, "--lang", "xx-invalid"]).exit == 65)
        // a bad file is refused before anything is stored
        w.dir.write("bad.vtt", "WEBVTTX\n\n00:00.000 --> 00:01.000\nx\n")
        #expect(w.run(["vtt", "import", "bad.vtt", "--job", j, "--lang", "es"]).exit == 65)
        #expect(w.run(["vtt", "import", "missing.vtt", "--job", j, "--lang", "es"]).exit == 66)
        #expect(try w.run(["vtt", "versions", j, "--lang", "es", "--json"]).json().arrayValue?.count == 1)

        // outside a workspace: 78
        let outside = TempDir()
        #expect(olleey(["vtt", "show", j, "--lang", "es"], cwd: outside.path, env: w.env).exit == 78)
    }
}

@Suite("olleey vtt edit --text/--plain and vtt retranslate", .enabled(if: TrackWorkspace.available, TrackWorkspace.skipReason))
struct VTTTrustCLITests {
    @Test("--text is cue text checked strictly (65, line:column); --plain escapes; authors are people, never 'unknown'")
    func editText() throws {
        let w = try TrackWorkspace()
        let j = w.job
        w.dir.write("es.vtt", VTTCLITrackTests.es1)
        #expect(w.run(["vtt", "import", "es.vtt", "--job", j, "--lang", "es", "--as", "ana@example.com"]).exit == 0)
        let bad = w.run(["vtt", "edit", j, "--lang", "es", "--cue", "1", "--text", "Tom & Jerry <3"])
        #expect(bad.exit == 65)
        #expect(bad.stderr.contains("1:5") && bad.stderr.contains("--plain"))
        #expect(w.run(["vtt", "edit", j, "--lang", "es", "--cue", "1", "--text", "<i>Hola</i> &amp; adiós", "--as", "ed@example.com"]).exit == 0)
        var env = w.env
        env["OLLEEY_USER"] = "lin@example.com"
        #expect(olleey(["vtt", "edit", j, "--lang", "es", "--cue", "2", "--plain", "--text", "Tom & Jerry <3"], cwd: w.path, env: env).exit == 0)
        let show = w.run(["vtt", "show", j, "--lang", "es", "--json"])
        let cues = try show.json()["cues"]?.arrayValue ?? []
        #expect(cues.map { $0["text"]?.stringValue } == ["<i>Hola</i> &amp; adiós", "Tom &amp; Jerry &lt;3"])
        #expect(cues.map { $0["author"]?.stringValue } == ["ed@example.com", "lin@example.com"])
        #expect(cues.allSatisfy { $0["human"] == .bool(true) && $0["stale"] == .bool(false) })
        let versions = try w.run(["vtt", "versions", j, "--lang", "es", "--json"]).json().arrayValue ?? []
        #expect(versions.map { $0["author"]?.stringValue } == ["ana@example.com", "ed@example.com", "lin@example.com"])
        #expect(!w.run(["vtt", "versions", j, "--lang", "es"]).stdout.contains("unknown"))
    }

    @Test("retranslate: usage, the source language, no stale cues, and a named cue (apertium)")
    func retranslate() throws {
        let w = try TrackWorkspace()
        let j = w.job
        #expect(w.run(["vtt", "retranslate", "--help"]).stdout.contains("olleey vtt retranslate"))
        #expect(w.run(["vtt", "retranslate", j, "--lang", "es"]).exit == 64)
        #expect(w.run(["vtt", "retranslate", j, "--lang", "en", "--cue", "1"]).exit == 65)
        w.dir.write("es.vtt", VTTCLITrackTests.es1)
        #expect(w.run(["vtt", "import", "es.vtt", "--job", j, "--lang", "es", "--as", "ana@example.com"]).exit == 0)
        let none = w.run(["vtt", "retranslate", j, "--lang", "es", "--stale"])
        #expect(none.exit == 65 && none.stderr.contains("no stale cues"))
        #expect(w.run(["vtt", "retranslate", j, "--lang", "es", "--cue", "9"]).exit == 66)
        let r = w.run(["vtt", "retranslate", j, "--lang", "es", "--cue", "1", "--json"])
        #expect(r.exit == 0, "\(r.stderr)")
        #expect(try r.json()["translated"] == .array(["1"]))
        let cues = try w.run(["vtt", "show", j, "--lang", "es", "--json"]).json()["cues"]?.arrayValue ?? []
        #expect(cues.first?["author"] == .string("olleey/apertium"))
        #expect(cues.first?["text"]?.stringValue?.lowercased().contains("hola") == true)
        #expect(cues.last?["text"] == .string("Segunda"))  // a person's cue, not named: kept
    }
}
