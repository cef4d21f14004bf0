import QuarryCore

/// A chunk read back by id, with what a search needs to show it.
public struct StoredChunk: Sendable, Hashable {
    public var id: Int64
    public var chunk: Chunk
    public var contentHash: ContentHash
}

/// What a searcher asks about the members of a container chunk (a type,
/// module or top-level chunk): which functions lie inside it, and how each
/// scores for the query on its own. `ResultMerger` shows the best of them in
/// place of the container.
extension IndexStore {
    /// The function chunks of the same blob whose lines lie within chunk
    /// `id`'s lines (its methods, nested functions included), in file order.
    public func memberFunctions(ofChunk id: Int64) throws(StoreError) -> [StoredChunk] {
        try memberFunctions(ofChunks: [id])[id] ?? []
    }

    /// `memberFunctions(ofChunk:)` of each of `ids`, on one prepared statement.
    public func memberFunctions(ofChunks ids: [Int64]) throws(StoreError) -> [Int64: [StoredChunk]] {
        let statement = try db.prepare("""
            SELECT m.id, m.kind, m.symbol, m.start_line, m.end_line, m.start_byte, m.end_byte, m.text,
                   m.content_hash, b.language
            FROM chunks c JOIN chunks m ON m.blob_id = c.blob_id JOIN blobs b ON b.id = c.blob_id
            WHERE c.id = ?1 AND m.id != c.id AND m.kind = 'function'
              AND m.start_line >= c.start_line AND m.end_line <= c.end_line
            ORDER BY m.ordinal
            """)
        var membersByChunk: [Int64: [StoredChunk]] = [:]
        for id in ids where membersByChunk[id] == nil {
            statement.bind(id, at: 1)
            defer { statement.reset() }
            var members: [StoredChunk] = []
            while try statement.step() {
                let text = statement.string(7)
                let chunk = Chunk(language: Language(rawValue: statement.string(9)) ?? .other,
                                  kind: ChunkKind(rawValue: statement.string(1)) ?? .function,
                                  symbol: statement.string(2), startLine: statement.int(3), endLine: statement.int(4),
                                  startByte: statement.int(5), endByte: statement.int(6), text: text)
                members.append(StoredChunk(id: statement.int64(0), chunk: chunk,
                                           contentHash: ContentHash(bytes: statement.bytes(8)) ?? ContentHash(of: text)))
            }
            membersByChunk[id] = members
        }
        return membersByChunk
    }

    /// The BM25 score (higher is better, as in `lexicalSearch`'s hits) of
    /// each of `chunks` that `match` matches; chunks it does not match are absent.
    ///
    /// One statement scores them all: bm25 counts every term's matches
    /// across the table once per statement run, which, run per chunk, cost
    /// more than the rest of a search. The unary `+` keeps the id list from
    /// being handed to FTS5 as one lookup per id (which would rerun it per
    /// chunk): FTS5 walks the matches, cheap without scoring, and only the
    /// listed chunks are scored. A row's score does not depend on which
    /// other rows are scored, so the scores are those of a run per chunk.
    public func lexicalScores(match: String, weights: ColumnWeights,
                              chunks: [Int64]) throws(StoreError) -> [Int64: Double] {
        guard !chunks.isEmpty else { return [:] }
        let statement = try db.prepare("""
            SELECT rowid, bm25(chunks_fts, ?1, ?2, ?3) FROM chunks_fts
            WHERE chunks_fts MATCH ?4 AND +rowid IN (SELECT value FROM json_each(?5))
            """)
        statement.bind(weights.symbol, at: 1)
        statement.bind(weights.path, at: 2)
        statement.bind(weights.text, at: 3)
        statement.bind(match, at: 4)
        statement.bind("[" + chunks.map(String.init).joined(separator: ",") + "]", at: 5)
        var scores: [Int64: Double] = [:]
        while try statement.step() { scores[statement.int64(0)] = -statement.double(1) }
        return scores
    }

    /// The model's stored vectors for `hashes`; texts without one are absent.
    public func vectors(forContentHashes hashes: [ContentHash], model: ModelRecord)
        throws(StoreError) -> [ContentHash: [Float]]
    {
        let statement = try db.prepare("SELECT vector FROM embeddings WHERE content_hash = ?1 AND model_id = ?2")
        statement.bind(model.id, at: 2)
        var vectors: [ContentHash: [Float]] = [:]
        for hash in Set(hashes) {
            hash.bytes.withUnsafeBytes { statement.bind(bytes: $0, at: 1) }
            defer { statement.reset() }
            guard try statement.step() else { continue }
            guard let vector = statement.storedVector(0, dimension: model.dimension) else {
                throw .corrupt(path: path, detail: "a stored vector has the wrong size")
            }
            vectors[hash] = vector
        }
        return vectors
    }
}
