import Foundation
import GitSource
import Search
import Store

/// What every front end shares: an index, the models that embed its queries,
/// and the repository it was built from. The CLI makes one per command; the
/// MCP and HTTP servers keep one for their lifetime, so the model loads once
/// while the index is opened afresh for each request (a revision committed by
/// `quarry index` meanwhile is seen by the next request).
package final class QuarryEngine: @unchecked Sendable {
    // @unchecked: `models` is only touched under `lock` (a model serialises its
    // own forward passes).
    package static let version = "0.1.0"

    package let indexPath: String
    /// The repository the index describes; `read` and `refresh` need it.
    package let repositoryPath: String?
    package let library: ModelLibrary
    private let lock = NSLock()
    private var models: [String: LoadedModel] = [:]
    /// Per model id: vectors mapped by an earlier request and their generation.
    /// Mapping 100k rows costs tens of milliseconds; a request whose snapshot
    /// sees the same generation reuses them (an index run that changes the
    /// vectors bumps it, so nothing stale is ever scored).
    private var vectors: [Int64: (generation: Int64, searcher: VectorSearcher)] = [:]

    package init(indexPath: String, repositoryPath: String? = nil, library: ModelLibrary) {
        self.indexPath = indexPath
        self.repositoryPath = repositoryPath
        self.library = library
    }

    /// An engine over the default index of the repository at `repo` (default `.`),
    /// or over `index` when given.
    /// `requireIndex` false lets a server start before the first `quarry index`.
    package static func locate(index: String?, repo: String?, library: ModelLibrary,
                               requireIndex: Bool = true) throws -> QuarryEngine {
        if let index {
            let repository = repo.flatMap { try? GitRepository(discoveringFrom: $0) }
            return QuarryEngine(indexPath: URL(fileURLWithPath: index).standardized.path,
                                repositoryPath: repository.map { _ in repo ?? "." }, library: library)
        }
        let repository = try GitRepository(discoveringFrom: repo ?? ".")
        let path = Indexer.defaultIndexPath(for: repository)
        guard !requireIndex || FileManager.default.fileExists(atPath: path) else {
            throw EngineError(.notFound, "no index at \(path); run 'quarry index' first")
        }
        return QuarryEngine(indexPath: path, repositoryPath: repo ?? ".", library: library)
    }

    /// Runs `body` on a fresh read-only store inside one snapshot: an index run
    /// committing meanwhile is seen whole or not at all.
    package func withSnapshot<T>(_ body: (IndexStore) throws -> T) throws -> T {
        let store = try IndexStore(path: indexPath, mode: .readOnly)
        try store.beginSnapshot()
        defer { store.endSnapshot() }
        return try body(store)
    }

    func cachedVectors(model: Int64, generation: Int64) -> VectorSearcher? {
        lock.lock()
        defer { lock.unlock() }
        return vectors[model].flatMap { $0.generation == generation ? $0.searcher : nil }
    }

    func cacheVectors(_ searcher: VectorSearcher, model: Int64, generation: Int64) {
        lock.lock()
        defer { lock.unlock() }
        vectors[model] = (generation, searcher)
    }

    /// The model called `name` (default: the library's), loaded on first use and kept.
    package func model(named name: String?) throws -> LoadedModel {
        let directory = try library.directory(for: name)
        lock.lock()
        defer { lock.unlock() }
        if let loaded = models[directory] { return loaded }
        let loaded = try ModelLoader.loadForIndexing(directory: directory)
        models[directory] = loaded
        return loaded
    }
}
