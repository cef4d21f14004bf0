import CSQLite
import Foundation
import QuarryCore

/// The on-disk index: one SQLite file in WAL mode holding revisions, their
/// file lists, blobs, chunks, a full-text index and (later) embeddings.
///
/// One instance wraps one connection and is not thread-safe; open one per
/// thread or process. Any number of `.readOnly` stores may read while one
/// writer writes: they see the last committed batch. Every write is one
/// transaction, so a killed indexer leaves the file consistent, and the next
/// run resumes by skipping `storedBlobIDs()`.
public final class IndexStore {
    public let path: String
    public let mode: OpenMode
    let db: Connection
    private var writer: WriteStatements?
    private var expander = TermExpander()
    /// Full-text document frequencies read on this connection (see `documentFrequencies`).
    let termCounts = TermCounts()
    /// Models whose vector file could not be rewritten in this session.
    var unwritableVectorFiles = Set<Int64>()

    /// How long a statement waits on another connection's lock before failing.
    static let busyTimeoutMilliseconds: Int32 = 5_000

    public init(path: String, mode: OpenMode = .readOnly) throws(StoreError) {
        self.path = path
        self.mode = mode
        var isDirectory: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
        if isDirectory.boolValue { throw .cannotOpen(path: path, detail: "it is a directory") }
        if !exists && mode != .create { throw .noIndex(path: path) }

        let flags: Int32
        switch mode {
        case .readOnly: flags = SQLITE_OPEN_READONLY
        case .readWrite: flags = SQLITE_OPEN_READWRITE
        case .create: flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE
        }
        var connection = try Connection(path: path, flags: flags)
        var version: Int
        do {
            version = try Schema.inspect(connection)
        } catch .cannotOpen where mode == .readOnly {
            // A read-only directory: SQLite cannot create the WAL index files
            // beside the database, and no writer can work there either, so
            // the committed file is read as it stands.
            connection = try Connection(path: path, flags: flags, uri: Self.immutableURI(path))
            version = try Schema.inspect(connection)
        }
        db = connection
        sqlite3_busy_timeout(db.handle, Self.busyTimeoutMilliseconds)

        if version > Schema.currentVersion {
            throw .newerSchema(path: path, found: version, supported: Schema.currentVersion)
        }
        if mode == .readOnly {
            if version == 0 { throw .noIndex(path: path) }
            if version < Schema.currentVersion {
                throw .outdatedSchema(path: path, found: version, supported: Schema.currentVersion)
            }
        } else {
            // auto_vacuum only takes effect before the first table exists.
            if version == 0 { try db.execute("PRAGMA auto_vacuum = INCREMENTAL") }
            try db.execute("PRAGMA journal_mode = WAL")
            // In WAL mode NORMAL loses at most the last commits on power loss, never consistency.
            try db.execute("PRAGMA synchronous = NORMAL")
            try Schema.migrate(db, from: version)
        }
        try db.execute("PRAGMA foreign_keys = ON")
        try db.execute("PRAGMA cache_size = -65536")
        // Searches scan every vector of a revision: map the file rather than
        // copy it page by page through read calls.
        try db.execute("PRAGMA mmap_size = 4294967296")
    }

    /// `path` as an SQLite URI that reads it without locks or a WAL index.
    static func immutableURI(_ path: String) -> String {
        let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
        let escaped = absolute.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? absolute
        return "file:" + escaped + "?immutable=1"
    }

    /// The schema version of the open file.
    public func schemaVersion() throws(StoreError) -> Int {
        Int(try db.integer("PRAGMA user_version"))
    }

    private func requireWritable() throws(StoreError) {
        if mode == .readOnly { throw .readOnly(path: path) }
    }

    // MARK: - Blobs

    /// Ids of every stored blob, chunked or skipped: the ones to skip when resuming.
    public func storedBlobIDs() throws(StoreError) -> Set<String> {
        let statement = try db.prepare("SELECT oid FROM blobs")
        var ids = Set<String>()
        while try statement.step() { ids.insert(statement.string(0)) }
        return ids
    }

    /// Stores a batch of blobs with their chunks and full-text rows in one
    /// transaction. Blobs already stored are left as they are.
    public func write(_ blobs: [BlobRecord]) throws(StoreError) {
        try requireWritable()
        let statements = try writeStatements()
        try db.transaction { () throws(StoreError) in
            for blob in blobs { try insert(blob, using: statements) }
        }
    }

    private func insert(_ blob: BlobRecord, using s: WriteStatements) throws(StoreError) {
        s.insertBlob.bind(blob.id, at: 1)
        s.insertBlob.bind(blob.path, at: 2)
        s.insertBlob.bind(blob.language.rawValue, at: 3)
        s.insertBlob.bind(blob.size, at: 4)
        s.insertBlob.bind(blob.skipReason?.rawValue, at: 5)
        s.insertBlob.bind(blob.skipReason == nil ? blob.chunks.count : 0, at: 6)
        try s.insertBlob.run()
        // No row inserted: the blob is already stored (a resumed run, or twice in one batch).
        guard db.changes == 1, blob.skipReason == nil else { return }
        try insertChunks(of: blob, blobRow: db.lastInsertedRowID, path: blob.path, using: s)
    }

    /// Inserts `blob`'s chunks and their full-text rows under the stored blob
    /// `blobRow`, whose stored path `path` the full-text rows index.
    func insertChunks(of blob: BlobRecord, blobRow: Int64, path: String) throws(StoreError) {
        try insertChunks(of: blob, blobRow: blobRow, path: path, using: try writeStatements())
    }

    private func insertChunks(of blob: BlobRecord, blobRow: Int64, path: String,
                              using s: WriteStatements) throws(StoreError) {
        expander.expand(path)
        let pathTerms = expander.output
        for (ordinal, chunk) in blob.chunks.enumerated() {
            let chunkRow = try insert(chunk, ordinal: ordinal, blobRow: blobRow, using: s.insertChunk)
            s.insertFTS.bind(chunkRow, at: 1)
            bindExpanded(chunk.symbol, to: s.insertFTS, at: 2)
            pathTerms.withUnsafeBufferPointer { s.insertFTS.bind(text: $0, at: 3) }
            bindExpanded(chunk.text, to: s.insertFTS, at: 4)
            try s.insertFTS.run()
        }
    }

    private func insert(_ chunk: Chunk, ordinal: Int, blobRow: Int64, using statement: Statement)
        throws(StoreError) -> Int64
    {
        statement.bind(blobRow, at: 1)
        statement.bind(ordinal, at: 2)
        statement.bind(chunk.kind.rawValue, at: 3)
        statement.bind(chunk.symbol, at: 4)
        statement.bind(chunk.startLine, at: 5)
        statement.bind(chunk.endLine, at: 6)
        statement.bind(chunk.startByte, at: 7)
        statement.bind(chunk.endByte, at: 8)
        statement.bind(chunk.text, at: 9)
        ContentHash(of: chunk.text).bytes.withUnsafeBytes { statement.bind(bytes: $0, at: 10) }
        try statement.run()
        return db.lastInsertedRowID
    }

    /// Binds the index form of `text` (see `TermExpander`); the bind copies it.
    func bindExpanded(_ text: String, to statement: Statement, at index: Int32) {
        expander.expand(text)
        expander.output.withUnsafeBufferPointer { statement.bind(text: $0, at: index) }
    }

    private func writeStatements() throws(StoreError) -> WriteStatements {
        if let writer { return writer }
        let statements = try WriteStatements(db)
        writer = statements
        return statements
    }

    // MARK: - Revisions

    /// Records `revision` with exactly `files`, replacing any earlier file list
    /// under the same name, in one transaction. Every file's blob must have
    /// been written first (skipped blobs included).
    public func recordRevision(_ revision: RevisionRecord, files: [FileRecord]) throws(StoreError) {
        try stageFiles(files, of: revision.name)
        try recordStagedRevision(revision)
    }

    /// Forgets a revision and its file list; its blobs stay until `collectGarbage`.
    public func removeRevision(named name: String) throws(StoreError) {
        try requireWritable()
        let delete = try db.prepare("DELETE FROM revisions WHERE name = ?")
        delete.bind(name, at: 1)
        try delete.run()
        if db.changes == 0 { throw .unknownRevision(name) }
    }

    /// All indexed revisions, most recently indexed first.
    public func revisions() throws(StoreError) -> [RevisionRecord] {
        let statement = try db.prepare("""
            SELECT name, commit_id, tree_id, commit_time, author, subject, indexed_at
            FROM revisions ORDER BY indexed_at DESC, id DESC
            """)
        var result: [RevisionRecord] = []
        while try statement.step() { result.append(Self.revisionRecord(statement)) }
        return result
    }

    /// The paths and blob ids of a revision (default: see `resolveRevision`), in path order.
    public func files(in revision: String? = nil) throws(StoreError) -> [FileRecord] {
        guard let (row, _) = try resolveRevision(revision) else { return [] }
        // Two statements rather than one with `OR`: the planner keeps the primary key for one revision.
        let statement = try db.prepare(row < 0 ? """
            SELECT DISTINCT f.path, b.oid FROM files f JOIN blobs b ON b.id = f.blob_id ORDER BY f.path, b.oid
            """ : """
            SELECT f.path, b.oid FROM files f JOIN blobs b ON b.id = f.blob_id
            WHERE f.revision_id = ?1 ORDER BY f.path
            """)
        statement.bind(row, at: 1)
        var result: [FileRecord] = []
        while try statement.step() { result.append(FileRecord(path: statement.string(0), blobID: statement.string(1))) }
        return result
    }

    /// The row id and name of `name`; when nil, of `HEAD` if indexed, else of
    /// the most recently indexed revision; nil when the index holds no
    /// revision at all. `IndexStore.allRevisions` resolves to row -1, which
    /// every revision-scoped query reads as "any revision".
    func resolveRevision(_ name: String?) throws(StoreError) -> (Int64, String)? {
        let statement: Statement
        if name == Self.allRevisions {
            guard try db.integer("SELECT count(*) FROM revisions") > 0 else { return nil }
            return (-1, Self.allRevisions)
        }
        if let name {
            statement = try db.prepare("SELECT id, name FROM revisions WHERE name = ?")
            statement.bind(name, at: 1)
            guard try statement.step() else { throw .unknownRevision(name) }
        } else {
            statement = try db.prepare("""
                SELECT id, name FROM revisions ORDER BY name = 'HEAD' DESC, indexed_at DESC, id DESC LIMIT 1
                """)
            guard try statement.step() else { return nil }
        }
        return (statement.int64(0), statement.string(1))
    }
}

/// The insert statements of the indexing loop, prepared once per store.
private final class WriteStatements {
    let insertBlob: Statement
    let insertChunk: Statement
    let insertFTS: Statement

    init(_ db: Connection) throws(StoreError) {
        insertBlob = try db.prepare("""
            INSERT INTO blobs(oid, path, language, size, skip_reason, chunk_count)
            VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(oid) DO NOTHING
            """)
        insertChunk = try db.prepare("""
            INSERT INTO chunks(blob_id, ordinal, kind, symbol, start_line, end_line, start_byte, end_byte,
                               text, content_hash)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        insertFTS = try db.prepare("INSERT INTO chunks_fts(rowid, symbol, path, text) VALUES (?, ?, ?, ?)")
    }
}
