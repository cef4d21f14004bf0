import Arguments
import Encoder
import Engine
import Foundation

/// Exit statuses, like grep: results found, none found, or an error.
public enum ExitStatus: Int32, Sendable {
    case success = 0
    case noResults = 1
    case failure = 2
}

/// An error the CLI reports as `quarry: <description>` with exit status 2.
public struct CLIError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// What every command gets: its parsed arguments, the console and the environment.
public struct CommandContext {
    public var arguments: ParsedArguments
    public var console: Console
    public var environment: [String: String]
    public var paths: QuarryPaths
}

/// One subcommand: its grammar and what it does.
public struct Command {
    public var spec: CommandSpec
    public var run: (CommandContext) throws -> ExitStatus

    public init(spec: CommandSpec, run: @escaping (CommandContext) throws -> ExitStatus) {
        self.spec = spec
        self.run = run
    }

    public var name: String { String(spec.path.split(separator: " ").last ?? "") }
}

public enum QuarryCLI {
    public static let version = QuarryEngine.version

    /// Top-level commands in help order.
    static var commands: [Command] {
        [IndexCommand.command, SearchCommand.command, PushCommand.command, StatusCommand.command, McpCommand.command, ServeCommand.command,
         GcCommand.command,
         EmbedCommand.command, ModelCommand.command, EvalCommand.command]
    }

    static let group = CommandGroup(
        path: "quarry",
        summary: "Quarry \(version): local-first semantic code search over git repositories.",
        commands: [],
        footer: """
        Run 'quarry <command> --help' for a command's options.

        Examples:
          quarry index                      index HEAD of the repository you are in
          quarry search "where is auth handled"
          quarry search --lang python -k 5 parse config --json

        Environment:
          QUARRY_HOME      grammars, models and downloads (default ~/.cache/quarry)
          QUARRY_GRAMMARS  compiled grammars directory (default $QUARRY_HOME/grammars)
          NO_COLOR         disable colour even on a terminal
        """)

    /// Runs the CLI with `arguments` (without the program name) and returns the exit status.
    public static func run(_ arguments: [String], environment: [String: String] = ProcessInfo.processInfo.environment,
                           console: Console = Console()) -> ExitStatus {
        defer { console.flush() }
        var group = group
        group.commands = commands.map { ($0.name, $0.spec.summary) }
        guard let first = arguments.first else {
            console.error(group.helpText.trimmingCharacters(in: .newlines))
            return .failure
        }
        switch first {
        case "-h", "--help", "help":
            console.line(group.helpText)
            return .success
        case "-V", "--version":
            console.line("quarry \(version)")
            return .success
        default:
            break
        }
        guard let command = commands.first(where: { $0.name == first }) else {
            let names = commands.map(\.name)
            let hint = names.min(by: { editDistance($0, first) < editDistance($1, first) })
                .flatMap { editDistance($0, first) <= 2 ? $0 : nil }
            console.error("quarry: unknown command '\(ArgumentError.printable(first))'" + (hint.map { " (did you mean '\($0)'?)" } ?? "")
                          + "; see 'quarry --help'")
            return .failure
        }
        do {
            let rest = Array(arguments.dropFirst())
            if command.name == "model" {
                return try ModelCommand.run(rest, console: console, environment: environment)
            }
            let parsed = try command.spec.parse(rest)
            if parsed.flag("help") {
                console.line(command.spec.helpText)
                return .success
            }
            let context = CommandContext(arguments: parsed, console: console, environment: environment,
                                         paths: QuarryPaths(environment: environment))
            return try command.run(context)
        } catch let error as ArgumentError {
            console.flush()
            console.error("quarry \(command.name): \(error)")
            console.error(command.spec.usage)
            return .failure
        } catch {
            console.flush()
            console.error("quarry: \(error)")
            return .failure
        }
    }

    public static func main() -> Never {
        signal(SIGPIPE, SIG_IGN)
        // Indexing and search favour speed (int8 passages and bf16 queries where the
        // CPU has VNNI and BF16); QUARRY_KERNELS=fp32 gives the reference arithmetic.
        LinearKernels.preferSpeed()
        ProcessExit.isEnding = true
        let status = run(Array(CommandLine.arguments.dropFirst()))
        exit(status.rawValue)
    }
}

/// What a one-shot command leaves to `exit` to reclaim: unmapping a model and freeing
/// its tokenizer costs milliseconds (6% of a search's CPU) for memory the process is
/// about to give back whole. In-process runs (tests) release as usual.
enum ProcessExit {
    /// Set by `QuarryCLI.main`, whose process exits when the command returns.
    static var isEnding = false
    private static var kept: [AnyObject] = []

    static func keep(_ object: AnyObject) {
        if isEnding { kept.append(object) }
    }
}
