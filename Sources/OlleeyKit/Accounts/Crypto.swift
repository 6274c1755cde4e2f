import COpenSSL
import Foundation

/// Thin wrappers over libcrypto: nothing here implements a primitive itself.
public enum Crypto {
    /// SHA-256 of `bytes` (32 bytes).
    public static func sha256(_ bytes: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        var len: UInt32 = 0
        bytes.withUnsafeBytes { b in
            _ = EVP_Digest(b.baseAddress, b.count, &out, &len, EVP_sha256(), nil)
        }
        return out
    }

    /// MD5 of `bytes` (16 bytes): only because S3 speaks it (Content-MD5, and the ETags it
    /// answers with), never for anything olleey relies on for security.
    public static func md5(_ bytes: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 16)
        var len: UInt32 = 0
        bytes.withUnsafeBytes { b in
            _ = EVP_Digest(b.baseAddress, b.count, &out, &len, EVP_md5(), nil)
        }
        return out
    }

    /// HMAC-SHA256 of `data` under `key` (32 bytes).
    public static func hmacSHA256(key: [UInt8], data: [UInt8]) -> [UInt8] { hmac(EVP_sha256(), size: 32, key: key, data: data) }

    /// HMAC-SHA1 of `data` under `key` (20 bytes): only for checking signatures a peer makes
    /// with it (WebSub's `X-Hub-Signature: sha1=...`), never for anything olleey signs.
    public static func hmacSHA1(key: [UInt8], data: [UInt8]) -> [UInt8] { hmac(EVP_sha1(), size: 20, key: key, data: data) }

    /// libcrypto's one-shot HMAC with digest `md`, whose output is `size` bytes.
    static func hmac(_ md: OpaquePointer?, size: Int, key: [UInt8], data: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: size)
        var len: UInt32 = 0
        // buffers that are never empty, so their base addresses are never nil (the lengths say 0)
        let k = key + [0], d = data + [0]
        k.withUnsafeBytes { kb in
            d.withUnsafeBytes { db in
                _ = HMAC(md, kb.baseAddress, Int32(key.count), db.baseAddress?.assumingMemoryBound(to: UInt8.self), data.count, &out, &len)
            }
        }
        return out
    }

    /// PBKDF2-HMAC-SHA256 (`PKCS5_PBKDF2_HMAC`).
    public static func pbkdf2SHA256(password: [UInt8], salt: [UInt8], iterations: Int, length: Int = 32) throws -> [UInt8] {
        guard iterations >= 1, length >= 1 else { throw OlleeyError.failure("PBKDF2 needs at least one iteration and one byte") }
        var out = [UInt8](repeating: 0, count: length)
        // a buffer that is never empty, so its base address is never nil (the length says 0)
        let pw = password + [0]
        let ok = pw.withUnsafeBytes { p in
            salt.withUnsafeBytes { s in
                PKCS5_PBKDF2_HMAC(p.baseAddress?.assumingMemoryBound(to: CChar.self), Int32(password.count),
                                  s.baseAddress?.assumingMemoryBound(to: UInt8.self), Int32(s.count),
                                  Int32(clamping: iterations), EVP_sha256(), Int32(length), &out)
            }
        }
        guard ok == 1 else { throw OlleeyError.failure("key derivation failed") }
        return out
    }

    /// `count` bytes from libcrypto's CSPRNG (`RAND_bytes`).
    public static func randomBytes(_ count: Int) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        guard count == 0 || RAND_bytes(&out, Int32(count)) == 1 else { throw OlleeyError.failure("the random number generator failed") }
        return out
    }

    /// Equal bytes, compared in time that depends only on the length (`CRYPTO_memcmp`).
    public static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        if a.isEmpty { return true }
        return a.withUnsafeBytes { x in b.withUnsafeBytes { y in CRYPTO_memcmp(x.baseAddress, y.baseAddress, a.count) == 0 } }
    }

    // MARK: base64url (RFC 4648 section 5, no padding)

    public static func base64url(_ bytes: [UInt8]) -> String {
        var s = Data(bytes).base64EncodedString()
        s = s.replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
        while s.hasSuffix("=") { s.removeLast() }
        return s
    }

    /// Decodes unpadded (or padded) base64url; nil for any other character.
    public static func base64urlDecode(_ text: Substring) -> [UInt8]? {
        guard text.utf8.allSatisfy({ $0 == 0x2D || $0 == 0x5F || $0 == 0x3D || (0x30...0x39).contains($0) || (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0) }) else { return nil }
        var s = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while s.hasSuffix("=") { s.removeLast() }
        if s.count % 4 == 1 { return nil }
        s += String(repeating: "=", count: (4 - s.count % 4) % 4)
        return Data(base64Encoded: s).map { [UInt8]($0) }
    }

    public static func base64urlDecode(_ text: String) -> [UInt8]? { base64urlDecode(Substring(text)) }

    // MARK: RS256

    private static var paramN: UnsafePointer<CChar> { UnsafeRawPointer(("n" as StaticString).utf8Start).assumingMemoryBound(to: CChar.self) }
    private static var paramE: UnsafePointer<CChar> { UnsafeRawPointer(("e" as StaticString).utf8Start).assumingMemoryBound(to: CChar.self) }

    /// Verifies an RSASSA-PKCS1-v1_5 SHA-256 signature (JWS `RS256`) of `message` against the
    /// public key of a JWK's `n` and `e` (big-endian bytes). False for a bad key or signature.
    public static func verifyRS256(modulus n: [UInt8], exponent e: [UInt8], message: [UInt8], signature: [UInt8]) -> Bool {
        guard n.count >= 256, n.count <= 1024, !e.isEmpty, e.count <= 8 else { return false } // 2048..8192-bit keys
        guard let bld = OSSL_PARAM_BLD_new() else { return false }
        defer { OSSL_PARAM_BLD_free(bld) }
        guard let bn = BN_bin2bn(n, Int32(n.count), nil) else { return false }
        defer { BN_free(bn) }
        guard let be = BN_bin2bn(e, Int32(e.count), nil) else { return false }
        defer { BN_free(be) }
        // The builder keeps the key names' pointers until OSSL_PARAM_BLD_to_param: they must
        // outlive the push calls, so they are static strings, not the temporary C strings Swift
        // makes for a String argument (which a debug build frees at once: the key was garbage).
        guard OSSL_PARAM_BLD_push_BN(bld, Crypto.paramN, bn) == 1, OSSL_PARAM_BLD_push_BN(bld, Crypto.paramE, be) == 1,
              let params = OSSL_PARAM_BLD_to_param(bld) else { return false }
        defer { OSSL_PARAM_free(params) }
        guard let kctx = EVP_PKEY_CTX_new_from_name(nil, "RSA", nil) else { return false }
        defer { EVP_PKEY_CTX_free(kctx) }
        var pkey: OpaquePointer?
        guard EVP_PKEY_fromdata_init(kctx) == 1, EVP_PKEY_fromdata(kctx, &pkey, olleey_EVP_PKEY_PUBLIC_KEY, params) == 1, let pkey else { return false }
        defer { EVP_PKEY_free(pkey) }
        guard let mctx = EVP_MD_CTX_new() else { return false }
        defer { EVP_MD_CTX_free(mctx) }
        guard EVP_DigestVerifyInit(mctx, nil, EVP_sha256(), nil, pkey) == 1 else { return false }
        return message.withUnsafeBytes { m in
            signature.withUnsafeBytes { s in
                EVP_DigestVerify(mctx, s.baseAddress?.assumingMemoryBound(to: UInt8.self), s.count,
                                 m.baseAddress?.assumingMemoryBound(to: UInt8.self), m.count) == 1
            }
        }
    }
}
