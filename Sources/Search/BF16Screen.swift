import CKernels
import COpenBLAS
import Store

/// A bf16 copy of a vector matrix that finds the exact best rows of a scan
/// while reading half the bytes: every row is scored in bf16 (CKernels'
/// packed product, spread over its threads), and only the rows whose bf16
/// score could reach the k-th best are scored again in fp32, exactly as the
/// full fp32 scan scores them.
///
/// Why the result is the fp32 scan's, scores included:
/// - rounding a vector and the unit query to bf16 moves each product
///   `v_i * q_i` by at most `2^-8 |v_i q_i|` (2^-9 each, plus their product),
///   and fp32 sums of `d` terms add at most `d * 2^-23` of `sum |v_i q_i|`,
///   which is at most `|v|` (Cauchy-Schwarz, `|q| = 1`). So no bf16 score is
///   further than `bound` from the fp32 scan's score of its row, and every
///   row of the true top k scores at least the k-th best bf16 score minus
///   `2 * bound` in bf16: those rows are the candidates;
/// - OpenBLAS's sgemv on one thread (as in any process that embeds queries:
///   the encoder sets it) scores a row with the same operations wherever it
///   lies in a call that starts at a multiple of `window` rows before it, so a
///   candidate is rescored on the aligned window holding it and gets the full
///   scan's bits (`BF16ScreenTests` checks this against the full scan).
final class BF16Screen: @unchecked Sendable {
    // @unchecked: immutable after init; the packed weights are read-only.
    private let matrix: VectorMatrix
    private let packed: OpaquePointer
    /// The most a bf16 score differs from the fp32 scan's score of its row.
    let bound: Float
    /// Rows rescored together, from a multiple of this (see the type's comment).
    static let window = 16

    /// Nil where the CPU lacks AVX512-BF16 (or memory runs out): scan fp32 then.
    init?(_ matrix: VectorMatrix) {
        guard matrix.count > 0, qk_cpu_supports(QK_BF16) == 1,
              let packed = qk_weights_pack_strided(matrix.floats, matrix.rowStride, 0, Int32(matrix.count),
                                                   Int32(matrix.dimension), QK_BF16)
        else { return nil }
        var largestSquare: Float = 0
        for row in 0..<matrix.count {
            var square: Float = 0
            for value in matrix.vector(ofRow: row) { square += value * value }
            largestSquare = max(largestSquare, square)
        }
        self.matrix = matrix
        self.packed = packed
        // Twice the sums' rounding (the bf16 and the fp32 scan each have
        // theirs), and a margin for the norm's own rounding.
        let roundingPerUnit = 1.0 / 256 + 1.0 / 65536 + 2 * Float(matrix.dimension) / Float(1 << 23)
        bound = 1.01 * largestSquare.squareRoot() * roundingPerUnit
    }

    deinit { qk_weights_free(packed) }

    /// bf16 scores of every row for the unit `query`, into `scores` (`matrix.count` long).
    func score(_ query: [Float], into scores: inout [Float]) {
        query.withUnsafeBufferPointer { q in
            scores.withUnsafeMutableBufferPointer { out in
                guard let x = q.baseAddress, let y = out.baseAddress else { return }
                qk_linear(packed, x, 1, y, nil)
            }
        }
    }

    /// The best `k` rows, best first with ties in row order, and their fp32
    /// scan scores, from the bf16 `scores` of the unit `query`.
    func top(_ k: Int, of scores: [Float], query: [Float]) -> [(row: Int, score: Double)] {
        var best = TopK(capacity: k)
        for row in 0..<scores.count { best.offer(scores[row], Int32(row)) }
        guard let kth = best.sorted().last?.score else { return [] }
        let threshold = kth - 2 * bound
        var exact = TopK(capacity: k)
        var window = [Float](repeating: 0, count: Self.window)
        var rescored = -1
        for row in 0..<scores.count where scores[row] >= threshold {
            let start = row / Self.window * Self.window
            if start != rescored {
                rescore(from: start, query: query, into: &window)
                rescored = start
            }
            exact.offer(window[row - start], Int32(row))
        }
        return exact.sorted().map { (Int($0.index), Double($0.score)) }
    }

    /// fp32 scores of the rows from `start` (a multiple of `window`) on, as the full scan computes them.
    private func rescore(from start: Int, query: [Float], into window: inout [Float]) {
        let rows = min(Self.window, matrix.count - start)
        query.withUnsafeBufferPointer { q in
            window.withUnsafeMutableBufferPointer { out in
                cblas_sgemv(CblasRowMajor, CblasNoTrans, Int32(rows), Int32(matrix.dimension), 1,
                            matrix.floats + start * matrix.rowStride, Int32(matrix.rowStride), q.baseAddress, 1, 0,
                            out.baseAddress, 1)
            }
        }
    }
}
