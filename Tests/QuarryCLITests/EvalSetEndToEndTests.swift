import Foundation
import XCTest
@testable import QuarryCLI
import Store

/// `quarry eval --set` through the whole pipeline on `TinyEvalSet`: its
/// package is unpacked, committed, indexed, embedded, and each question
/// searched in two languages.
final class EvalSetEndToEndTests: XCTestCase {
    func testTinySetIsRebuiltIndexedAndScored() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("quarry-evalset-e2e-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let fm = FileManager.default
        // A QUARRY_HOME of its own for the download cache; grammars and models are the installed ones.
        let installed = ProcessInfo.processInfo.environment["QUARRY_HOME"] ?? NSHomeDirectory() + "/.cache/quarry"
        try fm.createDirectory(atPath: root + "/home/downloads", withIntermediateDirectories: true)
        for name in ["grammars", "models"] {
            try fm.createSymbolicLink(atPath: root + "/home/" + name, withDestinationPath: installed + "/" + name)
        }
        let set = try TinyEvalSet.build(in: root, downloads: root + "/home/downloads", mailSymbol: "mail.send_mail")
        let environment = ["QUARRY_HOME": root + "/home"]
        let arguments = ["eval", "--set", set, "--work", root + "/work", "--json"]

        let wrong = try QuarryProcess.run(arguments, environment: environment)
        XCTAssertEqual(wrong.status, 2)
        XCTAssertTrue(wrong.stderr.contains("1 answers are not chunks: tiny-2: no chunk mail.send_mail in mail.py"),
                      wrong.stderr)

        try TinyEvalSet.writeQuestions(in: set, mailSymbol: "mail.send_email")
        let outcome = try QuarryProcess.run(arguments + ["--details"], environment: environment)
        XCTAssertEqual(outcome.status, 0, outcome.stderr)
        let report = try XCTUnwrap(outcome.jsonLines.first)
        XCTAssertEqual(report["set"] as? String, "tiny")
        let repositories = try XCTUnwrap(report["repositories"] as? [[String: Any]])
        XCTAssertEqual(repositories.first?["files"] as? Int, 3, "the key file is committed as shipped")
        let splits = try XCTUnwrap(report["splits"] as? [String: Any])
        for split in ["dev", "test"] {
            let entry = try XCTUnwrap(splits[split] as? [String: Any], split)
            XCTAssertEqual(entry["questions"] as? Int, 1)
            for mode in ["semantic", "hybrid"] {
                let scores = try XCTUnwrap(entry[mode] as? [String: Any], "\(split) \(mode)")
                let all = try XCTUnwrap(scores["all"] as? [String: Any])
                XCTAssertEqual(all["queries"] as? Int, 2)
                XCTAssertEqual(all["hit@5"] as? Double, 100, "\(split) \(mode): \(scores)")
                XCTAssertNotNil((scores["languages"] as? [String: Any])?["zh"])
                XCTAssertNotNil((scores["code_languages"] as? [String: Any])?["python"])
                XCTAssertNotNil(scores["noise_top10"] as? Int)
            }
        }
        // One detail line per split, mode, question and language.
        XCTAssertEqual(outcome.jsonLines.count, 1 + 2 * 3 * 1 * 2)
        XCTAssertEqual(Set(outcome.jsonLines.dropFirst().compactMap { $0["id"] as? String }), ["tiny-1", "tiny-2"])
    }
}
