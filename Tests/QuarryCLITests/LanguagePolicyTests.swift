import Chunker
import Foundation
import XCTest

/// An index built before a language had a grammar, or without
/// `--include-generated`, is brought in line by the next run: line windows of
/// a language whose grammar is now built become functions, and vendored or
/// generated files come in or go out with the switch (issue 14).
final class LanguagePolicyTests: XCTestCase {
    func testNewGrammarsAndTheGeneratedSwitchReclassifyStoredBlobs() throws {
        let grammars = GrammarRegistry.defaultDirectory()
        guard GrammarRegistry.listedLanguages(directory: grammars).contains(.swift) else {
            throw XCTSkip("no Swift grammar in \(grammars); run Grammars/build.sh")
        }
        let repository = try ScratchRepository()
        defer { repository.remove() }
        try repository.write("Sources/Session.swift", """
            /// Opens a session for a user.
            func openSession(for user: String) -> String {
                return "session-" + user
            }
            """)
        try repository.write("web/node_modules/pad/index.js", "function padSession(s) { return ' ' + s; }\n")
        try repository.write("web/session.min.js", "function minSession(){return 1}\n")
        try repository.commitAll()

        // The grammar directory of an older set-up: every grammar but Swift's.
        let older = repository.path + "-grammars"
        try FileManager.default.createDirectory(atPath: older, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: older) }
        let manifest = try XCTUnwrap(JSONSerialization.jsonObject(
            with: Data(contentsOf: URL(fileURLWithPath: grammars + "/manifest.json"))) as? [String: Any])
        let entries = try XCTUnwrap(manifest["grammars"] as? [[String: Any]]).filter { ($0["language"] as? String) != "swift" }
            .map { entry -> [String: Any] in
                var entry = entry
                for key in ["library", "query"] { entry[key] = (entry[key] as? String).map { grammars + "/" + $0 } }
                return entry
            }
        try JSONSerialization.data(withJSONObject: ["grammars": entries]).write(to: URL(fileURLWithPath: older + "/manifest.json"))

        let first = try QuarryProcess.run(["index", repository.path, "--no-embed", "--json"],
                                          environment: ["QUARRY_GRAMMARS": older])
        XCTAssertEqual(first.status, 0, first.stderr)
        let skipped = try XCTUnwrap(first.jsonLines.first?["skipped"] as? [String: Int])
        XCTAssertEqual(skipped["vendored"], 1)
        XCTAssertEqual(skipped["generated"], 1)
        XCTAssertEqual(try kinds(repository, "openSession"), ["lines"])

        let second = try QuarryProcess.run(["index", repository.path, "--no-embed", "--include-generated", "--json"],
                                           environment: ["QUARRY_GRAMMARS": grammars])
        XCTAssertEqual(second.status, 0, second.stderr)
        XCTAssertEqual(second.jsonLines.first?["reclassified_blobs"] as? Int, 3)
        XCTAssertEqual(try kinds(repository, "openSession"), ["function"])
        XCTAssertEqual(try kinds(repository, "padSession"), ["function"])

        let third = try QuarryProcess.run(["index", repository.path, "--no-embed", "--json"],
                                          environment: ["QUARRY_GRAMMARS": grammars])
        XCTAssertEqual(third.jsonLines.first?["reclassified_blobs"] as? Int, 2, "vendored and generated go out again")
        XCTAssertEqual(try kinds(repository, "padSession"), [])
        XCTAssertEqual(try kinds(repository, "openSession"), ["function"])
    }

    /// The kinds of the lexical hits for `symbol` that it names.
    private func kinds(_ repository: ScratchRepository, _ symbol: String) throws -> [String] {
        let outcome = try QuarryProcess.run(["search", "--repo", repository.path, "--mode", "lexical", "--json", symbol])
        XCTAssertLessThanOrEqual(outcome.status, 1, outcome.stderr)
        return outcome.jsonLines.filter { ($0["text"] as? String ?? "").contains(symbol) }.compactMap { $0["kind"] as? String }
    }
}
