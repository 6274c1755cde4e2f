import Foundation
import OlleeyCLI
import OlleeyKit
import Testing

/// olleey org ...: organisations and memberships; the acting organisation from $OLLEEY_ORG or
/// config user.org; another organisation's job is not found (66) through every command.
@Suite("olleey org: organisations, memberships, and the acting organisation")
struct OrgCLITests {
    func inOrg(_ w: ReviewWorkspace, _ org: String, _ args: [String]) -> CLIResult {
        olleey(args, cwd: w.path, env: w.env.merging(["OLLEEY_ORG": org]) { $1 })
    }

    func setUp() throws -> ReviewWorkspace {
        let w = try ReviewWorkspace()
        try w.json(["user", "create", "--email", "root@example.com", "--role", "ADMIN"])
        try w.json(["user", "create", "--email", "pm@example.com", "--role", "PM", "--as", "root@example.com"])
        try w.json(["user", "create", "--email", "ana@example.com", "--role", "LINGUIST", "--as", "root@example.com"])
        return w
    }

    @Test("org create, list, members, add, remove with --json; the ADMIN and PM rules; error paths 64, 66, 77")
    func orgCommands() throws {
        let w = try setUp()
        let acme = try w.json(["org", "create", "acme", "--as", "root@example.com"])
        #expect(acme["name"] == .string("acme"))
        #expect(try w.json(["org", "list", "--as", "root@example.com"]).arrayValue?.compactMap { $0["name"]?.stringValue } == ["default", "acme"])
        #expect(try w.json(["org", "list", "--as", "ana@example.com"]).arrayValue?.compactMap { $0["name"]?.stringValue } == ["default"])
        #expect(w.run(["org", "create", "other", "--as", "pm@example.com"]).exit == 77)
        #expect(w.run(["org", "create", "acme", "--as", "root@example.com"]).exit == 1)
        #expect(w.run(["org", "create"]).exit == 64)
        let m = try w.json(["org", "add", "acme", "ana@example.com", "--role", "pm", "--as", "root@example.com"])
        #expect(m["role"] == .string("PM") && m["email"] == .string("ana@example.com"))
        #expect(w.run(["org", "add", "acme", "ana@example.com", "--as", "root@example.com"]).exit == 64)
        #expect(w.run(["org", "add", "acme", "nobody@example.com", "--role", "PM", "--as", "root@example.com"]).exit == 66)
        #expect(w.run(["org", "add", "nope", "ana@example.com", "--role", "PM", "--as", "root@example.com"]).exit == 66)
        // pm@ is no member of acme: acme is "not found" for them
        let hidden = w.run(["org", "members", "acme", "--as", "pm@example.com", "--json"])
        #expect(hidden.exit == 66 && hidden.stderr.contains(#""code":"not_found""#), "\(hidden.stderr)")
        let members = try w.json(["org", "members", "acme", "--as", "ana@example.com"]).arrayValue?.map { "\($0["email"]?.stringValue ?? "")=\($0["role"]?.stringValue ?? "")" }
        #expect(members == ["ana@example.com=PM", "root@example.com=ADMIN"])
        // ana is a PM in acme and a LINGUIST in default: her role is per organisation
        #expect(try inOrg(w, "acme", ["user", "list", "--json"]).json().arrayValue?.first { $0["email"] == .string("ana@example.com") }?["role"] == .string("PM"))
        #expect(try w.json(["user", "list"]).arrayValue?.first { $0["email"] == .string("ana@example.com") }?["role"] == .string("LINGUIST"))
        #expect(inOrg(w, "acme", ["org", "add", "acme", "pm@example.com", "--role", "ADMIN", "--as", "ana@example.com"]).exit == 77)
        let removed = try w.json(["org", "remove", "acme", "ana@example.com", "--as", "root@example.com"])
        #expect(removed["email"] == .string("ana@example.com"))
        #expect(w.run(["org", "remove", "acme", "ana@example.com", "--as", "root@example.com"]).exit == 66)
        #expect(inOrg(w, "nope", ["job", "list"]).exit == 66)
    }

    @Test("a job of another organisation is not found (66, the message of a missing job) through job, qc and vtt commands")
    func otherOrgsJobIsInvisible() throws {
        let w = try setUp()
        try w.json(["org", "create", "acme", "--as", "root@example.com"])
        let job = try ApprovalPathCLITests().waitingJob(w)
        let prefix = String(job.prefix(8))
        #expect(try w.json(["job", "list"]).arrayValue?.count == 1)
        #expect(try inOrg(w, "acme", ["job", "list", "--json"]).json().arrayValue?.isEmpty == true)
        #expect(try inOrg(w, "acme", ["job", "stats", "--json"]).json()["total"] == .int(0))
        let missing = w.run(["job", "show", "01000000-0000-7000-8000-000000000000"])
        for args in [["job", "show", job], ["job", "show", prefix], ["job", "status", job], ["job", "outputs", job], ["job", "events", job],
                     ["job", "watch", job], ["job", "approve", job, "--lang", "es", "--as", "root@example.com"],
                     ["qc", "status", job], ["qc", "assign", job, "--lang", "es", "--to", "ana@example.com", "--as", "root@example.com"],
                     ["vtt", "show", job, "--lang", "en"], ["vtt", "edit", job, "--lang", "es", "--cue", "1", "--text", "x"],
                     ["job", "cancel", job], ["job", "delete", job]] {
            let r = inOrg(w, "acme", args)
            #expect(r.exit == 66, "\(args.joined(separator: " ")): \(r.exit) \(r.stderr)")
            let ref = args[2]
            #expect(r.stderr.contains("job \(ref) not found"), "\(r.stderr)")
            #expect(r.stderr.replacingOccurrences(of: ref, with: "ID") == missing.stderr.replacingOccurrences(of: "01000000-0000-7000-8000-000000000000", with: "ID"))
        }
        // the default organisation still sees it; config user.org picks the organisation too
        #expect(try w.json(["job", "show", prefix])["id"] == .string(job))
        try w.json(["config", "set", "user.org", "acme"])
        #expect(w.run(["job", "show", job]).exit == 66)
        #expect(try olleey(["job", "show", job, "--json"], cwd: w.path, env: w.env.merging(["OLLEEY_ORG": "default"]) { $1 }).json()["id"] == .string(job))
    }
}
