import Foundation
import QuarryCore
import Store
import XCTest
@testable import Search
import TestSupport

/// Query strings a user or an agent may send: FTS5 syntax, unbalanced quotes,
/// NUL, invalid UTF-8, megabyte queries. Every mode answers with results from
/// the index (or a `SearchError`), never crashes or hangs.
/// `Benchmarks/fuzz.sh` runs the same target for longer.
final class QueryFuzzTests: XCTestCase {
    private static let dimension = 8
    private var store: IndexStore!
    private var model: ModelRecord!
    private var paths: Set<String> = []

    /// The merging fixtures in 20-line chunks, with seeded random vectors.
    override func setUpWithError() throws {
        store = try scratchStore("query-fuzz")
        let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Fixtures/merging")
        var blobs: [BlobRecord] = []
        for name in try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted() {
            let lines = try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
                .split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            let chunks = stride(from: 0, to: lines.count, by: 20).map { start in
                let text = lines[start..<min(start + 20, lines.count)].joined(separator: "\n")
                return Chunk(language: .python, kind: .function, symbol: "\(name).part\(start)", startLine: start + 1,
                             endLine: min(start + 20, lines.count), startByte: 0, endByte: text.utf8.count, text: text)
            }
            blobs.append(BlobRecord(id: name, path: "src/" + name, language: .python, size: 1, chunks: chunks))
            paths.insert("src/" + name)
        }
        try store.write(blobs)
        try store.recordRevision(RevisionRecord(name: "HEAD", commitID: "c1", treeID: "t1", commitTime: Date(), author: "a",
                                                subject: "s", indexedAt: Date()),
                                 files: blobs.map { FileRecord(path: $0.path, blobID: $0.id) })
        model = try store.registerModel(name: "m", revision: "1", dimension: Self.dimension)
        var random = SeededGenerator(seed: 7)
        try store.writeEmbeddings(blobs.flatMap(\.chunks).map { chunk in
            (ContentHash(of: chunk.text), (0..<Self.dimension).map { _ in Float.random(in: -1...1, using: &random) })
        }, model: model)
    }

    func testQueryStringsInEveryMode() throws {
        let corpus = [
            "where is auth handled", "\"parse config\" OR retry*", "NEAR(account balance, 3)", "symbol:decode AND NOT test",
            "^start", "(a OR (b AND c)", "\"unterminated", "it's a \"quoted\" 'word'", "认证在哪里处理", "wo wird geprüft?",
            "- -- --- *", "col:", "a\u{0}b", "😀 \u{200B} \u{FEFF}", "",
        ].map { Array($0.utf8) } + [[0xFF, 0xC3, 0x28, 0x00, 0x22]]
        let searcher = Searcher(store: store, model: model)
        let fuzzer = Fuzzer(target: "query", corpus: corpus,
                            dictionary: ["\"", "*", "^", "NEAR(", "AND", "OR", "NOT", "(", ")", ":", "+", "-", "{", "}"],
                            maxLength: 1 << 20)
        var random = SeededGenerator(seed: 11)
        let report = fuzzer.run(executions: 150) { bytes in
            let query = String(decoding: bytes, as: UTF8.self)
            let vector = (0..<Self.dimension).map { _ in Float.random(in: -1...1, using: &random) }
            for mode in [SearchMode.lexical, .semantic, .hybrid] {
                try check(try? searcher.search(query, queryVector: vector, mode: mode, limit: 5), query: query)
            }
        }
        XCTAssertEqual(report.findings, [])
    }

    func testMegabyteQueries() throws {
        let searcher = Searcher(store: store, model: model)
        let vector = [Float](repeating: 0.5, count: Self.dimension)
        let words = ["account", "decode", "\"", "NEAR(", "x*", "報告", "\u{0}"]
        var random = SeededGenerator(seed: 3)
        let mixed = (0..<200_000).map { _ in words.randomElement(using: &random) ?? "" }.joined(separator: " ")
        for query in [String(repeating: "a", count: 1 << 20), String(repeating: "\"", count: 1 << 20),
                      String(mixed.utf8.prefix(1 << 20)) ?? mixed, String(repeating: "handler ", count: 1 << 17)] {
            for mode in [SearchMode.lexical, .hybrid] {
                try check(try? searcher.search(query, queryVector: vector, mode: mode, limit: 5), query: query)
            }
        }
    }

    /// Results come from the index, at most the limit, with finite scores.
    private func check(_ results: [SearchResult]?, query: String) throws {
        guard let results else { return }
        guard results.count <= 5, results.allSatisfy({ paths.contains($0.hit.path) && $0.hit.score.isFinite }) else {
            throw Fuzzer.Finding("query \(query.prefix(80).debugDescription): \(results.map { ($0.hit.path, $0.hit.score) })")
        }
    }
}
