import Foundation

public struct Project: Sendable, Equatable {
    public var id: String
    public var name: String
    public var description: String
    public var createdAt: String
    public var updatedAt: String

    public var json: JSON {
        .object([("id", .string(id)), ("name", .string(name)), ("description", .string(description)),
                 ("created_at", .string(createdAt)), ("updated_at", .string(updatedAt))])
    }
}
