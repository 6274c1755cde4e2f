import Foundation

/// A channel as `channel show|list|create|update` print it: the channel, how many jobs name
/// it, and a master's language channels.
public struct ChannelView: Sendable {
    public var channel: Channel
    public var jobs: Int
    /// The names of a master channel's language channels (nil for a language channel).
    public var languageChannels: [String]?

    public var json: JSON {
        var pairs = channel.json.objectValue ?? []
        pairs.append(("jobs", .int(Int64(jobs))))
        if let kids = languageChannels { pairs.append(("language_channels", .array(kids.map { .string($0) }))) }
        return .object(pairs)
    }
}

/// A project as `project show|list|create|update` print it, with its counts.
public struct ProjectView: Sendable {
    public var project: Project
    public var jobs: Int
    public var channels: Int

    public var json: JSON {
        .object((project.json.objectValue ?? []) + [("jobs", .int(Int64(jobs))), ("channels", .int(Int64(channels)))])
    }
}

extension ChannelService {
    public func view(_ c: Channel) throws -> ChannelView {
        ChannelView(channel: c, jobs: try jobIds(c).count, languageChannels: c.kind == .master ? try children(c.id).map(\.name) : nil)
    }
}

extension ProjectService {
    public func view(_ p: Project) throws -> ProjectView {
        let c = try counts(p)
        return ProjectView(project: p, jobs: c.jobs, channels: c.channels)
    }
}
