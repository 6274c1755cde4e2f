import Foundation

/// One OIDC identity provider whose ID tokens olleey accepts (Google, Microsoft).
public struct OIDCProvider: Sendable, Equatable {
    public var name: String
    /// Accepted `iss` values (Google issues both spellings).
    public var issuers: [String]
    /// The client id: the token's `aud` must contain it.
    public var audience: String
    /// A JWKS document: a file path, or an http(s) URL.
    public var jwks: String

    public init(name: String, issuers: [String], audience: String, jwks: String) {
        self.name = name; self.issuers = issuers; self.audience = audience; self.jwks = jwks
    }

    /// The configured provider `name` (`google`, `microsoft`): nil when its client id or JWKS is
    /// not set. Google's issuer is fixed; Microsoft's is `auth.microsoft.issuer`
    /// (`https://login.microsoftonline.com/TENANT/v2.0`).
    public static func configured(_ name: String, config: ConfigStore) throws -> OIDCProvider? {
        guard let aud = try config.value("auth.\(name).client_id"), !aud.isEmpty,
              let jwks = try config.value("auth.\(name).jwks"), !jwks.isEmpty else { return nil }
        switch name {
        case "google":
            return OIDCProvider(name: name, issuers: ["https://accounts.google.com", "accounts.google.com"], audience: aud, jwks: jwks)
        case "microsoft":
            guard let iss = try config.value("auth.microsoft.issuer"), !iss.isEmpty else { return nil }
            return OIDCProvider(name: name, issuers: [iss], audience: aud, jwks: jwks)
        default:
            return nil
        }
    }
}

/// What a verified ID token says about its user.
public struct OIDCIdentity: Sendable, Equatable {
    public var provider: String
    public var subject: String
    public var email: String?
    public var emailVerified: Bool
    public var name: String?
}

/// Verifies OIDC ID tokens: RS256 only, signed by a key of the provider's JWKS (by `kid`, or
/// every RSA key when the token names none), `iss` one of the provider's, `aud` containing the
/// client id, `exp` in the future and `iat`/`nbf` not in it (30 s leeway).
public struct OIDCVerifier: Sendable {
    public let provider: OIDCProvider

    public init(_ provider: OIDCProvider) { self.provider = provider }

    static func bad(_ why: String) -> OlleeyError { .init(.unauthenticated, "the \(why)") }

    /// The RSA keys of a JWKS document: (kid, n, e).
    public static func keys(_ jwks: JSON) -> [(kid: String?, n: [UInt8], e: [UInt8])] {
        (jwks["keys"]?.arrayValue ?? []).compactMap { k in
            guard k["kty"]?.stringValue == "RSA", k["use"].map({ $0.stringValue == "sig" }) ?? true,
                  k["alg"].map({ $0.stringValue == "RS256" }) ?? true,
                  let n = k["n"]?.stringValue.flatMap(Crypto.base64urlDecode), let e = k["e"]?.stringValue.flatMap(Crypto.base64urlDecode) else { return nil }
            return (k["kid"]?.stringValue, n, e)
        }
    }

    func loadJWKS() throws -> JSON {
        let src = provider.jwks
        do {
            if src.hasPrefix("https://") || src.hasPrefix("http://") {
                let r = try HTTPClient(timeout: 10).get(src)
                guard r.isSuccess else { throw OlleeyError.unavailable("the \(provider.name) sign-in keys could not be fetched") }
                return try r.json()
            }
            return try JSON.parse(FileIO.readText(src))
        } catch let e as OlleeyError where e.code == .unavailable {
            throw e
        } catch {
            throw OlleeyError.unavailable("the \(provider.name) sign-in keys could not be read", hint: "check the provider's JWKS setting",
                                          next: [.setting("auth.\(provider.name).jwks")])
        }
    }

    public func verify(_ idToken: String, now: Int64 = Clock.nowMillis() / 1000) throws -> OIDCIdentity {
        guard let parts = JWS.parse(idToken) else { throw OIDCVerifier.bad("ID token is malformed") }
        guard parts.header["alg"]?.stringValue == "RS256" else { throw OIDCVerifier.bad("ID token's algorithm is not accepted") }
        let kid = parts.header["kid"]?.stringValue
        let candidates = OIDCVerifier.keys(try loadJWKS()).filter { kid == nil || $0.kid == kid }
        guard candidates.contains(where: { Crypto.verifyRS256(modulus: $0.n, exponent: $0.e, message: parts.signingInput, signature: parts.signature) }) else {
            throw OIDCVerifier.bad("ID token's signature is invalid")
        }
        let p = parts.payload
        guard let iss = p["iss"]?.stringValue, provider.issuers.contains(iss) else { throw OIDCVerifier.bad("ID token's issuer is not accepted") }
        let auds: [String] = p["aud"]?.stringValue.map { [$0] } ?? p["aud"]?.arrayValue?.compactMap(\.stringValue) ?? []
        guard auds.contains(provider.audience) else { throw OIDCVerifier.bad("ID token's audience is not accepted") }
        guard let exp = p["exp"]?.intValue, now < exp + AccessTokenSigner.leeway else { throw OIDCVerifier.bad("ID token has expired") }
        if let nbf = p["nbf"]?.intValue, now + AccessTokenSigner.leeway < nbf { throw OIDCVerifier.bad("ID token is not valid yet") }
        if let iat = p["iat"]?.intValue, iat > now + AccessTokenSigner.leeway { throw OIDCVerifier.bad("ID token is not valid yet") }
        guard let sub = p["sub"]?.stringValue, !sub.isEmpty else { throw OIDCVerifier.bad("ID token is malformed") }
        let verified: Bool = p["email_verified"]?.boolValue ?? (p["email_verified"]?.stringValue == "true")
        return OIDCIdentity(provider: provider.name, subject: sub, email: (p["email"]?.stringValue ?? p["preferred_username"]?.stringValue)?.lowercased(),
                            emailVerified: verified, name: p["name"]?.stringValue)
    }
}
