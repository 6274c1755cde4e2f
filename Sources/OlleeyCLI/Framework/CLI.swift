import Foundation
import OlleeyKit

/// The entry point: argv in, exit code out. In-process tests call `run` with buffer sinks.
public enum CLI {
    public static func main() -> Never {
        let argv = Array(CommandLine.arguments.dropFirst())
        let env = ProcessInfo.processInfo.environment
        let cwd = FileManager.default.currentDirectoryPath
        let code = run(argv, environment: env, cwd: cwd, stdout: OutputSink(fd: 1), stderr: OutputSink(fd: 2),
                       stdin: { FileIO.readStandardInput() })
        exit(code)
    }

    public static func run(_ argv: [String], environment: [String: String], cwd: String,
                           stdout: OutputSink, stderr: OutputSink,
                           stdin: @escaping @Sendable () -> [UInt8] = { [] }) -> Int32 {
        let root = RootCommand.spec
        let wantsJSON = argv.contains("--json") || argv.contains { $0.hasPrefix("--fields") }
        let color = stderr.isTTY && !argv.contains("--no-color") && (environment["NO_COLOR"] ?? "").isEmpty
        do {
            switch try ArgParser.parse(argv, root: root) {
            case .version:
                stdout.write("olleey \(OlleeyVersion.string)\n")
                return 0
            case let .help(node, path):
                stdout.write(Help.render(node, path: path))
                return 0
            case let .run(node, parsed):
                let ctx = Context(args: parsed, environment: environment, cwd: cwd, stdout: stdout, stderr: stderr, stdin: stdin)
                guard let body = node.run else { return 64 }
                return try body(ctx)
            }
        } catch let e as OlleeyError {
            report(e, stderr: stderr, json: wantsJSON, color: color)
            return e.code.exitCode
        } catch {
            // a database failure (or anything else a service let through), by its one mapping
            let e = OlleeyError.from(error)
            report(e, stderr: stderr, json: wantsJSON, color: color)
            return e.code.exitCode
        }
    }

    /// An error's hint as the command line says it: its words, then its next actions as flags,
    /// `config set` and command lines.
    public static func phrase(_ e: OlleeyError) -> String? {
        let steps = e.next.map(phrase)
        let parts = (e.hint.map { [$0] } ?? []) + steps
        return parts.isEmpty ? nil : parts.joined(separator: "; ")
    }

    public static func phrase(_ n: NextAction) -> String {
        switch n {
        case let .input(name, example): return "pass --\(name)" + (example.map { " \($0)" } ?? "")
        case let .setting(key, example): return "olleey config set \(key) \(example ?? "VALUE")"
        case let .command(action, args, options):
            func word(_ w: String) -> String { w.isEmpty || w.contains(where: { $0 == " " || $0 == "'" || $0 == "\"" }) ? "\"\(w)\"" : w }
            let opts = options.sorted { $0.key < $1.key }.map { $0.value.isEmpty ? "--\($0.key)" : "--\($0.key) \(word($0.value))" }
            return "run '" + (["olleey", action] + args.map(word) + opts).joined(separator: " ") + "'"
        }
    }

    static func report(_ e: OlleeyError, stderr: OutputSink, json: Bool, color: Bool) {
        let label = color ? "\u{1B}[1;31merror:\u{1B}[0m " : "error: "
        stderr.write(label + e.message + "\n")
        let hint = phrase(e)
        if let h = hint { stderr.write((color ? "\u{1B}[2mhint:\u{1B}[0m " : "hint: ") + h + "\n") }
        if json {
            var err: [(String, JSON)] = [("code", .string(e.code.rawValue)), ("message", .string(e.message))]
            if let h = hint { err.append(("hint", .string(h))) }
            if !e.next.isEmpty { err.append(("next", .array(e.next.map(\.json)))) }
            err.append(("exit_code", .int(Int64(e.code.exitCode))))
            stderr.write(JSON.object([("error", .object(err))]).encoded() + "\n")
        }
    }
}

extension FileIO {
    static func readStandardInput() -> [UInt8] { (try? FileIO.read("-")) ?? [] }
}
