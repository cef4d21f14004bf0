import QuarryCore
import Store

/// Folds a ranked result list so each answer is shown once, without ever
/// hiding a distinct function behind another.
///
/// Results are visited best first; each one is kept (at its rank), joined
/// to a better-ranked result, or dropped as already shown:
///
/// - **Pieces of one split definition join.** Same path, revision, symbol
///   and kind, and line ranges that overlap or touch: the parts an oversized
///   function (or a file's line windows) was cut into. The better piece keeps
///   its chunk, text and score; its `lines` widen to the union, its
///   `relevantLines` gain the other's (its own first, three at most) and the
///   other's id joins `mergedChunkIDs`. Distinct functions never join, however
///   close: two adjacent functions that both answer are both shown.
/// - **Identical text at another path is shown once.** The other result's
///   paths join `otherPaths` ("also in N places").
/// - **A container stands aside for its best member.** A type, module or
///   top-level chunk is resolved through `members`, which lists the
///   functions inside it that score well for the query on their own, best
///   first: the first one not already shown takes the container's place and
///   rank (`containerChunkID` says which container it stands in for). When
///   none qualifies, the container itself is shown.
/// - **Nothing is shown twice.** A result whose chunk an earlier result
///   already shows (as a member or a joined piece) is dropped.
public enum ResultMerger {
    public static func merge(_ results: [SearchResult], maxRelevantLines: Int = 3) -> [SearchResult] {
        merge(results, maxRelevantLines: maxRelevantLines) { (_: SearchResult) throws(Never) in [] }
    }

    /// `merge`, resolving containers through `members`.
    public static func merge<Failure: Error>(
        _ results: [SearchResult], maxRelevantLines: Int = 3,
        members: (SearchResult) throws(Failure) -> [SearchResult]
    ) throws(Failure) -> [SearchResult] {
        var list = MergedList(maxRelevantLines: maxRelevantLines)
        for result in results where !list.shows(result.chunkID) {
            if list.joinPiece(result) || list.joinIdenticalText(result) { continue }
            var shown = result
            if result.chunk.kind.isContainer {
                let member = try members(result).first { !list.shows($0.chunkID) && !list.hasPiece(touching: $0) }
                if let member {
                    shown = member
                    shown.hit.score = result.score
                    shown.containerChunkID = result.chunkID
                }
            }
            list.append(shown)
        }
        return list.kept
    }

    /// Whether two line ranges overlap or are adjacent.
    public static func touches(_ a: ClosedRange<Int>, _ b: ClosedRange<Int>) -> Bool {
        a.upperBound + 1 >= b.lowerBound && b.upperBound + 1 >= a.lowerBound
    }
}

extension ChunkKind {
    /// Whether chunks of this kind hold functions that can answer for them.
    var isContainer: Bool { self == .type || self == .module || self == .toplevel }
}

/// The results kept so far, indexed for the merger's three questions.
private struct MergedList {
    let maxRelevantLines: Int
    private(set) var kept: [SearchResult] = []
    private var shownChunks = Set<Int64>()
    private var byPiece: [PieceKey: [Int]] = [:]
    private var byContent: [ContentKey: Int] = [:]

    init(maxRelevantLines: Int) {
        self.maxRelevantLines = maxRelevantLines
    }

    func shows(_ chunk: Int64) -> Bool { shownChunks.contains(chunk) }

    func hasPiece(touching result: SearchResult) -> Bool { keptPiece(touching: result) != nil }

    private func keptPiece(touching result: SearchResult) -> Int? {
        byPiece[PieceKey(result)]?.first { ResultMerger.touches(kept[$0].lines, result.lines) }
    }

    /// Joins `result` to a kept piece of the same definition; false when there is none.
    mutating func joinPiece(_ result: SearchResult) -> Bool {
        guard let index = keptPiece(touching: result) else { return false }
        var target = kept[index]
        target.lines = min(target.lines.lowerBound, result.lines.lowerBound)...max(target.lines.upperBound,
                                                                                 result.lines.upperBound)
        target.mergedChunkIDs.append(result.chunkID)
        target.mergedChunkIDs.append(contentsOf: result.mergedChunkIDs)
        var lines = target.relevantLines
        for line in result.relevantLines where lines.count < maxRelevantLines && !lines.contains(line) {
            lines.append(line)
        }
        target.relevantLines = lines.sorted()
        kept[index] = target
        shownChunks.insert(result.chunkID)
        return true
    }

    /// Adds `result`'s paths to a kept result with the same text elsewhere; false when there is none.
    mutating func joinIdenticalText(_ result: SearchResult) -> Bool {
        guard let index = byContent[ContentKey(result)], kept[index].path != result.path else { return false }
        var paths = kept[index].hit.otherPaths
        for path in [result.path] + result.otherPaths where path != kept[index].path && !paths.contains(path) {
            paths.append(path)
        }
        kept[index].hit.otherPaths = paths
        shownChunks.insert(result.chunkID)
        return true
    }

    mutating func append(_ result: SearchResult) {
        byPiece[PieceKey(result), default: []].append(kept.count)
        if byContent[ContentKey(result)] == nil { byContent[ContentKey(result)] = kept.count }
        shownChunks.insert(result.chunkID)
        kept.append(result)
    }

    /// One definition's pieces share all of these.
    private struct PieceKey: Hashable {
        var path: String
        var revision: String
        var symbol: String
        var kind: ChunkKind

        init(_ result: SearchResult) {
            path = result.path
            revision = result.revision
            symbol = result.chunk.symbol
            kind = result.chunk.kind
        }
    }

    private struct ContentKey: Hashable {
        var hash: ContentHash
        var revision: String

        init(_ result: SearchResult) {
            hash = result.contentHash
            revision = result.revision
        }
    }
}
