import Chunker
import Foundation
import GitSource
import QuarryCore
import Store

/// Keeping an index's blobs in line with the data policy it is built with.
///
/// Blobs are classified once and never re-read, so turning
/// `--include-data` on or off, or a Quarry with new data rules, would leave
/// an index half under the old policy. The policy in force is recorded in
/// the index (`meta`); when a run's differs, every blob the policy can judge
/// (text without a grammar, and blobs skipped as data) is read again and
/// replaced where it is judged otherwise. The replaced chunks are embedded by
/// the run as any missing vector is.
extension Indexer {
    static let dataPolicyKey = "blobs.data-policy"

    /// The policy's name as recorded: the rules' version and the switches,
    /// and the languages chunked by grammar (a grammar built since re-chunks
    /// what was stored as line windows). Bump the versions with every change
    /// to `DataFileRules` or to language detection.
    func dataPolicy(registry: GrammarRegistry) -> String {
        "data-rules-2;include-data=\(options.includeData ? 1 : 0);languages-1;include-generated="
            + "\(options.includesGenerated ? 1 : 0);grammars=\(registry.loadedLanguages.map(\.rawValue).joined(separator: ","))"
    }

    /// The blob filter this run classifies with: the data policy, the
    /// vendored/generated switch, and the detection rules the grammar
    /// manifest adds for languages Quarry does not know.
    func blobFilter(registry: GrammarRegistry) -> BlobFilter {
        var detector = LanguageDetector.builtIn
        for (language, entry) in registry.entries.sorted(by: { $0.key < $1.key }) {
            detector = detector.adding(language, extensions: entry.extensions, fileNames: entry.fileNames,
                                       interpreters: entry.interpreters)
        }
        return BlobFilter(maxBytes: options.maxFileSize, dataRules: options.includeData ? nil : DataFileRules(),
                          includesGenerated: options.includesGenerated, detector: detector)
    }

    /// Applies the run's data policy to blobs stored under another one;
    /// returns how many blobs were replaced. A new index records it at once.
    func applyDataPolicy(to store: IndexStore, workers: WorkerPool<Chunker>, filter: BlobFilter,
                         registry: GrammarRegistry) throws -> Int {
        let recorded = try store.metadata(Self.dataPolicyKey)
        let dataPolicy = dataPolicy(registry: registry)
        guard recorded != dataPolicy else { return 0 }
        var replaced = 0
        let judged = try store.blobsJudgedByDataPolicy(alsoJudging: { BlobFilter.pathSkipReason(for: $0) != nil })
        for batchStart in stride(from: 0, to: judged.count, by: options.batchSize) {
            let batch = judged[batchStart..<min(batchStart + options.batchSize, judged.count)]
            // Blobs the repository no longer holds (history rewritten and gc'd) keep their state.
            let jobs: [(entry: TreeEntry, bytes: [UInt8], stored: SkipReason?)] = batch.compactMap { blob in
                guard let bytes = try? repository.blobContents(blob.id) else { return nil }
                return (TreeEntry(path: blob.path, blobID: blob.id, size: bytes.count, mode: .file), bytes, blob.skipReason)
            }
            let records = workers.map(jobs) { chunker, job in
                (stored: job.stored, record: Self.record(for: job.entry, contents: job.bytes, filter: filter,
                                                         chunker: chunker))
            }
            // A blob judged again is replaced when its reason changes, or when it
            // was line windows and is now chunked by its grammar.
            let stale = records.filter {
                $0.stored != $0.record.skipReason
                    || ($0.stored == nil && $0.record.chunks.contains { $0.kind != .lines })
            }.map { $0.record }
            try store.replace(stale)
            replaced += stale.count
        }
        try store.setMetadata(Self.dataPolicyKey, to: dataPolicy)
        return replaced
    }
}
