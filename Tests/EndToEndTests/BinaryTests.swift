import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Runs the built release binary (`swift build -c release` first; scripts/test does).
enum Binary {
    static let root: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    static var path: String { ProcessInfo.processInfo.environment["OLLEEY_BIN"] ?? root + "/.build/release/olleey" }
    static var exists: Bool { FileManager.default.isExecutableFile(atPath: path) }

    struct Result { var exit: Int32; var stdout: String; var stderr: String }

    static func run(_ args: [String], cwd: String, env: [String: String] = [:], stdin: String? = nil) throws -> Result {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path)
        p.arguments = args
        p.currentDirectoryURL = URL(fileURLWithPath: cwd)
        var e = ProcessInfo.processInfo.environment
        e.removeValue(forKey: "OLLEEY_WORKSPACE")
        for (k, v) in env { e[k] = v }
        p.environment = e
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        if let stdin {
            let inp = Pipe()
            p.standardInput = inp
            try p.run()
            inp.fileHandleForWriting.write(Data(stdin.utf8))
            try inp.fileHandleForWriting.close()
        } else {
            p.standardInput = FileHandle.nullDevice
            try p.run()
        }
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let r = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return Result(exit: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: r, as: UTF8.self))
    }

    /// `bash -c SCRIPT` in `dir` with the environment of a user (no `OLLEEY_WORKSPACE`), in the
    /// background, standard input empty: the process, to wait on or signal.
    static func background(script: String, in dir: String) throws -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/bash")
        p.arguments = ["-c", script]
        p.currentDirectoryURL = URL(fileURLWithPath: dir)
        var e = ProcessInfo.processInfo.environment
        e.removeValue(forKey: "OLLEEY_WORKSPACE")
        p.environment = e
        p.standardInput = FileHandle.nullDevice
        try p.run()
        return p
    }

    /// The binary with `args` in the background, its stdout and stderr in `dir/NAME.out|err`.
    static func background(_ args: [String], in dir: String, name: String) throws -> Process {
        try background(script: "exec '\(path)' \(args.joined(separator: " ")) >'\(dir)/\(name).out' 2>'\(dir)/\(name).err'", in: dir)
    }

    /// SIGTERM, and SIGKILL when it has not exited 10 s later.
    static func stop(_ p: Process) {
        guard p.isRunning else { return }
        kill(p.processIdentifier, SIGTERM)
        if Tools.waitExit(p, limit: 10) == nil { kill(p.processIdentifier, SIGKILL); p.waitUntilExit() }
    }

    /// `olleey serve` on 127.0.0.1, port 0, in the background (`serve.out|err` in `dir`): the
    /// process and the port its first stderr line names.
    static func serve(in dir: String, _ extra: [String] = []) throws -> (Process, Int) {
        let p = try background(["serve", "--host", "127.0.0.1", "--port", "0"] + extra, in: dir, name: "serve")
        var first = ""
        for _ in 0..<200 {
            first = ((try? String(contentsOfFile: dir + "/serve.err", encoding: .utf8)) ?? "").split(separator: "\n").first.map(String.init) ?? ""
            if first.hasPrefix("listening on ") { break }
            usleep(50_000)
        }
        guard let port = first.firstMatch(of: /127\.0\.0\.1:(\d+)/).flatMap({ Int($0.1) }) else {
            stop(p)
            throw Failure("serve did not start; its first line: \(first)")
        }
        return (p, port)
    }

    static func tempDir() -> String {
        let p = NSTemporaryDirectory() + "olleey-e2e-" + UUID().uuidString
        try? FileManager.default.createDirectory(atPath: p, withIntermediateDirectories: true)
        return p
    }
}

@Suite("End to end: the built binary", .enabled(if: Binary.exists, "build the release binary first: swift build -c release"))
struct BinaryFoundationTests {
    @Test func initConfigAndErrors() throws {
        let dir = Binary.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(try Binary.run(["config", "list"], cwd: dir).exit == 78)
        let i = try Binary.run(["init", "--json"], cwd: dir)
        #expect(i.exit == 0 && i.stdout.contains(#""created":true"#))
        #expect(FileManager.default.fileExists(atPath: dir + "/.olleey/olleey.db"))
        #expect(try Binary.run(["config", "set", "job.parallel", "3"], cwd: dir).exit == 0)
        #expect(try Binary.run(["config", "get", "job.parallel"], cwd: dir).stdout == "3\n")
        let bad = try Binary.run(["frobnicate"], cwd: dir)
        #expect(bad.exit == 64 && bad.stderr.contains("error:"))
        #expect(try Binary.run(["--version"], cwd: dir).stdout.hasPrefix("olleey "))
    }
}
