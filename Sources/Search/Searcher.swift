import QuarryCore
import Store

/// The one entry point for `quarry search` and `quarry eval`: lexical, semantic
/// or hybrid ranking with filters, then `ResultMerger`.
///
/// The caller embeds the query (query side: e5 adds "query: "): Search never
/// runs the encoder. Vectors are loaded once per revision and kept while the
/// searcher lives; a searcher sees a revision as it was when first searched.
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

    private let lexical: LexicalSearcher
    private var vectorSearchers: [String: VectorSearcher] = [:]

    public init(store: IndexStore, model: ModelRecord? = nil) {
        self.store = store
        self.model = model
        lexical = LexicalSearcher(store: store)
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
    /// and a `model`; hybrid with no vectors stored for the revision answers
    /// lexically (check `vectorCount(revision:)` to warn).
    public func search(_ query: String, queryVector: [Float]? = nil, mode: SearchMode = .hybrid,
                       filters: SearchFilters = SearchFilters(), limit: Int = 10) throws(SearchError) -> [SearchResult] {
        guard limit > 0 else { return [] }
        let terms = Set(LexicalSearcher.terms(of: query))
        var vectors: VectorSearcher?
        if mode.usesVectors {
            guard let queryVector, model != nil else { throw .missingQueryVector(mode: mode) }
            let loaded = try vectorSearcher(revision: filters.revision)
            guard queryVector.count == loaded.dimension else {
                throw .dimensionMismatch(query: queryVector.count, index: loaded.dimension)
            }
            vectors = loaded.count > 0 ? loaded : nil
            if vectors == nil && mode == .semantic { return [] }
        }
        // Merging can fold several hits into one: ask for more until `limit`
        // merged results exist or the rankings run out.
        var depth = mode == .lexical || vectors == nil ? limit + limit / 2 + 5 : fusionDepth(limit)
        while true {
            let (hits, exhausted) = try rankedHits(query, queryVector: queryVector, vectors: vectors, mode: mode,
                                                   filters: filters, depth: depth)
            let results = ResultMerger.merge(hits.map { hit in
                SearchResult(hit: hit, relevantLines: Self.relevantLines(of: hit, terms: terms))
            })
            if results.count >= limit || exhausted { return Array(results.prefix(limit)) }
            depth *= 2
        }
    }

    /// How many chunks of `revision` (default: the newest) have vectors for the model.
    public func vectorCount(revision: String? = nil) throws(SearchError) -> Int {
        model == nil ? 0 : try vectorSearcher(revision: revision).count
    }

    /// The vectors of `revision`, loaded on first use.
    public func vectorSearcher(revision: String?) throws(SearchError) -> VectorSearcher {
        guard let model else { throw .missingQueryVector(mode: .semantic) }
        let key = revision ?? ""
        if let cached = vectorSearchers[key] { return cached }
        let loaded = try VectorSearcher(store: store, model: model, revision: revision, quantization: quantization)
        vectorSearchers[key] = loaded
        return loaded
    }

    /// Unmerged hits, best first, and whether the rankings had no more to give.
    private func rankedHits(_ query: String, queryVector: [Float]?, vectors: VectorSearcher?, mode: SearchMode,
                            filters: SearchFilters, depth: Int) throws(SearchError) -> ([ChunkHit], Bool) {
        let lexicalHits = mode == .semantic ? [] : try lexical.hits(query, filters: filters, limit: depth)
        guard let vectors, let queryVector else { return (lexicalHits, lexicalHits.count < depth) }
        let semanticHits = try vectors.search(queryVector, in: store, filters: filters, limit: depth)
        if mode == .semantic { return (semanticHits, semanticHits.count < depth) }
        return (fusion.fuse([lexicalHits, semanticHits]), lexicalHits.count < depth && semanticHits.count < depth)
    }

    /// The chunk's lines holding the most query terms; when none holds any
    /// (a semantic match), its first non-blank lines, so a result always
    /// shows something.
    static func relevantLines(of hit: ChunkHit, terms: Set<String>, limit: Int = 3) -> [Int] {
        let matching = LexicalSearcher.relevantLines(in: hit.chunk.text, firstLine: hit.chunk.startLine,
                                                     terms: terms, limit: limit)
        if !matching.isEmpty { return matching }
        var lines: [Int] = []
        for (offset, line) in hit.chunk.text.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
        where lines.count < limit && line.contains(where: { !$0.isWhitespace }) {
            lines.append(hit.chunk.startLine + offset)
        }
        return lines
    }
}
