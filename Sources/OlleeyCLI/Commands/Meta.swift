import Foundation
import OlleeyKit

/// init, version, help, completions, man.
enum MetaCommands {
    static let initCommand: CommandSpec = CommandSpec(
        "init", "create a workspace (.olleey/) in DIR or the current directory",
        discussion: "Creates .olleey/ with olleey.db (SQLite, WAL), media/, cache/ and outputs/. Running it again on an existing workspace keeps everything and applies pending migrations. On many machines, --store names a PostgreSQL database every machine's workspace shares (made once, by the first init) and --storage a directory every machine mounts for media, cache and outputs, or an S3-compatible object store (s3://BUCKET/PREFIX: each machine then keeps local copies in a bounded scratch directory outside the workspace; endpoint, region and credentials from 'olleey config set storage.s3.*' and AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY); both are kept in .olleey/store.json ($OLLEEY_STORE_URL overrides the store for one process). Nothing is contacted until a command needs the storage.",
        examples: ["olleey init", "olleey init ~/videos/project --json",
                   "olleey init --store postgres://olleey@db.internal/olleey --storage file:///mnt/olleey",
                   "olleey init --store postgres://olleey@db.internal/olleey --storage s3://olleey-media/team && olleey config set storage.s3.endpoint http://minio.internal:9000"],
        arguments: [ArgumentSpec("DIR", "directory to create the workspace in (default: current directory)", optional: true, completion: .directories)],
        options: [.option("store", "URL", "a PostgreSQL store shared by many machines: postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE"),
                  .option("storage", "URL", "media, cache and outputs in a directory every machine mounts (file:///PATH) or an S3-compatible object store (s3://BUCKET/PREFIX)")]
    ) { ctx in
        let root = ctx.path(ctx.args.positional(0) ?? ".")
        let storage = ctx.args.string("storage").map { s -> String in
            // a relative file: path is taken from the current directory
            s.hasPrefix("file://") || s.contains("://") ? s : "file://" + ctx.path(s)
        }
        let (ws, created) = try Workspace.initialize(at: root, store: ctx.args.string("store"), storage: storage, environment: ctx.environment)
        let db = try ws.open()
        let version = try Migrator.currentVersion(db) ?? 0
        var fields: [(String, JSON)] = [("path", .string(ws.dir)), ("created", .bool(created)), ("schema_version", .int(Int64(version))),
                                        ("store", .string(ws.usesPostgres ? "postgres" : "sqlite"))]
        if let s = ws.location.storage { fields.append(("storage", .string(s))) }
        try ctx.emit(.object(fields)) {
            let storage = ws.location.storage.map { ", storage: \($0)" } ?? ""
            let where_ = ws.usesPostgres ? " (store: \(db.path)\(storage))" : storage.isEmpty ? "" : " (\(storage.dropFirst(2)))"
            return created ? "Initialized olleey workspace in \(ws.dir)\(where_)" : "Workspace already exists in \(ws.dir) (schema version \(version))\(where_)"
        }
        return 0
    }

    static let version: CommandSpec = CommandSpec(
        "version", "print the version",
        examples: ["olleey version", "olleey --version", "olleey version --json"]
    ) { ctx in
        try ctx.emit(["version": .string(OlleeyVersion.string)]) { "olleey \(OlleeyVersion.string)" }
        return 0
    }

    static let topics: [(String, String)] = [
        ("exit-codes", "the exit codes olleey uses"),
        ("engines", "the engines for each stage and how to choose them"),
        ("json", "the JSON output conventions"),
        ("workspace", "how olleey finds and lays out its workspace"),
    ]

    static let help: CommandSpec = CommandSpec(
        "help", "show help for a command or a topic (exit-codes, engines, json, workspace)",
        examples: ["olleey help exit-codes", "olleey help vtt shift", "olleey help exit-codes --json"],
        arguments: [ArgumentSpec("TOPIC", "a topic or a command path", optional: true, variadic: true,
                                 completion: .values(topics.map(\.0)))]
    ) { ctx in
        let words = ctx.args.positionals
        guard let first = words.first else {
            ctx.stdout.write(Help.render(RootCommand.spec, path: ["olleey"]))
            return 0
        }
        switch first {
        case "exit-codes":
            let json = JSON.array(ExitCodes.table.map { ["code": .int(Int64($0.code)), "name": .string($0.name), "meaning": .string($0.meaning)] })
            try ctx.emit(json) {
                let width = (ExitCodes.table.map(\.name.count).max() ?? 13) + 1
                return "Exit codes:\n" + ExitCodes.table.map { "  " + String($0.code).padding(4) + " " + $0.name.padding(width) + $0.meaning }.joined(separator: "\n")
            }
            return 0
        case "engines":
            ctx.stdout.write(HelpTopics.engines)
            return 0
        case "json":
            ctx.stdout.write(HelpTopics.json)
            return 0
        case "workspace":
            ctx.stdout.write(HelpTopics.workspace)
            return 0
        default:
            var node = RootCommand.spec
            var path = ["olleey"]
            for w in words {
                guard let sub = node.subcommand(w) else {
                    let near = Suggest.closest(w, among: node.visibleSubcommands.map(\.name) + (path.count == 1 ? topics.map(\.0) : []))
                    throw OlleeyError.usage("no help topic or command '\(words.joined(separator: " "))'",
                                            hint: near.isEmpty ? "topics: \(topics.map(\.0).joined(separator: ", "))" : "did you mean '\(near[0])'?")
                }
                node = sub; path.append(w)
            }
            ctx.stdout.write(Help.render(node, path: path))
            return 0
        }
    }

    static let completions: CommandSpec = CommandSpec(
        "completions", "print a shell completion script (bash, zsh, fish)",
        discussion: "Completes nouns, verbs, options and option values. The scripts are also committed under completions/.",
        examples: ["olleey completions bash > /usr/share/bash-completion/completions/olleey",
                   "olleey completions zsh > \"${fpath[1]}/_olleey\"",
                   "olleey completions fish > ~/.config/fish/completions/olleey.fish"],
        arguments: [ArgumentSpec("SHELL", "bash, zsh or fish", completion: .values(Completions.shells))]
    ) { ctx in
        let shell = ctx.args.positional(0) ?? ""
        guard let script = Completions.render(shell, root: RootCommand.spec) else {
            throw OlleeyError.usage("unknown shell '\(shell)'", hint: "choose one of: \(Completions.shells.joined(separator: ", "))")
        }
        ctx.stdout.write(script)
        return 0
    }

    static let man: CommandSpec = CommandSpec(
        "man", "write the man pages (olleey.1 and one per noun) to a directory",
        examples: ["olleey man --output-dir man/", "olleey man --output-dir /usr/local/share/man/man1 --json"],
        options: [.option("output-dir", short: "o", "DIR", "directory to write the pages to", type: .path, completion: .directories)]
    ) { ctx in
        guard let dirArg = ctx.args.string("output-dir") else {
            throw OlleeyError.usage("'olleey man' needs --output-dir DIR", hint: "olleey man --output-dir man/")
        }
        let dir = ctx.path(dirArg)
        try FileIO.createDirectory(dir)
        var written: [String] = []
        for page in ManPage.render(root: RootCommand.spec) {
            let p = dir + "/" + page.file
            try FileIO.writeAtomically(page.content, to: p)
            written.append(p)
        }
        try ctx.emit(.object([("directory", .string(dir)), ("pages", .array(written.map { .string($0) }))])) {
            "Wrote \(written.count) man pages to \(dir)"
        }
        return 0
    }
}

enum HelpTopics {
    static let engines = """
    Engines

    Each stage of a job uses an engine, chosen in config or per job (--engine stage=name):

      transcribe  subtitles (a provided VTT/SRT), pocketsphinx (offline), command, http
      translate   apertium (offline: en-es, en-ca, en-eo), command, http, pseudo (tests only, labelled)
      speak       espeak-ng (offline, many languages), command, http
      separate    a command template producing a music-and-effects stem (optional)
      lipsync     a command template (optional; skipped when unset)
      describe    audio description (--describe): command, http (a vision chat model fed the gap's
                  frames), none (a person writes the script: vtt edit --kind descriptions)
      diarize     who speaks when, naming the speakers of cues the subtitles do not name (optional):
                  command (engines.diarize.command), http (a service at engines.diarize.url, sent
                  the audio as multipart 'file'; answers JSON segments, RTTM or START END SPEAKER)

    command engines run a template, e.g.
      olleey config set engines.translate.command 'my-mt {input} {output} {src} {tgt}'
    http engines speak the OpenAI-compatible API:
      olleey config set engines.http.base_url http://127.0.0.1:8080
    A missing engine or language pair fails before any work with exit 69 and what to install.
    'olleey engines' shows what is installed: each stage's engine, its version, apertium's
    language pairs and espeak-ng's voices per language (--lang es: one language; --json).
    A speaker's voice (<v Name> spans) comes from the voice registry: 'olleey voice set Ana
    --lang es --voice es+f3'; a speaker without one gets a voice no other speaker of the video
    has, recorded so the next job gives it again ('olleey voice --help'). Audio descriptions
    are voiced by the registry speaker 'Narrator' (setting describe.narrator), cast the same way.

    """

    static let json = """
    JSON output

      --json prints one JSON document on stdout: an object, or an array for lists ([] when empty).
      --fields a,b keeps only those top-level fields (and implies --json).
      Streaming commands (job watch, job events --follow) print NDJSON: one object per line.
      Keys are snake_case; times are ISO-8601 UTC; durations are integer milliseconds (*_ms);
      money is integer micro-dollars (*_micros) plus a formatted string.
      Errors go to stderr; with --json also as {"error":{"code":...,"message":...,"hint":...,"exit_code":...}}.

    """

    static let workspace = """
    Workspace

      olleey init [DIR] creates DIR/.olleey/ with:
        olleey.db   SQLite (WAL, foreign keys, busy timeout), schema migrated on open
        media/      source videos, content-addressed by SHA-256
        cache/      stage artefacts, content-addressed by a hash of stage, engine, settings and inputs
        outputs/    per job and language: VTT, SRT, audio, MP4s

      Commands find the workspace from --workspace PATH, else $OLLEEY_WORKSPACE, else the nearest
      .olleey/ walking up from the current directory (like git). Without one they exit 78.

      A workspace this user cannot write (a published archive, a read-only mount) can still be
      read: job list|show|status|outputs|events|watch|stats, vtt show|versions|diff, config
      get|list, cost job|summary and glossary list|show|export open the database read-only
      (immutable when there is no -wal or -shm: safe only because nobody writes it). Every other
      command fails there at once, exit 73, with a hint.

    """
}
