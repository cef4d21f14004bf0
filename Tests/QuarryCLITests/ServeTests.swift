import Foundation
import XCTest

/// `quarry serve` over loopback: the JSON API, the page, tokens, limits and refusals.
final class ServeTests: XCTestCase {
    func testJSONAPIAnswersWithTheSearchKeysAndFittingStatuses() throws {
        let repository = try indexedServerFixture()
        defer { repository.remove() }
        let server = try ServeSession(["--repo", repository.path])

        let search = try server.get("/api/search?q=where+is+the+password+checked&k=2&lang=python")
        XCTAssertEqual(search.status, 200, search.text)
        XCTAssertEqual(search.headers["content-type"], "application/json; charset=utf-8")
        let results = try XCTUnwrap(search.json?["results"] as? [[String: Any]])
        XCTAssertEqual(results.count, 2)
        XCTAssertEqual(results.first?["path"] as? String, "src/auth.py")
        // The keys of `quarry search --json`, in the same order.
        let cli = try QuarryProcess.run(["search", "--repo", repository.path, "--json", "-k", "2", "--lang", "python",
                                         "where is the password checked"])
        XCTAssertEqual(cli.jsonLines.map { $0["path"] as? String }, results.map { $0["path"] as? String })
        XCTAssertEqual(Set(cli.jsonLines.first?.keys.map { $0 } ?? []), Set(results.first?.keys.map { $0 } ?? []))

        let status = try server.get("/api/status")
        XCTAssertEqual(status.status, 200)
        XCTAssertEqual(status.json?["files"] as? Int, 3)
        let file = try server.get("/api/file?path=src/config.go&start=4&end=4")
        XCTAssertEqual(file.status, 200, file.text)
        XCTAssertEqual(file.json?["text"] as? String, "func parseConfig(path string) error {")

        let expectations: [(String, Int)] = [
            ("/api/search", 400),                                   // q missing
            ("/api/search?q=x&k=0", 400),
            ("/api/search?q=x&k=ten", 400),
            ("/api/search?q=x&mode=fuzzy", 400),
            ("/api/search?q=x&lang=cobol", 400),
            ("/api/search?q=%20%20", 400),                          // empty query
            ("/api/search?q=a%00b", 400),                           // NUL
            ("/api/search?q=%FF%FEparse", 400),                     // not UTF-8
            ("/api/search?q=x&rev=v9", 404),
            ("/api/search?q=" + String(repeating: "a", count: 5000), 414),
            ("/api/search?q=" + String(repeating: "a", count: 200_000), 414),
            ("/api/file?path=../../etc/passwd", 400),
            ("/api/file?path=%2Fetc%2Fpasswd", 400),
            ("/api/file?path=src/../../x", 400),
            ("/api/file?path=src/missing.py", 404),
            ("/api/file?path=src/auth.py&rev=main", 404),           // a real ref, not indexed
            ("/api/file?path=src/auth.py&start=0", 400),
            ("/api/file?path=src/auth.py&start=999", 400),
            ("/api/nothing", 404),
            ("/api/search?" + (0..<40).map { "p\($0)=1" }.joined(separator: "&"), 400),
        ]
        for (target, expected) in expectations {
            let response = try server.get(target)
            XCTAssertEqual(response.status, expected, "\(target.prefix(80)): \(response.text.prefix(200))")
            if response.status != 414 || response.headers["content-type"]?.hasPrefix("application/json") == true {
                XCTAssertNotNil(response.json?["error"] as? String, "\(target.prefix(80)) has a JSON error")
            }
            XCTAssertFalse(response.text.contains("root:"), "never reads files outside the index")
        }
        XCTAssertEqual(try server.get("/api/status", method: "POST").status, 405)
        XCTAssertEqual(try server.get("/api/status", body: Data(repeating: 65, count: 1000)).status, 413)
        // Still serving after all of that.
        XCTAssertEqual(try server.get("/api/status").status, 200)
        XCTAssertEqual(server.stop(), 0, "SIGTERM stops it cleanly")
    }

    func testSlowClientsAreDroppedWhileOthersAreServed() throws {
        let repository = try indexedServerFixture()
        defer { repository.remove() }
        let server = try ServeSession(["--repo", repository.path, "--timeout", "1"])
        // Half a request line, then nothing: the connection is closed after the timeout.
        let stalled = try server.connect()
        defer { close(stalled) }
        _ = "GET /api/sta".withCString { send(stalled, $0, strlen($0), Int32(MSG_NOSIGNAL)) }
        XCTAssertEqual(try server.get("/api/status").status, 200, "served while another client stalls")
        let started = Date()
        var byte: UInt8 = 0
        XCTAssertLessThanOrEqual(recv(stalled, &byte, 1, 0), 0, "the stalled connection is closed")
        XCTAssertLessThan(Date().timeIntervalSince(started), 10)
        XCTAssertEqual(try server.get("/api/status").status, 200)
        _ = server.stop()
    }

    /// An index that waits for `quarry index` to upgrade its schema is a
    /// temporary condition: 503 with the reason, and the server keeps running.
    func testAnIndexAwaitingASchemaUpgradeIs503() throws {
        let repository = try indexedServerFixture()
        defer { repository.remove() }
        let server = try ServeSession(["--repo", repository.path])
        let python = Process()
        python.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        python.arguments = ["python3", "-c", "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); "
                            + "c.execute('PRAGMA user_version = 1'); c.commit()",
                            repository.path + "/.git/quarry/index.sqlite"]
        try python.run()
        python.waitUntilExit()
        XCTAssertEqual(python.terminationStatus, 0)
        let response = try server.get("/api/search?q=password&mode=lexical")
        XCTAssertEqual(response.status, 503, response.text)
        XCTAssertTrue((response.json?["error"] as? String ?? "").contains("run `quarry index` to upgrade it"), response.text)
        XCTAssertEqual(try server.get("/api/status").status, 503)
        XCTAssertEqual(try server.get("/").status, 200, "the page itself still loads")
        _ = server.stop()
    }

    func testTokenIsRequiredWhenGiven() throws {
        let repository = try indexedServerFixture()
        defer { repository.remove() }
        let server = try ServeSession(["--repo", repository.path, "--token", "s3cret"])
        let refused = try server.get("/api/status")
        XCTAssertEqual(refused.status, 401)
        XCTAssertEqual(refused.headers["www-authenticate"], "Bearer")
        XCTAssertEqual(try server.get("/api/status", headers: ["Authorization": "Bearer wrong"]).status, 401)
        XCTAssertEqual(try server.get("/api/status", headers: ["Authorization": "Bearer s3cret"]).status, 200)
        let page = try server.get("/?q=password&token=s3cret")
        XCTAssertEqual(page.status, 200)
        XCTAssertTrue(page.text.contains("name=\"token\" value=\"s3cret\""), "the page's form keeps the token")
        _ = server.stop()
    }

    func testSearchPageRendersResultsOnTheServerAndSeesNewRevisions() throws {
        let repository = try indexedServerFixture()
        defer { repository.remove() }
        let server = try ServeSession(["--repo", repository.path])
        let empty = try server.get("/")
        XCTAssertEqual(empty.status, 200)
        XCTAssertTrue(empty.text.contains("<form method=\"get\" action=\"/\""))
        XCTAssertFalse(empty.text.contains("http://") || empty.text.contains("https://"), "no outside resources")

        let page = try server.get("/?q=%3Cscript%3Epassword&mode=hybrid&lang=python")
        XCTAssertEqual(page.status, 200)
        XCTAssertTrue(page.text.contains("src/auth.py:1-5"), page.text)
        XCTAssertTrue(page.text.contains("<mark class=\"line\">"), "matched lines are marked")
        XCTAssertTrue(page.text.contains("&lt;script&gt;password"), "the query is escaped")
        XCTAssertFalse(page.text.contains("<script>password"))
        XCTAssertTrue(page.text.contains("<option value=\"python\" selected>"), "filters stay selected")
        XCTAssertTrue(page.text.contains("<option value=\"HEAD\""), "the revision picker lists indexed revisions")
        let bad = try server.get("/?q=x&rev=v9")
        XCTAssertEqual(bad.status, 404)
        XCTAssertTrue(bad.text.contains("id=\"error\""))

        try repository.write("src/keys.py", "def rotate_signing_keys(store):\n    store.rotate()\n")
        try repository.commitAll("keys")
        XCTAssertEqual(try QuarryProcess.run(["index", repository.path, "--quiet"]).status, 0)
        let fresh = try server.get("/api/search?q=rotate+signing+keys&mode=lexical&k=1")
        XCTAssertEqual((fresh.json?["results"] as? [[String: Any]])?.first?["path"] as? String, "src/keys.py",
                       "a revision indexed after the server started is served without a restart")

        // The index deleted and built again: requests read the new file, not the old one.
        try FileManager.default.removeItem(atPath: repository.path + "/.git/quarry")
        try repository.write("src/late.py", "def brand_new_helper():\n    pass\n")
        try repository.commitAll("late")
        XCTAssertEqual(try QuarryProcess.run(["index", repository.path, "--quiet"]).status, 0)
        let rebuilt = try server.get("/api/search?q=brand+new+helper&mode=lexical&k=1")
        XCTAssertEqual((rebuilt.json?["results"] as? [[String: Any]])?.first?["path"] as? String, "src/late.py",
                       rebuilt.text)
        _ = server.stop()
    }

    func testHelpHasExamplesAndANonLoopbackHostWithoutTokenWarns() throws {
        let help = try QuarryProcess.run(["serve", "--help"])
        XCTAssertTrue(help.stdout.contains("Examples:"))
        let repository = try indexedServerFixture()
        defer { repository.remove() }
        let (process, _, _, stderr) = try QuarryProcess.startWithInput(["serve", "--repo", repository.path,
                                                                        "--host", "0.0.0.0", "--port", "0"])
        let first = String(decoding: stderr.fileHandleForReading.availableData, as: UTF8.self)
        process.terminate()
        process.waitUntilExit()
        XCTAssertTrue(first.contains("warning: listening on 0.0.0.0 without --token"), first)
        let badHost = try QuarryProcess.run(["serve", "--repo", repository.path, "--host", "example", "--port", "0"])
        XCTAssertEqual(badHost.status, 2)
        XCTAssertTrue(badHost.stderr.contains("'example' is not an IPv4 address"), badHost.stderr)
    }
}
