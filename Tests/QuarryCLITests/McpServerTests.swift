import Foundation
import XCTest

/// `quarry mcp` as a coding agent drives it: JSON-RPC lines over pipes.
final class McpServerTests: XCTestCase {
    private static let meta: [String: Any] = [
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientCapabilities": [String: Any](),
    ]

    private func result(_ reply: [String: Any], file: StaticString = #filePath, line: UInt = #line) throws -> [String: Any] {
        XCTAssertNil(reply["error"], "\(reply)", file: file, line: line)
        return try XCTUnwrap(reply["result"] as? [String: Any], "\(reply)", file: file, line: line)
    }

    private func errorCode(_ reply: [String: Any]) -> Int? {
        (reply["error"] as? [String: Any])?["code"] as? Int
    }

    private func text(_ result: [String: Any]) -> String {
        ((result["content"] as? [[String: Any]])?.first?["text"] as? String) ?? ""
    }

    func testHandshakeEraListsAndCallsEveryTool() throws {
        let repository = try indexedServerFixture()
        defer { repository.remove() }
        let server = try McpSession(["--repo", repository.path])
        let initialize = try result(server.request("initialize", [
            "protocolVersion": "2025-03-26", "capabilities": [String: Any](),
            "clientInfo": ["name": "tests", "version": "1"]]))
        XCTAssertEqual(initialize["protocolVersion"] as? String, "2025-03-26", "a supported version is echoed")
        XCTAssertEqual((initialize["serverInfo"] as? [String: Any])?["name"] as? String, "quarry")
        XCTAssertNotNil((initialize["capabilities"] as? [String: Any])?["tools"])
        let newest = try result(server.request("initialize", ["protocolVersion": "1999-01-01"]))
        XCTAssertEqual(newest["protocolVersion"] as? String, "2025-11-25", "an unknown version gets the newest")
        server.send(#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#)
        XCTAssertEqual(try result(server.request("ping")).count, 0, "ping answers {}, and the notification nothing")

        let tools = try XCTUnwrap(try result(server.request("tools/list"))["tools"] as? [[String: Any]])
        XCTAssertEqual(tools.compactMap { $0["name"] as? String }.sorted(), ["read", "refresh", "search", "status"])
        for tool in tools {
            XCTAssertEqual((tool["inputSchema"] as? [String: Any])?["type"] as? String, "object", "\(tool)")
            XCTAssertEqual((tool["outputSchema"] as? [String: Any])?["type"] as? String, "object", "\(tool)")
        }

        let search = try result(server.request("tools/call", ["name": "search", "arguments": [
            "query": "where is the password checked", "limit": 2, "language": "python"]]))
        XCTAssertEqual(search["isError"] as? Bool, false)
        let hits = try XCTUnwrap((search["structuredContent"] as? [String: Any])?["results"] as? [[String: Any]])
        XCTAssertEqual(hits.count, 2)
        XCTAssertEqual(hits.first?["path"] as? String, "src/auth.py")
        XCTAssertEqual(hits.first?["symbol"] as? String, "auth.login_user")
        XCTAssertEqual(hits.first?["rev"] as? String, "HEAD")
        XCTAssertTrue(hits.allSatisfy { $0["language"] as? String == "python" })
        XCTAssertTrue(text(search).contains("src/auth.py:1-5"), text(search))

        let status = try result(server.request("tools/call", ["name": "status"]))
        let counts = try XCTUnwrap(status["structuredContent"] as? [String: Any])
        XCTAssertEqual(counts["files"] as? Int, 3)
        let models = try XCTUnwrap(counts["models"] as? [[String: Any]])
        XCTAssertEqual(models.first?["texts_without_vectors"] as? Int, 0, "every text is embedded")

        let read = try result(server.request("tools/call", ["name": "read", "arguments": [
            "path": "./src/config.go", "start_line": 3, "end_line": 4]]))
        let excerpt = try XCTUnwrap(read["structuredContent"] as? [String: Any])
        XCTAssertEqual(excerpt["text"] as? String, "// parseConfig reads the settings file.\nfunc parseConfig(path string) error {")
        XCTAssertEqual(excerpt["total_lines"] as? Int, 6)
        XCTAssertTrue(text(read).contains("4: func parseConfig"), text(read))

        XCTAssertEqual(errorCode(try server.request("tools/call", ["name": "grep"])), -32602, "unknown tool")
        XCTAssertEqual(errorCode(try server.request("resources/list")), -32601, "unknown method")
        XCTAssertEqual(server.finish(), 0, server.stderrText)
    }

    func testStatelessRevisionAnswersDiscoverAndMarksEveryResult() throws {
        let repository = try indexedServerFixture()
        defer { repository.remove() }
        let server = try McpSession(["--repo", repository.path])
        let discover = try result(server.request("server/discover", ["_meta": Self.meta]))
        XCTAssertEqual((discover["supportedVersions"] as? [String])?.first, "2026-07-28")
        XCTAssertTrue((discover["supportedVersions"] as? [String] ?? []).contains("2024-11-05"))
        XCTAssertEqual(discover["resultType"] as? String, "complete")
        XCTAssertNotNil(discover["ttlMs"] as? Int)
        XCTAssertEqual(discover["cacheScope"] as? String, "private")

        let list = try result(server.request("tools/list", ["_meta": Self.meta]))
        XCTAssertEqual((list["tools"] as? [Any])?.count, 4)
        XCTAssertEqual(list["resultType"] as? String, "complete")
        XCTAssertNotNil(list["ttlMs"] as? Int)
        XCTAssertNotNil(list["cacheScope"] as? String)

        let call = try result(server.request("tools/call", ["_meta": Self.meta, "name": "search",
                                                              "arguments": ["query": "parse config", "mode": "lexical"]]))
        XCTAssertEqual(call["resultType"] as? String, "complete")
        let hits = (call["structuredContent"] as? [String: Any])?["results"] as? [[String: Any]]
        XCTAssertEqual(hits?.first?["path"] as? String, "src/config.go")

        let old = try server.request("tools/list", ["_meta": ["io.modelcontextprotocol/protocolVersion": "2030-01-01"]])
        XCTAssertEqual(errorCode(old), -32022)
        let data = (old["error"] as? [String: Any])?["data"] as? [String: Any]
        XCTAssertEqual(data?["supported"] as? [String], ["2026-07-28"])
        XCTAssertEqual(data?["requested"] as? String, "2030-01-01")
        XCTAssertEqual(errorCode(try server.request("initialize", ["_meta": Self.meta])), -32601,
                       "initialize is not part of the stateless revision")
        XCTAssertEqual(server.finish(), 0)
    }

    func testToolFailuresAndBadArgumentsAreReportedNotFatal() throws {
        let repository = try indexedServerFixture()
        defer { repository.remove() }
        let server = try McpSession(["--repo", repository.path])
        func call(_ name: String, _ arguments: [String: Any]) throws -> [String: Any] {
            try server.request("tools/call", ["name": name, "arguments": arguments])
        }
        for escape in ["../../etc/passwd", "/etc/passwd", "src/../../x", "~/.ssh/id_rsa", "src/\u{0}auth.py"] {
            let reply = try result(call("read", ["path": escape]))
            XCTAssertEqual(reply["isError"] as? Bool, true, escape)
            XCTAssertFalse(text(reply).contains("root:"), escape)
        }
        let missing = try result(call("read", ["path": "src/nothing.py"]))
        XCTAssertEqual(missing["isError"] as? Bool, true)
        XCTAssertEqual(text(missing), "no file 'src/nothing.py' in indexed revision 'HEAD'")
        let unindexed = try result(call("read", ["path": "src/auth.py", "revision": "main"]))
        XCTAssertEqual(text(unindexed), "revision 'main' is not indexed", "a real but unindexed ref is refused")
        let badRevision = try result(call("search", ["query": "password", "revision": "v9"]))
        XCTAssertEqual(badRevision["isError"] as? Bool, true)
        XCTAssertFalse(text(badRevision).contains("\n"))

        let invalid: [[String: Any]] = [
            [:],                                          // query missing
            ["query": 42],                                // wrong type
            ["query": "x", "limit": "ten"],
            ["query": "x", "limit": 0],
            ["query": "x", "limit": 2.5],
            ["query": "x", "mode": "fuzzy"],
            ["query": "x", "language": "cobol"],
            ["query": "x", "colour": "red"],              // unknown argument
            ["query": "   "],                             // empty
            ["query": "a\u{0}b"],                         // NUL
            ["query": String(repeating: "parse ", count: 2000)],  // 12 KB
        ]
        for arguments in invalid {
            let reply = try call("search", arguments)
            XCTAssertEqual(errorCode(reply), -32602, "\(arguments)")
            let message = (reply["error"] as? [String: Any])?["message"] as? String ?? ""
            XCTAssertTrue(message.hasPrefix("search: "), message)
        }
        XCTAssertEqual(errorCode(try call("read", ["path": 7])), -32602)
        XCTAssertEqual(errorCode(try server.request("tools/call", ["name": "read", "arguments": [1, 2]])), -32602)
        XCTAssertNotNil(try result(server.request("ping")))
        XCTAssertEqual(server.finish(), 0)
    }

    func testMalformedMessagesGetErrorsAndTheServerKeepsRunning() throws {
        let repository = try indexedServerFixture()
        defer { repository.remove() }
        let server = try McpSession(["--repo", repository.path])
        let cases: [(Data, Int, String)] = [
            (Data("not json\n".utf8), -32700, "not JSON"),
            (Data([0x7B, 0x22, 0xFF, 0xFE, 0x22, 0x7D, 0x0A]), -32700, "invalid UTF-8"),
            (Data("{\"jsonrpc\":\"2.0\",\"id\":1,\u{0}\"method\":\"ping\"}\n".utf8), -32700, "raw NUL"),
            (Data(#"[{"jsonrpc":"2.0","id":1,"method":"ping"}]"#.utf8) + Data([0x0A]), -32600, "batch"),
            (Data("42\n".utf8), -32600, "not an object"),
            (Data(#"{"jsonrpc":"2.0","method":"tools/list"}"#.utf8) + Data([0x0A]), -32600, "missing id"),
            (Data(#"{"jsonrpc":"2.0","id":true,"method":"ping"}"#.utf8) + Data([0x0A]), -32600, "boolean id"),
            (Data(#"{"jsonrpc":"2.0","id":null,"method":"ping"}"#.utf8) + Data([0x0A]), -32600, "null id"),
            (Data(#"{"id":3,"method":"ping"}"#.utf8) + Data([0x0A]), -32600, "no jsonrpc"),
            (Data(#"{"jsonrpc":"2.0","id":4,"method":5}"#.utf8) + Data([0x0A]), -32600, "numeric method"),
            (Data(#"{"jsonrpc":"2.0","id":5,"method":"tools/list","params":[1]}"#.utf8) + Data([0x0A]), -32602,
             "params not an object"),
            (Data(#"{"jsonrpc":"2.0","id":6,"method":"no/such"}"#.utf8) + Data([0x0A]), -32601, "unknown method"),
        ]
        for (bytes, code, label) in cases {
            server.sendRaw(bytes)
            XCTAssertEqual(errorCode(try server.next()), code, label)
        }
        // A 3 MB line without a newline until its end is refused, not buffered whole.
        server.sendRaw(Data(repeating: UInt8(ascii: "a"), count: 3 << 20) + Data([0x0A]))
        let tooLong = try server.next()
        XCTAssertEqual(errorCode(tooLong), -32600)
        XCTAssertTrue(((tooLong["error"] as? [String: Any])?["message"] as? String ?? "").contains("over the limit"))
        // Notifications and a client's responses get no reply.
        server.send(#"{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":1}}"#)
        server.send(#"{"jsonrpc":"2.0","id":99,"result":{}}"#)
        XCTAssertFalse(server.hasReply(within: 0.3))
        XCTAssertNotNil(try result(server.request("ping")))
        XCTAssertEqual(server.finish(), 0, "the server exits cleanly when its input closes")
    }

    /// The examples in `quarry mcp --help` and the README, as written.
    func testHelpExamplesRun() throws {
        let repository = try indexedServerFixture()
        defer { repository.remove() }
        let help = try QuarryProcess.run(["mcp", "--help"])
        XCTAssertTrue(help.stdout.contains("Examples:"), help.stdout)
        // `quarry mcp` in the repository: with no client input it exits cleanly.
        let plain = try QuarryProcess.run(["mcp"], in: repository.url)
        XCTAssertEqual(plain.status, 0, plain.stderr)
        XCTAssertEqual(plain.stdout, "", "stdout carries protocol messages only")
        // quarry mcp --repo . --rev HEAD --rev main (the README's)
        let revisions = try QuarryProcess.run(["mcp", "--repo", ".", "--rev", "HEAD", "--rev", "main"], in: repository.url)
        XCTAssertEqual(revisions.status, 0, revisions.stderr)
        // echo '{"jsonrpc":"2.0","id":1,"method":"tools/list"}' | quarry mcp
        let request = repository.url.deletingLastPathComponent().appendingPathComponent("request.json")
        try Data(#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#.utf8 + [0x0A]).write(to: request)
        let listed = try QuarryProcess.run(["mcp"], in: repository.url, stdinFile: request)
        XCTAssertEqual(listed.status, 0, listed.stderr)
        let tools = (listed.jsonLines.first?["result"] as? [String: Any])?["tools"] as? [[String: Any]]
        XCTAssertEqual(tools?.compactMap { $0["name"] as? String }, ["search", "status", "read", "refresh"])
    }

    func testAnUnknownRepositoryIsAOneLineError() throws {
        let outcome = try QuarryProcess.run(["mcp", "--repo", "/nonexistent/quarry-mcp"])
        XCTAssertEqual(outcome.status, 2)
        XCTAssertEqual(outcome.stderr.split(separator: "\n").count, 1, outcome.stderr)
        XCTAssertEqual(outcome.stdout, "")
    }
}
