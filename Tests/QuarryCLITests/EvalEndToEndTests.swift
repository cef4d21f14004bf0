import Foundation
import XCTest

/// `quarry eval` through the whole pipeline on a five-function CoSQA-shaped
/// data set: the corpus must be indexed and embedded, and each query's
/// function found first.
final class EvalEndToEndTests: XCTestCase {
    func testTinyCorpusIsIndexedEmbeddedAndScored() throws {
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("quarry-eval-data-\(UUID())")
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: data) }
        let functions = [
            "def read_json(path):\n    import json\n    with open(path) as f:\n        return json.load(f)": 0,
            "def send_mail(host, to, body):\n    import smtplib\n    smtplib.SMTP(host).sendmail('me', to, body)": 1,
            "def reverse_string(s):\n    return s[::-1]": 2,
            "def square_root(x):\n    import math\n    return math.sqrt(x)": 3,
            "def list_files(directory):\n    import os\n    return os.listdir(directory)": 4,
        ]
        try JSONSerialization.data(withJSONObject: functions).write(to: data.appendingPathComponent("code_idx_map.txt"))
        let queries: [[String: Any]] = [
            ["doc": "python load json file", "retrieval_idx": 0, "label": 1],
            ["doc": "python reverse a string", "retrieval_idx": 2, "label": 1],
            ["doc": "python list files in directory", "retrieval_idx": 4, "label": 1],
        ]
        try JSONSerialization.data(withJSONObject: queries)
            .write(to: data.appendingPathComponent("cosqa-retrieval-dev-500.json"))

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
