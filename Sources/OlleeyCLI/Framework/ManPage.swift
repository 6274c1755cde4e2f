import OlleeyKit

/// roff man pages rendered from the command tree: olleey(1) and olleey-NOUN(1) per noun.
public enum ManPage {
    public static let section = "1"
    public static let date = "2026"

    public static func render(root: CommandSpec) -> [(file: String, content: String)] {
        var pages = [("olleey.1", main(root))]
        for noun in root.visibleSubcommands {
            pages.append(("olleey-\(noun.name).1", nounPage(noun)))
        }
        return pages
    }

    static func esc(_ s: String) -> String {
        var out = s.replacingAll("\\", "\\e")
        out = out.replacingAll("-", "\\-")
        if out.hasPrefix(".") || out.hasPrefix("'") { out = "\\&" + out }
        return out
    }

    static func header(_ name: String, _ abstract: String) -> String {
        ".TH \(esc(name.uppercased())) \(section) \"\(date)\" \"olleey \(OlleeyVersion.string)\" \"olleey manual\"\n.SH NAME\n\(esc(name)) \\- \(esc(abstract))\n"
    }

    static func options(_ opts: [OptionSpec]) -> String {
        var s = ""
        for o in opts where !o.hidden {
            s += ".TP\n\\fB" + esc(Help.optionSignature(o).trimmedBlanks) + "\\fR\n" + esc(o.help + (o.defaultValue.map { " (default: \($0))" } ?? "")) + "\n"
        }
        return s
    }

    static func main(_ root: CommandSpec) -> String {
        var s = header("olleey", root.abstract)
        s += ".SH SYNOPSIS\n\\fBolleey\\fR \\fINOUN\\fR \\fIVERB\\fR [\\fIARGS\\fR] [\\fIOPTIONS\\fR]\n"
        s += ".SH DESCRIPTION\n" + esc(root.discussion.isEmpty ? root.abstract : root.discussion).replacingAll("\n\n", "\n.PP\n") + "\n"
        s += ".SH COMMANDS\n"
        for n in root.visibleSubcommands {
            s += ".TP\n\\fBolleey \(esc(n.name))\\fR(1)\n\(esc(n.abstract))\n"
        }
        s += ".SH GLOBAL OPTIONS\n" + options(GlobalOptions.specs)
        s += ".TP\n\\fB\\-\\-version\\fR\nprint the version\n"
        s += ".SH EXIT STATUS\n"
        for e in ExitCodes.table { s += ".TP\n\\fB\(e.code)\\fR\n\(esc(e.meaning))\n" }
        s += ".SH ENVIRONMENT\n.TP\n\\fBOLLEEY_WORKSPACE\\fR\nthe workspace directory when \\fB\\-\\-workspace\\fR is not given\n.TP\n\\fBNO_COLOR\\fR\ndisable colors\n"
        s += ".SH FILES\n.TP\n\\fI.olleey/olleey.db\\fR\nthe workspace database (SQLite, WAL)\n.TP\n\\fI.olleey/media/\\fR, \\fI.olleey/cache/\\fR, \\fI.olleey/outputs/\\fR\nsource media, stage artefacts and outputs\n"
        s += ".SH SEE ALSO\n" + root.visibleSubcommands.map { "\\fBolleey\\-\(esc($0.name))\\fR(1)" }.joined(separator: ", ") + "\n"
        return s
    }

    static func nounPage(_ noun: CommandSpec) -> String {
        var s = header("olleey-\(noun.name)", noun.abstract)
        let leaves = noun.walk(["olleey"]).filter { $0.1.run != nil }
        s += ".SH SYNOPSIS\n"
        for (path, n) in leaves { s += "\\fB\(esc(path.joined(separator: " ")))\\fR" + esc(String(Help.usage(n, path: path).dropFirst(path.joined(separator: " ").count))) + "\n.br\n" }
        if !noun.discussion.isEmpty { s += ".SH DESCRIPTION\n" + esc(noun.discussion).replacingAll("\n\n", "\n.PP\n") + "\n" }
        s += ".SH COMMANDS\n"
        for (path, n) in leaves {
            s += ".SS \(esc(path.joined(separator: " ")))\n\(esc(n.abstract))\n"
            if !n.discussion.isEmpty { s += ".PP\n" + esc(n.discussion).replacingAll("\n\n", "\n.PP\n") + "\n" }
            for a in n.arguments { s += ".TP\n\\fI\(esc(a.usage))\\fR\n\(esc(a.help))\n" }
            s += options(n.options)
            if !n.examples.isEmpty {
                s += ".PP\nExamples:\n.PP\n.nf\n.RS 4\n" + n.examples.map(esc).joined(separator: "\n") + "\n.RE\n.fi\n"
            }
        }
        s += ".SH SEE ALSO\n\\fBolleey\\fR(1)\n"
        return s
    }
}
