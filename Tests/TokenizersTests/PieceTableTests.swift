import XCTest
@testable import Tokenizers
import TestSupport

/// The String-free vocabulary loading: UTF-8 validation and repair of pieces.
final class PieceTableTests: XCTestCase {
    func testWellFormedUTF8AgreesWithTheStandardLibrary() {
        let crafted: [[UInt8]] = [
            [], Array("plain ascii".utf8), Array("▁héllo 日本 🙂".utf8),
            [0xC0, 0x80], [0xC1, 0xBF], [0xE0, 0x80, 0x80], [0xE0, 0x9F, 0xBF], [0xE0, 0xA0, 0x80],
            [0xED, 0x9F, 0xBF], [0xED, 0xA0, 0x80], [0xF0, 0x8F, 0xBF, 0xBF], [0xF0, 0x90, 0x80, 0x80],
            [0xF4, 0x8F, 0xBF, 0xBF], [0xF4, 0x90, 0x80, 0x80], [0xF5, 0x80, 0x80, 0x80], [0xFF],
            [0x80], [0xE2, 0x96], [0xE2, 0x96, 0x81, 0x81], [0x61, 0xE2, 0x96, 0x62],
        ]
        var generator = SeededGenerator(seed: 23)
        let random: [[UInt8]] = (0..<2000).map { _ in
            // Mostly bytes that form multi-byte sequences, so both outcomes are common.
            (0..<Int.random(in: 0...12, using: &generator)).map { _ in
                Bool.random(using: &generator) ? UInt8.random(in: 0x80...0xBF, using: &generator)
                    : UInt8.random(in: 0...0xFF, using: &generator)
            }
        }
        for bytes in crafted + random {
            let expected = String(validating: bytes, as: UTF8.self) != nil
            XCTAssertEqual(bytes.withUnsafeBufferPointer { isWellFormedUTF8($0) }, expected, "\(bytes)")
        }
    }

    func testMalformedPiecesAreRepairedLikeStringDecoding() {
        let pieces: [[UInt8]] = [Array("▁ok".utf8), [0x61, 0xFF, 0x62], Array("日本".utf8), [0xE2, 0x96], [0x81]]
        var table = PieceTable()
        for (index, piece) in pieces.enumerated() { table.append(piece, score: Float(-index)) }
        table.replaceMalformedUTF8()
        XCTAssertEqual(table.count, pieces.count)
        for (index, piece) in pieces.enumerated() {
            XCTAssertEqual(table.text(at: index), String(decoding: piece, as: UTF8.self))
            XCTAssertEqual(table.scores[index], Float(-index))
        }
    }

    /// Well-formed as a whole, yet a piece boundary splits a character: still repaired.
    func testCharacterSplitAcrossPiecesIsMalformed() {
        var table = PieceTable()
        table.append([0xE2, 0x96], score: 0)
        table.append([0x81], score: 0)
        table.replaceMalformedUTF8()
        XCTAssertEqual(table.text(at: 0), "\u{FFFD}")
        XCTAssertEqual(table.text(at: 1), "\u{FFFD}")
    }

    func testWellFormedTableIsKept() {
        var table = PieceTable()
        let texts = (0..<1000).map { "▁piece\($0)" + String(repeating: "é", count: $0 % 5) }
        for text in texts { table.append(text.utf8, score: 1) }
        let before = table.bytes
        table.replaceMalformedUTF8()
        XCTAssertEqual(table.bytes, before)
        XCTAssertEqual((0..<texts.count).map { table.text(at: $0) }, texts)
    }
}

/// Piece messages in any field order or with extra fields parse like the usual layout.
final class ModelProtoLayoutTests: XCTestCase {
    func testUncommonPieceLayoutsParseLikeTheUsualOne() throws {
        let texts = ["<unk>", "▁hello", String(repeating: "é", count: 100), "x"]
        let scores: [Float] = [0, -1.5, -2.25, -30]
        var usual = ProtobufWriter(), unusual = ProtobufWriter()
        for (index, (text, score)) in zip(texts, scores).enumerated() {
            var piece = ProtobufWriter()
            piece.string(1, text)
            piece.float(2, score)
            piece.varint(3, 1)
            usual.message(1, piece)
            var reordered = ProtobufWriter()
            switch index % 3 {
            case 0:  // score and type first
                reordered.float(2, score)
                reordered.varint(3, 1)
                reordered.string(1, text)
            case 1:  // an unknown field after the score, no type
                reordered.string(1, text)
                reordered.float(2, score)
                reordered.varint(9, 300)
            default:  // piece written twice: the last one counts
                reordered.string(1, "stale")
                reordered.float(2, score)
                reordered.string(1, text)
            }
            unusual.message(1, reordered)
        }
        func parse(_ writer: ProtobufWriter) throws -> PieceTable {
            var table = PieceTable()
            let contents = try SentencePieceModelContents(writer.data, appendingPiecesFrom: 1, to: &table)
            XCTAssertEqual(contents.pieceCount, texts.count)
            return table
        }
        let expected = try parse(usual), actual = try parse(unusual)
        XCTAssertEqual((0..<expected.count).map { expected.text(at: $0) }, Array(texts.dropFirst()))
        XCTAssertEqual(expected.scores, Array(scores.dropFirst()))
        XCTAssertEqual(actual.bytes, expected.bytes)
        XCTAssertEqual(actual.starts, expected.starts)
        XCTAssertEqual(actual.scores, expected.scores)
    }
}
