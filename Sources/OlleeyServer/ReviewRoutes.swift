import Foundation
import OlleeyHTTP
import OlleeyKit

/// The second spec's language QC (`/api/v1/jobs/{id}/language-qc...`) onto OlleeyKit's
/// QCService, and its glossaries (`/api/v1/glossaries...`) onto GlossaryService (scoped to the
/// caller's organisation: another organisation's glossary is 404). Roles from OlleeyKit's
/// Permission table; QCService makes its own checks too (the one approval path of every front end).
enum ReviewRoutes {
    static func register(_ router: HTTPRouter, env: ServerEnvironment, limits: RateLimits) {
        let qc = router.group("/api/v1/jobs", middleware: env.authenticated(limits), tags: ["language-qc"])

        qc.on("GET", "/{id}/language-qc", summary: "every target language's review (REVIEWER, PM, ADMIN)",
              requiresAuth: true, responseSchema: "LanguageQCList") { _, ctx in
            let p = try ctx.principal()
            // QCService.status brings stale review states in line with the job: a write
            return .json(try env.write { db -> [UInt8] in
                let job = try JobQueries(db: db, workspace: env.workspace, actor: p.actor).job(try ctx.parameter("id"))
                try p.require(.qcRead)
                return languages(job, try QCService(db: db, workspace: env.workspace).status(job))
            })
        }

        qc.on("POST", "/{id}/language-qc/{lang}/assign", summary: "assign a LINGUIST or REVIEWER of the organisation to a language (PM, ADMIN)",
              requiresAuth: true, requestSchema: "AssignRequest", responseSchema: "LanguageQC") { req, ctx in
            let p = try ctx.principal()
            let b = try req.jsonObject()
            guard let who = try b.optional("linguist_id") ?? b.optional("user_id") ?? b.optional("assignee") ?? b.optional("email") else {
                throw HTTPError(422, "field 'linguist_id' is required (a user id or email)", code: "invalid")
            }
            return .json(try decision(env, ctx, p, .qcAssign) { svc, job, lang in
                _ = try svc.assign(job, language: lang, to: who, actor: p.actor)
            })
        }

        qc.on("POST", "/{id}/language-qc/{lang}/approve", summary: "approve a language (its assigned LINGUIST, PM, ADMIN)",
              requiresAuth: true, responseSchema: "LanguageQC") { _, ctx in
            let p = try ctx.principal()
            return .json(try decision(env, ctx, p, .qcDecide) { svc, job, lang in _ = try svc.approve(job, language: lang, actor: p.actor) })
        }

        qc.on("POST", "/{id}/language-qc/{lang}/reject", summary: "reject a language with a reason (its assigned LINGUIST, PM, ADMIN)",
              requiresAuth: true, requestSchema: "RejectRequest", responseSchema: "LanguageQC") { req, ctx in
            let p = try ctx.principal()
            let b = try req.jsonObject()
            guard let reason = try b.optional("reason") ?? b.optional("feedback"), !reason.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
                throw HTTPError(422, "field 'reason' is required (what to fix)", code: "invalid")
            }
            return .json(try decision(env, ctx, p, .qcDecide) { svc, job, lang in _ = try svc.reject(job, language: lang, reason: reason, actor: p.actor) })
        }

        qc.on("POST", "/{id}/language-qc/{lang}/feedback", summary: "a note on a language's review, without rejecting it (its assigned LINGUIST, PM, ADMIN)",
              requiresAuth: true, requestSchema: "FeedbackRequest", responseSchema: "LanguageQC") { req, ctx in
            let p = try ctx.principal()
            let b = try req.jsonObject()
            guard let message = try b.optional("message") ?? b.optional("feedback") ?? b.optional("comment"),
                  !message.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
                throw HTTPError(422, "field 'message' is required (the feedback)", code: "invalid")
            }
            return .json(try decision(env, ctx, p, .qcDecide) { svc, job, lang in _ = try svc.feedback(job, language: lang, message: message, actor: p.actor) })
        }

        let gl = router.group("/api/v1/glossaries", middleware: env.authenticated(limits), tags: ["glossaries"])

        gl.on("GET", "/", summary: "the organisation's glossaries by name (ALL); ?page, ?page_size",
              requiresAuth: true, responseSchema: "GlossaryList") { req, ctx in
            let p = try ctx.principal()
            try p.require(.glossaryRead)
            let page = try req.queryInt("page") ?? 1
            let size = try req.queryInt("page_size") ?? 50
            guard page >= 1 else { throw HTTPError(400, "page starts at 1", code: "usage") }
            guard (1...500).contains(size) else { throw HTTPError(400, "page_size must be between 1 and 500", code: "usage") }
            let all = try env.read { db in try GlossaryService(db, actor: p.actor).list() }
            let items = all.dropFirst((page - 1) * size).prefix(size).map { g in (try? JSON.parse(bytes: SpecMapping.object(g, SpecMapping.glossary))) ?? .null }
            return pageEnvelope("glossaries", Array(items), total: all.count, page: page, pageSize: size)
        }

        gl.on("POST", "/", summary: "create a glossary (ADMIN)", requiresAuth: true, requestSchema: "GlossaryCreate", responseSchema: "GlossaryDetail") { req, ctx in
            let p = try ctx.principal()
            let b = try req.jsonObject()
            let name = try b.required("name")
            guard let lang = try b.optional("source_lang") ?? b.optional("source_language") else {
                throw HTTPError(422, "field 'source_lang' is required (a language code)", code: "invalid")
            }
            let description = try b.optional("description") ?? ""
            let terms = try (b["terms"].flatMap { $0 == .null ? nil : $0 }).map(termList) ?? []
            try p.require(.glossaryWrite)
            return .json(try env.write { db -> [UInt8] in
                try db.transaction {
                    let svc = GlossaryService(db, actor: p.actor)
                    let g = try svc.create(name: name, sourceLang: lang, description: description)
                    for t in terms { _ = try svc.addTerm(g, t) }
                    return try detail(svc, try svc.resolve(g.id))
                }
            }, status: 201)
        }

        gl.on("GET", "/{id}", summary: "a glossary with its terms (ALL)", requiresAuth: true, responseSchema: "GlossaryDetail") { _, ctx in
            let p = try ctx.principal()
            try p.require(.glossaryRead)
            return .json(try env.read { db in
                let svc = GlossaryService(db, actor: p.actor)
                return try detail(svc, try glossary(svc, ctx))
            })
        }

        gl.on("PUT", "/{id}", summary: "change a glossary's name, source language or description (ADMIN)",
              requiresAuth: true, requestSchema: "GlossaryUpdate", responseSchema: "GlossaryDetail") { req, ctx in
            let p = try ctx.principal()
            let b = try req.jsonObject()
            let name = try b.optional("name"), lang = try b.optional("source_lang") ?? b.optional("source_language"), d = try b.optional("description")
            return .json(try env.write { db in
                let svc = GlossaryService(db, actor: p.actor)
                let g = try glossary(svc, ctx)
                try p.require(.glossaryWrite)
                return try detail(svc, try svc.update(g.id, name: name, sourceLang: lang, description: d))
            })
        }

        gl.on("DELETE", "/{id}", summary: "delete a glossary (ADMIN); 409 while unfinished jobs use it unless ?force=true",
              requiresAuth: true, responseSchema: "GlossaryDeleted") { req, ctx in
            let p = try ctx.principal()
            let force = req.query("force") == "true"
            return .json(try env.write { db in
                let svc = GlossaryService(db, actor: p.actor)
                let g = try glossary(svc, ctx)
                try p.require(.glossaryWrite)
                let gone = try svc.delete(g.id, force: force)
                return Array(JSON.object([("id", .string(gone.id)), ("name", .string(gone.name)), ("deleted", .bool(true))]).encoded().utf8)
            })
        }

        gl.on("POST", "/{id}/terms", summary: "add a term (ADMIN); 409 when the term exists unless ?replace=true",
              requiresAuth: true, requestSchema: "GlossaryTermCreate", responseSchema: "GlossaryTerm") { req, ctx in
            let p = try ctx.principal()
            let t = try term(try req.jsonObject())
            let replace = req.query("replace") == "true"
            return .json(try env.write { db in
                let svc = GlossaryService(db, actor: p.actor)
                let g = try glossary(svc, ctx)
                try p.require(.glossaryWrite)
                return SpecMapping.object(try svc.addTerm(g, t, replace: replace), SpecMapping.glossaryTerm)
            }, status: 201)
        }

        gl.on("DELETE", "/{id}/terms/{term_id}", summary: "delete a term (ADMIN)", requiresAuth: true, responseSchema: "GlossaryTerm") { _, ctx in
            let p = try ctx.principal()
            return .json(try env.write { db in
                let svc = GlossaryService(db, actor: p.actor)
                let g = try glossary(svc, ctx)
                try p.require(.glossaryWrite)
                return SpecMapping.object(try svc.removeTerm(g, id: try ctx.parameter("term_id")), SpecMapping.glossaryTerm)
            })
        }
    }

    // MARK: language QC

    /// Resolves the job (404 for another organisation's) and the language, checks the caller's
    /// right (a LINGUIST where assigned), runs `body`, and answers the language's review.
    static func decision(_ env: ServerEnvironment, _ ctx: HTTPContext, _ p: Principal, _ permission: Permission,
                         _ body: (QCService, Job, String) throws -> Void) throws -> [UInt8] {
        try env.write { db in
            let job = try JobQueries(db: db, workspace: env.workspace, actor: p.actor).job(try ctx.parameter("id"))
            let svc = QCService(db: db, workspace: env.workspace)
            let lang = try svc.language(job, try ctx.parameter("lang"))
            let assigned = p.role == .linguist ? try QCStore(db).assignee(job: job.id, language: lang) == p.user.id : false
            try p.require(permission, assigned: assigned)
            try body(svc, job, lang)
            let fresh = try JobStore(db).resolve(job.id)
            guard let s = try svc.status(fresh).first(where: { $0.entry.language == lang }) else { throw OlleeyError.notFound("job \(job.id) has no language \(lang)") }
            return SpecMapping.object(s, SpecMapping.languageQC)
        }
    }

    static func languages(_ job: Job, _ list: [QCLanguageStatus]) -> [UInt8] {
        var w = JSONWriter(capacity: 512)
        w.object { o in
            o.field("job_id", job.id)
            o.key("languages")
            o.array { a in for s in list { SpecMapping.write(SpecMapping.languageQC, s, to: &a) } }
        }
        return w.bytes
    }

    // MARK: glossaries

    static func glossary(_ svc: GlossaryService, _ ctx: HTTPContext) throws -> Glossary { try svc.resolve(try ctx.parameter("id")) }

    static func detail(_ svc: GlossaryService, _ g: Glossary) throws -> [UInt8] {
        let terms = try svc.terms(g)
        var w = JSONWriter(capacity: 256 + 128 * terms.count)
        w.object { o in
            for f in SpecMapping.glossary { o.key(f.name); f.write(&o, g) }
            o.key("terms")
            o.array { a in for t in terms { SpecMapping.write(SpecMapping.glossaryTerm, t, to: &a) } }
        }
        return w.bytes
    }

    static func termList(_ j: JSON) throws -> [GlossaryTerm] {
        guard let a = j.arrayValue else { throw HTTPError(422, "field 'terms' must be an array of terms", code: "invalid") }
        return try a.map(term)
    }

    /// A term from JSON: `term` (required), `variants`, `part_of_speech`, `note`, `dnt`,
    /// `forbidden`, `case_sensitive`, and `targets`: `{"es": "texto"}` or `{"es": {"term",
    /// "variants", "forbidden"}}` (OlleeyKit validates languages and forms).
    static func term(_ b: JSON) throws -> GlossaryTerm {
        guard b.objectValue != nil else { throw HTTPError(422, "a term must be a JSON object", code: "invalid") }
        var t = GlossaryTerm(term: try b.required("term"))
        t.variants = try b.strings("variants") ?? []
        t.partOfSpeech = try b.optional("part_of_speech")
        t.note = try b.optional("note")
        t.dnt = try VTTRoutes.bool(b, "dnt")
        t.forbidden = try VTTRoutes.bool(b, "forbidden")
        t.caseSensitive = try VTTRoutes.bool(b, "case_sensitive")
        if let targets = b["targets"], targets != .null {
            guard let pairs = targets.objectValue else { throw HTTPError(422, "field 'targets' must be an object of language -> target", code: "invalid") }
            t.targets = try pairs.map { lang, v -> TermTarget in
                if let s = v.stringValue { return TermTarget(language: lang, target: s) }
                guard v.objectValue != nil else { throw HTTPError(422, "target '\(lang)' must be a string or {\"term\", \"variants\", \"forbidden\"}", code: "invalid") }
                return TermTarget(language: lang, target: try v.optional("term") ?? "", variants: try v.strings("variants") ?? [], forbidden: try v.strings("forbidden") ?? [])
            }
        }
        return t
    }

    static var schemas: [String: Any] {
        let s: [String: Any] = ["type": "string"], i: [String: Any] = ["type": "integer"], b: [String: Any] = ["type": "boolean"]
        let ns: [String: Any] = ["type": ["string", "null"]]
        let arr: [String: Any] = ["type": "array", "items": s]
        let qc = strictObject(["language": s, "state": s, "assignee_id": ns, "assignee": ns, "language_status": s, "approval": ns, "reason": ns,
                               "glossary_violations": i, "history": ["type": "array", "items": ["type": "object"]], "stale_cues": arr,
                               "descriptions": ["type": ["object", "null"]], "updated_at": s])
        let glossary: [String: Any] = ["id": s, "name": s, "source_lang": s, "description": s, "term_count": i, "created_at": s, "updated_at": s]
        let target = strictObject(["term": s, "variants": arr, "forbidden": arr])
        let term = strictObject(["id": s, "term": s, "variants": arr, "part_of_speech": ns, "note": ns, "dnt": b, "forbidden": b, "case_sensitive": b,
                                 "targets": ["type": "object", "additionalProperties": target]])
        return [
            "LanguageQC": qc,
            "LanguageQCList": strictObject(["job_id": s, "languages": ["type": "array", "items": qc]]),
            "AssignRequest": ["type": "object", "required": ["linguist_id"], "properties": ["linguist_id": s]],
            "RejectRequest": ["type": "object", "required": ["reason"], "properties": ["reason": s]],
            "FeedbackRequest": ["type": "object", "required": ["message"], "properties": ["message": s]],
            "GlossaryList": pageSchema("glossaries", item: strictObject(glossary)),
            "GlossaryDetail": strictObject(glossary.merging(["terms": ["type": "array", "items": term]]) { a, _ in a }),
            "GlossaryCreate": ["type": "object", "required": ["name", "source_lang"],
                               "properties": ["name": s, "source_lang": s, "description": s, "terms": ["type": "array", "items": ["type": "object"]]]],
            "GlossaryUpdate": ["type": "object", "properties": ["name": s, "source_lang": s, "description": s]],
            "GlossaryDeleted": strictObject(["id": s, "name": s, "deleted": b]),
            "GlossaryTerm": term,
            "GlossaryTermCreate": ["type": "object", "required": ["term"],
                                   "properties": ["term": s, "variants": arr, "part_of_speech": s, "note": s, "dnt": b, "forbidden": b,
                                                  "case_sensitive": b, "targets": ["type": "object"]]],
        ]
    }
}
