import Foundation

/// Roles, shared with the HTTP API.
public enum Role: String, Sendable, CaseIterable {
    case client = "CLIENT"
    case reviewer = "REVIEWER"
    case linguist = "LINGUIST"
    case pm = "PM"
    case admin = "ADMIN"

    /// Parses a role case-insensitively; an unknown one is a usage error (64) with a suggestion.
    public static func parse(_ text: String) throws -> Role {
        let t = text.trimmingCharacters(in: .whitespaces).uppercased()
        if let r = Role(rawValue: t) { return r }
        let near = Suggest.closest(t, among: Role.allCases.map(\.rawValue))
        throw OlleeyError.usage("unknown role '\(text)'",
                                hint: (near.isEmpty ? "" : "did you mean \(near.joined(separator: " or "))? ") + "roles: \(Role.allCases.map(\.rawValue).joined(separator: ", "))")
    }

    /// May assign reviews, approve or reject any language, manage users.
    public var isManager: Bool { self == .pm || self == .admin }
    /// May be assigned a language to review.
    public var canBeAssigned: Bool { self == .linguist || self == .reviewer }
}

public struct User: Sendable, Equatable {
    public var id: String
    public var email: String
    public var name: String
    public var role: Role
    public var disabled: Bool
    public var createdAt: String
    public var updatedAt: String

    public var json: JSON {
        .object([("id", .string(id)), ("email", .string(email)), ("name", .string(name)), ("role", .string(role.rawValue)),
                 ("disabled", .bool(disabled)), ("created_at", .string(createdAt)), ("updated_at", .string(updatedAt))])
    }
}
