import Foundation

/// Whether the external tools a test needs are installed (on `PATH`), for `.enabled(if:)`.
public enum ToolCheck {
    /// True when `tool` is an executable file in a `PATH` directory (or is a path to one).
    public static func installed(_ tool: String) -> Bool {
        if tool.contains("/") { return FileManager.default.isExecutableFile(atPath: tool) }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        return path.split(separator: ":").contains { FileManager.default.isExecutableFile(atPath: "\($0)/\(tool)") }
    }

    /// The tools of `tools` that are not installed, in order.
    public static func missing(_ tools: [String]) -> [String] { tools.filter { !installed($0) } }

    /// ffmpeg, ffprobe, espeak-ng and apertium: what a full job run needs.
    public static let media = ["ffmpeg", "ffprobe", "apertium", "espeak-ng"]
}
