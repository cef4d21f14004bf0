import Foundation

/// An embedding model as the index knows it; vectors are stored per model row.
public struct ModelRecord: Sendable, Hashable {
    public let id: Int64
    public let name: String
    /// The model's version (e.g. the package version or a weights digest).
    public let revision: String
    public let dimension: Int
}

/// Vectors are keyed by (chunk text SHA-256, model) and stored as
/// little-endian Float32 arrays, so identical text anywhere in any revision
/// is embedded once per model, and garbage collection drops vectors whose
/// text no stored chunk has any more.
extension IndexStore {
    /// The model row for (name, revision, dimension), created when new.
    public func registerModel(name: String, revision: String, dimension: Int) throws(StoreError) -> ModelRecord {
        if mode == .readOnly { throw .readOnly(path: path) }
        guard dimension > 0 else { throw .invalidArgument("model dimension must be positive, not \(dimension)") }
        let upsert = try db.prepare("""
            INSERT INTO models(name, revision, dim) VALUES (?1, ?2, ?3)
            ON CONFLICT(name, revision, dim) DO UPDATE SET name = excluded.name
            RETURNING id
            """)
        upsert.bind(name, at: 1)
        upsert.bind(revision, at: 2)
        upsert.bind(dimension, at: 3)
        guard try upsert.step() else { throw .sqlite(operation: "register model", code: 1, message: "no id returned") }
        let id = upsert.int64(0)
        upsert.reset()
        return ModelRecord(id: id, name: name, revision: revision, dimension: dimension)
    }

    public func models() throws(StoreError) -> [ModelRecord] {
        let statement = try db.prepare("SELECT id, name, revision, dim FROM models ORDER BY id")
        var result: [ModelRecord] = []
        while try statement.step() {
            result.append(ModelRecord(id: statement.int64(0), name: statement.string(1),
                                      revision: statement.string(2), dimension: statement.int(3)))
        }
        return result
    }

    /// Up to `limit` distinct chunk texts of a revision (default: see
    /// `files(in:)`) that have no vector for `model` yet. Call again after
    /// writing their vectors until it returns nothing.
    public func textsWithoutEmbeddings(model: ModelRecord, revision: String? = nil, limit: Int)
        throws(StoreError) -> [(hash: ContentHash, text: String)]
    {
        guard limit > 0, let (revisionRow, _) = try resolveRevision(revision) else { return [] }
        return try textsWithoutEmbeddings(model: model, scope: .revision(revisionRow), limit: limit)
    }

    /// Like `textsWithoutEmbeddings(model:revision:limit:)` for the file list
    /// staged with `stageFiles`, so it can be embedded before it is recorded.
    public func stagedTextsWithoutEmbeddings(model: ModelRecord, limit: Int)
        throws(StoreError) -> [(hash: ContentHash, text: String)]
    {
        guard limit > 0 else { return [] }
        return try textsWithoutEmbeddings(model: model, scope: .staged, limit: limit)
    }

    /// How many distinct chunk texts of a revision still lack a vector for `model`.
    public func countTextsWithoutEmbeddings(model: ModelRecord, revision: String? = nil) throws(StoreError) -> Int {
        guard let (revisionRow, _) = try resolveRevision(revision) else { return 0 }
        return try countTextsWithoutEmbeddings(model: model, scope: .revision(revisionRow))
    }

    /// How many distinct chunk texts of the staged file list lack a vector for `model`.
    public func countStagedTextsWithoutEmbeddings(model: ModelRecord) throws(StoreError) -> Int {
        try countTextsWithoutEmbeddings(model: model, scope: .staged)
    }

    private func textsWithoutEmbeddings(model: ModelRecord, scope: ChunkScope, limit: Int)
        throws(StoreError) -> [(hash: ContentHash, text: String)]
    {
        let statement = try db.prepare("""
            SELECT c.content_hash, c.text FROM chunks c
            WHERE \(scope.condition)
              AND NOT EXISTS (SELECT 1 FROM embeddings e WHERE e.content_hash = c.content_hash AND e.model_id = ?2)
            GROUP BY c.content_hash
            LIMIT ?3
            """)
        scope.bind(to: statement)
        statement.bind(model.id, at: 2)
        statement.bind(limit, at: 3)
        var result: [(hash: ContentHash, text: String)] = []
        while try statement.step() {
            let text = statement.string(1)
            result.append((ContentHash(bytes: statement.bytes(0)) ?? ContentHash(of: text), text))
        }
        return result
    }

    private func countTextsWithoutEmbeddings(model: ModelRecord, scope: ChunkScope) throws(StoreError) -> Int {
        let statement = try db.prepare("""
            SELECT count(DISTINCT c.content_hash) FROM chunks c
            WHERE \(scope.condition)
              AND NOT EXISTS (SELECT 1 FROM embeddings e WHERE e.content_hash = c.content_hash AND e.model_id = ?2)
            """)
        scope.bind(to: statement)
        statement.bind(model.id, at: 2)
        guard try statement.step() else { return 0 }
        return statement.int(0)
    }

    /// Stores vectors for `model` in one transaction, replacing any already
    /// stored for the same text. Every vector must have the model's dimension.
    public func writeEmbeddings(_ vectors: [(hash: ContentHash, vector: [Float])], model: ModelRecord)
        throws(StoreError)
    {
        if mode == .readOnly { throw .readOnly(path: path) }
        if let wrong = vectors.first(where: { $0.vector.count != model.dimension }) {
            throw .invalidArgument("vector for \(wrong.hash) has \(wrong.vector.count) dimensions, model \(model.name) has \(model.dimension)")
        }
        let insert = try db.prepare("""
            INSERT OR REPLACE INTO embeddings(content_hash, model_id, dim, vector) VALUES (?, ?, ?, ?)
            """)
        try db.transaction { () throws(StoreError) in
            for (hash, vector) in vectors {
                hash.bytes.withUnsafeBytes { insert.bind(bytes: $0, at: 1) }
                insert.bind(model.id, at: 2)
                insert.bind(model.dimension, at: 3)
                vector.map { $0.bitPattern.littleEndian }.withUnsafeBytes { insert.bind(bytes: $0, at: 4) }
                try insert.run()
            }
        }
    }

    /// Calls `body` with the id and vector of every chunk of a revision
    /// (default: the newest) that has a vector for `model`. The buffer is
    /// reused between calls: copy what you keep. Rows come in the embeddings
    /// table's order: driving the join from there reads the vectors
    /// sequentially instead of scanning every chunk's text.
    public func forEachEmbedding(model: ModelRecord, revision: String? = nil,
                                 _ body: (Int64, UnsafeBufferPointer<Float>) -> Void) throws(StoreError)
    {
        guard let (revisionRow, _) = try resolveRevision(revision) else { return }
        let statement = try db.prepare("""
            SELECT c.id, e.vector FROM embeddings e
            JOIN chunks c ON c.content_hash = e.content_hash
            WHERE e.model_id = ?2
              AND EXISTS (SELECT 1 FROM files f WHERE f.blob_id = c.blob_id AND (?1 < 0 OR f.revision_id = ?1))
            """)
        statement.bind(revisionRow, at: 1)
        statement.bind(model.id, at: 2)
        var vector = [Float](repeating: 0, count: model.dimension)
        while try statement.step() {
            let complete = statement.withBytes(1) { raw -> Bool in
                guard raw.count == model.dimension * 4 else { return false }
                for i in 0..<model.dimension {
                    vector[i] = Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
                }
                return true
            }
            guard complete else {
                throw .corrupt(path: path, detail: "embedding of chunk \(statement.int64(0)) has the wrong size")
            }
            vector.withUnsafeBufferPointer { body(statement.int64(0), $0) }
        }
    }
}

/// Which chunks an embedding query looks at: those of a revision (row -1:
/// any revision) or those of the staged file list. The revision is parameter 1.
private enum ChunkScope {
    case revision(Int64)
    case staged

    var condition: String {
        switch self {
        case .revision:
            return "EXISTS (SELECT 1 FROM files f WHERE f.blob_id = c.blob_id AND (?1 < 0 OR f.revision_id = ?1))"
        case .staged:
            return "c.blob_id IN (SELECT blob_id FROM temp.staged_files)"
        }
    }

    func bind(to statement: Statement) {
        if case .revision(let row) = self { statement.bind(row, at: 1) }
    }
}
