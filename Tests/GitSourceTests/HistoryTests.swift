import Foundation
import XCTest
@testable import GitSource

final class HistoryTests: XCTestCase {
    private var fixture: GitFixture!
    /// Commit ids on main's first-parent line, oldest first.
    private var mainLine: [String] = []
    private var featureCommit = ""

    /// main: c1 (Jan) - c2 (Feb) - c3 (Mar) - merge (May) of feature (Apr, off c3).
    override func setUpWithError() throws {
        fixture = try GitFixture()
        try fixture.initRepository("repo")
        try fixture.write("repo/keep.py", "x = 1\n")
        try fixture.write("repo/old.py", "y = 2\n")
        try fixture.write("repo/gone.go", "package gone\n")
        mainLine.append(try fixture.commitAll("repo", message: "c1", date: "2024-01-01T00:00:00Z"))
        try fixture.write("repo/keep.py", "x = 10\n")
        try fixture.write("repo/pkg/new.c", "int n;\n")
        try fixture.git(["mv", "old.py", "renamed.py"], in: "repo")
        try FileManager.default.removeItem(atPath: fixture.path("repo/gone.go"))
        mainLine.append(try fixture.commitAll("repo", message: "c2", date: "2024-02-01T00:00:00Z"))
        try fixture.write("repo/keep.py", "x = 100\n")
        mainLine.append(try fixture.commitAll("repo", message: "c3", date: "2024-03-01T00:00:00Z"))
        try fixture.git(["checkout", "-q", "-b", "feature/x"], in: "repo")
        try fixture.write("repo/feature.rb", "puts 1\n")
        featureCommit = try fixture.commitAll("repo", message: "feature", date: "2024-04-01T00:00:00Z")
        try fixture.git(["checkout", "-q", "main"], in: "repo")
        try fixture.git(["merge", "-q", "--no-ff", "-m", "merge feature", "feature/x"], in: "repo",
                        date: "2024-05-01T00:00:00Z")
        mainLine.append(try fixture.revParse("HEAD", in: "repo"))
        try fixture.git(["tag", "v1", mainLine[1]], in: "repo")
        try fixture.git(["tag", "-a", "v2", "-m", "release", mainLine[2]], in: "repo", date: "2024-03-02T00:00:00Z")
        try fixture.git(["tag", "tree-tag", "\(mainLine[0])^{tree}"], in: "repo")
    }

    override func tearDown() {
        fixture = nil
    }

    private func date(_ text: String) throws -> Date {
        try XCTUnwrap(ISO8601DateFormatter().date(from: text))
    }

    func testListsBranchesAndPeeledTags() throws {
        let repository = try GitRepository(discoveringFrom: fixture.path("repo"))
        XCTAssertEqual(try repository.branches(), [
            GitReference(name: "feature/x", fullName: "refs/heads/feature/x", commitID: featureCommit),
            GitReference(name: "main", fullName: "refs/heads/main", commitID: mainLine[3]),
        ])
        // The tag of a tree names no commit and is left out.
        XCTAssertEqual(try repository.tags(), [
            GitReference(name: "v1", fullName: "refs/tags/v1", commitID: mainLine[1]),
            GitReference(name: "v2", fullName: "refs/tags/v2", commitID: mainLine[2]),
        ])
    }

    func testFirstParentHistoryWithLimitAndSince() throws {
        let repository = try GitRepository(discoveringFrom: fixture.path("repo"))
        let all = try repository.firstParentHistory()
        XCTAssertEqual(all.map(\.id), mainLine.reversed(), "the feature commit is not on the first-parent line")
        XCTAssertEqual(all.first?.parents, [mainLine[2], featureCommit])
        XCTAssertEqual(try repository.firstParentHistory(limit: 2).map(\.id), [mainLine[3], mainLine[2]])
        XCTAssertEqual(try repository.firstParentHistory(limit: 0), [])
        XCTAssertEqual(try repository.firstParentHistory(since: date("2024-02-01T00:00:00Z")).map(\.subject),
                       ["merge feature", "c3", "c2"])
        XCTAssertEqual(try repository.firstParentHistory(from: "feature/x", limit: 10, since: date("2024-01-15T00:00:00Z"))
                        .map(\.subject), ["feature", "c3", "c2"])
        XCTAssertEqual(try repository.firstParentHistory(from: "v1").map(\.subject), ["c2", "c1"])
    }

    func testTreeChangesReportAddModifyDeleteAndRenameAsPair() throws {
        let repository = try GitRepository(discoveringFrom: fixture.path("repo"))
        let first = try repository.resolveCommit(mainLine[0])
        let second = try repository.resolveCommit(mainLine[1])
        let changes = try repository.changes(from: first, to: second)
        let summary = Dictionary(uniqueKeysWithValues: changes.map { ($0.path, $0.kind) })
        XCTAssertEqual(summary, [
            "keep.py": .modified, "pkg/new.c": .added, "old.py": .deleted,
            "renamed.py": .added, "gone.go": .deleted,
        ])
        for change in changes {
            if let new = change.new {
                XCTAssertEqual(new.blobID, try fixture.revParse("\(mainLine[1]):\(change.path)", in: "repo"))
                XCTAssertEqual(new.size, try repository.blobContents(new.blobID).count)
            }
            if let old = change.old {
                XCTAssertEqual(old.blobID, try fixture.revParse("\(mainLine[0]):\(change.path)", in: "repo"))
            }
        }
        let renamed = try XCTUnwrap(changes.first { $0.path == "renamed.py" })
        XCTAssertEqual(renamed.new?.size, "y = 2\n".utf8.count)
        XCTAssertEqual(renamed.new?.mode, .file)

        let fromNothing = try repository.changes(from: nil, to: first)
        XCTAssertEqual(Set(fromNothing.map(\.path)), ["keep.py", "old.py", "gone.go"])
        XCTAssertTrue(fromNothing.allSatisfy { $0.kind == .added })
        XCTAssertEqual(try repository.changes(from: second, to: second), [])
    }

    func testShallowCloneHistoryStopsAtBoundary() throws {
        try fixture.git(["clone", "-q", "--depth", "2", "--branch", "main",
                         "file://\(fixture.path("repo"))", "shallow"])
        let repository = try GitRepository(discoveringFrom: fixture.path("shallow"))
        XCTAssertTrue(repository.isShallow)
        let history = try repository.firstParentHistory()
        XCTAssertEqual(history.map(\.id), [mainLine[3], mainLine[2]])
        XCTAssertEqual(history.last?.parents, [mainLine[1]], "the boundary commit still names its missing parent")
        XCTAssertThrowsError(try repository.resolveCommit(mainLine[1]))
        let entries = try repository.treeEntries(of: repository.resolveCommit())
        XCTAssertEqual(Set(entries.map(\.path)), ["keep.py", "renamed.py", "pkg/new.c", "feature.rb"])

        try fixture.git(["clone", "-q", "--depth", "1", "file://\(fixture.path("repo"))", "tip"])
        let tip = try GitRepository(discoveringFrom: fixture.path("tip"))
        XCTAssertEqual(try tip.firstParentHistory(limit: 50).map(\.id), [mainLine[3]])
        XCTAssertEqual(try tip.branches().map(\.name), ["main"])
        XCTAssertEqual(try tip.remoteBranches(), [
            GitReference(name: "origin/main", fullName: "refs/remotes/origin/main", commitID: mainLine[3]),
        ])
    }
}
