import Chunker
import Foundation
import GitSource
import QuarryCore
import Search
import Store

/// The indexing pipeline: git tree -> new blobs -> chunks -> store.
///
/// Crash safety comes from ordering: blobs are written in batches, each one
/// SQLite transaction, and the revision's file list is recorded last. A run
/// killed at any point leaves whole batches behind; the next run skips the
/// blobs already stored and finishes with the same index an uninterrupted run
/// would have written.
package struct Indexer {
    /// One revision to index: the name it is stored under and its commit.
    package struct Target {
        package var name: String
        package var commit: CommitInfo

        package init(name: String, commit: CommitInfo) {
            self.name = name
            self.commit = commit
        }
    }

    package struct Options {
        /// Revisions in the order they are indexed; neighbours are diffed, so
        /// list history in order (oldest first: see `IndexCommand.targets`).
        /// Empty means HEAD.
        package var targets: [Target] = []
        /// The revision the summary's `revision`, `commit` and `files_seen`
        /// describe (default: the first target).
        package var primary: String?
        package var maxFileSize = 1 << 20
        /// Index vendored directories and generated file names instead of skipping them.
        package var includesGenerated = false
        package var grammarDirectory = ""
        /// Blobs per store transaction: large enough to amortise the commit,
        /// small enough that a kill loses little work.
        package var batchSize = 256
        /// The model whose vectors the index keeps; nil indexes for lexical search only.
        package var model: LoadedModel?
        /// Chunk texts embedded per store transaction.
        package var embeddingBatchSize = 256
        /// Scales new vectors by their hubness (`ReferenceQuestions.correction`);
        /// nil stores them plain. An index whose vectors are plain is brought
        /// to it without embedding anything again (see `settleRepresentation`).
        package var hubness: HubnessCorrection?
        /// Index lock files, keys, text images, source maps and data files too.
        package var includeData = false
        /// A revision new to the index with at least this many texts to embed
        /// is made searchable by keywords before they are embedded (see
        /// `record(_:files:…)`); nil keeps every revision whole (`--atomic`).
        package var recordFirstMinimum: Int? = 1_000

        package init() {}
    }

    /// A snapshot for the progress line.
    package struct Progress {
        package enum Stage { case chunking, embedding }
        package var stage: Stage
        package var revision: String
        package var done: Int
        package var total: Int
        package var chunks: Int
        package var elapsed: Double

        package var progressText: String {
            let rate = elapsed > 0 ? Double(done) / elapsed : 0
            let remaining = rate > 0 ? Double(total - done) / rate : .nan
            switch stage {
            case .chunking:
                return "indexing \(revision): \(done)/\(total) files, \(chunks) chunks, "
                    + String(format: "%.0f files/s", rate) + ", ETA \(formatDuration(remaining))"
            case .embedding:
                return "embedding \(revision): \(done)/\(total) chunks, " + String(format: "%.1f chunks/s", rate)
                    + ", ETA \(formatDuration(remaining))"
            }
        }
    }

    /// A revision's file list held in memory, to diff the next one against.
    private struct FileList {
        var name: String
        var treeID: String
        var blobs: [String: String]
    }

    package let repository: GitRepository
    package let indexPath: String
    package let options: Options

    package init(repository: GitRepository, indexPath: String, options: Options) {
        self.repository = repository
        self.indexPath = indexPath
        self.options = options
    }

    package static func defaultIndexPath(for repository: GitRepository) -> String {
        repository.commonDirectory + "/quarry/index.sqlite"
    }

    /// Indexes every target in order. Each revision's file list becomes
    /// visible in one transaction, after its blobs are stored and its texts
    /// embedded, so a search sees a revision whole or not at all.
    package func run(progress: (Progress) -> Void) throws -> IndexSummary {
        let start = monotonicSeconds()
        try FileManager.default.createDirectory(
            atPath: (indexPath as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let store = try IndexStore(path: indexPath, mode: .create)
        var summary = IndexSummary(indexPath: indexPath, primary: options.primary)
        let registry = try GrammarRegistry(directory: options.grammarDirectory)
        var chunking = ChunkingOptions()
        if let model = options.model {
            chunking = ChunkingOptions(maxChunkSize: model.chunkBudget, measure: model.chunkingMeasure)
            summary.model = model.name
        }
        let workers = WorkerPool(count: max(1, ProcessInfo.processInfo.activeProcessorCount)) {
            Chunker(registry: registry, options: chunking)
        }
        // Languages added by the grammar manifest bring their own extensions and interpreters.
        let filter = blobFilter(registry: registry)
        summary.reclassifiedBlobs = try applyDataPolicy(to: store, workers: workers, filter: filter, registry: registry)
        let modelRecord = try options.model.map { loaded in
            try store.registerModel(name: loaded.name, revision: loaded.revision, dimension: loaded.model.dimension)
        }
        // Bring the model's vector file up to date first (an index from an
        // older Quarry, a run killed between a commit and its append), so
        // this run's batches append to it and searches meanwhile can map it.
        if let modelRecord {
            try store.synchronizeVectorFile(for: modelRecord)
            summary.rescaledVectors = try settleRepresentation(of: modelRecord, store: store)
        }
        let tokensBefore = options.model?.model.tokensEmbedded ?? 0
        var previous: FileList?
        var outcomes: [RevisionOutcome] = []
        let targets = try options.targets.isEmpty
            ? [Target(name: "HEAD", commit: repository.resolveCommit("HEAD"))] : options.targets
        for target in targets {
            var outcome = RevisionOutcome(name: target.name, commit: target.commit.id)
            let list = try fileList(of: target, previous: previous, store: store, outcome: &outcome)
            try chunkNewBlobs(outcome.candidates, store: store, workers: workers, filter: filter, outcome: &outcome,
                              summary: &summary, progress: progress)
            let stored = try store.revision(named: target.name)
            outcome.unchanged = stored?.commitID == target.commit.id && stored?.treeID == target.commit.treeID
            if !outcome.unchanged {
                try record(target, files: list, isNew: stored == nil, store: store, model: modelRecord,
                           outcome: &outcome, summary: &summary, progress: progress)
            }
            outcomes.append(outcome)
            previous = list
        }
        // Revisions recorded before their vectors, unchanged ones a killed or
        // --no-embed run left short, and any other a killed run left with a
        // backlog: the primary first, as it is the one searched by default.
        if let modelRecord {
            let embedStart = monotonicSeconds()
            let primary = options.primary ?? targets.first?.name
            let names = outcomes.filter { $0.unchanged || $0.recordedFirst }.map(\.name)
                + (try store.revisionsWithBacklog(model: modelRecord))
            for name in orderedUnique(names, first: primary) {
                let embedded = try embedBacklog(of: name, store: store, record: modelRecord, progress: progress)
                if let index = outcomes.firstIndex(where: { $0.name == name }) { outcomes[index].embedded += embedded }
                else { summary.embedded += embedded }
            }
            summary.embeddingSeconds += monotonicSeconds() - embedStart
        }
        outcomes.forEach { summary.add($0) }
        let vocabularyStart = monotonicSeconds()
        summary.embeddedWords = try embedVocabulary(store: store, record: modelRecord)
        summary.embeddingSeconds += monotonicSeconds() - vocabularyStart
        // Appends that failed mid-run (a full disk) left the file behind: rewrite it.
        if let modelRecord { try store.synchronizeVectorFile(for: modelRecord) }
        summary.embeddedTokens = options.model.map { $0.model.tokensEmbedded - tokensBefore } ?? 0
        summary.seconds = monotonicSeconds() - start
        return summary
    }

    /// The target's file list and the entries to look at (`outcome.candidates`):
    /// from a known file list plus a libgit2 tree diff when one is at hand
    /// (the previous target, the revision stored under the same name or at
    /// the same commit, the default revision), else from a walk of the whole
    /// tree. A base whose tree the repository lacks (rewritten history, a
    /// shallow clone) falls back to the walk.
    private func fileList(of target: Target, previous: FileList?, store: IndexStore,
                          outcome: inout RevisionOutcome) throws -> FileList {
        for base in try baseCandidates(for: target, previous: previous, store: store) {
            guard let changes = try? repository.changes(fromTree: base.treeID, toTree: target.commit.treeID) else {
                continue
            }
            var blobs = try base.blobs ?? Dictionary(
                store.files(in: base.name).map { ($0.path, $0.blobID) }, uniquingKeysWith: { first, _ in first })
            var candidates: [TreeEntry] = []
            for change in changes {
                if let old = change.old { blobs[old.path] = nil }
                if let new = change.new {
                    blobs[new.path] = new.blobID
                    candidates.append(new)
                }
            }
            outcome.base = base.name
            outcome.files = blobs.count
            outcome.changedFiles = changes.count
            outcome.candidates = candidates
            outcome.knownBlobs = try store.storedBlobIDs(among: candidates.map(\.blobID))
            return FileList(name: target.name, treeID: target.commit.treeID, blobs: blobs)
        }
        let entries = try repository.treeEntries(of: target.commit)
        outcome.files = entries.count
        outcome.changedFiles = entries.count
        outcome.candidates = entries
        outcome.knownBlobs = try store.storedBlobIDs()
        return FileList(name: target.name, treeID: target.commit.treeID,
                        blobs: Dictionary(entries.map { ($0.path, $0.blobID) }, uniquingKeysWith: { first, _ in first }))
    }

    /// File lists to diff against, best first; `blobs` nil means "read it from the store".
    private func baseCandidates(for target: Target, previous: FileList?, store: IndexStore)
        throws -> [(name: String, treeID: String, blobs: [String: String]?)] {
        var result: [(name: String, treeID: String, blobs: [String: String]?)] = []
        if let previous { result.append((previous.name, previous.treeID, previous.blobs)) }
        let revisions = try store.revisions()
        let preferred = revisions.filter { $0.name == target.name }
            + revisions.filter { $0.commitID == target.commit.id }
            + revisions.filter { $0.name == "HEAD" } + revisions.prefix(1)
        for revision in preferred where !result.contains(where: { $0.name == revision.name }) {
            result.append((revision.name, revision.treeID, nil))
        }
        return result
    }

    /// Reads, classifies, chunks and stores every candidate blob not stored
    /// yet, in batches of one transaction each.
    private func chunkNewBlobs(_ candidates: [TreeEntry], store: IndexStore, workers: WorkerPool<Chunker>,
                               filter: BlobFilter,
                               outcome: inout RevisionOutcome, summary: inout IndexSummary,
                               progress: (Progress) -> Void) throws {
        let start = monotonicSeconds()
        // One job per distinct new blob; the first path decides its language.
        var seen = outcome.knownBlobs
        let jobs = candidates.filter { seen.insert($0.blobID).inserted }
        outcome.newBlobs = jobs.count
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
                outcome.chunks += record.chunks.count
            }
            done += batch.count
            progress(Progress(stage: .chunking, revision: outcome.name, done: done, total: jobs.count,
                              chunks: outcome.chunks, elapsed: monotonicSeconds() - start))
        }
    }

    /// Makes `target`'s file list searchable. Small backlogs keep the
    /// revision whole: its new texts are embedded first, so a refresh swaps
    /// in a fully embedded file list in one transaction as before. A revision
    /// new to the index with a large backlog (a first index) is recorded at
    /// once with its backlog, so keywords answer within seconds, and its texts
    /// are embedded afterwards (`embedBacklog`); a revision already searchable
    /// is never replaced by a less embedded one.
    private func record(_ target: Target, files list: FileList, isNew: Bool, store: IndexStore, model: ModelRecord?,
                        outcome: inout RevisionOutcome, summary: inout IndexSummary,
                        progress: (Progress) -> Void) throws {
        try store.stageFiles(list.blobs.map { FileRecord(path: $0.key, blobID: $0.value) }, of: target.name)
        let commit = target.commit
        let record = RevisionRecord(name: target.name, commitID: commit.id, treeID: commit.treeID,
                                    commitTime: commit.time, author: commit.author, subject: commit.subject)
        var missing: Int?
        if let model, isNew, let minimum = options.recordFirstMinimum {
            let backlog = try store.stagedBacklog(model: model)
            if backlog.missing >= minimum {
                try store.recordStagedRevision(record, backlog: backlog, of: model)
                outcome.recordedFirst = true
                return
            }
            missing = backlog.missing
        }
        let embedStart = monotonicSeconds()
        outcome.embedded = try embedMissing(of: .staged(target.name), count: missing, store: store, record: model,
                                            progress: progress)
        summary.embeddingSeconds += monotonicSeconds() - embedStart
        try store.recordStagedRevision(record, backlog: nil, of: model)
    }

    /// Embeds what `model` lacks of the recorded revision `name`, counting it
    /// against the revision's backlog row batch by batch (see
    /// `IndexStore.recountBacklog`), so searches meanwhile see how much is covered.
    private func embedBacklog(of name: String, store: IndexStore, record: ModelRecord,
                              progress: (Progress) -> Void) throws -> Int {
        guard let backlog = try store.recountBacklog(revision: name, model: record) else { return 0 }
        return try embedMissing(of: .revision(name), count: backlog.missing, store: store, record: record,
                                progress: progress)
    }

    /// Whose texts to embed: a recorded revision, or the staged file list of one about to be recorded.
    private enum EmbeddingScope {
        case revision(String)
        case staged(String)
    }

    /// Embeds (passage side) every text of `scope` without a vector for the
    /// model; each batch is one transaction, so a killed run resumes with the
    /// texts still missing. `count` is how many there are when the caller has
    /// just counted them. Returns how many texts were embedded (0 without a model).
    private func embedMissing(of scope: EmbeddingScope, count known: Int? = nil, store: IndexStore,
                              record: ModelRecord?, progress: (Progress) -> Void) throws -> Int {
        guard let loaded = options.model, let record else { return 0 }
        let start = monotonicSeconds()
        let name: String
        let total: Int
        switch scope {
        case .revision(let revision):
            (name, total) = (revision, try known ?? store.countTextsWithoutEmbeddings(model: record, revision: revision))
        case .staged(let revision):
            (name, total) = (revision, try known ?? store.countStagedTextsWithoutEmbeddings(model: record))
        }
        // The lock keeps other writers out, so the count is exact: no query for an empty last batch.
        var done = 0
        var last: ContentHash?
        while done < total {
            let pending: [(hash: ContentHash, text: String)]
            var backlog: String?
            switch scope {
            case .revision(let revision):
                pending = try store.textsWithoutEmbeddings(model: record, revision: revision, after: last,
                                                           limit: options.embeddingBatchSize)
                backlog = revision
            case .staged:
                pending = try store.stagedTextsWithoutEmbeddings(model: record, after: last,
                                                                 limit: options.embeddingBatchSize)
            }
            guard let lastPending = pending.last else { break }
            last = lastPending.hash
            var vectors = try loaded.model.embed(pending.map(\.text), as: .passage)
            if let hubness = options.hubness { vectors = hubness.applied(to: vectors) }
            try store.writeEmbeddings(zip(pending, vectors).map { (hash: $0.0.hash, vector: $0.1) }, model: record,
                                      backlogOf: backlog)
            done += pending.count
            progress(Progress(stage: .embedding, revision: name, done: done, total: total, chunks: done,
                              elapsed: monotonicSeconds() - start))
        }
        return done
    }

    /// Makes the model's stored vectors the representation this run writes:
    /// records it for an index without vectors, and rescales plain vectors
    /// (from before the hubness correction, or a run without reference
    /// questions) in place. Vectors of another correction cannot be turned
    /// back into plain ones, so that is an error saying what to do. Returns
    /// how many vectors were rescaled.
    private func settleRepresentation(of model: ModelRecord, store: IndexStore) throws -> Int {
        let wanted = options.hubness?.representation ?? plainRepresentation
        let stored = try store.vectorRepresentation(of: model)
        if stored == wanted { return 0 }
        guard try store.hasEmbeddings(of: model) else {
            try store.recordVectorRepresentation(wanted, of: model)
            return 0
        }
        if (stored ?? plainRepresentation) == plainRepresentation, let hubness = options.hubness {
            return try store.transformEmbeddings(of: model, into: wanted) { hubness.applied(to: $0) }
        }
        throw EngineError("""
            the index's \(model.name) vectors are '\(stored ?? plainRepresentation)' but this run would add \
            '\(wanted)' (reference questions \(options.hubness == nil ? "missing" : "changed"); \
            scripts/setup.sh installs them); restore them, or delete the index and index again
            """)
    }

    /// Classifies and chunks one blob. Never throws: a blob that cannot be
    /// chunked is stored with its skip reason so it is counted, not retried.
    package static func record(for entry: TreeEntry, contents: [UInt8]?, filter: BlobFilter, chunker: Chunker) -> BlobRecord {
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

/// What indexing one revision did.
package struct RevisionOutcome {
    package var name: String
    package var commit: String
    /// The revision whose file list was diffed against; nil when the whole tree was walked.
    package var base: String?
    package var files = 0
    /// Paths added, modified or deleted relative to `base` (all files when walked).
    package var changedFiles = 0
    package var newBlobs = 0
    package var chunks = 0
    package var embedded = 0
    /// The same commit was already recorded under this name.
    package var unchanged = false
    /// Recorded before its texts were embedded (a large first index).
    package var recordedFirst = false
    package var candidates: [TreeEntry] = []
    package var knownBlobs: Set<String> = []

    package var json: JSON {
        .object([
            ("name", .string(name)),
            ("commit", .string(commit)),
            ("base", base.map { .string($0) } ?? .null),
            ("files", .int(files)),
            ("changed_files", .int(changedFiles)),
            ("new_blobs", .int(newBlobs)),
            ("chunks", .int(chunks)),
            ("embedded", .int(embedded)),
            ("unchanged", .bool(unchanged)),
            ("recorded_before_embedding", .bool(recordedFirst)),
        ])
    }
}

/// What `quarry index` reports. `revision`, `commit` and `files_seen` describe
/// the primary revision (the first --rev, else HEAD, else the first indexed);
/// the counts are totals over every revision.
package struct IndexSummary {
    package var indexPath: String
    package var primary: String?
    package var revisions: [RevisionOutcome] = []
    package var newBlobs = 0
    package var changedFiles = 0
    package var chunks = 0
    package var bytes = 0
    package var skipped: [SkipReason: Int] = [:]
    package var seconds = 0.0
    package var model: String?
    package var embedded = 0
    /// Tokens the model ran (special tokens and prompts included).
    package var embeddedTokens = 0
    package var embeddingSeconds = 0.0
    /// Stored blobs classified again because the data policy changed (see `applyDataPolicy`).
    package var reclassifiedBlobs = 0
    /// Stored vectors rescaled to the hubness correction (an index from before it).
    package var rescaledVectors = 0
    /// Vocabulary words embedded for the cross-lingual keyword bridge (see `embedVocabulary`).
    package var embeddedWords = 0

    private var primaryOutcome: RevisionOutcome? {
        revisions.first { $0.name == primary } ?? revisions.first
    }
    package var revision: String { primaryOutcome?.name ?? "" }
    package var commit: String { primaryOutcome?.commit ?? "" }
    package var filesSeen: Int { primaryOutcome?.files ?? 0 }

    package mutating func count(_ record: BlobRecord) {
        chunks += record.chunks.count
        if let reason = record.skipReason {
            skipped[reason, default: 0] += 1
        } else {
            bytes += record.size
        }
    }

    package mutating func add(_ outcome: RevisionOutcome) {
        var outcome = outcome
        outcome.candidates = []
        outcome.knownBlobs = []
        revisions.append(outcome)
        newBlobs += outcome.newBlobs
        changedFiles += outcome.changedFiles
        embedded += outcome.embedded
    }

    package var json: JSON {
        .object([
            ("revision", .string(revision)),
            ("commit", .string(commit)),
            ("index", .string(indexPath)),
            ("files_seen", .int(filesSeen)),
            ("changed_files", .int(changedFiles)),
            ("new_blobs", .int(newBlobs)),
            ("skipped", .object(SkipReason.allCases.map { ($0.rawValue, .int(skipped[$0] ?? 0)) })),
            ("reclassified_blobs", .int(reclassifiedBlobs)),
            ("chunks", .int(chunks)),
            ("bytes", .int(bytes)),
            ("model", model.map { .string($0) } ?? .null),
            ("embedded", .int(embedded)),
            ("embedded_tokens", .int(embeddedTokens)),
            ("embedded_words", .int(embeddedWords)),
            ("rescaled_vectors", .int(rescaledVectors)),
            ("embedding_seconds", .double((embeddingSeconds * 1000).rounded() / 1000)),
            ("seconds", .double((seconds * 1000).rounded() / 1000)),
            ("peak_rss_bytes", .int(peakResidentBytes())),
            ("revisions", .array(revisions.map(\.json))),
        ])
    }

    package var humanText: String {
        let skippedText = skipped.isEmpty ? "none skipped"
            : "skipped " + skipped.sorted { $0.key.rawValue < $1.key.rawValue }
                .map { "\($0.value) \($0.key.rawValue)" }.joined(separator: ", ")
        let embeddedText = model.map { ", \(embedded) chunks embedded with \($0)" } ?? ""
        let names = revisions.count == 1 ? "\(revision) (\(String(commit.prefix(12))))" : "\(revisions.count) revisions"
        let rescaledText = rescaledVectors > 0 ? "; \(rescaledVectors) stored vectors rescaled for hubness" : ""
        if newBlobs == 0 && embedded == 0 && reclassifiedBlobs == 0 && revisions.allSatisfy(\.unchanged) {
            return "index is up to date: \(filesSeen) files at \(names)\(rescaledText)"
        }
        return "indexed \(names): \(filesSeen) files, \(changedFiles) changed, \(newBlobs) new blobs, "
            + "\(chunks) chunks\(embeddedText), \(formatBytes(bytes)) in \(formatDuration(seconds)); \(skippedText)"
            + (reclassifiedBlobs > 0 ? "; \(reclassifiedBlobs) stored blobs classified again for the data policy" : "")
            + rescaledText
    }
}

/// An advisory lock (`flock`) on `<index>.lock`, held while a command writes
/// the index, so two writers never interleave their runs. The kernel drops it
/// when the process dies, so a killed run never leaves a stale lock; the file
/// holds the owner's pid for the message the next writer prints.
package final class IndexLock {
    private let descriptor: Int32

    package init(indexPath: String, waitSeconds: Double) throws {
        let path = indexPath + ".lock"
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw EngineError("cannot open the lock file \(path): \(String(cString: strerror(errno)))")
        }
        let deadline = monotonicSeconds() + waitSeconds
        while flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            let busy = errno == EWOULDBLOCK
            if !busy || monotonicSeconds() >= deadline {
                let owner = Self.owner(of: descriptor)
                close(descriptor)
                guard busy else { throw EngineError("cannot lock \(path): \(String(cString: strerror(errno)))") }
                let waited = waitSeconds > 0 ? " after waiting \(formatDuration(waitSeconds))" : ""
                throw EngineError(.busy, "another quarry index is running on \(indexPath) (pid \(owner))\(waited); "
                               + "try again when it finishes or pass --wait SECONDS")
            }
            usleep(50_000)
        }
        let pid = Array("\(getpid())\n".utf8)
        _ = ftruncate(descriptor, 0)
        _ = pid.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, 0) }
        self.descriptor = descriptor
    }

    /// The pid the lock's owner wrote, or "unknown".
    private static func owner(of descriptor: Int32) -> String {
        var buffer = [UInt8](repeating: 0, count: 32)
        let count = buffer.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, $0.count, 0) }
        let text = String(decoding: buffer.prefix(max(0, count)), as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        return Int(text).map(String.init) ?? "unknown"
    }

    package func release() {
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }
}

/// `names` without repeats, in order, with `first` moved to the front when present.
private func orderedUnique(_ names: [String], first: String?) -> [String] {
    var seen = Set<String>()
    let front = names.filter { $0 == first }
    return (front + names).filter { seen.insert($0).inserted }
}

/// Vectors as the encoder makes them: what an index that never recorded a representation holds.
package let plainRepresentation = "plain"
