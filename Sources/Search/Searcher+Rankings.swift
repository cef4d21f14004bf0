import Store

extension Searcher {
    /// What `search` does once the rankings exist, for rankings computed
    /// elsewhere (a team database answers with `ChunkHit`s too): fuse the
    /// lexical and semantic lists exactly as hybrid search does, keep the hits
    /// `filters` pass (paths, tests), demote tests and documentation, merge,
    /// and label tests. Containers show as themselves (their members are not
    /// looked up). A nil ranking was not used; `semantic` is best first.
    public static func results(for query: String, lexical: [ChunkHit]?, semantic: [ChunkHit]?,
                               filters: SearchFilters, limit: Int,
                               fusion: ReciprocalRankFusion = .hybridDefault) -> [SearchResult] {
        let semanticHits = semantic.map(definitionsFirst)
        var merged: [ChunkHit]
        switch (lexical, semanticHits) {
        case let (lexical?, semantic?): merged = fusion.fuse([lexical, semantic])
        case let (lexical?, nil): merged = lexical
        case let (nil, semantic?): merged = semantic
        case (nil, nil): merged = []
        }
        if let pathFilter = filters.pathFilter { merged.removeAll { !pathFilter($0.path) } }
        if let chunkFilter = filters.chunkFilter { merged.removeAll { !chunkFilter($0.path, $0.chunk) } }
        let terms = Set(LexicalSearcher.terms(of: query))
        let ordered = demoting(merged, tests: filters.tests == .below ? defaultTestDemotion : 0,
                               documents: asksForDocumentation(query) ? 0 : defaultDocumentDemotion)
        let results = ResultMerger.merge(ordered.map { hit in
            SearchResult(hit: hit, relevantLines: relevantLines(of: hit, terms: terms))
        })
        return results.prefix(limit).map(labellingTests)
    }
}
