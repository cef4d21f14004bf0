import CSQLite

/// The on-disk layout and how to bring older files up to it.
///
/// `PRAGMA application_id` marks a file as Quarry's; `PRAGMA user_version`
/// is the schema version. Migration `n` (1-based) takes version `n - 1` to
/// `n`; the pending ones run in one transaction, so a crash mid-upgrade
/// leaves the old version and a new file is created whole.
enum Schema {
    /// 'QRRY' in ASCII.
    static let applicationID: Int32 = 0x5152_5259

    struct Migration {
        let version: Int
        let sql: String
    }

    static let migrations: [Migration] = [
        Migration(version: 1, sql: version1),
        Migration(version: 2, sql: version2),
        Migration(version: 3, sql: version3),
    ]

    static var currentVersion: Int { migrations.last?.version ?? 0 }

    /// Version 1. Design notes:
    /// - Blobs are keyed by Git object id and shared by every revision and path
    ///   that holds them; `files` maps (revision, path) to a blob. Blobs no
    ///   revision reaches are garbage (see `IndexStore.collectGarbage`).
    /// - `chunks.id` is also the rowid of `chunks_fts`, a contentless FTS5
    ///   table: its columns hold the expanded term lists from `TermExpander`
    ///   (never the raw text, which lives once in `chunks.text`). Deleting an
    ///   FTS row re-derives those lists from `chunks` and `blobs.path`, so the
    ///   expansion must stay deterministic within a schema version.
    /// - Embeddings are keyed by (SHA-256 of chunk text, model) so identical
    ///   text is embedded once across blobs and revisions.
    static let version1 = """
        CREATE TABLE meta(
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL
        ) WITHOUT ROWID;
        CREATE TABLE revisions(
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            commit_id TEXT NOT NULL,
            tree_id TEXT NOT NULL,
            commit_time REAL NOT NULL,
            author TEXT NOT NULL,
            subject TEXT NOT NULL,
            indexed_at REAL NOT NULL
        );
        CREATE TABLE blobs(
            id INTEGER PRIMARY KEY,
            oid TEXT NOT NULL UNIQUE,
            path TEXT NOT NULL,
            language TEXT NOT NULL,
            size INTEGER NOT NULL,
            skip_reason TEXT,
            chunk_count INTEGER NOT NULL
        );
        CREATE TABLE files(
            revision_id INTEGER NOT NULL REFERENCES revisions(id) ON DELETE CASCADE,
            path TEXT NOT NULL,
            blob_id INTEGER NOT NULL REFERENCES blobs(id),
            PRIMARY KEY(revision_id, path)
        ) WITHOUT ROWID;
        CREATE INDEX files_by_blob ON files(blob_id, revision_id);
        CREATE TABLE chunks(
            id INTEGER PRIMARY KEY,
            blob_id INTEGER NOT NULL REFERENCES blobs(id),
            ordinal INTEGER NOT NULL,
            kind TEXT NOT NULL,
            symbol TEXT NOT NULL,
            start_line INTEGER NOT NULL,
            end_line INTEGER NOT NULL,
            start_byte INTEGER NOT NULL,
            end_byte INTEGER NOT NULL,
            text TEXT NOT NULL,
            content_hash BLOB NOT NULL,
            UNIQUE(blob_id, ordinal)
        );
        CREATE INDEX chunks_by_hash ON chunks(content_hash);
        CREATE VIRTUAL TABLE chunks_fts USING fts5(
            symbol, path, text,
            content = '',
            tokenize = "unicode61 remove_diacritics 2 tokenchars '_'"
        );
        CREATE TABLE models(
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            revision TEXT NOT NULL,
            dim INTEGER NOT NULL,
            UNIQUE(name, revision, dim)
        );
        CREATE TABLE embeddings(
            content_hash BLOB NOT NULL,
            model_id INTEGER NOT NULL REFERENCES models(id),
            dim INTEGER NOT NULL,
            vector BLOB NOT NULL,
            PRIMARY KEY(content_hash, model_id)
        ) WITHOUT ROWID;
        INSERT INTO meta(key, value) VALUES ('created_by', 'quarry');
        """

    /// Version 2: each model's vectors are also kept in a vector file beside
    /// the index (see `VectorFile`), stamped with a generation counter in
    /// `meta` that every write of embeddings bumps. A Quarry that predates it
    /// would write vectors without bumping the counter, so it must refuse the
    /// file, which the version number makes it do. Version-1 indexes have no
    /// vector files: the counters start at 1 and the first write makes them.
    static let version2 = """
        INSERT OR IGNORE INTO meta(key, value) SELECT 'vectors.generation.' || id, '1' FROM models;
        """

    /// Version 3: a first index records a revision as soon as its chunks are
    /// stored, so keywords answer while its texts are embedded (see
    /// `IndexStore.recordStagedRevision(_:backlog:)`). `embedding_backlog`
    /// says, per revision and model, how many distinct texts the revision has
    /// and how many still lack a vector; no row means none are missing. Search
    /// reads it to weigh keywords up and say how much is embedded; a Quarry
    /// that predates it would finish the vectors without clearing the rows, so
    /// the version number makes it refuse the file.
    static let version3 = """
        CREATE TABLE embedding_backlog(
            revision_id INTEGER NOT NULL REFERENCES revisions(id) ON DELETE CASCADE,
            model_id INTEGER NOT NULL REFERENCES models(id),
            texts INTEGER NOT NULL,
            missing INTEGER NOT NULL,
            PRIMARY KEY(revision_id, model_id)
        ) WITHOUT ROWID;
        """

    /// Checks that the open file is a Quarry index this build can use and
    /// returns its schema version (0 for a brand-new, empty database).
    static func inspect(_ db: Connection) throws(StoreError) -> Int {
        // Reading the schema first surfaces a damaged first page as `.corrupt`.
        let objects = try db.integer("SELECT count(*) FROM sqlite_master")
        let applicationID = Int32(truncatingIfNeeded: try db.integer("PRAGMA application_id"))
        let version = Int(try db.integer("PRAGMA user_version"))
        if applicationID == 0 {
            // An empty database is ours to initialise; one with tables is someone else's.
            guard objects == 0, version == 0 else {
                throw .foreignDatabase(path: db.path, applicationID: applicationID)
            }
            return 0
        }
        guard applicationID == Schema.applicationID else {
            throw .foreignDatabase(path: db.path, applicationID: applicationID)
        }
        return version
    }

    /// Runs every migration above the file's version, all in one transaction:
    /// a new index is created whole (a failed write while creating one used to
    /// leave it at version 1, refused until the next run upgraded it), and an
    /// interrupted upgrade leaves the old version.
    static func migrate(_ db: Connection, from version: Int, migrations: [Migration] = Schema.migrations)
        throws(StoreError)
    {
        try db.transaction { () throws(StoreError) in
            for migration in migrations where migration.version > version {
                try db.execute(migration.sql)
                try db.execute("PRAGMA application_id = \(Schema.applicationID)")
                try db.execute("PRAGMA user_version = \(migration.version)")
            }
        }
    }
}
