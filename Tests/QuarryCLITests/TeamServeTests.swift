import Foundation
import TeamStore
import XCTest

/// `quarry serve --db` and `quarry mcp --db`: the servers answering from a
/// team database in the test PostgreSQL, with the repository named in every result.
final class TeamServeTests: XCTestCase {
    /// A fresh team database holding the servers' fixture pushed as `api`; nil (failed) without PostgreSQL.
    private func pushedFixture() throws -> (TeamDatabase, ScratchRepository)? {
        guard let database = TeamDatabase.make() else { return nil }
        let repository = try indexedServerFixture()
        let pushed = try QuarryProcess.run(["push", "--repo", repository.path, "--name", "api", database.url])
        XCTAssertEqual(pushed.status, 0, pushed.stderr)
        return (database, repository)
    }

    func testServerSearchesAPushedRepositoryAndNamesIt() throws {
        guard let (database, repository) = try pushedFixture() else { return }
        defer { database.drop(); repository.remove() }
        let server = try ServeSession(["--db", database.url])

        let search = try server.get("/api/search?q=where+is+the+password+checked&k=2")
        XCTAssertEqual(search.status, 200, search.text)
        let results = try XCTUnwrap(search.json?["results"] as? [[String: Any]])
        XCTAssertEqual(results.first?["repo"] as? String, "api", search.text)
        XCTAssertEqual(results.first?["path"] as? String, "src/auth.py")
        XCTAssertEqual(results.first?["symbol"] as? String, "auth.login_user")
        // The same answer as `quarry search --db`, through the same engine.
        let cli = try QuarryProcess.run(["search", "--db", database.url, "--json", "-k", "2", "where is the password checked"])
        XCTAssertEqual(cli.jsonLines.map { $0["path"] as? String }, results.map { $0["path"] as? String })
        let filtered = try server.get("/api/search?q=parseConfig&mode=lexical&repo=api")
        XCTAssertEqual((filtered.json?["results"] as? [[String: Any]])?.first?["symbol"] as? String, "main.parseConfig",
                       filtered.text)
        XCTAssertEqual(try server.get("/api/search?q=parseConfig&repo=nope").status, 404)
        let page = try server.get("/?q=parseConfig&mode=lexical")
        XCTAssertEqual(page.status, 200)
        XCTAssertTrue(page.text.contains("api:src/config.go:"), "the page names the repository")

        let status = try server.get("/api/status")
        XCTAssertEqual(status.status, 200, status.text)
        let listed = try XCTUnwrap(status.json?["repositories"] as? [[String: Any]])
        XCTAssertEqual(listed.map { $0["name"] as? String }, ["api"])
        XCTAssertFalse(status.text.contains(database.serverURL.split(separator: ":")[2].split(separator: "@")[0]),
                       "the password is never shown")
        let file = try server.get("/api/file?path=src/auth.py")
        XCTAssertEqual(file.status, 501)
        XCTAssertNotNil(file.json?["error"] as? String)

        // Kept connections dropped by the server (a restart, an idle timeout): the next search reconnects.
        let admin = try database.connection()
        try admin.execute("""
            SELECT pg_terminate_backend(pid) FROM pg_stat_activity
            WHERE application_name = 'quarry' AND datname = current_database() AND pid <> pg_backend_pid()
            """)
        let again = try server.get("/api/search?q=where+is+the+password+checked&k=2")
        XCTAssertEqual(again.status, 200, again.text)
        XCTAssertEqual((again.json?["results"] as? [[String: Any]])?.first?["repo"] as? String, "api")
        XCTAssertEqual(server.stop(), 0)
    }

    func testMcpSearchToolAnswersFromTheDatabaseAndTheOtherToolsAreRefused() throws {
        guard let (database, repository) = try pushedFixture() else { return }
        defer { database.drop(); repository.remove() }
        let input = FileManager.default.temporaryDirectory.appendingPathComponent("mcp-db-\(UUID().uuidString).jsonl")
        defer { try? FileManager.default.removeItem(at: input) }
        try Data("""
            {"jsonrpc":"2.0","id":1,"method":"tools/list"}
            {"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"search","arguments":{"query":"parseConfig","mode":"lexical","repository":"api"}}}
            {"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"read","arguments":{"path":"src/auth.py"}}}

            """.utf8).write(to: input)
        let served = try QuarryProcess.run(["mcp", "--db", database.url], stdinFile: input)
        XCTAssertEqual(served.status, 0, served.stderr)
        let answers = served.jsonLines
        XCTAssertEqual(answers.count, 3, served.stdout)
        let tools = ((answers.first?["result"] as? [String: Any])?["tools"] as? [[String: Any]])?.map { $0["name"] as? String }
        XCTAssertEqual(tools, ["search"], "a team database answers search only")
        let found = ((answers[1]["result"] as? [String: Any])?["structuredContent"] as? [String: Any])?["results"]
            as? [[String: Any]]
        XCTAssertEqual(found?.first?["repo"] as? String, "api", served.stdout)
        XCTAssertEqual(found?.first?["symbol"] as? String, "main.parseConfig", served.stdout)
        XCTAssertNotNil(answers[2]["error"], "read needs a local index: \(served.stdout)")
    }

    func testABadDatabaseStopsTheServerAtStartWithOneLine() throws {
        guard let database = TeamDatabase.make() else { return }
        defer { database.drop() }
        let cases: [(url: String, says: String)] = [
            ("mysql://localhost/x", "not a PostgreSQL URL"),
            ("postgres://quarry@127.0.0.1:1/quarry", "Connection refused"),
        ]
        for (url, says) in cases {
            for command in [["serve", "--port", "0"], ["mcp"]] {
                let served = try QuarryProcess.run(command + ["--db", url])
                XCTAssertEqual(served.status, 2, url)
                XCTAssertTrue(served.stderr.contains(says), "\(command) \(url): \(served.stderr)")
                XCTAssertEqual(served.stderr.split(separator: "\n").count, 1, served.stderr)
            }
        }
    }
}
