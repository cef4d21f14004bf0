import Foundation
import XCTest
@testable import Encoder
import TestSupport

/// Mutated model files: a safetensors header and tensor table, and config.json,
/// must load or fail with an `EncoderError`, never crash, hang or overrun.
/// `Benchmarks/fuzz.sh` runs the same targets for longer.
final class EncoderFuzzTests: XCTestCase {
    private let models = ["tiny-bert", "tiny-xlm-roberta", "tiny-modernbert-gelu", "tiny-modernbert-silu"]

    func testSafetensorsHeaderAndTensorTable() throws {
        let corpus = try models.map { [UInt8](try Data(contentsOf: URL(fileURLWithPath: encoderFixtures + "/\($0)/model.safetensors"))) }
        let path = try temporaryDirectory("fuzz-st") + "/model.safetensors"
        let fuzzer = Fuzzer(target: "safetensors", corpus: corpus,
                            dictionary: ["\"dtype\"", "\"shape\"", "\"data_offsets\"", "\"F16\"", "\"BF16\"", "\"F32\"", "__metadata__"],
                            maxLength: 1 << 20)
        let report = fuzzer.run(executions: 500) { bytes in
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            guard let file = try? SafetensorsFile(path: path) else { return }
            for info in file.tensors.values {
                // Every accepted entry lies inside the data section and matches its shape.
                let values = file.floats(of: info)
                guard values.count == info.elementCount else {
                    throw Fuzzer.Finding("\(info.name): \(values.count) values for shape \(info.shape)")
                }
            }
        }
        XCTAssertEqual(report.findings, [])
    }

    func testModelConfiguration() throws {
        let directories = try models.map { try copyOfFixture($0) }
        let corpus = try directories.map { [UInt8](try Data(contentsOf: URL(fileURLWithPath: $0 + "/config.json"))) }
        let fuzzer = Fuzzer(target: "config-json", corpus: corpus,
                            dictionary: ["\"hidden_size\"", "\"num_attention_heads\"", "\"model_type\"", "\"modernbert\"",
                                         "\"max_position_embeddings\"", "\"intermediate_size\"", "\"layer_norm_eps\"",
                                         "\"global_attn_every_n_layers\"", "\"local_attention\"", "\"hidden_activation\""],
                            maxLength: 64 << 10)
        var loaded = 0
        let report = fuzzer.run(executions: 150) { bytes in
            // Each input goes into the model directory it was drawn from, beside that model's weights.
            for directory in directories {
                try Data(bytes).write(to: URL(fileURLWithPath: directory + "/config.json"))
                guard let model = try? EmbeddingModel(directory: directory) else { continue }
                loaded += 1
                let ids: [Int32] = [0, 5, 6, 2]
                guard let vectors = try? model.embed(tokenIDs: [ids]) else { continue }
                guard vectors.count == 1, vectors[0].count == model.dimension else {
                    throw Fuzzer.Finding("\(vectors.first?.count ?? 0) components, dimension \(model.dimension)")
                }
            }
        }
        XCTAssertEqual(report.findings, [])
        XCTAssertGreaterThan(loaded, 0, "some mutated configurations still load")
    }
}
