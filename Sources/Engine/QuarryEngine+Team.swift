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
}
