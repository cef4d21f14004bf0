import Foundation
import XCTest
@testable import Tokenizers

final class JSONTokenizerTests: XCTestCase {
    private static let byteLevelPath = Fixtures.path("bytelevel-o200k.tokenizer.json")
    private static let gemmaPath = Fixtures.path("gemma-style.tokenizer.json")

    func testByteLevelO200kMatchesHuggingFace() throws {
        let tokenizer = try JSONTokenizer(contentsOf: Self.byteLevelPath)
        assertParity(tokenizer, name: "bytelevel", cases: try Fixtures.cases())
    }

    func testGemmaStyleMatchesHuggingFace() throws {
        let tokenizer = try JSONTokenizer(contentsOf: Self.gemmaPath)
        assertParity(tokenizer, name: "gemma", cases: try Fixtures.cases())
    }

    func testSpecialTokensComeFromTheFile() throws {
        let byteLevel = try JSONTokenizer(contentsOf: Self.byteLevelPath)
        XCTAssertEqual(byteLevel.specialTokens, SpecialTokenIDs(classification: 0, separator: 2, padding: 1,
                                                                 unknown: nil, mask: 4000))
        XCTAssertEqual(byteLevel.vocabularySize, 4002)
        let gemma = try JSONTokenizer(contentsOf: Self.gemmaPath)
        XCTAssertEqual(gemma.specialTokens, SpecialTokenIDs(classification: 2, separator: 1, padding: 0,
                                                             unknown: 3, mask: 4))
        XCTAssertEqual(gemma.encode("", addSpecialTokens: true), [2, 1])
        XCTAssertEqual(gemma.encode("", addSpecialTokens: false), [])
    }

    func testTruncationKeepsTemplate() throws {
        let tokenizer = try JSONTokenizer(contentsOf: Self.byteLevelPath)
        let text = String(repeating: "tokenizer parity test ", count: 50)
        let full = tokenizer.encode(text)
        XCTAssertGreaterThan(full.count, 16)
        let cut = tokenizer.encode(text, addSpecialTokens: true, maxLength: 16)
        XCTAssertEqual(cut.count, 16)
        XCTAssertEqual(cut.first, 0)
        XCTAssertEqual(cut.last, 2)
        XCTAssertEqual(Array(cut.dropLast()), Array(full.prefix(15)))
        XCTAssertEqual(tokenizer.tokenCount(text), full.count - 2)
    }

    /// The o200k scanner against splits the HF `tokenizers` library produces for this pattern.
    func testO200kSplits() {
        let cases: [(String, [String])] = [
            ("Hello world's HTTPServer camelCase", ["Hello", " world's", " HTTPServer", " camel", "Case"]),
            ("x  = 1234567;\n\n  y", ["x", " ", " =", " ", "123", "456", "7", ";\n\n", " ", " y"]),
            ("a/b//c\r\n", ["a", "/b", "//", "c", "\r\n"]),
            ("  trailing  ", [" ", " trailing", "  "]),
            ("o\u{308}\u{301}x \u{301}abc ǅungla", ["o\u{308}\u{301}x", " \u{301}abc", " ǅungla"]),
            ("I'M DON'T", ["I'M", " DON'T"]),
        ]
        for (text, expected) in cases {
            var buffer = Array(text.utf8)
            let ranges = PreTokenizerStep.splitRegex(.o200k, .isolated, invert: false)
                .apply(buffer: &buffer, pieces: [0..<buffer.count])
            let pieces = ranges.map { String(decoding: buffer[$0], as: UTF8.self) }
            XCTAssertEqual(pieces, expected, text.debugDescription)
        }
    }

    /// Every scanner against the HF `tokenizers` Split pre-tokenizer over all parity strings.
    func testRegexScannersMatchHuggingFaceSplits() throws {
        let cases = try Fixtures.cases()
        for (name, regex) in [("o200k", SplitRegex.o200k), ("cl100k", .cl100k), ("gpt2", .gpt2)] {
            let expected = try XCTUnwrap(cases.splits[name])
            var failures = 0
            for (text, lengths) in zip(cases.strings, expected) {
                var buffer = Array(text.utf8)
                let ranges = PreTokenizerStep.splitRegex(regex, .isolated, invert: false)
                    .apply(buffer: &buffer, pieces: [0..<buffer.count])
                let actual = ranges.map { String(decoding: buffer[$0], as: UTF8.self).unicodeScalars.count }
                if actual != lengths {
                    failures += 1
                    if failures <= 3 { XCTFail("\(name): \(text.prefix(80).debugDescription)\n \(lengths.prefix(30))\n \(actual.prefix(30))") }
                }
            }
            XCTAssertEqual(failures, 0, "\(name): \(failures) strings split differently")
        }
    }

    /// One tokenizer shared by many threads (word caches included) gives the same ids.
    func testConcurrentEncodingIsConsistent() throws {
        let tokenizer = try JSONTokenizer(contentsOf: Self.byteLevelPath)
        let cases = try Fixtures.cases()
        let expected = try XCTUnwrap(cases.expected["bytelevel"])
        let results = ResultBox(count: cases.strings.count)
        DispatchQueue.concurrentPerform(iterations: cases.strings.count) { index in
            results.set(index, tokenizer.encode(cases.strings[index]))
        }
        XCTAssertEqual(results.values, expected)
    }

    func testRejectsUnknownRegex() throws {
        var object = try XCTUnwrap(JSONSerialization.jsonObject(
            with: Data(contentsOf: URL(fileURLWithPath: Self.byteLevelPath))) as? [String: Any])
        object["pre_tokenizer"] = ["type": "Split", "pattern": ["Regex": "\\w+"], "behavior": "Isolated", "invert": false]
        let data = try JSONSerialization.data(withJSONObject: object)
        XCTAssertThrowsError(try JSONTokenizer(data: data)) { error in
            XCTAssertEqual(error as? TokenizerError, .unsupported("Split regex \\w+"))
        }
    }

    func testLoadTokenizerReadsDirectory() throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        XCTAssertThrowsError(try loadTokenizer(modelDirectory: directory.path))
        try FileManager.default.copyItem(atPath: Self.gemmaPath, toPath: directory.appendingPathComponent("tokenizer.json").path)
        try Data(#"{"model_max_length": 8192, "tokenizer_class": "GemmaTokenizer"}"#.utf8)
            .write(to: directory.appendingPathComponent("tokenizer_config.json"))
        let tokenizer = try loadTokenizer(modelDirectory: directory.path)
        XCTAssertTrue(tokenizer is JSONTokenizer)
        XCTAssertEqual(tokenizer.modelMaxLength, 8192)
        XCTAssertEqual(tokenizer.specialTokens.classification, 2)
    }
}

/// Collects per-index results from concurrent work.
private final class ResultBox: @unchecked Sendable {
    // @unchecked: `values` is only touched under `lock`.
    private let lock = NSLock()
    private var storage: [[Int32]]

    init(count: Int) { storage = Array(repeating: [], count: count) }

    func set(_ index: Int, _ value: [Int32]) {
        lock.lock()
        storage[index] = value
        lock.unlock()
    }

    var values: [[Int32]] {
        lock.lock()
        defer { lock.unlock() }
        return storage
    }
}
