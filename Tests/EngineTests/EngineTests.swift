import Engine
import Search
import Store
import XCTest

/// The engine's own rules, which every front end relies on to refuse the same inputs.
final class EngineTests: XCTestCase {
    func testPathsThatCouldLeaveTheRepositoryAreRefused() {
        for path in ["", "/etc/passwd", "~/.ssh/id_rsa", "../x", "src/../../x", "a/..", ".", "./", "a\u{0}b"] {
            XCTAssertThrowsError(try QuarryEngine.repositoryRelative(path), path) { error in
                XCTAssertEqual((error as? EngineError)?.kind, .invalidRequest, path)
            }
        }
        XCTAssertEqual(try QuarryEngine.repositoryRelative("./src//auth.py"), "src/auth.py")
        XCTAssertEqual(try QuarryEngine.repositoryRelative("src/./a..b/c.py"), "src/a..b/c.py", "'..' inside a name is fine")
    }

    func testSearchRequestsAreCheckedBeforeAnyIndexWork() {
        func kind(_ change: (inout SearchRequest) -> Void) -> EngineError.Kind? {
            var request = SearchRequest(query: "parse config")
            change(&request)
            do {
                try request.validate()
                return nil
            } catch {
                return error.kind
            }
        }
        XCTAssertNil(kind { _ in })
        XCTAssertEqual(kind { $0.query = " \n\t" }, .invalidRequest)
        XCTAssertEqual(kind { $0.query = "a\u{0}b" }, .invalidRequest)
        XCTAssertEqual(kind { $0.query = String(repeating: "x", count: SearchRequest.maximumQueryBytes + 1) }, .invalidRequest)
        XCTAssertEqual(kind { $0.limit = 0 }, .invalidRequest)
        XCTAssertEqual(kind { $0.mode = .lexical; $0.query = "?!" }, .invalidRequest)
        XCTAssertNil(kind { $0.mode = .semantic; $0.query = "?!" }, "meaning needs no keywords")
        XCTAssertEqual(kind { $0.revision = "HEAD"; $0.allRevisions = true }, .invalidRequest)
    }

    func testFailuresAreClassifiedForEveryFrontEnd() {
        XCTAssertEqual(EngineError.Kind(classifying: StoreError.unknownRevision("v9")), .notFound)
        XCTAssertEqual(EngineError.Kind(classifying: StoreError.noIndex(path: "/x")), .notFound)
        XCTAssertEqual(EngineError.Kind(classifying: StoreError.busy(path: "/x")), .busy)
        XCTAssertEqual(EngineError.Kind(classifying: StoreError.outdatedSchema(path: "/x", found: 1, supported: 2)), .busy)
        XCTAssertEqual(EngineError.Kind(classifying: SearchError.store(.unknownRevision("v9"))), .notFound)
        XCTAssertEqual(EngineError.Kind(classifying: SearchError.invalidGlob(pattern: "[", reason: "open")), .invalidRequest)
        XCTAssertEqual(EngineError.Kind(classifying: EngineError(.busy, "locked")), .busy)
        XCTAssertEqual(EngineError.Kind(classifying: CocoaError(.fileNoSuchFile)), .failed)
    }

    func testAMissingIndexIsNotFoundUnlessAServerMayStartBeforeIt() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("engine-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let git = Process()
        git.executableURL = URL(fileURLWithPath: "/usr/bin/git")
        git.arguments = ["init", "-q", directory.path]
        try git.run()
        git.waitUntilExit()
        let library = ModelLibrary(paths: QuarryPaths(environment: ["QUARRY_HOME": directory.path]), environment: [:])
        XCTAssertThrowsError(try QuarryEngine.locate(index: nil, repo: directory.path, library: library)) { error in
            XCTAssertEqual((error as? EngineError)?.kind, .notFound)
        }
        let engine = try QuarryEngine.locate(index: nil, repo: directory.path, library: library, requireIndex: false)
        XCTAssertTrue(engine.indexPath.hasSuffix("/.git/quarry/index.sqlite"), engine.indexPath)
        XCTAssertThrowsError(try engine.status()) { error in
            XCTAssertEqual(EngineError.Kind(classifying: error), .notFound, "\(error)")
        }
        XCTAssertThrowsError(try engine.search(SearchRequest(query: "x"))) { error in
            XCTAssertEqual(EngineError.Kind(classifying: error), .notFound, "\(error)")
        }
    }
}
