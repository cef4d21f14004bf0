import CKernels
import XCTest
@testable import Encoder

/// The bounds a model's int8 passages must meet, and the per-projection plan.
final class Int8CheckTests: XCTestCase {
    func testCheckRefusesNonFiniteAndLowCosines() {
        XCTAssertNil(Int8Check.failure(cosines: [0.999, 0.9995, 1]))
        XCTAssertNotNil(Int8Check.failure(cosines: [1, nil]), "a non-finite vector fails")
        XCTAssertNotNil(Int8Check.failure(cosines: [0.98] + Array(repeating: 1, count: 99)), "one cosine under 0.99 fails")
        XCTAssertNotNil(Int8Check.failure(cosines: [0.995, 0.9995]), "a mean under 0.998 fails")
    }

    func testPlanKeepsNamedProjectionsAndLayersInBF16() {
        let plan = ProjectionPrecisions.resolving(QK_INT8, environment: ["QUARRY_INT8_KEEP": "mlp-output, 0,bogus"])
        XCTAssertEqual(plan(.mlpOutput, layer: 3), QK_BF16)
        XCTAssertEqual(plan(.qkv, layer: 0), QK_BF16)
        XCTAssertEqual(plan(.qkv, layer: 1), QK_INT8)
        XCTAssertEqual(plan(.mlpInput, layer: 11), QK_INT8)
        let other = ProjectionPrecisions.resolving(QK_FP32, environment: ["QUARRY_INT8_KEEP": "qkv"])
        XCTAssertEqual(other(.qkv, layer: 0), QK_FP32, "exceptions apply to int8 only")
        XCTAssertNil(ProjectionPrecisions.resolving(nil)(.qkv, layer: 0))
        let shipped = ProjectionPrecisions.resolving(QK_INT8, environment: [:])
        XCTAssertEqual(shipped(.qkv, layer: 5), QK_BF16, "Q/K/V stay bf16 by default (CoSQA dev nDCG@10)")
        XCTAssertEqual(shipped(.mlpInput, layer: 5), QK_INT8)
        XCTAssertEqual(ProjectionPrecisions.resolving(QK_INT8, environment: ["QUARRY_INT8_KEEP": ""])(.qkv, layer: 5), QK_INT8)
    }
}
