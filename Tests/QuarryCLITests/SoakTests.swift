import Foundation
import XCTest

/// One writer re-indexing a changing repository (commits, a rewritten branch,
/// gc) while four readers search a running `quarry serve` without pause:
/// no failed or inconsistent search (every hit is a path and blob of a
/// committed tree), the server's memory and descriptors flat, the index
/// bounded after gc. 60 s here; `QUARRY_SOAK_SECONDS` (Benchmarks/soak.sh) for longer.
final class SoakTests: XCTestCase {
    func testWriterAndFourReadersStayConsistent() throws {
        let seconds = Double(ProcessInfo.processInfo.environment["QUARRY_SOAK_SECONDS"] ?? "") ?? 60
        let repository = try ScratchRepository(name: "soak")
        defer { repository.remove() }
        for name in ["auth.py", "config.go", "retry.js", "mail.py"] {
            try repository.copyTree(from: packageRoot.appendingPathComponent("Fixtures/multilingual/" + name), to: name)
        }
        try repository.commitAll("start")
        let index = repository.url.deletingLastPathComponent().appendingPathComponent("soak.sqlite").path
        XCTAssertEqual(try QuarryProcess.run(["index", repository.path, "--index", index, "-q"]).status, 0)
        let committed = CommittedEntries()
        try committed.add(repository)
        let server = try ServeSession(["--index", index])
        defer { _ = server.stop() }

        let deadline = Date().addingTimeInterval(seconds)
        let tally = SoakTally()
        let readers = DispatchGroup()
        let queries = ["retry with backoff", "check the password", "parse config", "send mail", "认证在哪里处理"]
        for reader in 0..<4 {
            readers.enter()
            Thread.detachNewThread {
                defer { readers.leave() }
                var turn = reader
                while Date() < deadline {
                    let mode = ["hybrid", "lexical", "semantic"][turn % 3]
                    let query = queries[turn % queries.count].addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
                    turn += 1
                    do {
                        let response = try server.get("/api/search?q=\(query)&mode=\(mode)&k=5")
                        let results = response.json?["results"] as? [[String: Any]]
                        guard response.status == 200, let results else {
                            tally.fail("HTTP \(response.status): \(response.text.prefix(200))")
                            continue
                        }
                        for hit in results where !committed.contains(path: hit["path"] as? String, blob: hit["blob"] as? String) {
                            tally.fail("\(hit["path"] ?? "?") \(hit["blob"] ?? "?") is in no committed tree")
                        }
                        tally.succeed()
                    } catch {
                        tally.fail("\(error)")
                    }
                }
            }
        }

        // Warm up (model loaded, first searches served) before the baseline.
        Thread.sleep(forTimeInterval: min(5, seconds / 6))
        let baseline = ProcessSample(pid: server.process.processIdentifier)
        var peak = baseline
        var runs = 0, largestIndex = 0, lastIndex = 0
        var firstIndex: Int?
        while Date() < deadline {
            try change(repository, step: runs)
            try committed.add(repository)
            let refresh = try QuarryProcess.run(["index", repository.path, "--index", index, "-q"])
            XCTAssertEqual(refresh.status, 0, refresh.stderr)
            if runs % 4 == 3 {
                XCTAssertEqual(try QuarryProcess.run(["gc", "--index", index, "--keep", "1"]).status, 0)
                largestIndex = max(largestIndex, indexBytes(index))
                firstIndex = firstIndex ?? indexBytes(index)
                lastIndex = indexBytes(index)
            }
            runs += 1
            let sample = ProcessSample(pid: server.process.processIdentifier)
            peak = ProcessSample(rssKB: max(peak.rssKB, sample.rssKB), descriptors: max(peak.descriptors, sample.descriptors))
        }
        readers.wait()
        let end = ProcessSample(pid: server.process.processIdentifier)
        print("soak: \(Int(seconds)) s, \(runs) index runs, \(tally.successes) searches, \(tally.failures.count) errors, "
              + "server RSS \(baseline.rssKB / 1024) -> \(end.rssKB / 1024) MB (peak \(peak.rssKB / 1024) MB), "
              + "descriptors \(baseline.descriptors) -> \(end.descriptors), "
              + "index after gc \((firstIndex ?? 0) / 1024) -> \(lastIndex / 1024) KB (max \(largestIndex / 1024))")
        XCTAssertEqual(tally.failures.prefix(5), [], "\(tally.failures.count) failed searches")
        XCTAssertGreaterThan(tally.successes, 20)
        XCTAssertGreaterThan(runs, 2)
        XCTAssertLessThan(Double(end.rssKB), Double(baseline.rssKB) * 1.10, "server RSS grew over 10%")
        XCTAssertLessThanOrEqual(end.descriptors, baseline.descriptors + 2, "server descriptors grew")
    }

    /// Step `step` of the writer: a new commit, every third step a rewritten one (a rebase).
    private func change(_ repository: ScratchRepository, step: Int) throws {
        if step % 3 == 2 {
            try repository.git("reset", "-q", "--hard", "HEAD~1")
        }
        try repository.write("generated/step.py", "def step_\(step)(value):\n    # retry the request\n    return value + \(step)\n")
        try repository.write("auth.py", try String(contentsOf: repository.url.appendingPathComponent("auth.py"), encoding: .utf8)
                             + "\n\ndef helper_\(step)():\n    return \(step)\n")
        try repository.commitAll("step \(step)")
    }
}

/// Every (path, blob) of every commit the writer made: a search result must be one.
private final class CommittedEntries: @unchecked Sendable {
    private var entries = Set<String>()
    private let lock = NSLock()

    func add(_ repository: ScratchRepository) throws {
        let listing = try repository.git("ls-tree", "-r", "HEAD")
        lock.lock()
        defer { lock.unlock() }
        for line in listing.split(separator: "\n") {
            // "<mode> blob <oid>\t<path>"
            let parts = line.split(separator: "\t", maxSplits: 1)
            guard parts.count == 2, let oid = parts[0].split(separator: " ").last else { continue }
            entries.insert("\(parts[1]) \(oid)")
        }
    }

    func contains(path: String?, blob: String?) -> Bool {
        guard let path, let blob else { return false }
        lock.lock()
        defer { lock.unlock() }
        return entries.contains("\(path) \(blob)")
    }
}

private final class SoakTally: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var successes = 0
    private(set) var failures: [String] = []

    func succeed() { lock.lock(); successes += 1; lock.unlock() }
    func fail(_ reason: String) { lock.lock(); failures.append(reason); lock.unlock() }
}

/// Resident memory and open descriptors of a process, from /proc.
struct ProcessSample {
    var rssKB = 0
    var descriptors = 0

    init(rssKB: Int, descriptors: Int) {
        self.rssKB = rssKB
        self.descriptors = descriptors
    }

    init(pid: Int32) {
        let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
        if let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }) {
            rssKB = Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
        }
        descriptors = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").count) ?? 0
    }
}

private func indexBytes(_ path: String) -> Int {
    [path, path + "-wal"].reduce(0) { $0 + ((try? FileManager.default.attributesOfItem(atPath: $1)[.size] as? Int) ?? 0) }
}
