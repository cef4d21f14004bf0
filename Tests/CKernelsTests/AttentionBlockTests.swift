import CKernels
import Foundation
import XCTest

/// The fused attention block against a plain double-precision reference: global and
/// windowed, head dimensions 32 and 64, key counts that leave masked tails, and
/// queries that see no key at all.
final class AttentionBlockTests: XCTestCase {
    private struct Case {
        var queries: Int, keys: Int, d: Int
        var queryStart = 0, keyStart = 0, halfWindow = -1
        var bf16 = false
    }

    /// softmax(scale · q·kᵀ over the visible keys) · V, in double.
    private func reference(_ q: [Float], _ k: [Float], _ v: [Float], ld: Int, _ c: Case, scale: Float) -> [Double] {
        var out = [Double](repeating: 0, count: c.queries * c.d)
        for i in 0..<c.queries {
            var lower = 0, upper = c.keys
            if c.halfWindow >= 0 {
                let position = c.queryStart + i
                lower = max(0, position - c.halfWindow - c.keyStart)
                upper = min(c.keys, position + c.halfWindow + 1 - c.keyStart)
            }
            guard upper > lower else { continue }
            var scores = [Double](repeating: 0, count: c.keys)
            for j in lower..<upper {
                var dot = 0.0
                for x in 0..<c.d { dot += Double(q[i * ld + x]) * Double(k[j * ld + x]) }
                scores[j] = dot * Double(scale)
            }
            let top = scores[lower..<upper].max() ?? 0
            var sum = 0.0
            for j in lower..<upper { scores[j] = exp(scores[j] - top); sum += scores[j] }
            for j in lower..<upper {
                for x in 0..<c.d { out[i * c.d + x] += scores[j] / sum * Double(v[j * ld + x]) }
            }
        }
        return out
    }

    private func check(_ c: Case, file: StaticString = #filePath, line: UInt = #line) {
        let ld = 3 * c.d + 5 // rows of a packed QKV-like buffer, odd stride
        let rows = max(c.queries, c.keys)
        var seed: UInt64 = 0x9E37_79B9_7F4A_7C15 &+ UInt64(c.queries * 131 + c.keys * 7 + c.d)
        func next() -> Float {
            seed = seed &* 6364136223846793005 &+ 1442695040888963407
            return Float(Int64(bitPattern: seed >> 11) % 2001 - 1000) / 400
        }
        let q = (0..<(rows * ld)).map { _ in next() }
        let k = (0..<(rows * ld)).map { _ in next() }
        let v = (0..<(rows * ld)).map { _ in next() }
        let ldo = c.d + 3
        var out = [Float](repeating: .nan, count: c.queries * ldo)
        var scratch = [Float](repeating: .nan, count: qk_attention_scratch_floats(Int32(c.queries), Int32(c.keys), Int32(c.d)))
        let scale = Float(1 / Double(c.d).squareRoot())
        let status = qk_attention_block(q, k, v, ld, Int32(c.queries), Int32(c.keys), Int32(c.d), scale,
                                        Int32(c.queryStart), Int32(c.keyStart), Int32(c.halfWindow),
                                        c.bf16 ? 1 : 0, &out, ldo, &scratch)
        XCTAssertEqual(status, 0, "this machine has AVX-512; the block must run", file: file, line: line)
        let expected = reference(q, k, v, ld: ld, c, scale: scale)
        var worst = 0.0
        for i in 0..<c.queries {
            for x in 0..<c.d { worst = max(worst, abs(Double(out[i * ldo + x]) - expected[i * c.d + x])) }
        }
        // bf16 inputs carry 8 significant bits: values of a few units move by ~1e-2.
        XCTAssertLessThan(worst, c.bf16 ? 3e-2 : 2e-5, "\(c): largest difference \(worst)", file: file, line: line)
    }

    func testGlobalBlocksMatchTheReference() {
        for d in [32, 64] {
            for (queries, keys) in [(1, 1), (7, 13), (128, 512), (13, 65), (6, 64), (12, 17)] {
                check(Case(queries: queries, keys: keys, d: d))
            }
        }
    }

    func testWindowedBlocksMatchTheReference() {
        // A local layer's block: queries 64..<128 see keys within 64 of them, among keys 0..<192.
        check(Case(queries: 64, keys: 192, d: 32, queryStart: 64, keyStart: 0, halfWindow: 64))
        check(Case(queries: 37, keys: 101, d: 64, queryStart: 200, keyStart: 150, halfWindow: 20))
        // Queries far from every key see nothing and get zeros.
        check(Case(queries: 5, keys: 16, d: 32, queryStart: 1000, keyStart: 0, halfWindow: 3))
    }

    func testBF16BlocksMatchTheReferenceToBF16Precision() {
        for d in [32, 64] {
            for (queries, keys) in [(1, 1), (7, 13), (128, 512), (13, 65), (12, 17)] {
                check(Case(queries: queries, keys: keys, d: d, bf16: true))
            }
        }
        check(Case(queries: 64, keys: 191, d: 32, queryStart: 64, keyStart: 0, halfWindow: 64, bf16: true))
        check(Case(queries: 5, keys: 16, d: 64, queryStart: 1000, keyStart: 0, halfWindow: 3, bf16: true))
    }

    func testUnsupportedHeadDimensionsAreLeftToTheCaller() {
        var out = [Float](repeating: 7, count: 16)
        var scratch = [Float](repeating: 0, count: 64)
        let x = [Float](repeating: 1, count: 64)
        XCTAssertEqual(qk_attention_block(x, x, x, 16, 1, 1, 16, 1, 0, 0, -1, 0, &out, 16, &scratch), -1)
        XCTAssertEqual(out, [Float](repeating: 7, count: 16), "nothing written")
        XCTAssertEqual(qk_attention_scratch_floats(4, 10, 16), 40)
    }
}
