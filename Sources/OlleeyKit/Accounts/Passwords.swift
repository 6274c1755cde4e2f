import Foundation

/// Password hashing: PBKDF2-HMAC-SHA256 with a random 16-byte salt, stored as the
/// self-describing `pbkdf2-sha256$ITERATIONS$SALT$HASH` (salt and hash base64url), so a stored
/// hash keeps verifying after the work factor changes. Verification compares in constant time.
public struct PasswordHasher: Sendable {
    /// OWASP's 2023 recommendation for PBKDF2-HMAC-SHA256.
    public static let productionIterations = 600_000
    public static let minimumLength = 8
    public static let maximumLength = 1024

    public let iterations: Int

    public init(iterations: Int = PasswordHasher.productionIterations) { self.iterations = max(1, iterations) }

    /// Checks a new password's length (bytes of UTF-8): 8 to 1024.
    public static func validate(_ password: String) throws {
        let n = password.utf8.count
        guard n >= minimumLength else { throw OlleeyError.invalid("a password must be at least \(minimumLength) characters", next: [.input("password")]) }
        guard n <= maximumLength else { throw OlleeyError.invalid("a password must be at most \(maximumLength) bytes", next: [.input("password")]) }
    }

    public func hash(_ password: String) throws -> String {
        let salt = try Crypto.randomBytes(16)
        let h = try Crypto.pbkdf2SHA256(password: Array(password.utf8), salt: salt, iterations: iterations)
        return "pbkdf2-sha256$\(iterations)$\(Crypto.base64url(salt))$\(Crypto.base64url(h))"
    }

    /// Whether `password` matches `stored`; a malformed stored value never matches.
    public func verify(_ password: String, against stored: String) -> Bool {
        let parts = stored.split(separator: "$", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0] == "pbkdf2-sha256", let iter = Int(parts[1]), iter >= 1, iter <= 100_000_000,
              let salt = Crypto.base64urlDecode(parts[2]), let expected = Crypto.base64urlDecode(parts[3]), expected.count >= 16,
              let got = try? Crypto.pbkdf2SHA256(password: Array(password.utf8), salt: salt, iterations: iter, length: expected.count)
        else { return false }
        return Crypto.constantTimeEqual(got, expected)
    }

    /// Spends the work of one verification, for a login whose email is unknown (the response
    /// time does not tell whether an account exists).
    public func spendOneVerification(_ password: String) {
        _ = try? Crypto.pbkdf2SHA256(password: Array(password.utf8), salt: Array("olleey-no-such-user".utf8), iterations: iterations)
    }
}
