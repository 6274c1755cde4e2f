import Foundation

public enum ChannelKind: String, Sendable { case master, language }
public enum ChannelStatus: String, Sendable { case active, paused }

/// A publishing channel: a master channel (the source videos' channel) or one of its language
/// channels (one per language). A channel may carry a publisher hook: a command template or an
/// HTTP endpoint; a language channel without one uses its master's.
public struct Channel: Sendable, Equatable {
    public var id: String
    public var name: String
    public var kind: ChannelKind
    public var language: String?
    public var masterId: String?
    public var projectId: String?
    public var externalId: String?
    public var status: ChannelStatus
    public var publishCommand: String?
    public var publishURL: String?
    public var createdAt: String
    public var updatedAt: String

    public var json: JSON {
        .object([
            ("id", .string(id)), ("name", .string(name)), ("kind", .string(kind.rawValue)), ("language_code", JSON(language)),
            ("language_name", JSON(language.flatMap { Language.find($0)?.name })),
            ("master_id", JSON(masterId)), ("project_id", JSON(projectId)), ("channel_id", JSON(externalId)),
            ("status", .string(status.rawValue)), ("is_paused", .bool(status == .paused)),
            ("publish_command", JSON(publishCommand)), ("publish_url", JSON(publishURL)),
            ("created_at", .string(createdAt)), ("updated_at", .string(updatedAt)),
        ])
    }
}

/// What `channel create` is given.
public struct ChannelCreate: Sendable {
    public var name: String
    public var language: String?
    public var master: String?
    public var project: String?
    public var externalId: String?
    public var publishCommand: String?
    public var publishURL: String?

    public init(name: String) { self.name = name }
}

/// What `channel update` changes (nil: unchanged; an empty string clears an optional field).
public struct ChannelUpdate: Sendable {
    public var name: String?
    public var language: String?
    public var project: String?
    public var externalId: String?
    public var publishCommand: String?
    public var publishURL: String?

    public init() {}
}
