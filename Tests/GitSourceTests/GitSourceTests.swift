import XCTest
@testable import GitSource

final class GitSourceSmokeTests: XCTestCase {
    func testModuleLinks() { XCTAssertTrue(true) }
}
