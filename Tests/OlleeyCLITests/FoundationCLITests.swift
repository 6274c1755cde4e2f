import Foundation
import Testing
import OlleeyCLI
import OlleeyKit
import OlleeyTestSupport

@Suite("CLI foundation commands")
struct FoundationCLITests {
    @Test func versionAndHelp() throws {
        let t = TempDir()
        let v = olleey(["--version"], cwd: t.path)
        #expect(v.exit == 0 && v.stdout == "olleey \(OlleeyVersion.string)\n")
        let h = olleey(["--help"], cwd: t.path)
        #expect(h.exit == 0 && h.stdout.contains("init") && h.stdout.contains("Examples:"))
        let vj = olleey(["version", "--json"], cwd: t.path)
        #expect(try vj.json()["version"]?.stringValue == OlleeyVersion.string)
    }

    @Test func everyLeafHasHelpWithAnExample() {
        for (path, node) in RootCommand.spec.walk() where node.run != nil {
            #expect(!node.examples.isEmpty, "\(path.joined(separator: " ")) has no example")
            let r = olleey(Array(path.dropFirst()) + ["--help"], cwd: "/")
            #expect(r.exit == 0, "\(path.joined(separator: " ")) --help failed")
            #expect(r.stdout.contains("Usage:"))
        }
    }

    @Test func unknownCommandAndOptionExit64WithSuggestion() {
        let t = TempDir()
        let a = olleey(["confg", "list"], cwd: t.path)
        #expect(a.exit == 64)
        #expect(a.stderr.contains("error: unknown command 'confg'"))
        #expect(a.stderr.contains("hint: did you mean 'config'"))
        #expect(a.stdout.isEmpty)
        let b = olleey(["--no-such-flag"], cwd: t.path)
        #expect(b.exit == 64)
        let c = olleey(["config", "list", "--jsn"], cwd: t.path)
        #expect(c.exit == 64 && c.stderr.contains("--json"))
    }

    @Test func missingWorkspaceExits78WithHint() {
        let t = TempDir()
        let r = olleey(["config", "list"], cwd: t.path)
        #expect(r.exit == 78)
        #expect(r.stderr.contains("hint: create one here, or name one; run 'olleey init'; pass --workspace PATH"))
        let j = olleey(["config", "list", "--json"], cwd: t.path)
        #expect(ErrorEnvelope(stderr: j.stderr)?.code == "config")
        #expect(ErrorEnvelope(stderr: j.stderr)?.next == ["command:init", "input:workspace"])
        // the next actions as data, for programs (and, in the server, as field names)
        #expect(j.stderr.contains(#""next":[{"kind":"command","action":"init","arguments":[],"fields":{}},{"kind":"input","field":"workspace","example":"PATH"}]"#), "\(j.stderr)")
    }

    @Test func errorsPhraseTheirNextActionsAsTheCommandLineSpellsThem() {
        let e = OlleeyError(.invalid, "bad", hint: "fix it", next: [.input("max-cost", example: "5"), .setting("engines.speak", example: "http"),
                                                                   .command("vtt edit", ["01a2"], options: ["lang": "es", "text": "Hola mundo", "plain": ""])])
        #expect(CLI.phrase(e) == "fix it; pass --max-cost 5; olleey config set engines.speak http; run 'olleey vtt edit 01a2 --lang es --plain --text \"Hola mundo\"'")
        #expect(CLI.phrase(OlleeyError(.invalid, "bad")) == nil)
        // no front end's syntax in the data: the server names the field
        #expect(NextAction.input("max-cost").json["field"] == .string("max_cost"))
        #expect(NextAction.command("job retry", ["x"]).json["action"] == .string("job.retry"))
    }

    @Test func initThenConfig() throws {
        let t = TempDir()
        let i = olleey(["init", "--json"], cwd: t.path)
        #expect(i.exit == 0)
        #expect(try i.json()["created"] == .bool(true))
        #expect(olleey(["init", "--json"], cwd: t.path).stdout.contains(#""created":false"#))
        #expect(olleey(["config", "set", "fit.max_tempo", "1.25"], cwd: t.path).exit == 0)
        let g = olleey(["config", "get", "fit.max_tempo", "--json"], cwd: t.path)
        #expect(try g.json()["value"]?.stringValue == "1.25")
        let l = olleey(["config", "list"], cwd: t.path)   // a pipe: TSV without header
        #expect(l.stdout.contains("fit.max_tempo\t1.25\tno\n"))
        #expect(!l.stdout.contains("KEY"))
        let f = olleey(["config", "list", "--fields", "key,value"], cwd: t.path)
        let arr = try f.json().arrayValue ?? []
        #expect(arr.count == ConfigKeys.all.count + StorageSettings.keys.count)
        #expect(arr.first?.fieldNames == ["key", "value"])
        let bad = olleey(["config", "list", "--fields", "nope"], cwd: t.path)
        #expect(bad.exit == 64)
        let u = olleey(["config", "set", "fit.max_tmpo", "1"], cwd: t.path)
        #expect(u.exit == 64 && u.stderr.contains("fit.max_tempo"))
        let v = olleey(["config", "set", "fit.max_tempo", "fast"], cwd: t.path)
        #expect(v.exit == 65)
        #expect(olleey(["config", "unset", "fit.max_tempo"], cwd: t.path).exit == 0)
        #expect(olleey(["config", "get", "fit.max_tempo"], cwd: t.path).stdout == "1.3\n")
    }

    @Test func workspaceFromSubdirectoryFlagAndEnvironment() {
        let t = TempDir()
        _ = olleey(["init"], cwd: t.path)
        let sub = t.path + "/a/b"
        try? FileManager.default.createDirectory(atPath: sub, withIntermediateDirectories: true)
        #expect(olleey(["config", "list"], cwd: sub).exit == 0)
        #expect(olleey(["config", "list", "--workspace", t.path], cwd: "/").exit == 0)
        #expect(olleey(["config", "list"], cwd: "/", env: ["OLLEEY_WORKSPACE": t.path]).exit == 0)
    }

    @Test func corruptDatabaseIsAClearError() {
        let t = TempDir()
        try? FileManager.default.createDirectory(atPath: t.path + "/.olleey", withIntermediateDirectories: true)
        t.write(".olleey/olleey.db", String(repeating: "garbage!", count: 1000))
        let r = olleey(["config", "list"], cwd: t.path)
        #expect(r.exit == 78)
        #expect(r.stderr.contains("not a valid olleey database"))
    }

    @Test func exitCodesTopic() throws {
        let r = olleey(["help", "exit-codes", "--json"], cwd: "/")
        let codes = try r.json().arrayValue?.compactMap { $0["code"]?.intValue } ?? []
        for c: Int64 in [0, 1, 2, 64, 65, 66, 69, 73, 75, 77, 78, 130] { #expect(codes.contains(c)) }
        #expect(olleey(["help", "vtx"], cwd: "/").exit == 64)
        #expect(olleey(["help", "config", "set"], cwd: "/").stdout.contains("olleey config set"))
    }

    @Test func completionsAndManAreFresh() throws {
        for (shell, file) in [("bash", "completions/olleey.bash"), ("zsh", "completions/_olleey"), ("fish", "completions/olleey.fish")] {
            let r = olleey(["completions", shell], cwd: "/")
            #expect(r.exit == 0)
            let committed = (try? String(contentsOfFile: repoRoot + "/" + file, encoding: .utf8)) ?? ""
            #expect(r.stdout == committed, "\(file) is stale: run scripts/gen-docs")
        }
        #expect(olleey(["completions", "tcsh"], cwd: "/").exit == 64)
        let t = TempDir()
        let m = olleey(["man", "--output-dir", t.path, "--json"], cwd: "/")
        #expect(m.exit == 0)
        let pages = (try? FileManager.default.contentsOfDirectory(atPath: t.path).sorted()) ?? []
        let committed = (try? FileManager.default.contentsOfDirectory(atPath: repoRoot + "/man").sorted()) ?? []
        #expect(pages == committed, "man/ is stale: run scripts/gen-docs")
        for p in pages {
            #expect(t.read(p) == (try? String(contentsOfFile: repoRoot + "/man/" + p, encoding: .utf8)), "man/\(p) is stale")
        }
        #expect(pages.contains("olleey.1") && pages.contains("olleey-config.1"))
    }

    @Test func bashCompletionScriptIsValidBash() throws {
        let r = olleey(["completions", "bash"], cwd: "/")
        let t = TempDir()
        let p = t.write("c.bash", r.stdout)
        let proc = Process()
        proc.executableURL = URL(fileURLWithPath: "/bin/bash")
        proc.arguments = ["-n", p]
        try proc.run(); proc.waitUntilExit()
        #expect(proc.terminationStatus == 0)
    }
}
