import Foundation

/// How many seconds of media a running call has processed, reported as it goes (from any
/// thread, non-decreasing within one call). `MediaToolkit.reporting` hands one to the toolkit.
public typealias MediaProgress = @Sendable (_ seconds: Double) -> Void

/// Reads what `ffmpeg -progress pipe:1` writes, incrementally, as the bytes arrive: blocks of
/// `key=value` lines, each block ended by `progress=continue` (or `progress=end` for the last).
/// The position is `out_time_us` (microseconds); `out_time_ms` is read as microseconds too (ffmpeg
/// writes the same number under both names), and `out_time` (`HH:MM:SS.micro`) when neither is
/// there. `N/A` (no frame written yet) and negative positions are ignored. A line split across
/// reads is joined before it is read.
public struct FFmpegProgressParser: Sendable {
    /// One block of ffmpeg's progress output.
    public struct Update: Sendable, Equatable {
        /// Seconds of output written (nil: ffmpeg did not know yet).
        public var seconds: Double?
        /// The last block (`progress=end`).
        public var end: Bool
        public init(seconds: Double?, end: Bool) { self.seconds = seconds; self.end = end }
    }

    private var partial: [UInt8] = []
    private var micros: Int64?
    private var fromOutTime = false

    public init() {}

    /// Feeds bytes as they were read; returns the blocks they completed.
    public mutating func feed<C: Collection>(_ bytes: C) -> [Update] where C.Element == UInt8 {
        var out: [Update] = []
        for b in bytes {
            if b == UInt8(ascii: "\n") {
                if let u = line(partial) { out.append(u) }
                partial.removeAll(keepingCapacity: true)
            } else if partial.count < 4096 {  // a line longer than this is not one of ffmpeg's
                partial.append(b)
            }
        }
        return out
    }

    /// The end of the stream: a last line without its newline is read.
    public mutating func finish() -> [Update] {
        defer { partial.removeAll() }
        return line(partial).map { [$0] } ?? []
    }

    private mutating func line(_ bytes: [UInt8]) -> Update? {
        var text = String(decoding: bytes, as: UTF8.self)
        if text.hasSuffix("\r") { text.removeLast() }
        guard let eq = text.firstIndex(of: "=") else { return nil }
        let key = text[..<eq].trimmingCharacters(in: .whitespaces)
        let value = text[text.index(after: eq)...].trimmingCharacters(in: .whitespaces)
        switch key {
        case "out_time_us", "out_time_ms":
            if let v = Int64(value), v >= 0 { micros = v; fromOutTime = false }
        case "out_time":
            // only when no microsecond count came in this block
            if micros == nil || fromOutTime, let v = FFmpegProgressParser.clock(value) { micros = v; fromOutTime = true }
        case "progress":
            let u = Update(seconds: micros.map { Double($0) / 1_000_000 }, end: value == "end")
            micros = nil
            fromOutTime = false
            return u
        default:
            break
        }
        return nil
    }

    /// `HH:MM:SS.ffffff` as microseconds (nil for `N/A`, a negative time or anything else).
    static func clock(_ s: String) -> Int64? {
        let parts = s.split(separator: ":")
        guard parts.count == 3, let h = Int64(parts[0]), let m = Int64(parts[1]), h >= 0, m >= 0 else { return nil }
        let sec = parts[2].split(separator: ".", maxSplits: 1)
        guard let whole = Int64(sec[0]), whole >= 0 else { return nil }
        var micros: Int64 = 0
        if sec.count == 2 {
            let digits = String(sec[1].prefix(6))
            guard let f = Int64(digits), !digits.isEmpty else { return nil }
            micros = f * Int64(pow(10, Double(6 - digits.count)))
        }
        return ((h * 60 + m) * 60 + whole) * 1_000_000 + micros
    }
}

/// One ffmpeg run's progress pipe: the parser and where its positions go. Fed only by the
/// thread that supervises the run (`Subprocess.onStdout`).
final class FFmpegProgressSink: @unchecked Sendable {
    private var parser = FFmpegProgressParser()
    private let report: MediaProgress
    private var last = -1.0

    init(_ report: @escaping MediaProgress) { self.report = report }

    func feed(_ bytes: UnsafeRawBufferPointer) {
        for u in parser.feed(bytes) { deliver(u) }
    }

    func finish() {
        for u in parser.finish() { deliver(u) }
    }

    private func deliver(_ u: FFmpegProgressParser.Update) {
        guard let s = u.seconds, s > last else { return }
        last = s
        report(s)
    }
}
