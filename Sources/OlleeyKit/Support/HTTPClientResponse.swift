import Foundation

public struct HTTPClientResponse: Sendable {
    public var status: Int
    public var reason: String
    public var headers: [(String, String)]
    public var body: [UInt8]
    /// The URL that answered (after redirects).
    public var url: String

    public func header(_ name: String) -> String? {
        headers.first(where: { $0.0.caseInsensitiveCompare(name) == .orderedSame })?.1
    }
    public var text: String { String(decoding: body, as: UTF8.self) }
    public var isSuccess: Bool { (200..<300).contains(status) }
    /// The body parsed as JSON, or `OlleeyError(.invalid)`.
    public func json() throws -> JSON {
        do { return try JSON.parse(bytes: body) } catch {
            throw OlleeyError(.invalid, "\(url) answered with invalid JSON (\(error)): \(String(text.prefix(200)))")
        }
    }
}

extension HTTPClientResponse {
    func with(body: [UInt8]) -> HTTPClientResponse { var r = self; r.body = body; return r }
}
