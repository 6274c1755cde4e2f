import OlleeyKit

/// Options shared by the review commands.
enum ReviewOptions {
    static let asUser = OptionSpec.option("as", "EMAIL", "act as this user (else config user.email)")
    static let roleValues = Role.allCases.map(\.rawValue)

    /// Who acts: `--as`, else `$OLLEEY_USER` (an email), else config user.email (`Actor.local`).
    static func actor(_ ctx: Context) throws -> Actor {
        try Actor.local(explicit: ctx.args.string("as"), environment: ctx.environment, config: ConfigStore(ctx.database()))
    }
}

/// olleey user create|list|show|update: local users and their roles.
enum UserCommands {
    static let userArg = ArgumentSpec("USER", "a user's email (or id)")

    static let create: CommandSpec = CommandSpec(
        "create", "create a local user with a role (CLIENT, REVIEWER, LINGUIST, PM, ADMIN)",
        discussion: "Whoever can write the workspace owns it: with no acting user, or while no user exists, anyone may create users. An acting user (--as, or config user.email) must be an ADMIN, or a PM creating CLIENT, REVIEWER or LINGUIST accounts (else 77).",
        examples: ["olleey user create --email ana@example.com --role LINGUIST",
                   "olleey user create --email pm@example.com --role PM --name 'Pat Manager' --json",
                   "olleey user create --email admin@example.com --role ADMIN --owner --password-stdin <<< 'a long passphrase'"],
        options: [
            .option("email", "EMAIL", "the user's email (their identity)"),
            .option("role", "ROLE", "CLIENT, REVIEWER, LINGUIST, PM or ADMIN", completion: .values(ReviewOptions.roleValues)),
            .option("name", "NAME", "display name"),
            .flag("password-stdin", "read the user's password (to log in to olleey serve) from standard input; one trailing newline is stripped"),
            .flag("owner", "make the user an instance owner (lists and creates organisations on the server)"),
            ReviewOptions.asUser,
        ]
    ) { ctx in
        guard let email = ctx.args.string("email") else { throw OlleeyError.usage("'olleey user create' needs --email EMAIL") }
        guard let role = ctx.args.string("role") else { throw OlleeyError.usage("'olleey user create' needs --role ROLE", hint: "roles: \(ReviewOptions.roleValues.joined(separator: ", "))") }
        let parsedRole = try Role.parse(role)
        let password = ctx.args.has("password-stdin") ? try UserCommands.passwordFromStdin(ctx) : nil
        let u = try AuthService(ctx.database()).createUser(email: email, name: ctx.args.string("name") ?? "", role: parsedRole, password: password,
                                                           owner: ctx.args.has("owner"), actor: try ReviewOptions.actor(ctx))
        var json = u.json.objectValue ?? []
        json.append(("password_set", .bool(password != nil)))
        json.append(("instance_owner", .bool(ctx.args.has("owner"))))
        try ctx.emit(.object(json)) { "Created user \(u.email) (\(u.role.rawValue)\(ctx.args.has("owner") ? ", instance owner" : ""))\(password != nil ? " with a password" : "")" }
        return 0
    }

    /// The password on standard input, less exactly one trailing newline ("\n" or "\r\n").
    static func passwordFromStdin(_ ctx: Context) throws -> String {
        var bytes = ctx.stdinReader()
        if bytes.last == 0x0A { bytes.removeLast(); if bytes.last == 0x0D { bytes.removeLast() } }
        guard let text = String(validating: bytes, as: UTF8.self) else { throw OlleeyError.invalid("the password on standard input is not UTF-8") }
        guard !text.isEmpty else { throw OlleeyError.usage("--password-stdin read no password", hint: "pipe it in: <<< 'a long passphrase'") }
        try PasswordHasher.validate(text)
        return text
    }

    static let passwd: CommandSpec = CommandSpec(
        "passwd", "set a user's password (for olleey serve) from standard input; their refresh tokens are revoked",
        discussion: "The password is read from standard input, less one trailing newline; 8 to 1024 bytes. The acting user must be allowed to manage the account (an ADMIN, or a PM for CLIENT, REVIEWER and LINGUIST accounts); with no acting user, whoever can write the workspace may.",
        examples: ["olleey user passwd ana@example.com --password-stdin <<< 'a long passphrase'",
                   "printf '%s\\n' \"$PASS\" | olleey user passwd ana@example.com --password-stdin --json"],
        arguments: [userArg],
        options: [
            .flag("password-stdin", "read the password from standard input (required)"),
            ReviewOptions.asUser,
        ]
    ) { ctx in
        guard ctx.args.has("password-stdin") else { throw OlleeyError.usage("'olleey user passwd' reads the password with --password-stdin", hint: "a password never goes on the command line") }
        let password = try UserCommands.passwordFromStdin(ctx)
        let db = try ctx.database()
        let u = try UserService(db).resolve(ctx.args.positionals[0])
        try AuthService(db).setPassword(u.id, password: password, actor: try ReviewOptions.actor(ctx))
        try ctx.emit(.object([("email", .string(u.email)), ("password_set", true)])) { "Password of \(u.email) set" }
        return 0
    }

    static let list: CommandSpec = CommandSpec(
        "list", "list the users of the acting organisation, with their role there",
        examples: ["olleey user list", "olleey user list --role LINGUIST --json"],
        options: [.option("role", "ROLE", "only this role", completion: .values(ReviewOptions.roleValues))]
    ) { ctx in
        let role = try ctx.args.string("role").map(Role.parse)
        let users = try UserService(ctx.database()).list(actor: try ReviewOptions.actor(ctx), role: role)
        try ctx.emit(list: .array(users.map(\.json)),
                     table: Table(["email", "role", "name", "status"], users.map { [$0.email, $0.role.rawValue, $0.name, $0.disabled ? "disabled" : "active"] }))
        return 0
    }

    static let show: CommandSpec = CommandSpec(
        "show", "show a user",
        examples: ["olleey user show ana@example.com", "olleey user show ana@example.com --json"],
        arguments: [userArg]
    ) { ctx in
        let u = try UserService(ctx.database()).member(ctx.args.positionals[0], org: try ReviewOptions.actor(ctx).org)
        try ctx.emit(u.json) { "\(u.email)\n  role     \(u.role.rawValue)\n  name     \(u.name)\n  status   \(u.disabled ? "disabled" : "active")\n  created  \(u.createdAt)" }
        return 0
    }

    static let update: CommandSpec = CommandSpec(
        "update", "change a user's email, name or role, or disable them",
        examples: ["olleey user update ana@example.com --role REVIEWER", "olleey user update ana@example.com --disable --as admin@example.com --json"],
        arguments: [userArg],
        options: [
            .option("email", "EMAIL", "new email"),
            .option("name", "NAME", "new display name"),
            .option("role", "ROLE", "new role", completion: .values(ReviewOptions.roleValues)),
            .flag("disable", "disable the user (they can no longer act)"),
            .flag("enable", "enable a disabled user"),
            ReviewOptions.asUser,
        ]
    ) { ctx in
        let a = ctx.args
        if a.has("disable") && a.has("enable") { throw OlleeyError.usage("--disable and --enable contradict each other") }
        let disabled: Bool? = a.has("disable") ? true : a.has("enable") ? false : nil
        guard a.string("email") != nil || a.string("name") != nil || a.string("role") != nil || disabled != nil else {
            throw OlleeyError.usage("nothing to change", hint: "pass --email, --name, --role, --disable or --enable")
        }
        let u = try UserService(ctx.database()).update(a.positionals[0], email: a.string("email"), name: a.string("name"),
                                                        role: try a.string("role").map(Role.parse), disabled: disabled, actor: try ReviewOptions.actor(ctx))
        try ctx.emit(u.json) { "Updated user \(u.email) (\(u.role.rawValue)\(u.disabled ? ", disabled" : ""))" }
        return 0
    }

    static let spec: CommandSpec = CommandSpec(
        "user", "local users and their roles (who may assign, approve and reject reviews)",
        discussion: "Roles: CLIENT, REVIEWER, LINGUIST, PM, ADMIN. The CLI acts as the user given by --as EMAIL, else config user.email. A PM or an ADMIN assigns reviews to a LINGUIST or REVIEWER; the assignee, a PM or an ADMIN approves or rejects.",
        examples: ["olleey user create --email ana@example.com --role LINGUIST", "olleey user list --json", "olleey config set user.email pm@example.com"],
        subcommands: [create, list, show, update, passwd])
}
