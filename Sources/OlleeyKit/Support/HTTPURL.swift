import Foundation

/// A parsed `scheme://host[:port]/path?query` URL (http, https, file).
public struct HTTPURL: Sendable, Equatable, CustomStringConvertible {
    public var scheme: String
    public var host: String
    public var port: Int
    /// Path and query, starting with "/" (for file URLs: the file path).
    public var target: String

    public init(_ text: String) throws {
        guard let sep = text.range(of: "://") else { throw OlleeyError(.invalid, "not a URL: \(text)") }
        let scheme = text[..<sep.lowerBound].lowercased()
        let rest = String(text[sep.upperBound...])
        self.scheme = scheme
        if scheme == "file" {
            // file:///abs/path or file://localhost/abs/path
            var path = rest
            if path.hasPrefix("localhost/") { path.removeFirst("localhost".count) }
            guard path.hasPrefix("/") else { throw OlleeyError(.invalid, "file URL must be absolute: \(text)") }
            host = ""
            port = 0
            target = path.removingPercentEncoding ?? path
            return
        }
        guard scheme == "http" || scheme == "https" else {
            throw OlleeyError(.invalid, "unsupported URL scheme '\(scheme)' in \(text)", hint: "use http://, https:// or file://")
        }
        let hostEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) ?? rest.endIndex
        var authority = String(rest[..<hostEnd])
        if let at = authority.lastIndex(of: "@") { authority = String(authority[authority.index(after: at)...]) }
        var path = String(rest[hostEnd...])
        if let hash = path.firstIndex(of: "#") { path = String(path[..<hash]) }
        if path.isEmpty || path.hasPrefix("?") { path = "/" + path }
        var h = authority
        var p = scheme == "https" ? 443 : 80
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { throw OlleeyError(.invalid, "bad IPv6 host in \(text)") }
            h = String(authority[authority.index(after: authority.startIndex)..<close])
            let after = authority[authority.index(after: close)...]
            if after.hasPrefix(":") { guard let n = Int(after.dropFirst()) else { throw OlleeyError(.invalid, "bad port in \(text)") }; p = n }
        } else if let colon = authority.lastIndex(of: ":") {
            h = String(authority[..<colon])
            guard let n = Int(authority[authority.index(after: colon)...]), (1...65535).contains(n) else {
                throw OlleeyError(.invalid, "bad port in \(text)")
            }
            p = n
        }
        guard !h.isEmpty else { throw OlleeyError(.invalid, "URL has no host: \(text)") }
        host = h
        port = p
        target = path
    }

    public var isDefaultPort: Bool { (scheme == "http" && port == 80) || (scheme == "https" && port == 443) }
    public var hostHeader: String {
        let h = host.contains(":") ? "[\(host)]" : host
        return isDefaultPort ? h : "\(h):\(port)"
    }
    public var description: String { scheme == "file" ? "file://\(target)" : "\(scheme)://\(hostHeader)\(target)" }

    /// Resolves a redirect `Location` against this URL.
    public func resolving(_ location: String) throws -> HTTPURL {
        if location.contains("://") { return try HTTPURL(location) }
        if location.hasPrefix("//") { return try HTTPURL("\(scheme):\(location)") }
        if location.hasPrefix("/") { return try HTTPURL("\(scheme)://\(hostHeader)\(location)") }
        var base = target
        if let q = base.firstIndex(of: "?") { base = String(base[..<q]) }
        if let slash = base.lastIndex(of: "/") { base = String(base[...slash]) }
        return try HTTPURL("\(scheme)://\(hostHeader)\(base)\(location)")
    }
}
