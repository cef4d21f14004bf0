import Foundation
import QuarryCore
import Store

/// A team index in PostgreSQL with pgvector: many repositories, many
/// revisions of each, chunk texts and vectors stored once across them.
/// `quarry push` writes it (see `publish`), `quarry search --db` reads it.
///
/// SQL is always parameterised: names, paths, texts and queries travel as
/// parameters or binary COPY fields, never inside SQL text. Only integers
/// this code formats itself (a model id, a dimension) are spliced in.
/// One instance wraps one connection; not thread-safe.
public final class TeamStore {
    public let connection: PostgresConnection

    /// A model's vectors get an HNSW index once this many are stored; below
    /// it an exact scan takes tens of milliseconds at most, and building the
    /// index would cost a small team's first push more than its searches save.
    public static var hnswThreshold = 100_000
    /// Candidates the HNSW scan keeps (pgvector's `hnsw.ef_search`). On 1M
    /// synthesised clustered vectors (Benchmarks/pg.sh) recall@10 against
    /// exact search was 0.996 at 100 with the graph `hnswParameters` builds
    /// (in-database p50 12 ms); pgvector's default graph (m 16,
    /// ef_construction 64) reached only 0.83 at 100 and 0.93 at 400, missing
    /// whole clusters.
    public static let efSearch = 100
    /// The HNSW graph: more links per node (m) and a wider search while
    /// building keep clusters connected, at about twice the build time.
    static let hnswParameters = "m = 24, ef_construction = 128"

    public enum Purpose: Sendable {
        /// Read: the schema must exist at the current version.
        case search
        /// Write: create or upgrade the schema.
        case publish
    }

    public init(url: String, for purpose: Purpose) throws(TeamStoreError) {
        connection = try PostgresConnection(url: url)
        switch purpose {
        case .search:
            // Settings for the session's HNSW scans, sent with the schema check: one round trip, and
            // none per search (a one-shot `search --db` pays for each). Iterative, so a scan filtered
            // by revision goes on until enough rows pass.
            let version = try schemaVersion(after: "SET hnsw.ef_search = \(Self.efSearch); "
                                            + "SET hnsw.iterative_scan = relaxed_order;")
            if version == 0 { throw .noSchema }
            if version > TeamSchema.currentVersion {
                throw .newerSchema(found: version, supported: TeamSchema.currentVersion)
            }
            if version < TeamSchema.currentVersion {
                throw .server(operation: "the search", detail: "the schema is version \(version), older than this "
                              + "Quarry's \(TeamSchema.currentVersion); run 'quarry push' to upgrade it")
            }
        case .publish:
            try requireVectorExtension()
            try migrate()
        }
    }

    /// The schema version; 0 when no Quarry schema exists. `statements`
    /// (parameterless) run first, in the same round trip.
    public func schemaVersion(after statements: String = "") throws(TeamStoreError) -> Int {
        // Quarry's tables live in the current schema (the first on the search
        // path); one of the same name further down the path is another index.
        let exists = try connection.run(script: statements + """
            SELECT 1 FROM pg_tables WHERE schemaname = current_schema() AND tablename = 'quarry_meta'
            """, operation: "a query")
        guard exists.count > 0 else { return 0 }
        let result = try connection.execute("SELECT value FROM quarry_meta WHERE key = 'schema_version'")
        return result.count == 0 ? 0 : result.int(0, 0)
    }

    private func requireVectorExtension() throws(TeamStoreError) {
        let present = try connection.execute("SELECT 1 FROM pg_extension WHERE extname = 'vector'")
        guard present.count == 0 else { return }
        // Works for a role allowed to create it; otherwise a superuser must, once.
        do {
            try connection.execute("CREATE EXTENSION IF NOT EXISTS vector")
        } catch .connectionLost(let detail) {
            throw .connectionLost(detail: detail)
        } catch {
            throw .missingVectorExtension
        }
    }

    private func migrate() throws(TeamStoreError) {
        let version = try schemaVersion()
        if version > TeamSchema.currentVersion {
            throw .newerSchema(found: version, supported: TeamSchema.currentVersion)
        }
        guard version < TeamSchema.currentVersion else { return }
        try inTransaction { () throws(TeamStoreError) in
            try connection.execute("SELECT pg_advisory_xact_lock($1, $2)",
                                   [.int(TeamSchema.lockSpace), .int(TeamSchema.schemaLock)])
            try connection.execute("CREATE TABLE IF NOT EXISTS quarry_meta(key text PRIMARY KEY, value text NOT NULL)")
            // Another push may have migrated while this one waited for the lock.
            let current = try schemaVersion()
            if current > TeamSchema.currentVersion {
                throw .newerSchema(found: current, supported: TeamSchema.currentVersion)
            }
            for (offset, sql) in TeamSchema.migrations.enumerated() where offset + 1 > current {
                try connection.run(script: sql, operation: "the schema upgrade to version \(offset + 1)")
            }
            try connection.execute("""
                INSERT INTO quarry_meta(key, value) VALUES ('schema_version', $1)
                ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value
                """, [.int(TeamSchema.currentVersion)])
        }
    }

    /// Runs `body` in a transaction, rolled back when it throws.
    func inTransaction<T>(_ body: () throws(TeamStoreError) -> T) throws(TeamStoreError) -> T {
        do {
            return try connection.transaction { try body() }
        } catch let error as TeamStoreError {
            throw error
        } catch {
            throw .server(operation: "a transaction", detail: "\(error)")
        }
    }

    // MARK: - Repositories and models

    /// Takes the repository's push lock (waiting for another push of it to
    /// finish) and returns its id, creating the row on first use. The lock
    /// is the session's: released by `unlock` or when the connection ends,
    /// however the push ends.
    public func lockRepository(named name: String) throws(TeamStoreError) -> Int64 {
        try Self.validate(repositoryName: name)
        try connection.execute("SELECT pg_advisory_lock($1, hashtext($2))", [.int(TeamSchema.lockSpace), .text(name)])
        let result = try connection.execute("""
            INSERT INTO quarry_repositories(name) VALUES ($1)
            ON CONFLICT (name) DO UPDATE SET name = EXCLUDED.name RETURNING id
            """, [.text(name)])
        return result.int64(0, 0)
    }

    public func unlockRepository(named name: String) throws(TeamStoreError) {
        try connection.execute("SELECT pg_advisory_unlock($1, hashtext($2))", [.int(TeamSchema.lockSpace), .text(name)])
    }

    /// Refuses names PostgreSQL text cannot hold, or that say nothing.
    public static func validate(repositoryName name: String) throws(TeamStoreError) {
        guard !name.isEmpty, name.contains(where: { !$0.isWhitespace }) else {
            throw .invalidInput("the repository name is empty")
        }
        guard !name.unicodeScalars.contains("\0") else {
            throw .invalidInput("the repository name contains a NUL character")
        }
        guard name.utf8.count <= 512 else { throw .invalidInput("the repository name is longer than 512 bytes") }
    }

    /// The database's id for `model`, registering it on first use. The same
    /// name and revision with another dimension is refused.
    public func modelID(for model: ModelRecord) throws(TeamStoreError) -> Int {
        let result = try connection.execute("""
            WITH added AS (
                INSERT INTO quarry_models(name, revision, dim) VALUES ($1, $2, $3)
                ON CONFLICT (name, revision) DO NOTHING RETURNING id, dim)
            SELECT id, dim FROM added
            UNION ALL SELECT id, dim FROM quarry_models WHERE name = $1 AND revision = $2
            """, [.text(model.name), .text(model.revision), .int(model.dimension)])
        guard result.count > 0 else {
            throw .server(operation: "registering the model", detail: "no row came back")
        }
        let dimension = result.int(0, 1)
        guard dimension == model.dimension else {
            throw .dimensionMismatch(model: model.name, database: dimension, local: model.dimension)
        }
        return result.int(0, 0)
    }

    /// Repository names, sorted.
    public func repositoryNames() throws(TeamStoreError) -> [String] {
        let result = try connection.execute("SELECT name FROM quarry_repositories ORDER BY name")
        return (0..<result.count).map { result.string($0, 0) }
    }
}
