/// A small, dependency-free command-line parser.
///
/// A command declares its options and positionals in a `CommandSpec`; `parse`
/// turns `argv` into `ParsedArguments` or throws an `ArgumentError` whose
/// description is one line a user can act on. The same spec renders `--help`.
///
/// Accepted forms: `--name value`, `--name=value`, `-k 5`, `-k5`, flags
/// `--json`, `-h`, and `--` to end options (everything after is positional).

/// One option (`--rev REV`, `-k N`, `--json`).
public struct OptionSpec: Sendable, Hashable {
    /// Long name without dashes, e.g. `rev`. Also the key in `ParsedArguments`.
    public var name: String
    /// Optional one-letter short name, e.g. `k` for `-k`.
    public var short: Character?
    /// Placeholder shown in help (`REV`); nil for a flag that takes no value.
    public var valueName: String?
    /// Whether the option may be given several times (values accumulate).
    public var repeatable: Bool
    /// One-line help.
    public var help: String

    public init(_ name: String, short: Character? = nil, value valueName: String? = nil,
                repeatable: Bool = false, help: String) {
        self.name = name
        self.short = short
        self.valueName = valueName
        self.repeatable = repeatable
        self.help = help
    }

    /// Whether this option is a flag (takes no value).
    public var isFlag: Bool { valueName == nil }

    /// A flag: `--json`.
    public static func flag(_ name: String, short: Character? = nil, help: String) -> OptionSpec {
        OptionSpec(name, short: short, help: help)
    }
}

/// One positional argument (`PATH`, `QUERY`).
public struct PositionalSpec: Sendable, Hashable {
    public var name: String
    public var optional: Bool
    /// Whether it soaks up all remaining positionals (`QUERY...`).
    public var variadic: Bool
    public var help: String

    public init(_ name: String, optional: Bool = false, variadic: Bool = false, help: String) {
        self.name = name
        self.optional = optional
        self.variadic = variadic
        self.help = help
    }
}

/// The grammar of one command.
public struct CommandSpec: Sendable {
    /// Full command path as typed, e.g. `quarry index` or `quarry model add`.
    public var path: String
    public var summary: String
    /// Longer explanation and examples shown by `--help`.
    public var discussion: String
    public var options: [OptionSpec]
    public var positionals: [PositionalSpec]

    public init(path: String, summary: String, discussion: String = "",
                options: [OptionSpec] = [], positionals: [PositionalSpec] = []) {
        self.path = path
        self.summary = summary
        self.discussion = discussion
        // Every command understands --help.
        self.options = options + [.flag("help", short: "h", help: "Show this help and exit.")]
        self.positionals = positionals
    }
}

/// A usage mistake. `description` is the one line printed after `quarry: `.
public enum ArgumentError: Error, Equatable, CustomStringConvertible {
    case unknownOption(String, suggestion: String?)
    case missingValue(option: String)
    case unexpectedValue(option: String)
    case unexpectedArgument(String)
    case missingArgument(String)
    case invalidValue(option: String, value: String, expected: String)
    case repeatedOption(String)

    public var description: String {
        switch self.printable {
        case let .unknownOption(option, suggestion):
            if let suggestion { return "unknown option '\(option)' (did you mean '\(suggestion)'?)" }
            return "unknown option '\(option)'"
        case let .missingValue(option):
            return "option '\(option)' needs a value"
        case let .unexpectedValue(option):
            return "option '\(option)' takes no value"
        case let .unexpectedArgument(argument):
            return "unexpected argument '\(argument)'"
        case let .missingArgument(name):
            return "missing argument \(name)"
        case let .invalidValue(option, value, expected):
            return "invalid value '\(value)' for '\(option)': expected \(expected)"
        case let .repeatedOption(option):
            return "option '\(option)' given more than once"
        }
    }
}

extension ArgumentError {
    /// The same error with control characters in what the user typed escaped
    /// (`\n`, `\u{1B}`), so its description stays one line.
    var printable: ArgumentError {
        let shown = ArgumentError.printable(_:)
        switch self {
        case let .unknownOption(option, suggestion): return .unknownOption(shown(option), suggestion: suggestion)
        case let .missingValue(option): return .missingValue(option: shown(option))
        case let .unexpectedValue(option): return .unexpectedValue(option: shown(option))
        case let .unexpectedArgument(argument): return .unexpectedArgument(shown(argument))
        case .missingArgument: return self
        case let .invalidValue(option, value, expected): return .invalidValue(option: shown(option), value: shown(value), expected: expected)
        case let .repeatedOption(option): return .repeatedOption(shown(option))
        }
    }

    /// `text` with its control characters escaped, for echoing user input in one line.
    public static func printable(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else { return text }
        return text.unicodeScalars.map { scalar in
            scalar.properties.generalCategory == .control ? scalar.escaped(asASCII: true) : String(scalar)
        }.joined()
    }
}

/// The result of parsing: values by long option name, and positionals in order.
public struct ParsedArguments: Sendable, Equatable {
    public private(set) var values: [String: [String]] = [:]
    public private(set) var flags: Set<String> = []
    public private(set) var positionals: [String: [String]] = [:]

    /// Whether a flag was given.
    public func flag(_ name: String) -> Bool { flags.contains(name) }

    /// The last value of an option, if given.
    public func value(_ name: String) -> String? { values[name]?.last }

    /// All values of a repeatable option, in order.
    public func allValues(_ name: String) -> [String] { values[name] ?? [] }

    /// A positional by its spec name (first value for variadics).
    public func positional(_ name: String) -> String? { positionals[name]?.first }

    /// All values of a variadic positional.
    public func allPositionals(_ name: String) -> [String] { positionals[name] ?? [] }

    /// An integer option within `range`, or `defaultValue` when absent.
    public func integer(_ name: String, default defaultValue: Int,
                        in range: ClosedRange<Int> = Int.min...Int.max) throws(ArgumentError) -> Int {
        guard let raw = value(name) else { return defaultValue }
        guard let number = Int(raw), range.contains(number) else {
            let expected = range == Int.min...Int.max
                ? "an integer" : "an integer from \(range.lowerBound) to \(range.upperBound)"
            throw .invalidValue(option: "--\(name)", value: raw, expected: expected)
        }
        return number
    }

    /// An option constrained to a fixed set of words, or `defaultValue` when absent.
    public func choice(_ name: String, of choices: [String], default defaultValue: String) throws(ArgumentError) -> String {
        guard let raw = value(name) else { return defaultValue }
        guard choices.contains(raw) else {
            throw .invalidValue(option: "--\(name)", value: raw, expected: "one of \(choices.joined(separator: ", "))")
        }
        return raw
    }

    mutating func add(_ option: OptionSpec, value: String?) throws(ArgumentError) {
        if let value {
            if !option.repeatable, values[option.name] != nil { throw .repeatedOption("--\(option.name)") }
            values[option.name, default: []].append(value)
        } else {
            flags.insert(option.name)
        }
    }

    mutating func addPositional(_ name: String, _ value: String) {
        positionals[name, default: []].append(value)
    }
}

extension CommandSpec {
    /// Parses `arguments` (without the program and command names).
    public func parse(_ arguments: [String]) throws(ArgumentError) -> ParsedArguments {
        var parsed = ParsedArguments()
        var loose: [String] = []
        var index = 0
        var optionsEnded = false
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            if optionsEnded || argument == "-" || !argument.hasPrefix("-") {
                loose.append(argument)
            } else if argument == "--" {
                optionsEnded = true
            } else if argument.hasPrefix("--") {
                let body = argument.dropFirst(2)
                let name: Substring
                var inlineValue: String?
                if let equals = body.firstIndex(of: "=") {
                    name = body[..<equals]
                    inlineValue = String(body[body.index(after: equals)...])
                } else {
                    name = body
                }
                guard let option = options.first(where: { $0.name == name }) else {
                    throw .unknownOption("--\(name)", suggestion: suggestion(for: String(name)))
                }
                if option.isFlag {
                    if inlineValue != nil { throw .unexpectedValue(option: "--\(name)") }
                    try parsed.add(option, value: nil)
                } else {
                    if let inlineValue {
                        try parsed.add(option, value: inlineValue)
                    } else {
                        try parsed.add(option, value: takeValue(arguments, &index, option: "--\(name)"))
                    }
                }
            } else {
                try parseShortCluster(argument, arguments, &index, into: &parsed)
            }
        }
        if parsed.flag("help") { return parsed }
        try assignPositionals(loose, into: &parsed)
        return parsed
    }

    /// `-k5`, `-k 5`, `-h`, and clusters of short flags such as `-hq`.
    private func parseShortCluster(_ argument: String, _ arguments: [String], _ index: inout Int,
                                   into parsed: inout ParsedArguments) throws(ArgumentError) {
        var rest = Substring(argument.dropFirst())
        while let letter = rest.first {
            rest = rest.dropFirst()
            guard let option = options.first(where: { $0.short == letter }) else {
                throw .unknownOption("-\(letter)", suggestion: nil)
            }
            if option.isFlag {
                try parsed.add(option, value: nil)
                continue
            }
            let value = rest.isEmpty ? try takeValue(arguments, &index, option: "-\(letter)") : String(rest)
            try parsed.add(option, value: value)
            return
        }
    }

    private func takeValue(_ arguments: [String], _ index: inout Int, option: String) throws(ArgumentError) -> String {
        guard index < arguments.count else { throw .missingValue(option: option) }
        defer { index += 1 }
        return arguments[index]
    }

    private func assignPositionals(_ loose: [String], into parsed: inout ParsedArguments) throws(ArgumentError) {
        var remaining = loose[...]
        for spec in positionals {
            if spec.variadic {
                for value in remaining { parsed.addPositional(spec.name, value) }
                if remaining.isEmpty, !spec.optional { throw .missingArgument(spec.name) }
                remaining = []
            } else if let value = remaining.first {
                parsed.addPositional(spec.name, value)
                remaining = remaining.dropFirst()
            } else if !spec.optional {
                throw .missingArgument(spec.name)
            }
        }
        if let extra = remaining.first { throw .unexpectedArgument(extra) }
    }

    /// The closest long option name, for "did you mean" hints.
    func suggestion(for name: String) -> String? {
        let scored = options.map { ($0.name, editDistance($0.name, name)) }
        guard let best = scored.min(by: { $0.1 < $1.1 }), best.1 <= max(2, name.count / 3) else { return nil }
        return "--\(best.0)"
    }
}

/// Levenshtein distance over characters; option names are short.
public func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a), b = Array(b)
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var previous = Array(0...b.count)
    var current = [Int](repeating: 0, count: b.count + 1)
    for i in 1...a.count {
        current[0] = i
        for j in 1...b.count {
            let cost = a[i - 1] == b[j - 1] ? 0 : 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
        }
        swap(&previous, &current)
    }
    return previous[b.count]
}
