import Foundation
import XCTest

/// The CLI as a user meets it: help, version, exit codes and one-line errors.
final class CommandLineTests: XCTestCase {
    func testVersionAndHelp() throws {
        let version = try QuarryProcess.run(["--version"])
        XCTAssertEqual(version.status, 0)
        XCTAssertTrue(version.stdout.hasPrefix("quarry "))
        let help = try QuarryProcess.run(["--help"])
        XCTAssertEqual(help.status, 0)
        for command in ["index", "search", "status"] {
            XCTAssertTrue(help.stdout.contains("  \(command)"), "top-level help lists \(command)")
            let sub = try QuarryProcess.run([command, "--help"])
            XCTAssertEqual(sub.status, 0, "\(command) --help")
            XCTAssertTrue(sub.stdout.contains("usage: quarry \(command)"))
            XCTAssertTrue(sub.stdout.contains("Examples:") || command == "status")
        }
    }

    func testNoArgumentsPrintsHelpToStderrAndFails() throws {
        let outcome = try QuarryProcess.run([])
        XCTAssertEqual(outcome.status, 2)
        XCTAssertTrue(outcome.stderr.contains("usage: quarry <command>"))
    }

    func testUnknownCommandAndOptionAreOneLineErrors() throws {
        let command = try QuarryProcess.run(["serch", "x"])
        XCTAssertEqual(command.status, 2)
        XCTAssertEqual(command.stderr, "quarry: unknown command 'serch' (did you mean 'search'?); see 'quarry --help'\n")
        let option = try QuarryProcess.run(["search", "--jsn", "x"])
        XCTAssertEqual(option.status, 2)
        XCTAssertTrue(option.stderr.hasPrefix("quarry search: unknown option '--jsn' (did you mean '--json'?)\n"))
    }

    func testNotARepository() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("quarry-norepo-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        for arguments in [["index", directory.path], ["search", "--repo", directory.path, "x"]] {
            let outcome = try QuarryProcess.run(arguments)
            XCTAssertEqual(outcome.status, 2, arguments.joined(separator: " "))
            XCTAssertTrue(outcome.stderr.contains("not a git repository"), outcome.stderr)
            XCTAssertEqual(outcome.stderr.split(separator: "\n").count, 1, "one-line error: \(outcome.stderr)")
        }
    }

    func testSearchWithoutIndexSaysHowToCreateOne() throws {
        let repository = try ScratchRepository()
        defer { repository.remove() }
        try repository.write("a.py", "def f():\n    return 1\n")
        try repository.commitAll()
        let outcome = try QuarryProcess.run(["search", "--repo", repository.path, "f"])
        XCTAssertEqual(outcome.status, 2)
        XCTAssertTrue(outcome.stderr.contains("run 'quarry index' first"), outcome.stderr)
    }

    func testEmptyQueriesAndQueriesWithoutTermsAreOneLineErrors() throws {
        let repository = try ScratchRepository()
        defer { repository.remove() }
        try repository.write("a.py", "def parse_config():\n    return 1\n")
        try repository.commitAll()
        XCTAssertEqual(try QuarryProcess.run(["index", repository.path, "--no-embed"]).status, 0)
        let missing = try QuarryProcess.run(["search", "--repo", repository.path])
        XCTAssertEqual(missing.status, 2)
        XCTAssertTrue(missing.stderr.hasPrefix("quarry search: missing argument QUERY"), missing.stderr)
        for query in [[""], ["   ", "\t"], ["\n"]] {
            let outcome = try QuarryProcess.run(["search", "--repo", repository.path] + query)
            XCTAssertEqual(outcome.status, 2, "\(query)")
            XCTAssertTrue(outcome.stderr.contains("the query is empty"), outcome.stderr)
            XCTAssertEqual(outcome.stderr.split(separator: "\n").count, 1, outcome.stderr)
        }
        let punctuation = try QuarryProcess.run(["search", "--repo", repository.path, "--mode", "lexical", "?!", "()"])
        XCTAssertEqual(punctuation.status, 2)
        XCTAssertTrue(punctuation.stderr.contains("no terms"), punctuation.stderr)
        // Keyword-only because the index has no vectors: punctuation finds nothing, which is no error.
        let hybrid = try QuarryProcess.run(["search", "--repo", repository.path, "?!"])
        XCTAssertEqual(hybrid.status, 1, hybrid.stderr)
    }

    func testBadRevisionAndEmptyRepository() throws {
        let repository = try ScratchRepository()
        defer { repository.remove() }
        let empty = try QuarryProcess.run(["index", repository.path])
        XCTAssertEqual(empty.status, 2)
        XCTAssertEqual(empty.stderr.split(separator: "\n").count, 1, empty.stderr)
        try repository.write("a.py", "def f():\n    return 1\n")
        try repository.commitAll()
        let bad = try QuarryProcess.run(["index", repository.path, "--rev", "no-such-branch"])
        XCTAssertEqual(bad.status, 2)
        XCTAssertTrue(bad.stderr.contains("no-such-branch"), bad.stderr)
    }

    func testCorruptAndForeignIndexFilesAreRefused() throws {
        let repository = try ScratchRepository()
        defer { repository.remove() }
        try repository.write("a.py", "def f():\n    return 1\n")
        try repository.commitAll()
        let garbage = repository.url.appendingPathComponent("garbage.sqlite")
        try Data(repeating: 0x5A, count: 4096).write(to: garbage)
        for command in [["index", repository.path], ["search", "f"], ["status"]] {
            let outcome = try QuarryProcess.run(command + ["--index", garbage.path], in: repository.url)
            XCTAssertEqual(outcome.status, 2, command.joined(separator: " "))
            XCTAssertTrue(outcome.stderr.contains(garbage.path), outcome.stderr)
            XCTAssertEqual(outcome.stderr.split(separator: "\n").count, 1, outcome.stderr)
        }
        XCTAssertEqual(try Data(contentsOf: garbage), Data(repeating: 0x5A, count: 4096), "never overwrite a foreign file")
    }

    func testInvalidOptionValues() throws {
        let outcome = try QuarryProcess.run(["search", "-k", "0", "x"])
        XCTAssertEqual(outcome.status, 2)
        XCTAssertTrue(outcome.stderr.contains("invalid value '0' for '--top'"), outcome.stderr)
        let language = try QuarryProcess.run(["search", "--lang", "cobol", "x"])
        XCTAssertEqual(language.status, 2)
        XCTAssertTrue(language.stderr.contains("cobol"), language.stderr)
    }
}
