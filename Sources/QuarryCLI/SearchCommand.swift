import Arguments
import Chunker
import Engine
import Foundation
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
          quarry search --all-revs --changes parse config   and the commits that changed each function
          quarry search --db "$QUARRY_DATABASE_URL" parse config   every repository in a team database
          quarry search --repo-name app --repo-name backend parse config   some of them (URL from QUARRY_DATABASE_URL)
        """,
        options: [
            OptionSpec("repo", value: "PATH", help: "Repository whose index to search (default .)."),
            OptionSpec("index", value: "FILE", help: "Index file (default <git dir>/quarry/index.sqlite)."),
            OptionSpec("top", short: "k", value: "N", help: "Number of results (default 10)."),
            OptionSpec("lang", value: "LANG", repeatable: true,
                       help: "Only these languages (\(Language.allCases.map(\.rawValue).joined(separator: ", ")))."),
            OptionSpec("path", value: "GLOB", repeatable: true, help: "Only paths matching the glob, e.g. 'src/**/*.py'."),
            OptionSpec("rev", value: "REV",
                       help: "Indexed revision to search: its stored name or any git expression for its commit "
                           + "(HEAD~2, a commit id, a tag); default HEAD when indexed, else the newest indexed."),
            .flag("all-revs", help: "Search every indexed revision; tell where each version first and last appears."),
            .flag("changes", help: "With --all-revs: list the revisions in which each result's function changed."),
            OptionSpec("tests", value: "WHICH",
                       help: "Test code: below (default: ranked under the code it tests), include, exclude or only."),
            OptionSpec("mode", value: "MODE", help: "hybrid (default), semantic or lexical."),
            OptionSpec("model", value: "NAME|DIR", help: "Model that embedded the index (default multilingual-e5-small)."),
            OptionSpec("context", short: "C", value: "N", help: "Lines of each result to show (default 3; 0 = none)."),
            .flag("json", help: "JSON Lines: one object per result."),
            .flag("stats", help: "Print where the time went (model load, query embedding, vector scan) to stderr."),
            OptionSpec("db", value: "URL",
                       help: "Search a team database (postgres://...) that 'quarry push' fills, not the local index."),
            OptionSpec("repo-name", value: "NAME", repeatable: true,
                       help: "With a team database: only this repository (default all; implies --db "
                           + "$QUARRY_DATABASE_URL)."),
            .flag("all-repos", help: "With a team database: every repository (the default; implies --db "
                  + "$QUARRY_DATABASE_URL)."),
        ],
        positionals: [PositionalSpec("QUERY", variadic: true, help: "Words or a question.")])

    static let command = Command(spec: spec) { context in
        let args = context.arguments
        var request = SearchRequest(query: args.allPositionals("QUERY").joined(separator: " "))
        request.limit = try args.integer("top", default: 10, in: SearchRequest.limits)
        let contextLines = try args.integer("context", default: 3, in: 0...1000)
        // Known languages: the built-in ones and those a grammar manifest adds.
        let known = args.allValues("lang").isEmpty ? []
            : Language.allCases + GrammarRegistry.listedLanguages(directory: context.paths.grammars)
        for name in args.allValues("lang") {
            guard let language = Language(rawValue: name.lowercased()), known.contains(language) else {
                throw ArgumentError.invalidValue(option: "--lang", value: name,
                                                 expected: known.map(\.rawValue).joined(separator: ", "))
            }
            request.languages.insert(language)
        }
        request.mode = try SearchMode(rawValue: args.choice("mode", of: SearchMode.allCases.map(\.rawValue),
                                                            default: SearchMode.hybrid.rawValue)) ?? .hybrid
        request.paths = try args.allValues("path").map { pattern throws(SearchError) in try PathGlob(pattern) }
        request.revision = args.value("rev")
        request.allRevisions = args.flag("all-revs")
        request.changes = args.flag("changes")
        request.model = args.value("model")
        request.tests = try TestPolicy(rawValue: args.choice("tests", of: TestPolicy.allCases.map(\.rawValue),
                                                             default: TestPolicy.below.rawValue)) ?? .below
        if request.allRevisions && request.revision != nil {
            throw CLIError("--rev and --all-revs exclude each other")
        }
        // Refuse a bad query before looking for the index.
        try request.validate()
        let library = ModelLibrary(paths: context.paths, environment: context.environment)
        let engine: QuarryEngine
        if let database = try databaseURL(args, environment: context.environment) {
            request.repositories = args.allValues("repo-name")
            engine = QuarryEngine(database: database, library: library)
        } else {
            engine = try QuarryEngine.locate(index: args.value("index"), repo: args.value("repo"), library: library)
        }
        let response = try engine.search(request)
        ProcessExit.keep(engine)
        for note in response.notes { context.console.error("quarry: note: " + note) }
        let printer = ResultPrinter(console: context.console, contextLines: contextLines)
        for hit in response.hits {
            if args.flag("json") {
                printer.printJSON(hit)
            } else {
                printer.printHuman(hit.result, lifetime: hit.lifetime, changes: hit.changes ?? [],
                                   repository: hit.repository)
            }
        }
        if args.flag("stats") {
            context.console.error(response.timings.summary(results: response.hits.count))
        }
        return response.hits.isEmpty ? .noResults : .success
    }

    /// The team database to search: `--db`, else `QUARRY_DATABASE_URL` when
    /// a repository option asks for one; nil searches the local index.
    static func databaseURL(_ args: ParsedArguments, environment: [String: String]) throws -> String? {
        if let url = args.value("db") { return url }
        guard !args.allValues("repo-name").isEmpty || args.flag("all-repos") else { return nil }
        guard let url = environment["QUARRY_DATABASE_URL"], !url.isEmpty else {
            throw CLIError("--repo-name and --all-repos search a team database: give --db URL or set QUARRY_DATABASE_URL")
        }
        return url
    }
}

/// Prints search results for people or for machines.
struct ResultPrinter {
    let console: Console
    let contextLines: Int

    func printHuman(_ result: SearchResult, lifetime: BlobLifetime? = nil, changes: [RevisionRecord] = [],
                    repository: String? = nil) {
        let chunk = result.chunk
        // The lines the result covers: a split function's joined pieces, not only the best one.
        let location = console.style("\(repository.map { $0 + ":" } ?? "")\(result.path):\(result.lines.lowerBound)-\(result.lines.upperBound)", "35")
        let symbol = chunk.symbol.isEmpty ? "" : "  " + console.style(chunk.symbol, "1")
        let tag = console.style("[\(chunk.language.rawValue) \(chunk.kind.rawValue)]", "2")
        let also = result.otherPaths.isEmpty ? "" : console.style("  (also in \(result.otherPaths.count) places)", "2")
        console.line("\(location)\(symbol)  \(tag)\(also)")
        if let lifetime {
            let first = lifetime.first
            console.line(console.style("  first in \(first.commitID.prefix(12)) \(Self.day(first.commitTime)) "
                                       + "\(first.author): \(first.subject); last in \(lifetime.last.name)", "2"))
        }
        for change in changes {
            console.line(console.style("  changed in \(change.commitID.prefix(12)) \(Self.day(change.commitTime)) "
                                       + "\(change.author): \(change.subject)", "2"))
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

    func printJSON(_ hit: SearchHit) {
        console.line(hit.json.serialized)
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
