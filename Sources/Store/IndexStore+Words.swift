import QuarryCore

/// Vectors of the words the index's identifiers and comments are made of,
/// for the cross-lingual keyword bridge: a question in any language is
/// embedded, its nearest identifier words ("クッキーを設定する" -> cookie, set)
/// join the keyword ranking. Words are embedded once per model, on the
/// query side, and kept in `word_vectors` (created by the first writer that
/// needs it; an index without the table has no bridge).
extension IndexStore {
    /// The index's commonest words: terms of at least three letters (ASCII
    /// letters only, so no hashes or numbers) held by at least
    /// `minDocuments` chunks, most common first, at most `limit`.
    public func vocabulary(minDocuments: Int, limit: Int) throws(StoreError) -> [String] {
        try db.execute("CREATE VIRTUAL TABLE IF NOT EXISTS temp.quarry_vocabulary USING fts5vocab(main, chunks_fts, 'row')")
        let statement = try db.prepare("""
            SELECT term FROM temp.quarry_vocabulary
            WHERE doc >= ?1 AND length(term) BETWEEN 3 AND 24 AND term NOT GLOB '*[^a-z]*'
            ORDER BY doc DESC, term LIMIT ?2
            """)
        statement.bind(minDocuments, at: 1)
        statement.bind(limit, at: 2)
        var words: [String] = []
        while try statement.step() { words.append(statement.string(0)) }
        return words
    }

    /// Those of `words` without a vector for `model`, in their order.
    public func wordsWithoutVectors(_ words: [String], model: ModelRecord) throws(StoreError) -> [String] {
        guard try hasWordVectorTable() else { return words }
        let lookup = try db.prepare("SELECT 1 FROM word_vectors WHERE model_id = ?1 AND word = ?2")
        lookup.bind(model.id, at: 1)
        var missing: [String] = []
        for word in words {
            lookup.bind(word, at: 2)
            defer { lookup.reset() }
            if try !lookup.step() { missing.append(word) }
        }
        return missing
    }

    /// Stores word vectors for `model` in one transaction; each must have the
    /// model's dimension and finite components.
    public func writeWordVectors(_ vectors: [(word: String, vector: [Float])], model: ModelRecord) throws(StoreError) {
        if mode == .readOnly { throw .readOnly(path: path) }
        if let wrong = vectors.first(where: { $0.vector.count != model.dimension || !$0.vector.allSatisfy(\.isFinite) }) {
            throw .invalidArgument("word vector for '\(wrong.word)' has the wrong dimension or a non-finite component")
        }
        try db.execute("""
            CREATE TABLE IF NOT EXISTS word_vectors(
                model_id INTEGER NOT NULL REFERENCES models(id),
                word TEXT NOT NULL,
                vector BLOB NOT NULL,
                PRIMARY KEY(model_id, word)
            ) WITHOUT ROWID
            """)
        let insert = try db.prepare("INSERT OR REPLACE INTO word_vectors(model_id, word, vector) VALUES (?, ?, ?)")
        try db.transaction { () throws(StoreError) in
            for (word, vector) in vectors {
                insert.bind(model.id, at: 1)
                insert.bind(word, at: 2)
                Self.quantized(vector).withUnsafeBytes { insert.bind(bytes: $0, at: 3) }
                try insert.run()
            }
        }
    }

    /// A word vector as stored: its scale (float32, little-endian), then one
    /// signed byte per component. A quarter of the float32 bytes keeps each
    /// row inside its B-tree page (float32 rows overflowed and tripled the
    /// table), and ranking words needs no more precision.
    static func quantized(_ vector: [Float]) -> [UInt8] {
        let largest = vector.reduce(0) { max($0, abs($1)) }
        let scale = largest > 0 ? largest / 127 : 1
        var bytes: [UInt8] = []
        bytes.reserveCapacity(4 + vector.count)
        withUnsafeBytes(of: scale.bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
        for value in vector { bytes.append(UInt8(bitPattern: Int8(max(-127, min(127, (value / scale).rounded()))))) }
        return bytes
    }

    /// Every word vector of `model`: the words, and their vectors row after row.
    public func wordVectors(model: ModelRecord) throws(StoreError) -> (words: [String], vectors: [Float]) {
        guard try hasWordVectorTable() else { return ([], []) }
        let statement = try db.prepare("SELECT word, vector FROM word_vectors WHERE model_id = ? ORDER BY word")
        statement.bind(model.id, at: 1)
        var words: [String] = []
        var vectors: [Float] = []
        while try statement.step() {
            let complete = statement.withBytes(1) { raw -> Bool in
                guard raw.count == 4 + model.dimension else { return false }
                let scale = Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(as: UInt32.self)))
                for i in 0..<model.dimension { vectors.append(Float(Int8(bitPattern: raw[4 + i])) * scale) }
                return true
            }
            guard complete else { throw .corrupt(path: path, detail: "a stored word vector has the wrong size") }
            words.append(statement.string(0))
        }
        return (words, vectors)
    }

    private func hasWordVectorTable() throws(StoreError) -> Bool {
        try db.integer("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'word_vectors'") > 0
    }
}
