import Engine
import Chunker
import Foundation
import GitSource
import Search
import Store

/// `quarry eval --set NAME`: each repository of the set is fetched, unpacked
/// into git and indexed by the normal pipeline (one index per repository);
/// each question, in every language, is searched in its repository's index.
enum EvalSetCommand {
    /// One indexed repository, ready to search.
    struct Indexed {
        var repository: EvalSetRepository
        var searcher: Searcher
        var files: Int
        var chunks: Int
        /// Code language of each answer, by question id.
        var answerLanguages: [String: String]
    }

    static func run(_ context: CommandContext, set: EvalSet, options: EvalOptions) throws -> ExitStatus {
        let console = context.console
        let library = ModelLibrary(paths: context.paths, environment: context.environment)
        let loaded = try ModelLoader.loadForIndexing(directory: library.directory(for: options.model))
        let work = options.work ?? FileManager.default.temporaryDirectory.path + "/quarry-eval-\(set.name)-\(getpid())"
        defer { if options.work == nil { try? FileManager.default.removeItem(atPath: work) } }

        let indexStart = monotonicSeconds()
        let source = EvalSetSource(downloads: context.paths.downloads)
        var indexed: [String: Indexed] = [:]
        for repository in set.repositories {
            let archive = try source.archive(for: repository)
            let path = try source.materialize(repository, archive: archive, in: work)
            indexed[repository.name] = try index(repository, at: path, indexPath: work + "/\(repository.name)/index.sqlite",
                                                 questions: set.questions.filter { $0.repository == repository.name },
                                                 loaded: loaded, options: options, context: context)
        }
        let indexSeconds = monotonicSeconds() - indexStart

        var report: [(split: String, questions: Int, scores: [(SearchMode, EvalSetScores)])] = []
        var details: [JSON] = []
        for split in options.splits {
            let questions = set.questions(split: split)
            let queries = questions.flatMap { question in set.languages.map { (question, $0) } }
            let vectors = try loaded.model.embed(queries.map { $0.0.texts[$0.1]! }, as: .query)
            var rows: [(SearchMode, EvalSetScores)] = []
            for mode in options.modes {
                var scores = EvalSetScores()
                for ((question, language), vector) in zip(queries, vectors) {
                    let target = indexed[question.repository]!
                    let results = try target.searcher.search(question.texts[language]!, queryVector: vector, mode: mode,
                                                             limit: HitMetrics.depth)
                    let rank = results.firstIndex { answers(question, $0) }.map { $0 + 1 }
                    scores.add(rank: rank, paths: results.map(\.path), language: language,
                               codeLanguage: target.answerLanguages[question.id]!)
                    if options.details {
                        details.append(.object([
                            ("split", .string(split)), ("mode", .string(mode.rawValue)), ("id", .string(question.id)),
                            ("language", .string(language)), ("rank", rank.map { .int($0) } ?? .null),
                            ("top", .array(results.prefix(5).map { .string("\($0.path) \($0.chunk.symbol)") })),
                        ]))
                    }
                }
                rows.append((mode, scores))
            }
            report.append((split, questions.count, rows))
        }

        let repositories = set.repositories.map { indexed[$0.name]! }
        if options.json {
            console.line(JSON.object([
                ("set", .string(set.name)), ("model", .string(loaded.name)),
                ("index_seconds", .double(EvalCommand.rounded(indexSeconds))),
                ("k_rrf", .int(Int(options.fusion.k))), ("lexical_weight", .double(options.fusion.weights[0])),
                ("quantization", .string(options.int8 ? "int8" : "none")),
                ("repositories", .array(repositories.map { entry in
                    .object([("name", .string(entry.repository.name)), ("version", .string(entry.repository.version)),
                             ("files", .int(entry.files)), ("chunks", .int(entry.chunks))])
                })),
                ("splits", .object(report.map { entry in
                    (entry.split, .object([("questions", .int(entry.questions))]
                                          + entry.scores.map { ($0.0.rawValue, $0.1.json(languages: set.languages)) }))
                })),
            ]).serialized)
            for line in details { console.line(line.serialized) }
        } else {
            console.line("\(set.name): " + repositories.map {
                "\($0.repository.name) \($0.repository.version) (\($0.files) files, \($0.chunks) chunks)"
            }.joined(separator: ", ") + "; model \(loaded.name); k_rrf \(Int(options.fusion.k)), lexical weight \(options.fusion.weights[0])"
                + (options.int8 ? "; int8 scan" : "") + "; indexing " + String(format: "%.0f s", indexSeconds))
            for entry in report {
                printTable(split: entry.split, questions: entry.questions, scores: entry.scores, set: set, console: console)
            }
            for line in details { console.line(line.serialized) }
        }
        return .success
    }

    /// Whether `result` answers the question: the path of its answer or of
    /// an alternative (or another path holding the same blob) and that chunk symbol.
    static func answers(_ question: EvalSetQuestion, _ result: SearchResult) -> Bool {
        question.answers.contains { answer in
            result.chunk.symbol == answer.symbol
                && (result.path == answer.path || result.hit.otherPaths.contains(answer.path))
        }
    }

    private static func index(_ repository: EvalSetRepository, at path: String, indexPath: String,
                              questions: [EvalSetQuestion], loaded: LoadedModel, options: EvalOptions,
                              context: CommandContext) throws -> Indexed {
        let (store, searcher) = try options.indexAndOpen(path, indexPath: indexPath, loaded: loaded, context: context,
                                                         label: repository.name + ": ")
        let git = try GitRepository(discoveringFrom: path)
        let statistics = try store.statistics()
        let languages = try answerLanguages(questions, in: git, loaded: loaded, grammars: context.paths.grammars)
        return Indexed(repository: repository, searcher: searcher, files: statistics.files, chunks: statistics.chunks,
                       answerLanguages: languages)
    }

    /// Chunks each answer's file as the indexer does and checks that the
    /// answer's symbol is one of its chunks; returns each answer's code language.
    static func answerLanguages(_ questions: [EvalSetQuestion], in git: GitRepository, loaded: LoadedModel,
                                grammars: String) throws -> [String: String] {
        let entries = Dictionary(try git.treeEntries(of: try git.resolveCommit()).map { ($0.path, $0) },
                                 uniquingKeysWith: { first, _ in first })
        let chunker = Chunker(registry: try GrammarRegistry(directory: grammars),
                              options: ChunkingOptions(maxChunkSize: loaded.chunkBudget, measure: loaded.chunkingMeasure))
        var records: [String: BlobRecord] = [:]
        var languages: [String: String] = [:]
        var missing: [String] = []
        for question in questions {
            for answer in question.answers {
                guard let entry = entries[answer.path] else {
                    missing.append("\(question.id): no file \(answer.path)")
                    continue
                }
                let record = try records[answer.path] ?? Indexer.record(
                    for: entry, contents: try git.blobContents(entry.blobID), filter: BlobFilter(), chunker: chunker)
                records[answer.path] = record
                if !record.chunks.contains(where: { $0.symbol == answer.symbol }) {
                    missing.append("\(question.id): no chunk \(answer.symbol) in \(answer.path)")
                } else if answer.path == question.path {
                    languages[question.id] = record.language.rawValue
                }
            }
        }
        guard missing.isEmpty else {
            throw CLIError("\(missing.count) answers are not chunks: " + missing.prefix(5).joined(separator: "; "))
        }
        return languages
    }

    private static func printTable(split: String, questions: Int, scores: [(SearchMode, EvalSetScores)], set: EvalSet,
                                   console: Console) {
        guard let first = scores.first?.1 else { return }
        console.line("")
        console.line("\(split): \(questions) questions x \(set.languages.count) languages")
        console.line(EvalCommand.pad("", 8) + scores.map { EvalCommand.pad($0.0.rawValue, 20) }.joined(separator: " | "))
        console.line(EvalCommand.pad("", 8) + scores.map { _ in HitMetrics.header }.joined(separator: " | "))
        for (index, row) in first.rows(languages: set.languages).enumerated() {
            console.line(EvalCommand.pad(row.0, 8)
                         + scores.map { $0.1.rows(languages: set.languages)[index].1.row }.joined(separator: " | "))
        }
        for (label, count) in [("noise", \EvalSetScores.noisyQueries), ("tests", \.testsAbove), ("docs", \.docsAbove)] {
            console.line(EvalCommand.pad(label, 8) + scores.map {
                let text = "\($0.1[keyPath: count])/\($0.1.all.queries)"
                return String(repeating: " ", count: max(0, 20 - text.count)) + text
            }.joined(separator: " | "))
        }
        console.line("noise: queries with a lock file, key, checksum list or image in their top 10; "
                     + "tests, docs: with a test or documentation file in their top 5 above the answer")
    }
}
