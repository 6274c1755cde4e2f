import Foundation
import Testing
import OlleeyKit
import OlleeyTestSupport

/// The S3 test server scripts/with-moto starts: moto on 127.0.0.1, with signature checking on
/// (an IAM user made for the run; its keys in AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY).
enum S3TestServer {
    static let env = ProcessInfo.processInfo.environment
    static let endpoint = env["OLLEEY_TEST_S3_ENDPOINT"]
    static let available = endpoint != nil
    static let skipReason: Comment = "needs an S3 test server (scripts/with-moto)"
    static let authLock = NSLock()

    static func config(bucket: String? = nil, prefix: String = "", secretKey: String? = nil) throws -> S3Config {
        S3Config(bucket: try bucket ?? "olleey-test-" + Hex.encode(Crypto.randomBytes(6)), prefix: prefix, endpoint: endpoint,
                 accessKey: env["AWS_ACCESS_KEY_ID"] ?? "test", secretKey: secretKey ?? env["AWS_SECRET_ACCESS_KEY"] ?? "test")
    }

    /// A client of a new bucket of its own (a random name).
    static func client(prefix: String = "") throws -> S3Client {
        let c = S3Client(try config(prefix: prefix))
        c.retryDelay = 0.01
        try c.createBucketIfMissing()
        return c
    }

    /// Runs `body` with moto's request authentication off. moto checks the signature of no
    /// presigned URL, and while it authenticates it fails (500) any request without an
    /// Authorization header, so a presigned URL can only be fetched from it so.
    static func withoutAuthentication<T>(_ body: () throws -> T) throws -> T {
        // one at a time in the process: suites run in parallel, and one turning authentication
        // back on must not cut another's unsigned request short
        authLock.lock()
        defer { authLock.unlock() }
        try authenticate("inf")
        defer { try? authenticate("0") }
        return try body()
    }

    private static func authenticate(_ after: String) throws {
        let r = try HTTPClient().send(method: "POST", url: (endpoint ?? "") + "/moto-api/reset-auth",
                                      headers: [("Content-Type", "text/plain")], body: Array(after.utf8))
        guard r.isSuccess else { throw OlleeyError(.failure, "moto's reset-auth answered \(r.status): \(r.text)") }
    }
}

/// Deterministic bytes (xorshift), so a failure can be reproduced.
func s3TestBytes(_ count: Int, seed: UInt64) -> [UInt8] {
    var x = seed | 1
    var out = [UInt8](repeating: 0, count: count)
    var i = 0
    while i < count {
        x ^= x << 13; x ^= x >> 7; x ^= x << 17
        withUnsafeBytes(of: x) { w in for b in w where i < count { out[i] = b; i += 1 } }
    }
    return out
}

private func writeFile(_ bytes: [UInt8], _ path: String) throws {
    guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else { throw OlleeyError(.cannotCreate, "cannot write \(path)") }
}

private func fileBytes(_ path: String) -> [UInt8]? { FileManager.default.contents(atPath: path).map { [UInt8]($0) } }

private struct Interrupted: Error {}

@Suite("S3Client: URLs, keys and errors, without a store")
struct S3ClientUnitTests {
    @Test("s3://bucket/prefix parses; anything else is a clear invalid-input error")
    func parse() throws {
        #expect(try S3Config.parse(url: "s3://media-bucket") == ("media-bucket", ""))
        #expect(try S3Config.parse(url: "s3://media-bucket/") == ("media-bucket", ""))
        #expect(try S3Config.parse(url: "s3://media-bucket/team/videos/") == ("media-bucket", "team/videos"))
        #expect(try S3Config.parse(url: "S3://my.bucket-2//a b/é") == ("my.bucket-2", "a b/é"))
        for bad in ["https://media-bucket/x", "media-bucket/x", "s3://", "s3:///prefix", "s3://Media/x", "s3://ab", "s3://-bucket",
                    "s3://bucket-/x", "s3://my..bucket", "s3://my_bucket", "s3://bucket/x?region=eu-west-1", "s3://bucket#x"] {
            #expect(throws: OlleeyError.self, "\(bad)") { try S3Config.parse(url: bad) }
            do { _ = try S3Config.parse(url: bad) } catch let e as OlleeyError {
                #expect(e.code == .invalid, "\(bad): \(e)")
                #expect(e.hint != nil, "\(bad): \(e)")
            }
        }
    }

    @Test("keys: each path segment percent-encoded as SigV4 wants, '/' kept, path-style and virtual-hosted")
    func addressing() {
        let key = "a b/c&d+e=f/é日本~x_y-z.txt"
        let encoded = "a%20b/c%26d%2Be%3Df/%C3%A9%E6%97%A5%E6%9C%AC~x_y-z.txt"
        let path = S3Client(S3Config(bucket: "bkt", prefix: "/media/", endpoint: "http://127.0.0.1:9000/", accessKey: "a", secretKey: "s"))
        #expect(path.objectURL(key: key) == "http://127.0.0.1:9000/bkt/media/" + encoded)
        let virtual = S3Client(S3Config(bucket: "bkt", prefix: "media", region: "eu-west-1", pathStyle: false, accessKey: "a", secretKey: "s"))
        #expect(virtual.objectURL(key: key) == "https://bkt.s3.eu-west-1.amazonaws.com/media/" + encoded)
        let minio = S3Client(S3Config(bucket: "bkt", endpoint: "https://store.example:443", pathStyle: false, accessKey: "a", secretKey: "s"))
        #expect(minio.objectURL(key: "x") == "https://bkt.store.example/x")
    }

    @Test("a presigned URL of a virtual-hosted key: AWS's published example signature")
    func presignedPublishedExample() {
        // https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html
        let c = S3Client(S3Config(bucket: "examplebucket", endpoint: "https://s3.amazonaws.com", pathStyle: false,
                                  accessKey: "AKIAIOSFODNN7EXAMPLE", secretKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"))
        let url = c.presignedURL(key: "test.txt", expires: 86400, date: Date(timeIntervalSince1970: 1_369_353_600))
        #expect(url == "https://examplebucket.s3.amazonaws.com/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256"
                + "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z"
                + "&X-Amz-Expires=86400&X-Amz-SignedHeaders=host"
                + "&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404")
        let token = S3Client(S3Config(bucket: "examplebucket", accessKey: "AK", secretKey: "SK", sessionToken: "tok/en+="))
        #expect(token.presignedURL(key: "k").contains("&X-Amz-Security-Token=tok%2Fen%2B%3D&"))
    }

    @Test("requests are signed (SigV4 headers, the key's path encoded once) and S3's XML errors become clear OlleeyErrors")
    func signedRequestsAndErrors() throws {
        let server = try StandInHTTPServer { req in
            let xml = { (code: String, message: String) in "<?xml version=\"1.0\"?><Error><Code>\(code)</Code><Message>\(message)</Message></Error>" }
            switch req.path {
            case "/bkt/ok%20%26%20%C3%A9": return .text("hello")
            case "/bkt/creds": return .text(xml("SignatureDoesNotMatch", "The request signature we calculated does not match"), status: 403)
            case "/bkt/denied": return .text(xml("AccessDenied", "Access Denied"), status: 403)
            case "/bkt/nobucket": return .text(xml("NoSuchBucket", "The specified bucket does not exist"), status: 404)
            case "/bkt/bad": return .text(xml("InvalidArgument", "Bad &amp; wrong"), status: 400)
            default: return .text(xml("NoSuchKey", "The specified key does not exist."), status: 404)
            }
        }
        defer { server.stop() }
        let c = S3Client(S3Config(bucket: "bkt", endpoint: server.baseURL, accessKey: "AKID", secretKey: "secret"))
        #expect(try c.getData(key: "ok & é") == Array("hello".utf8))
        let req = try #require(server.requests.first)
        let auth = try #require(req.header("Authorization"))
        #expect(auth.hasPrefix("AWS4-HMAC-SHA256 Credential=AKID/"))
        #expect(auth.contains("/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature="))
        #expect(req.header("x-amz-content-sha256") == SigV4.emptyPayload)

        func error(_ key: String) -> OlleeyError? {
            do { _ = try c.getData(key: key); return nil } catch let e as OlleeyError { return e } catch { return nil }
        }
        let creds = try #require(error("creds"))
        #expect(creds.code == .unauthenticated)
        #expect(creds.message.hasPrefix("S3 refused the credentials (SignatureDoesNotMatch) for bucket bkt"), "\(creds.message)")
        #expect(error("denied")?.code == .permission)
        #expect(error("nobucket")?.code == .config)
        let missing = try #require(error("missing/key"))
        #expect(missing.code == .notFound)
        #expect(missing.message.contains("key 'missing/key'") && missing.message.contains("NoSuchKey") && missing.message.contains("HTTP 404"), "\(missing.message)")
        let bad = try #require(error("bad"))
        #expect(bad.code == .invalid)
        #expect(bad.message.contains("InvalidArgument: Bad & wrong (HTTP 400)"), "\(bad.message)")
    }

    @Test("5xx answers and refused connections are retried for idempotent requests, then reported unavailable; a POST is sent once")
    func retries() throws {
        let answers = Locked(0)
        let server = try StandInHTTPServer { req in
            if req.path.hasPrefix("/bkt/flaky") {
                let n = answers.withLock { v -> Int in v += 1; return v }
                return n <= 2 ? .text("<Error><Code>SlowDown</Code><Message>Reduce your request rate.</Message></Error>", status: 503) : .text("at last")
            }
            if req.path.hasPrefix("/bkt/slow") { return .text("<Error><Code>SlowDown</Code><Message>Reduce your request rate.</Message></Error>", status: 503) }
            return .text("<Error><Code>InternalError</Code><Message>We encountered an internal error.</Message></Error>", status: 500)
        }
        defer { server.stop() }
        let c = S3Client(S3Config(bucket: "bkt", endpoint: server.baseURL, accessKey: "AKID", secretKey: "secret"))
        c.retryDelay = 0.01
        #expect(try c.getData(key: "flaky") == Array("at last".utf8))
        #expect(c.counters.requests == 3 && c.counters.retries == 2)

        do { _ = try c.getData(key: "broken"); Issue.record("expected an error") } catch let e as OlleeyError {
            #expect(e.code == .unavailable)
            #expect(e.message.contains("InternalError") && e.message.contains("HTTP 500"), "\(e.message)")
        }
        #expect(c.counters.requests == 3 + 4)
        do { _ = try c.getData(key: "slow"); Issue.record("expected an error") } catch let e as OlleeyError { #expect(e.code == .busy) }

        let before = c.counters.requests
        let r = try c.send(method: "POST", key: "broken", query: [("uploads", "")])
        #expect(r.status == 500)
        #expect(c.counters.requests == before + 1)

        // nothing listens on a port just closed
        let gone = try StandInHTTPServer { _ in .text("") }
        let port = gone.port
        gone.stop()
        Thread.sleep(forTimeInterval: 0.05)
        let closed = S3Client(S3Config(bucket: "bkt", endpoint: "http://127.0.0.1:\(port)", accessKey: "AKID", secretKey: "secret"))
        closed.retryDelay = 0.01
        do { _ = try closed.head(key: "x"); Issue.record("expected an error") } catch let e as OlleeyError {
            #expect(e.code == .unavailable)
            #expect(e.message.contains("after 4 attempts"), "\(e.message)")
        }
    }
}

@Suite("S3Client against an S3 test server (moto)", .serialized, .enabled(if: S3TestServer.available, S3TestServer.skipReason))
struct S3ClientServerTests {
    @Test("a small file: put, head, get and getData round trip, with its SHA-256 stored and checked")
    func smallRoundTrip() throws {
        let c = try S3TestServer.client(prefix: "team/videos")
        let dir = TempDir("olleey-s3")
        let bytes = s3TestBytes(100_000, seed: 1)
        try writeFile(bytes, dir.file("in.bin"))
        let sha = Digest.sha256(bytes)
        let put = try c.put(file: dir.file("in.bin"), key: "clips/in.bin")
        #expect(put == ObjectInfo(key: "clips/in.bin", size: 100_000, etag: Hex.encode(Crypto.md5(bytes)), sha256: sha))
        #expect(try c.head(key: "clips/in.bin") == put)
        let got = try c.get(key: "clips/in.bin", to: dir.file("out.bin"))
        #expect(got.sha256 == sha && got.size == 100_000)
        #expect(fileBytes(dir.file("out.bin")) == bytes)
        #expect(try c.getData(key: "clips/in.bin") == bytes)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() == ["in.bin", "out.bin"])
        #expect(c.counters.partsSent == 0)
        // the prefix is the client's: the key is stored under it
        let root = S3Client(try S3TestServer.config(bucket: c.config.bucket))
        #expect(try root.head(key: "team/videos/clips/in.bin")?.sha256 == sha)
        #expect(try c.put(data: [], key: "empty") == ObjectInfo(key: "empty", size: 0, etag: Hex.encode(Crypto.md5([])), sha256: Digest.sha256([UInt8]())))
        #expect(try c.getData(key: "empty") == [])
    }

    @Test("a file over the threshold goes up in 5 MiB parts and comes back whole")
    func multipartRoundTrip() throws {
        let c = try S3TestServer.client()
        c.partSize = 5 << 20
        c.multipartThreshold = 5 << 20
        let dir = TempDir("olleey-s3")
        let bytes = s3TestBytes((11 << 20) + 12_345, seed: 2)
        try writeFile(bytes, dir.file("big.bin"))
        let info = try c.put(file: dir.file("big.bin"), key: "big.bin")
        #expect(c.counters.partsSent == 3 && c.counters.partsReused == 0)
        #expect(info.size == Int64(bytes.count) && info.sha256 == Digest.sha256(bytes))
        #expect(info.etag.hasSuffix("-3"), "\(info.etag)")
        #expect(try c.multipartUploads(key: "big.bin").isEmpty)
        let got = try c.get(key: "big.bin", to: dir.file("back.bin"))
        #expect(got.sha256 == Digest.sha256(bytes))
        #expect(try Digest.sha256(file: dir.file("back.bin")) == Digest.sha256(bytes))
    }

    @Test("an interrupted multipart upload is resumed by another client: only the missing parts are sent")
    func resumedUpload() throws {
        let first = try S3TestServer.client()
        first.partSize = 5 << 20
        first.multipartThreshold = 5 << 20
        first.partUploaded = { part, _ in if part == 1 { throw Interrupted() } }
        let dir = TempDir("olleey-s3")
        let bytes = s3TestBytes((11 << 20) + 7, seed: 3)
        try writeFile(bytes, dir.file("big.bin"))
        #expect(throws: Interrupted.self) { try first.put(file: dir.file("big.bin"), key: "v/big.bin") }
        #expect(first.counters.partsSent == 1)
        #expect(try first.multipartUploads(key: "v/big.bin").count == 1)
        #expect(try first.head(key: "v/big.bin") == nil)

        // a new client, as after a crash: it finds the upload on the server
        let second = S3Client(first.config)
        second.partSize = 5 << 20
        second.multipartThreshold = 5 << 20
        let info = try second.put(file: dir.file("big.bin"), key: "v/big.bin")
        #expect(second.counters.partsReused == 1 && second.counters.partsSent == 2)
        #expect(info.sha256 == Digest.sha256(bytes) && info.size == Int64(bytes.count))
        #expect(try second.multipartUploads(key: "v/big.bin").isEmpty)
        try second.get(key: "v/big.bin", to: dir.file("back.bin"))
        #expect(fileBytes(dir.file("back.bin")) == bytes)
    }

    @Test("an interrupted upload of another version of the file (same first part) is not passed off as this one")
    func resumedUploadOfAnotherVersion() throws {
        let c = try S3TestServer.client()
        c.partSize = 5 << 20
        c.multipartThreshold = 5 << 20
        c.partUploaded = { part, _ in if part == 1 { throw Interrupted() } }
        let dir = TempDir("olleey-s3")
        let old = s3TestBytes(11 << 20, seed: 4)
        var new = old
        for i in (10 << 20)..<(10 << 20) + 100 { new[i] ^= 0xFF }
        try writeFile(old, dir.file("old.bin"))
        try writeFile(new, dir.file("new.bin"))
        #expect(throws: Interrupted.self) { try c.put(file: dir.file("old.bin"), key: "x.bin") }
        c.partUploaded = nil
        let before = c.counters
        let info = try c.put(file: dir.file("new.bin"), key: "x.bin")
        // part 1 was reused, the upload completed, its metadata turned out to be the old file's,
        // and the whole file went up again in a fresh upload
        #expect(c.counters.partsReused - before.partsReused == 1)
        #expect(c.counters.partsSent - before.partsSent == 2 + 3)
        #expect(info.sha256 == Digest.sha256(new))
        #expect(try c.head(key: "x.bin")?.sha256 == Digest.sha256(new))
        try c.get(key: "x.bin", to: dir.file("back.bin"))
        #expect(fileBytes(dir.file("back.bin")) == new)
    }

    @Test("parts under the store's minimum (5 MiB in moto, as in S3) are refused with S3's EntityTooSmall, and that upload is aborted")
    func partsTooSmall() throws {
        let c = try S3TestServer.client()
        c.partSize = 1 << 20
        c.multipartThreshold = 1 << 20
        let dir = TempDir("olleey-s3")
        try writeFile(s3TestBytes(3 << 20, seed: 9), dir.file("f.bin"))
        do { try c.put(file: dir.file("f.bin"), key: "f.bin"); Issue.record("expected EntityTooSmall") } catch let e as OlleeyError {
            #expect(e.code == .invalid, "\(e)")
            #expect(e.message.contains("EntityTooSmall") && e.message.contains("f.bin"), "\(e.message)")
        }
        #expect(c.counters.partsSent == 3)
        #expect(try c.multipartUploads(key: "f.bin").isEmpty)
        #expect(try c.head(key: "f.bin") == nil)
    }

    @Test("a file that does not have the SHA-256 given for it is refused, and nothing is stored")
    func wrongChecksumGiven() throws {
        let c = try S3TestServer.client()
        let dir = TempDir("olleey-s3")
        try writeFile(Array("abc".utf8), dir.file("a.txt"))
        #expect(throws: OlleeyError.self) { try c.put(file: dir.file("a.txt"), key: "a.txt", sha256: Digest.sha256("abd")) }
        #expect(try c.head(key: "a.txt") == nil)
    }

    @Test("a missing key: head is nil, get and getData are not-found and leave no file")
    func missingKey() throws {
        let c = try S3TestServer.client()
        let dir = TempDir("olleey-s3")
        #expect(try c.head(key: "nothing/here") == nil)
        do { try c.get(key: "nothing/here", to: dir.file("out")); Issue.record("expected not found") } catch let e as OlleeyError {
            #expect(e.code == .notFound)
            #expect(e.message.contains("NoSuchKey") && e.message.contains("'nothing/here'") && e.message.contains("HTTP 404"), "\(e.message)")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty)
        #expect(throws: OlleeyError.self) { try c.getData(key: "nothing/here") }
        let nobucket = S3Client(try S3TestServer.config())
        do { _ = try nobucket.getData(key: "x"); Issue.record("expected an error") } catch let e as OlleeyError {
            #expect(e.code == .config, "\(e)")
            #expect(e.message.contains("does not exist"), "\(e.message)")
        }
    }

    @Test("list follows continuation tokens and returns keys relative to the prefix")
    func listPages() throws {
        let c = try S3TestServer.client(prefix: "p")
        c.listPageSize = 2
        for k in ["a/1", "a/2", "a/3", "b/1"] { try c.put(data: Array(k.utf8), key: k) }
        try S3Client(try S3TestServer.config(bucket: c.config.bucket)).put(data: [1], key: "outside")
        let before = c.counters.requests
        let a = try c.list(prefix: "a/")
        #expect(a.map(\.key) == ["a/1", "a/2", "a/3"])
        #expect(a.allSatisfy { $0.size == 3 && $0.etag.count == 32 && $0.sha256 == nil })
        #expect(c.counters.requests - before == 2)
        #expect(try c.list(prefix: "").map(\.key) == ["a/1", "a/2", "a/3", "b/1"])
        #expect(try c.list(prefix: "zzz").isEmpty)
    }

    @Test("delete removes a key; deleting a missing key is fine")
    func delete() throws {
        let c = try S3TestServer.client()
        try c.put(data: [1, 2, 3], key: "d/x")
        try c.delete(key: "d/x")
        #expect(try c.head(key: "d/x") == nil)
        try c.delete(key: "d/x")
        #expect(try c.list(prefix: "d/").isEmpty)
    }

    @Test("keys with spaces, &, +, =, %, ?, #, unicode survive put, head, list, get and a presigned GET")
    func awkwardKeys() throws {
        let c = try S3TestServer.client(prefix: "é dir")
        let dir = TempDir("olleey-s3")
        let keys = ["a b/c&d+e=f.txt", "é/日本語 ファイル.vtt", "100% (final)?#1.mp4", "x~y_z-w.!*'();:@$,.bin", "k=v&x=y"]
        for (i, k) in keys.enumerated() {
            let bytes = s3TestBytes(1000 + i, seed: UInt64(10 + i))
            let put = try c.put(data: bytes, key: k)
            #expect(put.key == k)
            #expect(try c.head(key: k)?.sha256 == Digest.sha256(bytes), "\(k)")
            #expect(try c.getData(key: k) == bytes, "\(k)")
            try c.get(key: k, to: dir.file("f\(i)"))
            #expect(fileBytes(dir.file("f\(i)")) == bytes, "\(k)")
            let fetched = try S3TestServer.withoutAuthentication { try HTTPClient().get(c.presignedURL(key: k)) }
            #expect(fetched.status == 200 && fetched.body == bytes, "\(k): \(fetched.status) \(fetched.text.prefix(200))")
        }
        #expect(try c.list(prefix: "").map(\.key) == keys.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) })
    }

    @Test("a presigned GET fetched with a plain HTTP client returns the bytes; its signature is botocore's")
    func presigned() throws {
        let c = try S3TestServer.client(prefix: "pre")
        let bytes = s3TestBytes(5000, seed: 7)
        try c.put(data: bytes, key: "a b/é+&=.bin")
        let url = c.presignedURL(key: "a b/é+&=.bin", expires: 600)
        let r = try S3TestServer.withoutAuthentication { try HTTPClient().get(url) }
        #expect(r.status == 200 && r.body == bytes)

        // moto checks no presigned signature: botocore, the AWS SDK's signer, is the judge
        let python = try #require(S3TestServer.env["OLLEEY_TEST_S3_PYTHON"], "scripts/with-moto sets OLLEEY_TEST_S3_PYTHON (the venv's python, with botocore)")
        let date = Date(timeIntervalSince1970: 1_700_000_000)
        let ours = c.presignedURL(key: "a b/é+&=.bin", expires: 600, date: date)
        let script = """
        import sys, datetime, botocore.auth, botocore.session
        from botocore.config import Config
        endpoint, bucket, key, access, secret = sys.argv[1:6]
        botocore.auth.get_current_datetime = lambda: datetime.datetime(2023, 11, 14, 22, 13, 20)
        s3 = botocore.session.get_session().create_client("s3", endpoint_url=endpoint, region_name="us-east-1",
            aws_access_key_id=access, aws_secret_access_key=secret, config=Config(signature_version="s3v4", s3={"addressing_style": "path"}))
        print(s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=600))
        """
        let out = try Subprocess.run(python, ["-c", script, S3TestServer.endpoint ?? "", c.config.bucket, "pre/a b/é+&=.bin",
                                              c.config.accessKey, c.config.secretKey], timeout: 60)
        let theirs = out.stdoutString.trimmingCharacters(in: .whitespacesAndNewlines)
        func parts(_ u: String) -> (path: String, query: Set<String>) {
            let q = u.firstIndex(of: "?") ?? u.endIndex
            return (String(u[..<q]), Set(u[q...].dropFirst().split(separator: "&").map(String.init)))
        }
        #expect(parts(ours).path == parts(theirs).path, "ours \(ours)\ntheirs \(theirs)")
        #expect(parts(ours).query == parts(theirs).query, "ours \(ours)\ntheirs \(theirs)")
    }

    @Test("a wrong secret key is refused with a clear credentials error")
    func wrongSecret() throws {
        let c = try S3TestServer.client()
        try c.put(data: [1], key: "k")
        let bad = S3Client(try S3TestServer.config(bucket: c.config.bucket, secretKey: "not-the-secret"))
        bad.retryDelay = 0.01
        let attempts: [() throws -> Void] = [{ _ = try bad.getData(key: "k") }, { _ = try bad.put(data: [2], key: "k") }, { _ = try bad.list(prefix: "") }]
        for attempt in attempts {
            do { try attempt(); Issue.record("expected the credentials to be refused") } catch let e as OlleeyError {
                #expect(e.code == .unauthenticated, "\(e)")
                #expect(e.message.hasPrefix("S3 refused the credentials (SignatureDoesNotMatch) for bucket \(c.config.bucket)"), "\(e.message)")
            }
        }
        #expect(try c.getData(key: "k") == [1])
    }

    @Test("an object whose bytes do not match its x-amz-meta-sha256 is refused by get, which leaves no file")
    func damagedObject() throws {
        let c = try S3TestServer.client()
        let dir = TempDir("olleey-s3")
        let bytes = s3TestBytes(70_000, seed: 8)
        let r = try c.send(method: "PUT", key: "bad.bin", headers: [("x-amz-meta-sha256", Digest.sha256("something else"))], body: bytes)
        #expect(r.status == 200, "\(r.text)")
        do { try c.get(key: "bad.bin", to: dir.file("out.bin")); Issue.record("expected the object to be refused") } catch let e as OlleeyError {
            #expect(e.code == .invalid)
            #expect(e.message.contains("damaged"), "\(e.message)")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty)
        #expect(throws: OlleeyError.self) { try c.getData(key: "bad.bin") }
    }
}
