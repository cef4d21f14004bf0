import Encoder
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
    // @unchecked: `models`, `vectors` and `idleStores` are only touched under
    // `lock` (a model serialises its own forward passes; a store is used by
    // one request at a time).
    package static let version = "0.1.0"

    package let indexPath: String
    /// The repository the index describes; `read` and `refresh` need it.
    package let repositoryPath: String?
    package let library: ModelLibrary
    /// A team database searched instead of the index (`--db`); nil for the local index.
    package let team: TeamConnections?
    private let lock = NSLock()
    private var models: [String: LoadedModel] = [:]
    /// Set by `warmUp`: searches scan vectors through a bf16 copy kept with them
    /// (same results; worth its making only where it serves many queries).
    private var screensVectors = false
    private var idleStores: [PooledStore] = []
    /// Per model id: vectors mapped by an earlier request and what they are valid for.
    /// Mapping 100k rows costs tens of milliseconds; a request whose snapshot
    /// sees the same generation reuses them (an index run that changes the
    /// vectors bumps it, so nothing stale is ever scored).
    private var vectors: [Int64: (key: VectorKey, searcher: VectorSearcher, words: WordVectors?)] = [:]

    /// What a model's mapped vectors are valid for: one index file (a rebuilt
    /// index starts its generations again) at one generation.
    struct VectorKey: Equatable {
        var file: [UInt64]?
        var model: Int64
        var generation: Int64
    }

    package init(indexPath: String, repositoryPath: String? = nil, library: ModelLibrary, team: TeamConnections? = nil) {
        self.indexPath = indexPath
        self.repositoryPath = repositoryPath
        self.library = library
        self.team = team
        LinearKernels.keepBLASOnOneThread()
    }

    /// An engine that searches the team database at `url` (`--db`) rather than a local index.
    package convenience init(database url: String, library: ModelLibrary) {
        self.init(indexPath: "", library: library, team: TeamConnections(url: url))
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

    /// Runs `body` on a read-only store inside a snapshot taken now: an index
    /// run that committed before is seen, one committing meanwhile is seen
    /// whole or not at all. Connections are kept for the next request (with
    /// their page cache and prepared statements) rather than reopened; one
    /// that failed is dropped.
    package func withSnapshot<T>(_ body: (IndexStore) throws -> T) throws -> T {
        try withSnapshot { store, _ in try body(store) }
    }

    /// The same, also passing the index file's identity (device and inode) as
    /// it was when the store was opened: what cached state is keyed by.
    func withSnapshot<T>(_ body: (IndexStore, [UInt64]?) throws -> T) throws -> T {
        let connection = try takeStore()
        let store = connection.store
        try store.beginSnapshot()
        let result = Result { try body(store, connection.file) }
        store.endSnapshot()
        if case .success = result { returnStore(connection) }
        return try result.get()
    }

    private typealias PooledStore = (store: IndexStore, file: [UInt64]?)

    private func takeStore() throws -> PooledStore {
        let file = Self.fileIdentity(indexPath)
        lock.lock()
        // A connection to a file since replaced (the index deleted and built
        // again) would read the old one forever: keep only current ones.
        idleStores.removeAll { $0.file != file }
        let pooled = idleStores.popLast()
        lock.unlock()
        // The identity is taken before opening: were the file replaced in
        // between, the connection is dropped after this request, not kept.
        return try pooled ?? (IndexStore(path: indexPath, mode: .readOnly), file)
    }

    private func returnStore(_ connection: PooledStore) {
        lock.lock()
        defer { lock.unlock() }
        // As many as requests ran at once (the HTTP server's worker threads),
        // within reason: each maps the index file, which counts in RSS.
        if idleStores.count < 8 { idleStores.append(connection) }
    }

    /// Device and inode of `path`, or nil when it is gone.
    private static func fileIdentity(_ path: String) -> [UInt64]? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return [UInt64(info.st_dev), UInt64(info.st_ino)]
    }

    /// Vectors mapped by an earlier request from the same index file at the same generation.
    func cachedVectors(_ key: VectorKey) -> (searcher: VectorSearcher, words: WordVectors?)? {
        lock.lock()
        defer { lock.unlock() }
        return vectors[key.model].flatMap { $0.key == key ? ($0.searcher, $0.words) : nil }
    }

    func cacheVectors(_ searcher: VectorSearcher, words: WordVectors?, _ key: VectorKey) {
        lock.lock()
        defer { lock.unlock() }
        vectors[key.model] = (key, searcher, words)
    }

    /// Readies the engine for a stream of queries: the default model loaded with
    /// its query weights packed, vectors screened in bf16, and one search run to
    /// map and copy the vectors. What a server calls once at start, so that no
    /// request pays for it; throws when the default model does not load.
    package func warmUp() throws {
        lock.lock()
        screensVectors = true
        lock.unlock()
        try model(named: nil).model.prepareForQueries()
        _ = try? search(SearchRequest(query: "warm up"))
        // Its vectors stay cached; its connection does not: the first request
        // opens its own, which checks the index (its schema) as it is then.
        lock.lock()
        idleStores.removeAll()
        lock.unlock()
    }

    /// How this engine's searchers scan vectors (see `warmUp`).
    var vectorQuantization: VectorQuantization {
        lock.lock()
        defer { lock.unlock() }
        return screensVectors ? .bf16Screened : .none
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
