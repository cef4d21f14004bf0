import Foundation
import XCTest

/// Runs `quarry` with `Tests/Faults/faultfs.c` preloaded, so the N-th write,
/// sync, truncate or rename under the index directory fails.
struct FaultInjector {
    struct Fault {
        /// 1-based operation to fail; 0 counts only.
        var at = 0
        var errno = "EIO"
        /// Every operation after the N-th fails too (a full disk).
        var sticky = false
        /// Opening a file there for writing fails (a read-only mount).
        var readOnly = false
    }

    struct Run {
        var outcome: QuarryProcess.Outcome
        /// Operations counted under the directory.
        var operations: Int
        /// The operation that failed ("pwrite64#17"), nil when none did.
        var failed: String?
    }

    /// The compiled interposer, built once per test process.
    static let library: Result<String, Error> = Result {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("quarry-faultfs-\(getpid()).so").path
        let source = packageRoot.appendingPathComponent("Tests/Faults/faultfs.c").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["cc", "-shared", "-fPIC", "-O1", "-o", output, source, "-ldl"]
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw NSError(domain: "cc", code: Int(process.terminationStatus),
                          userInfo: [NSLocalizedDescriptionKey: "cannot compile \(source)"])
        }
        return output
    }

    /// Runs quarry with `arguments` while `fault` applies under `directory`.
    static func run(_ arguments: [String], directory: String, fault: Fault,
                    environment: [String: String] = [:]) throws -> Run {
        let library = try library.get()
        let log = directory + ".faultlog"
        try? FileManager.default.removeItem(atPath: log)
        var variables = environment
        variables["LD_PRELOAD"] = library
        variables["QUARRY_FAULT_DIR"] = URL(fileURLWithPath: directory).resolvingSymlinksInPath().path
        variables["QUARRY_FAULT_AT"] = String(fault.at)
        variables["QUARRY_FAULT_ERRNO"] = fault.errno
        variables["QUARRY_FAULT_STICKY"] = fault.sticky ? "1" : "0"
        variables["QUARRY_FAULT_READONLY"] = fault.readOnly ? "1" : "0"
        variables["QUARRY_FAULT_LOG"] = log
        let outcome = try QuarryProcess.run(arguments, environment: variables)
        let fields = ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").split(separator: " ")
        let failed = fields.count > 1 && fields[1].trimmingCharacters(in: .whitespacesAndNewlines) != "-"
            ? fields[1].trimmingCharacters(in: .whitespacesAndNewlines) : nil
        return Run(outcome: outcome, operations: fields.first.flatMap { Int($0) } ?? 0, failed: failed)
    }

    /// The fault points to try out of `count` operations: every one when
    /// `QUARRY_FAULT_EVERY=1` (Benchmarks/faults.sh), those from A to B with
    /// `QUARRY_FAULT_POINTS=A-B` (to replay a few), else the first three and
    /// `samples` spread evenly after them.
    static func points(count: Int, samples: Int) -> [Int] {
        guard count > 0 else { return [] }
        let environment = ProcessInfo.processInfo.environment
        if environment["QUARRY_FAULT_EVERY"] == "1" { return Array(1...count) }
        if let range = environment["QUARRY_FAULT_POINTS"]?.split(separator: "-").compactMap({ Int($0) }), range.count == 2 {
            let (low, high) = (max(1, range[0]), min(count, range[1]))
            return low <= high ? Array(low...high) : []
        }
        let spread = (0..<samples).map { 4 + ($0 * max(count - 4, 0)) / max(samples, 1) }
        return Array(Set([1, 2, 3] + spread + [count]).filter { $0 <= count }).sorted()
    }
}

/// How SQLite and the C library name the faults injected (EIO, ENOSPC, EROFS).
let ioErrorWords = ["I/O error", "Input/output error", "disk is full", "No space left on device", "read-only", "Read-only file system"]

/// What a failed run must leave behind: exit 0 or 2, an error of one line,
/// and an index that opens and answers from its last committed state.
func assertCleanFailure(_ run: FaultInjector.Run, index: String, label: String,
                        file: StaticString = #filePath, line: UInt = #line) throws {
    let outcome = run.outcome
    XCTAssertTrue(outcome.status == 0 || outcome.status == 2, "\(label): exit \(outcome.status): \(outcome.stderr)",
                  file: file, line: line)
    if outcome.status == 2 {
        let lines = outcome.stderr.split(separator: "\n")
        XCTAssertEqual(lines.count, 1, "\(label): one error line, got \(outcome.stderr.debugDescription)", file: file, line: line)
        XCTAssertTrue(lines.first?.hasPrefix("quarry") ?? false, "\(label): \(outcome.stderr)", file: file, line: line)
        // The line names the fault itself, not a later consequence of carrying on after it.
        XCTAssertTrue(ioErrorWords.contains { outcome.stderr.contains($0) }, "\(label): not an I/O error: \(outcome.stderr)",
                      file: file, line: line)
    }
    guard FileManager.default.fileExists(atPath: index) else { return }
    let status = try QuarryProcess.run(["status", "--index", index])
    guard status.status == 0 else {
        // Only an index whose creation never finished may be unreadable: it has no tables yet
        // (its migrations run in one transaction, so it is never left at an older schema).
        XCTAssertTrue(status.stderr.contains("no index"), "\(label): status after the fault: \(status.stderr)",
                      file: file, line: line)
        return
    }
    let committed = try IndexContent(path: index).revisions.map { String($0.split(separator: " ")[0]) }
    let search = try QuarryProcess.run(["search", "--index", index, "--mode", "lexical", "--json", "-k", "5", "retry", "config"])
    XCTAssertTrue(search.status == 0 || search.status == 1, "\(label): search after the fault: \(search.stderr)", file: file, line: line)
    for result in search.jsonLines {
        XCTAssertTrue(committed.contains(result["rev"] as? String ?? "?"), "\(label): result from an uncommitted revision",
                      file: file, line: line)
    }
}
