import Foundation
import XCTest
@testable import Tokenizers
import TestSupport

/// Mutated tokenizer files load or fail with a `TokenizerError`; every tokenizer
/// encodes arbitrary bytes (invalid UTF-8, NUL, long runs) to ids inside its
/// vocabulary. `Benchmarks/fuzz.sh` runs the same targets for longer.
final class TokenizerFuzzTests: XCTestCase {
    private let jsonFiles = ["bytelevel-o200k.tokenizer.json", "gemma-style.tokenizer.json"]

    func testTokenizerJSONFiles() throws {
        let corpus = try jsonFiles.map { [UInt8](try Data(contentsOf: URL(fileURLWithPath: Fixtures.path($0)))) }
        let fuzzer = Fuzzer(target: "tokenizer-json", corpus: corpus,
                            dictionary: ["\"type\"", "\"vocab\"", "\"merges\"", "\"added_tokens\"", "\"pre_tokenizer\"",
                                         "\"normalizer\"", "\"ByteLevel\"", "\"Split\"", "\"Sequence\"", "\"BPE\"",
                                         "\"regex\"", "\"byte_fallback\"", "\"<0x00>\""],
                            maxLength: 512 << 10)
        let report = fuzzer.run(executions: 60) { bytes in
            guard let tokenizer = try? JSONTokenizer(data: Data(bytes)) else { return }
            try Self.checkEncoding(tokenizer, of: "def parse_config(path):\n    return {}\u{0}é😀", label: "tokenizer.json")
        }
        XCTAssertEqual(report.findings, [])
    }

    func testSentencePieceModelFiles() throws {
        let corpus = [[UInt8](try Self.smallModel())]
        let fuzzer = Fuzzer(target: "sentencepiece-model", corpus: corpus, maxLength: 256 << 10)
        let report = fuzzer.run(executions: 400) { bytes in
            guard let tokenizer = try? SentencePieceTokenizer(modelData: Data(bytes)) else { return }
            try Self.checkEncoding(tokenizer, of: "hello wörld\u{0}😀 ｈｅｌｌｏ", label: "sentencepiece")
            // libsentencepiece parses the same bytes on its own: it must refuse or accept, not crash.
            if (try? tokenizer.validateWithSentencePiece()) != nil {
                _ = tokenizer.pieceIDs("hello world")
            }
        }
        XCTAssertEqual(report.findings, [])
    }

    func testTokenizersOnArbitraryBytes() throws {
        var tokenizers: [(String, any Tokenizer)] = try jsonFiles.map {
            ($0, try JSONTokenizer(data: Data(contentsOf: URL(fileURLWithPath: Fixtures.path($0)))))
        }
        tokenizers.append(("sentencepiece", try SentencePieceTokenizer(modelData: try Self.smallModel())))
        let cases = try Fixtures.cases()
        let corpus = cases.strings.map { Array($0.utf8) } + [[0xFF, 0xFE, 0x00, 0xC3], Array(repeating: 0x20, count: 4096)]
        for (name, tokenizer) in tokenizers {
            let fuzzer = Fuzzer(target: "encode-\(name)", corpus: corpus, maxLength: 64 << 10)
            let report = fuzzer.run(executions: 800) { bytes in
                try Self.checkEncoding(tokenizer, of: String(decoding: bytes, as: UTF8.self), label: name)
            }
            XCTAssertEqual(report.findings, [], name)
        }
    }

    /// Ids lie inside the vocabulary and truncation holds.
    static func checkEncoding(_ tokenizer: any Tokenizer, of text: String, label: String) throws {
        let ids = tokenizer.encode(text, addSpecialTokens: true, maxLength: nil)
        if let bad = ids.first(where: { $0 < 0 || Int($0) >= tokenizer.vocabularySize }) {
            throw Fuzzer.Finding("\(label): id \(bad) outside a vocabulary of \(tokenizer.vocabularySize)")
        }
        let cut = tokenizer.encode(text, addSpecialTokens: true, maxLength: 8)
        guard cut.count <= 8 else { throw Fuzzer.Finding("\(label): \(cut.count) ids past maxLength 8") }
    }

    /// A unigram model small enough to mutate thousands of times, with the nmt_nfkc charsmap.
    static func smallModel() throws -> Data {
        try SentencePieceModelWriter.modelData(pieces: [
            SentencePieceEntry("<unk>", score: 0, kind: .unknown),
            SentencePieceEntry("<s>", score: 0, kind: .control),
            SentencePieceEntry("</s>", score: 0, kind: .control),
            SentencePieceEntry("▁hello", score: -1),
            SentencePieceEntry("▁world", score: -1),
            SentencePieceEntry("▁", score: -2),
            SentencePieceEntry("h", score: -5), SentencePieceEntry("e", score: -5),
            SentencePieceEntry("l", score: -5), SentencePieceEntry("o", score: -5),
            SentencePieceEntry("<0x00>", score: 0, kind: .byte),
        ])
    }
}
