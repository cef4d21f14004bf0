import Foundation
import QuarryCore
import XCTest
@testable import Store

/// A fresh directory under the system temp dir, removed when the test ends.
func makeTemporaryDirectory(_ test: XCTestCase) throws -> String {
    let directory = FileManager.default.temporaryDirectory
        .appendingPathComponent("quarry-store-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    test.addTeardownBlock { try? FileManager.default.removeItem(atPath: directory) }
    return directory
}

/// A chunk covering `text`, placed at `startLine` with byte offset `startByte`.
func chunk(_ text: String, symbol: String = "", kind: ChunkKind = .function,
           language: Language = .python, startLine: Int = 1, startByte: Int = 0) -> Chunk {
    let lines = text.split(separator: "\n", omittingEmptySubsequences: false).count
    return Chunk(language: language, kind: kind, symbol: symbol, startLine: startLine,
                 endLine: startLine + max(lines, 1) - 1, startByte: startByte,
                 endByte: startByte + text.utf8.count, text: text)
}

/// A blob whose chunks are the given texts, laid out one after another.
func blob(_ id: String, path: String, language: Language = .python,
          chunks texts: [(symbol: String, text: String)]) -> BlobRecord {
    var chunks: [Chunk] = []
    var line = 1
    var byte = 0
    for (symbol, text) in texts {
        let piece = chunk(text, symbol: symbol, language: language, startLine: line, startByte: byte)
        chunks.append(piece)
        line = piece.endLine + 2
        byte = piece.endByte + 1
    }
    return BlobRecord(id: id, path: path, language: language, size: byte, chunks: chunks)
}

/// Blobs a, b (Python, sharing the text of `ping`) and g (Go): five chunks, four distinct texts.
let sharedTextBlobs: [BlobRecord] = {
    let same = "def ping(): return 'pong'"
    return [
        blob("a", path: "a.py", chunks: [("ping", same), ("alpha", "def alpha(): pass")]),
        blob("b", path: "b.py", chunks: [("ping", same), ("beta", "def beta(): pass")]),
        blob("g", path: "g.go", language: .go, chunks: [("Gamma", "func Gamma() {}")]),
    ]
}()

func revision(_ name: String, commit: String = "c0ffee", indexedAt: Date = Date()) -> RevisionRecord {
    RevisionRecord(name: name, commitID: commit, treeID: "7ree", commitTime: Date(timeIntervalSince1970: 1_700_000_000),
                   author: "Ada <ada@example.com>", subject: "Initial commit", indexedAt: indexedAt)
}

/// Asserts that `body` throws exactly `expected`.
func XCTAssertStoreError<T>(_ expected: StoreError, file: StaticString = #filePath, line: UInt = #line,
                            _ body: () throws(StoreError) -> T) {
    do {
        _ = try body()
        XCTFail("expected \(expected), got no error", file: file, line: line)
    } catch {
        XCTAssertEqual(error, expected, file: file, line: line)
    }
}

/// The `"a" OR "b"` MATCH expression for plain lowercase words.
func orMatch(_ words: String...) -> String {
    words.map { "\"\($0)\"" }.joined(separator: " OR ")
}
