import Store

/// Folds a ranked result list so one place in the code is shown once.
///
/// Results are visited best first; each one either stays (keeping its rank)
/// or is folded into an earlier, better-ranked result:
///
/// - **Same file, overlapping or touching lines.** Same `path` and revision,
///   and line ranges that overlap or are adjacent (`a.upper + 1 >= b.lower`
///   and `b.upper + 1 >= a.lower`, with each result's possibly widened
///   `lines`). The better result keeps its chunk, text, symbol and score; its
///   `lines` widen to the union, its `relevantLines` gain the other's (its
///   own first, three at most) and the other's id joins `mergedChunkIDs`.
///   This joins the pieces of a split function and a class with its methods
///   into one hit; when a type, module or top-level chunk folds in a function
///   it spans, the function is shown (at the container's rank), being the
///   more specific answer. Widening is not repeated transitively over results
///   already kept: two kept results never fold into each other afterwards.
/// - **Identical text at another path.** Same chunk content (hash) and a
///   different path: the other result's paths join `otherPaths` (in first
///   seen order, no repeats), so the text is shown once, "also in N places".
///   Identical text twice in the same file stays two results unless the
///   two touch.
public enum ResultMerger {
    public static func merge(_ results: [SearchResult], maxRelevantLines: Int = 3) -> [SearchResult] {
        var kept: [SearchResult] = []
        var byFile: [FileKey: [Int]] = [:]
        var byContent: [ContentKey: Int] = [:]
        for result in results {
            let file = FileKey(path: result.path, revision: result.revision)
            if let index = byFile[file]?.first(where: { touches(kept[$0].lines, result.lines) }) {
                absorb(result, into: &kept[index], maxRelevantLines: maxRelevantLines)
                continue
            }
            let content = ContentKey(hash: result.contentHash, revision: result.revision)
            if let index = byContent[content], kept[index].path != result.path {
                var paths = kept[index].hit.otherPaths
                for path in [result.path] + result.otherPaths where path != kept[index].path && !paths.contains(path) {
                    paths.append(path)
                }
                kept[index].hit.otherPaths = paths
                continue
            }
            byFile[file, default: []].append(kept.count)
            if byContent[content] == nil { byContent[content] = kept.count }
            kept.append(result)
        }
        return kept
    }

    /// Whether two line ranges overlap or are adjacent.
    public static func touches(_ a: ClosedRange<Int>, _ b: ClosedRange<Int>) -> Bool {
        a.upperBound + 1 >= b.lowerBound && b.upperBound + 1 >= a.lowerBound
    }

    private static func absorb(_ other: SearchResult, into result: inout SearchResult, maxRelevantLines: Int) {
        if showsMemberInstead(result, other) {
            // A class (or module) header folding in one of its methods shows the
            // method: it is the more specific answer, and it keeps the class's rank.
            let rank = result.hit.score
            result.mergedChunkIDs.append(result.chunkID)
            result.hit = other.hit
            result.hit.score = rank
            result.relevantLines = other.relevantLines
        } else {
            result.mergedChunkIDs.append(other.chunkID)
        }
        result.lines = min(result.lines.lowerBound, other.lines.lowerBound)...max(result.lines.upperBound,
                                                                                 other.lines.upperBound)
        result.mergedChunkIDs.append(contentsOf: other.mergedChunkIDs)
        var lines = result.relevantLines
        for line in other.relevantLines where lines.count < maxRelevantLines && !lines.contains(line) {
            lines.append(line)
        }
        result.relevantLines = lines.sorted()
    }

    /// Whether `container` is a type, module or top-level chunk whose span
    /// holds the function `member`.
    static func showsMemberInstead(_ container: SearchResult, _ member: SearchResult) -> Bool {
        let outer = container.hit.chunk, inner = member.hit.chunk
        return [.type, .module, .toplevel].contains(outer.kind) && inner.kind == .function
            && outer.startLine <= inner.startLine && inner.endLine <= outer.endLine
    }

    private struct FileKey: Hashable {
        var path: String
        var revision: String
    }

    private struct ContentKey: Hashable {
        var hash: ContentHash
        var revision: String
    }
}
