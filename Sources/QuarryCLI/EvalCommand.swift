import Arguments
import Encoder
import Engine
import Foundation
import GitSource
import Search
import Store

/// `quarry eval`: retrieval quality on the CoSQA split, through the same
/// pipeline users run (git repository -> Indexer -> Searcher).
enum EvalCommand {
    /// Results per query searched; ranks beyond it count as misses (MRR@100).
    static let rankDepth = 100

    static let spec = CommandSpec(
        path: "quarry eval",
        summary: "Measure retrieval quality on the CoSQA split (default) or an evaluation set (--set).",
        discussion: """
        The 6,267 CoSQA Python functions become a generated git repository (one
        file per function, f/<id>.py) indexed by the normal pipeline, chunks
        embedded with the model; then each split's 500 web queries are searched
        lexically, semantically and hybrid, and the rank of the one relevant
        function gives MRR@100, nDCG@10 and Recall@1/5/10 (x100). A function
        counts as found at the rank of its first result (any of its paths).

        --work keeps the repository and index, so a second run only embeds the
        queries; without it they go to a temporary directory removed at the end.
        Tune on dev only; test is held out.

        --set NAME runs an evaluation set from Benchmarks/sets/NAME (or a
        directory): real repositories rebuilt from pinned, sha256-checked source
        packages (cached in $QUARRY_HOME/downloads, fetched with pip or apt-get),
        each indexed by the normal pipeline, and questions in several human
        languages with known answers (path and function). It reports hit@1,
        hit@5 and MRR@10 per human language, per code language and per mode,
        and how many queries have a lock file, key, checksum list or image in
        their top 10. Run it from the Quarry checkout.

        Examples:
          quarry eval --work /tmp/cosqa --split dev
          quarry eval --work /tmp/cosqa --split dev --k-rrf 60 --lexical-weight 1 --json
          quarry eval --set multilingual --work /tmp/quarry-multilingual --split dev
          quarry eval --set multilingual --work /tmp/quarry-multilingual --mode hybrid --json --details
        """,
        options: [
            OptionSpec("set", value: "NAME|DIR",
                       help: "Evaluation set: cosqa (default) or one under Benchmarks/sets, e.g. multilingual."),
            OptionSpec("data", value: "DIR", help: "CoSQA directory (default ../shared/data/cosqa)."),
            OptionSpec("split", value: "SPLIT", help: "dev, test or both (default both)."),
            OptionSpec("mode", value: "MODE", repeatable: true,
                       help: "lexical, semantic or hybrid (default all three)."),
            OptionSpec("model", value: "NAME|DIR", help: "Embedding model (default multilingual-e5-small)."),
            OptionSpec("k-rrf", value: "N", help: "Reciprocal rank fusion constant (default 10, as search)."),
            OptionSpec("lexical-weight", value: "W",
                       help: "Weight of the BM25 ranking in the fusion (default 0.2, as search)."),
            .flag("int8", help: "Scan int8-quantised vectors, rescoring the best 200 in fp32."),
            OptionSpec("bridge-words", value: "N",
                       help: "Hybrid: nearest vocabulary words searched as keywords (default 10, as search; 0 = off)."),
            OptionSpec("bridge-weight", value: "W", help: "Weight of the bridged keyword ranking (default 0.2, as search)."),
            OptionSpec("bridge-coverage", value: "C",
                       help: "Bridge only questions whose words the index covers less than this (0-1, as search)."),
            OptionSpec("test-demotion", value: "N", help: "Places a test hit yields to code (default 20, as search)."),
            OptionSpec("doc-demotion", value: "N",
                       help: "Places a documentation hit yields to code (default 10, as search)."),
            OptionSpec("work", value: "DIR", help: "Keep the generated repositories and indexes here for reuse."),
            .flag("json", help: "Print one JSON object instead of the table."),
            .flag("details", help: "With --set: also print one JSON line per query (rank, top 5 results)."),
        ])

    static let command = Command(spec: spec) { context in try run(context) }

    static func run(_ context: CommandContext) throws -> ExitStatus {
        let args = context.arguments
        let options = try EvalOptions(args)
        if let name = args.value("set"), name != "cosqa" {
            if args.value("data") != nil { throw CLIError("--data is for CoSQA; an evaluation set brings its own data") }
            return try EvalSetCommand.run(context, set: try EvalSet(directory: EvalSet.directory(for: name)),
                                          options: options)
        }
        let dataDirectory = args.value("data") ?? "../shared/data/cosqa"
        let splits = options.splits
        let modes = options.modes
        let rrfK = Int(options.fusion.k)
        let lexicalWeight = options.fusion.weights[0]
        let json = options.json
        let console = context.console

        let corpus = try EvalCorpus(directory: dataDirectory)
        let queries = try splits.map { try corpus.queries(split: $0) }
        let library = ModelLibrary(paths: context.paths, environment: context.environment)
        let loaded = try ModelLoader.loadForIndexing(directory: library.directory(for: options.model))

        let workDirectory: String
        let temporary = options.work == nil
        if let work = options.work {
            workDirectory = work
        } else {
            workDirectory = FileManager.default.temporaryDirectory.path + "/quarry-eval-\(getpid())"
        }
        defer { if temporary { try? FileManager.default.removeItem(atPath: workDirectory) } }

        // Index (a no-op when --work already holds a complete index).
        let repositoryPath = try corpus.materialize(in: workDirectory)
        let (store, searcher) = try options.indexAndOpen(repositoryPath, indexPath: workDirectory + "/index.sqlite",
                                                         loaded: loaded, context: context)
        let chunkCount = try store.statistics().chunks

        var report: [(split: String, embedMilliseconds: Double, rows: [(SearchMode, RetrievalMetrics)])] = []
        for (name, splitQueries) in zip(splits, queries) {
            let start = monotonicSeconds()
            let vectors = try loaded.model.embed(splitQueries.map(\.text), as: .query)
            let embedMilliseconds = 1000 * (monotonicSeconds() - start) / Double(max(1, splitQueries.count))
            var rows: [(SearchMode, RetrievalMetrics)] = []
            for mode in modes {
                let searchStart = monotonicSeconds()
                var ranks: [Int?] = []
                for (query, vector) in zip(splitQueries, vectors) {
                    let results = try searcher.search(query.text, queryVector: vector, mode: mode, limit: rankDepth)
                    ranks.append(EvalCorpus.rank(of: query.relevantID, in: results))
                }
                var metrics = RetrievalMetrics(ranks: ranks)
                metrics.milliseconds = 1000 * (monotonicSeconds() - searchStart) / Double(max(1, ranks.count))
                rows.append((mode, metrics))
            }
            report.append((name, embedMilliseconds, rows))
        }

        if json {
            console.line(JSON.object([
                ("data", .string(dataDirectory)),
                ("model", .string(loaded.name)),
                ("functions", .int(corpus.functions.count)),
                ("chunks", .int(chunkCount)),
                ("k_rrf", .int(rrfK)),
                ("lexical_weight", .double(lexicalWeight)),
                ("quantization", .string(options.int8 ? "int8" : "none")),
                ("splits", .object(report.map { entry in
                    (entry.split, .object([("queries", .int(entry.rows.first?.1.queries ?? 0)),
                                           ("query_embed_ms", .double(rounded(entry.embedMilliseconds)))]
                                          + entry.rows.map { ($0.0.rawValue, $0.1.json) }))
                })),
            ]).serialized)
        } else {
            console.line("CoSQA: \(corpus.functions.count) functions, \(chunkCount) chunks; model \(loaded.name); "
                         + "k_rrf \(rrfK), lexical weight \(lexicalWeight)" + (options.int8 ? "; int8 scan" : ""))
            console.line(pad("split", 6) + pad("mode", 10) + RetrievalMetrics.header)
            for entry in report {
                for (mode, metrics) in entry.rows {
                    console.line(pad(entry.split, 6) + pad(mode.rawValue, 10) + metrics.row)
                }
                console.line("\(entry.split): query embedding " + String(format: "%.1f", entry.embedMilliseconds) + " ms/query")
            }
        }
        return .success
    }

    static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
    }

    static func rounded(_ value: Double) -> Double { (value * 100).rounded() / 100 }
}

/// The options `quarry eval` shares between CoSQA and `--set`.
struct EvalOptions {
    var splits: [String]
    var modes: [SearchMode]
    var model: String?
    var fusion: ReciprocalRankFusion
    var int8: Bool
    var bridge: KeywordBridge?
    var testDemotion: Int
    var documentDemotion: Int
    var work: String?
    var json: Bool
    var details: Bool

    init(_ args: ParsedArguments) throws {
        let split = try args.choice("split", of: ["dev", "test", "both"], default: "both")
        splits = split == "both" ? ["dev", "test"] : [split]
        modes = []
        for name in args.allValues("mode") {
            guard let mode = SearchMode(rawValue: name) else {
                throw ArgumentError.invalidValue(option: "--mode", value: name, expected: "lexical, semantic or hybrid")
            }
            if !modes.contains(mode) { modes.append(mode) }
        }
        if modes.isEmpty { modes = [.lexical, .semantic, .hybrid] }
        let fusionDefault = ReciprocalRankFusion.hybridDefault
        let rrfK = try args.integer("k-rrf", default: Int(fusionDefault.k), in: 0...100_000)
        let lexicalWeight = try Self.number(args, "lexical-weight", default: fusionDefault.weights[0])
        fusion = ReciprocalRankFusion(k: Double(rrfK), weights: [lexicalWeight, 1])
        model = args.value("model")
        int8 = args.flag("int8")
        let bridgeWords = try args.integer("bridge-words", default: KeywordBridge().words, in: 0...1_000)
        let bridgeWeight = try Self.number(args, "bridge-weight", default: KeywordBridge().weight)
        let bridgeCoverage = try Self.number(args, "bridge-coverage", default: KeywordBridge().maximumCoverage,
                                             in: 0...1, expected: "a number from 0 to 1")
        bridge = bridgeWords > 0
            ? KeywordBridge(words: bridgeWords, weight: bridgeWeight, maximumCoverage: bridgeCoverage) : nil
        testDemotion = try args.integer("test-demotion", default: Searcher.defaultTestDemotion, in: 0...1_000)
        documentDemotion = try args.integer("doc-demotion", default: Searcher.defaultDocumentDemotion, in: 0...1_000)
        work = args.value("work")
        json = args.flag("json")
        details = args.flag("details")
    }

    /// The value of `--name` as a finite number in `range`, or `defaultValue` when absent.
    private static func number(_ args: ParsedArguments, _ name: String, default defaultValue: Double,
                               in range: ClosedRange<Double> = 0...Double.greatestFiniteMagnitude,
                               expected: String = "a number >= 0") throws -> Double {
        guard let raw = args.value(name) else { return defaultValue }
        guard let value = Double(raw), value.isFinite, range.contains(value) else {
            throw ArgumentError.invalidValue(option: "--" + name, value: raw, expected: expected)
        }
        return value
    }
}

extension EvalOptions {
    /// Indexes the repository at `path` with the normal pipeline (a no-op
    /// when the index is complete) and opens a searcher on it with these
    /// options' fusion and quantisation.
    func indexAndOpen(_ path: String, indexPath: String, loaded: LoadedModel, context: CommandContext,
                      label: String = "") throws -> (IndexStore, Searcher) {
        var indexOptions = Indexer.Options()
        indexOptions.grammarDirectory = context.paths.grammars
        indexOptions.model = loaded
        indexOptions.hubness = try ReferenceQuestions.correction(for: loaded, paths: context.paths)
        let progress = ProgressLine(enabled: context.console.stderrIsTerminal && !json)
        let summary = try Indexer(repository: try GitRepository(discoveringFrom: path), indexPath: indexPath,
                                  options: indexOptions).run { progress.update(label + $0.progressText) }
        progress.finish()
        if !json { context.console.error(label + summary.humanText) }

        let store = try IndexStore(path: indexPath, mode: .readOnly)
        guard let model = try store.models().last(where: {
            $0.name == loaded.name && $0.revision == loaded.revision && $0.dimension == loaded.model.dimension
        }) else {
            throw CLIError("the index at \(indexPath) has no vectors for \(loaded.name)")
        }
        let searcher = Searcher(store: store, model: model)
        searcher.fusion = fusion
        searcher.bridge = bridge
        searcher.testDemotion = testDemotion
        searcher.documentDemotion = documentDemotion
        if int8 { searcher.quantization = .int8(rescore: 200) }
        return (store, searcher)
    }
}

/// One query and the id of the function that answers it.
struct EvalQuery {
    var text: String
    var relevantID: Int
}

/// The CoSQA files: `code_idx_map.txt` (function text -> id) and the
/// `cosqa-retrieval-<split>-500.json` query lists.
struct EvalCorpus {
    let directory: String
    /// Functions by ascending id.
    let functions: [(id: Int, code: String)]
    /// SHA-256 of code_idx_map.txt: a generated repository is reused only for the same corpus.
    let digest: String

    init(directory: String) throws {
        let path = directory + "/code_idx_map.txt"
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CLIError("no CoSQA corpus at \(path) (see --data)")
        }
        guard let map = try? JSONSerialization.jsonObject(with: data) as? [String: Int] else {
            throw CLIError("\(path): expected a JSON object of function text -> integer id")
        }
        self.directory = directory
        functions = map.map { (id: $0.value, code: $0.key) }.sorted { $0.id < $1.id }
        digest = ContentHash(digesting: [UInt8](data)).hex
    }

    func queries(split: String) throws -> [EvalQuery] {
        let path = directory + "/cosqa-retrieval-\(split)-500.json"
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CLIError("no CoSQA \(split) queries at \(path)")
        }
        guard let rows = try? JSONSerialization.jsonObject(with: data) as? [[String: Any]] else {
            throw CLIError("\(path): expected a JSON array of objects")
        }
        return try rows.enumerated().map { index, row in
            guard let text = row["doc"] as? String, let id = row["retrieval_idx"] as? Int else {
                throw CLIError("\(path): row \(index) lacks a string \"doc\" or an integer \"retrieval_idx\"")
            }
            return EvalQuery(text: text, relevantID: id)
        }
    }

    static func path(of id: Int) -> String { "f/\(id).py" }

    /// 1-based rank of the first result holding function `id` at any of its paths.
    static func rank(of id: Int, in results: [SearchResult]) -> Int? {
        let wanted = path(of: id)
        return results.firstIndex { $0.path == wanted || $0.otherPaths.contains(wanted) }.map { $0 + 1 }
    }

    /// Writes the functions as a git repository under `work` (one commit,
    /// fixed author and date) unless one for this corpus is already there;
    /// returns its path.
    func materialize(in work: String) throws -> String {
        let fm = FileManager.default
        let repository = work + "/repo"
        let stamp = repository + "/.git/quarry-eval-corpus"
        if let existing = fm.contents(atPath: stamp), String(decoding: existing, as: UTF8.self) == digest {
            return repository
        }
        try? fm.removeItem(atPath: repository)
        try fm.createDirectory(atPath: repository + "/f", withIntermediateDirectories: true)
        for function in functions {
            let text = function.code.hasSuffix("\n") ? function.code : function.code + "\n"
            guard fm.createFile(atPath: repository + "/" + Self.path(of: function.id), contents: Data(text.utf8)) else {
                throw CLIError("cannot write \(repository)/\(Self.path(of: function.id))")
            }
        }
        try Subprocess.git(["init", "-q"], in: repository)
        try Subprocess.git(["add", "-A"], in: repository)
        try Subprocess.git(["commit", "-q", "--no-verify", "-m", "CoSQA corpus"], in: repository)
        guard fm.createFile(atPath: stamp, contents: Data(digest.utf8)) else {
            throw CLIError("cannot write \(stamp)")
        }
        return repository
    }
}

/// Ranking quality with one relevant item per query, each in [0, 100].
struct RetrievalMetrics {
    var queries = 0
    /// Mean reciprocal rank, ranks beyond `EvalCommand.rankDepth` counting 0.
    var mrr = 0.0
    /// With one relevant item the ideal DCG is 1: nDCG@10 = 1 / log2(rank + 1) within the top 10.
    var ndcg10 = 0.0
    var recall1 = 0.0
    var recall5 = 0.0
    var recall10 = 0.0
    /// Mean search time per query (not counting query embedding).
    var milliseconds = 0.0

    init(ranks: [Int?]) {
        queries = ranks.count
        guard !ranks.isEmpty else { return }
        for rank in ranks.compactMap({ $0 }) {
            mrr += 1 / Double(rank)
            if rank <= 10 { ndcg10 += 1 / log2(Double(rank) + 1) }
            if rank <= 1 { recall1 += 1 }
            if rank <= 5 { recall5 += 1 }
            if rank <= 10 { recall10 += 1 }
        }
        let scale = 100 / Double(ranks.count)
        mrr *= scale
        ndcg10 *= scale
        recall1 *= scale
        recall5 *= scale
        recall10 *= scale
    }

    static let header = "   MRR  nDCG@10     R@1     R@5    R@10  ms/query"

    var row: String {
        String(format: "%6.2f  %7.2f  %6.2f  %6.2f  %6.2f  %8.2f", mrr, ndcg10, recall1, recall5, recall10, milliseconds)
    }

    var json: JSON {
        .object([
            ("mrr", .double(EvalCommand.rounded(mrr))),
            ("ndcg@10", .double(EvalCommand.rounded(ndcg10))),
            ("recall@1", .double(EvalCommand.rounded(recall1))),
            ("recall@5", .double(EvalCommand.rounded(recall5))),
            ("recall@10", .double(EvalCommand.rounded(recall10))),
            ("ms_per_query", .double(EvalCommand.rounded(milliseconds))),
        ])
    }
}
