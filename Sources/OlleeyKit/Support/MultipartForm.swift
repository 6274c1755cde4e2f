import Foundation

/// A multipart/form-data body.
public struct MultipartForm: Sendable {
    public let boundary: String
    private var parts: [[UInt8]] = []

    public init(boundary: String = "olleey-" + ID.uuid7().replacingOccurrences(of: "-", with: "")) {
        self.boundary = boundary
    }

    public var contentType: String { "multipart/form-data; boundary=\(boundary)" }

    private static func quoted(_ s: String) -> String {
        s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\r", with: " ").replacingOccurrences(of: "\n", with: " ")
    }

    public mutating func addField(_ name: String, _ value: String) {
        var p = Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(Self.quoted(name))\"\r\n\r\n".utf8)
        p += Array(value.utf8)
        p += Array("\r\n".utf8)
        parts.append(p)
    }

    public mutating func addFile(_ name: String, filename: String, contentType: String, data: [UInt8]) {
        var p = Array(("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(Self.quoted(name))\"; " +
                       "filename=\"\(Self.quoted(filename))\"\r\nContent-Type: \(contentType)\r\n\r\n").utf8)
        p += data
        p += Array("\r\n".utf8)
        parts.append(p)
    }

    public mutating func addFile(_ name: String, path: String, contentType: String) throws {
        let data = try readWholeFile(path)
        addFile(name, filename: (path as NSString).lastPathComponent, contentType: contentType, data: data)
    }

    public var body: [UInt8] {
        var out: [UInt8] = []
        for p in parts { out += p }
        out += Array("--\(boundary)--\r\n".utf8)
        return out
    }
}
