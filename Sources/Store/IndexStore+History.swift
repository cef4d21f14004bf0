import CSQLite
import Foundation

/// Where a stored blob lives in the indexed history: the oldest and the
/// newest indexed revision (by commit time) whose file list holds it.
public struct BlobLifetime: Sendable, Hashable {
    public var first: RevisionRecord
    public var last: RevisionRecord
}

/// Per-revision and per-model sizes for `quarry status`.
public struct RevisionSize: Sendable, Hashable {
    public var revision: RevisionRecord
    public var files: Int
}

public struct ModelSize: Sendable, Hashable {
    public var model: ModelRecord
    public var vectors: Int
    public var bytes: Int
}

/// Many revisions in one index: staging a file list so its texts can be
/// embedded before the list becomes visible, lookups across revisions, and
/// read snapshots.
extension IndexStore {
    /// The revision name that means "every indexed revision" to every
    /// revision-scoped query (search, vectors, files, statistics). Git ref
    /// names cannot contain `*`, so it never names a real revision.
    public static let allRevisions = "*"

    /// The revision called `name`; nil when not indexed.
    public func revision(named name: String) throws(StoreError) -> RevisionRecord? {
        let statement = try db.prepare("""
            SELECT name, commit_id, tree_id, commit_time, author, subject, indexed_at FROM revisions WHERE name = ?
            """)
        statement.bind(name, at: 1)
        return try statement.step() ? Self.revisionRecord(statement) : nil
    }

    /// Reads columns 0-6 (name, commit_id, tree_id, commit_time, author, subject, indexed_at).
    static func revisionRecord(_ statement: Statement) -> RevisionRecord {
        RevisionRecord(
            name: statement.string(0), commitID: statement.string(1), treeID: statement.string(2),
            commitTime: Date(timeIntervalSince1970: statement.double(3)),
            author: statement.string(4), subject: statement.string(5),
            indexedAt: Date(timeIntervalSince1970: statement.double(6)))
    }

    /// The ids among `ids` that are stored (chunked or skipped): a lookup per
    /// id, cheaper than `storedBlobIDs()` when only a few blobs changed.
    public func storedBlobIDs(among ids: some Sequence<String>) throws(StoreError) -> Set<String> {
        let statement = try db.prepare("SELECT 1 FROM blobs WHERE oid = ?")
        var stored = Set<String>()
        for id in ids {
            statement.bind(id, at: 1)
            if try statement.step() { stored.insert(id) }
            statement.reset()
        }
        return stored
    }

    // MARK: - Staged file lists

    /// Holds `files` as the next revision's file list in a temporary table of
    /// this connection only: other connections never see it, and a killed
    /// process leaves nothing behind. Every blob must be stored already.
    public func stageFiles(_ files: [FileRecord], of revisionName: String) throws(StoreError) {
        if mode == .readOnly { throw .readOnly(path: path) }
        try db.execute("""
            CREATE TEMP TABLE IF NOT EXISTS staged_files(path TEXT PRIMARY KEY, blob_id INTEGER NOT NULL) WITHOUT ROWID
            """)
        try db.transaction { () throws(StoreError) in
            try db.execute("DELETE FROM temp.staged_files")
            let insert = try db.prepare("INSERT INTO temp.staged_files(path, blob_id) SELECT ?1, id FROM blobs WHERE oid = ?2")
            for file in files {
                insert.bind(file.path, at: 1)
                insert.bind(file.blobID, at: 2)
                do throws(StoreError) {
                    try insert.run()
                } catch {
                    // SQLITE_CONSTRAINT_PRIMARYKEY, a C macro Swift does not import.
                    if case .sqlite(_, let code, _) = error, code == SQLITE_CONSTRAINT | (6 << 8) {
                        throw StoreError.invalidArgument("revision \(revisionName) lists \(file.path) twice")
                    }
                    throw error
                }
                if db.changes != 1 { throw StoreError.unknownBlob(file.blobID) }
            }
        }
    }

    /// Makes the staged file list `revision`'s, replacing any earlier list
    /// under the same name, in one transaction: a reader sees the old list or
    /// the new one, never a mix. `backlog` is what `model` still has to embed
    /// of it (see `stagedBacklog(model:)`), recorded in the same transaction;
    /// backlog rows of an earlier list under the name are dropped.
    public func recordStagedRevision(_ revision: RevisionRecord, backlog: EmbeddingBacklog? = nil,
                                     of model: ModelRecord? = nil) throws(StoreError) {
        if mode == .readOnly { throw .readOnly(path: path) }
        try db.transaction { () throws(StoreError) in
            let upsert = try db.prepare("""
                INSERT INTO revisions(name, commit_id, tree_id, commit_time, author, subject, indexed_at)
                VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                ON CONFLICT(name) DO UPDATE SET commit_id = ?2, tree_id = ?3, commit_time = ?4,
                    author = ?5, subject = ?6, indexed_at = ?7
                RETURNING id
                """)
            upsert.bind(revision.name, at: 1)
            upsert.bind(revision.commitID, at: 2)
            upsert.bind(revision.treeID, at: 3)
            upsert.bind(revision.commitTime.timeIntervalSince1970, at: 4)
            upsert.bind(revision.author, at: 5)
            upsert.bind(revision.subject, at: 6)
            upsert.bind(revision.indexedAt.timeIntervalSince1970, at: 7)
            guard try upsert.step() else {
                throw StoreError.sqlite(operation: "record revision", code: SQLITE_ERROR, message: "no id returned")
            }
            let revisionRow = upsert.int64(0)
            upsert.reset()
            let clear = try db.prepare("DELETE FROM files WHERE revision_id = ?")
            clear.bind(revisionRow, at: 1)
            try clear.run()
            let copy = try db.prepare("INSERT INTO files(revision_id, path, blob_id) SELECT ?, path, blob_id FROM temp.staged_files")
            copy.bind(revisionRow, at: 1)
            try copy.run()
            let dropBacklog = try db.prepare("DELETE FROM embedding_backlog WHERE revision_id = ?")
            dropBacklog.bind(revisionRow, at: 1)
            try dropBacklog.run()
            if let model, let backlog, backlog.missing > 0 {
                try storeBacklog(backlog, revision: revisionRow, model: model.id)
            }
            // Staged once, recorded once: a second call cannot record a stale list.
            try db.execute("DELETE FROM temp.staged_files")
        }
    }

    // MARK: - Across revisions

    /// The oldest and newest indexed revisions (by commit time; `HEAD` wins a
    /// tie for newest) holding a chunk with text `hash` in any file: where a
    /// function's text first and last appears, whatever else changed in its
    /// file and wherever it moved. Nil when no revision does.
    public func lifetime(ofText hash: ContentHash) throws(StoreError) -> BlobLifetime? {
        let statement = try db.prepare("""
            SELECT r.name, r.commit_id, r.tree_id, r.commit_time, r.author, r.subject, r.indexed_at
            FROM revisions r
            WHERE EXISTS (SELECT 1 FROM chunks c JOIN files f ON f.blob_id = c.blob_id
                          WHERE c.content_hash = ?1 AND f.revision_id = r.id)
            ORDER BY r.commit_time, r.name = 'HEAD', r.indexed_at, r.id
            """)
        hash.bytes.withUnsafeBytes { statement.bind(bytes: $0, at: 1) }
        var first: RevisionRecord?
        var last: RevisionRecord?
        while try statement.step() {
            let record = Self.revisionRecord(statement)
            if first == nil { first = record }
            last = record
        }
        guard let first, let last else { return nil }
        return BlobLifetime(first: first, last: last)
    }

    /// The indexed revisions, oldest first (by commit time), in which the
    /// texts of the chunks named `symbol` differ from the revision before:
    /// where the function appeared, changed, disappeared or came back.
    public func changes(ofSymbol symbol: String) throws(StoreError) -> [RevisionRecord] {
        let texts = try db.prepare("""
            SELECT f.revision_id, c.content_hash FROM chunks c JOIN files f ON f.blob_id = c.blob_id
            WHERE c.symbol = ?1
            """)
        texts.bind(symbol, at: 1)
        var textsOfRevision: [Int64: Set<[UInt8]>] = [:]
        while try texts.step() { textsOfRevision[texts.int64(0), default: []].insert(texts.bytes(1)) }
        let ordered = try db.prepare("""
            SELECT name, commit_id, tree_id, commit_time, author, subject, indexed_at, id FROM revisions
            ORDER BY commit_time, name = 'HEAD', indexed_at, id
            """)
        var changes: [RevisionRecord] = []
        var previous = Set<[UInt8]>()
        while try ordered.step() {
            let current = textsOfRevision[ordered.int64(7)] ?? []
            if current != previous { changes.append(Self.revisionRecord(ordered)) }
            previous = current
        }
        return changes
    }

    /// Every revision with its file count, most recently indexed first.
    public func revisionSizes() throws(StoreError) -> [RevisionSize] {
        let statement = try db.prepare("""
            SELECT r.name, r.commit_id, r.tree_id, r.commit_time, r.author, r.subject, r.indexed_at,
                   (SELECT count(*) FROM files f WHERE f.revision_id = r.id)
            FROM revisions r ORDER BY r.indexed_at DESC, r.id DESC
            """)
        var result: [RevisionSize] = []
        while try statement.step() {
            result.append(RevisionSize(revision: Self.revisionRecord(statement), files: statement.int(7)))
        }
        return result
    }

    /// Every model with how many vectors it has and their bytes.
    public func modelSizes() throws(StoreError) -> [ModelSize] {
        var counts: [Int64: (Int, Int)] = [:]
        // A vector is `dim` float32s (`writeEmbeddings` checks): summing the
        // stored dimension reads no vector, where `length(vector)` read them
        // all (over a second on 100,000 vectors).
        let statement = try db.prepare("SELECT model_id, count(*), 4 * sum(dim) FROM embeddings GROUP BY 1")
        while try statement.step() { counts[statement.int64(0)] = (statement.int(1), statement.int(2)) }
        return try models().map { model in
            ModelSize(model: model, vectors: counts[model.id]?.0 ?? 0, bytes: counts[model.id]?.1 ?? 0)
        }
    }

    // MARK: - Snapshots

    /// Starts a read transaction: until `endSnapshot()`, every query of this
    /// connection sees the index as it was at its first read, whatever a
    /// writer commits meanwhile (WAL keeps the old pages for it).
    public func beginSnapshot() throws(StoreError) {
        guard !db.isInTransaction else { return }
        try db.execute("BEGIN DEFERRED")
        // The snapshot starts at the first read, so read now.
        _ = try db.integer("SELECT count(*) FROM revisions")
    }

    public func endSnapshot() {
        if db.isInTransaction { _ = sqlite3_exec(db.handle, "COMMIT", nil, nil, nil) }
    }
}
