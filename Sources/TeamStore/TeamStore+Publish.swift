import Foundation
import QuarryCore
import Store

/// What publishing one revision sent and did.
public struct PublishCounts: Sendable, Equatable {
    public var files = 0
    public var blobs = 0
    public var chunks = 0
    public var texts = 0
    public var vectors = 0
    /// True when the database already held this revision at this tree with this model.
    public var unchanged = false

    public init() {}
}

extension TeamStore {
    /// Publishes one revision of a local index, incrementally and atomically:
    /// only blobs, chunk texts and vectors the database lacks are sent (binary
    /// COPY into temporary tables, then merged), and the revision's file list
    /// is replaced, all in one transaction. A push killed at any point leaves
    /// the previous state; the next push sends what is still missing.
    /// The caller holds the repository's lock (`lockRepository`).
    public func publish(_ revision: RevisionRecord, of repository: Int64, from store: IndexStore,
                        model: ModelRecord?) throws -> PublishCounts {
        var modelID: Int?
        if let model { modelID = try self.modelID(for: model) }
        var counts = PublishCounts()
        let modelValue: PostgresValue = modelID.map { PostgresValue.int($0) } ?? .null
        let parameters: [PostgresValue] = [.int(repository), .text(revision.name), .text(revision.commitID),
                                           .text(revision.treeID), modelValue]
        let existing = try connection.execute("""
            SELECT 1 FROM quarry_revisions
            WHERE repository_id = $1 AND name = $2 AND commit_id = $3 AND tree_id = $4
              AND model_id IS NOT DISTINCT FROM $5::integer
            """, parameters)
        if existing.count > 0 {
            counts.unchanged = true
            return counts
        }
        let files = try store.files(in: revision.name)
        try Self.validate(files)
        counts.files = files.count
        try inTransaction { () throws(TeamStoreError) in
            try stage(files)
            let missingBlobs = try strings("""
                SELECT DISTINCT oid FROM push_files f WHERE NOT EXISTS (SELECT 1 FROM quarry_blobs b WHERE b.oid = f.oid)
                """)
            let exported: [(blob: BlobRecord, hashes: [ContentHash])]
            let hashes: Set<ContentHash>
            do {
                exported = try store.exportedBlobs(ids: missingBlobs)
                hashes = try store.contentHashes(ofBlobs: Set(files.map(\.blobID)))
            } catch {
                throw .invalidInput("reading the local index: \(error)")
            }
            try stage(hashes)
            let missingTexts = try hashSet("""
                SELECT hash FROM push_hashes h WHERE NOT EXISTS (SELECT 1 FROM quarry_texts t WHERE t.content_hash = h.hash)
                """)
            counts.texts = try sendTexts(exported, missing: missingTexts)
            (counts.blobs, counts.chunks) = try sendBlobs(exported)
            if let model, let modelID {
                counts.vectors = try sendVectors(model: model, modelID: modelID, store: store)
            }
            try replaceFiles(of: revision, in: repository, modelID: modelID, expected: files.count)
        }
        if let model, let modelID { try indexVectorsIfLarge(model: model, modelID: modelID) }
        return counts
    }

    /// Paths and blob ids that PostgreSQL text cannot hold are refused before anything is sent.
    static func validate(_ files: [FileRecord]) throws(TeamStoreError) {
        if let bad = files.first(where: { $0.path.unicodeScalars.contains("\0") || $0.blobID.unicodeScalars.contains("\0") }) {
            throw .invalidInput("path '\(bad.path.replacingOccurrences(of: "\0", with: "\\0"))' contains a NUL character")
        }
    }

    private func stage(_ files: [FileRecord]) throws(TeamStoreError) {
        try connection.execute("CREATE TEMP TABLE push_files(path text, oid text) ON COMMIT DROP")
        var buffer = CopyBuffer()
        for file in files {
            buffer.beginRow(fields: 2)
            buffer.text(file.path)
            buffer.text(file.blobID)
        }
        try connection.copy("COPY push_files FROM STDIN (FORMAT binary)", buffer.finish(), operation: "the file list")
    }

    private func stage(_ hashes: Set<ContentHash>) throws(TeamStoreError) {
        try connection.execute("CREATE TEMP TABLE push_hashes(hash bytea PRIMARY KEY) ON COMMIT DROP")
        var buffer = CopyBuffer()
        for hash in hashes {
            buffer.beginRow(fields: 1)
            buffer.data(hash.bytes)
        }
        try connection.copy("COPY push_hashes FROM STDIN (FORMAT binary)", buffer.finish(), operation: "the text hashes")
        try connection.execute("ANALYZE push_hashes")
    }

    /// Sends the texts of `exported` chunks the database lacks; returns how many.
    private func sendTexts(_ exported: [(blob: BlobRecord, hashes: [ContentHash])],
                           missing: Set<ContentHash>) throws(TeamStoreError) -> Int {
        guard !missing.isEmpty else { return 0 }
        try connection.execute("CREATE TEMP TABLE push_texts(hash bytea, body text, words text) ON COMMIT DROP")
        var buffer = CopyBuffer()
        var sent = Set<ContentHash>()
        for (blob, hashes) in exported {
            for (chunk, hash) in zip(blob.chunks, hashes) where missing.contains(hash) && sent.insert(hash).inserted {
                guard !chunk.text.unicodeScalars.contains("\0") else {
                    throw .invalidInput("a chunk of '\(blob.path)' contains a NUL character, which PostgreSQL text cannot hold")
                }
                buffer.beginRow(fields: 3)
                buffer.data(hash.bytes)
                buffer.text(chunk.text)
                buffer.text(IdentifierSplitter.indexForm(of: chunk.symbol + " " + chunk.text))
            }
        }
        try connection.copy("COPY push_texts FROM STDIN (FORMAT binary)", buffer.finish(), operation: "the chunk texts")
        try connection.execute("""
            INSERT INTO quarry_texts(content_hash, body, words)
            SELECT hash, body, to_tsvector('simple', words) FROM push_texts ORDER BY hash
            ON CONFLICT (content_hash) DO NOTHING
            """, operation: "storing chunk texts")
        return sent.count
    }

    /// Sends the blobs (and their chunks) the database lacks.
    private func sendBlobs(_ exported: [(blob: BlobRecord, hashes: [ContentHash])]) throws(TeamStoreError)
        -> (blobs: Int, chunks: Int)
    {
        guard !exported.isEmpty else { return (0, 0) }
        try connection.execute("""
            CREATE TEMP TABLE push_blobs(oid text, language text, size bigint, skip_reason text, chunk_count int)
            ON COMMIT DROP
            """)
        try connection.execute("""
            CREATE TEMP TABLE push_chunks(oid text, ordinal int, kind text, symbol text, start_line int, end_line int,
                                          start_byte int, end_byte int, hash bytea) ON COMMIT DROP
            """)
        var blobs = CopyBuffer()
        var chunks = CopyBuffer()
        var chunkCount = 0
        for (blob, hashes) in exported {
            blobs.beginRow(fields: 5)
            blobs.text(blob.id)
            blobs.text(blob.language.rawValue)
            blobs.int64(blob.size)
            if let reason = blob.skipReason { blobs.text(reason.rawValue) } else { blobs.null() }
            blobs.int32(blob.chunks.count)
            for (ordinal, (chunk, hash)) in zip(blob.chunks, hashes).enumerated() {
                chunks.beginRow(fields: 9)
                chunks.text(blob.id)
                chunks.int32(ordinal)
                chunks.text(chunk.kind.rawValue)
                chunks.text(chunk.symbol.replacingOccurrences(of: "\0", with: ""))
                chunks.int32(chunk.startLine)
                chunks.int32(chunk.endLine)
                chunks.int32(chunk.startByte)
                chunks.int32(chunk.endByte)
                chunks.data(hash.bytes)
                chunkCount += 1
            }
        }
        try connection.copy("COPY push_blobs FROM STDIN (FORMAT binary)", blobs.finish(), operation: "the blobs")
        try connection.copy("COPY push_chunks FROM STDIN (FORMAT binary)", chunks.finish(), operation: "the chunks")
        // A blob and its chunks commit together; a concurrent push of the same
        // blob waits on the unique key and then finds it complete. Rows go in
        // key order, so two pushes sharing rows wait for each other rather
        // than deadlock.
        try connection.execute("""
            INSERT INTO quarry_blobs(oid, language, size, skip_reason, chunk_count)
            SELECT oid, language, size, skip_reason, chunk_count FROM push_blobs ORDER BY oid
            ON CONFLICT (oid) DO NOTHING
            """, operation: "storing blobs")
        try connection.execute("""
            INSERT INTO quarry_chunks(blob_id, ordinal, kind, symbol, start_line, end_line, start_byte, end_byte, text_id)
            SELECT b.id, c.ordinal, c.kind, c.symbol, c.start_line, c.end_line, c.start_byte, c.end_byte, t.id
            FROM push_chunks c JOIN quarry_blobs b ON b.oid = c.oid JOIN quarry_texts t ON t.content_hash = c.hash
            ORDER BY b.id, c.ordinal
            ON CONFLICT (blob_id, ordinal) DO NOTHING
            """, operation: "storing chunks")
        return (exported.count, chunkCount)
    }

    /// Sends the vectors of the revision's texts that the database lacks for the model.
    private func sendVectors(model: ModelRecord, modelID: Int, store: IndexStore) throws(TeamStoreError) -> Int {
        let missing = try hashSet("""
            SELECT h.hash FROM push_hashes h JOIN quarry_texts t ON t.content_hash = h.hash
            WHERE NOT EXISTS (SELECT 1 FROM quarry_embeddings e WHERE e.text_id = t.id AND e.model_id = $1)
            """, [.int(modelID)])
        guard !missing.isEmpty else { return 0 }
        let vectors: [ContentHash: [Float]]
        do {
            vectors = try store.vectors(forContentHashes: Array(missing), model: model)
        } catch {
            throw .invalidInput("reading the local index's vectors: \(error)")
        }
        guard !vectors.isEmpty else { return 0 }
        try connection.execute("CREATE TEMP TABLE push_vectors(hash bytea, vector halfvec) ON COMMIT DROP")
        var buffer = CopyBuffer()
        for (hash, vector) in vectors {
            buffer.beginRow(fields: 2)
            buffer.data(hash.bytes)
            buffer.halfVector(vector)
        }
        try connection.copy("COPY push_vectors FROM STDIN (FORMAT binary)", buffer.finish(), operation: "the vectors")
        try connection.execute("""
            INSERT INTO quarry_embeddings(text_id, model_id, vector)
            SELECT t.id, $1, v.vector FROM push_vectors v JOIN quarry_texts t ON t.content_hash = v.hash ORDER BY t.id
            ON CONFLICT (text_id, model_id) DO NOTHING
            """, [.int(modelID)], operation: "storing vectors")
        return vectors.count
    }

    /// Records the revision and replaces its file list; it becomes the
    /// repository's default when it is HEAD, or when HEAD was never published.
    private func replaceFiles(of revision: RevisionRecord, in repository: Int64, modelID: Int?,
                              expected: Int) throws(TeamStoreError) {
        let row = try connection.execute("""
            INSERT INTO quarry_revisions(repository_id, name, commit_id, tree_id, commit_time, author, subject, model_id)
            VALUES ($1, $2, $3, $4, to_timestamp($5), $6, $7, $8)
            ON CONFLICT (repository_id, name) DO UPDATE SET
                commit_id = EXCLUDED.commit_id, tree_id = EXCLUDED.tree_id, commit_time = EXCLUDED.commit_time,
                author = EXCLUDED.author, subject = EXCLUDED.subject, model_id = EXCLUDED.model_id,
                published_at = now()
            RETURNING id
            """, [.int(repository), .text(revision.name), .text(revision.commitID), .text(revision.treeID),
                  .text(String(revision.commitTime.timeIntervalSince1970)), .text(revision.author),
                  .text(revision.subject), modelID.map { PostgresValue.int($0) } ?? .null],
            operation: "recording the revision")
        let revisionID = row.int64(0, 0)
        try connection.execute("DELETE FROM quarry_files WHERE revision_id = $1", [.int(revisionID)])
        let inserted = try connection.execute("""
            WITH added AS (
                INSERT INTO quarry_files(revision_id, path, blob_id)
                SELECT $1, f.path, b.id FROM push_files f JOIN quarry_blobs b ON b.oid = f.oid RETURNING 1)
            SELECT count(*) FROM added
            """, [.int(revisionID)], operation: "storing the file list")
        guard inserted.int(0, 0) == expected else {
            throw .server(operation: "storing the file list",
                          detail: "\(expected - inserted.int(0, 0)) files name blobs the local index lacks; "
                              + "run 'quarry index' and push again")
        }
        try connection.execute("""
            UPDATE quarry_repositories p SET default_revision_id = $2
            WHERE p.id = $1 AND ($3 = 'HEAD' OR p.default_revision_id IS NULL
                  OR NOT EXISTS (SELECT 1 FROM quarry_revisions r WHERE r.id = p.default_revision_id AND r.name = 'HEAD'))
            """, [.int(repository), .int(revisionID), .text(revision.name)])
    }

    /// Builds the model's HNSW index once it has `hnswThreshold` vectors.
    /// Outside the publishing transaction: readers are never held up by it.
    private func indexVectorsIfLarge(model: ModelRecord, modelID: Int) throws(TeamStoreError) {
        let name = "quarry_embeddings_hnsw_\(modelID)"
        let exists = try connection.execute("SELECT to_regclass(quote_ident(current_schema()) || '.' || $1) IS NOT NULL", [.text(name)])
        guard exists.string(0, 0) == "f" else { return }
        let count = try connection.execute("SELECT count(*) FROM quarry_embeddings WHERE model_id = $1", [.int(modelID)])
        guard count.int(0, 0) >= Self.hnswThreshold else { return }
        try connection.execute("SET maintenance_work_mem = '512MB'")
        try connection.execute("""
            CREATE INDEX IF NOT EXISTS \(name) ON quarry_embeddings
            USING hnsw ((vector::halfvec(\(model.dimension))) halfvec_cosine_ops) WITH (\(Self.hnswParameters))
            WHERE model_id = \(modelID)
            """, operation: "building the vector index")
    }

    // MARK: - Reading answers

    func strings(_ sql: String, _ parameters: [PostgresValue] = []) throws(TeamStoreError) -> [String] {
        let result = try connection.execute(sql, parameters)
        return (0..<result.count).map { result.string($0, 0) }
    }

    func hashSet(_ sql: String, _ parameters: [PostgresValue] = []) throws(TeamStoreError) -> Set<ContentHash> {
        let result = try connection.execute(sql, parameters)
        return Set((0..<result.count).compactMap { ContentHash(bytes: result.bytes($0, 0)) })
    }
}
