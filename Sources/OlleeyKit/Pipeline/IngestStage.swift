import Foundation

/// ingest: the source in media/ (copied or hard-linked by SHA-256, a URL fetched first) and
/// probed. Cached: a job with a video is ingested.
struct IngestStage: PipelineStage {
    var stage: Stage { .ingest }

    func run(_ context: StageContext) throws -> StageResult<String> {
        let job = context.job
        if let vid = job.videoId { return StageResult(vid, cached: true) }
        let vid = try ingest(job, context)
        try context.jobs.setVideo(job.id, videoId: vid)
        return StageResult(vid, cached: false)
    }

    /// Copies or hard-links the source into media/ by SHA-256 and probes it.
    func ingest(_ job: Job, _ context: StageContext) throws -> String {
        let workspace = context.workspace
        var local = job.source
        var downloaded: String?
        defer { if let d = downloaded { unlink(d) } }
        if job.source.hasPrefix("http://") || job.source.hasPrefix("https://") {
            let tmp = workspace.mediaDir + "/.download-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
            downloaded = tmp
            if let command = try ConfigStore(context.db).value("engines.download.command"), !command.isEmpty {
                // a video page (a YouTube video of a feed notification) is fetched by the download engine
                let template = try CommandTemplate(command, setting: "engines.download.command")
                _ = try template.run(["url": job.source, "output": tmp], timeout: 3600, cancel: context.cancel, what: "downloading \(job.source)")
                guard FileManager.default.fileExists(atPath: tmp) else {
                    throw OlleeyError.failure("engines.download.command exited 0 but wrote no file at {output}", hint: "check the command's output option")
                }
            } else if IngestStage.isVideoPage(job.source) {
                throw OlleeyError.unavailable("\(job.source) is a video page, not a media file, and engines.download.command is not set",
                                              hint: "set a download engine (a command that saves the video at {output}), then retry the job",
                                              next: [.setting("engines.download.command", example: "'yt-dlp -f mp4 -o {output} {url}'")])
            } else {
                _ = try HTTPClient(timeout: 300).download(job.source, to: tmp)
            }
            local = tmp
        } else if let path = JobService.localSource(job.source) {
            local = path
        }
        guard FileManager.default.fileExists(atPath: local) else {
            throw OlleeyError.notFound("the source \(job.source) no longer exists", hint: "restore it, or create the job again")
        }
        return try IngestStage.store(local, name: job.sourceName, db: context.db, workspace: workspace, mirror: context.pipeline.mirror) {
            try context.media.probe($0, requireVideo: true)
        }
    }

    /// A local video in media/ by SHA-256 (copied or hard-linked; with an object store, uploaded
    /// too) and recorded with its probe; the id of the video with those bytes when there is one.
    static func store(_ local: String, name: String, db: Database, workspace: Workspace, mirror: ObjectMirror?,
                      probe: (String) throws -> MediaInfo) throws -> String {
        let sha = try Digest.sha256(file: local)
        let videos = VideoStore(db)
        if let id = try videos.id(sha256: sha) { return id }
        let info = try probe(local)
        let ext = (name as NSString).pathExtension.lowercased()
        let rel = "media/\(sha).\(ext.isEmpty ? "bin" : ext)"
        let dest = workspace.storageDir + "/" + rel
        if !FileManager.default.fileExists(atPath: dest) {
            try FileIO.createDirectory((dest as NSString).deletingLastPathComponent)
            try placeOutput(local, at: dest)
        }
        try mirror?.publish(dest)
        let size = (try? FileManager.default.attributesOfItem(atPath: dest)[.size] as? Int) ?? 0
        return try videos.insert(id: ID.uuid7(), sha256: sha, path: rel, originalName: name, sizeBytes: size, info: info)
    }

    /// A page of a video site (YouTube), which only a download engine can turn into media.
    static func isVideoPage(_ url: String) -> Bool {
        guard let u = try? HTTPURL(url) else { return false }
        return ["www.youtube.com", "youtube.com", "m.youtube.com", "youtu.be"].contains(u.host.lowercased())
    }
}
