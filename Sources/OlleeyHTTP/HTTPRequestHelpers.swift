import Foundation

extension HTTPRequest {
    /// The body decoded as JSON into `T`: 415 when the Content-Type is not JSON, 400
    /// (`invalid_json`) when the body is not valid JSON or not of T's shape. The decoder's text is
    /// never sent (it can quote the body).
    public func decodeJSON<T: Decodable>(_ type: T.Type, decoder: JSONDecoder = JSONDecoder()) throws(HTTPError) -> T {
        if let ct = headers["Content-Type"], !Self.isJSON(ct) {
            throw HTTPError(415, "the body must be application/json", code: "unsupported_media_type")
        }
        do { return try decoder.decode(T.self, from: Data(body)) } catch {
            throw HTTPError(400, "the body is not valid JSON for this request", code: "invalid_json")
        }
    }

    static func isJSON(_ contentType: String) -> Bool {
        let media = contentType.split(separator: ";", maxSplits: 1).first.map { $0.trimmingHTTPWhitespace().lowercased() } ?? ""
        return media == "application/json" || (media.hasPrefix("application/") && media.hasSuffix("+json"))
    }

    /// The token of `Authorization: Bearer <token>` (the scheme is case-insensitive, RFC 9110
    /// 11.1), or nil.
    public var bearerToken: String? {
        guard let v = headers["Authorization"] else { return nil }
        let parts = v.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        let token = parts[1].trimmingHTTPWhitespace()
        return token.isEmpty ? nil : token
    }

    /// A cookie's value from the `Cookie` fields, or nil.
    public func cookie(_ name: String) -> String? {
        for line in headers.all("Cookie") {
            for pair in line.split(separator: ";") {
                let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                if kv.count == 2, kv[0].trimmingHTTPWhitespace() == name { return kv[1].trimmingHTTPWhitespace() }
            }
        }
        return nil
    }
}
