import Foundation
import OlleeyKit

/// olleey engines: what is installed for each stage (engine, version, language pairs, voices).
enum EnginesCommand {
    static let spec: CommandSpec = CommandSpec(
        "engines", "show the engine of each stage: installed or not, version, language pairs and voices",
        discussion: "Lists each stage (media, transcribe, translate, speak, separate, lipsync, describe, diarize) with the engine configured in this workspace (or the defaults outside one), whether it is installed, its version, and what it offers: apertium's language pairs (each direction on its own) and espeak-ng's voices per language, which is what 'job create --lang' and '--voice LANG=VOICE' are checked against; in a workspace, the voice registry's rows (voice_registry in JSON, 'olleey voice') and the voices a new speaker may be given automatically (speaker_voices: espeak-ng variants, then pitch steps). --lang shows only the pairs, voices and registry rows of one language.",
        examples: ["olleey engines", "olleey engines --lang es", "olleey engines --json | jq '.[] | select(.stage == \"translate\") | .language_pairs'"],
        options: [.option("lang", short: "l", "LANG", "only the language pairs and voices of this language")]
    ) { ctx in
        var settings: [String: String] = [:]
        var registry: [VoiceEntry]?
        do {
            let ws = try ctx.workspace()
            settings = try JobService(db: try ctx.database(), workspace: ws, environment: ctx.environment).engineSettings()
            registry = try? VoiceRegistry(try ctx.database(), actor: try ReviewOptions.actor(ctx)).list()  // an unknown $OLLEEY_ORG: no registry, the engines still
        } catch let e as OlleeyError where e.code == .config && ctx.args.string("workspace") == nil && ctx.environment["OLLEEY_WORKSPACE"] == nil {
            // outside a workspace: the default engines
        }
        var inventory = EngineInventory.gather(settings: settings, environment: ctx.environment)
        if let registry { inventory = inventory.withRegistry(registry) }
        if let l = ctx.args.string("lang") { inventory = inventory.filtered(language: try Language.validate(l).code) }
        try ctx.emit(list: inventory.json, table: Table(["stage", "engine", "installed", "version", "offers"], inventory.entries.map { e in
            [e.stage, e.engine, e.installed ? "yes" : "no", e.version ?? "-", EngineInventory.offers(e)]
        }))
        return 0
    }
}
