import Foundation

extension QCService {
    /// A decision on several languages of a job at once (the job-level approve and reject of
    /// both APIs): `languages` (codes), or every language ready for review and not yet so
    /// decided. Each goes through `decide` (the one approval path, its permission check
    /// included) in one transaction: all or none. Nothing to decide is a conflict.
    public func decideAll(_ job: Job, languages: [String]?, _ decision: Decision, actor: Actor, verb: String) throws -> [QCEntry] {
        try actor.check(job)
        let approve = decision == .approve
        let codes: [String]
        if let l = languages {
            guard !l.isEmpty else { throw OlleeyError.usage("no languages given", next: [.input("language_codes", example: "es")]) }
            codes = try l.map { try language(job, $0) }
        } else {
            codes = try JobStore(db).languages(job.id).filter {
                QCService.reviewable.contains($0.status) && $0.approval != (approve ? "approved" : "rejected")
            }.map(\.language)
            guard !codes.isEmpty else {
                throw OlleeyError.conflict("job \(job.id) has no language waiting for review (it is \(job.status.rawValue))", hint: "run it first")
            }
        }
        return try db.transaction { try codes.map { try decide(job, language: $0, decision, actor: actor, verb: verb) } }
    }
}

extension QCService {
    /// Whether `user` (an id) is the assigned linguist of a job's target language (for the
    /// LINGUIST's "where assigned" rights); its review entry is made if missing (as `sync`).
    public func isAssigned(_ job: Job, language: String, user: String) throws -> Bool {
        guard job.options.targetLanguages.contains(language) else { return false }   // the source language has no review
        return try QCStore(db).get(job: job.id, language: language).assigneeId == user
    }
}
