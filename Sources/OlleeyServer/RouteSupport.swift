import Foundation
import OlleeyHTTP
import OlleeyKit

// What every route group of the API shares: the middleware of an authenticated route, the JSON
// body as OlleeyKit's JSON, pagination, role checks through OlleeyKit's Permission table, and
// absolute signed URLs. Handlers stay thin mappings: rules live in OlleeyKit.

extension ServerEnvironment {
    /// The middleware of an authenticated API route: the caller (401 without), the standard
    /// per-user rate limit, OlleeyKit errors mapped inside (so the rate-limit headers are added).
    func authenticated(_ limits: RateLimits, queryToken: Bool = false) -> [any HTTPMiddleware] {
        [AuthMiddleware(env: self, allowQueryToken: queryToken), limits.standardMiddleware(), MapErrorsMiddleware()]
    }

    /// A signed link's absolute URL (`http://HOST/files/signed/TOKEN/NAME`): usable as a
    /// `<video src>` without an Authorization header.
    /// With media in an object store, a presigned URL of the object instead.
    func signedURL(_ link: SignedLink, _ req: HTTPRequest, db: Database) throws -> String {
        if let url = try JobFiles.presignedURL(link, workspace: workspace) { return url }
        return req.baseURL + link.routePath(key: try SigningKeys(db).urlKey())
    }
}

extension HTTPRequest {
    /// `http://HOST` of this request, from its `Host` field (the server binds 127.0.0.1 by
    /// default; behind a proxy that terminates TLS, `X-Forwarded-Proto: https` is honoured).
    var baseURL: String {
        let host = headers["Host"].flatMap { $0.isEmpty ? nil : $0 } ?? "127.0.0.1"
        let proto = headers["X-Forwarded-Proto"]?.lowercased() == "https" ? "https" : "http"
        return "\(proto)://\(host)"
    }

    /// The body as JSON (an object unless `allowAny`): 415 when the Content-Type is not JSON,
    /// 400 with line:column when it does not parse. An empty body is `{}`.
    func jsonObject(allowAny: Bool = false) throws(HTTPError) -> JSON {
        if let ct = headers["Content-Type"], !ct.isEmpty, !HTTPRequest.isJSONType(ct) {
            throw HTTPError(415, "the body must be application/json", code: "unsupported_media_type")
        }
        if body.allSatisfy({ $0 == 32 || $0 == 9 || $0 == 10 || $0 == 13 }) { return .object([]) }
        let j: JSON
        do { j = try JSON.parse(bytes: body, maxDepth: 64) } catch let e as JSONParseError {
            throw HTTPError(400, "the body is not valid JSON (\(e.line):\(e.column): \(e.message))", code: "invalid_json")
        } catch { throw HTTPError(400, "the body is not valid JSON", code: "invalid_json") }
        if !allowAny, j.objectValue == nil { throw HTTPError(400, "the body must be a JSON object", code: "invalid_json") }
        return j
    }

    static func isJSONType(_ contentType: String) -> Bool {
        let media = contentType.split(separator: ";", maxSplits: 1).first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        return media == "application/json" || (media.hasPrefix("application/") && media.hasSuffix("+json"))
    }

    /// A query parameter, nil when absent or empty (an empty value is no filter).
    func query(_ name: String) -> String? { queryValue(name).flatMap { $0.isEmpty ? nil : $0 } }

    /// A whole-number query parameter (400 naming it when it is not one).
    func queryInt(_ name: String) throws(HTTPError) -> Int? {
        guard let v = query(name) else { return nil }
        guard let n = Int(v) else { throw HTTPError(400, "\(name) must be a whole number", code: "usage") }
        return n
    }
}

extension JSON {
    /// A required string field of a request body (422 naming it when missing or not a string).
    func required(_ name: String) throws(HTTPError) -> String {
        guard let s = self[name]?.stringValue else { throw HTTPError(422, "field '\(name)' is required (a string)", code: "invalid") }
        return s
    }

    /// An optional string field (422 when present and not a string or null).
    func optional(_ name: String) throws(HTTPError) -> String? {
        guard let v = self[name], v != .null else { return nil }
        guard let s = v.stringValue else { throw HTTPError(422, "field '\(name)' must be a string", code: "invalid") }
        return s
    }

    /// An optional array of strings (422 when present and not one).
    func strings(_ name: String) throws(HTTPError) -> [String]? {
        guard let v = self[name], v != .null else { return nil }
        guard let a = v.arrayValue, let ss = Optional(a.compactMap(\.stringValue)), ss.count == a.count else {
            throw HTTPError(422, "field '\(name)' must be an array of strings", code: "invalid")
        }
        return ss
    }
}

extension Principal {
    /// Throws 403 unless the caller's role holds `permission` (`assigned`: the caller is the
    /// language's assigned linguist). The table is OlleeyKit's `Permission`.
    func require(_ permission: Permission, assigned: Bool = false) throws {
        try permission.check(role, assigned: assigned)
    }
}

/// One page of a list in the specs' envelope: `{"<key>": [...], "total", "page", "page_size",
/// "total_pages"}` (the root spec's Pagination section; `total_pages` is 0 for an empty list).
func pageEnvelope(_ key: String, _ items: [JSON], total: Int, page: Int, pageSize: Int) -> HTTPResponse {
    let pages = pageSize > 0 ? (total + pageSize - 1) / pageSize : 0
    return jsonResponse(.object([(key, .array(items)), ("total", .int(Int64(total))), ("page", .int(Int64(page))),
                                 ("page_size", .int(Int64(pageSize))), ("total_pages", .int(Int64(pages)))]))
}

/// The OpenAPI schema of a page envelope around `item`.
func pageSchema(_ key: String, item: [String: Any]) -> [String: Any] {
    let i: [String: Any] = ["type": "integer"]
    return ["type": "object", "additionalProperties": false, "required": [key, "total", "page", "page_size", "total_pages"],
            "properties": [key: ["type": "array", "items": item], "total": i, "page": i, "page_size": i, "total_pages": i]]
}

/// A strict OpenAPI object schema: every listed property required unless named in `optional`,
/// nothing else allowed (drift between a handler and its schema fails the schema checks).
func strictObject(_ props: [String: Any], optional: Set<String> = []) -> [String: Any] {
    ["type": "object", "additionalProperties": false,
     "required": props.keys.filter { !optional.contains($0) }.sorted(), "properties": props]
}
