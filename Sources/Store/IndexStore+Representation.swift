/// How a model's stored vectors were made. The encoder's output is one
/// representation ("plain"); a later Quarry may store a transform of it
/// (see `HubnessCorrection` in Search). An index records, per model, the
/// representation of all its vectors in `meta`, so vectors of two
/// representations never mix and `quarry status` can say when an index's
/// vectors are older than what this build writes.
extension IndexStore {
    /// The representation of `model`'s vectors as recorded, nil for an
    /// index that never recorded one (its vectors, if any, are "plain").
    public func vectorRepresentation(of model: ModelRecord) throws(StoreError) -> String? {
        try metadata(Self.representationKey(of: model))
    }

    /// Records that `model`'s vectors (all of them, and any written later) are `representation`.
    public func recordVectorRepresentation(_ representation: String, of model: ModelRecord) throws(StoreError) {
        try setMetadata(Self.representationKey(of: model), to: representation)
    }

    /// Whether any vector of `model` is stored.
    public func hasEmbeddings(of model: ModelRecord) throws(StoreError) -> Bool {
        let statement = try db.prepare("SELECT 1 FROM embeddings WHERE model_id = ? LIMIT 1")
        statement.bind(model.id, at: 1)
        return try statement.step()
    }

    /// Replaces every stored vector of `model` by `transform` of it (a page
    /// of vectors at a time) and records `representation`, in one
    /// transaction: a killed run leaves the old vectors and the old record.
    /// The vector file is rewritten after the commit. Returns how many vectors changed.
    @discardableResult
    public func transformEmbeddings(of model: ModelRecord, into representation: String, pageSize: Int = 4_096,
                                    _ transform: ([[Float]]) -> [[Float]]) throws(StoreError) -> Int
    {
        if mode == .readOnly { throw .readOnly(path: path) }
        let page = try db.prepare("""
            SELECT content_hash, vector FROM embeddings
            WHERE model_id = ?1 AND content_hash > ?2 ORDER BY content_hash LIMIT ?3
            """)
        var changed = 0
        try db.transaction { () throws(StoreError) in
            var last: [UInt8] = []
            while true {
                page.bind(model.id, at: 1)
                last.withUnsafeBytes { page.bind(bytes: $0, at: 2) }
                page.bind(max(1, pageSize), at: 3)
                var hashes: [ContentHash] = []
                var vectors: [[Float]] = []
                while try page.step() {
                    let bytes = page.bytes(0)
                    last = bytes
                    guard let hash = ContentHash(bytes: bytes) else { continue }
                    guard let vector = page.storedVector(1, dimension: model.dimension) else {
                        throw .corrupt(path: path, detail: "a stored vector has the wrong size")
                    }
                    hashes.append(hash)
                    vectors.append(vector)
                }
                page.reset()
                guard !hashes.isEmpty else { break }
                try writeEmbeddings(Array(zip(hashes, transform(vectors))).map { (hash: $0.0, vector: $0.1) }, model: model)
                changed += hashes.count
            }
            try recordVectorRepresentation(representation, of: model)
        }
        if changed > 0 { try? rewriteVectorFile(for: model) }
        return changed
    }

    private static func representationKey(of model: ModelRecord) -> String {
        "vectors.representation.\(model.id)"
    }
}
