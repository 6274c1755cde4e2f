import Foundation
import Testing
import OlleeyKit
import OlleeyTestSupport

/// Organisations: memberships carry the role, and every query is scoped to the actor's
/// organisation (another's job is "not found", with the message of a job that does not exist).
@Suite("organisations")
struct OrganizationTests {
    /// The review fixture's users in `default` (org A), plus org B with its own PM; ana is a
    /// LINGUIST in A and a PM in B.
    static func twoOrgs() throws -> (ReviewFixture, a: Actor, b: Actor, org: Organization) {
        let f = try ReviewFixture()
        try f.users()
        let orgs = OrgService(f.db)
        let b = try orgs.create(name: "beta", actor: Actor(email: "root@example.com"))
        _ = try UserService(f.db).create(email: "pmb@example.com", role: .pm, actor: Actor(email: "root@example.com", org: b.id))
        _ = try orgs.add("beta", email: "ana@example.com", role: .pm, actor: Actor(email: "root@example.com"))
        return (f, Actor(email: "pm@example.com"), Actor(email: "pmb@example.com", org: b.id), b)
    }

    @Test("an organisation keeps an active ADMIN: its last ADMIN cannot be removed, demoted or disabled; with a second ADMIN it can")
    func lastAdmin() throws {
        let f = try ReviewFixture()
        let users = UserService(f.db)
        let root = Actor(email: nil)
        let a = try users.create(email: "a@example.com", role: .admin, actor: root)
        _ = try users.create(email: "pm2@example.com", role: .pm, actor: root)
        let other = try OrgService(f.db).members(Actor.defaultOrg, actor: root).1.filter { $0.role == .admin && $0.user.id != a.id }
        for m in other { _ = try OrgService(f.db).remove(Actor.defaultOrg, email: m.user.email, actor: root) }
        #expect(throws: OlleeyError.self) { _ = try OrgService(f.db).remove(Actor.defaultOrg, email: "a@example.com", actor: root) }
        #expect(throws: OlleeyError.self) { _ = try users.update("a@example.com", role: .pm, actor: root) }
        #expect(throws: OlleeyError.self) { _ = try users.update("a@example.com", disabled: true, actor: root) }
        #expect(try users.update("a@example.com", name: "Ana", actor: root).name == "Ana")
        _ = try users.update("pm2@example.com", role: .admin, actor: root)
        #expect(try users.update("a@example.com", role: .pm, actor: root).role == .pm)
        #expect(throws: OlleeyError.self) { _ = try users.update("pm2@example.com", disabled: true, actor: root) }
    }

    @Test("an actor of org B cannot see, get, list, approve, assign, comment on or watch a job of org A; an actor of A can")
    func scoped() throws {
        let (f, a, b, _) = try OrganizationTests.twoOrgs()
        let j = try f.job(["es"])
        #expect(j.orgId == Actor.defaultOrg)
        let qa = JobQueries(db: f.db, workspace: f.ws, actor: a)
        let qb = JobQueries(db: f.db, workspace: f.ws, actor: b)

        // get, by id and by prefix: the very error of a job that does not exist
        #expect(try qa.job(j.id).id == j.id)
        #expect(try qa.job(String(j.id.prefix(8))).id == j.id)
        #expect(throws: JobStore.notFound(j.id)) { _ = try qb.job(j.id) }
        #expect(throws: JobStore.notFound(String(j.id.prefix(8)))) { _ = try qb.job(String(j.id.prefix(8))) }
        let missing = "01000000-0000-7000-8000-000000000000"
        #expect(throws: JobStore.notFound(missing)) { _ = try qa.job(missing) }

        // see and list
        #expect(try qa.page(JobListQuery()).items.map(\.job.id) == [j.id])
        #expect(try qb.page(JobListQuery()).items.isEmpty)
        #expect(try qb.page(JobListQuery()).total == 0)
        #expect(try qa.stats().total == 1)
        #expect(try qb.stats().total == 0)
        #expect(try qb.stats().byLanguage.isEmpty)
        #expect(throws: JobStore.notFound(j.id)) { _ = try qb.detail(j) }
        #expect(throws: JobStore.notFound(j.id)) { _ = try qb.summary(j) }
        #expect(throws: JobStore.notFound(j.id)) { _ = try qb.outputs(j) }
        #expect(try qa.detail(j).job.id == j.id)

        // watch
        #expect(throws: JobStore.notFound(j.id)) { _ = try qb.events(j) }
        let id = try EventStore(f.db).append("test.event", job: j.id)
        var cursor = try qa.events(j)
        #expect(try cursor.next().map(\.id).contains(id))
        // the organisation's stream: A's actor sees the event, B's does not
        var streamA = qa.events()
        var streamB = qb.events()
        #expect(try streamA.next().map(\.id).contains(id))
        #expect(try streamB.next().isEmpty)
        #expect(try streamB.isSettled())

        // approve, assign, feedback (a PM of B is no PM of A's job)
        #expect(throws: JobStore.notFound(j.id)) { _ = try f.qc.decide(j, language: "es", .approve, actor: b) }
        #expect(throws: JobStore.notFound(j.id)) { _ = try f.qc.assign(j, language: "es", to: "ana@example.com", actor: b) }
        #expect(throws: JobStore.notFound(j.id)) { _ = try f.qc.feedback(j, language: "es", message: "hi", actor: b) }
        #expect(try f.qc.decide(j, language: "es", .approve, actor: a).state == .approved)
    }

    @Test("projects, channels and glossaries of another organisation are not found, and names are listed per organisation")
    func scopedNames() throws {
        let (f, a, b, _) = try OrganizationTests.twoOrgs()
        _ = try ProjectService(f.db, actor: a).create(name: "Alpha")
        var c = ChannelCreate(name: "main"); c.language = "en"
        _ = try ChannelService(f.db, actor: a).create(c)
        _ = try GlossaryService(f.db, actor: a).create(name: "brand", sourceLang: "en")
        #expect(try ProjectService(f.db, actor: a).resolve("Alpha").name == "Alpha")
        #expect(errorCode { _ = try ProjectService(f.db, actor: b).resolve("Alpha") } == .notFound)
        #expect(try ProjectService(f.db, actor: b).list().isEmpty)
        #expect(errorCode { _ = try ChannelService(f.db, actor: b).resolve("main") } == .notFound)
        #expect(try ChannelService(f.db, actor: b).list().isEmpty)
        #expect(try ChannelService(f.db, actor: a).list().count == 1)
        #expect(errorCode { _ = try GlossaryService(f.db, actor: b).resolve("brand") } == .notFound)
        #expect(try GlossaryService(f.db, actor: b).list().isEmpty)
        _ = try ProjectService(f.db, actor: b).create(name: "Beta")
        #expect(try ProjectService(f.db, actor: a).list().map(\.name) == ["Alpha"])
    }

    @Test("names are unique per organisation: another organisation's name neither blocks a create nor shows")
    func sameNamesInTwoOrganizations() throws {
        let (f, a, b, _) = try OrganizationTests.twoOrgs()
        _ = try ProjectService(f.db, actor: a).create(name: "Alpha")
        let pb = try ProjectService(f.db, actor: b).create(name: "Alpha")
        #expect(try ProjectService(f.db, actor: b).resolve("Alpha").id == pb.id)
        #expect(errorCode { _ = try ProjectService(f.db, actor: a).create(name: "Alpha") } == .alreadyExists)
        var c = ChannelCreate(name: "main"); c.language = "en"
        _ = try ChannelService(f.db, actor: a).create(c)
        _ = try ChannelService(f.db, actor: b).create(c)
        #expect(errorCode { _ = try ChannelService(f.db, actor: b).create(c) } == .alreadyExists)
        _ = try GlossaryService(f.db, actor: a).create(name: "brand", sourceLang: "en")
        _ = try GlossaryService(f.db, actor: b).create(name: "brand", sourceLang: "en")
        #expect(try GlossaryService(f.db, actor: a).list().count == 1)
        #expect(try GlossaryService(f.db, actor: b).list().count == 1)
    }

    @Test("migration 7 rebuilds projects, channels and glossaries without losing a row or a link")
    func namesMigrationKeepsRows() throws {
        let t = TempDir("olleey-orgs")
        let db = try Database(path: t.file("a.db"))
        try Migrator.migrate(db, Array(Schema.migrations.prefix(6)))
        try db.run("INSERT INTO projects(id, name, created_at, updated_at) VALUES ('p1', 'Demo', 't', 't')")
        try db.run("INSERT INTO channels(id, name, kind, language, project_id, created_at, updated_at) VALUES ('m1', 'Main', 'master', 'en', 'p1', 't', 't')")
        try db.run("INSERT INTO channels(id, name, kind, language, master_id, created_at, updated_at) VALUES ('c1', 'Main ES', 'language', 'es', 'm1', 't', 't')")
        try db.run("INSERT INTO glossaries(id, name, source_lang, created_at, updated_at) VALUES ('g1', 'brand', 'en', 't', 't')")
        try db.run("INSERT INTO glossary_terms(id, glossary_id, term, created_at, updated_at) VALUES ('t1', 'g1', 'olleey', 't', 't')")
        #expect(try Migrator.migrate(db, Array(Schema.migrations.prefix(7))) == [7])
        // the rebuild cascaded nothing: the terms, the language channel and its links are there
        #expect(try db.scalarInt("SELECT count(*) FROM glossary_terms WHERE glossary_id = 'g1'") == 1)
        #expect(try db.scalarText("SELECT master_id FROM channels WHERE id = 'c1'") == "m1")
        #expect(try db.scalarText("SELECT project_id FROM channels WHERE id = 'm1'") == "p1")
        #expect(try db.query("PRAGMA foreign_key_check") { _ in 1 }.isEmpty)
        #expect(try db.scalarInt("PRAGMA foreign_keys") == 1, "foreign keys are on again after the rebuild")
        // deleting a master still cascades to its language channels (the constraint survived)
        try db.run("DELETE FROM channels WHERE id = 'm1'")
        #expect(try db.scalarInt("SELECT count(*) FROM channels") == 0)
    }

    @Test("a user's role is their membership's, per organisation")
    func rolePerOrg() throws {
        let (f, _, b, org) = try OrganizationTests.twoOrgs()
        let anaA = Actor(email: "ana@example.com"), anaB = Actor(email: "ana@example.com", org: org.id)
        #expect(try anaA.role(f.db) == .linguist)
        #expect(try anaB.role(f.db) == .pm)
        #expect(try anaB.user(f.db, action: "x").role == .pm)
        // in B, ana (PM) may create a LINGUIST; in A (LINGUIST) she may not
        _ = try UserService(f.db).create(email: "lin@example.com", role: .linguist, actor: anaB)
        #expect(errorCode { _ = try UserService(f.db).create(email: "lin2@example.com", role: .linguist, actor: anaA) } == .permission)
        // a member of A only is not a member of B (77), and B's members are B's
        #expect(errorCode { _ = try Actor(email: "rui@example.com", org: org.id).user(f.db, action: "x") } == .permission)
        #expect(try UserService(f.db).list(actor: b).map(\.email) == ["ana@example.com", "lin@example.com", "pmb@example.com", "root@example.com"])
        #expect(try UserService(f.db).list(actor: b).first { $0.email == "ana@example.com" }?.role == .pm)
        // changing her role in B leaves A alone
        _ = try UserService(f.db).update("ana@example.com", role: .reviewer, actor: Actor(email: "root@example.com", org: org.id))
        #expect(try anaB.role(f.db) == .reviewer)
        #expect(try anaA.role(f.db) == .linguist)
    }

    @Test("org create, members, add, remove: ADMIN and PM rules, non-members see nothing")
    func orgRules() throws {
        let (f, _, _, org) = try OrganizationTests.twoOrgs()
        let orgs = OrgService(f.db)
        #expect(errorCode { _ = try orgs.create(name: "gamma", actor: Actor(email: "pm@example.com")) } == .permission)
        #expect(errorCode { _ = try orgs.create(name: "beta", actor: Actor(email: "root@example.com")) } == .alreadyExists)
        #expect(try orgs.list(actor: Actor(email: "rui@example.com")).map(\.name) == ["default"])
        #expect(try orgs.list(actor: Actor(email: "ana@example.com")).map(\.name) == ["default", "beta"])
        // rui is not a member of beta: not found, as for an organisation that does not exist
        #expect(errorCode { _ = try orgs.members("beta", actor: Actor(email: "rui@example.com")) } == .notFound)
        #expect(errorCode { _ = try orgs.members("nope", actor: Actor(email: "root@example.com")) } == .notFound)
        // pmb (PM of beta) may add a LINGUIST, not an ADMIN; a LINGUIST of beta adds nobody
        let m = try orgs.add(org.id, email: "rui@example.com", role: .linguist, actor: Actor(email: "pmb@example.com"))
        #expect(m.role == .linguist && m.orgId == org.id)
        #expect(errorCode { _ = try orgs.add("beta", email: "bo@example.com", role: .admin, actor: Actor(email: "pmb@example.com")) } == .permission)
        #expect(errorCode { _ = try orgs.add("beta", email: "bo@example.com", role: .client, actor: Actor(email: "rui@example.com")) } == .permission)
        #expect(errorCode { _ = try orgs.remove("beta", email: "root@example.com", actor: Actor(email: "pmb@example.com")) } == .permission)
        _ = try orgs.remove("beta", email: "rui@example.com", actor: Actor(email: "pmb@example.com"))
        #expect(errorCode { _ = try orgs.remove("beta", email: "rui@example.com", actor: Actor(email: "pmb@example.com")) } == .notFound)
        #expect(try orgs.members("beta", actor: Actor(email: "pmb@example.com")).1.map(\.user.email) == ["ana@example.com", "pmb@example.com", "root@example.com"])
    }

    @Test("the migration moves existing users into memberships of `default` and existing rows into `default`")
    func migration() throws {
        let t = TempDir("olleey-orgs")
        let db = try Database(path: t.file("a.db"))
        try Migrator.migrate(db, Array(Schema.migrations.prefix(5)))
        try db.run("INSERT INTO users(id, email, role, created_at, updated_at) VALUES ('u1', 'ana@example.com', 'PM', 't', 't')")
        try db.run("INSERT INTO projects(id, name, created_at, updated_at) VALUES ('p1', 'Demo', 't', 't')")
        try db.run("INSERT INTO jobs(id, source, source_name, source_lang, status, created_at, updated_at) VALUES ('j1', 's', 's', 'en', 'queued', 't', 't')")
        #expect(try Migrator.migrate(db, Array(Schema.migrations.prefix(6))) == [6])
        #expect(try Actor(email: "ana@example.com").role(db) == .pm)
        #expect(try OrgStore(db).list().map(\.id) == ["default"])
        #expect(try JobStore(db, org: "default").get("j1") != nil)
        #expect(try JobStore(db, org: "other").get("j1") == nil)
        #expect(try ProjectService(db, actor: Actor(email: nil)).resolve("Demo").id == "p1")
    }
}
