import Foundation

/// AWS Signature Version 4 for S3-compatible object stores (AWS S3, MinIO, Ceph, R2, B2), with
/// libcrypto's HMAC-SHA256 and SHA-256 (`Crypto`): the Authorization header of a request, and a
/// presigned URL (the signature in the query). The first part of issue 19; `S3Client` uses it.
/// https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-authenticating-requests.html
public struct SigV4: Sendable {
    public var accessKey: String
    public var secretKey: String
    public var region: String
    public var service: String

    public init(accessKey: String, secretKey: String, region: String, service: String = "s3") {
        self.accessKey = accessKey; self.secretKey = secretKey; self.region = region; self.service = service
    }

    /// SHA-256 of an empty body, and the marker of a body not signed.
    public static let emptyPayload = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    public static let unsignedPayload = "UNSIGNED-PAYLOAD"

    /// `20130524T000000Z` for `date` (UTC).
    public static func amzDate(_ date: Date) -> String {
        var t = time_t(date.timeIntervalSince1970.rounded(.down))
        var tm = tm()
        gmtime_r(&t, &tm)
        return String(format: "%04d%02d%02dT%02d%02d%02dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec)
    }

    /// The headers to add to a request (`x-amz-date`, `x-amz-content-sha256`, `Authorization`),
    /// every header in `headers` signed (names compared lower case; `host` must be among them).
    /// `path` is the URI path as sent (already percent-encoded); `query` the parameters, not encoded.
    public func sign(method: String, path: String, query: [(String, String)] = [], headers: [(String, String)],
                     payloadHash: String, date: Date) -> [(String, String)] {
        let amz = SigV4.amzDate(date)
        var all = headers + [("x-amz-date", amz), ("x-amz-content-sha256", payloadHash)]
        all = all.map { ($0.0.lowercased(), $0.1.trimmingCharacters(in: .whitespaces)) }
        let signed = Set(all.map(\.0)).sorted()
        let canonicalHeaders = signed.map { name in name + ":" + all.filter { $0.0 == name }.map(\.1).joined(separator: ",") + "\n" }.joined()
        let request = [method, path, SigV4.canonicalQuery(query), canonicalHeaders, signed.joined(separator: ";"), payloadHash].joined(separator: "\n")
        let signature = self.signature(request, amzDate: amz)
        let auth = "AWS4-HMAC-SHA256 Credential=\(accessKey)/\(scope(amz)), SignedHeaders=\(signed.joined(separator: ";")), Signature=\(signature)"
        return [("x-amz-date", amz), ("x-amz-content-sha256", payloadHash), ("Authorization", auth)]
    }

    /// The query of a presigned URL for `method path` on `host`, valid `expires` seconds from
    /// `date` (the body is not signed; only `host` is a signed header).
    public func presignedQuery(method: String, host: String, path: String, query: [(String, String)] = [], expires: Int, date: Date) -> String {
        let amz = SigV4.amzDate(date)
        let q = query + [("X-Amz-Algorithm", "AWS4-HMAC-SHA256"), ("X-Amz-Credential", "\(accessKey)/\(scope(amz))"),
                         ("X-Amz-Date", amz), ("X-Amz-Expires", String(expires)), ("X-Amz-SignedHeaders", "host")]
        let request = [method, path, SigV4.canonicalQuery(q), "host:\(host)\n", "host", SigV4.unsignedPayload].joined(separator: "\n")
        return SigV4.canonicalQuery(q) + "&X-Amz-Signature=" + signature(request, amzDate: amz)
    }

    func scope(_ amzDate: String) -> String { "\(amzDate.prefix(8))/\(region)/\(service)/aws4_request" }

    /// The signature of a canonical request.
    func signature(_ canonicalRequest: String, amzDate: String) -> String {
        let toSign = ["AWS4-HMAC-SHA256", amzDate, scope(amzDate), Digest.sha256(canonicalRequest)].joined(separator: "\n")
        var key = Crypto.hmacSHA256(key: Array(("AWS4" + secretKey).utf8), data: Array(amzDate.prefix(8).utf8))
        for part in [region, service, "aws4_request"] { key = Crypto.hmacSHA256(key: key, data: Array(part.utf8)) }
        return Hex.encode(Crypto.hmacSHA256(key: key, data: Array(toSign.utf8)))
    }

    /// Parameters sorted by encoded name (then value), each name and value encoded as SigV4
    /// asks (RFC 3986 unreserved characters kept, everything else %XX in upper case).
    static func canonicalQuery(_ q: [(String, String)]) -> String {
        let encoded: [(name: String, value: String)] = q.map { (encode($0.0), encode($0.1)) }
        let sorted = encoded.sorted { a, b in a.name == b.name ? a.value < b.value : a.name < b.name }
        return sorted.map { $0.name + "=" + $0.value }.joined(separator: "&")
    }

    public static func encode(_ s: String) -> String {
        var out = ""
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
                out.append(Character(UnicodeScalar(b)))
            default: out += String(format: "%%%02X", b)
            }
        }
        return out
    }
}
