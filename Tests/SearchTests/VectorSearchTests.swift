import Foundation
import QuarryCore
import Store
import XCTest
@testable import Search
import TestSupport

/// A real index with synthetic vectors: files in Python and Go under two
/// directories, one blob at two paths, one chunk text repeated in another
/// blob, and a function split into two touching chunks.
final class VectorSearchTests: XCTestCase {
    private var store: IndexStore!
    private var model: ModelRecord!
    /// Vector of each chunk text, as stored.
    private var vectorOfText: [String: [Float]] = [:]
    private let dimension = 16

    override func setUpWithError() throws {
        store = try scratchStore("vectors")

        var generator = SeededGenerator(seed: 7)
        var blobs: [BlobRecord] = []
        var files: [FileRecord] = []
        for i in 0..<60 {
            let language: Language = i % 3 == 0 ? .go : .python
            let path = (i % 2 == 0 ? "src/" : "lib/") + "file\(i)." + (language == .go ? "go" : "py")
            let chunks = (0..<(1 + i % 3)).map { c in
                Self.chunk(language, symbol: "f\(i)_\(c)", line: 1 + 10 * c, lines: 5, text: "body of f\(i)_\(c)")
            }
            blobs.append(BlobRecord(id: "blob\(i)", path: path, language: language, size: 10, chunks: chunks))
            files.append(FileRecord(path: path, blobID: "blob\(i)"))
        }
        // blob0 also at a second path; blob "copy" repeats blob1's first chunk text.
        files.append(FileRecord(path: "vendor/file0.go", blobID: "blob0"))
        blobs.append(BlobRecord(id: "copy", path: "copy/again.py", language: .python, size: 10,
                                chunks: [Self.chunk(.python, symbol: "f1_0", line: 1, lines: 5, text: "body of f1_0")]))
        files.append(FileRecord(path: "copy/again.py", blobID: "copy"))
        // A function split in two touching chunks (lines 1-20, 21-40).
        blobs.append(BlobRecord(id: "split", path: "src/split.py", language: .python, size: 10, chunks: [
            Self.chunk(.python, symbol: "big", line: 1, lines: 20, text: "first half of big"),
            Self.chunk(.python, symbol: "big", line: 21, lines: 20, text: "second half of big"),
        ]))
        files.append(FileRecord(path: "src/split.py", blobID: "split"))
        try store.write(blobs)
        try store.recordRevision(Self.revision("HEAD"), files: files)

        model = try store.registerModel(name: "synthetic", revision: "1", dimension: dimension)
        let pending = try store.textsWithoutEmbeddings(model: model, limit: 10_000)
        var vectors: [(hash: ContentHash, vector: [Float])] = []
        for (hash, text) in pending {
            let vector = VectorSearcher.normalised((0..<dimension).map { _ in Float.random(in: -1...1, using: &generator) })
            vectorOfText[text] = vector
            vectors.append((hash, vector))
        }
        try store.writeEmbeddings(vectors, model: model)
    }

    private static func chunk(_ language: Language, symbol: String, line: Int, lines: Int, text: String) -> Chunk {
        Chunk(language: language, kind: .function, symbol: symbol, startLine: line, endLine: line + lines - 1,
              startByte: 0, endByte: text.utf8.count, text: text)
    }

    private static func revision(_ name: String) -> RevisionRecord {
        let date = Date(timeIntervalSince1970: 1_700_000_000)
        return RevisionRecord(name: name, commitID: "c-\(name)", treeID: "t", commitTime: date, author: "a",
                              subject: "s", indexedAt: date.addingTimeInterval(name == "HEAD" ? 60 : 0))
    }

    /// Every stored (content hash, vector), in row order.
    private func storedRows() throws -> [(hash: ContentHash, vector: [Float])] {
        let matrix = try store.vectorMatrix(for: model)
        return (0..<matrix.count).map { (matrix.contentHash(ofRow: $0), Array(matrix.vector(ofRow: $0))) }
    }

    private func bruteForce(_ query: [Float], k: Int) throws -> [Int] {
        let unit = VectorSearcher.normalised(query)
        let scored = try storedRows().enumerated().map { row, stored in
            (row, zip(stored.vector, unit).reduce(Float(0)) { $0 + $1.0 * $1.1 })
        }
        return scored.sorted { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }.prefix(k).map(\.0)
    }

    func testExactTopKMatchesBruteForce() throws {
        let searcher = try VectorSearcher(store: store, model: model)
        XCTAssertEqual(searcher.matrix.source, .file)
        XCTAssertEqual(searcher.count, vectorOfText.count, "one row per distinct text")
        XCTAssertGreaterThan(searcher.count, 100)
        var generator = SeededGenerator(seed: 99)
        for _ in 0..<20 {
            let query = (0..<dimension).map { _ in Float.random(in: -2...2, using: &generator) }
            for k in [1, 5, 17] {
                let nearest = try searcher.nearest(to: query, k: k)
                XCTAssertEqual(nearest.map(\.row), try bruteForce(query, k: k))
                XCTAssertEqual(nearest.map(\.score), nearest.map(\.score).sorted(by: >))
            }
        }
        // k beyond the row count returns every row once.
        let all = try searcher.nearest(to: [Float](repeating: 1, count: dimension), k: 10_000)
        XCTAssertEqual(Set(all.map(\.row)).count, searcher.count)
    }

    func testAStoredVectorFindsItselfWithCosineOne() throws {
        let searcher = try VectorSearcher(store: store, model: model)
        let target = try XCTUnwrap(try storedRows().dropFirst(10).first)
        // Scaling the query must not change scores: it is normalised.
        let best = try XCTUnwrap(try searcher.nearest(to: target.vector.map { $0 * 3 }, k: 1).first)
        XCTAssertEqual(searcher.contentHash(ofRow: best.row), target.hash)
        XCTAssertEqual(best.score, 1, accuracy: 1e-5)
    }

    func testInt8ScanWithRescoringMatchesExactOrder() throws {
        let exact = try VectorSearcher(store: store, model: model)
        let quantised = try VectorSearcher(store: store, model: model, quantization: .int8(rescore: 40))
        let rows = try storedRows()
        var generator = SeededGenerator(seed: 3)
        var agreeing = 0
        for _ in 0..<20 {
            let query = (0..<dimension).map { _ in Float.random(in: -1...1, using: &generator) }
            let a = try exact.nearest(to: query, k: 10)
            let b = try quantised.nearest(to: query, k: 10)
            // Rescored scores are exact fp32 cosines of the rows returned.
            for (row, score) in b {
                let cosine = zip(rows[row].vector, VectorSearcher.normalised(query)).reduce(Float(0)) { $0 + $1.0 * $1.1 }
                XCTAssertEqual(score, Double(cosine), accuracy: 1e-5)
            }
            if a.map(\.row) == b.map(\.row) { agreeing += 1 }
        }
        // With 4x over-fetching the int8 ranking loses at most a rare boundary item.
        XCTAssertGreaterThanOrEqual(agreeing, 18)
        let (codes, scales) = VectorSearcher.quantize([0.5, -1, 0.25, 0], dimension: 4)
        XCTAssertEqual(codes, [64, -127, 32, 0])
        XCTAssertEqual(scales, [1 / 127])
    }

    func testFiltersApplyAfterScoringAndStillFillTheLimit() throws {
        let searcher = try VectorSearcher(store: store, model: model)
        let query = try XCTUnwrap(vectorOfText["body of f3_0"])
        let go = try searcher.search(query, in: store, filters: SearchFilters(languages: [.go]), limit: 15)
        XCTAssertEqual(go.count, 15)
        XCTAssertTrue(go.allSatisfy { $0.chunk.language == .go })
        XCTAssertEqual(go.first?.chunk.symbol, "f3_0")
        XCTAssertEqual(go.map(\.score), go.map(\.score).sorted(by: >))

        // The go files sit in both directories; a glob narrows to lib/ only.
        let lib = try searcher.search(query, in: store, filters: SearchFilters(paths: [try PathGlob("lib/**")]), limit: 30)
        XCTAssertEqual(lib.count, 30)
        XCTAssertTrue(lib.allSatisfy { $0.path.hasPrefix("lib/") })
        // A filter nothing passes scans everything and returns nothing.
        XCTAssertEqual(try searcher.search(query, in: store, filters: SearchFilters(languages: [.java]), limit: 5), [])
    }

    func testTheRevisionSearchedFiltersVectorHits() throws {
        try store.recordRevision(Self.revision("old"), files: [FileRecord(path: "src/file2.py", blobID: "blob2")])
        let searcher = try VectorSearcher(store: store, model: model)
        // Rows are per text, whatever the revision: the revision filters the hits.
        let hits = try searcher.search(try XCTUnwrap(vectorOfText["body of f2_1"]), in: store,
                                       filters: SearchFilters(revision: "old"), limit: 5)
        XCTAssertEqual(hits.map(\.chunk.symbol).first, "f2_1")
        XCTAssertEqual(hits.count, 3, "blob2 has 1 + 2 % 3 = 3 chunks; nothing else is in 'old'")
        XCTAssertEqual(Set(hits.map(\.revision)), ["old"])
        XCTAssertEqual(try searcher.search(try XCTUnwrap(vectorOfText["body of f2_1"]), in: store,
                                           filters: SearchFilters(revision: "HEAD"), limit: 5).count, 5)
    }

    func testInvalidInputsThrowOneLineErrors() throws {
        let searcher = try VectorSearcher(store: store, model: model)
        XCTAssertThrowsError(try searcher.nearest(to: [1, 2, 3], k: 3)) { error in
            XCTAssertEqual(error as? SearchError, .dimensionMismatch(query: 3, index: dimension))
        }
        XCTAssertThrowsError(try searcher.nearest(to: [Float](repeating: .nan, count: dimension), k: 3))
        let hashes = [ContentHash(of: "a"), ContentHash(of: "b")]
        XCTAssertThrowsError(try VectorMatrix(hashes: hashes, vectors: [1, 2, 3], dimension: 2)) { error in
            XCTAssertEqual((error as? StoreError)?.description, "invalid argument: 3 floats do not make 2 rows of 2")
        }
        XCTAssertThrowsError(try VectorMatrix(hashes: hashes, vectors: [1, 2, 3, .infinity], dimension: 2))
        XCTAssertEqual(try searcher.nearest(to: [Float](repeating: 1, count: dimension), k: 0).count, 0)
        // An in-memory matrix searches like a stored one.
        let memory = VectorSearcher(matrix: try VectorMatrix(hashes: hashes, vectors: [1, 0, 0, 1], dimension: 2))
        XCTAssertEqual(try memory.nearest(to: [0.1, 1], k: 2).map(\.row), [1, 0])
        XCTAssertEqual(memory.contentHash(ofRow: 1), hashes[1])
    }

    // MARK: Searcher

    func testSemanticSearchMergesSplitChunksAndDuplicateTexts() throws {
        let searcher = Searcher(store: store, model: model)
        // The first half of `big` is the exact query: both halves touch, so they are one result.
        let results = try searcher.search("", queryVector: vectorOfText["first half of big"], mode: .semantic, limit: 200)
        let big = results.filter { $0.path == "src/split.py" }
        XCTAssertEqual(big.count, 1)
        XCTAssertEqual(big.first?.lines, 1...40)
        XCTAssertEqual(big.first?.chunk.text, "first half of big")
        XCTAssertEqual(big.first?.mergedChunkIDs.count, 1)
        XCTAssertEqual(results.first?.path, "src/split.py")

        // The text of f1_0 lives in blob1 and in blob "copy": one result listing the other path.
        let f10 = try searcher.search("", queryVector: vectorOfText["body of f1_0"], mode: .semantic, limit: 5)
        XCTAssertEqual(f10.first?.chunk.text, "body of f1_0")
        XCTAssertEqual(f10.filter { $0.chunk.text == "body of f1_0" }.count, 1)
        XCTAssertEqual(Set([f10[0].path] + f10[0].otherPaths), ["copy/again.py", "lib/file1.py"])
        // blob0 is at two paths: the store's otherPaths survive.
        let f00 = try searcher.search("", queryVector: vectorOfText["body of f0_0"], mode: .semantic, limit: 1)
        XCTAssertEqual(f00.first?.path, "src/file0.go")
        XCTAssertEqual(f00.first?.otherPaths, ["vendor/file0.go"])
        XCTAssertEqual(f00.count, 1)
    }

    func testEveryModeFillsTheLimitAfterMerging() throws {
        let searcher = Searcher(store: store, model: model)
        let vector = try XCTUnwrap(vectorOfText["body of f5_1"])
        for mode in SearchMode.allCases {
            let results = try searcher.search("body of f5_1", queryVector: vector, mode: mode, limit: 12)
            XCTAssertEqual(results.count, 12, "\(mode)")
            // Merged: no two results of one file touch.
            for (i, a) in results.enumerated() {
                for b in results[(i + 1)...] where a.path == b.path {
                    XCTAssertFalse(ResultMerger.touches(a.lines, b.lines), "\(mode): \(a.path)")
                }
            }
            XCTAssertFalse(results[0].relevantLines.isEmpty)
        }
        // Hybrid: f5_1 is first in both rankings, so first fused, with 0.2 / (10 + 1) + 1 / (10 + 1)
        // by default and 2 / (60 + 1) with plain k = 60.
        let hybrid = try searcher.search("f5_1", queryVector: vector, mode: .hybrid, limit: 3)
        XCTAssertEqual(hybrid.first?.chunk.symbol, "f5_1")
        XCTAssertEqual(try XCTUnwrap(hybrid.first?.score), 1.2 / 11, accuracy: 1e-12)
        searcher.fusion = ReciprocalRankFusion(k: 60)
        XCTAssertEqual(try XCTUnwrap(try searcher.search("f5_1", queryVector: vector, mode: .hybrid, limit: 3).first?.score),
                       2.0 / 61, accuracy: 1e-12)
    }

    func testSemanticModesNeedAModelAndAVector() throws {
        let lexicalOnly = Searcher(store: store)
        XCTAssertThrowsError(try lexicalOnly.search("f1", queryVector: [Float](repeating: 1, count: dimension),
                                                    mode: .semantic)) { error in
            XCTAssertEqual(error as? SearchError, .missingQueryVector(mode: .semantic))
        }
        XCTAssertThrowsError(try Searcher(store: store, model: model).search("f1", mode: .hybrid))
        XCTAssertFalse(try lexicalOnly.search("f1_0", mode: .lexical).isEmpty)
        XCTAssertThrowsError(try Searcher(store: store, model: model).search("f1", queryVector: [1], mode: .hybrid)) {
            XCTAssertEqual($0 as? SearchError, .dimensionMismatch(query: 1, index: dimension))
        }
        XCTAssertEqual(try Searcher.model(named: "synthetic", in: store), model)
        XCTAssertNil(try Searcher.model(named: "other", in: store))
    }
}
