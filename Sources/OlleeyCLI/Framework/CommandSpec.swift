import OlleeyKit

/// How the shell completes a value.
public enum Completion: Sendable, Equatable {
    case none
    case files([String])   // extensions; empty = any file
    case directories
    case values([String])
}

/// The type of an option's value, checked by the parser so a bad value is a usage error (64).
public enum ValueType: Sendable, Equatable {
    case string
    case int
    case double
    case duration   // 1.5s, -250ms, 00:01:02.500, 3m -> milliseconds
    case path
    case list       // comma-separated and/or repeated
    case choice([String])
}

public struct OptionSpec: Sendable {
    public var long: String
    public var short: Character?
    public var help: String
    public var valueName: String?   // nil: a flag
    public var type: ValueType
    public var repeatable: Bool
    public var defaultValue: String?
    public var completion: Completion
    public var hidden: Bool

    public var isFlag: Bool { valueName == nil }

    /// A boolean flag.
    public static func flag(_ long: String, short: Character? = nil, _ help: String, hidden: Bool = false) -> OptionSpec {
        OptionSpec(long: long, short: short, help: help, valueName: nil, type: .string, repeatable: false,
                   defaultValue: nil, completion: .none, hidden: hidden)
    }

    /// An option that takes a value.
    public static func option(_ long: String, short: Character? = nil, _ valueName: String, _ help: String,
                              type: ValueType = .string, repeatable: Bool = false, default d: String? = nil,
                              completion: Completion? = nil, hidden: Bool = false) -> OptionSpec {
        var comp = completion ?? .none
        if completion == nil {
            switch type {
            case .path: comp = .files([])
            case let .choice(c): comp = .values(c)
            default: break
            }
        }
        return OptionSpec(long: long, short: short, help: help, valueName: valueName, type: type,
                          repeatable: repeatable || type == .list, defaultValue: d, completion: comp, hidden: hidden)
    }
}

public struct ArgumentSpec: Sendable {
    public var name: String
    public var help: String
    public var optional: Bool
    public var variadic: Bool
    public var completion: Completion

    public init(_ name: String, _ help: String, optional: Bool = false, variadic: Bool = false, completion: Completion = .none) {
        self.name = name; self.help = help; self.optional = optional; self.variadic = variadic; self.completion = completion
    }

    public var usage: String {
        let core = variadic ? "\(name)..." : name
        return optional ? "[\(core)]" : core
    }
}

public typealias CommandRun = @Sendable (Context) throws -> Int32

/// A node of the command tree: a noun (with subcommands) or a leaf verb (with `run`).
public struct CommandSpec: Sendable {
    public var name: String
    public var abstract: String
    public var discussion: String
    public var examples: [String]
    public var arguments: [ArgumentSpec]
    public var options: [OptionSpec]
    public var subcommands: [CommandSpec]
    public var run: CommandRun?
    public var hidden: Bool

    public init(_ name: String, _ abstract: String, discussion: String = "", examples: [String] = [],
                arguments: [ArgumentSpec] = [], options: [OptionSpec] = [], subcommands: [CommandSpec] = [],
                hidden: Bool = false, run: CommandRun? = nil) {
        self.name = name; self.abstract = abstract; self.discussion = discussion; self.examples = examples
        self.arguments = arguments; self.options = options; self.subcommands = subcommands
        self.hidden = hidden; self.run = run
    }

    public func subcommand(_ name: String) -> CommandSpec? { subcommands.first { $0.name == name } }

    public var visibleSubcommands: [CommandSpec] { subcommands.filter { !$0.hidden } }
    public var visibleOptions: [OptionSpec] { options.filter { !$0.hidden } }

    /// Every (path, node) in the tree, depth first.
    public func walk(_ path: [String] = []) -> [([String], CommandSpec)] {
        let here = path + [name]
        var out = [(here, self)]
        for s in subcommands where !s.hidden { out += s.walk(here) }
        return out
    }
}

/// Options every command accepts.
public enum GlobalOptions {
    public static let specs: [OptionSpec] = [
        .option("workspace", "PATH", "workspace directory (else $OLLEEY_WORKSPACE, else the nearest .olleey/ upwards)",
                type: .path, completion: .directories),
        .flag("json", "print JSON (one document; NDJSON for streams)"),
        .option("fields", "LIST", "print only these JSON fields (implies --json)", type: .list),
        .flag("quiet", short: "q", "print only errors"),
        .flag("verbose", short: "v", "print more detail on stderr"),
        .flag("no-color", "no colors (also when NO_COLOR is set)"),
        .flag("help", short: "h", "show help for the command"),
    ]
}
