import XCTest
@testable import Chunker

final class ChunkerSmokeTests: XCTestCase {
    func testModuleLinks() { XCTAssertTrue(true) }
}
