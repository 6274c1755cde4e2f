import Foundation
import OlleeyKit

/// Everything a command needs: its arguments, the global options, the environment, the output
/// sinks, and (lazily) the workspace and its database.
public final class Context: @unchecked Sendable {
    public let args: ParsedArguments
    public let environment: [String: String]
    public let cwd: String
    public let stdout: OutputSink
    public let stderr: OutputSink
    public let stdinReader: @Sendable () -> [UInt8]

    public let json: Bool
    public let fields: [String]
    public let quiet: Bool
    public let verbose: Bool
    public let color: Bool

    private var workspaceCache: Workspace?
    private var dbCache: Database?

    public init(args: ParsedArguments, environment: [String: String], cwd: String, stdout: OutputSink,
                stderr: OutputSink, stdin: @escaping @Sendable () -> [UInt8]) {
        self.args = args
        self.environment = environment
        self.cwd = cwd
        self.stdout = stdout
        self.stderr = stderr
        self.stdinReader = stdin
        self.fields = args.list("fields")
        self.json = args.has("json") || !fields.isEmpty
        self.quiet = args.has("quiet")
        self.verbose = args.has("verbose")
        self.color = stderr.isTTY && !args.has("no-color") && (environment["NO_COLOR"] ?? "").isEmpty && environment["TERM"] != "dumb"
    }

    /// The command path as typed, e.g. "olleey vtt shift".
    public var commandLine: String { args.path.joined(separator: " ") }

    // MARK: workspace

    public func workspace() throws -> Workspace {
        if let w = workspaceCache { return w }
        let w = try Workspace.discover(explicit: args.string("workspace"), environment: environment, cwd: cwd)
        workspaceCache = w
        return w
    }

    /// The commands that only read the workspace: on a read-only workspace (a published archive,
    /// a read-only mount) they open the database read-only; every other command fails there with
    /// one message and hint (`Workspace.open`).
    public static let readingCommands: Set<String> = [
        "olleey job list", "olleey job show", "olleey job status", "olleey job watch", "olleey job outputs",
        "olleey job events", "olleey job stats", "olleey vtt show", "olleey vtt versions",
        "olleey vtt diff", "olleey config get", "olleey config list",
        "olleey cost job", "olleey cost summary", "olleey glossary list", "olleey glossary show",
        "olleey glossary export", "olleey glossary term list",
    ]

    public func database() throws -> Database {
        if let d = dbCache { return d }
        let ws = try workspace()
        let d = Context.readingCommands.contains(commandLine) ? try ws.openForReading() : try ws.open()
        dbCache = d
        return d
    }

    /// Resolves a path given on the command line against the command's working directory.
    public func path(_ p: String) -> String { p == "-" ? p : Paths.absolute(p, cwd: cwd) }

    /// Reads a file argument, or standard input for "-".
    public func readInput(_ p: String) throws -> [UInt8] {
        if p == "-" { return stdinReader() }
        return try FileIO.read(path(p))
    }

    // MARK: output

    /// Prints a JSON document (field-selected with --fields): pretty on a TTY, one line in pipes.
    public func printJSON(_ value: JSON) throws {
        var v = value
        if !fields.isEmpty {
            let known = value.fieldNames
            if !known.isEmpty, let bad = fields.first(where: { !known.contains($0) }) {
                throw OlleeyError.usage("unknown field '\(bad)' for --fields", hint: "available fields: \(known.joined(separator: ", "))")
            }
            v = value.selecting(fields: fields)
        }
        stdout.write(v.encoded(pretty: stdout.isTTY) + "\n")
    }

    /// JSON with --json, else the human rendering.
    public func emit(_ value: JSON, human: () -> String) throws {
        if json { try printJSON(value); return }
        if quiet { return }
        let text = human()
        if !text.isEmpty { stdout.write(text.hasSuffix("\n") ? text : text + "\n") }
    }

    /// A list: JSON array with --json, else a table (TTY) or TSV (pipe).
    public func emit(list value: JSON, table: Table) throws {
        if json { try printJSON(value); return }
        stdout.write(table.render(tty: stdout.isTTY))
    }

    /// A progress or status line on stderr (not with --quiet).
    public func note(_ s: String) {
        if !quiet { stderr.line(s) }
    }

    public func debug(_ s: String) {
        if verbose { stderr.line(s) }
    }

    public func warn(_ s: String) {
        stderr.line((color ? "\u{1B}[33mwarning:\u{1B}[0m " : "warning: ") + s)
    }

    /// The user the CLI acts as: --as, else config user.email.
    public func actingUserEmail() throws -> String? {
        if let a = args.string("as") { return a.lowercased() }
        return try ConfigStore(database()).value("user.email")
    }
}
