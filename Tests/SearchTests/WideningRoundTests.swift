import Foundation
import QuarryCore
import Store
import XCTest
@testable import Search
import TestSupport

/// Filters that keep only a chunk ranked far down force every ranking to
/// widen in rounds (issue 9: the keyword ranking's second round ran its FTS5
/// statement without its MATCH binding and failed with a syntax error).
///
/// 400 Python chunks in `src/` all say "parse config" and rank well; one Go
/// chunk in `tools/` says it once in a long text and ranks last lexically and
/// far down semantically. An older revision holds only the `tools/` file.
final class WideningRoundTests: XCTestCase {
    private var store: IndexStore!
    private var model: ModelRecord!
    private let dimension = 8
    private var queryVector: [Float] = []
    private let query = "parse config"

    override func setUpWithError() throws {
        store = try scratchStore("widening")

        var blobs: [BlobRecord] = []
        var files: [FileRecord] = []
        for i in 0..<400 {
            let text = "def parse_config_\(i)(path):\n    # parse config file \(i)\n    return parse(config(path))"
            blobs.append(BlobRecord(id: "py\(i)", path: "src/m\(i).py", language: .python, size: 80,
                                    chunks: [Self.chunk(.python, "parse_config_\(i)", text)]))
            files.append(FileRecord(path: "src/m\(i).py", blobID: "py\(i)"))
        }
        let filler = (0..<60).map { "step\($0) := load(\"value\($0)\")" }.joined(separator: "\n")
        let target = "func Settle() {\n\(filler)\n// parse\n}"
        blobs.append(BlobRecord(id: "go", path: "tools/settle.go", language: .go, size: 2_000,
                                chunks: [Self.chunk(.go, "Settle", target)]))
        files.append(FileRecord(path: "tools/settle.go", blobID: "go"))
        try store.write(blobs)
        try store.recordRevision(Self.revision("old", minutes: 0), files: [FileRecord(path: "tools/settle.go", blobID: "go")])
        try store.recordRevision(Self.revision("HEAD", minutes: 1), files: files)

        // The query points along axis 0; Python texts lie close to it, the Go text is nearly orthogonal.
        queryVector = [1] + [Float](repeating: 0, count: dimension - 1)
        model = try store.registerModel(name: "synthetic", revision: "1", dimension: dimension)
        var generator = SeededGenerator(seed: 9)
        var vectors: [(hash: ContentHash, vector: [Float])] = []
        for (hash, text) in try store.textsWithoutEmbeddings(model: model, limit: 10_000) {
            var vector = (0..<dimension).map { _ in Float.random(in: -0.1...0.1, using: &generator) }
            vector[0] = text == target ? 0.05 : 1
            vectors.append((hash, VectorSearcher.normalised(vector)))
        }
        try store.writeEmbeddings(vectors, model: model)
    }

    private static func chunk(_ language: Language, _ symbol: String, _ text: String) -> Chunk {
        Chunk(language: language, kind: .function, symbol: symbol, startLine: 1,
              endLine: text.split(separator: "\n").count, startByte: 0, endByte: text.utf8.count, text: text)
    }

    private static func revision(_ name: String, minutes: Double) -> RevisionRecord {
        let date = Date(timeIntervalSince1970: 1_700_000_000 + minutes * 60)
        return RevisionRecord(name: name, commitID: "c-\(name)", treeID: "t-\(name)", commitTime: date,
                              author: "a", subject: name, indexedAt: date)
    }

    private func search(_ mode: SearchMode, _ filters: SearchFilters, limit: Int = 5) throws -> [SearchResult] {
        try Searcher(store: store, model: model).search(query, queryVector: queryVector, mode: mode,
                                                        filters: filters, limit: limit)
    }

    func testTheTargetRanksFarDownUnfiltered() throws {
        for mode in SearchMode.allCases {
            let results = try search(mode, SearchFilters(), limit: 50)
            XCTAssertEqual(results.count, 50, "\(mode)")
            XCTAssertFalse(results.contains { $0.path == "tools/settle.go" }, "\(mode): the target must rank below 50")
        }
    }

    func testEachFilterAloneAndCombinedFindsTheFarDownChunkInEveryMode() throws {
        let cases: [(String, SearchFilters)] = [
            ("--path", SearchFilters(paths: [try PathGlob("tools/**")])),
            ("--lang", SearchFilters(languages: [.go])),
            ("--rev", SearchFilters(revision: "old")),
            ("--all-revs --lang", SearchFilters(languages: [.go], revision: IndexStore.allRevisions)),
            ("all combined", SearchFilters(languages: [.go], paths: [try PathGlob("*.go")], revision: "HEAD")),
        ]
        for (name, filters) in cases {
            for mode in SearchMode.allCases {
                let results = try search(mode, filters)
                XCTAssertEqual(results.map(\.path), ["tools/settle.go"], "\(name), \(mode)")
            }
        }
    }

    func testFiltersThatMatchNothingReturnNoResultsWithoutError() throws {
        let cases: [SearchFilters] = [
            SearchFilters(paths: [try PathGlob("nowhere/**")]),
            SearchFilters(languages: [.ruby]),
            SearchFilters(languages: [.python], revision: "old"),
        ]
        for filters in cases {
            for mode in SearchMode.allCases {
                XCTAssertEqual(try search(mode, filters).count, 0, "\(filters.cacheKey), \(mode)")
            }
        }
        for mode in SearchMode.allCases {
            XCTAssertThrowsError(try search(mode, SearchFilters(revision: "no-such-revision")), "\(mode)") {
                XCTAssertEqual($0 as? SearchError, .store(.unknownRevision("no-such-revision")))
            }
        }
    }

    func testALimitBeyondEveryMatchEndsTheRounds() throws {
        // 400 Python chunks pass --lang python: a limit of 1,000 widens until the rankings run out.
        for mode in SearchMode.allCases {
            let results = try search(mode, SearchFilters(languages: [.python]), limit: 1_000)
            XCTAssertEqual(results.count, 400, "\(mode)")
        }
    }
}
