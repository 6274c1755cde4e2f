import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import OlleeyHTTP

/// A client of an S3-compatible object store over our own HTTP client (`HTTPClient`), every
/// request signed with AWS Signature V4 (`SigV4`, libcrypto). Keys are relative to
/// `config.prefix` everywhere in this API.
///
/// Integrity: every object olleey puts carries its SHA-256 as `x-amz-meta-sha256`; a single PUT
/// also signs it as `x-amz-content-sha256` and sends `Content-MD5`, so the store refuses a body
/// damaged on the way; a multipart upload sends each part with both, checks each part's ETag,
/// the whole ETag, and the metadata after completing (S3Multipart.swift). `get` streams to
/// disk, hashes what it writes, and renames into place only when size and SHA-256 agree.
///
/// Retries: idempotent requests (GET, HEAD, PUT, DELETE) are repeated `retries` times on a 5xx
/// answer or a network error, after `retryDelay`, then twice that, and so on. POSTs (starting
/// and completing a multipart upload) are not repeated.
///
/// The settings below are read by every call: set them before the client is shared between
/// threads. The counters are safe to read from any thread.
public final class S3Client: @unchecked Sendable {
    public let config: S3Config
    /// Multipart part size (default 16 MiB). S3 refuses parts under 5 MiB except the last
    /// (EntityTooSmall); the client does not, so tests against a store configured with a smaller
    /// minimum may use smaller parts. Raised as needed to stay within S3's 10,000 parts.
    public var partSize: Int = 16 << 20
    /// Files larger than this are uploaded in parts (default 64 MiB); smaller ones in one PUT,
    /// read whole into memory.
    public var multipartThreshold: Int = 64 << 20
    /// Keys asked for per ListObjectsV2 page (S3's maximum, 1000, by default).
    public var listPageSize: Int = 1000
    /// Times an idempotent request is repeated after a 5xx answer or a network error.
    public var retries: Int = 3
    /// Seconds before the first repeat; doubled for each next one.
    public var retryDelay: Double = 0.25
    /// Called after each part of a multipart upload is sent or found already there, with the
    /// part number and the number of parts. An error it throws stops the upload where it is
    /// and is thrown by `put`, leaving the upload to be resumed by the next `put` of the same
    /// file (how a caller cancels, and how tests interrupt an upload).
    public var partUploaded: (@Sendable (_ part: Int, _ of: Int) throws -> Void)?

    let http: HTTPClient
    let signer: SigV4
    private let lock = NSLock()
    private var _counters = S3Counters()

    /// Connections to the store are kept open and reused (`HTTPClient.reuseConnections`).
    public init(_ config: S3Config, http: HTTPClient = HTTPClient()) {
        self.config = config
        var http = http
        http.reuseConnections = true
        self.http = http
        signer = SigV4(accessKey: config.accessKey, secretKey: config.secretKey, region: config.region)
    }

    public var counters: S3Counters { lock.lock(); defer { lock.unlock() }; return _counters }

    func count(_ change: (inout S3Counters) -> Void) { lock.lock(); change(&_counters); lock.unlock() }

    // MARK: objects

    /// Uploads a file as `key`. Its SHA-256 (computed here when not given) is stored as
    /// `x-amz-meta-sha256`. Files up to `multipartThreshold` go in one PUT; larger ones in parts
    /// of `partSize`, resumably: an interrupted upload of the same key whose parts all match
    /// this file is continued, and only the missing parts are sent. The file's SHA-256 is checked
    /// against what was sent, so a file that changes during the upload, or a wrong `sha256`, is
    /// refused (`.invalid`) rather than stored under a false checksum.
    @discardableResult
    public func put(file: String, key: String, sha256: String? = nil) throws -> ObjectInfo {
        var st = stat()
        guard stat(file, &st) == 0 else {
            let e = errno
            throw OlleeyError(e == ENOENT ? .notFound : .failure, "cannot read \(file): \(String(cString: strerror(e)))")
        }
        let size = Int64(st.st_size)
        let sha = try sha256?.lowercased() ?? Digest.sha256(file: file)
        if size <= Int64(multipartThreshold) {
            let bytes = try readWholeFile(file)
            let actual = Digest.sha256(bytes)
            guard actual == sha else { throw S3Client.changed(file, actual: actual, expected: sha) }
            return try putBytes(bytes, key: key, sha256: sha)
        }
        return try putMultipart(file: file, key: key, size: size, sha256: sha, resume: true)
    }

    /// Uploads bytes already in memory as `key`, in one PUT (S3 takes up to 5 GiB so), with
    /// their SHA-256 as `x-amz-meta-sha256`.
    @discardableResult
    public func put(data: [UInt8], key: String) throws -> ObjectInfo {
        try putBytes(data, key: key, sha256: Digest.sha256(data))
    }

    /// Downloads `key` into `file`: streamed to a temporary file beside it (never whole in
    /// memory), hashed on the way, and renamed into place only when the size is the one
    /// announced and, when the object has `x-amz-meta-sha256`, the SHA-256 is that one. On any
    /// failure nothing is left at `file` or beside it. A missing key is `.notFound`; a damaged
    /// object is `.invalid`.
    @discardableResult
    public func get(key: String, to file: String) throws -> ObjectInfo {
        let full = config.objectKey(key)
        let tmp = file + ".s3tmp-\(getpid())-\(Hex.encode(try Crypto.randomBytes(6)))"
        defer { unlink(tmp) }
        // the body goes to a file: no cap on its size, and no limit on the whole exchange (the
        // per-wait timeout still holds)
        var client = http
        client.maxResponseBytes = .max
        let call = S3Call(method: "GET", key: full, what: "GET of key '\(key)'", idempotent: true)
        let (r, sink) = try perform(call, client: client, overallLimit: false) { try S3DownloadSink(path: tmp) }
        let digest = sink.finish()
        guard r.isSuccess else { throw failure(r, body: sink.head, call: call, key: key) }
        let written = Int64(sink.written)
        if let announced = r.header("Content-Length").flatMap(Int64.init), announced != written {
            throw OlleeyError(.unavailable, "S3 sent \(written) of the \(announced) bytes of key '\(key)' in bucket \(config.bucket); nothing was written to \(file)")
        }
        let meta = r.header("x-amz-meta-sha256")?.lowercased()
        if let meta, meta != digest {
            throw OlleeyError(.invalid, "the object '\(key)' in bucket \(config.bucket) is damaged: its bytes have SHA-256 \(digest) but its metadata says \(meta); nothing was written to \(file)",
                              hint: "upload the object again from a good copy")
        }
        guard rename(tmp, file) == 0 else {
            throw OlleeyError(.cannotCreate, "cannot create \(file): \(String(cString: strerror(errno)))")
        }
        return ObjectInfo(key: key, size: written, etag: S3Client.unquote(r.header("ETag")), sha256: meta)
    }

    /// The bytes of a small object, in memory (up to the HTTP client's `maxResponseBytes`;
    /// larger objects are refused: use `get(key:to:)`). Checked against `x-amz-meta-sha256` when
    /// the object has one.
    public func getData(key: String) throws -> [UInt8] {
        let call = S3Call(method: "GET", key: config.objectKey(key), what: "GET of key '\(key)'", idempotent: true)
        let (r, sink) = try perform(call) { HTTPMemorySink(limit: http.maxResponseBytes) }
        guard r.isSuccess else { throw failure(r, body: sink.bytes, call: call, key: key) }
        if sink.overflowed {
            throw OlleeyError(.invalid, "the object '\(key)' in bucket \(config.bucket) is larger than \(http.maxResponseBytes) bytes, too large to read into memory",
                              hint: "download it to a file instead")
        }
        if let meta = r.header("x-amz-meta-sha256")?.lowercased(), meta != Digest.sha256(sink.bytes) {
            throw OlleeyError(.invalid, "the object '\(key)' in bucket \(config.bucket) is damaged: its bytes do not have the SHA-256 its metadata says (\(meta))",
                              hint: "upload the object again from a good copy")
        }
        return sink.bytes
    }

    /// The object's size, ETag and stored SHA-256; nil when there is no such key (404).
    public func head(key: String) throws -> ObjectInfo? {
        let call = S3Call(method: "HEAD", key: config.objectKey(key), what: "HEAD of key '\(key)'", idempotent: true)
        let (r, _) = try perform(call) { HTTPMemorySink(limit: 0) }
        if r.status == 404 { return nil }
        guard r.isSuccess else { throw failure(r, body: [], call: call, key: key) }
        return ObjectInfo(key: key, size: r.header("Content-Length").flatMap(Int64.init) ?? 0,
                          etag: S3Client.unquote(r.header("ETag")), sha256: r.header("x-amz-meta-sha256")?.lowercased())
    }

    /// Every object whose key (relative to `config.prefix`) starts with `prefix`, in key order,
    /// through as many ListObjectsV2 pages as it takes (`listPageSize` keys each). `sha256` is
    /// nil: listings carry no metadata (`head` has it).
    public func list(prefix: String) throws -> [ObjectInfo] {
        let full = config.objectKey(prefix)
        var out: [ObjectInfo] = []
        var token: String?
        repeat {
            var query = [("list-type", "2"), ("prefix", full), ("max-keys", String(max(1, listPageSize)))]
            if let token { query.append(("continuation-token", token)) }
            let call = S3Call(method: "GET", key: nil, query: query, what: "listing of '\(prefix)'", idempotent: true)
            let page = try xml(call)
            for c in page.elements("Contents") {
                guard let k = c.value("Key"), let rel = config.relativeKey(k) else { continue }
                out.append(ObjectInfo(key: rel, size: c.value("Size").flatMap(Int64.init) ?? 0, etag: S3Client.unquote(c.value("ETag"))))
            }
            token = page.value("IsTruncated") == "true" ? page.value("NextContinuationToken") : nil
            if page.value("IsTruncated") == "true" && token == nil {
                throw OlleeyError(.failure, "S3 said the listing of '\(prefix)' in bucket \(config.bucket) goes on but gave no continuation token")
            }
        } while token != nil
        return out
    }

    /// Deletes `key`; a key that is not there is not an error (S3 answers 204 either way; a 404
    /// NoSuchKey is taken as done too).
    public func delete(key: String) throws {
        let call = S3Call(method: "DELETE", key: config.objectKey(key), what: "DELETE of key '\(key)'", idempotent: true)
        let (r, sink) = try perform(call) { HTTPMemorySink(limit: 1 << 20) }
        if r.isSuccess { return }
        if r.status == 404 && S3ErrorBody(sink.bytes)?.code != "NoSuchBucket" { return }
        throw failure(r, body: sink.bytes, call: call, key: key)
    }

    /// A URL that lets anyone who has it `method` the object `key` without credentials, for
    /// `expires` seconds from `date` (S3 allows up to 604800, 7 days). Only the host is signed:
    /// the body is not (UNSIGNED-PAYLOAD).
    public func presignedURL(method: String = "GET", key: String, expires: Int = 3600, date: Date = Date()) -> String {
        let loc = location(key: config.objectKey(key), query: [])
        var query: [(String, String)] = []
        if let token = config.sessionToken { query.append(("X-Amz-Security-Token", token)) }
        let q = signer.presignedQuery(method: method, host: loc.host, path: loc.path, query: query, expires: expires, date: date)
        return loc.url + "?" + q
    }

    /// The unsigned URL of `key` (path-style or virtual-hosted as configured), every path
    /// segment of the full key percent-encoded as SigV4 wants.
    public func objectURL(key: String) -> String { location(key: config.objectKey(key), query: []).url }

    /// Creates the bucket unless it exists and is ours (for tests and setup). In a region other
    /// than us-east-1 the bucket is created there (LocationConstraint).
    public func createBucketIfMissing() throws {
        let headCall = S3Call(method: "HEAD", key: nil, what: "HEAD of the bucket", idempotent: true)
        let (h, _) = try perform(headCall) { HTTPMemorySink(limit: 0) }
        if h.isSuccess { return }
        guard h.status == 404 else { throw failure(h, body: [], call: headCall, key: nil) }
        var body: [UInt8]?
        if config.region != "us-east-1" {
            body = Array("<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><LocationConstraint>\(XMLEscape.text(config.region))</LocationConstraint></CreateBucketConfiguration>".utf8)
        }
        let call = S3Call(method: "PUT", key: nil, body: body, what: "creation of the bucket", idempotent: true)
        let (r, sink) = try perform(call) { HTTPMemorySink(limit: 1 << 20) }
        if r.isSuccess || S3ErrorBody(sink.bytes)?.code == "BucketAlreadyOwnedByYou" { return }
        throw failure(r, body: sink.bytes, call: call, key: nil)
    }

    /// Sends one signed request: `key` is the object key as the client gives it (it adds the
    /// prefix), nil for the bucket itself; `query` not encoded; `headers` are signed and sent
    /// as they are. The answer is returned whatever its status (its body in memory, up to the
    /// HTTP client's `maxResponseBytes`), after the usual retries for idempotent methods. For
    /// what the typed calls above do not cover (tests put an object with a false checksum so).
    public func send(method: String, key: String?, query: [(String, String)] = [], headers: [(String, String)] = [],
                     body: [UInt8]? = nil) throws -> HTTPClientResponse {
        let call = S3Call(method: method, key: key.map { config.objectKey($0) }, query: query, headers: headers, body: body,
                          what: "\(method) \(key.map { "of key '\($0)'" } ?? "of the bucket")",
                          idempotent: ["GET", "HEAD", "PUT", "DELETE"].contains(method))
        let (r, sink) = try perform(call) { HTTPMemorySink(limit: http.maxResponseBytes) }
        return r.with(body: sink.bytes)
    }

    // MARK: single PUT

    func putBytes(_ bytes: [UInt8], key: String, sha256: String) throws -> ObjectInfo {
        let md5 = Crypto.md5(bytes)
        let call = S3Call(method: "PUT", key: config.objectKey(key),
                          headers: [("Content-Type", "application/octet-stream"), ("Content-MD5", Data(md5).base64EncodedString()),
                                    ("x-amz-meta-sha256", sha256)],
                          body: bytes, payloadHash: sha256, what: "PUT of key '\(key)'", idempotent: true)
        let (r, sink) = try perform(call) { HTTPMemorySink(limit: 1 << 20) }
        guard r.isSuccess else { throw failure(r, body: sink.bytes, call: call, key: key) }
        let etag = S3Client.unquote(r.header("ETag"))
        if S3Client.etagIsMD5(r), etag != Hex.encode(md5) {
            throw OlleeyError(.failure, "S3 stored key '\(key)' in bucket \(config.bucket) with ETag \(etag), not the MD5 of the bytes sent (\(Hex.encode(md5)))")
        }
        return ObjectInfo(key: key, size: Int64(bytes.count), etag: etag, sha256: sha256)
    }

    static func changed(_ file: String, actual: String, expected: String) -> OlleeyError {
        OlleeyError(.invalid, "the SHA-256 of \(file) is \(actual), not \(expected): the file changed during the upload, or the SHA-256 given for it is wrong; nothing was stored",
                    hint: "upload it again once it no longer changes")
    }

    /// An ETag is the MD5 of the bytes except under SSE-KMS and SSE-C encryption.
    static func etagIsMD5(_ r: HTTPClientResponse) -> Bool {
        r.header("x-amz-server-side-encryption") != "aws:kms" && r.header("x-amz-server-side-encryption") != "aws:kms:dsse"
            && r.header("x-amz-server-side-encryption-customer-algorithm") == nil
    }

    static func unquote(_ etag: String?) -> String {
        guard var e = etag?.trimmingCharacters(in: .whitespaces) else { return "" }
        if e.hasPrefix("W/") { e.removeFirst(2) }
        if e.count >= 2, e.hasPrefix("\""), e.hasSuffix("\"") { e = String(e.dropFirst().dropLast()) }
        return e
    }
}
