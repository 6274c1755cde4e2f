import Testing
import OlleeyCLI
import OlleeyKit

@Suite("Argument parser")
struct ParserTests {
    static let tree = CommandSpec("olleey", "test tree", subcommands: [
        CommandSpec("vtt", "subtitles", subcommands: [
            CommandSpec("shift", "shift", arguments: [ArgumentSpec("FILE", "input")],
                        options: [.option("by", "DURATION", "amount", type: .duration),
                                  .option("output", short: "o", "FILE", "output", type: .path),
                                  .option("lang", "LIST", "languages", type: .list),
                                  .option("profile", "NAME", "profile", type: .choice(["netflix", "default"])),
                                  .flag("strict", short: "s", "strict"),
                                  .flag("dry-run", "plan only")]) { _ in 0 },
        ]),
        CommandSpec("cat", "merge", arguments: [ArgumentSpec("FILES", "inputs", variadic: true)]) { _ in 0 },
    ])

    func run(_ argv: [String]) throws -> ParsedArguments {
        guard case let .run(_, p) = try ArgParser.parse(argv, root: Self.tree) else {
            Issue.record("expected a command to run"); return ParsedArguments()
        }
        return p
    }

    func usageError(_ argv: [String]) -> OlleeyError? {
        do { _ = try ArgParser.parse(argv, root: Self.tree); return nil } catch let e as OlleeyError { return e } catch { return nil }
    }

    @Test func longShortAndEquals() throws {
        let p = try run(["vtt", "shift", "in.vtt", "--by=-1.5s", "-o", "out.vtt", "-s", "--json"])
        #expect(p.path == ["olleey", "vtt", "shift"])
        #expect(p.positionals == ["in.vtt"])
        #expect(p.duration("by") == -1500)
        #expect(p.string("output") == "out.vtt")
        #expect(p.has("strict") && p.has("json"))
    }

    @Test func negativeValueAfterOptionAndClusteredShorts() throws {
        let p = try run(["vtt", "shift", "--by", "-250ms", "-so", "x.vtt", "in.vtt"])
        #expect(p.duration("by") == -250)
        #expect(p.string("output") == "x.vtt")
        #expect(p.has("strict"))
        let q = try run(["vtt", "shift", "-oy.vtt", "in.vtt"])
        #expect(q.string("output") == "y.vtt")
    }

    @Test func repeatedAndCommaSeparatedLists() throws {
        let p = try run(["vtt", "shift", "in.vtt", "--lang", "es,ca", "--lang", "eo", "--lang=fr , de"])
        #expect(p.list("lang") == ["es", "ca", "eo", "fr", "de"])
    }

    @Test func doubleDashEndsOptions() throws {
        let p = try run(["cat", "--", "--weird.vtt", "-"])
        #expect(p.positionals == ["--weird.vtt", "-"])
        let q = try run(["cat", "a.vtt", "-", "b.vtt"])
        #expect(q.positionals == ["a.vtt", "-", "b.vtt"])
    }

    @Test func globalOptionsAnywhere() throws {
        let p = try run(["--json", "vtt", "--workspace", "/w", "shift", "in.vtt", "-q"])
        #expect(p.has("json") && p.has("quiet"))
        #expect(p.string("workspace") == "/w")
        let f = try run(["vtt", "shift", "in.vtt", "--fields", "id,start_ms"])
        #expect(f.list("fields") == ["id", "start_ms"])
    }

    @Test func durations() {
        #expect(Values.duration("1.5s") == 1500)
        #expect(Values.duration("-250ms") == -250)
        #expect(Values.duration("00:01:02.500") == 62_500)
        #expect(Values.duration("01:02.5") == 62_500)
        #expect(Values.duration("-00:00:01.000") == -1000)
        #expect(Values.duration("3m") == 180_000)
        #expect(Values.duration("180s") == 180_000)
        #expect(Values.duration("1h30m") == 5_400_000)
        #expect(Values.duration("2m3.5s") == 123_500)
        #expect(Values.duration("90") == 90_000)
        #expect(Values.duration("1.5 parsecs") == nil)
        #expect(Values.duration("00:61:00") == nil)
        #expect(Values.duration("") == nil)
        #expect(Values.duration("s") == nil)
        // issue 12: one rule, WebVTT's: SRT's comma and a last number without a unit are
        // accepted; fields after the first stay under 60; blanks around the value are trimmed
        #expect(Values.duration("01:02,500") == 62_500)
        #expect(Values.duration("1m30") == 90_000)
        #expect(Values.duration("1:75") == nil)
        #expect(Values.duration("\t-2s ") == -2000)
    }

    @Test func unknownCommandSuggests() {
        let e = usageError(["vtx", "shift"])
        #expect(e?.code.exitCode == 64)
        #expect(e?.hint?.contains("vtt") == true)
        let f = usageError(["vtt", "shfit", "in.vtt"])
        #expect(f?.message.contains("shfit") == true)
        #expect(f?.hint?.contains("shift") == true)
    }

    @Test func unknownOptionSuggests() {
        let e = usageError(["vtt", "shift", "in.vtt", "--bye", "1s"])
        #expect(e?.code.exitCode == 64)
        #expect(e?.hint?.contains("--by") == true)
    }

    @Test func badValuesAreUsageErrors() {
        #expect(usageError(["vtt", "shift", "in.vtt", "--by", "soon"])?.code.exitCode == 64)
        #expect(usageError(["vtt", "shift", "in.vtt", "--profile", "bbc"])?.message.contains("netflix") == true)
        #expect(usageError(["vtt", "shift", "in.vtt", "--by"])?.message.contains("needs a value") == true)
        #expect(usageError(["vtt", "shift", "in.vtt", "--strict=yes"])?.code.exitCode == 64)
        #expect(usageError(["vtt", "shift"])?.message.contains("FILE") == true)
        #expect(usageError(["vtt", "shift", "a", "b"])?.message.contains("unexpected argument") == true)
        #expect(usageError(["vtt"])?.message.contains("needs a command") == true)
    }

    @Test func helpAndVersion() throws {
        guard case let .help(node, path) = try ArgParser.parse(["vtt", "shift", "--help"], root: Self.tree) else {
            Issue.record("expected help"); return
        }
        #expect(node.name == "shift" && path == ["olleey", "vtt", "shift"])
        guard case .help = try ArgParser.parse(["vtt", "-h"], root: Self.tree) else { Issue.record("expected help"); return }
        guard case .version = try ArgParser.parse(["--version"], root: Self.tree) else { Issue.record("expected version"); return }
    }
}
