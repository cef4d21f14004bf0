import QuarryCore
import Store
import XCTest
@testable import Search

/// A class header ranked above one of its own methods: the merged result
/// shows the method, at the class's rank.
final class ContainerMergeTests: XCTestCase {
    private func result(_ id: Int64, kind: ChunkKind, symbol: String, lines: ClosedRange<Int>,
                        score: Double) -> SearchResult {
        let text = "chunk \(id)"
        let chunk = Chunk(language: .java, kind: kind, symbol: symbol, startLine: lines.lowerBound,
                          endLine: lines.upperBound, startByte: 0, endByte: text.utf8.count, text: text)
        let hit = ChunkHit(chunkID: id, blobID: "b", path: "Store.java", otherPaths: [], revision: "HEAD",
                           chunk: chunk, contentHash: ContentHash(of: text), score: score)
        return SearchResult(hit: hit, relevantLines: [lines.lowerBound])
    }

    func testMethodInsideAHigherRankedClassIsShown() {
        let merged = ResultMerger.merge([
            result(1, kind: .type, symbol: "shop.Store", lines: 6...22, score: 0.9),
            result(2, kind: .function, symbol: "shop.Store.connectDatabase", lines: 8...11, score: 0.5),
        ])
        XCTAssertEqual(merged.count, 1)
        XCTAssertEqual(merged[0].hit.chunk.symbol, "shop.Store.connectDatabase")
        XCTAssertEqual(merged[0].hit.score, 0.9, "the class's rank is kept")
        XCTAssertEqual(merged[0].lines, 6...22)
        XCTAssertEqual(merged[0].mergedChunkIDs, [1])
    }

    func testNeighbouringFunctionsAndOuterFunctionsKeepTheirOwnChunk() {
        let neighbours = ResultMerger.merge([
            result(1, kind: .function, symbol: "a", lines: 1...5, score: 0.9),
            result(2, kind: .function, symbol: "b", lines: 6...9, score: 0.5),
        ])
        XCTAssertEqual(neighbours.map(\.hit.chunk.symbol), ["a"], "touching functions merge into the better one")
        let outside = ResultMerger.merge([
            result(1, kind: .type, symbol: "C", lines: 1...10, score: 0.9),
            result(2, kind: .function, symbol: "after", lines: 11...14, score: 0.5),
        ])
        XCTAssertEqual(outside.map(\.hit.chunk.symbol), ["C"], "a function merely touching the class does not replace it")
    }
}
