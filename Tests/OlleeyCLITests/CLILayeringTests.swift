import Foundation
import Testing

/// Issue 11: the CLI parses, calls OlleeyKit and renders; it holds no SQL (queries live in the
/// stores and services, read models in OlleeyKit).
@Suite("the CLI module holds no SQL")
struct CLILayeringTests {
    /// Lines of Sources/OlleeyCLI that hold SQL or call the database directly.
    static func offenders() throws -> [String] {
        let dir = repoRoot + "/Sources/OlleeyCLI"
        let sql = try NSRegularExpression(pattern: #"\b(SELECT .* FROM|INSERT INTO|DELETE FROM|UPDATE [a-z_]+ SET)\b"#, options: [.caseInsensitive])
        let direct = try NSRegularExpression(pattern: #"\b(db|database\(\))\.(query|queryOne|run|scalarInt|scalarText|execute)\("#)
        var found: [String] = []
        let files = FileManager.default.enumerator(atPath: dir)?.compactMap { $0 as? String }.filter { $0.hasSuffix(".swift") } ?? []
        for f in files.sorted() {
            let text = try String(contentsOfFile: dir + "/" + f, encoding: .utf8)
            for (n, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                let s = String(line), r = NSRange(s.startIndex..., in: s)
                if sql.firstMatch(in: s, range: r) != nil || direct.firstMatch(in: s, range: r) != nil { found.append("\(f):\(n + 1): \(s)") }
            }
        }
        return found
    }

    @Test("no SQL and no direct database query in Sources/OlleeyCLI")
    func noSQL() throws {
        #expect(FileManager.default.fileExists(atPath: repoRoot + "/Sources/OlleeyCLI/Commands/JobCommands.swift"), "the sources are where the test looks")
        let found = try CLILayeringTests.offenders()
        #expect(found.isEmpty, "move these into a store or service in OlleeyKit:\n\(found.joined(separator: "\n"))")
    }
}
