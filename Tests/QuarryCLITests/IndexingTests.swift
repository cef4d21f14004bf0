import Foundation
import Store
import XCTest

/// End to end: a real git repository through `quarry index` and `quarry search`.
final class IndexingTests: XCTestCase {
    /// A repository with the chunker fixtures of all nine languages plus files
    /// that must be skipped, indexed once and searched.
    func testFixtureRepositoryIsIndexedSearchedAndReindexedAsNoOp() throws {
        let repository = try ScratchRepository()
        defer { repository.remove() }
        try repository.copyTree(from: packageRoot.appendingPathComponent("Fixtures/chunker"), to: "src")
        try repository.write("README.md", "# Demo\n\nA fixture repository for Quarry's tests.\n")
        try repository.write("assets/blob.bin", String(repeating: "\u{0}", count: 64))
        try repository.write("dist/app.min.js", String(repeating: "var a=1;", count: 2_000))
        try repository.write("big/model.lfs", "version https://git-lfs.github.com/spec/v1\noid sha256:abc\nsize 12\n")
        try repository.commitAll()

        let index = try QuarryProcess.run(["index", repository.path, "--json", "--no-embed"])
        XCTAssertEqual(index.status, 0, index.stderr)
        let summary = try XCTUnwrap(index.jsonLines.first)
        XCTAssertGreaterThan(summary["files_seen"] as? Int ?? 0, 9)
        XCTAssertGreaterThan(summary["chunks"] as? Int ?? 0, 30)
        let skipped = try XCTUnwrap(summary["skipped"] as? [String: Int])
        XCTAssertEqual(skipped["binary"], 1)
        XCTAssertEqual(skipped["generated"], 1)
        XCTAssertEqual(skipped["lfs-pointer"], 1)

        // The index lives in the git directory, never in the working tree.
        XCTAssertTrue(FileManager.default.fileExists(atPath: repository.path + "/.git/quarry/index.sqlite"))

        let again = try QuarryProcess.run(["index", repository.path, "--json", "--no-embed"])
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertEqual(again.jsonLines.first?["new_blobs"] as? Int, 0, "unchanged repository is a no-op")

        let results = try QuarryProcess.run(["search", "--repo", repository.path, "--json", "-k", "50", "fixture"])
        XCTAssertLessThanOrEqual(results.status, 1, results.stderr)
        let none = try QuarryProcess.run(["search", "--repo", repository.path, "zzqqxxnotaword"])
        XCTAssertEqual(none.status, 1, "no results exits 1 like grep")
        XCTAssertEqual(none.stdout, "")
    }

    /// `--index NAME` with no directory part is relative to the working directory.
    func testABareRelativeIndexNameWorks() throws {
        let repository = try ScratchRepository()
        defer { repository.remove() }
        try repository.write("auth.py", "def check_password(user, password):\n    return user.password == password\n")
        try repository.commitAll()
        let scratch = repository.url.deletingLastPathComponent()
        let index = try QuarryProcess.run(["index", repository.path, "--index", "relative.sqlite", "--no-embed", "-q"],
                                          in: scratch)
        XCTAssertEqual(index.status, 0, index.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: scratch.appendingPathComponent("relative.sqlite").path))
        let found = try QuarryProcess.run(["search", "--index", "relative.sqlite", "--mode", "lexical", "password"],
                                          in: scratch)
        XCTAssertEqual(found.status, 0, found.stderr)
        XCTAssertTrue(found.stdout.contains("auth.py"), found.stdout)
    }

    func testSearchJSONHasDocumentedKeysAndFiltersApply() throws {
        let repository = try ScratchRepository()
        defer { repository.remove() }
        try repository.write("auth/login.py", """
            class LoginView:
                def post(self, request):
                    \"\"\"Check the password and start a session.\"\"\"
                    user = authenticate_user(request.form["name"], request.form["password"])
                    return start_session(user)
            """)
        try repository.write("auth/login.go", """
            package auth

            // LoginUser checks the password and starts a session.
            func LoginUser(name string, password string) error {
                return startSession(name)
            }
            """)
        try repository.commitAll()
        XCTAssertEqual(try QuarryProcess.run(["index", repository.path, "-q", "--no-embed"]).status, 0)

        let outcome = try QuarryProcess.run(["search", "--repo", repository.path, "--json", "login", "user"])
        XCTAssertEqual(outcome.status, 0, outcome.stderr)
        let first = try XCTUnwrap(outcome.jsonLines.first)
        XCTAssertEqual(Set(first.keys), ["path", "start_line", "end_line", "language", "kind", "symbol",
                                         "score", "blob", "rev", "text"])
        XCTAssertEqual(first["symbol"] as? String, "auth.LoginUser", "identifier parts match: login user -> LoginUser")
        XCTAssertEqual(first["path"] as? String, "auth/login.go")

        let python = try QuarryProcess.run(["search", "--repo", repository.path, "--json", "--lang", "python",
                                            "password", "session"])
        XCTAssertEqual(python.jsonLines.compactMap { $0["language"] as? String }.uniqued, ["python"])
        let glob = try QuarryProcess.run(["search", "--repo", repository.path, "--json", "--path", "**/*.go",
                                          "password", "session"])
        XCTAssertEqual(glob.jsonLines.compactMap { $0["path"] as? String }.uniqued, ["auth/login.go"])

        let human = try QuarryProcess.run(["search", "--repo", repository.path, "start", "session"])
        XCTAssertTrue(human.stdout.contains("auth/login.go:"), human.stdout)
        XCTAssertFalse(human.stdout.contains("\u{1B}["), "no colour when stdout is not a terminal")
    }

    /// A real public codebase: the CPython standard library of this machine.
    func testRealCodebaseChunkCountsAndLookups() throws {
        let repository = try ScratchRepository(name: "cpython-lib")
        defer { repository.remove() }
        let stdlib = try pythonStandardLibrary()
        for module in ["json", "urllib", "email", "http", "asyncio", "logging", "argparse.py", "textwrap.py",
                       "shutil.py", "subprocess.py", "base64.py", "csv.py", "xml", "importlib", "unittest", "concurrent",
                       "collections", "sqlite3", "wsgiref"] {
            try repository.copyTree(from: stdlib.appendingPathComponent(module), to: "Lib/" + module)
        }
        FileManager.default.enumerator(at: repository.url, includingPropertiesForKeys: nil)?
            .compactMap { $0 as? URL }
            .filter { $0.lastPathComponent == "__pycache__" }
            .forEach { try? FileManager.default.removeItem(at: $0) }
        try repository.commitAll()

        let index = try QuarryProcess.run(["index", repository.path, "--json", "--no-embed"])
        XCTAssertEqual(index.status, 0, index.stderr)
        let summary = try XCTUnwrap(index.jsonLines.first)
        let files = summary["files_seen"] as? Int ?? 0
        let chunks = summary["chunks"] as? Int ?? 0
        XCTAssertGreaterThan(files, 100)
        // Function-level chunks: several per file on average, not one per file.
        XCTAssertGreaterThan(chunks, files * 4, "\(chunks) chunks for \(files) files")

        // Found by name...
        let byName = try QuarryProcess.run(["search", "--repo", repository.path, "--json", "-k", "5", "urlsplit"])
        XCTAssertTrue(byName.jsonLines.contains { ($0["symbol"] as? String)?.hasSuffix("urlsplit") == true
                                                  && $0["path"] as? String == "Lib/urllib/parse.py" }, byName.stdout)
        let method = try QuarryProcess.run(["search", "--repo", repository.path, "--json", "-k", "5",
                                            "JSONDecoder raw_decode"])
        XCTAssertTrue(method.jsonLines.contains { ($0["symbol"] as? String)?.hasSuffix("JSONDecoder.raw_decode") == true },
                      method.stdout)
        // ...and by words from their bodies.
        let byBody = try QuarryProcess.run(["search", "--repo", repository.path, "--json", "-k", "5",
                                            "dedent common leading whitespace"])
        XCTAssertTrue(byBody.jsonLines.contains { ($0["symbol"] as? String)?.hasSuffix("dedent") == true }, byBody.stdout)
    }
}

extension Array where Element: Hashable {
    var uniqued: [Element] {
        var seen = Set<Element>()
        return filter { seen.insert($0).inserted }
    }
}
