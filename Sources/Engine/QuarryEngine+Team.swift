import Foundation
import GitSource
import Search
import Store
import TeamStore

/// What `quarry push` did.
package struct PushReport: Sendable {
    package var repository: String
    package var revisions: [(name: String, counts: PublishCounts)] = []
    package var model: String?
    package var seconds = 0.0

    /// The object `quarry push --json` prints.
    package var json: JSON {
        .object([
            ("repo", .string(repository)),
            ("model", model.map(JSON.string) ?? .null),
            ("seconds", .double(seconds)),
            ("revisions", .array(revisions.map { name, counts in
                .object([("rev", .string(name)), ("unchanged", .bool(counts.unchanged)), ("files", .int(counts.files)),
                         ("blobs", .int(counts.blobs)), ("chunks", .int(counts.chunks)), ("texts", .int(counts.texts)),
                         ("vectors", .int(counts.vectors))])
            })),
        ])
    }
}

extension QuarryEngine {
    /// Publishes every revision of the local index to the team database at
    /// `url` under `repositoryName` (default: see `defaultRepositoryName`),
    /// oldest first, each in its own transaction, holding the repository's
    /// push lock throughout.
    package func push(to url: String, repositoryName: String?) throws -> PushReport {
        let started = monotonicSeconds()
        let name = try repositoryName ?? defaultRepositoryName()
        try TeamStore.validate(repositoryName: name)
        let store = try IndexStore(path: indexPath, mode: .readOnly)
        let model = try store.models().last { $0.name == library.defaultName } ?? store.models().last
        let revisions = try store.revisions().reversed()
        guard !revisions.isEmpty else {
            throw EngineError(.notFound, "the index at \(indexPath) holds no revision; run 'quarry index' first")
        }
        let team = try TeamStore(url: url, for: .publish)
        let repository = try team.lockRepository(named: name)
        defer { try? team.unlockRepository(named: name) }
        var report = PushReport(repository: name, model: model?.name)
        for revision in revisions {
            try store.beginSnapshot()
            defer { store.endSnapshot() }
            report.revisions.append((revision.name, try team.publish(revision, of: repository, from: store, model: model)))
        }
        report.seconds = monotonicSeconds() - started
        return report
    }

    /// The repository's name in a team database when none is given: the
    /// last part of the origin remote's URL without `.git`, else the
    /// working directory's name.
    package func defaultRepositoryName() throws -> String {
        let repository = try GitRepository(discoveringFrom: repositoryPath ?? ".")
        if let remote = repository.remoteURL() {
            let last = remote.split(whereSeparator: { $0 == "/" || $0 == ":" }).last.map(String.init) ?? ""
            let name = last.hasSuffix(".git") ? String(last.dropLast(4)) : last
            if !name.isEmpty { return name }
        }
        let directory = repository.workingDirectory ?? repository.commonDirectory
        return URL(fileURLWithPath: directory).standardized.lastPathComponent
    }

    /// Searches a team database as `search` searches the local index: the
    /// same modes, validation, fusion, filters and merging. Each hit names
    /// its repository. The connection and the keyword ranking run on another
    /// core while the model loads and embeds the query, as locally.
    package func search(_ request: SearchRequest, database url: String, repositories: [String]) throws -> SearchResponse {
        try request.validate()
        if request.allRevisions { throw EngineError(.invalidRequest, "--all-revs is not available with --db") }
        var timings = SearchTimings()
        // Path and test filters apply after ranking: look deeper for them.
        let filtered = !request.paths.isEmpty || request.tests == .only || request.tests == .exclude
        let depth = max(2 * request.limit, 50) * (filtered ? 4 : 1)
        let scope = TeamScope(repositories: repositories, revision: request.revision,
                              languages: request.filters.languageSet)
        let preparation = TeamPreparation()
        DispatchQueue.global(qos: .userInitiated).async(group: preparation.group) {
            preparation.run(url: url, scope: scope, terms: request.mode == .semantic ? nil
                            : LexicalSearcher.terms(of: request.query), depth: depth)
        }
        let embedded = Result { () throws -> (vector: [Float], model: LoadedModel)? in
            guard request.mode != .lexical else { return nil }
            var started = monotonicSeconds()
            let loaded = try model(named: request.model)
            timings.modelLoadSeconds = monotonicSeconds() - started
            started = monotonicSeconds()
            let vector = try loaded.model.embed([request.query], as: .query)[0]
            timings.queryEmbeddingSeconds = monotonicSeconds() - started
            return (vector, loaded)
        }
        preparation.group.wait()
        let search = try preparation.search.get()
        timings.search.lexicalSeconds = preparation.lexicalSeconds
        let started = monotonicSeconds()
        var semantic: [ChunkHit]?
        var notes: [String] = []
        if let (vector, model) = try embedded.get() {
            let outcome = Result { () throws(TeamStoreError) -> [ChunkHit] in
                try search.semanticHits(vector, model: model.name, modelRevision: model.revision, limit: depth)
            }
            // As locally: hybrid without vectors for the model answers by keywords, and says so.
            if case .failure(.notFound(let reason)) = outcome, request.mode == .hybrid {
                notes.append(reason + "; searching by keywords only")
            } else {
                semantic = try outcome.get()
            }
        }
        timings.search.semanticSeconds = monotonicSeconds() - started
        let results = Searcher.results(for: request.query, lexical: try preparation.lexical.get(), semantic: semantic,
                                       filters: request.filters, limit: request.limit)
        var hits = results.map { SearchHit(result: $0, lifetime: nil, changes: nil) }
        for index in hits.indices { hits[index].repository = search.repository(of: hits[index].result.chunkID) }
        timings.totalSeconds = monotonicSeconds() - timings.started
        return SearchResponse(hits: hits, notes: notes, timings: timings)
    }
}

/// The database half of a team search, run on another thread: connect,
/// resolve the scope, rank by keywords. Read after `group.wait()`.
private final class TeamPreparation: @unchecked Sendable {
    let group = DispatchGroup()
    var search: Result<TeamSearch, Error> = .failure(EngineError("the team search did not run"))
    /// nil when the mode ranks by meaning alone.
    var lexical: Result<[ChunkHit]?, Error> = .success(nil)
    var lexicalSeconds = 0.0

    func run(url: String, scope: TeamScope, terms: [String]?, depth: Int) {
        search = Result { try TeamSearch(store: TeamStore(url: url, for: .search), scope: scope) }
        guard case .success(let search) = search, let terms else { return }
        let started = monotonicSeconds()
        lexical = Result { try search.lexicalHits(terms, limit: depth) }
        lexicalSeconds = monotonicSeconds() - started
    }
}
