import OlleeyKit

/// The result of parsing argv against the tree.
public struct ParsedArguments: Sendable {
    public var path: [String] = []            // e.g. ["olleey", "vtt", "shift"]
    public var values: [String: [String]] = [:]  // option long name -> values, in order
    public var flags: Set<String> = []
    public var positionals: [String] = []

    public init() {}

    public func has(_ flag: String) -> Bool { flags.contains(flag) }

    public func string(_ name: String) -> String? { values[name]?.last }

    /// Every value of a repeatable option, comma-separated values split.
    public func list(_ name: String) -> [String] { Values.list(values[name] ?? []) }

    /// Every raw value, in order (no comma splitting).
    public func all(_ name: String) -> [String] { values[name] ?? [] }

    public func int(_ name: String) -> Int? { string(name).flatMap { Int($0) } }
    public func double(_ name: String) -> Double? { string(name).flatMap { Double($0) } }
    public func duration(_ name: String) -> Int64? { string(name).flatMap { Values.duration($0) } }

    public func positional(_ i: Int) -> String? { i < positionals.count ? positionals[i] : nil }
}

/// What the parser decided: run a command, or show help for a node.
public enum ParseOutcome {
    case run(CommandSpec, ParsedArguments)
    case help(CommandSpec, [String])
    case version
}

public enum ArgParser {
    public static func parse(_ argv: [String], root: CommandSpec) throws -> ParseOutcome {
        var node = root
        var parsed = ParsedArguments()
        parsed.path = [root.name]
        var wantsHelp = false
        var i = 0
        var onlyPositionals = false

        func options(of n: CommandSpec) -> [OptionSpec] { n.options + GlobalOptions.specs }

        func usage(_ m: String, hint: String? = nil) -> OlleeyError {
            OlleeyError.usage(m, hint: hint ?? "run '\(parsed.path.joined(separator: " ")) --help'")
        }

        func store(_ opt: OptionSpec, _ value: String?) throws {
            if opt.isFlag {
                if let value { throw usage("--\(opt.long) does not take a value (got '\(value)')") }
                parsed.flags.insert(opt.long)
                return
            }
            guard let value else { throw usage("--\(opt.long) needs a value (\(opt.valueName ?? "VALUE"))") }
            let parts = opt.type == .list ? Values.list([value]) : [value]
            for p in parts {
                if let why = Values.check(p, opt.type) { throw usage("invalid value '\(p)' for --\(opt.long): \(why)") }
            }
            if !opt.repeatable, parsed.values[opt.long] != nil, node.name != "help" {
                // last one wins, as in most CLIs; repeated single options are allowed but not accumulated
                parsed.values[opt.long] = [value]
            } else {
                parsed.values[opt.long, default: []].append(value)
            }
        }

        while i < argv.count {
            let t = argv[i]
            i += 1
            if onlyPositionals { parsed.positionals.append(t); continue }
            if t == "--" { onlyPositionals = true; continue }
            if t.hasPrefix("--") {
                let body = t.dropFirst(2)
                let name: String
                var value: String?
                if let eq = body.firstIndex(of: "=") { name = String(body[..<eq]); value = String(body[body.index(after: eq)...]) } else { name = String(body) }
                if name == "version" && node.name == root.name && parsed.path.count == 1 { return .version }
                guard let opt = options(of: node).first(where: { $0.long == name }) else {
                    let all = options(of: node).filter { !$0.hidden }.map(\.long) + (parsed.path.count == 1 ? ["version"] : [])
                    let near = Suggest.closest(name, among: all)
                    throw usage("unknown option --\(name) for '\(parsed.path.joined(separator: " "))'",
                                hint: near.isEmpty ? nil : "did you mean \(near.map { "--\($0)" }.joined(separator: " or "))?")
                }
                if opt.long == "help" { wantsHelp = true; continue }
                if !opt.isFlag && value == nil {
                    guard i < argv.count else { throw usage("--\(opt.long) needs a value (\(opt.valueName ?? "VALUE"))") }
                    value = argv[i]; i += 1
                }
                try store(opt, value)
                continue
            }
            if t.hasPrefix("-") && t.count > 1 && !looksLikeNegativeNumber(t) {
                // short options, possibly clustered: -qv, -o FILE, -oFILE
                var chars = Array(t.dropFirst())
                while !chars.isEmpty {
                    let c = chars.removeFirst()
                    guard let opt = options(of: node).first(where: { $0.short == c }) else {
                        throw usage("unknown option -\(c) for '\(parsed.path.joined(separator: " "))'")
                    }
                    if opt.long == "help" { wantsHelp = true; continue }
                    if opt.isFlag { try store(opt, nil); continue }
                    var value: String
                    if !chars.isEmpty { value = String(chars); chars = [] } else {
                        guard i < argv.count else { throw usage("-\(c) needs a value (\(opt.valueName ?? "VALUE"))") }
                        value = argv[i]; i += 1
                    }
                    if value.hasPrefix("=") { value.removeFirst() }
                    try store(opt, value)
                }
                continue
            }
            // a word: a subcommand while the node has them, else a positional
            if !node.subcommands.isEmpty && parsed.positionals.isEmpty {
                if let sub = node.subcommand(t) {
                    node = sub
                    parsed.path.append(sub.name)
                    continue
                }
                if node.run == nil {
                    let near = Suggest.closest(t, among: node.visibleSubcommands.map(\.name))
                    let what = parsed.path.count == 1 ? "unknown command '\(t)'" : "unknown command '\(t)' for '\(parsed.path.joined(separator: " "))'"
                    throw usage(what, hint: near.isEmpty ? "run '\(parsed.path.joined(separator: " ")) --help' to see the commands"
                                                         : "did you mean \(near.map { "'\(parsed.path.dropFirst().joined(separator: " ") + (parsed.path.count > 1 ? " " : "") + $0)'" }.joined(separator: " or "))?")
                }
            }
            parsed.positionals.append(t)
        }

        if wantsHelp { return .help(node, parsed.path) }
        guard node.run != nil else {
            if parsed.path.count == 1 { return .help(node, parsed.path) }
            throw OlleeyError.usage("'\(parsed.path.joined(separator: " "))' needs a command: \(node.visibleSubcommands.map(\.name).joined(separator: ", "))",
                                    hint: "run '\(parsed.path.joined(separator: " ")) --help'")
        }
        try checkArguments(node, parsed)
        return .run(node, parsed)
    }

    static func looksLikeNegativeNumber(_ t: String) -> Bool {
        guard t.count > 1, t.first == "-" else { return false }
        let second = t[t.index(after: t.startIndex)]
        return second.isNumber || second == "."
    }

    static func checkArguments(_ node: CommandSpec, _ parsed: ParsedArguments) throws {
        let required = node.arguments.filter { !$0.optional }.count
        let variadic = node.arguments.contains { $0.variadic }
        let path = parsed.path.joined(separator: " ")
        if parsed.positionals.count < required {
            let missing = node.arguments.filter { !$0.optional }[parsed.positionals.count]
            throw OlleeyError.usage("'\(path)' needs \(missing.name) (\(missing.help))", hint: "run '\(path) --help'")
        }
        if !variadic && parsed.positionals.count > node.arguments.count {
            let extra = parsed.positionals[node.arguments.count]
            let near = node.subcommands.isEmpty ? [] : Suggest.closest(extra, among: node.visibleSubcommands.map(\.name))
            throw OlleeyError.usage("unexpected argument '\(extra)' for '\(path)'",
                                    hint: near.isEmpty ? "run '\(path) --help'" : "did you mean '\(near[0])'?")
        }
    }
}
