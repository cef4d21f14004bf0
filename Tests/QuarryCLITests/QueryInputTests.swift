import Foundation
import XCTest

/// Questions nobody should have to phrase carefully (issue 11): punctuation,
/// emoji, mixed scripts, right-to-left text with Latin terms, very long or
/// NUL-holding queries get results or one clear line, never a crash or hang.
final class QueryInputTests: XCTestCase {
    private static var repository: ScratchRepository?

    override class func setUp() {
        super.setUp()
        repository = ScratchRepository.indexed(["multilingual": "src"])
    }

    override class func tearDown() {
        repository?.remove()
        super.tearDown()
    }

    private func search(_ query: String, mode: String = "hybrid") throws -> QuarryProcess.Outcome {
        let repository = try XCTUnwrap(Self.repository)
        return try QuarryProcess.run(["search", "--repo", repository.path, "--mode", mode, "--json", "-k", "5", query])
    }

    func testOddQuestionsGetResults() throws {
        let questions = [
            "?!... ;;; ---", "🔑🔒💻", "发送 email 通知", "كيف أتحقق من HMAC و SMTP في send_email",
            "パスワードをhash化する", "where is LoadConfig 配置 загружается?",
        ]
        for question in questions {
            for mode in ["hybrid", "semantic"] {
                let outcome = try search(question, mode: mode)
                XCTAssertEqual(outcome.status, 0, "\(mode) '\(question)': \(outcome.stderr)")
                XCTAssertFalse(outcome.jsonLines.isEmpty, "\(mode) '\(question)'")
            }
        }
        // A Latin identifier inside Arabic text still matches by keywords.
        let rtl = try search("كيف أتحقق من send_email", mode: "lexical")
        XCTAssertEqual(rtl.jsonLines.first?["symbol"] as? String, "mail.send_email", rtl.stdout)
    }

    func testOversizedAndNULQueriesAreOneLineErrors() throws {
        let long = try search(String(repeating: "parse config ", count: 800))
        XCTAssertEqual(long.status, 2)
        XCTAssertTrue(long.stderr.contains("bytes; at most"), long.stderr)
        XCTAssertEqual(long.stderr.split(separator: "\n").count, 1, long.stderr)
        let punctuation = try search("?!... ;;;", mode: "lexical")
        XCTAssertEqual(punctuation.status, 2)
        XCTAssertTrue(punctuation.stderr.contains("no terms"), punctuation.stderr)
    }
}
