import Foundation

public struct ReplyError: Error, CustomStringConvertible {
    public let description: String
    public init(_ d: String) { description = d }
}

/// A parsed HTTP response read to the end of its connection (Content-Length framing; the
/// server sends it for JSON and files).
public struct Reply {
    public var status: Int
    public var headers: [(String, String)]
    public var body: [UInt8]

    public init(parsing raw: [UInt8]) throws {
        let sep: [UInt8] = [13, 10, 13, 10]
        guard let end = (0..<max(0, raw.count - 3)).first(where: { Array(raw[$0..<$0 + 4]) == sep }) else { throw ReplyError("no response head") }
        let lines = String(decoding: raw[0..<end], as: UTF8.self).components(separatedBy: "\r\n")
        let statusParts = lines[0].split(separator: " ")
        guard statusParts.count >= 2, let s = Int(statusParts[1]) else { throw ReplyError("bad status line: \(lines[0])") }
        status = s
        headers = lines.dropFirst().compactMap { l in
            guard let c = l.firstIndex(of: ":") else { return nil }
            return (String(l[..<c]), String(l[l.index(after: c)...]).trimmingCharacters(in: .whitespaces))
        }
        body = Array(raw[(end + 4)...])
    }

    /// One request on its own connection (`Connection: close`) to 127.0.0.1:`port`, with
    /// `Host: host` (default `127.0.0.1:PORT`).
    public static func request(port: Int, _ method: String, _ path: String, body: [UInt8]? = nil, contentType: String = "application/json",
                               headers: [(String, String)] = [], host: String? = nil, timeout: Double = 30) throws -> Reply {
        var head = "\(method) \(path) HTTP/1.1\r\nHost: \(host ?? "127.0.0.1:\(port)")\r\nConnection: close\r\n"
        for (n, v) in headers { head += "\(n): \(v)\r\n" }
        if let body { head += "Content-Type: \(contentType)\r\nContent-Length: \(body.count)\r\n" } else if method != "GET" && method != "HEAD" { head += "Content-Length: 0\r\n" }
        head += "\r\n"
        return try Reply(parsing: Loopback.exchange(port: port, Array(head.utf8) + (body ?? []), timeout: timeout))
    }

    public func header(_ name: String) -> String? { headers.first { $0.0.lowercased() == name.lowercased() }?.1 }
    public func all(_ name: String) -> [String] { headers.filter { $0.0.lowercased() == name.lowercased() }.map(\.1) }
    public var text: String { String(decoding: body, as: UTF8.self) }
    public var json: [String: Any] { ((try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any]) ?? [:] }
    public var items: [[String: Any]] { json["items"] as? [[String: Any]] ?? [] }
    public var code: String? { json["code"] as? String }

    /// The value of the `refresh_token` cookie this response sets.
    public var refreshCookie: String? {
        for c in all("Set-Cookie") where c.hasPrefix("refresh_token=") {
            return String(c.dropFirst("refresh_token=".count).prefix { $0 != ";" })
        }
        return nil
    }
}
