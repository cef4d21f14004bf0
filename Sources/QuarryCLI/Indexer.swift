import Chunker
import Foundation
import GitSource
import QuarryCore
import Store

/// The indexing pipeline: git tree -> new blobs -> chunks -> store.
///
/// Crash safety comes from ordering: blobs are written in batches, each one
/// SQLite transaction, and the revision's file list is recorded last. A run
/// killed at any point leaves whole batches behind; the next run skips the
/// blobs already stored and finishes with the same index an uninterrupted run
/// would have written.
struct Indexer {
    struct Options {
        var revision = "HEAD"
        var maxFileSize = 1 << 20
        var grammarDirectory = ""
        /// Blobs per store transaction: large enough to amortise the commit,
        /// small enough that a kill loses little work.
        var batchSize = 256
        /// The model whose vectors the index keeps; nil indexes for lexical search only.
        var model: LoadedModel?
        /// Chunk texts embedded per store transaction.
        var embeddingBatchSize = 256
    }

    /// A snapshot for the progress line.
    struct Progress {
        enum Stage { case chunking, embedding }
        var stage: Stage
        var done: Int
        var total: Int
        var chunks: Int
        var elapsed: Double

        var progressText: String {
            let rate = elapsed > 0 ? Double(done) / elapsed : 0
            let remaining = rate > 0 ? Double(total - done) / rate : .nan
            switch stage {
            case .chunking:
                return "indexing: \(done)/\(total) files, \(chunks) chunks, "
                    + String(format: "%.0f files/s", rate) + ", ETA \(formatDuration(remaining))"
            case .embedding:
                return "embedding: \(done)/\(total) chunks, " + String(format: "%.1f chunks/s", rate)
                    + ", ETA \(formatDuration(remaining))"
            }
        }
    }

    let repository: GitRepository
    let indexPath: String
    let options: Options

    static func defaultIndexPath(for repository: GitRepository) -> String {
        repository.commonDirectory + "/quarry/index.sqlite"
    }

    func run(progress: (Progress) -> Void) throws -> IndexSummary {
        let start = monotonicSeconds()
        let commit = try repository.resolveCommit(options.revision)
        let entries = try repository.treeEntries(of: commit)
        try FileManager.default.createDirectory(
            atPath: (indexPath as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let store = try IndexStore(path: indexPath, mode: .create)
        let stored = try store.storedBlobIDs()

        // One job per distinct new blob; the first path decides its language.
        var seen = Set<String>()
        var jobs: [TreeEntry] = []
        for entry in entries where !stored.contains(entry.blobID) && seen.insert(entry.blobID).inserted {
            jobs.append(entry)
        }

        var summary = IndexSummary(revision: options.revision, commit: commit.id, indexPath: indexPath)
        summary.filesSeen = entries.count
        summary.newBlobs = jobs.count
        let registry = try GrammarRegistry(directory: options.grammarDirectory)
        var chunking = ChunkingOptions()
        if let model = options.model {
            chunking = ChunkingOptions(maxChunkSize: model.chunkBudget, measure: model.chunkingMeasure)
        }
        let workers = WorkerPool(count: max(1, ProcessInfo.processInfo.activeProcessorCount)) {
            Chunker(registry: registry, options: chunking)
        }
        let filter = BlobFilter(maxBytes: options.maxFileSize)

        var done = 0
        for batchStart in stride(from: 0, to: jobs.count, by: options.batchSize) {
            let batch = Array(jobs[batchStart..<min(batchStart + options.batchSize, jobs.count)])
            let contents = try batch.map { entry -> [UInt8]? in
                filter.skipReason(for: entry) == nil ? try repository.blobContents(entry.blobID) : nil
            }
            let records = workers.map(Array(zip(batch, contents))) { chunker, job -> BlobRecord in
                Self.record(for: job.0, contents: job.1, filter: filter, chunker: chunker)
            }
            try store.write(records)
            for record in records {
                summary.count(record)
            }
            done += batch.count
            progress(Progress(stage: .chunking, done: done, total: jobs.count, chunks: summary.chunks,
                              elapsed: monotonicSeconds() - start))
        }
        try store.recordRevision(
            RevisionRecord(name: options.revision, commitID: commit.id, treeID: commit.treeID,
                           commitTime: commit.time, author: commit.author, subject: commit.subject),
            files: entries.map { FileRecord(path: $0.path, blobID: $0.blobID) })
        if let model = options.model {
            try embed(with: model, into: store, summary: &summary, progress: progress)
        }
        summary.seconds = monotonicSeconds() - start
        return summary
    }

    /// Embeds (passage side) every chunk text of the revision that has no
    /// vector for `model` yet. Each batch is one transaction, so a killed run
    /// resumes with the texts still missing.
    private func embed(with loaded: LoadedModel, into store: IndexStore, summary: inout IndexSummary,
                       progress: (Progress) -> Void) throws {
        let start = monotonicSeconds()
        let record = try store.registerModel(name: loaded.name, revision: loaded.revision,
                                             dimension: loaded.model.dimension)
        let total = try store.countTextsWithoutEmbeddings(model: record, revision: options.revision)
        summary.model = loaded.name
        var done = 0
        while true {
            let pending = try store.textsWithoutEmbeddings(model: record, revision: options.revision,
                                                           limit: options.embeddingBatchSize)
            if pending.isEmpty { break }
            let vectors = try loaded.model.embed(pending.map(\.text), as: .passage)
            try store.writeEmbeddings(Array(zip(pending.map(\.hash), vectors)).map { (hash: $0.0, vector: $0.1) },
                                      model: record)
            done += pending.count
            summary.embedded = done
            progress(Progress(stage: .embedding, done: done, total: total, chunks: done,
                              elapsed: monotonicSeconds() - start))
        }
        summary.embeddingSeconds = monotonicSeconds() - start
    }

    /// Classifies and chunks one blob. Never throws: a blob that cannot be
    /// chunked is stored with its skip reason so it is counted, not retried.
    static func record(for entry: TreeEntry, contents: [UInt8]?, filter: BlobFilter, chunker: Chunker) -> BlobRecord {
        if let reason = filter.skipReason(for: entry) {
            return BlobRecord(id: entry.blobID, path: entry.path, language: .other, size: entry.size,
                              skipReason: reason, chunks: [])
        }
        switch filter.classify(path: entry.path, bytes: contents ?? []) {
        case .skipped(let reason):
            return BlobRecord(id: entry.blobID, path: entry.path, language: .other, size: entry.size,
                              skipReason: reason, chunks: [])
        case .text(let language, let text):
            let chunks = chunker.chunks(of: text, language: language, path: entry.path)
            return BlobRecord(id: entry.blobID, path: entry.path, language: language, size: entry.size,
                              skipReason: nil, chunks: chunks)
        }
    }
}

/// What `quarry index` reports.
struct IndexSummary {
    var revision: String
    var commit: String
    var indexPath: String
    var filesSeen = 0
    var newBlobs = 0
    var chunks = 0
    var bytes = 0
    var skipped: [SkipReason: Int] = [:]
    var seconds = 0.0
    var model: String?
    var embedded = 0
    var embeddingSeconds = 0.0

    mutating func count(_ record: BlobRecord) {
        chunks += record.chunks.count
        if let reason = record.skipReason {
            skipped[reason, default: 0] += 1
        } else {
            bytes += record.size
        }
    }

    var json: JSON {
        .object([
            ("revision", .string(revision)),
            ("commit", .string(commit)),
            ("index", .string(indexPath)),
            ("files_seen", .int(filesSeen)),
            ("new_blobs", .int(newBlobs)),
            ("skipped", .object(SkipReason.allCases.map { ($0.rawValue, .int(skipped[$0] ?? 0)) })),
            ("chunks", .int(chunks)),
            ("bytes", .int(bytes)),
            ("model", model.map { .string($0) } ?? .null),
            ("embedded", .int(embedded)),
            ("embedding_seconds", .double((embeddingSeconds * 1000).rounded() / 1000)),
            ("seconds", .double((seconds * 1000).rounded() / 1000)),
            ("peak_rss_bytes", .int(peakResidentBytes())),
        ])
    }

    var humanText: String {
        let skippedText = skipped.isEmpty ? "none skipped"
            : "skipped " + skipped.sorted { $0.key.rawValue < $1.key.rawValue }
                .map { "\($0.value) \($0.key.rawValue)" }.joined(separator: ", ")
        let embeddedText = model.map { ", \(embedded) chunks embedded with \($0)" } ?? ""
        if newBlobs == 0 && embedded == 0 {
            return "index is up to date: \(filesSeen) files at \(revision) (\(String(commit.prefix(12))))"
        }
        return "indexed \(revision) (\(String(commit.prefix(12)))): \(filesSeen) files, \(newBlobs) new blobs, "
            + "\(chunks) chunks\(embeddedText), \(formatBytes(bytes)) in \(formatDuration(seconds)); \(skippedText)"
    }
}
