import Foundation
import Testing

/// Issue 12: SQL lives in the stores. A service states rules and calls a store; the read models
/// are built from what stores return. The exceptions are named: the database layer itself, the
/// job state machine (the one writer of `jobs.status`, by design), the audit log (one insert) and
/// the name-or-id lookup that the project, channel and glossary stores share.
@Suite("SQL only inside the stores")
struct LayeringTests {
    static let allowed = ["JobStateMachine.swift", "AuditLog.swift", "NamedLookup.swift"]

    @Test("no SQL and no direct database call in OlleeyKit outside *Store files and Database/")
    func sqlOnlyInStores() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Sources/OlleeyKit").path
        let sql = try NSRegularExpression(pattern: #"\b(SELECT .* FROM|INSERT INTO|DELETE FROM|UPDATE [a-z_]+ SET|CREATE TABLE)\b"#, options: [.caseInsensitive])
        let direct = try NSRegularExpression(pattern: #"\b(db|database)\.(query|queryOne|run|scalarInt|scalarText|execute|fetchAll|fetchOne)\("#)
        let files = FileManager.default.enumerator(atPath: root)?.compactMap { $0 as? String }.filter { $0.hasSuffix(".swift") } ?? []
        #expect(files.count > 50, "the sources were found at \(root)")
        var found: [String] = []
        for f in files.sorted() {
            let name = (f as NSString).lastPathComponent
            if f.hasPrefix("Database/") || name.contains("Store") || LayeringTests.allowed.contains(name) { continue }
            let text = try String(contentsOfFile: root + "/" + f, encoding: .utf8)
            for (n, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                let s = String(line), r = NSRange(s.startIndex..., in: s)
                if sql.firstMatch(in: s, range: r) != nil || direct.firstMatch(in: s, range: r) != nil { found.append("\(f):\(n + 1): \(s)") }
            }
        }
        #expect(found.isEmpty, "move these into a store:\n\(found.joined(separator: "\n"))")
    }
}
