import OlleeyKit

/// olleey config get|set|unset|list
enum ConfigCommands {
    static var keyCompletion: Completion { .values((ConfigKeys.all + StorageSettings.keys).map(\.name)) }

    static func display(_ k: ConfigKey, _ v: String?) -> String {
        guard let v else { return "" }
        return k.secret ? "********" : v
    }

    static func entry(_ k: ConfigKey, _ v: String?, _ isDefault: Bool) -> JSON {
        ["key": .string(k.name), "value": v.map { .string(k.secret ? "********" : $0) } ?? .null,
         "default": k.defaultValue.map { .string($0) } ?? .null, "is_default": .bool(isDefault),
         "type": .string(k.typeName), "description": .string(k.help)]
    }

    static let spec: CommandSpec = CommandSpec(
        "config", "read and change workspace settings (typed, validated keys)",
        examples: ["olleey config list", "olleey config set fit.max_tempo 1.25", "olleey config get engines.translate --json"],
        subcommands: [
            CommandSpec("get", "print a setting's value",
                        examples: ["olleey config get fit.max_tempo", "olleey config get engines.translate --json"],
                        arguments: [ArgumentSpec("KEY", "the setting", completion: keyCompletion)]) { ctx in
                let r = try ConfigService(ctx.database(), workspace: try ctx.workspace()).get(ctx.args.positionals[0])
                try ctx.emit(entry(r.key, r.value, r.isDefault)) { display(r.key, r.value) }
                return 0
            },
            CommandSpec("set", "change a setting (validated against its type)",
                        discussion: "A setting that the engine configured for its stage does not read (engines.translate.command while engines.translate is apertium) is stored, and reported: a warning on stderr, and in --json a \"warnings\" array. Choosing an engine reports the stored settings it does not read. Exit 0 either way.",
                        examples: ["olleey config set engines.translate apertium", "olleey config set mix.duck_volume 0.2",
                                   "olleey config set engines.translate.command 'my-mt {input} {output} {src} {tgt}' --json"],
                        arguments: [ArgumentSpec("KEY", "the setting", completion: keyCompletion), ArgumentSpec("VALUE", "the new value")]) { ctx in
                let svc = try ConfigService(ctx.database(), workspace: try ctx.workspace())
                let v = try svc.set(ctx.args.positionals[0], ctx.args.positionals[1])
                let k = try svc.key(ctx.args.positionals[0])
                let unused = try svc.noEffect(afterSetting: k.name)
                let hints = unused.map { "to use it: " + CLI.phrase($0.next) }
                for (u, h) in zip(unused, hints) { ctx.warn("\(u.message) (\(h))") }
                var json = entry(k, v, false)
                let warnings: [JSON] = zip(unused, hints).map { u, h in
                    guard case .object(let p) = u.json else { return u.json }
                    return .object(p + [("hint", .string(h))])
                }
                if case .object(let pairs) = json { json = .object(pairs + [("warnings", .array(warnings))]) }
                try ctx.emit(json) { "\(k.name) = \(display(k, v))" }
                return 0
            },
            CommandSpec("unset", "reset a setting to its default",
                        examples: ["olleey config unset fit.max_tempo"],
                        arguments: [ArgumentSpec("KEY", "the setting", completion: keyCompletion)]) { ctx in
                let svc = try ConfigService(ctx.database(), workspace: try ctx.workspace())
                let removed = try svc.unset(ctx.args.positionals[0])
                let r = try svc.get(ctx.args.positionals[0])
                try ctx.emit(.object([("key", .string(r.key.name)), ("removed", .bool(removed)), ("value", r.value.map { .string($0) } ?? .null)])) {
                    removed ? "\(r.key.name) reset to its default" : "\(r.key.name) was not set"
                }
                return 0
            },
            CommandSpec("list", "list every setting with its value and default",
                        examples: ["olleey config list", "olleey config list --json", "olleey config list --fields key,value"]) { ctx in
                let items = try ConfigService(ctx.database(), workspace: try ctx.workspace()).list()
                try ctx.emit(list: .array(items.map { entry($0.key, $0.value, $0.isDefault) }),
                             table: Table(["key", "value", "default"], items.map { [$0.key.name, display($0.key, $0.value), $0.isDefault ? "yes" : "no"] }))
                return 0
            },
        ])
}
