import QuarryCore

/// Changing which blobs are indexed (`quarry index --include-data`, or new
/// rules in a newer Quarry) after they were stored: blobs are stored once and
/// never re-read, so the indexer asks for the ones a policy may judge, and
/// replaces those it now judges otherwise.
extension IndexStore {
    /// The stored blobs a data policy can judge: text without a grammar or
    /// stored as line windows only (a grammar built since chunks it by
    /// function), those skipped as data or for their path, and text at the
    /// paths `isJudged` names (vendored or generated files indexed under
    /// `--include-generated`). Their first path and current skip reason.
    public func blobsJudgedByDataPolicy(alsoJudging isJudged: (String) -> Bool = { _ in false })
        throws(StoreError) -> [(id: String, path: String, skipReason: SkipReason?)] {
        let judged = Set(SkipReason.allCases.filter(\.isData) + [.vendored, .generated])
        let statement = try db.prepare("""
            SELECT oid, path, skip_reason, language = 'other'
                   OR NOT EXISTS (SELECT 1 FROM chunks WHERE chunks.blob_id = blobs.id AND chunks.kind <> 'lines')
            FROM blobs
            """)
        var blobs: [(id: String, path: String, skipReason: SkipReason?)] = []
        while try statement.step() {
            let path = statement.string(1)
            let reason = statement.optionalString(2).flatMap(SkipReason.init)
            let isJudgedText = reason == nil && (statement.int(3) != 0 || isJudged(path))
            guard isJudgedText || reason.map(judged.contains) == true else { continue }
            blobs.append((statement.string(0), path, reason))
        }
        return blobs
    }

    /// Replaces stored blobs' classification and chunks with `blobs` (matched
    /// by id), in one transaction: old chunks and their full-text rows go, the
    /// new ones come in. Vectors of texts no chunk keeps any more stay until
    /// `collectGarbage`.
    public func replace(_ blobs: [BlobRecord]) throws(StoreError) {
        if mode == .readOnly { throw .readOnly(path: path) }
        let find = try db.prepare("SELECT id, path FROM blobs WHERE oid = ?")
        let update = try db.prepare("UPDATE blobs SET language = ?2, skip_reason = ?3, chunk_count = ?4 WHERE id = ?1")
        try db.transaction { () throws(StoreError) in
            for blob in blobs {
                find.bind(blob.id, at: 1)
                guard try find.step() else {
                    find.reset()
                    continue
                }
                let (row, storedPath) = (find.int64(0), find.string(1))
                find.reset()
                try deleteChunks(ofBlob: row, path: storedPath)
                update.bind(row, at: 1)
                update.bind(blob.language.rawValue, at: 2)
                update.bind(blob.skipReason?.rawValue, at: 3)
                update.bind(blob.skipReason == nil ? blob.chunks.count : 0, at: 4)
                try update.run()
                guard blob.skipReason == nil else { continue }
                try insertChunks(of: blob, blobRow: row, path: storedPath)
            }
        }
    }

    /// The value stored under `key` in the index's `meta` table.
    public func metadata(_ key: String) throws(StoreError) -> String? {
        let statement = try db.prepare("SELECT value FROM meta WHERE key = ?")
        statement.bind(key, at: 1)
        return try statement.step() ? statement.string(0) : nil
    }

    public func setMetadata(_ key: String, to value: String) throws(StoreError) {
        if mode == .readOnly { throw .readOnly(path: path) }
        let upsert = try db.prepare("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)")
        upsert.bind(key, at: 1)
        upsert.bind(value, at: 2)
        try upsert.run()
    }
}
