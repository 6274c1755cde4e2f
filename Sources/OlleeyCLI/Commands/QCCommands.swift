import OlleeyKit

/// olleey qc status|assign|approve|reject|feedback: per-language human review of a job.
enum QCCommands {
    static let langOption = OptionSpec.option("lang", short: "l", "LANG", "the target language")

    static func service(_ ctx: Context) throws -> QCService { QCService(db: try ctx.database(), workspace: try ctx.workspace()) }

    /// A job id as printed for a person to copy: its shortest unique prefix.
    static func printed(_ ctx: Context, _ id: String) -> String { (try? JobCommands.queries(ctx))?.printedId(id) ?? id }

    static func lang(_ ctx: Context) throws -> String {
        guard let l = ctx.args.string("lang") else { throw OlleeyError.usage("'\(ctx.commandLine)' needs --lang LANG") }
        return l
    }

    static let status: CommandSpec = CommandSpec(
        "status", "show the review state of each language of a job (assignee, approval, glossary findings, descriptions findings, history)",
        examples: ["olleey qc status 0193a1b2", "olleey qc status 0193a1b2 --json", "olleey qc status 0193a1b2 --lang es"],
        arguments: [JobCommands.jobArg],
        options: [langOption]
    ) { ctx in
        let job = try JobCommands.resolve(ctx, ctx.args.positionals[0])
        let view = try service(ctx).statusView(job, language: ctx.args.string("lang"))
        let rows = view.languages
        try ctx.emit(view.json) {
            var s = "job \(job.id) (\(job.status.rawValue))\n"
            for r in rows {
                s += "  \(r.entry.language.padding(4)) \(r.entry.state.rawValue.padding(11)) \(r.entry.assigneeEmail ?? "-")  [\(r.languageStatus.rawValue)]"
                if let reason = r.reason, r.approval == "rejected" { s += "  rejected: \(reason)" }
                if !r.violations.isEmpty { s += "  \(r.violations.count) glossary violation\(r.violations.count == 1 ? "" : "s")" }
                s += "\n"
                if let a = r.attention, !a.stale.isEmpty { s += "       stale cues (source changed since a person wrote them): \(a.stale.prefix(20).joined(separator: ", "))\n" }
                for d in r.attention?.dropped ?? [] {
                    s += "       left out, its source cue was deleted: cue \(d.id.isEmpty ? "-" : d.id) by \(d.author): \(d.text.split(separator: "\n").joined(separator: " / "))\n"
                }
                if let d = r.descriptions {
                    s += "       descriptions: \(d.status)" + (d.version.map { ", version \($0)" } ?? "") + ", \(d.cues) cue\(d.cues == 1 ? "" : "s") (\(d.humanCues) by a person)"
                        + (d.findings.isEmpty ? "" : ", \(d.errors) error\(d.errors == 1 ? "" : "s"), \(d.findings.count - d.errors) warning\(d.findings.count - d.errors == 1 ? "" : "s")") + "\n"
                    for f in d.findings.prefix(10) { s += "         \(f.severity): \(f.message)\n" }
                }
                for h in r.history.suffix(5) {
                    s += "       \(h.at.prefix(19))  \(h.action)\(h.actor.map { " by \($0)" } ?? "")\(h.message.map { ": \($0)" } ?? "")\n"
                }
            }
            return s
        }
        return 0
    }

    static let assign: CommandSpec = CommandSpec(
        "assign", "assign a language's review to a LINGUIST or REVIEWER (a PM or an ADMIN does this)",
        examples: ["olleey qc assign 0193a1b2 --lang es --to ana@example.com --as pm@example.com",
                   "olleey qc assign 0193a1b2 --lang es --to ana@example.com --json"],
        arguments: [JobCommands.jobArg],
        options: [langOption, .option("to", "EMAIL", "the linguist or reviewer"), ReviewOptions.asUser]
    ) { ctx in
        let job = try JobCommands.resolve(ctx, ctx.args.positionals[0])
        guard let to = ctx.args.string("to") else { throw OlleeyError.usage("'olleey qc assign' needs --to EMAIL") }
        let e = try service(ctx).assign(job, language: try lang(ctx), to: to, actor: try ReviewOptions.actor(ctx))
        try ctx.emit(try service(ctx).entryView(e).json) { "\(e.language) of job \(printed(ctx, job.id)) assigned to \(e.assigneeEmail ?? to) (\(e.state.rawValue))" }
        return 0
    }

    static let approve: CommandSpec = CommandSpec(
        "approve", "approve a language: its tracks lock, and a job waiting for approval continues once all are approved",
        discussion: "Only the assigned linguist, a PM or an ADMIN may approve (else 77); the same check as 'olleey job approve'. On a workspace without any user account, the local operator may approve without --as. Approving twice is an error (1). An edit after approval needs --reopen and sends the language back to review.",
        examples: ["olleey qc approve 0193a1b2 --lang es --as ana@example.com", "olleey qc approve 0193a1b2 --lang es --json"],
        arguments: [JobCommands.jobArg],
        options: [langOption, ReviewOptions.asUser]
    ) { ctx in
        let job = try JobCommands.resolve(ctx, ctx.args.positionals[0])
        let e = try service(ctx).decide(job, language: try lang(ctx), .approve, actor: try ReviewOptions.actor(ctx), verb: "qc approve")
        let after = try JobCommands.resolve(ctx, job.id)
        try ctx.emit(try service(ctx).entryView(e).json) {
            "approved \(e.language) of job \(printed(ctx, job.id))" + (after.status == .queued && job.status == .waitingApproval ? "; every language is approved: run it with 'olleey job run \(printed(ctx, job.id))'" : "")
        }
        return 0
    }

    static let reject: CommandSpec = CommandSpec(
        "reject", "reject a language with a reason: it goes back for fixes (the reason shows in 'job show')",
        examples: ["olleey qc reject 0193a1b2 --lang fr --reason 'wrong product names' --as ana@example.com",
                   "olleey qc reject 0193a1b2 --lang fr --reason 'too fast' --json"],
        arguments: [JobCommands.jobArg],
        options: [langOption, .option("reason", "TEXT", "what to fix (required; rejecting again for the same reason records nothing)"), ReviewOptions.asUser]
    ) { ctx in
        let job = try JobCommands.resolve(ctx, ctx.args.positionals[0])
        let e = try service(ctx).decide(job, language: try lang(ctx), .reject(reason: ctx.args.string("reason")), actor: try ReviewOptions.actor(ctx), verb: "qc reject")
        try ctx.emit(try service(ctx).entryView(e).json) {
            "rejected \(e.language) of job \(printed(ctx, job.id)); fix it with 'olleey vtt edit \(printed(ctx, job.id)) --lang \(e.language) ...', then run the job again"
        }
        return 0
    }

    static let feedback: CommandSpec = CommandSpec(
        "feedback", "leave a note on a language's review (kept in its history)",
        examples: ["olleey qc feedback 0193a1b2 --lang es --message 'cue 4 is rushed' --as ana@example.com",
                   "olleey qc feedback 0193a1b2 --lang es --message 'ok after fix' --json"],
        arguments: [JobCommands.jobArg],
        options: [langOption, .option("message", short: "m", "TEXT", "the note"), ReviewOptions.asUser]
    ) { ctx in
        let job = try JobCommands.resolve(ctx, ctx.args.positionals[0])
        guard let m = ctx.args.string("message") else { throw OlleeyError.usage("'olleey qc feedback' needs --message TEXT") }
        let h = try service(ctx).feedback(job, language: try lang(ctx), message: m, actor: try ReviewOptions.actor(ctx))
        try ctx.emit(.object([("job_id", .string(job.id))] + (h.json.objectValue ?? []))) { "noted on \(h.language) of job \(printed(ctx, job.id))" }
        return 0
    }

    static let spec: CommandSpec = CommandSpec(
        "qc", "per-language human review: assign, approve, reject, feedback",
        discussion: "States per language: unassigned, assigned, in_review, approved, rejected (with history). A job created with --require-approval waits in waiting_approval until every language is approved. With --describe a language's audio-description script is reviewed with it: 'qc status' shows its state, who wrote its cues and its findings (a description over the dialogue or over another one, an empty one, one longer than its gap that only the extended-AD video has, a stale one); a language still waiting for its script cannot be approved, and an approved language's descriptions are locked like its translation (edit them with --reopen). Every action goes to the audit log.",
        examples: ["olleey qc assign JOB --lang es --to ana@example.com --as pm@example.com", "olleey qc approve JOB --lang es --as ana@example.com",
                   "olleey qc status JOB --json"],
        subcommands: [status, assign, approve, reject, feedback])
}
