import Arguments
import Chunker
import Foundation
import GitSource
import QuarryCore
import Search
import Store

enum SearchCommand {
    static let spec = CommandSpec(
        path: "quarry search",
        summary: "Search the index for code matching a question or keywords.",
        discussion: """
        Modes: hybrid (default) fuses keyword (BM25) and semantic (embedding)
        rankings with reciprocal rank fusion; semantic ranks by meaning alone and
        understands questions in any of the model's languages ("认证在哪里处理?");
        lexical ranks by keywords alone. Identifiers match by their parts too:
        `login user` finds `loginUser` and `login_user`.

        Results are printed best first as `path:start-end  symbol  [language kind]`
        followed by the chunk's most relevant lines. A function split into
        several chunks is one result; a class that ranks is shown through its
        method that best answers the question; identical chunks at several paths
        are shown once.

        Test files and test functions (tests/, *_test.go, test_*.py, *.spec.ts,
        FooTest.java, @Test, #[test] ...) are shown with kind `test` and, by
        default, ranked below the code they test when the two score alike
        (a test yields 20 places, documentation 10).
        Top-level leftovers of a file (imports, package clauses) stay
        searchable by keywords but never outrank a function by meaning alone.

        Exit status: 0 when something matched, 1 when nothing did, 2 on error.

        Examples:
          quarry search "parse config file"
          quarry search --lang go --path 'cmd/**' -k 5 retry backoff
          quarry search --json http handler | jq .path
          quarry search --tests exclude parse config   leave test files and test functions out
          quarry search --rev v1.0 parse config        search one indexed revision
          quarry search --all-revs parse config        every indexed revision, with the
                                                       commit where each version first appeared
        """,
        options: [
            OptionSpec("repo", value: "PATH", help: "Repository whose index to search (default .)."),
            OptionSpec("index", value: "FILE", help: "Index file (default <git dir>/quarry/index.sqlite)."),
            OptionSpec("top", short: "k", value: "N", help: "Number of results (default 10)."),
            OptionSpec("lang", value: "LANG", repeatable: true,
                       help: "Only these languages (\(Language.allCases.map(\.rawValue).joined(separator: ", ")))."),
            OptionSpec("path", value: "GLOB", repeatable: true, help: "Only paths matching the glob, e.g. 'src/**/*.py'."),
            OptionSpec("rev", value: "REV",
                       help: "Indexed revision to search (default HEAD when indexed, else the newest indexed)."),
            .flag("all-revs", help: "Search every indexed revision; tell where each version first and last appears."),
            OptionSpec("tests", value: "WHICH",
                       help: "Test code: below (default: ranked under the code it tests), include, exclude or only."),
            OptionSpec("mode", value: "MODE", help: "hybrid (default), semantic or lexical."),
            OptionSpec("model", value: "NAME|DIR", help: "Model that embedded the index (default multilingual-e5-small)."),
            OptionSpec("context", short: "C", value: "N", help: "Lines of each result to show (default 3; 0 = none)."),
            .flag("json", help: "JSON Lines: one object per result."),
            .flag("stats", help: "Print where the time went (model load, query embedding, vector scan) to stderr."),
        ],
        positionals: [PositionalSpec("QUERY", variadic: true, help: "Words or a question.")])

    static let command = Command(spec: spec) { context in
        let args = context.arguments
        let query = args.allPositionals("QUERY").joined(separator: " ")
        guard query.contains(where: { !$0.isWhitespace }) else {
            throw CLIError("the query is empty; give words or a question, e.g. quarry search \"parse config\"")
        }
        let top = try args.integer("top", default: 10, in: 1...10_000)
        let contextLines = try args.integer("context", default: 3, in: 0...1000)
        var languages: [Language] = []
        // Known languages: the built-in ones and those a grammar manifest adds.
        let known = args.allValues("lang").isEmpty ? []
            : Language.allCases + GrammarRegistry.listedLanguages(directory: context.paths.grammars)
        for name in args.allValues("lang") {
            guard let language = Language(rawValue: name.lowercased()), known.contains(language) else {
                throw ArgumentError.invalidValue(option: "--lang", value: name,
                                                 expected: known.map(\.rawValue).joined(separator: ", "))
            }
            languages.append(language)
        }
        let indexPath = try resolveIndexPath(index: args.value("index"), repo: args.value("repo"))
        let mode = try SearchMode(rawValue: args.choice("mode", of: SearchMode.allCases.map(\.rawValue),
                                                        default: SearchMode.hybrid.rawValue)) ?? .hybrid
        let globs = try args.allValues("path").map { pattern throws(SearchError) in try PathGlob(pattern) }
        if mode == .lexical && LexicalSearcher.terms(of: query).isEmpty {
            throw CLIError("the query has no terms to match by keywords (no letters or digits); "
                           + "try --mode semantic or hybrid")
        }
        let allRevisions = args.flag("all-revs")
        if allRevisions && args.value("rev") != nil {
            throw CLIError("--rev and --all-revs exclude each other")
        }
        let store = try IndexStore(path: indexPath, mode: .readOnly)
        // One read snapshot: an index run committing meanwhile is seen whole or not at all.
        try store.beginSnapshot()
        defer { store.endSnapshot() }
        let tests = try TestPolicy(rawValue: args.choice("tests", of: TestPolicy.allCases.map(\.rawValue),
                                                          default: TestPolicy.below.rawValue)) ?? .below
        let filters = SearchFilters(languages: languages.isEmpty ? nil : Set(languages), paths: globs,
                                    revision: allRevisions ? IndexStore.allRevisions : args.value("rev"), tests: tests)
        var timings = SearchTimings()
        let results = try semanticSearch(query, mode: mode, store: store, filters: filters, limit: top,
                                         context: context, timings: &timings)
        let printer = ResultPrinter(console: context.console, contextLines: contextLines)
        for result in results {
            let lifetime = allRevisions ? try store.lifetime(ofBlob: result.blobID) : nil
            if args.flag("json") {
                printer.printJSON(result, lifetime: lifetime)
            } else {
                printer.printHuman(result, lifetime: lifetime)
            }
        }
        if args.flag("stats") {
            timings.totalSeconds = monotonicSeconds() - timings.started
            context.console.error(timings.summary(results: results.count))
        }
        return results.isEmpty ? .noResults : .success
    }

    /// Runs the search, embedding the query when the mode needs vectors. Hybrid
    /// falls back to keywords (with a note) when the index holds no vectors.
    static func semanticSearch(_ query: String, mode: SearchMode, store: IndexStore, filters: SearchFilters,
                               limit: Int, context: CommandContext, timings: inout SearchTimings) throws -> [SearchResult] {
        func lexicalSearch() throws -> [SearchResult] {
            let searcher = Searcher(store: store)
            defer { timings.search = searcher.statistics }
            return try searcher.search(query, mode: .lexical, filters: filters, limit: limit)
        }
        guard mode != .lexical else { return try lexicalSearch() }
        let library = ModelLibrary(paths: context.paths, environment: context.environment)
        let named = context.arguments.value("model")
        let stored = try store.models()
        let wantedName = named.map { URL(fileURLWithPath: $0).standardized.lastPathComponent } ?? library.defaultName
        guard let record = stored.last(where: { $0.name == wantedName }) else {
            if mode == .semantic || named != nil {
                throw CLIError("the index has no vectors for model '\(wantedName)'; run 'quarry index' with it")
            }
            context.console.error("quarry: note: the index has no vectors; searching by keywords only "
                                  + "(run 'quarry index' with a model installed for semantic search)")
            return try lexicalSearch()
        }
        // Map the vectors and rank by keywords on another core while the model
        // loads and embeds the query; join before anything else (or any
        // error) touches the store.
        let searcher = Searcher(store: store, model: record)
        let preparation = Preparation()
        DispatchQueue.global(qos: .userInitiated).async(group: preparation.group) {
            do {
                try searcher.prepare(query, mode: mode, filters: filters, limit: limit)
            } catch {
                preparation.error = error
            }
        }
        defer { preparation.group.wait() }
        var started = monotonicSeconds()
        let loaded = try ModelLoader.loadForIndexing(directory: library.directory(for: named ?? wantedName))
        timings.modelLoadSeconds = monotonicSeconds() - started
        guard loaded.revision == record.revision else {
            throw CLIError("the index's vectors were made by another version of '\(record.name)'; "
                           + "run 'quarry index' to embed with the installed one")
        }
        started = monotonicSeconds()
        let vector = try loaded.model.embed([query], as: .query)[0]
        timings.queryEmbeddingSeconds = monotonicSeconds() - started
        preparation.group.wait()
        if let error = preparation.error { throw error }
        defer { timings.search = searcher.statistics }
        return try searcher.search(query, queryVector: vector, mode: mode, filters: filters, limit: limit)
    }

    /// The outcome of `Searcher.prepare` run on another thread; read after `group.wait()`.
    private final class Preparation: @unchecked Sendable {
        let group = DispatchGroup()
        var error: Error?
    }

    /// `--index` wins; else the default index of the repository at `--repo` (or `.`).
    static func resolveIndexPath(index: String?, repo: String?) throws -> String {
        if let index { return URL(fileURLWithPath: index).standardized.path }
        let repository = try GitRepository(discoveringFrom: repo ?? ".")
        let path = Indexer.defaultIndexPath(for: repository)
        guard FileManager.default.fileExists(atPath: path) else {
            throw CLIError("no index at \(path); run 'quarry index' first")
        }
        return path
    }
}

/// The phases of one `quarry search`, for `--stats`.
struct SearchTimings {
    let started = monotonicSeconds()
    var modelLoadSeconds = 0.0
    var queryEmbeddingSeconds = 0.0
    var search = SearchStatistics()
    var totalSeconds = 0.0

    func summary(results: Int) -> String {
        func ms(_ seconds: Double) -> String { String(format: "%.1f ms", seconds * 1000) }
        var parts: [String] = []
        if modelLoadSeconds > 0 {
            parts.append("model load \(ms(modelLoadSeconds))")
            parts.append("query embedding \(ms(queryEmbeddingSeconds))")
        }
        if let source = search.vectorSource {
            let from = source == .database ? "database (vector file out of date: run 'quarry index')" : "mapped vector file"
            parts.append("\(search.vectorRows) vectors from the \(from) in \(ms(search.vectorLoadSeconds))")
            parts.append("vector scoring \(ms(search.vectorScoringSeconds))")
            parts.append("semantic ranking \(ms(search.semanticSeconds))")
        }
        if search.lexicalSeconds > 0 { parts.append("lexical ranking \(ms(search.lexicalSeconds))") }
        parts.append("\(results) results in \(ms(totalSeconds)) since the command started")
        return "quarry: stats: " + parts.joined(separator: ", ")
    }
}

/// Prints search results for people or for machines.
struct ResultPrinter {
    let console: Console
    let contextLines: Int

    func printHuman(_ result: SearchResult, lifetime: BlobLifetime? = nil) {
        let chunk = result.chunk
        // The lines the result covers: a split function's joined pieces, not only the best one.
        let location = console.style("\(result.path):\(result.lines.lowerBound)-\(result.lines.upperBound)", "35")
        let symbol = chunk.symbol.isEmpty ? "" : "  " + console.style(chunk.symbol, "1")
        let tag = console.style("[\(chunk.language.rawValue) \(chunk.kind.rawValue)]", "2")
        let also = result.otherPaths.isEmpty ? "" : console.style("  (also in \(result.otherPaths.count) places)", "2")
        console.line("\(location)\(symbol)  \(tag)\(also)")
        if let lifetime {
            let first = lifetime.first
            console.line(console.style("  first in \(first.commitID.prefix(12)) \(Self.day(first.commitTime)) "
                                       + "\(first.author): \(first.subject); last in \(lifetime.last.name)", "2"))
        }
        let lines = chunk.text.split(separator: "\n", omittingEmptySubsequences: false)
        for lineNumber in result.relevantLines.prefix(contextLines) {
            let offset = lineNumber - chunk.startLine
            guard lines.indices.contains(offset) else { continue }
            let number = console.style(String(lineNumber), "32")
            console.line("  \(number): \(lines[offset].trimmingTrailingWhitespace)")
        }
        if contextLines > 0 { console.line("") }
    }

    /// With a lifetime (--all-revs), `rev` is the newest revision holding the
    /// chunk's blob, and `first_commit` and `last_rev` are added.
    func printJSON(_ result: SearchResult, lifetime: BlobLifetime? = nil) {
        let chunk = result.chunk
        var pairs: [(String, JSON)] = [
            ("path", .string(result.path)),
            ("start_line", .int(chunk.startLine)),
            ("end_line", .int(chunk.endLine)),
            ("language", .string(chunk.language.rawValue)),
            ("kind", .string(chunk.kind.rawValue)),
            ("symbol", .string(chunk.symbol)),
            ("score", .double(result.score)),
            ("blob", .string(result.blobID)),
            ("rev", .string(lifetime?.last.name ?? result.revision)),
            ("text", .string(chunk.text)),
        ]
        if let lifetime {
            let first = lifetime.first
            pairs.append(("first_commit", .object([
                ("id", .string(first.commitID)),
                ("date", .string(ISO8601DateFormatter().string(from: first.commitTime))),
                ("author", .string(first.author)),
                ("subject", .string(first.subject)),
            ])))
            pairs.append(("last_rev", .string(lifetime.last.name)))
        }
        console.line(JSON.object(pairs).serialized)
    }

    static func day(_ date: Date) -> String {
        String(ISO8601DateFormatter().string(from: date).prefix(10))
    }
}

extension Substring {
    var trimmingTrailingWhitespace: Substring {
        var end = endIndex
        while end > startIndex, let last = self[..<end].last, last.isWhitespace { end = index(before: end) }
        return self[..<end]
    }
}
