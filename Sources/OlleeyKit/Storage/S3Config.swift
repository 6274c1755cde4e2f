import Foundation

/// Where objects live in an S3-compatible store (AWS S3, MinIO, Ceph, R2, B2, moto), and the
/// credentials that sign the requests (SigV4). The second part of issue 19.
public struct S3Config: Sendable, Equatable {
    public var bucket: String
    /// The key prefix every key of the client lives under, without leading or trailing slash;
    /// "" for none. (Slashes at either end are ignored, so "media/" is "media".)
    public var prefix: String
    /// Scheme, host and port of the store, e.g. "http://127.0.0.1:9000"; nil for AWS itself,
    /// https://s3.<region>.amazonaws.com. Without a scheme, https is meant.
    public var endpoint: String?
    public var region: String
    /// True: http://endpoint/bucket/key (MinIO, moto, Ceph, and buckets whose names have dots
    /// under https); false: virtual-hosted, http://bucket.endpoint/key (what AWS prefers).
    public var pathStyle: Bool
    public var accessKey: String
    public var secretKey: String
    /// A temporary credential's token (AWS_SESSION_TOKEN), sent as x-amz-security-token.
    public var sessionToken: String?

    public init(bucket: String, prefix: String = "", endpoint: String? = nil, region: String = "us-east-1", pathStyle: Bool = true,
                accessKey: String, secretKey: String, sessionToken: String? = nil) {
        self.bucket = bucket; self.prefix = prefix; self.endpoint = endpoint; self.region = region; self.pathStyle = pathStyle
        self.accessKey = accessKey; self.secretKey = secretKey; self.sessionToken = sessionToken
    }

    /// `s3://bucket` or `s3://bucket/some/prefix/` -> (bucket, prefix without the slashes at
    /// either end). Anything else (another scheme, no bucket, a bucket name S3 refuses, a query
    /// or fragment) is `OlleeyError.invalid` saying what is wrong.
    public static func parse(url: String) throws -> (bucket: String, prefix: String) {
        let example = "write s3://BUCKET or s3://BUCKET/PREFIX"
        guard url.lowercased().hasPrefix("s3://") else {
            throw OlleeyError.invalid("'\(url)' is not an S3 URL", hint: example)
        }
        let rest = url.dropFirst(5)
        guard !rest.contains("?"), !rest.contains("#") else {
            throw OlleeyError.invalid("the S3 URL '\(url)' has a query or fragment; it takes a bucket and a prefix only", hint: example)
        }
        let slash = rest.firstIndex(of: "/") ?? rest.endIndex
        let bucket = String(rest[..<slash])
        guard !bucket.isEmpty else { throw OlleeyError.invalid("the S3 URL '\(url)' names no bucket", hint: example) }
        guard isValidBucketName(bucket) else {
            throw OlleeyError.invalid("'\(bucket)' in '\(url)' is not a valid S3 bucket name",
                                      hint: "a bucket name has 3 to 63 characters: lower-case letters, digits, '.' and '-', and begins and ends with a letter or digit")
        }
        return (bucket, trimSlashes(String(rest[slash...])))
    }

    /// S3's rules for bucket names (the ones every compatible store shares): 3 to 63 characters,
    /// lower-case letters, digits, '.' and '-', a letter or digit at both ends, no "..".
    public static func isValidBucketName(_ s: String) -> Bool {
        let b = Array(s.utf8)
        guard (3...63).contains(b.count) else { return false }
        func alnum(_ c: UInt8) -> Bool { (0x61...0x7A).contains(c) || (0x30...0x39).contains(c) }
        guard b.allSatisfy({ alnum($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-") }) else { return false }
        guard let first = b.first, let last = b.last, alnum(first), alnum(last) else { return false }
        return !s.contains("..")
    }

    static func trimSlashes(_ s: String) -> String {
        var t = Substring(s)
        while t.hasPrefix("/") { t = t.dropFirst() }
        while t.hasSuffix("/") { t = t.dropLast() }
        return String(t)
    }

    /// The full object key of `key` (relative to `prefix`).
    func objectKey(_ key: String) -> String {
        let p = S3Config.trimSlashes(prefix)
        return p.isEmpty ? key : p + "/" + key
    }

    /// `key` relative to `prefix`, nil for a key outside it.
    func relativeKey(_ full: String) -> String? {
        let p = S3Config.trimSlashes(prefix)
        if p.isEmpty { return full }
        return full.hasPrefix(p + "/") ? String(full.dropFirst(p.count + 1)) : nil
    }
}

/// An object as the store describes it. `key` is relative to the client's prefix; `etag` is
/// without its quotes (the MD5 of the bytes for a single PUT, "md5-of-part-md5s-N" for a
/// multipart upload); `sha256` is the `x-amz-meta-sha256` olleey stores with every object it
/// puts (nil from `list`, which does not return metadata, and for objects put by others).
public struct ObjectInfo: Sendable, Equatable {
    public var key: String
    public var size: Int64
    public var etag: String
    public var sha256: String?

    public init(key: String, size: Int64, etag: String, sha256: String? = nil) {
        self.key = key; self.size = size; self.etag = etag; self.sha256 = sha256
    }
}

/// What a client has sent, for progress reports and for tests that prove what a resumed upload
/// did not send again.
public struct S3Counters: Sendable, Equatable {
    /// HTTP requests sent, each attempt counted.
    public var requests = 0
    /// Attempts repeated after a 5xx answer or a network error.
    public var retries = 0
    /// Multipart parts sent, and parts of an interrupted upload found intact and not sent again.
    public var partsSent = 0
    public var partsReused = 0
    /// Request body bytes sent (each attempt counted).
    public var bytesSent: Int64 = 0

    public init() {}
}
