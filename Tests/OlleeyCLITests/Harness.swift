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

/// `tty`: stdout and stderr act as a terminal (what a person at a terminal gets: tables, live progress).
func olleey(_ args: [String], cwd: String, env: [String: String] = [:], stdin: String = "", tty: Bool = false) -> CLIResult {
    let out = OutputSink(capturingTTY: tty)
    let err = OutputSink(capturingTTY: tty)
    let input = Array(stdin.utf8)
    let code = CLI.run(args, environment: env, cwd: cwd, stdout: out, stderr: err, stdin: { input })
    return CLIResult(exit: code, stdout: out.captured, stderr: err.captured)
}

/// The repository root, found from this source file.
let repoRoot: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url.path
}()
