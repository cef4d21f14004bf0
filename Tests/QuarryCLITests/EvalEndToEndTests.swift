import Foundation
import XCTest

/// `quarry eval` through the whole pipeline on a five-function CoSQA-shaped
/// data set: the corpus must be indexed and embedded, and each query's
/// function found first.
final class EvalEndToEndTests: XCTestCase {
    func testTinyCorpusIsIndexedEmbeddedAndScored() throws {
        let parent = FileManager.default.temporaryDirectory.appendingPathComponent("quarry-eval-data-\(UUID())")
        defer { try? FileManager.default.removeItem(at: parent) }
        let data = EvalFixture.directory(in: parent)

        let outcome = try QuarryProcess.run(["eval", "--data", data.path, "--split", "dev", "--json"])
        XCTAssertEqual(outcome.status, 0, outcome.stderr)
        let report = try XCTUnwrap(outcome.jsonLines.first)
        XCTAssertEqual(report["functions"] as? Int, 5)
        XCTAssertEqual(report["chunks"] as? Int, 5, "every function indexed as one chunk")
        let dev = try XCTUnwrap((report["splits"] as? [String: Any])?["dev"] as? [String: Any])
        for mode in ["lexical", "semantic", "hybrid"] {
            let metrics = try XCTUnwrap(dev[mode] as? [String: Any], "\(mode) in \(dev)")
            let mrr = try XCTUnwrap(metrics["mrr"] as? Double, "\(metrics)")
            XCTAssertGreaterThan(mrr, 80, "\(mode): each query's function ranks first or second")
        }
    }
}
