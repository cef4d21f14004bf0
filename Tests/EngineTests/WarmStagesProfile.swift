import Encoder
import Engine
import Foundation
import Search
import XCTest

/// Where a warm server's search time goes, stage by stage, over a real index:
/// a measurement for `Benchmarks/warm-stages.sh`, not a test (it asserts
/// nothing about speed and is skipped unless `QUARRY_PROFILE_INDEX` names an
/// index built with the default model).
final class WarmStagesProfile: XCTestCase {
    func testWarmStages() throws {
        let environment = ProcessInfo.processInfo.environment
        guard let index = environment["QUARRY_PROFILE_INDEX"] else {
            throw XCTSkip("set QUARRY_PROFILE_INDEX to an index to profile (Benchmarks/warm-stages.sh)")
        }
        let rounds = Int(environment["QUARRY_PROFILE_ROUNDS"] ?? "") ?? 5
        let mode = SearchMode(rawValue: environment["QUARRY_PROFILE_MODE"] ?? "hybrid") ?? .hybrid
        // As the CLI (and so both servers) runs: bf16 queries, int8 passages.
        LinearKernels.preferSpeed()
        let engine = QuarryEngine(indexPath: index, library: ModelLibrary(paths: QuarryPaths(environment: environment),
                                                                          environment: environment))
        // QUARRY_PROFILE_UNPACKED=1: loaded only, as before servers packed query weights.
        if environment["QUARRY_PROFILE_UNPACKED"] == "1" { _ = try engine.model(named: nil) } else { try engine.warmUp() }
        let model = try engine.model(named: nil).model
        let queries = try String(contentsOfFile: Self.queriesFile, encoding: .utf8).split(separator: "\n").map(String.init)
        var stages: [String: [Double]] = [:]
        func record(_ stage: String, _ seconds: Double) { stages[stage, default: []].append(seconds * 1000) }
        for round in -1..<rounds {
            for query in queries {
                var request = SearchRequest(query: round > 0 ? "\(query) \(round)" : query)
                request.mode = mode
                let tokenising = monotonicSeconds()
                _ = try model.tokenIDs(for: request.query, as: .query)
                let tokenised = monotonicSeconds() - tokenising
                let response = try engine.search(request)
                let encoding = monotonicSeconds()
                _ = JSON.array(response.hits.map(\.json)).serialized
                let json = monotonicSeconds() - encoding
                guard round >= 0 else { continue }  // the first round warms caches
                let t = response.timings, s = t.search
                record("1 tokenise", tokenised)
                record("2 embed (forward pass)", t.queryEmbeddingSeconds - tokenised)
                record("3 semantic scan (scoring)", s.vectorScoringSeconds)
                record("4 semantic (locating chunks)", s.semanticSeconds - s.vectorScoringSeconds)
                record("5 keyword ranking (beside embedding)", s.lexicalSeconds)
                record("6 keyword bridge", s.bridgeSeconds)
                record("7 merging (members, lines)", s.mergingSeconds)
                record("8 JSON", json)
                record("9 total (search + JSON)", t.totalSeconds + json)
            }
        }
        print("warm stages over \(index), \(mode.rawValue), \(rounds) rounds of \(queries.count) queries (ms):")
        for (stage, values) in stages.sorted(by: { $0.key < $1.key }) {
            let sorted = values.sorted()
            print(String(format: "  %-40@ mean %6.2f  p50 %6.2f  p90 %6.2f", stage as NSString,
                         values.reduce(0, +) / Double(values.count), sorted[sorted.count / 2],
                         sorted[sorted.count * 9 / 10]))
        }
    }

    private static var queriesFile: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Benchmarks/queries.txt").path
    }
}
