import QuarryCore
import XCTest
@testable import Chunker

/// Exact chunk outlines of the hand-written fixtures, one per language.
final class FixtureTests: XCTestCase {
    private func chunks(_ path: String, _ language: Language, limit: Int = 512) throws -> [Chunk] {
        let registry = try TestSupport.grammarRegistry(for: language)
        let chunker = Chunker(registry: registry, options: ChunkingOptions(maxChunkSize: limit))
        let text = try TestSupport.fixture(language.rawValue + "/" + path)
        let result = chunker.chunks(of: text, language: language, path: path)
        TestSupport.dump(result)
        return result
    }

    func testPython() throws {
        let result = try chunks("auth/views.py", .python)
        XCTAssertEqual(TestSupport.outline(result), [
            "toplevel auth.views 1-59",
            "function auth.views.hash_password 8-12",
            "type auth.views.Credentials 15-22",
            "function auth.views.Credentials.is_blank 21-22",
            "type auth.views.LoginView 25-50",
            "function auth.views.LoginView.post 29-40",
            "function auth.views.LoginView.throttle 42-44",
            "type auth.views.LoginView.Meta 46-50",
            "function auth.views.LoginView.Meta.describe 49-50",
            "function auth.views.logout 53-55",
        ])
    }

    func testGo() throws {
        let result = try chunks("server.go", .go)
        XCTAssertEqual(TestSupport.outline(result), [
            "toplevel auth 1-26",
            "type auth.Server 14-18",
            "type auth.SessionStore 20-24",
            "function auth.NewServer 28-31",
            "function auth.Server.HandleLogin 33-46",
            "function auth.Server.Attempts 48-48",
            "function auth.Map 50-56",
        ])
    }

    func testJava() throws {
        let result = try chunks("LoginController.java", .java)
        XCTAssertEqual(TestSupport.outline(result), [
            "toplevel com.example.auth 1-4",
            "type com.example.auth.LoginController 6-50",
            "function com.example.auth.LoginController.LoginController 14-16",
            "function com.example.auth.LoginController.login 18-33",
            "function com.example.auth.LoginController.reset 35-38",
            "type com.example.auth.LoginController.Attempt 40-43",
            "function com.example.auth.LoginController.Attempt.Attempt 42-42",
            "type com.example.auth.LoginController.Outcome 45-49",
            "function com.example.auth.LoginController.Outcome.isFailure 48-48",
            "type com.example.auth.Auditable 52-56",
            "function com.example.auth.Auditable.name 55-55",
            "type com.example.auth.Session 58-62",
            "function com.example.auth.Session.Session 59-61",
        ])
    }

    func testJavaScript() throws {
        let result = try chunks("session.js", .javascript)
        XCTAssertEqual(TestSupport.outline(result), [
            "toplevel  1-65",
            "function openSession 5-12",
            "function closeSession 14-16",
            "function isExpired 18-20",
            "type SessionManager 22-45",
            "function SessionManager.constructor 26-29",
            "function SessionManager.onExpire 31-34",
            "function SessionManager.refresh 36-40",
            "function SessionManager.size 42-44",
            "module handlers 47-54",
            "function handlers.login 48-50",
            "function handlers.logout 51-53",
            "function module.exports.legacyLogin 56-58",
            "function ids 60-63",
            "module module.exports 67-72",
            "function module.exports.refreshAll 68-70",
        ])
    }

    func testRuby() throws {
        let result = try chunks("session_store.rb", .ruby)
        XCTAssertEqual(TestSupport.outline(result), [
            "toplevel  1-55",
            "module Auth 5-45",
            "type Auth.SessionStore 8-38",
            "function Auth.SessionStore.initialize 12-14",
            "function Auth.SessionStore.open 16-21",
            "function Auth.SessionStore.default 23-25",
            "function Auth.SessionStore.reset! 28-30",
            "function Auth.SessionStore.expired? 35-37",
            "module Auth.Helpers 40-44",
            "function Auth.Helpers.current_user 41-43",
            "type Auth.Token 47-49",
            "function Auth.Token.to_s 48-48",
            "function helper_without_class 51-53",
        ])
    }

    func testC() throws {
        let result = try chunks("session.c", .c)
        XCTAssertEqual(TestSupport.outline(result), [
            "toplevel  1-54",
            "type session 6-11",
            "type session_table 13-16",
            "type session_state 18-18",
            "function session_find 22-32",
            "function session_open 34-46",
            "function session_dump 49-51",
        ])
    }

    func testCPlusPlus() throws {
        let result = try chunks("session.cpp", .cpp)
        XCTAssertEqual(TestSupport.outline(result), [
            "toplevel  1-2",
            "module auth 4-60",
            "type auth.Session 6-10",
            "type auth.SessionStore 12-27",
            "function auth.SessionStore.SessionStore 14-14",
            "function auth.SessionStore.contains 20-22",
            "function auth.clamp 29-32",
            "type auth.Cache 34-38",
            "module auth.detail 40-45",
            "function auth.detail.next_id 41-44",
            "function auth.SessionStore.~SessionStore 47-47",
            "function auth.SessionStore.open 49-53",
            "function auth.Cache.find 55-58",
            "function main 62-65",
        ])
    }

    func testSQL() throws {
        let result = try chunks("schema.sql", .sql)
        XCTAssertEqual(TestSupport.outline(result), [
            "statement users 1-6",
            "statement public.sessions 8-12",
            "statement sessions_by_user 14-14",
            "statement active_sessions 16-21",
            "statement session_count 23-25",
            "toplevel  27-46",
            "statement  29-41",
            "statement sessions_touch 48-49",
        ])
    }

    func testPHP() throws {
        let result = try chunks("login.php", .php)
        XCTAssertEqual(TestSupport.outline(result), [
            "toplevel App.Http 1-71",
            "function App.Http.verify_password 11-17",
            "type App.Http.Authenticator 19-22",
            "type App.Http.Throttles 24-32",
            "function App.Http.Throttles.tooManyAttempts 28-31",
            "type App.Http.LoginController 34-56",
            "function App.Http.LoginController.attempt 41-50",
            "function App.Http.LoginController.create 52-55",
            "type App.Http.Outcome 58-67",
            "function App.Http.Outcome.label 63-66",
        ])
    }
}

/// What the chunk texts hold: members cut out of containers, comments and
/// decorators kept with their definitions.
final class FixtureTextTests: XCTestCase {
    private func chunk(_ symbol: String, in path: String, _ language: Language) throws -> Chunk {
        let registry = try TestSupport.grammarRegistry(for: language)
        let text = try TestSupport.fixture(language.rawValue + "/" + path)
        let chunks = Chunker(registry: registry).chunks(of: text, language: language, path: path)
        return try XCTUnwrap(chunks.first { $0.symbol == symbol }, "\(symbol) in \(TestSupport.outline(chunks))")
    }

    func testPythonClassKeepsFieldsAndMemberSignatures() throws {
        let view = try chunk("auth.views.LoginView", in: "auth/views.py", .python)
        XCTAssertEqual(view.kind, .type)
        XCTAssertEqual(view.text, """
            class LoginView(BaseView):
                template = "login.html"
                attempts: int = 0
                @require_http_methods(["POST"])
                def post(self, request):
                @staticmethod
                def throttle(count):
                class Meta:
            """)
    }

    func testCPlusPlusClassEndsWithItsSemicolon() throws {
        let store = try chunk("auth.SessionStore", in: "session.cpp", .cpp)
        XCTAssertTrue(store.text.hasPrefix("class SessionStore {\npublic:\n    explicit SessionStore(int ttl) : ttl_(ttl)\n"))
        XCTAssertTrue(store.text.hasSuffix("std::map<std::string, Session> sessions_;\n};"))
        XCTAssertFalse(store.text.contains("sessions_.count(id)"), "inline body belongs to contains()")
    }

    func testCommentsAndDecoratorsJoinTheirDefinition() throws {
        let cases: [(String, String, Language, String)] = [
            ("auth.views.hash_password", "auth/views.py", .python, "# Hashes a password with a per-user salt.\n"),
            ("auth.views.LoginView.post", "auth/views.py", .python, "@require_http_methods([\"POST\"])\n    def post"),
            ("auth.Server.HandleLogin", "server.go", .go, "// HandleLogin checks credentials"),
            ("com.example.auth.LoginController", "LoginController.java", .java, "/**\n * Handles logins"),
            ("com.example.auth.LoginController.login", "LoginController.java", .java,
             "/** Checks the credentials and opens a session. */\n    @PostMapping(\"/login\")"),
            ("openSession", "session.js", .javascript, "/**\n * Opens a session for a verified user.\n */\nexport async function"),
            ("SessionManager.refresh", "session.js", .javascript, "@logged\n  async refresh(id)"),
            ("Auth.SessionStore.open", "session_store.rb", .ruby, "# Creates a session and returns its id.\n    def open"),
            ("session_find", "session.c", .c, "/*\n * Finds a session by id; NULL when absent.\n */\nstatic struct session *"),
            ("auth.clamp", "session.cpp", .cpp, "template <typename T>\nT clamp("),
            ("active_sessions", "schema.sql", .sql, "-- Sessions still valid now.\nCREATE VIEW"),
            ("App.Http.LoginController.attempt", "login.php", .php,
             "// Tries to log the user in.\n    #[Route('/login', methods: ['POST'])]"),
        ]
        for (symbol, path, language, prefix) in cases {
            let found = try chunk(symbol, in: path, language)
            XCTAssertTrue(found.text.hasPrefix(prefix), "\(symbol): \(found.text.prefix(120))")
        }
    }
}
