import Foundation
import Testing
import OlleeyKit

/// AWS Signature Version 4 against the examples AWS publishes for S3
/// (https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html and
/// sigv4-query-string-auth.html): access key AKIAIOSFODNN7EXAMPLE, 2013-05-24, us-east-1.
@Suite("SigV4: AWS's published S3 examples")
struct SigV4Tests {
    let signer = SigV4(accessKey: "AKIAIOSFODNN7EXAMPLE", secretKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", region: "us-east-1")
    let date = Date(timeIntervalSince1970: 1_369_353_600)  // 2013-05-24T00:00:00Z

    @Test("GET Object with a Range header: the published Authorization header")
    func getObject() {
        #expect(SigV4.amzDate(date) == "20130524T000000Z")
        let h = signer.sign(method: "GET", path: "/test.txt", headers: [("Host", "examplebucket.s3.amazonaws.com"), ("Range", "bytes=0-9")],
                            payloadHash: SigV4.emptyPayload, date: date)
        let auth = h.first { $0.0 == "Authorization" }?.1
        #expect(auth == "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")
    }

    @Test("a presigned GET valid 24 hours: the published signature")
    func presigned() {
        let q = signer.presignedQuery(method: "GET", host: "examplebucket.s3.amazonaws.com", path: "/test.txt", expires: 86400, date: date)
        #expect(q.hasSuffix("X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"), "\(q)")
        #expect(q.contains("X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"))
    }

    @Test("names and values are encoded as SigV4 asks: unreserved kept, the rest %XX upper case, a space %20")
    func encoding() {
        #expect(SigV4.encode("a b/c~d_e.f-g+h*") == "a%20b%2Fc~d_e.f-g%2Bh%2A")
        #expect(SigV4.encode("é") == "%C3%A9")
    }
}
