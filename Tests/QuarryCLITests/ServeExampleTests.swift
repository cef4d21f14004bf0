import Foundation
import XCTest

/// The README's `quarry serve` and `curl` examples, as written (ports aside:
/// the test takes a free one instead of 8080 or 9000).
final class ServeReadmeTests: XCTestCase {
    func testReadmeServeExamplesRun() throws {
        let readme = try String(contentsOf: packageRoot.appendingPathComponent("README.md"), encoding: .utf8)
        let section = try XCTUnwrap(readme.components(separatedBy: "## For a team (HTTP)").dropFirst().first)
        let block = try XCTUnwrap(section.components(separatedBy: "```sh\n").dropFirst().first?
            .components(separatedBy: "```").first)
        let commands = block.split(separator: "\n").map { line in
            String(line.split(separator: "#", maxSplits: 1).first ?? "").trimmingCharacters(in: .whitespaces)
        }
        XCTAssertEqual(commands.filter { $0.hasPrefix("quarry serve") }.count, 2)
        // `quarry serve --help` shows the same examples, so this test runs those too.
        let help = try QuarryProcess.run(["serve", "--help"]).stdout
        let examples = try XCTUnwrap(help.components(separatedBy: "Examples:\n").dropFirst().first)
        // The team database's example (--db) runs in TeamExamplesTests, from the README's team section.
        let helpExamples = examples.split(separator: "\n").filter { $0.hasPrefix("  ") && !$0.contains("--db") }
            .map { $0.trimmingCharacters(in: .whitespaces).components(separatedBy: "   ")[0] }
        XCTAssertEqual(helpExamples.count, 4, "\(helpExamples)")
        for example in helpExamples {
            XCTAssertTrue(commands.contains(example), "help example not in the README: \(example)")
        }
        XCTAssertEqual(commands.filter { $0.hasPrefix("curl ") }.count, 3)
        let repository = try indexedServerFixture()
        defer { repository.remove() }
        for command in commands where command.hasPrefix("quarry serve") {
            let arguments = try shellWords(command).dropFirst(2).filter { $0 != "--port" && $0 != "9000" }
            let server = try ServeSession(["--repo", repository.path] + arguments)
            let token = arguments.firstIndex(of: "--token").map { arguments[$0 + 1] }
            XCTAssertEqual(token?.count ?? 32, 32, "openssl rand -hex 16 gave a token")
            let headers = token.map { ["Authorization": "Bearer \($0)"] } ?? [:]
            XCTAssertEqual(try server.get("/api/status", headers: headers).status, 200, command)
            guard token == nil else { _ = server.stop(); continue }
            for curl in commands where curl.hasPrefix("curl ") {
                let outcome = try runShell(curl.replacingOccurrences(of: "127.0.0.1:8080", with: "127.0.0.1:\(server.port)"))
                XCTAssertEqual(outcome.status, 0, curl)
                let object = try? JSONSerialization.jsonObject(with: Data(outcome.stdout.utf8)) as? [String: Any]
                XCTAssertNotNil(object, "\(curl): \(outcome.stdout.prefix(200))")
                XCTAssertNil(object?["error"], "\(curl): \(outcome.stdout.prefix(200))")
            }
            _ = server.stop()
        }
    }

    /// Words of a command line as sh splits them, `$(...)` substituted by sh itself.
    private func shellWords(_ command: String) throws -> [String] {
        let outcome = try runShell("for word in \(command); do printf '%s\\n' \"$word\"; done")
        return outcome.stdout.split(separator: "\n").map(String.init)
    }

    private func runShell(_ command: String) throws -> (status: Int32, stdout: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command]
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}

/// The search page in a real browser: headless Chromium via scripts/page-check.sh.
final class SearchPageBrowserTests: XCTestCase {
    func testResultsAppearInTheDOMWithAndWithoutJavaScript() throws {
        let repository = try indexedServerFixture()
        defer { repository.remove() }
        let server = try ServeSession(["--repo", repository.path])
        defer { _ = server.stop() }
        // Kept under .build/ (ignored by git) so people can look at the page after a test run.
        let output = packageRoot.appendingPathComponent(".build/screenshots")
        try? FileManager.default.removeItem(at: output)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = [packageRoot.appendingPathComponent("scripts/page-check.sh").path,
                             "http://127.0.0.1:\(server.port)/?q=where+is+the+password+checked&lang=python",
                             output.path]
        try process.run()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0)
        for name in ["dom.html", "dom-nojs.html"] {
            let dom = try String(contentsOf: output.appendingPathComponent(name), encoding: .utf8)
            XCTAssertTrue(dom.contains("src/auth.py:1-5"), "\(name): \(dom.prefix(500))")
            XCTAssertTrue(dom.contains("auth.login_user"), name)
            XCTAssertTrue(dom.contains("<mark class=\"line\">"), "\(name): matched lines are marked")
            XCTAssertTrue(dom.contains("value=\"where is the password checked\""), "\(name): the query stays in the box")
        }
        var sizes: [Int] = []
        for name in ["search-page.png", "search-page-nojs.png"] {
            let png = try Data(contentsOf: output.appendingPathComponent(name))
            XCTAssertEqual(Array(png.prefix(8)), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], "\(name) is a PNG")
            sizes.append(png.count)
        }
        // The page draws the same results without script: the two screenshots are
        // pictures of about the same detail, far above a blank page's size.
        XCTAssertGreaterThan(sizes.min() ?? 0, 10_000)
        XCTAssertLessThan(abs(Double(sizes[0] - sizes[1])) / Double(sizes[0]), 0.2, "\(sizes)")
    }
}
