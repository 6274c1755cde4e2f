import OlleeyKit

/// olleey org list|create|members|add|remove: organisations and who belongs to them, with which role.
enum OrgCommands {
    static let orgArg = ArgumentSpec("ORG", "an organisation's name (or id)")
    static let emailArg = ArgumentSpec("EMAIL", "a user's email")

    static func service(_ ctx: Context) throws -> OrgService { OrgService(try ctx.database()) }

    static func memberRow(_ m: Membership) -> [String] { [m.user.email, m.role.rawValue, m.user.name, m.user.disabled ? "disabled" : "active"] }

    static let list: CommandSpec = CommandSpec(
        "list", "list the organisations the acting user belongs to (all of them for the workspace's owner)",
        examples: ["olleey org list", "olleey org list --json"],
        options: [ReviewOptions.asUser]
    ) { ctx in
        let orgs = try service(ctx).list(actor: try ReviewOptions.actor(ctx))
        let current = try ReviewOptions.actor(ctx).org
        try ctx.emit(list: .array(orgs.map(\.json)),
                     table: Table(["name", "id", "acting", "created"], orgs.map { [$0.name, $0.id, $0.id == current ? "*" : "", $0.createdAt] }))
        return 0
    }

    static let create: CommandSpec = CommandSpec(
        "create", "create an organisation (an ADMIN does this, and becomes its ADMIN)",
        discussion: "Whoever can write the workspace owns it: with no acting user, or while no user exists, anyone may. Otherwise the acting user must be an ADMIN of the acting organisation (else 77); they become the new organisation's ADMIN.",
        examples: ["olleey org create acme", "olleey org create acme --as admin@example.com --json"],
        arguments: [ArgumentSpec("NAME", "the organisation's name")],
        options: [ReviewOptions.asUser]
    ) { ctx in
        let o = try service(ctx).create(name: ctx.args.positionals[0], actor: try ReviewOptions.actor(ctx))
        try ctx.emit(o.json) { "Created organisation \(o.name) (\(o.id)); act in it with OLLEEY_ORG=\(o.name) or 'olleey config set user.org \(o.name)'" }
        return 0
    }

    static let members: CommandSpec = CommandSpec(
        "members", "list an organisation's members and their roles there",
        examples: ["olleey org members default", "olleey org members acme --json"],
        arguments: [orgArg],
        options: [ReviewOptions.asUser]
    ) { ctx in
        let (_, ms) = try service(ctx).members(ctx.args.positionals[0], actor: try ReviewOptions.actor(ctx))
        try ctx.emit(list: .array(ms.map(\.json)), table: Table(["email", "role", "name", "status"], ms.map(memberRow)))
        return 0
    }

    static let add: CommandSpec = CommandSpec(
        "add", "add a user to an organisation with a role (or change their role there)",
        discussion: "The user must exist ('olleey user create'). An ADMIN of the organisation manages every role; a PM manages CLIENT, REVIEWER and LINGUIST members (else 77).",
        examples: ["olleey org add acme ana@example.com --role LINGUIST", "olleey org add acme pm@example.com --role PM --as admin@example.com --json"],
        arguments: [orgArg, emailArg],
        options: [.option("role", "ROLE", "CLIENT, REVIEWER, LINGUIST, PM or ADMIN", completion: .values(ReviewOptions.roleValues)), ReviewOptions.asUser]
    ) { ctx in
        guard let role = ctx.args.string("role") else {
            throw OlleeyError.usage("'olleey org add' needs --role ROLE", hint: "roles: \(ReviewOptions.roleValues.joined(separator: ", "))")
        }
        let m = try service(ctx).add(ctx.args.positionals[0], email: ctx.args.positionals[1], role: try Role.parse(role), actor: try ReviewOptions.actor(ctx))
        try ctx.emit(m.json) { "\(m.user.email) is a \(m.role.rawValue) of \(ctx.args.positionals[0])" }
        return 0
    }

    static let remove: CommandSpec = CommandSpec(
        "remove", "remove a user from an organisation (their account stays)",
        examples: ["olleey org remove acme ana@example.com", "olleey org remove acme ana@example.com --as admin@example.com --json"],
        arguments: [orgArg, emailArg],
        options: [ReviewOptions.asUser]
    ) { ctx in
        let m = try service(ctx).remove(ctx.args.positionals[0], email: ctx.args.positionals[1], actor: try ReviewOptions.actor(ctx))
        try ctx.emit(m.json) { "\(m.user.email) removed from \(ctx.args.positionals[0])" }
        return 0
    }

    static let spec: CommandSpec = CommandSpec(
        "org", "organisations: who belongs to which, with which role",
        discussion: "Jobs, projects, channels and glossaries belong to an organisation, and a user's role is per organisation. Commands act in the organisation named by $OLLEEY_ORG, else config user.org, else 'default' (where a workspace's existing data lives); another organisation's jobs are not found there.",
        examples: ["olleey org create acme", "olleey org add acme ana@example.com --role LINGUIST", "OLLEEY_ORG=acme olleey job list"],
        subcommands: [list, create, members, add, remove])
}
