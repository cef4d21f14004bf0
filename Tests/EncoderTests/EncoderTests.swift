import XCTest
@testable import Encoder

final class EncoderSmokeTests: XCTestCase {
    func testModuleLinks() { XCTAssertTrue(true) }
}
