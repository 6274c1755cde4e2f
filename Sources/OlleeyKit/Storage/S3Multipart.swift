import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import OlleeyHTTP
import WebVTT

/// A part of a multipart upload as ListParts describes it (ETag without quotes).
struct S3Part: Equatable {
    var number: Int
    var etag: String
    var size: Int64
}

/// Multipart uploads, resumable.
///
/// The file is read once, in order, one part in memory at a time: each part is hashed (MD5 and
/// SHA-256), sent with `Content-MD5` and its SHA-256 as the signed payload hash (so the store
/// checks both), and its ETag must come back as its MD5. The whole file's SHA-256 is computed on
/// the way and must be the one stored as `x-amz-meta-sha256`, or the upload is aborted. After
/// CompleteMultipartUpload the ETag must be the MD5 of the parts' MD5s with "-N", and a HEAD
/// must show the size and the SHA-256.
///
/// Resuming: before starting, the uploads in progress for the same key are listed
/// (ListMultipartUploads) and their parts (ListParts), newest first. One whose parts all have
/// the sizes this file's parts have is continued: as the file is read, a part already there
/// whose ETag is this part's MD5 is not sent again. A part that differs means that upload was of
/// other content: it is aborted and a new upload started. S3 does not list an upload's
/// metadata, so the SHA-256 it was started with is only seen after completing; if it is not this
/// file's (another version of the file, with the same first parts, was interrupted), the upload
/// is done again from the start, without resuming. Uploads whose part sizes do not fit (another
/// part size) are left alone; a bucket lifecycle rule (AbortIncompleteMultipartUpload) clears
/// what is left.
extension S3Client {
    /// S3 takes at most 10,000 parts: the part size grows (to a whole MiB) when the file needs it.
    func effectivePartSize(_ size: Int64) -> Int {
        let minimum = (size + 9_999) / 10_000
        guard minimum > Int64(partSize) else { return max(1, partSize) }
        return Int(((minimum + (1 << 20) - 1) >> 20) << 20)
    }

    func putMultipart(file: String, key: String, size: Int64, sha256: String, resume: Bool) throws -> ObjectInfo {
        let full = config.objectKey(key)
        let partSize = effectivePartSize(size)
        let total = Int((size + Int64(partSize) - 1) / Int64(partSize))
        func expectedSize(_ n: Int) -> Int64 { n < total ? Int64(partSize) : size - Int64(partSize) * Int64(total - 1) }

        var uploadId: String
        var existing: [Int: S3Part] = [:]
        if resume, let found = try resumable(full, key: key, parts: total, size: expectedSize) {
            (uploadId, existing) = found
        } else {
            uploadId = try createUpload(full, key: key, sha256: sha256)
        }

        let fd = open(file, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw OlleeyError(.notFound, "cannot read \(file): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var whole = SHA256Hasher()
        var md5s: [[UInt8]] = []
        var etags: [String] = []
        var buffer: [UInt8] = []
        for n in 1...total {
            let length = Int(expectedSize(n))
            if buffer.count != length { buffer = []; buffer = [UInt8](repeating: 0, count: length) }
            try S3Client.readFully(fd, into: &buffer, file: file)
            whole.update(buffer)
            let md5 = Crypto.md5(buffer)
            let hex = Hex.encode(md5)
            if let part = existing[n] {
                if part.etag == hex && part.size == Int64(length) {
                    count { $0.partsReused += 1 }
                } else {
                    // that upload was of other bytes: its metadata is not this file's either
                    try? abortUpload(full, uploadId: uploadId)
                    return try putMultipart(file: file, key: key, size: size, sha256: sha256, resume: false)
                }
            } else {
                try uploadPart(full, key: key, uploadId: uploadId, number: n, bytes: buffer, md5: md5)
            }
            md5s.append(md5)
            etags.append(hex)
            try partUploaded?(n, total)
        }
        buffer = []
        let actual = whole.finalizeHex()
        guard actual == sha256 else {
            try? abortUpload(full, uploadId: uploadId)
            throw S3Client.changed(file, actual: actual, expected: sha256)
        }

        let completed: String?
        do { completed = try completeUpload(full, key: key, uploadId: uploadId, etags: etags) } catch let e as OlleeyError {
            // refused as it is (parts too small, a part missing): it can never complete, and a
            // resumed put would find it again; an unreachable store leaves it to be resumed
            if ![.unavailable, .busy, .interrupted].contains(e.code) { try? abortUpload(full, uploadId: uploadId) }
            throw e
        }
        let expected = Hex.encode(Crypto.md5(md5s.flatMap { $0 })) + "-\(total)"
        if let etag = completed, etag.contains("-"), etag != expected {
            throw OlleeyError(.failure, "S3 assembled key '\(key)' in bucket \(config.bucket) with ETag \(etag), not the one of the parts sent (\(expected))")
        }
        guard let info = try head(key: key) else {
            throw OlleeyError(.failure, "S3 completed the upload of key '\(key)' in bucket \(config.bucket) but has no such key")
        }
        guard info.size == size else {
            throw OlleeyError(.failure, "S3 stored key '\(key)' in bucket \(config.bucket) with \(info.size) bytes, not the \(size) of \(file)")
        }
        if info.sha256 != sha256 {
            if !existing.isEmpty {
                // the resumed upload had been started for another version of the file
                return try putMultipart(file: file, key: key, size: size, sha256: sha256, resume: false)
            }
            throw OlleeyError(.failure, "S3 stored key '\(key)' in bucket \(config.bucket) with SHA-256 metadata \(info.sha256 ?? "none"), not \(sha256)")
        }
        return info
    }

    /// The newest upload in progress for `full` whose parts (at least one) all have the sizes
    /// this file's parts have, and its parts by number.
    func resumable(_ full: String, key: String, parts total: Int, size expectedSize: (Int) -> Int64) throws -> (String, [Int: S3Part])? {
        for upload in try uploads(full, key: key) {
            let parts = try listParts(full, key: key, uploadId: upload.id)
            guard !parts.isEmpty, parts.allSatisfy({ (1...total).contains($0.number) && $0.size == expectedSize($0.number) }) else { continue }
            return (upload.id, Dictionary(parts.map { ($0.number, $0) }, uniquingKeysWith: { a, _ in a }))
        }
        return nil
    }

    /// The upload ids of the multipart uploads in progress for `key` (relative to the prefix),
    /// newest first.
    public func multipartUploads(key: String) throws -> [String] {
        try uploads(config.objectKey(key), key: key).map(\.id)
    }

    /// Aborts every multipart upload in progress for `key`; how many there were.
    @discardableResult
    public func abortMultipartUploads(key: String) throws -> Int {
        let full = config.objectKey(key)
        let ids = try uploads(full, key: key).map(\.id)
        for id in ids { try abortUpload(full, uploadId: id) }
        return ids.count
    }

    /// ListMultipartUploads for exactly the key `full`, every page, newest first.
    func uploads(_ full: String, key: String) throws -> [(id: String, initiated: String)] {
        var out: [(id: String, initiated: String)] = []
        var markers: (key: String, upload: String)?
        repeat {
            var query = [("uploads", ""), ("prefix", full)]
            if let markers { query += [("key-marker", markers.key), ("upload-id-marker", markers.upload)] }
            let page = try xml(S3Call(method: "GET", key: nil, query: query, what: "listing of the uploads of key '\(key)'", idempotent: true))
            for u in page.elements("Upload") where u.value("Key") == full {
                if let id = u.value("UploadId") { out.append((id, u.value("Initiated") ?? "")) }
            }
            markers = nil
            if page.value("IsTruncated") == "true", let k = page.value("NextKeyMarker"), let u = page.value("NextUploadIdMarker") {
                markers = (k, u)
            }
        } while markers != nil
        // ISO 8601 times of one format sort as text
        return out.sorted { $0.initiated > $1.initiated }
    }

    /// ListParts of one upload, every page.
    func listParts(_ full: String, key: String, uploadId: String) throws -> [S3Part] {
        var out: [S3Part] = []
        var marker: String?
        repeat {
            var query = [("uploadId", uploadId)]
            if let marker { query.append(("part-number-marker", marker)) }
            let page = try xml(S3Call(method: "GET", key: full, query: query, what: "listing of the parts of an upload of key '\(key)'", idempotent: true), key: key)
            for p in page.elements("Part") {
                guard let n = p.value("PartNumber").flatMap(Int.init), let size = p.value("Size").flatMap(Int64.init) else { continue }
                out.append(S3Part(number: n, etag: S3Client.unquote(p.value("ETag")).lowercased(), size: size))
            }
            marker = page.value("IsTruncated") == "true" ? page.value("NextPartNumberMarker") : nil
        } while marker != nil
        return out
    }

    func createUpload(_ full: String, key: String, sha256: String) throws -> String {
        let call = S3Call(method: "POST", key: full, query: [("uploads", "")],
                          headers: [("Content-Type", "application/octet-stream"), ("x-amz-meta-sha256", sha256)],
                          what: "start of a multipart upload of key '\(key)'", idempotent: false)
        guard let id = try xml(call, key: key).value("UploadId"), !id.isEmpty else {
            throw OlleeyError(.failure, "S3 started a multipart upload of key '\(key)' in bucket \(config.bucket) without an upload id")
        }
        return id
    }

    func uploadPart(_ full: String, key: String, uploadId: String, number: Int, bytes: [UInt8], md5: [UInt8]) throws {
        let call = S3Call(method: "PUT", key: full, query: [("partNumber", String(number)), ("uploadId", uploadId)],
                          headers: [("Content-MD5", Data(md5).base64EncodedString())], body: bytes,
                          what: "upload of part \(number) of key '\(key)'", idempotent: true)
        let (r, sink) = try perform(call) { HTTPMemorySink(limit: 1 << 20) }
        guard r.isSuccess else { throw failure(r, body: sink.bytes, call: call, key: key) }
        let etag = S3Client.unquote(r.header("ETag")).lowercased()
        if S3Client.etagIsMD5(r), etag != Hex.encode(md5) {
            throw OlleeyError(.failure, "S3 stored part \(number) of key '\(key)' in bucket \(config.bucket) with ETag \(etag), not the MD5 of the bytes sent (\(Hex.encode(md5)))")
        }
        count { $0.partsSent += 1 }
    }

    /// CompleteMultipartUpload; the ETag it answers with (without quotes), nil when it is not
    /// made of MD5s (SSE-KMS, SSE-C).
    func completeUpload(_ full: String, key: String, uploadId: String, etags: [String]) throws -> String? {
        var body = "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
        for (i, etag) in etags.enumerated() { body += "<Part><PartNumber>\(i + 1)</PartNumber><ETag>\"\(XMLEscape.text(etag))\"</ETag></Part>" }
        body += "</CompleteMultipartUpload>"
        let call = S3Call(method: "POST", key: full, query: [("uploadId", uploadId)], headers: [("Content-Type", "application/xml")],
                          body: Array(body.utf8), what: "completion of the multipart upload of key '\(key)'", idempotent: false)
        let (root, r) = try xmlAnswer(call, key: key)
        guard S3Client.etagIsMD5(r) else { return nil }
        return root.value("ETag").map { S3Client.unquote($0).lowercased() }
    }

    func abortUpload(_ full: String, uploadId: String) throws {
        let call = S3Call(method: "DELETE", key: full, query: [("uploadId", uploadId)], what: "abort of a multipart upload of key '\(full)'", idempotent: true)
        let (r, sink) = try perform(call) { HTTPMemorySink(limit: 1 << 20) }
        if r.isSuccess || r.status == 404 { return }
        throw failure(r, body: sink.bytes, call: call, key: nil)
    }

    /// Fills `buffer` from `fd`; a file shorter than it was when it was measured is refused.
    static func readFully(_ fd: Int32, into buffer: inout [UInt8], file: String) throws {
        var off = 0
        while off < buffer.count {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress.map { $0 + off }, $0.count - off) }
            if n < 0 {
                if errno == EINTR { continue }
                throw OlleeyError(.failure, "read error on \(file): \(String(cString: strerror(errno)))")
            }
            if n == 0 { throw OlleeyError(.invalid, "\(file) became shorter during the upload; nothing was stored", hint: "upload it again once it no longer changes") }
            off += n
        }
    }
}
