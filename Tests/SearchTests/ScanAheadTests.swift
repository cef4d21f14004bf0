import Dispatch
import Foundation
import QuarryCore
import Store
import XCTest
@testable import Search
import TestSupport

/// The seams a warm server's search is split at must not change what it
/// finds: the vector scan run beside keyword ranking, members' cosines read
/// from the mapped vectors, and relevant lines found after merging. Each is
/// checked against the way it was computed before.
final class ScanAheadTests: XCTestCase {
    private var store: IndexStore!
    private var model: ModelRecord!
    private let dimension = 8
    private var generator = SeededGenerator(seed: 5)
    private let query = "parse the date string"
    private let queryVector: [Float] = [0.5, -1, 0.25, 0, 0.75, 0, -0.5, 1]

    /// Classes (containers) with methods over many files, in Python and Go,
    /// a third of them tests, with random vectors for every text.
    override func setUpWithError() throws {
        store = try scratchStore("scan-ahead")
        let words = ["parse", "date", "string", "config", "file", "read", "open", "socket"]
        let blobs = (0..<60).map { file -> BlobRecord in
            let language: Language = file % 2 == 0 ? .python : .go
            var chunks = [Chunk(language: language, kind: .type, symbol: "C\(file)", startLine: 1, endLine: 20,
                                startByte: 0, endByte: 10, text: "class C\(file):\n    \(words[file % 8]) things")]
            for method in 0..<4 {
                let (first, second) = (words[(file + method) % 8], words[(file * 3 + method) % 8])
                chunks.append(Chunk(language: language, kind: .function, symbol: "C\(file).\(first)_\(second)",
                                    startLine: 2 + method * 4, endLine: 4 + method * 4, startByte: 0, endByte: 10,
                                    text: "def \(first)_\(second)(self):\n    # \(first) a \(second)\n    return \(file)"))
            }
            let path = file % 3 == 0 ? "tests/test_m\(file).py" : "pkg/m\(file).\(language == .go ? "go" : "py")"
            return BlobRecord(id: "blob\(file)", path: path, language: language, size: 300, chunks: chunks)
        }
        try writeHead(blobs, to: store)
        model = try store.registerModel(name: "synthetic", revision: "1", dimension: dimension)
        let texts = try store.textsWithoutEmbeddings(model: model, limit: 10_000)
        try store.writeEmbeddings(texts.map { hash, _ in
            (hash, (0..<dimension).map { _ in Float.random(in: -1...1, using: &generator) })
        }, model: model)
    }

    private func filterSets() throws -> [SearchFilters] {
        [SearchFilters(), SearchFilters(languages: [.go]), SearchFilters(paths: [try PathGlob("pkg/**")]),
         SearchFilters(tests: .exclude)]
    }

    func testAScanRunBesideKeywordRankingGivesTheSearchItsOwnResults() throws {
        for quantization in [VectorQuantization.none, .bf16Screened] {
            let loader = Searcher(store: store, model: model)
            loader.quantization = quantization
            let vectors = try loader.vectorSearcher()
            for mode in [SearchMode.hybrid, .semantic] {
                for filters in try filterSets() {
                    for limit in [3, 10, 40] {
                        let alone = Searcher(store: store, model: model, vectors: vectors)
                        let expected = try alone.search(query, queryVector: queryVector, mode: mode, filters: filters,
                                                        limit: limit)
                        // As the engine runs it: keyword ranking on another thread, the scan on this one.
                        let searcher = Searcher(store: store, model: model, vectors: vectors)
                        let group = DispatchGroup()
                        DispatchQueue.global().async(group: group) {
                            try? searcher.prepare(self.query, mode: mode, filters: filters, limit: limit)
                        }
                        let scan = try searcher.scan(queryVector, mode: mode, filters: filters, limit: limit)
                        group.wait()
                        XCTAssertNotNil(scan)
                        let results = try searcher.search(query, queryVector: queryVector, mode: mode,
                                                          filters: filters, limit: limit, scan: scan)
                        XCTAssertEqual(results, expected, "\(quantization) \(mode) \(filters.cacheKey) \(limit)")
                        XCTAssertFalse(results.isEmpty)
                    }
                }
            }
        }
    }

    func testNoScanAheadBeforeTheVectorsAreLoaded() throws {
        let searcher = Searcher(store: store, model: model)
        XCTAssertNil(try searcher.scan(queryVector, mode: .hybrid), "prepare loads them: a scan would race it")
        XCTAssertNil(try Searcher(store: store).scan(queryVector, mode: .hybrid))
        _ = try searcher.vectorSearcher()
        XCTAssertNil(try searcher.scan(queryVector, mode: .lexical))
        XCTAssertNotNil(try searcher.scan(queryVector, mode: .hybrid))
    }

    func testMappedMemberCosinesAreTheDatabases() throws {
        let matrix = try store.vectorMatrix(for: model)
        let screened = VectorSearcher(matrix: matrix, quantization: .bf16Screened)
        XCTAssertNil(VectorSearcher(matrix: matrix).scores(of: [], query: queryVector, hubness: nil),
                     "only a long-lived searcher keeps rows by hash")
        let unit = VectorSearcher.normalised(queryVector)
        let hashes = (0..<matrix.count).map(matrix.contentHash(ofRow:)) + [ContentHash(of: "never embedded")]
        let mapped = try XCTUnwrap(screened.scores(of: hashes, query: unit, hubness: nil))
        let stored = try store.vectors(forContentHashes: hashes, model: model)
        XCTAssertEqual(mapped.count, matrix.count)
        XCTAssertEqual(Set(stored.keys), Set(mapped.keys))
        for (hash, vector) in stored {
            let cosine = vector.withUnsafeBufferPointer { VectorSearcher.score($0, unit, hubness: nil) }
            XCTAssertEqual(mapped[hash], cosine, "bit for bit, as ranks compare them")
        }
    }

    func testLinesFoundAfterMergingAreThoseMergingFinds() {
        let terms: Set<String> = ["parse", "date"]
        func hit(_ id: Int64, lines: ClosedRange<Int>, symbol: String, body: [String]) -> ChunkHit {
            let chunk = Chunk(language: .python, kind: .function, symbol: symbol, startLine: lines.lowerBound,
                              endLine: lines.upperBound, startByte: 0, endByte: 1, text: body.joined(separator: "\n"))
            return ChunkHit(chunkID: id, blobID: "b", path: "a.py", otherPaths: [], revision: "HEAD", chunk: chunk,
                            contentHash: ContentHash(of: chunk.text), score: 1)
        }
        // Pieces of `f` join the first (sharing, adding and overflowing its three lines); `g` stays apart.
        let hits = [
            hit(1, lines: 10...14, symbol: "f", body: ["def f():", "  date = 1", "  x", "  parse(date)", "  y"]),
            hit(2, lines: 15...18, symbol: "f", body: ["  parse", "  z", "  date", "  w"]),
            hit(3, lines: 5...9, symbol: "f", body: ["  a", "  b", "  c", "  d", "  e"]),
            hit(4, lines: 40...42, symbol: "g", body: ["def g():", "  pass", "  parse date"]),
            hit(5, lines: 19...20, symbol: "f", body: ["  date date", "  parse"]),
        ]
        let eager = ResultMerger.merge(hits.map { SearchResult(hit: $0, relevantLines: Searcher.relevantLines(
            of: $0, terms: terms)) })
        let pieces = Dictionary(uniqueKeysWithValues: hits.map { ($0.chunkID, $0) })
        let lazy = ResultMerger.merge(hits.map { SearchResult(hit: $0, relevantLines: []) })
            .map { Searcher.withRelevantLines($0, pieces: pieces, terms: terms) }
        XCTAssertEqual(lazy, eager)
        XCTAssertEqual(eager.map(\.chunkID), [1, 4])
        XCTAssertEqual(eager[0].mergedChunkIDs, [2, 3, 5], "the pieces did join: the comparison is not vacuous")
    }
}
