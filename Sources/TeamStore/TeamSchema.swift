/// The team database's tables, owned and versioned by Quarry.
///
/// `quarry_meta.schema_version` is the version; migration `n` takes version
/// `n - 1` to `n` in one transaction under an advisory lock, so concurrent
/// first pushes create the tables once and a killed upgrade leaves the old
/// version. A database at a version above `currentVersion` is refused.
enum TeamSchema {
    static let migrations: [String] = [version1]
    static var currentVersion: Int { migrations.count }

    /// Advisory lock keys (two int4s): schema changes, and one per repository
    /// (the second key is `hashtext(name)`), which serialises its pushes.
    static let lockSpace: Int32 = 0x5152_5259  // 'QRRY'
    static let schemaLock: Int32 = 0

    /// Version 1. Design notes:
    /// - Texts are keyed by the SHA-256 of the chunk text, shared by every
    ///   repository, blob and revision: identical code is stored and embedded
    ///   once. `words` is the full-text form of the identifier-split text
    ///   (`IdentifierSplitter.indexForm`), so `loginUser` matches `login user`.
    /// - Blobs are keyed by Git object id (content-addressed, so shareable
    ///   across repositories); a blob and its chunks are written in the same
    ///   transaction, so a blob row always has all its chunks.
    /// - A revision's file list is replaced in the transaction that publishes
    ///   it: readers see the old list or the new one, never a mix.
    /// - `embeddings.vector` is a `halfvec` of any dimension; each model gets
    ///   its own partial HNSW index over `vector::halfvec(dim)` once it has
    ///   enough rows (see `TeamStore.hnswThreshold`). `models.dim` fixes the
    ///   dimension per (name, revision).
    static let version1 = """
        CREATE TABLE quarry_repositories(
            id bigserial PRIMARY KEY,
            name text NOT NULL UNIQUE,
            default_revision_id bigint
        );
        CREATE TABLE quarry_models(
            id serial PRIMARY KEY,
            name text NOT NULL,
            revision text NOT NULL,
            dim integer NOT NULL CHECK (dim > 0),
            UNIQUE(name, revision)
        );
        CREATE TABLE quarry_revisions(
            id bigserial PRIMARY KEY,
            repository_id bigint NOT NULL REFERENCES quarry_repositories(id) ON DELETE CASCADE,
            name text NOT NULL,
            commit_id text NOT NULL,
            tree_id text NOT NULL,
            commit_time timestamptz NOT NULL,
            author text NOT NULL,
            subject text NOT NULL,
            model_id integer REFERENCES quarry_models(id),
            published_at timestamptz NOT NULL DEFAULT now(),
            UNIQUE(repository_id, name)
        );
        CREATE TABLE quarry_texts(
            id bigserial PRIMARY KEY,
            content_hash bytea NOT NULL UNIQUE,
            body text NOT NULL,
            words tsvector NOT NULL
        );
        CREATE INDEX quarry_texts_words ON quarry_texts USING gin(words);
        CREATE TABLE quarry_blobs(
            id bigserial PRIMARY KEY,
            oid text NOT NULL UNIQUE,
            language text NOT NULL,
            size bigint NOT NULL,
            skip_reason text,
            chunk_count integer NOT NULL
        );
        CREATE TABLE quarry_chunks(
            id bigserial PRIMARY KEY,
            blob_id bigint NOT NULL REFERENCES quarry_blobs(id) ON DELETE CASCADE,
            ordinal integer NOT NULL,
            kind text NOT NULL,
            symbol text NOT NULL,
            start_line integer NOT NULL,
            end_line integer NOT NULL,
            start_byte integer NOT NULL,
            end_byte integer NOT NULL,
            text_id bigint NOT NULL REFERENCES quarry_texts(id),
            UNIQUE(blob_id, ordinal)
        );
        CREATE INDEX quarry_chunks_by_text ON quarry_chunks(text_id);
        CREATE TABLE quarry_files(
            revision_id bigint NOT NULL REFERENCES quarry_revisions(id) ON DELETE CASCADE,
            path text NOT NULL,
            blob_id bigint NOT NULL REFERENCES quarry_blobs(id),
            PRIMARY KEY(revision_id, path)
        );
        CREATE INDEX quarry_files_by_blob ON quarry_files(blob_id, revision_id);
        CREATE TABLE quarry_embeddings(
            text_id bigint NOT NULL REFERENCES quarry_texts(id) ON DELETE CASCADE,
            model_id integer NOT NULL REFERENCES quarry_models(id),
            vector halfvec NOT NULL,
            PRIMARY KEY(text_id, model_id)
        );
        """
}
