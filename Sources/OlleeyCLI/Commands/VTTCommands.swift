import Foundation
import OlleeyKit
import WebVTT

/// olleey vtt ...: parse, fix, retime, compare and convert subtitles, on files and on job tracks.
enum VTTCommands {
    static let fileArg = ArgumentSpec("FILE", "a subtitle file (WebVTT, SRT, TTML, ASS/SSA, SBV), or - for standard input", completion: .files(["vtt", "srt", "ttml", "dfxp", "ass", "ssa", "sbv"]))
    static let output = OptionSpec.option("output", short: "o", "FILE", "write here (atomically) instead of standard output", type: .path)
    static let maxInputBytes = 1 << 30

    static let spec: CommandSpec = CommandSpec(
        "vtt", "read, fix, retime, compare and convert subtitles (files, or a job's versioned tracks)",
        discussion: "File commands take a path or - for standard input and write to standard output or -o FILE (atomically). Track commands (import, show, edit, versions, restore, retranslate, diff with --lang) work on a job's tracks in the workspace; every change is a new version.",
        examples: ["olleey vtt parse in.vtt --json", "olleey vtt shift in.vtt --by -1.5s -o out.vtt", "olleey vtt edit JOB --lang es --cue 3 --text 'Nuevo texto'"],
        subcommands: [parse, fmt, lint, shift, scale, sync, convert, diff, cat, importTrack, show, edit, versions, restore, retranslate])
}
