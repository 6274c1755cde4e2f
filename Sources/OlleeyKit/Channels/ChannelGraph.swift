import Foundation

extension ChannelService {

    public struct GraphJob: Sendable {
        public var id: String
        public var status: String
        public var languageStatus: String?
        public var sourceName: String
        public var createdAt: String

        var json: JSON {
            .object([("job_id", .string(id)), ("status", .string(status)), ("language_status", JSON(languageStatus)),
                     ("source_name", .string(sourceName)), ("created_at", .string(createdAt))])
        }
    }

    /// The graph: master channels -> language channels -> recent jobs, as JSON (the HTTP API's
    /// `master_nodes` shape, plus status and recent jobs) and as a text tree.
    public func graph(projectId: String? = nil, recent: Int = 5) throws -> (json: JSON, text: String) {
        let store = self.store
        var masters = try store.masters()
        if let p = projectId { masters = masters.filter { $0.projectId == p } }
        var nodes: [JSON] = []
        var text = ""
        for m in masters {
            let kids = try children(m.id)
            let masterJobs = try store.recentJobs(channelIds: [m.id] + kids.map(\.id), language: nil, limit: recent)
            let jobsCount = try store.jobCount(master: m.id)
            text += "\(m.name)  [master\(m.language.map { ", " + $0 } ?? ""), \(m.status.rawValue)]  \(jobsCount) job\(jobsCount == 1 ? "" : "s")\(publisherLabel(m))\n"
            var langNodes: [JSON] = []
            for (k, c) in kids.enumerated() {
                let lang = c.language ?? ""
                let jobs = try store.recentJobs(channelIds: [m.id, c.id], language: lang, limit: recent)
                let videos = try store.publishedCount(language: lang, channelIds: (m.id, c.id))
                langNodes.append(.object([
                    ("id", .string(c.id)), ("channel_id", JSON(c.externalId)), ("channel_name", .string(c.name)),
                    ("language_code", .string(lang)), ("videos_count", .int(videos)), ("status", .string(c.status.rawValue)),
                    ("publisher", publisherJSON(c)), ("recent_jobs", .array(jobs.map(\.json))),
                ]))
                let last = k == kids.count - 1
                text += (last ? "└── " : "├── ") + "\(c.name)  [\(lang), \(c.status.rawValue)]  \(videos) published\(publisherLabel(c))\n"
                for (n, j) in jobs.enumerated() {
                    text += (last ? "    " : "│   ") + (n == jobs.count - 1 ? "└── " : "├── ")
                        + "\(JobStore(db).printedId(j.id))  \(j.status)  \(lang):\(j.languageStatus ?? "-")  \(j.sourceName)  \(j.createdAt.prefix(19))\n"
                }
            }
            if kids.isEmpty { text += "└── (no language channels: olleey channel create NAME --master \(m.name) --lang es)\n" }
            nodes.append(.object([
                ("connection_id", .string(m.id)), ("id", .string(m.id)), ("channel_id", JSON(m.externalId)), ("channel_name", .string(m.name)),
                ("language_code", JSON(m.language)), ("status", .string(m.status.rawValue)), ("project_id", JSON(m.projectId)),
                ("publisher", publisherJSON(m)), ("jobs_count", .int(jobsCount)),
                ("language_channels", .array(langNodes)), ("recent_jobs", .array(masterJobs.map(\.json))),
            ]))
        }
        if masters.isEmpty { text = "no channels yet: olleey channel create NAME\n" }
        let json = JSON.object([
            ("master_nodes", .array(nodes)),
            ("total_connections", .int(Int64(masters.count))),
            ("active_connections", .int(Int64(masters.filter { $0.status == .active }.count))),
        ])
        return (json, text)
    }

    func publisherJSON(_ c: Channel) -> JSON {
        if let cmd = c.publishCommand { return .object([("type", "command"), ("command", .string(cmd))]) }
        if let u = c.publishURL { return .object([("type", "http"), ("url", .string(u))]) }
        return .null
    }

    func publisherLabel(_ c: Channel) -> String {
        c.publishCommand != nil ? "  publishes: command" : c.publishURL != nil ? "  publishes: http" : ""
    }
}
