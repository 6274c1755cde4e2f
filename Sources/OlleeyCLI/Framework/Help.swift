import OlleeyKit

/// Help text rendered from the command tree.
public enum Help {
    public static func render(_ node: CommandSpec, path: [String]) -> String {
        var out = ""
        let full = path.joined(separator: " ")
        out += "\(full) - \(node.abstract)\n\n"
        out += "Usage:\n  \(usage(node, path: path))\n"
        if !node.discussion.isEmpty { out += "\n" + node.discussion + "\n" }
        let subs = node.visibleSubcommands
        if !subs.isEmpty {
            out += "\nCommands:\n"
            let w = subs.map(\.name.count).max() ?? 0
            for s in subs { out += "  " + s.name.padding(w) + "  " + s.abstract + "\n" }
        }
        if !node.arguments.isEmpty {
            out += "\nArguments:\n"
            let w = node.arguments.map(\.usage.count).max() ?? 0
            for a in node.arguments { out += "  " + a.usage.padding(w) + "  " + a.help + "\n" }
        }
        let opts = node.visibleOptions
        if !opts.isEmpty {
            out += "\nOptions:\n" + optionLines(opts)
        }
        out += "\nGlobal options:\n" + optionLines(GlobalOptions.specs)
        if !node.examples.isEmpty {
            out += "\nExamples:\n"
            for e in node.examples { out += "  " + e + "\n" }
        }
        if !subs.isEmpty { out += "\nRun '\(full) COMMAND --help' for more about a command.\n" }
        return out
    }

    public static func usage(_ node: CommandSpec, path: [String]) -> String {
        var u = path.joined(separator: " ")
        if !node.subcommands.isEmpty && node.run == nil { return u + " COMMAND [OPTIONS]" }
        for a in node.arguments { u += " " + a.usage }
        if !node.visibleOptions.isEmpty { u += " [OPTIONS]" }
        return u
    }

    public static func optionSignature(_ o: OptionSpec) -> String {
        var s = o.short.map { "-\($0), " } ?? "    "
        s += "--" + o.long
        if let v = o.valueName { s += " " + v }
        return s
    }

    static func optionLines(_ opts: [OptionSpec]) -> String {
        let sigs = opts.map(optionSignature)
        let w = min(34, sigs.map(\.count).max() ?? 0)
        var out = ""
        for (o, sig) in zip(opts, sigs) {
            var h = o.help
            if let d = o.defaultValue { h += " (default: \(d))" }
            if sig.count > w { out += "  " + sig + "\n  " + "".padding(w) + "  " + h + "\n" } else { out += "  " + sig.padding(w) + "  " + h + "\n" }
        }
        return out
    }
}

extension String {
    func padding(_ width: Int) -> String { count >= width ? self : self + String(repeating: " ", count: width - count) }
}
