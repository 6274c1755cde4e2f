import Foundation

/// An organisation: owns jobs, projects, channels and glossaries; users belong to it through a
/// membership that carries their role there.
public struct Organization: Sendable, Equatable {
    public var id: String
    public var name: String
    public var createdAt: String

    public var json: JSON {
        .object([("id", .string(id)), ("name", .string(name)), ("created_at", .string(createdAt))])
    }
}

/// A user's membership of an organisation, with the role they have there.
public struct Membership: Sendable, Equatable {
    public var orgId: String
    public var user: User
    public var role: Role
    public var createdAt: String

    public var json: JSON {
        .object([("org_id", .string(orgId)), ("user_id", .string(user.id)), ("email", .string(user.email)), ("name", .string(user.name)),
                 ("role", .string(role.rawValue)), ("disabled", .bool(user.disabled)), ("created_at", .string(createdAt))])
    }
}
