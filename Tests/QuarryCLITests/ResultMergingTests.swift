import Foundation
import XCTest

/// Result merging end to end with the real encoder (issue 10), on code
/// written in the shapes that lost answers: one-line accessors next to each
/// other inside a class, a rotating log handler whose class ranks with its
/// methods, and a function too long for one chunk.
final class ResultMergingTests: XCTestCase {
    private static var repository: ScratchRepository?

    override class func setUp() {
        super.setUp()
        repository = ScratchRepository.indexed(["merging": "src", "multilingual": "lib"])
    }

    override class func tearDown() {
        repository?.remove()
        super.tearDown()
    }

    private func search(_ question: String, mode: String, k: Int = 5) throws -> [[String: Any]] {
        let repository = try XCTUnwrap(Self.repository)
        let outcome = try QuarryProcess.run(["search", "--repo", repository.path, "--mode", mode, "--json",
                                             "-k", String(k), question])
        XCTAssertEqual(outcome.status, 0, outcome.stderr)
        return outcome.jsonLines
    }

    func testAdjacentAccessorsAreBothShown() throws {
        for mode in ["semantic", "hybrid"] {
            let symbols = try search("read and change the email address of an account", mode: mode)
                .compactMap { $0["symbol"] as? String }
            XCTAssertTrue(symbols.contains("billing.Account.getEmail"), "\(mode): \(symbols)")
            XCTAssertTrue(symbols.contains("billing.Account.setEmail"), "\(mode): \(symbols)")
        }
    }

    func testTheMethodThatDecidesTheRolloverIsFound() throws {
        for mode in ["semantic", "hybrid", "lexical"] {
            let question = mode == "lexical" ? "rollover maxBytes larger"
                : "decide whether the log file has grown too big and a new file must be started"
            let results = try search(question, mode: mode)
            let symbols = results.compactMap { $0["symbol"] as? String }
            XCTAssertTrue(symbols.contains("handlers.RotatingFileHandler.shouldRollover"), "\(mode): \(symbols)")
            let places = results.map { "\($0["path"] ?? ""):\($0["start_line"] ?? 0)" }
            XCTAssertEqual(Set(places).count, places.count, "\(mode): nothing shown twice: \(places)")
        }
    }

    func testASplitFunctionIsShownOnceWithAllItsLines() throws {
        let repository = try XCTUnwrap(Self.repository)
        let question = "total sales revenue for each region and rank the regions"
        for mode in ["semantic", "hybrid"] {
            let symbols = try search(question, mode: mode, k: 10).compactMap { $0["symbol"] as? String }
            XCTAssertEqual(symbols.filter { $0 == "reports.summarize_sales_by_region" }.count, 1, "\(mode): \(symbols)")
            let human = try QuarryProcess.run(["search", "--repo", repository.path, "--mode", mode, "-k", "3", question])
            XCTAssertTrue(human.stdout.contains("src/reports.py:4-48  reports.summarize_sales_by_region"), human.stdout)
        }
    }
}
