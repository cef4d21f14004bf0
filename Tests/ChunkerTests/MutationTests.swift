import QuarryCore
import XCTest
@testable import Chunker
import TestSupport

/// Damaged versions of the fixtures: cut, duplicated and scrambled text must
/// still chunk without crashing and within budget.
final class MutationTests: XCTestCase {
    private let fixtures: [(String, Language)] = [
        ("python/auth/views.py", .python), ("go/server.go", .go), ("java/LoginController.java", .java),
        ("javascript/session.js", .javascript), ("ruby/session_store.rb", .ruby), ("c/session.c", .c),
        ("cpp/session.cpp", .cpp), ("sql/schema.sql", .sql), ("php/login.php", .php),
    ]

    func testMutatedFixturesChunkWithinBudget() throws {
        let options = ChunkingOptions(maxChunkSize: 48)
        let chunker = Chunker(registry: TestSupport.registry ?? .empty, options: options)
        var random = SeededGenerator(seed: 42)
        let noise: [UInt8] = Array("{}()[]<>;:'\"`#/*\\\n\t é€😀".utf8)
        for (path, language) in fixtures {
            let original = Array(try TestSupport.fixture(path).utf8)
            for _ in 0..<60 {
                var bytes = original
                for _ in 0..<Int.random(in: 1...6, using: &random) {
                    let position = Int.random(in: 0...bytes.count, using: &random)
                    let length = Int.random(in: 0...min(200, bytes.count - position), using: &random)
                    switch Int.random(in: 0..<3, using: &random) {
                    case 0: bytes.removeSubrange(position..<position + length)
                    case 1: bytes.insert(contentsOf: bytes[position..<position + length], at: position)
                    default: bytes.insert(contentsOf: (0..<8).map { _ in noise.randomElement(using: &random)! }, at: position)
                    }
                }
                let text = String(decoding: bytes, as: UTF8.self)
                let textBytes = text.utf8.count
                for chunk in chunker.chunks(of: text, language: language, path: path) {
                    XCTAssertLessThanOrEqual(options.measure(chunk.text), 48, path)
                    XCTAssertTrue(0 <= chunk.startByte && chunk.startByte < chunk.endByte && chunk.endByte <= textBytes, path)
                    XCTAssertLessThanOrEqual(chunk.startLine, chunk.endLine, path)
                }
            }
        }
    }
}
