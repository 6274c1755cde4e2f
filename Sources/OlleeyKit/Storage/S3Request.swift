import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import OlleeyHTTP
import WebVTT

/// One request to the store, before it is addressed and signed.
struct S3Call {
    var method: String
    /// The full object key (the prefix applied); nil for the bucket itself.
    var key: String?
    /// Parameters, not encoded.
    var query: [(String, String)] = []
    /// Headers to sign and send (besides host, x-amz-date, x-amz-content-sha256, Authorization).
    var headers: [(String, String)] = []
    var body: [UInt8]?
    /// The body's SHA-256 (hex) when the caller has it already; else it is computed.
    var payloadHash: String?
    /// For messages: "GET of key 'a/b'".
    var what: String
    var idempotent: Bool

    init(method: String, key: String?, query: [(String, String)] = [], headers: [(String, String)] = [], body: [UInt8]? = nil,
         payloadHash: String? = nil, what: String, idempotent: Bool) {
        self.method = method; self.key = key; self.query = query; self.headers = headers; self.body = body
        self.payloadHash = payloadHash; self.what = what; self.idempotent = idempotent
    }
}

/// Where a request goes: the URL as sent, and the host and path as SigV4 signs them.
struct S3Location {
    var url: String
    var host: String
    var path: String
}

extension S3Client {
    // MARK: addressing

    /// Each path segment of a key percent-encoded as SigV4 wants (RFC 3986 unreserved
    /// characters kept, everything else %XX), '/' kept between them. S3 signs the path as sent,
    /// encoded once and never normalized, so "a//b" and "./x" stay what they are.
    static func encodePath(_ key: String) -> String {
        key.split(separator: "/", omittingEmptySubsequences: false).map { SigV4.encode(String($0)) }.joined(separator: "/")
    }

    /// The scheme, the authority (host[:port], without a default port, as our HTTP client sends
    /// it in Host) and any base path of the endpoint.
    var endpointParts: (scheme: String, authority: String, basePath: String) {
        guard let endpoint = config.endpoint else { return ("https", "s3.\(config.region).amazonaws.com", "") }
        var rest = Substring(endpoint)
        var scheme = "https"
        if let sep = rest.range(of: "://") { scheme = rest[..<sep.lowerBound].lowercased(); rest = rest[sep.upperBound...] }
        let slash = rest.firstIndex(of: "/") ?? rest.endIndex
        var authority = String(rest[..<slash])
        var basePath = String(rest[slash...])
        while basePath.hasSuffix("/") { basePath.removeLast() }
        if (scheme == "http" && authority.hasSuffix(":80")) || (scheme == "https" && authority.hasSuffix(":443")) {
            authority = String(authority[..<(authority.lastIndex(of: ":") ?? authority.endIndex)])
        }
        return (scheme, authority, basePath)
    }

    /// The URL of `key` (a full key; nil for the bucket) with `query`, path-style or
    /// virtual-hosted as configured.
    func location(key: String?, query: [(String, String)]) -> S3Location {
        let (scheme, authority, base) = endpointParts
        let host: String
        var path: String
        if config.pathStyle {
            host = authority
            path = base + "/" + SigV4.encode(config.bucket) + (key.map { "/" + S3Client.encodePath($0) } ?? "")
        } else {
            host = config.bucket + "." + authority
            path = base + "/" + (key.map { S3Client.encodePath($0) } ?? "")
        }
        if path.isEmpty { path = "/" }
        let q = query.isEmpty ? "" : "?" + SigV4.canonicalQuery(query)
        return S3Location(url: "\(scheme)://\(host)\(path)\(q)", host: host, path: path)
    }

    // MARK: sending

    /// Signs and sends `call`, the answer's body going into the sink `makeSink` makes (a new one
    /// for each attempt). Idempotent calls are repeated `retries` times after a 5xx answer or a
    /// network error, with a doubling delay. A network error that outlasts the retries is
    /// `.unavailable`. The answer is returned whatever its status.
    func perform<S: HTTPBodySink>(_ call: S3Call, client: HTTPClient? = nil, overallLimit: Bool = true,
                                  sink makeSink: () throws -> S) throws -> (HTTPClientResponse, S) {
        let client = client ?? http
        let payload = call.payloadHash ?? (call.body.map { Digest.sha256($0) } ?? SigV4.emptyPayload)
        let loc = location(key: call.key, query: call.query)
        let url: HTTPURL
        do { url = try HTTPURL(loc.url) } catch let e as OlleeyError {
            throw OlleeyError(.config, "the S3 endpoint '\(config.endpoint ?? "")' does not make a valid URL (\(loc.url)): \(e.message)")
        }
        var headers = call.headers
        if let token = config.sessionToken { headers.append(("x-amz-security-token", token)) }
        var attempt = 0
        while true {
            try client.cancel.check()
            let signed = signer.sign(method: call.method, path: loc.path, query: call.query, headers: [("host", url.hostHeader)] + headers,
                                     payloadHash: payload, date: Date())
            var sink = try makeSink()
            let deadline = overallLimit ? client.totalTimeout.map { Clock.monotonicNanos() + UInt64($0 * 1e9) } : nil
            count { $0.requests += 1; $0.bytesSent += Int64(call.body?.count ?? 0) }
            do {
                let r = try client.exchange(url: url, method: call.method, headers: headers + signed, body: call.body, deadline: deadline, sink: &sink)
                if call.idempotent, attempt < retries, r.status >= 500 {
                    attempt += 1
                    try pause(before: attempt, client)
                    continue
                }
                return (r, sink)
            } catch let e as OlleeyError where e.code == .unavailable || e.code == .failure {
                // cannot connect, timed out, connection closed early, a malformed answer
                if call.idempotent, attempt < retries {
                    attempt += 1
                    try pause(before: attempt, client)
                    continue
                }
                let tries = attempt + 1
                throw OlleeyError(.unavailable, "S3 \(call.what) in bucket \(config.bucket) failed\(tries > 1 ? " after \(tries) attempts" : ""): \(e.message)",
                                  hint: "check that the object store at \(endpointParts.authority) is reachable")
            }
        }
    }

    private func pause(before attempt: Int, _ client: HTTPClient) throws {
        count { $0.retries += 1 }
        let seconds = retryDelay * Double(1 << min(attempt - 1, 10))
        let end = Date().addingTimeInterval(seconds)
        while Date() < end {
            try client.cancel.check()
            usleep(UInt32(min(0.05, max(0, end.timeIntervalSinceNow)) * 1e6))
        }
    }

    /// The error of an answer that is not a success: S3's XML error (code and message) with the
    /// HTTP status, the operation and the key, as the OlleeyError whose code fits.
    func failure(_ r: HTTPClientResponse, body: [UInt8], call: S3Call, key: String?) -> OlleeyError {
        S3Client.error(status: r.status, body: body, bucket: config.bucket, operation: call.what, key: key)
    }

    /// How an S3 error maps to olleey's kinds: refused credentials 77 (unauthenticated), denied
    /// access 77 (permission), a missing key 66, a missing bucket or the wrong region or clock 78
    /// (configuration), a conflict 1, S3 asking to slow down 75 (busy), any other 5xx 69
    /// (unavailable), any other 4xx 65 (invalid). The message has S3's code and message, the
    /// HTTP status, the operation (with its key) and the bucket. `operation` is what `S3Call.what`
    /// says ("GET of key 'a/b'").
    static func error(status: Int, body: [UInt8], bucket: String, operation: String, key: String?) -> OlleeyError {
        let parsed = S3ErrorBody(body)
        // an <Error> sent with 200 (CompleteMultipartUpload may) is judged by its code
        var status = status
        if (200..<300).contains(status) { status = ["InternalError", "SlowDown", "ServiceUnavailable"].contains(parsed?.code ?? "") ? 500 : 400 }
        let detail: String
        if let parsed {
            detail = parsed.code + (parsed.message.map { ": " + $0 } ?? "")
        } else {
            detail = String(decoding: body.prefix(300), as: UTF8.self).split(whereSeparator: \.isNewline).joined(separator: " ")
                .trimmingCharacters(in: .whitespaces)
        }
        let tail = (detail.isEmpty ? "" : ": " + detail) + " (HTTP \(status))"
        let code = parsed?.code ?? ""
        switch code {
        case "SignatureDoesNotMatch", "InvalidAccessKeyId", "InvalidClientTokenId", "InvalidToken", "ExpiredToken", "TokenRefreshRequired":
            let said = parsed?.message.map { ": " + $0 } ?? ""
            return OlleeyError(.unauthenticated, "S3 refused the credentials (\(code)) for bucket \(bucket)\(said) (\(operation), HTTP \(status))",
                               hint: "check the access key and the secret key (and the session token, when one is set): the store must know them as a pair")
        case "AccessDenied", "AllAccessDisabled", "AccountProblem":
            return OlleeyError(.permission, "S3 denied the \(operation) in bucket \(bucket)\(tail)",
                               hint: "the credentials are valid but not allowed this on this bucket: check the bucket policy and the user's permissions")
        case "RequestTimeTooSkewed":
            return OlleeyError(.config, "S3 refused the \(operation) in bucket \(bucket): this machine's clock differs from the store's by more than 15 minutes\(tail)",
                               hint: "set the system clock right (NTP)")
        case "NoSuchBucket":
            return OlleeyError(.config, "the S3 bucket \(bucket) does not exist\(tail)", hint: "create the bucket, or check its name and the endpoint")
        case "PermanentRedirect", "TemporaryRedirect", "AuthorizationHeaderMalformed", "IllegalLocationConstraintException":
            return OlleeyError(.config, "the S3 bucket \(bucket) is in another region or behind another endpoint\(tail)",
                               hint: "set the bucket's region (and endpoint) in the storage settings")
        default: break
        }
        switch status {
        case 403:
            // a HEAD answer has no body to say why
            return OlleeyError(.permission, "S3 refused the \(operation) in bucket \(bucket)\(tail)",
                               hint: "check the access key, the secret key and the bucket's permissions")
        case 404:
            let subject = key.map { "key '\($0)' in bucket \(bucket)" } ?? "such thing in bucket \(bucket) (\(operation))"
            return OlleeyError(.notFound, "S3 has no \(subject)\(tail)")
        case 301, 307:
            return OlleeyError(.config, "S3 sent the \(operation) in bucket \(bucket) elsewhere\(tail)",
                               hint: "set the bucket's region (and endpoint) in the storage settings")
        case 409, 412:
            return OlleeyError(.conflict, "S3 refused the \(operation) in bucket \(bucket)\(tail)")
        case 429:
            return OlleeyError(.busy, "S3 asked to slow down the \(operation) in bucket \(bucket)\(tail)", hint: "try again later")
        case 503 where code == "SlowDown":
            return OlleeyError(.busy, "S3 asked to slow down the \(operation) in bucket \(bucket)\(tail)", hint: "try again later")
        case 500...:
            return OlleeyError(.unavailable, "S3 failed the \(operation) in bucket \(bucket)\(tail)",
                               hint: "the object store has a problem; try again later")
        default:
            return OlleeyError(.invalid, "S3 refused the \(operation) in bucket \(bucket)\(tail)")
        }
    }

    /// The XML document of a successful answer to `call`; an error answer (including an
    /// `<Error>` sent with 200, as CompleteMultipartUpload may) becomes its OlleeyError.
    func xml(_ call: S3Call, key: String? = nil) throws -> XMLElementNode { try xmlAnswer(call, key: key).root }

    /// `xml`, with the answer's head.
    func xmlAnswer(_ call: S3Call, key: String? = nil) throws -> (root: XMLElementNode, response: HTTPClientResponse) {
        let (r, sink) = try perform(call) { HTTPMemorySink(limit: http.maxResponseBytes) }
        guard r.isSuccess else { throw failure(r, body: sink.bytes, call: call, key: key) }
        if sink.overflowed { throw OlleeyError(.failure, "S3 answered the \(call.what) in bucket \(config.bucket) with more than \(http.maxResponseBytes) bytes") }
        let root: XMLElementNode
        do { root = try XMLReader.parse(sink.bytes) } catch let e as XMLSyntaxError {
            throw OlleeyError(.failure, "S3 answered the \(call.what) in bucket \(config.bucket) with XML that cannot be read (line \(e.line): \(e.message))")
        }
        if root.localName == "Error" { throw failure(r, body: sink.bytes, call: call, key: key) }
        return (root, r)
    }
}

/// The code and message of S3's XML error document (`<Error><Code>NoSuchKey</Code><Message>...`).
struct S3ErrorBody: Equatable {
    var code: String
    var message: String?

    init?(_ body: [UInt8]) {
        guard !body.isEmpty, let root = try? XMLReader.parse(body), root.localName == "Error", let code = root.value("Code") else { return nil }
        self.code = code
        message = root.value("Message")
    }
}

extension XMLElementNode {
    /// The text of the first child element with this local name.
    func value(_ name: String) -> String? { elements(name).first?.text }
}

/// A GET's body streamed into a file and hashed on the way (SHA-256); the first 64 KiB are also
/// kept in memory, for the XML of an error answer.
final class S3DownloadSink: HTTPBodySink {
    private var file: HTTPFileSink
    private var hasher: SHA256Hasher? = SHA256Hasher()
    private(set) var head: [UInt8] = []
    private static let headLimit = 64 << 10

    init(path: String) throws { file = try HTTPFileSink(path: path, limit: .max) }
    deinit { file.close() }

    var written: Int { file.written }
    var overflowed: Bool { file.overflowed }
    func markOverflow() { file.markOverflow() }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        try file.write(bytes)
        if var h = hasher.take() { h.update(bytes); hasher = consume h }
        if head.count < S3DownloadSink.headLimit {
            head.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes.prefix(S3DownloadSink.headLimit - head.count)))
        }
    }

    /// Closes the file; the SHA-256 (hex) of what was written.
    func finish() -> String {
        file.close()
        guard let h = hasher.take() else { return "" }
        return h.finalizeHex()
    }
}
