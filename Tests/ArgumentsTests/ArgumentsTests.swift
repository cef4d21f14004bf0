import XCTest
@testable import Arguments

final class ArgumentsSmokeTests: XCTestCase {
    func testModuleLinks() { XCTAssertTrue(true) }
}
