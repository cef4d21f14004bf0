/// Embedding coverage (how many texts of a revision a model has no vector
/// for) as status reports it.
extension IndexStore {
    /// `countTextsWithoutEmbeddings(model:revision:)`, answered in a fraction
    /// of the time when the model's vector file is current: its row list says
    /// which texts have vectors, so only the texts it lacks are looked up in
    /// the revision. Counting through the embeddings table reads every
    /// stored vector (seconds on an index of 200,000 chunks).
    public func countTextsWithoutVectors(model: ModelRecord, revision: String? = nil) throws(StoreError) -> Int {
        try readConsistently { () throws(StoreError) -> Int in
            guard let (revisionRow, _) = try resolveRevision(revision) else { return 0 }
            guard let matrix = VectorFile.map(index: path, model: model,
                                              generation: try vectorGeneration(of: model.id)) else {
                return try countTextsWithoutEmbeddings(model: model, revision: revision)
            }
            var embedded = Set<ContentHash>(minimumCapacity: matrix.count)
            for row in 0..<matrix.count { embedded.insert(matrix.contentHash(ofRow: row)) }
            // Each distinct text once, from the index alone (the table rows hold the texts).
            let texts = try db.prepare("SELECT DISTINCT content_hash FROM chunks INDEXED BY chunks_by_hash")
            let inRevision = try db.prepare("""
                SELECT 1 FROM chunks c JOIN files f ON f.blob_id = c.blob_id
                WHERE c.content_hash = ?1 AND (?2 < 0 OR f.revision_id = ?2) LIMIT 1
                """)
            inRevision.bind(revisionRow, at: 2)
            var missing = 0
            while try texts.step() {
                let bytes = texts.bytes(0)
                if let hash = ContentHash(bytes: bytes), embedded.contains(hash) { continue }
                bytes.withUnsafeBytes { inRevision.bind(bytes: $0, at: 1) }
                if try inRevision.step() { missing += 1 }
                inRevision.reset()
            }
            return missing
        }
    }
}
