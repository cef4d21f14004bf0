import Foundation
import GitSource

extension QuarryEngine {
    /// Re-indexes `revisions` (each a ref or commit, stored under that name)
    /// with the writer lock, failing at once with `.busy` when another run
    /// holds it rather than waiting. Embeds with its own instance of the
    /// model, so searches meanwhile never queue behind an indexing batch.
    package func refresh(revisions: [String], grammarDirectory: String, embed: Bool = true,
                         progress: (Indexer.Progress) -> Void = { _ in }) throws -> IndexSummary {
        guard let repositoryPath else {
            throw EngineError(.notFound, "refreshing needs the repository; give its path (--repo)")
        }
        let repository = try GitRepository(discoveringFrom: repositoryPath)
        var options = Indexer.Options()
        options.grammarDirectory = grammarDirectory
        options.targets = try revisions.map { Indexer.Target(name: $0, commit: try repository.resolveCommit($0)) }
        options.primary = revisions.first
        let lock = try IndexLock(indexPath: indexPath, waitSeconds: 0)
        defer { lock.release() }
        if embed, let directory = try? library.directory(for: nil) {
            let loaded = try ModelLoader.loadForIndexing(directory: directory)
            options.model = loaded
            options.hubness = try ReferenceQuestions.correction(for: loaded, paths: library.paths)
        }
        return try Indexer(repository: repository, indexPath: indexPath, options: options).run(progress: progress)
    }
}
