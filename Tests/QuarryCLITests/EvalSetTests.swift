import Foundation
import GitSource
import QuarryCore
import Store
import XCTest
@testable import QuarryCLI
@testable import Search

/// The evaluation sets in Benchmarks/sets and `quarry eval --set`'s pieces
/// that need no model and no network: loading and validation, metrics, the
/// noise patterns, and rebuilding a repository from a cached package.
final class EvalSetTests: XCTestCase {
    private var directory = ""

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("quarry-evalset-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        addTeardownBlock { [directory] in try? FileManager.default.removeItem(atPath: directory) }
    }

    func testMultilingualSetIsCompleteAndSplit() throws {
        let set = try EvalSet(directory: packageRoot.appendingPathComponent("Benchmarks/sets/multilingual").path)
        XCTAssertEqual(set.name, "multilingual")
        XCTAssertGreaterThanOrEqual(set.languages.count, 8, "English and at least 7 others")
        XCTAssertEqual(set.languages.first, "en")
        let languages = Set(set.languages)
        XCTAssertFalse(languages.isDisjoint(with: ["ar", "hi", "fa", "ur"]), "an Arabic or Devanagari script")
        XCTAssertFalse(languages.isDisjoint(with: ["zh", "ja", "ko"]), "a CJK language")
        XCTAssertFalse(languages.isDisjoint(with: ["ru", "uk", "bg", "sr"]), "a Cyrillic language")
        XCTAssertFalse(languages.isDisjoint(with: ["es", "fr", "pt", "it", "ro"]), "a Romance language")

        XCTAssertGreaterThanOrEqual(set.repositories.count, 3)
        for repository in set.repositories {
            XCTAssertEqual(repository.sha256.count, 64, repository.name)
            XCTAssertFalse(repository.licence.isEmpty, repository.name)
            XCTAssertFalse(repository.version.isEmpty, repository.name)
        }
        XCTAssertGreaterThanOrEqual(set.questions.count, 120)
        let dev = set.questions(split: "dev").count, test = set.questions(split: "test").count
        XCTAssertEqual(dev + test, set.questions.count)
        XCTAssertLessThanOrEqual(abs(dev - test), set.repositories.count, "about half each")
        for question in set.questions {
            XCTAssertEqual(Set(question.texts.keys), languages, question.id)
            // A compound identifier (snake_case, camelCase) never appears verbatim in the question.
            let name = String(question.symbol.split(separator: ".").last!)
            let compound = name.dropFirst().contains { $0 == "_" || $0.isUppercase } && !name.hasPrefix("__")
            if compound {
                XCTAssertFalse(question.texts["en"]!.lowercased().contains(name.lowercased()),
                               "\(question.id) names the function it asks for")
            }
        }
        for repository in set.repositories {
            let questions = set.questions.filter { $0.repository == repository.name }
            XCTAssertFalse(questions.isEmpty, repository.name)
            XCTAssertTrue(questions.allSatisfy { $0.id.hasPrefix(repository.name + "-") })
        }
    }

    func testMalformedSetsFailWithOneLine() throws {
        func expectError(_ questions: String, _ expected: String, line: UInt = #line) throws {
            try writeSet(questions: questions)
            XCTAssertThrowsError(try EvalSet(directory: directory + "/set"), line: line) { error in
                XCTAssertTrue("\(error)".contains(expected), "\(error)", line: line)
                XCTAssertFalse("\(error)".contains("\n"), line: line)
            }
        }
        let answer = #""path": "a.py", "symbol": "a.f""#
        try expectError(#"[{"id": "r-1", "split": "dev", \#(answer), "q": {"en": "x"}}]"#, "no fr question")
        try expectError(#"[{"id": "r-1", "split": "train", \#(answer), "q": {"en": "x", "fr": "y"}}]"#,
                        "split \"train\" is not dev or test")
        try expectError(#"[{"id": "r-1", "split": "dev", \#(answer), "q": {"en": "x", "fr": "y", "de": "z"}}]"#,
                        "language de is not in the set's languages")
        try expectError(#"""
            [{"id": "r-1", "split": "dev", \#(answer), "q": {"en": "x", "fr": "y"}},
             {"id": "r-2", "split": "test", \#(answer), "q": {"en": "x2", "fr": "y2"}}]
            """#, "r-2 repeats the answer r:a.py:a.f")
        try expectError(#"""
            [{"id": "r-1", "split": "dev", \#(answer), "q": {"en": "x", "fr": "y"}},
             {"id": "r-2", "split": "test", "path": "b.py", "symbol": "b.g", "q": {"en": "x", "fr": "y2"}}]
            """#, "r-2 repeats the en question \"x\"")
        try expectError(#"[{"id": "r-1", "split": "dev", \#(answer), "also": [{"path": "b.py"}], "q": {"en": "x", "fr": "y"}}]"#,
                        "each \"also\" entry needs path and symbol")
        try expectError("{", "not valid JSON")
        XCTAssertThrowsError(try EvalSet(directory: directory + "/absent")) { error in
            XCTAssertEqual("\(error)", "no evaluation set at \(directory)/absent/manifest.json")
        }
    }

    func testAResultAnswersByPathAndSymbolOrAnAlternative() throws {
        let question = try EvalSetQuestion(
            ["id": "r-1", "split": "dev", "path": "gin.go", "symbol": "gin.Engine.RunTLS", "q": ["en": "x"],
             "also": [["path": "ginS/gins.go", "symbol": "ginS.RunTLS"]]],
            repository: "r", languages: ["en"], at: "test")
        func result(_ path: String, _ symbol: String, others: [String] = []) -> SearchResult {
            let chunk = Chunk(language: .go, kind: .function, symbol: symbol, startLine: 1, endLine: 1,
                              startByte: 0, endByte: 1, text: symbol)
            return SearchResult(hit: ChunkHit(chunkID: 1, blobID: "b", path: path, otherPaths: others, revision: "HEAD",
                                              chunk: chunk, contentHash: ContentHash(of: path), score: 0),
                                relevantLines: [])
        }
        XCTAssertTrue(EvalSetCommand.answers(question, result("gin.go", "gin.Engine.RunTLS")))
        XCTAssertTrue(EvalSetCommand.answers(question, result("ginS/gins.go", "ginS.RunTLS")))
        XCTAssertTrue(EvalSetCommand.answers(question, result("copy/gin.go", "gin.Engine.RunTLS", others: ["gin.go"])))
        XCTAssertFalse(EvalSetCommand.answers(question, result("gin.go", "gin.Engine.Run")))
        XCTAssertFalse(EvalSetCommand.answers(question, result("ginS/gins.go", "gin.Engine.RunTLS")))
    }

    func testHitMetricsCountTheTopTen() {
        let metrics = HitMetrics(ranks: [1, 3, 7, 11, nil])
        XCTAssertEqual(metrics.queries, 5)
        XCTAssertEqual(metrics.hit1, 20, accuracy: 1e-9)
        XCTAssertEqual(metrics.hit5, 40, accuracy: 1e-9)
        XCTAssertEqual(metrics.mrr10, 100 * (1 + 1.0 / 3 + 1.0 / 7) / 5, accuracy: 1e-9)
        XCTAssertEqual(HitMetrics().mrr10, 0)

        var scores = EvalSetScores()
        scores.add(rank: 1, language: "en", codeLanguage: "go", noisy: false)
        scores.add(rank: nil, language: "zh", codeLanguage: "python", noisy: true)
        XCTAssertEqual(scores.all.hit1, 50, accuracy: 1e-9)
        XCTAssertEqual(scores.nonEnglish.queries, 1)
        XCTAssertEqual(scores.noisyQueries, 1)
        XCTAssertEqual(scores.rows(languages: ["en", "zh"]).map(\.0), ["all", "non-en", "en", "zh", "go", "python"])
    }

    func testNoiseFilesByPath() {
        for path in ["go.sum", "uv.lock", "a/Cargo.lock", "web/package-lock.json", "tests/certs/server.key",
                     "testdata/certificate/cert.pem", "ca.crt", "docs/_static/logo.svg", "x/y.PNG"] {
            XCTAssertTrue(NoiseFile.matches(path), path)
        }
        for path in ["auth.go", "src/flask/sessions.py", "README.md", "go.mod", "keys.py", "docs/lock.rst", ".lock"] {
            XCTAssertFalse(NoiseFile.matches(path), path)
        }
    }

    func testTestAndDocFilesByPath() {
        for path in ["auth_test.go", "tests/test_basic.py", "src/tests/helpers.py", "test_app.py", "conftest.py",
                     "testdata/protoexample/test.pb.go", "spec/models/user_spec.rb", "web/app.test.js"] {
            XCTAssertTrue(TestFile.matches(path), path)
        }
        for path in ["auth.go", "src/flask/testing.py", "contest.py", "latest/app.py", "docs/testing.rst"] {
            XCTAssertFalse(TestFile.matches(path), path)
        }
        XCTAssertTrue(DocFile.matches("docs/api.rst"))
        XCTAssertTrue(DocFile.matches("README.md"))
        XCTAssertFalse(DocFile.matches("src/flask/app.py"))
    }

    func testOnlyTestsAndDocsAboveTheAnswerInTheTopFiveCount() {
        var scores = EvalSetScores()
        scores.add(rank: 3, paths: ["a_test.go", "docs/x.md", "a.go"], language: "en", codeLanguage: "go")
        scores.add(rank: 1, paths: ["a.go", "a_test.go", "docs/x.md", "go.sum"], language: "en", codeLanguage: "go")
        scores.add(rank: nil, paths: ["a.go", "b.go", "c.go", "d.go", "e.go", "tests/t.py", "uv.lock"],
                   language: "zh", codeLanguage: "go")
        XCTAssertEqual(scores.testsAbove, 1)
        XCTAssertEqual(scores.docsAbove, 1)
        XCTAssertEqual(scores.noisyQueries, 2)
        XCTAssertEqual(scores.all.queries, 3)
    }

    func testPackageIsCheckedUnpackedAndCommittedAsShipped() throws {
        let downloads = directory + "/downloads"
        let package = directory + "/build/demo-1.0"
        try FileManager.default.createDirectory(atPath: package + "/tests", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: downloads, withIntermediateDirectories: true)
        try "def f():\n    return 1\n".write(toFile: package + "/demo.py", atomically: true, encoding: .utf8)
        try "def test_f():\n    pass\n".write(toFile: package + "/tests/test_demo.py", atomically: true, encoding: .utf8)
        try "tests/\n".write(toFile: package + "/.gitignore", atomically: true, encoding: .utf8)
        // Owned by another uid, as in a packager's tarball: git must still accept the repository.
        try Subprocess.run(["tar", "--owner=4321", "--group=4321", "-czf", downloads + "/demo-1.0.tar.gz",
                            "-C", directory + "/build", "demo-1.0"])
        let digest = ContentHash(digesting: [UInt8](try Data(contentsOf: URL(fileURLWithPath: downloads + "/demo-1.0.tar.gz")))).hex

        let source = EvalSetSource(downloads: downloads)
        var repository = try EvalSetRepository(["name": "demo", "source": "pypi", "package": "demo", "version": "1.0",
                                                "file": "demo-1.0.tar.gz", "sha256": digest, "licence": "MIT"],
                                               at: "test")
        let archive = try source.archive(for: repository)
        let path = try source.materialize(repository, archive: archive, in: directory + "/work")
        let git = try GitRepository(discoveringFrom: path)
        let commit = try git.resolveCommit()
        XCTAssertEqual(try git.treeEntries(of: commit).map(\.path).sorted(), [".gitignore", "demo.py", "tests/test_demo.py"],
                       "ignored files the package ships are committed too")
        XCTAssertEqual(try source.materialize(repository, archive: archive, in: directory + "/work"), path)
        XCTAssertEqual(try GitRepository(discoveringFrom: path).resolveCommit().id, commit.id, "kept, not rebuilt")

        repository.sha256 = String(repeating: "0", count: 64)
        XCTAssertThrowsError(try source.archive(for: repository)) { error in
            XCTAssertTrue("\(error)".hasSuffix("expected \(repository.sha256); delete it to download again"), "\(error)")
        }
    }

    private func writeSet(questions: String) throws {
        let set = directory + "/set"
        try FileManager.default.createDirectory(atPath: set + "/questions", withIntermediateDirectories: true)
        let manifest = """
            {"name": "tiny", "languages": ["en", "fr"], "repositories": [{"name": "r", "source": "pypi",
             "package": "r", "version": "1", "file": "r-1.tar.gz", "sha256": "\(String(repeating: "a", count: 64))",
             "licence": "MIT"}]}
            """
        try manifest.write(toFile: set + "/manifest.json", atomically: true, encoding: .utf8)
        try questions.write(toFile: set + "/questions/r.json", atomically: true, encoding: .utf8)
    }
}
