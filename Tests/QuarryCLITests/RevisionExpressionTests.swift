import Foundation
import XCTest

/// `--rev` takes any git revision expression and finds the indexed revision
/// at that commit whatever name it is stored under; a commit the index lacks
/// is named with the indexed revisions nearest it (issue 14, deliverable 4).
final class RevisionExpressionTests: XCTestCase {
    func testGitExpressionsResolveToIndexedCommits() throws {
        let repository = try ScratchRepository()
        defer { repository.remove() }
        for n in 1...5 {
            try repository.write("src/step\(n).py", "def step_\(n)():\n    return \(n)\n")
            try repository.commitAll("step \(n)")
        }
        try repository.git("tag", "v-three", "HEAD~2")
        let index = try QuarryProcess.run(["index", repository.path, "--history", "3", "--no-embed"])
        XCTAssertEqual(index.status, 0, index.stderr)

        func search(_ revision: String) throws -> QuarryProcess.Outcome {
            try QuarryProcess.run(["search", "--repo", repository.path, "--rev", revision, "--mode", "lexical",
                                   "--json", "step"])
        }
        // HEAD~2 is stored under its short id; the tag, the full id and the expression all reach it.
        let stored = try shortID(repository, "HEAD~2")
        let full = try repository.git("rev-parse", "HEAD~2").trimmingCharacters(in: .whitespacesAndNewlines)
        for expression in ["HEAD~2", "v-three", full, String(full.prefix(8)), "main~2"] {
            let outcome = try search(expression)
            XCTAssertEqual(outcome.status, 0, "\(expression): \(outcome.stderr)")
            XCTAssertEqual(Set(outcome.jsonLines.compactMap { $0["rev"] as? String }), [stored], expression)
            XCTAssertFalse(outcome.jsonLines.contains { ($0["path"] as? String) == "src/step4.py" },
                           "\(expression) is the tree of step 3")
        }
        let missing = try search("HEAD~4")
        XCTAssertEqual(missing.status, 2)
        XCTAssertTrue(missing.stderr.contains("(HEAD~4) is not indexed; nearest indexed revisions: \(stored) (2 commits after)"),
                      missing.stderr)
        XCTAssertEqual(missing.stderr.split(separator: "\n").count, 1, missing.stderr)
        let unknown = try search("no-such-ref")
        XCTAssertEqual(unknown.status, 2)
        XCTAssertTrue(unknown.stderr.contains("no revision named no-such-ref"), unknown.stderr)
    }

    private func shortID(_ repository: ScratchRepository, _ revision: String) throws -> String {
        String(try repository.git("rev-parse", revision).trimmingCharacters(in: .whitespacesAndNewlines).prefix(12))
    }
}
