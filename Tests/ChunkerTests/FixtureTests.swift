import QuarryCore
import XCTest
@testable import Chunker

/// Exact chunk outlines of the hand-written fixtures, one per language.
final class FixtureTests: XCTestCase {
    private func chunks(_ path: String, _ language: Language, limit: Int = 512) throws -> [Chunk] {
        let registry = try TestSupport.grammarRegistry(for: language)
        let chunker = Chunker(registry: registry, options: ChunkingOptions(maxChunkSize: limit))
        let text = try TestSupport.fixture(language.rawValue + "/" + path)
        let result = chunker.chunks(of: text, language: language, path: path)
        TestSupport.dump(result)
        return result
    }

    func testPython() throws {
        let result = try chunks("auth/views.py", .python)
        XCTAssertEqual(TestSupport.outline(result), [
        ])
    }

    func testGo() throws {
        let result = try chunks("server.go", .go)
        XCTAssertEqual(TestSupport.outline(result), [
        ])
    }

    func testJava() throws {
        let result = try chunks("LoginController.java", .java)
        XCTAssertEqual(TestSupport.outline(result), [
        ])
    }

    func testJavaScript() throws {
        let result = try chunks("session.js", .javascript)
        XCTAssertEqual(TestSupport.outline(result), [
        ])
    }

    func testRuby() throws {
        let result = try chunks("session_store.rb", .ruby)
        XCTAssertEqual(TestSupport.outline(result), [
        ])
    }

    func testC() throws {
        let result = try chunks("session.c", .c)
        XCTAssertEqual(TestSupport.outline(result), [
        ])
    }

    func testCPlusPlus() throws {
        let result = try chunks("session.cpp", .cpp)
        XCTAssertEqual(TestSupport.outline(result), [
        ])
    }

    func testSQL() throws {
        let result = try chunks("schema.sql", .sql)
        XCTAssertEqual(TestSupport.outline(result), [
        ])
    }

    func testPHP() throws {
        let result = try chunks("login.php", .php)
        XCTAssertEqual(TestSupport.outline(result), [])
    }
}
