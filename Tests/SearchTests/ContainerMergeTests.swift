import QuarryCore
import Store
import XCTest
@testable import Search

/// `ResultMerger` on hand-made lists (issue 10): distinct functions are never
/// folded together; a container stands aside for its best member; nothing
/// is shown twice.
final class ContainerMergeTests: XCTestCase {
    private func result(_ id: Int64, kind: ChunkKind, symbol: String, lines: ClosedRange<Int>,
                        score: Double, path: String = "Store.java") -> SearchResult {
        let text = "chunk \(id)"
        let chunk = Chunk(language: .java, kind: kind, symbol: symbol, startLine: lines.lowerBound,
                          endLine: lines.upperBound, startByte: 0, endByte: text.utf8.count, text: text)
        let hit = ChunkHit(chunkID: id, blobID: "b", path: path, otherPaths: [], revision: "HEAD",
                           chunk: chunk, contentHash: ContentHash(of: text), score: score)
        return SearchResult(hit: hit, relevantLines: [lines.lowerBound])
    }

    func testAdjacentAndNestedFunctionsAreAllShown() {
        let merged = ResultMerger.merge([
            result(1, kind: .function, symbol: "Store.open", lines: 1...5, score: 0.9),
            result(2, kind: .function, symbol: "Store.close", lines: 6...9, score: 0.5),
            result(3, kind: .function, symbol: "Store.open.retry", lines: 2...4, score: 0.4),
        ])
        XCTAssertEqual(merged.map(\.chunk.symbol), ["Store.open", "Store.close", "Store.open.retry"])
        XCTAssertEqual(merged.map(\.lines), [1...5, 6...9, 2...4], "no result is widened by another")
    }

    func testPiecesOfOneSplitFunctionJoin() {
        let merged = ResultMerger.merge([
            result(2, kind: .function, symbol: "Store.load", lines: 41...80, score: 0.9),
            result(7, kind: .function, symbol: "Store.save", lines: 90...95, score: 0.8),
            result(1, kind: .function, symbol: "Store.load", lines: 1...40, score: 0.7),
            result(3, kind: .function, symbol: "Store.load", lines: 81...89, score: 0.6),
        ])
        XCTAssertEqual(merged.map(\.chunkID), [2, 7])
        XCTAssertEqual(merged[0].lines, 1...89)
        XCTAssertEqual(merged[0].mergedChunkIDs, [1, 3])
        XCTAssertEqual(merged[0].relevantLines, [1, 41, 81])
    }

    func testWithoutMembersAContainerIsShownAsItself() {
        let merged = ResultMerger.merge([
            result(1, kind: .type, symbol: "shop.Store", lines: 6...22, score: 0.9),
            result(2, kind: .function, symbol: "shop.Store.connectDatabase", lines: 8...11, score: 0.5),
        ])
        XCTAssertEqual(merged.map(\.chunk.symbol), ["shop.Store", "shop.Store.connectDatabase"])
        XCTAssertEqual(merged[0].lines, 6...22)
        XCTAssertNil(merged[0].containerChunkID)
    }

    func testAContainerShowsItsBestMemberNotTheFirstListed() {
        // The class ranks first; its members by their own scores: flush (best), then connect.
        let members = [
            result(5, kind: .function, symbol: "shop.Store.flush", lines: 15...20, score: 0.8),
            result(2, kind: .function, symbol: "shop.Store.connect", lines: 8...11, score: 0.6),
        ]
        let merged = ResultMerger.merge([
            result(1, kind: .type, symbol: "shop.Store", lines: 6...22, score: 0.9),
            result(2, kind: .function, symbol: "shop.Store.connect", lines: 8...11, score: 0.5),
            result(5, kind: .function, symbol: "shop.Store.flush", lines: 15...20, score: 0.3),
        ]) { container in container.chunkID == 1 ? members : [] }
        XCTAssertEqual(merged.map(\.chunk.symbol), ["shop.Store.flush", "shop.Store.connect"],
                       "flush stands in for the class at its rank and is not shown again")
        XCTAssertEqual(merged[0].score, 0.9)
        XCTAssertEqual(merged[0].containerChunkID, 1)
        XCTAssertEqual(merged[0].lines, 15...20)
    }

    func testAMemberAlreadyShownAboveIsNotRepeated() {
        let members = [
            result(2, kind: .function, symbol: "shop.Store.connect", lines: 8...11, score: 0.6),
            result(5, kind: .function, symbol: "shop.Store.flush", lines: 15...20, score: 0.4),
        ]
        let merged = ResultMerger.merge([
            result(2, kind: .function, symbol: "shop.Store.connect", lines: 8...11, score: 0.95),
            result(1, kind: .type, symbol: "shop.Store", lines: 6...22, score: 0.9),
        ]) { container in container.chunkID == 1 ? members : [] }
        XCTAssertEqual(merged.map(\.chunk.symbol), ["shop.Store.connect", "shop.Store.flush"])
        // Every member shown already: the class itself.
        let alone = ResultMerger.merge([
            result(2, kind: .function, symbol: "shop.Store.connect", lines: 8...11, score: 0.95),
            result(1, kind: .type, symbol: "shop.Store", lines: 6...22, score: 0.9),
        ]) { container in container.chunkID == 1 ? Array(members.prefix(1)) : [] }
        XCTAssertEqual(alone.map(\.chunk.symbol), ["shop.Store.connect", "shop.Store"])
    }

    /// The shape issue 10 met in a logging library: a rotating file handler
    /// class, the next class touching it, then two of the first class's methods.
    func testRotatingHandlerShapeKeepsTheAnswer() {
        let members = [
            result(3, kind: .function, symbol: "RotatingFileHandler.__init__", lines: 124...158, score: 0.82,
                   path: "handlers.py"),
            result(4, kind: .function, symbol: "RotatingFileHandler.shouldRollover", lines: 183...200, score: 0.81,
                   path: "handlers.py"),
        ]
        let merged = ResultMerger.merge([
            result(1, kind: .type, symbol: "RotatingFileHandler", lines: 119...200, score: 0.85, path: "handlers.py"),
            result(2, kind: .type, symbol: "TimedRotatingFileHandler", lines: 202...453, score: 0.84, path: "handlers.py"),
            result(3, kind: .function, symbol: "RotatingFileHandler.__init__", lines: 124...158, score: 0.82,
                   path: "handlers.py"),
            result(4, kind: .function, symbol: "RotatingFileHandler.shouldRollover", lines: 183...200, score: 0.81,
                   path: "handlers.py"),
        ]) { container in container.chunkID == 1 ? members : [] }
        XCTAssertEqual(merged.map(\.chunk.symbol), [
            "RotatingFileHandler.__init__", "TimedRotatingFileHandler", "RotatingFileHandler.shouldRollover",
        ])
        XCTAssertEqual(merged.map(\.lines), [124...158, 202...453, 183...200])
    }
}
