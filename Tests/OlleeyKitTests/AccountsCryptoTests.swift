import COpenSSL
import Foundation
import OlleeyKit
import Testing

func hex(_ s: String) -> [UInt8] {
    var out: [UInt8] = []
    var it = s.filter { !$0.isWhitespace }.makeIterator()
    while let a = it.next(), let b = it.next() { out.append(UInt8(String([a, b]), radix: 16) ?? 0) }
    return out
}

/// A real RSA key pair made in the test with libcrypto, to sign ID tokens as a provider would.
final class TestRSAKey: @unchecked Sendable {
    let pkey: OpaquePointer

    init(bits: Int32 = 2048) throws {
        let ctx = try #require(EVP_PKEY_CTX_new_from_name(nil, "RSA", nil))
        defer { EVP_PKEY_CTX_free(ctx) }
        #expect(EVP_PKEY_keygen_init(ctx) == 1)
        #expect(EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, bits) == 1)
        var p: OpaquePointer?
        #expect(EVP_PKEY_generate(ctx, &p) == 1)
        pkey = try #require(p)
    }

    deinit { EVP_PKEY_free(pkey) }

    func sign(_ message: [UInt8]) throws -> [UInt8] {
        let m = try #require(EVP_MD_CTX_new())
        defer { EVP_MD_CTX_free(m) }
        #expect(EVP_DigestSignInit(m, nil, EVP_sha256(), nil, pkey) == 1)
        var len = 0
        #expect(EVP_DigestSign(m, nil, &len, message, message.count) == 1)
        var sig = [UInt8](repeating: 0, count: len)
        #expect(EVP_DigestSign(m, &sig, &len, message, message.count) == 1)
        return Array(sig.prefix(len))
    }

    func param(_ name: String) throws -> [UInt8] {
        var bn: OpaquePointer?
        #expect(EVP_PKEY_get_bn_param(pkey, name, &bn) == 1)
        let b = try #require(bn)
        defer { BN_free(b) }
        var out = [UInt8](repeating: 0, count: Int((BN_num_bits(b) + 7) / 8))
        _ = BN_bn2bin(b, &out)
        return out
    }

    /// The public key as a JWK.
    func jwk(kid: String) throws -> JSON {
        .object([("kty", "RSA"), ("kid", .string(kid)), ("use", "sig"), ("alg", "RS256"),
                 ("n", .string(Crypto.base64url(try param("n")))), ("e", .string(Crypto.base64url(try param("e"))))])
    }

    /// A compact RS256 JWS of `payload`.
    func token(_ payload: JSON, kid: String?, alg: String = "RS256") throws -> String {
        var h: [(String, JSON)] = [("alg", .string(alg)), ("typ", "JWT")]
        if let kid { h.append(("kid", .string(kid))) }
        let input = Crypto.base64url(Array(JSON.object(h).encoded().utf8)) + "." + Crypto.base64url(Array(payload.encoded().utf8))
        return input + "." + Crypto.base64url(try sign(Array(input.utf8)))
    }
}

@Suite("accounts: libcrypto wrappers against published vectors")
struct AccountsCryptoTests {
    @Test("HMAC-SHA256: RFC 4231 test cases 1, 2, 3, 6, 7")
    func hmacVectors() {
        #expect(Crypto.hmacSHA256(key: [UInt8](repeating: 0x0b, count: 20), data: Array("Hi There".utf8)) ==
                hex("b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"))
        #expect(Crypto.hmacSHA256(key: Array("Jefe".utf8), data: Array("what do ya want for nothing?".utf8)) ==
                hex("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"))
        #expect(Crypto.hmacSHA256(key: [UInt8](repeating: 0xaa, count: 20), data: [UInt8](repeating: 0xdd, count: 50)) ==
                hex("773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"))
        #expect(Crypto.hmacSHA256(key: [UInt8](repeating: 0xaa, count: 131), data: Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8)) ==
                hex("60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"))
        let tc7 = "This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm."
        #expect(Crypto.hmacSHA256(key: [UInt8](repeating: 0xaa, count: 131), data: Array(tc7.utf8)) ==
                hex("9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"))
        #expect(Crypto.hmacSHA256(key: [], data: []).count == 32)
    }

    @Test("SHA-256: FIPS 180-2 'abc' and the empty string")
    func sha256() {
        #expect(Crypto.sha256(Array("abc".utf8)) == hex("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"))
        #expect(Crypto.sha256([]) == hex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"))
    }

    @Test("PBKDF2-HMAC-SHA256: RFC 7914 section 11 vectors and the RFC 6070-style SHA-256 vectors")
    func pbkdf2() throws {
        #expect(try Crypto.pbkdf2SHA256(password: Array("passwd".utf8), salt: Array("salt".utf8), iterations: 1, length: 64) ==
                hex("55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783"))
        #expect(try Crypto.pbkdf2SHA256(password: Array("Password".utf8), salt: Array("NaCl".utf8), iterations: 80_000, length: 64) ==
                hex("4ddcd8f60b98be21830cee5ef22701f9641a4418d04c0414aeff08876b34ab56a1d425a1225833549adb841b51c9b3176a272bdebba1d078478f62b397f33c8d"))
        for (c, expected) in [(1, "120fb6cffcf8b32c43e7225256c4f837a86548c92ccc35480805987cb70be17b"),
                              (2, "ae4d0c95af6b46d32d0adff928f06dd02a303f8ef3c251dfd6e2d85a95474c43"),
                              (4096, "c5e478d59288c841aa530db6845c4c8d962893a001ce4e11a4963873aa98134a")] {
            #expect(try Crypto.pbkdf2SHA256(password: Array("password".utf8), salt: Array("salt".utf8), iterations: c) == hex(expected))
        }
        #expect(throws: OlleeyError.self) { _ = try Crypto.pbkdf2SHA256(password: [], salt: [], iterations: 0) }
        #expect(try Crypto.pbkdf2SHA256(password: [], salt: Array("salt".utf8), iterations: 1).count == 32)
    }

    @Test("random bytes differ; constant-time compare; base64url round trips and refuses other alphabets")
    func helpers() throws {
        let a = try Crypto.randomBytes(32), b = try Crypto.randomBytes(32)
        #expect(a.count == 32 && a != b)
        #expect(Crypto.constantTimeEqual(a, a) && !Crypto.constantTimeEqual(a, b) && !Crypto.constantTimeEqual(a, Array(a.prefix(31))))
        for n in 0..<40 {
            let bytes = try Crypto.randomBytes(n)
            let s = Crypto.base64url(bytes)
            #expect(!s.contains("=") && !s.contains("+") && !s.contains("/"))
            #expect(Crypto.base64urlDecode(s) == bytes)
        }
        #expect(Crypto.base64urlDecode("a+b/") == nil)
        #expect(Crypto.base64urlDecode("a") == nil)
        #expect(Crypto.base64urlDecode("-_8") == [0xfb, 0xff])
    }

    static let a1Token = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    static let a1Key = "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow"

    @Test("RFC 7515 A.1: the HS256 example's signature verifies under its key, and not once tampered")
    func rfc7515HS256() throws {
        let parts = try #require(JWS.parse(AccountsCryptoTests.a1Token))
        let key = try #require(Crypto.base64urlDecode(AccountsCryptoTests.a1Key))
        #expect(parts.header["alg"] == "HS256")
        #expect(parts.payload["iss"] == "joe" && parts.payload["exp"] == .int(1_300_819_380))
        #expect(Crypto.constantTimeEqual(Crypto.hmacSHA256(key: key, data: parts.signingInput), parts.signature))
        var other = key; other[0] ^= 1
        #expect(!Crypto.constantTimeEqual(Crypto.hmacSHA256(key: other, data: parts.signingInput), parts.signature))
        // the example token expired in 2011: the access-token verifier refuses it on time, and
        // accepts nothing about it at a time it was valid either (it lacks sub and org)
        #expect(throws: OlleeyError.self) { _ = try AccessTokenSigner(key: key).verify(AccountsCryptoTests.a1Token, now: 1_300_819_000) }
    }

    static let a2Token = "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm4Bh-0Qc_lF5YKt_O8W2Fp5jujGbds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb1L07Qe7K0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-eOkHWEsqtFZESc6BfI7noOPqvhJ1phCnvWh6IeYI2w9QOYEUipUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrBp0igcN_IoypGlUPQGe77Rw"
    static let a2N = "ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ"

    @Test("RFC 7515 A.2: the RS256 example's signature verifies against its published key (n, e); a changed byte does not")
    func rfc7515RS256() throws {
        let parts = try #require(JWS.parse(AccountsCryptoTests.a2Token))
        let n = try #require(Crypto.base64urlDecode(AccountsCryptoTests.a2N)), e = try #require(Crypto.base64urlDecode("AQAB"))
        #expect(Crypto.verifyRS256(modulus: n, exponent: e, message: parts.signingInput, signature: parts.signature))
        var msg = parts.signingInput; msg[msg.count - 1] ^= 1
        #expect(!Crypto.verifyRS256(modulus: n, exponent: e, message: msg, signature: parts.signature))
        var sig = parts.signature; sig[0] ^= 1
        #expect(!Crypto.verifyRS256(modulus: n, exponent: e, message: parts.signingInput, signature: sig))
        #expect(!Crypto.verifyRS256(modulus: Array(n.prefix(64)), exponent: e, message: parts.signingInput, signature: parts.signature))
    }

    @Test("RS256 with a key pair made in the test: signed with its private key, verified with (n, e); another key fails")
    func rs256Generated() throws {
        let k = try TestRSAKey(), other = try TestRSAKey()
        let msg = Array("hello".utf8)
        let sig = try k.sign(msg)
        #expect(Crypto.verifyRS256(modulus: try k.param("n"), exponent: try k.param("e"), message: msg, signature: sig))
        #expect(!Crypto.verifyRS256(modulus: try other.param("n"), exponent: try other.param("e"), message: msg, signature: sig))
    }

    @Test("passwords: self-describing PBKDF2 string, verify right and wrong, malformed stored values never match")
    func passwords() throws {
        let h = PasswordHasher(iterations: 1000)
        let stored = try h.hash("correct horse battery")
        let parts = stored.split(separator: "$")
        #expect(parts.count == 4 && parts[0] == "pbkdf2-sha256" && parts[1] == "1000")
        #expect(h.verify("correct horse battery", against: stored))
        #expect(!h.verify("correct horse batterz", against: stored))
        #expect(try h.hash("correct horse battery") != stored, "a fresh salt each time")
        // a hash made at another work factor still verifies (the count is in the string)
        #expect(PasswordHasher(iterations: 5).verify("correct horse battery", against: stored))
        for bad in ["", "pbkdf2-sha256$1000$x", "md5$1$aa$bb", "pbkdf2-sha256$0$AAAA$AAAAAAAAAAAAAAAAAAAAAA", "pbkdf2-sha256$1000$!!$AAAAAAAAAAAAAAAAAAAAAA"] {
            #expect(!h.verify("correct horse battery", against: bad))
        }
        #expect(PasswordHasher().iterations == 600_000)
        #expect(throws: OlleeyError.self) { try PasswordHasher.validate("short") }
        #expect(throws: OlleeyError.self) { try PasswordHasher.validate(String(repeating: "x", count: 1025)) }
        try PasswordHasher.validate("a long passphrase")
    }

    @Test("access tokens: HS256 signed and verified; tampered, alg none, RS256-as-HS256, expired, not yet valid and future iat refused (401)")
    func accessTokens() throws {
        let key = try Crypto.randomBytes(32)
        let s = AccessTokenSigner(key: key)
        let now: Int64 = 1_800_000_000
        let (token, claims) = try s.sign(user: "u1", org: "o1", role: .admin, now: now)
        #expect(claims.exp == now + 900 && s.ttl == 900)
        #expect(try s.verify(token, now: now + 10) == claims)
        #expect(try s.verify(token, now: now + 900 + 29).sub == "u1", "30 s leeway")
        func refused(_ t: String, at: Int64 = now, _ why: String) {
            do { _ = try s.verify(t, now: at); Issue.record("accepted: \(why)") } catch let e as OlleeyError {
                #expect(e.code == .unauthenticated && e.code.httpStatus == 401, "\(why)")
            } catch { Issue.record("\(error)") }
        }
        refused(token, at: now + 900 + 31, "expired")
        let p = token.split(separator: ".").map(String.init)
        // payload changed, signature kept
        let forged = Crypto.base64url(Array(#"{"sub":"u2","org":"o1","role":"ADMIN","iat":1800000000,"exp":1800000900}"#.utf8))
        refused("\(p[0]).\(forged).\(p[2])", "tampered payload")
        let sig0 = p[2].first == "A" ? "B" : "A"
        refused("\(p[0]).\(p[1]).\(sig0)\(p[2].dropFirst())", "tampered signature")
        // the same signature bytes spelled another way (padding; the last character's unused bits)
        refused("\(p[0]).\(p[1]).\(p[2])=", "padded signature")
        let last = p[2].last ?? "A", spare = Array("AEIMQUYcgkosw048"), idx = spare.firstIndex(of: last)
        let tweak = idx.map { String(Array("BFJNRVZdhlptx159")[$0]) } ?? "A"
        refused("\(p[0]).\(p[1]).\(p[2].dropLast())\(tweak)", "non-canonical last character")
        refused("\(Crypto.base64url(Array(#"{"alg":"none"}"#.utf8))).\(p[1]).", "alg none, empty signature")
        refused("\(Crypto.base64url(Array(#"{"alg":"none"}"#.utf8))).\(p[1]).\(p[2])", "alg none")
        // RS256 header, HMAC'd with the key as if the key were an RSA public key (confusion)
        let rsHeader = Crypto.base64url(Array(#"{"alg":"RS256","typ":"JWT"}"#.utf8))
        let confused = "\(rsHeader).\(p[1])"
        refused(confused + "." + Crypto.base64url(Crypto.hmacSHA256(key: key, data: Array(confused.utf8))), "RS256 as HS256")
        refused(AccessTokenSigner.signHS256(header: ["alg": "HS512"], payload: claims.json, key: key), "HS512")
        refused(AccessTokenSigner.signHS256(header: ["alg": "HS256", "crit": ["exp"]], payload: claims.json, key: key), "crit")
        var nbf = claims.json.objectValue ?? []; nbf.append(("nbf", .int(now + 120)))
        refused(AccessTokenSigner.signHS256(header: ["alg": "HS256"], payload: .object(nbf), key: key), "nbf in the future")
        let (future, _) = try s.sign(user: "u1", org: "o1", role: .admin, now: now + 120)
        refused(future, "iat in the future")
        refused(try AccessTokenSigner(key: try Crypto.randomBytes(32)).sign(user: "u1", org: "o1", role: .admin, now: now).token, "another key")
        for junk in ["", "a.b", "a.b.c.d", "!!.!!.!!", String(repeating: "a", count: 20_000)] { refused(junk, "junk '\(junk.prefix(10))'") }
    }
}
