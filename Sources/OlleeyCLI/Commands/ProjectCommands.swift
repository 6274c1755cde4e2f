import OlleeyKit

/// olleey project create|list|show|update|delete.
enum ProjectCommands {
    static let projectArg = ArgumentSpec("PROJECT", "a project name (or id)")

    static func json(_ ctx: Context, _ p: Project) throws -> JSON { try ProjectService(ctx.database(), actor: try ReviewOptions.actor(ctx)).view(p).json }

    static let create: CommandSpec = CommandSpec(
        "create", "create a project (jobs and channels may belong to one)",
        examples: ["olleey project create Demo", "olleey project create 'Spring campaign' --description 'ads, 12 languages' --json"],
        arguments: [ArgumentSpec("NAME", "the project's name")],
        options: [.option("description", "TEXT", "what it is"), ReviewOptions.asUser]
    ) { ctx in
        let p = try ProjectService(ctx.database(), actor: try ReviewOptions.actor(ctx)).create(name: ctx.args.positionals[0], description: ctx.args.string("description") ?? "")
        try ctx.emit(try json(ctx, p)) { "Created project \(p.name) (\(p.id))" }
        return 0
    }

    static let list: CommandSpec = CommandSpec(
        "list", "list projects",
        examples: ["olleey project list", "olleey project list --json"]
    ) { ctx in
        let svc = ProjectService(try ctx.database(), actor: try ReviewOptions.actor(ctx))
        let ps = try svc.list()
        var rows: [[String]] = []
        var items: [JSON] = []
        for p in ps {
            let v = try svc.view(p)
            rows.append([p.name, String(v.jobs), String(v.channels), p.id, p.description])
            items.append(v.json)
        }
        try ctx.emit(list: .array(items), table: Table(["name", "jobs", "channels", "id", "description"], rows))
        return 0
    }

    static let show: CommandSpec = CommandSpec(
        "show", "show a project",
        examples: ["olleey project show Demo", "olleey project show Demo --json"],
        arguments: [projectArg]
    ) { ctx in
        let p = try ProjectService(ctx.database(), actor: try ReviewOptions.actor(ctx)).resolve(ctx.args.positionals[0])
        let v = try ProjectService(ctx.database(), actor: try ReviewOptions.actor(ctx)).view(p)
        try ctx.emit(v.json) {
            "project \(p.name)\n  id        \(p.id)\n  jobs      \(v.jobs)\n  channels  \(v.channels)\n  created   \(p.createdAt)" + (p.description.isEmpty ? "" : "\n  \(p.description)")
        }
        return 0
    }

    static let update: CommandSpec = CommandSpec(
        "update", "rename a project or change its description",
        examples: ["olleey project update Demo --name 'Demo 2'", "olleey project update Demo --description 'pilot' --json"],
        arguments: [projectArg],
        options: [.option("name", "NAME", "new name"), .option("description", "TEXT", "new description"), ReviewOptions.asUser]
    ) { ctx in
        guard ctx.args.string("name") != nil || ctx.args.string("description") != nil else {
            throw OlleeyError.usage("nothing to change", hint: "pass --name or --description")
        }
        let p = try ProjectService(ctx.database(), actor: try ReviewOptions.actor(ctx)).update(ctx.args.positionals[0], name: ctx.args.string("name"), description: ctx.args.string("description"))
        try ctx.emit(try json(ctx, p)) { "Updated project \(p.name)" }
        return 0
    }

    static let delete: CommandSpec = CommandSpec(
        "delete", "delete a project (one with jobs or channels needs --force, which detaches them)",
        examples: ["olleey project delete Demo", "olleey project delete Demo --force --json"],
        arguments: [projectArg],
        options: [.flag("force", "delete even with jobs or channels (they stay, without a project)"), ReviewOptions.asUser]
    ) { ctx in
        let p = try ProjectService(ctx.database(), actor: try ReviewOptions.actor(ctx)).delete(ctx.args.positionals[0], force: ctx.args.has("force"))
        try ctx.emit(.object([("id", .string(p.id)), ("name", .string(p.name)), ("deleted", .bool(true))])) { "Deleted project \(p.name)" }
        return 0
    }

    static let spec: CommandSpec = CommandSpec(
        "project", "projects: group jobs and channels",
        examples: ["olleey project create Demo", "olleey project list --json", "olleey job create talk.mp4 --lang es --project Demo"],
        subcommands: [create, list, show, update, delete])
}
