import CSQLite
import Foundation
import QuarryCore

extension IndexStore {
    /// Runs a full-text query within one revision, best first. A blob held at
    /// several paths yields one hit: `path` is the first passing path in path
    /// order and `otherPaths` the rest.
    public func lexicalSearch(_ query: LexicalQuery) throws(StoreError) -> [ChunkHit] {
        guard query.limit > 0, let (revisionRow, revisionName) = try resolveRevision(query.revision) else {
            return []
        }
        if let languages = query.languages, languages.isEmpty { return [] }
        // Phase 1 ranks inside FTS5 alone: joining every match to its chunk,
        // blob and files before the sort made common-word queries ~4x slower.
        // Phase 2 locates the best few and drops those the revision or the
        // filters reject, asking phase 1 for more until `limit` pass.
        let ranking = try KeywordRanking(self, query)
        let blobOfChunk = try db.prepare("SELECT blob_id FROM chunks WHERE id = ?")
        let builder = try HitBuilder(db, revision: (revisionRow, revisionName), languages: query.languages,
                                     pathFilter: query.pathFilter, chunkFilter: query.chunkFilter)
        var depth = query.limit + query.limit / 2 + 5
        while true {
            let rows = try ranking.best(depth)
            var hits: [ChunkHit] = []
            for (chunk, score) in rows where hits.count < query.limit {
                blobOfChunk.bind(chunk, at: 1)
                defer { blobOfChunk.reset() }
                guard try blobOfChunk.step() else { continue }
                if let hit = try builder.hit(chunk: chunk, blob: blobOfChunk.int64(0), score: score) { hits.append(hit) }
            }
            if hits.count >= query.limit || rows.count < depth { return hits }
            depth *= 4
        }
    }

    /// How many chunks hold each term, as the full-text index tokenised it
    /// (0 for a term it does not know): what a searcher needs to tell rare
    /// terms from common ones.
    ///
    /// Counting a common term reads its whole posting list (milliseconds for
    /// "self" or "1" on a large index), and a hybrid search asks for the same
    /// terms several times, a server for the same common words in query after
    /// query: counts are kept until the database changes (see `TermCounts`).
    public func documentFrequencies(of terms: [String]) throws(StoreError) -> [Int] {
        let version = try dataVersion()
        var counts: [Int] = []
        var lookup: Statement?
        for term in terms {
            if let known = termCounts.count(of: term, version: version) {
                counts.append(known)
                continue
            }
            if lookup == nil {
                try db.execute("""
                    CREATE VIRTUAL TABLE IF NOT EXISTS temp.quarry_vocabulary USING fts5vocab(main, chunks_fts, 'row')
                    """)
                lookup = try db.prepare("SELECT doc FROM temp.quarry_vocabulary WHERE term = ?")
            }
            guard let lookup else { break }
            lookup.bind(term, at: 1)
            let count = try lookup.step() ? lookup.int(0) : 0
            lookup.reset()
            termCounts.record(count, of: term, version: version)
            counts.append(count)
        }
        return counts
    }

    /// What the database looked like to this connection: changed by every
    /// commit of another connection (seen from the next read transaction on)
    /// and by every row this connection writes.
    private func dataVersion() throws(StoreError) -> TermCounts.Version {
        TermCounts.Version(committed: try db.integer("PRAGMA data_version"),
                           written: sqlite3_total_changes64(db.handle))
    }

    /// Turns chunk texts scored elsewhere (by vector similarity) into hits
    /// located in a revision: every chunk with each text, texts in the given
    /// order and a text's chunks in id order, dropping chunks the revision
    /// does not reach or the filters reject. Same path rules as `lexicalSearch`.
    public func chunkHits(forContentHashes scored: [(hash: ContentHash, score: Double)], revision: String? = nil,
                          languages: Set<Language>? = nil, pathFilter: (@Sendable (String) -> Bool)? = nil,
                          chunkFilter: ChunkFilter? = nil, limit: Int = .max) throws(StoreError) -> [ChunkHit] {
        guard limit > 0, let resolved = try resolveRevision(revision) else { return [] }
        let builder = try HitBuilder(db, revision: resolved, languages: languages, pathFilter: pathFilter,
                                     chunkFilter: chunkFilter)
        let chunksWithText = try db.prepare("SELECT id, blob_id FROM chunks WHERE content_hash = ? ORDER BY id")
        var hits: [ChunkHit] = []
        for (hash, score) in scored where hits.count < limit {
            hash.bytes.withUnsafeBytes { chunksWithText.bind(bytes: $0, at: 1) }
            defer { chunksWithText.reset() }
            while hits.count < limit, try chunksWithText.step() {
                if let hit = try builder.hit(chunk: chunksWithText.int64(0), blob: chunksWithText.int64(1),
                                             score: score) {
                    hits.append(hit)
                }
            }
        }
        return hits
    }

    /// Counts for a revision (default: the newest) and for the whole store.
    public func statistics(revision: String? = nil) throws(StoreError) -> StoreStatistics {
        var stats = StoreStatistics()
        stats.revisions = Int(try db.integer("SELECT count(*) FROM revisions"))
        stats.blobs = Int(try db.integer("SELECT count(*) FROM blobs"))
        stats.chunks = Int(try db.integer("SELECT count(*) FROM chunks"))
        stats.embeddings = Int(try db.integer("SELECT count(*) FROM embeddings"))

        let perLanguage = try db.prepare("""
            SELECT language, count(*), sum(chunk_count) FROM blobs WHERE skip_reason IS NULL GROUP BY language
            """)
        while try perLanguage.step() {
            let language = Language(rawValue: perLanguage.string(0)) ?? .other
            stats.languages[language, default: .init()].blobs += perLanguage.int(1)
            stats.languages[language, default: .init()].chunks += perLanguage.int(2)
        }
        let skipped = try db.prepare("SELECT skip_reason, count(*) FROM blobs WHERE skip_reason IS NOT NULL GROUP BY 1")
        while try skipped.step() {
            if let reason = SkipReason(rawValue: skipped.string(0)) { stats.skipped[reason, default: 0] += skipped.int(1) }
        }

        if let (row, name) = try resolveRevision(revision) {
            stats.revision = name
            let files = try db.prepare(row < 0 ? """
                SELECT b.language, count(DISTINCT f.path) FROM files f JOIN blobs b ON b.id = f.blob_id GROUP BY 1
                """ : """
                SELECT b.language, count(*) FROM files f JOIN blobs b ON b.id = f.blob_id
                WHERE f.revision_id = ?1 GROUP BY 1
                """)
            files.bind(row, at: 1)
            while try files.step() {
                let language = Language(rawValue: files.string(0)) ?? .other
                stats.languages[language, default: .init()].files += files.int(1)
                stats.files += files.int(1)
            }
        }
        stats.fileSize = [path, path + "-wal"].reduce(0) { total, file in
            let size = (try? FileManager.default.attributesOfItem(atPath: file)[.size] as? Int) ?? nil
            return total + (size ?? 0)
        }
        return stats
    }

    /// Deletes every blob no revision's file list reaches, with its chunks,
    /// full-text rows, and the embeddings no remaining chunk shares, in one
    /// transaction; then returns the freed pages to the file system.
    /// Run it after `recordRevision`: blobs written for a revision not yet
    /// recorded are unreachable too.
    @discardableResult
    public func collectGarbage() throws(StoreError) -> GarbageCollection {
        if mode == .readOnly { throw .readOnly(path: path) }
        let result = try db.transaction { () throws(StoreError) -> GarbageCollection in
            var result = GarbageCollection()
            let unreachable = try db.prepare("""
                SELECT id, path FROM blobs b WHERE NOT EXISTS (SELECT 1 FROM files f WHERE f.blob_id = b.id)
                """)
            var blobs: [(row: Int64, path: String)] = []
            while try unreachable.step() { blobs.append((unreachable.int64(0), unreachable.string(1))) }

            let deleteBlob = try db.prepare("DELETE FROM blobs WHERE id = ?")
            for blob in blobs {
                result.chunks += try deleteChunks(ofBlob: blob.row, path: blob.path)
                deleteBlob.bind(blob.row, at: 1)
                try deleteBlob.run()
                result.blobs += 1
            }
            try db.execute("""
                DELETE FROM embeddings WHERE NOT EXISTS
                    (SELECT 1 FROM chunks c WHERE c.content_hash = embeddings.content_hash)
                """)
            result.embeddings = db.changes
            if result.embeddings > 0 {
                for model in try models() { _ = try bumpVectorGeneration(of: model.id) }
            }
            return result
        }
        try db.execute("PRAGMA incremental_vacuum")
        try db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        // Deleted rows cannot be cut out of a vector file in place: rewrite it.
        // A file an earlier gc left behind (its rewrite failed) is caught up too.
        for model in try models() {
            if result.embeddings > 0 { try rewriteVectorFile(for: model) } else { try synchronizeVectorFile(for: model) }
        }
        return result
    }
}

extension IndexStore {
    /// Deletes a stored blob's chunks and their full-text rows (indexed with
    /// the blob's stored `path`); returns how many chunks there were.
    @discardableResult
    func deleteChunks(ofBlob blobRow: Int64, path: String) throws(StoreError) -> Int {
        let chunksOfBlob = try db.prepare("SELECT id, symbol, text FROM chunks WHERE blob_id = ?")
        // A contentless FTS5 row is deleted by repeating the exact values it was indexed with.
        let deleteFTS = try db.prepare("""
            INSERT INTO chunks_fts(chunks_fts, rowid, symbol, path, text) VALUES ('delete', ?, ?, ?, ?)
            """)
        chunksOfBlob.bind(blobRow, at: 1)
        while try chunksOfBlob.step() {
            deleteFTS.bind(chunksOfBlob.int64(0), at: 1)
            bindExpanded(chunksOfBlob.string(1), to: deleteFTS, at: 2)
            bindExpanded(path, to: deleteFTS, at: 3)
            bindExpanded(chunksOfBlob.string(2), to: deleteFTS, at: 4)
            try deleteFTS.run()
        }
        let deleteChunks = try db.prepare("DELETE FROM chunks WHERE blob_id = ?")
        deleteChunks.bind(blobRow, at: 1)
        try deleteChunks.run()
        return db.changes
    }
}

/// Locates ranked chunks in one revision: finds the blob's paths there,
/// applies the path filter, loads the chunk and applies the language filter.
private final class HitBuilder {
    private let pathsOfBlob: Statement
    private let details: Statement
    private let revision: (row: Int64, name: String)
    private let languages: Set<Language>?
    private let pathFilter: (@Sendable (String) -> Bool)?
    private let chunkFilter: ChunkFilter?
    private let newestRevisionOfBlob: Statement?

    init(_ db: Connection, revision: (Int64, String), languages: Set<Language>?,
         pathFilter: (@Sendable (String) -> Bool)?, chunkFilter: ChunkFilter?) throws(StoreError) {
        pathsOfBlob = try db.prepare("""
            SELECT DISTINCT path FROM files WHERE (?1 < 0 OR revision_id = ?1) AND blob_id = ?2 ORDER BY path
            """)
        details = try db.prepare("""
            SELECT b.oid, b.language, c.kind, c.symbol, c.start_line, c.end_line, c.start_byte, c.end_byte,
                   c.text, c.content_hash
            FROM chunks c JOIN blobs b ON b.id = c.blob_id WHERE c.id = ?
            """)
        newestRevisionOfBlob = revision.0 < 0 ? try db.prepare("""
            SELECT r.name FROM files f JOIN revisions r ON r.id = f.revision_id WHERE f.blob_id = ?
            ORDER BY r.commit_time DESC, r.name = 'HEAD' DESC, r.indexed_at DESC, r.id DESC LIMIT 1
            """) : nil
        self.revision = revision
        self.languages = languages
        self.pathFilter = pathFilter
        self.chunkFilter = chunkFilter
    }

    /// The revision a hit is located in: the one searched, or across all
    /// revisions the newest holding the blob, so that two versions of one
    /// function stay two results.
    private func revisionName(ofBlob blobRow: Int64) throws(StoreError) -> String {
        guard let newestRevisionOfBlob else { return revision.name }
        newestRevisionOfBlob.bind(blobRow, at: 1)
        defer { newestRevisionOfBlob.reset() }
        return try newestRevisionOfBlob.step() ? newestRevisionOfBlob.string(0) : revision.name
    }

    /// The hit for one chunk, or nil when no path of its blob in the revision
    /// passes the path filter and the chunk filter, or its language fails
    /// the language filter.
    func hit(chunk chunkRow: Int64, blob blobRow: Int64, score: Double) throws(StoreError) -> ChunkHit? {
        pathsOfBlob.bind(revision.row, at: 1)
        pathsOfBlob.bind(blobRow, at: 2)
        var paths: [String] = []
        while try pathsOfBlob.step() {
            let path = pathsOfBlob.string(0)
            if pathFilter?(path) ?? true { paths.append(path) }
        }
        pathsOfBlob.reset()
        guard !paths.isEmpty else { return nil }

        details.bind(chunkRow, at: 1)
        defer { details.reset() }
        guard try details.step() else { return nil }
        let language = Language(rawValue: details.string(1)) ?? .other
        if let languages, !languages.contains(language) { return nil }
        let text = details.string(8)
        let chunk = Chunk(
            language: language,
            kind: ChunkKind(rawValue: details.string(2)) ?? .lines,
            symbol: details.string(3), startLine: details.int(4), endLine: details.int(5),
            startByte: details.int(6), endByte: details.int(7), text: text)
        if let chunkFilter {
            paths.removeAll { !chunkFilter($0, chunk) }
            guard !paths.isEmpty else { return nil }
        }
        return ChunkHit(
            chunkID: chunkRow, blobID: details.string(0), path: paths[0], otherPaths: Array(paths.dropFirst()),
            revision: try revisionName(ofBlob: blobRow), chunk: chunk,
            contentHash: ContentHash(bytes: details.bytes(9)) ?? ContentHash(of: text), score: score)
    }
}
