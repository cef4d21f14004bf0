import Foundation
import QuarryCore
import Store
import XCTest
@testable import Search

final class LexicalSearchTests: XCTestCase {
    private var store: IndexStore!

    /// A small repository: Python auth code, a Go server, a README, one blob at two paths.
    override func setUpWithError() throws {
        store = try scratchStore("search")

        let sources: [(id: String, paths: [String], language: Language, chunks: [(String, ChunkKind, Int, String)])] = [
            ("auth", ["src/auth/views.py"], .python, [
                ("auth.views.loginUser", .function, 10, """
                    def loginUser(request):
                        credentials = parse(request)
                        return authenticate(credentials)
                    """),
                ("auth.views.logout", .function, 20, """
                    def logout(request):
                        # the user is logged out, then sent to the login page
                        session.clear()
                        return redirect("/login")
                    """),
            ]),
            ("users", ["src/users/models.py"], .python, [
                ("users.models.User", .type, 1, """
                    class User(Model):
                        name = CharField()
                        email = CharField()
                        def display_name(self):
                            return self.user_label or self.name
                    """),
            ]),
            ("server", ["cmd/server/main.go"], .go, [
                ("main.NewHTTPServer", .function, 5, """
                    func NewHTTPServer(addr string) *http.Server {
                    \treturn &http.Server{Addr: addr}
                    }
                    """),
            ]),
            ("util", ["src/util/strings.py", "lib/vendored/strings.py"], .python, [
                ("strings.snake_case", .function, 1, """
                    def snake_case(text):
                        return re.sub(r"([A-Z])", r"_\\1", text).lower()
                    """),
            ]),
            ("readme", ["README.md"], .other, [
                ("", .lines, 1, "Quarry: search your code. Log in as any user to try it."),
            ]),
        ]
        var files: [FileRecord] = []
        var blobs: [BlobRecord] = []
        for source in sources {
            let chunks = source.chunks.map { symbol, kind, line, text in
                Chunk(language: source.language, kind: kind, symbol: symbol, startLine: line,
                      endLine: line + text.split(separator: "\n").count - 1, startByte: 0, endByte: text.utf8.count, text: text)
            }
            blobs.append(BlobRecord(id: source.id, path: source.paths[0], language: source.language, size: 100, chunks: chunks))
            files += source.paths.map { FileRecord(path: $0, blobID: source.id) }
        }
        try store.write(blobs)
        let date = Date(timeIntervalSince1970: 1_700_000_000)
        try store.recordRevision(RevisionRecord(name: "v1", commitID: "c1", treeID: "t1", commitTime: date, author: "a",
                                                subject: "old", indexedAt: date),
                                 files: [FileRecord(path: "old/login.py", blobID: "auth")])
        try store.recordRevision(RevisionRecord(name: "HEAD", commitID: "c2", treeID: "t2", commitTime: date, author: "a",
                                                subject: "new", indexedAt: date.addingTimeInterval(60)),
                                 files: files)
    }

    private func search(_ query: String, _ filters: SearchFilters = SearchFilters(), limit: Int = 10) throws -> [SearchResult] {
        try LexicalSearcher(store: store).search(query, filters: filters, limit: limit)
    }

    func testFunctionNamedLoginUserRanksFirstForLoginUser() throws {
        for query in ["login user", "loginUser", "loginuser", "login_user", "LOGIN-USER"] {
            let results = try search(query)
            XCTAssertEqual(results.first?.chunk.symbol, "auth.views.loginUser", "query \(query)")
            XCTAssertEqual(results.first?.path, "src/auth/views.py")
            XCTAssertEqual(results.first?.revision, "HEAD")
        }
        // Scores are positive and sorted, best first.
        let scores = try search("login user").map(\.score)
        XCTAssertEqual(scores, scores.sorted(by: >))
        XCTAssertTrue(scores.allSatisfy { $0 > 0 })
    }

    func testSplitIdentifiersMatchTheirParts() throws {
        XCTAssertEqual(try search("http server").first?.chunk.symbol, "main.NewHTTPServer")
        XCTAssertEqual(try search("newhttpserver").first?.chunk.symbol, "main.NewHTTPServer")
        XCTAssertEqual(try search("snake case").first?.chunk.symbol, "strings.snake_case")
        XCTAssertEqual(try search("display name").first?.chunk.symbol, "users.models.User")
    }

    func testResultCarriesChunkFieldsAndRelevantLines() throws {
        let result = try XCTUnwrap(try search("authenticate credentials").first)
        XCTAssertEqual(result.chunk.symbol, "auth.views.loginUser")
        XCTAssertEqual(result.chunk.language, .python)
        XCTAssertEqual(result.chunk.kind, .function)
        XCTAssertEqual(result.blobID, "auth")
        XCTAssertEqual([result.chunk.startLine, result.chunk.endLine], [10, 12])
        XCTAssertTrue(result.chunk.text.hasPrefix("def loginUser(request):"))
        // Line 12 holds both terms, line 11 one; line 10 none.
        XCTAssertEqual(result.relevantLines, [11, 12])
    }

    func testRelevantLinesPickTheLinesWithMostTerms() {
        let text = "a\nlogin\nlogin user\nnothing\nuser\nloginUser here"
        let terms = Set(LexicalSearcher.terms(of: "login user"))
        XCTAssertEqual(LexicalSearcher.relevantLines(in: text, firstLine: 100, terms: terms), [101, 102, 105])
        XCTAssertEqual(LexicalSearcher.relevantLines(in: text, firstLine: 1, terms: terms, limit: 1), [3])
        XCTAssertEqual(LexicalSearcher.relevantLines(in: text, firstLine: 1, terms: ["absent"]), [])
    }

    func testBlobAtSeveralPathsIsOneResultWithOtherPaths() throws {
        let results = try search("snake case")
        XCTAssertEqual(results.filter { $0.blobID == "util" }.count, 1)
        XCTAssertEqual(results.first?.path, "lib/vendored/strings.py")
        XCTAssertEqual(results.first?.otherPaths, ["src/util/strings.py"])
        // A path filter narrows the paths reported, not just the results.
        let filtered = try search("snake case", SearchFilters(paths: [try PathGlob("src/**")]))
        XCTAssertEqual(filtered.first?.path, "src/util/strings.py")
        XCTAssertEqual(filtered.first?.otherPaths, [])
    }

    func testLanguageAndPathFilters() throws {
        let python = try search("server user login", SearchFilters(languages: [.python]))
        XCTAssertFalse(python.isEmpty)
        XCTAssertTrue(python.allSatisfy { $0.chunk.language == .python })
        XCTAssertEqual(try search("server", SearchFilters(languages: [.go])).map(\.chunk.symbol), ["main.NewHTTPServer"])
        XCTAssertEqual(try search("http server", SearchFilters(languages: [.java])), [])

        let goFiles = try search("server user login", SearchFilters(paths: [try PathGlob("*.go")]))
        XCTAssertEqual(goFiles.map(\.path), ["cmd/server/main.go"])
        let srcPython = try search("user", SearchFilters(paths: [try PathGlob("src/**/*.py")]))
        XCTAssertFalse(srcPython.isEmpty)
        XCTAssertTrue(srcPython.allSatisfy { $0.path.hasPrefix("src/") && $0.path.hasSuffix(".py") })
        let either = try search("user", SearchFilters(paths: [try PathGlob("*.md"), try PathGlob("src/users/")]))
        XCTAssertEqual(Set(either.map(\.path)), ["README.md", "src/users/models.py"])
    }

    func testRevisionFilterAndDefault() throws {
        XCTAssertEqual(try search("login").first?.revision, "HEAD")
        let old = try search("login", SearchFilters(revision: "v1"))
        XCTAssertEqual(old.map(\.path), ["old/login.py", "old/login.py"])
        XCTAssertEqual(old.map(\.revision), ["v1", "v1"])
        XCTAssertThrowsError(try search("login", SearchFilters(revision: "v9"))) { error in
            XCTAssertEqual(error as? SearchError, .store(.unknownRevision("v9")))
        }
    }

    func testLimitIsRespected() throws {
        XCTAssertEqual(try search("user login server name", limit: 2).count, 2)
        XCTAssertEqual(try search("user", limit: 0), [])
    }

    func testPunctuationAndOperatorsAreNeverFTSSyntax() throws {
        for query in ["", "   ", "()*^:-+\"", "\"", "''", "—…“”", "{}[]<>!?"] {
            XCTAssertEqual(try search(query), [], "query \(query.debugDescription)")
        }
        // FTS5 keywords and syntax in user text are searched as words, not run.
        for query in ["login OR", "NOT user", "NEAR(login user)", "symbol: login", "login*", "\"login", "user^"] {
            XCTAssertFalse(try search(query).isEmpty, "query \(query)")
        }
    }

    func testCommonestTermsAreLeftOutBeyondTheMatchBudget() throws {
        let searcher = LexicalSearcher(store: store)
        // Chunks holding each term, as the full-text index counts them.
        XCTAssertEqual(try store.documentFrequencies(of: ["return", "login", "redirect", "nowhere"]), [5, 2, 1, 0])
        let terms = ["return", "login", "redirect"]
        XCTAssertEqual(try searcher.matchedTerms(terms), terms, "small indexes keep every term")
        searcher.matchBudget = 3
        XCTAssertEqual(try searcher.matchedTerms(terms), ["login", "redirect"], "rarest first, order kept")
        searcher.matchBudget = 1
        XCTAssertEqual(try searcher.matchedTerms(terms), ["redirect"])
        searcher.matchBudget = 0
        XCTAssertEqual(try searcher.matchedTerms(["return", "login"]), ["login"], "the rarest term always stays")
        // Ranking then uses only the terms kept: logout() holds both of them.
        XCTAssertEqual(try searcher.search("return login redirect").first?.chunk.symbol, "auth.views.logout")
    }

    func testMatchExpressionQuotesEveryTerm() {
        XCTAssertEqual(LexicalSearcher.terms(of: "loginUser OR x"), ["loginuser", "login", "user", "or", "x"])
        XCTAssertEqual(LexicalSearcher.matchExpression(terms: ["a", "b\"c"]), "\"a\" OR \"b\"\"c\"")
        XCTAssertNil(LexicalSearcher.matchExpression(terms: LexicalSearcher.terms(of: "() -> *")))
    }
}
