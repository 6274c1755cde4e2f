import OlleeyKit

/// The command tree: every noun registers its spec here.
public enum RootCommand {
    public static let spec: CommandSpec = CommandSpec(
        "olleey", "localize videos: subtitles, translation, dubbing, review",
        discussion: """
        olleey turns a source video into per-language subtitles, dubbed audio and finished videos, \
        on a local SQLite workspace, with ffmpeg and offline engines. Commands are grouped by noun; \
        every command prints JSON with --json and uses documented exit codes (olleey help exit-codes).
        """,
        examples: [
            "olleey init",
            "olleey demo",
            "olleey vtt shift in.vtt --by -1.5s -o out.vtt",
            "olleey help exit-codes",
        ],
        subcommands: [
            MetaCommands.initCommand,
            ConfigCommands.spec,
            JobCommands.spec,
            VTTCommands.spec,
            QCCommands.spec,
            GlossaryCommands.spec,
            VoiceCommands.spec,
            CostCommands.spec,
            ProjectCommands.spec,
            ChannelCommands.spec,
            UserCommands.spec,
            OrgCommands.spec,
            WorkerCommand.spec,
            ServeCommand.spec,
            EnginesCommand.spec,
            CacheCommands.spec,
            StoreCommands.spec,
            StorageCommands.spec,
            DemoCommand.spec,
            MetaCommands.version,
            MetaCommands.help,
            MetaCommands.completions,
            MetaCommands.man,
        ])
}
