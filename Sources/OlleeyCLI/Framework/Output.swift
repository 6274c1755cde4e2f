import Foundation
import OlleeyKit

/// Where a stream of output goes: a file descriptor, or a buffer (in-process tests).
public final class OutputSink: @unchecked Sendable {
    private let fd: Int32?
    private var buffer: [UInt8] = []
    private let lock = NSLock()
    public let isTTY: Bool

    public init(fd: Int32) {
        self.fd = fd
        self.isTTY = isatty(fd) == 1
    }

    public init(capturingTTY: Bool = false) {
        self.fd = nil
        self.isTTY = capturingTTY
    }

    public func write(_ s: String) {
        var s = s
        s.withUTF8 { write(bytes: UnsafeRawBufferPointer($0)) }
    }

    public func write(bytes: UnsafeRawBufferPointer) {
        guard bytes.count > 0, let base = bytes.baseAddress else { return }
        if let fd {
            var off = 0
            while off < bytes.count {
                let n = Foundation.write(fd, base + off, bytes.count - off)
                if n < 0 { if errno == EINTR { continue }; return }
                off += n
            }
        } else {
            lock.lock(); buffer.append(contentsOf: bytes); lock.unlock()
        }
    }

    public func write(_ bytes: [UInt8]) { bytes.withUnsafeBytes { write(bytes: $0) } }

    public func line(_ s: String) { write(s + "\n") }

    /// What was captured (buffer sinks only).
    public var captured: String { lock.lock(); defer { lock.unlock() }; return String(decoding: buffer, as: UTF8.self) }
}

/// A table for humans on a TTY (aligned, with a header) and TSV without header in pipes.
public struct Table {
    public var headers: [String]
    public var rows: [[String]]

    public init(_ headers: [String], _ rows: [[String]]) { self.headers = headers; self.rows = rows }

    public func render(tty: Bool) -> String {
        if !tty {
            return rows.map { $0.map(Table.tsvField).joined(separator: "\t") + "\n" }.joined()
        }
        if rows.isEmpty { return "" }
        var widths = headers.map(\.count)
        for r in rows { for (i, c) in r.enumerated() where i < widths.count { widths[i] = max(widths[i], c.count) } }
        func fmt(_ r: [String]) -> String {
            var line = ""
            for (i, c) in r.enumerated() {
                if i == r.count - 1 { line += c } else { line += c + String(repeating: " ", count: widths[i] - c.count + 2) }
            }
            return line + "\n"
        }
        return fmt(headers.map { $0.uppercased() }) + rows.map(fmt).joined()
    }

    static func tsvField(_ s: String) -> String {
        guard s.contains(where: { $0 == "\t" || $0 == "\n" || $0 == "\r" }) else { return s }
        return s.replacingOccurrences(of: "\t", with: " ").replacingOccurrences(of: "\r\n", with: " ").replacingOccurrences(of: "\n", with: " ")
    }
}
