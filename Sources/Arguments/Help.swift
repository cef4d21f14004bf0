extension CommandSpec {
    /// The usage line: `quarry search [OPTIONS] QUERY...`.
    public var usage: String {
        var parts = [path]
        if options.count > 0 { parts.append("[OPTIONS]") }
        for positional in positionals {
            var word = positional.name + (positional.variadic ? "..." : "")
            if positional.optional { word = "[\(word)]" }
            parts.append(word)
        }
        return "usage: " + parts.joined(separator: " ")
    }

    /// The full `--help` text: summary, usage, arguments, options, discussion.
    public var helpText: String {
        var lines = [summary, "", usage]
        if !positionals.isEmpty {
            lines += ["", "Arguments:"]
            lines += aligned(positionals.map { ($0.name, $0.help) })
        }
        lines += ["", "Options:"]
        lines += aligned(options.map { (optionLabel($0), $0.help + ($0.repeatable ? " (repeatable)" : "")) })
        if !discussion.isEmpty {
            lines += ["", discussion]
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private func optionLabel(_ option: OptionSpec) -> String {
        let short = option.short.map { "-\($0), " } ?? "    "
        let value = option.valueName.map { " \($0)" } ?? ""
        return short + "--" + option.name + value
    }
}

/// Two columns, the second aligned after the widest first column.
func aligned(_ rows: [(String, String)]) -> [String] {
    let width = rows.map(\.0.count).max() ?? 0
    return rows.map { label, text in
        "  " + label + String(repeating: " ", count: width - label.count + 2) + text
    }
}

/// A group of subcommands (`quarry`, `quarry model`) for the top-level help.
public struct CommandGroup: Sendable {
    public var path: String
    public var summary: String
    public var commands: [(name: String, summary: String)]
    public var footer: String

    public init(path: String, summary: String, commands: [(name: String, summary: String)], footer: String = "") {
        self.path = path
        self.summary = summary
        self.commands = commands
        self.footer = footer
    }

    public var helpText: String {
        var lines = [summary, "", "usage: \(path) <command> [OPTIONS] [ARGS]", "", "Commands:"]
        lines += aligned(commands.map { ($0.name, $0.summary) })
        if !footer.isEmpty { lines += ["", footer] }
        return lines.joined(separator: "\n") + "\n"
    }
}
