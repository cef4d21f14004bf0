import Arguments
import Foundation
import GitSource
import QuarryCore
import Store

enum IndexCommand {
    static let spec = CommandSpec(
        path: "quarry index",
        summary: "Index a git revision: chunk every supported file and store it for search.",
        discussion: """
        Every chunk is also embedded with the model (default: multilingual-e5-small,
        installed by scripts/setup.sh) for semantic search; vectors are keyed by the
        chunk's content and the model, so identical chunks are embedded once.

        What is indexed comes from git objects, not the working tree: uncommitted
        changes are not seen, and .gitignore'd files never are. Blobs already in the
        index are not read again, so re-running on an unchanged repository is a no-op,
        and an interrupted run resumes where it stopped.

        The index lives at <git dir>/quarry/index.sqlite unless --index is given.

        Examples:
          quarry index                       index HEAD of the repository you are in
          quarry index ~/src/project --rev v2.0
          quarry index --json                print a summary object when done
        """,
        options: [
            OptionSpec("rev", value: "REV", help: "Revision to index (default HEAD)."),
            OptionSpec("index", value: "FILE", help: "Index file (default <git dir>/quarry/index.sqlite)."),
            OptionSpec("max-file-size", value: "BYTES", help: "Skip blobs larger than this (default 1048576)."),
            OptionSpec("model", value: "NAME|DIR",
                       help: "Embedding model for semantic search (default multilingual-e5-small)."),
            .flag("no-embed", help: "Skip embeddings: lexical search only."),
            .flag("json", help: "Print a JSON summary on stdout."),
            .flag("quiet", short: "q", help: "No progress or summary on stderr."),
        ],
        positionals: [PositionalSpec("PATH", optional: true, help: "Any path inside the repository (default .).")])

    static let command = Command(spec: spec) { context in
        let args = context.arguments
        let path = args.positional("PATH") ?? "."
        var options = Indexer.Options()
        options.revision = args.value("rev") ?? "HEAD"
        options.maxFileSize = try args.integer("max-file-size", default: options.maxFileSize, in: 1...(1 << 34))
        options.grammarDirectory = context.paths.grammars
        // Tests shrink batches to make kills land between many transactions.
        if let batch = context.environment["QUARRY_INDEX_BATCH_SIZE"].flatMap(Int.init), batch > 0 {
            options.batchSize = batch
        }
        let repository = try GitRepository(discoveringFrom: path)
        let indexPath = args.value("index") ?? Indexer.defaultIndexPath(for: repository)
        let quiet = args.flag("quiet")
        let progress = ProgressLine(enabled: context.console.stderrIsTerminal && !quiet)
        // Fail on a bad revision or index file before the (slower) model load.
        _ = try repository.resolveCommit(options.revision)
        if FileManager.default.fileExists(atPath: indexPath) { _ = try IndexStore(path: indexPath, mode: .create) }
        options.model = try embeddingModel(context)
        let indexer = Indexer(repository: repository, indexPath: indexPath, options: options)
        let summary = try indexer.run { state in
            progress.update(state.progressText)
        }
        progress.finish()
        if args.flag("json") {
            context.console.line(summary.json.serialized)
        } else if !quiet {
            context.console.error(summary.humanText)
        }
        return .success
    }

    /// The model to embed with: the one named, else the default when it is
    /// installed (without it the index still serves lexical search).
    static func embeddingModel(_ context: CommandContext) throws -> LoadedModel? {
        let args = context.arguments
        if args.flag("no-embed") { return nil }
        let library = ModelLibrary(paths: context.paths, environment: context.environment)
        if let named = args.value("model") {
            return try ModelLoader.loadForIndexing(directory: library.directory(for: named))
        }
        guard let directory = try? library.directory(for: nil) else {
            if !args.flag("quiet") {
                context.console.error("quarry: note: default model '\(library.defaultName)' is not installed; "
                                      + "indexing for lexical search only (see 'quarry model --help')")
            }
            return nil
        }
        return try ModelLoader.loadForIndexing(directory: directory)
    }
}
