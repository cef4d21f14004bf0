import Dispatch
import QuarryCore
import Store

/// The one entry point for `quarry search` and `quarry eval`: lexical, semantic
/// or hybrid ranking with filters, then `ResultMerger`.
///
/// The caller embeds the query (query side: e5 adds "query: "): Search never
/// runs the encoder. The model's vectors are loaded once and kept while the
/// searcher lives; a searcher sees them as they were when first searched.
/// Not thread-safe (it caches); use one per thread.
public final class Searcher {
    public let store: IndexStore
    /// The model whose stored vectors semantic and hybrid search use; nil allows lexical only.
    public let model: ModelRecord?
    /// Hybrid fusion; its `weights` are in the order [lexical, semantic].
    public var fusion = ReciprocalRankFusion.hybridDefault
    public var quantization: VectorQuantization = .none
    public var weights: ColumnWeights {
        get { lexical.weights }
        set { lexical.weights = newValue }
    }
    /// Hybrid: how many results each ranking contributes before fusion, for a
    /// given limit. Deeper lists let a chunk ranked fairly well by both
    /// rankings overtake one ranked first by only one.
    public var fusionDepth: @Sendable (_ limit: Int) -> Int = { max(2 * $0, 50) }
    /// Hybrid: the cross-lingual keyword bridge; nil turns it off.
    public var bridge: KeywordBridge? = KeywordBridge()
    /// With `TestPolicy.below`, how many places a test hit yields to the
    /// code below it: a test outranks code only when it ranks this much better.
    /// Tuned on the dev split of `quarry eval --set multilingual` (hybrid
    /// hit@5: 0 places 58.8, 5: 63.9, 10: 66.6, 20: 68.0 with documents at 10).
    public var testDemotion = Searcher.defaultTestDemotion
    public static let defaultTestDemotion = 20
    /// How many places a documentation hit (prose: Markdown, reStructuredText,
    /// text files) yields to the code below it; people asking where
    /// something is done want the code that does it. Kept below the tests'
    /// (dev hybrid hit@5 66.4 at 10/10, 68.2 at 20/20) so that documentation
    /// a question asks for stays in reach.
    public var documentDemotion = Searcher.defaultDocumentDemotion
    public static let defaultDocumentDemotion = 10

    /// Where the time of the searches so far went.
    public private(set) var statistics = SearchStatistics()

    private let lexical: LexicalSearcher
    private var loadedVectors: VectorSearcher?
    private var loadedWords: WordVectors?
    /// Lexical hits computed ahead by `prepare`, reused by the search that follows.
    private var preparedLexical: (query: String, filters: String, depth: Int, hits: [ChunkHit])?

    public init(store: IndexStore, model: ModelRecord? = nil) {
        self.store = store
        self.model = model
        lexical = LexicalSearcher(store: store)
    }

    /// A searcher that uses `vectors` (the model's, loaded by an earlier
    /// searcher at the generation this store sees) instead of mapping them again.
    public convenience init(store: IndexStore, model: ModelRecord, vectors: VectorSearcher, words: WordVectors? = nil) {
        self.init(store: store, model: model)
        loadedVectors = vectors
        loadedWords = words
        statistics.vectorSource = vectors.matrix.source
        statistics.vectorRows = vectors.count
    }

    /// The newest model row called `name`; nil when none. For callers that
    /// know the model's name but not its fingerprint (prefer the exact row).
    public static func model(named name: String, in store: IndexStore) throws(SearchError) -> ModelRecord? {
        do {
            return try store.models().last { $0.name == name }
        } catch {
            throw .store(error)
        }
    }

    /// The best `limit` results for `query` in `mode`, merged (see
    /// `ResultMerger`), best first. Semantic and hybrid need `queryVector`
    /// and a `model`; hybrid with no vectors stored answers lexically (check
    /// `vectorCount()` to warn).
    ///
    /// `scan`, when given, is `scan(_:mode:filters:limit:)`'s for the same
    /// query vector, mode, filters and limit: its scores are used instead of scanning again.
    public func search(_ query: String, queryVector: [Float]? = nil, mode: SearchMode = .hybrid,
                       filters: SearchFilters = SearchFilters(), limit: Int = 10,
                       scan: VectorScan? = nil) throws(SearchError) -> [SearchResult] {
        guard limit > 0 else { return [] }
        let terms = Set(LexicalSearcher.terms(of: query))
        var vectors: VectorSearcher?
        if mode.usesVectors {
            guard let queryVector, model != nil else { throw .missingQueryVector(mode: mode) }
            let loaded = try vectorSearcher()
            guard queryVector.count == loaded.dimension else {
                throw .dimensionMismatch(query: queryVector.count, index: loaded.dimension)
            }
            vectors = loaded.count > 0 ? loaded : nil
            if vectors == nil && mode == .semantic { return [] }
        }
        if let scan {
            statistics.vectorScoringSeconds += scan.seconds
            statistics.semanticSeconds += scan.seconds
        }
        // How much of the question the keywords cover decides the hubness
        // strength the vectors rank by and whether the keyword bridge joins.
        var coverage: Double?
        if vectors != nil {
            let covering = SearchStatistics.now()
            coverage = try lexical.coverage(of: query)
            statistics.coverageSeconds += SearchStatistics.now() - covering
        }
        let hubness = coverage.flatMap(HubnessCorrection.strength(forCoverage:))
        // Merging can fold several hits into one: ask for more until `limit`
        // merged results exist or the rankings run out.
        var depth = initialDepth(mode: mode, vectors: vectors != nil, limit: limit)
        while true {
            let rankings = try rankedHits(query, queryVector: queryVector, vectors: vectors, scan: scan, mode: mode,
                                          filters: filters, depth: depth, coverage: coverage ?? 1)
            let merging = SearchStatistics.now()
            var members = try containerMembers(query, queryVector: queryVector, rankings: rankings, depth: depth,
                                               hubness: hubness)
            let ordered = Self.demoting(rankings.merged, tests: filters.tests == .below ? testDemotion : 0,
                                        documents: Self.asksForDocumentation(query) ? 0 : documentDemotion)
            try members.load(ordered.filter { $0.chunk.kind.isContainer }.map(\.chunkID))
            // Lines are found after merging, for the results shown only (see `withRelevantLines`).
            let results = try ResultMerger.merge(ordered.map { SearchResult(hit: $0, relevantLines: []) },
                                                 members: { (container) throws(SearchError) in
                                                     try members.members(of: container)
                                                 })
            defer { statistics.mergingSeconds += SearchStatistics.now() - merging }
            if results.count >= limit || rankings.exhausted {
                let pieces = Dictionary(ordered.map { ($0.chunkID, $0) }, uniquingKeysWith: { first, _ in first })
                return results.prefix(limit).map { result in
                    Self.labellingTests(Self.withRelevantLines(result, pieces: pieces, terms: terms))
                }
            }
            depth *= 2
        }
    }

    /// What `ResultMerger` resolves containers with: each ranking used, as scores at `depth`.
    private func containerMembers(_ query: String, queryVector: [Float]?, rankings: Rankings,
                                  depth: Int, hubness: Float?) throws(SearchError) -> ContainerMembers {
        let fused = rankings.semantic != nil && rankings.lexical != nil
        var members = ContainerMembers(store: store, lexical: lexical, k: fused ? fusion.k : 0)
        members.vectors = loadedVectors
        if let hits = rankings.lexical, let match = try lexical.matchExpression(for: query) {
            let weight = fused ? fusion.weights.first ?? 1 : 1
            members.keywords = (ContainerMembers.Ranking(hits, depth: depth, weight: weight), match)
        }
        if let hits = rankings.semantic, let model, let queryVector {
            let weight = fused && fusion.weights.count > 1 ? fusion.weights[1] : 1
            members.meaning = (ContainerMembers.Ranking(hits, depth: depth, weight: weight), model,
                               VectorSearcher.normalised(queryVector), hubness)
        }
        return members
    }

    /// Does the work of `search` that needs no query vector: maps the
    /// model's vectors and ranks `query` lexically. A caller that is still
    /// embedding the query can run this meanwhile on another thread (the
    /// searcher must not be used elsewhere until it returns), so a whole
    /// `quarry search` costs the slower of the two rather than their sum.
    public func prepare(_ query: String, mode: SearchMode = .hybrid, filters: SearchFilters = SearchFilters(),
                        limit: Int = 10) throws(SearchError) {
        guard limit > 0 else { return }
        var vectorsAvailable = false
        if mode.usesVectors, let model {
            vectorsAvailable = try vectorSearcher().count > 0
            if mode == .hybrid && bridge != nil { _ = try wordVectors(of: model) }
        }
        guard mode != .semantic else { return }
        let depth = initialDepth(mode: mode, vectors: vectorsAvailable, limit: limit)
        preparedLexical = (query, filters.cacheKey, depth, try timedLexicalHits(query, filters: filters, depth: depth))
    }

    /// The vector scan `search` would run for this query vector, for a
    /// caller that has the vector while `prepare` still runs on another
    /// thread: it reads only the vectors this searcher was made with, never
    /// the store or the searcher's caches, so it may run beside `prepare`
    /// (nothing else). Pass it to `search`. Nil when the mode uses no
    /// vectors, none are stored, or they are not loaded yet (`prepare` loads
    /// them: scan in `search` then).
    public func scan(_ queryVector: [Float], mode: SearchMode = .hybrid, filters: SearchFilters = SearchFilters(),
                     limit: Int = 10) throws(SearchError) -> VectorScan? {
        guard mode.usesVectors, limit > 0, model != nil, let loadedVectors, loadedVectors.count > 0,
              queryVector.count == loadedVectors.dimension else { return nil }
        return try loadedVectors.scan(queryVector, filters: filters,
                                      limit: initialDepth(mode: mode, vectors: true, limit: limit))
    }

    /// How many hits each ranking gives a search's first round.
    private func initialDepth(mode: SearchMode, vectors: Bool, limit: Int) -> Int {
        mode == .lexical || !vectors ? limit + limit / 2 + 5 : fusionDepth(limit)
    }

    /// The lexical ranking's best `depth` hits, timed.
    private func timedLexicalHits(_ query: String, filters: SearchFilters, depth: Int) throws(SearchError) -> [ChunkHit] {
        let started = SearchStatistics.now()
        defer { statistics.lexicalSeconds += SearchStatistics.now() - started }
        return try lexical.hits(query, filters: filters, limit: depth)
    }

    /// How many chunk texts have vectors for the model (any revision).
    public func vectorCount() throws(SearchError) -> Int {
        model == nil ? 0 : try vectorSearcher().count
    }

    /// The model's vectors, loaded (mapped) on first use.
    public func vectorSearcher() throws(SearchError) -> VectorSearcher {
        guard let model else { throw .missingQueryVector(mode: .semantic) }
        if let loadedVectors { return loadedVectors }
        let started = SearchStatistics.now()
        let loaded = try VectorSearcher(store: store, model: model, quantization: quantization)
        statistics.vectorLoadSeconds += SearchStatistics.now() - started
        statistics.vectorSource = loaded.matrix.source
        statistics.vectorRows = loaded.count
        loadedVectors = loaded
        return loaded
    }

    /// One round's rankings: each one used (nil when not), and the list they make.
    private struct Rankings {
        var lexical: [ChunkHit]?
        var semantic: [ChunkHit]?
        /// Unmerged hits, best first: the one ranking used, or both fused.
        var merged: [ChunkHit]
        /// Whether the rankings had no more to give.
        var exhausted: Bool
    }

    /// The rankings at `depth`; `coverage` is the share of the question the
    /// index's keywords cover (`LexicalSearcher.coverage`), asked for only
    /// when vectors rank.
    private func rankedHits(_ query: String, queryVector: [Float]?, vectors: VectorSearcher?, scan: VectorScan?,
                            mode: SearchMode, filters: SearchFilters, depth: Int,
                            coverage: Double) throws(SearchError) -> Rankings {
        var lexicalHits: [ChunkHit]?
        if let prepared = preparedLexical, mode != .semantic, prepared.query == query,
           prepared.filters == filters.cacheKey, prepared.depth == depth {
            lexicalHits = prepared.hits
        } else if mode != .semantic {
            lexicalHits = try timedLexicalHits(query, filters: filters, depth: depth)
        }
        guard let vectors, let queryVector else {
            let hits = lexicalHits ?? []
            return Rankings(lexical: lexicalHits, merged: hits, exhausted: hits.count < depth)
        }
        let semanticStart = SearchStatistics.now()
        let scanned: VectorScan
        if let scan {
            scanned = scan
        } else {
            scanned = try vectors.scan(queryVector, filters: filters, limit: depth, statistics: &statistics)
        }
        let semanticHits = Self.definitionsFirst(try vectors.search(
            scanned, in: store, filters: filters, limit: depth,
            hubness: HubnessCorrection.strength(forCoverage: coverage), statistics: &statistics))
        statistics.semanticSeconds += SearchStatistics.now() - semanticStart
        guard let lexicalHits else {
            return Rankings(semantic: semanticHits, merged: semanticHits, exhausted: semanticHits.count < depth)
        }
        var lists = [lexicalHits, semanticHits]
        var fusion = self.fusion
        if let bridge, let model {
            // A question the index's keywords already cover needs no bridge:
            // its weight shrinks with the share of the question they match,
            // and past `maximumCoverage` it is left out.
            let bridging = SearchStatistics.now()
            defer { statistics.bridgeSeconds += SearchStatistics.now() - bridging }
            let weight = coverage < bridge.maximumCoverage ? bridge.weight * (1 - coverage) : 0
            let words = weight > 0 ? try bridgeWords(for: queryVector, query: query, bridge: bridge, model: model) : []
            if !words.isEmpty {
                lists.append(try lexical.hits(words.joined(separator: " "), filters: filters, limit: depth))
                fusion.weights = Array((fusion.weights + [1, 1]).prefix(2)) + [weight]
            }
        }
        return Rankings(lexical: lexicalHits, semantic: semanticHits, merged: fusion.fuse(lists),
                        exhausted: lexicalHits.count < depth && semanticHits.count < depth)
    }

    /// The words of the index nearest the question, less its own terms.
    private func bridgeWords(for queryVector: [Float], query: String, bridge: KeywordBridge,
                             model: ModelRecord) throws(SearchError) -> [String] {
        try wordVectors(of: model).nearest(to: VectorSearcher.normalised(queryVector), count: bridge.words,
                                           minimum: bridge.minimumSimilarity,
                                           excluding: Set(LexicalSearcher.terms(of: query)))
    }

    /// The model's word vectors for the keyword bridge, loaded on first use.
    public func wordVectors(of model: ModelRecord) throws(SearchError) -> WordVectors {
        if let loadedWords { return loadedWords }
        let loaded = try WordVectors(store: store, model: model)
        loadedWords = loaded
        return loaded
    }

    /// `hits` with top-level chunks (imports, package clauses, licence
    /// headers: no definition) after every other: on vectors alone they
    /// never outrank a function, since a file's leftovers resemble any
    /// question about the file.
    static func definitionsFirst(_ hits: [ChunkHit]) -> [ChunkHit] {
        hits.filter { $0.chunk.kind != .toplevel } + hits.filter { $0.chunk.kind == .toplevel }
    }

    /// Whether the question asks for documentation ("where is the retry
    /// policy documented", "README for the CLI"): then documentation hits
    /// are not demoted below code.
    static func asksForDocumentation(_ query: String) -> Bool {
        let words = query.lowercased().split { !$0.isLetter }
        return words.contains { word in
            word.hasPrefix("document") || ["docs", "doc", "readme", "manual", "guide", "documented"].contains(word)
        }
    }

    /// `hits` with each test hit moved `tests` places further down and each
    /// documentation hit `documents` places, so that they outrank code only
    /// by a clear margin (a tie goes to the code); the order is otherwise kept.
    static func demoting(_ hits: [ChunkHit], tests: Int, documents: Int) -> [ChunkHit] {
        guard tests > 0 || documents > 0 else { return hits }
        return hits.enumerated()
            .map { offset, hit in
                let places = TestDetection.isTest(path: hit.path, chunk: hit.chunk) ? tests
                    : TestDetection.isDocument(path: hit.path, chunk: hit.chunk) ? documents : 0
                return (hit: hit, key: (offset + places, places > 0 ? 1 : 0, offset))
            }
            .sorted { $0.key < $1.key }
            .map(\.hit)
    }

    /// `result`, its kind shown as `test` when it is test code.
    static func labellingTests(_ result: SearchResult) -> SearchResult {
        guard TestDetection.isTest(path: result.path, chunk: result.chunk) else { return result }
        var labelled = result
        labelled.hit.chunk.kind = .test
        return labelled
    }

    /// `result` (merged without lines) with the relevant lines `ResultMerger`
    /// gives it when every hit carries its own: its chunk's, then those of
    /// the pieces joined to it (`pieces`, by chunk id) in the order they
    /// joined, three at most, ascending. Finding lines is most of merging's
    /// time, and most merged results are never shown.
    static func withRelevantLines(_ result: SearchResult, pieces: [Int64: ChunkHit], terms: Set<String>,
                                  maxRelevantLines: Int = 3) -> SearchResult {
        var lines = relevantLines(of: result.hit, terms: terms, limit: maxRelevantLines)
        for piece in result.mergedChunkIDs.compactMap({ pieces[$0] }) where lines.count < maxRelevantLines {
            for line in relevantLines(of: piece, terms: terms, limit: maxRelevantLines)
            where lines.count < maxRelevantLines && !lines.contains(line) {
                lines.append(line)
            }
        }
        var lined = result
        lined.relevantLines = lines.sorted()
        return lined
    }

    /// The chunk's lines holding the most query terms; when none holds any
    /// (a semantic match), its first non-blank lines, so a result always
    /// shows something.
    static func relevantLines(of hit: ChunkHit, terms: Set<String>, limit: Int = 3) -> [Int] {
        let matching = LexicalSearcher.relevantLines(in: hit.chunk.text, firstLine: hit.chunk.startLine,
                                                     terms: terms, limit: limit)
        if !matching.isEmpty { return matching }
        var lines: [Int] = []
        for (offset, line) in LexicalSearcher.lines(of: hit.chunk.text).enumerated()
        where lines.count < limit && line.contains(where: { !$0.isWhitespace }) {
            lines.append(hit.chunk.startLine + offset)
        }
        return lines
    }
}

/// Where a searcher's time went, for `quarry search --stats` and benchmarks.
public struct SearchStatistics: Sendable {
    /// Where the vectors came from: the mapped vector file, or the database when it was out of date.
    public var vectorSource: VectorMatrix.Source?
    public var vectorRows = 0
    public var vectorLoadSeconds = 0.0
    /// Scoring every row and selecting the best: the part that grows with the index.
    public var vectorScoringSeconds = 0.0
    /// Semantic ranking in all: scoring plus locating the best rows' chunks.
    public var semanticSeconds = 0.0
    /// The keyword ranking of the query's own words (not the bridge's).
    public var lexicalSeconds = 0.0
    /// Hybrid: the keyword bridge in all (coverage included): its words and their keyword ranking.
    public var bridgeSeconds = 0.0
    /// Hybrid: how much of the query the index's keywords cover (part of `bridgeSeconds`).
    public var coverageSeconds = 0.0
    /// Resolving containers through their members, demotions and merging the ranked list.
    public var mergingSeconds = 0.0

    public init() {}

    static func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }
}
