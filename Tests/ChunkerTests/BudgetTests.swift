import QuarryCore
import XCTest
@testable import Chunker

/// Every chunk fits the budget, and oversized definitions split where they should.
final class BudgetTests: XCTestCase {
    private let fixtures: [(String, Language)] = [
        ("python/auth/views.py", .python), ("go/server.go", .go), ("java/LoginController.java", .java),
        ("javascript/session.js", .javascript), ("ruby/session_store.rb", .ruby), ("c/session.c", .c),
        ("cpp/session.cpp", .cpp), ("sql/schema.sql", .sql), ("php/login.php", .php),
    ]

    func testEveryFixtureChunkFitsSmallBudgets() throws {
        let registry = TestSupport.registry ?? .empty
        for limit in [8, 24, 64, 512] {
            let options = ChunkingOptions(maxChunkSize: limit)
            let chunker = Chunker(registry: registry, options: options)
            for (path, language) in fixtures {
                let text = try TestSupport.fixture(path)
                let chunks = chunker.chunks(of: text, language: language, path: path)
                XCTAssertFalse(chunks.isEmpty, path)
                for chunk in chunks {
                    XCTAssertLessThanOrEqual(options.measure(chunk.text), limit, "\(path) \(chunk.symbol) at \(limit)")
                    XCTAssertLessThanOrEqual(chunk.startLine, chunk.endLine)
                    XCTAssertLessThan(chunk.startByte, chunk.endByte)
                }
            }
        }
    }

    func testOversizedFunctionSplitsAtStatementsRepeatingItsSignature() throws {
        let registry = try TestSupport.grammarRegistry(for: .python)
        var lines = ["import os", "", "def build_report(rows, *, verbose=False):", "    \"\"\"Sum everything.\"\"\""]
        for index in 0..<120 { lines.append("    total_\(index) = sum(row[\(index)] for row in rows)") }
        lines.append("    return locals()")
        let text = lines.joined(separator: "\n") + "\n"
        let options = ChunkingOptions(maxChunkSize: 128)
        let chunks = Chunker(registry: registry, options: options)
            .chunks(of: text, language: .python, path: "report.py")
            .filter { $0.kind == .function }
        XCTAssertGreaterThan(chunks.count, 3)
        XCTAssertTrue(chunks.allSatisfy { $0.symbol == "report.build_report" })
        XCTAssertEqual(chunks.first?.startLine, 3)
        XCTAssertEqual(chunks.last?.endLine, lines.count)
        for (previous, next) in zip(chunks, chunks.dropFirst()) {
            XCTAssertTrue(next.text.hasPrefix("def build_report(rows, *, verbose=False):\n    total_"), next.text)
            XCTAssertEqual(next.startLine, previous.endLine + 1, "parts cover the body without gaps")
        }
        for chunk in chunks { XCTAssertLessThanOrEqual(options.measure(chunk.text), 128) }
    }

    func testSingleHugeStatementFallsBackToLines() throws {
        let registry = try TestSupport.grammarRegistry(for: .javascript)
        let entries = (0..<400).map { "    { id: \($0), name: \"entry number \($0)\" }," }
        let text = "function table() {\n  return [\n" + entries.joined(separator: "\n") + "\n  ];\n}\n"
        let options = ChunkingOptions(maxChunkSize: 100)
        let chunks = Chunker(registry: registry, options: options).chunks(of: text, language: .javascript, path: "t.js")
        XCTAssertGreaterThan(chunks.count, 20)
        XCTAssertTrue(chunks.allSatisfy { $0.symbol == "table" && options.measure($0.text) <= 100 })
        XCTAssertTrue(chunks.dropFirst().allSatisfy { $0.text.hasPrefix("function table()\n") })
    }

    func testTokenizerMeasureIsHonoured() throws {
        // A word count stands in for a tokenizer: not proportional to bytes.
        let words: @Sendable (String) -> Int = { $0.split(whereSeparator: { $0 == " " || $0 == "\n" }).count }
        let options = ChunkingOptions(maxChunkSize: 30, measure: words)
        let chunker = Chunker(registry: TestSupport.registry ?? .empty, options: options)
        for (path, language) in fixtures {
            for chunk in chunker.chunks(of: try TestSupport.fixture(path), language: language, path: path) {
                XCTAssertLessThanOrEqual(words(chunk.text), 30, "\(path) \(chunk.symbol)")
            }
        }
    }

    func testHugeSingleLineIsCutBetweenCharacters() throws {
        let line = String(repeating: "var a=\"é€😀\";", count: 40_000)   // one 760 KB line
        let options = ChunkingOptions(maxChunkSize: 512)
        for language in [Language.javascript, .other] {
            let chunks = Chunker(registry: TestSupport.registry ?? .empty, options: options)
                .chunks(of: line, language: language, path: "min.js")
            XCTAssertGreaterThan(chunks.count, 300)
            XCTAssertTrue(chunks.allSatisfy { options.measure($0.text) <= 512 })
            XCTAssertEqual(chunks.map(\.text).joined().count, line.count, "nothing lost or duplicated")
        }
    }

    func testMegabyteLinesStayLinear() {
        let line = String(repeating: "0123456789abcdef", count: 1 << 19)   // one 8 MiB line
        let start = Date()
        let chunks = Chunker().chunks(of: line, language: .other, path: "blob.txt")
        XCTAssertEqual(chunks.count, 4096)
        XCTAssertLessThan(Date().timeIntervalSince(start), 30, "quadratic splitting would take minutes")
    }

    func testLineWindowsOverlapAndCoverTheFile() {
        let text = (1...200).map { "line \($0) of the notes" }.joined(separator: "\n")
        let options = ChunkingOptions(lineWindow: 60, lineOverlap: 8)
        let chunks = Chunker(options: options).chunks(of: text, language: .other, path: "NOTES.md")
        XCTAssertEqual(chunks.map(\.startLine), [1, 53, 105, 157])
        XCTAssertEqual(chunks.map(\.endLine), [60, 112, 164, 200])
        XCTAssertTrue(chunks.allSatisfy { $0.kind == .lines && $0.symbol.isEmpty })
        XCTAssertEqual(chunks.first?.text.hasPrefix("line 1 of"), true)
        XCTAssertEqual(chunks.last?.text.hasSuffix("line 200 of the notes"), true)
    }

    func testLineWindowsShrinkToFitTheBudget() {
        let text = (1...100).map { "\($0): " + String(repeating: "x", count: 200) }.joined(separator: "\n")
        let options = ChunkingOptions(maxChunkSize: 256)
        let chunks = Chunker(options: options).chunks(of: text, language: .other, path: "data.yaml")
        XCTAssertTrue(chunks.allSatisfy { options.measure($0.text) <= 256 })
        XCTAssertEqual(chunks.last?.endLine, 100)
        XCTAssertEqual(chunks.first?.startLine, 1)
    }
}
