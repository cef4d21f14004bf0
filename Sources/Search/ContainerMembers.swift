import Store

/// Ranks the functions inside a container hit (a type, module or top-level
/// chunk) by their own scores for the query, for `ResultMerger`.
///
/// Each member is placed in every ranking the search used by its own score
/// there, its BM25 score in the keyword ranking and its cosine in the
/// semantic one: its rank is one more than the hits scoring above it. A
/// member *scores well* when it would have made at least one of those lists
/// on its own (rank within the list's depth, or anywhere when the ranking
/// ran out of matches first); members are ordered by the fused score those
/// ranks earn, as `ReciprocalRankFusion` fuses the lists themselves.
struct ContainerMembers {
    /// One ranking a search used: its hits' scores, best first, and how many it was asked for.
    struct Ranking {
        var scores: [Double]
        var depth: Int
        var weight: Double

        init(_ hits: [ChunkHit], depth: Int, weight: Double) {
            // A list may be reordered after scoring (tests, top-level code): ranks come from scores.
            scores = hits.map(\.score).sorted(by: >)
            self.depth = depth
            self.weight = weight
        }

        /// The 1-based rank `score` would take, or nil when it would not make the list.
        func rank(of score: Double) -> Int? {
            // Scores are descending: count those strictly above by binary search.
            var low = 0, high = scores.count
            while low < high {
                let middle = (low + high) / 2
                if scores[middle] > score { low = middle + 1 } else { high = middle }
            }
            let rank = low + 1
            let exhausted = scores.count < depth
            return exhausted || rank <= depth ? rank : nil
        }
    }

    let store: IndexStore
    let lexical: LexicalSearcher
    /// The keyword ranking and its FTS5 expression; nil in semantic mode.
    var keywords: (ranking: Ranking, match: String)?
    /// The semantic ranking, the model, the normalised query and the
    /// ranking's hubness strength (nil: as stored); nil in lexical mode.
    var meaning: (ranking: Ranking, model: ModelRecord, query: [Float], hubness: Float?)?
    /// The fusion's k (rank damping); ignored when one ranking is used.
    var k: Double
    /// The searcher's vectors, when loaded: members' scores come from them if they keep rows by hash.
    var vectors: VectorSearcher?
    /// What `load` read: each container's members and their scores in each ranking.
    private var loaded: [Int64: [StoredChunk]] = [:]
    private var lexicalScores: [Int64: Double] = [:]
    private var vectorScores: [ContentHash: Double] = [:]

    init(store: IndexStore, lexical: LexicalSearcher, k: Double) {
        self.store = store
        self.lexical = lexical
        self.k = k
    }

    /// Reads the members of `containers` and scores them all at once: one
    /// full-text statement and one pass over their vectors for the lot,
    /// rather than per container (bm25 counts each term's matches across
    /// the table once per statement). A member's scores are its own, so
    /// `members(of:)` answers as if each container were read alone.
    mutating func load(_ containers: [Int64]) throws(SearchError) {
        let unread = Array(Set(containers).filter { loaded[$0] == nil })
        guard !unread.isEmpty else { return }
        let read: [Int64: [StoredChunk]]
        do {
            read = try store.memberFunctions(ofChunks: unread)
        } catch {
            throw .store(error)
        }
        loaded.merge(read) { $1 }
        let members = read.values.flatMap { $0 }
        guard !members.isEmpty else { return }
        if let keywords {
            lexicalScores.merge(try lexical.scores(of: members.map(\.id), match: keywords.match)) { $1 }
        }
        if let meaning {
            vectorScores.merge(try vectorScores(of: members.map(\.contentHash), model: meaning.model, query: meaning.query,
                                      hubness: meaning.hubness)) { $1 }
        }
    }

    /// The members of `container` that score well, best first, each located
    /// where the container was (path, revision) and scored by its fused rank
    /// score, without relevant lines.
    mutating func members(of container: SearchResult) throws(SearchError) -> [SearchResult] {
        if loaded[container.chunkID] == nil { try load([container.chunkID]) }
        let stored = loaded[container.chunkID] ?? []
        var scored: [(member: StoredChunk, fused: Double, cosine: Double)] = []
        for member in stored {
            var fused = 0.0
            if let keywords, let score = lexicalScores[member.id], let rank = keywords.ranking.rank(of: score) {
                fused += keywords.ranking.weight / (k + Double(rank))
            }
            let cosine = vectorScores[member.contentHash] ?? -.infinity
            if let meaning, cosine.isFinite, let rank = meaning.ranking.rank(of: cosine) {
                fused += meaning.ranking.weight / (k + Double(rank))
            }
            if fused > 0 { scored.append((member, fused, cosine)) }
        }
        // Stable on file order for equal scores.
        scored.sort { $0.fused != $1.fused ? $0.fused > $1.fused : $0.cosine > $1.cosine }
        return scored.map { entry in
            var hit = container.hit
            hit.chunkID = entry.member.id
            hit.chunk = entry.member.chunk
            hit.contentHash = entry.member.contentHash
            hit.score = entry.fused
            // Lines are found for the shown results only (`Searcher.withRelevantLines`).
            return SearchResult(hit: hit, relevantLines: [])
        }
    }

    /// Score of each stored vector of `hashes` with the unit `query`, as the
    /// semantic ranking scores rows (`VectorSearcher.score`): from the
    /// searcher's mapped vectors when it keeps rows by hash (the same floats
    /// as the database's), else read from the database.
    private func vectorScores(of hashes: [ContentHash], model: ModelRecord, query: [Float], hubness: Float?)
        throws(SearchError) -> [ContentHash: Double]
    {
        if let mapped = vectors?.scores(of: hashes, query: query, hubness: hubness) { return mapped }
        let vectors: [ContentHash: [Float]]
        do {
            vectors = try store.vectors(forContentHashes: hashes, model: model)
        } catch {
            throw .store(error)
        }
        return vectors.mapValues { vector in
            vector.withUnsafeBufferPointer { VectorSearcher.score($0, query, hubness: hubness) }
        }
    }
}
