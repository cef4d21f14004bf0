import XCTest
@testable import QuarryCore

final class QuarryCoreSmokeTests: XCTestCase {
    func testModuleLinks() { XCTAssertTrue(true) }
}
