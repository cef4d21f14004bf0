import Foundation
import XCTest
@testable import Encoder

/// The forward passes against transformers on the tiny fixture models (Fixtures/encoder/generate.py).
final class ParityTests: XCTestCase {
    static let models = ["tiny-modernbert-silu", "tiny-modernbert-gelu", "tiny-bert", "tiny-xlm-roberta"]

    func agreement(_ name: String, debug: ForwardDebugOptions = .init(), batchTokens: Int = 8192) throws -> Agreement {
        let directory = encoderFixtures + "/" + name
        let expected = try ExpectedOutputs.load(directory)
        var options = EncoderOptions(maxBatchTokens: batchTokens)
        options.debug = debug
        let model = try EmbeddingModel(directory: directory, options: options)
        return Agreement(try model.embed(tokenIDs: expected.inputs), expected.pooled)
    }

    func testPooledVectorsMatchTransformers() throws {
        for name in Self.models {
            let result = try agreement(name)
            print("parity \(name): \(result)")
            XCTAssertTrue(result.meetsParity, "\(name): \(result)")
        }
    }

    func testHiddenStatesMatchTransformers() throws {
        for name in Self.models {
            let directory = encoderFixtures + "/" + name
            let expected = try ExpectedOutputs.load(directory)
            let model = try EmbeddingModel(directory: directory)
            let states = try model.hiddenStates(tokenIDs: [expected.inputs[expected.hiddenIndex]])[0]
            let reference = expected.hidden.flatMap { $0 }
            XCTAssertEqual(states.count, reference.count, name)
            XCTAssertLessThan(maxAbsDifference(states, reference), 1e-3, name)
        }
    }

    /// Small batches force several forward passes; results must not depend on packing.
    func testBatchPackingDoesNotChangeResults() throws {
        for name in ["tiny-modernbert-silu", "tiny-xlm-roberta"] {
            let result = try agreement(name, batchTokens: 50)
            XCTAssertTrue(result.meetsParity, "\(name): \(result)")
        }
    }

    func testLoadsBothConfigStylesAndPooling() throws {
        let silu = try EmbeddingModel(directory: encoderFixtures + "/tiny-modernbert-silu")
        let gelu = try EmbeddingModel(directory: encoderFixtures + "/tiny-modernbert-gelu")
        guard case let .modernBert(new) = silu.modelDescription.architecture,
              case let .modernBert(old) = gelu.modelDescription.architecture else {
            return XCTFail("fixtures are not ModernBERT")
        }
        XCTAssertEqual(new.globalLayers, [true, false, false, true, false, false])
        XCTAssertEqual(old.globalLayers, [true, false, false, true, false, false])
        XCTAssertEqual([new.globalRopeTheta, new.localRopeTheta], [80000, 10000])
        XCTAssertEqual([old.globalRopeTheta, old.localRopeTheta], [160000, 5000])
        XCTAssertEqual(new.activation, .silu)
        XCTAssertEqual(old.activation, .gelu)
        XCTAssertEqual(new.localWindow, 16)
        XCTAssertEqual(silu.pooling, .cls)
        XCTAssertEqual(try EmbeddingModel(directory: encoderFixtures + "/tiny-bert").pooling, .mean)
        XCTAssertEqual(try EmbeddingModel(directory: encoderFixtures + "/tiny-xlm-roberta").pooling, .cls)
    }

    // MARK: The classic porting mistakes must break parity.

    func testSwappedRopeThetasAreCaught() throws {
        for name in ["tiny-modernbert-silu", "tiny-modernbert-gelu"] {
            var debug = ForwardDebugOptions()
            debug.swapRopeThetas = true
            XCTAssertFalse(try agreement(name, debug: debug).meetsParity, name)
        }
    }

    func testTanhGeluIsCaught() throws {
        // (On the 2-layer tiny BERT the tanh/erf gap stays under 1e-4; the e5 test covers BERT.)
        var debug = ForwardDebugOptions()
        debug.activationOverride = .geluTanh
        XCTAssertFalse(try agreement("tiny-modernbert-gelu", debug: debug).meetsParity)
    }

    func testSwappedGateHalvesAreCaught() throws {
        for name in ["tiny-modernbert-silu", "tiny-modernbert-gelu"] {
            var debug = ForwardDebugOptions()
            debug.swapGateHalves = true
            XCTAssertFalse(try agreement(name, debug: debug).meetsParity, name)
        }
    }

    func testInterleavedRopeIsCaught() throws {
        var debug = ForwardDebugOptions()
        debug.interleavedRope = true
        XCTAssertFalse(try agreement("tiny-modernbert-silu", debug: debug).meetsParity)
    }

    func testWindowOffByOneIsCaught() throws {
        for adjustment in [-1, 1] {
            for name in ["tiny-modernbert-silu", "tiny-modernbert-gelu"] {
                var debug = ForwardDebugOptions()
                debug.halfWindowAdjustment = adjustment
                XCTAssertFalse(try agreement(name, debug: debug).meetsParity, "\(name) window \(adjustment)")
            }
        }
    }

    // MARK: Output shaping.

    func testMatryoshkaTruncatesThenRenormalises() throws {
        let directory = encoderFixtures + "/tiny-modernbert-silu"
        let model = try EmbeddingModel(directory: directory)
        let expected = try ExpectedOutputs.load(directory)
        let full = try model.embed(tokenIDs: [expected.inputs[0]])[0]
        let short = try model.embed(tokenIDs: [expected.inputs[0]], dimension: 8)[0]
        XCTAssertEqual(short.count, 8)
        var prefix = Array(full.prefix(8))
        normalize(&prefix)
        XCTAssertLessThan(maxAbsDifference(short, prefix), 1e-6)
        XCTAssertEqual(short.reduce(0) { $0 + $1 * $1 }, 1, accuracy: 1e-5)
        XCTAssertThrowsError(try model.embed(tokenIDs: [[1, 2]], dimension: 33))
        XCTAssertThrowsError(try model.embed(tokenIDs: [[1, 2]], dimension: 0))
    }

    /// Long inputs run attention in query blocks: the score memory stays far below T².
    func testLongSequenceRunsInBoundedMemory() throws {
        let directory = try copyOfFixture("tiny-modernbert-silu")
        let url = URL(fileURLWithPath: directory + "/config.json")
        var config = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any] ?? [:]
        config["max_position_embeddings"] = 32768
        try JSONSerialization.data(withJSONObject: config).write(to: url)
        let model = try EmbeddingModel(directory: directory)
        XCTAssertEqual(model.maxTokens, 32768)
        let length = 4096
        let long = (0..<length).map { Int32(3 + ($0 * 7919) % 250) }
        let vector = try model.embed(tokenIDs: [long])[0]
        XCTAssertEqual(vector.count, 32)
        XCTAssertTrue(vector.allSatisfy(\.isFinite))
        XCTAssertEqual(vector.reduce(0) { $0 + $1 * $1 }, 1, accuracy: 1e-5)
        let scoreFloats = model.workspaceScoreCapacity
        XCTAssertLessThanOrEqual(scoreFloats, 128 * length, "attention scores use \(scoreFloats) floats for \(length) tokens")
    }

    /// Calls from several threads share one workspace behind a lock; each gets its own result.
    func testConcurrentCallsAgree() throws {
        let directory = encoderFixtures + "/tiny-modernbert-gelu"
        let model = try EmbeddingModel(directory: directory)
        let expected = try ExpectedOutputs.load(directory)
        final class Results: @unchecked Sendable {
            let lock = NSLock()
            var vectors: [(Int, [Float])] = []
        }
        let results = Results()
        DispatchQueue.concurrentPerform(iterations: 6) { i in
            let index = i % expected.inputs.count
            let vector = (try? model.embed(tokenIDs: [expected.inputs[index]]))?.first ?? []
            results.lock.lock()
            results.vectors.append((index, vector))
            results.lock.unlock()
        }
        XCTAssertEqual(results.vectors.count, 6)
        for (index, vector) in results.vectors {
            XCTAssertLessThan(maxAbsDifference(vector, expected.pooled[index]), 1e-4)
        }
    }

    func testMaxTokensOptionLimitsInputs() throws {
        let model = try EmbeddingModel(directory: encoderFixtures + "/tiny-bert", options: EncoderOptions(maxTokens: 10))
        XCTAssertEqual(model.maxTokens, 10)
        XCTAssertThrowsError(try model.embed(tokenIDs: [Array(repeating: 5, count: 11)]))
        XCTAssertEqual(try model.embed(tokenIDs: [Array(repeating: 5, count: 10)])[0].count, 32)
    }
}
