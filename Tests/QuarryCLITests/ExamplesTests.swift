import Foundation
import XCTest

/// Every example in the README's "Using it" block and in each command's
/// `--help` runs, as a shell line, in a fixture repository built so that each
/// one has something to find: exit status 0 (a search that finds nothing
/// exits 1 and fails the test). Issue 9 shipped because no test ran them.
final class ExamplesTests: XCTestCase {
    /// One example, and where it came from (for failure messages).
    struct Example {
        var line: String
        var source: String
    }

    func testEveryReadmeAndHelpExampleSucceeds() throws {
        let workspace = try Workspace()
        defer { workspace.remove() }
        var examples = try Self.readmeExamples()
        for command in try Self.commands() {
            let help = try QuarryProcess.run([command, "--help"])
            XCTAssertEqual(help.status, 0, "quarry \(command) --help: \(help.stderr)")
            examples += Self.helpExamples(help.stdout, source: "quarry \(command) --help")
        }
        XCTAssertGreaterThan(examples.count, 30, "examples were found in the README and every --help")
        // Team-database searches read what the `quarry push` examples publish: they go last.
        let searchesTeam = { (example: Example) in example.line.contains("--db ") || example.line.contains("--repo-name") }
        examples = examples.filter { !searchesTeam($0) } + examples.filter(searchesTeam)
        // A server runs until stopped: ServeReadmeTests runs those examples on free ports.
        for example in examples where !example.line.hasPrefix("quarry serve") {
            for line in workspace.expand(example.line) {
                let outcome = try workspace.run(line)
                XCTAssertEqual(outcome.status, 0, "\(example.source): \(line)\nstdout: \(outcome.stdout.prefix(500))"
                               + "\nstderr: \(outcome.stderr)")
            }
        }
    }

    func testExampleExtraction() {
        let help = """
            Examples:
              quarry search --rev v1.0 parse config      search one indexed revision
              quarry search --all-revs parse config      every indexed revision, with the
                                                         commit where each version first appeared
              echo "a b" | quarry embed --query

            Other:
              quarry not-an-example
            """
        XCTAssertEqual(Self.helpExamples(help, source: "").map(\.line), [
            "quarry search --rev v1.0 parse config", "quarry search --all-revs parse config",
            "echo \"a b\" | quarry embed --query",
        ])
        XCTAssertEqual(Self.withoutComment(#"quarry search --mode semantic "认证 # 处理"   # hybrid (default)"#),
                       #"quarry search --mode semantic "认证 # 处理""#)
    }

    // MARK: Finding the examples

    /// The command lines of the README's "Using it" code block, comments removed.
    static func readmeExamples() throws -> [Example] {
        let readme = try String(contentsOf: packageRoot.appendingPathComponent("README.md"), encoding: .utf8)
        guard let section = readme.range(of: "## Using it"),
              let open = readme.range(of: "```sh\n", range: section.upperBound..<readme.endIndex),
              let close = readme.range(of: "```", range: open.upperBound..<readme.endIndex) else {
            XCTFail("README.md has no ```sh block under '## Using it'")
            return []
        }
        return readme[open.upperBound..<close.lowerBound].split(separator: "\n")
            .map { withoutComment(String($0)) }
            .filter { !$0.isEmpty }
            .map { Example(line: $0, source: "README.md") }
    }

    /// The lines under `Examples:` that run quarry, each without its description.
    static func helpExamples(_ help: String, source: String) -> [Example] {
        var examples: [Example] = []
        var inExamples = false
        for line in help.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("Examples:") { inExamples = true; continue }
            guard inExamples else { continue }
            guard line.hasPrefix("  ") else { inExamples = false; continue }
            let command = line.trimmingCharacters(in: .whitespaces)
            guard command.hasPrefix("quarry ") || command.contains("| quarry ") else { continue }
            // A description follows the command after a run of three or more spaces.
            let text = command.range(of: "   ").map { String(command[..<$0.lowerBound]) } ?? command
            examples.append(Example(line: text, source: source))
        }
        return examples
    }

    /// `line` without a trailing `# comment` (a `#` outside quotes after a space).
    static func withoutComment(_ line: String) -> String {
        var quote: Character?
        var previous: Character = " "
        for index in line.indices {
            let character = line[index]
            if let open = quote {
                if character == open { quote = nil }
            } else if character == "\"" || character == "'" {
                quote = character
            } else if character == "#" && previous == " " {
                return line[..<index].trimmingCharacters(in: .whitespaces)
            }
            previous = character
        }
        return line.trimmingCharacters(in: .whitespaces)
    }

    /// The command names `quarry --help` lists.
    static func commands() throws -> [String] {
        let help = try QuarryProcess.run(["--help"])
        var names: [String] = []
        var inCommands = false
        for line in help.stdout.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("Commands:") { inCommands = true; continue }
            guard inCommands else { continue }
            guard line.hasPrefix("  "), let name = line.split(separator: " ").first else { break }
            names.append(String(name))
        }
        XCTAssertFalse(names.isEmpty, "quarry --help lists its commands")
        return names
    }
}

/// A fixture repository, a private `QUARRY_HOME` and a shell that runs
/// example lines in the repository with the built `quarry` first on `PATH`.
private struct Workspace {
    let repository: ScratchRepository
    let home: URL
    let scratch: URL
    /// Where the `quarry push` and `--db` examples publish and search (`QUARRY_DATABASE_URL`).
    let database: TeamDatabase?

    init() throws {
        database = TeamDatabase.make()
        repository = try ScratchRepository(name: "app")
        scratch = repository.url.deletingLastPathComponent()
        home = scratch.appendingPathComponent("home")
        try Self.populate(repository)
        try Self.prepareHome(home, scratch: scratch)
    }

    func remove() {
        database?.drop()
        repository.remove()
    }

    /// Fills the repository so every example finds something: Python under
    /// `src/` (config parsing, auth, retry with backoff), Go under `cmd/`
    /// (an HTTP handler retrying with backoff), tags `v0.9`, `v1.0`, `v2.0`,
    /// `v2.1`, branches `main` and `feature/old`.
    ///
    /// Notes outside `src/` and `cmd/` say the examples' words more often
    /// than the code does, and a changelog is rewritten by every commit, so
    /// filters (`--lang`, `--path`, the revision) reject the first keyword
    /// hits and force the rankings to widen in rounds.
    static func populate(_ repository: ScratchRepository) throws {
        // More than the 80 keyword hits a hybrid search's first round reads (limit 50 + 50%, + 5).
        for n in 0..<100 {
            try repository.write("notes/parse-config-\(n).txt",
                                 "Note \(n). " + String(repeating: "parse config, parse the config again. ", count: 8))
            try repository.write("notes/retry-backoff-\(n).txt",
                                 "Note \(n). " + String(repeating: "retry with backoff: retry, backoff, http handler. ", count: 8))
        }
        var changelog = ""
        func commit(_ message: String) throws {
            changelog += "- \(message): parse config, retry with backoff, where auth is handled.\n"
            try repository.write("CHANGES.md", changelog)
            try repository.commitAll(message)
        }
        try repository.write("src/config.py", """
            import json


            def parse_config(path):
                \"\"\"Parse the config file at path and return its settings.\"\"\"
                with open(path) as handle:
                    return json.load(handle)
            """)
        try repository.write("src/auth.py", """
            import hashlib


            def authenticate(request):
                \"\"\"Check the user's password: this is where auth is handled.\"\"\"
                user = request.user
                digest = hashlib.sha256(request.password.encode()).hexdigest()
                return user.password_digest == digest
            """)
        try commit("Config and auth")
        try repository.git("tag", "v0.9")
        try repository.git("branch", "feature/old")
        try repository.write("src/retry.py", """
            import time


            def retry_with_backoff(call, attempts=5):
                \"\"\"Retry a failing call, doubling the wait (backoff) each time.\"\"\"
                delay = 0.1
                for attempt in range(attempts):
                    try:
                        return call()
                    except OSError:
                        time.sleep(delay)
                        delay *= 2
                return call()
            """)
        try commit("Retry with backoff")
        try repository.git("tag", "v1.0")
        try repository.write("cmd/server/main.go", """
            package main

            import (
            \t"net/http"
            \t"time"
            )

            // retryBackoff retries fn with exponential backoff.
            func retryBackoff(fn func() error) error {
            \tdelay := 100 * time.Millisecond
            \tvar err error
            \tfor i := 0; i < 5; i++ {
            \t\tif err = fn(); err == nil {
            \t\t\treturn nil
            \t\t}
            \t\ttime.Sleep(delay)
            \t\tdelay *= 2
            \t}
            \treturn err
            }

            // handler is the HTTP handler for every request.
            func handler(w http.ResponseWriter, r *http.Request) {
            \tw.Write([]byte("ok"))
            }
            """)
        try commit("HTTP server")
        try repository.git("tag", "v2.0")
        try repository.write("src/dates.py", """
            from datetime import datetime


            def parse_date(text):
                \"\"\"Parse a date such as 2026-01-31.\"\"\"
                return datetime.strptime(text, "%Y-%m-%d")
            """)
        try commit("Dates")
        try repository.git("tag", "v2.1")
        // Short texts: the stand-in Granite model below knows only 256 token ids.
        try repository.write("chunks.jsonl", "{\"text\": \"x=1\"}\n{\"text\": \"a\"}\n")
        try commit("Example input for quarry embed")
    }

    /// Grammars and the default model from the real `QUARRY_HOME`; the
    /// ModernBERT fixture installed as Granite R2, which `quarry embed
    /// --model granite-embedding-97m-multilingual-r2` names.
    static func prepareHome(_ home: URL, scratch: URL) throws {
        let real = URL(fileURLWithPath: ProcessInfo.processInfo.environment["QUARRY_HOME"]
                       ?? NSHomeDirectory() + "/.cache/quarry")
        let manager = FileManager.default
        try manager.createDirectory(at: home.appendingPathComponent("models"), withIntermediateDirectories: true)
        try manager.createSymbolicLink(at: home.appendingPathComponent("grammars"),
                                       withDestinationURL: real.appendingPathComponent("grammars"))
        try manager.createSymbolicLink(at: home.appendingPathComponent("models/multilingual-e5-small"),
                                       withDestinationURL: real.appendingPathComponent("models/multilingual-e5-small"))
        // The fixture's weights with the byte-level BPE tokenizer Granite R2 uses.
        let granite = scratch.appendingPathComponent("granite")
        try manager.createDirectory(at: granite, withIntermediateDirectories: true)
        let model = packageRoot.appendingPathComponent("Fixtures/encoder/tiny-modernbert-silu")
        for name in ["config.json", "model.safetensors"] {
            try manager.copyItem(at: model.appendingPathComponent(name), to: granite.appendingPathComponent(name))
        }
        try manager.copyItem(at: packageRoot.appendingPathComponent("Fixtures/tokenizers/bytelevel-o200k.tokenizer.json"),
                             to: granite.appendingPathComponent("tokenizer.json"))
        let add = try QuarryProcess.run(["model", "add", "--name", "granite-embedding-97m-multilingual-r2", granite.path],
                                        environment: ["QUARRY_HOME": home.path])
        XCTAssertEqual(add.status, 0, add.stderr)
    }

    /// The shell lines an example stands for: `~/src/app` and `~/src/project`
    /// are the fixture repository, `/tmp/cosqa` a scratch directory, and
    /// `quarry <command> --help` one line per command. `quarry eval` reads
    /// a five-function corpus (`--data`) instead of CoSQA's 6,267 functions,
    /// and `quarry eval --set` the two-question `TinyEvalSet`, since the
    /// real ones take minutes to embed.
    func expand(_ line: String) -> [String] {
        var line = line.replacingOccurrences(of: "~/src/app", with: repository.path)
            .replacingOccurrences(of: "~/src/project", with: repository.path)
            .replacingOccurrences(of: "/tmp/cosqa", with: scratch.appendingPathComponent("cosqa").path)
        if line.hasPrefix("quarry eval --set") {
            // The tiny set stands in for the named one: its package is built here, nothing is fetched.
            let set = (try? TinyEvalSet.build(in: scratch.appendingPathComponent("tiny-set").path,
                                              downloads: home.appendingPathComponent("downloads").path)) ?? "missing"
            line = line.replacingOccurrences(of: #"--set \S+"#, with: "--set " + shellQuoted(set),
                                             options: .regularExpression)
            line = line.replacingOccurrences(of: #"--work \S+"#, with: "--work " + shellQuoted(scratch.path + "/set-work"),
                                             options: .regularExpression)
        } else if line.hasPrefix("quarry eval") {
            line += " --data " + shellQuoted(EvalFixture.directory(in: scratch).path)
        }
        guard line.contains("<command>") else { return [line] }
        return ((try? ExamplesTests.commands()) ?? []).map { line.replacingOccurrences(of: "<command>", with: $0) }
    }

    func run(_ line: String) throws -> QuarryProcess.Outcome {
        let bin = QuarryProcess.executable.deletingLastPathComponent().path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = ["-c", "set -o pipefail; " + line]
        process.currentDirectoryURL = repository.url
        var environment = QuarryProcess.environment
        environment["PATH"] = bin + ":" + (environment["PATH"] ?? "/usr/bin:/bin")
        environment["QUARRY_HOME"] = home.path
        environment["QUARRY_DATABASE_URL"] = database?.url
        process.environment = environment
        process.standardInput = FileHandle.nullDevice
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let errReader = PipeReader(err)
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = errReader.wait()
        process.waitUntilExit()
        return QuarryProcess.Outcome(status: process.terminationStatus,
                                     stdout: String(decoding: outData, as: UTF8.self),
                                     stderr: String(decoding: errData, as: UTF8.self))
    }

    private func shellQuoted(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
