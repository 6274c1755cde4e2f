import Foundation

/// How this machine reaches a workspace's object store (`storage.url s3://BUCKET/PREFIX`): the
/// `storage.*` settings, kept in `.olleey/store.json` with the URLs (`olleey config set
/// storage.s3.endpoint ...`), and the standard AWS environment variables, which win for one
/// process. Credentials come from `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` (and
/// `AWS_SESSION_TOKEN`), else from `storage.s3.access_key_id` / `storage.s3.secret_access_key`.
public enum StorageSettings {
    /// The settings kept in store.json (all `config get|set|unset`-able; `storage.url` and
    /// `store.url` are set only while the workspace has no jobs, and never unset: after that,
    /// the migrate commands move them).
    public static let keys: [ConfigKey] = [
        ConfigKey("store.url", .string, "the PostgreSQL store, postgres://... (set here only while the workspace has no jobs; then: olleey store migrate); shown without its password"),
        ConfigKey("storage.url", .string, "where media, cache and outputs are: file:///PATH or s3://BUCKET/PREFIX (set here only while the workspace has no jobs; then: olleey storage migrate)"),
        ConfigKey("storage.s3.endpoint", .url, "the S3-compatible endpoint (MinIO, Ceph, R2, B2: http(s)://HOST[:PORT]); unset: AWS, https://s3.REGION.amazonaws.com"),
        ConfigKey("storage.s3.region", .string, default: "us-east-1", "the region requests are signed for (AWS_REGION / AWS_DEFAULT_REGION win)"),
        ConfigKey("storage.s3.path_style", .bool, "true: ENDPOINT/BUCKET/KEY (MinIO, Ceph); false: BUCKET.ENDPOINT/KEY; unset: true with an endpoint, false on AWS"),
        ConfigKey("storage.s3.access_key_id", .string, "the access key, when AWS_ACCESS_KEY_ID is not set"),
        ConfigKey("storage.s3.secret_access_key", .string, secret: true, "the secret key, when AWS_SECRET_ACCESS_KEY is not set"),
        ConfigKey("storage.scratch.dir", .string, "this machine's local copies of the object store's files (OLLEEY_SCRATCH_DIR wins); unset: ~/.cache/olleey/scratch/ID"),
        ConfigKey("storage.scratch.max_mb", .int(64...100_000_000), default: "4096", "the scratch directory's size limit: least recently used copies are removed beyond it"),
    ]

    /// The environment variables a workspace keeps (`Workspace.environment`).
    public static let environmentKeys: Set<String> = ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_REGION",
                                                       "AWS_DEFAULT_REGION", "OLLEEY_SCRATCH_DIR", "XDG_CACHE_HOME", "HOME"]

    /// True for the keys kept in store.json (not in the database).
    public static func isLocationKey(_ name: String) -> Bool { name.hasPrefix("storage.") || name.hasPrefix("store.") }

    /// The keys that say where the data is (`ConfigService.checkChangeable`).
    public static let readOnlyKeys: Set<String> = ["store.url", "storage.url"]

    /// The value of a location key (nil: unset).
    public static func value(_ name: String, in l: StoreLocation) -> String? {
        switch name {
        case "store.url": return l.store.map { StoreLocation.redacted($0) }
        case "storage.url": return l.storage
        default: return l.settings[name]
        }
    }

    /// The object store of `l` as this machine reaches it (65 when credentials are missing).
    public static func s3Config(_ l: StoreLocation, environment: [String: String]) throws -> S3Config {
        guard let url = l.storage, url.hasPrefix("s3://") else { throw OlleeyError.usage("this workspace's storage is not an object store (s3://)") }
        let (bucket, prefix) = try S3Config.parse(url: url)
        func env(_ k: String) -> String? { environment[k].flatMap { $0.isEmpty ? nil : $0 } }
        guard let access = env("AWS_ACCESS_KEY_ID") ?? l.settings["storage.s3.access_key_id"],
              let secret = env("AWS_SECRET_ACCESS_KEY") ?? l.settings["storage.s3.secret_access_key"] else {
            throw OlleeyError.config("no credentials for the object store \(url)",
                                     hint: "export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or set storage.s3.access_key_id and storage.s3.secret_access_key",
                                     next: [.setting("storage.s3.access_key_id", example: "AKIA...")])
        }
        let endpoint = l.settings["storage.s3.endpoint"]
        let region = env("AWS_REGION") ?? env("AWS_DEFAULT_REGION") ?? l.settings["storage.s3.region"] ?? "us-east-1"
        let pathStyle = l.settings["storage.s3.path_style"].map { $0 == "true" } ?? (endpoint != nil)
        return S3Config(bucket: bucket, prefix: prefix, endpoint: endpoint, region: region, pathStyle: pathStyle,
                        accessKey: access, secretKey: secret, sessionToken: env("AWS_SESSION_TOKEN"))
    }

    /// The scratch directory: `OLLEEY_SCRATCH_DIR`, else `storage.scratch.dir`, else
    /// `$XDG_CACHE_HOME/olleey/scratch/ID` (`~/.cache/...`), ID naming the storage URL, so that
    /// the workspaces of one machine on one object store share their copies.
    public static func scratchDirectory(_ l: StoreLocation, environment: [String: String]) -> String {
        if let d = environment["OLLEEY_SCRATCH_DIR"], !d.isEmpty { return Paths.normalize(d) }
        if let d = l.settings["storage.scratch.dir"], !d.isEmpty { return Paths.normalize(d) }
        let id = String(Digest.sha256(l.storage ?? "").prefix(16))
        let base = environment["XDG_CACHE_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? environment["HOME"].flatMap { $0.isEmpty ? nil : $0 + "/.cache" } ?? "/var/tmp"
        return Paths.normalize(base + "/olleey/scratch/" + id)
    }

    /// The scratch directory's size limit in bytes.
    public static func scratchLimit(_ l: StoreLocation) -> Int64 {
        (l.settings["storage.scratch.max_mb"].flatMap { Int64($0) } ?? 4096) << 20
    }
}
