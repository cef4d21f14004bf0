import Foundation
import XCTest
import CKernels
@testable import Encoder
import TestSupport

/// Projections: the small-product path (fp32 weights read in place) and the packed path
/// must agree with a plain product, stacked Q/K/V blocks with one matrix, and fp32 weights
/// must be used where the file maps them.
final class LinearTests: XCTestCase {
    /// Every path of `linear`: small products, larger ones before packing pays (in row
    /// chunks), and packed weights once it does, for stacked blocks and one matrix alike.
    func testEveryPathMatchesPlainProduct() {
        var generator = SeededGenerator(seed: 3)
        let (blockRows, k) = (40, 37)
        let parts = (0..<3).map { _ in (0..<(blockRows * k)).map { _ in Float.random(in: -1..<1, using: &generator) } }
        let bias = (0..<(3 * blockRows)).map { _ in Float.random(in: -1..<1, using: &generator) }
        let stacked = LinearWeight(blocks: parts.map { WeightTensor(shape: [blockRows, k], values: $0) })
        let single = LinearWeight(WeightTensor(shape: [3 * blockRows, k], values: parts.flatMap { $0 }))
        let biasTensor = WeightTensor(shape: [3 * blockRows], values: bias)
        let n = 3 * blockRows
        let w = parts.flatMap { $0 }
        let large = LinearWeight.minimumPackedRows * 2 + 3
        // The large products run more than packingRowThreshold rows, so the last ones are packed.
        let sizes = [1, 5, LinearWeight.minimumPackedRows - 1] + Array(repeating: large, count: LinearWeight.packingRowThreshold / large + 2)
        for m in sizes {
            let x = (0..<(m * k)).map { _ in Float.random(in: -1..<1, using: &generator) }
            var expected = [Float](repeating: 0, count: m * n)
            for row in 0..<m {
                for column in 0..<n {
                    var sum = Double(bias[column])
                    for i in 0..<k { sum += Double(x[row * k + i]) * Double(w[column * k + i]) }
                    expected[row * n + column] = Float(sum)
                }
            }
            for weight in [stacked, single] {
                var y = [Float](repeating: .nan, count: m * n)
                x.withUnsafeBufferPointer { input in
                    y.withUnsafeMutableBufferPointer { output in
                        linear(input.baseAddress!, weight, bias: biasTensor, output.baseAddress!, m: m,
                               precision: LinearKernels.precision(for: .query))
                    }
                }
                XCTAssertLessThan(maxAbsDifference(y, expected), 1e-4, "m \(m), \(weight.blocks.count) blocks")
            }
        }
        if let precision = LinearKernels.precision(for: .query) {
            XCTAssertNotNil(stacked.packedForLinear(rows: large, precision: precision))
            // Once packed, small products read the packed weights too.
            XCTAssertNotNil(stacked.packedForLinear(rows: 1, precision: precision))
        }
    }

    /// A query's few rows, before and after `pack` (what a server does at start): the
    /// packed weights give the in-place kernel's bits, in every precision, stacked or not.
    func testPackingAheadChangesNoSmallProduct() throws {
        try XCTSkipUnless(qk_cpu_supports(QK_INT8) == 1 && qk_cpu_supports(QK_BF16) == 1, "needs AVX512 BF16 and VNNI")
        var generator = SeededGenerator(seed: 9)
        let (blockRows, k) = (64, 96)
        for precision in [QK_FP32, QK_BF16, QK_INT8] {
            let parts = (0..<3).map { _ in (0..<(blockRows * k)).map { _ in Float.random(in: -1..<1, using: &generator) } }
            let bias = WeightTensor(shape: [3 * blockRows],
                                    values: (0..<(3 * blockRows)).map { _ in Float.random(in: -1..<1, using: &generator) })
            for weight in [LinearWeight(blocks: parts.map { WeightTensor(shape: [blockRows, k], values: $0) }),
                           LinearWeight(WeightTensor(shape: [3 * blockRows, k], values: parts.flatMap { $0 }))] {
                let sizes = [1, 7, LinearWeight.minimumPackedRows - 1]
                let inputs = sizes.map { m in (0..<(m * k)).map { _ in Float.random(in: -1..<1, using: &generator) } }
                func products() -> [[Float]] {
                    zip(sizes, inputs).map { m, x in
                        var y = [Float](repeating: .nan, count: m * 3 * blockRows)
                        x.withUnsafeBufferPointer { input in
                            y.withUnsafeMutableBufferPointer { output in
                                linear(input.baseAddress!, weight, bias: bias, output.baseAddress!, m: m, precision: precision)
                            }
                        }
                        return y
                    }
                }
                let inPlace = products()
                XCTAssertNil(weight.packedForLinear(rows: 1, precision: precision), "nothing packed yet")
                weight.pack(precision)
                XCTAssertNotNil(weight.packedForLinear(rows: 1, precision: precision))
                XCTAssertEqual(products().map { $0.map(\.bitPattern) }, inPlace.map { $0.map(\.bitPattern) },
                               "precision \(precision.rawValue), \(weight.blocks.count) blocks")
            }
        }
    }

    func testFewLargeProductsDoNotPack() {
        let weight = LinearWeight(WeightTensor(shape: [8, 8], values: (0..<64).map(Float.init)))
        XCTAssertNil(weight.packedForLinear(rows: LinearWeight.packingRowThreshold, precision: QK_FP32))
        XCTAssertNil(weight.packedForLinear(rows: 1, precision: QK_FP32))
    }

    /// Passages and queries may run in different precisions on one model: each precision
    /// gets weights packed for it, and a product in one never reads the other's panels.
    func testEachPrecisionPacksItsOwnWeights() throws {
        try XCTSkipUnless(qk_cpu_supports(QK_INT8) == 1 && qk_cpu_supports(QK_BF16) == 1, "needs AVX512 BF16 and VNNI")
        var generator = SeededGenerator(seed: 5)
        let (n, k, m) = (48, 64, LinearWeight.packingRowThreshold + 1)
        let w = (0..<(n * k)).map { _ in Float.random(in: -1..<1, using: &generator) }
        let x = (0..<(m * k)).map { _ in Float.random(in: -1..<1, using: &generator) }
        let weight = LinearWeight(WeightTensor(shape: [n, k], values: w))
        var outputs: [[Float]] = []
        for precision in [QK_FP32, QK_BF16, QK_INT8] {
            var y = [Float](repeating: .nan, count: m * n)
            x.withUnsafeBufferPointer { input in
                y.withUnsafeMutableBufferPointer { output in
                    linear(input.baseAddress!, weight, bias: nil, output.baseAddress!, m: m, precision: precision)
                }
            }
            let packed = try XCTUnwrap(weight.packedForLinear(rows: m, precision: precision))
            XCTAssertEqual(qk_weights_precision(packed), precision)
            outputs.append(y)
        }
        // int8 and bf16 differ from fp32 by their rounding, and from each other.
        XCTAssertLessThan(maxAbsDifference(outputs[1], outputs[0]), 0.1)
        XCTAssertLessThan(maxAbsDifference(outputs[2], outputs[0]), 0.3)
        XCTAssertGreaterThan(maxAbsDifference(outputs[2], outputs[1]), 0)
    }

    func testF32TensorsAreReadInPlace() throws {
        let values: [Float] = [1, -2, 3.5, 0.25, -0.125, 8]
        let halves: [UInt16] = [0x3C00, 0xC000]  // F16 1, -2
        for padding in 0..<4 {
            let path = try writeSafetensors([
                ("w", "F32", [2, 3], values.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init) }),
                ("h", "F16", [2], halves.flatMap { withUnsafeBytes(of: $0.littleEndian, Array.init) }),
            ], headerPadding: padding)
            let file = try SafetensorsFile(path: path)
            let loader = try WeightLoader(file: file, anchor: "w")
            let weight = try loader.load("w", shape: [2, 3])
            XCTAssertEqual(Array(UnsafeBufferPointer(start: weight.data, count: weight.count)), values)
            let info = try XCTUnwrap(file.tensors["w"])
            if let mapped = file.mappedFloats(of: info) {
                XCTAssertEqual(weight.data, mapped, "aligned F32 must not be copied")
            } else {
                // Only a data section off a 4-byte boundary makes a copy necessary.
                let offset = 8 + (try headerLength(path)) + info.dataRange.lowerBound
                XCTAssertNotEqual(offset % 4, 0, "padding \(padding)")
            }
            let half = try loader.load("h", shape: [2])
            XCTAssertNil(file.mappedFloats(of: try XCTUnwrap(file.tensors["h"])))
            XCTAssertEqual(Array(UnsafeBufferPointer(start: half.data, count: 2)), [1, -2])
        }
    }

    /// Paging the weights in ahead changes nothing, whether tensors are lent (F32) or not (F16).
    func testPrefetchingWeightsKeepsResults() throws {
        for name in ["tiny-xlm-roberta", "tiny-bert"] {
            let directory = encoderFixtures + "/" + name
            let inputs: [[Int32]] = [[0, 5, 6, 7, 2], [0, 9, 2]]
            let plain = try EmbeddingModel(directory: directory).embed(tokenIDs: inputs)
            let prefetched = try EmbeddingModel(directory: directory)
            prefetched.prefetchWeights()
            XCTAssertEqual(try prefetched.embed(tokenIDs: inputs), plain, name)
        }
    }

    /// A safetensors file with `tensors` back to back, the JSON header padded with `headerPadding` spaces.
    private func writeSafetensors(_ tensors: [(name: String, dtype: String, shape: [Int], bytes: [UInt8])],
                                  headerPadding: Int) throws -> String {
        var header: [String: Any] = [:]
        var data: [UInt8] = []
        for tensor in tensors {
            header[tensor.name] = ["dtype": tensor.dtype, "shape": tensor.shape, "data_offsets": [data.count, data.count + tensor.bytes.count]]
            data += tensor.bytes
        }
        let json = [UInt8](try JSONSerialization.data(withJSONObject: header)) + [UInt8](repeating: 0x20, count: headerPadding)
        var length = UInt64(json.count).littleEndian
        let bytes = withUnsafeBytes(of: &length) { Array($0) } + json + data
        let path = try temporaryDirectory("linear") + "/model-\(headerPadding).safetensors"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    private func headerLength(_ path: String) throws -> Int {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        return data.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
    }
}
