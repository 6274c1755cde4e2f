import Foundation

/// Signed, expiring, single-purpose links to a job's files, served by the server itself (so a
/// `<video src>` works without an Authorization header): `/files/signed/TOKEN/NAME`, where
/// TOKEN is `base64url(payload).base64url(HMAC-SHA256(url key, payload))` and the payload is
/// `purpose \n org \n job \n path \n expires`. The key is the workspace's `url` signing key
/// (`SigningKeys.urlKey`, in the store, so every replica agrees); rotating it revokes every link.
/// `path` is relative to the workspace root and is re-checked on use (`Workspace.confined`).
public struct SignedLink: Sendable, Equatable {
    public enum Purpose: String, Sendable { case download, upload }

    public var purpose: Purpose
    public var org: String
    public var job: String
    /// Relative to the workspace root (for an upload: where the file will be written).
    public var path: String
    /// Seconds since the epoch.
    public var expires: Int64

    public init(purpose: Purpose, org: String, job: String, path: String, expires: Int64) {
        self.purpose = purpose; self.org = org; self.job = job; self.path = path; self.expires = expires
    }

    /// How long download links live (the second spec: 24 h).
    public static let downloadTTL: Int64 = 24 * 3600
    /// How long upload links live.
    public static let uploadTTL: Int64 = 3600
    /// The route prefix that serves them.
    public static let routePrefix = "/files/signed"

    var payload: [UInt8] { Array([purpose.rawValue, org, job, path, String(expires)].joined(separator: "\n").utf8) }

    /// The token for this link.
    public func token(key: [UInt8]) -> String {
        let p = payload
        return Crypto.base64url(p) + "." + Crypto.base64url(Crypto.hmacSHA256(key: key, data: p))
    }

    /// The path of the link on the server (`/files/signed/TOKEN/NAME`); the last segment is the
    /// file's name, for a browser's download, and is not trusted.
    public func routePath(key: [UInt8]) -> String {
        let name = path.split(separator: "/").last.map(String.init) ?? "file"
        let safe = name.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/?#"))) ?? "file"
        return "\(Self.routePrefix)/\(token(key: key))/\(safe)"
    }

    /// The link of a token, checked: the signature (constant time), the expiry against `now`, and
    /// the purpose. Every failure is the same `unauthenticated` error, so a prober learns nothing.
    public static func verify(_ token: String, key: [UInt8], purpose: Purpose, now: Int64 = Int64(Date().timeIntervalSince1970)) throws -> SignedLink {
        let bad = OlleeyError(.unauthenticated, "this link is invalid or has expired", hint: "ask the API for a new signed URL")
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, let p = Crypto.base64urlDecode(parts[0]), let sig = Crypto.base64urlDecode(parts[1]),
              Crypto.constantTimeEqual(sig, Crypto.hmacSHA256(key: key, data: p)),
              // the canonical encodings only: base64url ignores a last character's unused low bits,
              // so a changed last character could otherwise decode to the same bytes and verify
              Crypto.base64url(p) == parts[0], Crypto.base64url(sig) == parts[1] else { throw bad }
        let f = String(decoding: p, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard f.count == 5, let pur = Purpose(rawValue: f[0]), pur == purpose, let exp = Int64(f[4]), exp >= now else { throw bad }
        return SignedLink(purpose: pur, org: f[1], job: f[2], path: f[3], expires: exp)
    }
}
