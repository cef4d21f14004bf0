import QuarryCore
import XCTest
@testable import Chunker

/// Exact chunk outlines of the fixtures for the languages added with issue 14:
/// symbols with their enclosing type, kinds, and line ranges that include doc
/// comments and attributes.
final class LanguageFixtureTests: XCTestCase {
    private func chunks(_ path: String, _ language: Language) throws -> [Chunk] {
        let registry = try TestSupport.grammarRegistry(for: language)
        let chunker = Chunker(registry: registry, options: ChunkingOptions(maxChunkSize: 512))
        let text = try TestSupport.fixture(language.rawValue + "/" + path)
        let result = chunker.chunks(of: text, language: language, path: path)
        TestSupport.dump(result)
        return result
    }

    private func outline(_ path: String, _ language: Language) throws -> [String] {
        TestSupport.outline(try chunks(path, language))
    }

    /// The text of the first chunk named `symbol`.
    private func text(of symbol: String, in path: String, _ language: Language) throws -> String {
        let matching = try chunks(path, language).first { $0.symbol == symbol }
        XCTAssertNotNil(matching, "no chunk named \(symbol)")
        return matching?.text ?? ""
    }

    func testDocCommentsAndAttributesStayWithTheirDefinition() throws {
        let cases: [(String, Language, String, prefix: String, contains: String)] = [
            ("router.ts", .typescript, "Router.get", "/** Registers a handler", "@Log(\"debug\")"),
            ("router.rs", .rust, "Router.route", "/// Finds the handler", "#[inline]"),
            ("router.rs", .rust, "Router", "/// A route table", "#[derive(Debug, Default)]"),
            ("SessionStore.swift", .swift, "SessionStore.open", "/// Opens a session", "@discardableResult"),
            ("RetryPolicy.kt", .kotlin, "com.example.http.RetryPolicy", "/**", "@Serializable"),
            ("SessionService.cs", .csharp, "Example.Auth.SessionService.Open", "/// <summary>Opens", "[Obsolete("),
            ("RateLimiter.scala", .scala, "example.http.RateLimiter.allow", "/** Whether one more", "@deprecated("),
            ("deploy.sh", .bash, "deploy_host", "# Copies the release", "rsync -a"),
            ("cache.lua", .lua, "Cache:get", "--- Returns the cached value", "self:touch(key)"),
        ]
        for (path, language, symbol, prefix, fragment) in cases {
            let text = try text(of: symbol, in: path, language)
            XCTAssertTrue(text.hasPrefix(prefix), "\(symbol) starts with its doc comment: \(text.prefix(60))")
            XCTAssertTrue(text.contains(fragment), "\(symbol) keeps \(fragment)")
        }
    }

    func testSectionsHoldTheirOwnTextAndTheirSubsectionsHeadings() throws {
        let retry = try text(of: "Operations guide > Retry policy", in: "operations.md", .markdown)
        XCTAssertTrue(retry.contains("exponential backoff"))
        XCTAssertFalse(retry.contains("Grafana"), "the next section is not part of this one")
        let deploying = try text(of: "Operations guide > Deploying", in: "operations.md", .markdown)
        XCTAssertTrue(deploying.contains("### Rollback"), "a subsection is reduced to its heading")
        XCTAssertFalse(deploying.contains("previous release tag"), "a subsection's text is its own chunk")
        let storage = try text(of: "Configuration > Storage", in: "configuration.rst", .rst)
        XCTAssertTrue(storage.contains("inside the git directory"))
        XCTAssertTrue(storage.contains("Vector files"))
        XCTAssertFalse(storage.contains("mapped at search time"))
    }

    func testTypeScript() throws {
        XCTAssertEqual(try outline("router.ts", .typescript), [
            "toplevel  1-3",
            "type Router 5-28",
            "function Router.constructor 10-10",
            "function Router.get 12-17",
            "function Router.route 19-25",
            "function Router.onError 27-27",
            "type RetryPolicy 30-33",
            "type Method 35-38",
            "function notFound 40-43",
            "function exponentialBackoff 45-47",
            "module Middleware 49-53",
            "function Middleware.cors 50-52",
        ])
    }

    func testTSX() throws {
        XCTAssertEqual(try outline("LoginForm.tsx", .tsx), [
            "toplevel  1-1",
            "type LoginFormProps 3-5",
            "function LoginForm 7-16",
            "function ErrorBanner 18-20",
            "type SessionGate 22-26",
            "function SessionGate.render 23-25",
        ])
    }

    func testRust() throws {
        XCTAssertEqual(try outline("router.rs", .rust), [
            "toplevel  1-18",
            "type Router 6-10",
            "type Method 12-16",
            "type Router 20-34",
            "function Router.new 21-24",
            "function Router.route 26-33",
            "type Router 36-40",
            "function Router.fmt 37-39",
            "type Retry 42-49",
            "function Retry.backoff 46-48",
            "module tests 51-59",
            "function tests.empty_router_answers_not_found 54-58",
            "function route 61-65",
        ])
    }

    func testSwift() throws {
        XCTAssertEqual(try outline("SessionStore.swift", .swift), [
            "toplevel  1-1",
            "type SessionStore 3-28",
            "function SessionStore.init 9-11",
            "function SessionStore.open 13-19",
            "function SessionStore.subscript 21-23",
            "function SessionStore.deinit 25-27",
            "type Session 30-37",
            "function Session.isExpired 34-36",
            "type TokenIssuer 39-41",
            "type SessionStore 43-47",
            "function SessionStore.issue 44-46",
            "type SessionError 49-59",
            "function hashPassword 61-64",
        ])
    }

    func testKotlin() throws {
        XCTAssertEqual(try outline("RetryPolicy.kt", .kotlin), [
            "toplevel com.example.http 1-3",
            "type com.example.http.RetryPolicy 5-28",
            "function com.example.http.RetryPolicy.init 11-13",
            "function com.example.http.RetryPolicy.constructor 15-17",
            "function com.example.http.RetryPolicy.delayFor 19-23",
            "type com.example.http.RetryPolicy.companion 25-27",
            "function com.example.http.RetryPolicy.companion.none 26-26",
            "type com.example.http.Transport 30-32",
            "type com.example.http.Clients 34-41",
            "function com.example.http.Clients.retrying 35-40",
            "type com.example.http.Status 43-48",
            "function com.example.http.Status.isError 47-47",
            "function com.example.http.parsePolicy 50-54",
        ])
    }

    func testCSharp() throws {
        XCTAssertEqual(try outline("SessionService.cs", .csharp), [
            "toplevel  1-2",
            "module Example.Auth 4-62",
            "type Example.Auth.SessionService 6-37",
            "function Example.Auth.SessionService.SessionService 12-15",
            "function Example.Auth.SessionService.Timeout 17-17",
            "function Example.Auth.SessionService.Open 19-26",
            "function Example.Auth.SessionService.Count 28-31",
            "function Example.Auth.SessionService.SessionService 33-36",
            "type Example.Auth.ISessionService 39-42",
            "type Example.Auth.Session 44-47",
            "function Example.Auth.Session.IsExpired 46-46",
            "type Example.Auth.Token 49-55",
            "function Example.Auth.Token.== 53-53",
            "function Example.Auth.Token.!= 54-54",
            "type Example.Auth.Outcome 57-61",
        ])
    }

    func testScala() throws {
        XCTAssertEqual(try outline("RateLimiter.scala", .scala), [
            "toplevel example.http 1-3",
            "type example.http.RateLimiter 5-17",
            "function example.http.RateLimiter.allow 9-14",
            "function example.http.RateLimiter.reset 16-16",
            "type example.http.RateLimiter 19-21",
            "function example.http.RateLimiter.perSecond 20-20",
            "type example.http.Backoff 23-27",
            "function example.http.Backoff.maxAttempts 26-26",
            "type example.http.Exponential 29-32",
            "function example.http.Exponential.delay 30-31",
            "type example.http.Decision 34-36",
            "function example.http.decide 38-40",
        ])
    }

    func testBash() throws {
        XCTAssertEqual(try outline("deploy.sh", .bash), [
            "toplevel  1-31",
            "function log 7-10",
            "function deploy_host 12-23",
            "function restart_service 25-27",
        ])
    }

    func testLua() throws {
        XCTAssertEqual(try outline("cache.lua", .lua), [
            "toplevel  1-40",
            "function M.new 8-11",
            "function Cache:get 13-20",
            "function Cache:touch 22-24",
            "function evict 26-30",
            "function M.size 34-38",
        ])
    }

    func testMarkdown() throws {
        XCTAssertEqual(try outline("operations.md", .markdown), [
            "doc Operations guide 1-25",
            "doc Operations guide > Deploying 5-12",
            "doc Operations guide > Deploying > Rollback 9-12",
            "doc Operations guide > Retry policy 13-22",
            "doc Operations guide > Monitoring 23-25",
        ])
    }

    func testReStructuredText() throws {
        XCTAssertEqual(try outline("configuration.rst", .rst), [
            "doc Configuration 1-25",
            "doc Configuration > Storage 7-16",
            "doc Configuration > Storage > Vector files 12-16",
            "doc Configuration > Retry policy 17-25",
        ])
    }

    /// Harder documents: headings in code, quotes, lists and HTML, setext and closed ATX
    /// headings, skipped levels, an empty heading; the chunk lists were recorded before the
    /// prose chunkers were made faster and must not change.
    func testMarkdownRunbook() throws {
        XCTAssertEqual(try outline("runbook.md", .markdown), [
            "doc Runbook for the ingestion service 1-5",
            "doc Alerts 6-40",
            "doc Alerts > Queue backlog 18-40",
            "doc Alerts > Queue backlog > A quoted heading 22-23",
            "doc Alerts > Queue backlog > with a heading inside the item 26-27",
            "doc Alerts > Queue backlog > Skipped levels 33-40",
            "toplevel  41-43",
            "doc Storage 45-58",
            "doc Storage > Compaction 51-58",
        ])
    }

    /// Overlined and underlined titles, a literal block holding an underlined line, directives,
    /// a transition, and a new adornment style appearing late.
    func testReStructuredTextDeployment() throws {
        XCTAssertEqual(try outline("deployment.rst", .rst), [
            "toplevel  1-1",
            "doc Deployment 3-65",
            "doc Deployment > Preparing a release 12-36",
            "doc Deployment > Preparing a release > Checklists 26-36",
            "doc Deployment > Preparing a release > Checklists > Sign-off 32-36",
            "doc Deployment > Rolling out 37-60",
            "doc Deployment > Rolling out > Canary hosts 44-60",
            "doc Deployment > Rolling out > Canary hosts > Appendix 55-60",
            "doc Deployment > Glossary 61-65",
        ])
    }
}
