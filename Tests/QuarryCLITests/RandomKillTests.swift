import Foundation
import XCTest
import TestSupport

/// SIGKILL at seeded random moments of `quarry index --history 2` (chunking,
/// embedding, vector-file appends, the vocabulary) and of the `quarry gc`
/// after it (deletions, the vector-file rewrite); each time, finishing the
/// same two commands must give exactly the index of an uninterrupted pair.
/// `QUARRY_KILLS=50 swift test --filter RandomKillTests` runs the issue's 50
/// (`Benchmarks/faults.sh` does); the default suite runs 4.
final class RandomKillTests: XCTestCase {
    func testSeededRandomKillsResumeToTheUninterruptedIndex() throws {
        let repository = try ScratchRepository(name: "kills")
        defer { repository.remove() }
        for name in ["auth.py", "config.go", "retry.js", "mail.py", "Store.java"] {
            try repository.copyTree(from: packageRoot.appendingPathComponent("Fixtures/multilingual/" + name), to: name)
        }
        try repository.commitAll("first")
        for name in ["codec.py", "handlers.py", "reports.py", "Account.java"] {
            try repository.copyTree(from: packageRoot.appendingPathComponent("Fixtures/merging/" + name), to: name)
        }
        try repository.write("retry.js", "export function retryLater(task) {\n  return setTimeout(task, 1000);\n}\n")
        try repository.commitAll("second")
        // Small batches: many transactions and vector-file appends to land in.
        let environment = ["QUARRY_INDEX_BATCH_SIZE": "4"]
        let work = repository.url.deletingLastPathComponent().path
        let index = { (label: String) in ["index", repository.path, "--index", work + "/\(label)/index.sqlite", "-q", "--history", "2"] }
        let gc = { (label: String) in ["gc", "--index", work + "/\(label)/index.sqlite", "--keep", "1"] }

        // The uninterrupted pair, timed, so kills can be drawn across both.
        let started = Date()
        XCTAssertEqual(try QuarryProcess.run(index("reference"), environment: environment).status, 0)
        let indexSeconds = Date().timeIntervalSince(started)
        XCTAssertEqual(try QuarryProcess.run(gc("reference"), environment: environment).status, 0)
        let gcSeconds = Date().timeIntervalSince(started) - indexSeconds
        let expected = try IndexContent(path: work + "/reference/index.sqlite")
        XCTAssertFalse(expected.vectors.isEmpty, "the reference holds vectors")

        let kills = Int(ProcessInfo.processInfo.environment["QUARRY_KILLS"] ?? "") ?? 4
        var random = SeededGenerator(seed: UInt64(ProcessInfo.processInfo.environment["QUARRY_KILL_SEED"] ?? "") ?? 2026)
        var killedInIndex = 0, killedInGc = 0
        for attempt in 0..<kills {
            let label = "kill-\(attempt)"
            // Three kills in four during the index run, the rest during gc (far shorter).
            let inGc = Int.random(in: 0..<4, using: &random) == 0
            let moment = Double.random(in: 0..<(inGc ? gcSeconds : indexSeconds * 0.95), using: &random)
            let killedIndex = try runAndKill(index(label), after: inGc ? -1 : moment, environment: environment)
            var killedGc = false
            if !killedIndex {
                killedGc = try runAndKill(gc(label), after: inGc ? moment : -1, environment: environment)
            }
            killedInIndex += killedIndex ? 1 : 0
            killedInGc += killedGc ? 1 : 0
            // Resume: the same two commands, to the end.
            let resumed = try QuarryProcess.run(index(label), environment: environment)
            XCTAssertEqual(resumed.status, 0, resumed.stderr)
            XCTAssertEqual(try QuarryProcess.run(gc(label), environment: environment).status, 0)
            try IndexContent(path: work + "/\(label)/index.sqlite")
                .assertEqual(to: expected, "after a kill at \(String(format: "%.2f", moment)) s of \(inGc ? "gc" : "index") (attempt \(attempt))")
        }
        print("kills: \(kills) SIGKILLs drawn, \(killedInIndex) landed in index, \(killedInGc) in gc, "
              + "\(kills - killedInIndex - killedInGc) after the end; every resumed index equal")
        XCTAssertGreaterThanOrEqual(killedInIndex + killedInGc, kills / 2, "most kills land while a command runs")
    }

    /// Starts quarry and sends SIGKILL after `seconds` (if it still runs);
    /// without a kill it runs to the end. Returns whether it was killed.
    private func runAndKill(_ arguments: [String], after seconds: Double, environment: [String: String]) throws -> Bool {
        let (process, out, err) = try QuarryProcess.start(arguments, environment: environment)
        let errors = PipeReader(err)
        let deadline = Date().addingTimeInterval(max(seconds, 0))
        while process.isRunning, Date() < deadline { usleep(1_000) }
        let killed = seconds >= 0 && process.isRunning
        if killed { kill(process.processIdentifier, SIGKILL) }
        _ = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let stderr = String(decoding: errors.wait(), as: UTF8.self)
        if !killed { XCTAssertEqual(process.terminationStatus, 0, stderr) }
        return killed
    }
}
