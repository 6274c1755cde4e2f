import Foundation

/// A language's review as `qc status` shows it.
public struct QCLanguageStatus: Sendable {
    public var entry: QCEntry
    public var languageStatus: LanguageStatus
    public var approval: String
    public var reason: String?
    public var history: [QCHistoryItem]
    /// Stale cues, and cues a person wrote that were dropped with their source cue.
    public var attention: TrackService.Attention?
    /// Its audio-description script's review (`--describe` jobs only).
    public var descriptions: DescriptionsReview?

    public var violations: [JSON] { entry.glossaryReport?["violations"]?.arrayValue ?? [] }

    public var json: JSON {
        .object([
            ("language", .string(entry.language)), ("state", .string(entry.state.rawValue)),
            ("assignee", JSON(entry.assigneeEmail)), ("language_status", .string(languageStatus.rawValue)),
            ("approval", approval.isEmpty ? .null : .string(approval)), ("reason", JSON(reason)),
            ("glossary_violations", .int(Int64(violations.count))),
            ("glossary", entry.glossaryReport ?? .null),
            ("history", .array(history.map(\.json))),
            ("stale_cues", .array((attention?.stale ?? []).map { .string($0) })),
            ("dropped_cues", .array((attention?.dropped ?? []).map(\.json))),
            ("descriptions", descriptions?.json ?? .null),
            ("updated_at", .string(entry.updatedAt)),
        ])
    }
}

/// Rules of per-language human review.
///
/// States: unassigned -> assigned (qc assign) -> in_review (the language is rendered and waits)
/// -> approved | rejected; an edit of a rejected language, or a reopened approved one, goes back
/// to in_review. Approval and rejection (from `qc` and from `job approve|reject`) go through
/// `decide`, one permission check, then `JobService.review`, which records the
/// approval on the job, locks the language's tracks and releases a job waiting for approval;
/// the qc table keeps the review's own state and history. Only the assigned linguist (or
/// reviewer), a PM or an ADMIN may approve or reject; only a PM or an ADMIN may assign.
public struct QCService {
    public let db: Database
    public let workspace: Workspace

    public init(db: Database, workspace: Workspace) { self.db = db; self.workspace = workspace }

    var store: QCStore { QCStore(db) }
    var users: UserService { UserService(db) }

    /// A target language of the job (65 for an unknown code, 66 when the job does not have it).
    public func language(_ job: Job, _ raw: String) throws -> String {
        let code = try Language.validate(raw).code
        guard job.options.targetLanguages.contains(code) else {
            throw OlleeyError.notFound("job \(job.id) has no language \(code)", hint: "its languages: \(job.options.targetLanguages.joined(separator: ", "))")
        }
        return code
    }

    static let reviewable: Set<LanguageStatus> = [.waitingApproval, .draft, .published, .live]

    /// Brings the qc state in line with the job's approval (also set by `olleey job approve|reject`)
    /// and with the language's progress (an assigned language that is rendered is in review).
    @discardableResult
    func sync(_ job: Job, _ lang: String) throws -> QCEntry {
        var e = try store.get(job: job.id, language: lang)
        guard let jl = try JobStore(db).language(job.id, lang) else { return e }
        var to: QCState?
        if jl.approval == "approved" && e.state != .approved { to = .approved }
        else if jl.approval == "rejected" && e.state != .rejected { to = .rejected }
        else if e.state == .assigned && QCService.reviewable.contains(jl.status) { to = .inReview }
        if let to {
            try store.set(job: job.id, language: lang, state: to, assigneeId: e.assigneeId)
            try store.addHistory(job: job.id, language: lang, actor: nil, action: to == .inReview ? "ready" : "sync", from: e.state, to: to)
            e.state = to
        }
        return e
    }

    public func status(_ job: Job) throws -> [QCLanguageStatus] {
        try db.transaction {
            let langs = try JobStore(db).languages(job.id)
            for jl in langs { try sync(job, jl.language) }
            let history = try store.history(job: job.id)
            let attention = try TrackService(db).attention(job: job)
            return try langs.map { jl in
                QCLanguageStatus(entry: try store.get(job: job.id, language: jl.language), languageStatus: jl.status, approval: jl.approval,
                                 reason: jl.approvalReason, history: history.filter { $0.language == jl.language }, attention: attention[jl.language],
                                 descriptions: try DescriptionsReview.of(job, language: jl.language, db: db))
            }
        }
    }

    /// Assigns a language's review to a LINGUIST or REVIEWER of the job's organisation; the
    /// actor must be a PM or an ADMIN there.
    public func assign(_ job: Job, language raw: String, to assigneeRef: String, actor who: Actor) throws -> QCEntry {
        try who.check(job)
        let lang = try language(job, raw)
        let actor = try who.user(db, action: "qc assign")
        guard actor.role.isManager else {
            throw OlleeyError.permission("\(actor.email) (\(actor.role.rawValue)) may not assign reviews", hint: "a PM or an ADMIN assigns reviews")
        }
        let assignee = try users.member(assigneeRef, org: who.org)
        guard assignee.role.canBeAssigned else {
            throw OlleeyError.invalid("\(assignee.email) is a \(assignee.role.rawValue); only a LINGUIST or a REVIEWER can be assigned a review",
                                      hint: "change the role first", next: [.command("user update", [assignee.email], options: ["role": "LINGUIST"])])
        }
        if assignee.disabled { throw OlleeyError.invalid("user \(assignee.email) is disabled") }
        return try db.transaction {
            let e = try sync(job, lang)
            if e.state == .approved {
                throw OlleeyError.conflict("\(lang) of job \(job.id) is already approved", hint: "reopen it with an edit to send it back to review", next: [.input("reopen")])
            }
            var to = e.state
            if e.state == .unassigned {
                let ready = try JobStore(db).language(job.id, lang).map { QCService.reviewable.contains($0.status) } ?? false
                to = ready ? .inReview : .assigned
            }
            try store.set(job: job.id, language: lang, state: to, assigneeId: assignee.id)
            try store.addHistory(job: job.id, language: lang, actor: actor.email, action: "assign", from: e.state, to: to, message: assignee.email)
            try EventStore(db).append("qc.assigned", job: job.id, language: lang, ["assignee": .string(assignee.email), "by": .string(actor.email)])
            try AuditLog(db).record(actor: actor.email, action: "qc.assign", subject: "\(job.id)/\(lang)", detail: ["assignee": .string(assignee.email)])
            return try store.get(job: job.id, language: lang)
        }
    }

    /// The one permission check for approving or rejecting a language, whatever the front end
    /// (`qc approve|reject`, `job approve|reject`, a route): its assigned LINGUIST or REVIEWER, a
    /// PM or an ADMIN. On a workspace without any account, the local operator (an actor without
    /// an email) decides alone, as before accounts existed; once an account exists, the actor
    /// must be one (77 without, 66 unknown, 77 disabled). Returns the name recorded in the
    /// history and the audit log.
    func authorizeDecision(_ e: QCEntry, actor: Actor, verb: String) throws -> String {
        if actor.email == nil, try UserStore(db).count() == 0 { return actor.author }
        let user = try actor.user(db, action: verb)
        if user.role.isManager || (e.assigneeId != nil && e.assigneeId == user.id) { return user.email }
        let who = e.assigneeEmail.map { "the assigned linguist (\($0))" } ?? "the assigned linguist (none yet)"
        throw OlleeyError.permission("\(user.email) (\(user.role.rawValue)) may not \(verb.split(separator: " ").last ?? "decide") \(e.language): only \(who), a PM or an ADMIN may",
                                     hint: e.assigneeEmail == nil ? "a PM assigns it" : nil,
                                     next: e.assigneeEmail == nil ? [.command("qc assign", [JobStore(db).printedId(e.jobId)], options: ["lang": e.language, "to": "EMAIL"])] : [])
    }

    func requireReviewable(_ job: Job, _ lang: String) throws {
        guard let jl = try JobStore(db).language(job.id, lang) else { return }
        guard QCService.reviewable.contains(jl.status) else {
            throw OlleeyError.conflict("\(lang) of job \(job.id) is not ready for review (it is \(jl.status.rawValue))",
                                       hint: "run it first", next: [.command("job run", [JobStore(db).printedId(job.id)])])
        }
        // --describe: the descriptions are part of what is reviewed; a language still waiting for its script is not rendered
        if jl.status == .waitingApproval && jl.stage == Stage.describe.rawValue {
            throw OlleeyError.conflict("\(lang) of job \(job.id) is not ready for review: it waits for its audio-description script",
                                       hint: "write it, then run the job",
                                       next: [.command("vtt edit", [JobStore(db).printedId(job.id)], options: ["lang": job.sourceLang, "kind": "descriptions", "file": "FILE"])])
        }
    }

    /// A decision on a language: approve, or reject with a reason (what to fix).
    public enum Decision: Sendable, Equatable {
        case approve
        case reject(reason: String?)
    }

    /// The one approval path: every front end's approve and reject comes here. One permission
    /// check (`authorizeDecision`), the language must be rendered (reviewable), then the
    /// approval is recorded on the job (tracks locked on approval, a job waiting for approval
    /// released once all are approved), and the qc state and history follow. Approving twice is
    /// a conflict; rejecting again for the same reason changes nothing (no second history row,
    /// event or audit entry); a new reason is recorded as a new rejection. `verb` names the
    /// action in messages ("qc approve", "job reject").
    public func decide(_ job: Job, language raw: String, _ decision: Decision, actor: Actor, verb: String? = nil) throws -> QCEntry {
        try actor.check(job)
        var why: String?
        if case .reject(let reason) = decision { why = try JobService.rejectionReason(reason, job: job, language: raw) }
        let approve = decision == .approve
        let lang = try language(job, raw)
        let action = verb ?? (approve ? "qc approve" : "qc reject")
        return try db.transaction {
            let e = try sync(job, lang)
            let by = try authorizeDecision(e, actor: actor, verb: action)
            if approve {
                if e.state == .approved { throw OlleeyError.conflict("\(lang) of job \(job.id) is already approved") }
            } else {
                if e.state == .rejected, let jl = try JobStore(db).language(job.id, lang), jl.approval == "rejected", jl.approvalReason == why { return e }
                if e.state == .approved {
                    throw OlleeyError.conflict("\(lang) of job \(job.id) is approved and locked",
                                               hint: "reopen it with an edit to send it back to review",
                                               next: [.command("vtt edit", [JobStore(db).printedId(job.id)], options: ["lang": lang, "reopen": ""])])
                }
            }
            try requireReviewable(job, lang)
            let fresh = try JobStore(db).resolve(job.id)
            _ = try JobService(db: db, workspace: workspace).review(fresh, language: lang, approve: approve, reason: why, actor: by)
            let to: QCState = approve ? .approved : .rejected
            try store.set(job: job.id, language: lang, state: to, assigneeId: e.assigneeId)
            try store.addHistory(job: job.id, language: lang, actor: by, action: approve ? "approve" : "reject", from: e.state, to: to, message: why)
            return try store.get(job: job.id, language: lang)
        }
    }

    public func approve(_ job: Job, language raw: String, actor: Actor) throws -> QCEntry {
        try decide(job, language: raw, .approve, actor: actor)
    }

    public func reject(_ job: Job, language raw: String, reason: String?, actor: Actor) throws -> QCEntry {
        try decide(job, language: raw, .reject(reason: reason), actor: actor)
    }

    /// A note on a language's review, from any member of the job's organisation.
    public func feedback(_ job: Job, language raw: String, message: String, actor who: Actor) throws -> QCHistoryItem {
        try who.check(job)
        let lang = try language(job, raw)
        let text = message.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty else { throw OlleeyError.usage("the feedback message is empty", next: [.input("message", example: "TEXT")]) }
        let actor = try who.user(db, action: "qc feedback")
        return try db.transaction {
            let e = try sync(job, lang)
            try store.addHistory(job: job.id, language: lang, actor: actor.email, action: "feedback", from: e.state, to: e.state, message: text)
            try EventStore(db).append("qc.feedback", job: job.id, language: lang, ["by": .string(actor.email), "message": .string(text)])
            try AuditLog(db).record(actor: actor.email, action: "qc.feedback", subject: "\(job.id)/\(lang)", detail: ["message": .string(text)])
            guard let last = try store.history(job: job.id, language: lang).last else { throw OlleeyError.failure("feedback not stored") }
            return last
        }
    }

    // MARK: hooks (called by TrackService and the pipeline)

    /// An approved language was reopened for editing: its approval is withdrawn and it goes back
    /// to review.
    public static func trackReopened(_ db: Database, jobId: String, language: String, author: String) throws {
        let store = QCStore(db)
        let e = try store.get(job: jobId, language: language)
        try store.withdrawApproval(job: jobId, language: language)
        try store.set(job: jobId, language: language, state: .inReview, assigneeId: e.assigneeId)
        try store.addHistory(job: jobId, language: language, actor: author, action: "reopen", from: e.state, to: .inReview)
        try AuditLog(db).record(actor: author, action: "qc.reopen", subject: "\(jobId)/\(language)")
    }

    /// A new version of rejected languages' tracks: they go back to review.
    public static func trackRevised(_ db: Database, jobId: String, languages: [String], author: String) throws {
        let store = QCStore(db)
        for lang in languages {
            let approval = try store.approval(job: jobId, language: lang)
            let e = try store.get(job: jobId, language: lang)
            guard e.state == .rejected || approval == "rejected" else { continue }
            try store.withdrawApproval(job: jobId, language: lang)
            try store.set(job: jobId, language: lang, state: .inReview, assigneeId: e.assigneeId)
            try store.addHistory(job: jobId, language: lang, actor: author, action: "revise", from: e.state, to: .inReview)
            try AuditLog(db).record(actor: author, action: "qc.revise", subject: "\(jobId)/\(lang)")
        }
    }

    /// Records the glossary findings of a language's translation in its QC data.
    public static func recordGlossaryReport(_ db: Database, jobId: String, language: String, report: JSON) throws {
        let store = QCStore(db)
        try store.setGlossaryReport(job: jobId, language: language, report)
        let n = report["violations"]?.arrayValue?.count ?? 0
        if n > 0 {
            try store.addHistory(job: jobId, language: language, actor: "olleey", action: "glossary", from: nil, to: nil,
                                 message: "\(n) glossary violation\(n == 1 ? "" : "s") in the translation")
        }
    }
}
