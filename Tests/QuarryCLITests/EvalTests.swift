import Foundation
import GitSource
import QuarryCore
import Store
import XCTest
@testable import QuarryCLI
@testable import Search

/// `quarry eval`'s pieces that need no model: metrics, data loading, ranks,
/// and the generated repository.
final class EvalTests: XCTestCase {
    private var directory = ""

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("quarry-eval-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory + "/data", withIntermediateDirectories: true)
        addTeardownBlock { [directory] in try? FileManager.default.removeItem(atPath: directory) }
        let corpus = ["def a():\n    return 1": 0, "def b(x):\n    return x\n": 1, "class C:\n    pass": 2]
        try JSONSerialization.data(withJSONObject: corpus).write(to: URL(fileURLWithPath: directory + "/data/code_idx_map.txt"))
        let dev: [[String: Any]] = [["doc": "return one", "retrieval_idx": 0, "label": 1],
                                    ["doc": "identity", "retrieval_idx": 1, "label": 1]]
        try JSONSerialization.data(withJSONObject: dev)
            .write(to: URL(fileURLWithPath: directory + "/data/cosqa-retrieval-dev-500.json"))
    }

    func testMetricsWithOneRelevantItemPerQuery() {
        let metrics = RetrievalMetrics(ranks: [1, 2, 4, 11, nil])
        XCTAssertEqual(metrics.queries, 5)
        XCTAssertEqual(metrics.mrr, 100 * (1 + 0.5 + 0.25 + 1.0 / 11) / 5, accuracy: 1e-9)
        XCTAssertEqual(metrics.ndcg10, 100 * (1 + 1 / log2(3.0) + 1 / log2(5.0)) / 5, accuracy: 1e-9)
        XCTAssertEqual(metrics.recall1, 20, accuracy: 1e-9)
        XCTAssertEqual(metrics.recall5, 60, accuracy: 1e-9)
        XCTAssertEqual(metrics.recall10, 60, accuracy: 1e-9)
        XCTAssertEqual(RetrievalMetrics(ranks: []).mrr, 0)
    }

    func testCorpusQueriesAndMissingFiles() throws {
        let corpus = try EvalCorpus(directory: directory + "/data")
        XCTAssertEqual(corpus.functions.map(\.id), [0, 1, 2])
        XCTAssertEqual(corpus.digest.count, 64)
        let queries = try corpus.queries(split: "dev")
        XCTAssertEqual(queries.map(\.text), ["return one", "identity"])
        XCTAssertEqual(queries.map(\.relevantID), [0, 1])
        XCTAssertThrowsError(try corpus.queries(split: "test")) { error in
            XCTAssertTrue("\(error)".hasPrefix("no CoSQA test queries at "))
        }
        XCTAssertThrowsError(try EvalCorpus(directory: directory + "/absent"))
    }

    func testRankCountsAnyPathOfAResult() {
        func result(_ path: String, _ others: [String] = []) -> SearchResult {
            let chunk = Chunk(language: .python, kind: .function, symbol: "", startLine: 1, endLine: 1,
                              startByte: 0, endByte: 1, text: path)
            return SearchResult(hit: ChunkHit(chunkID: 1, blobID: "b", path: path, otherPaths: others, revision: "HEAD",
                                              chunk: chunk, contentHash: ContentHash(of: path), score: 0),
                                relevantLines: [])
        }
        let results = [result("f/3.py"), result("f/5.py", ["f/7.py"]), result("f/7.py")]
        XCTAssertEqual(EvalCorpus.rank(of: 3, in: results), 1)
        XCTAssertEqual(EvalCorpus.rank(of: 7, in: results), 2)
        XCTAssertNil(EvalCorpus.rank(of: 30, in: results))
    }

    func testGeneratedRepositoryHoldsOneFilePerFunctionAndIsReused() throws {
        let corpus = try EvalCorpus(directory: directory + "/data")
        let path = try corpus.materialize(in: directory + "/work")
        let repository = try GitRepository(discoveringFrom: path)
        let commit = try repository.resolveCommit("HEAD")
        let entries = try repository.treeEntries(of: commit).sorted { $0.path < $1.path }
        XCTAssertEqual(entries.map(\.path), ["f/0.py", "f/1.py", "f/2.py"])
        XCTAssertEqual(String(decoding: try repository.blobContents(entries[0].blobID), as: UTF8.self),
                       "def a():\n    return 1\n")
        XCTAssertEqual(String(decoding: try repository.blobContents(entries[1].blobID), as: UTF8.self),
                       "def b(x):\n    return x\n")
        // Same corpus: the repository (and its commit) is kept.
        XCTAssertEqual(try corpus.materialize(in: directory + "/work"), path)
        XCTAssertEqual(try GitRepository(discoveringFrom: path).resolveCommit("HEAD").id, commit.id)
    }
}
