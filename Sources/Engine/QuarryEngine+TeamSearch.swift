import Foundation
import Search
import Store
import TeamStore

extension QuarryEngine {
    /// Searches the team database as `search` searches the local index: the
    /// same modes, validation, fusion, filters and merging; each hit names
    /// its repository. `quarry search --db`, `quarry serve --db` and
    /// `quarry mcp --db` all come here (through `search`). A kept connection
    /// found dropped (the server restarted, an idle timeout) is replaced once.
    func search(_ request: SearchRequest, team: TeamConnections) throws -> SearchResponse {
        try request.validate()
        if request.allRevisions { throw EngineError(.invalidRequest, "all revisions are not searched in a team database") }
        var timings = SearchTimings()
        var query: EmbeddedQuery?
        do {
            return try search(request, team: team, fresh: false, query: &query, timings: &timings)
        } catch is DroppedConnection {
            return try search(request, team: team, fresh: true, query: &query, timings: &timings)
        }
    }

    private typealias EmbeddedQuery = (vector: [Float], model: LoadedModel)

    /// One try. The connection, the scope and the keyword ranking run on
    /// another core while the model loads and embeds the query (kept in
    /// `query` for a second try).
    private func search(_ request: SearchRequest, team: TeamConnections, fresh: Bool, query: inout EmbeddedQuery?,
                        timings: inout SearchTimings) throws -> SearchResponse {
        // Path and test filters apply after ranking: look deeper for them.
        let filtered = !request.paths.isEmpty || request.tests == .only || request.tests == .exclude
        let depth = max(2 * request.limit, 50) * (filtered ? 4 : 1)
        let scope = TeamScope(repositories: request.repositories, revision: request.revision,
                              languages: request.filters.languageSet)
        let preparation = TeamPreparation()
        DispatchQueue.global(qos: .userInitiated).async(group: preparation.group) {
            preparation.run(team: team, fresh: fresh, scope: scope, terms: request.mode == .semantic ? nil
                            : LexicalSearcher.terms(of: request.query), depth: depth)
        }
        let embedded = Result { () throws -> EmbeddedQuery? in
            guard request.mode != .lexical else { return nil }
            if let query { return query }
            var started = monotonicSeconds()
            let loaded = try model(named: request.model)
            timings.modelLoadSeconds = monotonicSeconds() - started
            started = monotonicSeconds()
            let vector = try loaded.model.embed([request.query], as: .query)[0]
            timings.queryEmbeddingSeconds = monotonicSeconds() - started
            return (vector, loaded)
        }
        preparation.group.wait()
        query = try? embedded.get()
        let search = try preparation.retryable { try $0.search.get() }
        let reused = preparation.reused
        timings.search.lexicalSeconds = preparation.lexicalSeconds
        timings.databaseSeconds = preparation.databaseSeconds
        let lexical = try preparation.retryable { try $0.lexical.get() }
        let started = monotonicSeconds()
        var semantic: [ChunkHit]?
        var notes: [String] = []
        if let (vector, model) = try embedded.get() {
            let outcome = Result { () throws(TeamStoreError) -> [ChunkHit] in
                try search.semanticHits(vector, model: model.name, modelRevision: model.revision, limit: depth)
            }
            switch outcome {
            case .failure(.connectionLost) where reused: throw DroppedConnection()
            // As locally: hybrid without vectors for the model answers by keywords, and says so.
            case .failure(.notFound(let reason)) where request.mode == .hybrid:
                notes.append(reason + "; searching by keywords only")
            default: semantic = try outcome.get()
            }
            timings.search.semanticSeconds = monotonicSeconds() - started
        }
        team.give(search.store)
        let results = Searcher.results(for: request.query, lexical: lexical, semantic: semantic,
                                       filters: request.filters, limit: request.limit)
        var hits = results.map { SearchHit(result: $0, lifetime: nil, changes: nil) }
        for index in hits.indices { hits[index].repository = search.repository(of: hits[index].result.chunkID) }
        timings.totalSeconds = monotonicSeconds() - timings.started
        return SearchResponse(hits: hits, notes: notes, timings: timings)
    }
}

/// A kept connection was found dropped: the search is tried again on a new one.
private struct DroppedConnection: Error {}

/// The database half of a team search, run on another thread: take a
/// connection, resolve the scope, rank by keywords. Read after `group.wait()`.
private final class TeamPreparation: @unchecked Sendable {
    let group = DispatchGroup()
    var search: Result<TeamSearch, Error> = .failure(EngineError("the team search did not run"))
    /// nil when the mode ranks by meaning alone.
    var lexical: Result<[ChunkHit]?, Error> = .success(nil)
    var lexicalSeconds = 0.0
    var databaseSeconds = 0.0
    /// Whether the connection was kept from an earlier search.
    var reused = false

    func run(team: TeamConnections, fresh: Bool, scope: TeamScope, terms: [String]?, depth: Int) {
        var started = monotonicSeconds()
        search = Result {
            let (store, reused) = try team.take(fresh: fresh)
            self.reused = reused
            return try TeamSearch(store: store, scope: scope)
        }
        databaseSeconds = monotonicSeconds() - started
        guard case .success(let search) = search, let terms else { return }
        started = monotonicSeconds()
        lexical = Result { try search.lexicalHits(terms, limit: depth) }
        lexicalSeconds = monotonicSeconds() - started
    }

    /// `read(self)`, with a lost kept connection turned into `DroppedConnection`.
    func retryable<T>(_ read: (TeamPreparation) throws -> T) throws -> T {
        do {
            return try read(self)
        } catch TeamStoreError.connectionLost where reused {
            throw DroppedConnection()
        }
    }
}
