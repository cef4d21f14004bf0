import Encoder
import Foundation
import Search
import Store

extension QuarryEngine {
    /// Ranks the index for `request` exactly as `quarry search` does. Hybrid
    /// falls back to keywords (with a note) when the index holds no vectors.
    package func search(_ request: SearchRequest) throws -> SearchResponse {
        if let team { return try search(request, team: team) }
        try request.validate()
        guard request.repositories.isEmpty else {
            throw EngineError(.invalidRequest, "a repository filter needs a team database (--db); this is a local index")
        }
        var timings = SearchTimings()
        var notes: [String] = []
        let hits = try withSnapshot { store, file in
            var request = request
            if let revision = request.revision { request.revision = try indexedName(of: revision, in: store) }
            let results = try rank(request, store: store, file: file, timings: &timings, notes: &notes)
            return try results.map { result in
                SearchHit(result: result,
                          lifetime: request.allRevisions ? try store.lifetime(ofText: result.contentHash) : nil,
                          changes: request.changes ? try store.changes(ofSymbol: result.chunk.symbol) : nil)
            }
        }
        timings.totalSeconds = monotonicSeconds() - timings.started
        return SearchResponse(hits: hits, notes: notes, timings: timings)
    }

    private func rank(_ request: SearchRequest, store: IndexStore, file: [UInt64]?, timings: inout SearchTimings,
                      notes: inout [String]) throws -> [SearchResult] {
        let (query, mode, filters, limit) = (request.query, request.mode, request.filters, request.limit)
        func lexicalSearch() throws -> [SearchResult] {
            let searcher = Searcher(store: store)
            defer { timings.search = searcher.statistics }
            return try searcher.search(query, mode: .lexical, filters: filters, limit: limit)
        }
        guard mode != .lexical else { return try lexicalSearch() }
        let wantedName = request.model.map { URL(fileURLWithPath: $0).standardized.lastPathComponent }
            ?? library.defaultName
        guard let record = try store.models().last(where: { $0.name == wantedName }) else {
            if mode == .semantic || request.model != nil {
                throw EngineError(.notFound, "the index has no vectors for model '\(wantedName)'; "
                                  + "run 'quarry index' with it")
            }
            notes.append("the index has no vectors; searching by keywords only "
                         + "(run 'quarry index' with a model installed for semantic search)")
            return try lexicalSearch()
        }
        // Map the vectors and rank by keywords on another core while the model
        // loads (once per engine) and embeds the query; join before anything
        // else (or any error) touches the store.
        let key = VectorKey(file: file, model: record.id, generation: try store.vectorGeneration(for: record))
        let cached = cachedVectors(key)
        let searcher = cached.map { Searcher(store: store, model: record, vectors: $0.searcher, words: $0.words) }
            ?? Searcher(store: store, model: record)
        searcher.quantization = vectorQuantization
        if let backlog = try store.embeddingBacklog(revision: request.revision, model: record) {
            searcher.fusion = searcher.fusion.coveringPart(backlog.coverage)
            notes.append(Self.coverageNote(backlog, mode: mode))
        }
        let preparation = Preparation()
        DispatchQueue.global(qos: .userInitiated).async(group: preparation.group) {
            do {
                try searcher.prepare(query, mode: mode, filters: filters, limit: limit)
            } catch {
                preparation.error = error
            }
        }
        defer { preparation.group.wait() }
        var started = monotonicSeconds()
        let loaded = try model(named: request.model ?? wantedName)
        timings.modelLoadSeconds = monotonicSeconds() - started
        guard loaded.revision == record.revision else {
            throw EngineError(.notFound, "the index's vectors were made by another version of '\(record.name)'; "
                              + "run 'quarry index' to embed with the installed one")
        }
        started = monotonicSeconds()
        // Keyword ranking runs on the other core meanwhile: a worker thread
        // for the query's few-row products would wait for that core, so the
        // embedding runs alone on this one (semantic searches use both).
        let vector = try LinearKernels.withThreadLimit(mode == .semantic ? 0 : 1) {
            try loaded.model.embed([query], as: .query)[0]
        }
        timings.queryEmbeddingSeconds = monotonicSeconds() - started
        // Keyword ranking usually outlasts the embedding: scan the cached
        // vectors meanwhile (the scan reads no store).
        let scan = cached == nil ? nil : try searcher.scan(vector, mode: mode, filters: filters, limit: limit)
        preparation.group.wait()
        if let error = preparation.error { throw error }
        defer { timings.search = searcher.statistics }
        let results = try searcher.search(query, queryVector: vector, mode: mode, filters: filters, limit: limit,
                                          scan: scan)
        // Word vectors (the keyword bridge) are only read by hybrid searches.
        if cached == nil || (cached?.words == nil && mode == .hybrid) {
            cacheVectors(try searcher.vectorSearcher(), words: mode == .hybrid ? try searcher.wordVectors(of: record) : nil,
                         key)
        }
        return results
    }
}

extension QuarryEngine {
    /// What a search says while the revision's texts are still being embedded.
    static func coverageNote(_ backlog: EmbeddingBacklog, mode: SearchMode) -> String {
        let rest = mode == .semantic ? "the rest cannot be found by meaning (try --mode hybrid)"
            : "keywords rank the rest"
        return "semantic ranking covers \(backlog.percentEmbedded)% of chunks (\(backlog.embedded) of \(backlog.texts) "
            + "texts embedded); \(rest) until 'quarry index' has embedded them"
    }
}

/// The outcome of `Searcher.prepare` run on another thread; read after `group.wait()`.
private final class Preparation: @unchecked Sendable {
    let group = DispatchGroup()
    var error: Error?
}
