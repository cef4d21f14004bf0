import Foundation
import XCTest

/// The long-lived server sees new revisions without a restart, refreshes
/// under the writer lock, and works with the official Python SDK.
final class McpRefreshTests: XCTestCase {
    private func structured(_ reply: [String: Any]) -> [String: Any]? {
        (reply["result"] as? [String: Any])?["structuredContent"] as? [String: Any]
    }

    private func search(_ server: McpSession, _ query: String, mode: String = "lexical") throws -> [[String: Any]] {
        let reply = try server.request("tools/call", ["name": "search", "arguments": ["query": query, "mode": mode]])
        return structured(reply)?["results"] as? [[String: Any]] ?? []
    }

    func testNewRevisionsAreSeenWithoutRestartAndRefreshTakesTheLock() throws {
        let repository = try indexedServerFixture()
        defer { repository.remove() }
        let server = try McpSession(["--repo", repository.path])
        XCTAssertTrue(try search(server, "rotate signing keys").isEmpty)
        // A semantic search maps the vectors, which the server keeps for later requests...
        XCTAssertEqual(try search(server, "check a password", mode: "semantic").first?["path"] as? String, "src/auth.py")

        // `quarry index` in another process: the next request sees the new revision.
        try repository.write("src/keys.py", "def rotate_signing_keys(store):\n    store.rotate()\n")
        try repository.commitAll("keys")
        XCTAssertEqual(try QuarryProcess.run(["index", repository.path, "--quiet"]).status, 0)
        XCTAssertEqual(try search(server, "rotate signing keys").first?["path"] as? String, "src/keys.py")

        // The refresh tool indexes a commit made after the server started.
        try repository.write("src/audit.py", "def write_audit_trail(event):\n    log(event)\n")
        try repository.commitAll("audit")
        let refresh = try server.request("tools/call", ["name": "refresh"])
        XCTAssertEqual((refresh["result"] as? [String: Any])?["isError"] as? Bool, false, "\(refresh)")
        XCTAssertEqual(structured(refresh)?["revision"] as? String, "HEAD")
        XCTAssertEqual(structured(refresh)?["new_blobs"] as? Int, 1)
        XCTAssertEqual(try search(server, "audit trail").first?["path"] as? String, "src/audit.py")
        // ...until an index run adds vectors: the new function's vector is scored too.
        let semantic = try search(server, "write an audit trail entry for an event", mode: "semantic")
        XCTAssertTrue(semantic.prefix(2).contains { $0["path"] as? String == "src/audit.py" }, "\(semantic)")
        let read = try server.request("tools/call", ["name": "read", "arguments": ["path": "src/audit.py"]])
        XCTAssertEqual(structured(read)?["text"] as? String, "def write_audit_trail(event):\n    log(event)")

        // A refresh runs aside: a request sent after it is answered first.
        try repository.write("src/later.py", "def later_work():\n    pass\n")
        try repository.commitAll("later")
        server.send(#"{"jsonrpc":"2.0","id":"refresh-1","method":"tools/call","params":{"name":"refresh"}}"#)
        server.send(#"{"jsonrpc":"2.0","id":"ping-1","method":"ping"}"#)
        let first = try server.next(), second = try server.next()
        XCTAssertEqual(first["id"] as? String, "ping-1", "the ping does not wait for the refresh")
        XCTAssertEqual(second["id"] as? String, "refresh-1")
        XCTAssertEqual(structured(second)?["new_blobs"] as? Int, 1, "\(second)")

        // Another writer holds the lock: refresh answers at once instead of waiting.
        let lockPath = repository.path + "/.git/quarry/index.sqlite.lock"
        let descriptor = open(lockPath, O_RDWR | O_CREAT, 0o644)
        XCTAssertEqual(flock(descriptor, LOCK_EX | LOCK_NB), 0)
        defer { close(descriptor) }
        let started = Date()
        let busy = try server.request("tools/call", ["name": "refresh"])
        let result = try XCTUnwrap(busy["result"] as? [String: Any])
        XCTAssertEqual(result["isError"] as? Bool, true)
        let message = (result["content"] as? [[String: Any]])?.first?["text"] as? String ?? ""
        XCTAssertTrue(message.hasPrefix("a refresh is already running"), message)
        XCTAssertLessThan(Date().timeIntervalSince(started), 5)
        XCTAssertEqual(server.finish(), 0)
    }

    /// Runs scripts/mcp-interop.sh: the official MCP Python SDK (mcp==2.3.0, in
    /// a virtual environment the script creates) in modes legacy, auto and 2026-07-28.
    func testOfficialPythonClientInEveryMode() throws {
        let repository = try indexedServerFixture()
        defer { repository.remove() }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = [packageRoot.appendingPathComponent("scripts/mcp-interop.sh").path,
                             QuarryProcess.executable.path, repository.path]
        process.environment = QuarryProcess.environment
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        let errors = PipeReader(err)
        try process.run()
        let output = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let diagnostics = String(decoding: errors.wait(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, output + diagnostics)
        for mode in ["legacy", "auto", "2026-07-28"] {
            XCTAssertTrue(output.contains("mode \(mode): "), output)
        }
        XCTAssertTrue(output.contains("mode auto: protocol 2026-07-28"), "auto mode settles on the stateless revision")
    }
}
