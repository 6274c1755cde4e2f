import Foundation
import Testing
import OlleeyHTTP
import OlleeyKit
import OlleeyServer
import OlleeyTestSupport

@Suite struct AccountRoutesTests {
    func token(_ s: AppServer, _ email: String) throws -> String? {
        try s.request("POST", "/auth/login", json: loginJSON(email)).json["access_token"] as? String
    }

    @Test("a disabled user's token stops working within the principal cache's second")
    func disabledWithinASecond() throws {
        let s = try AppServer(settings: [("ratelimit.auth_per_minute", "100")])
        try s.user("admin@example.com", .admin)
        let linguist = try s.user("ling@example.com", .linguist)
        let admin = try token(s, "admin@example.com")
        let ling = try token(s, "ling@example.com")
        #expect(try s.request("GET", "/api/v1/users/me", headers: bearer(ling)).status == 200)
        #expect(try s.request("PATCH", "/api/v1/admin/users/\(linguist.id)", json: #"{"disabled":true}"#, headers: bearer(admin)).status == 200)
        usleep(1_100_000)
        #expect(try s.request("GET", "/api/v1/users/me", headers: bearer(ling)).status == 401)
        #expect(try s.request("GET", "/jobs", headers: bearer(ling)).status == 401)
    }

    @Test("another organisation's members, invite, removal and users are 404; a CLIENT on admin routes is 403")
    func tenancy() throws {
        let s = try AppServer(settings: [("ratelimit.auth_per_minute", "100")])
        let acme = try s.org("acme")
        try s.user("admin@example.com", .admin)
        let client = try s.user("client@example.com", .client)
        let other = try s.user("boss@acme.example", .admin, org: acme.id)
        let admin = try token(s, "admin@example.com")
        let acmeAdmin = try token(s, "boss@acme.example")
        let clientToken = try token(s, "client@example.com")

        // own organisation: fine
        let members = try s.request("GET", "/api/v1/organizations/default/members", headers: bearer(admin))
        #expect(members.status == 200 && members.items.count == 2)
        // another organisation: not found, never forbidden
        #expect(try s.request("GET", "/api/v1/organizations/\(acme.id)/members", headers: bearer(admin)).status == 404)
        #expect(try s.request("POST", "/api/v1/organizations/\(acme.id)/invite", json: #"{"email":"x@example.com","role":"CLIENT"}"#, headers: bearer(admin)).status == 404)
        #expect(try s.request("DELETE", "/api/v1/organizations/\(acme.id)/members/\(other.id)", headers: bearer(admin)).status == 404)
        #expect(try s.request("PATCH", "/api/v1/admin/users/\(client.id)", json: #"{"disabled":true}"#, headers: bearer(acmeAdmin)).status == 404)
        let acmeUsers = try s.request("GET", "/api/v1/admin/users", headers: bearer(acmeAdmin))
        #expect(acmeUsers.status == 200 && acmeUsers.items.compactMap { $0["email"] as? String } == ["boss@acme.example"])
        // organisations: each sees its own
        #expect(try s.request("GET", "/api/v1/organizations", headers: bearer(admin)).items.compactMap { $0["name"] as? String } == ["default"])
        // a CLIENT: 403 on admin routes and on member management of its own organisation
        for (m, p) in [("GET", "/api/v1/admin/users"), ("GET", "/api/v1/admin/audit-log"), ("GET", "/api/v1/organizations/default/members")] {
            let r = try s.request(m, p, headers: bearer(clientToken))
            #expect(r.status == 403, "\(m) \(p)")
            #expect(r.code == "permission", "\(m) \(p)")
        }
        #expect(try s.request("PATCH", "/api/v1/admin/users/\(client.id)", json: #"{"role":"ADMIN"}"#, headers: bearer(clientToken)).status == 403)
        // creating an organisation needs an instance owner
        #expect(try s.request("POST", "/api/v1/organizations", json: #"{"name":"new-org"}"#, headers: bearer(admin)).status == 403)
    }

    @Test("an instance owner lists and creates organisations")
    func owner() throws {
        let s = try AppServer()
        _ = try s.org("acme")
        try s.user("owner@example.com", .admin, owner: true)
        let t = try token(s, "owner@example.com")
        let created = try s.request("POST", "/api/v1/organizations", json: #"{"name":"globex"}"#, headers: bearer(t))
        #expect(created.status == 201 && created.json["name"] as? String == "globex")
        let names = try s.request("GET", "/api/v1/organizations", headers: bearer(t)).items.compactMap { $0["name"] as? String }
        #expect(Set(names) == ["default", "acme", "globex"])
        #expect(try s.request("POST", "/api/v1/organizations", json: #"{"name":"globex"}"#, headers: bearer(t)).status == 409)
    }

    @Test("invite, then register with the invitation (auth.registration invite); without one 403; reuse 401; audit entries")
    func inviteAndRegister() throws {
        let s = try AppServer(settings: [("ratelimit.auth_per_minute", "100")])
        try s.user("admin@example.com", .admin)
        let admin = try token(s, "admin@example.com")
        let inv = try s.request("POST", "/api/v1/organizations/default/invite", json: #"{"email":"new@example.com","role":"linguist"}"#, headers: bearer(admin))
        #expect(inv.status == 201 && inv.json["role"] as? String == "LINGUIST" && inv.header("Cache-Control") == "no-store")
        let invitation = try #require(inv.json["token"] as? String)
        let without = try s.request("POST", "/auth/register", json: #"{"email":"new@example.com","password":"a long passphrase"}"#)
        #expect(without.status == 403 && without.code == "permission")
        let reg = try s.request("POST", "/auth/register", json: #"{"email":"new@example.com","password":"a long passphrase","name":"New","invitation":"\#(invitation)"}"#)
        #expect(reg.status == 200 && reg.header("Cache-Control") == "no-store")
        let user = reg.json["user"] as? [String: Any]
        #expect(user?["role"] as? String == "LINGUIST" && user?["org_id"] as? String == "default")
        let again = try s.request("POST", "/auth/register", json: #"{"email":"new@example.com","password":"a long passphrase","invitation":"\#(invitation)"}"#)
        #expect(again.status == 401)
        let members = try s.request("GET", "/api/v1/organizations/default/members", headers: bearer(admin)).items.compactMap { $0["email"] as? String }
        #expect(members.contains("new@example.com"))
        let log = try s.request("GET", "/api/v1/admin/audit-log", headers: bearer(admin))
        let actions = log.items.compactMap { $0["action"] as? String }
        #expect(actions.contains("org.invite") && actions.contains("auth.register"))
        // removal: the member goes, the account stays; removal is audited
        let newId = try #require(user?["user_id"] as? String)
        #expect(try s.request("DELETE", "/api/v1/organizations/default/members/\(newId)", headers: bearer(admin)).status == 200)
        #expect(try s.request("POST", "/auth/login", json: loginJSON("new@example.com")).status == 403)
        #expect(try s.request("GET", "/api/v1/admin/audit-log", headers: bearer(admin)).items.count > actions.count)
    }

    @Test("the last ADMIN of an organisation cannot remove itself (409, still a member); with a second ADMIN it can (found by the schema fuzz run)")
    func lastAdminStays() throws {
        let s = try AppServer()
        let me = try s.user("admin@example.com", .admin)
        let admin = try token(s, "admin@example.com")
        let refused = try s.request("DELETE", "/api/v1/organizations/default/members/\(me.id)", headers: bearer(admin))
        #expect(refused.status == 409 && refused.text.contains("last ADMIN"), "\(refused.status) \(refused.text)")
        #expect(try s.request("GET", "/api/v1/organizations/default/members", headers: bearer(admin)).status == 200)
        try s.user("second@example.com", .admin)
        #expect(try s.request("DELETE", "/api/v1/organizations/default/members/\(me.id)", headers: bearer(admin)).status == 200)
    }

    @Test("registration off is 403; open creates an organisation with the registrant as ADMIN")
    func registrationModes() throws {
        let off = try AppServer(settings: [("auth.registration", "off")])
        let r = try off.request("POST", "/auth/register", json: #"{"email":"x@example.com","password":"a long passphrase"}"#)
        #expect(r.status == 403 && r.code == "permission")
        let open = try AppServer(settings: [("auth.registration", "open")])
        let ok = try open.request("POST", "/auth/register", json: #"{"email":"x@example.com","password":"a long passphrase"}"#)
        #expect(ok.status == 200)
        let user = ok.json["user"] as? [String: Any]
        #expect(user?["role"] as? String == "ADMIN" && user?["org_id"] as? String != "default")
        #expect(try open.request("POST", "/auth/register", json: #"{"email":"x@example.com","password":"a long passphrase"}"#).status == 409)
    }

    @Test("admin patches a user: role change, disable (their tokens stop working), no self-demotion; bad input 400")
    func patchUser() throws {
        let s = try AppServer()
        let me = try s.user("admin@example.com", .admin)
        let pm = try s.user("pm@example.com", .pm)
        let admin = try token(s, "admin@example.com")
        let pmToken = try token(s, "pm@example.com")
        let r = try s.request("PATCH", "/api/v1/admin/users/\(pm.id)", json: #"{"role":"REVIEWER"}"#, headers: bearer(admin))
        #expect(r.status == 200 && r.json["role"] as? String == "REVIEWER")
        #expect(try s.request("PATCH", "/api/v1/admin/users/\(pm.id)", json: #"{"is_active":false}"#, headers: bearer(admin)).status == 200)
        #expect(try s.request("GET", "/api/v1/users/me", headers: bearer(pmToken)).status == 401)
        #expect(try s.request("PATCH", "/api/v1/admin/users/\(me.id)", json: #"{"role":"PM"}"#, headers: bearer(admin)).status == 409)
        #expect(try s.request("PATCH", "/api/v1/admin/users/\(pm.id)", json: #"{"role":"KING"}"#, headers: bearer(admin)).status == 400)
        #expect(try s.request("PATCH", "/api/v1/admin/users/\(pm.id)", json: "{}", headers: bearer(admin)).status == 400)
        #expect(try s.request("PATCH", "/api/v1/admin/users/no-such-id", json: #"{"disabled":true}"#, headers: bearer(admin)).status == 404)
        let actions = try AccountStore(s.db).audit(org: nil, before: nil, limit: 50).map(\.action)
        #expect(actions.filter { $0.hasPrefix("user.") }.count >= 2)
    }

    @Test("the route table is in openapi.json with bearer security on authenticated routes")
    func openAPI() throws {
        let s = try AppServer()
        let doc = try s.request("GET", "/openapi.json").json
        let paths = try #require(doc["paths"] as? [String: Any])
        for p in ["/auth/login", "/auth/me", "/api/v1/auth/login", "/api/v1/auth/refresh", "/api/v1/organizations/{id}/members",
                  "/api/v1/organizations/{id}/members/{user_id}", "/api/v1/admin/users/{id}", "/api/v1/admin/audit-log"] {
            #expect(paths[p] != nil, "\(p)")
        }
    }
}
