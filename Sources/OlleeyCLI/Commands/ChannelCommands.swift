import OlleeyKit

/// olleey channel create|list|show|update|pause|unpause|delete|graph.
enum ChannelCommands {
    static let channelArg = ArgumentSpec("CHANNEL", "a channel name (or id)")

    static func svc(_ ctx: Context) throws -> ChannelService { ChannelService(try ctx.database(), actor: try ReviewOptions.actor(ctx)) }

    static func json(_ ctx: Context, _ c: Channel) throws -> JSON { try svc(ctx).view(c).json }

    static func describe(_ c: Channel) -> String {
        "\(c.name)  [\(c.kind.rawValue)\(c.language.map { ", " + $0 } ?? ""), \(c.status.rawValue)]"
    }

    static let create: CommandSpec = CommandSpec(
        "create", "create a master channel, or (with --master) one of its language channels",
        discussion: "A master channel stands for the source videos' channel; each of its language channels (one per language) receives that language's dubbed videos. A publisher hook, a command template (--publish-command, with {video} {audio} {vtt} {srt} {lang} {job} {channel} {channel_id} {title}) or an HTTP endpoint (--publish-url, a JSON POST), publishes a finished language; a language channel without one uses its master's. Without a hook, languages stay drafts.",
        examples: ["olleey channel create main --lang en --json",
                   "olleey channel create main-es --master main --lang es --publish-command 'upload.sh {video} {lang}'",
                   "olleey channel create main-fr --master main --lang fr --external-id UCabc --project Demo"],
        arguments: [ArgumentSpec("NAME", "the channel's name")],
        options: [
            .option("lang", short: "l", "LANG", "the channel's language (required for a language channel)"),
            .option("master", "CHANNEL", "make it a language channel of this master channel"),
            .option("project", "PROJECT", "the project it belongs to (a language channel defaults to its master's)"),
            .option("external-id", "ID", "the channel's id on the publishing platform (e.g. a YouTube UC... id)"),
            .option("publish-command", "TEMPLATE", "publisher hook: a command template"),
            .option("publish-url", "URL", "publisher hook: an HTTP endpoint that receives a JSON POST"),
            ReviewOptions.asUser,
        ]
    ) { ctx in
        let a = ctx.args
        var r = ChannelCreate(name: a.positionals[0])
        r.language = a.string("lang"); r.master = a.string("master"); r.project = a.string("project")
        r.externalId = a.string("external-id"); r.publishCommand = a.string("publish-command"); r.publishURL = a.string("publish-url")
        let c = try svc(ctx).create(r)
        try ctx.emit(try json(ctx, c)) { "Created \(c.kind.rawValue) channel " + describe(c) }
        return 0
    }

    static let list: CommandSpec = CommandSpec(
        "list", "list channels",
        examples: ["olleey channel list", "olleey channel list --master main --json", "olleey channel list --project Demo"],
        options: [.option("project", "PROJECT", "only this project's channels"), .option("master", "CHANNEL", "only this master and its language channels")]
    ) { ctx in
        let s = try svc(ctx)
        let project = try ctx.args.string("project").map { try ProjectService(ctx.database(), actor: try ReviewOptions.actor(ctx)).resolve($0).id }
        let master = try ctx.args.string("master").map { try s.resolve($0).id }
        let cs = try s.list(projectId: project, masterId: master)
        var names: [String: String] = [:]
        for c in try s.list() { names[c.id] = c.name }
        try ctx.emit(list: .array(try cs.map { try json(ctx, $0) }),
                     table: Table(["name", "kind", "language", "status", "master", "publisher"], cs.map { c in
                         [c.name, c.kind.rawValue, c.language ?? "", c.status.rawValue, c.masterId.flatMap { names[$0] } ?? "",
                          c.publishCommand != nil ? "command" : c.publishURL != nil ? "http" : ""]
                     }))
        return 0
    }

    static let show: CommandSpec = CommandSpec(
        "show", "show a channel",
        examples: ["olleey channel show main", "olleey channel show main-es --json"],
        arguments: [channelArg]
    ) { ctx in
        let c = try svc(ctx).resolve(ctx.args.positionals[0])
        let v = try svc(ctx).view(c)
        try ctx.emit(v.json) {
            var s = "channel " + describe(c) + "\n  id         \(c.id)\n"
            if let e = c.externalId { s += "  external   \(e)\n" }
            if let p = c.publishCommand { s += "  publishes  command: \(p)\n" } else if let u = c.publishURL { s += "  publishes  POST \(u)\n" }
            s += "  jobs       \(v.jobs)\n"
            if let kids = v.languageChannels, !kids.isEmpty { s += "  languages  \(kids.joined(separator: ", "))\n" }
            return s
        }
        return 0
    }

    static let update: CommandSpec = CommandSpec(
        "update", "change a channel's name, language, project, external id or publisher (an empty value clears it)",
        examples: ["olleey channel update main-es --publish-command 'upload.sh {video} {lang}'", "olleey channel update main-es --publish-url '' --json"],
        arguments: [channelArg],
        options: [
            .option("name", "NAME", "new name"), .option("lang", short: "l", "LANG", "new language"),
            .option("project", "PROJECT", "new project ('' for none)"), .option("external-id", "ID", "new external id ('' for none)"),
            .option("publish-command", "TEMPLATE", "publisher command template ('' for none)"),
            .option("publish-url", "URL", "publisher HTTP endpoint ('' for none)"),
            .option("is-paused", "BOOL", "pause (true) or unpause (false), as the HTTP API's field", type: .choice(["true", "false"])),
            ReviewOptions.asUser,
        ]
    ) { ctx in
        let a = ctx.args
        var u = ChannelUpdate()
        u.name = a.string("name"); u.language = a.string("lang"); u.project = a.string("project"); u.externalId = a.string("external-id")
        u.publishCommand = a.string("publish-command"); u.publishURL = a.string("publish-url")
        let paused = a.string("is-paused").map { $0 == "true" }
        guard u.name != nil || u.language != nil || u.project != nil || u.externalId != nil || u.publishCommand != nil || u.publishURL != nil || paused != nil else {
            throw OlleeyError.usage("nothing to change", hint: "pass --name, --lang, --project, --external-id, --publish-command, --publish-url or --is-paused")
        }
        let s = try svc(ctx)
        var c = try s.update(a.positionals[0], u)
        if let p = paused, (c.status == .paused) != p { c = try s.setPaused(c.id, p) }
        try ctx.emit(try json(ctx, c)) { "Updated channel " + describe(c) }
        return 0
    }

    static func pauseCommand(_ pause: Bool) -> CommandSpec {
        let name = pause ? "pause" : "unpause"
        return CommandSpec(
            name, pause ? "pause a channel: it gets no new publishes (languages stay drafts)" : "unpause a channel: finished jobs publish to it again",
            examples: ["olleey channel \(name) main-es", "olleey channel \(name) main --json"],
            arguments: [channelArg],
            options: [ReviewOptions.asUser]
        ) { ctx in
            let c = try svc(ctx).setPaused(ctx.args.positionals[0], pause)
            try ctx.emit(try json(ctx, c)) { "Channel \(c.name) \(pause ? "paused" : "unpaused")" }
            return 0
        }
    }

    static let delete: CommandSpec = CommandSpec(
        "delete", "delete a channel (a master with its language channels); one with jobs needs --force",
        examples: ["olleey channel delete main-es", "olleey channel delete main --force --json"],
        arguments: [channelArg],
        options: [.flag("force", "delete even when jobs name it (they stay, without a channel)"), ReviewOptions.asUser]
    ) { ctx in
        let (c, detached) = try svc(ctx).delete(ctx.args.positionals[0], force: ctx.args.has("force"))
        try ctx.emit(.object([("id", .string(c.id)), ("name", .string(c.name)), ("deleted", .bool(true)), ("detached_jobs", .int(Int64(detached)))])) {
            "Deleted channel \(c.name)" + (detached > 0 ? " (\(detached) job(s) detached)" : "")
        }
        return 0
    }

    static let graph: CommandSpec = CommandSpec(
        "graph", "the channel graph: master channels -> language channels -> recent jobs (JSON or a text tree)",
        examples: ["olleey channel graph", "olleey channel graph --json", "olleey channel graph --project Demo --jobs 10"],
        options: [.option("project", "PROJECT", "only this project's channels"), .option("jobs", "N", "recent jobs per channel (default 5)", type: .int)]
    ) { ctx in
        let n = ctx.args.int("jobs") ?? 5
        guard (0...100).contains(n) else { throw OlleeyError.usage("--jobs must be between 0 and 100") }
        let project = try ctx.args.string("project").map { try ProjectService(ctx.database(), actor: try ReviewOptions.actor(ctx)).resolve($0).id }
        let g = try svc(ctx).graph(projectId: project, recent: n)
        try ctx.emit(g.json) { g.text }
        return 0
    }

    static let spec: CommandSpec = CommandSpec(
        "channel", "publishing channels: a master channel and its language channels",
        discussion: "Jobs name a channel (job create --channel); when a job completes, each language is published to its language channel's publisher hook. A paused channel gets no new publishes; deleting a channel with jobs needs --force.",
        examples: ["olleey channel create main --lang en", "olleey channel create main-es --master main --lang es --publish-command 'upload.sh {video}'",
                   "olleey channel graph"],
        subcommands: [create, list, show, update, pauseCommand(true), pauseCommand(false), delete, graph])
}
