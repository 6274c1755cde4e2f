import Foundation
import Testing
import OlleeyKit
import OlleeyTestSupport

/// The pieces every API route stands on: the role table, signed file links, confined paths.
@Suite struct APIFoundationTests {
    @Test func permissionTableFollowsTheSecondSpecsRolesColumn() throws {
        #expect(Permission.jobsRead.allows(.client) && Permission.jobsRead.allows(.linguist))
        #expect(Permission.jobsCreate.allows(.client) && !Permission.jobsCreate.allows(.reviewer))
        #expect(Permission.jobsDelete.allows(.admin) && !Permission.jobsDelete.allows(.pm))
        #expect(Permission.qcAssign.allows(.pm) && !Permission.qcAssign.allows(.reviewer))
        // a linguist decides and edits only where assigned
        #expect(!Permission.qcDecide.allows(.linguist) && Permission.qcDecide.allows(.linguist, assigned: true))
        #expect(!Permission.vttRead.allows(.linguist) && Permission.vttRead.allows(.linguist, assigned: true))
        // being assigned gives nothing outside the linguist's permissions
        #expect(!Permission.jobsDelete.allows(.linguist, assigned: true))
        #expect(!Permission.vttTiming.allows(.linguist, assigned: true))
        do {
            try Permission.qcAssign.check(.client)
            Issue.record("a CLIENT may not assign")
        } catch let e as OlleeyError {
            #expect(e.code == .permission)
            #expect(e.message.contains("PM") && e.message.contains("ADMIN"))
        }
        try Permission.glossaryRead.check(.client)
    }

    @Test func signedLinksVerifyAndRefuseTamperingExpiryAndPurpose() throws {
        let key: [UInt8] = Array(repeating: 7, count: 32)
        let link = SignedLink(purpose: .download, org: "default", job: "j1", path: ".olleey/outputs/j1/es/talk.es.mp4", expires: 2_000)
        let token = link.token(key: key)
        #expect(try SignedLink.verify(token, key: key, purpose: .download, now: 1_000) == link)
        #expect(link.routePath(key: key) == "/files/signed/\(token)/talk.es.mp4")
        func refused(_ t: String, key k: [UInt8] = key, purpose: SignedLink.Purpose = .download, now: Int64 = 1_000) -> Bool {
            do { _ = try SignedLink.verify(t, key: k, purpose: purpose, now: now); return false } catch let e as OlleeyError {
                return e.code == .unauthenticated
            } catch { return false }
        }
        #expect(refused(token, now: 2_001))                 // expired
        #expect(refused(token, purpose: .upload))           // another purpose
        #expect(refused(token, key: Array(repeating: 8, count: 32))) // another key (rotated)
        var flipped = Array(token.utf8)
        flipped[3] = flipped[3] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        #expect(refused(String(decoding: flipped, as: UTF8.self)))  // payload changed
        #expect(refused(String(token.dropLast(2)) + "zz"))          // signature changed
        // a last character that differs only in bits base64url does not use decodes to the same
        // signature: still refused (only the token as issued verifies)
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
        if let c = token.last, let i = alphabet.firstIndex(of: c) {
            #expect(refused(String(token.dropLast()) + String(alphabet[i ^ 1])))
        }
        #expect(refused("no-dot"))
        #expect(refused(""))
    }

    @Test func confinedPathsStayInsideTheWorkspace() throws {
        let dir = TempDir("olleey-confined")
        let ws = Workspace(root: dir.path)
        let outputs = Paths.normalize(dir.path + "/.olleey/outputs/j1")
        try FileManager.default.createDirectory(atPath: outputs, withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: outputs + "/a.vtt", contents: Data("WEBVTT\n".utf8))
        #expect(try ws.confined("a.vtt", inside: outputs) == outputs + "/a.vtt")
        #expect(try ws.confined("./a.vtt", inside: outputs) == outputs + "/a.vtt")
        // no `..` at all, even one that would stay inside
        for bad in ["sub/../a.vtt", "../j2/a.vtt", "/etc/passwd", "", "a/../../x", "..", "a\u{0}b"] {
            #expect(throws: OlleeyError.self, "\(bad)") { try ws.confined(bad, inside: outputs) }
        }
        // a symbolic link inside that leads out is refused
        try FileManager.default.createSymbolicLink(atPath: outputs + "/out", withDestinationPath: "/etc")
        #expect(throws: OlleeyError.self) { try ws.confined("out/passwd", inside: outputs) }
    }
}
