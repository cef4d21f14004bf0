import Foundation
import QuarryCore
import XCTest
@testable import Chunker

/// Prose is parsed through a masked copy (`ProseMask`) for speed: the chunks
/// must be exactly those of the document parsed as written.
final class ProseMaskTests: XCTestCase {
    /// The Markdown and reStructuredText files of this repository and its fixtures.
    private func documents() throws -> [(path: String, language: Language)] {
        let root = TestSupport.repositoryRoot
        var found: [(String, Language)] = []
        let skipped = [".build/", ".git/", "node_modules/"]
        let enumerator = FileManager.default.enumerator(atPath: root)
        while let relative = enumerator?.nextObject() as? String {
            guard !skipped.contains(where: relative.hasPrefix) else { continue }
            if relative.hasSuffix(".md") { found.append((root + "/" + relative, .markdown)) }
            if relative.hasSuffix(".rst") { found.append((root + "/" + relative, .rst)) }
        }
        XCTAssertGreaterThan(found.count, 5)
        return found
    }

    func testMaskedParsesGiveTheSameChunksAsTheDocumentsAsWritten() throws {
        for (path, language) in try documents() {
            let registry = try TestSupport.grammarRegistry(for: language)
            let text = try String(contentsOfFile: path, encoding: .utf8)
            let masked = Chunker(registry: registry)
            let plain = Chunker(registry: registry)
            plain.masksProse = false
            let expected = plain.chunks(of: text, language: language, path: path)
            let actual = masked.chunks(of: text, language: language, path: path)
            XCTAssertFalse(expected.isEmpty, path)
            XCTAssertEqual(actual, expected, "\(path): \(TestSupport.outline(actual)) vs \(TestSupport.outline(expected))")
        }
    }

    func testTheMaskKeepsLengthLinesAndStructure() throws {
        let text = """
        Title with `code` and *emphasis*
        ================================

        * A bullet item, with words
        1. An ordered item
        | a | b |
        |---|---|
        Ends with a literal block::

        ```swift
        let x = 1
        ```
        <div>
        Übergröße bleibt
        </div>
        """
        for language in [Language.markdown, .rst] {
            var copy = text
            let masked = try XCTUnwrap(copy.withUTF8 { ProseMask.masked($0, language: language) })
            let original = Array(text.utf8)
            XCTAssertEqual(masked.count, original.count)
            XCTAssertEqual(masked.indices.filter { masked[$0] == 0x0A }, original.indices.filter { original[$0] == 0x0A })
            XCTAssertEqual(masked.indices.filter { masked[$0] >= 0x80 }, original.indices.filter { original[$0] >= 0x80 },
                           "multi-byte characters are never touched")
            let lines = String(decoding: masked, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
            XCTAssertEqual(lines[1], "================================", "underlines stay")
            XCTAssertTrue(lines[0].hasPrefix("Title"), "a title keeps its first word")
            XCTAssertNotEqual(masked, original, "\(language): running text is masked")
        }
        XCTAssertNil(text.utf8.withContiguousStorageIfAvailable { ProseMask.masked($0, language: .python) } ?? nil)
    }
}
