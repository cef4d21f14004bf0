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
        // Outside a transaction the row commits only when the statement finishes: a failed
        // commit (a disk error) surfaces here, not after `reset` has rolled the row back unseen.
        while try upsert.step() {}
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
    /// `files(in:)`) that have no vector for `model` yet, in content-hash
    /// order from just past `after`. Call again with the last hash returned
    /// until it returns nothing; the next page does not depend on the vectors
    /// of this one being written, so a caller can embed one page while
    /// reading the next.
    public func textsWithoutEmbeddings(model: ModelRecord, revision: String? = nil, after: ContentHash? = nil,
                                       limit: Int) throws(StoreError) -> [(hash: ContentHash, text: String)]
    {
        guard limit > 0, let (revisionRow, _) = try resolveRevision(revision) else { return [] }
        return try textsWithoutEmbeddings(model: model, scope: .revision(revisionRow), after: after, limit: limit)
    }

    /// Like `textsWithoutEmbeddings(model:revision:limit:)` for the file list
    /// staged with `stageFiles`, so it can be embedded before it is recorded.
    public func stagedTextsWithoutEmbeddings(model: ModelRecord, after: ContentHash? = nil, limit: Int)
        throws(StoreError) -> [(hash: ContentHash, text: String)]
    {
        guard limit > 0 else { return [] }
        return try textsWithoutEmbeddings(model: model, scope: .staged, after: after, limit: limit)
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

    private func textsWithoutEmbeddings(model: ModelRecord, scope: ChunkScope, after: ContentHash?, limit: Int)
        throws(StoreError) -> [(hash: ContentHash, text: String)]
    {
        let statement = try db.prepare("""
            SELECT c.content_hash, c.text FROM chunks c
            WHERE \(scope.condition) AND c.content_hash > ?4
              AND NOT EXISTS (SELECT 1 FROM embeddings e WHERE e.content_hash = c.content_hash AND e.model_id = ?2)
            GROUP BY c.content_hash
            ORDER BY c.content_hash
            LIMIT ?3
            """)
        scope.bind(to: statement)
        statement.bind(model.id, at: 2)
        statement.bind(limit, at: 3)
        // Every blob sorts after the empty one, so no hash is skipped on the first page.
        (after?.bytes ?? []).withUnsafeBytes { statement.bind(bytes: $0, at: 4) }
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
    /// stored for the same text. Every vector must have the model's dimension
    /// and finite components. The model's vector file follows (see
    /// `VectorFile`): new rows are appended to it, or it is rewritten. With
    /// `backlogOf`, the new vectors (texts of that revision) are counted
    /// against its embedding backlog in the same transaction.
    public func writeEmbeddings(_ vectors: [(hash: ContentHash, vector: [Float])], model: ModelRecord,
                                backlogOf revision: String? = nil) throws(StoreError)
    {
        if mode == .readOnly { throw .readOnly(path: path) }
        if let wrong = vectors.first(where: { $0.vector.count != model.dimension }) {
            throw .invalidArgument("vector for \(wrong.hash) has \(wrong.vector.count) dimensions, model \(model.name) has \(model.dimension)")
        }
        if let wrong = vectors.first(where: { !$0.vector.allSatisfy(\.isFinite) }) {
            throw .invalidArgument("vector for \(wrong.hash) has a non-finite component")
        }
        guard !vectors.isEmpty else { return }
        let exists = try db.prepare("SELECT 1 FROM embeddings WHERE content_hash = ? AND model_id = ?")
        let insert = try db.prepare("""
            INSERT OR REPLACE INTO embeddings(content_hash, model_id, dim, vector) VALUES (?, ?, ?, ?)
            """)
        var replaced = false
        var added = 0
        // Inside a caller's transaction nothing is committed yet: the file
        // waits for `synchronizeVectorFile` rather than run ahead of the database.
        let nested = db.isInTransaction
        let generation = try db.transaction { () throws(StoreError) -> Int64 in
            for (hash, vector) in vectors {
                hash.bytes.withUnsafeBytes { exists.bind(bytes: $0, at: 1) }
                exists.bind(model.id, at: 2)
                let existed = try exists.step()
                replaced = existed || replaced
                added += existed ? 0 : 1
                exists.reset()
                hash.bytes.withUnsafeBytes { insert.bind(bytes: $0, at: 1) }
                insert.bind(model.id, at: 2)
                insert.bind(model.dimension, at: 3)
                vector.map { $0.bitPattern.littleEndian }.withUnsafeBytes { insert.bind(bytes: $0, at: 4) }
                try insert.run()
            }
            if let revision { try settleBacklog(revision: revision, model: model.id, embedded: added) }
            return try bumpVectorGeneration(of: model.id)
        }
        // Appending keeps the file current at the cost of the new rows only;
        // a replaced row (or a file that is missing or behind) needs a rewrite.
        guard !nested, !unwritableVectorFiles.contains(model.id) else { return }
        if replaced || !VectorFile.append(vectors, index: path, model: model, generation: generation) {
            do {
                try rewriteVectorFile(for: model)
            } catch {
                // The database has the vectors and searches read them from there;
                // do not pay for a failing rewrite on every batch.
                unwritableVectorFiles.insert(model.id)
            }
        }
    }

    /// The model's vectors of every revision as one matrix: the vector file
    /// mapped when it matches the database, else a copy read from it.
    /// Rows whose text no chunk of a given revision has are for the caller
    /// to skip (see `chunkHits(forContentHashes:…)`).
    public func vectorMatrix(for model: ModelRecord) throws(StoreError) -> VectorMatrix {
        try readConsistently { () throws(StoreError) -> VectorMatrix in
            let generation = try vectorGeneration(of: model.id)
            if let mapped = VectorFile.map(index: path, model: model, generation: generation) { return mapped }
            let count = try countEmbeddings(of: model)
            let buffer = VectorRowBuffer(capacity: count, dimension: model.dimension)
            try forEachStoredVector(of: model) { hash, vector in buffer.append(hash, vector) }
            return VectorMatrix(buffer: buffer, source: .database)
        }
    }

    /// Whether the model's vector file matches the database (searches map
    /// it); true too when the model has no vectors to keep in one.
    public func isVectorFileCurrent(for model: ModelRecord) throws(StoreError) -> Bool {
        try readConsistently { () throws(StoreError) -> Bool in
            if VectorFile.isCurrent(index: path, model: model, generation: try vectorGeneration(of: model.id)) {
                return true
            }
            return try countEmbeddings(of: model) == 0
        }
    }

    /// Rewrites the model's vector file when it does not match the database
    /// (an index from an older Quarry, a crash between a commit and its
    /// append, a full disk). Returns whether it had to.
    @discardableResult
    public func synchronizeVectorFile(for model: ModelRecord) throws(StoreError) -> Bool {
        if mode == .readOnly { throw .readOnly(path: path) }
        if try isVectorFileCurrent(for: model) { return false }
        try rewriteVectorFile(for: model)
        return true
    }

    /// Writes the model's vector file from the database, stamped with the
    /// generation read in the same snapshot; removes it when the model has no vectors.
    func rewriteVectorFile(for model: ModelRecord) throws(StoreError) {
        try readConsistently { () throws(StoreError) in
            let generation = try vectorGeneration(of: model.id)
            if try countEmbeddings(of: model) == 0 {
                VectorFile.remove(index: path, model: model.id)
                return
            }
            try VectorFile.rewrite(index: path, model: model, generation: generation) { row throws(StoreError) in
                try forEachStoredVector(of: model) { hash, vector in
                    guard let key = ContentHash(bytes: hash) else { return }
                    _ = row(key, vector)
                }
            }
        }
    }

    /// The generation of `model`'s vectors this connection sees (its snapshot,
    /// inside one). Matrices loaded at one generation hold the same rows, so a
    /// long-lived reader (a server) keeps one across requests until it changes.
    public func vectorGeneration(for model: ModelRecord) throws(StoreError) -> Int64 {
        try vectorGeneration(of: model.id)
    }

    /// The counter every change to `model`'s embeddings bumps (0 before any).
    func vectorGeneration(of model: Int64) throws(StoreError) -> Int64 {
        let statement = try db.prepare("SELECT value FROM meta WHERE key = ?")
        statement.bind(VectorFile.generationKey(model: model), at: 1)
        guard try statement.step() else { return 0 }
        return Int64(statement.string(0)) ?? 0
    }

    /// Increments the generation inside the caller's transaction; returns the new value.
    func bumpVectorGeneration(of model: Int64) throws(StoreError) -> Int64 {
        let next = try vectorGeneration(of: model) + 1
        let upsert = try db.prepare("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)")
        upsert.bind(VectorFile.generationKey(model: model), at: 1)
        upsert.bind(String(next), at: 2)
        try upsert.run()
        return next
    }

    private func countEmbeddings(of model: ModelRecord) throws(StoreError) -> Int {
        let statement = try db.prepare("SELECT count(*) FROM embeddings WHERE model_id = ?")
        statement.bind(model.id, at: 1)
        guard try statement.step() else { return 0 }
        return statement.int(0)
    }

    /// Every stored (hash bytes, vector) of `model`, in key order. The vector
    /// buffer is reused between calls.
    private func forEachStoredVector(of model: ModelRecord,
                                     _ body: ([UInt8], UnsafeBufferPointer<Float>) -> Void) throws(StoreError) {
        let statement = try db.prepare("SELECT content_hash, vector FROM embeddings WHERE model_id = ?")
        statement.bind(model.id, at: 1)
        var vector = [Float](repeating: 0, count: model.dimension)
        while try statement.step() {
            let complete = statement.withBytes(1) { raw -> Bool in
                guard raw.count == model.dimension * 4 else { return false }
                for i in 0..<model.dimension {
                    vector[i] = Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
                }
                return true
            }
            guard complete else { throw .corrupt(path: path, detail: "a stored vector has the wrong size") }
            let hash = statement.bytes(0)
            vector.withUnsafeBufferPointer { body(hash, $0) }
        }
    }

    /// Runs `body` in one read snapshot (the caller's, if one is open), so
    /// that a generation and the rows it stamps are read from the same state.
    func readConsistently<T>(_ body: () throws(StoreError) -> T) throws(StoreError) -> T {
        if db.isInTransaction { return try body() }
        try beginSnapshot()
        defer { endSnapshot() }
        return try body()
    }
}

/// Which chunks an embedding query looks at: those of a revision (row -1:
/// any revision) or those of the staged file list. The revision is parameter 1.
enum ChunkScope {
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

extension Statement {
    /// Column `column` as a stored vector (little-endian float32, see
    /// `IndexStore.writeEmbeddings`); nil when it is not `dimension` floats.
    func storedVector(_ column: Int32, dimension: Int) -> [Float]? {
        withBytes(column) { raw -> [Float]? in
            guard raw.count == dimension * 4 else { return nil }
            return (0..<dimension).map { i in
                Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
            }
        }
    }
}
