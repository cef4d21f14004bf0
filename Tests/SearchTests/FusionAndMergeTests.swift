import QuarryCore
import Store
import XCTest
@testable import Search
import TestSupport

final class FusionAndMergeTests: XCTestCase {
    private func hit(_ id: Int64, path: String = "a.py", lines: ClosedRange<Int> = 1...5, text: String? = nil,
                     otherPaths: [String] = [], score: Double = 0, symbol: String? = nil) -> ChunkHit {
        let body = text ?? "chunk \(id)"
        let chunk = Chunk(language: .python, kind: .function, symbol: symbol ?? "s\(id)", startLine: lines.lowerBound,
                          endLine: lines.upperBound, startByte: 0, endByte: body.utf8.count, text: body)
        return ChunkHit(chunkID: id, blobID: "b", path: path, otherPaths: otherPaths, revision: "HEAD", chunk: chunk,
                        contentHash: ContentHash(of: body), score: score)
    }

    func testReciprocalRankFusionScoresAndOrder() {
        let lexical = [hit(1), hit(2), hit(3)]
        let semantic = [hit(3), hit(4), hit(1)]
        let fused = ReciprocalRankFusion(k: 60).fuse([lexical, semantic])
        let score = Dictionary(uniqueKeysWithValues: fused.map { ($0.chunkID, $0.score) })
        XCTAssertEqual(score[1]!, 1.0 / 61 + 1.0 / 63, accuracy: 1e-15)
        XCTAssertEqual(score[3]!, 1.0 / 63 + 1.0 / 61, accuracy: 1e-15)
        XCTAssertEqual(score[2]!, 1.0 / 62, accuracy: 1e-15)
        XCTAssertEqual(score[4]!, 1.0 / 62, accuracy: 1e-15)
        // 1 and 3 tie on score and best rank: the lower id wins; 2 and 4 also tie: the earlier ranking's wins.
        XCTAssertEqual(fused.map(\.chunkID), [1, 3, 2, 4])
    }

    func testSmallKFavoursTopRanksAndLargeKFavoursAgreement() {
        // Chunk 1 is first lexically only; chunk 2 is third in both rankings.
        let lexical = [hit(1), hit(5), hit(2)]
        let semantic = [hit(6), hit(7), hit(2)]
        XCTAssertEqual(ReciprocalRankFusion(k: 0).fuse([lexical, semantic]).first?.chunkID, 1)    // 1 > 2/3
        XCTAssertEqual(ReciprocalRankFusion(k: 60).fuse([lexical, semantic]).first?.chunkID, 2)   // 2/63 > 1/61
        XCTAssertEqual(ReciprocalRankFusion().fuse([]), [])
        // A chunk repeated inside one ranking counts once, at its best rank.
        let once = ReciprocalRankFusion(k: 10).fuse([[hit(9), hit(9)]])
        XCTAssertEqual(once.map(\.chunkID), [9])
        XCTAssertEqual(once[0].score, 1.0 / 11, accuracy: 1e-15)
    }

    func testWeightsScaleEachRankingsContribution() {
        let lexical = [hit(1), hit(2)]
        let semantic = [hit(2), hit(1)]
        let fused = ReciprocalRankFusion(k: 60, weights: [0.25]).fuse([lexical, semantic])
        // Only the first ranking is weighted: 2 gets 1/61 + 0.25/62, 1 gets 0.25/61 + 1/62.
        XCTAssertEqual(fused.map(\.chunkID), [2, 1])
        XCTAssertEqual(fused[0].score, 1.0 / 61 + 0.25 / 62, accuracy: 1e-15)
        XCTAssertEqual(fused[1].score, 0.25 / 61 + 1.0 / 62, accuracy: 1e-15)
        // Weight 0 leaves the second ranking's order.
        XCTAssertEqual(ReciprocalRankFusion(k: 60, weights: [0, 1]).fuse([[hit(3), hit(4)], [hit(4)]]).map(\.chunkID), [4, 3])
    }

    func testKeywordsWeighMoreWhileVectorsCoverPartOfTheTexts() {
        let fusion = ReciprocalRankFusion.hybridDefault
        XCTAssertEqual(fusion.coveringPart(1), fusion)
        XCTAssertEqual(fusion.coveringPart(0).weights, [1, 1], "nothing embedded: keywords weigh as much as meaning")
        XCTAssertEqual(fusion.coveringPart(0.5).weights[0], 0.6, accuracy: 1e-12)
        XCTAssertEqual(fusion.coveringPart(-3).weights, [1, 1], "out-of-range coverage is clamped")
        // A keyword-only hit ranked first now beats a vector-only hit ranked second.
        let lexicalOnly = [hit(7)], semanticOnly = [hit(8), hit(9)]
        XCTAssertEqual(fusion.fuse([lexicalOnly, semanticOnly]).map(\.chunkID), [8, 9, 7])
        XCTAssertEqual(fusion.coveringPart(0.1).fuse([lexicalOnly, semanticOnly]).map(\.chunkID), [8, 7, 9])
    }

    func testOverlappingAndTouchingPiecesOfOneDefinitionMerge() {
        let results = [
            hit(1, lines: 10...20, symbol: "f"), hit(2, path: "b.py", lines: 10...20, symbol: "f"),
            hit(3, lines: 21...30, symbol: "f"), hit(4, lines: 15...18, symbol: "f"), hit(5, lines: 32...40, symbol: "f"),
            hit(6, lines: 1...8, symbol: "f"), hit(7, lines: 31...31, symbol: "g"),
        ].map { SearchResult(hit: $0, relevantLines: [$0.chunk.startLine]) }
        let merged = ResultMerger.merge(results)
        // 3 touches 1 (20/21), 4 lies inside 1; 5 leaves a gap (31) after the widened 10...30, 6 a gap (9);
        // 7 touches both 1 and 5 but is another function, so it stays and joins nothing.
        XCTAssertEqual(merged.map(\.chunkID), [1, 2, 5, 6, 7])
        XCTAssertEqual(merged[0].lines, 10...30)
        XCTAssertEqual(merged[0].mergedChunkIDs, [3, 4])
        XCTAssertEqual(merged[0].chunk.text, "chunk 1")
        XCTAssertEqual(merged[0].relevantLines, [10, 15, 21])
        XCTAssertEqual(merged[1].lines, 10...20)
        XCTAssertEqual(merged[2].lines, 32...40)
        XCTAssertTrue(ResultMerger.touches(1...5, 6...9))
        XCTAssertFalse(ResultMerger.touches(1...5, 7...9))
        XCTAssertTrue(ResultMerger.touches(7...9, 1...7))
    }

    func testIdenticalTextAtOtherPathsIsShownOnce() {
        let results = [
            hit(1, path: "src/a.py", text: "def f(): pass", otherPaths: ["vendor/a.py"]),
            hit(2, path: "src/b.py"),
            hit(3, path: "lib/c.py", lines: 50...60, text: "def f(): pass", otherPaths: ["vendor/a.py", "x/c.py"]),
            hit(4, path: "src/a.py", lines: 100...110, text: "def f(): pass"),
        ].map { SearchResult(hit: $0, relevantLines: []) }
        let merged = ResultMerger.merge(results)
        // 4 is the same text in the same file, far away: it stays its own result.
        XCTAssertEqual(merged.map(\.chunkID), [1, 2, 4])
        XCTAssertEqual(merged[0].otherPaths, ["vendor/a.py", "lib/c.py", "x/c.py"])
        XCTAssertEqual(merged[0].lines, 1...5)
    }

    func testTopKKeepsTheBestInOrderWithStableTies() {
        var top = TopK(capacity: 3)
        for (i, score) in [0.5, 0.9, 0.1, 0.9, 0.7, 0.3].enumerated() { top.offer(Float(score), Int32(i)) }
        XCTAssertEqual(top.sorted().map(\.index), [1, 3, 4])
        var none = TopK(capacity: 0)
        none.offer(1, 0)
        XCTAssertEqual(none.count, 0)
        // Against a full sort on random data.
        var generator = SeededGenerator(seed: 11)
        let scores = (0..<1000).map { _ in Float(Int.random(in: 0..<50, using: &generator)) }
        var many = TopK(capacity: 25)
        for (i, s) in scores.enumerated() { many.offer(s, Int32(i)) }
        let expected = scores.enumerated().sorted { $0.element != $1.element ? $0.element > $1.element : $0.offset < $1.offset }
        XCTAssertEqual(many.sorted().map { Int($0.index) }, expected.prefix(25).map(\.offset))
    }
}
