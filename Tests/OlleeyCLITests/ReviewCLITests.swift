import Foundation
import Testing
import OlleeyCLI
import OlleeyKit
import OlleeyTestSupport

// olleey user|qc|glossary|cost|project|channel, in process, on temporary workspaces.

final class ReviewWorkspace: @unchecked Sendable {
    let dir = TempDir("olleey-review-cli")
    let env: [String: String] = ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin", "NO_COLOR": "1"]
    var path: String { dir.path }

    init() throws {
        let i = run(["init"])
        guard i.exit == 0 else { throw OlleeyError.failure("olleey init failed: \(i.stderr)") }
    }

    func run(_ args: [String], stdin: String = "") -> CLIResult { olleey(args, cwd: path, env: env, stdin: stdin) }

    /// Runs and expects exit 0; returns the JSON document printed.
    @discardableResult
    func json(_ args: [String], sourceLocation: SourceLocation = #_sourceLocation) throws -> JSON {
        let r = run(args + ["--json"])
        #expect(r.exit == 0, "\(args.joined(separator: " ")): \(r.stderr)", sourceLocation: sourceLocation)
        return try r.json()
    }
}

@Suite("olleey user, qc, glossary, cost, project, channel")
struct ReviewCLITests {
    @Test("cost estimate reproduces the HTTP spec's example; bad input exits 64/65/66")
    func costEstimate() throws {
        let w = try ReviewWorkspace()
        let j = try w.json(["cost", "estimate", "--duration", "180s", "--lang", "es,fr,de", "--lip-sync"])
        #expect(j["estimated_cost"] == .double(15.75))
        #expect(j["breakdown"]?["dubbing"] == .double(9.0))
        #expect(j["breakdown"]?["lip_sync"] == .double(6.75))
        #expect(j["breakdown"]?["per_language"] == .double(5.25))
        #expect(j["currency"] == .string("USD"))
        #expect(j["estimated_cost_micros"] == .int(15_750_000))
        #expect(try w.json(["cost", "estimate", "--duration", "3m", "--lang", "es", "--lang", "fr", "--lang", "de", "--lip-sync"])["estimated_cost_micros"] == .int(15_750_000))
        let human = w.run(["cost", "estimate", "--duration", "00:03:00", "--lang", "es,fr,de", "--lip-sync"])
        #expect(human.exit == 0 && human.stdout.contains("total $15.75 USD"))
        #expect(w.run(["cost", "estimate", "--duration", "-5s", "--lang", "es"]).exit == 65)
        #expect(w.run(["cost", "estimate", "--duration", "0s", "--lang", "es"]).exit == 65)
        #expect(w.run(["cost", "estimate", "--duration", "100h", "--lang", "es"]).exit == 65)
        #expect(w.run(["cost", "estimate", "--duration", "soon", "--lang", "es"]).exit == 64)
        #expect(w.run(["cost", "estimate", "--duration", "3m"]).exit == 64)
        #expect(w.run(["cost", "estimate", "--lang", "es"]).exit == 64)
        #expect(w.run(["cost", "estimate", "--duration", "3m", "--video", "x.mp4", "--lang", "es"]).exit == 64)
        #expect(w.run(["cost", "estimate", "--video", "missing.mp4", "--lang", "es"]).exit == 66)
        #expect(w.run(["cost", "estimate", "--duration", "3m", "--lang", "xx"]).exit == 65)
        let err = w.run(["cost", "estimate", "--duration", "-5s", "--lang", "es", "--json"])
        #expect(ErrorEnvelope(stderr: err.stderr)?.code == "invalid")
        // outside a workspace: the default rate card (other cost commands need one: 78)
        let bare = TempDir("olleey-no-workspace")
        let outside = olleey(["cost", "estimate", "--duration", "3m", "--lang", "es,fr,de", "--lip-sync", "--json"], cwd: bare.path, env: w.env)
        #expect(outside.exit == 0)
        #expect(try outside.json()["estimated_cost"] == .double(15.75))
        #expect(olleey(["cost", "rates"], cwd: bare.path, env: w.env).exit == 78)
    }

    @Test("cost rates: list, set, reset; a non-number is 65 and an unknown key is 64, changing nothing")
    func costRates() throws {
        let w = try ReviewWorkspace()
        let rates = try w.json(["cost", "rates"])
        #expect(rates.arrayValue?.count == 5)
        let bad = w.run(["cost", "rates", "--set", "speak=abc"])
        #expect(bad.exit == 65 && bad.stderr.contains("not a number"))
        let unknown = w.run(["cost", "rates", "--set", "spek=0.6"])
        #expect(unknown.exit == 64 && unknown.stderr.contains("did you mean 'speak'"))
        #expect(w.run(["cost", "rates", "--set", "speak"]).exit == 64)
        #expect(try w.json(["cost", "rates"]) == rates)
        let set = try w.json(["cost", "rates", "--set", "speak=0.60", "--set", "translate.http=$0.40"])
        #expect(set.arrayValue?.first { $0["key"] == .string("speak") }?["micros_per_minute"] == .int(600_000))
        #expect(set.arrayValue?.contains { $0["key"] == .string("translate.http") } == true)
        #expect(try w.json(["cost", "estimate", "--duration", "1m", "--lang", "es"])["estimated_cost_micros"] == .int(1_100_000))
        #expect(try w.json(["cost", "rates", "--reset", "speak", "--reset", "translate.http"]) == rates)
        #expect(try w.json(["cost", "summary"])["total_spent_micros"] == .int(0))
        #expect(w.run(["cost", "summary", "--since", "last tuesday"]).exit == 64)
        #expect(w.run(["cost", "summary", "--project", "nope"]).exit == 66)
        #expect(w.run(["cost", "job", "nope"]).exit == 66)
    }

    static let tbx = """
        <?xml version="1.0" encoding="UTF-8"?>
        <tbx type="TBX-Basic" style="dca" xml:lang="en" xmlns="urn:iso:std:iso:30042:ed-2">
        <tbxHeader><fileDesc><sourceDesc><p>test</p></sourceDesc></fileDesc></tbxHeader>
        <text><body>
        <conceptEntry id="c1"><langSec xml:lang="en"><termSec><term>dubbing</term></termSec></langSec><langSec xml:lang="es"><termSec><term>doblaje</term></termSec></langSec></conceptEntry>
        <conceptEntry id="c2"><langSec xml:lang="en"><termSec><term>channel</term></termSec></langSec><langSec xml:lang="es"><termSec><term>canal</term></termSec></langSec></conceptEntry>
        </body></text></tbx>
        """

    @Test("glossary: create, terms, TBX and CSV import and export, check with exit codes")
    func glossary() throws {
        let w = try ReviewWorkspace()
        #expect(try w.json(["glossary", "create", "brand", "--source-lang", "en"])["source_lang"] == .string("en"))
        #expect(w.run(["glossary", "create", "brand", "--source-lang", "en"]).exit == 1)
        #expect(w.run(["glossary", "create", "x", "--source-lang", "klingon"]).exit == 65)
        #expect(try w.json(["glossary", "term", "add", "brand", "Olleey", "--dnt"])["dnt"] == .bool(true))
        #expect(w.run(["glossary", "term", "add", "brand", "Olleey"]).exit == 1)
        #expect(w.run(["glossary", "term", "add", "brand", "x", "--target", "es"]).exit == 64)
        #expect(w.run(["glossary", "term", "add", "brand", "x", "--target", "zz=y"]).exit == 65)
        #expect(w.run(["glossary", "term", "add", "nope", "x"]).exit == 66)
        w.dir.write("terms.tbx", Self.tbx)
        #expect(try w.json(["glossary", "import", "brand", "terms.tbx"])["imported"] == .int(2))
        let terms = try w.json(["glossary", "term", "list", "brand"])
        #expect(terms.arrayValue?.compactMap { $0["term"]?.stringValue } == ["Olleey", "dubbing", "channel"])
        #expect(terms.encoded().contains("doblaje") && terms.encoded().contains("canal"))
        // malformed: 65 with the line, nothing imported
        w.dir.write("broken.tbx", "<tbx><text><body>\n<conceptEntry>")
        let broken = w.run(["glossary", "import", "brand", "broken.tbx"])
        #expect(broken.exit == 65)
        #expect(broken.stderr.contains("broken.tbx:2:"))
        w.dir.write("bad.csv", "term,es\nvideo,vídeo\nshort\n")
        let badCSV = w.run(["glossary", "import", "brand", "bad.csv", "--strict"])
        #expect(badCSV.exit == 65 && badCSV.stderr.contains("bad.csv:3:"))
        #expect(try w.json(["glossary", "term", "list", "brand"]).arrayValue?.count == 3)
        #expect(w.run(["glossary", "import", "brand", "terms.txt"]).exit == 64)
        // export and import into another glossary, both formats
        for fmt in ["csv", "tbx"] {
            #expect(w.run(["glossary", "export", "brand", "-o", "out.\(fmt)"]).exit == 0)
            _ = try w.json(["glossary", "create", "copy-\(fmt)", "--source-lang", "en"])
            #expect(try w.json(["glossary", "import", "copy-\(fmt)", "out.\(fmt)"])["terms"] == .int(3))
            #expect(try w.json(["glossary", "term", "list", "copy-\(fmt)"]).arrayValue?.map { $0.selecting(fields: ["term", "dnt", "targets"]) }
                    == terms.arrayValue?.map { $0.selecting(fields: ["term", "dnt", "targets"]) })
        }
        #expect(w.run(["glossary", "export", "brand", "--format", "csv"]).stdout.hasPrefix("term,variants,"))
        // check
        w.dir.write("src.vtt", "WEBVTT\n\n1\n00:00:01.000 --> 00:00:02.000\nWelcome to Olleey and our channels.\n")
        w.dir.write("bad.es.vtt", "WEBVTT\n\n1\n00:00:01.000 --> 00:00:02.000\nBienvenidos a Oleada y a nuestras cadenas.\n")
        w.dir.write("good.es.vtt", "WEBVTT\n\n1\n00:00:01.000 --> 00:00:02.000\nBienvenidos a Olleey y a nuestros canales.\n")
        let bad = w.run(["glossary", "check", "bad.es.vtt", "--glossary", "brand", "--lang", "es", "--source", "src.vtt", "--json"])
        #expect(bad.exit == 1)
        let report = try bad.json()
        #expect(report["ok"] == .bool(false))
        #expect(report["violations"]?.arrayValue?.compactMap { $0["kind"]?.stringValue } == ["dnt_altered", "missing_translation"])
        let text = w.run(["glossary", "check", "bad.es.vtt", "--glossary", "brand", "--lang", "es", "--source", "src.vtt"])
        #expect(text.exit == 1 && text.stdout.contains("bad.es.vtt:4: cue 1 (00:00:01.000): dnt_altered:"))
        let good = w.run(["glossary", "check", "good.es.vtt", "--glossary", "brand", "--lang", "es", "--source", "src.vtt", "--json"])
        #expect(good.exit == 0)
        #expect(try good.json()["ok"] == .bool(true))
        #expect(w.run(["glossary", "check", "good.es.vtt", "--glossary", "nope", "--lang", "es"]).exit == 66)
        #expect(w.run(["glossary", "check", "missing.vtt", "--glossary", "brand", "--lang", "es"]).exit == 66)
        #expect(w.run(["glossary", "check", "good.es.vtt", "--glossary", "brand"]).exit == 64)
        w.dir.write("notvtt.vtt", "hello\n")
        #expect(w.run(["glossary", "check", "notvtt.vtt", "--glossary", "brand", "--lang", "es"]).exit == 65)
        #expect(try w.json(["glossary", "term", "rm", "brand", "channel"])["removed"] == .bool(true))
        #expect(try w.json(["glossary", "delete", "copy-csv"])["deleted"] == .bool(true))
        #expect(try w.json(["glossary", "list"]).arrayValue?.count == 2)
    }

    @Test("users, qc permissions and errors without a pipeline run")
    func usersAndQCErrors() throws {
        let w = try ReviewWorkspace()
        #expect(try w.json(["user", "create", "--email", "ana@example.com", "--role", "linguist"])["role"] == .string("LINGUIST"))
        _ = try w.json(["user", "create", "--email", "pm@example.com", "--role", "PM"])
        _ = try w.json(["user", "create", "--email", "bo@example.com", "--role", "CLIENT"])
        let badRole = w.run(["user", "create", "--email", "x@example.com", "--role", "LINGUST"])
        #expect(badRole.exit == 64 && badRole.stderr.contains("did you mean LINGUIST"))
        #expect(w.run(["user", "create", "--email", "ana@example.com", "--role", "PM"]).exit == 1)
        #expect(w.run(["user", "create", "--email", "not-an-email", "--role", "PM"]).exit == 64)
        #expect(w.run(["user", "create", "--email", "y@example.com", "--role", "ADMIN", "--as", "ana@example.com"]).exit == 77)
        #expect(try w.json(["user", "list"]).arrayValue?.count == 3)
        #expect(try w.json(["user", "update", "bo@example.com", "--name", "Bo"])["name"] == .string("Bo"))
        #expect(w.run(["user", "show", "nobody@example.com"]).exit == 66)
        #expect(w.run(["qc", "status", "nope"]).exit == 66)
        #expect(w.run(["qc", "assign", "nope", "--lang", "es", "--to", "ana@example.com", "--as", "pm@example.com"]).exit == 66)
    }

    @Test("projects and channels: create, list, graph, pause, delete with --force")
    func projectsAndChannels() throws {
        let w = try ReviewWorkspace()
        let p = try w.json(["project", "create", "Demo"])
        #expect(p["name"] == .string("Demo"))
        #expect(w.run(["project", "create", "Demo"]).exit == 1)
        #expect(try w.json(["project", "list"]).arrayValue?.count == 1)
        #expect(try w.json(["project", "show", "Demo"])["jobs"] == .int(0))
        #expect(w.run(["project", "show", "nope"]).exit == 66)
        let m = try w.json(["channel", "create", "main", "--lang", "en", "--project", "Demo"])
        #expect(m["kind"] == .string("master") && m["project_id"] == p["id"])
        #expect(try w.json(["channel", "create", "main-es", "--master", "main", "--lang", "es"])["project_id"] == p["id"])
        #expect(w.run(["channel", "create", "main-es2", "--master", "main", "--lang", "es"]).exit == 1)
        #expect(w.run(["channel", "create", "x", "--master", "main"]).exit == 64)
        #expect(w.run(["channel", "create", "y", "--master", "nope", "--lang", "fr"]).exit == 66)
        #expect(w.run(["channel", "create", "z", "--publish-url", "not a url"]).exit == 64)
        let g = try w.json(["channel", "graph"])
        #expect(g["master_nodes"]?.arrayValue?.first?["language_channels"]?.arrayValue?.count == 1)
        let tree = w.run(["channel", "graph"])
        #expect(tree.exit == 0 && tree.stdout.contains("main  [master, en, active]") && tree.stdout.contains("└── main-es  [es, active]"))
        #expect(try w.json(["channel", "pause", "main-es"])["status"] == .string("paused"))
        #expect(w.run(["channel", "pause", "main-es"]).exit == 1)
        #expect(try w.json(["channel", "unpause", "main-es"])["is_paused"] == .bool(false))
        #expect(try w.json(["channel", "update", "main-es", "--is-paused", "true"])["status"] == .string("paused"))
        #expect(try w.json(["channel", "list", "--master", "main"]).arrayValue?.count == 2)
        #expect(try w.json(["channel", "delete", "main-es"])["deleted"] == .bool(true))
        #expect(w.run(["project", "delete", "Demo"]).exit == 1)   // it has a channel
        #expect(try w.json(["project", "delete", "Demo", "--force"])["deleted"] == .bool(true))
        #expect(try w.json(["channel", "show", "main"])["project_id"] == .null)
    }

    static let tools = ToolCheck.media
    static let missingTools = ToolCheck.missing(tools)

    @Test("end to end: --require-approval --glossary, approve one language, reject another, fix, approve, complete, cost recorded",
          .enabled(if: missingTools.isEmpty, "needs ffmpeg, ffprobe, apertium and espeak-ng (missing: \(missingTools.joined(separator: ", "))); run scripts/bootstrap"))
    func endToEnd() throws {
        let w = try ReviewWorkspace()
        try Subprocess.run("ffmpeg", ["-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=160x120:rate=10:duration=5",
                                      "-f", "lavfi", "-i", "sine=frequency=220:duration=5", "-shortest", "-c:v", "libx264", "-pix_fmt", "yuv420p",
                                      "-c:a", "aac", w.dir.file("talk.mp4")], timeout: 60)
        w.dir.write("talk.en.vtt", "WEBVTT\n\n1\n00:00:00.300 --> 00:00:02.000\nWelcome to Olleey.\n\n2\n00:00:02.500 --> 00:00:04.500\nThis is our channel.\n")
        for (e, r) in [("pm@example.com", "PM"), ("ana@example.com", "LINGUIST"), ("rui@example.com", "LINGUIST"), ("bo@example.com", "CLIENT")] {
            _ = try w.json(["user", "create", "--email", e, "--role", r])
        }
        _ = try w.json(["glossary", "create", "brand", "--source-lang", "en"])
        _ = try w.json(["glossary", "term", "add", "brand", "Olleey", "--dnt", "--case-sensitive"])
        _ = try w.json(["glossary", "term", "add", "brand", "channel", "--target", "es=canal", "--target", "ca=canal"])

        // the budget cap refuses first: nothing is created
        let over = w.run(["job", "create", "talk.mp4", "--subtitles", "talk.en.vtt", "--lang", "es,ca", "--max-cost", "0.10"])
        #expect(over.exit == 1 && over.stderr.contains("exceeds the budget cap of $0.10") && over.stderr.contains("pass --max-cost"))
        #expect(w.run(["job", "create", "talk.mp4", "--subtitles", "talk.en.vtt", "--lang", "es", "--max-cost", "lots"]).exit == 65)
        #expect(w.run(["job", "create", "talk.mp4", "--subtitles", "talk.en.vtt", "--lang", "es", "--glossary", "nope"]).exit == 66)
        #expect(try w.json(["job", "list"]) == .array([]))

        let created = try w.json(["job", "create", "talk.mp4", "--subtitles", "talk.en.vtt", "--source-lang", "en", "--lang", "es,ca",
                                  "--require-approval", "--glossary", "brand", "--max-cost", "1"])
        guard let job = created["id"]?.stringValue else { Issue.record("no job id"); return }
        _ = try w.json(["qc", "assign", job, "--lang", "es", "--to", "ana@example.com", "--as", "pm@example.com"])
        _ = try w.json(["qc", "assign", job, "--lang", "ca", "--to", "rui@example.com", "--as", "pm@example.com"])
        #expect(w.run(["qc", "assign", job, "--lang", "ca", "--to", "bo@example.com", "--as", "pm@example.com"]).exit == 65)

        // run: it waits for approval, which is not completed: exit 3 (jobs_incomplete)
        #expect(w.run(["job", "run", job]).exit == 3)
        #expect(try w.json(["job", "show", job])["status"] == .string("waiting_approval"))
        // the do-not-translate term went through translation unchanged; the required term is there
        let es = w.run(["vtt", "show", job, "--lang", "es"]).stdout
        #expect(es.contains("Olleey") && es.contains("canal"), "\(es)")
        let qc = try w.json(["qc", "status", job])
        #expect(qc["languages"]?.arrayValue?.compactMap { $0["state"]?.stringValue } == ["in_review", "in_review"])
        #expect(qc["languages"]?.arrayValue?.first?["glossary"]?["ok"] == .bool(true))

        // a client may not approve; ana approves es; rui rejects ca with a reason
        #expect(w.run(["qc", "approve", job, "--lang", "es", "--as", "bo@example.com"]).exit == 77)
        #expect(w.run(["qc", "approve", job, "--lang", "es", "--as", "rui@example.com"]).exit == 77)
        _ = try w.json(["qc", "approve", job, "--lang", "es", "--as", "ana@example.com"])
        #expect(w.run(["qc", "approve", job, "--lang", "es", "--as", "ana@example.com"]).exit == 1)
        _ = try w.json(["qc", "reject", job, "--lang", "ca", "--reason", "too literal", "--as", "rui@example.com"])
        #expect(w.run(["job", "show", job]).stdout.contains("too literal"))
        let shown = try w.json(["job", "show", job])
        #expect(shown["status"] == .string("waiting_approval"))
        #expect(shown["languages"]?.arrayValue?.first { $0["language"] == .string("ca") }?["error"]?.stringValue?.contains("too literal") == true)
        // es is locked
        #expect(w.run(["vtt", "edit", job, "--lang", "es", "--cue", "1", "--text", "Hola"]).exit == 1)

        // rui fixes ca; it goes back to review; the job renders it again and waits
        _ = try w.json(["vtt", "edit", job, "--lang", "ca", "--cue", "1", "--text", "Benvinguts a Olleey.", "--as", "rui@example.com"])
        #expect(try w.json(["qc", "status", job, "--lang", "ca"])["languages"]?.arrayValue?.first?["state"] == .string("in_review"))
        #expect(w.run(["job", "run", job]).exit == 3)
        #expect(try w.json(["job", "show", job])["status"] == .string("waiting_approval"))
        _ = try w.json(["qc", "approve", job, "--lang", "ca", "--as", "rui@example.com"])
        #expect(w.run(["job", "run", job]).exit == 0)
        #expect(try w.json(["job", "show", job])["status"] == .string("completed"))

        // the actual cost was recorded per stage and language
        let cost = try w.json(["cost", "job", job])
        let actual = cost["actual_cost_micros"]?.intValue ?? 0
        #expect(actual > 0)
        #expect(cost["estimated_cost_micros"]?.intValue == actual)
        let stages = Set(cost["entries"]?.arrayValue?.compactMap { e in e["stage"]?.stringValue.map { $0 + "/" + (e["language"]?.stringValue ?? "") } } ?? [])
        #expect(stages == ["translate/es", "speak/es", "mix/es", "translate/ca", "speak/ca", "mix/ca", "transcribe/"])
        #expect(try w.json(["cost", "summary"])["total_spent_micros"]?.intValue == actual)
        // and the history of the review
        let history = try w.json(["qc", "status", job, "--lang", "ca"])["languages"]?.arrayValue?.first?["history"]?.arrayValue?.compactMap { $0["action"]?.stringValue }
        #expect(history == ["assign", "ready", "reject", "revise", "approve"])
    }
}
