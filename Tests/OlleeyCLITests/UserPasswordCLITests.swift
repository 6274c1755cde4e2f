import Foundation
import OlleeyCLI
import OlleeyKit
import Testing

/// olleey user create --password-stdin / --owner, olleey user passwd: the accounts the server
/// logs in (the first ADMIN is made this way).
@Suite("olleey user create --password-stdin, --owner; olleey user passwd")
struct UserPasswordCLITests {
    func setUp() throws -> ReviewWorkspace {
        let w = try ReviewWorkspace()
        // the lowest work factor a setting allows, to keep the test quick
        try w.json(["config", "set", "auth.password_iterations", "100000"])
        return w
    }

    func login(_ w: ReviewWorkspace, _ email: String, _ password: String) throws -> TokenPair {
        let db = try Workspace.initialize(at: w.path).0.open()
        return try AuthService(db).login(email: email, password: password)
    }

    @Test("create with --password-stdin strips exactly one trailing newline; the user logs in; --owner makes an instance owner")
    func createWithPassword() throws {
        let w = try setUp()
        let r = w.run(["user", "create", "--email", "admin@example.com", "--role", "ADMIN", "--owner", "--password-stdin", "--json"], stdin: "a long passphrase\n")
        #expect(r.exit == 0, "\(r.stderr)")
        let j = try r.json()
        #expect(j["password_set"] == true && j["instance_owner"] == true && j["role"] == "ADMIN")
        #expect(!r.stdout.contains("passphrase") && !r.stdout.contains("pbkdf2"))
        let pair = try login(w, "admin@example.com", "a long passphrase")
        #expect(pair.user.instanceOwner && pair.user.user.role == .admin)
        // two newlines: one is stripped, the other is part of the password; CRLF counts as one
        #expect(w.run(["user", "create", "--email", "nl@example.com", "--role", "PM", "--password-stdin"], stdin: "a long passphrase\n\n").exit == 0)
        #expect(throws: OlleeyError.self) { _ = try login(w, "nl@example.com", "a long passphrase") }
        _ = try login(w, "nl@example.com", "a long passphrase\n")
        #expect(w.run(["user", "create", "--email", "crlf@example.com", "--role", "PM", "--password-stdin"], stdin: "a long passphrase\r\n").exit == 0)
        _ = try login(w, "crlf@example.com", "a long passphrase")
        // without --password-stdin: an account without a password (cannot log in to the server)
        #expect(try w.json(["user", "create", "--email", "ana@example.com", "--role", "LINGUIST"])["password_set"] == false)
        #expect(throws: OlleeyError.self) { _ = try login(w, "ana@example.com", "") }
    }

    @Test("error paths: empty or short password (64, 65, nothing created), --owner by a non-owner (77), JSON error envelope")
    func createErrors() throws {
        let w = try setUp()
        let empty = w.run(["user", "create", "--email", "a@example.com", "--role", "ADMIN", "--password-stdin", "--json"], stdin: "\n")
        #expect(empty.exit == 64 && empty.stderr.contains(#""code":"usage""#), "\(empty.stderr)")
        let short = w.run(["user", "create", "--email", "a@example.com", "--role", "ADMIN", "--password-stdin"], stdin: "short\n")
        #expect(short.exit == 65 && short.stderr.contains("at least 8"), "\(short.stderr)")
        #expect(w.run(["user", "list", "--json"]).stdout.contains("a@example.com") == false)
        try w.json(["user", "create", "--email", "root@example.com", "--role", "ADMIN"])
        let notOwner = w.run(["user", "create", "--email", "b@example.com", "--role", "PM", "--owner", "--as", "root@example.com"])
        #expect(notOwner.exit == 77, "\(notOwner.stderr)")
        #expect(!w.run(["user", "list", "--json"]).stdout.contains("b@example.com"), "one transaction: the user is not left behind")
    }

    @Test("passwd: sets the password from stdin (old refresh tokens revoked); needs --password-stdin (64); unknown user 66; a LINGUIST may not set an ADMIN's (77)")
    func passwd() throws {
        let w = try setUp()
        #expect(w.run(["user", "create", "--email", "admin@example.com", "--role", "ADMIN", "--password-stdin"], stdin: "a long passphrase\n").exit == 0)
        let before = try login(w, "admin@example.com", "a long passphrase")
        let r = w.run(["user", "passwd", "admin@example.com", "--password-stdin", "--json"], stdin: "another passphrase\n")
        #expect(r.exit == 0, "\(r.stderr)")
        #expect(try r.json()["password_set"] == true)
        _ = try login(w, "admin@example.com", "another passphrase")
        #expect(throws: OlleeyError.self) { _ = try login(w, "admin@example.com", "a long passphrase") }
        let db = try Workspace.initialize(at: w.path).0.open()
        #expect(throws: OlleeyError.self) { _ = try AuthService(db).refresh(before.refreshToken) }
        #expect(w.run(["user", "passwd", "admin@example.com"], stdin: "x\n").exit == 64)
        #expect(w.run(["user", "passwd", "nobody@example.com", "--password-stdin"], stdin: "another passphrase\n").exit == 66)
        try w.json(["user", "create", "--email", "ana@example.com", "--role", "LINGUIST", "--as", "admin@example.com"])
        let denied = w.run(["user", "passwd", "admin@example.com", "--password-stdin", "--as", "ana@example.com", "--json"], stdin: "hijacked passphrase\n")
        #expect(denied.exit == 77 && denied.stderr.contains(#""code":"permission""#), "\(denied.stderr)")
        let help = w.run(["user", "passwd", "--help"])
        #expect(help.exit == 0 && help.stdout.contains("olleey user passwd ana@example.com --password-stdin"))
        #expect(w.run(["user", "create", "--help"]).stdout.contains("--password-stdin"))
    }
}
