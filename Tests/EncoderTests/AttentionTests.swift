import Foundation
import XCTest
@testable import Encoder
import TestSupport

/// Attention runs in query blocks with only the window's keys on local layers, so long
/// inputs never hold a T x T matrix: on a size where the plain computation (every query
/// against every key, one full score matrix) still runs, both must give the same output.
final class AttentionTests: XCTestCase {
    func testBlockedAttentionMatchesThePlainComputation() {
        let (heads, d) = (3, 8)
        let sequences = [0..<700, 700..<737, 737..<738]
        let t = sequences.last!.upperBound
        var generator = SeededGenerator(seed: 11)
        let qkv = (0..<(t * 3 * heads * d)).map { _ in Float.random(in: -2..<2, using: &generator) }
        for halfWindow in [nil, 64, 5] as [Int?] {
            let attention = SelfAttention(headCount: heads, headDimension: d, halfWindow: halfWindow)
            XCTAssertLessThan(attention.jobs(for: sequences).map { $0.queries.count * $0.keys.count }.max() ?? 0,
                              700 * 700 / 2, "no job scores a whole sequence at once")
            var output = [Float](repeating: .nan, count: t * heads * d)
            let scratch = [ScratchBuffer(), ScratchBuffer()]
            qkv.withUnsafeBufferPointer { input in
                output.withUnsafeMutableBufferPointer { out in
                    attention(qkv: input.baseAddress!, output: out.baseAddress!, sequences: sequences, scratch: scratch)
                }
            }
            let expected = plainAttention(qkv, sequences: sequences, heads: heads, d: d, halfWindow: halfWindow)
            XCTAssertLessThan(maxAbsDifference(output, expected), 1e-4, "half window \(String(describing: halfWindow))")
        }
    }

    /// Softmax(Q·Kᵀ/√d)·V per sequence and head, the mask applied to one full score matrix, in Double.
    private func plainAttention(_ qkv: [Float], sequences: [Range<Int>], heads: Int, d: Int, halfWindow: Int?) -> [Float] {
        let hidden = heads * d
        var output = [Float](repeating: 0, count: (sequences.last?.upperBound ?? 0) * hidden)
        for sequence in sequences {
            let n = sequence.count
            for head in 0..<heads {
                var scores = [Double](repeating: -.infinity, count: n * n)
                for i in 0..<n {
                    for j in 0..<n where halfWindow.map({ abs(i - j) <= $0 }) ?? true {
                        var dot = 0.0
                        for c in 0..<d {
                            dot += Double(qkv[(sequence.lowerBound + i) * 3 * hidden + head * d + c])
                                * Double(qkv[(sequence.lowerBound + j) * 3 * hidden + hidden + head * d + c])
                        }
                        scores[i * n + j] = dot / Double(d).squareRoot()
                    }
                }
                for i in 0..<n {
                    let row = scores[(i * n)..<((i + 1) * n)]
                    let maximum = row.max() ?? 0
                    let weights = row.map { exp($0 - maximum) }
                    let sum = weights.reduce(0, +)
                    for c in 0..<d {
                        var value = 0.0
                        for j in 0..<n where weights[j] > 0 {
                            value += weights[j] * Double(qkv[(sequence.lowerBound + j) * 3 * hidden + 2 * hidden + head * d + c])
                        }
                        output[(sequence.lowerBound + i) * hidden + head * d + c] = Float(value / sum)
                    }
                }
            }
        }
        return output
    }
}
