import Foundation
import Testing
import OlleeyCLI
import OlleeyKit
import OlleeyTestSupport

// issue 10: bad input refused at `job create` (65, file:line:col, a hint), `olleey engines`,
// and job ids printed as the shortest unique prefix. In process, on temporary workspaces with
// a real (tiny) video.

final class CreateWorkspace: @unchecked Sendable {
    static let tools = ToolCheck.media
    static let missing = ToolCheck.missing(tools)
    static var available: Bool { missing.isEmpty }
    static var skipReason: Comment { "needs \(tools.joined(separator: ", ")) (missing: \(missing.joined(separator: ", "))); run scripts/bootstrap" }

    let dir = TempDir("olleey-create-cli")
    let env: [String: String] = ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin", "NO_COLOR": "1"]
    var path: String { dir.path }

    init() throws {
        try Subprocess.run("ffmpeg", ["-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=160x120:rate=10:duration=6",
                                      "-f", "lavfi", "-i", "sine=frequency=440:duration=6", "-shortest", "-c:v", "libx264",
                                      "-pix_fmt", "yuv420p", "-c:a", "aac", dir.file("v.mp4")], timeout: 60)
        dir.write("en.vtt", "WEBVTT\n\n1\n00:00:00.500 --> 00:00:02.000\nHello world.\n\n2\n00:00:02.500 --> 00:00:04.000\nSee you soon.\n")
        let i = run(["init"])
        guard i.exit == 0 else { throw OlleeyError.failure("olleey init failed: \(i.stderr)") }
    }

    func run(_ args: [String]) -> CLIResult { olleey(args, cwd: path, env: env) }

    /// `job create v.mp4 --subtitles FILE --lang es` with `extra` arguments.
    func create(subtitles: String = "en.vtt", source: String = "v.mp4", _ extra: [String] = []) -> CLIResult {
        run(["job", "create", source, "--subtitles", subtitles, "--source-lang", "en", "--lang", "es"] + extra)
    }

    func jobCount() throws -> Int64 {
        try Workspace(root: path).open().scalarInt("SELECT count(*) FROM jobs") ?? -1
    }
}

@Suite("job create refuses bad input; olleey engines; unique id prefixes", .enabled(if: CreateWorkspace.available, CreateWorkspace.skipReason))
struct CreateCLITests {
    /// Expects exit 65 with `file:line:` in stderr and nothing created, with and without --dry-run.
    func expectRefused(_ w: CreateWorkspace, subtitles: String, line: Int, _ contains: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        for dry in [false, true] {
            let r = w.create(subtitles: subtitles, dry ? ["--dry-run"] : [])
            #expect(r.exit == 65, "\(subtitles) dry=\(dry): \(r.exit) \(r.stderr)", sourceLocation: sourceLocation)
            #expect(r.stderr.contains("\(subtitles):\(line):"), "\(r.stderr)", sourceLocation: sourceLocation)
            #expect(r.stderr.contains(contains), "\(r.stderr)", sourceLocation: sourceLocation)
            #expect(r.stderr.contains("hint:"), "\(r.stderr)", sourceLocation: sourceLocation)
        }
        #expect(try w.jobCount() == 0, sourceLocation: sourceLocation)
    }

    @Test("a cue that ends before it starts is refused with its line")
    func invertedCue() throws {
        let w = try CreateWorkspace()
        w.dir.write("inverted.vtt", "WEBVTT\n\n00:00:05.000 --> 00:00:04.000\nBackwards.\n")
        try expectRefused(w, subtitles: "inverted.vtt", line: 3, "ends at or before its start")
        w.dir.write("inverted.srt", "1\n00:00:01,000 --> 00:00:02,000\nFine.\n\n2\n00:00:05,000 --> 00:00:04,000\nBackwards.\n")
        try expectRefused(w, subtitles: "inverted.srt", line: 6, "ends at or before its start")
    }

    @Test("a timestamp that does not parse is refused, not dropped")
    func badTimestamp() throws {
        let w = try CreateWorkspace()
        w.dir.write("badts.vtt", "WEBVTT\n\n1\n00:00:00.500 --> 00:00:02.000\nFine.\n\n2\n00:00:02.500 --> 00:00:0x.000\nDropped today.\n")
        try expectRefused(w, subtitles: "badts.vtt", line: 8, "invalid end timestamp")
        w.dir.write("badts.srt", "1\n00:00:00,500 --> 00:00:02,000\nFine.\n\n2\n00:00:02,500 --> 00:00:0x,000\nDropped today.\n")
        try expectRefused(w, subtitles: "badts.srt", line: 6, "does not parse")
    }

    @Test("cues out of order are refused (not sorted), naming the cue's line")
    func outOfOrder() throws {
        let w = try CreateWorkspace()
        w.dir.write("order.vtt", "WEBVTT\n\n1\n00:00:03.000 --> 00:00:04.000\nSecond.\n\n2\n00:00:00.500 --> 00:00:02.000\nFirst.\n")
        try expectRefused(w, subtitles: "order.vtt", line: 8, "out of order")
        #expect(w.run(["job", "create", "--help"]).stdout.contains("out of start-time order (refused, never sorted"))
    }

    @Test("a cue far too long for its slot (> 4x) is refused; one 2x too long is created (overflow is fitted and reported)")
    func farTooLong() throws {
        let w = try CreateWorkspace()
        let huge = String(repeating: "word ", count: 4000)
        w.dir.write("huge.vtt", "WEBVTT\n\n1\n00:00:00.500 --> 00:00:01.000\nHi.\n\n2\n00:00:01.000 --> 00:00:03.000\n\(huge)\n")
        try expectRefused(w, subtitles: "huge.vtt", line: 8, "far too long for its slot")
        // ~60 characters at 175 wpm (16 chars/s) is ~3.8 s for a 1.9 s slot: about 2x, accepted
        w.dir.write("long.vtt", "WEBVTT\n\n1\n00:00:00.500 --> 00:00:02.000\nThis line is rather long for the time it has on screen here.\n\n2\n00:00:02.500 --> 00:00:04.000\nOk.\n")
        let r = w.create(subtitles: "long.vtt", ["--json"])
        #expect(r.exit == 0, "\(r.stderr)")
        #expect(w.run(["job", "create", "--help"]).stdout.contains("4x"))
    }

    @Test("an unknown voice is refused with the voices there are; known voices and variants pass")
    func unknownVoice() throws {
        let w = try CreateWorkspace()
        for v in ["es=klingon", "es=es+klingon"] {
            for dry in [false, true] {
                let r = w.create(["--voice", v] + (dry ? ["--dry-run"] : []))
                #expect(r.exit == 65, "\(v): \(r.exit) \(r.stderr)")
                #expect(r.stderr.contains("klingon") && r.stderr.contains("es-419"), "\(r.stderr)")
            }
        }
        #expect(try w.jobCount() == 0)
        for v in ["es=es-419", "es=+f3", "es=es+m2"] {
            let r = w.create(["--voice", v, "--dry-run", "--json"])
            #expect(r.exit == 0, "\(v): \(r.stderr)")
        }
    }

    @Test("a language pair apertium lacks: 69, naming the pairs there are (as olleey engines lists them)")
    func missingPair() throws {
        let w = try CreateWorkspace()
        let r = w.run(["job", "create", "v.mp4", "--subtitles", "en.vtt", "--lang", "ja"])
        #expect(r.exit == 69, "\(r.stderr)")
        #expect(r.stderr.contains("from en it has: ca, eo, es") && r.stderr.contains("olleey engines"), "\(r.stderr)")
    }

    @Test("a source that is not media is refused at create")
    func notMedia() throws {
        let w = try CreateWorkspace()
        w.dir.write("text.mp4", "not a video\n")
        for dry in [false, true] {
            let r = w.create(source: "text.mp4", dry ? ["--dry-run"] : [])
            #expect(r.exit == 65, "\(r.exit) \(r.stderr)")
            #expect(r.stderr.contains("text.mp4") && r.stderr.contains("hint:"), "\(r.stderr)")
        }
        #expect(try w.jobCount() == 0)
        // a video without audio and without subtitles: nothing to transcribe; with subtitles it is dubbed
        try Subprocess.run("ffmpeg", ["-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=160x120:rate=10:duration=2",
                                      "-c:v", "libx264", "-pix_fmt", "yuv420p", w.dir.file("silent.mp4")], timeout: 60)
        let silent = w.run(["job", "create", "silent.mp4", "--lang", "es"])
        #expect(silent.exit == 65 && silent.stderr.contains("no audio stream") && silent.stderr.contains("--subtitles"), "\(silent.stderr)")
        #expect(w.create(source: "silent.mp4").exit == 0)
    }

    @Test("job list filters take the same validation: an unknown language is 65, an unknown project or channel 66, not an empty list")
    func listLang() throws {
        let w = try CreateWorkspace()
        #expect(w.create().exit == 0)
        let bad = w.run(["job", "list", "--lang", "xx", "--json"])
        #expect(bad.exit == 65 && bad.stderr.contains("unknown language 'xx'"), "\(bad.exit) \(bad.stderr)")
        #expect(try w.run(["job", "list", "--lang", "es", "--json"]).json().arrayValue?.count == 1)
        #expect(try w.run(["job", "list", "--lang", "Spanish", "--json"]).json().arrayValue?.count == 1)
        // project and channel filters by id or name, as create takes them; unknown ones are 66
        #expect(w.run(["project", "create", "Demo"]).exit == 0)
        #expect(w.create(["--project", "Demo"]).exit == 0)
        #expect(try w.run(["job", "list", "--project", "Demo", "--json"]).json().arrayValue?.count == 1)
        #expect(w.run(["job", "list", "--project", "nope"]).exit == 66)
        #expect(w.run(["job", "list", "--channel", "nope"]).exit == 66)
    }

    @Test("engines: stages, engines, installed, versions, apertium pairs both ways, espeak-ng voices (JSON, TSV, TTY)")
    func engines() throws {
        let w = try CreateWorkspace()
        let r = w.run(["engines", "--json"])
        #expect(r.exit == 0, "\(r.stderr)")
        let entries = try r.json().arrayValue ?? []
        func entry(_ stage: String) -> JSON? { entries.first { $0["stage"]?.stringValue == stage } }
        #expect(entries.compactMap { $0["stage"]?.stringValue } == ["media", "transcribe", "translate", "speak", "separate", "lipsync", "describe", "diarize"])
        #expect(entry("diarize")?["engine"] == "none" && entry("describe")?["engine"] == "none")
        let tr = try #require(entry("translate"))
        #expect(tr["engine"] == "apertium" && tr["installed"] == .bool(true))
        let pairs = tr["language_pairs"]?.arrayValue?.compactMap { $0["pair"]?.stringValue } ?? []
        #expect(pairs.contains("en-es") && pairs.contains("es-en") && pairs.contains("en-ca"), "\(pairs)")
        #expect(!pairs.contains { $0.contains("_") || $0.contains("bytecode") })
        let sp = try #require(entry("speak"))
        #expect(sp["engine"] == "espeak-ng" && sp["installed"] == .bool(true) && sp["version"]?.stringValue?.contains("espeak-ng") == true)
        #expect(sp["voices"]?["es"]?.arrayValue?.contains("es-419") == true)
        #expect(sp["voice_variants"]?.arrayValue?.contains("f3") == true)
        #expect(entry("separate")?["engine"] == "none")
        // a configured engine that is missing is reported, not thrown
        #expect(w.run(["config", "set", "engines.speak", "command"]).exit == 0)
        let cfg = try w.run(["engines", "--json"]).json().arrayValue ?? []
        let cmd = cfg.first { $0["stage"]?.stringValue == "speak" }
        #expect(cmd?["engine"] == "command" && cmd?["installed"] == .bool(false) && cmd?["note"]?.stringValue?.contains("engines.speak.command") == true)
        #expect(w.run(["config", "unset", "engines.speak"]).exit == 0)
        #expect(w.run(["config", "set", "engines.transcribe", "subtitles"]).exit == 0)
        let subs = try w.run(["engines", "--json"]).json().arrayValue?.first { $0["stage"]?.stringValue == "transcribe" }
        #expect(subs?["engine"] == "subtitles" && subs?["installed"] == .bool(true), "\(String(describing: subs))")
        #expect(w.run(["config", "unset", "engines.transcribe"]).exit == 0)

        // --lang: only that language's pairs and voices; an unknown language is 65
        let es = try w.run(["engines", "--lang", "ca", "--json"]).json().arrayValue ?? []
        let caPairs = es.first { $0["stage"]?.stringValue == "translate" }?["language_pairs"]?.arrayValue?.compactMap { $0["pair"]?.stringValue } ?? []
        #expect(caPairs.sorted() == ["ca-en", "en-ca"], "\(caPairs)")
        #expect(w.run(["engines", "--lang", "xx"]).exit == 65)

        // TSV in a pipe: one row per stage, five columns, no header
        let tsv = w.run(["engines"]).stdout.split(separator: "\n")
        #expect(tsv.count == 8 && tsv.allSatisfy { $0.split(separator: "\t", omittingEmptySubsequences: false).count == 5 }, "\(tsv)")
        #expect(tsv.contains { $0.hasPrefix("translate\tapertium\tyes\t") && $0.contains("en-es") })
        // the http diarizer: its URL, how the audio is sent; without a URL, why it is not usable
        #expect(w.run(["config", "set", "engines.diarize", "http"]).exit == 0)
        let noURL = try w.run(["engines", "--json"]).json().arrayValue?.first { $0["stage"]?.stringValue == "diarize" }
        #expect(noURL?["installed"] == .bool(false) && noURL?["note"]?.stringValue?.contains("engines.diarize.url") == true, "\(String(describing: noURL))")
        #expect(w.run(["config", "set", "engines.diarize.url", "http://127.0.0.1:9/diarize"]).exit == 0)
        let http = try w.run(["engines", "--json"]).json().arrayValue?.first { $0["stage"]?.stringValue == "diarize" }
        #expect(http?["engine"] == "http" && http?["installed"] == .bool(true) && http?["version"] == "http http://127.0.0.1:9/diarize", "\(String(describing: http))")
        #expect(w.run(["config", "unset", "engines.diarize"]).exit == 0)
        // a table with a header on a TTY
        let out = OutputSink(capturingTTY: true), err = OutputSink()
        #expect(CLI.run(["engines", "--lang", "es"], environment: w.env, cwd: w.path, stdout: out, stderr: err, stdin: { [] }) == 0)
        let lines = out.captured.split(separator: "\n")
        #expect(lines.first?.contains("STAGE") == true || lines.first?.lowercased().contains("stage") == true, "\(out.captured)")
        #expect(out.captured.contains("voices for es: es") && out.captured.contains("es-419"), "\(out.captured)")
    }

    @Test("ids: the printed prefix is the shortest unique one (8+), and it resolves")
    func idPrefixes() throws {
        // pure: neighbours decide the length; never ends at '-'
        #expect(JobStore.shortestUniquePrefix("01a24ce3-1111-7000", neighbours: ["01b00000-0000-7000"]) == "01a24ce3")
        #expect(JobStore.shortestUniquePrefix("01a24ce3-1111-7000", neighbours: ["01a24ce3-1234-7000"]) == "01a24ce3-11")
        #expect(JobStore.shortestUniquePrefix("01a24ce3-1111-7000", neighbours: ["01a24ce3-2222-7000", "01a24ce2-0000-7000"]) == "01a24ce3-1")
        // a prefix covers a span of creation times that has passed: no later job can share it
        let id = "01a24ce3-5a3b-7000-8000-000000000000"
        #expect(JobStore.shortestUniquePrefix(id, neighbours: [], nowMs: 0x01a24ce35a3b) == "01a24ce3-5a3b")
        #expect(JobStore.shortestUniquePrefix(id, neighbours: [], nowMs: 0x01a24ce35a3b + 20) == "01a24ce3-5a3")
        #expect(JobStore.shortestUniquePrefix(id, neighbours: [], nowMs: 0x01a24ce35a3b + 70_000) == "01a24ce3")

        let w = try CreateWorkspace()
        var printed: [String] = []
        for _ in 0..<3 {
            let r = w.create()
            #expect(r.exit == 0, "\(r.stderr)")
            let id = r.stdout.components(separatedBy: "olleey job run ").dropFirst().first?.prefix { $0 != "'" && $0 != " " }
            printed.append(String(id ?? ""))
        }
        for p in printed {
            #expect(p.count >= 8)
            #expect(w.run(["job", "show", p, "--json"]).exit == 0, "\(p) does not resolve")
        }
        // two jobs whose ids share their first 12 characters: both printed with 13+
        let db = try Workspace(root: w.path).open()
        let store = JobStore(db)
        var job = try #require(try store.list(JobStore.Filter()).jobs.first)
        let a = "0190aaaa-bbbb-7ccc-8000-000000000001", b = "0190aaaa-bbbc-7ccc-8000-000000000002"
        job.id = a; try store.insert(job)
        job.id = b; try store.insert(job)
        #expect(try store.shortId(a) == "0190aaaa-bbbb")
        #expect(try store.shortId(b) == "0190aaaa-bbbc")
        #expect(w.run(["job", "show", "0190aaaa"]).exit == 64)  // what was printed before: ambiguous
        #expect(w.run(["job", "show", "0190aaaa-bbbb", "--json"]).exit == 0)
        // job list: short ids in the table a person reads, whole ids in a pipe
        let out = OutputSink(capturingTTY: true), err = OutputSink()
        #expect(CLI.run(["job", "list"], environment: w.env, cwd: w.path, stdout: out, stderr: err, stdin: { [] }) == 0)
        #expect(out.captured.contains("0190aaaa-bbbb ") && out.captured.contains("0190aaaa-bbbc ") && !out.captured.contains(a), "\(out.captured)")
        #expect(w.run(["job", "list"]).stdout.contains(a))
    }
}
