import Foundation
import XCTest

/// `--all-revs` names the commit where a function's own text first
/// appeared, not its file's: unchanged across an edit of its file, moved
/// to another file, deleted and restored (issue 14, deliverable 4).
final class FunctionHistoryTests: XCTestCase {
    func testFirstAppearanceFollowsTheFunctionsText() throws {
        let repository = try ScratchRepository()
        defer { repository.remove() }
        let alpha = "def alpha_settlement(ledger):\n    return sum(ledger)\n"
        let betaOne = "def beta_reconcile(ledger):\n    return len(ledger)\n"
        let betaTwo = "def beta_reconcile(ledger):\n    return len(set(ledger))\n"
        var commits: [String] = []
        func commit(_ message: String) throws {
            try repository.commitAll(message)
            commits.append(try repository.git("rev-parse", "HEAD").trimmingCharacters(in: .whitespacesAndNewlines))
        }
        try repository.write("a.py", alpha + "\n\n" + betaOne)
        try commit("alpha and beta")
        try repository.write("a.py", alpha + "\n\n" + betaTwo)
        try commit("edit beta only")
        try repository.write("a.py", betaTwo)
        try repository.write("b.py", alpha)
        try commit("move alpha to b.py")
        try repository.write("a.py", "X = 1\n")
        try commit("delete beta")
        try repository.write("a.py", betaTwo)
        try commit("restore beta")
        let index = try QuarryProcess.run(["index", repository.path, "--history", "5", "--no-embed"])
        XCTAssertEqual(index.status, 0, index.stderr)

        func versions(_ query: String, symbolSuffix: String) throws -> [[String: Any]] {
            let outcome = try QuarryProcess.run(["search", "--repo", repository.path, "--all-revs", "--mode", "lexical",
                                                 "--json", "-k", "20", query])
            XCTAssertEqual(outcome.status, 0, outcome.stderr)
            return outcome.jsonLines.filter { ($0["symbol"] as? String)?.hasSuffix(symbolSuffix) == true }
        }
        func firstCommit(_ hit: [String: Any]) -> String? { (hit["first_commit"] as? [String: Any])?["id"] as? String }

        // alpha's text never changed: first in commit 1, through the edit of a.py and the move to b.py.
        let alphas = try versions("alpha settlement", symbolSuffix: "alpha_settlement")
        XCTAssertFalse(alphas.isEmpty)
        XCTAssertTrue(alphas.allSatisfy { firstCommit($0) == commits[0] }, "\(alphas)")
        // beta's second text first appeared in commit 2; deleted in 4 and restored in 5, it still did.
        let betas = try versions("beta reconcile", symbolSuffix: "beta_reconcile")
        let second = try XCTUnwrap(betas.first { ($0["text"] as? String)?.contains("set(") == true })
        XCTAssertEqual(firstCommit(second), commits[1])
        XCTAssertEqual(second["last_rev"] as? String, "HEAD")
        let firstText = try XCTUnwrap(betas.first { ($0["text"] as? String)?.contains("set(") == false })
        XCTAssertEqual(firstCommit(firstText), commits[0])
        XCTAssertEqual(firstText["last_rev"] as? String, String(commits[0].prefix(12)))

        // --changes: beta appeared (1), changed (2), was deleted (4) and restored (5); moving alpha changed
        // its module, so its symbol is new in commit 3.
        let changes = try QuarryProcess.run(["search", "--repo", repository.path, "--all-revs", "--changes",
                                             "--mode", "lexical", "--json", "beta reconcile"])
        let listed = try XCTUnwrap(changes.jsonLines.first { ($0["symbol"] as? String) == "a.beta_reconcile" })
        let ids = (listed["changes"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
        XCTAssertEqual(ids, [commits[0], commits[1], commits[3], commits[4]])
        let human = try QuarryProcess.run(["search", "--repo", repository.path, "--all-revs", "--changes",
                                           "--mode", "lexical", "-k", "1", "beta reconcile"])
        XCTAssertTrue(human.stdout.contains("  changed in \(commits[3].prefix(12))"), human.stdout)
        let alone = try QuarryProcess.run(["search", "--repo", repository.path, "--changes", "beta"])
        XCTAssertEqual(alone.status, 2)
        XCTAssertTrue(alone.stderr.contains("--all-revs"), alone.stderr)
    }
}
