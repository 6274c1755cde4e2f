import Foundation

/// Compact JWS: split, decode, and the HS256 access tokens olleey issues.
public enum JWS {
    public struct Parts: Sendable {
        public var header: JSON
        public var payload: JSON
        /// `BASE64URL(header) "." BASE64URL(payload)`: what the signature covers.
        public var signingInput: [UInt8]
        public var signature: [UInt8]
    }

    /// Splits and decodes a compact JWS; nil when it is not three base64url parts of JSON objects.
    public static func parse(_ token: String) -> Parts? {
        guard token.utf8.count <= 16_384 else { return nil }
        let p = token.split(separator: ".", omittingEmptySubsequences: false)
        guard p.count == 3, let h = Crypto.base64urlDecode(p[0]), let b = Crypto.base64urlDecode(p[1]),
              // the signature in its one canonical spelling (no padding, no stray trailing bits)
              let s = Crypto.base64urlDecode(p[2]), Crypto.base64url(s) == p[2],
              let header = try? JSON.parse(bytes: h, maxDepth: 16), header.objectValue != nil,
              let payload = try? JSON.parse(bytes: b, maxDepth: 16), payload.objectValue != nil
        else { return nil }
        return Parts(header: header, payload: payload, signingInput: Array("\(p[0]).\(p[1])".utf8), signature: s)
    }
}

/// The claims of an olleey access token.
public struct AccessClaims: Sendable, Equatable {
    public var sub: String
    public var org: String
    public var role: String
    public var iat: Int64
    public var exp: Int64
    public var jti: String

    public var json: JSON {
        .object([("sub", .string(sub)), ("org", .string(org)), ("role", .string(role)), ("iat", .int(iat)), ("exp", .int(exp)), ("jti", .string(jti))])
    }
}

/// Signs and verifies HS256 access tokens. The algorithm is pinned: a token whose header says
/// anything but `HS256` (`none`, `RS256`, ...) is refused before its signature is looked at;
/// `exp`, `nbf` and `iat` are checked with `leeway` seconds.
public struct AccessTokenSigner: Sendable {
    public static let ttl: Int64 = 900
    public static let leeway: Int64 = 30
    let key: [UInt8]
    public let ttl: Int64

    public init(key: [UInt8], ttl: Int64 = AccessTokenSigner.ttl) { self.key = key; self.ttl = ttl }

    public static func signHS256(header: JSON, payload: JSON, key: [UInt8]) -> String {
        let input = Crypto.base64url(Array(header.encoded().utf8)) + "." + Crypto.base64url(Array(payload.encoded().utf8))
        return input + "." + Crypto.base64url(Crypto.hmacSHA256(key: key, data: Array(input.utf8)))
    }

    public func sign(user: String, org: String, role: Role, now: Int64) throws -> (token: String, claims: AccessClaims) {
        let claims = AccessClaims(sub: user, org: org, role: role.rawValue, iat: now, exp: now + ttl, jti: Crypto.base64url(try Crypto.randomBytes(12)))
        return (AccessTokenSigner.signHS256(header: ["alg": "HS256", "typ": "JWT"], payload: claims.json, key: key), claims)
    }

    static func bad(_ why: String) -> OlleeyError { .init(.unauthenticated, why) }

    /// The claims of a valid token (401 `unauthenticated` otherwise, with a message that names
    /// the reason but nothing internal).
    public func verify(_ token: String, now: Int64) throws -> AccessClaims {
        guard let parts = JWS.parse(token) else { throw AccessTokenSigner.bad("the access token is malformed") }
        guard parts.header["alg"]?.stringValue == "HS256" else { throw AccessTokenSigner.bad("the access token's algorithm is not accepted") }
        if let crit = parts.header["crit"], crit != .null { throw AccessTokenSigner.bad("the access token's algorithm is not accepted") }
        let mac = Crypto.hmacSHA256(key: key, data: parts.signingInput)
        guard Crypto.constantTimeEqual(mac, parts.signature) else { throw AccessTokenSigner.bad("the access token's signature is invalid") }
        let p = parts.payload
        guard let sub = p["sub"]?.stringValue, let org = p["org"]?.stringValue, let exp = p["exp"]?.intValue,
              let iat = p["iat"]?.intValue else { throw AccessTokenSigner.bad("the access token is malformed") }
        guard now < exp + AccessTokenSigner.leeway else { throw AccessTokenSigner.bad("the access token has expired") }
        if let nbf = p["nbf"] {
            guard let n = nbf.intValue, now + AccessTokenSigner.leeway >= n else { throw AccessTokenSigner.bad("the access token is not valid yet") }
        }
        guard iat <= now + AccessTokenSigner.leeway else { throw AccessTokenSigner.bad("the access token is not valid yet") }
        return AccessClaims(sub: sub, org: org, role: p["role"]?.stringValue ?? "", iat: iat, exp: exp, jti: p["jti"]?.stringValue ?? "")
    }
}
