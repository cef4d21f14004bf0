import CKernels
import COpenBLAS
import Store
import XCTest
@testable import Search
import TestSupport

/// The bf16 screen must answer exactly as the fp32 scan: the same rows in the
/// same order with the same score bits, near-ties and duplicates included.
final class BF16ScreenTests: XCTestCase {
    private let dimension = 384

    override func setUp() {
        // As in every process that embeds queries (the encoder sets it): a
        // threaded sgemv scores the rows around its split points differently.
        openblas_set_num_threads(1)
    }

    /// `count` random unit rows, then near-copies of the first rows (each
    /// within bf16 rounding of another, so screening has real near-ties to
    /// get right) and exact duplicates (ties broken by row).
    private func matrix(count: Int, generator: inout SeededGenerator) throws -> (VectorMatrix, [[Float]]) {
        var rows: [[Float]] = (0..<count).map { _ in
            VectorSearcher.normalised((0..<dimension).map { _ in Float.random(in: -1...1, using: &generator) })
        }
        for source in 0..<40 {
            rows.append(VectorSearcher.normalised(rows[source].map { $0 * (1 + Float.random(in: -1e-3...1e-3, using: &generator)) }))
        }
        rows += rows[40..<60]
        let hashes = rows.indices.map { ContentHash(digesting: Array("row \($0)".utf8)) }
        return (try VectorMatrix(hashes: hashes, vectors: rows.flatMap { $0 }, dimension: dimension), rows)
    }

    func testScreenedScanGivesTheExactScansRowsAndScores() throws {
        try XCTSkipUnless(qk_cpu_supports(QK_BF16) == 1, "this CPU has no AVX512-BF16: the screen falls back to fp32")
        var generator = SeededGenerator(seed: 11)
        // Not a multiple of the rescoring window, so the last window is partial.
        let (matrix, rows) = try matrix(count: 3_001, generator: &generator)
        let exact = VectorSearcher(matrix: matrix)
        let screened = VectorSearcher(matrix: matrix, quantization: .bf16Screened)
        var queries: [[Float]] = (0..<30).map { _ in (0..<dimension).map { _ in Float.random(in: -1...1, using: &generator) } }
        // Queries on stored rows, their near-copies and duplicates: the closest ties there are.
        queries += [0, 1, 45, 59, 3_000].map { rows[$0] }
        // A query near a row but not on it: many rows score almost alike near the top.
        queries.append(rows[7].map { $0 + Float.random(in: -0.01...0.01, using: &generator) })
        for (index, query) in queries.enumerated() {
            for k in [1, 10, 75, matrix.count] {
                let expected = try exact.nearest(to: query, k: k)
                let found = try screened.nearest(to: query, k: k)
                XCTAssertEqual(found.map(\.row), expected.map(\.row), "query \(index), k \(k)")
                XCTAssertEqual(found.map(\.score.bitPattern), expected.map(\.score.bitPattern), "query \(index), k \(k)")
            }
        }
    }

    func testTheBoundCoversEveryRowsRounding() throws {
        try XCTSkipUnless(qk_cpu_supports(QK_BF16) == 1, "this CPU has no AVX512-BF16")
        var generator = SeededGenerator(seed: 5)
        let (matrix, _) = try matrix(count: 500, generator: &generator)
        let screen = try XCTUnwrap(BF16Screen(matrix))
        XCTAssertLessThan(screen.bound, 0.005, "tight enough to leave few candidates")
        let query = VectorSearcher.normalised((0..<dimension).map { _ in Float.random(in: -1...1, using: &generator) })
        var approximate = [Float](repeating: 0, count: matrix.count)
        screen.score(query, into: &approximate)
        for row in 0..<matrix.count {
            let exact = zip(matrix.vector(ofRow: row), query).reduce(Float(0)) { $0 + $1.0 * $1.1 }
            XCTAssertLessThanOrEqual(abs(approximate[row] - exact), screen.bound, "row \(row)")
            // bf16 is a real approximation, not the exact scan under another name.
            if row < 5 { XCTAssertNotEqual(approximate[row], exact, "row \(row)") }
        }
    }
}
