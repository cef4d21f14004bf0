import QuarryCore

/// Reading whole blobs back out of the index, for publishing them elsewhere
/// (`quarry push` copies them into a team database).
extension IndexStore {
    /// The blobs with these ids, each with its chunks in file order and each
    /// chunk's content hash; ids the index lacks are left out.
    public func exportedBlobs(ids: some Sequence<String>) throws(StoreError)
        -> [(blob: BlobRecord, hashes: [ContentHash])]
    {
        let blobStatement = try db.prepare("""
            SELECT id, oid, path, language, size, skip_reason FROM blobs WHERE oid = ?
            """)
        let chunkStatement = try db.prepare("""
            SELECT kind, symbol, start_line, end_line, start_byte, end_byte, text, content_hash
            FROM chunks WHERE blob_id = ? ORDER BY ordinal
            """)
        var result: [(blob: BlobRecord, hashes: [ContentHash])] = []
        for id in ids {
            blobStatement.bind(id, at: 1)
            defer { blobStatement.reset() }
            guard try blobStatement.step() else { continue }
            guard let language = Language(rawValue: blobStatement.string(3)) else {
                throw .corrupt(path: path, detail: "blob \(blobStatement.string(1)) has no valid language")
            }
            var blob = BlobRecord(id: blobStatement.string(1), path: blobStatement.string(2), language: language,
                                  size: blobStatement.int(4),
                                  skipReason: blobStatement.optionalString(5).flatMap(SkipReason.init(rawValue:)),
                                  chunks: [])
            var hashes: [ContentHash] = []
            chunkStatement.bind(blobStatement.int64(0), at: 1)
            defer { chunkStatement.reset() }
            while try chunkStatement.step() {
                guard let hash = ContentHash(bytes: chunkStatement.bytes(7)) else {
                    throw .corrupt(path: path, detail: "a chunk's content hash has the wrong size")
                }
                blob.chunks.append(Chunk(language: language,
                                         kind: ChunkKind(rawValue: chunkStatement.string(0)) ?? .lines,
                                         symbol: chunkStatement.string(1), startLine: chunkStatement.int(2),
                                         endLine: chunkStatement.int(3), startByte: chunkStatement.int(4),
                                         endByte: chunkStatement.int(5), text: chunkStatement.string(6)))
                hashes.append(hash)
            }
            result.append((blob, hashes))
        }
        return result
    }

    /// The content hashes of every chunk of the blobs with these ids.
    public func contentHashes(ofBlobs ids: some Sequence<String>) throws(StoreError) -> Set<ContentHash> {
        let statement = try db.prepare("""
            SELECT c.content_hash FROM chunks c JOIN blobs b ON b.id = c.blob_id WHERE b.oid = ?
            """)
        var hashes = Set<ContentHash>()
        for id in ids {
            statement.bind(id, at: 1)
            defer { statement.reset() }
            while try statement.step() {
                if let hash = ContentHash(bytes: statement.bytes(0)) { hashes.insert(hash) }
            }
        }
        return hashes
    }
}
