import XCTest
import CKernels

final class CKernelsSmokeTests: XCTestCase {
    func testModuleLinks() { XCTAssertTrue(true) }
}
