import Foundation
import QuarryCore
import XCTest
@testable import GitSource

final class RepositoryTests: XCTestCase {
    private var fixture: GitFixture!

    override func setUpWithError() throws {
        fixture = try GitFixture()
        try fixture.initRepository("repo")
        try fixture.write("repo/README.md", "# Demo\n")
        try fixture.write("repo/app.py", "print('hello')\n")
        try fixture.write("repo/src/lib/util.go", "package lib\n\nfunc Util() {}\n")
        try fixture.write("repo/src/main.c", "int main(void) { return 0; }\n")
        try fixture.write("repo/bin/run", "#!/usr/bin/env python3\nprint(1)\n")
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: fixture.path("repo/bin/run"))
        try FileManager.default.createSymbolicLink(atPath: fixture.path("repo/docs-link"), withDestinationPath: "README.md")
        try fixture.commitAll("repo", message: "First commit\n\nWith a body.")
        try fixture.write("repo/app.py", "print('hello, world')\n")
        try fixture.commitAll("repo", message: "Greet the world")
    }

    override func tearDown() {
        fixture = nil
    }

    func testDiscoversFromSubdirectory() throws {
        let repository = try GitRepository(discoveringFrom: fixture.path("repo/src/lib"))
        XCTAssertEqual(repository.workingDirectory, fixture.path("repo"))
        XCTAssertEqual(repository.commonDirectory, fixture.path("repo/.git"))
        XCTAssertEqual(repository.gitDirectory, fixture.path("repo/.git"))
        XCTAssertEqual(repository.quarryDirectory, fixture.path("repo/.git/quarry"))
        XCTAssertFalse(repository.isBare)
        XCTAssertFalse(repository.isShallow)
        let head = try repository.resolveCommit()
        XCTAssertEqual(head.id, try fixture.revParse("HEAD", in: "repo"))
        let fromFile = try GitRepository(discoveringFrom: fixture.path("repo/src/main.c"))
        XCTAssertEqual(fromFile.commonDirectory, fixture.path("repo/.git"))
        let fromGitDirectory = try GitRepository(discoveringFrom: fixture.path("repo/.git"))
        XCTAssertEqual(fromGitDirectory.workingDirectory, fixture.path("repo"))
    }

    func testOpensBareRepository() throws {
        try fixture.git(["clone", "-q", "--bare", "repo", "bare.git"])
        let repository = try GitRepository(discoveringFrom: fixture.path("bare.git"))
        XCTAssertTrue(repository.isBare)
        XCTAssertNil(repository.workingDirectory)
        XCTAssertEqual(repository.commonDirectory, fixture.path("bare.git"))
        XCTAssertEqual(try repository.resolveCommit().id, try fixture.revParse("HEAD", in: "repo"))
        let fromInside = try GitRepository(discoveringFrom: fixture.path("bare.git/refs"))
        XCTAssertEqual(fromInside.commonDirectory, fixture.path("bare.git"))
    }

    func testWorktreeSharesCommonDirectory() throws {
        try fixture.git(["worktree", "add", "-q", "-b", "side", "../linked"], in: "repo")
        let repository = try GitRepository(discoveringFrom: fixture.path("linked/src"))
        XCTAssertEqual(repository.commonDirectory, fixture.path("repo/.git"))
        XCTAssertEqual(repository.gitDirectory, fixture.path("repo/.git/worktrees/linked"))
        XCTAssertEqual(repository.workingDirectory, fixture.path("linked"))
        XCTAssertEqual(repository.quarryDirectory, fixture.path("repo/.git/quarry"))
        XCTAssertEqual(try repository.branches().map(\.name), ["main", "side"])
    }

    func testNotARepositoryIsATypedOneLineError() throws {
        try FileManager.default.createDirectory(atPath: fixture.path("plain/dir"), withIntermediateDirectories: true)
        let path = fixture.path("plain/dir")
        XCTAssertThrowsError(try GitRepository(discoveringFrom: path)) { error in
            XCTAssertEqual(error as? GitSourceError, .notARepository(path))
            XCTAssertFalse(String(describing: error).contains("\n"))
            XCTAssertTrue(String(describing: error).hasPrefix("not a git repository"))
        }
        let missing = fixture.path("does/not/exist")
        XCTAssertThrowsError(try GitRepository(discoveringFrom: missing)) { error in
            XCTAssertEqual(error as? GitSourceError, .pathNotFound(missing))
        }
    }

    func testResolvesRevisionForms() throws {
        try fixture.git(["tag", "v1", "HEAD~1"], in: "repo")
        try fixture.git(["tag", "-a", "v2", "-m", "annotated"], in: "repo")
        let repository = try GitRepository(discoveringFrom: fixture.path("repo"))
        let head = try repository.resolveCommit("HEAD")
        let first = try fixture.revParse("HEAD~1", in: "repo")
        XCTAssertEqual(head.parents, [first])
        XCTAssertEqual(head.subject, "Greet the world")
        XCTAssertEqual(head.author, "Ada Tester")
        XCTAssertEqual(head.authorEmail, "ada@example.com")
        XCTAssertEqual(head.time, ISO8601DateFormatter().date(from: "2024-01-01T12:00:00Z"))
        XCTAssertEqual(head.treeID, try fixture.revParse("HEAD^{tree}", in: "repo"))
        XCTAssertEqual(try repository.resolveCommit("main").id, head.id)
        XCTAssertEqual(try repository.resolveCommit("v2").id, head.id, "annotated tag peels to its commit")
        XCTAssertEqual(try repository.resolveCommit("v1").id, first)
        XCTAssertEqual(try repository.resolveCommit("HEAD~1").id, first)
        XCTAssertEqual(try repository.resolveCommit(String(first.prefix(7))).id, first)
        let root = try repository.resolveCommit(first)
        XCTAssertEqual(root.parents, [])
        XCTAssertEqual(root.subject, "First commit")
    }

    func testBadRevisionsThrow() throws {
        let repository = try GitRepository(discoveringFrom: fixture.path("repo"))
        XCTAssertThrowsError(try repository.resolveCommit("no-such-branch")) { error in
            XCTAssertEqual(error as? GitSourceError, .badRevision("no-such-branch", detail: "not found"))
        }
        XCTAssertThrowsError(try repository.resolveCommit("HEAD~5")) { error in
            guard case .badRevision("HEAD~5", _) = error as? GitSourceError else {
                return XCTFail("unexpected \(error)")
            }
        }
        XCTAssertThrowsError(try repository.resolveCommit("HEAD^{tree}")) { error in
            XCTAssertEqual(error as? GitSourceError, .notACommit("HEAD^{tree}"))
        }
        XCTAssertThrowsError(try repository.blobContents("xyz")) { error in
            XCTAssertEqual(error as? GitSourceError, .invalidObjectID("xyz"))
        }
        let absent = String(repeating: "ab", count: 20)
        XCTAssertThrowsError(try repository.blobContents(absent)) { error in
            XCTAssertEqual(error as? GitSourceError, .objectNotFound(absent))
        }
    }

    func testUnbornHeadIsReported() throws {
        try fixture.initRepository("empty")
        let repository = try GitRepository(discoveringFrom: fixture.path("empty"))
        XCTAssertThrowsError(try repository.resolveCommit()) { error in
            XCTAssertEqual(error as? GitSourceError, .unbornHead(branch: "main"))
            XCTAssertEqual(String(describing: error),
                           "repository has no commits yet (HEAD points to unborn branch 'main')")
        }
        XCTAssertEqual(try repository.branches(), [])
    }

    func testWalksNestedTreeWithModesAndSizes() throws {
        let repository = try GitRepository(discoveringFrom: fixture.path("repo"))
        let entries = try repository.treeEntries(of: repository.resolveCommit())
        XCTAssertEqual(entries.map(\.path).sorted(),
                       ["README.md", "app.py", "bin/run", "docs-link", "src/lib/util.go", "src/main.c"])
        let byPath = Dictionary(uniqueKeysWithValues: entries.map { ($0.path, $0) })
        XCTAssertEqual(byPath["bin/run"]?.mode, .executable)
        XCTAssertEqual(byPath["docs-link"]?.mode, .symlink)
        XCTAssertEqual(byPath["docs-link"]?.size, "README.md".utf8.count)
        XCTAssertEqual(byPath["src/lib/util.go"]?.mode, .file)
        for entry in entries {
            XCTAssertEqual(entry.blobID, try fixture.revParse("HEAD:\(entry.path)", in: "repo"), entry.path)
            let bytes = try repository.blobContents(entry.blobID)
            XCTAssertEqual(bytes.count, entry.size, entry.path)
        }
        XCTAssertEqual(try repository.blobContents(XCTUnwrap(byPath["src/main.c"]).blobID),
                       Array("int main(void) { return 0; }\n".utf8))
    }
}

final class ConcurrencyTests: XCTestCase {
    /// One shared repository read from many threads at once returns the same
    /// bytes as sequential reads (calls are serialised internally).
    func testSharedRepositoryReadsFromManyThreads() throws {
        let fixture = try GitFixture()
        try fixture.initRepository("repo")
        for index in 0..<64 {
            try fixture.write("repo/dir\(index % 4)/file\(index).txt", String(repeating: "line \(index)\n", count: index + 1))
        }
        try fixture.commitAll("repo", message: "Files")
        let repository = try GitRepository(discoveringFrom: fixture.path("repo"))
        let entries = try repository.treeEntries(of: repository.resolveCommit())
        XCTAssertEqual(entries.count, 64)
        // Each iteration writes only its own slot.
        nonisolated(unsafe) let sizes = UnsafeMutableBufferPointer<Int>.allocate(capacity: entries.count)
        defer { sizes.deallocate() }
        DispatchQueue.concurrentPerform(iterations: entries.count) { index in
            sizes[index] = (try? repository.blobContents(entries[index].blobID).count) ?? -1
        }
        XCTAssertEqual(Array(sizes), entries.map(\.size))
    }
}
