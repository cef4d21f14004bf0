import Foundation
import Store

/// What an index holds, as `quarry status`, the MCP `status` tool and
/// `/api/status` report it.
package struct IndexStatus: Sendable {
    package var indexPath: String
    package var revisions: [RevisionSize]
    package var models: [ModelSize]
    /// Per model: whether searches map its vector file or fall back to reading SQLite.
    package var vectorFileCurrent: [Bool]
    /// Per model: texts of the counted revision it has no vector for (embedding
    /// coverage); nil unless asked for, as counting takes seconds on a large index.
    package var textsWithoutVectors: [Int]?
    /// Per model: what it has still to embed of the counted revision (a first
    /// index searchable by keywords while embedding); nil when nothing.
    package var backlogs: [EmbeddingBacklog?]
    /// Per model: how its vectors were made (`IndexStore.vectorRepresentation`; "plain" when never recorded).
    package var representations: [String]
    /// What an index run writes now (`ReferenceQuestions.currentRepresentation`).
    package var currentRepresentation: String
    package var statistics: StoreStatistics

    /// Languages by chunk count, most first.
    package var languages: [(language: String, files: Int, chunks: Int)] {
        statistics.languages.sorted { $0.value.chunks > $1.value.chunks }
            .map { ($0.key.rawValue, $0.value.files, $0.value.chunks) }
    }

    /// The one object `quarry status --json` prints.
    package var json: JSON {
        let stats = statistics
        let dates = ISO8601DateFormatter()
        return .object([
            ("index", .string(indexPath)),
            ("size_bytes", .int(stats.fileSize)),
            ("revisions", .array(revisions.map { size in
                let revision = size.revision
                return .object([("name", .string(revision.name)), ("commit", .string(revision.commitID)),
                                ("date", .string(dates.string(from: revision.commitTime))),
                                ("author", .string(revision.author)),
                                ("subject", .string(revision.subject)),
                                ("files", .int(size.files)),
                                ("indexed_at", .string(dates.string(from: revision.indexedAt)))])
            })),
            ("models", .array(models.indices.map { index in
                let size = models[index]
                var pairs: [(String, JSON)] = [
                    ("name", .string(size.model.name)), ("revision", .string(size.model.revision)),
                    ("dimension", .int(size.model.dimension)), ("vectors", .int(size.vectors)),
                    ("bytes", .int(size.bytes)), ("vector_file_current", .bool(vectorFileCurrent[index])),
                    ("representation", .string(representations[index])),
                    ("representation_current", .bool(isRepresentationCurrent(index)))]
                if let missing = textsWithoutVectors?[index] { pairs.append(("texts_without_vectors", .int(missing))) }
                if let backlog = backlogs[index] {
                    pairs.append(("embedding", .object([
                        ("texts", .int(backlog.texts)), ("missing", .int(backlog.missing)),
                        ("coverage", .double((backlog.coverage * 1000).rounded(.down) / 1000))])))
                }
                return .object(pairs)
            })),
            ("revision", stats.revision.map { .string($0) } ?? .null),
            ("files", .int(stats.files)),
            ("blobs", .int(stats.blobs)),
            ("chunks", .int(stats.chunks)),
            ("embeddings", .int(stats.embeddings)),
            ("languages", .object(languages.map { entry in
                (entry.language, .object([("files", .int(entry.files)), ("chunks", .int(entry.chunks))]))
            })),
            ("skipped", .object(stats.skipped.sorted { $0.key.rawValue < $1.key.rawValue }
                .map { ($0.key.rawValue, .int($0.value)) })),
        ])
    }
}

extension IndexStatus {
    /// Whether model `index`'s vectors are what an index run writes now (or it has none).
    package func isRepresentationCurrent(_ index: Int) -> Bool {
        models[index].vectors == 0 || representations[index] == currentRepresentation
    }
}

extension QuarryEngine {
    /// The index's revisions, models and counts; files are counted for `revision`
    /// (default HEAD when indexed, else the newest), and with `coverage` the
    /// texts of that revision each model has no vector for.
    package func status(revision: String? = nil, coverage: Bool = false) throws -> IndexStatus {
        try withSnapshot { store in
            let models = try store.modelSizes()
            let statistics = try store.statistics(revision: revision)
            let missing = coverage ? try models.map { size in
                try statistics.revision.map { try store.countTextsWithoutVectors(model: size.model, revision: $0) } ?? 0
            } : nil
            let backlogs = try models.map { size in
                try statistics.revision.flatMap { try store.embeddingBacklog(revision: $0, model: size.model) }
            }
            return IndexStatus(indexPath: indexPath, revisions: try store.revisionSizes(), models: models,
                               vectorFileCurrent: try models.map { try store.isVectorFileCurrent(for: $0.model) },
                               textsWithoutVectors: missing, backlogs: backlogs,
                               representations: try models.map {
                                   try store.vectorRepresentation(of: $0.model) ?? plainRepresentation
                               },
                               currentRepresentation: ReferenceQuestions.currentRepresentation(paths: library.paths),
                               statistics: statistics)
        }
    }

    /// The indexed revisions' names, most recently indexed first (cheap: for pickers).
    package func revisionNames() throws -> [String] {
        try withSnapshot { store in try store.revisions().map(\.name) }
    }
}
