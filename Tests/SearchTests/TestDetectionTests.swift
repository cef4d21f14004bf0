import Foundation
import QuarryCore
import Store
import XCTest
@testable import Search

/// Test code is told from the code it tests by path and by declaration, and
/// ranks below it unless asked otherwise (issue 11).
final class TestDetectionTests: XCTestCase {
    private func function(_ symbol: String, _ text: String = "body") -> Chunk {
        Chunk(language: .python, kind: .function, symbol: symbol, startLine: 1, endLine: 2, startByte: 0,
              endByte: text.utf8.count, text: text)
    }

    func testPathConventions() {
        let tests = ["tests/test_app.py", "pkg/context_test.go", "src/__tests__/button.js", "web/app.spec.ts",
                     "web/app.test.jsx", "src/test/java/shop/StoreTest.java", "spec/models/user_spec.rb",
                     "Tests/AppTests/AppTests.swift", "lib/conftest.py", "src/StoreIT.java", "testdata/key.go",
                     "base/string_unittest.cc", "app/e2e/login.e2e-spec.ts", "src/FooTests.cs"]
        for path in tests { XCTAssertTrue(TestDetection.isTestPath(path), path) }
        let code = ["src/app.py", "pkg/context.go", "contest/score.py", "src/Attest.java", "latest/main.go",
                    "lib/testify.py", "docs/testing-guide.md.txt", "src/GIT.java", "src/Manifest.java"]
        for path in code { XCTAssertFalse(TestDetection.isTestPath(path), path) }
    }

    func testDeclarationConventions() {
        XCTAssertTrue(TestDetection.isTestFunction(function("app.test_login")))
        XCTAssertTrue(TestDetection.isTestFunction(function("gin.TestContextSaveUploadedFile")))
        XCTAssertTrue(TestDetection.isTestFunction(function("shop.StoreSuite.total", "@Test\nvoid total() {}")))
        XCTAssertTrue(TestDetection.isTestFunction(function("parse_works", "#[test]\nfn parse_works() {}")))
        XCTAssertFalse(TestDetection.isTestFunction(function("app.Testament")))
        XCTAssertFalse(TestDetection.isTestFunction(function("app.attestation_check")))
        var type = function("app.TestCase")
        type.kind = .type
        XCTAssertFalse(TestDetection.isTestFunction(type), "only functions are judged by declaration")
    }

    func testDocumentsAreProseOutsideCode() {
        let prose = Chunk(language: .other, kind: .lines, symbol: "", startLine: 1, endLine: 9, startByte: 0,
                          endByte: 4, text: "text")
        for path in ["README", "README.md", "docs/config.rst", "doc/api/index.txt", "CHANGES.rst", "guide.adoc"] {
            XCTAssertTrue(TestDetection.isDocument(path: path, chunk: prose), path)
        }
        XCTAssertFalse(TestDetection.isDocument(path: "docs/conf.py", chunk: function("conf.setup")),
                       "code in docs/ is code")
        XCTAssertFalse(TestDetection.isDocument(path: "config/settings.yaml", chunk: prose))
        let section = Chunk(language: .markdown, kind: .doc, symbol: "Guide > Retry policy", startLine: 1, endLine: 9,
                            startByte: 0, endByte: 4, text: "## Retry policy")
        XCTAssertTrue(TestDetection.isDocument(path: "src/NOTES.md", chunk: section), "a Markdown section is prose")
        var script = function("deploy_host")
        script.language = .bash
        XCTAssertFalse(TestDetection.isDocument(path: "docs/deploy.sh", chunk: script), "a shell function is code")
        XCTAssertTrue(Searcher.asksForDocumentation("where is the retry policy documented"))
        XCTAssertTrue(Searcher.asksForDocumentation("Documentation of the index format"))
        XCTAssertFalse(Searcher.asksForDocumentation("where is the retry policy applied"))
        XCTAssertFalse(Searcher.asksForDocumentation("parse a docstring"), "only whole words count")
        var hits = [hit(1, path: "docs/uploads.rst", symbol: ""), hit(2, path: "app/files.py", symbol: "save"),
                    hit(3, path: "app/forms.py", symbol: "form")]
        hits[0].chunk = prose
        XCTAssertEqual(Searcher.demoting(hits, tests: 0, documents: 1).map(\.chunkID), [2, 1, 3])
        XCTAssertEqual(Searcher.demoting(hits, tests: 0, documents: 5).map(\.chunkID), [2, 3, 1])
    }

    private func hit(_ id: Int64, path: String, symbol: String) -> ChunkHit {
        ChunkHit(chunkID: id, blobID: "b\(id)", path: path, otherPaths: [], revision: "HEAD",
                 chunk: function(symbol), contentHash: ContentHash(of: "\(id)"), score: 1 / Double(id))
    }

    func testTestsYieldPlacesToCodeAndTopLevelChunksYieldToDefinitions() {
        let hits = [
            hit(1, path: "gin/context_test.go", symbol: "TestSaveUploadedFile"),
            hit(2, path: "gin/context_test.go", symbol: "TestSaveUploadedFileFails"),
            hit(3, path: "gin/context.go", symbol: "Context.SaveUploadedFile"),
            hit(4, path: "gin/context.go", symbol: "Context.FormFile"),
            hit(5, path: "gin/render.go", symbol: "Render"),
        ]
        XCTAssertEqual(Searcher.demoting(hits, tests: 2, documents: 0).map(\.chunkID), [3, 1, 4, 2, 5])
        XCTAssertEqual(Searcher.demoting(hits, tests: 0, documents: 0).map(\.chunkID), [1, 2, 3, 4, 5])
        var leftovers = hits
        leftovers[0].chunk.kind = .toplevel
        XCTAssertEqual(Searcher.definitionsFirst(leftovers).map(\.chunkID), [2, 3, 4, 5, 1])
    }

    func testPoliciesFilterInTheStoreAndLabelTests() throws {
        let store = try scratchStore("tests")
        let text = "def save_uploaded_file(upload, destination):\n    upload.save(destination)"
        let testText = "def test_save_uploaded_file(tmp_path):\n    save_uploaded_file(FakeUpload(), tmp_path)"
        try store.write([
            BlobRecord(id: "code", path: "app/files.py", language: .python, size: 80,
                       chunks: [Chunk(language: .python, kind: .function, symbol: "files.save_uploaded_file",
                                      startLine: 1, endLine: 2, startByte: 0, endByte: text.utf8.count, text: text)]),
            BlobRecord(id: "test", path: "tests/test_files.py", language: .python, size: 80,
                       chunks: [Chunk(language: .python, kind: .function, symbol: "test_files.test_save_uploaded_file",
                                      startLine: 1, endLine: 2, startByte: 0, endByte: testText.utf8.count,
                                      text: testText)]),
        ])
        let date = Date(timeIntervalSince1970: 1_700_000_000)
        try store.recordRevision(RevisionRecord(name: "HEAD", commitID: "c", treeID: "t", commitTime: date, author: "a",
                                                subject: "s", indexedAt: date),
                                 files: [FileRecord(path: "app/files.py", blobID: "code"),
                                         FileRecord(path: "tests/test_files.py", blobID: "test")])
        let searcher = Searcher(store: store)
        func paths(_ policy: TestPolicy) throws -> [String] {
            try searcher.search("save uploaded file", mode: .lexical, filters: SearchFilters(tests: policy)).map(\.path)
        }
        XCTAssertEqual(Set(try paths(.include)), ["tests/test_files.py", "app/files.py"])
        XCTAssertEqual(try paths(.below), ["app/files.py", "tests/test_files.py"])
        XCTAssertEqual(try paths(.exclude), ["app/files.py"])
        XCTAssertEqual(try paths(.only), ["tests/test_files.py"])
        let kinds = try searcher.search("save uploaded file", mode: .lexical).map(\.chunk.kind)
        XCTAssertEqual(kinds, [.function, .test])
    }
}
