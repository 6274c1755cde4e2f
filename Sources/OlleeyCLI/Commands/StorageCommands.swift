import Foundation
import OlleeyKit

/// olleey storage migrate: moves a workspace's media into an S3-compatible object store.
enum StorageCommands {
    static let migrate: CommandSpec = CommandSpec(
        "migrate", "move this workspace's media and outputs into an S3-compatible object store, verified",
        discussion: "Copies media/ and outputs/ of the workspace's storage (.olleey/ or its file:// path) into the object store named by --to, each object checked against the file's SHA-256 (kept as x-amz-meta-sha256), large files in parts. Only when every file is there does the workspace switch to it (.olleey/store.json). Interrupted (Ctrl-C, a lost connection), it can be run again: objects already there with the same SHA-256 are kept, the rest copied. The endpoint, region and credentials are read as for the storage itself: set storage.s3.endpoint (and storage.s3.path_style) first for MinIO, Ceph, R2 or B2; credentials from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY. The local files are left as they were; the stage cache stays on this machine.",
        examples: ["olleey config set storage.s3.endpoint http://minio.internal:9000 && olleey storage migrate --to s3://olleey-media/team",
                   "olleey storage migrate --to s3://olleey-media/team --json | jq .copied"],
        options: [.option("to", "URL", "the object store: s3://BUCKET[/PREFIX]")]
    ) { ctx in
        guard let url = ctx.args.string("to") else {
            throw OlleeyError.usage("--to URL is required", hint: "olleey storage migrate --to s3://BUCKET/PREFIX")
        }
        let ws = try ctx.workspace()
        let db = try ws.open()
        let r = try StorageMigration.migrate(ws, db: db, to: url) { ctx.note("copied \($0)") }
        try ctx.emit(.object([
            ("storage", .string(url)), ("verified", .bool(true)), ("files", .int(Int64(r.files))), ("bytes", .int(r.bytes)),
            ("copied", .int(Int64(r.copied))), ("kept", .int(Int64(r.kept))), ("paths_rewritten", .int(Int64(r.pathsRewritten))),
        ])) {
            "Moved \(r.files) files (\(r.bytes) bytes: \(r.copied) copied, \(r.kept) already there) to \(url); SHA-256 checked. This workspace now keeps its media there (\(ws.dir)/\(Workspace.locationName))."
        }
        return 0
    }

    static let spec: CommandSpec = CommandSpec(
        "storage", "the workspace's media storage: move it into an S3-compatible object store",
        discussion: "A workspace's media, outputs and cache are in .olleey/ unless 'olleey init --storage URL' put them in a directory every machine mounts (file:///PATH) or an object store (s3://BUCKET/PREFIX), or 'olleey storage migrate' moved them (README: running on many machines). With an object store each machine keeps local copies in a bounded scratch directory (storage.scratch.dir, storage.scratch.max_mb).",
        examples: ["olleey storage migrate --to s3://olleey-media/team"],
        subcommands: [migrate])
}
