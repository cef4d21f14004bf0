import Foundation
import XCTest

/// One natural-language question per language added with issue 14, asked of a
/// repository holding all their fixtures: the function (or document section)
/// that answers must rank in the top 5 in semantic and hybrid mode.
final class LanguageSearchTests: XCTestCase {
    /// (question, path of the answer, the answer's symbol)
    static let questions: [(String, String, String)] = [
        ("register a handler for GET requests", "typescript/router.ts", "Router.get"),
        ("login form that disables itself while the submission is pending", "tsx/LoginForm.tsx", "LoginForm"),
        ("find the handler for a request or answer 404", "rust/router.rs", "Router.route"),
        ("open a session for a user and return its token", "swift/SessionStore.swift", "SessionStore.open"),
        ("delay before the given attempt, doubling each time", "kotlin/RetryPolicy.kt", "RetryPolicy.delayFor"),
        ("are two tokens equal", "csharp/SessionService.cs", "Token.=="),
        ("whether one more request may pass the rate limit now", "scala/RateLimiter.scala", "RateLimiter.allow"),
        ("copy the release to a host, retrying with a growing pause", "bash/deploy.sh", "deploy_host"),
        ("evict the oldest entry of the cache", "lua/cache.lua", "evict"),
        ("where is the retry policy documented", "markdown/operations.md", "Operations guide > Retry policy"),
        ("where are the vector files documented", "rst/configuration.rst", "Configuration > Storage > Vector files"),
    ]

    func testAQuestionPerLanguageFindsItsFunction() throws {
        let home = ProcessInfo.processInfo.environment["QUARRY_HOME"] ?? (NSHomeDirectory() + "/.cache/quarry")
        guard FileManager.default.fileExists(atPath: home + "/models/multilingual-e5-small") else {
            throw XCTSkip("the default model is not installed (scripts/setup.sh installs it)")
        }
        let repository = try ScratchRepository()
        defer { repository.remove() }
        let fixtures = packageRoot.appendingPathComponent("Fixtures/chunker")
        for language in Set(Self.questions.map { String($0.1.split(separator: "/")[0]) }) {
            try repository.copyTree(from: fixtures.appendingPathComponent(language), to: language)
        }
        try repository.commitAll()
        let index = try QuarryProcess.run(["index", repository.path, "--json"])
        XCTAssertEqual(index.status, 0, index.stderr)

        for mode in ["semantic", "hybrid"] {
            for (question, path, symbol) in Self.questions {
                let outcome = try QuarryProcess.run(["search", "--repo", repository.path, "--mode", mode,
                                                     "--json", "-k", "5", question])
                XCTAssertEqual(outcome.status, 0, outcome.stderr)
                let found = outcome.jsonLines.map { ($0["path"] as? String ?? "", $0["symbol"] as? String ?? "") }
                XCTAssertTrue(found.contains { $0.0 == path && $0.1.hasSuffix(symbol) },
                              "\(mode): '\(question)' should find \(path) \(symbol) in the top 5, got \(found)")
            }
        }
    }
}
