import CKernels
import COpenBLAS
import Dispatch
import XCTest
import TestSupport

/// Checks the packed linear kernels against cblas_sgemm on random data.
///
/// Error metric: `||y - ref||_F / ||ref||_F` over the whole output, where
/// `ref = x · w^T + bias` from cblas_sgemm in fp32. Bounds: fp32 1e-5,
/// bf16 5e-3, int8 1e-2 (observed on this data: ~6e-8, ~2e-3, ~6e-3).
final class CKernelsTests: XCTestCase {
    /// (m, n, k): micro-tile tails (m % 14, n % 32, k % 4), several k blocks
    /// (k > 192 groups), several row blocks (m > 336) and the encoder's shapes.
    private static let shapes: [(m: Int, n: Int, k: Int)] = [
        (1, 1, 1), (2, 3, 5), (13, 31, 7), (14, 32, 8), (15, 33, 9), (16, 16, 16),
        (29, 47, 193), (57, 65, 385), (3, 100, 770), (350, 70, 401), (700, 40, 1001),
        (17, 384, 384), (64, 1152, 384), (100, 70, 1536), (31, 3072, 384), (40, 96, 2304),
    ]

    override func tearDown() {
        qk_set_threads(0)
        super.tearDown()
    }

    func testFP32MatchesSgemm() throws {
        try checkAllShapes(.fp32, tolerance: 1e-5)
    }

    func testBF16MatchesSgemm() throws {
        try checkAllShapes(.bf16, tolerance: 5e-3)
    }

    func testINT8MatchesSgemm() throws {
        try checkAllShapes(.int8, tolerance: 1e-2)
    }

    /// Row split, panel split and one thread compute every element in the same
    /// order, so the outputs must be bit-identical.
    func testThreadCountDoesNotChangeResults() throws {
        for precision in [Precision.fp32, .bf16, .int8] where precision.isSupported {
            for shape in [(m: 700, n: 200, k: 300), (m: 20, n: 1152, k: 384)] {
                var generator = SeededGenerator(seed: 7)
                let problem = Problem(m: shape.m, n: shape.n, k: shape.k, using: &generator)
                let weights = try XCTUnwrap(problem.pack(precision))
                defer { qk_weights_free(weights) }
                qk_set_threads(1)
                let single = problem.run(weights)
                qk_set_threads(2)
                let double = problem.run(weights)
                XCTAssertEqual(single, double, "\(precision) \(shape)")
            }
        }
    }

    /// Writing into a column slice of a wider buffer leaves the rest alone.
    func testStridedReadsAndWritesSlices() throws {
        for precision in [Precision.fp32, .bf16, .int8] where precision.isSupported {
            var generator = SeededGenerator(seed: 11)
            let (m, n, k, ldx, ldy) = (19, 45, 37, 50, 60)
            let problem = Problem(m: m, n: n, k: k, using: &generator)
            let weights = try XCTUnwrap(problem.pack(precision))
            defer { qk_weights_free(weights) }
            var wideX = [Float](repeating: .nan, count: m * ldx)
            for row in 0..<m {
                for col in 0..<k { wideX[row * ldx + col] = problem.x[row * k + col] }
            }
            let sentinel: Float = -12345
            var wideY = [Float](repeating: sentinel, count: m * ldy)
            wideX.withUnsafeBufferPointer { x in
                wideY.withUnsafeMutableBufferPointer { y in
                    problem.bias.withUnsafeBufferPointer { bias in
                        qk_linear_strided(weights, x.baseAddress, ldx, Int32(m), y.baseAddress! + 3,
                                          ldy, bias.baseAddress)
                    }
                }
            }
            let expected = problem.run(weights)
            for row in 0..<m {
                for col in 0..<ldy {
                    let value = wideY[row * ldy + col]
                    if (3..<(3 + n)).contains(col) {
                        XCTAssertEqual(value, expected[row * n + col - 3], "\(precision) [\(row),\(col)]")
                    } else {
                        XCTAssertEqual(value, sentinel, "\(precision) wrote outside its slice")
                    }
                }
            }
        }
    }

    /// Integers in [-127, 127] with a 127 in every row and channel are exact
    /// in bf16 and on the int8 grid (scale 1), and their sums are exact in
    /// fp32, so every precision must reproduce the product exactly. This pins
    /// down the bf16 pair order and the int8 zero-point correction.
    func testGridValuedInputsGiveExactResults() throws {
        var generator = SeededGenerator(seed: 5)
        let (m, n, k) = (37, 70, 301)
        var problem = Problem(m: m, n: n, k: k, using: &generator)
        problem.x = problem.x.map { ($0 * 127).rounded() }
        problem.w = problem.w.map { ($0 * 127).rounded() }
        problem.bias = problem.bias.map { ($0 * 100).rounded() }
        for row in 0..<m { problem.x[row * k + row % k] = row % 2 == 0 ? 127 : -127 }
        for channel in 0..<n { problem.w[channel * k + (channel * 7) % k] = 127 }
        let expected = problem.reference()
        for precision in [Precision.fp32, .bf16, .int8] where precision.isSupported {
            let weights = try XCTUnwrap(problem.pack(precision))
            defer { qk_weights_free(weights) }
            XCTAssertEqual(problem.run(weights), expected, "\(precision)")
        }
    }

    /// Accumulating adds the product and bias to what y held (a residual).
    func testAccumulateAddsToExistingOutput() throws {
        for precision in [Precision.fp32, .bf16, .int8] where precision.isSupported {
            var generator = SeededGenerator(seed: 13)
            let problem = Problem(m: 45, n: 50, k: 500, using: &generator)
            let weights = try XCTUnwrap(problem.pack(precision))
            defer { qk_weights_free(weights) }
            let residual = (0..<(problem.m * problem.n)).map { _ in Float.random(in: -1..<1, using: &generator) }
            var y = residual
            qk_linear_accumulate(weights, problem.x, problem.k, Int32(problem.m), &y, problem.n,
                                 problem.bias)
            let product = problem.run(weights)
            let expected = zip(residual, product).map { $0 + $1 }
            XCTAssertLessThan(relativeError(y, expected), 1e-6, "\(precision)")
        }
    }

    /// Packing from a padded or transposed source (attention's K and V inside
    /// a wider QKV buffer) gives the same packed weights as a dense source.
    func testStridedAndTransposedPackingMatchDensePacking() throws {
        for precision in [Precision.fp32, .bf16, .int8] where precision.isSupported {
            var generator = SeededGenerator(seed: 17)
            let problem = Problem(m: 33, n: 37, k: 65, using: &generator)
            let (n, k) = (problem.n, problem.k)
            let dense = try XCTUnwrap(problem.pack(precision))
            defer { qk_weights_free(dense) }
            var padded = [Float](repeating: .nan, count: n * (k + 5))
            var transposed = [Float](repeating: .nan, count: k * (n + 3))
            for j in 0..<n {
                for kk in 0..<k {
                    padded[j * (k + 5) + kk] = problem.w[j * k + kk]
                    transposed[kk * (n + 3) + j] = problem.w[j * k + kk]
                }
            }
            let fromPadded = try XCTUnwrap(qk_weights_pack_strided(padded, k + 5, 0, Int32(n), Int32(k), precision.raw))
            defer { qk_weights_free(fromPadded) }
            let fromTransposed = try XCTUnwrap(qk_weights_pack_strided(transposed, n + 3, 1, Int32(n), Int32(k), precision.raw))
            defer { qk_weights_free(fromTransposed) }
            let expected = problem.run(dense)
            XCTAssertEqual(problem.run(fromPadded), expected, "\(precision) padded")
            XCTAssertEqual(problem.run(fromTransposed), expected, "\(precision) transposed")
            XCTAssertNil(qk_weights_pack_strided(padded, k - 1, 0, Int32(n), Int32(k), precision.raw))
        }
    }

    /// An all-zero activation row has no int8 scale; its outputs are the bias.
    func testINT8ZeroRowGivesBias() throws {
        try XCTSkipUnless(Precision.int8.isSupported, "no AVX512-VNNI")
        var generator = SeededGenerator(seed: 3)
        var problem = Problem(m: 5, n: 40, k: 24, using: &generator)
        for col in 0..<problem.k { problem.x[2 * problem.k + col] = 0 }
        let weights = try XCTUnwrap(problem.pack(.int8))
        defer { qk_weights_free(weights) }
        let y = problem.run(weights)
        XCTAssertEqual(Array(y[(2 * problem.n)..<(3 * problem.n)]), problem.bias)
    }

    func testPackRejectsEmptyShapesAndReportsDimensions() throws {
        try XCTSkipUnless(Precision.fp32.isSupported, "no AVX-512")
        let w = [Float](repeating: 1, count: 12)
        XCTAssertNil(qk_weights_pack(w, 0, 12, QK_FP32))
        XCTAssertNil(qk_weights_pack(w, 12, 0, QK_FP32))
        let weights = try XCTUnwrap(qk_weights_pack(w, 3, 4, QK_BF16))
        defer { qk_weights_free(weights) }
        XCTAssertEqual(qk_weights_n(weights), 3)
        XCTAssertEqual(qk_weights_k(weights), 4)
        XCTAssertEqual(qk_weights_precision(weights), QK_BF16)
    }

    func testParallelForVisitsEveryIndexOnce() {
        qk_set_threads(2)
        var hits = [Int32](repeating: 0, count: 50)
        hits.withUnsafeMutableBufferPointer { buffer in
            qk_parallel_for(Int32(buffer.count), { context, index in
                context?.assumingMemoryBound(to: Int32.self)[Int(index)] += 1
            }, buffer.baseAddress)
        }
        XCTAssertEqual(hits, [Int32](repeating: 1, count: 50))
    }

    /// qk_linear inside a parallel-for body runs inline (no deadlock) and
    /// gives the same rows as one call over the whole batch.
    func testLinearInsideParallelForMatchesOneCall() throws {
        try XCTSkipUnless(Precision.bf16.isSupported, "no AVX512_BF16")
        qk_set_threads(2)
        var generator = SeededGenerator(seed: 9)
        let problem = Problem(m: 6 * 40, n: 96, k: 200, using: &generator)
        let weights = try XCTUnwrap(problem.pack(.bf16))
        defer { qk_weights_free(weights) }
        let expected = problem.run(weights)
        var y = [Float](repeating: .nan, count: problem.m * problem.n)
        problem.x.withUnsafeBufferPointer { x in
            y.withUnsafeMutableBufferPointer { out in
                var slices = RowSlices(weights: weights, x: x.baseAddress!, y: out.baseAddress!,
                                       rows: 40, k: problem.k, n: problem.n)
                withUnsafeMutablePointer(to: &slices) { context in
                    qk_parallel_for(6, { context, index in
                        guard let slices = context?.assumingMemoryBound(to: RowSlices.self).pointee
                        else { return }
                        let first = Int(index) * slices.rows
                        qk_linear(slices.weights, slices.x + first * slices.k, Int32(slices.rows),
                                  slices.y + first * slices.n, nil)
                    }, context)
                }
            }
        }
        XCTAssertEqual(y, problem.run(weights, bias: false))
        XCTAssertNotEqual(y, expected, "bias must have been left out")
    }

    /// Several threads calling at once (one-thread calls run side by side,
    /// pooled calls queue) each get the single-caller result.
    func testConcurrentCallersGetSequentialResults() throws {
        try XCTSkipUnless(Precision.int8.isSupported, "no AVX512-VNNI")
        var generator = SeededGenerator(seed: 19)
        let problem = Problem(m: 300, n: 160, k: 256, using: &generator)
        let weights = try XCTUnwrap(problem.pack(.int8))
        defer { qk_weights_free(weights) }
        let expected = problem.run(weights)
        for threads: Int32 in [1, 2] {
            qk_set_threads(threads)
            let outputs = (0..<4).map { _ in UnsafeMutableBufferPointer<Float>.allocate(capacity: expected.count) }
            defer { outputs.forEach { $0.deallocate() } }
            let shared = UncheckedBox(value: (weights: weights, outputs: outputs))
            problem.x.withUnsafeBufferPointer { x in
                let input = UncheckedBox(value: x.baseAddress!)
                DispatchQueue.concurrentPerform(iterations: 4) { caller in
                    qk_linear(shared.value.weights, input.value, Int32(problem.m),
                              shared.value.outputs[caller].baseAddress, problem.bias)
                }
            }
            for output in outputs { XCTAssertEqual(Array(output), expected, "threads \(threads)") }
        }
    }

    /// The unpacked kernel (few rows, W read in place) against sgemm, with its tails:
    /// rows (m % 4), channels (n % 4) and k (k % 16), and without a bias.
    func testUnpackedMatchesSgemm() throws {
        try XCTSkipUnless(Precision.fp32.isSupported, "CPU lacks AVX-512")
        var generator = SeededGenerator(seed: 5)
        let shapes: [(m: Int, n: Int, k: Int)] = [
            (1, 1, 1), (2, 3, 5), (3, 5, 15), (4, 4, 16), (5, 7, 17), (7, 9, 33), (9, 13, 100),
            (12, 1152, 384), (10, 384, 1536), (63, 70, 385), (1, 2304, 768),
        ]
        for shape in shapes {
            let problem = Problem(m: shape.m, n: shape.n, k: shape.k, using: &generator)
            for useBias in [true, false] {
                var y = [Float](repeating: .nan, count: shape.m * shape.n)
                let status = qk_linear_unpacked(problem.w, shape.k, Int32(shape.n), Int32(shape.k), problem.x, shape.k,
                                                Int32(shape.m), &y, shape.n, useBias ? problem.bias : nil, QK_FP32)
                XCTAssertEqual(status, 0)
                let reference = problem.reference(bias: useBias)
                XCTAssertLessThan(relativeError(y, reference), 1e-5, "\(shape) bias \(useBias)")
            }
        }
    }

    /// The unpacked kernel packs each panel just in time and runs the packed kernels' own
    /// tiles, so it must give the very same bits as qk_linear on packed weights, in every
    /// precision: k blocks (k > 384, uneven at 1000), channel and row tails, no bias.
    func testUnpackedMatchesPackedBitForBit() throws {
        var generator = SeededGenerator(seed: 13)
        let shapes: [(m: Int, n: Int, k: Int)] = [
            (1, 5, 7), (6, 45, 33), (13, 31, 1), (12, 1152, 384), (15, 70, 1000), (63, 96, 1536), (130, 40, 50),
        ]
        for precision in [Precision.fp32, .bf16, .int8] where precision.isSupported {
            for shape in shapes {
                let problem = Problem(m: shape.m, n: shape.n, k: shape.k, using: &generator)
                let weights = try XCTUnwrap(problem.pack(precision))
                defer { qk_weights_free(weights) }
                for useBias in [true, false] {
                    let packed = problem.run(weights, bias: useBias)
                    var y = [Float](repeating: .nan, count: shape.m * shape.n)
                    XCTAssertEqual(qk_linear_unpacked(problem.w, shape.k, Int32(shape.n), Int32(shape.k), problem.x, shape.k,
                                                      Int32(shape.m), &y, shape.n, useBias ? problem.bias : nil, precision.raw), 0)
                    XCTAssertEqual(y, packed, "\(precision) \(shape) bias \(useBias)")
                }
            }
        }
    }

    /// Callers split the channels among threads: any split gives the very same bits,
    /// and strided rows read and write only their own slices.
    func testUnpackedChannelSplitsAndStridesAgree() throws {
        for precision in [QK_FP32, QK_BF16, QK_INT8] where qk_cpu_supports(precision) != 0 {
            try checkUnpackedSplits(precision)
        }
    }

    private func checkUnpackedSplits(_ precision: qk_precision) throws {
        var generator = SeededGenerator(seed: 9)
        let (m, n, k, ldw, ldx, ldy) = (6, 45, 37, 40, 50, 60)
        let problem = Problem(m: m, n: n, k: k, using: &generator)
        let w = (0..<n).flatMap { row in problem.w[(row * k)..<((row + 1) * k)] + [Float](repeating: .nan, count: ldw - k) }
        let x = (0..<m).flatMap { row in problem.x[(row * k)..<((row + 1) * k)] + [Float](repeating: .nan, count: ldx - k) }
        func run(splittingAt cuts: [Int]) -> [Float] {
            var y = [Float](repeating: -7, count: m * ldy)
            let bounds = [0] + cuts + [n]
            w.withUnsafeBufferPointer { w in
                problem.bias.withUnsafeBufferPointer { bias in
                    y.withUnsafeMutableBufferPointer { y in
                        for (lower, upper) in zip(bounds, bounds.dropFirst()) {
                            let status = qk_linear_unpacked(w.baseAddress! + lower * ldw, ldw, Int32(upper - lower), Int32(k),
                                                            x, ldx, Int32(m), y.baseAddress! + lower, ldy, bias.baseAddress! + lower,
                                                            precision)
                            XCTAssertEqual(status, 0)
                        }
                    }
                }
            }
            return y
        }
        let whole = run(splittingAt: [])
        XCTAssertEqual(run(splittingAt: [3]), whole)
        XCTAssertEqual(run(splittingAt: [1, 22, 23, 40]), whole)
        let reference = problem.reference()
        let tolerance = precision == QK_FP32 ? 1e-5 : 1e-2
        for row in 0..<m {
            XCTAssertLessThan(relativeError(Array(whole[(row * ldy)..<(row * ldy + n)]), Array(reference[(row * n)..<((row + 1) * n)])), tolerance)
            XCTAssertEqual(whole[(row * ldy + n)..<((row + 1) * ldy)].filter { $0 != -7 }.count, 0, "row \(row) slack written")
        }
    }

    func testThreadSettingRoundTrips() {
        qk_set_threads(1)
        XCTAssertEqual(qk_get_threads(), 1)
        qk_set_threads(0)
        XCTAssertGreaterThanOrEqual(qk_get_threads(), 1)
    }

    private func checkAllShapes(_ precision: Precision, tolerance: Double) throws {
        try XCTSkipUnless(precision.isSupported, "CPU lacks \(precision)")
        var generator = SeededGenerator(seed: 42)
        for shape in Self.shapes {
            let problem = Problem(m: shape.m, n: shape.n, k: shape.k, using: &generator)
            let reference = problem.reference()
            let weights = try XCTUnwrap(problem.pack(precision))
            defer { qk_weights_free(weights) }
            for threads: Int32 in [1, 2] {
                qk_set_threads(threads)
                let error = relativeError(problem.run(weights), reference)
                XCTAssertLessThan(error, tolerance, "\(precision) \(shape) threads \(threads)")
            }
        }
    }
}

private enum Precision: CustomStringConvertible {
    case fp32, bf16, int8

    var raw: qk_precision {
        switch self {
        case .fp32: QK_FP32
        case .bf16: QK_BF16
        case .int8: QK_INT8
        }
    }

    var isSupported: Bool { qk_cpu_supports(raw) != 0 }
    var description: String { "\(self == .fp32 ? "fp32" : self == .bf16 ? "bf16" : "int8")" }
}

/// One random product y = x · w^T + bias, values uniform in [-1, 1).
private struct Problem {
    let m: Int, n: Int, k: Int
    var x: [Float]
    var w: [Float]
    var bias: [Float]

    init(m: Int, n: Int, k: Int, using generator: inout SeededGenerator) {
        self.m = m
        self.n = n
        self.k = k
        x = (0..<(m * k)).map { _ in Float.random(in: -1..<1, using: &generator) }
        w = (0..<(n * k)).map { _ in Float.random(in: -1..<1, using: &generator) }
        bias = (0..<n).map { _ in Float.random(in: -1..<1, using: &generator) }
    }

    func pack(_ precision: Precision) -> OpaquePointer? {
        qk_weights_pack(w, Int32(n), Int32(k), precision.raw)
    }

    func run(_ weights: OpaquePointer, bias useBias: Bool = true) -> [Float] {
        var y = [Float](repeating: .nan, count: m * n)
        qk_linear(weights, x, Int32(m), &y, useBias ? bias : nil)
        return y
    }

    func reference(bias useBias: Bool = true) -> [Float] {
        var y = [Float](repeating: 0, count: m * n)
        if useBias {
            for row in 0..<m { y.replaceSubrange((row * n)..<((row + 1) * n), with: bias) }
        }
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(m), Int32(n), Int32(k),
                    1, x, Int32(k), w, Int32(k), 1, &y, Int32(n))
        return y
    }
}

/// What each parallel-for index of the nested test needs: its rows are
/// `index * rows ..< (index + 1) * rows`.
private struct RowSlices {
    let weights: OpaquePointer
    let x: UnsafePointer<Float>
    let y: UnsafeMutablePointer<Float>
    let rows: Int, k: Int, n: Int
}

/// Hands values the test keeps alive and uses race-free to concurrent code.
private struct UncheckedBox<Value>: @unchecked Sendable {
    let value: Value
}

/// ||a - b||_F / ||b||_F in double precision.
private func relativeError(_ a: [Float], _ b: [Float]) -> Double {
    var difference = 0.0, norm = 0.0
    for (value, reference) in zip(a, b) {
        let delta = Double(value) - Double(reference)
        difference += delta * delta
        norm += Double(reference) * Double(reference)
    }
    return (difference / max(norm, .leastNormalMagnitude)).squareRoot()
}
