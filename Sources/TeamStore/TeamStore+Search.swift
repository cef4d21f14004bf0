import Foundation
import QuarryCore
import Store

/// Which part of a team database a search reads.
public struct TeamScope: Sendable {
    /// Repository names; empty means every repository.
    public var repositories: [String] = []
    /// A revision name each repository is searched at; nil means each one's
    /// default (HEAD when published, else the most recently published).
    public var revision: String?
    /// Only these languages; nil means all.
    public var languages: Set<Language>?

    public init(repositories: [String] = [], revision: String? = nil, languages: Set<Language>? = nil) {
        self.repositories = repositories
        self.revision = revision
        self.languages = languages
    }

    var isFiltered: Bool { !repositories.isEmpty || revision != nil || languages != nil }
}

/// The hits of one search's rankings. A `ChunkHit`'s `chunkID` must name
/// one chunk in one revision of one repository, so that fusion and merging
/// tell apart the same blob in two repositories; ids are assigned here per
/// search and map back to the repository.
public final class TeamSearch {
    /// The connection this search reads through.
    public let store: TeamStore
    public let scope: TeamScope
    /// The revisions searched: id -> (repository, revision name).
    private let revisions: [Int64: (repository: String, name: String)]
    private var ids: [String: Int64] = [:]
    private var repositoryOfHit: [Int64: String] = [:]

    public init(store: TeamStore, scope: TeamScope) throws(TeamStoreError) {
        self.store = store
        self.scope = scope
        revisions = try store.revisions(in: scope)
    }

    /// The repository a hit of this search belongs to.
    public func repository(of chunkID: Int64) -> String? { repositoryOfHit[chunkID] }

    /// Chunks whose text is nearest `vector` (cosine), best first: the HNSW
    /// index for unfiltered searches of a large table, an exact scan of the
    /// candidates otherwise. `score` is the cosine similarity.
    public func semanticHits(_ vector: [Float], model: String, modelRevision: String,
                             limit: Int) throws(TeamStoreError) -> [ChunkHit] {
        guard !revisions.isEmpty else { return [] }
        // The model and whether its HNSW index exists, in one round trip.
        let modelRow = try store.connection.execute("""
            SELECT id, dim, to_regclass(quote_ident(current_schema()) || '.quarry_embeddings_hnsw_' || id) IS NOT NULL
            FROM quarry_models WHERE name = $1 AND revision = $2
            """, [.text(model), .text(modelRevision)])
        guard modelRow.count > 0 else {
            throw .notFound("the team database has no vectors for model '\(model)' at the installed version; "
                            + "push an index embedded with it")
        }
        let (modelID, dimension) = (modelRow.int(0, 0), modelRow.int(0, 1))
        guard dimension == vector.count else {
            throw .dimensionMismatch(model: model, database: dimension, local: vector.count)
        }
        let literal = "[" + vector.map { String($0) }.joined(separator: ",") + "]"
        let useIndex = !scope.isFiltered && modelRow.string(0, 2) == "t"
        let distance = "e.vector::halfvec(\(dimension)) <=> $1::halfvec(\(dimension))"
        let nearest = useIndex ? """
            SELECT e.text_id, \(distance) AS distance FROM quarry_embeddings e
            WHERE e.model_id = \(modelID) AND EXISTS (
                SELECT 1 FROM quarry_chunks c JOIN quarry_files f ON f.blob_id = c.blob_id
                WHERE c.text_id = e.text_id AND f.revision_id = ANY($2::bigint[]))
            ORDER BY distance LIMIT $3
            """ : """
            SELECT e.text_id, \(distance) AS distance
            FROM (SELECT DISTINCT c.text_id FROM quarry_files f JOIN quarry_chunks c ON c.blob_id = f.blob_id
                  JOIN quarry_blobs b ON b.id = f.blob_id
                  WHERE f.revision_id = ANY($2::bigint[]) AND ($4::text[] IS NULL OR b.language = ANY($4::text[]))) x
            JOIN quarry_embeddings e ON e.text_id = x.text_id AND e.model_id = \(modelID)
            ORDER BY distance LIMIT $3
            """
        let sql = """
            WITH ranked AS MATERIALIZED (\(nearest))
            \(Self.hitColumns("1 - ranked.distance")) ORDER BY ranked.distance, f.revision_id, f.path, c.ordinal
            """
        // The HNSW scan's settings are the session's (see `TeamStore.init`).
        return try hits(sql, [.text(literal), revisionArray, .int(limit), languageArray])
    }

    /// Chunks whose identifier-split text holds any of `terms`, by PostgreSQL
    /// full-text rank, best first.
    public func lexicalHits(_ terms: [String], limit: Int) throws(TeamStoreError) -> [ChunkHit] {
        guard !revisions.isEmpty, !terms.isEmpty else { return [] }
        // The query is built first, on its own: a constant lets the planner use the GIN index.
        let built = try store.connection.execute("""
            SELECT string_agg(q::text, ' | ') FROM unnest($1::text[]) term, plainto_tsquery('simple', term) q
            WHERE q::text <> ''
            """, [PostgresValue.textArray(terms)])
        guard !built.isNull(0, 0) else { return [] }
        let sql = """
            WITH ranked AS MATERIALIZED (
                SELECT t.id AS text_id, ts_rank(t.words, $1::tsquery, 1) AS rank FROM quarry_texts t
                WHERE t.words @@ $1::tsquery AND EXISTS (
                    SELECT 1 FROM quarry_chunks c JOIN quarry_files f ON f.blob_id = c.blob_id
                    JOIN quarry_blobs b ON b.id = c.blob_id
                    WHERE c.text_id = t.id AND f.revision_id = ANY($2::bigint[])
                      AND ($4::text[] IS NULL OR b.language = ANY($4::text[])))
                ORDER BY rank DESC, t.id LIMIT $3)
            \(Self.hitColumns("ranked.rank")) ORDER BY ranked.rank DESC, ranked.text_id, f.revision_id, f.path, c.ordinal
            """
        return try hits(sql, [.text(built.string(0, 0)), revisionArray, .int(limit), languageArray])
    }

    /// The located chunks of `ranked(text_id, ...)`, one row per path.
    private static func hitColumns(_ score: String) -> String {
        """
        SELECT c.id, f.revision_id, f.path, b.oid, b.language, c.kind, c.symbol, c.start_line, c.end_line,
               c.start_byte, c.end_byte, t.body, t.content_hash, \(score)
        FROM ranked JOIN quarry_chunks c ON c.text_id = ranked.text_id
        JOIN quarry_files f ON f.blob_id = c.blob_id AND f.revision_id = ANY($2::bigint[])
        JOIN quarry_blobs b ON b.id = c.blob_id AND ($4::text[] IS NULL OR b.language = ANY($4::text[]))
        JOIN quarry_texts t ON t.id = ranked.text_id
        """
    }

    private var revisionArray: PostgresValue { .text("{" + revisions.keys.map(String.init).joined(separator: ",") + "}") }

    private var languageArray: PostgresValue {
        scope.languages.map { PostgresValue.textArray($0.map(\.rawValue).sorted()) } ?? .null
    }

    /// Rows to hits; a chunk at several paths of one revision is one hit with `otherPaths`.
    private func hits(_ sql: String, _ parameters: [PostgresValue]) throws(TeamStoreError) -> [ChunkHit] {
        let rows = try store.connection.execute(sql, parameters, operation: "the search")
        var hits: [ChunkHit] = []
        var position: [Int64: Int] = [:]
        for row in 0..<rows.count {
            let revision = rows.int64(row, 1)
            guard let place = revisions[revision] else { continue }
            let key = "\(rows.int64(row, 0))/\(revision)"
            let id = ids[key] ?? Int64(ids.count + 1)
            ids[key] = id
            repositoryOfHit[id] = place.repository
            if let index = position[id] {
                hits[index].otherPaths.append(rows.string(row, 2))
                continue
            }
            guard let language = Language(rawValue: rows.string(row, 4)),
                  let hash = ContentHash(bytes: rows.bytes(row, 12)) else { continue }
            let chunk = Chunk(language: language, kind: ChunkKind(rawValue: rows.string(row, 5)) ?? .lines,
                              symbol: rows.string(row, 6), startLine: rows.int(row, 7), endLine: rows.int(row, 8),
                              startByte: rows.int(row, 9), endByte: rows.int(row, 10), text: rows.string(row, 11))
            position[id] = hits.count
            hits.append(ChunkHit(chunkID: id, blobID: rows.string(row, 3), path: rows.string(row, 2), otherPaths: [],
                                 revision: place.name, chunk: chunk, contentHash: hash, score: rows.double(row, 13)))
        }
        return hits
    }
}

extension TeamStore {
    /// The revisions a scope reads: id -> (repository, revision name).
    func revisions(in scope: TeamScope) throws(TeamStoreError) -> [Int64: (repository: String, name: String)] {
        if !scope.repositories.isEmpty {
            let known = Set(try repositoryNames())
            if let unknown = scope.repositories.first(where: { !known.contains($0) }) {
                throw .notFound("the team database has no repository '\(unknown)' (it has: "
                                + (known.isEmpty ? "none" : known.sorted().joined(separator: ", ")) + ")")
            }
        }
        let result = try connection.execute("""
            SELECT r.id, p.name, r.name FROM quarry_repositories p JOIN quarry_revisions r ON r.repository_id = p.id
            WHERE ($1::text[] IS NULL OR p.name = ANY($1::text[]))
              AND (CASE WHEN $2::text IS NULL THEN r.id = p.default_revision_id ELSE r.name = $2::text END)
            """, [scope.repositories.isEmpty ? .null : .textArray(scope.repositories),
                  scope.revision.map { .text($0) } ?? .null])
        if let revision = scope.revision, result.count == 0 {
            throw .notFound("no repository searched has a published revision named '\(revision)'")
        }
        var revisions: [Int64: (repository: String, name: String)] = [:]
        for row in 0..<result.count { revisions[result.int64(row, 0)] = (result.string(row, 1), result.string(row, 2)) }
        return revisions
    }
}

extension PostgresValue {
    /// A `text[]` literal with every element quoted, so commas, braces,
    /// quotes and backslashes in names stay data.
    static func textArray(_ values: [String]) -> PostgresValue {
        .text("{" + values.map { value in
            "\"" + value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
        }.joined(separator: ",") + "}")
    }
}
