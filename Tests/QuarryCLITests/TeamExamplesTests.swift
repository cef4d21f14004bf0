import Foundation
import XCTest

/// The README's team set-up runs: the command lines of its "For a team
/// (PostgreSQL)" shell block and the `run:` steps of its CI job, in that
/// order's reverse (CI publishes, then people search), in a repository
/// named `api`, against a fresh schema of the test PostgreSQL.
final class TeamExamplesTests: XCTestCase {
    func testTeamSectionCommandsRun() throws {
        guard let database = TeamDatabase.make() else { return }
        defer { database.drop() }
        let repository = try ScratchRepository(name: "api")
        defer { repository.remove() }
        try repository.write("src/auth.py", """
            def authenticate(request):
                \"\"\"Check the user's password: this is where auth is handled.\"\"\"
                return request.user.password_digest == digest(request.password)
            """)
        try repository.write("cmd/retry.go", "package main\n\nfunc retryBackoff(fn func() error) error {\n\treturn fn()\n}\n")
        try repository.commitAll()

        let (shell, job) = try Self.readmeLines()
        XCTAssertEqual(job.count, 2, "the CI job indexes and pushes")
        XCTAssertEqual(shell.count, 5)
        let serving = { (line: String) in line.hasPrefix("quarry serve") || line.hasPrefix("curl ") }
        for line in job + shell where !serving(line) {
            let outcome = try run(line, in: repository, database: database.url)
            XCTAssertEqual(outcome.status, 0, "README: \(line)\nstdout: \(outcome.stdout)\nstderr: \(outcome.stderr)")
        }
        let lexical = try run(shell[2], in: repository, database: database.url)
        XCTAssertEqual(lexical.jsonLines.first?["repo"] as? String, "api")
        XCTAssertEqual(lexical.jsonLines.first?["symbol"] as? String, "main.retryBackoff")

        // A server runs until stopped: the README's one on a free port, asked what its curl line asks.
        let serve = try XCTUnwrap(shell.first { $0.hasPrefix("quarry serve") })
        let arguments = serve.split(separator: " ").dropFirst(2)
            .map { $0 == "\"$QUARRY_DATABASE_URL\"" ? database.url : String($0) }
        let server = try ServeSession(arguments)
        defer { _ = server.stop() }
        let curl = try XCTUnwrap(shell.first { $0.hasPrefix("curl ") })
        let answer = try run(curl.replacingOccurrences(of: "127.0.0.1:8080", with: "127.0.0.1:\(server.port)"),
                             in: repository, database: database.url)
        XCTAssertEqual(answer.status, 0, answer.stderr)
        let object = try JSONSerialization.jsonObject(with: Data(answer.stdout.utf8)) as? [String: Any]
        let first = (object?["results"] as? [[String: Any]])?.first
        XCTAssertEqual(first?["repo"] as? String, "api", answer.stdout)
        XCTAssertEqual(first?["path"] as? String, "src/auth.py", answer.stdout)
    }

    /// The shell block's lines (comments removed) and the CI job's `run:` commands.
    static func readmeLines() throws -> (shell: [String], job: [String]) {
        let readme = try String(contentsOf: packageRoot.appendingPathComponent("README.md"), encoding: .utf8)
        guard let section = readme.range(of: "## For a team (PostgreSQL)"),
              let sh = readme.range(of: "```sh\n", range: section.upperBound..<readme.endIndex),
              let shEnd = readme.range(of: "```", range: sh.upperBound..<readme.endIndex),
              let yaml = readme.range(of: "```yaml\n", range: shEnd.upperBound..<readme.endIndex),
              let yamlEnd = readme.range(of: "```", range: yaml.upperBound..<readme.endIndex) else {
            XCTFail("README.md has no sh and yaml blocks under '## For a team (PostgreSQL)'")
            return ([], [])
        }
        let shell = readme[sh.upperBound..<shEnd.lowerBound].split(separator: "\n")
            .map { ExamplesTests.withoutComment(String($0)) }.filter { !$0.isEmpty }
        let job = readme[yaml.upperBound..<yamlEnd.lowerBound].split(separator: "\n")
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { $0.hasPrefix("- run: ") }.map { String($0.dropFirst("- run: ".count)) }
        return (shell, job)
    }

    private func run(_ line: String, in repository: ScratchRepository, database: String) throws -> QuarryProcess.Outcome {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = ["-c", "set -o pipefail; " + line]
        process.currentDirectoryURL = repository.url
        var environment = QuarryProcess.environment
        environment["PATH"] = QuarryProcess.executable.deletingLastPathComponent().path + ":"
            + (environment["PATH"] ?? "/usr/bin:/bin")
        environment["QUARRY_DATABASE_URL"] = database
        process.environment = environment
        let out = Pipe(), err = Pipe()
        (process.standardOutput, process.standardError) = (out, err)
        try process.run()
        let errReader = PipeReader(err)
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = errReader.wait()
        process.waitUntilExit()
        return QuarryProcess.Outcome(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                                     stderr: String(decoding: stderr, as: UTF8.self))
    }
}
