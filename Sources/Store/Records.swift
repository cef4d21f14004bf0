import Foundation
import QuarryCore

/// How to open an index file.
public enum OpenMode: Sendable {
    /// Read only (`SQLITE_OPEN_READONLY`); the file must exist with the current schema.
    /// Safe alongside one writer: WAL lets readers see the last committed state.
    case readOnly
    /// Read and write an existing index, upgrading an older schema.
    case readWrite
    /// Like `readWrite`, creating the file (not its directory) if it is missing.
    case create
}

/// One Git blob as the indexer saw it: either chunked, or skipped with a reason.
public struct BlobRecord: Sendable, Hashable {
    /// The Git object id (hex).
    public var id: String
    /// The first path this blob was seen at. The full-text `path` column
    /// indexes this path only: a blob is stored once however many paths
    /// share it, and search reports every path from the revision's file list.
    public var path: String
    public var language: Language
    /// Size in bytes.
    public var size: Int
    /// Why the blob was not chunked; nil when it was.
    public var skipReason: SkipReason?
    /// The chunks in file order; empty when skipped (or an empty file).
    public var chunks: [Chunk]

    public init(id: String, path: String, language: Language, size: Int,
                skipReason: SkipReason? = nil, chunks: [Chunk]) {
        self.id = id
        self.path = path
        self.language = language
        self.size = size
        self.skipReason = skipReason
        self.chunks = chunks
    }
}

/// A named, indexed revision: `HEAD`, `main`, a tag.
public struct RevisionRecord: Sendable, Hashable {
    public var name: String
    public var commitID: String
    public var treeID: String
    public var commitTime: Date
    public var author: String
    public var subject: String
    /// When this revision's file list was recorded; the newest is the default for search.
    public var indexedAt: Date

    public init(name: String, commitID: String, treeID: String, commitTime: Date,
                author: String, subject: String, indexedAt: Date = Date()) {
        self.name = name
        self.commitID = commitID
        self.treeID = treeID
        self.commitTime = commitTime
        self.author = author
        self.subject = subject
        self.indexedAt = indexedAt
    }
}

/// One path of a revision and the blob it holds.
public struct FileRecord: Sendable, Hashable {
    public var path: String
    public var blobID: String

    public init(path: String, blobID: String) {
        self.path = path
        self.blobID = blobID
    }
}

/// Counts for `quarry status`.
public struct StoreStatistics: Sendable, Hashable {
    public struct LanguageCounts: Sendable, Hashable {
        /// Paths of this language in the revision counted.
        public var files = 0
        /// Chunked (not skipped) blobs of this language in the whole store.
        public var blobs = 0
        /// Chunks of this language in the whole store.
        public var chunks = 0
        public init() {}
    }

    /// The revision whose file list `files` counts; nil when none is indexed.
    public var revision: String?
    public var revisions = 0
    /// Paths in `revision`.
    public var files = 0
    /// Every stored blob, chunked or skipped.
    public var blobs = 0
    public var chunks = 0
    public var embeddings = 0
    public var languages: [Language: LanguageCounts] = [:]
    /// Stored blobs that were skipped, by reason.
    public var skipped: [SkipReason: Int] = [:]
    /// Bytes on disk: the database file plus its write-ahead log.
    public var fileSize = 0

    public init() {}
}

/// What one garbage collection removed.
public struct GarbageCollection: Sendable, Hashable {
    public var blobs = 0
    public var chunks = 0
    public var embeddings = 0
    public init() {}
}

/// BM25 weights of the full-text columns: a hit in a symbol name counts
/// more than one in a path, which counts more than one in the body.
public struct ColumnWeights: Sendable, Hashable {
    public var symbol: Double
    public var path: Double
    public var text: Double

    public init(symbol: Double = 10, path: Double = 4, text: Double = 1) {
        self.symbol = symbol
        self.path = path
        self.text = text
    }
}

/// A predicate on a located chunk (its path in the revision, the chunk).
public typealias ChunkFilter = @Sendable (String, Chunk) -> Bool

/// A full-text query the store runs. `match` is an FTS5 MATCH expression;
/// build it with care (the Search module quotes every term).
public struct LexicalQuery: Sendable {
    public var match: String
    /// Revision name; nil means the most recently indexed revision.
    public var revision: String?
    /// Only these languages; nil means all.
    public var languages: Set<Language>?
    /// Keeps a path only when this returns true; nil keeps all.
    public var pathFilter: (@Sendable (String) -> Bool)?
    /// Keeps a hit only when this returns true for its path and chunk; nil keeps all.
    public var chunkFilter: ChunkFilter?
    public var limit: Int
    public var weights: ColumnWeights
    /// When `match` is these terms, quoted and OR-ed in this order: lets the
    /// store leave unscored the chunks that cannot rank (see `KeywordRanking`).
    /// Empty: every match is scored.
    public var terms: [String] = []

    public init(match: String, revision: String? = nil, languages: Set<Language>? = nil,
                pathFilter: (@Sendable (String) -> Bool)? = nil, chunkFilter: ChunkFilter? = nil, limit: Int = 20,
                weights: ColumnWeights = ColumnWeights()) {
        self.match = match
        self.revision = revision
        self.languages = languages
        self.pathFilter = pathFilter
        self.chunkFilter = chunkFilter
        self.limit = limit
        self.weights = weights
    }
}

/// One stored chunk that matched, located in a revision.
public struct ChunkHit: Sendable, Hashable {
    /// Row id of the chunk (stable while its blob is stored).
    public var chunkID: Int64
    public var blobID: String
    /// The first matching path of the blob in the revision, in path order.
    public var path: String
    /// Further paths in the revision holding the same blob (and passing the filter).
    public var otherPaths: [String]
    public var revision: String
    /// The chunk as written (language, kind, symbol, line and byte ranges, text).
    public var chunk: Chunk
    public var contentHash: ContentHash
    /// Higher is better: the negated BM25 rank.
    public var score: Double

    public init(chunkID: Int64, blobID: String, path: String, otherPaths: [String], revision: String,
                chunk: Chunk, contentHash: ContentHash, score: Double) {
        self.chunkID = chunkID
        self.blobID = blobID
        self.path = path
        self.otherPaths = otherPaths
        self.revision = revision
        self.chunk = chunk
        self.contentHash = contentHash
        self.score = score
    }
}
