import XCTest
@testable import QuarryCLI

final class QuarryCLISmokeTests: XCTestCase {
    func testModuleLinks() { XCTAssertTrue(true) }
}
