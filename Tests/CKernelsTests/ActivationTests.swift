import CKernels
import Foundation
import XCTest

/// The vectorised activations against libm on a dense grid and at the edges.
final class ActivationTests: XCTestCase {
    /// -12 ... 12 in small steps, plus odd lengths so the masked tails run.
    private let grid: [Float] = stride(from: Float(-12), through: 12, by: 0.0137).map { $0 } + [0, -0, 1e-8, -1e-8]

    func testGELUMatchesExactErf() {
        var values = grid
        qk_gelu_erf(&values, values.count)
        for (x, y) in zip(grid, values) {
            let expected = 0.5 * Double(x) * (1 + erf(Double(x) / 2.0.squareRoot()))
            XCTAssertEqual(Double(y), expected, accuracy: 2e-7 * max(1, abs(expected)), "gelu(\(x))")
        }
    }

    func testSiLUMatchesLibm() {
        var values = grid
        qk_silu(&values, values.count)
        for (x, y) in zip(grid, values) {
            let expected = Double(x) / (1 + exp(-Double(x)))
            XCTAssertEqual(Double(y), expected, accuracy: 2e-7 * max(1, abs(expected)), "silu(\(x))")
        }
    }

    func testShiftedExponentialsAndTheirSum() {
        for count in [1, 15, 16, 17, 100, 513] {
            let input = (0..<count).map { Float($0 % 37) * -0.9 }
            var values = input
            let sum = qk_exp_shifted_sum(&values, values.count, 2.5)
            var expectedSum = 0.0
            for (x, y) in zip(input, values) {
                // The shift is subtracted in fp32, as the kernel's contract says.
                let expected = exp(Double(x - 2.5))
                expectedSum += expected
                XCTAssertEqual(Double(y), expected, accuracy: 2e-7 * expected, "exp(\(x) - 2.5)")
            }
            XCTAssertEqual(Double(sum), expectedSum, accuracy: 1e-5 * expectedSum)
        }
    }

    func testVeryNegativeArgumentsUnderflowToZeroNotNaN() {
        var values: [Float] = [-200, -1000, -.greatestFiniteMagnitude]
        _ = qk_exp_shifted_sum(&values, values.count, 0)
        XCTAssertEqual(values, [0, 0, 0])
        var large: [Float] = [50, -50, 100]
        qk_gelu_erf(&large, large.count)
        XCTAssertEqual(large[0], 50, accuracy: 1e-5)
        XCTAssertEqual(large[1], 0, accuracy: 1e-5)
        XCTAssertEqual(large[2], 100, accuracy: 1e-4)
    }

    func testSoftmaxSumsToOneAndZeroesRowsWithoutAFiniteMaximum() {
        for count in [1, 5, 16, 17, 130] {
            let input = (0..<count).map { Float(($0 * 37) % 23) * 0.7 - 4 }
            var values = input
            qk_softmax(&values, values.count)
            let top = input.map(Double.init).max() ?? 0
            let total = input.reduce(0.0) { $0 + exp(Double($1) - top) }
            for (x, y) in zip(input, values) {
                XCTAssertEqual(Double(y), exp(Double(x) - top) / total, accuracy: 1e-6, "softmax over \(count)")
            }
        }
        var masked: [Float] = [-.infinity, -.infinity, -.infinity]
        qk_softmax(&masked, masked.count)
        XCTAssertEqual(masked, [0, 0, 0])
    }

    func testLayerNormWithAndWithoutResidualMatchesDouble() {
        let rows = 3, width = 389 // a masked tail in every pass
        let x = (0..<(rows * width)).map { Float(($0 * 7919) % 1000) / 97 - 5 }
        let residual = (0..<(rows * width)).map { Float(($0 * 104_729) % 777) / 211 }
        let weight = (0..<width).map { 0.5 + Float($0 % 13) / 10 }
        let bias = (0..<width).map { Float($0 % 7) / 5 - 0.6 }
        for (withResidual, withBias) in [(false, true), (true, true), (true, false)] {
            var values = x
            residual.withUnsafeBufferPointer { r in
                bias.withUnsafeBufferPointer { b in
                    qk_layer_norm(&values, withResidual ? r.baseAddress : nil, rows, width, weight,
                                  withBias ? b.baseAddress : nil, 1e-12)
                }
            }
            for row in 0..<rows {
                let input = (0..<width).map { Double(x[row * width + $0]) + (withResidual ? Double(residual[row * width + $0]) : 0) }
                let mean = input.reduce(0, +) / Double(width)
                let variance = input.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(width)
                for i in 0..<width {
                    let expected = (input[i] - mean) / (variance + 1e-12).squareRoot() * Double(weight[i]) + (withBias ? Double(bias[i]) : 0)
                    XCTAssertEqual(Double(values[row * width + i]), expected, accuracy: 1e-5)
                }
            }
        }
    }
}
