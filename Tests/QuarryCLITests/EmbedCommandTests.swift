import Foundation
import XCTest

/// `quarry embed` with the default model installed by scripts/setup.sh.
final class EmbedCommandTests: XCTestCase {
    private func embed(_ input: String, _ arguments: [String] = []) throws -> QuarryProcess.Outcome {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("embed-\(UUID()).txt")
        try input.write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        return try QuarryProcess.run(["embed"] + arguments, stdinFile: file)
    }

    private func vectors(_ outcome: QuarryProcess.Outcome) -> [[Double]] {
        outcome.stdout.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [Double]
        }
    }

    private func dot(_ a: [Double], _ b: [Double]) -> Double { zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } }

    func testOneNormalisedVectorPerLineInOrder() throws {
        let passages = [
            "def read_file(path):\n    with open(path) as f:\n        return f.read()",
            "SELECT name FROM users WHERE id = 1",
            "func add(a, b int) int { return a + b }",
        ]
        let jsonl = try passages.map {
            String(decoding: try JSONSerialization.data(withJSONObject: ["text": $0]), as: UTF8.self)
        }
        let outcome = try embed(jsonl.joined(separator: "\n") + "\n")
        XCTAssertEqual(outcome.status, 0, outcome.stderr)
        let passageVectors = vectors(outcome)
        XCTAssertEqual(passageVectors.count, 3)
        for vector in passageVectors {
            XCTAssertEqual(vector.count, 384)
            XCTAssertEqual(dot(vector, vector), 1, accuracy: 1e-4)
        }
        let query = vectors(try embed("how do I read a whole file into a string\n", ["--query"]))
        XCTAssertEqual(query.count, 1)
        let scores = passageVectors.map { dot(query[0], $0) }
        XCTAssertEqual(scores.firstIndex(of: scores.max()!), 0, "the file-reading function answers best: \(scores)")
    }

    func testMatryoshkaDimensionAndPrefixSides() throws {
        let text = "parse the configuration file\n"
        let short = vectors(try embed(text, ["--dim", "128"]))
        XCTAssertEqual(short.first?.count, 128)
        XCTAssertEqual(dot(short[0], short[0]), 1, accuracy: 1e-4)
        let passage = vectors(try embed(text))[0]
        let query = vectors(try embed(text, ["--query"]))[0]
        XCTAssertLessThan(dot(passage, query), 0.999, "query: and passage: prefixes give different vectors")
    }

    func testBadInputIsAClearError() throws {
        let invalid = try embed("{not json\n")
        XCTAssertEqual(invalid.status, 2)
        XCTAssertEqual(invalid.stderr, "quarry: stdin line 1: invalid JSON\n")
        let noText = try embed("{\"body\": \"x\"}\n")
        XCTAssertEqual(noText.status, 2)
        XCTAssertTrue(noText.stderr.contains("no string \"text\""), noText.stderr)
        let tooWide = try embed("x\n", ["--dim", "9999"])
        XCTAssertEqual(tooWide.status, 2)
        let empty = try embed("")
        XCTAssertEqual(empty.status, 0)
        XCTAssertEqual(empty.stdout, "")
        let missingModel = try embed("x\n", ["--model", "no-such-model"])
        XCTAssertEqual(missingModel.status, 2)
        XCTAssertTrue(missingModel.stderr.contains("no model 'no-such-model'"), missingModel.stderr)
    }
}
