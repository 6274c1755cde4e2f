import Foundation
import OlleeyKit

/// olleey voice list|set|show|rm: the workspace's voice registry (one speaker, one voice per
/// language, across jobs and channels). Rules and SQL are `VoiceRegistry`'s.
enum VoiceCommands {
    static let speakerArg = ArgumentSpec("SPEAKER", "the speaker's name as the subtitles write it (<v Ana> is Ana; case and spacing do not matter)")

    static func registry(_ ctx: Context) throws -> VoiceRegistry { VoiceRegistry(try ctx.database(), actor: try ReviewOptions.actor(ctx)) }

    static func row(_ e: VoiceEntry) -> [String] {
        [e.speaker, e.language, e.engine, e.choice.voice ?? "", e.choice.pitch.map(String.init) ?? "", e.choice.rate.map(String.init) ?? "",
         e.automatic ? "automatic" : "person", e.updatedBy, e.updatedAt]
    }

    static let headers = ["speaker", "lang", "engine", "voice", "pitch", "rate", "kind", "by", "updated"]

    static func line(_ e: VoiceEntry) -> String {
        "\(e.speaker) [\(e.language)] \(e.engine) \(e.choice.label)\(e.automatic ? " (automatic)" : "") by \(e.updatedBy)"
    }

    static let list: CommandSpec = CommandSpec(
        "list", "list the voice registry: each speaker's voice per language",
        discussion: "One row per speaker and language ('*': every language without its own row). 'automatic' rows were chosen by a job for a speaker that had none (author olleey); a person's row ('voice set') replaces them and is never replaced by a job. In a pipe: TSV without header (speaker, lang, engine, voice, pitch, rate, kind, by, updated).",
        examples: ["olleey voice list", "olleey voice list --lang es --json", "olleey voice list --speaker Ana"],
        options: [.option("speaker", "NAME", "only this speaker"), .option("lang", short: "l", "LANG", "only this language ('*' for the every-language rows)")]
    ) { ctx in
        let rows = try registry(ctx).list(speaker: ctx.args.string("speaker"), language: ctx.args.string("lang"))
        try ctx.emit(list: .array(rows.map(\.json)), table: Table(headers, rows.map(row)))
        return 0
    }

    static let set: CommandSpec = CommandSpec(
        "set", "give a speaker a voice in a language (or in every language)",
        discussion: "Jobs then speak the speaker's cues (<v Name> spans, ASS Name fields, NAME: labels) with this voice, over any automatic choice; a job's own --voice-for wins over it. Without --lang the row is for every language ('*'), which with espeak-ng must be a variant (+f3) since a named voice belongs to one language. --engine espeak (default): the voice is checked against espeak-ng's voices for the language (an unknown one exits 65 and lists them; see 'olleey engines --lang LANG'), and --pitch (0-99) and --rate (words per minute) make variants of one voice. --engine http names a voice of the OpenAI-compatible speech server (a cloned or premium voice); it is used when the job's speak engine is http. Changing a row re-synthesizes only that speaker's cues at the next run.",
        examples: ["olleey voice set Ana --lang es --voice es+f3",
                   "olleey voice set Ben --lang es --voice es+m3 --pitch 40 --rate 160",
                   "olleey voice set Ana --voice +f2",
                   "olleey voice set Ana --lang es --engine http --voice ana-clone --json"],
        arguments: [speakerArg],
        options: [
            .option("lang", short: "l", "LANG", "the language (default '*': every language)"),
            .option("voice", "VOICE", "the engine's voice: espeak-ng es, es+f3, +m2; http: the server's voice name"),
            .option("engine", "ENGINE", "espeak (espeak-ng), http or command", type: .choice(["espeak", "espeak-ng", "http", "command"]), default: "espeak"),
            .option("pitch", "0-99", "espeak-ng pitch (default 50)", type: .int),
            .option("rate", "WPM", "espeak-ng speaking rate in words per minute (default engines.speak.rate, 175)", type: .int),
            ReviewOptions.asUser,
        ]
    ) { ctx in
        let a = ctx.args
        guard let voice = a.string("voice") else {
            throw OlleeyError.usage("--voice is required", hint: "e.g. --voice es+f3; 'olleey engines --lang es' lists the voices", next: [.input("voice", example: "es+f3")])
        }
        for name in ["pitch", "rate"] where a.string(name) != nil && a.int(name) == nil {
            throw OlleeyError.usage("--\(name) takes a whole number (got '\(a.string(name) ?? "")')")
        }
        let e = try registry(ctx).set(speaker: a.positionals[0], language: a.string("lang"), engine: a.string("engine") ?? "espeak", voice: voice,
                                      pitch: a.int("pitch"), rate: a.int("rate"))
        try ctx.emit(e.json) { "Set " + line(e) }
        return 0
    }

    static let show: CommandSpec = CommandSpec(
        "show", "show a speaker's voices, per language",
        examples: ["olleey voice show Ana", "olleey voice show Ana --json"],
        arguments: [speakerArg]
    ) { ctx in
        let rows = try registry(ctx).show(ctx.args.positionals[0])
        let json = JSON.object([("speaker", .string(rows[0].speaker)), ("voices", .array(rows.map(\.json)))])
        try ctx.emit(json) { rows.map(line).joined(separator: "\n") }
        return 0
    }

    static let rm: CommandSpec = CommandSpec(
        "rm", "remove a speaker's voice (one language's, or all)",
        discussion: "The next job that meets the speaker without a row chooses a voice again (and records it).",
        examples: ["olleey voice rm Ana --lang es", "olleey voice rm Ana --json"],
        arguments: [speakerArg],
        options: [.option("lang", short: "l", "LANG", "only this language's row ('*' for the every-language row)"), ReviewOptions.asUser]
    ) { ctx in
        let rows = try registry(ctx).remove(ctx.args.positionals[0], language: ctx.args.string("lang"))
        try ctx.emit(.object([("speaker", .string(rows[0].speaker)), ("removed", .array(rows.map(\.json)))])) {
            "Removed \(rows.count) voice\(rows.count == 1 ? "" : "s") of \(rows[0].speaker): " + rows.map { "\($0.language) \($0.choice.label)" }.joined(separator: ", ")
        }
        return 0
    }

    static let spec: CommandSpec = CommandSpec(
        "voice", "the voice registry: which voice each speaker has, per language, across jobs",
        discussion: "A job speaks each speaker's cues with: its own --voice-for SPEAKER=VOICE, else the registry's row for the speaker and the language, else the speaker's '*' row, else an automatic choice (espeak-ng: a variant, then a pitch step, that no other speaker of the video has), which is recorded here so the speaker keeps the voice in the next job. Cues without a speaker take the job's --voice. 'olleey engines' lists the voices.",
        examples: ["olleey voice set Ana --lang es --voice es+f3", "olleey voice list --json"],
        subcommands: [list, set, show, rm])
}
