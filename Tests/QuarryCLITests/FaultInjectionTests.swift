import Foundation
import XCTest

/// A write, sync, truncate or rename that fails at any point of `quarry index`
/// (with embeddings) or `quarry gc` (which rewrites the vector file): the run
/// exits 0 or 2 with one line, the index opens and answers from its last
/// committed state, and a clean rerun gives the index an uninterrupted run
/// gives. `Benchmarks/faults.sh` (QUARRY_FAULT_EVERY=1) tries every point.
final class FaultInjectionTests: XCTestCase {
    private var repository: ScratchRepository!
    private var work = ""

    override func setUpWithError() throws {
        repository = try ScratchRepository(name: "faults")
        for name in ["auth.py", "config.go", "retry.js"] {
            try repository.copyTree(from: packageRoot.appendingPathComponent("Fixtures/multilingual/" + name), to: name)
        }
        try repository.commitAll("first")
        work = repository.url.deletingLastPathComponent().path
    }

    override func tearDown() {
        repository?.remove()
    }

    private func indexDirectory(_ label: String) throws -> String {
        let directory = work + "/" + label
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        return directory
    }

    private func reference(_ arguments: [String] = []) throws -> IndexContent {
        let index = try indexDirectory("reference") + "/index.sqlite"
        let run = try QuarryProcess.run(["index", repository.path, "--index", index, "-q"] + arguments)
        XCTAssertEqual(run.status, 0, run.stderr)
        return try IndexContent(path: index)
    }

    func testAFaultAtAnyWriteOfAnIndexRun() throws {
        let expected = try reference()
        let counting = try indexDirectory("counting")
        let count = try FaultInjector.run(["index", repository.path, "--index", counting + "/index.sqlite", "-q"],
                                          directory: counting, fault: .init()).operations
        XCTAssertGreaterThan(count, 20, "writes counted under the index directory")
        var failedRuns = 0
        let points = FaultInjector.points(count: count, samples: 3)
        for point in points {
            let directory = try indexDirectory("fault-\(point)")
            let index = directory + "/index.sqlite"
            let run = try FaultInjector.run(["index", repository.path, "--index", index, "-q"],
                                            directory: directory, fault: .init(at: point))
            try assertCleanFailure(run, index: index, label: "fault at \(run.failed ?? "?")")
            if run.outcome.status != 0 { failedRuns += 1 }
            print("fault \(run.failed ?? "at \(point)"): exit \(run.outcome.status) \(run.outcome.stderr.trimmingCharacters(in: .newlines))")
            let rerun = try QuarryProcess.run(["index", repository.path, "--index", index, "-q"])
            XCTAssertEqual(rerun.status, 0, rerun.stderr)
            try IndexContent(path: index).assertEqual(to: expected, "after a fault at \(run.failed ?? "?")")
        }
        print("faults: index with embeddings: \(count) operations, \(points.count) faults injected, "
              + "\(failedRuns) runs exited 2, \(points.count - failedRuns) completed; every rerun equal")
    }

    func testAFaultAtAnyWriteOfGarbageCollection() throws {
        // Two revisions, then gc keeps the newer: blobs, chunks and vectors go, the vector file is rewritten.
        let template = try indexDirectory("template")
        let templateIndex = template + "/index.sqlite"
        XCTAssertEqual(try QuarryProcess.run(["index", repository.path, "--index", templateIndex, "-q", "--rev", "HEAD"]).status, 0)
        try repository.write("retry.js", "export function retryLater(task) {\n  return setTimeout(task, 1000);\n}\n")
        try repository.write("auth.py", "def check_token(token):\n    return token == 'secret'\n")
        try repository.commitAll("second")
        XCTAssertEqual(try QuarryProcess.run(["index", repository.path, "--index", templateIndex, "-q", "--rev", "main"]).status, 0)
        let expectedDirectory = try copy(template, to: "gc-reference")
        let cleanGc = try QuarryProcess.run(["gc", "--index", expectedDirectory + "/index.sqlite", "--keep", "1"])
        XCTAssertEqual(cleanGc.status, 0, cleanGc.stderr)
        let expected = try IndexContent(path: expectedDirectory + "/index.sqlite")
        XCTAssertLessThan(expected.digest.blobs.count, try IndexContent(path: templateIndex).digest.blobs.count)

        let counting = try copy(template, to: "gc-counting")
        let count = try FaultInjector.run(["gc", "--index", counting + "/index.sqlite", "--keep", "1"],
                                          directory: counting, fault: .init()).operations
        XCTAssertGreaterThan(count, 3)
        var failedRuns = 0
        let points = FaultInjector.points(count: count, samples: 3)
        for point in points {
            let directory = try copy(template, to: "gc-fault-\(point)")
            let index = directory + "/index.sqlite"
            let run = try FaultInjector.run(["gc", "--index", index, "--keep", "1"], directory: directory, fault: .init(at: point))
            try assertCleanFailure(run, index: index, label: "gc fault at \(run.failed ?? "?")")
            if run.outcome.status != 0 { failedRuns += 1 }
            let rerun = try QuarryProcess.run(["gc", "--index", index, "--keep", "1"])
            XCTAssertEqual(rerun.status, 0, rerun.stderr)
            try IndexContent(path: index).assertEqual(to: expected, "after a gc fault at \(run.failed ?? "?")")
        }
        print("faults: gc with vector-file rewrite: \(count) operations, \(points.count) faults injected, "
              + "\(failedRuns) runs exited 2; every rerun equal")
    }

    func testDiskFull() throws {
        let expected = try reference()
        let directory = try indexDirectory("full")
        let index = directory + "/index.sqlite"
        // From the 40th write on, the disk stays full.
        let run = try FaultInjector.run(["index", repository.path, "--index", index, "-q"], directory: directory,
                                        fault: .init(at: 40, errno: "ENOSPC", sticky: true))
        XCTAssertEqual(run.outcome.status, 2, "a full disk fails the run")
        XCTAssertTrue(run.outcome.stderr.lowercased().contains("full"), run.outcome.stderr)
        try assertCleanFailure(run, index: index, label: "disk full")
        XCTAssertEqual(try QuarryProcess.run(["index", repository.path, "--index", index, "-q"]).status, 0)
        try IndexContent(path: index).assertEqual(to: expected, "after the disk filled up")
    }

    func testReadOnlyIndexDirectory() throws {
        let directory = try indexDirectory("read-only")
        let index = directory + "/index.sqlite"
        XCTAssertEqual(try QuarryProcess.run(["index", repository.path, "--index", index, "-q"]).status, 0)
        let before = try IndexContent(path: index)
        try repository.write("new.py", "def added_later():\n    return 'retry'\n")
        try repository.commitAll("second")
        let run = try FaultInjector.run(["index", repository.path, "--index", index, "-q"], directory: directory,
                                        fault: .init(errno: "EROFS", readOnly: true))
        XCTAssertEqual(run.outcome.status, 2, "indexing into a read-only directory fails")
        try assertCleanFailure(run, index: index, label: "read-only directory")
        // Searching needs no write: it still answers, from the index as it was.
        let search = try FaultInjector.run(["search", "--index", index, "--mode", "lexical", "retry"], directory: directory,
                                           fault: .init(errno: "EROFS", readOnly: true))
        XCTAssertEqual(search.outcome.status, 0, search.outcome.stderr)
        try IndexContent(path: index).assertEqual(to: before, "after a refused run")
    }

    func testIndexDirectoryRemovedMidRun() throws {
        let expected = try reference()
        let directory = try indexDirectory("vanishing")
        let index = directory + "/index.sqlite"
        let (process, out, err) = try QuarryProcess.start(["index", repository.path, "--index", index, "-q"])
        let errors = PipeReader(err)
        while process.isRunning, !FileManager.default.fileExists(atPath: index + ".vectors") { usleep(1_000) }
        try? FileManager.default.removeItem(atPath: directory)
        _ = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let stderr = String(decoding: errors.wait(), as: UTF8.self)
        XCTAssertEqual(process.terminationReason, .exit, "no crash when the index directory goes away")
        XCTAssertTrue(process.terminationStatus == 0 || process.terminationStatus == 2, stderr)
        XCTAssertLessThanOrEqual(stderr.split(separator: "\n").count, 1, stderr)
        let rerun = try QuarryProcess.run(["index", repository.path, "--index", index, "-q"])
        XCTAssertEqual(rerun.status, 0, rerun.stderr)
        try IndexContent(path: index).assertEqual(to: expected, "after the directory vanished")
    }

    func testLockFileLeftByADeadProcess() throws {
        let expected = try reference()
        let directory = try indexDirectory("stale-lock")
        let index = directory + "/index.sqlite"
        // A writer holding the lock dies by SIGKILL: its lock file stays, its flock goes with it.
        // (The shell becomes `sleep` holding the locked descriptor, so one kill ends the holder.)
        let holder = Process()
        holder.executableURL = URL(fileURLWithPath: "/bin/sh")
        holder.arguments = ["-c", "exec 9>>\"$0\"; flock 9; touch \"$0.held\"; exec sleep 60", index + ".lock"]
        try holder.run()
        while !FileManager.default.fileExists(atPath: index + ".lock.held") { usleep(1_000) }
        kill(holder.processIdentifier, SIGKILL)
        holder.waitUntilExit()
        XCTAssertTrue(FileManager.default.fileExists(atPath: index + ".lock"))
        let started = Date()
        let run = try QuarryProcess.run(["index", repository.path, "--index", index, "-q"])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertLessThan(Date().timeIntervalSince(started), 30, "no wait on a dead process's lock")
        try IndexContent(path: index).assertEqual(to: expected, "after a stale lock file")
    }

    private func copy(_ directory: String, to label: String) throws -> String {
        let target = work + "/" + label
        try FileManager.default.copyItem(atPath: directory, toPath: target)
        return target
    }
}
