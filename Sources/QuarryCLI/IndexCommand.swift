import Arguments
import Engine
import Foundation
import GitSource
import QuarryCore
import Store

enum IndexCommand {
    static let spec = CommandSpec(
        path: "quarry index",
        summary: "Index git revisions: chunk every supported file and store it for search.",
        discussion: """
        Every chunk is also embedded with the model (default: multilingual-e5-small,
        installed by scripts/setup.sh) for semantic search; vectors are keyed by the
        chunk's content and the model, so identical chunks are embedded once.

        What is indexed comes from git objects, not the working tree: uncommitted
        changes are not seen, and .gitignore'd files never are. Blobs already in the
        index are not read again, so re-running on an unchanged repository is a no-op,
        and an interrupted run resumes where it stopped.

        Many revisions share one index. Each is stored under the name given (HEAD,
        main, v1.0); --history and --since add older first-parent commits under
        their 12-digit short commit id, which stays valid as the branch moves on.
        A revision whose previous commit (or a neighbour) is indexed is diffed
        against it, so a commit that changes 3 files costs 3 files of work.

        Only one 'quarry index' or 'quarry gc' writes an index at a time: a second
        one exits with status 2 naming the running process, or waits up to
        --wait seconds for it.

        Files that hold data rather than code are skipped and counted by reason
        (quarry status): lock files and checksum lists (go.sum, Cargo.lock,
        package-lock.json, uv.lock ...), keys and certificates (*.pem, *.key,
        *.crt), images stored as text (SVG), source maps, JSON/CSV/XML/YAML
        data files over 32 KiB and base64 dumps. --include-data indexes them
        too; switching it on or off reclassifies what the index already holds.

        Vendored dependencies (node_modules/, vendor/, third_party/) and
        generated files (*.min.js, *_pb2.py, *.pb.go ...) are skipped the same
        way, decided from the path alone; --include-generated indexes them.
        Files stored as line windows are chunked by function once their
        language's grammar is built (Grammars/build.sh), on the next run.

        A large first index is searchable by keywords within seconds: once a new
        revision's chunks are stored and 1,000 or more of its texts need vectors, it
        is recorded at once and embedded after. Meanwhile searches rank the embedded
        chunks by meaning and the rest by keywords, and say how much is embedded (so
        does quarry status); a killed run resumes the embedding. A revision already
        in the index is only replaced once its new texts are embedded, so refreshes
        stay all-or-nothing; --atomic makes a first index wait for its vectors too.

        The index lives at <git dir>/quarry/index.sqlite unless --index is given.
        It holds no absolute paths, so it can be copied to another clone or
        machine (a CI cache) and refreshed there.

        --json prints one object: revision, commit and files_seen of the first
        --rev (else HEAD); totals changed_files, new_blobs (blobs read and chunked),
        reclassified_blobs, chunks, bytes, skipped, embedded (texts embedded), embedded_tokens,
        model, seconds, embedding_seconds, peak_rss_bytes; and revisions, one object per
        revision with name, commit, base (the revision diffed against, null
        when the tree was walked), files, changed_files, new_blobs, chunks,
        embedded, unchanged and recorded_before_embedding. Exit status 0 on success,
        2 on failure.

        Examples:
          quarry index                       index HEAD of the repository you are in
          quarry index ~/src/project --rev v2.0 --rev main
          quarry index --branches --tags     every local branch and tag
          quarry index --history 20          HEAD and the 19 first-parent commits before it
          quarry index --since 2026-01-01    HEAD and its first-parent commits since then
          quarry index --json                print a summary object when done
          quarry index --atomic              no search sees HEAD before its vectors
        """,
        options: [
            OptionSpec("rev", value: "REV", repeatable: true, help: "Revision to index (default HEAD)."),
            .flag("branches", help: "Index every local branch, each under its name."),
            .flag("tags", help: "Index every tag, each under its name."),
            OptionSpec("history", value: "N",
                       help: "Also index the last N first-parent commits of each --rev (default HEAD), tip included."),
            OptionSpec("since", value: "DATE",
                       help: "Also index first-parent commits since DATE (YYYY-MM-DD or ISO 8601)."),
            OptionSpec("index", value: "FILE", help: "Index file (default <git dir>/quarry/index.sqlite)."),
            OptionSpec("max-file-size", value: "BYTES", help: "Skip blobs larger than this (default 1048576)."),
            .flag("include-generated",
                  help: "Index vendored and generated files (node_modules/, vendor/, third_party/, *.min.js, *_pb2.py, *.pb.go), skipped by default."),
            OptionSpec("model", value: "NAME|DIR",
                       help: "Embedding model for semantic search (default multilingual-e5-small)."),
            OptionSpec("wait", value: "SECONDS",
                       help: "Wait this long for another index run on the same index (default 0: fail at once)."),
            .flag("no-embed", help: "Skip embeddings: lexical search only."),
            .flag("atomic", help: "Record a new revision only after its texts are embedded (as refreshes always are)."),
            .flag("include-data", help: "Also index lock files, keys, SVG images, source maps and data files."),
            .flag("json", help: "Print a JSON summary on stdout."),
            .flag("quiet", short: "q", help: "No progress or summary on stderr."),
        ],
        positionals: [PositionalSpec("PATH", optional: true, help: "Any path inside the repository (default .).")])

    static let command = Command(spec: spec) { context in
        let args = context.arguments
        let path = args.positional("PATH") ?? "."
        var options = Indexer.Options()
        options.maxFileSize = try args.integer("max-file-size", default: options.maxFileSize, in: 1...(1 << 34))
        options.grammarDirectory = context.paths.grammars
        options.includeData = args.flag("include-data")
        options.includesGenerated = args.flag("include-generated")
        // Tests shrink batches to make kills land between many transactions.
        if let batch = context.environment["QUARRY_INDEX_BATCH_SIZE"].flatMap(Int.init), batch > 0 {
            options.batchSize = batch
            options.embeddingBatchSize = batch
        }
        // Tests lower it so small fixtures take the keyword-first path.
        if let minimum = context.environment["QUARRY_RECORD_FIRST_MINIMUM"].flatMap(Int.init), minimum > 0 {
            options.recordFirstMinimum = minimum
        }
        if args.flag("atomic") { options.recordFirstMinimum = nil }
        let repository = try GitRepository(discoveringFrom: path)
        // Absolute: a bare file name has no directory to create, and the vector files sit beside it.
        let indexPath = args.value("index").map { URL(fileURLWithPath: $0).standardized.path }
            ?? Indexer.defaultIndexPath(for: repository)
        let quiet = args.flag("quiet")
        let progress = ProgressLine(enabled: context.console.stderrIsTerminal && !quiet)
        // Fail on a bad revision or index file before the (slower) model load.
        options.targets = try targets(args, repository: repository)
        options.primary = args.allValues("rev").first ?? (options.targets.contains { $0.name == "HEAD" } ? "HEAD" : nil)
        let wait = try args.integer("wait", default: 0, in: 0...86_400)
        let directory = (indexPath as NSString).deletingLastPathComponent
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw CLIError("cannot create the index directory \(directory)")
        }
        let lock = try IndexLock(indexPath: indexPath, waitSeconds: Double(wait))
        defer { lock.release() }
        if FileManager.default.fileExists(atPath: indexPath) { _ = try IndexStore(path: indexPath, mode: .create) }
        options.model = try embeddingModel(context)
        options.hubness = try options.model.flatMap { try ReferenceQuestions.correction(for: $0, paths: context.paths) }
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

    /// The revisions to index, in order, without repeats: for each --rev
    /// (default HEAD unless --branches or --tags is given) its history, oldest
    /// first, then the ref itself; then branches, then tags.
    static func targets(_ args: ParsedArguments, repository: GitRepository) throws -> [Indexer.Target] {
        let historyLimit = try args.value("history").map { _ in try args.integer("history", default: 1, in: 1...1_000_000) }
        let since = try args.value("since").map(parseDate)
        var refs = args.allValues("rev")
        if refs.isEmpty && (!args.flag("branches") && !args.flag("tags") || historyLimit != nil || since != nil) {
            refs = ["HEAD"]
        }
        var targets: [Indexer.Target] = []
        func add(_ name: String, _ commit: CommitInfo) {
            if !targets.contains(where: { $0.name == name }) { targets.append(Indexer.Target(name: name, commit: commit)) }
        }
        for ref in refs {
            let tip = try repository.resolveCommit(ref)
            if historyLimit != nil || since != nil {
                // Oldest first: among commits made in the same second (a rebase, a script),
                // the later-indexed revision is the newer one, which --all-revs relies on.
                let older = try repository.firstParentHistory(from: tip, limit: historyLimit, since: since).dropFirst()
                for commit in older.reversed() { add(String(commit.id.prefix(12)), commit) }
            }
            add(ref, tip)
        }
        if args.flag("branches") {
            for branch in try repository.branches() { add(branch.name, try repository.resolveCommit(branch.fullName)) }
        }
        if args.flag("tags") {
            for tag in try repository.tags() { add(tag.name, try repository.resolveCommit(tag.fullName)) }
        }
        return targets
    }

    /// YYYY-MM-DD (midnight UTC) or a full ISO 8601 date and time.
    static func parseDate(_ text: String) throws -> Date {
        let day = DateFormatter()
        day.locale = Locale(identifier: "en_US_POSIX")
        day.timeZone = TimeZone(identifier: "UTC")
        day.dateFormat = "yyyy-MM-dd"
        if let date = day.date(from: text) { return date }
        let full = ISO8601DateFormatter()
        if let date = full.date(from: text) { return date }
        full.formatOptions.insert(.withFractionalSeconds)
        if let date = full.date(from: text) { return date }
        throw ArgumentError.invalidValue(option: "--since", value: text, expected: "YYYY-MM-DD or ISO 8601")
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
