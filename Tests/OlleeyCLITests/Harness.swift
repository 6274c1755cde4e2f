import Foundation
import OlleeyCLI
import OlleeyKit

/// Runs olleey in-process with captured stdout and stderr.
struct CLIResult {
    var exit: Int32
    var stdout: String
    var stderr: String

    func json() throws -> JSON { try JSON.parse(stdout) }
}

func olleey(_ args: [String], cwd: String, env: [String: String] = [:], stdin: String = "") -> CLIResult {
    let out = OutputSink()
    let err = OutputSink()
    let input = Array(stdin.utf8)
    let code = CLI.run(args, environment: env, cwd: cwd, stdout: out, stderr: err, stdin: { input })
    return CLIResult(exit: code, stdout: out.captured, stderr: err.captured)
}

final class TempDir: @unchecked Sendable {
    let path: String

    init(_ label: String = "olleey-cli") {
        var template = Array((NSTemporaryDirectory() + "/\(label).XXXXXX").utf8CString)
        let p = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        path = p.map { String(cString: $0) } ?? NSTemporaryDirectory() + "/\(label)-\(UUID().uuidString)"
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    func file(_ name: String) -> String { path + "/" + name }

    @discardableResult
    func write(_ name: String, _ text: String) -> String {
        let p = file(name)
        FileManager.default.createFile(atPath: p, contents: Data(text.utf8))
        return p
    }

    func read(_ name: String) -> String? {
        FileManager.default.contents(atPath: file(name)).map { String(decoding: $0, as: UTF8.self) }
    }
}

/// The repository root, found from this source file.
let repoRoot: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url.path
}()
